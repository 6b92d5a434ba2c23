"""The residual path: ``x_t = Theta_t x0 + Psi_t mu + Sigma_t s(pi) eps`` and everything derived from it.

Theory: ``docs/theory.md`` §3-7 (this summary is eqs. 4.1-4.6).  With the residual
``pi = x0 - mu`` and the default target ``m = mu`` (so ``Psi = 1 - Theta``):

    x_t = mu + Theta_t pi + Sigma_t s(pi) eps,      s(pi) = pi (RDBM) or 1 (global noise)

All bridges of the family are written in the clock ``u = thbar_t``; with the letters of
``derivations/common.py`` (``u = thbar_t``, ``d = thbar_{t:T}``, ``c = thbar_T``) and ``S`` = sinh for the
Ornstein-Uhlenbeck bridge, ``S(x) = x`` for its ``theta -> 0`` (Brownian/VE) limit:

    Theta_t   = S(d) / S(c)                     (coefficient of x0)
    Psi_t     = S(u) / S(c)  if m = 0,  1 - Theta_t if m = mu
    Sigma_t^2 = 2 lam S(u) S(d) / S(c)

and the unpinned OU process (IR-SDE) is the limit ``c -> inf``:
``Theta = e^{-u}``, ``Sigma^2 = lam (1 - e^{-2u})``.

Every coefficient is evaluated in float64 in an overflow-free form
(``sinh(d)/sinh(c) = e^{d-c} (1-e^{-2d})/(1-e^{-2c})`` with ``expm1``) and
only then cast to the data's dtype.  Drifts and velocities are *per unit of
the clock* ``u`` (``dx/du``); multiply by ``theta_t`` for ``dx/dt``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from rdbm_core.bridge.schedules import ContinuousSchedule, DiscreteSchedule

__all__ = ["ResidualPath", "check_pair", "append_dims"]

NOISE_FACTORS = ("modulated", "global")
KINDS = ("ou", "brownian")
TARGETS = ("mu", "zero")


def check_pair(x0: torch.Tensor, mu: torch.Tensor) -> None:
    """Raise ``ValueError`` unless ``x0`` and ``mu`` are finite tensors of one shape."""
    if not isinstance(x0, torch.Tensor) or not isinstance(mu, torch.Tensor):
        raise TypeError("x0 and mu must be torch tensors")
    if x0.shape != mu.shape:
        raise ValueError(f"x0 and mu must have the same shape, got {tuple(x0.shape)} and {tuple(mu.shape)}")
    # one reduction and one host sync for both (NaN and inf propagate through a sum); the
    # element-wise tests only run to confirm (a sum of huge finite values can overflow) and to name
    if not torch.isfinite(x0.sum() + mu.sum()):
        for name, v in (("x0", x0), ("mu", mu)):
            if not torch.isfinite(v).all():
                raise ValueError(f"{name} contains non-finite values (NaN or inf)")


def append_dims(c: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A per-sample coefficient ``c`` [B] (float64) cast to ``x``'s dtype and device, shaped [B, 1, ..., 1].

    The name and role are k-diffusion's ``append_dims``; here it also casts, so that the
    coefficient maths stays in float64 until it meets the data.
    """
    # host -> device copies need not block (the source is staged at once); the reverse must
    return c.to(device=x.device, dtype=x.dtype, non_blocking=c.device.type == "cpu").reshape(
        -1, *([1] * (x.ndim - 1)))


def _p(x: torch.Tensor) -> torch.Tensor:
    """``1 - e^{-2x}`` (``= 2 e^{-x} sinh x``), accurate for tiny ``x`` and finite for ``x = inf``."""
    return -torch.expm1(-2 * x)


def _sinh_ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """``sinh(num) / sinh(den)`` for ``0 <= num <= den``, ``den > 0``, without overflow."""
    return torch.exp(num - den) * _p(num) / _p(den)


@dataclass(frozen=True)
class ResidualPath:
    """One member of the residual bridge family.

    schedule: the clock (:mod:`rdbm_core.bridge.schedules`).
    lam:      stationary noise variance (``g_t^2 = 2 lam theta_t s(pi)^2``).
    noise:    ``"modulated"`` (``s(pi) = pi``, RDBM) or ``"global"`` (``s = 1``).
    kind:     ``"ou"`` (sinh) or ``"brownian"`` (the ``theta -> 0`` limit, ``S(x) = x``).
    pinned:   ``True`` for a bridge (``x_T = mu``), ``False`` for the unpinned OU process (IR-SDE).
    target:   mean-reversion target ``m``: ``"mu"`` or ``"zero"`` (DDBM-VP).
    """

    schedule: DiscreteSchedule | ContinuousSchedule
    lam: float
    noise: str = "modulated"
    kind: str = "ou"
    pinned: bool = True
    target: str = "mu"
    name: str = "bridge"

    def __post_init__(self):
        if self.noise not in NOISE_FACTORS:
            raise ValueError(f"noise must be one of {NOISE_FACTORS}, got {self.noise!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        if not (self.lam >= 0) or self.lam == float("inf"):
            raise ValueError(f"lam must be a finite number >= 0, got {self.lam}")
        if not self.pinned and (self.kind != "ou" or self.target != "mu"):
            raise ValueError("the unpinned process is only defined for kind='ou' with target='mu' (IR-SDE)")

    def with_noise(self, noise: str) -> "ResidualPath":
        """The same path with another noise factor (``"modulated"`` or ``"global"``)."""
        return replace(self, noise=noise)

    # ------------------------------------------------------------------ coefficients (float64)

    def _clocks(self, t):
        """``(u, d, c) = (thbar_t, thbar_{t:T}, thbar_T)`` in float64."""
        sch = self.schedule
        return sch.clock(t), sch.clock_to_end(t), torch.tensor(sch.u_T, dtype=torch.float64)

    def unit_variance(self, t) -> torch.Tensor:
        """``Sigma_t^2 / lam`` (float64): the variance shape, defined also for ``lam = 0``."""
        u, d, c = self._clocks(t)
        if not self.pinned:
            return _p(u)
        if self.kind == "ou":
            return _p(u) * _p(d) / _p(c)
        return 2 * u * d / c

    def coefficients(self, t):
        """``(Theta_t, Psi_t, Sigma_t)`` as float64 tensors shaped like ``t`` (docs/theory.md eqs. 4.2, 4.5, 4.6).

        ``Theta`` multiplies ``x0``, ``Psi`` multiplies ``mu`` (= ``x_T``), ``Sigma`` is
        the standard deviation before the noise factor ``s(pi)``.
        """
        u, d, c = self._clocks(t)
        if not self.pinned:
            theta = torch.exp(-u)
        elif self.kind == "ou":
            theta = _sinh_ratio(d, c)
        else:
            theta = d / c
        if self.target == "mu":
            psi = 1 - theta
        elif self.kind == "ou":
            psi = _sinh_ratio(u, c)
        else:
            psi = u / c
        sigma = torch.sqrt(self.lam * self.unit_variance(t))
        return theta, psi, sigma

    def posterior_coefficients(self, t, s):
        """``(A, k, V)`` of ``q(x_s | x_t, x0)``: mean ``m + A (x0 - m) + k (x_t - m)``, variance ``V s(pi)^2``.

        The bridge from ``x0`` at 0 to ``x_t`` at ``t`` (Markov property; docs/theory.md eqs. 5.1-5.3):
        ``A = S(u_t - u_s)/S(u_t)``, ``k = S(u_s)/S(u_t)``, ``V = 2 lam S(u_s) S(u_t - u_s)/S(u_t)``
        with ``u_t = thbar_t``, ``u_s = thbar_s``. Requires ``s < t``.
        """
        u_t, u_s = self.schedule.clock(t), self.schedule.clock(s)
        if (u_s >= u_t).any():
            raise ValueError("the posterior q(x_s | x_t, x0) needs s earlier than t (thbar_s < thbar_t)")
        gap = u_t - u_s
        if self.kind == "ou":
            return _sinh_ratio(gap, u_t), _sinh_ratio(u_s, u_t), self.lam * _p(u_s) * _p(gap) / _p(u_t)
        return gap / u_t, u_s / u_t, 2 * self.lam * u_s * gap / u_t

    # ------------------------------------------------------------------ helpers on data

    def batch_times(self, t, x: torch.Tensor) -> torch.Tensor:
        """Per-sample times: a scalar is broadcast to the batch; a vector must have one entry per sample.

        Times stay on their own device (the host, for the schedules' grids and the training
        times): the float64 coefficient maths then runs there, and only the [B] results travel
        to ``x``'s device (:func:`append_dims`), without a host-device synchronisation.
        """
        if isinstance(t, float):
            t = torch.tensor(t, dtype=torch.float64)  # a Python float stays exact
        t = torch.as_tensor(t)
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must be a scalar or have shape ({x.shape[0]},), got {tuple(t.shape)}")
        return t

    def noise_factor(self, x0: torch.Tensor, mu: torch.Tensor) -> torch.Tensor:
        """``s(pi)``: the residual ``x0 - mu`` (modulated) or ones (global)."""
        return x0 - mu if self.noise == "modulated" else torch.ones_like(x0)

    def _target(self, mu: torch.Tensor) -> torch.Tensor:
        return mu if self.target == "mu" else torch.zeros_like(mu)

    def mean(self, x0: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """``E[x_t | x0, mu] = Theta_t x0 + Psi_t mu``.

        For the target ``mu`` it is evaluated as ``mu + Theta_t (x0 - mu)``, so that
        intact pixels (``x0 == mu``) are *exactly* ``mu`` at every ``t``.
        """
        theta, psi, _ = self.coefficients(self.batch_times(t, x0))
        if self.target == "mu":
            return mu + append_dims(theta, x0) * (x0 - mu)
        return append_dims(theta, x0) * x0 + append_dims(psi, x0) * mu

    def std(self, x0: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Per-element standard deviation ``Sigma_t |s(pi)|``."""
        _, _, sigma = self.coefficients(self.batch_times(t, x0))
        return append_dims(sigma, x0) * self.noise_factor(x0, mu).abs()

    def sample(self, x0: torch.Tensor, mu: torch.Tensor, t, noise: torch.Tensor | None = None,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``x_t ~ q(x_t | x0, mu)`` with per-sample times ``t`` [B] (or a scalar)."""
        check_pair(x0, mu)
        t = self.batch_times(t, x0)
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        elif noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
        sigma = append_dims(self.coefficients(t)[2], x0)
        return self.mean(x0, mu, t) + sigma * self.noise_factor(x0, mu) * noise

    def prior(self, mu: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """A sample at ``t_T``: ``mu`` for a bridge, ``mu + Sigma_T eps`` for the unpinned process."""
        if self.pinned:
            return mu.clone()
        if self.noise == "modulated":
            raise ValueError("the unpinned process with modulated noise has an unknown terminal spread "
                             "(it depends on pi); pass x_T explicitly")
        _, _, sigma = self.coefficients(torch.tensor(self.schedule.t_T))
        z = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + float(sigma) * z

    def posterior(self, x_t: torch.Tensor, x0: torch.Tensor, mu: torch.Tensor, t, s):
        """Mean and per-element std of ``q(x_s | x_t, x0)`` (docs/theory.md eq. 5.1)."""
        check_pair(x0, mu)
        t, s = self.batch_times(t, x0), self.batch_times(s, x0)
        A, k, V = (append_dims(c, x0) for c in self.posterior_coefficients(t, s))
        m = self._target(mu)
        mean = m + A * (x0 - m) + k * (x_t - m)
        return mean, V.sqrt() * self.noise_factor(x0, mu).abs()

    def score(self, x_t: torch.Tensor, x0: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Conditional score ``-(x_t - E[x_t]) / (Sigma_t^2 s(pi)^2)``.

        Undefined where the variance is zero (intact pixels under modulation, the
        endpoints); it is returned as 0 there.  The samplers never use it: they use
        ``g^2 * score``, in which ``s(pi)^2`` cancels (see :meth:`velocity`).
        """
        var = self.std(x0, mu, t) ** 2
        resid = x_t - self.mean(x0, mu, t)
        return torch.where(var > 0, -resid / torch.where(var > 0, var, torch.ones_like(var)), torch.zeros_like(var))

    # ------------------------------------------------------------------ dynamics (per unit clock)

    def bridge_drift(self, x: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Forward drift ``dx/du`` of the bridge SDE (h-transformed OU; docs/theory.md eqs. 3.5-3.7).

        OU bridge: ``-(x - m) coth(d) + (mu - m) / sinh(d)`` with ``d = thbar_{t:T}``, which is
        ``coth(d) (mu - x)`` for ``m = mu``.  Brownian limit: ``(mu - x) / d``.
        Unpinned OU: ``mu - x``.  Infinite at ``t_T`` for a bridge.
        """
        t = self.batch_times(t, x)
        m = self._target(mu)
        if not self.pinned:
            return m - x
        d = append_dims(self.schedule.clock_to_end(t), x)
        if self.kind == "brownian":
            return (mu - x) / d
        return -(x - m) / torch.tanh(d) + (mu - m) / torch.sinh(d)

    def velocity(self, x: torch.Tensor, x0_hat: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Probability-flow ODE velocity ``dx/du`` with ``x0`` replaced by ``x0_hat`` (docs/theory.md eqs. 7.1-7.3).

        ``f - (1/2) g^2 grad log p = bridge_drift + lam (x - E[x_t | x0_hat]) / Sigma_t^2``;
        the factor ``s(pi)^2`` of ``g^2`` cancels the one in the score, so nothing
        divides by ``pi``.  Written with ``Sigma^2 / lam`` so that ``lam = 0`` works.
        Singular at the clean point (``Sigma_0 = 0``) and, for bridges, at ``t_T``.
        """
        t = self.batch_times(t, x)
        v1 = append_dims(self.unit_variance(t), x)
        return self.bridge_drift(x, mu, t) + (x - self.mean(x0_hat, mu, t)) / v1

    def reverse_drift(self, x: torch.Tensor, x0_hat: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Drift ``dx/du`` of the reverse-time SDE (Anderson): ``f - g^2 grad log p``, i.e.
        ``bridge_drift + 2 lam (x - E[x_t | x0_hat]) / Sigma_t^2``; diffusion ``sqrt(2 lam) s(pi)``."""
        t = self.batch_times(t, x)
        v1 = append_dims(self.unit_variance(t), x)
        return self.bridge_drift(x, mu, t) + 2 * (x - self.mean(x0_hat, mu, t)) / v1

    def is_clean(self, t) -> bool:
        """Whether time ``t`` is the clean point (``thbar_t = 0``)."""
        return bool((self.schedule.clock(t) == 0).all())

    def is_terminal(self, t) -> bool:
        """Whether ``t`` is the pinned terminal point of a bridge (``thbar_{t:T} = 0``)."""
        return self.pinned and bool((self.schedule.clock_to_end(t) == 0).all())

    def describe(self) -> str:
        """One line: name, schedule, lam, noise factor, kind."""
        pin = "bridge" if self.pinned else "unpinned OU"
        return (f"{self.name}: {pin}, kind={self.kind}, noise={self.noise}, target={self.target}, "
                f"lam={self.lam:.6g}, schedule={self.schedule.name}, thbar_T={self.schedule.u_T:.6g}")
