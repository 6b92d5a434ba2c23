"""Figures of restorations: a grid of degraded input, restoration and truth per item (:func:`figure_grid`), and
one input restored by several methods with error maps and zooms (:func:`figure_methods`)."""
from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from rdbm_core.data.files import atomic_write
from rdbm_core.evidence.metrics import psnr, to_unit_hwc

__all__ = ["figure_grid", "figure_methods", "display_array"]


def display_array(img: torch.Tensor) -> np.ndarray:
    """[C, H, W] in [-1, 1] -> [H, W, C] (or [H, W] for one channel) in [0, 1] for imshow."""
    x = to_unit_hwc(img, "image")
    return x[..., 0] if x.shape[-1] == 1 else x


def figure_grid(inputs, restored, targets, path, titles: Sequence[str] | None = None, max_rows: int = 6) -> Path:
    """Save a PNG comparison grid and return its path.

    ``inputs``, ``restored``, ``targets``: [B, C, H, W] tensors (or sequences
    of [C, H, W]) in [-1, 1], C = 1 or 3. One row per image (the first
    ``max_rows``), columns: input | restored | target | error, where error is
    ``|restored - target|`` in [0, 1] units averaged over channels, shown as a
    heat map with its colour bar. The input and restored titles carry their
    PSNR against the target; ``titles[i]``, when given, labels row ``i``.
    Uses matplotlib's Agg canvas directly (no display, no pyplot state).
    """
    n = min(len(inputs), len(restored), len(targets), max_rows)
    if n < 1:
        raise ValueError("figure_grid needs at least one image")
    fig = Figure(figsize=(4 * 3.0, n * 3.0), layout="constrained")
    axes = fig.subplots(n, 4, squeeze=False)
    for i in range(n):
        x, y, z = inputs[i], restored[i], targets[i]
        err = ((y - z).abs() / 2).mean(dim=0).detach().cpu().numpy()  # [H, W], [0, 1] units
        panels = [
            (x, f"input  {psnr(x, z):.2f} dB"),
            (y, f"restored  {psnr(y, z):.2f} dB"),
            (z, "target"),
        ]
        for ax, (img, title) in zip(axes[i], panels):
            ax.imshow(display_array(img), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(title, fontsize=9)
        im = axes[i, 3].imshow(err, cmap="inferno", vmin=0, interpolation="nearest")
        axes[i, 3].set_title("|restored - target|", fontsize=9)
        fig.colorbar(im, ax=axes[i, 3], fraction=0.046)
        if titles is not None and i < len(titles):
            axes[i, 0].set_ylabel(titles[i], fontsize=9)
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path


def _zoom_windows(mask: torch.Tensor, size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Top-left corners of the ``size x size`` windows with the most and the fewest degraded pixels."""
    stride = max(1, size // 4)
    m = mask.reshape(1, 1, *mask.shape[-2:]).float()
    frac = torch.nn.functional.avg_pool2d(m, size, stride=stride)[0, 0]  # [rows, cols]
    most, least = int(frac.argmax()), int(frac.argmin())
    cols = frac.shape[1]
    return (most // cols * stride, most % cols * stride), (least // cols * stride, least % cols * stride)


def figure_methods(mu: torch.Tensor, restorations: dict, target: torch.Tensor, mask: torch.Tensor, path,
                   zoom: int | None = None, title: str = "", dpi: int = 70) -> Path:
    """Save a PNG of one degraded input restored by several methods and return its path.

    ``mu``, ``target``: [3, H, W] in [-1, 1]; ``restorations``: method name -> [3, H, W]; ``mask``: bool
    [1, H, W] (True = degraded). Columns: the input, each method, the target. Rows: the images (titles: PSNR
    against the target); the error ``|image - target|`` in [0, 1] units averaged over channels, on one colour
    scale for every column (the target column shows the mask); a zoom on the ``zoom x zoom`` window with the
    most degraded pixels and one on the window with the fewest (default side: a quarter of the short side),
    with the PSNR of each method in that window. ``dpi`` sets the resolution of the PNG.
    """
    if not restorations:
        raise ValueError("figure_methods needs at least one restoration")
    h, w = target.shape[-2:]
    zoom = zoom or max(8, min(h, w) // 4)
    (dt, dl), (it, il) = _zoom_windows(mask, zoom)
    columns = [("input", mu), *restorations.items(), ("target", target)]
    errors = {name: ((img - target).abs() / 2).mean(0).detach().cpu().numpy() for name, img in columns[:-1]}
    vmax = max(float(np.percentile(e, 99.5)) for e in errors.values()) or 1.0
    fig = Figure(figsize=(2.1 * len(columns), 2.1 * 4 * h / w + 0.6), layout="constrained")
    axes = fig.subplots(4, len(columns), squeeze=False)
    for j, (name, img) in enumerate(columns):
        axes[0, j].imshow(display_array(img), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[0, j].set_title(name if name == "target" else f"{name}\n{psnr(img, target):.2f} dB", fontsize=8)
        if name == "target":
            axes[1, j].imshow(mask.reshape(h, w).cpu().numpy(), cmap="gray", interpolation="nearest")
            axes[1, j].set_title("degraded pixels", fontsize=8)
        else:
            im = axes[1, j].imshow(errors[name], cmap="inferno", vmin=0, vmax=vmax, interpolation="nearest")
        for row, (top, left), label in ((2, (dt, dl), "most degraded"), (3, (it, il), "least degraded")):
            window = (slice(None), slice(top, top + zoom), slice(left, left + zoom))
            axes[row, j].imshow(display_array(img[window]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            if name != "target":
                axes[row, j].set_title(f"{label}: {psnr(img[window], target[window]):.2f} dB", fontsize=7)
            for r in (0, 1):
                axes[r, j].add_patch(Rectangle((left - 0.5, top - 0.5), zoom, zoom, fill=False,
                                               color="cyan" if label == "most degraded" else "lime", lw=0.8))
    fig.colorbar(im, ax=axes[1, -2], fraction=0.046, label="|error|")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    axes[2, 0].set_ylabel("zoom: most degraded", fontsize=8)
    axes[3, 0].set_ylabel("zoom: least degraded", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    path = Path(path)
    atomic_write(path, buf.getvalue())
    return path
