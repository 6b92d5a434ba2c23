"""The schedules reproduce the published grids (docs/theory.md §10)."""
import math

import pytest
import torch

from rdbm_core.bridge import bridges, schedules


def test_reference_schedule_facts():
    """Facts of the RDBM reference code: thbar_T, Theta/Sigma at index 0, index 99 = mu, max Sigma at 91."""
    path = bridges.rdbm()
    t = path.schedule.times()
    assert t[0] == -1 and t[-1] == 99
    assert round(path.schedule.u_T, 4) == 7.8789
    theta, psi, sigma = path.coefficients(t)
    assert round(float(theta[1]), 6) == 0.999369  # index 0
    assert float(sigma[1]) == pytest.approx(3.552e-4, abs=5e-8)
    assert theta[-1] == 0 and sigma[-1] == 0 and psi[-1] == 1  # index 99 is exactly mu
    assert round(float(sigma.max()), 6) == 0.009996
    assert int(t[sigma.argmax()]) == 91
    # the clean point -1 is exactly x0
    assert theta[0] == 1 and sigma[0] == 0


def test_reference_theta_is_cosine_betas():
    sch = schedules.reference(100)
    betas = schedules.cosine_betas(100)
    assert torch.allclose(sch.table[1:], torch.cumsum(betas, 0), rtol=0, atol=1e-15)
    ab = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
    assert float(betas[0]) == pytest.approx(1 - ab(0.01) / ab(0.0), abs=1e-15)


def test_irsde_grid_is_clean_at_zero_and_hits_minus_log_eps():
    sch = schedules.irsde_grid(100, 0.005)
    assert sch.t_clean == 0 and sch.t_T == 100
    assert sch.clock(torch.tensor(0)) == 0
    assert sch.u_T == pytest.approx(-math.log(0.005), rel=1e-14)
    assert (sch.theta > 0).all()


def test_reference_sampling_grid():
    grid = schedules.reference(100).sampling_times(10)
    assert grid.tolist() == [99, 89, 79, 69, 59, 49, 39, 29, 19, 9, -1]


def test_continuous_clock_is_the_integral_of_theta():
    sch = schedules.continuous_linear(0.05, 1.0, T=1.0)
    t = torch.linspace(0, 1, 2001, dtype=torch.float64)
    integral = torch.cumulative_trapezoid(sch.theta(t), t)
    assert torch.allclose(integral, sch.clock(t)[1:], atol=1e-9)
    assert sch.clock_to_end(torch.tensor(1.0)) == 0


def test_times_outside_the_grid_are_rejected():
    sch = schedules.reference(100)
    with pytest.raises(ValueError, match="outside the grid"):
        sch.clock(torch.tensor([100]))
    with pytest.raises(ValueError, match="integers"):
        sch.clock(torch.tensor([3.5]))
    with pytest.raises(ValueError, match="outside"):
        schedules.continuous_constant(1.0, T=1.0).clock(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="steps"):
        sch.sampling_times(0)


@pytest.mark.parametrize("make", [
    lambda: schedules.constant_theta(10, thbar_T=0.0),
    lambda: schedules.from_table([0.0, 0.0, 0.0], clean_on_grid=True),
    lambda: schedules.continuous_constant(0.0),
    lambda: schedules.continuous_linear(0.0, 0.0),
    lambda: schedules.continuous_constant(1.0, T=0.0),
])
def test_a_zero_clock_is_rejected(make):
    """A schedule with ``thbar_T = 0`` (no clock) is refused when built, not turned into NaN coefficients.
    Mutation tried: dropping the check -> the schedules are built and ``coefficients`` gives NaN (fails)."""
    with pytest.raises(ValueError, match="thbar_T|T must be"):
        make()
