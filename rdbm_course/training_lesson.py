"""Helpers of notebook 06 (training a full RDBM): its figures, tables and measurements, so that the notebook's cells
show a call and its output rather than plotting and bookkeeping code.

* :func:`config_table`, :func:`photographs_text`: the fields of a run's config that section 1 explains, and the
  photographs it trains on and is tested on;
* :func:`training_pool`, :func:`trainer_batch`: the pool of training pairs and the batch, times and noise of
  training iteration ``k``, drawn exactly as the library's trainer draws them (sections 1 and 3, exercise 06.1 (b));
* :func:`fresh_training_state`: a fresh network, its EMA copy and its optimiser, as the trainer builds them
  (section 1 runs one training iteration on it);
* :func:`training_pair_figure`: one training pair per task and a diagram of one training iteration (section 1);
* :func:`degraded_share`: the share of degraded pixels in the batches a run trained on (section 3);
* :func:`running_average`, :class:`CurveSummary`, :func:`loss_curve_figure`: the smoothed loss and what section 3
  reads from it;
* :func:`restoration_figure`: input, restoration, target and two error maps per test window (section 4);
* :func:`error_map`, :func:`degraded_error_ratio`, :func:`widest_hole`, :func:`share_near_degraded`: the
  measurements behind the statements of sections 4 and 5;
* :class:`Change`, :func:`region_changes`, :func:`change_table`: section 5's table of PSNR and SSIM by region,
  input and restored, with the mean change over the benchmark's windows and its hierarchical bootstrap interval
  (photographs, then windows: :func:`rdbm_core.evidence.stats.hierarchical_bootstrap`);
* :func:`edge_band`, :func:`edge_errors`, :func:`edge_error_table`, :func:`padded_restoration`: the appendix on
  the errors near a window's edges (restored as it is, and reflect-padded then cropped back).

Images are ``[C, H, W]`` (or ``[B, C, H, W]``) tensors in ``[-1, 1]``; errors and PSNRs are measured on the
``[0, 1]`` scale of the 8-bit image, as :mod:`rdbm_core.evidence.metrics` does.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import scipy.ndimage
import torch
import torch.nn.functional as F

from rdbm_core.data.datasets import BENCHMARK_PHOTOS, BENCHMARK_VERSION
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.data.embedded import embedded_image_names, embedded_tensors, photo_tensor
from rdbm_core.evidence.metrics import to_unit_hwc
from rdbm_core.evidence.stats import hierarchical_bootstrap
from rdbm_core.networks.config import make_model
from rdbm_core.networks.training import CachedDataset, batch_indices, collate, step_generator, training_dataset
from rdbm_core.restoration.evaluation import restore

__all__ = ["TASK_COLOURS", "CONFIG_FIELDS", "config_table", "photographs_text", "training_pool", "trainer_batch",
           "fresh_training_state",
           "training_pair_figure", "degraded_share", "running_average", "CurveSummary", "loss_curve_figure",
           "restoration_figure", "error_map", "degraded_error_ratio", "edge_band", "padded_restoration",
           "edge_errors", "edge_error_table", "widest_hole", "share_near_degraded", "Change", "region_changes", "change_table"]

#: one colour per task in every figure of notebook 06 (Okabe-Ito blue and orange, safe for colour-blind readers)
TASK_COLOURS = {"derain": "#0072B2", "inpaint": "#E69F00"}


# ----------------------------------------------------------------------------------------- section 1: the run

#: the fields of a ``TrainConfig`` that section 1 explains, in its order
CONFIG_FIELDS = ("preset", "unet_norm", "crop", "batch", "pool", "steps", "lr", "ema", "grad_clip", "skip_mu",
                 "objective", "norm", "eval_every", "sample_steps", "bridge", "noise", "lam", "seed")


def config_table(configs: dict, fields=CONFIG_FIELDS) -> str:
    """Markdown: one row per field of ``fields``, one column per config of ``configs`` (``{label: TrainConfig}``)."""
    labels = list(configs)
    lines = ["| field | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name in fields:
        lines.append(f"| `{name}` | " + " | ".join(f"`{getattr(configs[label], name)!r}`" for label in labels) + " |")
    return "\n".join(lines)


def photographs_text(version: int = BENCHMARK_VERSION) -> str:
    """Two lines: the training photographs, then those of the held-out benchmark ``version``
    (:data:`rdbm_core.data.datasets.BENCHMARK_PHOTOS`): how many, their names and sizes (height x width, pixels)."""
    splits = (("training", embedded_image_names("train"), embedded_tensors("train")),
              (f"held-out (benchmark version {version})", BENCHMARK_PHOTOS[version],
               [photo_tensor(name) for name in BENCHMARK_PHOTOS[version]]))
    lines = []
    for role, names, images in splits:
        sizes = ", ".join(f"{name} {image.shape[1]}x{image.shape[2]}" for name, image in zip(names, images))
        lines.append(f"{role} photographs ({len(names)}): {sizes}")
    return "\n".join(lines)


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


def fresh_training_state(config, bridge):
    """``(model, ema, optimizer)`` as the library's trainer builds them before its first iteration: the network of
    ``config`` initialised after ``torch.manual_seed(config.seed)`` (this reseeds torch's global generator), a frozen
    copy of it as the EMA network, and AdamW with the config's learning rate and weight decay. Two calls give
    identical states."""
    torch.manual_seed(config.seed)
    model = make_model(config, bridge)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return model, ema, optimizer


def degraded_share(config, pool, iterations: int) -> float:
    """Mean share of degraded pixels (:func:`rdbm_core.data.degradations.degraded_mask`) over the batches of
    training iterations ``0 .. iterations - 1``."""
    return float(np.mean([float(degraded_mask(*trainer_batch(config, pool, k)).float().mean())
                          for k in range(iterations)]))


# ----------------------------------------------------------------------------------------- section 1: the picture

def training_pair_figure(pairs: dict, bridge, times=(25, 50, 90), seed: int = 0):
    """One row per task of ``pairs`` (``{task: (x0, mu)}``, one pair each, ``[C, H, W]``): the clean ``x0``, the
    degraded ``mu``, the degraded pixels, ``x_t`` at three bridge times (drawn with one noise ``eps`` per row) and,
    at the last time, the size of the noise term ``|Sigma_t * pi * eps|`` in 8-bit levels (mean over RGB, one colour
    scale for every row); under them a diagram of one training iteration. Returns the figure."""
    n_cols = 4 + len(times)
    fig = plt.figure(figsize=(13, 2.35 * len(pairs) + 1.3), layout="constrained")
    grid = fig.add_gridspec(len(pairs) + 1, n_cols, height_ratios=[1] * len(pairs) + [0.42])
    generator = torch.Generator().manual_seed(seed)
    theta, _, sigma = bridge.coefficients(torch.tensor(times))
    noises = {task: torch.randn(x0.shape, generator=generator) for task, (x0, _) in pairs.items()}
    noise_maps = {task: (sigma[-1].item() * (x0 - mu) * noises[task]).abs().mean(0) * 255 / 2  # 8-bit levels
                  for task, (x0, mu) in pairs.items()}
    noise_max = max(float(m.max()) for m in noise_maps.values())  # one colour scale for every row
    for row, (task, (x0, mu)) in enumerate(pairs.items()):
        eps, noise = noises[task], noise_maps[task]
        x_t = [bridge.sample(x0[None], mu[None], int(t), noise=eps[None])[0] for t in times]
        panels = [(to_unit_hwc(x0, "x0"), {}, "clean x0"), (to_unit_hwc(mu, "mu"), {}, "degraded mu"),
                  (degraded_mask(x0, mu)[0].numpy(), dict(cmap="gray", vmin=0, vmax=1),
                   f"degraded pixels (white)\n{100 * float(degraded_mask(x0, mu).float().mean()):.0f} % of the crop")]
        panels += [(to_unit_hwc(x, "x_t"), {}, f"x_t, t = {t}\nΘ = {th:.2f}, Σ = {sg:.4f}")
                   for x, t, th, sg in zip(x_t, times, theta.tolist(), sigma.tolist())]
        panels.append((noise.numpy(), dict(cmap="viridis", vmin=0, vmax=noise_max),
                       f"|Σ_t π ⊙ ε|, t = {times[-1]}\n(8-bit levels, RGB mean)"))
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
    """One panel per task: each iteration's raw loss (thin) and its running average (thick), log scale; the left
    axis in [−1, 1] units, the right one in 8-bit levels (times 127.5). Returns the figure."""
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
    levels = axes[0, -1].secondary_yaxis("right", functions=(lambda v: v * 127.5, lambda v: v / 127.5))
    levels.set_ylabel("mean |error| in 8-bit levels")  # a [−1, 1] unit is 127.5 levels
    levels.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([1, 2, 5, 10]))
    levels.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    levels.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fig.suptitle("training loss of the raw (non-EMA) weights, each on its own training batch; no held-out loss",
                 fontsize=10)
    return fig


# ----------------------------------------------------------------------------------------- section 4: restorations

def _db(value: float) -> str:
    return "∞" if math.isinf(value) else f"{value:.1f}"


def restoration_figure(task: str, names, items, restorations, rows, all_max: float = 0.3, intact_max: float = 0.05):
    """One row per test window: input | restoration | target | ``|restored − target|`` on all pixels (scale 0 to
    ``all_max``) | the same on the intact pixels only (scale 0 to ``intact_max``; degraded pixels white, not scored).
    Errors are means over RGB in [0, 1] units; ``rows`` are the evaluation's per-window metrics, quoted in the titles
    (PSNR on the whole window, its degraded and its intact pixels). 10 inches wide, titles in 10 pt: readable at
    notebook width. Returns the figure."""
    fig, axes = plt.subplots(len(names), 5, figsize=(10, 2.7 * len(names) + 0.9), squeeze=False,
                             layout="constrained")
    for i, (item, image, row) in enumerate(zip(items, restorations, rows)):
        target = to_unit_hwc(item["x0"], "target")
        error = np.abs(to_unit_hwc(image, "restored") - target).mean(-1)
        intact = ~degraded_mask(item["x0"], item["mu"])[0].numpy()
        scores = [f"whole {_db(row[p + 'psnr'])} dB\ndegraded {_db(row[p + 'psnr_degraded'])} dB\n"
                  f"intact {_db(row[p + 'psnr_intact'])} dB" for p in ("input_", "")]
        panels = [
            (to_unit_hwc(item["mu"], "input"), {}, f"input\n{scores[0]}"),
            (to_unit_hwc(image, "restored"), {}, f"restored\n{scores[1]}"),
            (target, {}, "target (clean)"),
            (error, dict(cmap="inferno", vmin=0, vmax=all_max), f"error, all pixels\nmean {error.mean():.3f}"),
            (np.ma.masked_where(~intact, error), dict(cmap="viridis", vmin=0, vmax=intact_max),
             f"error, intact pixels\n(white: degraded)\nmean {error[intact].mean():.4f}"),
        ]
        for j, (ax, (picture, style, title)) in enumerate(zip(axes[i], panels)):
            handle = ax.imshow(picture, interpolation="nearest", **style)
            ax.set_title(title, fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= 3 and i == len(names) - 1:
                bar = fig.colorbar(handle, ax=axes[:, j], location="bottom", shrink=0.95, extend="max", aspect=20,
                                   pad=0.01)
                bar.set_label("mean |error| over RGB\n([0, 1] units)", fontsize=10)
                bar.ax.tick_params(labelsize=10)
        axes[i, 0].set_ylabel(names[i], fontsize=11)
    fig.suptitle(f"{task}: PSNR against the target on the whole window, its degraded and its intact pixels",
                 fontsize=11)
    return fig


def error_map(item: dict, image: torch.Tensor) -> torch.Tensor:
    """``|image − item["x0"]|`` averaged over RGB, in [0, 1] units: ``[1, H, W]``."""
    return (image - item["x0"]).abs().mean(0, keepdim=True) / 2


def degraded_error_ratio(item: dict, image: torch.Tensor) -> float:
    """Absolute error left on the degraded pixels: the summed ``|image − x0|`` over them divided by the same sum
    for the input ``mu`` (1: nothing removed, 0: all of it)."""
    degraded = degraded_mask(item["x0"], item["mu"])
    return float(error_map(item, image)[degraded].sum() / error_map(item, item["mu"])[degraded].sum())


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


def padded_restoration(model, bridge, mu: torch.Tensor, sampler, pad: int = 8, chunk: int = 16) -> torch.Tensor:
    """Restore ``mu`` ([B, C, H, W]) reflect-padded by ``pad`` pixels on every side, then crop the result back to
    ``H x W``: the network's own edges then lie ``pad`` pixels outside the picture. ``chunk`` images at a time."""
    with torch.no_grad():
        parts = [restore(model, bridge, F.pad(mu[i:i + chunk], (pad,) * 4, mode="reflect"), sampler)
                 for i in range(0, len(mu), chunk)]
    return torch.cat(parts)[..., pad:-pad, pad:-pad]


EDGES = ("top", "bottom", "left", "right")


def edge_errors(items, images, band: int) -> dict:
    """Mean ``|image − x0|`` over RGB, [0, 1] units, pooled over the intact pixels of every pair of ``items`` and
    ``images`` (restorations, ``[C, H, W]`` each) that lie within ``band`` pixels of each edge (``top``,
    ``bottom``, ``left``, ``right``; a corner pixel counts for both its edges), and over the other intact pixels
    (``interior``)."""
    sums, counts = {}, {}
    for item, image in zip(items, images):
        error, intact = error_map(item, image), ~degraded_mask(item["x0"], item["mu"])
        height, width = error.shape[-2:]
        strips = {edge: edge_band(height, width, band, edge) for edge in EDGES}
        strips["interior"] = ~edge_band(height, width, band, " ".join(EDGES))
        for name, mask in strips.items():
            sums[name] = sums.get(name, 0.0) + float(error[intact & mask].sum())
            counts[name] = counts.get(name, 0) + int((intact & mask).sum())
    return {name: sums[name] / counts[name] for name in sums}


def edge_error_table(errors_by_label: dict, band: int) -> str:
    """Markdown: one row per strip of :func:`edge_errors` (``band`` pixels wide), one column per set of
    restorations of ``{label: edge_errors(...)}``."""
    labels = list(errors_by_label)
    names = list(next(iter(errors_by_label.values())))
    lines = [f"| intact pixels within {band} px of | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name in names:
        lines.append(f"| {'no edge (interior)' if name == 'interior' else 'the ' + name + ' edge'} | "
                     + " | ".join(f"{errors_by_label[label][name]:.4f}" for label in labels) + " |")
    return "\n".join(lines)


def widest_hole(x0: torch.Tensor, mu: torch.Tensor) -> float:
    """Width in pixels of the widest hole (brush stroke): twice the largest distance from a degraded pixel to the
    nearest intact one."""
    return 2 * float(scipy.ndimage.distance_transform_edt(degraded_mask(x0, mu)[0].numpy()).max())


def share_near_degraded(items, reach: int = 3) -> float:
    """Share of the intact pixels of ``items`` (pooled) that have a degraded pixel within ``reach`` pixels in each
    direction, i.e. inside the ``(2 reach + 1)``-pixel square window centred on them (SSIM's 7x7 window for
    ``reach=3``)."""
    near = intact = 0
    for item in items:
        degraded = degraded_mask(item["x0"], item["mu"]).float()[None]  # [1, 1, H, W]
        close = F.max_pool2d(degraded, 2 * reach + 1, stride=1, padding=reach)[0] > 0
        near += int((close & (degraded[0] == 0)).sum())
        intact += int((degraded[0] == 0).sum())
    return near / intact


# ----------------------------------------------------------------------------------------- section 5: tables

@dataclass
class Change:
    """The change ``restored − input`` of one metric over the benchmark's windows: its mean, the 95 % hierarchical
    bootstrap interval of that mean (photographs drawn with replacement, then windows within each drawn photograph:
    :func:`rdbm_core.evidence.stats.hierarchical_bootstrap`, one trained network, so no seed level) and how many
    windows fall. ``input_mean`` and ``restored_mean`` are the means of the two metrics themselves. With an infinite
    input (an identical region) on some window the change is not defined: ``infinite`` counts those windows, the
    input mean is over the others and ``mean``, ``interval`` are ``nan``."""

    key: str
    input_mean: float
    restored_mean: float
    mean: float
    interval: tuple
    falls: int
    windows: int
    infinite: int = 0

    @property
    def excludes_zero(self) -> bool:
        """Whether the 95 % interval lies entirely above or entirely below 0."""
        low, high = self.interval
        return low > 0 or high < 0


#: the metrics of :func:`region_changes` by default, in the order of section 5's table
CHANGE_KEYS = ("psnr", "psnr_degraded", "psnr_intact", "ssim", "ssim_degraded")


def region_changes(rows, photographs, keys=CHANGE_KEYS) -> dict:
    """``{key: Change}``: for each metric ``key`` of the evaluation's per-window ``rows`` (``photographs[i]`` the
    photograph of window ``i``), ``row[key] − row["input_" + key]`` per window, summarised."""
    out = {}
    for key in keys:
        before = np.array([float(row["input_" + key]) for row in rows])
        after = np.array([float(row[key]) for row in rows])
        infinite = int(np.isinf(before).sum())
        finite_input = float(before[np.isfinite(before)].mean()) if infinite < len(rows) else math.inf
        if infinite:
            out[key] = Change(key, finite_input, float(after.mean()), math.nan, (math.nan, math.nan), 0, len(rows),
                              infinite)
            continue
        diffs = after - before
        interval = hierarchical_bootstrap(diffs[None, :], photographs=list(photographs))
        out[key] = Change(key, finite_input, float(after.mean()), float(diffs.mean()), interval,
                          int((diffs < 0).sum()), len(rows))
    return out


_CHANGE_LABELS = {"psnr": "PSNR, whole window (dB)", "psnr_degraded": "PSNR, degraded pixels (dB)",
                  "psnr_intact": "PSNR, intact pixels (dB)", "ssim": "SSIM, whole window",
                  "ssim_degraded": "SSIM, degraded pixels", "ssim_intact": "SSIM, intact pixels"}


def change_table(changes_by_task: dict) -> str:
    """Markdown: one row per task and metric of ``{task: region_changes(...)}``: the mean over the windows of the
    input's and the restoration's value, the mean change with its 95 % interval, and how many windows fall. A change
    with infinite inputs shows how many windows are infinite instead."""
    lines = ["| task | metric | input | restored | change | 95 % interval | windows that fall |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for task, changes in changes_by_task.items():
        for key, c in changes.items():
            digits = 2 if key.startswith("psnr") else 4
            if c.infinite:
                finite = "" if math.isinf(c.input_mean) else f", the others {c.input_mean:.{digits}f}"
                lines.append(f"| {task} | {_CHANGE_LABELS.get(key, key)} | ∞ on {c.infinite} of {c.windows}{finite} | "
                             f"{c.restored_mean:.{digits}f} | — | — | — |")
                continue
            low, high = c.interval
            lines.append(f"| {task} | {_CHANGE_LABELS.get(key, key)} | {c.input_mean:.{digits}f} | "
                         f"{c.restored_mean:.{digits}f} | {c.mean:+.{digits}f} | [{low:+.{digits}f}, {high:+.{digits}f}] "
                         f"| {c.falls} of {c.windows} |")
    return "\n".join(lines)
