"""Set-level comparisons without learned weights (rdbm_core.evidence.distribution): the sliced Wasserstein distance of
Laplacian-pyramid patches with its bootstrap over photographs, and the power spectrum ratio by band."""
import pytest
import torch
from scipy import stats
from quality_images import blur, noisy, windows

from rdbm_core.evidence.distribution import (laplacian_pyramid, photo_of, sliced_wasserstein, spectrum_ratio, wasserstein_1d)

#: small settings: the tests need the properties, not the default precision
FAST = {"patches": 16, "directions": 32, "bootstrap": 50}


@pytest.fixture(scope="module")
def truths():
    return windows()  # 16 windows of 4 photographs, 64x64, and their names


def test_pyramid_separates_the_bands():
    flat = torch.full((1, 3, 64, 64), 0.3, dtype=torch.float64)
    pyramid = laplacian_pyramid(flat)
    assert [p.shape[-1] for p in pyramid] == [64, 32, 16]  # down to 16 pixels
    assert all(p.abs().max() < 1e-12 for p in pyramid[:-1]) and torch.allclose(pyramid[-1], flat[..., ::4, ::4])
    # the binomial filter removes the Nyquist frequency exactly: a checkerboard is all in the finest band
    checker = ((torch.arange(64)[:, None] + torch.arange(64)[None, :]) % 2 * 2 - 1.0).double().expand(1, 3, 64, 64)
    pyramid = laplacian_pyramid(checker)
    assert torch.allclose(pyramid[0], checker, atol=1e-12) and all(p.abs().max() < 1e-12 for p in pyramid[1:])


def test_identical_sets_are_at_distance_zero(truths):
    x, names = truths
    r = sliced_wasserstein(x, x.clone(), names, **FAST)
    assert r["swd"] == 0 and r["levels"] == [0, 0, 0] and r["low"] == r["high"] == 0
    assert r["photos"] == 4


def test_grows_with_blur_and_noise(truths):
    x, names = truths
    by_blur = [sliced_wasserstein(blur(x, s), x, names, **FAST)["swd"] for s in (0.5, 1.0, 2.0)]
    by_noise = [sliced_wasserstein(noisy(x, s), x, names, **FAST)["swd"] for s in (0.02, 0.05, 0.1)]
    assert 0 < by_blur[0] < by_blur[1] < by_blur[2], by_blur
    assert 0 < by_noise[0] < by_noise[1] < by_noise[2], by_noise


def test_symmetric_and_deterministic(truths):
    x, names = truths
    y = blur(x, 1.0)
    ab, ba = sliced_wasserstein(y, x, names, **FAST), sliced_wasserstein(x, y, names, **FAST)
    for key in ("swd", "low", "high"):
        assert ab[key] == pytest.approx(ba[key], rel=1e-9)
    assert sliced_wasserstein(y, x, names, **FAST) == ab
    other = sliced_wasserstein(y, x, names, **{**FAST, "seed": 1})["swd"]
    assert other != ab["swd"] and other == pytest.approx(ab["swd"], rel=0.15)  # other patches and directions


def test_a_loss_of_contrast_is_not_standardised_away(truths):
    # Karras et al. standardise each set by its own statistics, which makes x / 2 look like x; pooling keeps it
    x, names = truths
    assert sliced_wasserstein(x / 2, x, names, **FAST)["swd"] > sliced_wasserstein(blur(x, 0.5), x, names,
                                                                                     **FAST)["swd"]


def test_a_brightness_shift_moves_only_the_low_pass_level(truths):
    x, names = truths
    levels = sliced_wasserstein(x + 0.2, x, names, **FAST)["levels"]
    assert max(levels[:-1]) < 1e-3 and levels[-1] > 100  # float32 rounding of x + 0.2 only, in units of 1e-3


def test_the_bootstrap_resamples_photographs(truths):
    x, names = truths
    y = noisy(x, 0.05)
    r = sliced_wasserstein(y, x, names, **FAST)
    assert r["low"] < r["swd"] < r["high"]
    # one photograph: every draw takes all of it, so every draw is the distance itself
    one = sliced_wasserstein(y, x, ["p@0,0"] * len(names), **FAST)
    assert one["photos"] == 1 and one["low"] == pytest.approx(one["swd"], rel=1e-9) == one["high"]
    assert photo_of("chelsea@64,0") == "chelsea" and photo_of("whole") == "whole"


def test_bad_sets_are_one_clear_error(truths):
    x, names = truths
    with pytest.raises(ValueError, match="one shape"):
        sliced_wasserstein(x[:3], x[:4])
    with pytest.raises(ValueError, match="3 names for 16 items"):
        sliced_wasserstein(x, x, names[:3])
    with pytest.raises(ValueError, match="divisible"):
        sliced_wasserstein(x[..., :62], x[..., :62], levels=3)


def test_spectrum_shows_blur_as_a_deficit_and_noise_as_an_excess(truths):
    x, _ = truths
    assert spectrum_ratio(x, x)["db"] == [0.0] * 8
    blurred = spectrum_ratio(blur(x, 1.0), x)["db"]
    assert all(a > b for a, b in zip(blurred, blurred[1:])), blurred  # the deficit deepens with frequency
    assert blurred[0] > -1.5 and blurred[-1] < -10
    noise = spectrum_ratio(noisy(x, 0.05), x)["db"]
    assert min(noise) > -0.1 and noise[-1] > 1 and noise[-1] > noise[0]


def test_spectrum_bands_are_radial_frequencies(truths):
    x, _ = truths
    r = spectrum_ratio(x, x, bands=5)
    assert r["edges"] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    rows = torch.arange(64, dtype=torch.float32)[:, None]
    cols = torch.arange(64, dtype=torch.float32)[None, :]
    wave = 0.1 * torch.cos(2 * torch.pi * (0.2 * rows + 0.2 * cols))  # |f| = 0.283 cycles per pixel: band 2
    db = spectrum_ratio(x + wave, x, bands=5)["db"]
    assert max(range(5), key=db.__getitem__) == 2 and db[2] > 3, db


def test_weighted_wasserstein_is_scipys():
    # the bootstrap's resampled sets are these weights (multiplicities, zeros included)
    g = torch.Generator().manual_seed(0)
    u, v = torch.randn(40, 3, generator=g, dtype=torch.float64), torch.randn(40, 3, generator=g, dtype=torch.float64)
    v[5:9] = u[5:9]  # ties across the sets
    w = torch.randint(0, 3, (40,), generator=g).double()
    ours = wasserstein_1d(u, v, w)
    for d in range(3):
        assert float(ours[d]) == pytest.approx(
            stats.wasserstein_distance(u[:, d], v[:, d], w.numpy(), w.numpy()), rel=1e-12, abs=1e-15)
    assert float(wasserstein_1d(u[:, 0], v[:, 0])) == pytest.approx(
        float((u[:, 0].sort().values - v[:, 0].sort().values).abs().mean()), rel=1e-12)
    with pytest.raises(ValueError, match="non-negative"):
        wasserstein_1d(u, v, -w)
