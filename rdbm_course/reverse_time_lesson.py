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
* :func:`grid_gaps`, :func:`observed_order` and :func:`gap_table` make appendix A's refinement study.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import torch

from rdbm_core.bridge import samplers
from rdbm_core.bridge.schedules import DiscreteSchedule

__all__ = ["oracle", "row", "at_places", "place", "marginal_band", "refined", "refined_index", "em_factor", "EMSpread",
           "em_spread", "heun_one_step_errors", "KeepAt", "sde_spread", "ode_places", "GridGaps", "grid_gaps",
           "observed_order", "gap_table"]


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
