"""Samplers for the residual bridge family: pure functions ``sample_x(model, mu, path, ts, ...)``.

The model interface is ``model(x_t, mu, t) -> prediction`` with ``t`` a float
tensor [B] of grid times.  The prediction is ``x0`` (the reference choice,
well posed) or the noise ``eps`` (global-noise bridges only; see
:func:`predict_x0`).  ``ts`` is a decreasing grid of times, normally
``path.schedule.sampling_times(steps)``, from ``t_T`` down to the clean point.

Rules shared by all samplers (theory §3):

* a step that lands on the clean point returns ``x0_hat`` (the exact solution
  there, since ``Theta = 1``, ``Sigma = 0``);
* a step that leaves the pinned terminal point ``t_T`` of a bridge, where the
  drift and ``1/Sigma^2`` blow up, is taken with the implicit formula
  (``x_s = E[x_s | x0_hat] (+ Sigma_s s(pi_hat) z)``), so explicit solvers
  never evaluate the singular velocity.

Every sampler returns ``x`` or, with ``return_trajectory=True``,
``(x, {"x": [x_T, ..., x], "x0_hat": [...], "t": ts})``.
"""
from __future__ import annotations

from typing import Callable

import torch

from .path import ResidualPath

__all__ = ["predict_x0", "implicit_step", "sample_implicit", "sample_euler_maruyama", "sample_euler",
           "sample_heun", "SAMPLERS"]

Model = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def predict_x0(model: Model, x: torch.Tensor, mu: torch.Tensor, path: ResidualPath, t,
               parameterization: str = "x0", clamp: bool = True) -> torch.Tensor:
    """``x0_hat`` from the network at time ``t`` (scalar or [B]).

    ``parameterization="noise"``: ``x0_hat = (x_t - Psi_t mu - Sigma_t eps_hat) / Theta_t``,
    defined for global noise only.  Under modulation ``x_t - mu = (Theta_t +
    Sigma_t eps) pi`` and recovering ``pi`` would divide by ``Theta_t + Sigma_t eps``,
    which can vanish: that is why RDBM predicts ``x0``.
    """
    tb = path._times(t, x)
    pred = model(x, mu, tb.to(torch.float32))
    if parameterization == "x0":
        x0_hat = pred
    elif parameterization == "noise":
        if path.noise == "modulated":
            raise ValueError("noise prediction is ill-posed under residual modulation: recovering pi from "
                             "x_t - mu = (Theta_t + Sigma_t eps) pi divides by Theta_t + Sigma_t eps, which can be 0; "
                             "predict x0 instead (or use a global-noise bridge)")
        theta, psi, sigma = (path._bc(c, x) for c in path.coefficients(tb))
        x0_hat = (x - psi * mu - sigma * pred) / theta
    else:
        raise ValueError(f"parameterization must be 'x0' or 'noise', got {parameterization!r}")
    return x0_hat.clamp(-1, 1) if clamp else x0_hat


def implicit_step(path: ResidualPath, x_t: torch.Tensor, x0_hat: torch.Tensor, mu: torch.Tensor, t, s,
                  eta: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """One step of the generalised implicit sampler (DDIM/DBIM family; theory §3):

        x_s = E[x_s | x0_hat] + sqrt(Sigma_s^2 - rho_s^2) / Sigma_t * (x_t - E[x_t | x0_hat]) + rho_s s(pi_hat) z

    with ``rho_s^2 = eta^2 * Var[x_s | x_t, x0]`` (per unit ``s(pi)^2``).  ``eta = 0`` is the
    exact solution of the PF-ODE over [s, t] for fixed ``x0_hat``; ``eta = 1`` is the
    ancestral posterior step.  Where ``Sigma_t = 0`` (the terminal point of a bridge)
    the middle term is absent.
    """
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    t, s = path._times(t, x_t), path._times(s, x_t)
    _, _, sig_t = path.coefficients(t)
    _, _, sig_s = path.coefficients(s)
    rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2] if eta > 0 else torch.zeros_like(sig_s)
    keep = torch.sqrt(torch.clamp(sig_s ** 2 - rho2, min=0))
    ratio = torch.where(sig_t > 0, keep / torch.where(sig_t > 0, sig_t, torch.ones_like(sig_t)), torch.zeros_like(sig_t))
    x_s = path.mean(x0_hat, mu, s) + path._bc(ratio, x_t) * (x_t - path.mean(x0_hat, mu, t))
    if eta > 0:
        z = torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)
        x_s = x_s + path._bc(rho2.sqrt(), x_t) * path.noise_factor(x0_hat, mu) * z
    return x_s


def _check_grid(path: ResidualPath, ts) -> torch.Tensor:
    ts = torch.as_tensor(ts)
    if ts.ndim != 1 or len(ts) < 2:
        raise ValueError("the time grid ts needs at least two times (start and end)")
    u = path.schedule.clock(ts)  # validates the range
    if not (u.diff() < 0).all():
        raise ValueError(f"the time grid must be strictly decreasing in thbar, got {ts.tolist()}")
    return ts


def _solve(model, mu, path, ts, step, x_T, first_eta, parameterization, clamp, return_trajectory, generator):
    """The loop every sampler shares; ``step(x, x0_hat, t, s)`` is the sampler's own update."""
    ts = _check_grid(path, ts)
    if x_T is None:
        if path.schedule.clock_to_end(ts[0]) != 0:
            raise ValueError("x_T is needed when the grid does not start at the terminal time t_T")
        x_T = path.prior(mu, generator)
    x, xs, x0s = x_T, [x_T], []
    for t, s in zip(ts[:-1], ts[1:]):
        x0_hat = predict_x0(model, x, mu, path, t, parameterization, clamp)
        if path.is_clean(s):
            x = x0_hat
        elif path.is_terminal(t):
            x = implicit_step(path, x, x0_hat, mu, t, s, eta=first_eta, generator=generator)
        else:
            x = step(x, x0_hat, t, s)
        if return_trajectory:  # otherwise every state would stay in memory until the end
            xs.append(x)
            x0s.append(x0_hat)
    return (x, {"x": xs, "x0_hat": x0s, "t": ts}) if return_trajectory else x


def sample_implicit(model: Model, mu: torch.Tensor, path: ResidualPath, ts, eta: float = 0.0,
                    x_T: torch.Tensor | None = None, parameterization: str = "x0", clamp: bool = True,
                    return_trajectory: bool = False, generator: torch.Generator | None = None):
    """The implicit sampler of RDBM (Wang et al. 2025, generalised DDIM/DBIM step; :func:`implicit_step`).

    With the reference grid (``sampling_times(10)`` = 99, 89, ..., 9, -1) and ``eta = 0``
    this is the reference code's 10-step sampler.
    """
    def step(x, x0_hat, t, s):
        return implicit_step(path, x, x0_hat, mu, t, s, eta=eta, generator=generator)
    return _solve(model, mu, path, ts, step, x_T, eta, parameterization, clamp, return_trajectory, generator)


def sample_euler_maruyama(model: Model, mu: torch.Tensor, path: ResidualPath, ts,
                          x_T: torch.Tensor | None = None, parameterization: str = "x0", clamp: bool = True,
                          return_trajectory: bool = False, generator: torch.Generator | None = None):
    """Euler-Maruyama on the reverse-time SDE (Anderson 1982), in the clock ``u = thbar``:

        x_s = x_t - du * reverse_drift(x_t) + sqrt(2 lam du) s(pi_hat) z,   du = thbar_t - thbar_s.

    The first step out of a bridge's terminal point is the posterior (``eta = 1``) step.
    """
    def step(x, x0_hat, t, s):
        du = float(path.schedule.clock(t) - path.schedule.clock(s))
        z = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        noise = (2 * path.lam * du) ** 0.5 * path.noise_factor(x0_hat, mu) * z
        return x - du * path.reverse_drift(x, x0_hat, mu, t) + noise
    return _solve(model, mu, path, ts, step, x_T, 1.0, parameterization, clamp, return_trajectory, generator)


def sample_euler(model: Model, mu: torch.Tensor, path: ResidualPath, ts,
                 x_T: torch.Tensor | None = None, parameterization: str = "x0", clamp: bool = True,
                 return_trajectory: bool = False, generator: torch.Generator | None = None):
    """Explicit Euler on the probability-flow ODE ``dx/du = velocity`` (first order).

    The first step out of a bridge's terminal point is the implicit ``eta = 0`` step.
    """
    def step(x, x0_hat, t, s):
        du = float(path.schedule.clock(t) - path.schedule.clock(s))
        return x - du * path.velocity(x, x0_hat, mu, t)
    return _solve(model, mu, path, ts, step, x_T, 0.0, parameterization, clamp, return_trajectory, generator)


def sample_heun(model: Model, mu: torch.Tensor, path: ResidualPath, ts,
                x_T: torch.Tensor | None = None, parameterization: str = "x0", clamp: bool = True,
                return_trajectory: bool = False, generator: torch.Generator | None = None):
    """Heun's method (explicit trapezoid, second order; as in Karras et al. 2022, Alg. 1) on the PF-ODE.

    Two network evaluations per step; a step into the clean point returns ``x0_hat``
    and the first step out of a bridge's terminal point is the implicit ``eta = 0`` step.
    """
    def step(x, x0_hat, t, s):
        du = float(path.schedule.clock(t) - path.schedule.clock(s))
        v1 = path.velocity(x, x0_hat, mu, t)
        x_e = x - du * v1
        x0_e = predict_x0(model, x_e, mu, path, s, parameterization, clamp)
        return x - du * 0.5 * (v1 + path.velocity(x_e, x0_e, mu, s))
    return _solve(model, mu, path, ts, step, x_T, 0.0, parameterization, clamp, return_trajectory, generator)


#: name -> sampler (the implicit sampler takes ``eta``: 0 deterministic, 1 ancestral).
SAMPLERS = {
    "implicit": sample_implicit,
    "euler-maruyama": sample_euler_maruyama,
    "euler": sample_euler,
    "heun": sample_heun,
}
