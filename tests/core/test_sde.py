"""Euler-Maruyama simulation of the bridge SDE against the closed-form marginal (docs/theory.md eqs. 3.5, 4.3).

    dx = theta_t coth(thbar_{t:T}) (mu - x) dt + sqrt(2 lam theta_t) s(pi) dw

float64, 10,000 paths, 2,000 steps on [0, 0.95 T].  Tolerances: the mean within
5 standard errors (sd / sqrt(n)) plus 2e-3 for the O(dt) bias; the variance
within 5 standard errors of a sample variance (sqrt(2 / n) relative) plus 2 %.
"""
import pytest
import torch

from rdbm_core.bridge import bridges, schedules

N_PATHS, N_STEPS, T_STOP = 10_000, 2_000, 0.95
pytestmark = pytest.mark.slow  # Monte Carlo


@pytest.mark.parametrize("noise", ["modulated", "global"])
def test_bridge_sde_matches_closed_form(noise):
    sch = schedules.continuous_linear(0.5, 1.0, T=1.0)  # thbar_T = 1
    path = bridges.ou_bridge(sch, lam=0.5, noise=noise)
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.0, -0.5, 0.0, 0.9, 0.3], dtype=torch.float64)
    mu = torch.tensor([0.2, 0.5, 0.0, -0.9, 0.3], dtype=torch.float64)  # pixels 2 and 4 are intact (pi = 0)
    x = x0.repeat(N_PATHS, 1)
    mus = mu.repeat(N_PATHS, 1)
    factor = path.noise_factor(x0, mu).repeat(N_PATHS, 1)
    dt = T_STOP / N_STEPS
    checks = {int(N_STEPS * f): f * T_STOP for f in (0.25, 0.5, 0.75, 1.0)}
    for i in range(N_STEPS):
        t = torch.tensor(i * dt, dtype=torch.float64)
        theta = float(sch.theta(t))
        drift = theta * path.bridge_drift(x, mus, t)
        x = x + drift * dt + (2 * path.lam * theta * dt) ** 0.5 * factor * torch.randn(x.shape, generator=g,
                                                                                        dtype=x.dtype)
        if i + 1 in checks:
            t_check = torch.tensor(checks[i + 1], dtype=torch.float64)
            mean = path.mean(x0[None], mu[None], t_check)[0]
            std = path.std(x0[None], mu[None], t_check)[0]
            emp_mean, emp_var = x.mean(0), x.var(0)
            assert torch.all((emp_mean - mean).abs() <= 5 * std / N_PATHS ** 0.5 + 2e-3), (t_check, emp_mean, mean)
            tol = std ** 2 * (5 * (2 / N_PATHS) ** 0.5 + 0.02)
            assert torch.all((emp_var - std ** 2).abs() <= tol), (t_check, emp_var, std ** 2)
    if noise == "modulated":
        intact = x0 == mu
        assert torch.equal(x[:, intact], mus[:, intact])  # exactly mu, on every path
    else:
        assert (x[:, 2].var() > 0.01)
