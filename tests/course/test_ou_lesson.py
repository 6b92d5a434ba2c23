"""The helpers of notebook 01 (``rdbm_course.ou_lesson``): its simulation, the scheme's exact moments, the grid
comparison, the formatter of Itô differentials and the two display-and-assert helpers."""
import math

import pytest
import sympy as sp
import torch

from derivations.common import lam, mu, pi, x
from derivations.family import ou_mean, ou_var
from rdbm_core.bridge import schedules
from rdbm_course import ou_lesson

DT = torch.float64
SCH = schedules.continuous_constant(2.0, 1.0)  # notebook 01's schedule: thbar_T = 2


def test_simulated_paths_have_the_free_moments_and_the_bridge_is_pinned():
    """2000 free paths at T have the scheme's mean and variance of x_T - mu (within 5 standard errors), the bridge's
    paths end within a few single-step noises of mu, and a pixel with pi = 0 never moves. Mutation that fails: the
    noise without the clock step (sqrt(2 lam) instead of sqrt(2 lam Delta u)) puts the free variance far off."""
    x0, mu_img = torch.tensor([0.6, 0.1], dtype=DT), torch.tensor([-0.2, 0.1], dtype=DT)
    g = torch.Generator().manual_seed(1)
    n, steps, lam_ = 2000, 100, 0.05
    free = ou_lesson.simulate_paths(SCH, lam_, x0, mu_img, n, steps, pinned=False, generator=g)
    bridge = ou_lesson.simulate_paths(SCH, lam_, x0, mu_img, n, steps, pinned=True, generator=g)
    assert free.shape == bridge.shape == (steps + 1, n, 2)
    step_u, pi_ = 2.0 / steps, 0.8
    a = 1 - step_u
    mean_em = a ** steps * pi_  # the scheme's exact mean of x_T - mu
    var_em = 2 * lam_ * step_u * pi_ ** 2 * (1 - a ** (2 * steps)) / (1 - a ** 2)  # and its exact variance
    end = free[-1, :, 0] - mu_img[0]
    assert abs(float(end.mean()) - mean_em) < 5 * math.sqrt(var_em / n)
    assert abs(float(end.var()) / var_em - 1) < 5 * math.sqrt(2 / n)
    one_step = math.sqrt(2 * lam_ * step_u) * pi_
    assert float((bridge[-1, :, 0] - mu_img[0]).abs().max()) < 6 * one_step
    for traj in (free, bridge):
        assert torch.equal(traj[:, :, 1], torch.full_like(traj[:, :, 1], 0.1))


def test_scheme_moments_converge_to_the_closed_form_at_first_order():
    """The scheme's exact moments start at (1, 0), end with Sigma = one step's noise, and their gap to the closed form
    halves with the step away from T; the closed form is the library's sinh formula. Mutation that fails: dropping
    a**2 on the carried variance (var = var + 2 lam Delta u) makes Sigma grow like the free spread, far off."""
    times, Theta, Sigma, Theta_em, Sigma_em = ou_lesson.scheme_moments(SCH, 0.05, 200)
    assert len(times) == 201 and float(Theta_em[0]) == 1.0 and float(Sigma_em[0]) == 0.0
    u = 2.0 * times
    assert torch.allclose(Theta, torch.sinh(2.0 - u) / math.sinh(2.0), atol=1e-12)
    assert abs(float(Sigma_em[-1]) / math.sqrt(2 * 0.05 * 0.01) - 1) < 1e-6
    gaps, half = ou_lesson.step_gaps(SCH, 0.05, 200), ou_lesson.step_gaps(SCH, 0.05, 400)
    assert gaps["Theta"] < 0.2 * 0.01 and gaps["Sigma"] < 0.2 * 0.01
    assert abs(half["Theta"] / gaps["Theta"] - 0.5) < 0.02 and abs(half["Sigma"] / gaps["Sigma"] - 0.5) < 0.02
    assert gaps["worst"] == 199


def test_grid_coefficients_depend_on_the_clock_alone():
    assert ou_lesson.grid_gap_to_continuous(schedules.reference(100), 0.05) < 1e-12
    assert ou_lesson.grid_gap_to_continuous(schedules.constant_theta(20, 3.0), 0.01) < 1e-12


def test_difference_and_gaussian_log_rate_assert_what_they_show(monkeypatch):
    """Both helpers pass on a true identity and raise on a false one (displays switched off)."""
    monkeypatch.setattr(ou_lesson, "show", lambda *args: None)
    u = sp.Symbol("u", positive=True)
    ou_lesson.difference("M", ou_mean(u, mu + pi), mu + pi * sp.exp(-u))
    with pytest.raises(AssertionError):
        ou_lesson.difference("M", ou_mean(u, mu + pi), mu + pi * sp.exp(-2 * u))
    tau = sp.Symbol("tau", positive=True)
    mean, var = ou_mean(tau, mu + 1), ou_var(tau)
    log_density = -(x - mean) ** 2 / (2 * var) - sp.log(var) / 2
    ou_lesson.gaussian_log_rate("L", log_density, x, "x", mean, var, tau, r"\tau")
    with pytest.raises(AssertionError):
        ou_lesson.gaussian_log_rate("L", log_density + lam * tau, x, "x", mean, var, tau, r"\tau")


def test_differentials_tex_writes_the_differentials_last_and_keeps_every_term():
    """(dx)^2 with dx = a dt + g dw: three terms, highest powers of dt first, each coefficient before its
    differentials; an expression with no term is "0". Mutation that fails: dropping the sort by total degree puts
    g dt before dw^2 in the last but one case."""
    dt, dw, a, g = sp.symbols("dt dw a g")
    assert ou_lesson.differentials_tex((a * dt + g * dw) ** 2, dt, dw) == \
        r"a^{2}\,dt^2 + 2 a g\,dt\,dw + g^{2}\,dw^2"
    assert ou_lesson.differentials_tex(g ** 2 * dt - 2 * dt ** 2 + (a + g) * dw, dt, dw) == \
        r"-2\,dt^2 + g^{2}\,dt + \left(a + g\right)\,dw"
    assert ou_lesson.differentials_tex(g * dt + dw ** 2, dt, dw) == r"dw^2 + g\,dt"
    assert ou_lesson.differentials_tex(sp.Integer(0), dt, dw) == "0"


def test_ito_keeps_dt_and_dw_and_turns_dw_squared_into_dt():
    """Itô's rules on (dx)^2 and on d(x^2) for dx = a dt + g dw: (dx)^2 = g^2 dt, d(x^2) = (2 x a + g^2) dt + 2 x g dw;
    a product of total degree 3 is 0. Mutation that fails: keeping dt dw (i + j <= 2 instead of dw^2 alone) leaves
    2 a g dt dw in (dx)^2."""
    dt, dw, a, g = sp.symbols("dt dw a g")
    dx = a * dt + g * dw
    assert sp.expand(ou_lesson.ito(dx ** 2, dt, dw) - g ** 2 * dt) == 0
    assert sp.expand(ou_lesson.ito((x + dx) ** 2 - x ** 2, dt, dw) - ((2 * x * a + g ** 2) * dt + 2 * x * g * dw)) == 0
    assert ou_lesson.ito(dw ** 3 + dt * dw ** 2, dt, dw) == 0
