"""Notebook 13's exercises: the references are checked against simulation, and the checkers accept right answers
in several forms and refuse the common wrong ones with the matching hint."""
import numpy as np
import sympy as sp
import torch

from rdbm_course.exercises import check
from rdbm_course.exercises.ex13_what_bridges_are_for import (K, exact_range_coverage, mean_of_draws_loss_db,
                                                             range_coverage_reference)


def test_mean_of_draws_loss_matches_a_simulated_posterior():
    """Exact posterior draws of a Gaussian posterior with varying variance: the MSE ratio of the mean of K draws to
    the posterior mean is 1 + 1/K. Mutation that fails: a reference of 10 log10(1 + 2/K)."""
    rng = np.random.default_rng(0)
    n = 200_000
    m, v = rng.standard_normal(n), rng.uniform(0.1, 2.0, n)  # posterior mean and variance per pixel
    x0 = m + np.sqrt(v) * rng.standard_normal(n)
    for k in (1, 4):
        mean_of_draws = m + np.sqrt(v / k) * rng.standard_normal(n)
        ratio = ((mean_of_draws - x0) ** 2).mean() / ((m - x0) ** 2).mean()
        assert abs(10 * np.log10(ratio) - float(mean_of_draws_loss_db().subs(K, k))) < 0.03


def test_exact_range_coverage_matches_simulation_and_reference_counts_bounds_inside():
    rng = np.random.default_rng(1)
    values = rng.standard_normal((100_000, 9))  # 8 draws and the truth, exchangeable
    inside = (values[:, 8] >= values[:, :8].min(1)) & (values[:, 8] <= values[:, :8].max(1))
    assert abs(inside.mean() - exact_range_coverage(8)) < 0.005
    draws = torch.tensor([[[[0.0, 1.0]]], [[[2.0, 3.0]]]])
    assert range_coverage_reference(draws, torch.tensor([[[2.0, 1.0]]])) == 1.0
    assert range_coverage_reference(draws, torch.tensor([[[2.5, 0.5]]])) == 0.0


def test_checkers_accept_right_forms_and_name_the_wrong_ones():
    assert check("13.1", 10 * sp.log(1 + 1 / K) / sp.log(10))
    assert check("13.1", 10 * sp.log((K + 1) / K, 10))
    assert "3.01 dB" in check("13.1", 10 * sp.log(1 + 2 / K) / sp.log(10)).hint
    assert "function of K" in check("13.1", 0.512).message
    assert check("13.3", 7 / 9) and not check("13.3", 8 / 9) and "Gaussian" in check("13.3", 0.9545).message

    def right(d, t):
        return float(((t >= d.amin(0)) & (t <= d.amax(0))).double().mean())

    def strict(d, t):
        return float(((t > d.amin(0)) & (t < d.amax(0))).double().mean())

    def outside(d, t):
        return 1 - right(d, t)

    assert check("13.2", right)
    assert "use <= and >=" in check("13.2", strict).hint
    assert "outside" in check("13.2", outside).message
