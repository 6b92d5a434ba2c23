"""Exercises of notebook 04 (stochastic trajectories of the OU process and the bridges).

04.1 implement one Euler-Maruyama step of the forward bridge SDE in the time ``t``; the checker simulates
               many one-dimensional paths with it and compares their moments with ``path.mean`` / ``path.std``.
04.2 predict   the share of the free OU process's variance that the OU bridge keeps at the midpoint of the clock:
               its limits as ``thbar_T -> 0`` and ``-> infinity``, then the share as a formula in ``c = thbar_T``
               (from the conditional-Gaussian identity ``1 - rho^2``), which no figure of the notebook shows.
04.3 predict   where a deterministic (PF-ODE) path of RDBM's bridge with a known ``x0``, seen off the mean curve at
               ``t = 0.75``, is at ``t = 0.5``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from ._base import Feedback, _as_expression, call_student, correct, exercise, number_answer, wrong

DT = torch.float64
MU = 0.4  # the degraded value of notebook 04
LOWER, UPPER = -0.6, 0.7  # the two mode centres of notebook 04 (pi = -1 and +0.3)


# ----------------------------------------------------------------------------- 04.1


def _em_setup():
    """RDBM's bridge on a clock with non-constant rate ``theta_t = 1 + 4t``, and paths from two x0 and intact ones.

    The constant rate of the notebook would hide a ``theta_t`` evaluated at the wrong time.
    """
    from rdbm_core.bridge import bridges, schedules

    path = bridges.ou_bridge(schedules.continuous_linear(1.0, 4.0), lam=0.04, name="rdbm")
    n = 10_000
    x0 = torch.cat([torch.full((n,), LOWER, dtype=DT), torch.full((n,), UPPER, dtype=DT),
                    torch.full((16,), MU, dtype=DT)])[None]  # one "image" [1, 2n + 16]; the last 16 are intact
    return path, x0, torch.full_like(x0, MU), n


def _variant_step(path, x, x0, mu, t, dt, dw, drift_rate=True, noise_rate=True, two=2.0, modulated=True,
                  dw_scale=1.0):
    """The Euler-Maruyama step, with the switches turning it into the usual mistakes."""
    th = float(path.schedule.theta(t))
    s = path.noise_factor(x0, mu) if modulated else torch.ones_like(x0)
    g = math.sqrt(two * path.lam * (th if noise_rate else 1.0))
    return x + (th if drift_rate else 1.0) * path.bridge_drift(x, mu, t) * dt + g * s * dw * dw_scale


def _em_confusion(answer, path, x0, mu) -> str | None:
    """One step from a fixed state: does the answer equal one of the common mistakes? (its hint, or None)"""
    t, dt = torch.tensor(0.3, dtype=DT), 0.01
    x = path.sample(x0, mu, t, generator=torch.Generator().manual_seed(1))
    dw = math.sqrt(dt) * torch.randn(x.shape, generator=torch.Generator().manual_seed(2), dtype=DT)
    got = torch.as_tensor(answer(path, x, x0, mu, t, dt, dw), dtype=DT)
    mistakes = (
        (dict(drift_rate=False), "`path.bridge_drift` is dx/du, per unit of the clock u = thbar_t: multiply it by "
                                 "theta_t = path.schedule.theta(t) to get dx/dt."),
        (dict(noise_rate=False), "the diffusion coefficient in t is g_t = sqrt(2 lam theta_t) nu(pi): the clock's "
                                 "rate theta_t enters the noise too."),
        (dict(two=1.0), "the noise variance per unit time is g_t^2 = 2 lam theta_t nu(pi)^2: a factor 2 is missing."),
        (dict(modulated=False), "RDBM's noise is modulated: multiply it by nu(pi) = path.noise_factor(x0, mu), "
                                "which is x0 - mu."),
        (dict(dw_scale=math.sqrt(dt)), "dw is already the Brownian increment, with variance dt: do not multiply it "
                                       "by sqrt(dt) again."),
    )
    for switches, hint in mistakes:
        if got.shape == x.shape and torch.allclose(got, _variant_step(path, x, x0, mu, t, dt, dw, **switches),
                                                   rtol=1e-9, atol=1e-12):
            return hint
    return None


@exercise("04.1", "One Euler-Maruyama step of the forward bridge SDE", "implement")
def check_em_step(answer):
    path, x0, mu, n = _em_setup()
    t_end, n_steps = 0.5, 100
    ts = torch.linspace(0.0, t_end, n_steps + 1, dtype=DT)
    dt = float(ts[1] - ts[0])
    gen = torch.Generator().manual_seed(2026)
    x = x0.clone()
    for k in range(n_steps):
        dw = math.sqrt(dt) * torch.randn(x.shape, generator=gen, dtype=DT)
        x, failure = call_student(answer, path, x, x0, mu, ts[k], dt, dw,
                                  name="em_step(path, x, x0, mu, t, dt, dw)")
        if failure is not None:
            return failure
        x = torch.as_tensor(x, dtype=DT)
        if x.shape != x0.shape:
            return wrong(f"em_step returned shape {tuple(x.shape)}, expected {tuple(x0.shape)} (the shape of x).",
                         "every term of the step is element-wise: drift, noise factor and dw all have x's shape.")
        if not torch.isfinite(x).all():
            return wrong(f"the simulated paths became NaN or inf at step {k + 1} of {n_steps}.",
                         "check the sign of the drift: a bridge pulls x towards mu, it does not push it away.")
    intact = slice(2 * n, None)
    if not torch.equal(x[:, intact], mu[:, intact]):
        hint = _em_confusion(answer, path, x0, mu)
        return wrong("paths that start at x0 = mu (an intact value, pi = 0) moved away from mu.",
                     hint or "under RDBM an intact value has no drift away from mu and no noise: nu(pi) = 0.")
    # moments at t_end against the closed form, per starting value (x0 is fixed, only dW is random)
    bias = 3 * float(path.schedule.theta(torch.tensor(t_end, dtype=DT))) * dt  # Euler-Maruyama is weakly first order
    report = []
    one_mu = torch.tensor([[MU]], dtype=DT)
    for start, part in ((LOWER, slice(0, n)), (UPPER, slice(n, 2 * n))):
        xs, label = x[0, part], f"x0 = {start}"
        m = float(path.mean(torch.tensor([[start]], dtype=DT), one_mu, t_end))
        s = float(path.std(torch.tensor([[start]], dtype=DT), one_mu, t_end))
        z_mean = (float(xs.mean()) - m) / (s / math.sqrt(n))
        z_var = (float(xs.var(unbiased=False)) - s ** 2) / (s ** 2 * math.sqrt(2 / n))
        ok_mean = abs(float(xs.mean()) - m) <= 5 * s / math.sqrt(n) + bias * s
        ok_var = abs(float(xs.var(unbiased=False)) - s ** 2) <= 5 * s ** 2 * math.sqrt(2 / n) + bias * s ** 2
        if not (ok_mean and ok_var):
            what = "mean" if not ok_mean else "variance"
            z = z_mean if not ok_mean else z_var
            hint = _em_confusion(answer, path, x0, mu)
            return wrong(f"for the paths from {label} the simulated {what} at t = {t_end} is {z:+.1f} standard "
                         "errors away from the closed form (path.mean / path.std); the tolerance is 5 plus the "
                         "Euler-Maruyama bias.",
                         hint or "the checker's clock runs at the rate theta_t = 1 + 4t: read it from "
                                 "path.schedule.theta(t) at every step. Going from the clock u to the time t "
                                 "(du = theta_t dt), both the drift and the noise variance carry that rate.")
        report.append(f"{label}: mean {z_mean:+.1f} se, variance {z_var:+.1f} se")
    return correct(f"{2 * n} simulated paths have the closed-form marginal at t = {t_end} ({'; '.join(report)}), "
                   "and the intact values never left mu.")


# ----------------------------------------------------------------------------- 04.2


def _number(answer, name: str):
    """``float(answer)`` or a Feedback saying that a single number is expected."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong(f"{name} should be a single number, got {type(answer).__name__}.", "write e.g. `0.42`.")
    if not math.isfinite(value):
        return wrong(f"{name} should be a finite number.", "write e.g. `0.42`.")
    return value


#: the symbol of exercise 04.2: c = thbar_T (a student writes the share as a formula in ``c``)
C_04_2 = sp.Symbol("c", positive=True)
_EXP_C = {C_04_2: sp.Symbol("E_c", positive=True)}  # e^c, for the exact identity test of derivations.common.zero


def mid_share() -> sp.Expr:
    """The share of the free OU variance that the OU bridge keeps at the midpoint of the clock, from the
    conditional-Gaussian identity ``1 - rho^2`` of the free process given ``x0`` (the truth of exercise 04.2).

    ``Var(x_u) = lam (1 - e^{-2u})``, ``x_c = mu + e^{-(c - u)} (x_u - mu) + (noise independent of x_u)``, so
    ``Cov(x_u, x_c) = e^{-(c - u)} Var(x_u)`` and ``rho^2 = Cov^2 / (Var(x_u) Var(x_c))``, at ``u = c / 2``.
    """
    u, lam = sp.symbols("u lam", positive=True)
    c = C_04_2
    var = lambda k: lam * (1 - sp.exp(-2 * k))  # noqa: E731  (free OU variance after clock k, given x0)
    rho2 = (sp.exp(-(c - u)) * var(u)) ** 2 / (var(u) * var(c))
    return sp.simplify((1 - rho2).subs(u, c / 2))


def _processes(theta: float, noise: str = "global"):
    """The OU process, OU bridge and Brownian bridge with a constant rate ``theta`` on [0, 1], lam = 0.04."""
    from rdbm_core.bridge.path import ResidualPath
    from rdbm_core.bridge import bridges, schedules

    sch = schedules.continuous_constant(theta, T=1.0)
    return (ResidualPath(sch, 0.04, noise=noise, pinned=False, name="ou"),
            bridges.ou_bridge(sch, 0.04, noise=noise, name="ou-bridge"),
            ResidualPath(sch, 0.04, noise=noise, kind="brownian", name="brownian"))


def mid_variance_ratio(theta: float) -> float:
    """Var(OU bridge) / Var(free OU) given x0 at t = 0.5 for a constant rate ``theta`` on [0, 1] (library values):
    the midpoint of the clock ``c = theta``, so it must equal :func:`mid_share` at ``c = theta``."""
    ou, bridge, _ = _processes(theta)
    t = torch.tensor(0.5, dtype=DT)
    return float(bridge.coefficients(t)[2]) ** 2 / float(ou.coefficients(t)[2]) ** 2


def _formula_hint(expr: sp.Expr, truth: sp.Expr) -> str | None:
    """The hint for a common wrong formula of the share (None if it is none of them)."""
    from derivations.common import zero

    def same(other):
        return zero(expr - other, _EXP_C) == 0

    c = C_04_2
    if not expr.free_symbols:
        if same(sp.Rational(1, 2)):
            return ("1/2 is the share that Brownian motion keeps at mid-time when its end is pinned, for every c; "
                    "the free OU process forgets as its clock runs, so its share depends on c.")
        return "the share depends on c = thbar_T: write it as a formula in c."
    if same(1 - truth):
        return "that is rho^2, the share that the pin removes; the bridge keeps 1 - rho^2."
    if same(sp.sqrt(truth)):
        return "that is close to a ratio of standard deviations; the question asks for variances."
    if same(truth.subs(c, 2 * c)) or same(truth.subs(c, c / 2)):
        return ("check the clock: the midpoint is u = c/2, and under the free OU process x_T depends on x_t through "
                "e^{-(c - u)}.")
    values = [float(expr.subs(c, k)) for k in (0.1, 1, 3, 10) if expr.subs(c, k).is_real]
    if any(v > 1 + 1e-9 for v in values):
        return ("a share above 1 would mean that pinning the end point adds spread; conditioning on x_T = mu can "
                "only remove uncertainty (law of total variance).")
    return None


@exercise("04.2", "How much of the free OU variance the OU bridge keeps at mid-time, as a function of thbar_T",
          "predict")
def check_mid_variance(answer):
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return wrong("expected three things: (the share as c -> 0, the share as c -> infinity, the share as a "
                     "formula in c).",
                     'write e.g. `answer_04_2 = (0.3, 0.9, "1 - exp(-c)")` (these values are not the answer).')
    small, large = number_answer(answer[0]), number_answer(answer[1])
    if small is None or large is None:
        return wrong("the first two entries, the two limits, should be finite numbers.", "write e.g. `0.42`.")
    expr = _as_expression(answer[2], {"c": C_04_2})
    if isinstance(expr, Feedback):
        return expr
    truth = mid_share()
    from derivations.common import zero

    if zero(expr - truth, _EXP_C) != 0:
        try:
            hint = _formula_hint(expr, truth)
        except Exception:  # an odd formula (complex, undefined values): the general hint
            hint = None
        return wrong("your formula in c is not the share the OU bridge keeps at the midpoint of the clock.",
                     hint
                     or "under the free OU process write x_T given x_t (the OU transition from the clock u to c), "
                        "then Cov(x_t, x_T | x0) and Var(x_T | x0); form rho^2 and set u = c/2.")
    limits = (sp.limit(truth, C_04_2, 0, "+"), sp.limit(truth, C_04_2, sp.oo))
    off = [name for name, got, lim in (("c -> 0", small, limits[0]), ("c -> infinity", large, limits[1]))
           if abs(got - float(lim)) > 0.01]
    if off:
        return wrong(f"your formula is right, but your predicted share as {' and as '.join(off)} is not its limit.",
                     "let c -> 0 and c -> infinity in your formula and compare with the reason you wrote: what does "
                     "the free OU process do over a very short clock, and what over a very long one?")
    return correct(f"the share is {sp.sstr(truth)} = 1 / (1 + e^(-c)): 1/2 as c -> 0 and 1 as c -> infinity. Over a "
                   "short clock the OU process is Brownian motion (the mean reversion has no time to act), and "
                   "pinning the end removes half the variance at mid-time, as for the Brownian bridge; over a long "
                   "clock it forgets x_t before it reaches T, so x_T tells nothing about x_t and the pin removes "
                   f"nothing. For the notebook's c = 3 the share is {1 / (1 + math.exp(-3)):.2f} (section 6: the "
                   "green and grey curves at t = 0.5).")


# ----------------------------------------------------------------------------- 04.3

#: exercise 04.3: the PF-ODE path of RDBM's bridge (notebook 04, panel (d)) with the oracle x0 = LOWER that passes
#: through X_04_3 at T_FROM; where is it at T_TO?
X_04_3, T_FROM, T_TO = 0.1, 0.75, 0.5


def ode_position() -> float:
    """The exact PF-ODE solution (implicit sampler, eta = 0, fixed x0) from ``X_04_3`` at ``T_FROM`` to ``T_TO``."""
    from rdbm_core.bridge import samplers

    _, bridge, _ = _processes(3.0, noise="modulated")
    x0, mu = torch.tensor([[LOWER]], dtype=DT), torch.tensor([[MU]], dtype=DT)
    ts = torch.linspace(T_FROM, T_TO, 11, dtype=DT)  # the exact deterministic sampler: any grid gives the same end
    x = samplers.sample_implicit(samplers.Denoiser(lambda x, m, t: x0, clamp=False), mu, bridge, ts,
                                 x_T=torch.tensor([[X_04_3]], dtype=DT), eta=0.0)
    return float(x)


@exercise("04.3", "Where the PF-ODE path of a bridge goes", "predict")
def check_ode_position(answer):
    value = _number(answer, f"the position x at t = {T_TO}")
    if not isinstance(value, float):
        return value
    truth = ode_position()
    if abs(value - truth) <= 1e-3:
        return correct(f"x = {truth:.4f} at t = {T_TO}: with the exact x0 the PF-ODE keeps a path at the same number "
                       "of standard deviations from the mean, (x - mu - Theta_t pi) / Sigma_t = const (docs/theory.md "
                       "(7.4)); the path from the pinned point is the case const = 0, the mean curve.")
    _, bridge, _ = _processes(3.0, noise="modulated")
    x0, mu = torch.tensor([[LOWER]], dtype=DT), torch.tensor([[MU]], dtype=DT)
    m_from, m_to = (float(bridge.mean(x0, mu, t)) for t in (T_FROM, T_TO))
    s_from, s_to = (float(bridge.std(x0, mu, t)) for t in (T_FROM, T_TO))
    th_from, th_to = (float(bridge.coefficients(torch.tensor(t, dtype=DT))[0]) for t in (T_FROM, T_TO))
    gap = X_04_3 - m_from
    mistakes = (
        (m_to, "that is the mean curve mu + Theta_t pi, the path from the pinned point. This path is off the mean at "
               f"t = {T_FROM}: does it stay off?"),
        (X_04_3, "the path moves: the PF-ODE velocity is not zero at this point."),
        (LOWER, f"x0 is where the path ends (t = 0), not where it is at t = {T_TO}."),
        (m_to + gap, "the distance from the mean curve does not stay constant: compare it with how the marginal's "
                     "spread changes between the two times."),
        (m_to + gap * (s_to / s_from) ** 2, "close, but that scales the distance from the mean by the ratio of the "
                                            "variances; the PF-ODE transports standard deviations."),
        (m_to + gap * s_from / s_to, "the ratio of the standard deviations is upside down: the path is at "
                                     f"t = {T_FROM} and goes to t = {T_TO}."),
        (m_to + gap * th_to / th_from, "the distance from the mean curve does not scale with Theta_t: it belongs to "
                                       "the noise, not to x0."),
    )
    for guess, hint in mistakes:
        if abs(value - guess) <= 1e-3:
            return wrong(f"x = {value:.4g} is not where the path is at t = {T_TO}.", hint)
    return wrong(f"x = {value:.4g} is not where the path is at t = {T_TO} (tolerance 1e-3).",
                 "with an exact x0 the PF-ODE moves each path with the marginal q(x_t | x0): what stays constant along "
                 "it? Compare the path's distance from the mean curve mu + Theta_t pi with the marginal's standard "
                 f"deviation at t = {T_FROM} and at t = {T_TO} (x0 = {LOWER}, mu = {MU}).")
