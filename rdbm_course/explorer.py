"""The bridge explorer: one figure that shows what a bridge does, redrawn for any setting.

Settings: a bridge of the family (``rdbm``, ``goub``, ``bbdm`` = Brownian, ``ddbm-ve`` = VE,
``ddbm-vp`` = VP), its noise variance ``lam``, the theta schedule (the bridge's own or one of
:data:`SCHEDULES`), a scalar residual ``pi`` for the one-dimensional panels and a degradation task
for the image strip.  Panels:

1. ``Theta_t`` (coefficient of ``x0``) and ``Psi_t`` (coefficient of ``mu``) over ``t``;
2. ``Sigma_t |s(pi)|``, the standard deviation of a pixel with residual ``pi``, its maximum and where;
3. sample paths of the bridge from ``x0 = mu + pi`` to ``mu``, with the mean and a 2-std band;
4. the forward path ``x_t`` of a small photo crop and its degraded version at five times.

:func:`explorer_figure` draws it (a pure function of its arguments: fixed seeds, no pyplot state);
:func:`explore` wraps it in an ``ipywidgets.interactive`` UI, or, without ipywidgets, shows
:func:`static_figures` for the :data:`PRESETS`.  :func:`clock_figure`, :func:`schedule_table` and
:func:`published_table` are the overview of notebook 09 (the clocks of the five bridges, the schedules
by name, the published noise levels).

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

__all__ = ["BRIDGE_CHOICES", "BRIDGE_COLOURS", "SCHEDULES", "PUBLISHED_SCHEDULES", "PRESETS", "explorer_path",
           "schedule_name", "clock_symbol", "time_grid", "clock_fraction", "sample_paths", "explorer_figure",
           "static_figures", "clock_figure", "clock_table", "schedule_table", "published_table", "png_bytes", "explore",
           "photo_pair"]

#: the bridges the explorer offers (names of :data:`rdbm_core.bridge.bridges.BRIDGES`), with a label
BRIDGE_CHOICES = {
    "rdbm": "RDBM (OU bridge, residual-modulated noise)",
    "goub": "GOUB (OU bridge, global noise)",
    "bbdm": "BBDM (Brownian bridge)",
    "ddbm-ve": "DDBM-VE (VE bridge)",
    "ddbm-vp": "DDBM-VP (VP bridge, target 0)",
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


def explorer_path(bridge: str = "rdbm", lam: float | None = None, schedule: str = "published") -> ResidualPath:
    """The bridge ``bridge`` with noise variance ``lam`` (None: its published value) on ``schedule``."""
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


def _format_time(t) -> str:
    """A time as the figures print it: an integer grid index, or 3 significant digits of a continuous time."""
    t = torch.as_tensor(t)
    return f"{float(t):.3g}" if t.is_floating_point() else str(int(t))


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
    peak = _format_time(grid[std.argmax()])
    t, theta, psi, std, mean = (v.double().numpy() for v in (grid, theta, psi, std, mean))
    colour = BRIDGE_COLOURS[bridge]

    spec = fig.add_gridspec(2, 3, height_ratios=(1.2, 1), left=0.075, right=0.99, top=0.85, bottom=0.02,
                            wspace=0.3, hspace=0.32)
    ax_theta, ax_sigma, ax_paths = (fig.add_subplot(spec[0, k]) for k in range(3))
    ax_theta.plot(t, theta, color=colour, label="Θₜ (weight of x₀)")
    ax_theta.plot(t, psi, color=colour, ls="--", label="Ψₜ (weight of μ)")
    ax_theta.set_title("mean Θₜ x₀ + Ψₜ μ", fontsize=FONT)
    ax_theta.set_ylabel("weight", fontsize=SMALL)
    ax_theta.legend(fontsize=SMALL, loc="best")
    label = "Σₜ|π|" if path.noise == "modulated" else "Σₜ"
    ax_sigma.plot(t, std, color=colour)
    ax_sigma.set_title(f"std {label}: max {float(std.max()):.3g} at t = {peak}", fontsize=FONT)
    ax_sigma.set_ylabel("standard deviation of xₜ", fontsize=SMALL)
    ax_paths.fill_between(t, mean - 2 * std, mean + 2 * std, color="0.8", lw=0)
    ax_paths.plot(path_times.double().numpy(), paths.numpy(), color=colour, lw=0.8, alpha=0.85)
    ax_paths.plot(t, mean, color="black", lw=1.3)
    ax_paths.set_title(f"{n_paths} sample paths, x₀ = {mu + pi:.3g}, μ = {mu:.3g}\n"
                       "black: mean; grey: mean ± 2 std", fontsize=FONT)
    ax_paths.set_ylabel("xₜ", fontsize=SMALL)
    xlabel = "t (grid index)" if path.schedule.discrete else "t (time)"
    for ax in (ax_theta, ax_sigma, ax_paths):
        ax.set_xlabel(xlabel, fontsize=SMALL, labelpad=1)
        ax.tick_params(labelsize=SMALL)
        ax.locator_params(nbins=5)
        ax.grid(alpha=0.3)

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
        ax_strip.text(left + width / 2, -2, f"t = {_format_time(ts)}, Θₜ = {float(th):.2f}", ha="center",
                      va="bottom", fontsize=SMALL)
    ax_strip.imshow(canvas, interpolation="nearest")
    ax_strip.set_axis_off()
    fig.suptitle(f"{BRIDGE_CHOICES[bridge]}: λ = {path.lam:.3g}, schedule {schedule_name(bridge, schedule)} "
                 f"({clock_symbol(path)}_T = {path.schedule.u_T:.4g}), π = {pi:.3g}, image: {task}", fontsize=FONT + 1)


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG, fast: its own margins (no tight bounding box: one draw, not two), light compression."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def explorer_figure(bridge: str = "rdbm", lam: float | None = None, schedule: str = "published", pi: float = 1.0,
                    task: str = "inpaint", *, mu: float = 0.5, n_paths: int = 5, seed: int = 0) -> Figure:
    """The explorer for one setting: a new figure with 4 axes (Theta/Psi, Sigma, sample paths, the image strip).

    bridge:   one of :data:`BRIDGE_CHOICES`;  lam: noise variance (None: the bridge's published value);
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
                      f"{clock_symbol(path)}ₜ / {clock_symbol(path)}_T")
    ax.set_xlabel("share of the way from the clean end, (t − t_clean) / (t_T − t_clean)", fontsize=SMALL)
    ax.set_ylabel("share of the clock run, θ̄ₜ / θ̄_T or Gₜ / G_T", fontsize=SMALL)
    ax.set_title("How fast each bridge's clock runs on its own schedule", fontsize=FONT)
    ax.tick_params(labelsize=SMALL)
    ax.grid(alpha=0.3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=SMALL, loc="upper left")
    fig.tight_layout()
    return fig


def clock_table(shares: tuple[float, ...] = (0.25, 0.5, 0.75)) -> str:
    """The share of the clock each bridge has run at ``shares`` of the way along its grid (nearest grid time)."""
    lines = [f"{'bridge':8s}  {'schedule':9s}  " + "  ".join(f"at {q:.0%} of the way" for q in shares)]
    for bridge in BRIDGE_CHOICES:
        share, clock = clock_fraction(explorer_path(bridge))
        values = [float(clock[(share - q).abs().argmin()]) for q in shares]
        lines.append(f"{bridge:8s}  {PUBLISHED_SCHEDULES[bridge]:9s}  "
                     + "  ".join(f"{v:>16.3f}" for v in values))
    return "\n".join(lines)


def schedule_table() -> str:
    """Every schedule by its one name: the bridge that publishes it, the times it runs over, its clock's end."""
    rows = [(name, "—", explorer_path("rdbm", schedule=name)) for name in SCHEDULES if name != "published"]
    for bridge, name in PUBLISHED_SCHEDULES.items():
        if name in SCHEDULES:  # reference and goub-grid: RDBM's and GOUB's own
            rows = [(n, BRIDGE_CHOICES[bridge].split(" (")[0] if n == name else by, p) for n, by, p in rows]
        else:
            rows.append((name, BRIDGE_CHOICES[bridge].split(" (")[0], explorer_path(bridge)))
    lines = [f"{'schedule':10s} {'published by':13s} {'t runs over':16s} clock end"]
    for name, by, path in rows:
        sch = path.schedule
        times = (f"grid {sch.t_clean}..{sch.t_T}" if sch.discrete
                 else f"time [{sch.t_clean:g}, {sch.t_T:g}]")
        lines.append(f"{name:10s} {by:13s} {times:16s} {clock_symbol(path)}_T = {sch.u_T:.4g}")
    return "\n".join(lines)


def published_table(pi: float = 1.0) -> str:
    """Each bridge at its published settings: ``lam``, the noise factor, the clock's end (``thbar_T`` for an OU
    bridge, ``G_T`` for a Brownian one, ``—`` where it does not apply), and the largest standard deviation of
    a value with residual ``pi`` over the explorer's time grid, with the time where it is reached."""
    lines = [f"{'bridge':8s} {'λ':>8s} {'ν(π)':>5s} {'θ̄_T':>8s} {'G_T':>6s} {'max std':>9s} {'at t':>5s}"]  # θ̄: 2 code points
    for bridge in BRIDGE_CHOICES:
        path = explorer_path(bridge)
        grid = time_grid(path)
        _, _, sigma = path.coefficients(grid)
        std = sigma * (abs(pi) if path.noise == "modulated" else 1.0)
        brownian = path.kind == "brownian"
        thbar_T = "—" if brownian else f"{path.schedule.u_T:.4g}"
        G_T = f"{path.schedule.u_T:.4g}" if brownian else "—"
        factor = "π" if path.noise == "modulated" else "1"
        lines.append(f"{bridge:8s} {path.lam:8.4g} {factor:>5s} {thbar_T:>7s} {G_T:>6s} {float(std.max()):9.4g} "
                     f"{_format_time(grid[std.argmax()]):>5s}")
    return "\n".join(lines)


def explore(bridge: str = "rdbm", task: str = "inpaint"):
    """The live explorer: an ``ipywidgets.interactive`` UI, or the static figures without ipywidgets.

    Choosing a bridge resets ``lam`` to that bridge's published value (then move the slider).  When
    ipywidgets cannot be imported, one line says so and :func:`static_figures` is returned instead.
    """
    try:
        import ipywidgets as w
    except ImportError:
        print("ipywidgets is not installed: static figures for a few presets instead (`make lab` installs it).")
        with contextlib.suppress(ImportError):  # in a Jupyter kernel: show the returned figure as an image
            import matplotlib_inline.backend_inline  # noqa: F401  (registers the figure formatters on import)
        return static_figures()
    _check_settings((bridge, None, "published"), 1.0, task, 0.5, 1)
    from IPython.display import Image, display

    bridge_w = w.Dropdown(options=[(label, name) for name, label in BRIDGE_CHOICES.items()], value=bridge,
                          description="bridge")
    lam_w = w.FloatLogSlider(value=bridges.make(bridge).lam, base=10, min=-6, max=2, step=0.1,
                             readout_format=".2e", continuous_update=False, description="lam (λ)")
    schedule_w = w.Dropdown(options=[("published (the bridge's own)" if name == "published" else name, name)
                                     for name in SCHEDULES], value="published", description="schedule")
    pi_w = w.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.05, continuous_update=False, description="pi (π)")
    task_w = w.Dropdown(options=list(TASKS), value=task, description="image task")

    def show(bridge, lam, schedule, pi, task):
        fig = explorer_figure(bridge, lam, schedule, pi, task)
        display(Image(data=png_bytes(fig)))
        return fig

    def published_lam(change):
        # registered before the UI's own observer: lam changes silently, then the UI redraws once
        lam_w.unobserve(ui.update, names="value")
        lam_w.value = bridges.make(change["new"]).lam
        lam_w.observe(ui.update, names="value")

    bridge_w.observe(published_lam, names="value")
    ui = w.interactive(show, bridge=bridge_w, lam=lam_w, schedule=schedule_w, pi=pi_w, task=task_w)
    return ui
