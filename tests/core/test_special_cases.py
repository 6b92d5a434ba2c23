"""Each published bridge agrees with its own paper's formula and constants (docs/theory.md §11).

Exact members are checked to 1e-10 in float64 against the formula *as its paper or
code writes it*, re-implemented here independently of rdbm_core.  Limits and
approximations state and bound their error.
"""
import math

import numpy as np
import pytest
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_core.bridge.path import ResidualPath

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
    var = fwd^2 bwd^2/(fwd^2+bwd^2).  The family member uses G_T - G_n in place of bwd^2 (I2SB's std_bwd^2
    counts beta_n twice): exact for the continuous bridge.  I2SB's own discrete coefficients differ by exactly
    d_Theta_n = G_n beta_n / (G_T (G_T + beta_n)) (measured max 7.8e-4, at n = 754) and, on the std,
    |d_Sigma_n| <= sqrt(G_n^2 beta_n / (G_T (G_T + beta_n))) (the square root of the variance gap), with
    equality at the terminal index n = 999, where the family's Sigma is 0 and I2SB's std is
    sqrt(G_T beta_N / (G_T + beta_N)) = 0.0100 (29 % of I2SB's std at n = 998).
    Mutation tried: bwd^2 = G_T - G_n (no double count) in the reference -> the exact-gap checks fail."""
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
    # I2SB's own discrete coefficients: off by one step's beta, by these exact amounts
    mu_x0 = bwd2 / (fwd2 + bwd2)
    std_sb = np.sqrt(fwd2 * bwd2 / (fwd2 + bwd2))
    gap_theta = fwd2 * betas / (GT * (GT + betas))
    gap_var = fwd2 ** 2 * betas / (GT * (GT + betas))
    np.testing.assert_allclose(mu_x0 - theta, gap_theta, rtol=0, atol=TOL)
    np.testing.assert_allclose(std_sb ** 2 - sigma ** 2, gap_var, rtol=0, atol=TOL)
    d_theta, d_sigma = np.abs(theta - mu_x0), np.abs(sigma - std_sb)
    assert 7.8e-4 < d_theta.max() < 7.9e-4  # the README's figure
    assert (d_sigma <= np.sqrt(gap_var) + 1e-15).all()  # |sqrt(a) - sqrt(b)| <= sqrt(|a - b|)
    assert d_sigma.argmax() == 999 and sigma[999] == 0
    assert d_sigma.max() == pytest.approx(math.sqrt(GT * betas[-1] / (GT + betas[-1])), rel=1e-12)
    assert 0.0099 < d_sigma.max() < 0.0101 and 0.28 < d_sigma[998] / std_sb[998] < 0.30  # the README's figures


def _reference_rdbm_sigma2(lam: float, n: int = 100) -> np.ndarray:
    """RDBM's reference code, re-implemented: cosine betas (s = 0.008, max 0.999) as theta, inclusive cumsum,
    a virtual clean point at index -1; the OU bridge variance
    lam (1 - e^{-2 thbar_t}) (1 - e^{-2 thbar_{t:T}}) / (1 - e^{-2 thbar_T}) at indices -1..n-1."""
    ab = lambda u: np.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2
    i = np.arange(n)
    betas = np.minimum(1 - ab((i + 1) / n) / ab(i / n), 0.999)
    thbar = np.concatenate([[0.0], np.cumsum(betas)])
    a, b, c = thbar, thbar[-1] - thbar, thbar[-1]
    return lam * -np.expm1(-2 * a) * -np.expm1(-2 * b) / -np.expm1(-2 * c)


def test_interpolant_is_the_lam_to_zero_limit():
    """The interpolant is x_t = mu + (1 - t/N) pi with Sigma = 0; RDBM's Sigma is sqrt(lam) times a function
    of the clock (checked against RDBM's reference formula re-implemented above, for lam from 1 to 0), so
    lam -> 0 leaves x_t = mu + Theta pi.  Mutation tried: Sigma proportional to lam instead of sqrt(lam) ->
    fails at every lam != 1, 0."""
    path = bridges.interpolant()
    (theta, psi, sigma), t = _coeffs(path)
    np.testing.assert_allclose(theta, 1 - t.numpy() / 100, rtol=0, atol=TOL)
    assert (sigma == 0).all()
    t = torch.arange(-1, 100)
    theta1 = bridges.rdbm(lam=1.0).coefficients(t)[0]
    for lam in (1.0, 1e-2, 1e-6, 0.0):
        theta_lam, _, sigma_lam = bridges.rdbm(lam=lam).coefficients(t)
        want = np.sqrt(_reference_rdbm_sigma2(lam))
        np.testing.assert_allclose(sigma_lam.numpy(), want, rtol=1e-12, atol=1e-300)
        assert torch.equal(theta_lam, theta1)  # the mean does not depend on lam


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
