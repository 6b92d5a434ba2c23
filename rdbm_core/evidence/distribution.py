"""Restorations against their truths as sets of images: no learned weights.

* :func:`sliced_wasserstein` -- the sliced Wasserstein distance between the multi-scale patch sets of two image
  sets (Karras et al., ICLR 2018, "Progressive Growing of GANs for Improved Quality, Stability, and Variation",
  appendix D), with a bootstrap over photographs;
* :func:`spectrum_ratio` -- the radially averaged power spectrum of restorations relative to the truth, by
  frequency band: blur shows as a deficit at high frequencies, leftover noise as an excess.

Images are ``[N, C, H, W]`` tensors (or sequences of ``[C, H, W]``) in ``[-1, 1]``, one size for all.

Sliced Wasserstein distance.  Each image is decomposed into a Laplacian pyramid (Burt and Adelson 1983: the
5-tap binomial filter ``[1, 4, 6, 4, 1] / 16`` in each direction, reflected borders, factor 2 per level) from
full resolution down to the last level whose short side is at least 16 pixels (the coarsest level is the
low-pass image itself).  From every level of every image ``patches`` 7x7 neighbourhoods are taken at positions
drawn from ``seed`` (the same positions in both sets: item ``i`` of one set is paired with item ``i`` of the
other), each a descriptor of ``49 C`` values.  The descriptors of a level are standardised per channel with the
mean and standard deviation of both sets pooled (Karras et al. standardise each set by its own statistics,
which hides a loss of amplitude such as blur; pooling keeps it and keeps the distance symmetric).  The distance
of a level is the mean over ``directions`` random unit directions (drawn from ``seed``) of the 1-D Wasserstein-1
distance between the two sets projected on the direction; ``swd`` is the mean over levels, both in units of
``1e-3`` as Karras et al. report it.  0 for identical sets; symmetric.

The bootstrap takes the photographs with replacement (an item named ``photo@top,left``, as those of
:class:`rdbm_core.data.datasets.HeldOutBenchmark`, belongs to ``photo``; an item without ``@`` is its own photograph),
each drawn photograph bringing all its items in both sets, and recomputes the distance with the standardisation
and directions of the full sets; ``low`` and ``high`` are the percentiles of the draws.  The resampled sets
enter as weighted empirical distributions: ``W1 = integral |F_a - F_b|`` over the merged sorted projections,
so each draw costs a cumulative sum, not a sort.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["laplacian_pyramid", "wasserstein_1d", "sliced_wasserstein", "spectrum_ratio", "photo_of", "PATCH",
           "MIN_LEVEL_SIZE"]

#: Side of the patches (Karras et al.: 7x7 neighbourhoods).
PATCH = 7
#: The coarsest pyramid level keeps at least this many pixels on its short side (Karras et al.: 16x16).
MIN_LEVEL_SIZE = 16
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=torch.float64) / 16


def _as_images(images, name: str) -> torch.Tensor:
    """float64 [N, C, H, W] from a tensor or a sequence of [C, H, W]; finite, at least one image."""
    x = images if isinstance(images, torch.Tensor) else torch.stack(list(images)) if len(images) else None
    if x is None or x.ndim != 4 or x.shape[0] == 0:
        raise ValueError(f"{name} must be [N, C, H, W] with N >= 1 (or N images [C, H, W]), got "
                         f"{tuple(x.shape) if x is not None else 'nothing'}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contain non-finite values")
    return x.detach().to("cpu", torch.float64)


def _filter(x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """The separable binomial filter (times ``gain``) with reflected borders, per channel."""
    c = x.shape[1]
    k = (_BINOMIAL[:, None] * _BINOMIAL[None, :] * gain).to(x)[None, None].expand(c, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), k, groups=c)


def _up(x: torch.Tensor) -> torch.Tensor:
    """Twice the size: zeros between the samples, then the binomial filter with gain 4."""
    n, c, h, w = x.shape
    z = x.new_zeros(n, c, 2 * h, 2 * w)
    z[..., ::2, ::2] = x
    return _filter(z, 4.0)


def _levels(h: int, w: int) -> int:
    """Levels of the pyramid of an ``h x w`` image (see the module docstring)."""
    n = 1
    while min(h, w) // 2 ** n >= MIN_LEVEL_SIZE and h % 2 ** n == 0 and w % 2 ** n == 0:
        n += 1
    return n


def laplacian_pyramid(images: torch.Tensor, levels: int | None = None) -> list[torch.Tensor]:
    """The Laplacian pyramid of ``images`` [N, C, H, W], finest level first; the last level is the low-pass
    image.  ``levels``: default as many as keep the coarsest side >= :data:`MIN_LEVEL_SIZE` (and the sides
    even where they are halved).  Adding the levels back up (coarse to fine, each upsampled) gives the images."""
    h, w = images.shape[-2:]
    levels = _levels(h, w) if levels is None else levels
    if levels < 1 or h % 2 ** (levels - 1) or w % 2 ** (levels - 1) or min(h, w) >> (levels - 1) < 3:
        raise ValueError(f"a {levels}-level pyramid needs sides divisible by {2 ** max(levels - 1, 0)} and at least "
                         f"3 pixels at the coarsest level; the images are {w}x{h}")
    pyramid = [images]
    for _ in range(levels - 1):
        pyramid.append(_filter(pyramid[-1])[..., ::2, ::2])
        pyramid[-2] = pyramid[-2] - _up(pyramid[-1])
    return pyramid


def photo_of(name: str) -> str:
    """The photograph of a benchmark item's name ``photo@top,left`` (the whole name without ``@``)."""
    return str(name).split("@", 1)[0]


def _descriptors(level: torch.Tensor, corners: torch.Tensor) -> torch.Tensor:
    """The 7x7 patches at ``corners`` [N, P, 2] of ``level`` [N, C, h, w], as [N, P, 49, C]."""
    n, p = corners.shape[:2]
    offsets = torch.arange(PATCH)
    rows = (corners[..., 0, None] + offsets)[..., :, None]  # [N, P, 7, 1]
    cols = (corners[..., 1, None] + offsets)[..., None, :]  # [N, P, 1, 7]
    index = torch.arange(n)[:, None, None, None]
    return level.permute(0, 2, 3, 1)[index, rows, cols].reshape(n, p, PATCH * PATCH, -1)


def _w1(order: torch.Tensor, gaps: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``integral |F_a - F_b|`` per direction [D]: ``order`` [2 R, D] sorts the projections of the rows of both
    sets (the R rows of the first set, then those of the second), ``gaps`` [2 R - 1, D] are the spacings of the
    sorted values and ``weights`` [R] the rows' weights (the same in both sets; normalised here to sum 1)."""
    weights = weights / weights.sum()
    steps = torch.cat([weights, -weights])[order]  # F_a - F_b jumps by these along each sorted direction
    return (steps.cumsum(0)[:-1].abs() * gaps).sum(0)


def _merge(u: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(order, gaps)`` of :func:`_w1` for the rows of ``u`` and ``v`` [R, D]."""
    values, order = torch.cat([u, v]).sort(0)
    return order, values.diff(dim=0)


def wasserstein_1d(u: torch.Tensor, v: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The Wasserstein-1 distance between the empirical distributions of the columns of ``u`` and ``v`` [R, D]
    (float64 [D]), row ``r`` of both weighted by ``weights[r]`` >= 0 (default 1; normalised to sum 1): the
    integral of ``|F_u - F_v|`` over the merged sorted values."""
    u, v = torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(v, dtype=torch.float64)
    u, v = (t[:, None] if t.ndim == 1 else t for t in (u, v))
    if u.shape != v.shape or u.ndim != 2 or u.shape[0] == 0:
        raise ValueError(f"u and v must be [R, D] of one shape with R >= 1, got {tuple(u.shape)}, {tuple(v.shape)}")
    w = torch.ones(u.shape[0], dtype=torch.float64) if weights is None else torch.as_tensor(weights,
                                                                                            dtype=torch.float64)
    if w.shape != (u.shape[0],) or (w < 0).any() or not w.sum() > 0:
        raise ValueError(f"weights must be [R] = [{u.shape[0]}], non-negative, with a positive sum")
    return _w1(*_merge(u, v), w)


def sliced_wasserstein(restorations, truths, names: Sequence[str] | None = None, *, patches: int = 32,
                       directions: int = 128, levels: int | None = None, seed: int = 0, bootstrap: int = 200,
                       level: float = 0.95) -> dict:
    """Sliced Wasserstein distance between the Laplacian-pyramid patch sets of ``restorations`` and ``truths``
    (module docstring), deterministic given ``seed``.

    Returns ``{"swd", "levels", "low", "high", "photos", "bootstrap", ...the settings}``: the distance (mean over
    levels, units of 1e-3), each level's (finest first), and the ``level`` percentile interval of ``bootstrap``
    draws over the photographs of ``names`` (``None``: every item its own photograph; ``bootstrap=0``: no
    interval, ``low = high = nan``).
    """
    a, b = _as_images(restorations, "restorations"), _as_images(truths, "truths")
    if a.shape != b.shape:
        raise ValueError(f"restorations {tuple(a.shape)} and truths {tuple(b.shape)} must have one shape")
    if patches < 1 or directions < 1 or bootstrap < 0 or not 0 < level < 1:
        raise ValueError(f"need patches >= 1, directions >= 1, bootstrap >= 0 and 0 < level < 1; got {patches}, "
                         f"{directions}, {bootstrap}, {level}")
    n = a.shape[0]
    names = [str(i) for i in range(n)] if names is None else list(names)
    if len(names) != n:
        raise ValueError(f"{len(names)} names for {n} items")
    photos = list(dict.fromkeys(photo_of(s) for s in names))
    photo_index = torch.tensor([photos.index(photo_of(s)) for s in names])
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    picks = [np.bincount(rng.integers(0, len(photos), len(photos)), minlength=len(photos))
             for _ in range(bootstrap)]
    pyr_a = laplacian_pyramid(a, levels)
    pyr_b = laplacian_pyramid(b, levels)
    values, draws = [], torch.zeros(bootstrap, dtype=torch.float64)
    for la, lb in zip(pyr_a, pyr_b):
        h, w = la.shape[-2:]
        if min(h, w) < PATCH:
            raise ValueError(f"a pyramid level of {w}x{h} is smaller than the {PATCH}x{PATCH} patches")
        corners = torch.stack([torch.randint(0, h - PATCH + 1, (n, patches), generator=generator),
                               torch.randint(0, w - PATCH + 1, (n, patches), generator=generator)], -1)
        da, db = _descriptors(la, corners), _descriptors(lb, corners)  # [N, P, 49, C]
        pooled = torch.cat([da, db]).flatten(0, 2)  # [2 N P 49, C]
        mean, std = pooled.mean(0), pooled.std(0).clamp_min(1e-12)
        da, db = ((da - mean) / std).flatten(2), ((db - mean) / std).flatten(2)  # [N, P, 49 C]
        dirs = torch.randn(da.shape[-1], directions, generator=generator, dtype=torch.float64)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        order, gaps = _merge(da.flatten(0, 1) @ dirs, db.flatten(0, 1) @ dirs)  # projections [rows, D] each
        rows = n * patches
        item_of_row = torch.arange(n).repeat_interleave(patches)
        values.append(float(_w1(order, gaps, torch.ones(rows, dtype=torch.float64)).mean()) * 1e3)
        done: dict[tuple, float] = {}  # draws that pick the same photographs as an earlier one
        for k, count in enumerate(picks):
            if tuple(count) not in done:
                weights = torch.as_tensor(count, dtype=torch.float64)[photo_index][item_of_row]
                done[tuple(count)] = float(_w1(order, gaps, weights).mean()) * 1e3
            draws[k] += done[tuple(count)] / len(pyr_a)
    tail = (1 - level) / 2 * 100
    low, high = (np.percentile(draws.numpy(), [tail, 100 - tail]) if bootstrap else (np.nan, np.nan))
    return {"swd": float(np.mean(values)), "levels": values, "low": float(low), "high": float(high),
            "photos": len(photos), "bootstrap": bootstrap, "patches": patches, "directions": directions,
            "seed": seed}


def spectrum_ratio(restorations, truths, bands: int = 8) -> dict:
    """Power of ``restorations`` relative to ``truths`` per radial frequency band, in dB.

    Each image channel, less its mean and times a 2-D Hann window (so that the borders add no spurious high
    frequencies), is Fourier transformed; the power ``|FFT|^2`` is summed over the images, channels and the
    frequencies of each of ``bands`` equal bands of radius ``|f|`` in ``(0, 0.5]`` cycles per pixel (the corners
    beyond 0.5 are left out).  Returns ``{"edges": [bands + 1], "db": [bands]}`` with ``db = 10 log10(power of
    the restorations / power of the truths)``: negative where detail is missing (blur), positive where there is
    too much (noise, artefacts); ``nan`` for a band without frequencies or without power in the truths.
    """
    a, b = _as_images(restorations, "restorations"), _as_images(truths, "truths")
    if a.shape != b.shape:
        raise ValueError(f"restorations {tuple(a.shape)} and truths {tuple(b.shape)} must have one shape")
    if bands < 1:
        raise ValueError(f"bands must be >= 1, got {bands}")
    h, w = a.shape[-2:]
    window = torch.hann_window(h, periodic=False, dtype=torch.float64)[:, None] * \
        torch.hann_window(w, periodic=False, dtype=torch.float64)[None, :]
    radius = torch.sqrt(torch.fft.fftfreq(h, dtype=torch.float64)[:, None] ** 2 +
                        torch.fft.fftfreq(w, dtype=torch.float64)[None, :] ** 2)
    edges = torch.linspace(0, 0.5, bands + 1, dtype=torch.float64)
    band = torch.bucketize(radius, edges, right=False) - 1  # (edges[k], edges[k + 1]] -> k; 0 -> -1
    band[(radius == 0) | (radius > 0.5)] = -1

    def power(x):
        x = (x - x.mean((-2, -1), keepdim=True)) * window
        p = torch.fft.fft2(x).abs().pow(2).sum((0, 1))  # [h, w]
        return torch.zeros(bands, dtype=torch.float64).index_add_(0, band[band >= 0], p[band >= 0])

    pa, pb = power(a), power(b)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 10 * np.log10(pa.numpy() / np.where(pb.numpy() > 0, pb.numpy(), np.nan))
    return {"edges": edges.tolist(), "db": [float(v) for v in db]}
