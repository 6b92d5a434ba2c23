"""Exercises of notebook 11 (fast bridge samplers): right answers pass, realistic wrong ones are caught with a hint
that does not give the answer away, and the truths are the library's."""
import math

import torch

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import half_log_snr, implicit_step
from rdbm_course.exercises import check
from rdbm_course.exercises.ex11_fast_samplers import slope_weight


def _wrong(exercise_id, answer):
    fb = check(exercise_id, answer)
    assert not fb and fb.attempted and fb.message and fb.hint, fb
    return fb


def test_slope_weight_is_the_kernel_moment_and_its_integral():
    """Mutation: h^2/2 (no kernel) differs from the quadrature by 0.13 at h = 1 and fails."""
    for h, k in ((1.0, 1.0), (0.3, 2.0), (2.5, 1.0)):
        r = torch.linspace(0, h, 20001, dtype=torch.float64)
        quad = float(torch.trapezoid(k * torch.exp(-k * (h - r)) * r, r))
        assert abs(slope_weight(h, k) - quad) < 1e-7


def test_11_1_slope_weight():
    assert check("11.1", math.exp(-1)) and check("11.1", 0.368)
    assert "without the exponential weight" in _wrong("11.1", 0.5).message
    assert "psi_0" in _wrong("11.1", 1 - math.exp(-1)).message
    assert "h itself" in _wrong("11.1", 1.0).message
    assert "not psi_1" in _wrong("11.1", 0.2).message
    assert "one number" in _wrong("11.1", "e").message
    for answer in (0.5, 0.632, 1.0, 0.2):
        assert "0.36" not in check("11.1", answer).hint and "e^-1" not in check("11.1", answer).hint


def _right(path, x_t, mu, t, s, x0_t, t_prev, x0_prev):
    lam_p, lam_t, lam_s = (half_log_snr(path, v) for v in (t_prev, t, s))
    theta_s = path.coefficients(torch.tensor(s, dtype=torch.float64))[0]
    slope = (x0_t - x0_prev) / (lam_t - lam_p)
    return implicit_step(path, x_t, x0_t, mu, t, s) + theta_s * slope_weight(lam_s - lam_t) * slope


def test_11_2_second_order_step():
    assert check("11.2", _right)
    first = _wrong("11.2", lambda p, x, m, t, s, x0, tp, x0p: implicit_step(p, x, x0, m, t, s))
    assert "first-order" in first.hint

    def variant(weight=None, sign=1.0, coef=0):
        def step(p, x, m, t, s, x0, tp, x0p):
            lp, lt, ls = (half_log_snr(p, v) for v in (tp, t, s))
            c = p.coefficients(torch.tensor(s, dtype=torch.float64))[coef]
            w = (ls - lt) ** 2 / 2 if weight == "taylor" else slope_weight(ls - lt)
            return implicit_step(p, x, x0, m, t, s) + sign * c * w * (x0 - x0p) / (lt - lp)
        return step
    assert "h^2/2" in _wrong("11.2", variant("taylor")).hint
    assert "sign" in _wrong("11.2", variant(sign=-1.0)).hint
    assert "Theta_s" in _wrong("11.2", variant(coef=2)).hint
    shape = _wrong("11.2", lambda *a: _right(*a)[0])
    assert "shape" in shape.message
    boom = _wrong("11.2", lambda *a: 1 / 0)
    assert "ZeroDivisionError" in boom.message


def test_11_2_matters_on_both_bridges():
    """The slope term is not negligible in the checked cases (else a first-order answer could pass)."""
    from rdbm_course.exercises.ex11_fast_samplers import step_setup
    cases, x_t, mu, x0_t, x0_prev = step_setup()
    assert {p.name for p, _ in cases} == {bridges.goub().name, bridges.bbdm().name}
    for path, (tp, t, s) in cases:
        diff = _right(path, x_t, mu, t, s, x0_t, tp, x0_prev) - implicit_step(path, x_t, x0_t, mu, t, s)
        assert float(diff.abs().max()) > 1e-4, (path.name, t)


def test_11_3_sde_noise_fraction():
    assert check("11.3", math.sqrt(3) / 2) and check("11.3", 0.866)
    assert "variance" in _wrong("11.3", 0.75).message
    assert "contraction" in _wrong("11.3", 0.5).message
    assert "pinned end" in _wrong("11.3", 1.0).message
    assert "not the fraction" in _wrong("11.3", 0.3).message
    for answer in (0.75, 0.5, 1.0, 0.3):
        assert "0.866" not in check("11.3", answer).hint and "sqrt(3)" not in check("11.3", answer).hint
