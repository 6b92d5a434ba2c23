"""The helpers of notebook 10 (``rdbm_course.toy_bridge_lesson``): the exact posterior over x0 and the exact
ancestral sampler that section 7 uses as its control."""
import math

import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_course import toy_bridge_lesson as lesson

DT = torch.float64
SCH = schedules.continuous_constant(3.0, T=1.0)


def test_posterior_weights_one_time_equals_per_sample_times():
    """The broadcast path (one time for the batch) gives the weights of the per-sample path, for both noise factors
    and at T (the prior). Mutation that fails: the broadcast path without the noise factor's ``abs`` (negative
    spreads under modulation) gives NaN weights."""
    nodes, weights = lesson.quadrature(21)
    x = torch.linspace(-0.8, 0.9, 7, dtype=DT)[:, None]
    for noise in ("modulated", "global"):
        path = bridges.ou_bridge(SCH, 0.1, noise=noise)
        for t in (0.3, 0.9, 1.0):
            one = lesson.posterior_weights(path, x, torch.tensor(t, dtype=DT), nodes, weights)
            per = lesson.posterior_weights(path, x, torch.full((len(x),), t, dtype=DT), nodes, weights)
            assert torch.allclose(one, per, atol=1e-12), (noise, t)
            assert torch.allclose(one.sum(1), torch.ones(len(x), dtype=DT))


def test_oracle_is_mu_at_mu_under_modulation_and_the_prior_mean_at_T():
    path = bridges.ou_bridge(SCH, 0.1, noise="modulated")
    model = lesson.oracle(path)
    mu = torch.full((1, 1), lesson.MU)
    assert abs(float(model(mu, mu, torch.tensor([0.5]))) - lesson.MU) < 1e-3
    assert abs(float(model(mu, mu, torch.tensor([1.0]))) - 0.05) < 1e-3


def test_exact_ancestral_sampler_returns_the_mixture_under_modulation():
    """The exact reverse chain from x_T = mu, on a coarse grid where the plug-in sampler is biased, returns the two
    modes in equal shares and with their width; the Gaussian step with the exact mean and variance does not on this
    coarse grid (its error shrinks as the grid is refined: notebook 10, section 7).
    Mutation that fails: x0 put at the node nearest its posterior mean (a plug-in) instead of drawn from the
    weights sends nearly every draw to the upper mode."""
    path = bridges.ou_bridge(SCH, 0.1, noise="modulated")
    n = 4000
    x = lesson.sample_exact_ancestral(path, n, 20, torch.Generator().manual_seed(0))
    lower = float((x < lesson.SPLIT).double().mean())
    assert abs(lower - 0.5) < 4 * math.sqrt(0.25 / n), lower
    low, high = lesson.within_std(x)
    assert abs(low / lesson.MODE_STD - 1) < 0.1 and abs(high / lesson.MODE_STD - 1) < 0.1, (low, high)
    gaussian = lesson.sample_exact_ancestral(path, n, 20, torch.Generator().manual_seed(0), gaussian=True)
    assert float((gaussian < lesson.SPLIT).double().mean()) > 0.5 + 4 * math.sqrt(0.25 / n)  # coarse grid: biased
