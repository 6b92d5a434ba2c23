"""Exercises of notebook 04 (stochastic trajectories of the OU process and the bridges).

04.1 implement one Euler-Maruyama step of the forward bridge SDE in the time ``t``; the checker simulates
               many one-dimensional paths with it and compares their moments with ``path.mean`` / ``path.std``.
04.2 predict   the variance of the OU bridge at mid-time as a fraction of the free OU process's variance.
04.3 predict   where the deterministic (PF-ODE) path of a bridge, started at ``mu`` with a known ``x0``, is at
               ``t = 0.5``.
"""
from __future__ import annotations

import math

import torch

from ._base import call_student, correct, exercise, wrong

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
        (dict(noise_rate=False), "the diffusion coefficient in t is g_t = sqrt(2 lam theta_t) s(pi): the clock's "
                                 "rate theta_t enters the noise too."),
        (dict(two=1.0), "the noise variance per unit time is g_t^2 = 2 lam theta_t s(pi)^2: a factor 2 is missing."),
        (dict(modulated=False), "RDBM's noise is modulated: multiply it by s(pi) = path.noise_factor(x0, mu), "
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
                     hint or "under RDBM an intact value has no drift away from mu and no noise: s(pi) = 0.")
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


def _notebook_processes(noise: str = "global"):
    """The OU process and OU bridge of notebook 04: theta = 3 on [0, 1] (thbar_T = 3), lam = 0.04."""
    from rdbm_core.bridge.path import ResidualPath
    from rdbm_core.bridge import bridges, schedules

    sch = schedules.continuous_constant(3.0, T=1.0)
    return (ResidualPath(sch, 0.04, noise=noise, pinned=False, name="ou"),
            bridges.ou_bridge(sch, 0.04, noise=noise, name="ou-bridge"),
            ResidualPath(sch, 0.04, noise=noise, kind="brownian", name="brownian"))


@exercise("04.2", "The OU bridge's variance at mid-time against the free OU process", "predict")
def check_mid_variance(answer):
    value = _number(answer, "the variance ratio")
    if not isinstance(value, float):
        return value
    ou, bridge, brownian = _notebook_processes()
    t = torch.tensor(0.5, dtype=DT)
    var_ou, var_bridge = (float(p.coefficients(t)[2]) ** 2 for p in (ou, bridge))
    truth = var_bridge / var_ou
    if abs(value - truth) <= 0.01:
        return correct(f"Var(bridge) / Var(OU) = {truth:.4f} at t = 0.5: with thbar_T = 3 the OU process has "
                       "already forgotten most of x0 at mid-time, so pinning the far end costs only a few per cent "
                       "of the variance (for the Brownian bridge it would be half).")
    # the Brownian bridge against free Brownian motion (variance 2 lam thbar_t)
    brownian_ratio = float(brownian.coefficients(t)[2]) ** 2 / (2 * brownian.lam * float(brownian.schedule.clock(t)))
    if value > 1:
        return wrong("a ratio above 1 would mean that pinning the end point adds spread.",
                     "conditioning on x_T = mu can only remove uncertainty: the bridge's variance is at most the free "
                     "process's (law of total variance).")
    if abs(value - brownian_ratio) <= 0.01:
        return wrong("that is the ratio for the Brownian bridge (t (T - t) / T against t), whose free process never "
                     "forgets its start.",
                     "the OU process relaxes towards its stationary spread at rate 1 per unit of thbar: compare "
                     "2 lam sinh(a) sinh(c - a) / sinh(c) with lam (1 - e^{-2a}) at a = c / 2 = 1.5.")
    if abs(value - math.sqrt(truth)) <= 0.01:
        return wrong("that is close to the ratio of the standard deviations.", "the question asks for variances.")
    return wrong(f"a ratio of {value:.4g} is not what the two closed forms give (tolerance 0.01).",
                 "the free OU variance is lam (1 - e^{-2a}) and the bridge's 2 lam sinh(a) sinh(c - a) / sinh(c), with "
                 "a = thbar_t and c = thbar_T; evaluate both at t = 0.5 (sinh(2a) = 2 sinh(a) cosh(a) simplifies it).")


# ----------------------------------------------------------------------------- 04.3


@exercise("04.3", "Where the PF-ODE path of a bridge goes", "predict")
def check_ode_position(answer):
    from rdbm_core.bridge import samplers

    value = _number(answer, "the position x at t = 0.5")
    if not isinstance(value, float):
        return value
    _, bridge, _ = _notebook_processes(noise="modulated")
    x0, mu = torch.tensor([[LOWER]], dtype=DT), torch.tensor([[MU]], dtype=DT)
    ts = torch.linspace(1.0, 0.5, 11, dtype=DT)  # the exact deterministic sampler: any grid gives the same end
    x_half = samplers.sample_implicit(samplers.Denoiser(lambda x, m, t: x0, clamp=False), mu, bridge, ts,
                                      x_T=mu.clone())
    truth = float(x_half)
    if abs(value - truth) <= 1e-3:
        return correct(f"the deterministic path from mu is the mean curve mu + Theta_t pi, here {truth:.4f} at "
                       "t = 0.5: the first (implicit) step puts it on the mean and, with no noise to carry "
                       "(Sigma_T = 0), the ODE keeps it there.")
    theta_half = float(bridge.coefficients(torch.tensor(0.5, dtype=DT))[0])
    pi = LOWER - MU
    mistakes = (
        (MU, "the path starts at mu but does not stay there: its first step goes to the mean at the next time."),
        (LOWER, "x0 is where the path ends (t = 0), not where it is at mid-time."),
        (MU + 0.5 * pi, "the linear interpolation mu + (1 - t) pi is the Brownian bridge's mean; on the OU bridge "
                        "the weight of x0 is Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T)."),
        (MU + math.exp(-1.5) * pi, "e^{-thbar_t} is the weight of x0 in the *free* OU process; the bridge's is "
                                   "Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T)."),
        (MU - theta_half * pi, "check the sign: pi = x0 - mu is negative for this x0, so the path lies below mu."),
    )
    for guess, hint in mistakes:
        if abs(value - guess) <= 1e-3:
            return wrong(f"x = {value:.4g} is not where the path is at t = 0.5.", hint)
    return wrong(f"x = {value:.4g} is not where the path is at t = 0.5 (tolerance 1e-3).",
                 "with an exact x0 the deterministic bridge sampler follows one curve that needs no simulation: "
                 "which one? Evaluate it with the library at t = 0.5 for x0 = -0.6, mu = 0.4.")
