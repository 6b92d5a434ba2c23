"""The *derive* exercises (a SymPy expression or a formula): right answers pass, realistic wrong ones are caught
with a hint that does not give the answer away."""
import math

import sympy as sp

from derivations import family
from derivations.common import a, b, c, d, eps, lam, mu, pi, pihat, u, x
from derivations.special_cases import G_t
from rdbm_course.exercises import check

from exercise_feedback import assert_caught, wrong  # tests/course/exercise_feedback.py

G_T = sp.Symbol("G_T", positive=True)


def test_01_1_theta():
    right = family.Theta(u, c)
    assert check("01.1", right)
    assert check("01.1", "sinh(thetabar_T - thetabar_t)/sinh(thetabar_T)")
    assert_caught(check("01.1", sp.exp(-u)), str(right))  # the free OU process
    assert_caught(check("01.1", family.Psi(u, c)), str(right))
    assert_caught(check("01.1", 2 * right), str(right))
    assert "free" in check("01.1", sp.exp(-u)).hint


def test_01_2_sigma2():
    right = family.Sigma2(u, c)
    assert check("01.2", right)
    free_ou = check("01.2", lam * (1 - sp.exp(-2 * u)))
    assert_caught(free_ou, str(right))
    assert "free OU" in free_ou.hint
    half = check("01.2", right / 2)
    assert_caught(half, str(right))
    assert "constant factor 0.5" in half.message


def test_02a_1_posterior_variance():
    P, K, V = family.posterior_coefficients(a, b)
    assert check("02a.1", V)
    # the law of total variance, written with thbar_{t:T}, is the same quantity (d cancels)
    assert check("02a.1", family.Sigma2(a, a + b + d) - K ** 2 * family.Sigma2(a + b, a + b + d))
    marginal = check("02a.1", family.Sigma2(a, a + b + d))
    assert_caught(marginal, str(V))
    assert "thbar_{t:T}" in marginal.hint
    kernel = check("02a.1", lam * (1 - sp.exp(-2 * b)))
    assert_caught(kernel, str(V))
    assert "forward kernel" in kernel.hint
    factor = check("02a.1", V / 2)
    assert_caught(factor, str(V))
    assert "constant factor 0.5" in factor.message


def test_02b_1_pf_velocity():
    right = family.pf_velocity(x, u, c, pihat)
    drift = family.bridge_drift(u, c)
    score_term = right - drift
    assert check("02b.1", right)
    assert check("02b.1", sp.expand(drift + lam * (x - mu) / family.Sigma2(u, c)
                                   - lam * family.Theta(u, c) * pihat / family.Sigma2(u, c)))
    reverse = check("02b.1", drift + 2 * score_term)
    assert_caught(reverse, str(right))
    assert "reverse-time SDE" in reverse.hint
    assert "forward drift" in check("02b.1", drift).hint
    assert "sign" in check("02b.1", drift - score_term).hint
    assert_caught(check("02b.1", drift + score_term / 2), str(right))
    assert_caught(check("02b.1", 2 * right), str(right))


def test_02b_2_velocity_near_T():
    """The checker's truth is SymPy's limit; realistic slips (the forward drift alone, the reverse-SDE drift, the score
    term's sign, no eps, a lam-power) are caught with their hint.  Mutation tried: a reference taken with the score
    term's sign flipped made the right answer fail."""
    right = -sp.sqrt(lam / 2) * pi * eps
    assert check("02b.2", right) and check("02b.2", -sp.sqrt(2 * lam) * pi * eps / 2)
    drift_only = check("02b.2", 2 * right)
    assert_caught(drift_only, str(right), "sqrt(lam/2)")
    assert "forward drift" in drift_only.hint
    assert "reverse-SDE" in check("02b.2", sp.Integer(0)).hint
    assert "sign" in check("02b.2", 3 * right).hint
    assert "eps" in check("02b.2", -sp.sqrt(lam / 2) * pi).hint
    assert "scale with lam" in check("02b.2", -lam * pi * eps).hint


def test_03_1_brownian_variance():
    right = G_t * (G_T - G_t) / G_T
    assert check("03.1", right)
    assert check("03.1", "G_t - G_t**2/G_T")
    free = check("03.1", G_t)
    assert_caught(free, str(right))
    assert "free Brownian motion" in free.hint
    factor = check("03.1", 2 * right)
    assert_caught(factor, str(right))
    assert "constant factor 2" in factor.message
    assert_caught(check("03.1", G_t * G_T / (G_T - G_t)), str(right))


def test_06_3_decibel_averaging_is_named():
    assert check("06.3", lambda pd, pi, f: -10 * math.log10(f * 10 ** (-pd / 10) + (1 - f) * 10 ** (-pi / 10)))
    fb = wrong("06.3", lambda pd, pi, f: f * pd + (1 - f) * pi)  # also on the case with an identical region (inf)
    assert "averaged the PSNRs" in fb.message
    wrong("06.3", lambda pd, pi, f: max(pd, pi))
    wrong("06.3", lambda pd, pi, f: -10 * math.log10(f * 10 ** (-pd / 10)))  # the intact region left out

