"""Each published bridge agrees with its own paper's formula and constants (theory §5).

Exact members are checked to 1e-10 in float64 against the formula *as its paper or
code writes it*, re-implemented here independently of rdbm_core.  Limits and
approximations state and bound their error.
"""
import math

import numpy as np
import pytest
import torch

from rdbm_core import bridges, schedules
from rdbm_core.path import ResidualPath

TOL = 1e-10


def _coeffs(path, t=None):
    t = path.schedule.times(100) if t is None else t
    return [c.numpy() for c in path.coefficients(t)], t


def test_goub_matches_its_code():
    """GOUB: thetas = 1 - alpha_bar (cosine, T + 3 points, inner T + 1), cumsum minus thetas[0], times dt with
    dt = -ln(eps) / thetas_cumsum[-1];  m(t) = e^{-thbar_t} sigma_{t:T}^2 / sigma_bar_T^2,
    n(t) = ((1 - e^{-thbar_t}) sigma_{t:T}^2 + e^{-2 thbar_{t:T}} sigma_bar_t^2) / sigma_bar_T^2,
    f_sigma = sigma_bar_t sigma_{t:T} / sigma_bar_T, sigma_bar_t^2 = lambda^2 (1 - e^{-2 thbar_t})."""
    T, lam_std, eps = 100, 30 / 255, 0.005
    steps = T + 2
    x = np.linspace(0, steps, steps + 1)
    ac = np.cos(((x / steps) + 0.008) / 1.008 * math.pi * 0.5) ** 2
    thetas = 1 - (ac / ac[0])[1:-1]
    cum = np.cumsum(thetas) - thetas[0]
    thbar = cum * (-math.log(eps) / cum[-1])
    sb2 = lam_std ** 2 * (1 - np.exp(-2 * thbar))
    stT2 = lam_std ** 2 * (1 - np.exp(-2 * (thbar[-1] - thbar)))
    m = np.exp(-thbar) * stT2 / sb2[-1]
    n = ((1 - np.exp(-thbar)) * stT2 + np.exp(-2 * (thbar[-1] - thbar)) * sb2) / sb2[-1]
    f_sigma = np.sqrt(sb2) * np.sqrt(stT2) / np.sqrt(sb2[-1])
    (theta, psi, sigma), _ = _coeffs(bridges.goub())
    np.testing.assert_allclose(theta, m, rtol=0, atol=TOL)
    np.testing.assert_allclose(psi, n, rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma, f_sigma, rtol=0, atol=TOL)
    assert bridges.goub().lam == pytest.approx((30 / 255) ** 2)


def test_irsde_matches_its_mean_and_std():
    """IR-SDE: mean = mu + (x0 - mu) e^{-thbar_t}, std = sqrt(max_sigma^2 (1 - e^{-2 thbar_t})), unpinned."""
    path = bridges.irsde()
    (theta, psi, sigma), t = _coeffs(path)
    thbar = path.schedule.clock(t).numpy()
    np.testing.assert_allclose(theta, np.exp(-thbar), rtol=0, atol=TOL)
    np.testing.assert_allclose(psi, 1 - np.exp(-thbar), rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma, np.sqrt((10 / 255) ** 2 * (1 - np.exp(-2 * thbar))), rtol=0, atol=TOL)
    assert theta[-1] == pytest.approx(0.005, abs=1e-15)  # e^{-thbar_T} = eps


def test_irsde_is_the_thbar_T_to_infinity_limit_of_the_bridge():
    """|Theta_bridge - e^{-a}| = e^{-a} |(1 - e^{-2b})/(1 - e^{-2c}) - 1| <= e^{-2b} e^{-a}: bounded and shrinking."""
    a = torch.linspace(0, 3, 31, dtype=torch.float64)
    prev = None
    for c in (4.0, 6.0, 8.0):
        sch = schedules.from_table(torch.cat([a, torch.tensor([c], dtype=torch.float64)]), clean_on_grid=True)
        bridge = ResidualPath(sch, 0.3, noise="global")
        unpinned = ResidualPath(sch, 0.3, noise="global", pinned=False)
        t = torch.arange(0, 31)
        err = (bridge.coefficients(t)[0] - unpinned.coefficients(t)[0]).abs()
        bound = torch.exp(-2 * (c - a)) * torch.exp(-a)
        assert (err <= bound + 1e-14).all()
        serr = (bridge.coefficients(t)[2] - unpinned.coefficients(t)[2]).abs().max()
        assert prev is None or serr < prev * 0.05  # shrinks like e^{-2 dc}
        prev = serr


def test_bbdm_matches_its_code():
    """BBDM: m_t = linspace(0.001, 0.999, 1000); x_t = (1 - m_t) x0 + m_t y + sqrt(2 (m_t - m_t^2) max_var) eps."""
    path = bridges.bbdm()
    t = torch.arange(0, 1000)
    (theta, psi, sigma), _ = _coeffs(path, t)
    m = np.linspace(0.001, 0.999, 1000)
    np.testing.assert_allclose(theta, 1 - m, rtol=0, atol=TOL)
    np.testing.assert_allclose(psi, m, rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma, np.sqrt(2 * (m - m ** 2) * 1.0), rtol=0, atol=TOL)


def test_ddbm_ve_matches_its_formula():
    """DDBM-VE (sigma_t = t): mean = (t^2/T^2) x_T + (1 - t^2/T^2) x0, std = t sqrt(1 - t^2/T^2), T = 80."""
    path = bridges.ddbm_ve()
    (theta, psi, sigma), t = _coeffs(path)
    t, T = t.numpy(), 80.0
    np.testing.assert_allclose(theta, 1 - t ** 2 / T ** 2, rtol=0, atol=TOL)
    np.testing.assert_allclose(psi, t ** 2 / T ** 2, rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma, t * np.sqrt(1 - t ** 2 / T ** 2), rtol=0, atol=1e-10 * T)


def test_ddbm_vp_matches_its_log_snr_form():
    """DDBM-VP: logsnr_t = -log(expm1(beta_d t^2 / 2 + beta_min t)), log a_t = -beta_d t^2 / 4 - beta_min t / 2;
    mean = (SNR_T/SNR_t)(a_t/a_T) x_T + a_t (1 - SNR_T/SNR_t) x0, var = sigma_t^2 (1 - SNR_T/SNR_t)."""
    bd, bm, T = 2.0, 0.1, 1.0
    path = bridges.ddbm_vp()
    t = torch.linspace(0, 1, 101, dtype=torch.float64)[1:]
    (theta, psi, sigma), _ = _coeffs(path, t)
    tt = t.numpy()
    logsnr = lambda s: -np.log(np.expm1(0.5 * bd * s ** 2 + bm * s))
    loga = lambda s: -0.25 * bd * s ** 2 - 0.5 * bm * s
    r = np.exp(logsnr(T) - logsnr(tt))
    a_t, a_T = np.exp(loga(tt)), np.exp(loga(T))
    np.testing.assert_allclose(psi, r * a_t / a_T, rtol=0, atol=TOL)
    np.testing.assert_allclose(theta, a_t * (1 - r), rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma ** 2, (1 - a_t ** 2) * (1 - r), rtol=0, atol=TOL)
    assert not np.allclose(psi, 1 - theta)  # the x_T coefficient is no longer 1 - Theta


def test_i2sb_gaussian_product_and_its_one_step_discrepancy():
    """I2SB: std_fwd^2 = sum_{k<=n} beta_k, std_bwd^2 = sum_{k>=n} beta_k; mu_x0 = bwd^2/(fwd^2+bwd^2),
    var = fwd^2 bwd^2/(fwd^2+bwd^2).  The family member uses G_T - G_n in place of bwd^2: exact for the
    continuous bridge; I2SB's discrete coefficients differ by at most max(beta)/G_T (measured below)."""
    path = bridges.i2sb()
    betas = bridges.i2sb_betas().numpy()
    assert np.allclose(betas, betas[::-1])  # symmetric
    fwd2 = np.cumsum(betas)
    bwd2 = np.cumsum(betas[::-1])[::-1]
    t = torch.arange(0, 1000)
    (theta, psi, sigma), _ = _coeffs(path, t)
    GT = fwd2[-1]
    # exact: the Gaussian product with the continuous backward variance G_T - G_n
    cont_bwd = GT - fwd2
    np.testing.assert_allclose(theta, cont_bwd / (fwd2 + cont_bwd), rtol=0, atol=TOL)
    np.testing.assert_allclose(sigma ** 2, fwd2 * cont_bwd / (fwd2 + cont_bwd), rtol=0, atol=TOL)
    # I2SB's own discrete coefficients: off by one step's beta
    mu_x0 = bwd2 / (fwd2 + bwd2)
    std_sb = np.sqrt(fwd2 * bwd2 / (fwd2 + bwd2))
    bound = betas.max() / GT
    d_theta = np.abs(theta - mu_x0).max()
    d_sigma = np.abs(sigma - std_sb).max()
    assert 0 < d_theta <= bound  # measured ~ 1.3e-3 for N = 1000, beta_max = 0.3
    assert d_sigma <= np.sqrt(betas.max())


def test_interpolant_is_the_lam_to_zero_limit():
    path = bridges.interpolant()
    (theta, psi, sigma), t = _coeffs(path)
    np.testing.assert_allclose(theta, 1 - t.numpy() / 100, rtol=0, atol=TOL)
    assert (sigma == 0).all()
    # Sigma of RDBM scales with sqrt(lam): lam -> 0 leaves x_t = mu + Theta pi
    s1 = bridges.rdbm(lam=1.0).coefficients(torch.arange(-1, 100))[2]
    for lam in (1e-2, 1e-6, 0.0):
        assert torch.allclose(bridges.rdbm(lam=lam).coefficients(torch.arange(-1, 100))[2], lam ** 0.5 * s1,
                              rtol=1e-12, atol=0)


@pytest.mark.parametrize("eps", [1e-1, 1e-2, 1e-3])
def test_ve_bridge_is_the_theta_to_zero_limit_of_the_ou_bridge(eps):
    """OU bridge with theta = eps and lam = 1/(2 eps) (so g^2 = 2 lam theta = 1) -> Brownian bridge with G_t = t.
    The error of Theta is bounded by eps^2 c^2 / 6 (from sinh(x) = x (1 + x^2/6 + ...)), c = thbar_T / eps = T."""
    T = 1.0
    ou = ResidualPath(schedules.continuous_constant(eps, T), 1 / (2 * eps), noise="global")
    bb = ResidualPath(schedules.continuous_constant(1.0, T), 0.5, noise="global", kind="brownian")
    t = torch.linspace(0, T, 51, dtype=torch.float64)
    (th_ou, _, sg_ou), (th_bb, _, sg_bb) = ou.coefficients(t), bb.coefficients(t)
    assert (th_ou - th_bb).abs().max() <= eps ** 2 * T ** 2 / 6 + 1e-15
    assert (sg_ou ** 2 - sg_bb ** 2).abs().max() <= eps ** 2 * T ** 3 / 3 + 1e-15
