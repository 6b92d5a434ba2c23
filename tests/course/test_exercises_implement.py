"""The *implement* exercises (a function): right answers pass, realistic wrong ones are caught with a hint that
names the mistake and does not give the answer away; crashing and misshapen functions get feedback."""
import dataclasses
import math
import re

import pytest
import torch

from rdbm_core.bridge import samplers
from rdbm_course.exercises import check

from exercise_feedback import assert_caught, raises, right, wrong  # tests/course/exercise_feedback.py

STEP_GIVEAWAY = "sqrt(torch.clamp(sigma_s ** 2 - rho2, min=0.0))"

BBDM_GIVEAWAY = "schedule.clock(t) / schedule.u_T"


def theta_on_grid(schedule, t):
    b_ = schedule.clock_to_end(t)
    c_ = torch.tensor(schedule.u_T, dtype=torch.float64)
    return torch.exp(b_ - c_) * torch.expm1(-2 * b_) / torch.expm1(-2 * c_)


def test_01_3_theta_on_grid():
    giveaway = "sinh(thbar_{t:T}) / sinh(thbar_T)"
    assert check("01.3", theta_on_grid)
    psi = check("01.3", lambda sch, t: torch.exp(sch.clock(t) - sch.u_T) * torch.expm1(-2 * sch.clock(t))
                / torch.expm1(torch.tensor(-2 * sch.u_T)))
    assert_caught(psi, giveaway)
    assert "Psi" in psi.message
    assert "Psi" in check("01.3", lambda sch, t: 1 - theta_on_grid(sch, t)).message  # Psi_t = 1 - Theta_t here
    assert_caught(check("01.3", lambda sch, t: torch.exp(-sch.clock(t))), giveaway)
    assert_caught(check("01.3", raises), giveaway)
    assert_caught(check("01.3", lambda sch, t: theta_on_grid(sch, t)[:-1]), giveaway)
    assert "shape" in check("01.3", lambda sch, t: theta_on_grid(sch, t)[:-1]).message


def test_01_3_refuses_wrappers_around_the_coefficients():
    """A function that reaches the library's Theta_t is refused, by any route: a path of the notebook kept in scope
    (the review's `ref.coefficients(t)[0]`, and one built on the student's schedule), a path's other coefficient
    methods, the library's constructors, and a table prepared in advance for the two grids the exercise names.
    Mutations tried: without `watching_calls` the notebook's path kept in scope passes as right; without the third
    grid the prepared table passes as right."""
    from rdbm_core.bridge import bridges
    from rdbm_core.bridge.path import ResidualPath

    giveaway = "sinh(thbar_{t:T}) / sinh(thbar_T)"
    ref = bridges.rdbm()
    kept = {"ref": ref}

    def notebook_path(schedule, t):  # the notebook's path, moved onto the given schedule
        return dataclasses.replace(kept["ref"], schedule=schedule).coefficients(t)[0]

    def own_path(schedule, t):
        return ResidualPath(schedule, 1.0).coefficients(t)[0]

    def unit_variance(schedule, t):
        made = kept["ref"].__class__(schedule, 1.0)
        theta = theta_on_grid(schedule, t)
        made.unit_variance(t)
        return theta

    def fresh_bridge(schedule, t):
        return bridges.ou_bridge(schedule, 1.0).coefficients(t)[0]

    table = {p.schedule.name: p.coefficients(p.schedule.times())[0] for p in (bridges.rdbm(), bridges.goub())}
    for answer in (notebook_path, own_path, unit_variance, fresh_bridge):
        fb = check("01.3", answer)
        assert_caught(fb, giveaway)
        assert "clock alone" in fb.message or "library's own" in fb.message, fb.message
    prepared = check("01.3", lambda schedule, t: table.get(schedule.name, next(iter(table.values()))))
    assert_caught(prepared, giveaway)
    assert "third" in prepared.message


def reverse_sde_drift(path, x, x0_hat, mu_, t):
    theta_t, _, sigma_t = path.coefficients(t)
    return (mu_ - x) / torch.tanh(path.schedule.clock_to_end(t)) \
        + 2 * path.lam * (x - mu_ - theta_t * (x0_hat - mu_)) / sigma_t ** 2


def _clock_step(path, t):
    return path.schedule.clock(t) - path.schedule.clock(t - 1)


def step_factor(path, t, drift=reverse_sde_drift, du_of=_clock_step, sign=-1):
    """a_t of one Euler-Maruyama step from t to t - 1, read off the drift at x = 1 and x = 0 (an intact pixel)."""
    zero, one = torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64)
    slope = float(drift(path, one, zero, zero, t) - drift(path, zero, zero, zero, t))
    return 1 + sign * float(du_of(path, t)) * slope


def both(drift=reverse_sde_drift, factor=step_factor):
    return {"drift": drift, "step_factor": factor}


def test_02b_3_reverse_sde_drift():
    """The library's drift passes; g^2 and the score as separate factors (NaN at intact pixels), the PF-ODE velocity,
    the forward drift alone and the drift per unit time (times theta_t) are caught.  Mutation tried: without the
    checker's finiteness test the naive version gets the generic non-finite message, which names no intact pixel."""
    giveaway = "2 * path.lam * (x - mu_ - theta_t * (x0_hat - mu_)) / sigma_t ** 2"
    assert check("02b.3", both())

    def naive(path, x, x0_hat, mu_, t):
        theta_t, _, sigma_t = path.coefficients(t)
        pi_hat = x0_hat - mu_
        score = -(x - mu_ - theta_t * pi_hat) / (sigma_t ** 2 * pi_hat ** 2)
        return (mu_ - x) / torch.tanh(path.schedule.clock_to_end(t)) - 2 * path.lam * pi_hat ** 2 * score

    nan = check("02b.3", both(naive))
    assert_caught(nan, giveaway)
    assert "NaN" in nan.message and "intact" in nan.message and "part 'drift'" in nan.message
    flow = check("02b.3", both(lambda path, x, x0_hat, mu_, t: path.velocity(x, x0_hat, mu_, t)))
    assert_caught(flow, giveaway)
    assert "probability-flow" in flow.message
    forward = check("02b.3", both(lambda path, x, x0_hat, mu_, t: path.bridge_drift(x, mu_, t)))
    assert_caught(forward, giveaway)
    assert "forward drift" in forward.message
    per_time = check("02b.3", both(lambda path, x, x0_hat, mu_, t: reverse_sde_drift(path, x, x0_hat, mu_, t)
                                   * (path.schedule.clock(t) - path.schedule.clock(t - 1))))
    assert_caught(per_time, giveaway)
    assert_caught(check("02b.3", both(raises)), giveaway)


def test_02b_3_step_factor():
    """Part (b): a_t = 1 - du dF_rev/dx of one Euler-Maruyama step passes; the wrong sign, the probability flow's
    factor (half the score term), the clock at t for du, the slope itself, a constant, a factor right only at t = 98,
    an array and a call of path.reverse_drift are caught, each with its own message and without the factor's formula;
    part (a) alone is refused.  Mutation that fails: a checker that tests only the 100-step grid at t = 98 lets the
    factor that is right only there pass (tried: FACTOR_TIMES = ((100, (98,)),) fails this test)."""
    giveaway = "1 - du * (2 lam / Sigma_t^2 - coth"

    def flow_drift(path, x, x0_hat, mu_, t):
        return path.bridge_drift(x, mu_, t) + (reverse_sde_drift(path, x, x0_hat, mu_, t)
                                               - path.bridge_drift(x, mu_, t)) / 2

    cases = {
        "wrong sign": (lambda path, t: step_factor(path, t, sign=+1), "sign"),
        "flow": (lambda path, t: step_factor(path, t, drift=flow_drift), "probability-flow"),
        "clock": (lambda path, t: step_factor(path, t, du_of=lambda p, t_: p.schedule.clock(t_)), "clock at t"),
        "slope": (lambda path, t: step_factor(path, t, du_of=lambda p, t_: -1.0, sign=+1) - 1, "slope"),
        "constant": (lambda path, t: 0.5, "not a_t"),
        "right only at 98": (lambda path, t: step_factor(path, t) if int(t) == 98 else 0.9, "not a_t"),
    }
    for name, (factor, words) in cases.items():
        feedback = check("02b.3", both(factor=factor))
        assert_caught(feedback, giveaway)
        assert words in feedback.message and "part 'step_factor'" in feedback.message, (name, feedback)
    assert "one number" in check("02b.3", both(factor=lambda path, t: torch.ones(3))).message
    assert "path.reverse_drift" in check("02b.3", both(factor=lambda path, t: path.reverse_drift)).message
    assert "dict" in check("02b.3", reverse_sde_drift).message  # part (a) alone is refused
    assert "dict" in check("02b.3", {"drift": reverse_sde_drift}).message


@pytest.mark.parametrize("method", ["reverse_drift", "velocity", "score"])
def test_02b_3_refuses_the_paths_own_drift(method):
    """The path handed to the student's function records the methods that give the answer in one call.  Mutation
    tried: handing the real path (no GuardedPath) lets `path.reverse_drift(...)` pass as right."""
    def calls(path, x, x0_hat, mu_, t):
        if method == "score":  # the score's own pi_hat^2 division is the student's to cancel
            path.score(x, x0_hat, mu_, t)
        elif method == "velocity":
            path.velocity(x, x0_hat, mu_, t)
        return path.reverse_drift(x, x0_hat, mu_, t) if method == "reverse_drift" else reverse_sde_drift(
            path, x, x0_hat, mu_, t)
    feedback = check("02b.3", both(calls))
    assert not feedback.ok and f"path.{method}" in feedback.message


def implicit_step_any_eta(path, x_t, x0_hat, mu_, t, s, eta, z):
    theta_t, _, sigma_t = path.coefficients(t)
    theta_s, _, sigma_s = path.coefficients(s)
    rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2]
    noisy = sigma_t > 0
    keep = torch.sqrt(torch.clamp(sigma_s ** 2 - rho2, min=0.0)) / torch.where(noisy, sigma_t, 1.0)
    carried = torch.where(noisy, keep * (x_t - mu_ - theta_t * (x0_hat - mu_)), 0.0)
    return mu_ + theta_s * (x0_hat - mu_) + carried + rho2.sqrt() * path.noise_factor(x0_hat, mu_) * z


def _eta0_only(path, x_t, x0_hat, mu_, t, s, eta, z):  # the eta = 0 step, right, but blind to eta and z
    theta_t, _, sigma_t = path.coefficients(t)
    theta_s, _, sigma_s = path.coefficients(s)
    k = torch.where(sigma_t > 0, (x_t - mu_ - theta_t * (x0_hat - mu_)) / torch.where(sigma_t > 0, sigma_t, 1.0), 0.0)
    return mu_ + theta_s * (x0_hat - mu_) + sigma_s * k


def test_02c_1_implicit_step():
    assert check("02c.1", implicit_step_any_eta)


def test_02c_1_first_step_from_the_pinned_point():
    """The step must handle t = t_T, where Sigma_t = 0 and k is 0/0.  Mutation tried: the plain ratio
    (no torch.where) passed before the checker tested t_T; now it is caught as NaN."""
    def plain(path, x_t, x0_hat, mu_, t, s, eta, z):
        theta_t, _, sigma_t = path.coefficients(t)
        theta_s, _, sigma_s = path.coefficients(s)
        rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2]
        return (mu_ + theta_s * (x0_hat - mu_) + (sigma_s ** 2 - rho2).sqrt() / sigma_t * (x_t - mu_ - theta_t * (x0_hat - mu_))
                + rho2.sqrt() * path.noise_factor(x0_hat, mu_) * z)
    feedback = check("02c.1", plain)
    assert not feedback.ok and "t_T" in feedback.message and "NaN" in feedback.message

    def inverted(path, x_t, x0_hat, mu_, t, s, eta, z):  # Sigma_t / Sigma_s: the step goes the wrong way
        theta_t, _, sigma_t = path.coefficients(t)
        theta_s, _, sigma_s = path.coefficients(s)
        return mu_ + theta_s * (x0_hat - mu_) + sigma_t / sigma_s * (x_t - mu_ - theta_t * (x0_hat - mu_))

    def convex_mean(path, x_t, x0_hat, mu_, t, s, eta, z):  # right to rounding, but intact pixels drift off mu
        theta_t, _, sigma_t = path.coefficients(t)
        theta_s, _, sigma_s = path.coefficients(s)
        return (theta_s * x0_hat + (1 - theta_s) * mu_
                + sigma_s / sigma_t * (x_t - theta_t * x0_hat - (1 - theta_t) * mu_))

    assert_caught(check("02c.1", inverted), STEP_GIVEAWAY)
    forgets = check("02c.1", lambda path, x_t, x0_hat, mu_, t, s, eta, z: path.mean(x0_hat, mu_, s))
    assert_caught(forgets, STEP_GIVEAWAY)
    assert "forgets the noise" in forgets.message
    bits = check("02c.1", convex_mean)
    assert_caught(bits, STEP_GIVEAWAY)
    assert "exactly mu" in bits.message
    assert_caught(check("02c.1", raises), STEP_GIVEAWAY)
    shape = check("02c.1", lambda path, x_t, *rest: implicit_step_any_eta(path, x_t, *rest)[0])
    assert_caught(shape, STEP_GIVEAWAY)
    assert "shape" in shape.message


def test_02c_1_the_stochastic_step():
    """eta > 0: the step must shrink the carried noise part and scale the fresh noise by nu(pi_hat).  Mutations
    tried: the eta = 0 step (eta and z ignored), the eta = 0 factor plus fresh noise (variance too large), fresh
    noise without nu(pi_hat); each is caught with its own message."""
    blind = assert_caught(check("02c.1", _eta0_only), STEP_GIVEAWAY)
    assert "ignores eta" in blind.message

    def no_shrink(path, x_t, x0_hat, mu_, t, s, eta, z):
        rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2]
        return _eta0_only(path, x_t, x0_hat, mu_, t, s, eta, z) + rho2.sqrt() * path.noise_factor(x0_hat, mu_) * z

    def no_factor(path, x_t, x0_hat, mu_, t, s, eta, z):
        rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2]
        return (implicit_step_any_eta(path, x_t, x0_hat, mu_, t, s, eta, z)
                + rho2.sqrt() * (1 - path.noise_factor(x0_hat, mu_)) * z)

    too_large = assert_caught(check("02c.1", no_shrink), STEP_GIVEAWAY)
    assert "too large" in too_large.message
    unscaled = assert_caught(check("02c.1", no_factor), STEP_GIVEAWAY)
    assert "noise factor" in unscaled.message


def test_02c_1_negative_factor():
    """Both signs of the factor of x_t - E[x_t | x0_hat] keep the marginal's mean and variance; the exercise asks for
    the nonnegative one.  Mutation that fails: the step with the factor negated (it was reported only as "x_s is
    wrong" before the checker named the sign)."""
    def negative(path, x_t, x0_hat, mu_, t, s, eta, z):
        mean_s = mu_ + path.coefficients(s)[0] * (x0_hat - mu_)
        fresh = (eta ** 2 * path.posterior_coefficients(t, s)[2]).sqrt() * path.noise_factor(x0_hat, mu_) * z
        return 2 * (mean_s + fresh) - implicit_step_any_eta(path, x_t, x0_hat, mu_, t, s, eta, z)

    feedback = assert_caught(check("02c.1", negative), STEP_GIVEAWAY)
    assert "negative" in feedback.message and "nonnegative" in feedback.hint


def test_02c_1_refuses_the_library_sampler_passed_through():
    """The library's step, passed as the answer, wrapped in a lambda, bound with functools.partial or reached as
    ``rdbm_core.bridge.samplers.implicit_step``, is refused (it used to pass: the checker's reference *is* that
    function); the independent step above still passes.  Mutation tried (when the answer took no eta and z): dropping
    the refusal let all four pass."""
    import functools

    import rdbm_core

    wrapped = (samplers.implicit_step,
               lambda path, x_t, x0_hat, mu_, t, s, eta, z: samplers.implicit_step(path, x_t, x0_hat, mu_, t, s,
                                                                                    eta=eta),
               functools.partial(samplers.implicit_step),
               lambda path, x_t, x0_hat, mu_, t, s, eta, z: rdbm_core.bridge.samplers.implicit_step(
                   path, x_t, x0_hat, mu_, t, s, eta))
    for answer in wrapped:
        feedback = assert_caught(check("02c.1", answer), STEP_GIVEAWAY)
        assert "library's own" in feedback.message and "rdbm_core.bridge.samplers" in feedback.message
    assert check("02c.1", implicit_step_any_eta)


def bbdm_parameters(schedule, t):
    return schedule.clock(t) / schedule.u_T, schedule.u_T / 2


def test_03_2_bbdm_parameters():
    """03.2 checks the matching (m_t = G_t/G_T, max_var = G_T/2), not a variance the clock gives directly.
    Mutation that fails: a checker that compares only m (the max_var = u_T answer below then passes)."""
    assert check("03.2", bbdm_parameters)
    assert check("03.2", lambda sch, t: (sch.clock(t) / sch.u_T, torch.tensor(sch.u_T / 2)))  # a 0-d tensor
    doubled = check("03.2", lambda sch, t: (sch.clock(t) / sch.u_T, sch.u_T))
    assert_caught(doubled, BBDM_GIVEAWAY, "u_T / 2", "G_T/2")
    assert "max_var" in doubled.message and "variance" in doubled.hint
    reversed_m = check("03.2", lambda sch, t: (1 - sch.clock(t) / sch.u_T, sch.u_T / 2))
    assert_caught(reversed_m, BBDM_GIVEAWAY, "G_t/G_T")
    assert "x_T" in reversed_m.hint
    assert_caught(check("03.2", lambda sch, t: (sch.clock(t), sch.u_T / 2)), BBDM_GIVEAWAY, "G_t/G_T")
    by_index = check("03.2", lambda sch, t: ((t.double() + 1) / (sch.t_T + 1), sch.u_T / 2))
    assert_caught(by_index, BBDM_GIVEAWAY, "G_t/G_T")
    assert "index" in by_index.message
    variance = check("03.2", lambda sch, t: sch.clock(t) * (sch.u_T - sch.clock(t)) / sch.u_T)  # the old answer
    assert_caught(variance, BBDM_GIVEAWAY)
    assert "pair" in variance.message
    assert_caught(check("03.2", raises), BBDM_GIVEAWAY)
    shape = check("03.2", lambda sch, t: (bbdm_parameters(sch, t)[0][1:-1], sch.u_T / 2))
    assert_caught(shape, BBDM_GIVEAWAY)
    assert "shape" in shape.message


def _em_step(drift_rate=True, modulated=True, two=2.0):
    def em_step(path, x, x0, mu, t, dt, dw):
        th = float(path.schedule.theta(t))
        s = path.noise_factor(x0, mu) if modulated else 1.0
        drift = (th if drift_rate else 1.0) * path.bridge_drift(x, mu, t)
        return x + drift * dt + math.sqrt(two * path.lam * th) * s * dw
    return em_step


def test_04_1_em_step_right_and_mistakes():
    fb = right("04.1", _em_step())
    assert "se" in fb.message  # it reports how many standard errors the moments are off
    assert "per unit of the clock" in wrong("04.1", _em_step(drift_rate=False)).hint
    assert "modulated" in wrong("04.1", _em_step(modulated=False)).hint
    assert "factor 2" in wrong("04.1", _em_step(two=1.0)).hint


def test_04_1_em_step_with_a_hard_coded_rate_fails_the_moment_check():
    def constant_rate(path, x, x0, mu, t, dt, dw):  # the notebook's theta = 3, not the checker's 1 + 4t
        noise = math.sqrt(2 * path.lam * 3.0) * path.noise_factor(x0, mu) * dw
        return x + 3.0 * path.bridge_drift(x, mu, t) * dt + noise
    fb = wrong("04.1", constant_rate)
    assert "standard errors" in fb.message and "path.schedule.theta(t)" in fb.hint


def test_04_1_em_step_raising_or_misshapen():
    assert "ZeroDivisionError" in wrong("04.1", lambda *a: 1 / 0).message
    assert "shape" in wrong("04.1", lambda path, x, *a: x[0]).message


def _std_map(modulated_for=("modulated",), absolute=True, squared=False, cast=True, factor_two=2.0, rounding=0.0):
    """05.2 built from the clock, as the exercise asks; the keywords make the usual mistakes (``rounding`` shifts
    thbar_{t:T} below its exact value, as a clock difference computed another way can at t_T)."""
    def std_map(path, x0, mu, t):
        u, to_end, c = path.schedule.clock(t), path.schedule.clock_to_end(t) - rounding, path.schedule.u_T
        sigma = torch.sqrt(factor_two * path.lam * torch.sinh(u) * torch.sinh(to_end) / math.sinh(c))
        sigma = (sigma.to(x0.dtype) if cast else sigma).reshape(-1, 1, 1, 1)
        factor = (x0 - mu) if path.noise in modulated_for else torch.ones_like(x0)
        out = sigma * (factor.abs() if absolute else factor)
        return out ** 2 if squared else out
    return std_map


def test_05_2_std_map_right_and_mistakes():
    """Mutation that fails: the checker without its dtype test passes the uncast (float64) map."""
    right("05.2", _std_map())
    assert "global" in wrong("05.2", _std_map(modulated_for=("modulated", "global"))).hint
    assert "modulates" in wrong("05.2", _std_map(modulated_for=())).hint
    assert "absolute value" in wrong("05.2", _std_map(absolute=False)).hint
    assert "variance" in wrong("05.2", _std_map(squared=True)).hint
    assert "factor 2" in wrong("05.2", _std_map(factor_two=1.0)).hint
    assert "dtype" in wrong("05.2", _std_map(cast=False)).message
    one_time = wrong("05.2", lambda path, x0, mu, t: _std_map()(path, x0, mu, t[:1].expand(len(t))))
    assert "[B, 1, 1, 1]" in one_time.hint


def test_05_2_nan_at_the_pinned_end_is_named():
    """A map right at interior times but NaN at t = t_T (thbar_{t:T} rounded below 0) is refused, with a hint to
    clock_to_end.  Mutation that fails: the checker run only at the interior times 20 and 80 passes it as right."""
    assert "clock_to_end" in wrong("05.2", _std_map(rounding=1e-15)).hint


def test_05_2_refuses_the_paths_own_sigma():
    """The library's Sigma_t is refused by any route: the argument's own coefficients or std, and a path of the
    notebook kept in scope.  Mutation that fails: the checker without `watching_calls` passes all three as right."""
    from rdbm_core.bridge import bridges
    kept = bridges.goub()

    def from_coefficients(path, x0, mu, t):
        return path.coefficients(t)[2].to(x0.dtype).reshape(-1, 1, 1, 1) * path.noise_factor(x0, mu).abs()

    def from_kept(path, x0, mu, t):
        return dataclasses.replace(kept, schedule=path.schedule, lam=path.lam, noise=path.noise).std(x0, mu, t)

    for answer, name in ((from_coefficients, "coefficients"), (lambda path, *a: path.std(*a), "std"),
                         (from_kept, "std")):
        assert f"`{name}`" in wrong("05.2", answer, "path.std(x0, mu, t)").message


def test_05_2_std_map_raising_or_misshapen():
    assert "ZeroDivisionError" in wrong("05.2", lambda *a: 1 / 0).message
    assert "shape" in wrong("05.2", lambda path, x0, mu, t: _std_map()(path, x0, mu, t)[0]).message


def _loss_split(noise=True, l1=True, threshold=1 / 255, per_channel=False, per_region=False, use_sample=False):
    def loss_by_region(model, x0, mu, bridge, t, eps):
        if use_sample:
            x_t = bridge.sample(x0, mu, t, noise=eps)
        else:
            theta, _, sigma = (c.to(x0).reshape(-1, 1, 1, 1) for c in bridge.coefficients(t))
            pi = x0 - mu
            x_t = mu + theta * pi + sigma * (pi if noise else 1) * eps
        err = model(x_t, mu, t) - x0
        err = err.abs() if l1 else err ** 2
        change = (x0 - mu).abs()
        degraded = (change if per_channel else change.amax(1, keepdim=True)) > threshold
        degraded = degraded.expand_as(err)
        if per_region:
            return err[degraded].mean(), err[~degraded].mean()
        return float(err[degraded].sum() / err.numel()), float(err[~degraded].sum() / err.numel())
    return loss_by_region


def test_06_1_loss_split_right_and_mistakes_are_named():
    assert right("06.1", _loss_split())
    assert "modulated" in wrong("06.1", _loss_split(noise=False)).hint
    assert "L1" in wrong("06.1", _loss_split(l1=False)).hint
    assert "x0 != mu" in wrong("06.1", _loss_split(threshold=0)).hint
    assert "1/255" in wrong("06.1", _loss_split(threshold=0.5 / 255)).hint
    assert "some* channel" in wrong("06.1", _loss_split(per_channel=True)).hint
    assert "number of all values" in wrong("06.1", _loss_split(per_region=True)).hint
    assert "wrong order" in wrong("06.1", lambda *a: _loss_split()(*a)[::-1]).message
    assert "two numbers" in wrong("06.1", lambda m, x0, *a: (x0 - x0).abs().mean()).message


def test_06_1_refuses_the_library_loss_mask_and_sampler():
    from rdbm_core.bridge import losses
    from rdbm_core.networks import training
    from rdbm_core.data.degradations import degraded_mask

    assert "rdbm_core.bridge.losses" in wrong("06.1", losses.bridge_loss).message
    via_training = wrong("06.1", lambda model, x0, mu, bridge, t, eps: training.training_loss(
        model, bridge, x0, mu, training.TrainConfig(), None))
    assert "library's own" in via_training.message

    def with_library_mask(model, x0, mu, bridge, t, eps):
        theta, _, sigma = (c.to(x0).reshape(-1, 1, 1, 1) for c in bridge.coefficients(t))
        err = (model(mu + (theta + sigma * eps) * (x0 - mu), mu, t) - x0).abs()
        degraded = degraded_mask(x0, mu).expand_as(err)
        return float(err[degraded].sum() / err.numel()), float(err[~degraded].sum() / err.numel())
    assert "rdbm_core.data.degradations" in wrong("06.1", with_library_mask).message
    assert "bridge.sample" in wrong("06.1", _loss_split(use_sample=True)).message


def _psnr_region(clamp=True, infinite=True):
    def psnr_region(pred, target, mask):
        p, q = (pred.double() + 1) / 2, (target.double() + 1) / 2
        if clamp:
            p, q = p.clamp(0, 1), q.clamp(0, 1)
        mse = float(((p - q)[:, mask[0]] ** 2).mean())
        return math.inf if infinite and mse == 0 else 10 * math.log10(1 / mse)
    return psnr_region


def test_06_2_psnr_scale_mistake_is_named():
    assert right("06.2", _psnr_region())

    def psnr_unscaled(pred, target, mask):
        return 10 * math.log10(1 / float(((pred - target)[:, mask[0]].double() ** 2).mean()))
    fb = wrong("06.2", psnr_unscaled)
    assert "6.02 dB too low" in fb.message and "[0, 1]" in fb.hint
    wrong("06.2", lambda pred, target, mask: 30.0)


def test_06_2_clamping_and_identical_regions_are_named():
    assert "clamp" in wrong("06.2", _psnr_region(clamp=False)).hint
    no_inf = wrong("06.2", _psnr_region(infinite=False))
    assert "identical region" in no_inf.message and "math.inf" in no_inf.hint
    zero_for_empty = wrong("06.2", lambda p, t, m: 0.0 if not m.any() else _psnr_region()(p, t, m))
    assert "empty mask" in zero_for_empty.message and "math.nan" in zero_for_empty.hint


def test_06_2_refuses_the_library_psnr():
    import rdbm_core
    from rdbm_core.evidence.metrics import image_metrics
    from rdbm_core.evidence.metrics import psnr

    assert "rdbm_core.evidence.metrics" in wrong("06.2", psnr).message
    assert "library's own" in wrong("06.2", lambda pred, target, mask: psnr(pred, target, mask)).message
    assert "library's own" in wrong("06.2", lambda p, t, m: rdbm_core.evidence.metrics.psnr(p, t, m)).message
    assert "library's own" in wrong("06.2", lambda p, t, m: image_metrics(p, t, m)["psnr_degraded"]).message

    def helper(p, t, m):
        return psnr(p, t, m)
    assert "library's own" in wrong("06.2", lambda p, t, m: helper(p, t, m)).message


def _hierarchical_draw(levels=("seeds", "photographs", "windows"), crossed=True):
    """A student's 07.1 answer: one draw of the bootstrap over ``levels``; ``crossed=False`` draws the items
    separately for each drawn seed."""
    import numpy as np

    def draw_items(photographs, rng):
        if "photographs" not in levels:
            return rng.integers(0, len(photographs), len(photographs))
        names = sorted(set(photographs))
        windows = {n: [i for i, p in enumerate(photographs) if p == n] for n in names}
        out = []
        for k in rng.integers(0, len(names), len(names)):
            out += [windows[names[k]][j] for j in rng.integers(0, len(windows[names[k]]), len(windows[names[k]]))]
        return out

    def draw(diffs, photographs, rng):
        n = diffs.shape[0]
        seeds = rng.integers(0, n, n) if "seeds" in levels else np.arange(n)
        if crossed:
            return float(diffs[np.ix_(seeds, draw_items(photographs, rng))].mean())
        return float(np.mean([diffs[s, draw_items(photographs, rng)].mean() for s in seeds]))
    return draw


def test_07_1_hierarchical_draw_and_the_levels_left_out():
    """The three levels pass; leaving out the seeds or the photographs, or drawing the items for each seed apart,
    is named; a draw that is not a mean is caught."""
    right("07.1", _hierarchical_draw())
    assert "seeds are held fixed" in wrong("07.1", _hierarchical_draw(("photographs", "windows"))).message
    assert "photographs are not drawn" in wrong("07.1", _hierarchical_draw(("seeds", "windows"))).message
    assert "own item draw" in wrong("07.1", _hierarchical_draw(crossed=False)).message
    assert "MEAN" in wrong("07.1", lambda d, p, rng: 3 * _hierarchical_draw()(d, p, rng)).hint
    assert "one number" in wrong("07.1", lambda d, p, rng: [1.0, 2.0]).message


def _du(path, t, s):
    return float(path.schedule.clock(t) - path.schedule.clock(s))


def _euler_step(step_in_t=False, at_s=False):
    def euler_step(path, x, x0_hat, mu, t, s):
        du = float(t - s) if step_in_t else _du(path, t, s)
        return x - du * path.velocity(x, x0_hat, mu, s if at_s else t)
    return euler_step


def _heun_step(reuse_x0_hat=False, corrector_at_t=False):
    def heun_step(path, model, x, mu, t, s):
        du = _du(path, t, s)
        x0_hat = model(x, mu, t)
        v1 = path.velocity(x, x0_hat, mu, t)
        x_e = x - du * v1
        x0_e = x0_hat if reuse_x0_hat else model(x_e, mu, s)
        return x - du * 0.5 * (v1 + path.velocity(x_e, x0_e, mu, t if corrector_at_t else s))
    return heun_step


def test_08_1_euler_order_and_mistakes():
    fb = right("08.1", _euler_step())
    assert "order 1 expected, you measured 1.0" in fb.message
    assert "not t - s" in wrong("08.1", _euler_step(step_in_t=True)).hint
    assert "not at s" in wrong("08.1", _euler_step(at_s=True)).hint
    heun_instead = wrong("08.1", lambda path, x, x0_hat, mu, t, s: _heun_step()(path, lambda *a: x0_hat, x, mu, t, s))
    measured = float(re.search(r"order 1 expected, you measured ([\d.]+)", heun_instead.message).group(1))
    assert abs(measured - 2) < 0.1  # the checker reports Heun's order
    exact = wrong("08.1", lambda path, x, x0_hat, mu, t, s: samplers.implicit_step(path, x, x0_hat, mu, t, s))
    assert "exact" in exact.message and "implicit" in exact.hint
    for fb in (heun_instead, exact):
        assert "velocity(x, x0_hat, mu, t)" not in fb.hint


def test_08_1_euler_raising_or_misshapen():
    assert "ZeroDivisionError" in wrong("08.1", lambda *a: 1 / 0).message
    assert "shape" in wrong("08.1", lambda path, x, *a: x[0]).message


def test_08_2_heun_order_calls_and_mistakes():
    fb = right("08.2", _heun_step())
    assert "order 2 expected" in fb.message
    assert "Heun needs 2" in wrong("08.2", _heun_step(reuse_x0_hat=True)).message
    low = wrong("08.2", _heun_step(corrector_at_t=True))
    assert "order 2 expected, you measured 1." in low.message and "(x_e, s)" in low.hint


def test_08_2_heun_raising_or_misshapen():
    assert "ZeroDivisionError" in wrong("08.2", lambda *a: 1 / 0).message
    assert "shape" in wrong("08.2", lambda path, model, x, *a: x[0]).message



def test_06_4_first_capped_iteration_right_and_mistakes_named():
    """06.4 asks for the first k with (1 + k) / (10 + k) >= 0.999, derived by hand (mutation tried: the checker's
    truth with > instead of >= gives 8991 and fails the first line)."""
    from rdbm_core.networks.training import ema_decay
    from rdbm_course.exercises.ex06_training import first_capped_iteration

    assert first_capped_iteration() == 8990 == next(k for k in range(100_000) if ema_decay(0.999, k) >= 0.999)
    assert right("06.4", 8990) and right("06.4", 8990.0)
    assert "Off by one" in wrong("06.4", 8991).message and "Off by one" in wrong("06.4", 8989).message
    assert "10 + k" in wrong("06.4", 9000).message
    assert "1000" in wrong("06.4", 1000).message
    assert "not a function" in wrong("06.4", lambda k: min(0.999, (1 + k) / (10 + k))).message
    assert "not an integer" in wrong("06.4", 8990.5).message
    assert "still below the cap" in wrong("06.4", 300).message
    wrong("06.4", "8990 or so")
