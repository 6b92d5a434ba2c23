"""Image-quality metrics, result files and comparison figures.

Images are torch tensors ``[C, H, W]`` in ``[-1, 1]``. Every metric first maps
them to ``[0, 1]`` (``(x + 1) / 2``, clamped to ``[0, 1]`` as an 8-bit image
would be) and then calls scikit-image's maintained implementations with
``data_range=1``:

* ``psnr`` -- ``skimage.metrics.peak_signal_noise_ratio``; PSNR is
  ``10 * log10(1 / MSE)`` with the MSE over all pixels and channels. For
  identical images the MSE is 0 and the PSNR is ``inf``; that value is kept in
  the per-image results, and ``aggregate`` caps it (see there).
* ``ssim`` -- ``skimage.metrics.structural_similarity`` with
  ``channel_axis`` and scikit-image's default 7x7 uniform window (images must
  be at least 7x7).

Luminance metrics (``psnr_y``, ``ssim_y``), as IR-SDE, GOUB and most deraining
and super-resolution papers report them (BasicSR's ``calculate_psnr`` /
``calculate_ssim`` with ``test_y_channel=True``): the Y channel of ITU-R BT.601,
``Y = 16 + 65.481 R + 128.553 G + 24.966 B`` for R, G, B in ``[0, 1]``, i.e. Y in
``[16, 235]`` (``skimage.color.rgb2ycbcr``); PSNR with a peak of 255 on that
scale; SSIM with the Gaussian window of Wang et al. (sigma 1.5, 11x11,
population covariances, ``data_range=255``). A one-channel image is taken as
grey (R = G = B). Inputs are not rounded to 8 bits.

With a boolean ``mask`` (``[1, H, W]`` or ``[H, W]``, True = pixel counted) the
metric covers the masked pixels only: PSNR from the MSE over the masked pixels
(all channels), SSIM as the mean of the full SSIM map (``full=True``, every
channel) over the masked pixels. An empty mask gives ``float("nan")``. Note
that the unmasked SSIM is scikit-image's mean, which leaves out a border of half
the window (3 pixels for the 7x7 window of ``ssim``, 5 for the 11x11 Gaussian
window of ``ssim_y``), while the masked mean includes every masked pixel, so an
all-True mask gives a value slightly different from the unmasked one.
"""
from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import numpy as np
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import structural_similarity

METRIC_KEYS = ("psnr", "ssim", "psnr_degraded", "ssim_degraded", "psnr_intact", "ssim_intact",
               "psnr_y", "ssim_y", "psnr_y_degraded", "ssim_y_degraded", "psnr_y_intact", "ssim_y_intact")

#: The learned perceptual distance (:mod:`rdbm_core.evidence.perceptual`), in an evaluation's rows when asked for.
PERCEPTUAL_KEYS = ("lpips_st",)

#: The metrics of an evaluation with several draws per item (:func:`rdbm_core.evidence.diversity.draw_metrics`); the
#: ``lpips_st`` ones only with the perceptual distance.
DRAW_KEYS = ("psnr_draws", "psnr_mean_of_draws", "lpips_st_draws", "lpips_st_mean_of_draws", "spread",
             "coverage_2sd", "spread_error_corr")

#: Metrics for which lower is better (distances: ST-LPIPS, the sliced Wasserstein distance of
#: :mod:`rdbm_core.evidence.distribution`); a comparison must flip its sign or its verdict for them.
LOWER_IS_BETTER = frozenset({"lpips_st", "lpips_st_draws", "lpips_st_mean_of_draws", "swd"})

#: Diagnostics that rank no method: ``spread`` (no better direction) and ``coverage_2sd`` (best at its nominal
#: value, :func:`rdbm_core.evidence.diversity.nominal_coverage`).  Every other metric is higher-is-better.
UNRANKED = frozenset({"spread", "coverage_2sd"})

#: SSIM settings of the RGB metric (scikit-image's default 7x7 uniform window).
_SSIM_RGB = {"channel_axis": -1, "data_range": 1.0}

#: SSIM settings of the luminance metric (Wang et al. 2004, as BasicSR computes it).
SSIM_Y_SETTINGS = {"gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False, "data_range": 255.0}


def to_unit_hwc(img: torch.Tensor, name: str) -> np.ndarray:
    """[C, H, W] tensor in [-1, 1] -> float64 numpy [H, W, C] in [0, 1] (clamped)."""
    if not isinstance(img, torch.Tensor) or img.dim() != 3:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"{name} must be a 3-D tensor [C, H, W], got {shape}")
    x = ((img.detach().to("cpu", torch.float64) + 1) / 2).clamp(0, 1)
    return x.permute(1, 2, 0).numpy()


def _pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert a (pred, target) pair to [H, W, C] arrays in [0, 1]."""
    p, q = to_unit_hwc(pred, "pred"), to_unit_hwc(target, "target")
    if p.shape != q.shape:
        raise ValueError(f"pred shape {tuple(pred.shape)} does not match target shape {tuple(target.shape)}")
    return p, q


def _mask_hw(mask: torch.Tensor, hw: tuple[int, int]) -> np.ndarray:
    """Validate a bool mask [1, H, W] or [H, W] and return it as numpy bool [H, W]."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError(f"mask must be a bool tensor, got {getattr(mask, 'dtype', type(mask).__name__)}")
    m = mask[0] if mask.dim() == 3 and mask.shape[0] == 1 else mask
    if tuple(m.shape) != tuple(hw):
        raise ValueError(f"mask shape {tuple(mask.shape)} does not match the image size {tuple(hw)}")
    return m.detach().cpu().numpy()


def _region(mask: torch.Tensor | None, hw: tuple[int, int]) -> np.ndarray | None:
    """``None`` (the whole image) or the validated mask as numpy bool [H, W]."""
    return None if mask is None else _mask_hw(mask, hw)


def _over_regions(regions, value) -> list[float]:
    """``value(region)`` for each region (``None`` = the whole image); ``nan`` for an empty one."""
    return [float("nan") if r is not None and not r.any() else float(value(r)) for r in regions]


def _psnr_regions(pred: np.ndarray, target: np.ndarray, regions, data_range: float) -> list[float]:
    """PSNR of ``pred`` against ``target`` (float64, pixels on the first two axes) over each region.

    One squared-error map, averaged over each region as ``peak_signal_noise_ratio`` averages it.
    """
    squared = (target - pred) ** 2

    def value(region):
        mse = np.mean(squared if region is None else squared[region], dtype=np.float64)
        with np.errstate(divide="ignore"):
            return 10 * np.log10(data_range ** 2 / mse)

    return _over_regions(regions, value)


def _ssim_regions(pred: np.ndarray, target: np.ndarray, regions, settings: dict) -> list[float]:
    """SSIM of ``pred`` against ``target`` over each region, from one ``structural_similarity`` map.

    The whole image (``None``) gets scikit-image's own mean of that call (which crops the window's
    half-width at the border); a mask gets the mean of the full map over its pixels (all channels).
    The map is computed at most once, and not at all when every region is empty.
    """
    result = []

    def value(region):
        if not result:
            result.extend(structural_similarity(target, pred, full=True, **settings))  # (mean, map)
        mean, smap = result
        return mean if region is None else smap[region].mean()

    return _over_regions(regions, value)


def psnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """PSNR in dB of ``pred`` against ``target`` ([C, H, W] in [-1, 1]), on [0, 1] images.

    With ``mask`` (bool [1, H, W] or [H, W]) the MSE is taken over the masked
    pixels only (all channels); an empty mask returns ``nan``. Identical
    images (MSE 0) return ``inf``.
    """
    p, q = _pair(pred, target)
    return _psnr_regions(p, q, [_region(mask, p.shape[:2])], 1.0)[0]


def ssim(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """SSIM of ``pred`` against ``target`` ([C, H, W] in [-1, 1], at least 7x7), on [0, 1] images.

    Without a mask: scikit-image's mean SSIM. With ``mask`` (bool [1, H, W] or
    [H, W]): the mean of the full SSIM map over the masked pixels and all
    channels; an empty mask returns ``nan``.
    """
    p, q = _pair(pred, target)
    return _ssim_regions(p, q, [_region(mask, p.shape[:2])], _SSIM_RGB)[0]


def _luminance_hwc(x: np.ndarray) -> np.ndarray:
    """BT.601 Y in [16, 235], float64 [H, W], of an [H, W, C] image in [0, 1] (C = 1: grey, or 3)."""
    if x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    if x.shape[-1] != 3:
        raise ValueError(f"luminance needs an RGB or grey image, got {x.shape[-1]} channels")
    return rgb2ycbcr(x)[..., 0]


def luminance(img: torch.Tensor) -> np.ndarray:
    """Y of ITU-R BT.601 (``skimage.color.rgb2ycbcr``) of a [C, H, W] image in [-1, 1]: float64 [H, W] in [16, 235]."""
    return _luminance_hwc(to_unit_hwc(img, "image"))


def _luminance_pair(pred: torch.Tensor, target: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Validated (pred, target) luminance images [H, W] in [16, 235]."""
    p, q = _pair(pred, target)
    return _luminance_hwc(p), _luminance_hwc(q)


def psnr_y(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """PSNR in dB on the BT.601 luminance (Y in [16, 235], peak 255), as restoration papers report it.

    ``mask`` as for :func:`psnr`: the MSE over the masked pixels; an empty mask gives ``nan``.
    """
    p, q = _luminance_pair(pred, target)
    return _psnr_regions(p, q, [_region(mask, p.shape)], 255.0)[0]


def ssim_y(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """SSIM on the BT.601 luminance with the Gaussian window of Wang et al. (images at least 11x11).

    Without a mask: scikit-image's mean SSIM; with ``mask``: the mean of the SSIM map over the
    masked pixels (an empty mask gives ``nan``).
    """
    p, q = _luminance_pair(pred, target)
    return _ssim_regions(p, q, [_region(mask, p.shape)], SSIM_Y_SETTINGS)[0]


def image_metrics(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
    """All metrics of one image: whole image, degraded pixels (``mask``) and intact pixels (``~mask``),
    on RGB and on the luminance Y.  ``mask`` is ``degradations.degraded_mask(x0, mu)``, the project's one
    definition of degraded pixels (:func:`rdbm_core.restoration.evaluation.evaluate` computes it so).

    Returns a dict with the keys of ``METRIC_KEYS`` (``psnr, ssim, psnr_degraded, ..., psnr_y,
    ssim_y, psnr_y_degraded, ...``); a region with no pixels gives ``nan`` for its values.  Each value
    equals that of :func:`psnr`, :func:`ssim`, :func:`psnr_y` or :func:`ssim_y` with the region as
    ``mask`` (``None`` for the whole image); each SSIM map and squared-error map is computed once and
    reduced over the three regions.
    """
    p, q = _pair(pred, target)
    m = _mask_hw(mask, p.shape[:2])
    regions = (None, m, ~m)
    yp, yq = _luminance_hwc(p), _luminance_hwc(q)
    values = {"psnr": _psnr_regions(p, q, regions, 1.0), "ssim": _ssim_regions(p, q, regions, _SSIM_RGB),
              "psnr_y": _psnr_regions(yp, yq, regions, 255.0),
              "ssim_y": _ssim_regions(yp, yq, regions, SSIM_Y_SETTINGS)}
    suffixes = ("", "_degraded", "_intact")  # the order of regions
    out = {f"{name}{suffix}": v[i] for name, v in values.items() for i, suffix in enumerate(suffixes)}
    return {k: out[k] for k in METRIC_KEYS}


def better(metric: str) -> str | None:
    """Which way a metric ranks methods: ``"lower"`` (:data:`LOWER_IS_BETTER`), ``None`` (:data:`UNRANKED`) or
    ``"higher"`` (every other metric, including ``input_`` ones and unknown columns of an items CSV)."""
    key = metric.removeprefix("input_")
    return "lower" if key in LOWER_IS_BETTER else None if key in UNRANKED else "higher"


def _is_number(v) -> bool:
    """True for real numbers (Python, numpy) other than bools."""
    return isinstance(v, (Real, np.number)) and not isinstance(v, (bool, np.bool_))


def aggregate(rows: Sequence[dict], psnr_cap: float = 100.0) -> dict:
    """Mean of every numeric key over the images, ignoring ``nan``.

    ``rows`` is a list of per-image dicts (e.g. from ``image_metrics``; other
    keys such as names are skipped when not numeric). For keys starting with
    ``"psnr"``, ``inf`` values (identical pixels) enter the mean as
    ``psnr_cap`` dB so that one perfect image does not make the mean infinite.
    A key whose values are all ``nan`` gets ``nan``. The result also holds
    ``"count"``: the number of images.
    """
    keys: list[str] = []
    for row in rows:
        keys += [k for k, v in row.items() if _is_number(v) and k not in keys]
    summary: dict = {}
    for k in keys:
        vals = np.array([float(r[k]) for r in rows if k in r and _is_number(r[k])], dtype=np.float64)
        if k.startswith("psnr"):
            vals = np.minimum(vals, psnr_cap)  # nan stays nan
        vals = vals[~np.isnan(vals)]
        summary[k] = float(vals.mean()) if vals.size else float("nan")
    summary["count"] = len(rows)
    return summary
