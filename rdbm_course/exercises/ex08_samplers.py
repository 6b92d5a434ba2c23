"""Exercises of notebook 08 (samplers and steps).

08.1 implement one explicit Euler step of the probability-flow ODE; the checker measures its order of
               convergence with an oracle ``x0`` against the exact (implicit, ``eta = 0``) solution.
08.2 implement one Heun step of the probability-flow ODE, with its two network evaluations (order 2 expected).
08.3 predict   the number of network evaluations of Heun with 10 sampler steps on two grids, beside the reference
               RDBM grid's 18 (given as the worked baseline): IR-SDE's grid (not pinned, ends on the clean point)
               and section 3's bridge from its pinned end t_T = 1 to 0.1 (does not reach the clean point).
08.4 predict   how many distinct outputs the five sampler settings of section 2 give with 3 sampler steps (the worked
               baseline: 2 with 2 sampler steps); the truth is computed with the library and a stand-in network.
"""
from __future__ import annotations

import math

import torch

from ._base import call_student, correct, exercise, wrong

DT = torch.float64
T_START, T_END = 0.9, 0.1  # the interval of notebook 08, section 3
T_TERMINAL = 1.0  # the pinned end t_T of section 3's bridge


def _ode_bridge():
    """The bridge of notebook 08's section 3: the OU bridge with theta = 3 on [0, 1] and lam = 0.3."""
    from rdbm_core.bridge import bridges, schedules

    return bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)


def _ode_problem():
    """Notebook 08's section 3 in miniature: a small (x0, mu) pair and a start off the mean at t0.

    Returns ``(bridge, x0, mu, x_start, x_exact)``: for a fixed ``x0`` the PF-ODE keeps ``eps`` fixed, so the exact
    solution from ``x_start = sample(t0, eps)`` is ``sample(t1, eps)``.
    """
    bridge = _ode_bridge()
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(1, 3, 4, 4, generator=g, dtype=DT) * 2 - 1
    mu = x0.clone()
    mu[..., :2, :] = (mu[..., :2, :] + 0.5 * torch.randn(1, 3, 2, 4, generator=g, dtype=DT)).clamp(-1, 1)
    eps = torch.randn(x0.shape, generator=g, dtype=DT)
    return bridge, x0, mu, bridge.sample(x0, mu, T_START, noise=eps), bridge.sample(x0, mu, T_END, noise=eps)


def _integrate(step, n: int, name: str):
    """Run ``step(x, t, s)`` over ``n`` uniform steps from t0 to t1; ``(x_end, None)`` or ``(None, Feedback)``."""
    ts = torch.linspace(T_START, T_END, n + 1, dtype=DT)
    x = step.x_start
    for t, s in zip(ts[:-1], ts[1:]):
        x, failure = call_student(step, x, t, s, name=name)
        if failure is not None:
            return None, failure
        try:
            x = torch.as_tensor(x, dtype=DT)
        except Exception:
            return None, wrong(f"{name} should return a tensor, got {type(x).__name__}.",
                               "return x_s, a tensor like x.")
        if x.shape != step.x_start.shape:
            return None, wrong(f"{name} returned shape {tuple(x.shape)}, expected {tuple(step.x_start.shape)} "
                               "(the shape of x).", "every term of the step is element-wise: keep x's shape.")
    return x, None


def _order(step, steps: tuple[int, ...], expected: int, name: str, hint_low: str):
    """Measure the order of ``step`` on the grids ``steps``; a Feedback if it is not ``expected``, else the report."""
    errors = []
    for n in steps:
        x_end, failure = _integrate(step, n, name)
        if failure is not None:
            return failure
        errors.append(float((x_end - step.x_exact).abs().max()))
    if not all(math.isfinite(e) for e in errors):
        return wrong("your steps produce NaN or inf.", "check the sign of the update: the solver runs backwards in "
                                                       "time, towards the clean end, against the velocity.")
    if errors[-1] < 1e-10:
        return wrong(f"your solution is exact to {errors[-1]:.0e} for every step count: that is not an explicit "
                     f"solver of order {expected}.",
                     "the implicit step is the exact flow; this exercise asks for the explicit update built from "
                     "bridge.velocity.")
    p = math.log2(errors[-2] / errors[-1])
    if p < 0.5:
        return wrong(f"the error barely shrinks with more steps ({errors[0]:.2e} with {steps[0]} steps, "
                     f"{errors[-1]:.2e} with {steps[-1]}): your solver does not converge to the PF-ODE solution.",
                     "bridge.velocity is dx/du, per unit of the clock u_t: the step size is the clock "
                     "difference u_t - u_s (bridge.schedule.clock), not t - s; and the solver runs towards "
                     "the clean end, against the velocity.")
    if abs(p - expected) > 0.25:
        return wrong(f"order {expected} expected, you measured {p:.2f} (error {errors[-2]:.2e} with {steps[-2]} steps, "
                     f"{errors[-1]:.2e} with {steps[-1]}).", hint_low)
    return p, errors


class _Runner:
    """The student's step bound to the problem of :func:`_ode_problem`, as ``runner(x, t, s)``."""

    def __init__(self, answer, model_call: bool):
        self.answer, self.model_call, self.calls = answer, model_call, 0
        self.bridge, self.x0, self.mu, self.x_start, self.x_exact = _ode_problem()

    def oracle(self, x, mu, t):
        self.calls += 1
        return self.x0

    def __call__(self, x, t, s):
        if self.model_call:
            return self.answer(self.bridge, self.oracle, x, self.mu, t, s)
        return self.answer(self.bridge, x, self.x0, self.mu, t, s)


@exercise("08.1", "An explicit Euler step of the PF-ODE", "implement")
def check_euler_step(answer):
    from rdbm_core.bridge import samplers

    runner = _Runner(answer, model_call=False)
    measured = _order(runner, (16, 32, 64), 1, "euler_step(bridge, x, x0_hat, mu, t, s)",
                      "explicit Euler evaluates the velocity once, at the point where the step starts, "
                      "and moves a clock step du along it (towards the clean end).")
    if not isinstance(measured, tuple):
        return measured
    p, errors = measured
    ts = torch.linspace(T_START, T_END, 65, dtype=DT)
    library = samplers.sample_euler(samplers.Denoiser(lambda x, m, t: runner.x0, clamp=False), runner.mu, runner.bridge,
                                    ts, x_T=runner.x_start)
    if abs(errors[-1] - float((library - runner.x_exact).abs().max())) > 1e-9 * errors[-1] + 1e-12:
        return wrong(f"your solver has order 1 (measured {p:.2f}) but is not the explicit Euler step.",
                     "evaluate the velocity at the start of the step, (x_t, t), not at s.")
    return correct(f"order 1 expected, you measured {p:.2f} (errors {', '.join(f'{e:.1e}' for e in errors)} with 16, "
                   "32, 64 steps): halving the step halves the error.")


@exercise("08.2", "A Heun step of the PF-ODE", "implement")
def check_heun_step(answer):
    runner = _Runner(answer, model_call=True)
    steps = (8, 16, 32)
    measured = _order(runner, steps, 2, "heun_step(bridge, model, x, mu, t, s)",
                      "Heun averages two velocities: at the start (x_t, t) and at the end of an Euler predictor, "
                      "(x_e, s), each with the network's x0_hat at that point.")
    if not isinstance(measured, tuple):
        return measured
    p, errors = measured
    per_step = runner.calls / sum(steps)
    if per_step != 2:
        return wrong(f"your step calls the network {per_step:g} times per step; Heun needs 2.",
                     "with this oracle x0_hat never changes, but a real network's does: call model(x_e, mu, s) at the "
                     "predicted point for the corrector's x0_hat, besides model(x, mu, t) at the start.")
    return correct(f"order 2 expected, you measured {p:.2f} (errors {', '.join(f'{e:.1e}' for e in errors)} with 8, "
                   "16, 32 steps): halving the step quarters the error, for two network evaluations per step.")


def count_heun(bridge, ts, x_T=None) -> int:
    """How many network evaluations ``rdbm_core.bridge.samplers.sample_heun`` makes on ``bridge`` over the grid ``ts``
    (started at ``x_T``, default the bridge's prior ``mu``), counted with a stand-in network."""
    from rdbm_core.bridge import samplers

    calls = []

    def model(x, mu, t):
        calls.append(1)
        return mu

    mu = torch.zeros(1, 3, 1, 1, dtype=DT)
    samplers.sample_heun(model, mu, bridge, ts, x_T=x_T, generator=torch.Generator().manual_seed(0))
    return len(calls)


#: 08.3(a), the worked baseline the notebook states: Heun's NFE with 10 steps on RDBM's reference grid (2 x 10 - 2).
BASELINE_A = 18


def heun_nfe_truth() -> tuple[int, int]:
    """The library's own counts for 08.3 (b) and (c): Heun with 10 steps on IR-SDE's grid, and on section 3's bridge
    from its pinned end ``t_T = 1`` to 0.1 (started from the bridge's prior, ``mu``)."""
    from rdbm_core.bridge import bridges

    irsde, cont = bridges.irsde(), _ode_bridge()
    return (count_heun(irsde, irsde.schedule.sampling_times(10)),
            count_heun(cont, torch.linspace(T_TERMINAL, T_END, 11, dtype=DT)))


@exercise("08.3", "Counting Heun's network evaluations", "predict")
def check_heun_nfe(answer):
    try:
        got = [int(v) for v in answer]
    except (TypeError, ValueError):
        return wrong("answer with two whole numbers: (b) the IR-SDE grid, (c) section 3's bridge from t_T = 1 to 0.1.",
                     "for example `(10, 10)`.")
    if len(got) == 3:
        return wrong("answer (b) and (c) only: (a), the reference RDBM grid, is the worked baseline the exercise "
                     "gives.", "drop the first number: `(b, c)`.")
    if len(got) != 2:
        return wrong(f"expected two numbers, (b) and (c), got {len(got)}.",
                     "one NFE count per grid, in the order of the question.")
    truth = list(heun_nfe_truth())
    if got == truth:
        return correct("every step evaluates the network once for x0_hat; Heun's own update adds one more, and it "
                       "is skipped by the first step out of a pinned terminal point (implicit: IR-SDE has none) "
                       "and by the last step into the clean point (it returns x0_hat: section 3's grid stops short of "
                       "it).")
    hints = (
        "IR-SDE is not a bridge (irsde.is_terminal(100) is False): by the step rules of notebook 08, section 1, "
        "which of its steps takes the implicit rule, and which one returns x0_hat (bridge.is_clean)?",
        "section 3's bridge is pinned at its end t_T = 1, and its grid ends at 0.1, not at the clean time 0: which of "
        "the two special steps of the reference grid does this grid take?",
    )
    first = next(i for i, (g, w) in enumerate(zip(got, truth)) if g != w)
    return wrong(f"your count for ({'bc'[first]}) is not what the sampler spends.", hints[first])


#: 08.4's five settings of notebook 08, section 2: (library sampler name, eta).
SETTINGS_08_4 = {"implicit, eta=0": ("implicit", 0.0), "implicit, eta=1": ("implicit", 1.0),
                 "Euler-Maruyama (reverse SDE)": ("euler-maruyama", None), "Euler (PF-ODE)": ("euler", None),
                 "Heun (PF-ODE)": ("heun", None)}


def distinct_outputs(n_steps: int) -> list[list[str]]:
    """The five settings of notebook 08 grouped by bit-identical output on RDBM's reference grid of ``n_steps``
    sampler steps (same seed), with a stand-in network whose prediction depends on its input."""
    from rdbm_core.bridge import bridges
    from rdbm_core.bridge.samplers import SamplerSpec
    from rdbm_core.restoration.evaluation import restore

    class StandIn(torch.nn.Module):
        parameterization = "x0"

        def forward(self, x, mu, t):
            return torch.tanh(0.7 * x + 0.3 * mu + 0.01 * t.float().view(-1, 1, 1, 1))

    rdbm = bridges.rdbm()
    mu = torch.rand(1, 3, 4, 4, generator=torch.Generator().manual_seed(3)) * 2 - 1
    outs = {label: restore(StandIn(), rdbm, mu, SamplerSpec(name, n_steps, eta=eta), torch.Generator().manual_seed(0))
            for label, (name, eta) in SETTINGS_08_4.items()}
    groups: list[list[str]] = []
    for label, out in outs.items():
        same = next((g for g in groups if torch.equal(outs[g[0]], out)), None)
        if same is None:
            groups.append([label])
        else:
            same.append(label)
    return groups


@exercise("08.4", "Which samplers coincide with 3 sampler steps", "predict")
def check_distinct_outputs(answer):
    if isinstance(answer, bool) or not isinstance(answer, (int, float)) or answer != int(answer):
        return wrong("answer with one whole number: how many distinct outputs the five settings produce.",
                     "for example `4`.")
    got, truth = int(answer), len(distinct_outputs(3))
    if got == truth:
        return correct("with 3 sampler steps the middle step is an ordinary one, and there every setting uses its own "
                       "rule: the exact implicit step, the posterior draw of eta = 1, the reverse-SDE step, Euler's "
                       "and Heun's PF-ODE steps. Only the first step (implicit) and the last (returns x0_hat) are "
                       "shared, so no two settings agree.")
    if got == 2:
        return wrong("that is the count with 2 sampler steps, where no ordinary step is taken.",
                     "with 3 steps one step lies between the first and the last: which rule does each setting use "
                     "there?")
    if got in (3, 4):
        return wrong(f"with {got} distinct outputs some settings would still agree after the middle step.",
                     "compare the middle step's rules pairwise: does Euler's PF-ODE step equal the exact implicit "
                     "step, and does Euler-Maruyama's step equal the eta = 1 posterior draw, for a step of finite "
                     "size?")
    return wrong(f"{got} is not what the samplers give: the count lies between one and the number of settings.",
                 "count the groups of settings whose three steps are the same rules with the same noise.")
