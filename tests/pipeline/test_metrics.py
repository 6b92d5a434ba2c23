"""Tests of rdbm_core.evidence.metrics against hand computations and scikit-image, plus the result files."""

import csv
import json
import math
import warnings

import matplotlib.image
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from rdbm_core.evidence.metrics import METRIC_KEYS, aggregate, image_metrics, psnr, psnr_y, ssim, ssim_y
from rdbm_core.evidence.figures import figure_grid, figure_methods
from rdbm_core.data.files import append_rows, read_rows, write_metrics


def _img(h=24, w=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(3, h, w, generator=g) * 2 - 1


def _noisy(x, sigma, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (x + sigma * torch.randn(x.shape, generator=g)).clamp(-1, 1)


def _box_mask(h=24, w=20):
    m = torch.zeros(1, h, w, dtype=torch.bool)
    m[:, 5:15, 3:11] = True
    return m


def test_psnr_matches_hand_computation():
    x, y = _img(), _noisy(_img(), 0.1)
    mse = (((x.double() + 1) / 2 - (y.double() + 1) / 2) ** 2).mean().item()
    assert psnr(y, x) == pytest.approx(10 * math.log10(1 / mse), rel=1e-12)


def test_psnr_clamps_to_unit_range_and_identical_is_inf_without_warning():
    x = _img()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert psnr(x, x) == math.inf
    clipped = x.clone()
    clipped[:, 0, 0] = 1.0
    too_bright = clipped.clone()
    too_bright[:, 0, 0] = 1.7  # above the range: clamped to 1 before comparing
    assert psnr(too_bright, x) == psnr(clipped, x)


def test_masked_psnr_is_psnr_of_selected_pixels():
    x, y = _img(), _noisy(_img(), 0.2)
    m = _box_mask()
    sel = m[0]
    a, b = (x[:, sel].double() + 1) / 2, (y[:, sel].double() + 1) / 2  # [3, N]
    mse = ((a - b) ** 2).mean().item()
    assert psnr(y, x, m) == pytest.approx(10 * math.log10(1 / mse), rel=1e-12)
    assert psnr(y, x, m[0]) == psnr(y, x, m)  # [H, W] mask works too


def test_degraded_and_intact_psnr_recombine_to_full_mse():
    x, y = _img(), _noisy(_img(), 0.15)
    m = _box_mask()
    r = image_metrics(y, x, m)
    assert set(r) == set(METRIC_KEYS)
    n_d = m.sum().item()
    n_i = m.numel() - n_d
    mse = lambda p: 10 ** (-p / 10)  # noqa: E731 -- PSNR with data range 1 back to MSE
    combined = (n_d * mse(r["psnr_degraded"]) + n_i * mse(r["psnr_intact"])) / m.numel()
    assert combined == pytest.approx(mse(r["psnr"]), rel=1e-10)


def _basicsr_y(img):
    """Y as BasicSR's ``rgb2ycbcr(img, y_only=True)`` computes it from an RGB image in [0, 255]:
    ``(65.481 R + 128.553 G + 24.966 B) / 255 + 16``, with the [-1, 1] tensor mapped to [0, 255]."""
    rgb = ((img.double() + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy() * 255.0
    return rgb @ np.array([65.481, 128.553, 24.966]) / 255.0 + 16.0


def test_luminance_psnr_is_the_basicsr_y_channel_convention():
    """PSNR-Y from BT.601 studio-range Y (16..235) with peak 255, as BasicSR's test_y_channel.

    Mutation caught: full-range Y (0.299 R + 0.587 G + 0.114 B) * 255 changes PSNR-Y by
    20 log10(255/219) = 1.32 dB; a peak of 235 - 16 instead of 255 changes it by the same.
    """
    x, y = _img(32, 32), _noisy(_img(32, 32), 0.1)
    yx, yy = _basicsr_y(x), _basicsr_y(y)
    assert yx.min() >= 16 and yx.max() <= 235
    mse = ((yx - yy) ** 2).mean()
    assert psnr_y(y, x) == pytest.approx(10 * math.log10(255.0 ** 2 / mse), rel=1e-10)
    m = _box_mask(32, 32)
    sel = m[0].numpy()
    assert psnr_y(y, x, m) == pytest.approx(10 * math.log10(255.0 ** 2 / ((yx - yy)[sel] ** 2).mean()), rel=1e-10)
    # grey images: Y of (g, g, g) is 16 + 219 g, so PSNR-Y = RGB PSNR - 20 log10(219/255)
    g, h = x[:1].expand(3, -1, -1), y[:1].expand(3, -1, -1)
    assert psnr_y(h, g) == pytest.approx(psnr(h, g) - 20 * math.log10(219 / 255), rel=1e-10)
    assert psnr_y(h[:1], g[:1]) == pytest.approx(psnr_y(h, g), rel=1e-12)  # one channel = grey


def test_luminance_ssim_uses_the_gaussian_window_of_wang_et_al():
    """SSIM-Y: Gaussian sigma 1.5, population covariances, data range 255 on Y (BasicSR's calculate_ssim).

    Mutation caught: scikit-image's default 7x7 uniform window gives a different value."""
    x = torch.nn.functional.interpolate(_img(8, 8)[None], size=(32, 32), mode="bilinear")[0]  # smooth structure
    y = _noisy(x, 0.1)
    yx, yy = _basicsr_y(x), _basicsr_y(y)
    mean, smap = structural_similarity(yx, yy, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       data_range=255.0, full=True)
    assert ssim_y(y, x) == pytest.approx(mean, rel=1e-10)
    assert abs(ssim_y(y, x) - structural_similarity(yx, yy, data_range=255.0)) > 1e-3
    m = _box_mask(32, 32)
    assert ssim_y(y, x, m) == pytest.approx(smap[m[0].numpy()].mean(), rel=1e-10)
    assert ssim_y(x, x) == pytest.approx(1.0, abs=1e-12)


def test_append_rows_appends_and_refuses_other_columns(tmp_path):
    f = tmp_path / "r.csv"
    append_rows(f, [{"a": 1, "b": np.float32(0.5)}], ("a", "b"))
    append_rows(f, [{"a": 2, "b": 1.5, "c": "ignored"}], ("a", "b"))
    assert read_rows(f) == [{"a": "1", "b": "0.5"}, {"a": "2", "b": "1.5"}]
    with pytest.raises(ValueError, match="columns"):
        append_rows(f, [{"a": 3}], ("a",))
    assert len(read_rows(f)) == 2  # nothing written


def test_ssim_self_is_one_and_drops_with_noise():
    x = _img(32, 32)
    assert ssim(x, x) == pytest.approx(1.0, abs=1e-12)
    s_low, s_high = ssim(_noisy(x, 0.05), x), ssim(_noisy(x, 0.3), x)
    assert 1.0 > s_low > s_high


def test_masked_ssim_is_mean_of_full_map_over_mask():
    x, y = _img(), _noisy(_img(), 0.1)
    m = _box_mask()
    a = ((x.double() + 1) / 2).permute(1, 2, 0).numpy()
    b = ((y.double() + 1) / 2).permute(1, 2, 0).numpy()
    mean, smap = structural_similarity(a, b, channel_axis=-1, data_range=1.0, full=True)
    assert ssim(y, x) == pytest.approx(mean, rel=1e-12)
    assert ssim(y, x, m) == pytest.approx(smap[m[0].numpy()].mean(), rel=1e-12)
    assert ssim(y, x, ~m) == pytest.approx(smap[~m[0].numpy()].mean(), rel=1e-12)


def _reference_metrics(pred, target, mask):
    """The metrics of one image as the per-metric functions computed them before ``image_metrics`` shared its
    maps: one scikit-image call per metric and region (``peak_signal_noise_ratio`` on the selected pixels,
    ``structural_similarity``'s own scalar for the whole image, the mean of its full map over a mask)."""
    from skimage.color import rgb2ycbcr
    from skimage.metrics import peak_signal_noise_ratio

    p, q = (((t.double() + 1) / 2).clamp(0, 1).permute(1, 2, 0).numpy() for t in (pred, target))
    yp, yq = (rgb2ycbcr(np.repeat(a, 3, axis=-1) if a.shape[-1] == 1 else a)[..., 0] for a in (p, q))
    gauss = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 255.0}
    rgb = {"channel_axis": -1, "data_range": 1.0}
    m = mask.reshape(mask.shape[-2:]).numpy()
    out = {}
    for suffix, region in (("", None), ("_degraded", m), ("_intact", ~m)):
        for name, a, b, peak, settings in (("", p, q, 1.0, rgb), ("_y", yp, yq, 255.0, gauss)):
            if region is None:
                with np.errstate(divide="ignore"):
                    out[f"psnr{name}"] = peak_signal_noise_ratio(b, a, data_range=peak)
                out[f"ssim{name}"] = structural_similarity(b, a, **settings)
            elif not region.any():
                out[f"psnr{name}{suffix}"] = out[f"ssim{name}{suffix}"] = math.nan
            else:
                with np.errstate(divide="ignore"):
                    out[f"psnr{name}{suffix}"] = peak_signal_noise_ratio(b[region], a[region], data_range=peak)
                out[f"ssim{name}{suffix}"] = structural_similarity(b, a, full=True, **settings)[1][region].mean()
    return {k: float(out[k]) for k in METRIC_KEYS}


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.parametrize("case", ["random", "empty", "full", "grey", "identical"])
def test_image_metrics_equal_the_per_metric_functions_and_scikit_image(case):
    """``image_metrics`` computes each SSIM and squared-error map once and reduces it over the whole image and
    the two regions; every value is exactly that of the per-metric function with the region as mask, and that
    of a separate scikit-image call per metric and region (``_reference_metrics``).  The whole-image SSIM is
    scikit-image's scalar, whose mean leaves out a border of half the window (3 pixels RGB, 5 for the 11x11
    Gaussian window of SSIM-Y), so an all-True mask gives another value.

    Mutations that fail: the whole-image SSIM as the mean of the full map (no border left out); SSIM-Y's
    border as the 7x7 window's 3 pixels instead of 5."""
    g = torch.Generator().manual_seed(sum(map(ord, case)))
    h, w = 29, 23
    x = torch.nn.functional.interpolate(torch.rand(1, 3, 8, 6, generator=g) * 2 - 1, size=(h, w), mode="bilinear")[0]
    y = (x + 0.2 * torch.randn(x.shape, generator=g)).clamp(-1.1, 1)  # some values below -1: clamped
    mask = torch.rand(1, h, w, generator=g) < 0.4
    if case == "empty":
        mask[:] = False
    elif case == "full":
        mask[:] = True
    elif case == "grey":
        x, y = x[:1], y[:1]
    elif case == "identical":
        y = x.clone()
    got = image_metrics(y, x, mask)
    assert list(got) == list(METRIC_KEYS)
    want = _reference_metrics(y, x, mask)
    assert all(_same(got[k], want[k]) for k in METRIC_KEYS), {k: (got[k], want[k]) for k in METRIC_KEYS}
    for suffix, region in (("", None), ("_degraded", mask), ("_intact", ~mask)):
        for name, fn in (("psnr", psnr), ("ssim", ssim), ("psnr_y", psnr_y), ("ssim_y", ssim_y)):
            assert _same(fn(y, x, region), got[name + suffix]), (name, suffix)
    if case == "empty":
        assert all(math.isnan(got[k]) for k in METRIC_KEYS if k.endswith("_degraded"))
        assert all(got[k] == pytest.approx(got[k.replace("_intact", "")], rel=1e-12) for k in METRIC_KEYS
                   if k.endswith("_intact") and k.startswith("psnr"))
    if case == "full":
        assert got["ssim_degraded"] != got["ssim"] and got["ssim_y_degraded"] != got["ssim_y"]  # the border
    if case == "identical":
        assert got["psnr"] == got["psnr_y_intact"] == math.inf and got["ssim_y"] == 1.0


def test_image_metrics_computes_each_ssim_map_once(monkeypatch):
    import rdbm_core.evidence.metrics as metrics

    calls = []
    real = metrics.structural_similarity
    monkeypatch.setattr(metrics, "structural_similarity", lambda *a, **k: calls.append(k) or real(*a, **k))
    image_metrics(_noisy(_img(), 0.1), _img(), _box_mask())
    assert len(calls) == 2 and {k.get("gaussian_weights", False) for k in calls} == {False, True}
    calls.clear()
    assert math.isnan(ssim(_img(), _img(), torch.zeros(1, 24, 20, dtype=torch.bool)))
    assert calls == []  # an empty region needs no map


def test_empty_mask_gives_nan_and_aggregate_ignores_it():
    x, y = _img(), _noisy(_img(), 0.1)
    empty = torch.zeros(1, 24, 20, dtype=torch.bool)
    r1 = image_metrics(y, x, empty)
    assert math.isnan(r1["psnr_degraded"]) and math.isnan(r1["ssim_degraded"])
    assert r1["psnr_intact"] == pytest.approx(r1["psnr"])
    r2 = image_metrics(y, x, _box_mask())
    summary = aggregate([r1, r2])
    assert summary["count"] == 2
    assert summary["psnr_degraded"] == pytest.approx(r2["psnr_degraded"])  # the nan is skipped
    assert summary["psnr"] == pytest.approx((r1["psnr"] + r2["psnr"]) / 2)
    assert math.isnan(aggregate([r1])["ssim_degraded"])  # nothing left to average


def test_aggregate_caps_inf_psnr_and_skips_non_numeric():
    rows = [{"name": "a", "psnr": math.inf, "ssim": 1.0}, {"name": "b", "psnr": 30.0, "ssim": np.float32(0.5)}]
    summary = aggregate(rows, psnr_cap=50.0)
    assert summary == {"psnr": 40.0, "ssim": 0.75, "count": 2}


def test_write_metrics_round_trips(tmp_path):
    rows = [
        {"name": "img0", "psnr": 31.5, "ssim": 0.91, "psnr_degraded": float("nan")},
        {"name": "img1", "psnr": math.inf, "ssim": np.float64(0.8), "psnr_degraded": 20.25},
    ]
    summary = aggregate(rows)
    jpath, cpath = tmp_path / "out" / "deep" / "m.json", tmp_path / "out" / "m.csv"
    write_metrics(rows, summary, jpath, cpath)
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["deep", "m.csv", "m.json"]  # no temp files

    data = json.loads(jpath.read_text())
    assert data["summary"] == summary
    assert data["images"][0]["name"] == "img0" and data["images"][0]["psnr_degraded"] is None  # NaN -> null
    assert data["images"][1]["psnr"] is None and data["images"][1]["ssim"] == 0.8  # inf -> null (strict JSON)

    with open(cpath, newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["row", "name", "psnr", "ssim", "psnr_degraded"]
    assert [r["row"] for r in table] == ["0", "1", "mean"]
    assert float(table[0]["psnr"]) == 31.5 and float(table[1]["psnr"]) == math.inf
    assert table[2]["name"] == ""
    for key in ("psnr", "ssim", "psnr_degraded"):
        assert float(table[2][key]) == pytest.approx(summary[key])


def test_figure_grid_writes_png_with_one_row_per_image(tmp_path):
    x = torch.stack([_img(16, 16, seed=s) for s in range(4)])
    restored = _noisy(x, 0.05)
    noisy = _noisy(x, 0.3, seed=2)
    out = figure_grid(noisy, restored, x, tmp_path / "figs" / "grid.png", titles=["a", "b", "c"], max_rows=3)
    assert out == tmp_path / "figs" / "grid.png"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    h, w = matplotlib.image.imread(out).shape[:2]
    assert (h, w) == (3 * 300, 4 * 300)  # 3 rows x 4 columns of 3-inch panels at 100 dpi
    gray = figure_grid(noisy[:, :1], restored[:, :1], x[:, :1], tmp_path / "gray.png")  # 1-channel images
    assert gray.stat().st_size > 0


def test_bad_inputs_raise_value_errors():
    x = _img()
    with pytest.raises(ValueError, match="pred must be a 3-D tensor"):
        psnr(x[None], x)
    with pytest.raises(ValueError, match="does not match target shape"):
        ssim(x[:, :20], x)
    with pytest.raises(ValueError, match="mask must be a bool tensor"):
        psnr(x, x, torch.ones(1, 24, 20))
    with pytest.raises(ValueError, match="does not match the image size"):
        ssim(x, x, torch.ones(1, 20, 24, dtype=torch.bool))


def test_figure_methods_writes_one_png(tmp_path):
    x = torch.nn.functional.interpolate(_img(8, 8)[None], size=(40, 48), mode="bilinear")[0]
    mask = torch.zeros(1, 40, 48, dtype=torch.bool)
    mask[:, 5:20, 10:30] = True
    mu = torch.where(mask, torch.zeros_like(x), x)
    out = figure_methods(mu, {"a": _noisy(x, 0.05), "b": x}, x, mask, tmp_path / "f.png", zoom=12)
    image = matplotlib.image.imread(out)
    assert image.ndim == 3 and image.shape[1] > image.shape[0]  # one wide panel row per figure row
    with pytest.raises(ValueError, match="at least one"):
        figure_methods(mu, {}, x, mask, tmp_path / "g.png")


def test_evaluate_measures_regions_by_degraded_mask_not_by_the_items_mask():
    """``evaluate`` takes degraded and intact pixels from ``degradations.degraded_mask(x0, mu)``.

    The item's own mask is deliberately wrong (all intact) and one pixel is changed by 0.75 of an 8-bit level, so
    only the one definition (half a level) counts it as degraded. Mutations that fail: reading ``item["mask"]``
    (no degraded pixel: nan), the threshold of one level (same).
    """
    from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate

    x0 = torch.zeros(3, 16, 16)
    mu = x0.clone()
    mu[:, 5, 7] = 2 * (0.75 / 255)
    items = [{"x0": x0, "mu": mu, "mask": torch.zeros(1, 16, 16, dtype=torch.bool)}]
    res = evaluate(lambda m: m, None, items, options=EvaluationOptions(progress=False))["images"][0]
    assert res["psnr_degraded"] == pytest.approx(10 * math.log10((255 / 0.75) ** 2), abs=1e-3)
    assert res["psnr_intact"] == math.inf
