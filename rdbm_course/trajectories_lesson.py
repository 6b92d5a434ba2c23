"""Helper of notebook 04 (stochastic trajectories): the forward-SDE simulation.

Its Euler-Maruyama step in the time ``t`` is exercise 04.1, so the notebook calls this function instead of showing
the loop, and a student's step can replace the built-in one (``step=answer_04_1``). The built-in step is the bridge
SDE of ``docs/theory.md`` (3.5) (with the drift (3.6)-(3.7) per unit of the clock, ``path.bridge_drift``), moved
from the clock ``u`` to the time ``t`` with ``du = theta_t dt`` (1.3).
"""
from __future__ import annotations

import math

import torch

__all__ = ["forward_em"]


def _em_step(path, x, x0, mu, t, dt, dw):
    """One Euler-Maruyama step from ``t`` to ``t + dt`` (the signature of exercise 04.1)."""
    rate = float(path.schedule.theta(t))  # du / dt at the start of the step
    return x + rate * path.bridge_drift(x, mu, t) * dt + math.sqrt(2 * path.lam * rate) * path.noise_factor(x0, mu) * dw


def forward_em(path, x0: torch.Tensor, mu: torch.Tensor, n_steps: int, snap_times=(), n_show: int = 0,
               generator: torch.Generator | None = None, T: float = 1.0, step=None):
    """Euler-Maruyama on the forward SDE of ``path`` from ``x0`` at ``t = 0`` to ``t = T``, on a uniform grid in ``t``.

    ``x0``, ``mu``: one sample of pixels, shaped ``[1, n]`` (every path is one pixel). The drift is evaluated at the
    left end of each step, so a bridge's drift (infinite at ``T``) is never evaluated at ``T``.

    Returns ``(snaps, shown, ts)``: ``snaps[c]`` is the state at each time ``c`` of ``snap_times`` (each must lie on
    the grid), ``shown`` the first ``n_show`` paths at every grid time ``[n_steps + 1, n_show]``, ``ts`` the grid.
    ``step(path, x, x0, mu, t, dt, dw)`` (exercise 04.1's signature) replaces the built-in step when given.
    """
    step = _em_step if step is None else step
    ts = torch.linspace(0.0, T, n_steps + 1, dtype=torch.float64)
    index = {c: round(c / T * n_steps) for c in snap_times}
    for c, k in index.items():
        if abs(float(ts[k]) - c) > 1e-12:
            raise ValueError(f"snapshot time {c} is not on the grid of {n_steps} steps")
    x, snaps, shown = x0.clone(), {}, [x0[0, :n_show].clone()]
    for k in range(n_steps):
        t, dt = ts[k], float(ts[k + 1] - ts[k])
        dw = math.sqrt(dt) * torch.randn(x.shape, generator=generator, dtype=x.dtype)
        x = torch.as_tensor(step(path, x, x0, mu, t, dt, dw), dtype=x.dtype)
        shown.append(x[0, :n_show].clone())
        snaps.update({c: x.clone() for c, j in index.items() if j == k + 1})
    if 0 in index.values():
        snaps.update({c: x0.clone() for c, j in index.items() if j == 0})
    return snaps, torch.stack(shown), ts
