"""Several draws per item (rdbm_core.evidence.diversity): the spread of the draws and its calibration against exact
posterior samples of a Gaussian toy, the draws' seeding, and which samplers draw noise.

Calibration is tested against ``nominal_coverage(K) = 2 F_{t, K-1}(2 / sqrt(1 + 1/K)) - 1``: with K exact
posterior draws of a Gaussian pixel value and the truth one more independent posterior sample,
``(mean of draws - truth) / (S sqrt(1 + 1/K))`` is Student-t with K - 1 degrees of freedom (S: the draws' standard
deviation with K - 1 in the denominator).
"""
import math

import pytest
import torch

from rdbm_core.bridge import bridges
from rdbm_core.evidence.diversity import (STOCHASTIC_SAMPLERS, check_draws, draw_generator, draw_metrics, draw_seed, is_stochastic, nominal_coverage)
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate
from rdbm_core.bridge.samplers import SAMPLERS, SamplerSpec, sampler_options


def test_nominal_coverage_is_the_t_distribution():
    assert nominal_coverage(2) == pytest.approx(2 / math.pi * math.atan(2 / math.sqrt(1.5)), abs=1e-12)  # Cauchy
    assert nominal_coverage(10 ** 7) == pytest.approx(math.erf(2 / math.sqrt(2)), abs=1e-6)  # 0.9545
    values = [nominal_coverage(k) for k in (2, 3, 4, 8, 16, 64)]
    assert all(a < b for a, b in zip(values, values[1:]))
    with pytest.raises(ValueError, match="at least 2 draws"):
        nominal_coverage(1)


def _gaussian_posterior(items: int, k: int, std: torch.Tensor, seed: int = 0):
    """Truths and K exact posterior draws per pixel value: both N(m, std^2) given the item, independent."""
    g = torch.Generator().manual_seed(seed)
    shape = (items, *std.shape)
    m = torch.rand(shape, generator=g) - 0.5
    truth = m + std * torch.randn(shape, generator=g)
    draws = m[:, None] + std * torch.randn((items, k, *std.shape), generator=g)
    return truth, draws


@pytest.mark.parametrize("k", [2, 4, 8])
def test_exact_posterior_draws_are_calibrated(k):
    # heteroscedastic: the left half of each image is 10 times surer than the right half
    std = torch.full((3, 32, 32), 0.1)
    std[..., :16] = 0.01
    truth, draws = _gaussian_posterior(8, k, std)
    rows = [draw_metrics(d, t) for d, t in zip(draws, truth)]
    coverage = sum(r["coverage_2sd"] for r in rows) / len(rows)
    assert coverage == pytest.approx(nominal_coverage(k), abs=0.02)
    assert abs(coverage - 0.9545) > 0.04  # the K-draw correction matters
    assert min(r["spread_error_corr"] for r in rows) > 0.3  # the spread points at the errors
    spread = sum(r["spread"] for r in rows) / len(rows)  # in [0, 1] units: half the [-1, 1] std
    expected = 0.5 * 0.055 * math.sqrt(2 / (k - 1)) * math.gamma(k / 2) / math.gamma((k - 1) / 2)  # E[S]
    assert spread == pytest.approx(expected, rel=0.03)


def test_over_confident_draws_cover_less():
    std = torch.full((3, 32, 32), 0.1)
    truth, draws = _gaussian_posterior(8, 4, std)
    m = draws.mean(1, keepdim=True)
    narrow = m + 0.5 * (draws - m)  # half the spread, same mean
    rows = [draw_metrics(d, t) for d, t in zip(narrow, truth)]
    assert sum(r["coverage_2sd"] for r in rows) / len(rows) < nominal_coverage(4) - 0.2


def test_the_mean_of_draws_beats_a_draw_by_the_expected_margin():
    # E|draw - truth|^2 = 2 s^2, E|mean - truth|^2 = (1 + 1/K) s^2: PSNR gap 10 log10(2 / (1 + 1/K))
    truth, draws = _gaussian_posterior(8, 4, torch.full((3, 32, 32), 0.05))
    rows = [draw_metrics(d, t) for d, t in zip(draws, truth)]
    gap = sum(r["psnr_mean_of_draws"] - r["psnr_draws"] for r in rows) / len(rows)
    assert gap == pytest.approx(10 * math.log10(2 / 1.25), abs=0.1)


def test_identical_draws_have_no_spread():
    x = torch.rand(3, 24, 24) * 2 - 1
    r = draw_metrics(torch.stack([x, x, x]), x)
    assert r["spread"] == 0 and r["coverage_2sd"] == 1 and math.isnan(r["spread_error_corr"])
    assert r["psnr_draws"] == r["psnr_mean_of_draws"] == math.inf
    with pytest.raises(ValueError, match="K >= 2"):
        draw_metrics(x[None], x)


# ---------------------------------------------------------------- through evaluate, with the library's sampler

PATH = bridges.make("goub")  # global noise: a Gaussian residual stays Gaussian along the bridge


def _residual_std(mu):
    return 0.02 + 0.15 * (mu > 0)


class PosteriorSampleOracle(torch.nn.Module):
    """``x0_hat`` = a sample of the exact ``p(x0 | x_t, mu)`` when ``x0 - mu ~ N(0, s(mu)^2)`` per pixel value.

    With it, the implicit sampler's posterior steps (``eta = 1``) are exact transitions of ``p(x_s | x_t)`` and its
    last step returns an exact sample of ``p(x0 | mu)``, whatever the number of steps.
    """

    def __init__(self):
        super().__init__()
        self.generator = torch.Generator().manual_seed(1)

    def forward(self, x, mu, t):
        theta, _, sigma = (c.reshape(-1, 1, 1, 1).to(x) for c in PATH.coefficients(t.double()))
        v = _residual_std(mu) ** 2
        den = theta ** 2 * v + sigma ** 2  # 0 at the pinned end, where x_t = mu tells nothing
        gain = torch.where(den > 0, theta * v / den.clamp_min(1e-30), 0.0)
        var = torch.where(den > 0, v * sigma ** 2 / den.clamp_min(1e-30), v)
        return mu + gain * (x - mu) + var.sqrt() * torch.randn(x.shape, generator=self.generator)


def _toy_items(n=4, size=32):
    g = torch.Generator().manual_seed(0)
    items = []
    for i in range(n):
        mu = torch.rand(3, size, size, generator=g) - 0.5
        items.append({"x0": mu + _residual_std(mu) * torch.randn(mu.shape, generator=g), "mu": mu,
                      "name": f"toy{i % 2}@{i},0"})
    return items


def test_evaluate_with_exact_posterior_draws_is_calibrated():
    result = evaluate(PosteriorSampleOracle(), PATH, _toy_items(), SamplerSpec(steps=3, eta=1.0),
                      options=EvaluationOptions(draws=4, progress=False))
    s = result["summary"]
    assert s["draws"] == 4 and s["coverage_2sd_nominal"] == nominal_coverage(4)
    assert s["coverage_2sd"] == pytest.approx(nominal_coverage(4), abs=0.02)
    assert s["spread_error_corr"] > 0.3 and s["psnr_mean_of_draws"] > s["psnr_draws"]


ETA1 = SamplerSpec(steps=3, eta=1.0)


def test_each_draw_has_its_own_seed():
    class Echo(torch.nn.Module):  # the implicit sampler's noise shows in the output
        def forward(self, x, mu, t):
            return x

    items = _toy_items(2)
    three = evaluate(Echo(), PATH, items, ETA1, options=EvaluationOptions(draws=3, progress=False))
    five = evaluate(Echo(), PATH, items, ETA1, options=EvaluationOptions(draws=5, progress=False))
    for a, b in zip(three["images"], five["images"]):
        assert a["psnr"] == b["psnr"]  # draw 0 fills the usual metrics, whatever the number of draws
        assert a["spread"] != b["spread"]
    assert three["images"][0]["psnr"] != three["images"][1]["psnr"]
    one = evaluate(Echo(), PATH, items[1:], ETA1, options=EvaluationOptions(draws=3, progress=False))
    assert one["images"][0]["psnr"] != three["images"][1]["psnr"]  # item 0 of this set: seeded as item 0
    assert draw_seed(0, 1, 2) == draw_seed(0, 1, 2) != draw_seed(0, 2, 1)
    a, b = draw_generator(0, 0, 0), draw_generator(0, 0, 1)
    assert torch.randn(4, generator=a).tolist() != torch.randn(4, generator=b).tolist()


@pytest.mark.parametrize("name", ["rdbm", "goub", "irsde", "interpolant"])
def test_is_stochastic_matches_what_the_samplers_do(name):
    path = bridges.make(name)
    mu = torch.zeros(1, 3, 4, 4)

    def model(x, mu, t):  # x0_hat follows x_t, away from mu (the modulated noise scales with x0_hat - mu)
        return x + 0.3

    for sampler in SAMPLERS:
        for eta in (None, *((0.0, 0.5) if "eta" in sampler_options(sampler) else ())):
            if sampler == "exact-sde" and eta == 0.0:
                continue  # refused by SamplerSpec
            kwargs = SamplerSpec(sampler, eta=eta).options
            outs = [SAMPLERS[sampler](model, mu, path, path.schedule.sampling_times(4),
                                      generator=torch.Generator().manual_seed(s), **kwargs) for s in (0, 1)]
            assert is_stochastic(path, sampler, kwargs) == (not torch.equal(*outs)), (sampler, eta)
    assert set(STOCHASTIC_SAMPLERS) < set(SAMPLERS)


def test_bad_draws_are_one_clear_line():
    path = bridges.make("rdbm")
    for draws in (0, 1, True, 2.5):
        with pytest.raises(ValueError, match="--draws must be an integer >= 2"):
            check_draws(draws, path, "implicit", {"eta": 1.0})
    for sampler, options in (("implicit", {}), ("implicit", {"eta": 0.0}), ("heun", {}), ("dbim", {}),
                             ("euler", {})):
        with pytest.raises(ValueError, match=f"--sampler {sampler}.* is deterministic"):
            check_draws(4, path, sampler, options)
    with pytest.raises(ValueError, match="regression network"):
        check_draws(4, None, "implicit", {"eta": 1.0})
    with pytest.raises(ValueError, match="lam is 0"):
        check_draws(4, bridges.make("interpolant"), "euler-maruyama")
    for sampler, options in (("implicit", {"eta": 0.5}), ("euler-maruyama", {}), ("exact-sde", {"eta": 1.0})):
        check_draws(2, path, sampler, options)
    check_draws(2, bridges.make("irsde"), "euler")  # the unpinned start is random
    with pytest.raises(ValueError, match="--sampler heun"):
        evaluate(lambda x, mu, t: mu, path, _toy_items(1), SamplerSpec("heun"),
                 options=EvaluationOptions(draws=3, progress=False))
