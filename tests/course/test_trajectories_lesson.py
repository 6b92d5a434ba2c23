"""The forward-SDE helper of notebook 04 (``rdbm_course.trajectories_lesson.forward_em``)."""
import math

import pytest
import torch

from rdbm_core.bridge import bridges, schedules
from rdbm_course.trajectories_lesson import forward_em

DT = torch.float64


def test_forward_em_has_the_closed_form_marginal_on_a_non_constant_clock():
    """Paths from two x0 (and intact ones) on RDBM's bridge with theta_t = 1 + 4t: at t = 0.5 their mean and variance
    are the library's closed form within 5 standard errors plus the Euler-Maruyama bias, intact values never move,
    and the snapshots and shown paths are the simulated ones. Mutation that fails: the noise written without the
    clock's rate (sqrt(2 lam) instead of sqrt(2 lam theta_t)) puts the variance outside the tolerance."""
    path = bridges.ou_bridge(schedules.continuous_linear(1.0, 4.0), lam=0.04)
    n, n_steps = 4000, 100
    x0 = torch.cat([torch.full((n,), -0.6, dtype=DT), torch.full((n,), 0.7, dtype=DT),
                    torch.full((8,), 0.4, dtype=DT)])[None]
    mu = torch.full_like(x0, 0.4)
    snaps, shown, ts = forward_em(path, x0, mu, n_steps, snap_times=(0.5, 1.0), n_show=3,
                                  generator=torch.Generator().manual_seed(0))
    assert shown.shape == (n_steps + 1, 3) and torch.equal(shown[0], x0[0, :3])
    assert torch.equal(shown[-1], snaps[1.0][0, :3]) and len(ts) == n_steps + 1
    assert torch.equal(snaps[0.5][:, 2 * n:], mu[:, 2 * n:])  # intact values stay at mu
    dt, rate = 1.0 / n_steps, float(path.schedule.theta(torch.tensor(0.5, dtype=DT)))
    for start, part in ((-0.6, slice(0, n)), (0.7, slice(n, 2 * n))):
        xs = snaps[0.5][0, part]
        one = torch.tensor([[start]], dtype=DT)
        m, s = float(path.mean(one, mu[:, :1], 0.5)), float(path.std(one, mu[:, :1], 0.5))
        assert abs(float(xs.mean()) - m) <= 5 * s / math.sqrt(n) + 3 * rate * dt * s
        assert abs(float(xs.var(unbiased=False)) - s ** 2) <= 5 * s ** 2 * math.sqrt(2 / n) + 3 * rate * dt * s ** 2


def test_forward_em_refuses_a_snapshot_time_off_the_grid():
    path = bridges.ou_bridge(schedules.continuous_constant(3.0), lam=0.04)
    x0 = torch.zeros(1, 2, dtype=DT)
    with pytest.raises(ValueError, match="not on the grid"):
        forward_em(path, x0, x0 + 0.4, 10, snap_times=(0.33,))


def test_forward_em_runs_the_step_it_is_given():
    """A step passed as ``step`` (exercise 04.1's signature) replaces the built-in one, with the same noise draws: the
    time-changed step written out here gives the built-in paths, and a step that adds only the noise (no drift) gives
    paths that end away from mu. Mutation that fails: forward_em ignoring its ``step`` argument."""
    def em_step(path, x, x0, mu, t, dt, dw):
        rate = float(path.schedule.theta(t))
        noise = math.sqrt(2 * path.lam * rate) * path.noise_factor(x0, mu)
        return x + rate * path.bridge_drift(x, mu, t) * dt + noise * dw

    path = bridges.ou_bridge(schedules.continuous_constant(3.0), lam=0.04)
    x0 = torch.linspace(-0.6, 0.7, 50, dtype=DT)[None]
    mu = torch.full_like(x0, 0.4)
    run = lambda step: forward_em(path, x0, mu, 400, snap_times=(1.0,), step=step,  # noqa: E731
                                  generator=torch.Generator().manual_seed(3))[0][1.0]
    reference = run(None)
    assert torch.allclose(run(em_step), reference, rtol=0, atol=1e-12)
    noise_only = run(lambda path, x, x0, mu, t, dt, dw: x + dw)
    assert float((reference - mu).std()) < 0.04 and float((noise_only - mu).std()) > 0.5
