"""rdbm_course.mathshow's asserting displays: they pass on a true identity and stop on a false one."""
import pytest
import sympy as sp

from derivations import family
from derivations.common import c, fokker_planck_residual, gaussian_log, lam, pi, u, x
from rdbm_course.mathshow import agree, confirm, vanishes_by_powers


@pytest.fixture(autouse=True)
def _no_display(monkeypatch):
    import rdbm_course.mathshow as mathshow

    monkeypatch.setattr(mathshow, "_display", lambda tex: None)


def test_agree_accepts_an_identity_and_refuses_a_near_miss():
    """Mutation caught: Theta written as sinh(c - u)/sinh(c - 1) (a wrong clock) must not 'agree' with Theta_t."""
    agree("Theta", sp.sinh(c - u) / sp.sinh(c), "Theta'", (sp.exp(c - u) - sp.exp(u - c)) / (sp.exp(c) - sp.exp(-c)))
    with pytest.raises(AssertionError):
        agree("Theta", family.Theta(u, c), "wrong", sp.sinh(c - u) / sp.sinh(c - 1))


def _fp_parts(log_q, drift):
    lx = sp.diff(log_q, x)
    return {"L_u": sp.diff(log_q, u), "f_x": sp.diff(drift, x), "f L_x": drift * lx,
            "-D": -lam * pi ** 2 * (sp.diff(lx, x) + lx ** 2)}


def test_vanishes_by_powers_on_the_bridge_fokker_planck_equation():
    """The bridge marginal solves its Fokker-Planck equation, and the parts sum to fokker_planck_residual.
    Mutation caught: the drift with coth replaced by tanh (the free OU's drift is neither) fails a coefficient."""
    mean, var = family.bridge_mean(u, c), family.Sigma2(u, c) * pi ** 2
    log_q = gaussian_log(x, mean, var)
    parts = _fp_parts(log_q, family.bridge_drift(u, c))
    assert sp.simplify(sum(parts.values()) - fokker_planck_residual(log_q, x, u, family.bridge_drift(u, c),
                                                                    lam * pi ** 2)) == 0
    vanishes_by_powers("FP", parts, x, mean, "(x - M)")
    wrong = family.bridge_drift(u, c).subs(sp.coth(c - u), sp.tanh(c - u))
    with pytest.raises(AssertionError):
        vanishes_by_powers("FP", _fp_parts(log_q, wrong), x, mean, "(x - M)")


def test_vanishes_by_powers_refuses_terms_beyond_the_degree():
    """Mutation caught: a cubic (x - M)^3 term would be silently dropped by a check that reads only k <= degree."""
    with pytest.raises(AssertionError):
        vanishes_by_powers("cubic", {"a": (x - u) ** 3}, x, u, "(x - u)")


def test_vanishes_by_powers_says_an_absent_power_in_words(monkeypatch):
    """With absent_in_words, a power no term has is one sentence, not a sum of zeros; a power some term has is still
    shown term by term and asserted. Mutation caught: skipping every power whose coefficients *sum* to 0 (instead of
    those whose every coefficient is 0) hides the (x - u) line of the first call."""
    import rdbm_course.mathshow as mathshow

    shown = []
    monkeypatch.setattr(mathshow, "_display", shown.append)
    vanishes_by_powers("q", {"a": (x - u) ** 2 + (x - u), "b": -(x - u) ** 2 - (x - u)}, x, u, "(x - u)",
                       absent_in_words=True)
    assert [line.count("no term has this power") for line in shown[1:]] == [1, 0, 0]
    shown.clear()
    vanishes_by_powers("q", {"a": (x - u) ** 2, "b": -(x - u) ** 2}, x, u, "(x - u)", absent_in_words=True)
    assert [line.count("no term has this power") for line in shown[1:]] == [1, 1, 0]
    with pytest.raises(AssertionError):
        vanishes_by_powers("q", {"a": (x - u) ** 2}, x, u, "(x - u)", absent_in_words=True)


def test_vanishes_by_powers_labels_exponents_and_rewrites_only_the_display(monkeypatch):
    """With exponents, the powers read (x - u)^0, (x - u)^1, ...; rewrite changes the displayed coefficients, not the
    assertion. Mutations caught: rewrite applied before the assertion (the rewrite e + 1 below would then make it
    fail), and the label "1" kept for the power 0."""
    import rdbm_course.mathshow as mathshow

    shown = []
    monkeypatch.setattr(mathshow, "_display", shown.append)
    parts = {"a": (x - u) / sp.tanh(c), "b": -(x - u) * sp.coth(c)}
    vanishes_by_powers("q", parts, x, u, "(x - u)", degree=1, exponents=True,
                       rewrite=lambda e: e.replace(sp.tanh, lambda arg: 1 / sp.coth(arg)))
    assert [line.split(":")[0] for line in shown[1:]] == [r"\big[(x - u)^{0}\big]", r"\big[(x - u)^{1}\big]"]
    assert "tanh" not in shown[2] and shown[2].count("coth") == 2
    vanishes_by_powers("q", parts, x, u, "(x - u)", degree=1, rewrite=lambda e: e + 1)  # display only: still true


def test_confirm_prints_each_check_and_stops_on_a_nonzero_residual(capsys):
    """Mutation caught: a confirm that prints without asserting lets the residual 1 of ``wrong`` pass."""
    import types

    facts = types.SimpleNamespace(__name__="derivations.facts", right=lambda: sp.Integer(0), wrong=lambda: sp.Integer(1))
    confirm(facts, "right")
    assert capsys.readouterr().out == "derivations.facts.right: residual 0, the package agrees\n"
    with pytest.raises(AssertionError, match="wrong returned 1"):
        confirm(facts, "right", "wrong")
    assert "residual 1, NOT 0" in capsys.readouterr().out


def test_fact_prints_theory_names_and_refuses_what_theory_md_lacks(capsys, monkeypatch, tmp_path):
    """``fact`` runs a derivations fact under its docs/theory.md name and equation numbers.
    Mutations that fail: a fact() that does not look the equation up in docs/theory.md lets "4.99" pass; one that
    prints without asserting lets the failing fact below pass; one that skips the theory.md listing lets the
    reference without the name pass."""
    import derivations.facts
    import rdbm_course.mathshow as mathshow
    from rdbm_course.mathshow import fact

    fact("marginal.a_gaussian_product", "4.8")
    assert capsys.readouterr().out.startswith("marginal.a_gaussian_product (docs/theory.md §4, eq. 4.8): ")
    fact("posterior.mean", "5.1", "5.3")
    assert "(docs/theory.md §5, eqs. 5.1, 5.3): " in capsys.readouterr().out
    # listed in §10 and §11: cited under the section of its equation (mutation that fails: the first listing, §10)
    fact("special.goub_numeric", "11.2")
    assert capsys.readouterr().out.startswith("special.goub_numeric (docs/theory.md §11, eq. 11.2): ")
    fact("special.goub_numeric")
    assert capsys.readouterr().out.startswith("special.goub_numeric (docs/theory.md §10): ")
    with pytest.raises(AssertionError, match="no equation"):
        fact("marginal.a_gaussian_product", "4.99")
    with pytest.raises(AssertionError, match="not a fact"):
        fact("marginal.gaussian_product", "4.8")
    failing = derivations.facts.Fact("marginal.c_boundary_values", lambda: sp.Integer(1), sp.Integer(0), "a false fact")
    monkeypatch.setitem(derivations.facts.BY_NAME, "marginal.c_boundary_values", failing)
    with pytest.raises(AssertionError, match="not verified"):
        fact("marginal.c_boundary_values", "4.4")
    assert "residual 1, NOT verified" in capsys.readouterr().out
    reference = tmp_path / "theory.md"
    reference.write_text("## 4. The marginal\n\n$$x \\tag{4.8}$$\n\n**Checked:** `marginal.b_moment_odes` (4.9).\n")
    monkeypatch.setattr(mathshow, "THEORY", reference)
    with pytest.raises(AssertionError, match="does not list"):
        fact("marginal.a_gaussian_product", "4.8")


def test_vanishes_by_powers_over_a_common_denominator(monkeypatch):
    """With common_denominator, each power is one fraction whose numerators cancel visibly: the kernel's [1] row reads
    (-1) + (1 - e^{2 tau}) + (e^{2 tau}) over e^{2 tau} - 1, and a residual that does not vanish is refused.
    Mutation that fails: multiplying each coefficient by its own denominator instead of the common one (the
    numerators -1, -1, 1 no longer cancel and the helper's assertion stops the display)."""
    import rdbm_course.mathshow as mathshow

    shown = []
    monkeypatch.setattr(mathshow, "_display", shown.append)
    tau, e_tau = sp.Symbol("tau", positive=True), sp.Symbol("E", positive=True)
    parts = {"a": 1 / (1 - sp.exp(2 * tau)), "b": sp.Integer(-1), "c": sp.exp(2 * tau) / (sp.exp(2 * tau) - 1)}
    vanishes_by_powers("R", parts, x, 0, "x", degree=0, gens={tau: e_tau}, common_denominator=True)
    assert shown[-1] == (r"\big[1\big]:\quad \frac{\big(-1\big) + \big(1 - e^{2 \tau}\big) + \big(e^{2 \tau}\big)}"
                         r"{e^{2 \tau} - 1} = 0")
    with pytest.raises(AssertionError):
        vanishes_by_powers("R", {**parts, "b": sp.Integer(1)}, x, 0, "x", degree=0, gens={tau: e_tau},
                           common_denominator=True)


def test_positive_terms_first_prints_x_minus_mu_and_can_be_undone():
    """positive_terms_first makes the module's LaTeX write x - mu (SymPy writes -mu + x) without changing values;
    on=False restores SymPy's order. Mutation that fails: ordering the negative terms first gives '- \\mu + x'."""
    from derivations.common import mu
    from rdbm_course.mathshow import latex, positive_terms_first

    try:
        positive_terms_first()
        assert latex(x - mu) == r"x - \mu" and latex(mu - x) == r"\mu - x"
        assert latex((x - mu) ** 2 / 2) == r"\frac{\left(x - \mu\right)^{2}}{2}"
    finally:
        positive_terms_first(False)
    assert latex(x - mu) == sp.latex(x - mu) == r"- \mu + x"


def test_print_names_renames_a_symbol_in_the_printing_only():
    """print_names({u: "u"}) prints the clock symbol thetabar_t as u, with positive_terms_first on or off, and None
    restores SymPy's name; the expression itself is unchanged. Mutation that fails: ignoring the names when
    positive_terms_first is on prints e^{\\bar{\\theta}_{t}}."""
    from derivations.common import u
    from rdbm_course.mathshow import latex, positive_terms_first, print_names

    try:
        print_names({u: "u"})
        assert latex(sp.exp(-u)) == "e^{- u}"
        positive_terms_first()
        assert latex(x - u) == "x - u" and latex(sp.exp(u)) == "e^{u}"
    finally:
        positive_terms_first(False)
        print_names(None)
    assert latex(sp.exp(u)) == sp.latex(sp.exp(u)) == r"e^{\bar{\theta}_{t}}"
