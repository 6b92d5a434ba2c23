"""Helpers of notebook 02b (reversing time): the one-pixel experiment whose clean value the sampler knows (an
*oracle*), its figure, and the Euler-Maruyama bookkeeping that the notebook's checks compare its printed numbers with.

Everything here works on one pixel: a clean value ``x0`` and a degraded value ``mu`` (floats), the paths stored as a
row ``[1, n]``. Grid times are the integer indices of a discrete schedule (``-1`` is the clean end, ``t_T`` the
pinned end).

* :func:`marginal_band` draws the grey band of the figure;
* :func:`refined` splits every clock step of a grid into ``k`` equal clock steps: the same bridge (the same
  terminal clock) on a nested finer grid, whose index :func:`refined_index` ``(t, k)`` has the clock of index ``t``
  (the figure's middle panel draws the band on it);
* :func:`em_factor` and :func:`em_spread` give the spread and the mean of Euler-Maruyama's paths without sampling
  (with the oracle each step is affine in the state, so the variance follows a recursion);
* :func:`plot_two_ways` draws the notebook's figure (one colour per sampler: :data:`SDE_COLOUR`, :data:`ODE_COLOUR`);
  :func:`two_ways` runs both samplers for it and returns the runs with the figure (:class:`TwoWays`);
* :func:`in_clock_to_go` writes a SymPy coefficient in the clocks ``thbar_t`` and ``thbar_{t:T}``, as the notebook
  displays them.
"""
from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import torch

from rdbm_core.bridge import samplers
from rdbm_core.bridge.schedules import DiscreteSchedule

__all__ = ["SDE_COLOUR", "ODE_COLOUR", "oracle", "row", "marginal_band", "refined", "refined_index", "em_factor",
           "EMSpread", "em_spread", "plot_two_ways", "TwoWays", "two_ways", "in_clock_to_go"]

#: one colour per sampler in notebook 02b (Okabe-Ito blue and vermillion, colour-blind safe)
SDE_COLOUR, ODE_COLOUR = "#0072B2", "#D55E00"


def oracle(x0: float) -> samplers.Denoiser:
    """A denoiser that always predicts the clean value ``x0`` (no clamping)."""
    return samplers.Denoiser(lambda x_t, mu, t: torch.full_like(x_t, x0), clamp=False)


def row(value: float, n: int = 1) -> torch.Tensor:
    """``n`` copies of one pixel value as a float64 row ``[1, n]``."""
    return torch.full((1, n), value, dtype=torch.float64)


def marginal_band(path, x0: float, mu: float, times, values: torch.Tensor) -> torch.Tensor:
    """The marginal density ``q(x_t | x0)`` at the pixel ``values`` (rows) and the grid ``times`` (columns), divided
    by its value at each time's mean (so 1 at the mean); a standard deviation below 0.002 (the pinned end) is drawn
    as 0.002, so that the band stays visible there."""
    ones = torch.ones(len(times), dtype=torch.float64)
    mean, std = path.mean(x0 * ones, mu * ones, times), path.std(x0 * ones, mu * ones, times)
    return torch.exp(-(values[:, None] - mean) ** 2 / (2 * std.clamp_min(2e-3) ** 2))


def refined(path, k: int):
    """``path`` on a nested grid ``k`` times finer: every clock step split into ``k`` equal clock steps.

    The clean end stays at index ``-1``; the clock of ``path``'s index ``t`` sits at :func:`refined_index`
    ``(t, k)``, and the terminal clock is unchanged, so the bridge is the same and only the grid differs.
    """
    table = path.schedule.table
    parts = [table[:1]] + [table[i] + (table[i + 1] - table[i]) * torch.arange(1, k + 1, dtype=torch.float64) / k
                           for i in range(len(table) - 1)]
    schedule = DiscreteSchedule(torch.cat(parts), t_clean=path.schedule.t_clean, name=f"{path.schedule.name} x{k}")
    return replace(path, schedule=schedule)


def refined_index(t: int, k: int) -> int:
    """The index of the ``k``-fold refined grid (:func:`refined`) with the clock of index ``t`` (clean end ``-1``)."""
    return k * (t + 1) - 1


def em_factor(path, t: int) -> float:
    """``a_t``: one Euler-Maruyama step from ``t`` to ``t - 1`` maps ``x`` to ``a_t x + (terms free of x)``;
    ``a_t = 1 - du dF_rev/dx``, the slope of the library's reverse drift read off at ``x = 1`` and ``x = 0``."""
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    t_ = torch.tensor(t)
    slope = path.reverse_drift(one, zero, zero, t_) - path.reverse_drift(zero, zero, zero, t_)
    return 1 - float(path.schedule.clock(t_) - path.schedule.clock(t_ - 1)) * float(slope)


class EMSpread(NamedTuple):
    """Euler-Maruyama's paths without sampling, each a dict over grid indices."""
    propagated: dict  # the paths' spread / the marginal's std at each time s < t_T - 1
    one_step: dict  # for each step t -> t - 1: that ratio where it lands, after this step alone from the exact spread
    mean_offset: dict  # (the paths' mean - M_s) / the marginal's std at each time s < t_T - 1


def em_spread(path, x0: float, mu: float) -> EMSpread:
    """Euler-Maruyama with the oracle on every time of ``path``'s grid, without sampling.

    Its first step out of ``t_T`` is the posterior draw, which lands with the marginal's mean and variance at
    ``t_T - 1``; from there each step ``t -> t - 1`` (clock length ``du``) maps the variance ``V`` to
    ``a_t^2 V + 2 lam du pi^2`` and the mean ``m`` to ``m - du F_rev(m)``, exactly.
    """
    x0_, mu_ = row(x0), row(mu)
    std = (lambda t: float(path.std(x0_, mu_, torch.tensor(t))))
    t_T = path.schedule.t_T
    var, mean = std(t_T - 1) ** 2, path.mean(x0_, mu_, torch.tensor(t_T - 1))
    out = EMSpread({}, {}, {})
    for t in range(t_T - 1, 0, -1):
        a = em_factor(path, t)
        du = float(path.schedule.clock(torch.tensor(t)) - path.schedule.clock(torch.tensor(t - 1)))
        noise_var = 2 * path.lam * du * (x0 - mu) ** 2  # the step's fresh noise
        var = a ** 2 * var + noise_var
        mean = mean - du * path.reverse_drift(mean, x0_, mu_, torch.tensor(t))
        out.propagated[t - 1] = var ** 0.5 / std(t - 1)
        out.one_step[t] = (a ** 2 * std(t) ** 2 + noise_var) ** 0.5 / std(t - 1)
        out.mean_offset[t - 1] = float(mean - path.mean(x0_, mu_, torch.tensor(t - 1))) / std(t - 1)
    return out


# ----------------------------------------------------------------------------- the notebook's figure

def plot_two_ways(path, x0: float, mu: float, sde: tuple, ode: tuple, places, n_shown: int = 5,
                  refine: int = 50, title: str = ""):
    """The notebook's figure: the reverse-SDE paths ``sde = (indices, states)`` from ``x_[t_T] = mu`` (``n_shown`` of
    them) against the grid index, their first steps against the clock still to go, and the ODE paths ``ode``, started
    at ``places`` (standard deviations of the marginal), against the grid index; the marginal ``q(x_t | x0)`` in grey
    behind them (the middle panel's on a ``refine``-fold finer nested grid, so that its pinch at ``mu`` shows).
    The drawn SDE path that goes farthest from the marginal's mean, in its standard deviations, is drawn thick, with a
    ring at its farthest point labelled with that distance. ``title`` heads the figure. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.colors import ListedColormap  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415

    (sde_t, sde_x), (ode_t, ode_x) = sde, ode
    t_T = path.schedule.t_T
    times, to_go = path.schedule.times(), path.schedule.clock_to_end
    values = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)  # the pixel values of the band
    fine = refined(path, refine)
    fine_t = torch.arange(refined_index(90, refine), fine.schedule.t_T + 1)  # the middle panel: index 90 to t_T
    early = sde_t >= 90
    greys = ListedColormap(plt.cm.Greys(torch.linspace(0, 0.6, 256).numpy()))  # white to mid-grey
    fig, axes = plt.subplots(1, 3, figsize=(10, 4.6), sharey=True, layout="constrained",
                             gridspec_kw={"width_ratios": [1, 0.8, 1]})
    band = marginal_band(path, x0, mu, times, values)
    for ax, x_axis, shade_values in ((axes[0], times, band), (axes[2], times, band),
                                     (axes[1], fine.schedule.clock_to_end(fine_t),
                                      marginal_band(fine, x0, mu, fine_t, values))):
        shade = ax.pcolormesh(x_axis, values, shade_values, cmap=greys, shading="auto", vmin=0, vmax=1)
    axes[0].plot(sde_t, sde_x[:, :n_shown], color=SDE_COLOUR, lw=0.9)
    inside = (sde_t >= 0) & (sde_t < t_T)  # where the marginal has a positive width
    ones = torch.ones(int(inside.sum()), dtype=torch.float64)
    shown_places = ((sde_x[inside, :n_shown] - path.mean(x0 * ones, mu * ones, sde_t[inside])[:, None])
                    / path.std(x0 * ones, mu * ones, sde_t[inside])[:, None])
    row_k, path_k = divmod(int(shown_places.abs().argmax()), n_shown)  # the drawn paths' farthest point
    far_t, far_x = sde_t[inside][row_k], sde_x[inside][row_k, path_k]
    axes[0].plot(sde_t, sde_x[:, path_k], color=SDE_COLOUR, lw=2.0)  # that path, thick
    axes[0].plot(far_t, far_x, "o", ms=11, mfc="none", mec="black", mew=1.2, zorder=6)  # and its farthest point
    axes[0].annotate(f"{float(shown_places[row_k, path_k].abs()):.1f} std", (float(far_t), float(far_x)),
                     xytext=(8, 4 if float(far_x) > 0 else -12), textcoords="offset points", fontsize=9)
    axes[1].plot(to_go(sde_t[early]), sde_x[early, :n_shown], color=SDE_COLOUR, lw=0.9)
    first = float(to_go(torch.tensor(t_T - 1)))
    axes[1].axvline(first, color="black", ls=":", lw=0.9)
    axes[1].text(first + 0.08, 1.0, f"index {t_T - 1}", fontsize=9)
    axes[2].plot(ode_t, ode_x[:, :len(places)], color=ODE_COLOUR, lw=1.5)
    for ax, at_mu in ((axes[0], t_T), (axes[1], 0)):
        ax.plot(at_mu, mu, "o", color="black", ms=6, zorder=5, clip_on=False)
    for ax in (axes[0], axes[2]):  # inverted: sampling runs left to right
        ax.plot(path.schedule.t_clean, x0, "*", color="black", ms=11, zorder=5, clip_on=False)
        ax.set_xlim(t_T + 1, path.schedule.t_clean - 2)
        ax.set_xlabel("grid index (sampling: left to right)", fontsize=10)
    axes[1].set_xlim(0, float(fine.schedule.clock_to_end(fine_t[0])))
    axes[1].set_xlabel("clock still to go $\\bar\\theta_{t:T}$\n(sampling: left to right)", fontsize=10)
    axes[0].set_title(f"reverse-time SDE from $x_{{[{t_T}]}} = \\mu$", fontsize=11)
    axes[1].set_title("its first steps, by clock", fontsize=11)
    axes[2].set_title("Heun's method for the PF-ODE", fontsize=11)
    for ax in (axes[0], axes[2]):
        ax.set_ylabel("pixel value ($[-1, 1]$ scale)", fontsize=10)
    axes[2].tick_params(labelleft=True)  # shared axis: numbers on the right panel too
    for ax in axes:
        ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    colour_bar = fig.colorbar(shade, ax=axes, shrink=0.8, pad=0.01, aspect=30)
    colour_bar.set_label("$q(x_t \\mid x_0)$ / its value at the mean", fontsize=10)
    starts = ", ".join("0" if float(p) == 0 else f"{float(p):+g}".replace("-", "\u2212") for p in places)
    fig.legend(handles=[Line2D([], [], color=SDE_COLOUR, lw=0.9, label=f"{n_shown} of {sde_x.shape[1]} SDE paths"),
                        Line2D([], [], color=ODE_COLOUR, lw=1.5,
                               label=f"{len(places)} ODE paths, from {starts} std at index {int(ode_t[0])}"),
                        Line2D([], [], ls="", marker="o", color="black", label="$\\mu$ (pinned end)"),
                        Line2D([], [], ls="", marker="*", ms=10, color="black", label="$x_0$ (clean end)")],
               loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    return fig


class TwoWays(NamedTuple):
    """The runs of the notebook's figure (:func:`two_ways`), every state recorded, rows in the sampling order."""
    figure: object
    grid: torch.Tensor  # the grid indices t_T, ..., 0, -1: the SDE's rows (the ODE's are grid[1:])
    sde_t: torch.Tensor  # the indices the SDE run recorded (= grid)
    sde_x: torch.Tensor  # its states [row, path]
    ode_t: torch.Tensor  # the indices the ODE run recorded (= grid[1:])
    ode_x: torch.Tensor  # its states [row, path]
    mean: torch.Tensor  # the marginal's mean M_[t] at every index of grid
    std: torch.Tensor  # its standard deviation Sigma_[t] |pi| at every index of grid


def two_ways(path, x0: float, mu: float, n_sde: int, places, seed: int = 0, title: str = "") -> TwoWays:
    """Run the notebook's figure: the library's Euler-Maruyama with the :func:`oracle` from ``x_[t_T] = mu``
    (``n_sde`` paths, noise from ``torch.Generator().manual_seed(seed)``), and its Heun's method from the index
    ``t_T - 1``, started at ``places`` (in standard deviations of the marginal there); then :func:`plot_two_ways`."""
    grid = path.schedule.times().flip(0)  # the sampling order: t_T, ..., 0, -1
    ones = torch.ones(len(grid), dtype=torch.float64)
    mean, std = path.mean(x0 * ones, mu * ones, grid), path.std(x0 * ones, mu * ones, grid)
    places = torch.as_tensor(places, dtype=torch.float64)
    sde_run, ode_run = samplers.Trajectory(), samplers.Trajectory()
    samplers.sample_euler_maruyama(oracle(x0), row(mu, n_sde), path, grid, callback=sde_run,
                                   generator=torch.Generator().manual_seed(seed))
    samplers.sample_heun(oracle(x0), row(mu, len(places)), path, grid[1:], callback=ode_run,
                         x_T=(mean[1] + places * std[1])[None])
    sde_t, ode_t = (torch.tensor([int(t) for t in run.t]) for run in (sde_run, ode_run))
    sde_x, ode_x = torch.stack(sde_run.x)[:, 0], torch.stack(ode_run.x)[:, 0]
    figure = plot_two_ways(path, x0, mu, (sde_t, sde_x), (ode_t, ode_x), places, title=title)
    return TwoWays(figure, grid, sde_t, sde_x, ode_t, ode_x, mean, std)


def in_clock_to_go(expr):
    """A SymPy expression in the clocks ``u = thbar_t`` and ``c = thbar_T`` written in ``thbar_t`` and the clock still
    to go ``d = thbar_{t:T} = c - u`` (the symbols of ``derivations.common``), with every ``1/tanh`` written as
    ``coth``: the form in which notebook 02b displays a coefficient."""
    import sympy as sp  # noqa: PLC0415

    from derivations.common import c, d, u  # noqa: PLC0415

    return sp.simplify(sp.expand_trig(expr.subs(c, u + d))).replace(sp.tanh, lambda arg: 1 / sp.coth(arg))
