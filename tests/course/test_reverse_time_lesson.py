"""The helpers of notebook 02b (rdbm_course/reverse_time_lesson.py): the nested refinement keeps the bridge, the
Euler-Maruyama recursion agrees with sampling and with the noise-free run, and the figure draws what it is given.

Mutations that fail: ``refined`` splitting each step into ``k + 1`` parts (first test); ``em_spread`` without the
step's fresh noise, or with ``a_t`` instead of ``a_t ** 2``, or its mean recursion with the velocity instead of the
reverse drift (second); ``plot_two_ways`` without its title, with the ODE paths' starts left out of the legend, or
with the ring on the drawn paths' nearest point instead of their farthest (third); ``two_ways`` starting the ODE
paths at index 99, or at the places in pixel values (fourth); ``in_clock_to_go`` without its ``coth`` rewrite (fifth).
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
    assert [len(ax.get_lines()) for ax in panels] == [4 + 4, 4 + 2, 3 + 1]  # paths, thick path, ring, dots, line, star
    inside = (recorded[0][0] >= 0) & (recorded[0][0] < 99)
    t_in = recorded[0][0][inside]
    ones = torch.ones(len(t_in), dtype=torch.float64)
    places = ((recorded[0][1][inside, :4] - path.mean(X0 * ones, MU * ones, t_in)[:, None])
              / path.std(X0 * ones, MU * ones, t_in)[:, None])
    row_k, path_k = divmod(int(places.abs().argmax()), 4)
    ring = panels[0].get_lines()[5]
    assert (float(ring.get_xdata()[0]), float(ring.get_ydata()[0])) == (float(t_in[row_k]),
                                                                        float(recorded[0][1][inside][row_k, path_k]))
    assert panels[0].texts[0].get_text() == f"{float(places.abs().max()):.1f} std"
    assert fig.get_suptitle() == "one pixel"
    assert any("\u22121, 0, +1 std at index 98" in t.get_text() for t in fig.legends[0].get_texts())
    plt.close("all")


def test_two_ways_runs_the_figure():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = bridges.rdbm(lam=0.1)
    runs = lesson.two_ways(path, X0, MU, n_sde=30, places=[-1.0, 0.5], seed=3, title="t")
    assert torch.equal(runs.grid, path.schedule.times().flip(0)) and torch.equal(runs.sde_t, runs.grid)
    assert torch.equal(runs.ode_t, runs.grid[1:]) and runs.sde_x.shape == (101, 30) and runs.ode_x.shape == (100, 2)
    assert torch.allclose(runs.ode_x[0], runs.mean[1] + torch.tensor([-1.0, 0.5], dtype=torch.float64) * runs.std[1])
    assert torch.equal(runs.std, path.std(X0 * torch.ones(101, dtype=torch.float64), MU, runs.grid))
    again = samplers.Trajectory()
    samplers.sample_euler_maruyama(lesson.oracle(X0), lesson.row(MU, 30), path, runs.grid, callback=again,
                                   generator=torch.Generator().manual_seed(3))
    assert torch.equal(torch.stack(again.x)[:, 0], runs.sde_x)
    assert runs.figure.get_suptitle() == "t"
    plt.close("all")


def test_in_clock_to_go_writes_coth_of_the_clock_still_to_go():
    import sympy as sp

    from derivations.common import c, d, u

    assert lesson.in_clock_to_go(sp.sinh(c - u)) == sp.sinh(d)
    assert lesson.in_clock_to_go(sp.cosh(c - u) / sp.sinh(c - u)) == sp.coth(d)
