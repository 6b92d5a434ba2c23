"""Samplers: the reference grid, NFE counts, exactness with an oracle, convergence orders, reverse SDE marginals."""
import math

import pytest
import torch

from rdbm_core import bridges, schedules
from rdbm_core.samplers import (predict_x0, sample_euler, sample_euler_maruyama, sample_heun, sample_implicit)


def _pair(shape=(4, 3, 8, 8), seed=0):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.rand(shape, generator=g, dtype=torch.float64) * 1.6 - 0.8
    mu = x0.clone()
    mu[..., :4, :] = x0[..., :4, :] * 0.3 - 0.2
    return x0, mu


class Oracle:
    """model(x_t, mu, t) -> the true x0; counts its calls."""

    def __init__(self, x0):
        self.x0, self.calls = x0, 0

    def __call__(self, x, mu, t):
        assert t.dtype == torch.float32 and t.shape == (x.shape[0],)
        self.calls += 1
        return self.x0


@pytest.mark.parametrize("sampler,nfe", [(sample_implicit, 10), (sample_euler, 10), (sample_euler_maruyama, 10),
                                         (sample_heun, 18)])
def test_reference_grid_nfe_and_exactness_with_oracle(sampler, nfe):
    path = bridges.rdbm()
    x0, mu = _pair()
    model = Oracle(x0)
    ts = path.schedule.sampling_times(10)
    out, traj = sampler(model, mu, path, ts, return_trajectory=True, generator=torch.Generator().manual_seed(0))
    assert model.calls == nfe  # Heun: 2 per interior step, 1 for the first (implicit) and last steps
    assert torch.equal(out, x0)
    assert len(traj["x"]) == 11 and torch.equal(traj["x"][0], mu)
    intact = x0 == mu
    for x in traj["x"]:
        assert torch.equal(x[intact], mu[intact])  # RDBM never moves intact pixels


def test_implicit_eta0_trajectory_lies_on_the_mean_path():
    """From x_T = mu with the true x0, the deterministic sampler visits exactly E[x_t | x0] at every grid time."""
    path = bridges.goub()
    x0, mu = _pair()
    ts = path.schedule.sampling_times(7)
    _, traj = sample_implicit(Oracle(x0), mu, path, ts, return_trajectory=True)
    for t, x in zip(ts, traj["x"]):
        assert torch.allclose(x, path.mean(x0, mu, t), atol=1e-12)


def _ode_errors(sampler, steps_list, path, x0, mu, t0=0.9, t1=0.1):
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(3), dtype=x0.dtype)
    x_start = path.sample(x0, mu, t0, noise=eps)
    exact = path.sample(x0, mu, t1, noise=eps)  # the PF-ODE keeps eps fixed
    errors = []
    for n in steps_list:
        ts = torch.linspace(t0, t1, n + 1, dtype=torch.float64)
        x = sampler(Oracle(x0), mu, path, ts, x_T=x_start, clamp=False)
        errors.append(float((x - exact).abs().max()))
    return errors


@pytest.mark.parametrize("sampler,order", [(sample_euler, 1), (sample_heun, 2)])
@pytest.mark.parametrize("noise", ["modulated", "global"])
def test_ode_solvers_converge_with_their_order(sampler, order, noise):
    path = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3, noise=noise)
    x0, mu = _pair((2, 1, 4, 4))
    steps = [16, 32, 64, 128]
    errors = _ode_errors(sampler, steps, path, x0, mu)
    rates = [math.log2(a / b) for a, b in zip(errors, errors[1:])]
    assert all(abs(r - order) < 0.25 for r in rates[1:]), (errors, rates)
    # the implicit sampler is exact on the same problem
    assert _ode_errors(sample_implicit, [3], path, x0, mu)[0] < 1e-12


@pytest.mark.slow
def test_reverse_sde_reproduces_forward_marginals():
    """Euler-Maruyama on the reverse SDE with the true x0: the law at t = T/2 is q(x_t | x0) (5 SE + 3 % bias)."""
    path = bridges.ou_bridge(schedules.continuous_constant(2.0, 1.0), lam=0.4, noise="modulated")
    n = 20_000
    x0 = torch.tensor([0.8, -0.6, 0.1], dtype=torch.float64).repeat(n, 1)
    mu = torch.tensor([0.0, 0.3, 0.1], dtype=torch.float64).repeat(n, 1)
    ts = torch.linspace(1.0, 0.5, 501, dtype=torch.float64)
    x = sample_euler_maruyama(Oracle(x0), mu, path, ts, clamp=False, generator=torch.Generator().manual_seed(0))
    mean, std = path.mean(x0[:1], mu[:1], 0.5)[0], path.std(x0[:1], mu[:1], 0.5)[0]
    assert torch.all((x.mean(0) - mean).abs() <= 5 * std / n ** 0.5 + 0.03 * std + 1e-12)
    assert torch.allclose(x.var(0), std ** 2, rtol=5 * (2 / n) ** 0.5 + 0.03)
    assert torch.equal(x[:, 2], mu[:, 2])  # the intact pixel


def test_noise_parameterisation_recovers_x0_for_global_noise():
    path = bridges.goub()
    x0, mu = _pair()
    eps = torch.randn_like(x0)
    t = 40
    x_t = path.sample(x0, mu, t, noise=eps)
    x0_hat = predict_x0(lambda x, m, tt: eps, x_t, mu, path, t, parameterization="noise", clamp=False)
    assert torch.allclose(x0_hat, x0, atol=1e-10)
    with pytest.raises(ValueError, match="ill-posed under residual modulation"):
        predict_x0(lambda x, m, tt: eps, x_t, mu, bridges.rdbm(), 40, parameterization="noise")


def test_clamp_and_grid_errors():
    path = bridges.rdbm()
    x0, mu = _pair()
    wild = lambda x, m, t: torch.full_like(x, 5.0)
    assert sample_implicit(wild, mu, path, path.schedule.sampling_times(3)).abs().max() == 1.0
    with pytest.raises(ValueError, match="strictly decreasing"):
        sample_implicit(wild, mu, path, torch.tensor([99, 99, -1]))
    with pytest.raises(ValueError, match="x_T is needed"):
        sample_implicit(wild, mu, path, torch.tensor([50, -1]))
    with pytest.raises(ValueError, match="eta"):
        sample_implicit(wild, mu, path, path.schedule.sampling_times(3), eta=2.0)


def test_irsde_starts_from_noisy_prior_and_runs():
    path = bridges.irsde()
    x0, mu = _pair()
    out = sample_euler_maruyama(Oracle(x0), mu, path, path.schedule.sampling_times(20),
                                generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, x0.clamp(-1, 1))
    x_T = path.prior(mu, torch.Generator().manual_seed(0))
    assert float((x_T - mu).std()) == pytest.approx(10 / 255 * (1 - 0.005 ** 2) ** 0.5, rel=0.05)
