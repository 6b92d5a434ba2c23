"""Exercises of notebook 10 (the learned toy bridge): right answers pass, realistic wrong ones are caught with a
hint that does not give the answer away, and the truths are the library's / the mixture's."""
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_course.exercises import check
from rdbm_course.exercises.ex10_toy_bridge import STEPS_10_3, exact_step_std_at_mu, residual_moments_at_mu


def _wrong(exercise_id, answer):
    fb = check(exercise_id, answer)
    assert not fb and fb.attempted and fb.message and fb.hint, fb
    return fb


def test_posterior_residual_at_mu_is_zero_and_its_square_is_near_ab():
    """Mutation: weighting by |pi| instead of 1/|pi| gives E[pi | mu] = (1 - 0.09) / 2.6 != 0 and fails here."""
    mean, square = residual_moments_at_mu()
    assert abs(mean) < 1e-12
    assert 0.28 < square < 0.30  # E|pi| / E[1/|pi|]: 1.0 x 0.3 for point modes, a little less with width 0.05
    # the same from the library's path at two times and two lam (the likelihood of x_t = mu, quadrature over x0)
    x0 = torch.cat([m + 0.05 * torch.linspace(-5, 5, 2001, dtype=torch.float64) for m in (-0.6, 0.7)])[None]
    prior = sum(torch.exp(-0.5 * ((x0 - m) / 0.05) ** 2) for m in (-0.6, 0.7))
    mu = torch.full_like(x0, 0.4)
    for lam, t in ((0.1, 0.5), (1e-2, 0.9)):
        path = bridges.ou_bridge(schedules.continuous_constant(3.0), lam, noise="modulated")
        mean_t, sd = path.mean(x0, mu, t), path.std(x0, mu, t)
        w = prior * torch.exp(-0.5 * ((0.4 - mean_t) / sd) ** 2) / sd
        assert abs(float((w * (x0 - 0.4)).sum() / w.sum()) - mean) < 1e-9
        assert abs(float((w * (x0 - 0.4) ** 2).sum() / w.sum()) - square) < 1e-6


def test_10_1_prediction_at_mu():
    assert check("10.1", 0.4) and check("10.1", 0.405)
    assert "t = T" in _wrong("10.1", 0.05).message
    assert "one mode" in _wrong("10.1", -0.6).message
    assert "one mode" in _wrong("10.1", 0.7).message
    assert "not the posterior mean" in _wrong("10.1", 0.2).message
    assert "one number" in _wrong("10.1", "mu").message
    for answer in (0.05, -0.6, 0.2):
        assert "0.4" not in check("10.1", answer).hint


def test_10_2_mean_square_residual():
    assert check("10.2", 0.293) and check("10.2", 0.30)
    assert "plug-in" in _wrong("10.2", 0.0).message
    assert "prior" in _wrong("10.2", 0.5475).message
    assert "E|pi|" in _wrong("10.2", 0.65).message
    assert "not E[pi^2" in _wrong("10.2", 0.2).message
    for answer in (0.0, 0.5475, 0.65, 0.2):
        assert "0.3" not in check("10.2", answer).hint and "0.29" not in check("10.2", answer).hint


E_PI2 = residual_moments_at_mu()[1]


def _right(path, t, s):
    """(V + P^2) E[pi^2 | x_t = mu], as a student writes it from 10.1, 10.2 and the law of total variance."""
    p_coef, _, v = path.posterior_coefficients(t, s)
    return ((v + p_coef ** 2) * E_PI2).sqrt()


def _with(fn):
    """A student's function built from (P, V) by ``fn(P, V)``."""
    def answer(path, t, s):
        p_coef, _, v = path.posterior_coefficients(t, s)
        return fn(p_coef, v)
    return answer


def test_exact_step_truth_is_the_closed_form_and_the_forward_process():
    """The checker's truth (quadrature over x0, law of total variance over the library's posterior) equals
    (V + P^2) E[pi^2 | x_t = mu] at every checked step, and a rejection experiment on the forward process agrees.
    Mutation: dropping the variance of the posterior mean from ``exact_step_std_at_mu`` gives sqrt(V E[pi^2]), 75 %
    low at (0.01, 0.5, 0.3), and both comparisons fail."""
    for lam, t, s in STEPS_10_3:
        path = bridges.ou_bridge(schedules.continuous_constant(3.0), lam, noise="modulated")
        tt, ss = torch.tensor(t, dtype=torch.float64), torch.tensor(s, dtype=torch.float64)
        assert abs(exact_step_std_at_mu(path, tt, ss) / float(_right(path, tt, ss)) - 1) < 1e-9
    path = bridges.ou_bridge(schedules.continuous_constant(3.0), 0.01, noise="modulated")
    tt, ss = torch.tensor(0.5, dtype=torch.float64), torch.tensor(0.3, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    n = 2_000_000
    upper = torch.rand(n, 1, generator=gen) < 0.5
    x0 = torch.where(upper, 0.7, -0.6).double() + 0.05 * torch.randn(n, 1, generator=gen, dtype=torch.float64)
    mu = torch.full_like(x0, 0.4)
    x_t = path.sample(x0, mu, tt.expand(n), generator=gen)
    keep = (x_t - 0.4).abs().ravel() < 0.002
    mean_s, sd_s = path.posterior(x_t[keep], x0[keep], mu[keep], tt, ss)
    x_s = mean_s + sd_s * torch.randn(mean_s.shape, generator=gen, dtype=torch.float64)
    assert int(keep.sum()) > 3000
    assert abs(float(x_s.std()) / exact_step_std_at_mu(path, tt, ss) - 1) < 0.04


def test_10_3_exact_step_std():
    assert check("10.3", _right)
    assert check("10.3", _with(lambda p, v: float(((v + p ** 2) * 0.30).sqrt())))  # point modes, 1.2 % high
    plug_in = _wrong("10.3", lambda path, t, s: 0.0)
    assert "plug-in" in plug_in.hint
    no_p = _wrong("10.3", _with(lambda p, v: (v * E_PI2).sqrt()))
    assert "first term" in no_p.hint and "t = 0.5" in no_p.message  # passes the first step (P^2 is 2 % of V there)
    only_p = _wrong("10.3", _with(lambda p, v: p.abs() * E_PI2 ** 0.5))
    assert "posterior mean only" in only_p.hint
    global_v = _wrong("10.3", _with(lambda p, v: (v + p ** 2 * E_PI2).sqrt()))
    assert "nu(pi) = pi" in global_v.hint
    prior = _wrong("10.3", _with(lambda p, v: ((v + p ** 2) * 0.5475).sqrt()))
    assert "prior" in prior.hint
    variance = _wrong("10.3", _with(lambda p, v: (v + p ** 2) * E_PI2))
    assert "standard deviation" in variance.hint
    vector = _wrong("10.3", lambda path, t, s: torch.ones(3))
    assert "one finite number" in vector.message
    boom = _wrong("10.3", lambda *a: 1 / 0)
    assert "ZeroDivisionError" in boom.message
    for fb in (plug_in, no_p, only_p, global_v, prior, variance):
        assert "P^2) E" not in fb.hint and "0.29" not in fb.hint and "0.3" not in fb.hint


def test_10_3_refuses_the_checkers_own_moments():
    """Mutation: removing ``refuse_library`` from the checker lets this answer (right, through the checker's own
    E[pi^2 | x_t = mu]) pass, and this test fails."""
    def through_checker(path, t, s):
        p_coef, _, v = path.posterior_coefficients(t, s)
        return ((v + p_coef ** 2) * residual_moments_at_mu()[1]).sqrt()
    fb = _wrong("10.3", through_checker)
    assert "residual_moments_at_mu" in fb.message


def test_10_4_where_the_learned_predictor_loses_the_upper_mode():
    """The right end 0.3 of (0.1, 0.3] passes; the other two intervals get a hint that names no interval; anything
    that is not one of the three ends is refused with the expected format.
    Mutation that fails: accepting any of the three ends (``WORST_10_4`` compared with a tolerance of 0.2) lets 0.1
    and 0.5 pass, and the first ``_wrong`` fails."""
    assert check("10.4", 0.3) and check("10.4", "0.3")
    for answer, where in ((0.1, "(0, 0.1]"), (0.5, "(0.3, 0.5]")):
        fb = _wrong("10.4", answer)
        assert where in fb.message and "not the most" in fb.message
        assert "(0.1, 0.3]" not in fb.message + fb.hint and "0.3]" not in fb.hint
    for answer in (0.2, 3, "(0.1, 0.3]", [0.3]):
        assert "expected the right end" in _wrong("10.4", answer).message
