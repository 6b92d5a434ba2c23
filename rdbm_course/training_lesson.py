"""Helpers of notebook 06 (training a full RDBM): its figures, tables and measurements, so that the notebook's cells
show a call and its output rather than plotting and bookkeeping code.

* :func:`training_pool`, :func:`trainer_batch`: the pool of training pairs and the batch, times and noise of
  training iteration ``k``, drawn exactly as the library's trainer draws them (sections 1 and 3, exercise 06.1 (b));
* :func:`training_pair_figure`: one training pair per task and a diagram of one training iteration (section 1);
* :func:`degraded_share`: the share of degraded pixels in the batches a run trained on (section 3);
* :func:`running_average`, :class:`CurveSummary`, :func:`loss_curve_figure`: the smoothed loss and what section 3
  reads from it;
* :func:`restoration_figure`: input, restoration, target and two error maps per test crop (section 4);
* :func:`error_map`, :func:`degraded_error_ratio`, :func:`reset_psnr`, :func:`edge_band`, :func:`edge_errors`,
  :func:`restore_in_tiles`, :func:`widest_hole`: the measurements behind section 4's statements about single crops;
* :func:`region_tables`: section 5's tables of PSNR and SSIM by region.

Images are ``[C, H, W]`` (or ``[B, C, H, W]``) tensors in ``[-1, 1]``; errors and PSNRs are measured on the
``[0, 1]`` scale of the 8-bit image, as :mod:`rdbm_core.evidence.metrics` does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import scipy.ndimage
import torch

from rdbm_core.data.degradations import degraded_mask
from rdbm_core.evidence.metrics import psnr, to_unit_hwc
from rdbm_core.networks.training import CachedDataset, batch_indices, collate, step_generator, training_dataset
from rdbm_core.restoration.evaluation import restore

__all__ = ["TASK_COLOURS", "training_pool", "trainer_batch", "training_pair_figure", "degraded_share",
           "running_average", "CurveSummary", "loss_curve_figure", "restoration_figure", "error_map",
           "degraded_error_ratio", "reset_psnr", "edge_band", "edge_errors", "restore_in_tiles", "widest_hole",
           "region_tables"]

#: one colour per task in every figure of notebook 06 (Okabe-Ito blue and orange, safe for colour-blind readers)
TASK_COLOURS = {"derain": "#0072B2", "inpaint": "#E69F00"}


# ----------------------------------------------------------------------------------------- the trainer's draws

def training_pool(config):
    """The fixed pool of training pairs of ``config`` (``config.pool`` pairs cut from the training photographs),
    each item memoised: the pool the trainer draws its batches from."""
    return CachedDataset(training_dataset(config))


def trainer_batch(config, pool, k: int, bridge=None):
    """The batch of training iteration ``k`` (counted from 0) of a one-process run of ``config``: ``(x0, mu)``, and
    with ``bridge`` also the times ``t`` [B] and noise ``eps`` [B, C, H, W] the trainer's loss drew for it (same
    generator, same order: times first, then noise)."""
    indices = batch_indices(len(pool), k, config.batch, config.seed, rank=0, world=1)
    x0, mu = collate([pool[i] for i in indices], "cpu")
    if bridge is None:
        return x0, mu
    generator = step_generator(config.seed, k, rank=0)
    t = bridge.schedule.sample_train_times(len(x0), generator=generator)
    eps = torch.randn(x0.shape, generator=generator)
    return x0, mu, t, eps


def degraded_share(config, pool, iterations: int) -> float:
    """Mean share of degraded pixels (:func:`rdbm_core.data.degradations.degraded_mask`) over the batches of
    training iterations ``0 .. iterations - 1``."""
    return float(np.mean([float(degraded_mask(*trainer_batch(config, pool, k)).float().mean())
                          for k in range(iterations)]))


# ----------------------------------------------------------------------------------------- section 1: the picture

def training_pair_figure(pairs: dict, bridge, times=(25, 50, 90), seed: int = 0):
    """One row per task of ``pairs`` (``{task: (x0, mu)}``, one pair each, ``[C, H, W]``): the clean ``x0``, the
    degraded ``mu``, the degraded pixels, ``x_t`` at three bridge times (drawn with one noise ``eps`` per row) and,
    at the last time, the noise term ``Sigma_t * pi * eps`` in 8-bit levels; under them a diagram of one training
    iteration. Returns the figure."""
    n_cols = 4 + len(times)
    fig = plt.figure(figsize=(13, 2.35 * len(pairs) + 1.3), layout="constrained")
    grid = fig.add_gridspec(len(pairs) + 1, n_cols, height_ratios=[1] * len(pairs) + [0.42])
    generator = torch.Generator().manual_seed(seed)
    theta, _, sigma = bridge.coefficients(torch.tensor(times))
    for row, (task, (x0, mu)) in enumerate(pairs.items()):
        eps = torch.randn(x0.shape, generator=generator)
        x_t = [bridge.sample(x0[None], mu[None], int(t), noise=eps[None])[0] for t in times]
        noise = (sigma[-1].item() * (x0 - mu) * eps).abs().mean(0) * 255 / 2  # [-1, 1] units -> 8-bit levels
        panels = [(to_unit_hwc(x0, "x0"), {}, "clean x0"), (to_unit_hwc(mu, "mu"), {}, "degraded mu"),
                  (degraded_mask(x0, mu)[0].numpy(), dict(cmap="gray", vmin=0, vmax=1),
                   f"degraded pixels (white)\n{100 * float(degraded_mask(x0, mu).float().mean()):.0f} % of the crop")]
        panels += [(to_unit_hwc(x, "x_t"), {}, f"x_t, t = {t}\nΘ = {th:.2f}, Σ = {sg:.4f}")
                   for x, t, th, sg in zip(x_t, times, theta.tolist(), sigma.tolist())]
        panels.append((noise.numpy(), dict(cmap="viridis", vmin=0),
                       f"|Σ_t π ⊙ ε|, t = {times[-1]}\n(8-bit levels)"))
        for col, (picture, style, title) in enumerate(panels):
            ax = fig.add_subplot(grid[row, col])
            handle = ax.imshow(picture, interpolation="nearest", **style)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if col == 0:
                ax.set_ylabel(task, fontsize=11)
            if col == n_cols - 1:
                fig.colorbar(handle, ax=ax, shrink=0.8).ax.tick_params(labelsize=9)
    ax = fig.add_subplot(grid[-1, :])
    ax.set_axis_off()
    steps = ["pairs (x0, mu): 8 per\nbatch, from the pool", "draw t in {0, …, 99}\nand ε ~ N(0, I)",
             "x_t = mu + Θ_t π + Σ_t π ⊙ ε\n(π = x0 − mu)", "network: x0_hat =\nmu + net(x_t, mu, t)",
             "loss = mean |x0_hat − x0|\n(L1, every value)", "Adam step (gradient\nnorm ≤ 1), then EMA"]
    boxes = [ax.text((i + 0.5) / len(steps), 0.5, text, ha="center", va="center", fontsize=9.5,
                     transform=ax.transAxes, bbox=dict(boxstyle="round,pad=0.4", facecolor="#F2F2F2", edgecolor="0.4"))
             for i, text in enumerate(steps)]
    for before, after in zip(boxes, boxes[1:]):  # an arrow from the right edge of one box to the left edge of the next
        ax.annotate("", xy=(0, 0.5), xycoords=after, xytext=(1, 0.5), textcoords=before,
                    arrowprops=dict(arrowstyle="->", lw=1.5, color="0.2", shrinkA=7, shrinkB=7))
    ax.set_title("one training iteration", fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------- section 3: loss curves

def running_average(values, alpha: float = 0.05) -> np.ndarray:
    """Exponential running average with weight ``alpha`` on each new value, divided by ``1 - (1 - alpha)^i`` after
    ``i`` values so that the first ones are not biased towards 0."""
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc = (1 - alpha) * acc + alpha * float(v)
        out.append(acc / (1 - (1 - alpha) ** (i + 1)))
    return np.array(out)


@dataclass
class CurveSummary:
    """What section 3 reads from one run's raw losses (iterations counted from 1): the smoothed loss at ``2N/3``,
    its minimum and where, its last value; and the means of the raw losses over the last two windows of ``window``
    iterations, with the difference of those means and its standard error."""

    iterations: int
    at_two_thirds: float
    minimum: float
    argmin: int
    last: float
    window: int
    early_mean: float
    late_mean: float
    difference: float
    difference_se: float

    @classmethod
    def of(cls, losses, alpha: float = 0.05, window: int = 20) -> "CurveSummary":
        losses = np.asarray(losses, dtype=float)
        window = min(window, len(losses) // 2)  # a short run (the fast mode's) gets shorter windows
        smooth = running_average(losses, alpha)
        n, lowest = len(losses), int(np.argmin(smooth))
        early, late = losses[-2 * window:-window], losses[-window:]
        se = math.sqrt(early.var(ddof=1) / len(early) + late.var(ddof=1) / len(late))
        return cls(n, float(smooth[2 * n // 3 - 1]), float(smooth[lowest]), lowest + 1, float(smooth[-1]), window,
                   float(early.mean()), float(late.mean()), float(late.mean() - early.mean()), se)

    def text(self) -> str:
        n, w = self.iterations, self.window
        ratio = abs(self.difference) / self.difference_se if self.difference_se > 0 else math.nan
        return (f"smoothed loss at iteration {2 * n // 3} (2N/3) {self.at_two_thirds:.4f}, minimum {self.minimum:.4f} "
                f"at {self.argmin}, last ({n}) {self.last:.4f}\n"
                f"          raw loss, mean over iterations {n - 2 * w + 1}–{n - w}: {self.early_mean:.4f}, "
                f"{n - w + 1}–{n}: {self.late_mean:.4f}; difference {self.difference:+.4f} "
                f"± {self.difference_se:.4f} "
                f"(standard error), {ratio:.1f} standard errors")


def loss_curve_figure(losses_by_task: dict, alpha: float = 0.05):
    """One panel per task: each iteration's raw loss (thin) and its running average (thick), log scale. Returns the
    figure."""
    fig, axes = plt.subplots(1, len(losses_by_task), figsize=(11, 3.6), layout="constrained", sharey=True,
                             squeeze=False)
    for ax, (task, losses) in zip(axes[0], losses_by_task.items()):
        iteration = np.arange(1, len(losses) + 1)
        colour = TASK_COLOURS.get(task, "0.3")
        ax.plot(iteration, losses, color=colour, alpha=0.35, lw=0.8, label="each iteration (its batch)")
        ax.plot(iteration, running_average(losses, alpha), color=colour, lw=2, label=f"smoothed loss (α = {alpha:g})")
        ax.set(title=task, xlabel="training iteration (from 1)", yscale="log")
        ax.legend(fontsize=9, loc="upper right")
    axes[0, 0].set_ylabel("L1 loss ([−1, 1] units)")
    axes[0, 0].yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0.01, 0.02, 0.05, 0.1]))
    axes[0, 0].yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))  # plain decimals
    axes[0, 0].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.suptitle("training loss of the raw (non-EMA) weights, each on its own training batch; no held-out loss",
                 fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------- section 4: restorations

def _db(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


def restoration_figure(task: str, names, items, restorations, rows, all_max: float = 0.3, intact_max: float = 0.05):
    """One row per test crop: input | restoration | target | ``|restored − target|`` on all pixels (scale 0 to
    ``all_max``) | the same on the intact pixels only (scale 0 to ``intact_max``, blank on degraded pixels). Errors
    are means over RGB in [0, 1] units; ``rows`` are the evaluation's per-crop metrics, quoted in the titles.
    Returns the figure."""
    fig, axes = plt.subplots(len(names), 5, figsize=(13, 2.75 * len(names) + 0.9), squeeze=False,
                             layout="constrained")
    for i, (item, image, row) in enumerate(zip(items, restorations, rows)):
        target = to_unit_hwc(item["x0"], "target")
        error = np.abs(to_unit_hwc(image, "restored") - target).mean(-1)
        intact = ~degraded_mask(item["x0"], item["mu"])[0].numpy()
        scores = [f"whole {_db(row[p + 'psnr'])} / degr. {_db(row[p + 'psnr_degraded'])} / intact "
                  f"{_db(row[p + 'psnr_intact'])} dB" for p in ("input_", "")]
        panels = [
            (to_unit_hwc(item["mu"], "input"), {}, f"input\n{scores[0]}"),
            (to_unit_hwc(image, "restored"), {}, f"restored\n{scores[1]}"),
            (target, {}, "target (clean)"),
            (error, dict(cmap="inferno", vmin=0, vmax=all_max), f"error, all pixels\nmean {error.mean():.3f}"),
            (np.ma.masked_where(~intact, error), dict(cmap="viridis", vmin=0, vmax=intact_max),
             f"error, intact pixels only\nmean {error[intact].mean():.4f}"),
        ]
        for j, (ax, (picture, style, title)) in enumerate(zip(axes[i], panels)):
            handle = ax.imshow(picture, interpolation="nearest", **style)
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= 3 and i == len(names) - 1:
                bar = fig.colorbar(handle, ax=axes[:, j], location="bottom", shrink=0.9, extend="max", aspect=30,
                                   pad=0.01)
                bar.set_label("mean |error| over RGB ([0, 1] units)", fontsize=9)
                bar.ax.tick_params(labelsize=9)
        axes[i, 0].set_ylabel(names[i], fontsize=11)
    fig.suptitle(f"{task}: PSNR against the target on the whole crop, its degraded and its intact pixels", fontsize=11)
    return fig


def error_map(item: dict, image: torch.Tensor) -> torch.Tensor:
    """``|image − item["x0"]|`` averaged over RGB, in [0, 1] units: ``[1, H, W]``."""
    return (image - item["x0"]).abs().mean(0, keepdim=True) / 2


def degraded_error_ratio(item: dict, image: torch.Tensor) -> float:
    """Absolute error left on the degraded pixels: the summed ``|image − x0|`` over them divided by the same sum
    for the input ``mu`` (1: nothing removed, 0: all of it)."""
    degraded = degraded_mask(item["x0"], item["mu"])
    return float(error_map(item, image)[degraded].sum() / error_map(item, item["mu"])[degraded].sum())


def reset_psnr(item: dict, image: torch.Tensor, where: torch.Tensor | None = None) -> float:
    """Whole-image PSNR of ``image`` against ``item["x0"]`` after putting back the input ``item["mu"]`` on the intact
    pixels selected by the bool ``where`` ([1, H, W]; ``None``: every intact pixel). Degraded pixels are never
    reset."""
    intact = ~degraded_mask(item["x0"], item["mu"])
    reset = intact if where is None else intact & where
    return psnr(torch.where(reset, item["mu"], image), item["x0"])


def edge_band(height: int, width: int, band: int, sides: str = "bottom right", tile: int | None = None) -> torch.Tensor:
    """Bool ``[1, height, width]``: the pixels within ``band`` pixels of the named ``sides`` (any of ``top``,
    ``bottom``, ``left``, ``right``) of the image or, with ``tile``, of every ``tile`` x ``tile`` block of it."""
    rows, cols = torch.arange(height) % (tile or height), torch.arange(width) % (tile or width)
    size_r, size_c = tile or height, tile or width
    near = {"top": (rows < band)[:, None].expand(height, width),
            "bottom": (rows >= size_r - band)[:, None].expand(height, width),
            "left": (cols < band)[None, :].expand(height, width),
            "right": (cols >= size_c - band)[None, :].expand(height, width)}
    out = torch.zeros(height, width, dtype=torch.bool)
    for side in sides.split():
        out |= near[side]
    return out[None]


def edge_errors(item: dict, image: torch.Tensor, band: int, tile: int | None = None) -> dict:
    """Mean ``|image − x0|`` over RGB, [0, 1] units, on the intact pixels within ``band`` pixels of the bottom or
    right sides and of the top or left sides (of the image, or of each ``tile`` block, the other sides left out)."""
    error = error_map(item, image)
    intact = ~degraded_mask(item["x0"], item["mu"])
    height, width = error.shape[-2:]
    bottom_right = edge_band(height, width, band, "bottom right", tile)
    top_left = edge_band(height, width, band, "top left", tile) & ~bottom_right
    return {"bottom/right": float(error[intact & bottom_right].mean()),
            "top/left": float(error[intact & top_left].mean())}


def restore_in_tiles(model, bridge, mu: torch.Tensor, tile: int, sampler) -> torch.Tensor:
    """Restore ``mu`` [C, H, W] block by block, each ``tile`` x ``tile`` block on its own (no overlap, nothing shared
    between blocks); ``H`` and ``W`` must be multiples of ``tile``."""
    height, width = mu.shape[-2:]
    if height % tile or width % tile:
        raise ValueError(f"a {height}x{width} image does not split into {tile}x{tile} blocks")
    out = torch.empty_like(mu)
    for i in range(0, height, tile):
        for j in range(0, width, tile):
            out[:, i:i + tile, j:j + tile] = restore(model, bridge, mu[None, :, i:i + tile, j:j + tile], sampler)[0]
    return out


def widest_hole(x0: torch.Tensor, mu: torch.Tensor) -> float:
    """Width in pixels of the widest hole (brush stroke): twice the largest distance from a degraded pixel to the
    nearest intact one."""
    return 2 * float(scipy.ndimage.distance_transform_edt(degraded_mask(x0, mu)[0].numpy()).max())


# ----------------------------------------------------------------------------------------- section 5: tables

def _fmt(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.2f}"


REGIONS = (("whole image", ""), ("degraded pixels", "_degraded"), ("intact pixels", "_intact"))


def region_tables(task: str, names, rows, summary: dict, shares) -> str:
    """Markdown: the means over the crops of PSNR and SSIM, input and restored, on the whole image, the degraded
    and the intact pixels (an ``∞`` mean made by some ``∞`` crops is footnoted with the finite ones); then one row
    per crop: its degraded share and each metric as ``input → restored``."""
    lines = [f"**{task}: mean over the {summary['count']} crops of the per-crop PSNR (dB) and SSIM**", "",
             "| region | PSNR input | PSNR restored | SSIM input | SSIM restored |", "|---|---:|---:|---:|---:|"]
    for region, suffix in REGIONS:
        lines.append(f"| {region} | {_fmt(summary['input_psnr' + suffix])} | {_fmt(summary['psnr' + suffix])} | "
                     f"{summary['input_ssim' + suffix]:.4f} | {summary['ssim' + suffix]:.4f} |")
    finite = [f"{name} {row['input_psnr_intact']:.2f} dB" for name, row in zip(names, rows)
              if not math.isinf(row["input_psnr_intact"])]
    infinite = sum(math.isinf(row["input_psnr_intact"]) for row in rows)
    if infinite and finite:  # footnote the mean that any ∞ crop makes ∞
        lines[-1] = lines[-1].replace("| ∞ |", "| ∞ ¹ |", 1)
        lines += ["", f"¹ Any ∞ crop makes the mean ∞ (here {infinite} do); it hides the finite input "
                      "intact-pixel PSNR of " + ", ".join(finite) + "."]
    lines += ["", f"**{task}, per crop: input → restored**", "",
              "| crop | degraded share | PSNR whole (dB) | PSNR degraded | PSNR intact | SSIM whole | SSIM degraded | "
              "SSIM intact |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, row, share in zip(names, rows, shares):
        cells = [f"{_fmt(row['input_psnr' + s])} → {_fmt(row['psnr' + s])}" for _, s in REGIONS]
        cells += [f"{row['input_ssim' + s]:.3f} → {row['ssim' + s]:.3f}" for _, s in REGIONS]
        lines.append(f"| {name} | {share:.3f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
