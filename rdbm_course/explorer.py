"""The bridge explorer: one figure that shows what a bridge does, redrawn for any setting.

Settings: a bridge of the family (``rdbm``, ``goub``, ``bbdm`` = Brownian, ``ddbm-ve`` = VE,
``ddbm-vp`` = VP), its noise variance ``lam``, the theta schedule (the bridge's own or one of
:data:`SCHEDULES`), a scalar residual ``pi`` for the one-dimensional panels and a degradation task
for the image strip.  Panels:

1. ``Theta_t`` (coefficient of ``x0``) and ``Psi_t`` (coefficient of ``mu``) over ``t``;
2. ``Sigma_t |s(pi)|``, the standard deviation of a pixel with residual ``pi``;
3. sample paths of the bridge from ``x0 = mu + pi`` to ``mu``, with the mean and a 2-std band;
4. the forward path ``x_t`` of a small photo crop and its degraded version at five times.

:func:`explorer_figure` draws it (a pure function of its arguments: fixed seeds, no pyplot state);
:func:`explore` wraps it in an ``ipywidgets.interactive`` UI, or, without ipywidgets, shows
:func:`static_figures` for the :data:`PRESETS`.

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

__all__ = ["BRIDGE_CHOICES", "SCHEDULES", "PRESETS", "explorer_path", "time_grid", "sample_paths", "explorer_figure",
           "static_figures", "png_bytes", "explore", "photo_pair"]

#: the bridges the explorer offers (names of :data:`rdbm_core.bridge.bridges.BRIDGES`), with a label
BRIDGE_CHOICES = {
    "rdbm": "RDBM (OU bridge, residual-modulated noise)",
    "goub": "GOUB (OU bridge, global noise)",
    "bbdm": "BBDM (Brownian bridge)",
    "ddbm-ve": "DDBM-VE (VE bridge)",
    "ddbm-vp": "DDBM-VP (VP bridge, target 0)",
}

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
FIGSIZE = (13, 6.4)  # inches, one setting


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


def time_grid(path: ResidualPath) -> torch.Tensor:
    """The times the explorer draws: every time of a discrete schedule, 201 uniform times of a continuous one."""
    sch = path.schedule
    return sch.times() if sch.discrete else sch.times(200)


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
    """The grid times nearest to :data:`STRIP_FRACTIONS` of the way from ``t_clean`` to ``t_T``."""
    grid = time_grid(path)
    return grid[[round(f * (len(grid) - 1)) for f in STRIP_FRACTIONS]]


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
    t, theta, psi, std, mean = (v.double().numpy() for v in (grid, theta, psi, std, mean))

    spec = fig.add_gridspec(2, 3, height_ratios=(1.15, 1), left=0.05, right=0.99, top=0.88, bottom=0.02,
                            wspace=0.22, hspace=0.3)
    ax_theta, ax_sigma, ax_paths = (fig.add_subplot(spec[0, k]) for k in range(3))
    ax_theta.plot(t, theta, color="tab:blue", label="Θₜ (weight of x₀)")
    ax_theta.plot(t, psi, color="tab:orange", ls="--", label="Ψₜ (weight of μ)")
    ax_theta.set_title("mean Θₜ x₀ + Ψₜ μ", fontsize=10)
    ax_theta.legend(fontsize=8)
    label = "Σₜ |π|" if path.noise == "modulated" else "Σₜ (global noise)"
    ax_sigma.plot(t, std, color="tab:red")
    ax_sigma.set_title(f"standard deviation {label}, max {float(std.max()):.3g}", fontsize=10)
    ax_paths.fill_between(t, mean - 2 * std, mean + 2 * std, color="tab:gray", alpha=0.3, lw=0)
    ax_paths.plot(path_times.double().numpy(), paths.numpy(), lw=0.9)
    ax_paths.plot(t, mean, color="black", lw=1.2)
    ax_paths.set_title(f"{n_paths} paths from x₀ = {mu + pi:.3g} to μ = {mu:.3g}; mean ± 2 std", fontsize=10)
    for ax in (ax_theta, ax_sigma, ax_paths):
        ax.set_xlabel("t", fontsize=8, labelpad=1)
        ax.tick_params(labelsize=8)
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
        when = f"{float(ts):.3g}" if ts.is_floating_point() else str(int(ts))
        ax_strip.text(left + width / 2, -2, f"t = {when}, Θₜ = {float(th):.2f}", ha="center", va="bottom",
                      fontsize=9)
    ax_strip.imshow(canvas, interpolation="nearest")
    ax_strip.set_axis_off()
    fig.suptitle(f"{BRIDGE_CHOICES[bridge]}: lam = {path.lam:.3g}, schedule {path.schedule.name} "
                 f"(θ̄_T = {path.schedule.u_T:.3g}), residual pi = {pi:.3g}, image: {task}", fontsize=11)


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
                             readout_format=".2e", continuous_update=False, description="lam")
    schedule_w = w.Dropdown(options=list(SCHEDULES), value="published", description="schedule")
    pi_w = w.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.05, continuous_update=False, description="pi")
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
