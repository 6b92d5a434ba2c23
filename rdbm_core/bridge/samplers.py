"""Samplers for the residual bridge family: pure functions of one shape (k-diffusion style).

    sample_x(denoiser, mu, path, ts, *, x_T=None, generator=None, callback=None, <own options>) -> x

* ``denoiser``: a :class:`Denoiser` (the network, its parameterisation and the
  clamping; ``denoiser(x_t, mu, path, t) -> x0_hat``) or a plain model
  ``model(x_t, mu, t) -> x0`` (taken as ``Denoiser(model)``: x0 prediction, clamped);
* ``ts``: a decreasing grid of times, normally ``path.schedule.sampling_times(steps)``,
  from ``t_T`` down to the clean point;
* ``x_T``: the start; by default the prior at ``t_T`` (``mu`` for a bridge);
* ``callback(info)``: called after every step with the dict ``{"i", "t", "s", "x_t",
  "x0_hat", "x"}`` (step index, its two times, the state it started from, the
  network's ``x0_hat`` there and the new state); :class:`Trajectory` records them.
  Every sampler returns the final ``x`` only.

Rules shared by all samplers (docs/theory.md eqs. 8.6-8.7):

* a step that lands on the clean point returns ``x0_hat`` (the exact solution
  there, since ``Theta = 1``, ``Sigma = 0``);
* a step that leaves the pinned terminal point ``t_T`` of a bridge, where the
  drift and ``1/Sigma^2`` blow up, is the implicit step (:func:`implicit_step`):
  ``x_s = E[x_s | x0_hat]`` for a deterministic sampler, and the full marginal
  ``E[x_s | x0_hat] + Sigma_s s(pi_hat) z`` (the "booting noise" of DBIM) for a stochastic one.

Network evaluations: one per step, except :func:`sample_heun` (two per interior step).
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field, fields, replace
from typing import Callable

import torch

from rdbm_core.bridge.path import ResidualPath, append_dims

__all__ = ["Denoiser", "as_denoiser", "Trajectory", "implicit_step", "half_log_snr", "exponential_step",
           "sample_implicit", "sample_euler_maruyama", "sample_euler", "sample_heun", "sample_dbim", "sample_exact_sde",
           "SAMPLERS", "OPTION_HELP", "sampler_options", "check_sampler_options", "SamplerSpec"]

Model = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
PARAMETERIZATIONS = ("x0", "noise")


@dataclass(frozen=True)
class Denoiser:
    """The network as an estimator of ``x0``: ``denoiser(x_t, mu, path, t) -> x0_hat``.

    model:            ``model(x_t, mu, t) -> prediction`` with ``t`` a float32 tensor [B] of grid times.
    parameterization: ``"x0"`` (the reference choice, well posed) or ``"noise"`` (the prediction is
                      ``eps``; global-noise bridges only).
    clamp:            clamp ``x0_hat`` to [-1, 1].

    Noise prediction: ``x0_hat = (x_t - Psi_t mu - Sigma_t eps_hat) / Theta_t``.  Under modulation
    ``x_t - mu = (Theta_t + Sigma_t eps) pi`` and recovering ``pi`` would divide by
    ``Theta_t + Sigma_t eps``, which can vanish: that is why RDBM predicts ``x0`` (a ``ValueError``).
    At the pinned terminal point of a bridge (``Theta_T = Sigma_T = 0``, ``x_T = mu`` whatever
    ``x0`` and ``eps``) the state carries no information on the noise and the formula is 0/0:
    there a noise predictor gives ``x0_hat = mu`` (residual estimate 0) *without calling the
    model*, so the first step out of the pinned end is ``x_s = mu`` (plus the booting noise for
    a stochastic sampler), and the network is first used at the next grid time.
    """

    model: Model
    parameterization: str = "x0"
    clamp: bool = True

    def __post_init__(self):
        if self.parameterization not in PARAMETERIZATIONS:
            raise ValueError(f"parameterization must be 'x0' or 'noise', got {self.parameterization!r}")

    def __call__(self, x: torch.Tensor, mu: torch.Tensor, path: ResidualPath, t) -> torch.Tensor:
        tb = path.batch_times(t, x)
        if self.parameterization == "x0":
            x0_hat = self.model(x, mu, tb.to(torch.float32))
        else:
            if path.noise == "modulated":
                raise ValueError("noise prediction is ill-posed under residual modulation: recovering pi from "
                                 "x_t - mu = (Theta_t + Sigma_t eps) pi divides by Theta_t + Sigma_t eps, which can "
                                 "be 0; predict x0 instead (or use a global-noise bridge)")
            if path.is_terminal(tb):
                x0_hat = mu.clone()  # the pinned end: no information on the noise (see the class docstring)
            else:
                eps_hat = self.model(x, mu, tb.to(torch.float32))
                theta, psi, sigma = (append_dims(c, x) for c in path.coefficients(tb))
                x0_hat = (x - psi * mu - sigma * eps_hat) / theta
        return x0_hat.clamp(-1, 1) if self.clamp else x0_hat


def as_denoiser(denoiser) -> Denoiser:
    """A :class:`Denoiser` as it is; any other callable ``model(x_t, mu, t)`` as ``Denoiser(model)``."""
    if isinstance(denoiser, Denoiser):
        return denoiser
    if not callable(denoiser):
        raise TypeError(f"the denoiser must be a Denoiser or a callable model(x_t, mu, t), got {type(denoiser)}")
    return Denoiser(denoiser)


class Trajectory:
    """A callback that records a sampler's run: ``x`` = [x_T, x_1, ..., x_final], ``x0_hat`` and ``t`` per step.

    ``traj = Trajectory(); out = sample_implicit(model, mu, path, ts, callback=traj)``.
    """

    def __init__(self):
        self.x: list[torch.Tensor] = []
        self.x0_hat: list[torch.Tensor] = []
        self.t: list = []

    def __call__(self, info: dict) -> None:
        if not self.x:
            self.x.append(info["x_t"])
            self.t.append(info["t"])
        self.x.append(info["x"])
        self.x0_hat.append(info["x0_hat"])
        self.t.append(info["s"])


# ----------------------------------------------------------------------------- single steps

def implicit_step(path: ResidualPath, x_t: torch.Tensor, x0_hat: torch.Tensor, mu: torch.Tensor, t, s,
                  eta: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """One step of the generalised implicit sampler (DDIM/DBIM family; docs/theory.md eqs. 8.1-8.4):

        x_s = E[x_s | x0_hat] + sqrt(Sigma_s^2 - rho_s^2) / Sigma_t * (x_t - E[x_t | x0_hat]) + rho_s s(pi_hat) z

    with ``rho_s^2 = eta^2 * Var[x_s | x_t, x0]`` (per unit ``s(pi)^2``).  ``eta = 0`` is the
    exact solution of the PF-ODE over [s, t] for fixed ``x0_hat``; ``eta = 1`` is the
    ancestral posterior step.

    Out of the pinned terminal point (``Sigma_t = 0``, ``x_t = mu``) the middle term is
    absent, and with ``rho^2 = eta^2 Var`` a step with ``0 < eta < 1`` would carry only the
    fraction ``eta^2`` of the marginal variance.  There every ``eta > 0`` takes
    ``rho_s^2 = Var[x_s | x_T, x0] = Sigma_s^2`` (the "booting noise" of DBIM, Zheng et al. 2024):
    the first step then draws exactly the marginal ``q(x_s | x0_hat)``
    (``derivations``: ``exponential.booting_noise``); ``eta = 0`` stays deterministic.
    """
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    t, s = path.batch_times(t, x_t), path.batch_times(s, x_t)
    # Every variance below is lam times a shape, so the ratio of the middle term does not depend on lam; it is
    # computed at lam = 1 when lam = 0 (the interpolant), which gives the lam -> 0 limit of the step (the
    # deviation x_t - E[x_t | x0_hat] is carried, not dropped).  For lam > 0 nothing changes.
    shape = path if path.lam > 0 else replace(path, lam=1.0)
    _, _, sig_t = shape.coefficients(t)
    _, _, sig_s = shape.coefficients(s)
    if eta > 0:
        var = shape.posterior_coefficients(t, s)[2]
        rho2 = torch.where(sig_t > 0, eta ** 2 * var, var)
    else:
        rho2 = torch.zeros_like(sig_s)
    keep = torch.sqrt(torch.clamp(sig_s ** 2 - rho2, min=0))
    ratio = torch.where(sig_t > 0, keep / torch.where(sig_t > 0, sig_t, torch.ones_like(sig_t)), torch.zeros_like(sig_t))
    x_s = path.mean(x0_hat, mu, s) + append_dims(ratio, x_t) * (x_t - path.mean(x0_hat, mu, t))
    if eta > 0 and path.lam > 0:
        z = _randn(x_t, generator)
        x_s = x_s + append_dims(rho2.sqrt(), x_t) * path.noise_factor(x0_hat, mu) * z
    return x_s


def half_log_snr(path: ResidualPath, t) -> float:
    """``lambda_t = log(Theta_t / Sigma_t)`` up to the constant ``-log(lam)/2`` (any ``lam``, also 0).

    The variable of the exponential integrators: with ``x0_hat`` given as a function of
    ``lambda`` the PF-ODE's solution is ``x_s = E[x_s | .] ...`` an integral of ``x0_hat`` against
    ``e^lambda d lambda`` (see :func:`exponential_step`).  ``-inf`` at a pinned ``t_T``, ``+inf`` at
    the clean point.  ``t`` is one time (a scalar).
    """
    theta, _, _ = path.coefficients(torch.as_tensor(t))
    return float(torch.log(theta) - 0.5 * torch.log(path.unit_variance(torch.as_tensor(t))))


def _kernel_moments(h: float, k: float, n: int) -> list[float]:
    """``[psi_0, ..., psi_n]`` with ``psi_j = int_0^h k e^{-k (h - r)} r^j / j! dr`` (``psi_0 = 1 - e^{-k h}``).

    By parts: ``psi_j = h^j / j! - psi_{j-1} / k``.
    """
    psi = [-math.expm1(-k * h)]
    for j in range(1, n + 1):
        psi.append(h ** j / math.factorial(j) - psi[-1] / k)
    return psi


def exponential_step(path: ResidualPath, x_t: torch.Tensor, mu: torch.Tensor, t, s, x0_hat: torch.Tensor,
                     others=(), *, eta: float = 0.0, noise: torch.Tensor | None = None) -> torch.Tensor:
    """One exponential-integrator step in data-prediction form (DBIM, Zheng et al. 2024, high-order
    variant; the stochastic case as in UniDB++ / DPM-Solver++ SDE), for every bridge of the family.

    The SDE family ``dx = [f - (1 + eta^2)/2 g^2 grad log p] du + eta g dW`` (``eta = 0``: the
    PF-ODE, ``eta = 1``: the reverse SDE) is linear in ``x`` given ``x0_hat(lambda)``, with
    ``lambda = log(Theta/Sigma)`` (:func:`half_log_snr`) and ``h = lambda_s - lambda_t``; its exact
    solution over [s, t] is (``derivations``: ``exponential.*``)

        x_s = E[x_s | x0_hat_t] + kappa (x_t - E[x_t | x0_hat_t]) + Sigma_s sqrt(1 - e^{-2 eta^2 h}) s(pi_hat) z
              + Theta_s int_0^h k e^{-k (h - r)} (x0_hat(lambda_t + r) - x0_hat_t) dr,

    ``kappa = (Sigma_s / Sigma_t) e^{-eta^2 h}``, ``k = 1 + eta^2``.  The integral is taken on the
    polynomial in ``lambda`` through ``x0_hat_t`` and the ``others`` (pairs ``(time, x0_hat)``:
    earlier grid times for a multistep predictor, ``s`` for a corrector), which gives a method of
    order ``1 + len(others)``.  With no ``others`` this is the implicit step (``eta = 0``: exactly
    :func:`implicit_step`; ``eta = 1``: the posterior step).  ``noise``: the ``z`` (drawn by the
    caller; needed when ``eta > 0``).  Not defined out of a pinned ``t_T`` (``lambda = -inf``):
    the samplers take that step with :func:`implicit_step`.
    """
    lam_t, lam_s = half_log_snr(path, t), half_log_snr(path, s)
    h, k = lam_s - lam_t, 1.0 + eta ** 2
    tb, sb = path.batch_times(t, x_t), path.batch_times(s, x_t)
    uv_t, uv_s = path.unit_variance(tb), path.unit_variance(sb)
    kappa = torch.sqrt(uv_s / uv_t) * math.exp(-eta ** 2 * h)
    x_s = path.mean(x0_hat, mu, sb) + append_dims(kappa, x_t) * (x_t - path.mean(x0_hat, mu, tb))
    if others:
        # Taylor coefficients of x0_hat(lambda) at lambda_t from the interpolating polynomial:
        # x0_j - x0_hat = sum_i d_i r_j^i / i!, solved for the weights of each x0_j
        r = torch.tensor([half_log_snr(path, tj) - lam_t for tj, _ in others], dtype=torch.float64)
        m = len(others)
        powers = torch.stack([r ** i / math.factorial(i) for i in range(1, m + 1)], dim=1)  # [m points, m orders]
        psi = torch.tensor(_kernel_moments(h, k, m)[1:], dtype=torch.float64)
        weights = torch.linalg.solve(powers.T, psi)  # sum_i psi_i d_i = sum_j weights_j (x0_j - x0_hat)
        theta_s = path.coefficients(sb)[0]
        for w, (_, x0_j) in zip(weights.tolist(), others):
            x_s = x_s + append_dims(theta_s * w, x_t) * (x0_j - x0_hat)
    if eta > 0:
        if noise is None:
            raise ValueError("a stochastic step (eta > 0) needs its noise z")
        std = torch.sqrt(path.lam * uv_s * -math.expm1(-2 * eta ** 2 * h))
        x_s = x_s + append_dims(std, x_t) * path.noise_factor(x0_hat, mu) * noise
    return x_s


# ----------------------------------------------------------------------------- the shared loop

def _check_grid(path: ResidualPath, ts) -> torch.Tensor:
    ts = torch.as_tensor(ts)
    if ts.ndim != 1 or len(ts) < 2:
        raise ValueError("the time grid ts needs at least two times (start and end)")
    u = path.schedule.clock(ts)  # validates the range
    if not (u.diff() < 0).all():
        raise ValueError(f"the time grid must be strictly decreasing in thbar, got {ts.tolist()}")
    return ts


def _solve(step, denoiser: Denoiser, mu, path: ResidualPath, ts, *, x_T, generator, callback, first_eta):
    """The loop every sampler shares; ``step(x, x0_hat, t, s)`` is the sampler's own update."""
    ts = _check_grid(path, ts)
    if x_T is None:
        if path.schedule.clock_to_end(ts[0]) != 0:
            raise ValueError("x_T is needed when the grid does not start at the terminal time t_T")
        x_T = path.prior(mu, generator)
    x = x_T
    for i, (t, s) in enumerate(zip(ts[:-1], ts[1:])):
        x0_hat = denoiser(x, mu, path, t)
        if path.is_clean(s):
            x_next = x0_hat
        elif path.is_terminal(t):
            x_next = implicit_step(path, x, x0_hat, mu, t, s, eta=first_eta, generator=generator)
        else:
            x_next = step(x, x0_hat, t, s)
        if callback is not None:
            callback({"i": i, "t": t, "s": s, "x_t": x, "x0_hat": x0_hat, "x": x_next})
        x = x_next
    return x


def _randn(x: torch.Tensor, generator) -> torch.Tensor:
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


def _du(path: ResidualPath, t, s) -> float:
    return float(path.schedule.clock(t) - path.schedule.clock(s))


# ----------------------------------------------------------------------------- samplers

def sample_implicit(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, eta: float = 0.0,
                    x_T: torch.Tensor | None = None, generator: torch.Generator | None = None, callback=None):
    """The implicit sampler of RDBM (Wang et al., CVPR 2026; generalised DDIM/DBIM step, :func:`implicit_step`).

    With the reference grid (``sampling_times(10)`` = 99, 89, ..., 9, -1) and ``eta = 0``
    this is the reference code's 10-step sampler.  ``eta = 1``: ancestral (posterior) steps.
    """
    def step(x, x0_hat, t, s):
        return implicit_step(path, x, x0_hat, mu, t, s, eta=eta, generator=generator)
    return _solve(step, as_denoiser(denoiser), mu, path, ts, x_T=x_T, generator=generator, callback=callback,
                first_eta=eta)


def sample_euler_maruyama(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, x_T: torch.Tensor | None = None,
                          generator: torch.Generator | None = None, callback=None):
    """Euler-Maruyama on the reverse-time SDE (Anderson 1982), in the clock ``u = thbar``:

        x_s = x_t - du * reverse_drift(x_t) + sqrt(2 lam du) s(pi_hat) z,   du = thbar_t - thbar_s.

    The first step out of a bridge's terminal point is the posterior (``eta = 1``) step.
    """
    def step(x, x0_hat, t, s):
        du = _du(path, t, s)
        noise = (2 * path.lam * du) ** 0.5 * path.noise_factor(x0_hat, mu) * _randn(x, generator)
        return x - du * path.reverse_drift(x, x0_hat, mu, t) + noise
    return _solve(step, as_denoiser(denoiser), mu, path, ts, x_T=x_T, generator=generator, callback=callback,
                first_eta=1.0)


def sample_euler(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, x_T: torch.Tensor | None = None,
                 generator: torch.Generator | None = None, callback=None):
    """Explicit Euler on the probability-flow ODE ``dx/du = velocity`` (first order).

    The first step out of a bridge's terminal point is the implicit ``eta = 0`` step.
    """
    def step(x, x0_hat, t, s):
        return x - _du(path, t, s) * path.velocity(x, x0_hat, mu, t)
    return _solve(step, as_denoiser(denoiser), mu, path, ts, x_T=x_T, generator=generator, callback=callback,
                first_eta=0.0)


def sample_heun(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, x_T: torch.Tensor | None = None,
                generator: torch.Generator | None = None, callback=None):
    """Heun's method (explicit trapezoid; Karras et al. 2022, Alg. 1) on the probability-flow ODE.

    Two network evaluations per interior step; a step into the clean point returns ``x0_hat``
    and the first step out of a bridge's terminal point is the implicit ``eta = 0`` step.
    Second order on a grid that stays away from the pinned ``t_T`` (where the velocity is
    singular).  Started at ``t_T`` it keeps order 2 only on a grid clustered there (uniform in
    ``sqrt(t_T - t)``); on a grid uniform in ``t`` it measures about 1.5 (``tests/core/test_samplers.py``).
    """
    denoiser = as_denoiser(denoiser)

    def step(x, x0_hat, t, s):
        du = _du(path, t, s)
        v1 = path.velocity(x, x0_hat, mu, t)
        x_e = x - du * v1
        return x - du * 0.5 * (v1 + path.velocity(x_e, denoiser(x_e, mu, path, s), mu, s))
    return _solve(step, denoiser, mu, path, ts, x_T=x_T, generator=generator, callback=callback, first_eta=0.0)


def _sample_exponential(denoiser, mu, path, ts, *, order, eta, corrector, x_T, generator, callback):
    """The multistep exponential integrator behind :func:`sample_dbim` and :func:`sample_exact_sde`."""
    if order not in (1, 2, 3):
        raise ValueError(f"order must be 1, 2 or 3, got {order}")
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must be in [0, 1], got {eta}")
    history: list = []  # (time, x0_hat) of the earlier steps taken by `step`, oldest first
    previous: list = []  # the last step's inputs, for the corrector

    def step(x, x0_hat, t, s):
        if previous:
            x_p, t_p, x0_p, others_p, z_p = previous.pop()
            if corrector or len(others_p) + 1 < order - 1:  # always a startup step below order - 1
                x = exponential_step(path, x_p, mu, t_p, t, x0_p, (*others_p, (t, x0_hat)), eta=eta, noise=z_p)
        others = tuple(reversed(history[len(history) - (order - 1):])) if order > 1 else ()
        z = _randn(x, generator) if eta > 0 else None
        x_s = exponential_step(path, x, mu, t, s, x0_hat, others, eta=eta, noise=z)
        history.append((t, x0_hat))
        previous.append((x, t, x0_hat, others, z))
        return x_s
    return _solve(step, as_denoiser(denoiser), mu, path, ts, x_T=x_T, generator=generator, callback=callback,
                first_eta=eta)


def sample_dbim(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, order: int = 3, corrector: bool = False,
                x_T: torch.Tensor | None = None, generator: torch.Generator | None = None, callback=None):
    """High-order diffusion bridge implicit sampler (DBIM, Zheng et al. 2024, "Diffusion Bridge Implicit
    Models", the exponential-integrator variant): a multistep method on the PF-ODE, one evaluation per step.

    Each step is :func:`exponential_step` with ``eta = 0``, ``x0_hat`` extrapolated in ``lambda =
    log(Theta/Sigma)`` through the last ``order`` evaluations (``order = 1``: :func:`sample_implicit`
    with ``eta = 0``); the first steps use the lower orders their history allows, and the step out of
    a pinned ``t_T`` (``lambda = -inf``) is the implicit step.  ``corrector``: after each evaluation
    the step that led to it is re-taken with the new ``x0_hat`` as one more interpolation point
    (UniC, Zhao et al. 2023; no extra evaluation), raising the order by one.  For ``order = 3`` the
    first (one-point) step is always corrected, so that its local error does not cap the global order
    at 2.  Measured global orders (``tests/core/test_samplers.py``, an ``x0`` estimate varying smoothly with
    ``t`` and ``x``, a grid away from ``t_T``): 2 and 3, and 3 with the corrector on order 2.  Started at a
    pinned ``t_T`` the orders hold on a grid clustered there (uniform in ``sqrt(t_T - t)``); on a grid
    uniform in ``t`` they drop to about 1.5.
    """
    return _sample_exponential(denoiser, mu, path, ts, order=order, eta=0.0, corrector=corrector, x_T=x_T,
                               generator=generator, callback=callback)


def sample_exact_sde(denoiser, mu: torch.Tensor, path: ResidualPath, ts, *, eta: float = 1.0, order: int = 2,
                     corrector: bool = False, x_T: torch.Tensor | None = None,
                     generator: torch.Generator | None = None, callback=None):
    """Exact-solution stochastic sampler (UniDB++, Pan et al. 2025; DPM-Solver++ SDE, Lu et al. 2022) for the SDE
    ``dx = [f - (1 + eta^2)/2 g^2 grad log p] du + eta g dW`` (``eta = 1``: the reverse SDE), one evaluation per step.

    Each step is the exact solution (:func:`exponential_step`) with ``x0_hat`` a polynomial in
    ``lambda = log(Theta/Sigma)`` through the last ``order`` evaluations (``order = 1``, ``eta = 1``:
    the posterior steps of :func:`sample_implicit`); the Gaussian noise is exact for every step size.
    The first step out of a pinned ``t_T`` draws the full marginal (booting noise).  ``corrector``:
    UniC-style correction with the next evaluation, as in :func:`sample_dbim` (same noise reused).
    """
    if not eta > 0:
        raise ValueError(f"the stochastic sampler needs eta > 0 (eta = 0 is sample_dbim), got {eta}")
    return _sample_exponential(denoiser, mu, path, ts, order=order, eta=eta, corrector=corrector, x_T=x_T,
                               generator=generator, callback=callback)


#: name -> sampler; the CLI takes these names.  Each sampler's own options (:func:`sampler_options`): the implicit
#: sampler takes ``eta`` (0 deterministic, 1 ancestral); ``dbim`` the order (default 3) and ``corrector``;
#: ``exact-sde`` eta, order and corrector.
SAMPLERS = {
    "implicit": sample_implicit,
    "euler-maruyama": sample_euler_maruyama,
    "euler": sample_euler,
    "heun": sample_heun,
    "dbim": sample_dbim,
    "exact-sde": sample_exact_sde,
}

#: What each sampler option does (a keyword-only parameter of a sampler other than those all of them share);
#: the CLI makes one flag per option from this and the samplers' signatures.
OPTION_HELP = {
    "eta": "noise of each step: 0 deterministic, 1 the ancestral posterior step (implicit) or the reverse SDE "
           "(exact-sde)",
    "order": "order of the multistep update: 1, 2 or 3 (one network evaluation per step whatever the order)",
    "corrector": "re-take each step with the next evaluation as one more interpolation point (UniC; "
                 "no extra evaluation)",
}
_SHARED = ("x_T", "generator", "callback")  # parameters every sampler takes: not options


def sampler_options(name: str) -> dict:
    """The options of ``SAMPLERS[name]`` with their defaults, read from its signature (its keyword-only
    parameters other than ``x_T``, ``generator`` and ``callback``): ``{}`` for Euler, ``{"eta": 0.0}`` for the
    implicit sampler, ``{"order": 3, "corrector": False}`` for DBIM."""
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
    return {p.name: p.default for p in inspect.signature(SAMPLERS[name]).parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.name not in _SHARED}


#: option -> (the test every value must pass, what it says): the values each option takes, for every sampler
_OPTION_VALUES = {
    "eta": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0, "a number in [0, 1]"),
    "order": (lambda v: v in (1, 2, 3) and not isinstance(v, bool), "1, 2 or 3"),
    "corrector": (lambda v: isinstance(v, bool), "true or false"),
}
#: sampler -> {option: (test, what it says)}: values a sampler refuses beyond :data:`_OPTION_VALUES`
_SAMPLER_VALUES = {"exact-sde": {"eta": (lambda v: v > 0, "> 0 for exact-sde (eta = 0 is the sampler dbim)")}}


def check_sampler_options(name: str, options: dict | None) -> dict:
    """``options`` for ``SAMPLERS[name]`` as keyword arguments; ``ValueError`` naming (as the CLI flag
    ``--option``) the first option that the sampler does not take, with the options it does take, or the first
    value it does not accept (:data:`_OPTION_VALUES`: ``eta`` in [0, 1], ``order`` 1, 2 or 3, ``corrector`` a bool;
    ``exact-sde`` needs ``eta > 0``)."""
    allowed = sampler_options(name)
    for key, value in (options or {}).items():
        if key not in allowed:
            takes = f"its options: {', '.join('--' + k.replace('_', '-') for k in allowed)}" if allowed else \
                "it takes no options"
            raise ValueError(f"--{key.replace('_', '-')} does not apply to the sampler {name!r} ({takes})")
        for test, says in (_OPTION_VALUES[key], _SAMPLER_VALUES.get(name, {}).get(key, (lambda v: True, ""))):
            if not test(value):
                raise ValueError(f"--{key.replace('_', '-')} must be {says}, got {value!r}")
    return dict(options or {})


def _option(name: str):
    """A :class:`SamplerSpec` field for the sampler option ``name``: unset (``None``: the sampler's own default)."""
    return field(default=None, metadata={"help": f"{OPTION_HELP[name]} (default: the sampler's own; only for the "
                                                 f"samplers that take it)"})


@dataclass(frozen=True)
class SamplerSpec:
    """Which sampler of :data:`SAMPLERS`, on how many steps, with which of its options: checked when made
    (``ValueError`` naming the flag), then passed whole to :func:`~rdbm_core.restoration.evaluation.restore`.

    ``eta``, ``order``, ``corrector``: the samplers' options (:func:`sampler_options`); ``None`` leaves the
    sampler's default.  An option the sampler does not take is an error, except ``eta = 0`` (deterministic),
    which every sampler accepts: the deterministic ones drop it.  ``sampling_times(path)`` and :attr:`options`
    give what a sampler is called with.  Serialisable: :meth:`as_dict` (recorded with every result).
    """

    name: str = field(default="implicit", metadata={"flag": "--sampler", "choices": tuple(SAMPLERS),
                                                    "help": "the sampler (default implicit)"})
    steps: int = field(default=10, metadata={"help": "sampler steps: intervals of the time grid (default 10)"})
    eta: float | None = _option("eta")
    order: int | None = _option("order")
    corrector: bool | None = _option("corrector")

    def __post_init__(self):
        if self.name not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.name!r}; choose one of {', '.join(SAMPLERS)}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"--steps must be an integer >= 1, got {self.steps!r}")
        check_sampler_options(self.name, self.options)

    @property
    def given(self) -> dict:
        """The options set (not ``None``), as given."""
        return {f.name: getattr(self, f.name) for f in fields(self)[2:] if getattr(self, f.name) is not None}

    @property
    def options(self) -> dict:
        """The keyword arguments of ``SAMPLERS[name]``: the options set, less ``eta = 0`` for a sampler without
        ``eta``."""
        return {k: v for k, v in self.given.items() if not (k == "eta" and v == 0 and "eta" not in sampler_options(
            self.name))}

    def sampling_times(self, path: ResidualPath) -> torch.Tensor:
        """The time grid of ``steps`` intervals of ``path``'s schedule (``path.schedule.sampling_times``)."""
        return path.schedule.sampling_times(self.steps)

    def as_dict(self) -> dict:
        """``{"name", "steps", <options set>}``: what a result records of its sampling."""
        return {"name": self.name, "steps": self.steps, **self.given}
