"""The symbolic derivations: every registered fact verifies, and a wrong claim is caught."""
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import derivations
from derivations import __main__ as cli
from derivations import facts as registry
from derivations import family, marginal, posterior, reverse, special_cases
from derivations.common import c, lam, pi, u, zero, zeros
from derivations.facts import FACTS, Fact, passes, verify

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("fact", FACTS, ids=[f.name for f in FACTS])
def test_fact_verifies(fact):
    ok, result, _ = verify(fact)
    assert ok, f"{fact.name}: got {result}, expected {fact.expected} ({fact.statement})"


def test_every_module_with_facts_is_registered():
    """A module that defines FACTS is picked up by the registry (so its facts are tested above)."""
    registered = {f.name for f in FACTS}
    for info in pkgutil.iter_modules(derivations.__path__):
        mod = importlib.import_module(f"derivations.{info.name}")
        for entry in getattr(mod, "FACTS", []):
            if isinstance(entry, tuple) and entry and isinstance(entry[0], str):
                assert entry[0] in registered, f"{info.name}: {entry[0]} is not in the registry"
    assert all(f.statement for f in FACTS)


# ----------------------------------------------------------------------------- the checks can fail

def test_wrong_variance_gives_nonzero_residual():
    """The Gaussian product does NOT give ``lam sinh sinh / sinh`` (a factor 2 missing)."""
    _, var = marginal.product_of_gaussians()
    wrong = lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c) * pi ** 2
    assert zero(var - wrong) != 0
    assert zero(var - family.Sigma2(u, c) * pi ** 2) == 0


def test_wrong_drift_gives_nonzero_residual():
    """The h-transform drift is coth, not tanh, of thbar_{t:T}."""
    from derivations import hbridge
    assert zero(hbridge.h_drift() - hbridge.theta * sp.tanh(c - u) * (family.mu - family.x)) != 0


def test_wrong_posterior_variance_breaks_chapman_kolmogorov():
    P, K, Vp = family.posterior_coefficients(posterior.a, posterior.b)
    cc = posterior.C_T
    total = (Vp / 2) * pi ** 2 + K ** 2 * family.Sigma2(posterior.U_T, cc) * pi ** 2
    assert zero(total - family.Sigma2(posterior.U_S, cc) * pi ** 2) != 0


def test_sigma_squared_ratio_is_not_an_ode_solution():
    """Using ``Sigma_s^2/Sigma_t^2`` instead of ``Sigma_s/Sigma_t`` in the eta = 0 step breaks the PF-ODE."""
    k = reverse.k
    path = family.bridge_mean(u, c).subs(pi, reverse.pihat) + family.Sigma2(u, c) * k
    res = sp.diff(path, u) - family.pf_velocity(path, u, c, reverse.pihat)
    assert zero(res) != 0


def test_i2sb_discrete_stds_do_not_match_exactly():
    dc, dv = special_cases.i2sb_discrepancy()
    assert zero(dc) != 0 and zero(dv) != 0
    numbers = special_cases.i2sb_numbers()
    assert 7.8e-4 < numbers["max_coef_discrepancy"] < 7.9e-4  # Theta, the README's figure
    assert 0.0099 < numbers["max_std_discrepancy"] < 0.0101  # Sigma at n = 999 (pinned: 0 in the family)
    assert 0.28 < numbers["std_discrepancy_relative_at_n_minus_2"] < 0.30


def test_passes_rejects_bad_results():
    exact = Fact("x", lambda: 0, sp.Integer(0), "s")
    numeric = Fact("y", lambda: 0, sp.Integer(0), "s", 1e-12)
    assert passes(exact, 0) and not passes(exact, u - c) and not passes(exact, sp.Tuple(0, u))
    assert passes(numeric, sp.Float(1e-13)) and not passes(numeric, sp.Float(1e-9))
    assert zeros(0, u - u) == 0 and zeros(0, u) != 0
    ok, result, _ = verify(Fact("boom", lambda: 1 / 0, sp.Integer(0), "s"))
    assert not ok and "ZeroDivisionError" in result


# ----------------------------------------------------------------------------- the command line

def test_cli_exit_code_zero_on_success():
    """``python -m derivations PATTERN`` runs the real entry point (a quick subset) and exits 0."""
    proc = subprocess.run([sys.executable, "-m", "derivations", "ou.", "hbridge."], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert all("verified" in line for line in lines[:-1]) and "facts verified" in lines[-1]


def test_cli_exit_code_one_on_failure(monkeypatch, capsys):
    bad = Fact("negative.wrong_variance", lambda: lam, sp.Integer(0), "deliberately wrong")
    good = registry.BY_NAME["ou.chapman_kolmogorov"]
    monkeypatch.setattr(registry, "FACTS", [good, bad])
    assert cli.main([]) == 1
    out = capsys.readouterr().out
    assert "negative.wrong_variance" in out and "FAILED" in out
    assert cli.main(["no-such-fact"]) == 2
