"""The helpers of notebook 02b (rdbm_course/reverse_time_lesson.py): the nested refinement keeps the bridge, the
Euler-Maruyama recursion agrees with sampling, Heun's one-step error is measured from the place it is asked for, the
marginal's moments and the observed orders are what they say, and the figures draw what they are given.

Mutations that fail: ``refined`` splitting each step into ``k + 1`` parts (first test);
``em_spread`` without the step's fresh noise, or with ``a_t`` instead of ``a_t ** 2`` (second); ``at_places``
without the standard deviation (third); ``marginal_moments`` returning variances, or ``observed_orders`` dividing
by the wrong refinement (fourth); ``plot_gaps`` without its "N = ..." labels (fifth).
"""
import torch

from rdbm_core.bridge import bridges, samplers
from rdbm_course import reverse_time_lesson as lesson

X0, MU = 0.6, -0.2


def test_refined_grid_is_nested_and_keeps_the_bridge():
    path = bridges.rdbm(lam=0.1)
    for k in (1, 3, 4):
        fine = lesson.refined(path, k)
        times = path.schedule.times()
        on_fine = torch.tensor([lesson.refined_index(int(t), k) for t in times])
        assert fine.schedule.t_T == lesson.refined_index(path.schedule.t_T, k) == k * 100 - 1
        assert fine.schedule.u_T == path.schedule.u_T and fine.lam == path.lam
        assert torch.equal(fine.schedule.clock(on_fine), path.schedule.clock(times))
        steps = fine.schedule.theta.reshape(100, k)  # the k parts of each reference step are equal
        assert torch.allclose(steps, steps[:, :1].expand(100, k), rtol=1e-12, atol=1e-15)


def test_em_spread_agrees_with_sampling_and_shrinks_on_finer_grids():
    path = bridges.rdbm(lam=0.1)
    exact = lesson.em_spread(path, X0, MU)
    sampled = lesson.sde_spread(path, X0, MU, (90, 0), n_paths=20000, seed=5)
    rel_se = 1 / (2 * 19999) ** 0.5
    assert all(abs(sampled[t] - exact.propagated[t]) < 4 * rel_se * sampled[t] for t in (90, 0))
    assert 0 < min(lesson.em_factor(path, t) for t in range(1, 99)) < max(lesson.em_factor(path, t)
                                                                          for t in range(1, 99)) < 1
    finer = lesson.em_spread(lesson.refined(path, 4), X0, MU).propagated[lesson.refined_index(0, 4)]
    assert 3 < (exact.propagated[0] - 1) / (finer - 1) < 5  # first order: a fourfold smaller step, a 4x smaller gap


def test_places_and_heun_errors():
    path = bridges.rdbm(lam=0.1)
    start = lesson.at_places(path, X0, MU, 50, [-2.0, 0.0, 2.0])
    assert torch.allclose(lesson.place(path, start, X0, MU, 50), torch.tensor([[-2.0, 0.0, 2.0]], dtype=torch.float64))
    errors = lesson.heun_one_step_errors(path, X0, MU, (50, 1))
    assert abs(errors[50]) < 0.01 and errors[1] < -0.1  # the last explicit step errs most
    grids = [lesson.grid_gaps(path, k, X0, MU, compare=(10, 0), n_paths=2000, seed=k) for k in (1, 4)]
    table = lesson.gap_table(grids, compare=(10, 0))
    assert "N = 100" in table and "N = 400" in table and "order, 100 → 400" in table
    assert 1.8 < lesson.observed_order(grids[0].ode_gap(), grids[1].ode_gap(), 4) < 2.2


def test_moments_recorded_runs_and_orders():
    path = bridges.rdbm(lam=0.1)
    mean, std = lesson.marginal_moments(path, X0, MU)
    assert sorted(mean) == list(range(-1, 100)) and abs(mean[-1] - X0) < 1e-12 and mean[99] == MU and std[99] == 0
    assert abs(std[50] - float(path.std(lesson.row(X0), lesson.row(MU), torch.tensor(50)))) < 1e-15
    run = samplers.Trajectory()
    samplers.sample_heun(lesson.oracle(X0), lesson.row(MU, 2), path, torch.tensor([98, 97, 96]), callback=run,
                         x_T=lesson.at_places(path, X0, MU, 98, [-1.0, 1.0]))
    t, x = lesson.recorded(run)
    assert t.tolist() == [98, 97, 96] and x.shape == (3, 2) and float(x[0, 1]) == mean[98] + std[98]
    grids = [lesson.grid_gaps(path, k, X0, MU, compare=(10, 0), n_paths=500, seed=k) for k in (1, 4, 16)]
    orders = lesson.observed_orders(grids, compare=(10, 0))
    assert list(orders) == ["SDE at index 10", "SDE at index 0", "ODE at index 0"]
    assert all(len(pair) == 2 for pair in orders.values())
    assert all(0.9 < o < 1.1 for o in orders["SDE at index 0"]) and all(1.9 < o < 2.2 for o in orders["ODE at index 0"])


def test_figures_draw_what_they_are_given():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = bridges.rdbm(lam=0.1)
    grid = path.schedule.times().flip(0)
    sde, ode = samplers.Trajectory(), samplers.Trajectory()
    samplers.sample_euler_maruyama(lesson.oracle(X0), lesson.row(MU, 50), path, grid, callback=sde,
                                   generator=torch.Generator().manual_seed(0))
    samplers.sample_heun(lesson.oracle(X0), lesson.row(MU, 3), path, grid[1:], callback=ode,
                         x_T=lesson.at_places(path, X0, MU, 98, [-1.0, 0.0, 1.0]))
    fig = lesson.plot_two_ways(path, X0, MU, lesson.recorded(sde), lesson.recorded(ode), [-1.0, 0.0, 1.0], n_shown=4)
    panels = [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]
    assert [len(ax.get_lines()) for ax in panels] == [4 + 2, 4 + 2, 3 + 1]  # paths, then the dots, line and star
    spread = {t: 1.0 + 0.01 * t for t in range(0, 99)}
    fig = lesson.plot_sampler_errors(path, spread, 0.01, spread, spread, spread, spread)
    assert len(fig.axes) == 4 and fig.axes[0].get_xscale() == "log" and fig.axes[0].get_xlim()[0] > 1
    assert [len(fig.axes[k].get_lines()[0].get_xdata()) for k in (0, 1)] == [99, 99]
    grids = [lesson.grid_gaps(path, k, X0, MU, n_paths=200, seed=k) for k in (1, 4)]
    fig = lesson.plot_gaps(grids)
    assert {t.get_text() for t in fig.axes[0].texts} == {"N = 100", "N = 400"}
    plt.close("all")
