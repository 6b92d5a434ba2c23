"""Helpers of notebook 02b (reversing time): the one-pixel experiment whose clean value the sampler knows (an
*oracle*), and the measurements of the samplers' errors in its section 5 and appendix A.

The notebook calls these so that its cells show the experiment and its result, not the bookkeeping. Everything here
works on one pixel: a clean value ``x0`` and a degraded value ``mu`` (floats), the paths stored as a row ``[1, n]``.
Grid times are the integer indices of a discrete schedule (``-1`` is the clean end, ``t_T`` the pinned end).

* :func:`marginal_band` draws the grey band of the figures;
* :func:`refined` splits every clock step of a grid into ``k`` equal clock steps: the same bridge (the same
  terminal clock) on a nested finer grid, whose index :func:`refined_index` ``(t, k)`` has the clock of index ``t``;
* :func:`em_factor` and :func:`em_spread` give the spread and the mean of Euler-Maruyama's paths without sampling
  (with the oracle each step is affine in the state, so the variance follows a recursion);
* :func:`heun_one_step_errors` measures the error one Heun step makes from the exact place ``+2`` standard
  deviations;
* :func:`grid_gaps`, :func:`observed_order` and :func:`gap_table` make appendix A's refinement study;
* :func:`recorded` turns a sampler's recorded run into arrays, and :func:`plot_two_ways`,
  :func:`plot_sampler_errors` and :func:`plot_gaps` draw the notebook's three figures (one colour per sampler:
  :data:`SDE_COLOUR`, :data:`ODE_COLOUR`).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import torch

from rdbm_core.bridge import samplers
from rdbm_core.bridge.schedules import DiscreteSchedule

__all__ = ["SDE_COLOUR", "ODE_COLOUR", "oracle", "row", "at_places", "place", "marginal_moments", "marginal_band",
           "refined", "refined_index", "em_factor", "EMSpread", "em_spread", "heun_one_step_errors", "KeepAt",
           "sde_spread", "ode_places", "GridGaps", "grid_gaps", "observed_order", "observed_orders", "gap_table",
           "recorded", "plot_two_ways", "plot_sampler_errors", "plot_gaps"]

#: one colour per sampler in every figure of notebook 02b (Okabe-Ito blue and vermillion, colour-blind safe)
SDE_COLOUR, ODE_COLOUR = "#0072B2", "#D55E00"


def oracle(x0: float) -> samplers.Denoiser:
    """A denoiser that always predicts the clean value ``x0`` (no clamping)."""
    return samplers.Denoiser(lambda x_t, mu, t: torch.full_like(x_t, x0), clamp=False)


def row(value: float, n: int = 1) -> torch.Tensor:
    """``n`` copies of one pixel value as a float64 row ``[1, n]``."""
    return torch.full((1, n), value, dtype=torch.float64)


def at_places(path, x0: float, mu: float, t, places) -> torch.Tensor:
    """The states ``mean + q std`` of the marginal at grid time ``t``, one per place ``q`` of ``places``: a row."""
    q = torch.as_tensor(places, dtype=torch.float64)[None]
    x0_, mu_ = row(x0, q.shape[1]), row(mu, q.shape[1])
    return path.mean(x0_, mu_, torch.tensor(t)) + q * path.std(x0_, mu_, torch.tensor(t))


def place(path, x, x0: float, mu: float, t) -> torch.Tensor:
    """The places ``(x - mean) / std`` of the states ``x`` in the marginal at grid time ``t``."""
    x0_, mu_ = row(x0), row(mu)
    return (x - path.mean(x0_, mu_, torch.tensor(t))) / path.std(x0_, mu_, torch.tensor(t))


def marginal_moments(path, x0: float, mu: float) -> tuple[dict, dict]:
    """The marginal's mean ``M_t`` and standard deviation ``Sigma_t |pi|`` at every grid index of ``path`` (the clean
    end ``-1`` to ``t_T``): two dicts of floats over the indices."""
    times = path.schedule.times()
    ones = torch.ones(len(times), dtype=torch.float64)
    mean, std = path.mean(x0 * ones, mu * ones, times), path.std(x0 * ones, mu * ones, times)
    return ({int(t): float(m) for t, m in zip(times, mean)}, {int(t): float(s) for t, s in zip(times, std)})


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


def heun_one_step_errors(path, x0: float, mu: float, steps, start_place: float = 2.0) -> dict:
    """For each grid time ``t`` of ``steps``: one Heun step ``t -> t - 1`` from the exact place ``start_place``
    (in standard deviations of the marginal at ``t``); the place where it lands minus ``start_place``."""
    out = {}
    for t in steps:
        start = at_places(path, x0, mu, t, [start_place])
        end = samplers.sample_heun(oracle(x0), row(mu), path, torch.tensor([t, t - 1]), x_T=start)
        out[t] = float(place(path, end, x0, mu, t - 1)) - start_place
    return out


class KeepAt:
    """A sampler callback that keeps the state only at the grid times ``keep`` (a 1600-step run of 16000 paths
    would otherwise hold 1601 copies of it): ``x[t]`` after the run."""

    def __init__(self, keep):
        self.keep, self.x = {int(t) for t in keep}, {}

    def __call__(self, info: dict) -> None:
        if int(info["s"]) in self.keep:
            self.x[int(info["s"])] = info["x"]


def sde_spread(path, x0: float, mu: float, times, n_paths: int, seed: int) -> dict:
    """Euler-Maruyama with the oracle on every time of ``path``'s grid, ``n_paths`` paths from ``x_T = mu``, the
    noise drawn from ``seed``: the paths' spread / the marginal's std at each grid time of ``times``."""
    keep = KeepAt(times)
    samplers.sample_euler_maruyama(oracle(x0), row(mu, n_paths), path, torch.arange(path.schedule.t_T, -1, -1),
                                   callback=keep, generator=torch.Generator().manual_seed(seed))
    return {int(t): float(keep.x[int(t)].std() / path.std(row(x0), row(mu), torch.tensor(int(t)))) for t in times}


def ode_places(path, x0: float, mu: float, t_start: int, t_end: int, start_places=(-2.0, 2.0)) -> tuple:
    """Heun on the probability-flow ODE with the oracle on every time of ``path``'s grid from ``t_start`` down to
    ``t_end``, started at ``start_places`` (in standard deviations): the places where the paths arrive."""
    start = at_places(path, x0, mu, t_start, start_places)
    end = samplers.sample_heun(oracle(x0), row(mu, start.shape[1]), path, torch.arange(t_start, t_end - 1, -1),
                               x_T=start)
    return tuple(float(p) for p in place(path, end, x0, mu, t_end)[0])


class GridGaps(NamedTuple):
    """What :func:`grid_gaps` measures on the ``k``-fold refined grid; dicts over the compared reference indices."""
    k: int  # the refinement: k clock steps for each of the reference grid's
    n_steps: int  # the grid's number of times from the clean end's next index to t_T
    landing_step: dict  # the clock step that lands at each compared time
    sde: dict  # the sampled reverse-SDE spread / the marginal's std
    sde_exact: dict  # the same without sampling (em_spread)
    rel_se: float  # the standard error of a sampled ratio, relative to it: 1 / sqrt(2 (n_paths - 1))
    ode: tuple  # the places of the ODE paths started at -2 and +2 std, at the compared time ode_end

    def sde_gap(self, t: int, exact: bool = True) -> float:
        """``|spread / std - 1|`` at the reference index ``t``, without sampling or sampled."""
        return abs((self.sde_exact if exact else self.sde)[t] - 1)

    def sde_gap_se(self, t: int) -> float:
        """The standard error of the sampled gap at the reference index ``t``."""
        return self.sde[t] * self.rel_se

    def ode_gap(self) -> float:
        """``|2 - |place||``, the larger of the two ODE paths'."""
        return max(abs(abs(p) - 2) for p in self.ode)


def grid_gaps(path, k: int, x0: float, mu: float, compare=(90, 10, 0), ode_start: int = 98, ode_end: int = 0,
              n_paths: int = 16000, seed: int = 0) -> GridGaps:
    """The gaps of both samplers to the marginal on ``refined(path, k)``, at the indices whose clocks are those of
    ``path``'s indices ``compare``: the reverse SDE's spread ratio (sampled from ``seed`` and without sampling), and
    the places at ``ode_end`` of the ODE paths started at -2 and +2 std at ``ode_start``."""
    fine = path if k == 1 else refined(path, k)
    at = {t: refined_index(t, k) for t in compare}
    exact = em_spread(fine, x0, mu).propagated
    sampled = sde_spread(fine, x0, mu, at.values(), n_paths, seed)
    clock = fine.schedule.clock
    return GridGaps(
        k=k, n_steps=fine.schedule.t_T + 1,
        landing_step={t: float(clock(torch.tensor(i + 1)) - clock(torch.tensor(i))) for t, i in at.items()},
        sde={t: sampled[i] for t, i in at.items()}, sde_exact={t: exact[i] for t, i in at.items()},
        rel_se=1 / math.sqrt(2 * (n_paths - 1)),
        ode=ode_places(fine, x0, mu, refined_index(ode_start, k), refined_index(ode_end, k)))


def observed_order(gap_coarse: float, gap_fine: float, refinement: float) -> float:
    """``log(gap_coarse / gap_fine) / log(refinement)``: 1 for an error of first order in the step, 2 for second."""
    return math.log(gap_coarse / gap_fine) / math.log(refinement)


def observed_orders(grids: list, compare=(90, 10, 0)) -> dict:
    """The observed orders (:func:`observed_order`) between consecutive grids of :func:`grid_gaps`: for the reverse
    SDE's gap without sampling at each compared index, and for the ODE's gap; a dict from a label to the orders."""
    pairs = list(zip(grids[:-1], grids[1:]))
    out = {f"SDE at index {t}": tuple(observed_order(a.sde_gap(t), b.sde_gap(t), b.k / a.k) for a, b in pairs)
           for t in compare}
    out["ODE at index 0"] = tuple(observed_order(a.ode_gap(), b.ode_gap(), b.k / a.k) for a, b in pairs)
    return out


def gap_table(grids: list, compare=(90, 10, 0)) -> str:
    """Appendix A's table: per grid, the clock step that lands at index 0, the reverse SDE's gaps without sampling at
    the compared times, its sampled gap at index 0 (with one standard error) and the ODE's gap; then the observed
    orders between consecutive grids (of the gaps without sampling)."""
    sde_w = 10 * len(compare)
    lines = [f"{'grid':<20}{'clock step':<12}| {'SDE gap, without sampling':<{sde_w}}| {'SDE gap at t = 0,':<19}"
             f"| ODE gap",
             f"{'':<20}{'at t = 0':<12}| " + "".join(f"{'t = ' + str(t):<10}" for t in compare)
             + f"| {'sampled (± s.e.)':<19}| at t = 0"]
    lines.append("-" * len(lines[0]))
    for g in grids:
        lines.append(f"{'N = ' + str(g.n_steps):<20}{g.landing_step[0]:<12.2e}| "
                     + "".join(f"{g.sde_gap(t):<10.4f}" for t in compare)
                     + f"| {f'{g.sde_gap(0, exact=False):.4f} ± {g.sde_gap_se(0):.4f}':<19}| {g.ode_gap():.4f}")
    for a, b in zip(grids[:-1], grids[1:]):
        r = b.k / a.k
        lines.append(f"{f'order, {a.n_steps} → {b.n_steps}':<32}| "
                     + "".join(f"{observed_order(a.sde_gap(t), b.sde_gap(t), r):<10.2f}" for t in compare)
                     + f"| {'':<19}| {observed_order(a.ode_gap(), b.ode_gap(), r):.2f}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the notebook's figures

def recorded(trajectory: samplers.Trajectory) -> tuple[torch.Tensor, torch.Tensor]:
    """A one-pixel run recorded by :class:`rdbm_core.bridge.samplers.Trajectory`, as arrays: the grid indices in
    sampling order (integers) and the states ``[time, path]``."""
    return torch.tensor([int(t) for t in trajectory.t]), torch.stack(trajectory.x)[:, 0]


def _place_label(place_: float) -> str:
    return "mean" if place_ == 0 else f"{place_:+.0f} std".replace("-", "\u2212")


def plot_two_ways(path, x0: float, mu: float, sde: tuple, ode: tuple, places, n_shown: int = 5,
                  refine: int = 50):
    """Section 0's figure: the reverse-SDE paths ``sde = (indices, states)`` from ``x_T = mu`` (``n_shown`` of them)
    against the grid index, their first steps against the clock still to go, and the ODE paths ``ode``, started at
    ``places`` (standard deviations), against the grid index; the marginal ``q(x_t | x0)`` in grey behind them (the
    middle panel's on a ``refine``-fold finer nested grid, so that its pinch at ``mu`` shows). Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.colors import ListedColormap  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415

    (sde_t, sde_x), (ode_t, ode_x) = sde, ode
    times, to_go = path.schedule.times(), path.schedule.clock_to_end
    values = torch.linspace(-0.9, 1.1, 301, dtype=torch.float64)  # the pixel values of the band
    fine = refined(path, refine)
    fine_t = torch.arange(refined_index(90, refine), fine.schedule.t_T + 1)  # the middle panel: index 90 to t_T
    early = sde_t >= 90
    greys = ListedColormap(plt.cm.Greys(torch.linspace(0, 0.6, 256).numpy()))  # white to mid-grey
    fig, axes = plt.subplots(1, 4, figsize=(10, 4.4), sharey=True, layout="constrained",
                             gridspec_kw={"width_ratios": [1, 0.6, 0.14, 1]})
    axes[2].set_axis_off()  # a spacer: room for the ODE paths' labels, left of the right panel
    axes = [axes[0], axes[1], axes[3]]
    band = marginal_band(path, x0, mu, times, values)
    for ax, x_axis, shade_values in ((axes[0], times, band), (axes[2], times, band),
                                     (axes[1], fine.schedule.clock_to_end(fine_t),
                                      marginal_band(fine, x0, mu, fine_t, values))):
        shade = ax.pcolormesh(x_axis, values, shade_values, cmap=greys, shading="auto", vmin=0, vmax=1)
    axes[0].plot(sde_t, sde_x[:, :n_shown], color=SDE_COLOUR, lw=0.9)
    axes[1].plot(to_go(sde_t[early]), sde_x[early, :n_shown], color=SDE_COLOUR, lw=0.9)
    first = float(to_go(torch.tensor(path.schedule.t_T - 1)))
    axes[1].axvline(first, color="black", ls=":", lw=0.9)
    axes[1].text(first + 0.08, 1.0, f"index {path.schedule.t_T - 1}", fontsize=9)
    for k, place_ in enumerate(places):
        axes[2].plot(ode_t, ode_x[:, k], color=ODE_COLOUR, lw=1.5)
        axes[2].annotate(_place_label(place_), (float(ode_t[0]), float(ode_x[0, k])), xytext=(-4, 0),
                         textcoords="offset points", ha="right", va="center", fontsize=9, annotation_clip=False)
    for ax, at_mu in ((axes[0], path.schedule.t_T), (axes[1], 0)):
        ax.plot(at_mu, mu, "o", color="black", ms=6, zorder=5, clip_on=False)
    for ax in (axes[0], axes[2]):  # inverted: sampling runs left to right
        ax.plot(path.schedule.t_clean, x0, "*", color="black", ms=11, zorder=5, clip_on=False)
        ax.set_xlim(path.schedule.t_T + 1, path.schedule.t_clean - 2)
        ax.set_xlabel("grid index (sampling: left to right)", fontsize=10)
    axes[1].set_xlim(0, float(fine.schedule.clock_to_end(fine_t[0])))
    axes[1].set_xlabel("clock still to go $\\bar\\theta_{t:T}$\n(sampling: left to right)", fontsize=10)
    axes[0].set_title("reverse-time SDE from $x_T = \\mu$", fontsize=11)
    axes[1].set_title("its first steps, by clock", fontsize=11)
    axes[2].set_title(f"probability-flow ODE from index {int(ode_t[0])}", fontsize=11)
    axes[0].set_ylabel("pixel value ($[-1, 1]$ scale)", fontsize=10)
    for ax in axes:
        ax.tick_params(labelsize=9)
    fig.colorbar(shade, ax=axes, shrink=0.8).set_label("$q(x_t \\mid x_0)$ / its value at the mean", fontsize=10)
    fig.legend(handles=[Line2D([], [], color=SDE_COLOUR, lw=0.9, label=f"{n_shown} of {sde_x.shape[1]} SDE paths"),
                        Line2D([], [], color=ODE_COLOUR, lw=1.5, label=f"{len(places)} ODE paths"),
                        Line2D([], [], ls="", marker="o", color="black", label="$x_T = \\mu$ (pinned end)"),
                        Line2D([], [], ls="", marker="*", ms=10, color="black", label="$x_0$ (clean end)")],
               loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    return fig


def plot_sampler_errors(path, sampled: dict, rel_se: float, spread: dict, one_step: dict, heun_path: dict,
                        heun_error: dict, index_ticks=(98, 90, 60, 30, 10, 3, 1, 0)):
    """Section 5's figure, against the clock ``thbar_t`` of each grid index (log scale, decreasing: sampling runs
    left to right; the grid indices on the top axis). Every argument is a dict over grid indices. Left panel, the
    reverse SDE: the ``sampled`` spread / the marginal's std (band: +-2 standard errors, ``rel_se`` relative), the
    ``spread`` computed without sampling, and ``one_step``, the ratio after one step from the exact spread (at the
    index where the step lands). Right panel, the probability flow: the place error of the path started at +2 std
    (``heun_path``), the error of one Heun step from the exact place +2 std (``heun_error``, where it lands) and
    the running sum of those one-step errors. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    clock = (lambda ts: path.schedule.clock(torch.tensor(list(ts))).numpy())
    fig, (ax_sde, ax_ode) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained", sharex=True)
    s_t = sorted(sampled, reverse=True)
    s_r = torch.tensor([sampled[t] for t in s_t])
    ax_sde.fill_between(clock(s_t), s_r * (1 - 2 * rel_se), s_r * (1 + 2 * rel_se), color=SDE_COLOUR, alpha=0.3, lw=0,
                        label="sampled paths, $\\pm 2$ s.e.")
    ax_sde.plot(clock(s_t), s_r, color=SDE_COLOUR, lw=1)
    ax_sde.plot(clock(sorted(spread, reverse=True)), [spread[t] for t in sorted(spread, reverse=True)], color="black",
                ls="--", lw=1, label="computed without sampling")
    ax_sde.plot(clock(one_step), list(one_step.values()), "o", color="dimgrey", ms=3,
                label="one step, from the exact spread")
    ax_sde.axhline(1, color="grey", lw=0.6)
    ax_sde.set_ylabel("spread / marginal std", fontsize=10)
    ax_sde.set_title("reverse SDE, Euler\u2013Maruyama", fontsize=11)
    h_t = sorted(heun_path, reverse=True)
    ax_ode.plot(clock(h_t), [heun_path[t] for t in h_t], color=ODE_COLOUR, lw=1.5, label="path from +2 std")
    e_t = sorted(heun_error, reverse=True)
    running = torch.tensor([heun_error[t] for t in e_t]).cumsum(0)
    ax_ode.plot(clock(e_t), running, color="black", ls="--", lw=1, label="sum of the one-step errors")
    ax_ode.plot(clock(e_t), [heun_error[t] for t in e_t], "o", color="dimgrey", ms=3,
                label="one step, from the exact place")
    ax_ode.axhline(0, color="grey", lw=0.6)
    ax_ode.set_ylabel("place error (std of the marginal)", fontsize=10)
    ax_ode.set_title("probability-flow ODE, Heun", fontsize=11)
    for ax, where in ((ax_sde, "upper center"), (ax_ode, "lower left")):
        ax.set_xscale("log")
        ax.set_xlim(10, 4e-4)  # decreasing: sampling runs left to right
        ax.set_xlabel("clock $\\bar\\theta_t$ (log scale; sampling: left to right)", fontsize=10)
        ax.tick_params(labelsize=9)
        ax.legend(fontsize=9, loc=where, frameon=False)
        top = ax.twiny()
        top.set_xscale("log")
        top.set_xlim(ax.get_xlim())
        top.set_xticks(clock(index_ticks), [str(t) for t in index_ticks], fontsize=9)
        top.minorticks_off()
        top.set_xlabel("grid index", fontsize=10)
    return fig


def plot_gaps(grids: list, compare=(90, 10, 0), floor: float = 3e-4):
    """Appendix A's figure: every gap of :func:`grid_gaps`'s ``grids`` against the clock step that lands at the
    compared index, on log-log axes, each point labelled with its grid's number of steps N; the sampled SDE gaps as
    crosses with +-2 standard errors, drawn a little to the right of their grid's step (a bar reaching the bottom,
    ``floor``, is cut there); guide lines of slopes 1 and 2. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(8.5, 4.2), layout="constrained")
    for t_ref, marker in zip(compare, ("o", "s", "^")):
        steps = [g.landing_step[t_ref] for g in grids]
        ax.loglog(steps, [g.sde_gap(t_ref) for g in grids], marker=marker, ls="-", color=SDE_COLOUR,
                  label=f"SDE at index {t_ref}, computed")
        gap_s = torch.tensor([g.sde_gap(t_ref, exact=False) for g in grids])
        err = torch.tensor([2 * g.sde_gap_se(t_ref) for g in grids])
        ax.errorbar(1.15 * torch.tensor(steps), gap_s, yerr=[torch.minimum(err, gap_s - floor), err], fmt="x",
                    color=SDE_COLOUR, ms=6, lw=0.8)
    ode_steps = [g.landing_step[compare[-1]] for g in grids]
    ax.loglog(ode_steps, [g.ode_gap() for g in grids], marker="D", ls="-", color=ODE_COLOUR,
              label=f"ODE at index {compare[-1]}")
    for g, step in zip(grids, ode_steps):
        ax.annotate(f"N = {g.n_steps}", (step, g.ode_gap()), xytext=(6, -3), textcoords="offset points", fontsize=9,
                    va="top", color=ODE_COLOUR)
    for power, gap_of, t_ref, ls in ((1, lambda g: g.sde_gap(compare[0]), compare[0], ":"),
                                     (2, lambda g: g.ode_gap(), compare[-1], "--")):
        h = torch.tensor([grids[-1].landing_step[t_ref], grids[0].landing_step[t_ref]])
        ax.loglog(h, 0.5 * gap_of(grids[0]) * (h / h[-1]) ** power, color="grey", ls=ls, lw=1.2,
                  label=f"slope {power}")
    ax.errorbar([], [], yerr=[], fmt="x", color=SDE_COLOUR, ms=6, lw=0.8, label="SDE, sampled ($\\pm 2$ s.e.)")
    ax.set_xlabel("clock step $\\Delta u$ that lands at the compared index (log scale)", fontsize=10)
    ax.set_ylabel("gap to the marginal (log scale)", fontsize=10)
    ax.set_title("Gap to the marginal vs. clock step (log\u2013log)", fontsize=11)
    ax.set_ylim(floor, 1.5)
    ax.tick_params(labelsize=9)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return fig
