"""Exercise 01.3 on the grid with a large terminal clock, which the notebook announces (thbar_T = 1000)."""
import torch

from rdbm_course.exercises import check

from exercise_feedback import assert_caught  # tests/course/exercise_feedback.py

GIVEAWAY = "expm1(-2 * rest) / torch.expm1(-2 * c_T)"


def stable(schedule, t):
    rest = schedule.clock_to_end(t)
    c_T = torch.tensor(schedule.u_T, dtype=torch.float64)
    return torch.exp(rest - c_T) * torch.expm1(-2 * rest) / torch.expm1(-2 * c_T)


def sinh_ratio(schedule, t):
    return torch.sinh(schedule.clock_to_end(t)) / torch.sinh(torch.tensor(schedule.u_T, dtype=torch.float64))


def test_01_3_the_sinh_ratio_is_caught_on_the_large_clock():
    """The sinh ratio is right on the RDBM, GOUB and third grids but NaN (inf / inf) on the fourth, and the
    feedback names that grid, says the values are not finite and points to overflow; the overflow-free form passes.
    Mutation that fails: dropping the fourth grid from ``ex01_ou._grids`` lets the sinh ratio pass as right."""
    from rdbm_core.bridge import schedules
    from rdbm_course.exercises.ex01_ou import LARGE_CLOCK

    large = schedules.constant_theta(25, LARGE_CLOCK)
    assert LARGE_CLOCK == 1000.0 and torch.isnan(sinh_ratio(large, large.times())).any()
    assert check("01.3", stable)
    fb = assert_caught(check("01.3", sinh_ratio), GIVEAWAY)
    assert "fourth (thbar_T = 1000)" in fb.message and "non-finite" in fb.message, fb.message
    assert "overflow" in fb.hint, fb.hint
