"""The helpers of notebook 02b (rdbm_course/reverse_time_lesson.py): the nested refinement keeps the bridge, the
Euler-Maruyama recursion agrees with sampling and with the noise-free run, and the figure draws what it is given.

Mutations that fail: ``refined`` splitting each step into ``k + 1`` parts (first test); ``em_spread`` without the
step's fresh noise, or with ``a_t`` instead of ``a_t ** 2``, or its mean recursion with the velocity instead of the
reverse drift (second); ``plot_two_ways`` without its title or with the ODE paths' starts left out of the legend
(third).
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


def _em_run(path, n_paths, generator):
    """The library's Euler-Maruyama with the oracle from x_T = mu, every state recorded: {grid index: row}."""
    run = samplers.Trajectory()
    samplers.sample_euler_maruyama(lesson.oracle(X0), lesson.row(MU, n_paths), path, path.schedule.times().flip(0),
                                   callback=run, generator=generator)
    return {int(t): x for t, x in zip(run.t, run.x)}


def test_em_spread_agrees_with_sampling_and_shrinks_on_finer_grids():
    path = bridges.rdbm(lam=0.1)
    exact = lesson.em_spread(path, X0, MU)
    states = _em_run(path, 20000, torch.Generator().manual_seed(5))
    rel_se = 1 / (2 * 19999) ** 0.5
    for t in (90, 0):
        std = float(path.std(lesson.row(X0), lesson.row(MU), torch.tensor(t)))
        sampled = float(states[t].std()) / std
        assert abs(sampled - exact.propagated[t]) < 4 * rel_se * sampled
        mean_offset = (float(states[t].mean()) - float(path.mean(lesson.row(X0), lesson.row(MU), torch.tensor(t)))) / std
        assert abs(mean_offset - exact.mean_offset[t]) < 4 * sampled / 20000 ** 0.5
    assert 0 < min(lesson.em_factor(path, t) for t in range(1, 99)) < max(lesson.em_factor(path, t)
                                                                          for t in range(1, 99)) < 1
    finer = lesson.em_spread(lesson.refined(path, 4), X0, MU).propagated[lesson.refined_index(0, 4)]
    assert 3 < (exact.propagated[0] - 1) / (finer - 1) < 5  # first order: a fourfold smaller step, a 4x smaller gap
    # the spread ratios do not depend on lambda; the mean's offset, in standard deviations, grows like 1/sqrt(lambda)
    default = lesson.em_spread(bridges.rdbm(), X0, MU)
    assert max(abs(default.propagated[t] - exact.propagated[t]) for t in exact.propagated) < 1e-9
    assert abs(default.mean_offset[41] / exact.mean_offset[41] - 1000 ** 0.5) < 1e-6


def test_figure_draws_what_it_is_given():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = bridges.rdbm(lam=0.1)
    grid = path.schedule.times().flip(0)
    sde, ode = samplers.Trajectory(), samplers.Trajectory()
    samplers.sample_euler_maruyama(lesson.oracle(X0), lesson.row(MU, 50), path, grid, callback=sde,
                                   generator=torch.Generator().manual_seed(0))
    mean, std = (path.mean(lesson.row(X0), lesson.row(MU), torch.tensor(98)),
                 path.std(lesson.row(X0), lesson.row(MU), torch.tensor(98)))
    samplers.sample_heun(lesson.oracle(X0), lesson.row(MU, 3), path, grid[1:], callback=ode,
                         x_T=mean + torch.tensor([[-1.0, 0.0, 1.0]], dtype=torch.float64) * std)
    recorded = [(torch.tensor([int(t) for t in run.t]), torch.stack(run.x)[:, 0]) for run in (sde, ode)]
    fig = lesson.plot_two_ways(path, X0, MU, *recorded, [-1.0, 0.0, 1.0], n_shown=4, title="one pixel")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [len(ax.get_lines()) for ax in panels] == [4 + 2, 4 + 2, 3 + 1]  # paths, then the dots, line and star
    assert fig.get_suptitle() == "one pixel"
    assert any("\u22121, 0, +1 std at index 98" in t.get_text() for t in fig.legends[0].get_texts())
    plt.close("all")
