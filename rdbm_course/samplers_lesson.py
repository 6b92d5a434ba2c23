"""Helpers of notebook 08 (samplers and steps): the five sampler settings and their colours, network wrappers that
count and record the calls, the time-grid picture, paired intervals over photographs with an exact sign-flip test,
table builders, the two stochastic samplers written out with a switch for their noise, and the share of a deviation
that each update rule keeps.

The notebook calls these so that each of its cells shows its experiment, not its bookkeeping.
"""
from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
import torch
from matplotlib.lines import Line2D

from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.evidence.stats import hierarchical_bootstrap
from rdbm_core.restoration.evaluation import restore

__all__ = ["SAMPLERS", "COLORS", "MARKERS", "STEP_COLORS", "steps_for", "CountingModel", "RecordingModel",
           "count_nfe", "call_times", "plot_time_grid", "nfe_axis", "plot_intervals", "Paired", "paired",
           "sign_flip_p", "ci", "starred", "verdict", "markdown_table", "stochastic_run", "step_factor",
           "deviation_kept", "show_restorations"]

#: The five settings of part 2: label -> (library sampler name, eta); ``None``: the sampler has no eta.
SAMPLERS = {
    "implicit, eta=0": ("implicit", 0.0),
    "implicit, eta=1": ("implicit", 1.0),
    "Euler-Maruyama (reverse SDE)": ("euler-maruyama", None),
    "Euler (PF-ODE)": ("euler", None),
    "Heun (PF-ODE)": ("heun", None),
}
#: One colour per setting in every figure (Okabe and Ito's colour-blind-safe palette).
COLORS = dict(zip(SAMPLERS, ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7")))
#: One marker per setting, so that the curves differ without colour too.
MARKERS = dict(zip(SAMPLERS, "osD^v"))
#: The colours of the three kinds of step in the time-grid picture (grey shades and the palette's sky blue).
STEP_COLORS = {"first": "#56B4E9", "own": "#555555", "last": "#999999"}


def steps_for(sampler: str, nfe: int) -> int:
    """Sampler steps ``n`` that spend about ``nfe`` network evaluations (Heun: ``2 n - 2`` for ``n >= 2``)."""
    return nfe if sampler != "heun" or nfe <= 2 else nfe // 2 + 1


class CountingModel(torch.nn.Module):
    """Wraps ``model(x_t, mu, t)`` and counts its calls in ``calls`` (one call = one NFE for the whole batch).

    A ``torch.nn.Module``, so that ``restore`` can inspect it like the network it wraps."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0
        self.parameterization = getattr(model, "parameterization", "x0")

    def forward(self, x_t, mu, t):
        self.calls += 1
        return self.model(x_t, mu, t)


class RecordingModel(CountingModel):
    """A counter that also records, at every call, the grid time ``t`` (in ``t``) and ``score(x0_hat)`` of the
    prediction clamped to [-1, 1], as the samplers clamp it (in ``scores``: one array per call)."""

    def __init__(self, model, score):
        super().__init__(model)
        self.score, self.t, self.scores = score, [], []

    def forward(self, x_t, mu, t):
        x0_hat = super().forward(x_t, mu, t)
        self.t.append(float(t[0]))
        self.scores.append(self.score(x0_hat.clamp(-1, 1)))
        return x0_hat


def _stand_in(x, mu, t):
    """A network for counting: it returns ``mu``."""
    return mu


def call_times(bridge, sampler: str, eta, n_steps: int) -> list[list[float]]:
    """The grid times at which ``sampler`` calls the network, step by step, on ``bridge``'s default grid of
    ``n_steps`` steps: one list per step, its first entry the call at the step's start ``t``, any further entry a
    call inside the step (Heun's corrector, at the step's end ``s``). Counted on a 1-pixel image."""
    times, ends = [], []
    counter = RecordingModel(_stand_in, lambda x: None)
    restore(counter, bridge, torch.zeros(1, 3, 1, 1), SamplerSpec(sampler, n_steps, eta=eta),
            torch.Generator().manual_seed(0), callback=lambda info: ends.append(len(counter.t)))
    start = 0
    for end in ends:
        times.append(counter.t[start:end])
        start = end
    return times


def count_nfe(bridge, sampler: str, eta, n_steps: int) -> int:
    """Network evaluations of one run of ``sampler`` with ``n_steps`` steps on ``bridge``'s default grid."""
    return sum(len(step) for step in call_times(bridge, sampler, eta, n_steps))


def plot_time_grid(ax, bridge, n_steps: int, samplers: dict = SAMPLERS) -> dict[str, int]:
    """The picture of section 1: one row per setting, an arrow per sampler step on ``bridge``'s grid of ``n_steps``
    steps (coloured by kind: the first step out of the pinned end, the sampler's own steps, the last step onto the
    clean point), a filled dot per call at a step's start and an open dot per call inside a step (Heun's corrector).
    Returns the NFE of each row, which the picture also writes at its right."""
    grid = [int(t) for t in bridge.schedule.sampling_times(n_steps)]
    nfe = {}
    for row, (label, (name, eta)) in enumerate(samplers.items()):
        y = len(samplers) - 1 - row
        steps = call_times(bridge, name, eta, n_steps)
        for i, (t, s) in enumerate(zip(grid[:-1], grid[1:])):
            kind = "last" if i == len(grid) - 2 else "first" if i == 0 else "own"
            ax.annotate("", xy=(s + 1.2, y), xytext=(t - 1.2, y),
                        arrowprops=dict(arrowstyle="-|>", lw=2.5, color=STEP_COLORS[kind], shrinkA=0, shrinkB=0))
            ax.plot(steps[i][0], y, "o", ms=9, color=COLORS[label], zorder=3)
            for extra in steps[i][1:]:
                ax.plot(extra, y + 0.22, "o", ms=8, mfc="white", mec=COLORS[label], mew=2, zorder=3)
        nfe[label] = sum(len(step) for step in steps)
        ax.text(grid[-1] - 4, y, f"N = {nfe[label]}", va="center", ha="left", fontsize=10)
    ax.set_yticks(range(len(samplers)), list(samplers)[::-1], fontsize=10)
    for tick, label in zip(ax.get_yticklabels(), list(samplers)[::-1]):
        tick.set_color(COLORS[label])
    ax.set_xticks(grid, [f"{t}" for t in grid])
    ax.set_xlim(grid[0] + 4, grid[-1] - 16)
    ax.set_ylim(-0.7, len(samplers) - 0.3)
    ax.set_xlabel("grid time t (99 = degraded end t_T, -1 = clean point)")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    handles = [Line2D([], [], color=STEP_COLORS["first"], lw=2.5, label="first step: the implicit rule"),
               Line2D([], [], color=STEP_COLORS["own"], lw=2.5, label="interior step: the sampler's own rule"),
               Line2D([], [], color=STEP_COLORS["last"], lw=2.5, label="last step: returns x0_hat"),
               Line2D([], [], color="k", marker="o", ls="none", ms=8, label="network call at the step's start t"),
               Line2D([], [], color="k", marker="o", mfc="white", ls="none", ms=8,
                      label="second call inside the step (at its end s)")]
    ax.legend(handles=handles, fontsize=9, ncol=2, loc="upper center", bbox_to_anchor=(0.45, -0.28), frameon=False)
    return nfe


def nfe_axis(ax, ticks) -> None:
    """A log NFE axis with the measured NFE as plain-number ticks (4 and 5, close on a log axis, are aligned away
    from each other so that their labels do not touch)."""
    ax.set_xscale("log")
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.minorticks_off()
    if 4 in ticks and 5 in ticks:
        for tick, n in zip(ax.get_xticklabels(), ticks):
            if n in (4, 5):
                tick.set_horizontalalignment("right" if n == 4 else "left")
    ax.set_xlabel("network evaluations N (NFE)")


def plot_intervals(ax, x, results, color, marker, kept=None, connect: bool = True, label=None, mfc=None) -> None:
    """Means with their 95 % intervals (:func:`paired`'s results) at the positions ``x``, and a line at 0.

    ``connect=False`` leaves the points unjoined; ``kept`` (one bool per point) rings the points that Holm's correction
    keeps (a black circle, legend label "kept by Holm"); ``label`` and ``mfc`` (marker face colour, ``"white"`` for
    open markers) are passed to the plot."""
    m, lo, hi = (np.array([r[i] for r in results]) for i in range(3))
    ax.errorbar(x, m, yerr=[m - lo, hi - m], marker=marker, color=color, capsize=3, ls="-" if connect else "none",
                label=label, mfc=mfc)
    if kept is not None and any(kept):
        ax.plot(np.asarray(x)[list(kept)], m[list(kept)], "o", ms=15, mfc="none", mec="k", mew=1.3,
                label="kept by Holm")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_ylabel("PSNR difference (dB)")


def sign_flip_p(d, groups) -> float:
    """Exact two-sided p-value of "the mean difference is 0", counted in groups (photographs).

    The per-window differences ``d`` are averaged within each group; under the null hypothesis each group's mean is
    as likely to have either sign, so the p-value is the share of the ``2^G`` sign patterns whose mean of signed
    group means is at least as far from 0 as the observed one. With ``G`` groups it cannot be below ``2 / 2^G``.
    """
    d = np.asarray(d, dtype=float)
    labels = list(dict.fromkeys(groups))
    means = np.array([d[[g == label for g in groups]].mean() for label in labels])
    observed = abs(means.mean())
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=len(means))))
    flipped = np.abs(signs @ means) / len(means)
    return float(np.mean(flipped >= observed - 1e-12 * max(observed, 1e-300)))


class Paired(NamedTuple):
    """A paired comparison: the mean difference (dB), its 95 % interval ``[low, high]`` and its sign-flip p-value."""

    mean: float
    low: float
    high: float
    p: float


def paired(d, groups) -> Paired:
    """Mean, 95 % interval and p-value of the mean of the per-window differences ``d``: ``Paired(mean, low, high, p)``.

    The interval is the hierarchical bootstrap's (``rdbm_core.evidence.stats.hierarchical_bootstrap``: photographs
    with replacement, then windows within each drawn photograph); ``groups`` gives each window's photograph. The
    p-value is :func:`sign_flip_p`'s, over the photographs. Identical inputs give ``(0, 0, 0, 1)``.
    """
    d = np.asarray(d, dtype=float)
    if not d.any():
        return Paired(0.0, 0.0, 0.0, 1.0)
    low, high = hierarchical_bootstrap(d[None], groups)
    return Paired(float(d.mean()), float(low), float(high), sign_flip_p(d, groups))


def ci(v) -> str:
    """``mean [low, high]`` in dB from :func:`paired`'s result, with two decimals and a sign (a value that rounds to
    zero is written ``0.00``); ``"0 (identical)"`` when every difference is 0 and ``"≈0 (within ±0.005)"`` when mean
    and bounds all round to zero."""
    if tuple(v[:3]) == (0.0, 0.0, 0.0):
        return "0 (identical)"
    if all(abs(x) < 0.005 for x in v[:3]):
        return "≈0 (within ±0.005)"
    low, high = (f"{x:+.2f}" if round(x, 2) != 0 else "0.00" for x in v[1:3])
    return f"{v[0]:+.2f} [{low}, {high}]" if round(v[0], 2) != 0 else f"0.00 [{low}, {high}]"


def starred(v, kept: bool) -> str:
    """:func:`ci` of ``v``, with `` *`` when its interval excludes 0 and Holm's correction keeps it (``kept``)."""
    return ci(v) + (" *" if kept and verdict(*v) != "includes 0" else "")


def verdict(mean, low, high, p=None) -> str:
    """``"higher"`` or ``"lower"`` when the interval ``[low, high]`` excludes 0, else ``"includes 0"`` (one interval,
    no correction for the others read beside it)."""
    return "includes 0" if low <= 0 <= high else ("higher" if low > 0 else "lower")


def markdown_table(header, rows) -> str:
    """A Markdown table: ``header`` (its first column left-aligned, the others right-aligned) and ``rows``."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|:---|" + "---:|" * (len(header) - 1)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])


def stochastic_run(model, bridge, mu, rule: str, n_steps: int, generator=None):
    """Implicit ``eta = 1`` (``rule="eta1"``) or Euler-Maruyama on the reverse SDE (``rule="em"``), written out on
    ``bridge``'s default grid of ``n_steps`` steps from ``x_T = bridge.prior(mu)``, with a switch for the noise:
    ``generator=None`` sets ``z = 0`` at every step. The step rules of notebook 08, section 1: the last step returns
    ``x0_hat``; the first step, out of the pinned end, is the posterior draw (``eta = 1``)."""
    from rdbm_core.bridge import samplers

    ts, x, denoiser = bridge.schedule.sampling_times(n_steps), bridge.prior(mu), samplers.Denoiser(model)
    with torch.no_grad():
        for t, s in zip(ts[:-1], ts[1:]):
            x0_hat = denoiser(x, mu, bridge, t)
            if bridge.is_clean(s):
                return x0_hat
            z = torch.zeros_like(x) if generator is None else torch.randn(x.shape, generator=generator)
            if rule == "eta1" or bridge.is_terminal(t):
                mean, _ = bridge.posterior(x, x0_hat, mu, t, s)
                x = mean + float(bridge.posterior_coefficients(t, s)[2].sqrt()) * (x0_hat - mu) * z
            elif rule == "em":
                du = float(bridge.schedule.clock(t) - bridge.schedule.clock(s))
                x = x - du * bridge.reverse_drift(x, x0_hat, mu, t) + math.sqrt(2 * bridge.lam * du) * (x0_hat - mu) * z
            else:
                raise ValueError(f"unknown rule {rule!r}")
    return x


def step_factor(bridge, rule: str, t, s) -> float:
    """The factor ``k`` by which one step of ``rule`` from ``t`` to ``s`` multiplies a state's deviation
    ``delta_t = x_t - m_t(x0_hat)`` from the mean path of a *fixed* prediction (noise off). With
    ``du = u_t - u_s`` and ``a_t = lam / Sigma_t^2 - coth(u_T - u_t)`` (the slope of the PF-ODE velocity in ``x``):

    * ``"eta0"``: ``Sigma_s / Sigma_t``; ``"eta1"``: ``sqrt(Sigma_s^2 - V) / Sigma_t`` (``V`` the posterior variance);
    * ``"euler"``: ``1 - du a_t``; ``"heun"``: ``1 - du (a_t + a_s) / 2 + du^2 a_t a_s / 2``;
    * ``"em"``: ``1 - du (a_t + lam / Sigma_t^2)`` (the reverse drift's ``lam`` term is twice the velocity's).
    """
    t, s = torch.as_tensor(t), torch.as_tensor(s)
    u_t, u_s, u_T = (float(bridge.schedule.clock(v)) for v in (t, s, torch.as_tensor(bridge.schedule.t_T)))
    sig_t, sig_s = float(bridge.coefficients(t)[2]), float(bridge.coefficients(s)[2])
    du = u_t - u_s

    def slope(sig, u):
        return bridge.lam / sig ** 2 - 1 / math.tanh(u_T - u)

    if rule == "eta0":
        return sig_s / sig_t
    if rule == "eta1":
        return math.sqrt(max(sig_s ** 2 - float(bridge.posterior_coefficients(t, s)[2]), 0.0)) / sig_t
    if rule == "euler":
        return 1 - du * slope(sig_t, u_t)
    if rule == "heun":
        a_t, a_s = slope(sig_t, u_t), slope(sig_s, u_s)
        return 1 - du * (a_t + a_s) / 2 + du ** 2 * a_t * a_s / 2
    if rule == "em":
        return 1 - du * (slope(sig_t, u_t) + bridge.lam / sig_t ** 2)
    raise ValueError(f"unknown rule {rule!r}")


def deviation_kept(bridge, rule: str, n_steps: int) -> float:
    """The share of a state's deviation from the mean path of a *fixed* prediction that ``rule`` keeps over all the
    interior steps of ``bridge``'s grid of ``n_steps`` steps (noise off): the product of :func:`step_factor` over
    the steps that neither leave the pinned end nor land on the clean point. A share near 1: the state keeps what
    earlier steps put in it; near 0: it is replaced by the mean path of the current prediction."""
    grid = bridge.schedule.sampling_times(n_steps)
    return math.prod(step_factor(bridge, rule, t, s) for t, s in zip(grid[:-1], grid[1:])
                     if not (bridge.is_clean(s) or bridge.is_terminal(t)))


def show_restorations(axes, panels, clean, limit: float = 0.5):
    """Images in the top row of ``axes`` (2 x n) and their signed error against ``clean`` below (the mean over the
    colour channels of ``image - clean`` on the [-1, 1] scale, a diverging map from ``-limit``, blue, to ``+limit``,
    red). ``panels`` are ``(title, image [3, H, W] in [-1, 1], PSNR or None, title colour)``; a panel whose image
    equals ``clean`` gets no error map. Returns the error maps' image, for a colour bar."""
    shown = None
    for top, bottom, (title, image, score, colour) in zip(axes[0], axes[1], panels):
        top.imshow(((image.permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy(), interpolation="nearest")
        top.set_title(title + ("" if score is None else f"\n{score:.2f} dB"), fontsize=10, color=colour)
        top.set_axis_off()
        bottom.set_axis_off()
        if not torch.equal(image, clean):
            error = (image.clamp(-1, 1) - clean).mean(0).numpy()
            shown = bottom.imshow(error, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    return shown
