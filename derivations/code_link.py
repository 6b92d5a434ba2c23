"""Fact 8: the symbolic objects, lambdified, equal ``rdbm_core``'s float64 numerics.

For each bridge of the family the check evaluates, on the bridge's own grid,

* the clock ``thbar_t`` of continuous schedules against ``int_0^t theta`` (SymPy);
* ``Theta, Psi, Sigma`` (``path.coefficients``);
* the posterior mean and std (``path.posterior``; for the unpinned IR-SDE too, since the posterior
  does not depend on ``thbar_T``);
* the PF-ODE velocity per unit clock (``path.velocity``), the reverse-SDE drift
  (``path.reverse_drift``) and the bridge drift (``path.bridge_drift``), each built
  from the *derived* expressions (h-transform drift, ``f - (g^2/2) score``);
* the implicit step (``samplers.implicit_step``) for ``eta = 0`` and ``eta = 1``;

and returns the largest error ``max |code - sympy| / max(1, |sympy|)``; the
tolerance is ``1e-10``.  Endpoints where an object is singular (velocity at the
clean and terminal points) are left out.  The velocity references are evaluated
at 40 digits (mpmath), so they carry no cancellation error of their own.

For ``lam = 0`` (the interpolant) the code's velocity keeps the term
``(x - E[x_t]) / (Sigma_t^2 / lam)``: that is the ``lam -> 0`` limit of the
family's PF-ODE (``lam / Sigma^2`` does not depend on ``lam``), and it is what the
Brownian-limit expression gives; on the path ``x = E[x_t]`` the term vanishes.
"""
from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from . import family, hbridge, ou, reverse, special_cases
from .common import a, b, c, lam, m, mu, pi, pihat, u, x, x0, xt, y

TOL = 1e-10
N_PIX = 5


def _torch():
    import torch  # noqa: PLC0415 (imported lazily: the symbolic facts do not need torch)

    from rdbm_core.bridge import bridges, samplers, schedules  # noqa: PLC0415
    return torch, bridges, samplers, schedules


def _err(code, ref) -> float:
    code = code.detach().cpu().numpy() if hasattr(code, "detach") else np.asarray(code)
    ref = np.broadcast_to(np.asarray(ref, dtype=np.float64), code.shape)
    return float(np.max(np.abs(code - ref) / np.maximum(1.0, np.abs(ref))))


def _data(torch, n, seed=0):
    g = torch.Generator().manual_seed(seed)
    x0v = torch.rand((n, N_PIX), generator=g, dtype=torch.float64) * 2 - 1
    muv = torch.rand((n, N_PIX), generator=g, dtype=torch.float64) * 2 - 1
    muv[:, 0] = x0v[:, 0]  # one intact pixel per sample
    xv = torch.rand((n, N_PIX), generator=g, dtype=torch.float64) * 2 - 1
    return x0v, muv, xv


def _paths():
    """(path, kind) pairs covering every branch of ``ResidualPath``: kind in {"ou", "zero", "brownian", "unpinned"}."""
    torch, bridges, _, schedules = _torch()
    return [
        (bridges.rdbm(lam=0.3), "ou"),
        (bridges.rdbm(lam=0.3, noise="global"), "ou"),
        (bridges.ou_bridge(schedules.continuous_linear(0.4, 3.0), 0.7, noise="modulated"), "ou"),
        (bridges.goub(), "ou"),
        (bridges.ddbm_vp(), "zero"),
        (bridges.ou_bridge(schedules.continuous_constant(2.0), 0.5, noise="global", target="zero"), "zero"),
        (bridges.bbdm(T=200), "brownian"),
        (bridges.ddbm_ve(), "brownian"),
        (bridges.i2sb(n=200), "brownian"),
        (bridges.interpolant(), "brownian"),  # lam = 0
        (bridges.irsde(), "unpinned"),
    ]


def _grid(path, torch, inner=False, max_points=48):
    """The bridge's own grid (64 steps for continuous time); ``inner`` drops both endpoints.  Long grids
    are thinned to ``max_points`` evenly spaced times, always keeping both ends."""
    sch = path.schedule
    ts = sch.times() if sch.discrete else sch.times(64)
    ts = ts[1:-1] if inner else ts
    if len(ts) > max_points:
        ts = ts[torch.linspace(0, len(ts) - 1, max_points).round().long().unique()]
    return ts


# ----------------------------------------------------------------------------- symbolic references

@functools.lru_cache(maxsize=None)
def _coeff_funcs(kind):
    """Lambdified ``(Theta, Psi, Sigma^2)`` of ``(u, c, lam)`` for one branch of the family."""
    if kind == "brownian":
        Th, Ps, S2, *_ = special_cases.brownian_forms()
    elif kind == "unpinned":
        Th, Ps, S2 = sp.exp(-u), 1 - sp.exp(-u), family.ou_var(u, 1)
    else:
        Th, S2 = family.Theta(u, c), family.Sigma2(u, c)
        Ps = family.Psi(u, c) if kind == "zero" else 1 - Th
    return [sp.lambdify((u, c, lam), e, "numpy") for e in (Th, Ps, S2)]


@functools.lru_cache(maxsize=None)
def _velocity_funcs(kind):
    """Lambdified PF-ODE velocity, reverse drift and bridge drift of ``(x, x0_hat, mu, u, c, lam)``
    built from the derived pieces (``f`` = h-transform drift, ``g^2/2 = lam s(pi)^2``)."""
    args = (x, x0, mu, u, c, lam)
    if kind == "brownian":
        _, _, _, f, sterm, _ = special_cases.brownian_forms()
        sterm = sterm.subs(pihat, x0 - mu)
    elif kind == "zero":
        f = hbridge.h_drift_clock(target=m, terminal=y).subs(pi, 1)
        sterm = -lam * sp.diff(ou.gaussian_log(x, reverse.general_target_mean(), family.Sigma2(u, c)), x)
        f, sterm = (e.subs({m: 0, y: mu}) for e in (f, sterm))
    elif kind == "unpinned":  # IR-SDE: the OU drift itself, global noise
        f = mu - x
        sterm = -lam * sp.diff(ou.gaussian_log(x, family.ou_mean(u, x0), family.ou_var(u, 1)), x)
    else:
        f = hbridge.h_drift_clock().subs(pi, x0 - mu)
        sterm = -lam * (x0 - mu) ** 2 * reverse.score().subs(pi, x0 - mu)  # -(g^2/2) score
    # f - (g^2/2) score and f - g^2 score, kept as sums of the two derived pieces
    vel, rev = f + sterm, f + 2 * sterm
    exprs = (vel, rev, f)
    assert all(e.free_symbols <= set(args) for e in exprs), "unexpected free symbols"
    return [_high_precision(sp.lambdify(args, e, "mpmath")) for e in exprs]


def _high_precision(f_mp, dps: int = 40):
    """Evaluate an mpmath-lambdified expression element-wise at ``dps`` digits on float64 inputs (converted
    exactly), so the reference carries no float64 cancellation error of its own (the velocity near ``T`` is a
    difference of two terms of size ``1/thbar_{t:T}``)."""
    import mpmath  # noqa: PLC0415

    ufunc = np.frompyfunc(lambda *z: f_mp(*(mpmath.mpf(float(v)) for v in z)), f_mp.__code__.co_argcount, 1)

    def evaluate(*arrays):
        with mpmath.workdps(dps):
            out = ufunc(*np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in arrays)))
        return np.asarray(out, dtype=np.float64)

    return evaluate


@functools.lru_cache(maxsize=None)
def _posterior_funcs(kind):
    """Lambdified ``(P, K, V)``: mean ``m + P (x0 - m) + K (x_t - m)``, variance ``V s(pi)^2`` of ``(a, b, lam)``."""
    if kind == "brownian":
        *_, (aa, bb, P, K, V) = special_cases.brownian_forms()
        P, K, V = (e.subs({aa: a, bb: b}) for e in (P, K, V))
    else:
        P, K, V = family.posterior_coefficients(a, b)
    return [sp.lambdify((a, b, lam), e, "numpy") for e in (P, K, V)]


# ----------------------------------------------------------------------------- checks

def check_schedule_clock():
    """Continuous schedules: ``clock(t) = int_0^t theta`` and ``theta(t)`` from SymPy (constant, linear, power)."""
    torch, _, _, schedules = _torch()
    tt, r = sp.symbols("t r", positive=True)
    cases = [(schedules.continuous_constant(1.7, 1.0), 1.7 + 0 * r),
             (schedules.continuous_linear(0.05, 1.0, 1.0), 0.05 + 1.0 * r),
             (schedules.continuous_power(1.0, 2.0, 80.0), 2 * r)]
    err = 0.0
    for sch, theta_expr in cases:
        thbar = sp.lambdify(tt, sp.integrate(theta_expr, (r, 0, tt)), "numpy")
        theta = sp.lambdify(r, theta_expr, "numpy")
        ts = sch.times(50)
        tn = ts.numpy()
        err = max(err, _err(sch.clock(ts), thbar(tn)), _err(sch.theta(ts[1:]), theta(tn[1:])))
    return err


def check_coefficients():
    """``path.coefficients(t) = (Theta, Psi, Sigma)`` for every branch (OU, target 0, Brownian, unpinned)."""
    torch, *_ = _torch()
    err = 0.0
    for path, kind in _paths():
        ts = _grid(path, torch)
        uu = path.schedule.clock(ts).numpy()
        Th, Ps, S2 = _coeff_funcs(kind)
        theta, psi, sigma = path.coefficients(ts)
        cT = path.schedule.u_T
        with np.errstate(divide="ignore", invalid="ignore"):
            err = max(err, _err(theta, Th(uu, cT, path.lam)), _err(psi, Ps(uu, cT, path.lam)),
                      _err(sigma, np.sqrt(np.maximum(S2(uu, cT, path.lam), 0))))
    return err


def check_posterior():
    """``path.posterior(x_t, x0, mu, t, s)``: mean ``m + P (x0 - m) + K (x_t - m)``, std ``sqrt(V) |s(pi)|``."""
    torch, *_ = _torch()
    err = 0.0
    for path, kind in _paths():
        ts = _grid(path, torch)
        t, s = ts[2:], ts[1:-1]  # s < t, consecutive and two apart
        t, s = torch.cat([t, ts[3:]]), torch.cat([s, ts[1:-2]])
        x0v, muv, xv = _data(torch, len(t))
        mean, std = path.posterior(xv, x0v, muv, t, s)
        a_s = path.schedule.clock(s).numpy()[:, None]
        b_st = path.schedule.clock(t).numpy()[:, None] - a_s
        P, K, V = (f(a_s, b_st, path.lam) for f in _posterior_funcs(kind))
        tgt = np.zeros_like(muv.numpy()) if kind == "zero" else muv.numpy()
        ref_mean = tgt + P * (x0v.numpy() - tgt) + K * (xv.numpy() - tgt)
        factor = np.abs(x0v.numpy() - muv.numpy()) if path.noise == "modulated" else 1.0
        err = max(err, _err(mean, ref_mean), _err(std, np.sqrt(V) * factor))
    return err


def check_velocity_and_drifts():
    """``path.velocity`` (PF-ODE), ``path.reverse_drift`` (``f - g^2 score``) and ``path.bridge_drift``
    per unit clock, on the inner grid, against the derived expressions."""
    torch, *_ = _torch()
    err = 0.0
    for path, kind in _paths():
        ts = _grid(path, torch, inner=True)
        x0v, muv, xv = _data(torch, len(ts), seed=1)
        uu = path.schedule.clock(ts).numpy()[:, None]
        vel, rev, f = _velocity_funcs(kind)
        args = (xv.numpy(), x0v.numpy(), muv.numpy(), uu, path.schedule.u_T, path.lam)
        err = max(err, _err(path.velocity(xv, x0v, muv, ts), vel(*args)),
                  _err(path.reverse_drift(xv, x0v, muv, ts), rev(*args)),
                  _err(path.bridge_drift(xv, muv, ts), f(*args) + 0 * xv.numpy()))
    return err


@functools.lru_cache(maxsize=None)
def _implicit_step_func(kind):
    """Lambdified implicit step of ``(x_t, x0_hat, mu, u_s, u_t, c, lam, rho2, z)`` for one branch:
    ``E[x_s | x0_hat] + sqrt((Sigma_s^2 - rho^2)/Sigma_t^2) (x_t - E[x_t | x0_hat]) + sqrt(rho^2) z`` with
    ``E[x | x0] = m + Theta (x0 - m) + Psi (mu - m)`` (target ``m = 0`` for "zero", ``mu`` otherwise) and the
    branch's own ``Theta, Psi, Sigma^2`` (OU bridge, target zero, Brownian limit, unpinned OU)."""
    if kind == "brownian":
        Th, Ps, S2, *_ = special_cases.brownian_forms()
    elif kind == "unpinned":
        Th, Ps, S2 = sp.exp(-u), 1 - sp.exp(-u), family.ou_var(u, 1)
    else:
        Th, Ps, S2 = family.Theta(u, c), family.Psi(u, c), family.Sigma2(u, c)
    uts, uss = sp.symbols("u_t u_s", positive=True)
    rho2, zz = sp.Symbol("rho2", nonnegative=True), sp.Symbol("z", real=True)
    tgt = 0 if kind == "zero" else mu
    mean = lambda v: tgt + Th.subs(u, v) * (x0 - tgt) + Ps.subs(u, v) * (mu - tgt)  # noqa: E731
    step = mean(uss) + sp.sqrt((S2.subs(u, uss) - rho2) / S2.subs(u, uts)) * (xt - mean(uts)) + sp.sqrt(rho2) * zz
    if kind == "ou":  # docs/theory.md eq. 8.1 itself (target mu, Psi = 1 - Theta)
        assert sp.simplify(step - family.implicit_step(xt, uss, uts, c, x0 - mu, rho2, zz)) == 0
    return sp.lambdify((xt, x0, mu, uss, uts, c, lam, rho2, zz), step, "numpy")


def check_implicit_step():
    """``samplers.implicit_step`` with ``eta = 0``, ``0.5`` and ``1`` against ``docs/theory.md`` eq. 8.1 (``rho^2 = eta^2``
    times the posterior variance; the same ``z`` drawn from the same seed) on every branch with ``lam > 0``: OU
    bridge (modulated and global), target zero (DDBM-VP), Brownian (BBDM, DDBM-VE, I2SB) and unpinned (IR-SDE).
    Mutation tried: the step's ratio ``(Sigma_s^2 - rho^2)/Sigma_t^2`` without the square root in the reference
    -> error 0.88: fails.  The interpolant (``lam = 0``, ``Sigma = 0`` everywhere) is left out here: the code
    takes the ``lam -> 0`` limit there (the ratio ``Sigma_s/Sigma_t`` does not depend on ``lam``), which
    ``tests/core/test_samplers.py::test_interpolant_step_is_the_small_lam_limit`` checks against a tiny ``lam``."""
    torch, bridges, samplers, _ = _torch()
    err = 0.0
    for path, kind in _paths():
        if path.lam == 0:
            continue
        ts = _grid(path, torch, inner=True)
        t, s = ts[1:], ts[:-1]
        x0v, muv, xv = _data(torch, len(t), seed=2)
        ut, us = path.schedule.clock(t).numpy()[:, None], path.schedule.clock(s).numpy()[:, None]
        f = _implicit_step_func(kind)
        for eta in (0.0, 0.5, 1.0):
            g = torch.Generator().manual_seed(7)
            code = samplers.implicit_step(path, xv, x0v, muv, t, s, eta=eta, generator=g)
            z = torch.randn(xv.shape, generator=torch.Generator().manual_seed(7), dtype=xv.dtype).numpy()
            V = _posterior_funcs(kind)[2](us, ut - us, path.lam) * eta ** 2
            factor = (x0v - muv).numpy() if path.noise == "modulated" else 1.0
            ref = f(xv.numpy(), x0v.numpy(), muv.numpy(), us, ut, path.schedule.u_T, path.lam, V, z * factor)
            err = max(err, _err(code, ref))
    return err


FACTS = [
    ("code.schedule_clock", check_schedule_clock, 0, "continuous clocks = int theta (SymPy)", TOL),
    ("code.coefficients", check_coefficients, 0, "Theta, Psi, Sigma of every branch", TOL),
    ("code.posterior", check_posterior, 0, "posterior mean and std", TOL),
    ("code.velocity_and_drifts", check_velocity_and_drifts, 0, "PF-ODE velocity, reverse drift, bridge drift", TOL),
    ("code.implicit_step", check_implicit_step, 0,
     "implicit step, eta = 0, 0.5, 1, on the OU, target-zero, Brownian and unpinned branches", TOL),
]
