"""Helpers of notebook 08 (``rdbm_course.samplers_lesson``): the closed-form factor ``k`` of each update rule and the
noise switch of the two stochastic samplers, against the library's own steps and samplers."""
import pytest
import torch

from rdbm_core.bridge import bridges, samplers
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import restore
from rdbm_course.samplers_lesson import deviation_kept, paired, step_factor, stochastic_run

DT = torch.float64


def library_step(bridge, rule, x, x0_hat, mu, t, s):
    """One step of ``rule`` as the library takes it (the noise of the stochastic rules drawn from a fixed seed)."""
    du = float(bridge.schedule.clock(t) - bridge.schedule.clock(s))
    if rule in ("eta0", "eta1"):
        return samplers.implicit_step(bridge, x, x0_hat, mu, t, s, eta=0.0 if rule == "eta0" else 1.0,
                                      generator=torch.Generator().manual_seed(3))
    if rule == "euler":
        return x - du * bridge.velocity(x, x0_hat, mu, t)
    if rule == "heun":
        v = bridge.velocity(x, x0_hat, mu, t)
        return x - du * 0.5 * (v + bridge.velocity(x - du * v, x0_hat, mu, s))
    return x - du * bridge.reverse_drift(x, x0_hat, mu, t)  # Euler-Maruyama's deterministic part


@pytest.mark.parametrize("rule", ["eta0", "eta1", "euler", "heun", "em"])
@pytest.mark.parametrize("t, s", [(98, 97), (60, 40), (2, 1), (1, 0)])
def test_step_factor_is_the_library_step_slope(rule, t, s):
    """The step maps two states that differ by ``d`` to two that differ by ``k d`` (the rules are affine in ``x`` for
    a fixed prediction; the same noise cancels). Mutation that fails: Euler-Maruyama's factor with the velocity's
    ``lam`` term (1 - du a_t) is off by du lam / Sigma_t^2."""
    bridge = bridges.rdbm()
    g = torch.Generator().manual_seed(0)
    x0_hat, mu, x = (torch.rand(1, 3, 2, 2, generator=g, dtype=DT) * 2 - 1 for _ in range(3))
    d = 1e-3 * torch.randn(x.shape, generator=g, dtype=DT)
    t, s = torch.tensor(t), torch.tensor(s)
    slope = (library_step(bridge, rule, x + d, x0_hat, mu, t, s) - library_step(bridge, rule, x, x0_hat, mu, t, s)) / d
    assert torch.allclose(slope, torch.full_like(slope, step_factor(bridge, rule, t, s)), rtol=1e-7, atol=1e-9)


def test_deviation_kept_telescopes_for_eta0_and_orders_the_rules():
    """For eta = 0 the product of Sigma_s / Sigma_t over the interior steps 98 -> 0 is Sigma_0 / Sigma_98; the rules
    keep less in the order of notebook 08's table."""
    bridge = bridges.rdbm()
    sigma = {t: float(bridge.coefficients(torch.tensor(t))[2]) for t in (0, 98)}
    assert deviation_kept(bridge, "eta0", 100) == pytest.approx(sigma[0] / sigma[98], rel=1e-12)
    shares = [deviation_kept(bridge, rule, n) for rule, n in (("euler", 100), ("eta0", 100), ("heun", 51),
                                                              ("eta1", 100), ("em", 100))]
    assert shares == sorted(shares, reverse=True)


@pytest.mark.parametrize("rule, name, eta", [("eta1", "implicit", 1.0), ("em", "euler-maruyama", None)])
def test_stochastic_run_with_its_noise_on_is_the_library_sampler(rule, name, eta):
    """With the library's seed the written-out loop is the library's sampler (every kind of step: n = 5); with the
    noise off it is deterministic and differs from it."""
    bridge = bridges.rdbm()
    g = torch.Generator().manual_seed(0)
    mu = torch.rand(2, 3, 4, 4, generator=g) * 2 - 1

    def model(x, m, t):
        return (0.5 * x + 0.3 * m).tanh()

    library = restore(model, bridge, mu, SamplerSpec(name, 5, eta=eta), torch.Generator().manual_seed(0))
    mine = stochastic_run(model, bridge, mu, rule, 5, torch.Generator().manual_seed(0))
    assert (mine - library).abs().max() < 1e-5
    quiet = stochastic_run(model, bridge, mu, rule, 5)
    assert torch.equal(quiet, stochastic_run(model, bridge, mu, rule, 5))
    assert (quiet - library).abs().max() > 1e-3


def test_paired_names_its_fields():
    result = paired([0.5, 0.7, 0.2, 0.4], ["a", "a", "b", "b"])
    assert result.mean == pytest.approx(0.45) and result.low <= result.mean <= result.high and 0 < result.p <= 1
    assert paired([0.0, 0.0], ["a", "b"]) == (0.0, 0.0, 0.0, 1.0)
