"""Schedules: the clock ``thbar_t = int_0^t theta_s ds`` on a discrete grid or in continuous time.

Every bridge of the family depends on its schedule only through the *clock*
``u(t) = thbar_t`` (docs/theory.md eqs. 1.2-1.3): the marginal, the posterior and the
samplers are written in ``u``.  A schedule therefore answers three questions:

* ``clock(t)``   -> ``thbar_t`` (float64), for a tensor of times ``t``;
* ``t_T``, ``u_T`` -> the terminal time (degraded end) and ``thbar_T``;
* ``t_clean``    -> the time at which ``x = x0`` (``thbar = 0``).

Two kinds exist.  :class:`DiscreteSchedule` is a table of clock values over the
integer indices ``t_clean, ..., t_T``; :class:`ContinuousSchedule` holds
closed forms of ``theta(t)`` and ``thbar(t)`` for SDE simulation.

Constructors reproduce the published grids:

* :func:`reference` — the RDBM reference code: ``theta`` = improved-DDPM
  cosine betas, ``N = 100``, inclusive cumulative sum, so index ``N - 1`` is the
  terminal point and index ``-1`` is the (virtual) clean point (docs/theory.md eqs. 10.1-10.2);
* :func:`irsde_grid` — IR-SDE / GOUB: ``theta = 1 - alpha_bar`` of the cosine
  schedule with ``T + 1`` points, cumulative sum shifted so index 0 is clean,
  rescaled so ``thbar_T = -ln(eps)``;
* :func:`linear_theta`, :func:`constant_theta` — simple discrete grids;
* :func:`from_table` — any increasing table of clock values (BBDM's ``m_t``,
  I2SB's cumulative betas);
* :func:`continuous_constant`, :func:`continuous_linear`, :func:`continuous_power`
  — continuous ``theta(t)`` with an exact ``thbar(t)``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

__all__ = [
    "cosine_alpha_bar",
    "cosine_betas",
    "DiscreteSchedule",
    "ContinuousSchedule",
    "reference",
    "irsde_grid",
    "linear_theta",
    "constant_theta",
    "from_table",
    "continuous_constant",
    "continuous_linear",
    "continuous_power",
]


def cosine_alpha_bar(u: torch.Tensor, s: float = 0.008) -> torch.Tensor:
    """The cosine schedule ``alpha_bar(u) = cos((u + s) / (1 + s) * pi / 2)^2`` for ``u`` in [0, 1] (eq. 17 of
    Nichol & Dhariwal, "Improved Denoising Diffusion Probabilistic Models", ICML 2021)."""
    return torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2


def cosine_betas(n: int, max_beta: float = 0.999) -> torch.Tensor:
    """Cosine betas ``beta_i = min(1 - alpha_bar((i+1)/n) / alpha_bar(i/n), max_beta)``, float64, length ``n``."""
    i = torch.arange(n, dtype=torch.float64)
    return torch.clamp(1 - cosine_alpha_bar((i + 1) / n) / cosine_alpha_bar(i / n), max=max_beta)


@dataclass(frozen=True)
class DiscreteSchedule:
    """A clock tabulated on the integer times ``t_clean, t_clean + 1, ..., t_T``.

    ``table[k]`` is ``thbar`` at time ``t_clean + k``; ``table[0] == 0`` (the
    clean point).  Times are integer indices; ``clock`` rejects any other.
    """

    table: torch.Tensor  # float64 [K], nondecreasing, table[0] == 0
    t_clean: int = -1
    name: str = "discrete"

    def __post_init__(self):
        tab = torch.as_tensor(self.table, dtype=torch.float64)
        if tab.ndim != 1 or len(tab) < 2:
            raise ValueError("a discrete schedule needs a 1-D table of at least 2 clock values")
        if tab[0] != 0 or not torch.isfinite(tab).all() or (tab.diff() < 0).any():
            raise ValueError("the clock table must start at 0, be finite and nondecreasing")
        if not tab[-1] > 0:
            raise ValueError(f"schedule '{self.name}' has a zero clock (thbar_T = 0): the bridge never leaves x0 "
                             "and its coefficients divide by thbar_T; give a positive clock")
        object.__setattr__(self, "table", tab)

    discrete = True

    @property
    def t_T(self) -> int:
        return self.t_clean + len(self.table) - 1

    @property
    def u_T(self) -> float:
        return float(self.table[-1])

    @property
    def theta(self) -> torch.Tensor:
        """Per-step increments of the clock: ``theta`` at times ``t_clean + 1 .. t_T`` (float64)."""
        return self.table.diff()

    def clock(self, t) -> torch.Tensor:
        """``thbar_t`` (float64, same shape as ``t``) for integer times inside ``[t_clean, t_T]``."""
        t = torch.as_tensor(t)
        if t.is_floating_point():
            if not torch.equal(t, t.round()):
                raise ValueError(f"schedule '{self.name}' is discrete: times must be integers, got {t.tolist()}")
            t = t.long()
        if ((t < self.t_clean) | (t > self.t_T)).any():
            raise ValueError(
                f"time outside the grid of schedule '{self.name}': valid integers are "
                f"{self.t_clean}..{self.t_T}, got min {int(t.min())}, max {int(t.max())}"
            )
        return self.table.to(t.device)[t - self.t_clean]

    def clock_to_end(self, t) -> torch.Tensor:
        """``thbar_{t:T} = thbar_T - thbar_t`` (exactly 0 at ``t_T``)."""
        return self.u_T - self.clock(t)

    def times(self, n: int | None = None, device=None) -> torch.Tensor:
        """All integer times of the grid, ``t_clean .. t_T`` (long)."""
        return torch.arange(self.t_clean, self.t_T + 1, device=device)

    def sample_train_times(self, batch: int, generator=None, device=None) -> torch.Tensor:
        """Uniform integer times in ``t_clean + 1 .. t_T`` (the clean point itself carries no information)."""
        return torch.randint(self.t_clean + 1, self.t_T + 1, (batch,), generator=generator, device=device)

    def sampling_times(self, steps: int) -> torch.Tensor:
        """Decreasing sampling grid ``linspace(t_clean, t_T, steps + 1)`` cast to int, reversed.

        For the reference schedule (``N = 100``, ``steps = 10``) this is
        ``99, 89, ..., 9, -1``: ten network evaluations, the last of which
        returns ``x0_hat`` (docs/theory.md eqs. 10.3, 8.7).
        """
        if steps < 1 or steps > self.t_T - self.t_clean:
            raise ValueError(f"steps must be in 1..{self.t_T - self.t_clean} for schedule '{self.name}', got {steps}")
        grid = torch.linspace(self.t_clean, self.t_T, steps + 1, dtype=torch.float64).long()
        return grid.flip(0)


@dataclass(frozen=True)
class ContinuousSchedule:
    """``theta(t)`` and its exact integral ``thbar(t)`` on ``[0, T]``; ``t_clean = 0``."""

    theta_fn: Callable[[torch.Tensor], torch.Tensor]
    thbar_fn: Callable[[torch.Tensor], torch.Tensor]
    T: float = 1.0
    name: str = "continuous"

    discrete = False
    t_clean = 0.0

    def __post_init__(self):
        if not (0 < self.T < math.inf):
            raise ValueError(f"schedule '{self.name}': T must be a finite number > 0, got {self.T}")
        u_T = self.u_T
        if not math.isfinite(u_T) or u_T <= 0:
            raise ValueError(f"schedule '{self.name}' has thbar_T = {u_T}: the clock must end finite and > 0 "
                             "(a zero clock never leaves x0 and its coefficients divide by thbar_T)")

    @property
    def t_T(self) -> float:
        return float(self.T)

    @property
    def u_T(self) -> float:
        return float(self.thbar_fn(torch.tensor(self.T, dtype=torch.float64)))

    def _check(self, t) -> torch.Tensor:
        t = torch.as_tensor(t, dtype=torch.float64)
        if not torch.isfinite(t).all() or ((t < 0) | (t > self.T * (1 + 1e-12))).any():
            raise ValueError(f"time outside [0, {self.T}] for schedule '{self.name}': got {t.flatten()[:5].tolist()}")
        return t.clamp(0, self.T)

    def theta(self, t) -> torch.Tensor:
        """``theta_t`` (float64) — the rate of the clock, used when simulating SDEs in ``t``."""
        return self.theta_fn(self._check(t))

    def clock(self, t) -> torch.Tensor:
        """``thbar_t`` (float64, same shape as ``t``)."""
        return self.thbar_fn(self._check(t))

    def clock_to_end(self, t) -> torch.Tensor:
        """``thbar_{t:T}``; exactly 0 at ``t = T``."""
        t = self._check(t)
        return torch.where(t >= self.T, torch.zeros_like(t), self.u_T - self.thbar_fn(t))

    def sample_train_times(self, batch: int, generator=None, device=None) -> torch.Tensor:
        """Uniform times in ``(0, T]``."""
        u = torch.rand(batch, generator=generator, device=device, dtype=torch.float64)
        return (1 - u) * self.T

    def sampling_times(self, steps: int) -> torch.Tensor:
        """Decreasing uniform grid of ``steps + 1`` times from ``T`` to 0."""
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        return torch.linspace(self.T, 0.0, steps + 1, dtype=torch.float64)

    def times(self, n: int = 100, device=None) -> torch.Tensor:
        """A uniform grid of ``n + 1`` times from 0 to ``T`` (float64)."""
        return torch.linspace(0.0, self.T, n + 1, dtype=torch.float64, device=device)


# ----------------------------------------------------------------------------- discrete constructors

def from_table(clock_values, *, clean_on_grid: bool, terminal: float | None = None, name: str = "table") -> DiscreteSchedule:
    """A discrete schedule from increasing clock values at indices ``0..K-1``.

    ``clean_on_grid``: index 0 is the clean point (its value must be 0); else a
    virtual clean point with clock 0 is placed at index -1.  ``terminal``: an
    extra virtual terminal point with this clock value appended after the last
    index (BBDM's ``m = 1``); by default the last index is terminal.
    """
    values = torch.as_tensor(clock_values, dtype=torch.float64)
    parts = [values] if clean_on_grid else [torch.zeros(1, dtype=torch.float64), values]
    if terminal is not None:
        parts.append(torch.tensor([terminal], dtype=torch.float64))
    return DiscreteSchedule(torch.cat(parts), t_clean=0 if clean_on_grid else -1, name=name)


def reference(n: int = 100) -> DiscreteSchedule:
    """RDBM reference schedule (docs/theory.md eqs. 10.1-10.2): cosine betas as ``theta``, inclusive cumulative sum.

    Index ``i`` has ``thbar_i = theta_0 + ... + theta_i``; index ``n - 1`` is the
    terminal point and ``-1`` the virtual clean point.  ``thbar_T = 7.8789``
    for ``n = 100``.
    """
    return from_table(torch.cumsum(cosine_betas(n), 0), clean_on_grid=False, name=f"reference(N={n})")


def irsde_grid(T: int = 100, eps: float = 0.005, s: float = 0.008) -> DiscreteSchedule:
    """IR-SDE / GOUB grid: ``theta = 1 - alpha_bar`` (cosine, ``T + 3`` points, inner ``T + 1``).

    The cumulative sum is shifted by its first term so index 0 is clean, then
    multiplied by ``dt = -ln(eps) / thbar_T`` so that ``thbar_T = -ln(eps)``
    (``e^{-thbar_T} = eps``).
    """
    steps = T + 2
    x = torch.linspace(0, steps, steps + 1, dtype=torch.float64)
    alpha_bar = cosine_alpha_bar(x / steps, s)
    alpha_bar = alpha_bar / alpha_bar[0]
    theta = 1 - alpha_bar[1:-1]  # T + 1 values
    cum = torch.cumsum(theta, 0) - theta[0]
    dt = -math.log(eps) / float(cum[-1])
    return from_table(cum * dt, clean_on_grid=True, name=f"irsde_grid(T={T}, eps={eps})")


def linear_theta(n: int = 100, theta_min: float = 0.01, theta_max: float = 0.2) -> DiscreteSchedule:
    """Linearly increasing ``theta`` over ``n`` steps; index 0 clean, index ``n`` terminal."""
    theta = torch.linspace(theta_min, theta_max, n, dtype=torch.float64)
    return from_table(torch.cat([torch.zeros(1, dtype=torch.float64), torch.cumsum(theta, 0)]),
                      clean_on_grid=True, name=f"linear_theta(n={n})")


def constant_theta(n: int = 100, thbar_T: float = 5.0) -> DiscreteSchedule:
    """Constant ``theta = thbar_T / n``; index 0 clean, index ``n`` terminal."""
    return from_table(torch.linspace(0, thbar_T, n + 1, dtype=torch.float64),
                      clean_on_grid=True, name=f"constant_theta(n={n})")


# ----------------------------------------------------------------------------- continuous constructors

def continuous_constant(theta: float = 1.0, T: float = 1.0) -> ContinuousSchedule:
    """``theta(t) = theta``, ``thbar(t) = theta t``."""
    return ContinuousSchedule(lambda t: torch.full_like(t, theta), lambda t: theta * t, T,
                              name=f"constant(theta={theta})")


def continuous_linear(a: float, b: float, T: float = 1.0) -> ContinuousSchedule:
    """``theta(t) = a + b t``, ``thbar(t) = a t + b t^2 / 2`` (DDBM-VP: ``a = beta_min/2, b = beta_d/2``)."""
    return ContinuousSchedule(lambda t: a + b * t, lambda t: a * t + 0.5 * b * t * t, T,
                              name=f"linear(a={a}, b={b})")


def continuous_power(scale: float, power: float, T: float = 1.0) -> ContinuousSchedule:
    """``thbar(t) = scale * t^power``, ``theta(t) = scale * power * t^(power-1)`` (DDBM-VE: ``t^2``)."""
    return ContinuousSchedule(lambda t: scale * power * t ** (power - 1), lambda t: scale * t ** power, T,
                              name=f"power(scale={scale}, p={power})")
