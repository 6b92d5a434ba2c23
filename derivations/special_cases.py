"""Fact 7: the special cases of the residual bridge family (docs/theory.md §11).

Each model gets (i) a symbolic identity or limit and (ii) a numeric check in the
model's *own* parameterisation: its formula as its paper/code writes it, on its
own grid, against the family's formula with the mapped parameters (float64).
Every special case except the deterministic interpolant uses *global* noise
(noise factor ``s(pi) = 1`` instead of ``pi``); the factor only multiplies the
variance, so the coefficient identities are the same for RDBM.

The small numpy grids below (GOUB/IR-SDE cosine grid, DDBM, BBDM and I2SB
schedules) follow the published conventions; they are written here so that the
derivations do not depend on the library they are meant to check.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from . import family, ou
from .common import (C, U, backward_kolmogorov_residual, c, complete_square, exp_to_rational, lam, m, mu,
                     pi, pihat, u, x, x0, y, zero, zeros)

# ----------------------------------------------------------------------------- symbols

lamG = sp.Symbol("lambda_GOUB", positive=True)  # GOUB's lambda: a standard deviation
delta = sp.Symbol("delta", positive=True)  # the small parameter of the theta -> 0 limits (docs/theory.md eq. 11.4)
G_t, H = sp.symbols("G_t H", positive=True)  # G_T = G_t + H > G_t
G_T = G_t + H
beta_n = sp.Symbol("beta_n", positive=True)
m_t, s_b = sp.symbols("m_t s", positive=True)
inv_gamma = sp.Symbol(r"\gamma^{-1}", positive=True)  # 1/gamma of UniDB
tt, TT, th = sp.symbols("t T theta", positive=True)

NUM_TOL = 1e-12


def _max_err(f, g):
    return sp.Float(float(np.max(np.abs(np.asarray(f, dtype=np.float64) - np.asarray(g, dtype=np.float64)))))


# ----------------------------------------------------------------------------- grids (numpy)

def goub_grid(T: int = 100, eps: float = 0.005, s: float = 0.008) -> np.ndarray:
    """IR-SDE / GOUB clock on indices 0..T: ``theta = 1 - alpha_bar`` of the cosine schedule
    (``T + 3`` points, inner ``T + 1``), cumulative sum shifted so index 0 is clean, rescaled so
    ``thbar_T = -ln(eps)``."""
    n = T + 2
    grid = np.linspace(0, n, n + 1) / n
    alpha_bar = np.cos((grid + s) / (1 + s) * math.pi / 2) ** 2
    theta_i = 1 - (alpha_bar / alpha_bar[0])[1:-1]
    cum = np.cumsum(theta_i) - theta_i[0]
    return cum * (-math.log(eps) / cum[-1])


def i2sb_betas(n: int = 1000, beta_max: float = 0.3) -> np.ndarray:
    """I2SB's symmetric schedule: ``linspace(sqrt(1e-4), sqrt(beta_max/n), n)^2``, first half mirrored."""
    betas = np.linspace(1e-4 ** 0.5, (beta_max / n) ** 0.5, n) ** 2
    half = betas[: n // 2]
    return np.concatenate([half, half[::-1]])


# ============================================================================= GOUB

def goub_forms():
    """GOUB's marginal and drift as its paper writes them (``sigma_bar^2_t = lambda^2 (1 - e^{-2 thbar_t})``)."""
    sb2 = lambda v: lamG ** 2 * (1 - sp.exp(-2 * v))  # noqa: E731
    mean_coef = sp.exp(-u) * sb2(c - u) / sb2(c)
    var = sb2(u) * sb2(c - u) / sb2(c)
    g2 = 2 * lamG ** 2  # per unit clock
    drift_coef = 1 + g2 * sp.exp(-2 * (c - u)) / sb2(c - u)  # multiplies (mu - x)
    return mean_coef, var, drift_coef


def check_goub_identity():
    """GOUB = family with ``lam = lambda_GOUB^2``, ``s(pi) = 1``: same mean, variance and drift."""
    mean_coef, var, drift_coef = goub_forms()
    sub = {lam: lamG ** 2}
    return zeros(mean_coef - family.Theta(u, c), var - family.Sigma2(u, c).subs(sub),
                 drift_coef - sp.coth(c - u))


def check_goub_numeric():
    """GOUB's formulas on GOUB's grid (lambda = 10/255) vs the family's sinh forms."""
    grid = goub_grid()
    cT = grid[-1]
    lg = 10 / 255
    mean_coef, var, drift_coef = goub_forms()
    args = (u, c, lamG)
    fam = (sp.lambdify(args, family.Theta(u, c)), sp.lambdify(args, family.Sigma2(u, c).subs(lam, lamG ** 2)))
    own = (sp.lambdify(args, mean_coef), sp.lambdify(args, var))
    err = max(_max_err(fam[i](grid, cT, lg), own[i](grid, cT, lg)) for i in range(2))
    inner = grid[:-1]  # the drift is singular at T
    err_d = _max_err(sp.lambdify(args, drift_coef)(inner, cT, lg) / np.cosh(cT - inner) * np.sinh(cT - inner), 1.0)
    return max(err, err_d)


# ============================================================================= IR-SDE

def check_irsde_limit():
    """``thbar_T -> oo``: ``Theta -> e^{-thbar_t}``, ``Sigma^2 -> lam (1 - e^{-2 thbar_t})`` (unpinned OU)."""
    th_lim = sp.limit(exp_to_rational(family.Theta(u, c)), C, sp.oo)
    s2_lim = sp.limit(exp_to_rational(family.Sigma2(u, c)), C, sp.oo)
    return zeros(th_lim - 1 / U, s2_lim - exp_to_rational(family.ou_var(u, 1)))


def check_irsde_numeric():
    """IR-SDE's marginal on its grid (lambda = 10/255) vs the family bridge with ``thbar_T = 40``."""
    grid = goub_grid()
    lamv = (10 / 255) ** 2
    theta_f = sp.lambdify((u, c), family.Theta(u, c))
    sig_f = sp.lambdify((u, c, lam), family.Sigma2(u, c))
    err_m = _max_err(theta_f(grid, 40.0), np.exp(-grid))
    err_v = _max_err(sig_f(grid, 40.0, lamv), lamv * (1 - np.exp(-2 * grid)))
    return max(err_m, err_v)


# ============================================================================= VE bridge / DDBM-VE / BBDM

@functools.lru_cache(maxsize=None)
def ve_limits():
    """``theta -> 0`` with ``2 lam theta = g^2`` fixed: ``thbar = delta G``, ``lam = 1/(2 delta)``, ``delta -> 0``."""
    th_lim = sp.limit(family.Theta(delta * G_t, delta * G_T), delta, 0)
    s2_lim = sp.limit(family.Sigma2(delta * G_t, delta * G_T).subs(lam, 1 / (2 * delta)), delta, 0)
    return th_lim, s2_lim


def check_ve_limit():
    """``Theta -> 1 - G_t/G_T`` and ``Sigma^2 -> G_t (G_T - G_t) / G_T``."""
    th_lim, s2_lim = ve_limits()
    return zeros(th_lim - (1 - G_t / G_T), s2_lim - G_t * (G_T - G_t) / G_T)


def check_ddbm_ve_identity():
    """DDBM-VE (``G_t = t^2``, ``G_T = sigma_max^2 = T^2``): mean ``(t^2/T^2) x_T + (1 - t^2/T^2) x0``,
    variance ``t^2 (1 - t^2/T^2)`` equal the VE limit."""
    th_lim, s2_lim = ve_limits()
    sub = {G_t: tt ** 2, H: TT ** 2 - tt ** 2}
    snr_ratio = tt ** 2 / TT ** 2  # SNR_T / SNR_t for VE
    ddbm_mean = snr_ratio * mu + (1 - snr_ratio) * x0
    fam_mean = mu + th_lim.subs(sub) * (x0 - mu)
    return zeros(ddbm_mean - fam_mean, tt ** 2 * (1 - snr_ratio) - s2_lim.subs(sub))


def check_ddbm_ve_numeric():
    """DDBM-VE (sigma_max = 80) on ``t in [0.002, 80]`` vs the OU family at ``delta = 1e-9`` (variance error
    relative to its maximum; the OU family differs by ``O((delta G_T)^2)``)."""
    tgrid = np.linspace(0.002, 80.0, 200)
    ev = 1e-9
    Gt, GT = tgrid ** 2, 80.0 ** 2
    theta_f = sp.lambdify((u, c), family.Theta(u, c))
    sig_f = sp.lambdify((u, c, lam), family.Sigma2(u, c))
    ddbm_coef, ddbm_var = 1 - Gt / GT, Gt * (1 - Gt / GT)
    err_m = _max_err(theta_f(ev * Gt, ev * GT), ddbm_coef)
    err_v = _max_err(sig_f(ev * Gt, ev * GT, 1 / (2 * ev)), ddbm_var) / float(np.max(ddbm_var))
    return max(err_m, err_v)


@functools.lru_cache(maxsize=None)
def brownian_forms():
    """The ``theta -> 0`` (Brownian / VE) members in their own clock ``u = G/(2 lam)`` (so ``Sigma^2`` keeps the
    factor ``2 lam``), each obtained as a limit of the OU family (``u -> delta u``, ``c -> delta c``,
    ``lam -> lam/delta``, rates per unit clock ``-> delta * rate``, ``delta -> 0``).

    Returns ``(Theta, Psi, Sigma^2, f, score_term, (a, b, P, K, V))``: the bridge drift ``f``, the PF-ODE's
    score term ``lam (x - mu - Theta pi_hat)/Sigma^2`` (velocity ``f + score_term``, reverse drift
    ``f + 2 score_term``) and the posterior coefficients."""
    uu, cc = u, c
    sub = {lam: lam / delta}
    Th = sp.limit(family.Theta(delta * uu, delta * cc), delta, 0)
    Ps = sp.limit(family.Psi(delta * uu, delta * cc), delta, 0)
    S2 = sp.limit(family.Sigma2(delta * uu, delta * cc).subs(sub), delta, 0)
    f_ou = family.bridge_drift(delta * uu, delta * cc)
    f = sp.limit(delta * f_ou, delta, 0)
    sterm = sp.limit(sp.expand(delta * (family.pf_velocity(x, delta * uu, delta * cc, pihat) - f_ou).subs(sub)),
                     delta, 0)
    aa, bb = sp.symbols("a_s b_st", positive=True)
    P, K, V = (sp.limit(q.subs(sub), delta, 0) for q in family.posterior_coefficients(delta * aa, delta * bb))
    return Th, Ps, S2, f, sterm, (aa, bb, P, K, V)


def check_brownian_forms():
    """Brownian members: ``Theta = b/c``, ``Psi = a/c``, ``Sigma^2 = 2 lam a b/c``, drift ``(mu - x)/b``, score
    term ``lam (x - mu - Theta pi_hat)/Sigma^2``, posterior ``(b/(a+b), a/(a+b), 2 lam a b/(a+b))``."""
    Th, Ps, S2, f, sterm, (aa, bb, P, K, V) = brownian_forms()
    bq = c - u
    return zeros(Th - bq / c, Ps - u / c, S2 - 2 * lam * u * bq / c, f - (mu - x) / bq,
                 sterm - lam * (x - mu - bq / c * pihat) / (2 * lam * u * bq / c),
                 P - bb / (aa + bb), K - aa / (aa + bb), V - 2 * lam * aa * bb / (aa + bb))


def check_bbdm_identity():
    """BBDM (``G_t = 2 s m_t``, ``G_T = 2 s``): ``Theta = 1 - m_t``, ``Sigma^2 = 2 s (m_t - m_t^2)``."""
    th_lim, s2_lim = ve_limits()
    sub = {G_t: 2 * s_b * m_t, H: 2 * s_b * (1 - m_t)}
    return zeros(th_lim.subs(sub) - (1 - m_t), s2_lim.subs(sub) - 2 * s_b * (m_t - m_t ** 2))


def check_bbdm_numeric():
    """BBDM's code grid ``m_t = linspace(0.001, 0.999, 1000)``, ``s = 1``: ``x_t = (1 - m_t) x0 + m_t y +
    sqrt(2 s (m_t - m_t^2)) eps`` vs the OU family at ``delta = 1e-9``."""
    mt = np.linspace(0.001, 0.999, 1000)
    ev, sv = 1e-9, 1.0
    theta_f = sp.lambdify((u, c), family.Theta(u, c))
    sig_f = sp.lambdify((u, c, lam), family.Sigma2(u, c))
    err_m = _max_err(theta_f(ev * 2 * sv * mt, ev * 2 * sv), 1 - mt)
    err_v = _max_err(sig_f(ev * 2 * sv * mt, ev * 2 * sv, 1 / (2 * ev)), 2 * sv * (mt - mt ** 2))
    return max(err_m, err_v)


# ============================================================================= I2SB

def i2sb_product():
    """I2SB's Gaussian product ``N(x_n; x0, sf2) N(x_N; x_n, sb2)`` in ``x_n``: coefficients of ``x0``,
    ``x_N`` and the variance (its ``compute_gaussian_product_coef``)."""
    sf2, sb2 = sp.symbols("sigma_f^2 sigma_b^2", positive=True)
    xN = sp.Symbol("x_N", real=True)
    mean, var = complete_square(ou.gaussian_log(x, x0, sf2) + ou.gaussian_log(xN, x, sb2), x)
    mean = sp.expand(sp.cancel(mean))
    return sf2, sb2, mean.coeff(x0), mean.coeff(xN), sp.cancel(var)


def check_i2sb_continuous():
    """With continuous stds (``sf2 = G_t``, ``sb2 = G_T - G_t``) I2SB's product is the VE bridge limit."""
    sf2, sb2, c0, cN, var = i2sb_product()
    th_lim, s2_lim = ve_limits()
    sub = {sf2: G_t, sb2: H}
    return zeros(c0.subs(sub) - th_lim, cN.subs(sub) - (1 - th_lim), var.subs(sub) - s2_lim)


def i2sb_discrepancy():
    """Discrete stds ``sf2 = sum_{k<=n} beta_k = G_n``, ``sb2 = sum_{k>=n} beta_k = G_T - G_n + beta_n`` count
    ``beta_n`` twice (denominator ``G_T + beta_n``): (x0-coefficient, variance) minus the continuous bridge."""
    sf2, sb2, c0, cN, var = i2sb_product()
    sub = {sf2: G_t, sb2: H + beta_n}
    th_lim, s2_lim = ve_limits()
    return sp.cancel(c0.subs(sub) - th_lim), sp.cancel(var.subs(sub) - s2_lim)


def check_i2sb_discrepancy():
    """The one-step discrepancy is ``G_n beta_n / (G_T (G_T + beta_n))`` on the x0-coefficient and
    ``G_n^2 beta_n / (G_T (G_T + beta_n))`` on the variance (both -> 0 with ``beta_n``)."""
    dc, dv = i2sb_discrepancy()
    return zeros(dc - G_t * beta_n / (G_T * (G_T + beta_n)), dv - G_t ** 2 * beta_n / (G_T * (G_T + beta_n)),
                 sp.limit(dc, beta_n, 0), sp.limit(dv, beta_n, 0))


def i2sb_numbers(n: int = 1000, beta_max: float = 0.3) -> dict:
    """I2SB's discrete coefficients computed its way (``std_fwd = sqrt(cumsum(betas))``, ``std_bwd`` from the
    flipped cumsum, Gaussian product) vs the continuous bridge at ``G_n``; sizes of the discrepancy."""
    betas = i2sb_betas(n, beta_max)
    std_fwd2 = np.cumsum(betas)
    std_bwd2 = np.flip(np.cumsum(np.flip(betas)))
    denom = std_fwd2 + std_bwd2
    coef_x0, var = std_bwd2 / denom, std_fwd2 * std_bwd2 / denom
    GT, Gn = float(np.sum(betas)), std_fwd2
    cont_coef, cont_var = 1 - Gn / GT, Gn * (GT - Gn) / GT
    formula_c = Gn * betas / (GT * (GT + betas))
    formula_v = Gn ** 2 * betas / (GT * (GT + betas))
    return {
        "G_T": GT,
        "beta_max": float(betas.max()),
        "max_coef_discrepancy": float(np.max(np.abs(coef_x0 - cont_coef))),
        "max_var_discrepancy": float(np.max(np.abs(var - cont_var))),
        "max_var_discrepancy_relative_to_G_T": float(np.max(np.abs(var - cont_var)) / GT),
        "max_std_discrepancy": float(np.max(np.abs(np.sqrt(var) - np.sqrt(np.maximum(cont_var, 0))))),
        "std_discrepancy_relative_at_n_minus_2": float(1 - np.sqrt(max(cont_var[-2], 0) / var[-2])),
        "formula_error": float(max(np.max(np.abs(coef_x0 - cont_coef - formula_c)),
                                   np.max(np.abs(var - cont_var - formula_v)))),
    }


def check_i2sb_numeric():
    """On I2SB's own schedule the measured discrepancy equals the symbolic formula (float64)."""
    return sp.Float(i2sb_numbers()["formula_error"])


# ============================================================================= deterministic interpolant

def check_interpolant_lam0():
    """``lam -> 0``: ``Sigma^2 -> 0`` with the mean ``mu + Theta_t pi`` unchanged (it does not involve ``lam``),
    and what the sampler uses has a finite ``lam -> 0`` limit that does not depend on ``lam``: the PF-ODE
    velocity ``coth(thbar_{t:T})(mu - x) + lam (x - mu - Theta pi_hat)/Sigma^2`` and the eta = 0 step's ratio
    ``Sigma_s/Sigma_t``.  So the deterministic interpolant ``x_t = mu + Theta_t pi`` is sampled by the same
    formulas.  Mutation tried: ``Sigma^2`` proportional to ``lam^2`` (a std proportional to ``lam``) -> the
    velocity's score term becomes ``1/lam``: fails."""
    us = sp.Symbol("u_s", positive=True)
    ratio2 = family.Sigma2(us, c) / family.Sigma2(u, c)
    velocity = family.pf_velocity(x, u, c, pihat)
    return zeros(sp.limit(family.Sigma2(u, c), lam, 0), sp.diff(family.bridge_mean(u, c), lam),
                 sp.diff(velocity, lam), sp.diff(ratio2, lam))


def check_interpolant_linear():
    """Constant ``theta -> 0``: ``Theta_t -> 1 - t/T`` (linear interpolation between ``x0`` and ``mu``)."""
    return zero(sp.limit(family.Theta(th * tt, th * TT), th, 0) - (1 - tt / TT))


def check_interpolant_velocity():
    """...and the ODE velocity ``theta coth(theta (T - t)) (mu - x)`` along ``x = mu + (1 - t/T) pi`` tends
    to the constant ``-pi/T = (mu - x0)/T`` (flow matching's straight line)."""
    v = th * sp.coth(th * (TT - tt)) * (-(1 - tt / TT) * pi)
    return sp.cancel(sp.limit(v, th, 0) + pi / TT)


def check_interpolant_numeric():
    """Constant ``theta = 1e-7`` on ``t in [0, 1]``: the family's ``Theta`` is ``1 - t`` to 1e-12."""
    tg = np.linspace(0.0, 1.0, 101)
    theta_f = sp.lambdify((u, c), family.Theta(u, c))
    return _max_err(theta_f(1e-7 * tg, 1e-7), 1 - tg)


# ============================================================================= DDBM-VP (general target)

def general_target_product():
    """Mean and variance of ``p(x_t | x0) p(x_T = y | x_t)`` for the OU process with target ``m``
    (global noise)."""
    logq = ou.kernel_logpdf(x, x0, u, target=m, noise=1) + ou.kernel_logpdf(y, x, c - u, target=m, noise=1)
    return complete_square(exp_to_rational(logq), x)


def check_general_target():
    """Target ``m``, endpoint ``y``: mean ``m + Theta (x0 - m) + Psi (y - m)``, variance ``Sigma^2``."""
    mean, var = general_target_product()
    claimed = m + family.Theta(u, c) * (x0 - m) + family.Psi(u, c) * (y - m)
    return zeros(mean - claimed, var - family.Sigma2(u, c))


def ddbm_vp_forms():
    """DDBM-VP's log-SNR form with ``a_t = e^{-thbar_t}``, ``sigma_t^2 = 1 - a_t^2``, ``SNR = a^2/sigma^2``."""
    a_t, a_T = sp.exp(-u), sp.exp(-c)
    snr_t, snr_T = a_t ** 2 / (1 - a_t ** 2), a_T ** 2 / (1 - a_T ** 2)
    r = snr_T / snr_t
    return a_t * (1 - r), r * a_t / a_T, (1 - a_t ** 2) * (1 - r)  # coef of x0, coef of x_T, variance


def check_ddbm_vp_identity():
    """DDBM-VP = target ``m = 0``, ``lam = 1``: ``a_t (1 - SNR_T/SNR_t) = Theta``,
    ``(SNR_T/SNR_t)(a_t/a_T) = Psi``, ``sigma_t^2 (1 - SNR_T/SNR_t) = Sigma^2``."""
    c0, cT, var = ddbm_vp_forms()
    return zeros(c0 - family.Theta(u, c), cT - family.Psi(u, c), var - family.Sigma2(u, c).subs(lam, 1))


def check_ddbm_vp_schedule():
    """``theta_t = (beta_min + beta_d t)/2`` and ``lam = 1`` make the OU process DDBM's VP SDE
    ``dx = -beta(t)/2 x dt + sqrt(beta(t)) dw`` (target 0): ``g^2 = 2 lam theta_t = beta(t)``, and the OU
    marginal ``N(e^{-thbar_t} x0, lam (1 - e^{-2 thbar_t}))`` is DDBM's, written as in its code:
    ``log alpha_t = -beta_d t^2/4 - beta_min t/2`` and ``logsnr_t = -log(expm1(beta_d t^2/2 + beta_min t))``
    with ``sigma_t^2 = alpha_t^2 e^{-logsnr_t}``.  Mutation tried: ``theta_t = beta(t)`` (no 1/2) -> fails."""
    bmin, bd, r = sp.symbols("beta_min beta_d r", positive=True)
    beta = bmin + bd * tt
    theta_t = beta / 2
    thbar = sp.integrate(theta_t.subs(tt, r), (r, 0, tt))
    log_alpha = -bd * tt ** 2 / 4 - bmin * tt / 2
    logsnr = -sp.log(sp.exp(bd * tt ** 2 / 2 + bmin * tt) - 1)
    sigma2 = sp.exp(2 * log_alpha - logsnr)
    return zeros(2 * 1 * theta_t - beta, sp.exp(-thbar) - sp.exp(log_alpha),
                 sp.expand(family.ou_var(thbar, 1).subs(lam, 1) - sigma2))


def check_ddbm_vp_numeric():
    """DDBM-VP with DDBM's defaults (beta_min = 0.1, beta_d = 2, T = 1), written with alpha_t, sigma_t, SNR on
    ``t in [1e-3, 1]``, vs the family with target 0 (x0-coef, x_T-coef, variance)."""
    bmin, bmax = 0.1, 2.1
    tg = np.linspace(1e-3, 1.0, 400)
    int_beta = bmin * tg + 0.5 * (bmax - bmin) * tg ** 2
    alpha = np.exp(-0.5 * int_beta)
    sigma2 = 1 - alpha ** 2
    alpha_T, sigma2_T = alpha[-1], sigma2[-1]
    snr, snr_T = alpha ** 2 / sigma2, alpha_T ** 2 / sigma2_T
    own = (alpha * (1 - snr_T / snr), snr_T / snr * alpha / alpha_T, sigma2 * (1 - snr_T / snr))
    thbar = 0.5 * int_beta
    fam = [sp.lambdify((u, c), e)(thbar, thbar[-1])
           for e in (family.Theta(u, c), family.Psi(u, c), family.Sigma2(u, c).subs(lam, 1))]
    return max(_max_err(f, o) for f, o in zip(fam, own))


# ============================================================================= UniDB

def unidb_log_h(z=x):
    """``h_gamma(x, t) = int p(x_T | x_t = x) N(mu; x_T, 1/gamma) dx_T = N(mu; mu + e^{-d}(x - mu), V_{t:T} + 1/gamma)``
    (variances of independent Gaussians add): the terminal penalty ``(gamma/2)|x_T - mu|^2`` of the SOC problem."""
    mean = family.ou_mean(c - u, z)
    return ou.gaussian_log(mu, mean, family.ou_var(c - u, 1) + inv_gamma)


def unidb_forms():
    """The marginal of UniDB's SOC-optimal process (terminal cost ``(gamma/2)|x_T - mu|^2``; its optimal control is
    the h-transform with :func:`unidb_log_h`), written in GOUB's notation ``s2_v = lam (1 - e^{-2 v})``:
    mean coefficient ``e^{-thbar_t} (s2_{t:T} + 1/gamma)/(s2_T + 1/gamma)``, variance
    ``s2_t (s2_{t:T} + 1/gamma)/(s2_T + 1/gamma)``.  Derived here, not transcribed from the UniDB paper."""
    s2 = lambda v: lam * (1 - sp.exp(-2 * v))  # noqa: E731
    ratio = (s2(c - u) + inv_gamma) / (s2(c) + inv_gamma)
    return sp.exp(-u) * ratio, s2(u) * ratio


def unidb_published():
    """UniDB-GOU as published (Zhu et al. 2025, code ``UniDB-SOC/UniDB``, ``UniDB-GOU/utils/sde_utils.py``), in the
    clock ``u = thbar_t`` with its ``sigma_bar^2_v = lambda^2 (1 - e^{-2 v})`` (``lambda^2 = lam`` here) and
    ``g^2 = 2 lambda^2`` per unit clock, transcribed independently of :func:`unidb_forms`:

    * ``m(t) = e^{-thbar_t} (1/gamma + sigma_bar^2_{t:T}) / (1/gamma + sigma_bar^2_T)`` (coefficient of ``x0``),
      ``n(t) = 1 - m(t)`` (coefficient of ``x_T = mu``);
    * ``f_sigma(t)^2 = sigma_bar^2_t sigma_bar^2_{t:T} / sigma_bar^2_T`` (the code's std, GOUB's, free of ``gamma``);
    * the controlled drift ``(mu - x) - g^2 e^{-2 thbar_{t:T}} / (1/gamma + sigma_bar^2_{t:T}) (x - mu)``.

    Returns ``(m, n, f_sigma^2, drift)``."""
    sb2 = lambda v: lam * (1 - sp.exp(-2 * v))  # noqa: E731
    m_t = sp.exp(-u) * (inv_gamma + sb2(c - u)) / (inv_gamma + sb2(c))
    drift = (mu - x) - 2 * lam * sp.exp(-2 * (c - u)) / (inv_gamma + sb2(c - u)) * (x - mu)
    return m_t, 1 - m_t, sb2(u) * sb2(c - u) / sb2(c), drift


def check_unidb_product():
    """Conditioning on a Gaussian terminal observation of precision gamma (Gaussian product) gives UniDB's
    published mean ``m(t) x0 + n(t) mu`` (:func:`unidb_published`) and the variance of :func:`unidb_forms`.
    UniDB's code uses GOUB's ``gamma``-free variance instead, smaller than its own process's marginal variance by
    exactly ``sigma_bar^2_t (1/gamma)(sigma_bar^2_T - sigma_bar^2_{t:T}) / (sigma_bar^2_T (sigma_bar^2_T + 1/gamma))``
    (``>= 0``, ``-> 0`` as ``1/gamma -> 0``).  Mutation tried: ``m(t)`` with ``sigma_bar^2_t`` in place of
    ``sigma_bar^2_{t:T}`` -> fails."""
    logq = ou.kernel_logpdf(x, mu + pi, u, noise=1) + unidb_log_h()
    mean, var = complete_square(exp_to_rational(logq), x)
    m_t, n_t, code_var, _ = unidb_published()
    coef, v = unidb_forms()
    sb2 = lambda w: lam * (1 - sp.exp(-2 * w))  # noqa: E731
    gap = sb2(u) * inv_gamma * (sb2(c) - sb2(c - u)) / (sb2(c) * (sb2(c) + inv_gamma))
    return zeros(mean - (m_t * (mu + pi) + n_t * mu), var - v, v - code_var - gap)


def check_unidb_harmonic():
    """``h_gamma`` solves the backward Kolmogorov equation (so the conditioned process is a diffusion), and its
    h-transform drift ``(mu - x) + 2 lam d/dx log h_gamma`` is UniDB's published controlled drift.
    Mutation tried: the published drift with ``sigma_bar^2_T`` in its denominator -> fails."""
    h_drift = (mu - x) + 2 * lam * sp.diff(unidb_log_h(), x)
    return zeros(backward_kolmogorov_residual(unidb_log_h(), x, u, mu - x, lam), h_drift - unidb_published()[3])


def check_unidb_goub_limit():
    """``1/gamma -> 0`` recovers GOUB: UniDB's published ``m(t) -> Theta``, its drift -> GOUB's
    ``coth(thbar_{t:T})(mu - x)``, the derived variance ``-> Sigma^2``."""
    m_t, _, _, drift = unidb_published()
    _, v = unidb_forms()
    return zeros(sp.limit(m_t, inv_gamma, 0) - family.Theta(u, c), sp.limit(v, inv_gamma, 0) - family.Sigma2(u, c),
                 sp.limit(drift, inv_gamma, 0) - family.bridge_drift(u, c))


def unidb_terminal_clock():
    """``c' = thbar_T + ln(1 + 1/(gamma lam))/2``: the terminal clock of the family's bridge that is UniDB."""
    return c + sp.log(1 + inv_gamma / lam) / 2


def check_unidb_member():
    """UniDB is a member of the family: its marginal (:func:`unidb_forms`) is the bridge pinned at the *later*
    terminal clock ``c' = thbar_T + ln(1 + 1/(gamma lam))/2`` (:func:`unidb_terminal_clock`), looked at on
    ``[0, thbar_T]`` only: ``Theta(u, c')`` and ``Sigma^2(u, c')``.  So ``gamma -> oo`` (``c' -> thbar_T``) is GOUB
    and ``gamma -> 0`` (``c' -> oo``) the free OU process, IR-SDE.  Mutation tried:
    ``c' = thbar_T + ln(1 + 1/(gamma lam))`` (the 1/2 dropped) -> fails."""
    coef, v = unidb_forms()
    cp = unidb_terminal_clock()
    return zeros(coef - family.Theta(u, cp), v - family.Sigma2(u, cp))


def check_unidb_numeric():
    """GOUB grid, ``lam = (10/255)^2``: the closed form equals the product-derived expression (gamma = 1e3), and
    at gamma = 1e7 its mean coefficient is within ``1/(gamma s2_T)`` of GOUB's."""
    grid, lamv = goub_grid(), (10 / 255) ** 2
    cT, inner = grid[-1], grid[1:]  # the derived form has 0/0 at the clean point
    logq = ou.kernel_logpdf(x, mu + pi, u, noise=1) + unidb_log_h()
    mean, var = complete_square(exp_to_rational(logq), x)
    back = {U: sp.exp(u), C: sp.exp(c)}
    args = (u, c, lam, inv_gamma)
    derived_c = sp.lambdify(args, sp.cancel((mean - mu) / pi).subs(back))
    derived_v = sp.lambdify(args, var.subs(back))
    coef, v = unidb_forms()
    own_c, own_v = sp.lambdify(args, coef), sp.lambdify(args, v)
    err = max(_max_err(derived_c(inner, cT, lamv, 1e-3), own_c(inner, cT, lamv, 1e-3)),
              _max_err(derived_v(inner, cT, lamv, 1e-3), own_v(inner, cT, lamv, 1e-3)))
    # distance to GOUB for gamma = 1e7: |coef - Theta| <= (1/gamma) / s2_T
    s2T = lamv * (1 - math.exp(-2 * cT))
    goub = sp.lambdify((u, c), family.Theta(u, c))(grid, cT)
    dist = float(np.max(np.abs(own_c(grid, cT, lamv, 1e-7) - goub)))
    return err if dist <= 1e-7 / s2T else sp.Float(dist)


# ============================================================================= registry

FACTS = [
    ("special.goub_identity", check_goub_identity, 0, "GOUB: lam = lambda_GOUB^2, s(pi) = 1 (mean, var, drift)"),
    ("special.goub_numeric", check_goub_numeric, 0, "GOUB's grid, its e^{-2 thbar} forms", NUM_TOL),
    ("special.irsde_limit", check_irsde_limit, 0, "IR-SDE: thbar_T -> oo gives the unpinned OU marginal"),
    ("special.irsde_numeric", check_irsde_numeric, 0, "IR-SDE grid vs bridge with thbar_T = 40", NUM_TOL),
    ("special.ve_limit", check_ve_limit, 0, "theta -> 0, 2 lam theta = g^2: Theta -> 1 - G_t/G_T, ..."),
    ("special.ddbm_ve_identity", check_ddbm_ve_identity, 0, "DDBM-VE: G_t = t^2, G_T = sigma_max^2"),
    ("special.ddbm_ve_numeric", check_ddbm_ve_numeric, 0, "DDBM-VE sigma_max = 80 vs delta = 1e-9 (relative)", 1e-9),
    ("special.brownian_forms", check_brownian_forms, 0,
     "theta -> 0 members in their clock: Theta = b/c, Sigma^2 = 2 lam a b/c, velocity, posterior"),
    ("special.bbdm_identity", check_bbdm_identity, 0, "BBDM: G_t = 2 s m_t: Theta = 1 - m_t, var 2 s (m_t - m_t^2)"),
    ("special.bbdm_numeric", check_bbdm_numeric, 0, "BBDM code grid vs delta = 1e-9", 1e-9),
    ("special.i2sb_continuous", check_i2sb_continuous, 0, "I2SB Gaussian product with continuous stds = VE bridge"),
    ("special.i2sb_discrepancy", check_i2sb_discrepancy, 0, "I2SB discrete stds: one-step discrepancy G_n beta_n/(G_T(G_T+beta_n))"),
    ("special.i2sb_numeric", check_i2sb_numeric, 0, "I2SB schedule: measured discrepancy = formula", NUM_TOL),
    ("special.interpolant_lam0", check_interpolant_lam0, 0,
     "lam -> 0: Sigma^2 -> 0, x_t = mu + Theta pi; velocity and eta = 0 step independent of lam"),
    ("special.interpolant_linear", check_interpolant_linear, 0, "theta -> 0: Theta -> 1 - t/T"),
    ("special.interpolant_velocity", check_interpolant_velocity, 0, "velocity -> (mu - x0)/T"),
    ("special.interpolant_numeric", check_interpolant_numeric, 0, "theta = 1e-7: Theta = 1 - t", NUM_TOL),
    ("special.general_target_bridge", check_general_target, 0, "target m: mean m + Theta(x0-m) + Psi(x_T-m)"),
    ("special.ddbm_vp_identity", check_ddbm_vp_identity, 0, "DDBM-VP log-SNR form = target 0, lam = 1"),
    ("special.ddbm_vp_schedule", check_ddbm_vp_schedule, 0,
     "theta_t = (beta_min + beta_d t)/2, lam = 1: DDBM's VP SDE, alpha_t and log-SNR"),
    ("special.ddbm_vp_numeric", check_ddbm_vp_numeric, 0, "DDBM-VP (beta_min = 0.1, beta_d = 2) vs family", NUM_TOL),
    ("special.unidb_product", check_unidb_product, 0,
     "UniDB: Gaussian terminal observation of precision gamma = UniDB's published mean; its code's variance gap"),
    ("special.unidb_h_harmonic", check_unidb_harmonic, 0,
     "UniDB's h solves the backward Kolmogorov equation; its h-drift is UniDB's published drift"),
    ("special.unidb_goub_limit", check_unidb_goub_limit, 0, "1/gamma -> 0 gives GOUB"),
    ("special.unidb_member", check_unidb_member, 0,
     "UniDB = the family's bridge pinned at the later clock c' = thbar_T + ln(1 + 1/(gamma lam))/2, on [0, thbar_T]"),
    ("special.unidb_numeric", check_unidb_numeric, 0, "UniDB on GOUB's grid; gamma = 1e7 within 1/(gamma s2_T) of GOUB",
     NUM_TOL),
]
