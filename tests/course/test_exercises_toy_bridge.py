"""Exercises of notebook 10 (the learned toy bridge): right answers pass, realistic wrong ones are caught with a
hint that does not give the answer away, and the truths are the library's / the mixture's."""
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_course.exercises import check
from rdbm_course.exercises.ex10_toy_bridge import residual_moments_at_mu


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


def _variance(p, t, s):
    """V per unit nu(pi)^2 from the clock (theory 5.2), as a student writes it."""
    a = p.schedule.clock(s)
    b = p.schedule.clock(t) - a
    return 2 * p.lam * torch.sinh(a) * torch.sinh(b) / torch.sinh(a + b)


def _right(path, x0_hat, mu, t, s):
    return _variance(path, t, s).sqrt() * path.noise_factor(x0_hat, mu).abs()


def test_10_3_ancestral_noise_std():
    assert check("10.3", _right)
    marginal = _wrong("10.3", lambda p, x, m, t, s: p.coefficients(s)[2] * p.noise_factor(x, m).abs())
    assert "marginal" in marginal.hint
    signed = _wrong("10.3", lambda p, x, m, t, s: _variance(p, t, s).sqrt() * p.noise_factor(x, m))
    assert "never negative" in signed.hint
    unscaled = _wrong("10.3", lambda p, x, m, t, s: _variance(p, t, s).sqrt() * torch.ones_like(x))
    assert "predicted residual" in unscaled.hint
    shape = _wrong("10.3", lambda p, x, m, t, s: _right(p, x, m, t, s)[:, 0])
    assert "shape" in shape.message
    boom = _wrong("10.3", lambda *a: 1 / 0)
    assert "ZeroDivisionError" in boom.message


def test_10_3_refuses_the_library_posterior():
    """Mutation: a GuardedPath that does not record posterior_coefficients/posterior/std lets the one-call answers
    below pass (they are numerically right), and this test fails."""
    one_call = _wrong("10.3", lambda p, x, m, t, s: p.posterior_coefficients(t, s)[2].sqrt()
                      * p.noise_factor(x, m).abs())
    assert "posterior_coefficients" in one_call.message and "clock" in one_call.message
    posterior = _wrong("10.3", lambda p, x, m, t, s: p.posterior(m, x, m, t, s)[1])
    assert "path.posterior" in posterior.message


def test_10_3_catches_a_formula_that_divides_by_sigma_t():
    """Mutation: dropping the t = t_T step (1.0, 0.9) from the checker lets this answer (V from (5.4) with
    K = sqrt(Sigma_s^2 - V)/Sigma_t written as Sigma_s^2 - K^2 Sigma_t^2 with K from Theta/Sigma ratios, NaN at t_T)
    pass, and this test fails."""
    def via_ratio(p, x, m, t, s):
        th_t, _, sg_t = p.coefficients(t)
        th_s, _, sg_s = p.coefficients(s)
        k = (sg_s ** 2 / th_s) / (sg_t ** 2 / th_t)  # S(u_s) / S(u_t): 0/0 at t_T
        return (sg_s ** 2 - k ** 2 * sg_t ** 2).sqrt() * p.noise_factor(x, m).abs()
    fb = _wrong("10.3", via_ratio)
    assert "t = t_T" in fb.hint
