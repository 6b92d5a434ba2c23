"""The *derive* exercises (a SymPy expression or a formula): right answers pass, realistic wrong ones are caught
with a hint that does not give the answer away. The derive exercises of notebooks 01 to 02b are graded on the
student's steps (a dict of SymPy expressions): the final formula alone, the library's or typed in, is refused."""
import math

import sympy as sp

from derivations import family
from derivations import reverse as reverse_mod
from derivations.common import a, b, c, d, eps, lam, mu, pi, pihat, u, x, xt, zero
from derivations.special_cases import G_t
from rdbm_course.exercises import check

from exercise_feedback import assert_caught, wrong  # tests/course/exercise_feedback.py

G_T = sp.Symbol("G_T", positive=True)


def _gauss(z, mean, var):
    """A Gaussian log-density in ``z`` without its normalising constant (the test's own, not the derivations')."""
    return -(z - mean) ** 2 / (2 * var)


def _theta_steps():
    """01.1 worked independently: the mean ODE of the bridge, an integrating factor, its solution from M(0) = x0."""
    M = sp.Symbol("M", real=True)
    dM_du = sp.expand(-sp.cosh(c - u) / sp.sinh(c - u) * (M - mu))
    factor = 2 / (sp.exp(c - u) - sp.exp(u - c))  # 1 / sinh(c - u), written with exponentials
    theta = factor.subs(u, 0) / factor  # I (M - mu) = I(0) pi, so (M - mu) / pi = I(0) / I(u)
    return {"dM_du": dM_du, "factor": factor, "Theta": sp.simplify(theta)}


def test_01_1_theta_graded_on_steps():
    """Mutations tried: the free OU's mean ODE, the variance's integrating factor and Theta's two ends swapped are
    each caught at their own step."""
    steps = _theta_steps()
    M = sp.Symbol("M", real=True)
    assert check("01.1", steps)
    assert check("01.1", {**steps, "Theta": "sinh(thetabar_T - thetabar_t)/sinh(thetabar_T)"})
    assert check("01.1", {**steps, "factor": 5 * steps["factor"]})  # any constant multiple
    right = family.Theta(u, c)
    free = wrong("01.1", {**steps, "Theta": sp.exp(-u)}, str(right))  # the free OU process
    assert "free" in free.hint and "'Theta'" in free.message
    assert_caught(check("01.1", {**steps, "Theta": family.Psi(u, c)}), str(right))
    assert "equal 1" in wrong("01.1", {**steps, "Theta": 2 * right}, str(right)).hint
    free_ode = wrong("01.1", {**steps, "dM_du": mu - M}, str(right))
    assert "free OU" in free_ode.hint and "'dM_du'" in free_ode.message
    assert "expectation" in wrong("01.1", {**steps, "dM_du": sp.coth(c - u) * (mu - x)}, str(right)).hint
    twice = wrong("01.1", {**steps, "factor": 1 / sp.sinh(c - u) ** 2}, str(right))
    assert "once, not twice" in twice.hint and "'factor'" in twice.message
    assert "sign" in wrong("01.1", {**steps, "factor": sp.sinh(c - u)}, str(right)).hint
    assert "lacks" in wrong("01.1", {"Theta": right}, str(right)).message


def test_01_1_and_01_2_refuse_the_library_formula_passed_through():
    """The final formula alone, the library's own (``family.Theta``, ``family.Sigma2``) or typed in, is refused: it
    is one call away in the derivations package (and SymPy's cache makes the two the same object).  Mutation
    tried: accepting a bare expression (the old checker) lets ``family.Theta(u, c)`` pass."""
    for exercise_id, formula in (("01.1", family.Theta(u, c)), ("01.1", sp.sinh(c - u) / sp.sinh(c)),
                                 ("01.2", family.Sigma2(u, c))):
        feedback = wrong(exercise_id, formula)
        assert "graded on your steps" in feedback.message


def _sigma2_steps():
    """01.2 worked independently: the variance ODE, an integrating factor, its solution from Q(0) = 0."""
    Q, r = sp.Symbol("Q", real=True), sp.Symbol("r", positive=True)
    dQ = -2 * sp.coth(c - u) * Q + 2 * lam * pi ** 2
    factor = 3 / sp.sinh(c - u) ** 2  # any constant multiple
    q = sp.integrate((2 * lam * pi ** 2 * factor).subs(u, r), (r, 0, u)) / factor
    return {"dQ_du": dQ, "factor": factor, "Sigma2": sp.simplify(q / pi ** 2)}


def test_01_2_sigma2_graded_on_steps():
    steps = _sigma2_steps()
    assert check("01.2", steps)
    right = family.Sigma2(u, c)
    Q = sp.Symbol("Q")
    free_ode = wrong("01.2", {**steps, "dQ_du": -2 * Q + 2 * lam * pi ** 2}, str(right))
    assert "free OU" in free_ode.hint
    assert "twice" in wrong("01.2", {**steps, "dQ_du": -sp.coth(c - u) * Q + 2 * lam * pi ** 2}, str(right)).hint
    assert "opposite sign" in wrong("01.2", {**steps, "factor": sp.sinh(c - u) ** 2}, str(right)).message
    free_ou = wrong("01.2", {**steps, "Sigma2": lam * (1 - sp.exp(-2 * u))}, str(right))
    assert "free OU" in free_ou.hint
    assert "constant factor 0.5" in wrong("01.2", {**steps, "Sigma2": right / 2}, str(right)).message


def _posterior_steps():
    """02a.1 worked independently: Bayes with the h's cancelled, p(x_s | x0) p(x_t | x_s), in x = x_s."""
    log_prior = _gauss(x, mu + sp.exp(-a) * pi, lam * (1 - sp.exp(-2 * a)) * pi ** 2)
    log_kernel = _gauss(xt, mu + sp.exp(-b) * (x - mu), lam * (1 - sp.exp(-2 * b)) * pi ** 2)
    precision = sp.simplify(-sp.diff(log_prior + log_kernel, x, 2))
    mean = sp.solve(sp.diff(log_prior + log_kernel, x), x)[0]  # the root of the x-derivative
    return {"log_prior": log_prior, "log_kernel": log_kernel, "precision": precision,
            "V": sp.simplify(1 / (precision * pi ** 2)), "K": sp.simplify(sp.diff(mean, xt))}


def test_02a_1_posterior_variance_graded_on_steps():
    P, K, V = family.posterior_coefficients(a, b)
    steps = _posterior_steps()
    assert check("02a.1", steps)
    # the law of total variance, written with thbar_{t:T}, is the same quantity (d cancels)
    assert check("02a.1", {**steps, "V": family.Sigma2(a, a + b + d) - K ** 2 * family.Sigma2(a + b, a + b + d)})
    marginal = wrong("02a.1", {**steps, "V": family.Sigma2(a, a + b + d)}, str(V))
    assert "thbar_{t:T}" in marginal.hint
    kernel = wrong("02a.1", {**steps, "V": lam * (1 - sp.exp(-2 * b))}, str(V))
    assert "forward kernel" in kernel.hint
    factor = wrong("02a.1", {**steps, "V": V / 2}, str(V))
    assert "constant factor 0.5" in factor.message
    bridge = _gauss(x, family.bridge_mean(a, a + b + d), family.Sigma2(a, a + b + d) * pi ** 2)
    assert "h(x_s, s) cancels" in wrong("02a.1", {**steps, "log_prior": bridge}, str(V)).hint


def test_02a_1_weight_of_x_t_graded():
    """The K step: the independent derivation agrees with the library's K; wrong weights are caught with a hint.
    Mutation tried: K's reference set to P makes the right steps fail."""
    P, K, _ = family.posterior_coefficients(a, b)
    steps = _posterior_steps()
    assert check("02a.1", steps)
    forward = wrong("02a.1", {**steps, "K": sp.exp(-b)}, str(K))
    assert "forward mean" in forward.hint
    assert "tend to 1" in wrong("02a.1", {**steps, "K": P}, str(K)).hint  # the weight of x0 instead
    assert "thbar_{t:T}" in wrong("02a.1", {**steps, "K": family.Psi(a, a + b + d)}, str(K)).hint
    assert "step 5, 'K'" in wrong("02a.1", {**steps, "K": K * sp.exp(b)}, str(K)).message
    missing = {k: v for k, v in steps.items() if k != "K"}
    assert "'K'" in wrong("02a.1", missing, str(K)).message


def test_02a_1_refuses_the_library_value_passed_through():
    """Notebook 02a used to unpack ``P, K, _ = family.posterior_coefficients(a, b)``, and ``check("02a.1", _)``
    said correct.  Mutation tried: accepting a bare expression lets it pass."""
    _, _, V = family.posterior_coefficients(a, b)
    assert "graded on your steps" in wrong("02a.1", V).message
    assert "graded on your steps" in wrong("02a.1", 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b)).message


def _velocity_steps():
    """02b.1 worked independently, with Theta and Sigma^2 written out."""
    theta_t = sp.sinh(c - u) / sp.sinh(c)
    sigma2_t = 2 * lam * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)
    score = sp.diff(_gauss(x, mu + theta_t * pihat, sigma2_t * pihat ** 2), x)
    g2_score = sp.cancel(2 * lam * pihat ** 2 * score)
    return {"g2_score": g2_score, "velocity": sp.coth(c - u) * (mu - x) - g2_score / 2}


def test_02b_1_pf_velocity_graded_on_steps():
    right = family.pf_velocity(x, u, c, pihat)
    drift = family.bridge_drift(u, c)
    score_term = right - drift
    steps = _velocity_steps()
    assert check("02b.1", steps)
    assert check("02b.1", {**steps, "velocity": sp.expand(drift + lam * (x - mu) / family.Sigma2(u, c)
                                                          - lam * family.Theta(u, c) * pihat / family.Sigma2(u, c))})
    reverse = wrong("02b.1", {**steps, "velocity": drift + 2 * score_term}, str(right))
    assert "reverse-time SDE" in reverse.hint
    assert "forward drift" in wrong("02b.1", {**steps, "velocity": drift}, str(right)).hint
    assert "sign" in wrong("02b.1", {**steps, "velocity": drift - score_term}, str(right)).hint
    assert_caught(check("02b.1", {**steps, "velocity": drift + score_term / 2}), str(right))
    assert_caught(check("02b.1", {**steps, "velocity": 2 * right}), str(right))
    assert "sign" in wrong("02b.1", {**steps, "g2_score": -steps["g2_score"]}, str(right)).hint
    assert "'g2_score'" in wrong("02b.1", {**steps, "g2_score": steps["g2_score"] / 2}, str(right)).message
    # refused: the library's formula alone (it used to pass)
    assert "graded on your steps" in wrong("02b.1", right).message


def _near_T_steps():
    """02b.2 worked independently: the leading terms of Theta_t and Sigma_t^2, then the three parts of the velocity on
    the path, times sqrt(d), as d -> 0."""
    theta_t = sp.sinh(d) / sp.sinh(c)
    sigma_t = sp.sqrt(2 * lam * sp.sinh(c - d) * sp.sinh(d) / sp.sinh(c))
    parts = {"v_mean": -sp.coth(d) * theta_t * pi, "v_noise": -sp.coth(d) * sigma_t * pi * eps,
             "v_score": lam * pi * eps / sigma_t}
    limits = {k: sp.limit(sp.sqrt(d) * v, d, 0) for k, v in parts.items()}
    leading = {"Theta_lead": sp.series(theta_t, d, 0, 2).removeO(),
               "Sigma2_lead": sp.series(sigma_t ** 2, d, 0, 2).removeO()}
    return {**leading, **limits, "v": sum(limits.values())}


def test_02b_2_velocity_near_T_graded_on_steps():
    """The checker's truth is SymPy's limit; realistic slips (the forward drift alone, the reverse-SDE drift, the score
    term's sign, no eps) are caught with their hint.  Mutation tried: a reference taken with the score
    term's sign flipped made the right answer fail."""
    right = -sp.sqrt(lam / 2) * pi * eps
    steps = _near_T_steps()
    assert zero(steps["v"] - right) == 0
    assert check("02b.2", steps) and check("02b.2", {**steps, "v": -sp.sqrt(2 * lam) * pi * eps / 2})
    drift_only = wrong("02b.2", {**steps, "v": 2 * right}, str(right), "sqrt(lam/2)")
    assert "forward drift" in drift_only.hint
    assert "reverse-SDE" in wrong("02b.2", {**steps, "v": sp.Integer(0)}).hint
    assert "sign" in wrong("02b.2", {**steps, "v_score": -steps["v_score"]}).hint
    assert "eps" in wrong("02b.2", {**steps, "v_noise": -sp.sqrt(2 * lam) * pi}).hint
    assert "'v_mean'" in wrong("02b.2", {**steps, "v_mean": pi}).message
    # the leading-order steps: Theta_t or Sigma_t^2 themselves (not their leading terms) are refused with a hint.
    # Mutation that fails: a checker whose reference for Sigma2_lead is lam d (the 2 dropped).
    assert "Theta_t itself" in wrong("02b.2", {**steps, "Theta_lead": sp.sinh(d) / sp.sinh(c)}).hint
    assert "Sigma_t^2 itself" in wrong("02b.2", {**steps, "Sigma2_lead": family.Sigma2(c - d, c)}).hint
    assert "'Sigma2_lead'" in wrong("02b.2", {**steps, "Sigma2_lead": lam * d}).message
    # the old keys A, B, C (which collided with e^a, e^b, e^c) are refused by name
    assert "v_mean" in wrong("02b.2", {"A": 0, "B": 0, "C": 0, "v": right}).message
    # the old key "rate" (renamed "v": "rate" meant other things in notebook 02b) is refused, naming the new one.
    # Mutation that fails: a checker that still names the step "rate".
    assert "'v'" in wrong("02b.2", {**{k: v for k, v in steps.items() if k != "v"}, "rate": right}).message
    # refused: the limit alone, the derivations' own or typed in (the old checker accepted both)
    assert "graded on your steps" in wrong("02b.2", reverse_mod.check_near_T_rate()).message
    assert "graded on your steps" in wrong("02b.2", right).message


def test_03_1_brownian_correction():
    """kappa in Sigma_t^2(delta) = G_t (G_T - G_t)/G_T (1 + kappa delta^2 + O(delta^4)): any equivalent form passes;
    the sign, a factor, the absolute delta^2 coefficient and the numerator-only expansion are caught without the
    answer. Mutation that fails: a checker whose truth is the absolute delta^2 coefficient of Sigma_t^2 (not divided
    by the limit): the right answer below is then refused."""
    right = -G_t * (G_T - G_t) / 3
    assert check("03.1", right)
    assert check("03.1", "(G_t**2 + (G_T - G_t)**2 - G_T**2)/6")  # the ratio of the three sinh brackets, unsimplified
    giveaways = (str(right), "-G_t*(G_T - G_t)/3", "G_t(G_T-G_t)/3")
    assert "opposite sign" in wrong("03.1", -right, *giveaways).message
    assert "constant factor 0.5" in wrong("03.1", right / 2, *giveaways).message
    assert "relative" in wrong("03.1", right * G_t * (G_T - G_t) / G_T, *giveaways).hint
    assert "denominator" in wrong("03.1", (G_t ** 2 + (G_T - G_t) ** 2) / 6, *giveaways).hint
    assert "vanish" in wrong("03.1", -G_T ** 2 / 12, *giveaways).hint
    assert "not part of this problem" in wrong("03.1", "delta**2 * G_t").message


def test_06_3_decibel_averaging_is_named():
    assert check("06.3", lambda pd, pi, f: -10 * math.log10(f * 10 ** (-pd / 10) + (1 - f) * 10 ** (-pi / 10)))
    fb = wrong("06.3", lambda pd, pi, f: f * pd + (1 - f) * pi)  # also on the case with an identical region (inf)
    assert "averaged the PSNRs" in fb.message
    wrong("06.3", lambda pd, pi, f: max(pd, pi))
    wrong("06.3", lambda pd, pi, f: -10 * math.log10(f * 10 ** (-pd / 10)))  # the intact region left out

