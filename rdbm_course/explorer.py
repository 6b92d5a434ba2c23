"""The bridge explorer: one figure that shows what a bridge does, redrawn for any setting.

Settings: a bridge of the family (``rdbm``, ``goub``, ``bbdm``, ``ddbm-ve``, ``ddbm-vp``), its
stationary variance ``lam``, the theta schedule (the bridge's own or one of
:data:`SCHEDULES`), a scalar residual ``pi`` for the one-dimensional panels and a degradation task
for the image strip.  Panels:

1. ``Theta_t`` (coefficient of ``x0``) and ``Psi_t`` (coefficient of ``mu``) over ``t``;
2. ``Sigma_t |s(pi)|``, the standard deviation of a pixel with residual ``pi``, its maximum and where
   (:func:`noise_peak`: on the grid for a discrete schedule, at the exact half-way time of the clock for a
   continuous one);
3. sample paths of the bridge from ``x0 = mu + pi`` to ``mu``, with the mean and a 2-std band;
4. the forward path ``x_t`` of a small photo crop and its degraded version at five times.

:func:`explorer_figure` draws it (a pure function of its arguments: fixed seeds, no pyplot state);
:func:`explore` wraps it in an ``ipywidgets.interactive`` UI, or, without ipywidgets, shows
:func:`static_figures` for the :data:`PRESETS`.  :func:`clock_figure`, :func:`schedule_table` and
:func:`published_table` are the overview of notebook 09 (the clocks of the five bridges, the schedules
by name, the published noise levels), :func:`residual_figure` what the residual changes (RDBM against
GOUB); :func:`clock_shares`, :func:`schedule_rows` and :func:`published_rows` are the numbers behind the
tables, for checks.

Names: every schedule has one name in the widget, the figure titles and the tables (:data:`SCHEDULES`
and :data:`PUBLISHED_SCHEDULES`).  The clock is ``thbar_t`` (printed ``θ̄``) for an OU bridge and the
accumulated variance ``G_t`` for a Brownian one (:func:`clock_symbol`); each bridge has one colour
(:data:`BRIDGE_COLOURS`).

The sample paths are exact draws of the bridge's joint law, not an SDE discretisation: starting
from the pinned end ``x_T = mu`` and stepping backwards with the posterior ``q(x_s | x_t, x0)``
(the bridge is Markov), so every time slice has exactly the marginal ``N(E[x_t], Sigma_t^2 s(pi)^2)``
on any grid, coarse or fine.
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
from dataclasses import replace

import numpy as np
import torch
from matplotlib.figure import Figure

from rdbm_core.bridge import bridges, schedules
from rdbm_core.data.embedded import embedded_images
from rdbm_core.data.images import image_to_tensor, tensor_to_image
from rdbm_core.data.degradations import TASKS, degrade
from rdbm_core.bridge.path import ResidualPath

__all__ = ["BRIDGE_CHOICES", "BRIDGE_COLOURS", "SCHEDULES", "PUBLISHED_SCHEDULES", "PRESETS", "EXPLORER_TEXT",
           "explorer_path", "schedule_name", "clock_symbol", "clock_mathtext", "time_grid", "clock_fraction",
           "peak_time", "noise_peak", "format_time", "sample_paths", "explorer_figure", "static_figures",
           "clock_figure", "clock_shares", "clock_table", "schedule_rows", "schedule_table", "published_rows",
           "published_table", "residual_summary", "residual_text", "residual_figure", "png_bytes", "explore",
           "photo_pair"]

#: the bridges the explorer offers (names of :data:`rdbm_core.bridge.bridges.BRIDGES`), with a label: the process
#: (OU or Brownian bridge), the target where it is not mu, and the noise factor (residual-modulated or global)
BRIDGE_CHOICES = {
    "rdbm": "RDBM (OU bridge, residual-modulated noise)",
    "goub": "GOUB (OU bridge, global noise)",
    "bbdm": "BBDM (Brownian bridge, global noise)",
    "ddbm-ve": "DDBM-VE (Brownian bridge, global noise)",
    "ddbm-vp": "DDBM-VP (OU bridge, target 0, global noise)",
}

#: one colour per bridge, the same in every figure (Okabe-Ito palette: distinguishable with colour-blindness)
BRIDGE_COLOURS = {
    "rdbm": "#0072B2",  # blue
    "goub": "#E69F00",  # orange
    "bbdm": "#009E73",  # bluish green
    "ddbm-ve": "#CC79A7",  # reddish purple
    "ddbm-vp": "#D55E00",  # vermillion
}

#: the name of each bridge's own schedule (the one "published" keeps), as titles and tables print it
PUBLISHED_SCHEDULES = {"rdbm": "reference", "goub": "goub-grid", "bbdm": "bbdm", "ddbm-ve": "ve", "ddbm-vp": "vp"}

#: theta schedules: "published" keeps the bridge's own; the others replace it (100 steps each)
SCHEDULES = {
    "published": None,
    "reference": lambda: schedules.reference(100),
    "goub-grid": lambda: schedules.irsde_grid(100),
    "constant": lambda: schedules.constant_theta(100, thbar_T=5.0),
    "linear": lambda: schedules.linear_theta(100, theta_min=0.01, theta_max=0.2),
}

#: the settings of the static figures (one per bridge; RDBM at lam = 0.1 so that its noise shows)
PRESETS = (
    {"bridge": "rdbm", "lam": 0.1},
    {"bridge": "goub"},
    {"bridge": "bbdm"},
    {"bridge": "ddbm-ve"},
    {"bridge": "ddbm-vp"},
)

STRIP_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)  # where along [t_clean, t_T] the image strip is drawn
MAX_PATH_TIMES = 101  # the sample paths use at most this many grid times (exact on any subset)
CROP = (64, 150, 96)  # (top, left, size) of the embedded test photo "chelsea": the cat's eye
STRIP_GAP = 6  # white pixels between the images of the strip
FIGSIZE = (10, 6.6)  # inches, one setting: the width of a notebook page, fonts of 9 pt and more
FONT, SMALL = 10, 9  # points: titles and labels, ticks and legends
#: what a saved (static) copy of the notebook shows for the live explorer (at most 110 characters)
EXPLORER_TEXT = "[live explorer (a widget): its controls and figure appear when this cell runs in Jupyter]"


def explorer_path(bridge: str = "rdbm", lam: float | None = None, schedule: str = "published") -> ResidualPath:
    """The bridge ``bridge`` with stationary variance ``lam`` (None: its published value) on ``schedule``."""
    if bridge not in BRIDGE_CHOICES:
        raise ValueError(f"unknown bridge {bridge!r}; the explorer offers: {', '.join(BRIDGE_CHOICES)}")
    if lam is not None and not (isinstance(lam, (int, float)) and math.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be a finite number >= 0 (a variance), got {lam!r}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")
    path = bridges.make(bridge, lam=lam)
    return path if SCHEDULES[schedule] is None else replace(path, schedule=SCHEDULES[schedule]())


def schedule_name(bridge: str, schedule: str = "published") -> str:
    """The one name of the schedule that ``bridge`` runs on under the setting ``schedule``."""
    if bridge not in BRIDGE_CHOICES:
        raise ValueError(f"unknown bridge {bridge!r}; the explorer offers: {', '.join(BRIDGE_CHOICES)}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")
    return PUBLISHED_SCHEDULES[bridge] if schedule == "published" else schedule


def clock_symbol(path: ResidualPath) -> str:
    """``"θ̄"`` for an OU bridge (the integrated rate thbar), ``"G"`` for a Brownian one (the accumulated variance).

    A Brownian bridge has no mean reversion; the library stores its clock as ``G_t`` itself with
    ``lam = 1/2`` (the noise adds variance ``2 lam = 1`` per unit of clock), so the two clocks are
    different quantities and are never printed under one name.
    """
    return "G" if path.kind == "brownian" else "θ̄"


def clock_mathtext(path: ResidualPath, end: bool = True) -> str:
    """The clock's symbol in matplotlib mathtext: ``$\\bar\\theta_T$`` / ``$G_T$`` (``end``) or with subscript t."""
    sub = "T" if end else "t"
    return f"$G_{sub}$" if path.kind == "brownian" else f"$\\bar\\theta_{sub}$"


def time_grid(path: ResidualPath) -> torch.Tensor:
    """The times the explorer draws: every time of a discrete schedule, 201 uniform times of a continuous one."""
    sch = path.schedule
    return sch.times() if sch.discrete else sch.times(200)


def clock_fraction(path: ResidualPath) -> tuple[torch.Tensor, torch.Tensor]:
    """``(s, f)`` on :func:`time_grid`: ``s = (t - t_clean) / (t_T - t_clean)``, the share of the way along the
    grid (or the time interval), and ``f``, the share of the clock run by then (``thbar_t / thbar_T`` or
    ``G_t / G_T``); both go from 0 to 1 and are float64."""
    sch = path.schedule
    t = time_grid(path)
    s = (t.double() - sch.t_clean) / (sch.t_T - sch.t_clean)
    return s, sch.clock(t) / sch.u_T


def format_time(t) -> str:
    """A time as the figures and tables print it: an integer grid index, or 4 significant digits of a continuous
    time."""
    if isinstance(t, (int, float)):
        return f"{t:.4g}" if isinstance(t, float) else str(t)
    t = torch.as_tensor(t)
    return f"{float(t):.4g}" if t.is_floating_point() else str(int(t))


def peak_time(path: ResidualPath):
    """Where ``Sigma_t`` is largest: the grid index (an int) of a discrete schedule, or the exact time (a float) of a
    continuous one.

    ``Sigma_t^2`` is symmetric in the clock about its half-way value (OU bridge: ``sinh(u) sinh(c - u)``, Brownian
    bridge: ``u (c - u)``), so on a continuous schedule it peaks where the clock is ``u_T / 2``; that time is found
    by bisection on the (increasing) clock, not read off a grid.  A discrete schedule's bridge exists only on its
    grid: there the largest grid value is taken.
    """
    sch = path.schedule
    if sch.discrete:
        grid = time_grid(path)
        return int(grid[path.unit_variance(grid).argmax()])
    lo, hi, half = float(sch.t_clean), float(sch.t_T), sch.u_T / 2
    for _ in range(64):  # the interval halves each time: 2^-64 of it is below float64 resolution
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if float(sch.clock(torch.tensor(mid, dtype=torch.float64))) < half else (lo, mid)
    return (lo + hi) / 2


def noise_peak(path: ResidualPath, pi: float = 1.0) -> tuple[float, int | float]:
    """``(largest standard deviation, where)`` of a value with residual ``pi``: ``Sigma_t |s(pi)|`` at
    :func:`peak_time` (``s(pi) = pi`` under modulated noise, 1 under global noise)."""
    t = peak_time(path)
    sigma = path.coefficients(torch.tensor(t, dtype=torch.long if isinstance(t, int) else torch.float64))[2]
    return float(sigma) * (abs(pi) if path.noise == "modulated" else 1.0), t


def _path_times(path: ResidualPath) -> torch.Tensor:
    """At most :data:`MAX_PATH_TIMES` increasing times from ``t_clean`` to ``t_T`` (both included)."""
    grid = time_grid(path)
    if len(grid) <= MAX_PATH_TIMES:
        return grid
    pick = torch.linspace(0, len(grid) - 1, MAX_PATH_TIMES, dtype=torch.float64).round().long()
    return grid[pick]


def sample_paths(path: ResidualPath, x0: float, mu: float, times: torch.Tensor, n: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` exact sample paths of the bridge from ``x0`` to ``mu`` at increasing ``times``: ``[len(times), n]``.

    ``times`` must start at the clean point and end at the terminal point.  The draw starts at
    ``x_T = mu`` (the pin) and steps back through the posterior ``q(x_s | x_t, x0)``, which is the
    bridge between ``x0`` and ``x_t`` (Markov property), so the joint law is exact on any grid.
    """
    if not path.pinned:
        raise ValueError("sample paths are drawn backwards from the pin x_T = mu: the path must be a bridge")
    if n < 1:
        raise ValueError(f"n (the number of paths) must be >= 1, got {n}")
    times = torch.as_tensor(times)
    if not (path.is_clean(times[:1]) and path.is_terminal(times[-1:])):
        raise ValueError("times must start at the clean point and end at the terminal point of the schedule")
    x0_n = torch.full((n,), float(x0), dtype=torch.float64)  # [n]: one scalar pair per path
    mu_n = torch.full_like(x0_n, float(mu))
    z = torch.randn(len(times) - 1, n, generator=generator, dtype=torch.float64)
    out = torch.empty(len(times), n, dtype=torch.float64)
    out[-1] = mu_n
    for i in range(len(times) - 2, -1, -1):  # out[i] from out[i + 1]
        mean, std = path.posterior(out[i + 1], x0_n, mu_n, times[i + 1], times[i])
        out[i] = mean + std * z[i]
    return out


@functools.lru_cache(maxsize=None)
def photo_pair(task: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The crop of the first embedded test photo and its degradation by ``task`` (seed 0), cached."""
    top, left, size = CROP
    x0 = image_to_tensor(embedded_images("test")[0][top:top + size, left:left + size])
    _, mu, _ = degrade(x0, task, seed=0)
    return x0, mu


def _strip_times(path: ResidualPath) -> torch.Tensor:
    """The grid times :data:`STRIP_FRACTIONS` of the way from ``t_clean`` to ``t_T``, rounded down (one rule for
    every grid: BBDM's ``-1 .. 1000`` gives ``-1, 249, 499, 749, 1000``, RDBM's ``-1 .. 99`` gives
    ``-1, 24, 49, 74, 99``)."""
    grid = time_grid(path)
    return grid[[math.floor(f * (len(grid) - 1)) for f in STRIP_FRACTIONS]]


def _check_settings(path_args: tuple, pi: float, task: str, mu: float, n_paths: int) -> ResidualPath:
    """The path of ``path_args = (bridge, lam, schedule)`` once every setting is valid (else ``ValueError``)."""
    path = explorer_path(*path_args)
    if not (isinstance(pi, (int, float)) and math.isfinite(pi) and isinstance(mu, (int, float)) and math.isfinite(mu)):
        raise ValueError(f"pi and mu must be finite numbers, got pi={pi!r}, mu={mu!r}")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if isinstance(n_paths, bool) or not isinstance(n_paths, int) or n_paths < 1:
        raise ValueError(f"n_paths must be an int >= 1, got {n_paths!r}")
    return path


def _draw(fig, bridge: str, lam: float | None, schedule: str, pi: float, task: str, mu: float, n_paths: int,
          seed: int) -> None:
    """Draw the 4 panels of one setting into ``fig`` (a Figure or a SubFigure)."""
    path = _check_settings((bridge, lam, schedule), pi, task, mu, n_paths)
    grid = time_grid(path)
    theta, psi, sigma = path.coefficients(grid)
    std = sigma * (abs(pi) if path.noise == "modulated" else 1.0)
    mean = path.mean(torch.full((len(grid),), mu + pi, dtype=torch.float64),
                     torch.full((len(grid),), float(mu), dtype=torch.float64), grid)
    gen = torch.Generator().manual_seed(seed)
    path_times = _path_times(path)
    paths = sample_paths(path, mu + pi, mu, path_times, n_paths, generator=gen)
    peak_std, peak_t = noise_peak(path, pi)
    t, theta, psi, std, mean = (v.double().numpy() for v in (grid, theta, psi, std, mean))
    colour = BRIDGE_COLOURS[bridge]

    spec = fig.add_gridspec(2, 3, height_ratios=(1.2, 1), left=0.075, right=0.99, top=0.85, bottom=0.02,
                            wspace=0.3, hspace=0.32)
    ax_theta, ax_sigma, ax_paths = (fig.add_subplot(spec[0, k]) for k in range(3))
    ax_theta.plot(t, theta, color=colour, label="$\\Theta_t$ (weight of $x_0$)")
    ax_theta.plot(t, psi, color=colour, ls="--", label="$\\Psi_t$ (weight of $\\mu$)")
    ax_theta.set_title("mean $\\Theta_t x_0 + \\Psi_t \\mu$", fontsize=FONT)
    ax_theta.set_ylabel("weight", fontsize=SMALL)
    ax_theta.set_ylim(-0.05, 1.38)  # room above the curves (both <= 1) for the legend
    ax_theta.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax_theta.legend(fontsize=SMALL, loc="upper center", ncol=1, borderaxespad=0.2)
    label = "$\\Sigma_t|\\pi|$" if path.noise == "modulated" else "$\\Sigma_t$"
    ax_sigma.plot(t, std, color=colour)
    ax_sigma.set_title(f"std {label}: max {peak_std:.4g} at t = {format_time(peak_t)}", fontsize=FONT)
    ax_sigma.set_ylabel("standard deviation of $x_t$", fontsize=SMALL)
    ax_paths.fill_between(t, mean - 2 * std, mean + 2 * std, color="0.8", lw=0)
    ax_paths.plot(path_times.double().numpy(), paths.numpy(), color=colour, lw=0.8, alpha=0.85)
    ax_paths.plot(t, mean, color="black", lw=1.3)
    ax_paths.set_title(f"{n_paths} sample paths, $x_0$ = {mu + pi:.3g}, $\\mu$ = {mu:.3g}\n"
                       "black: mean; grey: mean ± 2 std", fontsize=FONT)
    ax_paths.set_ylabel("$x_t$", fontsize=SMALL)
    xlabel = "t (grid index)" if path.schedule.discrete else "t (time)"
    for ax in (ax_theta, ax_sigma, ax_paths):
        ax.set_xlabel(xlabel, fontsize=SMALL, labelpad=1)
        ax.tick_params(labelsize=SMALL)
        ax.locator_params(axis="x", nbins=5)
        ax.grid(alpha=0.3)
    ax_sigma.locator_params(axis="y", nbins=5)
    ax_paths.locator_params(axis="y", nbins=5)

    x0_img, mu_img = photo_pair(task)
    strip_times = _strip_times(path)
    eps = torch.randn(x0_img.shape, generator=gen).expand(len(strip_times), -1, -1, -1)  # one draw along the strip
    strip = path.sample(x0_img.expand_as(eps), mu_img.expand_as(eps), strip_times, noise=eps)
    strip_theta = path.coefficients(strip_times)[0]
    tiles = [tensor_to_image(x) for x in strip]
    height, width, _ = tiles[0].shape
    canvas = np.full((height, len(tiles) * (width + STRIP_GAP) - STRIP_GAP, 3), 255, dtype=np.uint8)
    ax_strip = fig.add_subplot(spec[1, :])  # one axes for the strip: a new axes per image costs more than the image
    for k, (tile, ts, th) in enumerate(zip(tiles, strip_times, strip_theta)):
        left = k * (width + STRIP_GAP)
        canvas[:, left:left + width] = tile
        ax_strip.text(left + width / 2, -2, f"t = {format_time(ts)}, $\\Theta_t$ = {float(th):.2f}", ha="center",
                      va="bottom", fontsize=FONT)
    ax_strip.imshow(canvas, interpolation="nearest")
    ax_strip.set_axis_off()
    fig.suptitle(f"{BRIDGE_CHOICES[bridge]}: $\\lambda$ = {path.lam:.3g}, schedule {schedule_name(bridge, schedule)} "
                 f"({clock_mathtext(path)} = {path.schedule.u_T:.4g}), $\\pi$ = {pi:.3g}, image: {task}",
                 fontsize=FONT + 1)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, fast: its own margins (no tight bounding box: one draw, not two), light compression."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def explorer_figure(bridge: str = "rdbm", lam: float | None = None, schedule: str = "published", pi: float = 1.0,
                    task: str = "inpaint", *, mu: float = 0.5, n_paths: int = 5, seed: int = 0) -> Figure:
    """The explorer for one setting: a new figure with 4 axes (Theta/Psi, Sigma, sample paths, the image strip).

    bridge:   one of :data:`BRIDGE_CHOICES`;  lam: stationary variance (None: the bridge's published value);
    schedule: one of :data:`SCHEDULES`;  pi: the scalar residual of the 1-D panels (``x0 = mu + pi``);
    task:     a degradation of :data:`rdbm_core.data.degradations.TASKS` for the image strip;
    mu:       the degraded value of the 1-D panels;  n_paths, seed: the sample paths and the strip's noise.
    Settings are validated first (``ValueError`` naming the bad one).  The figure is not registered
    with pyplot (nothing accumulates over redraws): save it with ``fig.savefig``, or return it from a
    notebook cell once the inline backend is loaded (``import matplotlib.pyplot`` or ``matplotlib_inline``).
    """
    fig = Figure(figsize=FIGSIZE)
    _draw(fig, bridge, lam, schedule, pi, task, mu, n_paths, seed)
    return fig


def static_figures(presets=PRESETS) -> Figure:
    """One figure with the explorer of every preset (dicts of :func:`explorer_figure` keywords), stacked."""
    settings = [{"lam": None, "schedule": "published", "pi": 1.0, "task": "inpaint", "mu": 0.5, "n_paths": 5,
                 "seed": 0, **preset} for preset in presets]
    for s in settings:  # validate all before drawing any
        _check_settings((s["bridge"], s["lam"], s["schedule"]), s["pi"], s["task"], s["mu"], s["n_paths"])
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[1] * len(settings)))
    for sub, s in zip(fig.subfigures(len(settings), 1, squeeze=False)[:, 0], settings):
        _draw(sub, **s)
    return fig


def clock_figure(bridges_: tuple[str, ...] = tuple(BRIDGE_CHOICES)) -> Figure:
    """The clocks of the bridges on their own schedules, on one axis: the share of the clock run
    (``thbar_t / thbar_T`` or ``G_t / G_T``) against the share of the way along the grid or time interval."""
    fig = Figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot()
    styles = {"rdbm": "-", "goub": "-", "bbdm": "--", "ddbm-ve": "-.", "ddbm-vp": ":"}
    for bridge in bridges_:
        path = explorer_path(bridge)
        share, clock = clock_fraction(path)
        ax.plot(share.numpy(), clock.numpy(), color=BRIDGE_COLOURS[bridge], ls=styles[bridge], lw=2,
                label=f"{BRIDGE_CHOICES[bridge].split(' (')[0]}: {PUBLISHED_SCHEDULES[bridge]}, "
                      f"{clock_mathtext(path, end=False)} / {clock_mathtext(path)}")
    ax.set_xlabel("share of the way from the clean end to $T$ (grid index or time)", fontsize=SMALL)
    ax.set_ylabel("share of the clock run: $\\bar\\theta_t / \\bar\\theta_T$ or $G_t / G_T$", fontsize=SMALL)
    ax.set_title("How fast each bridge's clock runs on its own schedule", fontsize=FONT)
    ax.tick_params(labelsize=SMALL)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=SMALL, loc="upper left")
    fig.tight_layout()
    return fig


def clock_shares(shares: tuple[float, ...] = (0.25, 0.5, 0.75)) -> dict[str, list[float]]:
    """The share of the clock each bridge has run (on its own schedule) at ``shares`` of the way along its grid or
    time interval (the nearest time of :func:`time_grid`), by bridge."""
    out = {}
    for bridge in BRIDGE_CHOICES:
        share, clock = clock_fraction(explorer_path(bridge))
        out[bridge] = [float(clock[(share - q).abs().argmin()]) for q in shares]
    return out


def clock_table(shares: tuple[float, ...] = (0.25, 0.5, 0.75)) -> str:
    """:func:`clock_shares` as a table, with each bridge's schedule."""
    lines = [f"{'bridge':8s}  {'schedule':9s}  " + "  ".join(f"at {q:.0%} of the way" for q in shares)]
    for bridge, values in clock_shares(shares).items():
        lines.append(f"{bridge:8s}  {PUBLISHED_SCHEDULES[bridge]:9s}  "
                     + "  ".join(f"{v:>16.3f}" for v in values))
    return "\n".join(lines)


def schedule_rows() -> list[dict]:
    """Every schedule by its one name: ``name``, ``by`` (the bridge that publishes it, or None), ``path`` (a bridge on
    it: RDBM for the four that any bridge can take, else the publishing bridge), ``times`` (how ``t`` runs, in
    words), and the clock's end under its own symbol: ``thbar_T`` (OU) or ``G_T`` (Brownian), the other None."""
    rows = [{"name": name, "by": None, "path": explorer_path("rdbm", schedule=name)}
            for name in SCHEDULES if name != "published"]
    for bridge, name in PUBLISHED_SCHEDULES.items():
        label = BRIDGE_CHOICES[bridge].split(" (")[0]
        if name in SCHEDULES:  # reference and goub-grid: RDBM's and GOUB's own
            next(row for row in rows if row["name"] == name)["by"] = label
        else:
            rows.append({"name": name, "by": label, "path": explorer_path(bridge)})
    for row in rows:
        sch = row["path"].schedule
        row["times"] = f"grid {sch.t_clean}..{sch.t_T}" if sch.discrete else f"time [{sch.t_clean:g}, {sch.t_T:g}]"
        brownian = row["path"].kind == "brownian"
        row["thbar_T"], row["G_T"] = (None, sch.u_T) if brownian else (sch.u_T, None)
    return rows


def schedule_table() -> str:
    """:func:`schedule_rows` as a table: the end of an OU clock (``thbar_T``) and of a Brownian one (``G_T``) in
    separate columns (``—`` where it does not apply)."""
    # θ̄ is 2 code points (θ and a combining macron) and 1 column wide: its field is 1 wider than the column
    lines = [f"{'schedule':10s} {'published by':13s} {'t runs over':16s} {'θ̄_T':>6s} {'G_T':>6s}"]
    for row in schedule_rows():
        cells = ["—" if row[key] is None else f"{row[key]:.4g}" for key in ("thbar_T", "G_T")]
        lines.append(f"{row['name']:10s} {row['by'] or '—':13s} {row['times']:16s} {cells[0]:>5s} {cells[1]:>6s}")
    return "\n".join(lines)


def published_rows(pi: float = 1.0) -> list[dict]:
    """Each bridge at its published settings: ``bridge``, ``lam``, ``factor`` (``"π"`` or ``"1"``), ``thbar_T`` and
    ``G_T`` (one of them None), ``max_std`` and ``peak`` (:func:`noise_peak` for a value with residual ``pi``) and
    ``peak_kind`` (``"index"`` or ``"time"``)."""
    rows = []
    for bridge in BRIDGE_CHOICES:
        path = explorer_path(bridge)
        brownian = path.kind == "brownian"
        max_std, peak = noise_peak(path, pi)
        rows.append({"bridge": bridge, "lam": path.lam, "factor": "π" if path.noise == "modulated" else "1",
                     "thbar_T": None if brownian else path.schedule.u_T, "G_T": path.schedule.u_T if brownian else None,
                     "max_std": max_std, "peak": peak, "peak_kind": "index" if path.schedule.discrete else "time"})
    return rows


def published_table(pi: float = 1.0) -> str:
    """:func:`published_rows` as a table; a Brownian bridge's ``lam = 1/2`` is marked as the storage convention."""
    # θ̄ is 2 code points and 1 column wide: its field is 1 wider than the column
    lines = [f"{'bridge':8s} {'λ':>8s} {'ν(π)':>5s} {'θ̄_T':>8s} {'G_T':>6s} {'max std':>9s}  peak at"]
    for row in published_rows(pi):
        thbar_T, G_T = ("—" if row[key] is None else f"{row[key]:.4g}" for key in ("thbar_T", "G_T"))
        lam = f"{row['lam']:.4g}" + ("*" if row["G_T"] is not None else " ")
        lines.append(f"{row['bridge']:8s} {lam:>9s} {row['factor']:>4s} {thbar_T:>7s} {G_T:>6s} "
                     f"{row['max_std']:9.4g}  {row['peak_kind']} {format_time(row['peak'])}")
    lines.append("* Brownian bridge: lam = 1/2 is a storage convention (2 lam = 1 in Sigma_t^2 = 2 lam G_t (G_T - G_t) "
                 "/ G_T)")
    return "\n".join(lines)


def residual_summary(lam: float = 0.1, task: str = "inpaint") -> dict:
    """The numbers behind :func:`residual_figure`: on the crop of ``task``, the share of values with ``pi != 0``, the
    largest ``|pi|``, and at each bridge's peak time the largest per-value standard deviation of RDBM and GOUB (at
    stationary variance ``lam``) and RDBM's share of the noise variance that falls on values with ``pi = 0``."""
    x0, mu = photo_pair(task)
    pi = x0 - mu
    out = {"share_pi_nonzero": float((pi != 0).double().mean()), "max_abs_pi": float(pi.abs().max())}
    for bridge in ("rdbm", "goub"):
        path = explorer_path(bridge, lam=lam)
        t = peak_time(path)
        std = path.std(x0[None], mu[None], t)[0].double()
        out[bridge] = {"t": t, "max_std": float(std.max()), "min_std": float(std.min()),
                       "share_on_intact": float((std[pi == 0] ** 2).sum() / (std ** 2).sum())}
    return out


def residual_text(lam: float = 0.1, task: str = "inpaint") -> str:
    """:func:`residual_summary` in three lines: the crop's residual, then RDBM's and GOUB's noise at their peaks."""
    r = residual_summary(lam, task)
    lines = [f"{task} crop: pi != 0 on {r['share_pi_nonzero']:.1%} of the values; largest |pi| {r['max_abs_pi']:.3f}"]
    for bridge in ("rdbm", "goub"):
        b = r[bridge]
        spread = (f"{b['max_std']:.4f} on every value" if b["min_std"] == b["max_std"]
                  else f"from {b['min_std']:.4g} to {b['max_std']:.4f}")
        lines.append(f"{BRIDGE_CHOICES[bridge].split(' (')[0]:4s} at t = {format_time(b['t'])} (lam = {lam:g}): std "
                     f"{spread}; share of the noise variance on values with pi = 0: {b['share_on_intact']:.1%}")
    return "\n".join(lines)


def residual_figure(lam: float = 0.1, pis: tuple[float, ...] = (0.25, 1.0, 2.0), task: str = "inpaint", *,
                    mu: float = 0.5, seed: int = 0) -> Figure:
    """What the residual ``pi`` changes: RDBM (noise ``Sigma_t |pi|``) against GOUB (noise ``Sigma_t``), both at
    stationary variance ``lam``, each on its own schedule.

    Top left: the standard deviation of ``x_t`` for RDBM at each residual of ``pis`` and for GOUB (the same for
    every ``pi``).  Top right: RDBM's mean and band (mean ± 2 std) from ``x0 = mu + pi`` to ``mu`` for each
    residual.  Bottom: on the crop of ``task``, the residual ``|pi|`` per pixel, each bridge's standard deviation
    per pixel at its peak time (one colour scale), and one draw of ``x_t`` there (the same noise for both).
    """
    styles = dict(zip(pis, (":", "--", "-", "-.")))
    fig = Figure(figsize=(10, 6.6))
    outer = fig.add_gridspec(2, 1, height_ratios=(1.15, 1), left=0.07, right=0.98, top=0.9, bottom=0.03,
                             hspace=0.3)
    top_row = outer[0].subgridspec(1, 2, wspace=0.25)
    spec = outer[1].subgridspec(1, 5, wspace=0.12)
    ax_std, ax_band = fig.add_subplot(top_row[0]), fig.add_subplot(top_row[1])
    rdbm, goub = explorer_path("rdbm", lam=lam), explorer_path("goub", lam=lam)
    blue, orange = BRIDGE_COLOURS["rdbm"], BRIDGE_COLOURS["goub"]
    grid = time_grid(rdbm)
    t = grid.numpy()
    for p in pis:
        std = rdbm.coefficients(grid)[2] * abs(p)
        ax_std.plot(t, std.numpy(), color=blue, ls=styles[p], lw=1.8)
        # the curve is labelled where it is flat (t = 60 .. 90), just above it: no legend over the data
        ax_std.text(75, 1.03 * float(std.max()), f"RDBM, $\\pi$ = {p:g}", color=blue, ha="center", va="bottom",
                    fontsize=SMALL)
        mean = rdbm.mean(torch.full((len(grid),), mu + p, dtype=torch.float64),
                         torch.full((len(grid),), mu, dtype=torch.float64), grid)
        low, high = (mean - 2 * std).numpy(), (mean + 2 * std).numpy()
        ax_band.fill_between(t, low, high, color=blue, alpha=0.1, lw=0)
        for edge in (low, high):  # each band's edges in its mean's line style: the bands stay apart where they overlap
            ax_band.plot(t, edge, color=blue, ls=styles[p], lw=0.9)
        ax_band.plot(t, mean.numpy(), color=blue, ls=styles[p], lw=2.2, label=f"$\\pi$ = {p:g} ($x_0$ = {mu + p:g})")
    grid = time_grid(goub)
    goub_std = goub.coefficients(grid)[2]
    ax_std.plot(grid.numpy(), goub_std.numpy(), color=orange, lw=2.2)
    ax_std.text(75, float(goub_std.max()) * 0.72, "GOUB, any $\\pi$", color=orange, ha="center", va="top",
                fontsize=SMALL)
    ax_std.set_title(f"standard deviation of $x_t$, $\\lambda$ = {lam:g}", fontsize=FONT)
    ax_std.set_ylabel("standard deviation of $x_t$", fontsize=SMALL)
    ax_band.set_title(f"RDBM: mean (thick) and mean ± 2 std (thin), $\\mu$ = {mu:g}", fontsize=FONT)
    ax_band.set_ylabel("$x_t$", fontsize=SMALL)
    for ax in (ax_std, ax_band):
        ax.set_xlabel("t (grid index)", fontsize=SMALL)
        ax.tick_params(labelsize=SMALL)
        ax.grid(alpha=0.3)
    ax_std.set_ylim(0, 1.12 * max(abs(p) for p in pis) * math.sqrt(lam))  # room for the top curve's label
    ax_band.legend(fontsize=SMALL, loc="lower left")

    x0, mu_img = photo_pair(task)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    std_maps, draws, titles = [], [], []
    for bridge, path in (("rdbm", rdbm), ("goub", goub)):
        t = peak_time(path)
        std_maps.append(path.std(x0[None], mu_img[None], t)[0].double().mean(0))
        draws.append(tensor_to_image(path.sample(x0[None], mu_img[None], t, noise=eps[None])[0]))
        titles.append(f"{BRIDGE_CHOICES[bridge].split(' (')[0]}, t = {format_time(t)}")
    top = max(float(m.max()) for m in std_maps)
    ax = fig.add_subplot(spec[0])
    residual = ax.imshow((x0 - mu_img).abs().mean(0).numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_title("$|\\pi|$ per pixel\n(white: 0)", fontsize=FONT)
    for k, (std_map, title) in enumerate(zip(std_maps, titles)):
        ax = fig.add_subplot(spec[1 + k])
        image = ax.imshow(std_map.numpy(), cmap="viridis", vmin=0, vmax=top, interpolation="nearest")
        ax.set_title(f"std per pixel\n{title}", fontsize=FONT)
    for k, (draw, title) in enumerate(zip(draws, titles)):
        ax = fig.add_subplot(spec[3 + k])
        ax.imshow(draw, interpolation="nearest")
        ax.set_title(f"one draw of $x_t$\n{title}", fontsize=FONT)
    for ax in fig.axes[2:]:  # framed tiles, no ticks: a white region stays visible
        ax.set_xticks([])
        ax.set_yticks([])
    bar = fig.colorbar(image, ax=fig.axes[3:5], location="bottom", fraction=0.06, pad=0.04, shrink=0.9)
    bar.ax.tick_params(labelsize=SMALL)
    bar.set_label("std (image values in [-1, 1])", fontsize=SMALL)
    bar = fig.colorbar(residual, ax=fig.axes[2], location="bottom", fraction=0.06, pad=0.04, shrink=0.9,
                       ticks=[0, 0.5, 1])
    bar.ax.tick_params(labelsize=SMALL)
    bar.set_label("$|\\pi|$ (mean over the colour channels)", fontsize=SMALL)
    fig.suptitle(f"What the residual changes: RDBM (noise $\\Sigma_t|\\pi|$) against GOUB (noise $\\Sigma_t$), "
                 f"both at $\\lambda$ = {lam:g}, image: {task}", fontsize=FONT + 1)
    return fig


def explore(bridge: str = "rdbm", task: str = "inpaint"):
    """The live explorer: controls and the figure as one ipywidgets box, or the static figures without ipywidgets.

    The box holds five controls (bridge, lam, schedule, pi, image task) and an ``ipywidgets.Image`` with the
    figure as PNG; every change of a control redraws it once (``ui.update()``, which calls ``ui.f(**settings)`` and
    keeps the figure as ``ui.result``).  Choosing a bridge resets ``lam`` to that bridge's published value, then
    redraws once.  No output widget and no ``display`` call are involved, so executing the notebook without a
    front end (nbconvert, nbval) cannot wait on one.  The box's text form is :data:`EXPLORER_TEXT` (a saved copy
    of a notebook keeps only that of a widget).  When ipywidgets cannot be imported, one line says so and
    :func:`static_figures` is returned instead.
    """
    try:
        import ipywidgets as w
    except ImportError:
        print("ipywidgets is not installed: static figures for a few presets instead (`make lab` installs it).")
        with contextlib.suppress(ImportError):  # in a Jupyter kernel: show the returned figure as an image
            import matplotlib_inline.backend_inline  # noqa: F401  (registers the figure formatters on import)
        return static_figures()
    _check_settings((bridge, None, "published"), 1.0, task, 0.5, 1)

    class ExplorerUI(w.VBox):
        """The explorer's controls and figure; its text form (what a saved notebook shows) is one line."""

        def __repr__(self) -> str:
            return EXPLORER_TEXT

        def settings(self) -> dict:
            """The controls' values, as keywords of :func:`explorer_figure`."""
            return {control.description_key: control.value for control in self.children[:-1]}

        def update(self, change=None) -> None:
            """Redraw the figure for the controls' values."""
            self.result = self.f(**self.settings())
            self.children[-1].value = png_bytes(self.result)

    def control(widget, key):
        widget.description_key = key  # the keyword of explorer_figure this control sets
        return widget

    bridge_w = control(w.Dropdown(options=[(label, name) for name, label in BRIDGE_CHOICES.items()], value=bridge,
                                  description="bridge"), "bridge")
    lam_w = control(w.FloatLogSlider(value=bridges.make(bridge).lam, base=10, min=-6, max=2, step=0.1,
                                     readout_format=".2e", continuous_update=False, description="lam (λ)"), "lam")
    schedule_w = control(w.Dropdown(options=[("published (the bridge's own)" if name == "published" else name, name)
                                             for name in SCHEDULES], value="published", description="schedule"),
                         "schedule")
    pi_w = control(w.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.05, continuous_update=False,
                                 description="pi (π)"), "pi")
    task_w = control(w.Dropdown(options=list(TASKS), value=task, description="image task"), "task")
    controls = (bridge_w, lam_w, schedule_w, pi_w, task_w)
    ui = ExplorerUI(children=[*controls, w.Image(format="png")])
    ui.f = explorer_figure

    def published_lam(change):
        # registered before the redraw: lam changes silently, then the bridge's own observer redraws once
        lam_w.unobserve(ui.update, names="value")
        lam_w.value = bridges.make(change["new"]).lam
        lam_w.observe(ui.update, names="value")

    bridge_w.observe(published_lam, names="value")
    for widget in controls:
        widget.observe(ui.update, names="value")
    ui.update()
    return ui
