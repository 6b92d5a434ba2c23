"""The residual path: stability, boundary values, posterior, implicit step, input checks (docs/theory.md §4-5, §8)."""
import itertools

import pytest
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge.samplers import implicit_step


def _pair(shape=(6, 3, 4, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1
    mu = x0.clone()
    mu[..., :2, :] = torch.rand(mu[..., :2, :].shape, generator=g, dtype=torch.float64) * 2 - 1  # half degraded
    return x0, mu


@pytest.mark.parametrize("thbar_T", [1e-6, 1e-3, 1.0, 7.8789, 20.0, 50.0])
@pytest.mark.parametrize("lam", [0.0, 1e-4, 1.0, 10.0])
def test_coefficients_finite_on_every_grid(thbar_T, lam):
    """No inf/nan for thbar_T in [1e-6, 50], lam in [0, 10]; endpoints exact; 0 <= Theta <= 1."""
    for sch in (schedules.constant_theta(100, thbar_T), schedules.continuous_constant(thbar_T, 1.0)):
        for noise, pinned in itertools.product(("modulated", "global"), (True, False)):
            path = ResidualPath(sch, lam, noise=noise, pinned=pinned)
            t = sch.times(100)
            coeffs = path.coefficients(t)
            for c in coeffs:
                assert torch.isfinite(c).all()
            theta, psi, sigma = coeffs
            assert ((theta >= 0) & (theta <= 1)).all() and (sigma >= 0).all()
            assert theta[0] == 1 and sigma[0] == 0
            if pinned:
                assert theta[-1] == 0 and sigma[-1] == 0 and psi[-1] == 1
            A, k, V = path.posterior_coefficients(t[1:], t[:-1])
            assert all(torch.isfinite(c).all() for c in (A, k, V))


def test_sigma_formula_matches_sinh_form():
    """Sigma^2 = 2 lam sinh(a) sinh(b)/sinh(c) and Theta = sinh(b)/sinh(c) where sinh is safe to evaluate."""
    path = bridges.rdbm(lam=0.3)
    t = path.schedule.times()
    a, c = path.schedule.clock(t), path.schedule.u_T
    b = c - a
    theta, _, sigma = path.coefficients(t)
    c = torch.tensor(c, dtype=torch.float64)
    assert torch.allclose(theta, torch.sinh(b) / torch.sinh(c), rtol=1e-12, atol=1e-15)
    assert torch.allclose(sigma ** 2, 2 * 0.3 * torch.sinh(a) * torch.sinh(b) / torch.sinh(c), rtol=1e-10, atol=1e-15)


def test_intact_pixels_never_move_under_modulation():
    path = bridges.rdbm(lam=0.5)
    x0, mu = _pair()
    intact = x0 == mu
    for t in path.schedule.times():
        x_t = path.sample(x0, mu, t, generator=torch.Generator().manual_seed(int(t) + 5))
        assert torch.equal(x_t[intact], mu[intact])
    # with global noise they do move
    x_t = path.with_noise("global").sample(x0, mu, 50)
    assert not torch.equal(x_t[intact], mu[intact])


def test_per_sample_times_broadcast():
    path = bridges.rdbm()
    x0, mu = _pair()
    t = torch.tensor([-1, 0, 10, 50, 91, 99])
    eps = torch.randn_like(x0)
    x_t = path.sample(x0, mu, t, noise=eps)
    for i, ti in enumerate(t):
        assert torch.allclose(x_t[i:i + 1], path.sample(x0[i:i + 1], mu[i:i + 1], ti, noise=eps[i:i + 1]))


@pytest.mark.parametrize("name", ["rdbm", "goub", "bbdm", "i2sb", "ddbm-vp", "irsde"])
def test_posterior_chapman_kolmogorov(name):
    """Integrating the posterior over x_t ~ q(x_t | x0) gives the marginal at s (mean and variance)."""
    path = bridges.make(name, lam=0.2) if name != "irsde" else bridges.irsde()
    sch = path.schedule
    ts = sch.times(50)
    t, s = ts[len(ts) // 2 + 3], ts[len(ts) // 2 - 5]
    theta_t, psi_t, sig_t = path.coefficients(t)
    theta_s, psi_s, sig_s = path.coefficients(s)
    A, k, V = path.posterior_coefficients(t, s)
    x0, mu = 0.7, -0.3
    m = mu if path.target == "mu" else 0.0
    mean_t = theta_t * x0 + psi_t * mu
    mean_s = m + A * (x0 - m) + k * (mean_t - m)
    var_s = V + k ** 2 * sig_t ** 2
    assert float(mean_s) == pytest.approx(float(theta_s * x0 + psi_s * mu), abs=1e-12)
    assert float(var_s) == pytest.approx(float(sig_s ** 2), abs=1e-12)


@pytest.mark.parametrize("noise", ["modulated", "global"])
def test_implicit_step_eta0_carries_marginal_exactly(noise):
    """With the true x0, the eta = 0 step maps the sample at t with noise eps to the sample at s with the same eps."""
    path = bridges.rdbm(lam=0.05, noise=noise)
    x0, mu = _pair()
    eps = torch.randn_like(x0)
    for t, s in [(98, 89), (89, 40), (40, 0), (5, -1)]:
        x_t = path.sample(x0, mu, t, noise=eps)
        x_s = implicit_step(path, x_t, x0, mu, t, s, eta=0.0)
        assert torch.allclose(x_s, path.sample(x0, mu, s, noise=eps), atol=1e-12)
        # hence mean and variance of the marginal at s are reproduced (to 1e-6 and far better)
        signed_std = path.std(x0, mu, s) * torch.sign(path.noise_factor(x0, mu))
        assert torch.allclose(x_s - path.mean(x0, mu, s), signed_std * eps, atol=1e-12)


@pytest.mark.parametrize("name", ["rdbm", "goub", "bbdm"])
def test_implicit_step_eta1_is_the_posterior(name):
    path = bridges.make(name)
    x0, mu = _pair()
    ts = path.schedule.sampling_times(10)
    for t, s in zip(ts[:-2], ts[1:-1]):
        x_t = path.sample(x0, mu, t, generator=torch.Generator().manual_seed(1))
        got = implicit_step(path, x_t, x0, mu, t, s, eta=1.0, generator=torch.Generator().manual_seed(2))
        mean, std = path.posterior(x_t, x0, mu, t, s)
        z = torch.randn(x0.shape, generator=torch.Generator().manual_seed(2), dtype=x0.dtype)
        sign = torch.sign(path.noise_factor(x0, mu))  # std is Sigma |s(pi)|, the step draws Sigma s(pi) z
        assert torch.allclose(got, mean + std * sign * z, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("eta", [0.25, 0.5, 0.75])
def test_implicit_step_preserves_marginal_for_any_eta(eta):
    """Monte Carlo: the step keeps the marginal mean and variance (5 SE) from t = 60, from t = 95 (near t_T) and
    from the pinned t_T = 99 itself.  From t_T it failed before the booting noise (issue 11, bug 3: variance
    ratio eta^2 = 0.25 at eta = 0.5); mutation: rho^2 = eta^2 Var also at t_T fails the same way."""
    path = bridges.rdbm(lam=0.1)
    n = 200_000
    x0 = torch.full((n,), 0.8, dtype=torch.float64)
    mu = torch.full((n,), -0.4, dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    for t, s in [(60, 30), (95, 80), (99, 89)]:
        x_t = path.sample(x0, mu, t, generator=g)
        x_s = implicit_step(path, x_t, x0, mu, t, s, eta=eta, generator=g)
        mean, std = path.mean(x0, mu, s)[0], path.std(x0, mu, s)[0]
        assert float(x_s.mean()) == pytest.approx(float(mean), abs=5 * float(std) / n ** 0.5), (t, s)
        assert float(x_s.var()) == pytest.approx(float(std) ** 2, rel=5 * (2 / n) ** 0.5), (t, s)


def test_score_matches_autograd_of_log_density():
    path = bridges.rdbm(lam=0.3, noise="global")
    x0, mu = _pair((2, 1, 3, 3))
    x_t = path.sample(x0, mu, 40).requires_grad_(True)
    mean, std = path.mean(x0, mu, 40), path.std(x0, mu, 40)
    logp = torch.distributions.Normal(mean, std).log_prob(x_t).sum()
    (grad,) = torch.autograd.grad(logp, x_t)
    assert torch.allclose(path.score(x_t.detach(), x0, mu, 40), grad, atol=1e-9)


def test_velocity_keeps_samples_on_their_noise_level():
    """d/du of x_t = mean + Sigma s(pi) eps (fixed eps) equals the PF-ODE velocity with the true x0."""
    path = bridges.ou_bridge(schedules.continuous_constant(2.0, 1.0), 0.4, noise="modulated")
    x0, mu = _pair()
    eps = torch.randn_like(x0)
    h = 1e-6
    for t in [0.2, 0.5, 0.8]:
        du = float(path.schedule.clock(t + h) - path.schedule.clock(t - h))
        dx = path.sample(x0, mu, t + h, noise=eps) - path.sample(x0, mu, t - h, noise=eps)
        x_t = path.sample(x0, mu, t, noise=eps)
        assert torch.allclose(dx / du, path.velocity(x_t, x0, mu, t), atol=1e-6)


def test_bad_input_errors():
    path = bridges.rdbm()
    x0, mu = _pair()
    with pytest.raises(ValueError, match="same shape"):
        path.sample(x0, mu[..., :3], 10)
    bad = x0.clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        path.sample(bad, mu, 10)
    with pytest.raises(ValueError, match="outside the grid"):
        path.sample(x0, mu, 100)
    with pytest.raises(ValueError, match="shape"):
        path.sample(x0, mu, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="unknown bridge"):
        bridges.make("ddpm")
    with pytest.raises(ValueError, match="noise must be"):
        bridges.rdbm(noise="pink")
    with pytest.raises(ValueError, match="s earlier than t"):
        path.posterior(x0, x0, mu, 10, 20)
