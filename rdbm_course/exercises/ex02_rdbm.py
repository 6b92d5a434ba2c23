"""Exercises of notebook 02 (RDBM: forward marginal, posterior, PF-ODE and the implicit sampler).

02.1 derive    the variance coefficient of the posterior ``q(x_s | x_t, x0)`` per unit ``pi^2``.
02.2 derive    the probability-flow ODE velocity ``dx/du`` with ``x0`` replaced by ``mu + pihat``.
02.3 implement one deterministic (``eta = 0``) implicit step; it must carry the marginal at ``t`` to the one at ``s``.
02.4 predict   which pixels are still exactly ``mu`` after stochastic (``eta = 1``) steps with an imperfect ``x0_hat``.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations import family
from derivations.common import D, a, b, c, d, lam, mu, pihat, u, x, zero

from ._base import call_student, correct, exercise, sympy_answer, tensor_answer, wrong

# ----------------------------------------------------------------------------- 02.1 posterior variance

POSTERIOR = {"thetabar_s": a, "thetabar_s:t": b, "thetabar_t:T": d, "a": a, "b": b, "d": d, "lambda": lam, "lam": lam}


def _limit(expr, symbol, value):
    return sp.simplify(sp.limit(expr, symbol, value))


@exercise("02.1", "the posterior variance of q(x_s | x_t, x0)", "derive")
def check_posterior_variance(answer):
    return sympy_answer(
        answer, family.posterior_coefficients(a, b)[2], POSTERIOR, what="the posterior variance (per unit pi^2)",
        hints=((lambda e: D in zero(e).free_symbols,
                "your variance depends on thbar_{t:T}, so it still looks beyond t. Given x_t, the bridge is Markov: "
                "how the path continues after t cannot change what x_s can be. (The marginal variance of x_s given "
                "x0 alone does depend on it.)"),
               (lambda e: zero(e - lam * (1 - sp.exp(-2 * b))) == 0,
                "lam (1 - e^{-2 thbar_{s:t}}) is the variance of x_t given x_s (the forward kernel); the posterior "
                "goes the other way and also knows x0."),
               (lambda e: _limit(e, a, 0) != 0,
                "at s = 0 (thbar_s -> 0) we know x_s = x0 exactly: the posterior variance must vanish there."),
               (lambda e: _limit(e, b, 0) != 0,
                "as s -> t (thbar_{s:t} -> 0) we know x_s = x_t: the posterior variance must vanish there.")),
        generic_hint="the posterior is an OU bridge from x0 (clock 0) to x_t (clock thbar_t = thbar_s + thbar_{s:t}); "
                     "reuse exercise 01.2 with the right clock values, or complete the square in x_s.")


# ----------------------------------------------------------------------------- 02.2 PF-ODE velocity

VELOCITY = {"x": x, "mu": mu, "pihat": pihat, "thetabar_t": u, "thetabar_T": c, "u": u, "c": c,
            "lambda": lam, "lam": lam}


def _score_term():
    """``lam (x - mu - Theta pihat) / Sigma^2``: minus half of ``g^2`` times the score, per unit clock."""
    return lam * (x - mu - family.Theta(u, c) * pihat) / family.Sigma2(u, c)


def _is(expr, reference):
    return zero(expr - reference) == 0


@exercise("02.2", "the probability-flow ODE velocity", "derive")
def check_pf_velocity(answer):
    drift = family.bridge_drift(u, c)
    return sympy_answer(
        answer, family.pf_velocity(x, u, c, pihat), VELOCITY, what="the PF-ODE velocity dx/du",
        constraint=lambda p: p[u] < p[c],
        hints=((lambda e: _is(e, drift),
                "this is the forward drift f alone; the probability flow also has the score term "
                "-(1/2) g^2 d/dx log q."),
               (lambda e: _is(e, drift + 2 * _score_term()),
                "this is the drift of the reverse-time SDE, f - g^2 d/dx log q; the deterministic flow takes half of "
                "the g^2 term."),
               (lambda e: _is(e, drift - _score_term()),
                "the score term has the wrong sign: d/dx log q points back to the mean, and the flow subtracts it."),
               (lambda e: pihat in sp.denom(sp.together(e)).free_symbols,
                "pihat should cancel: g^2 = 2 lam pihat^2 (per unit clock) multiplies a score with pihat^2 in the "
                "denominator.")),
        generic_hint="v = f - (1/2) g^2 d/dx log q with f = coth(thbar_{t:T}) (mu - x), g^2 = 2 lam pihat^2 per unit "
                     "clock and q = N(mu + Theta pihat, Sigma^2 pihat^2); differentiate the Gaussian log-density in x.")


# ----------------------------------------------------------------------------- 02.3 the implicit eta = 0 step

#: the bridge and the two (t, s) pairs on which a student's step is checked
STEP_LAM = 0.01
STEP_PAIRS = ((60, 30), (95, 40))


def _step_inputs():
    """A small batch with known ``x0`` (a third of its pixels intact), an imperfect ``x0_hat`` and the noise."""
    g = torch.Generator().manual_seed(2)
    shape = (2, 1, 4, 4)
    x0 = torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1
    mu = x0 + 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)
    intact = torch.rand(shape, generator=g) < 1 / 3
    mu = torch.where(intact, x0, mu)
    x0_hat = torch.where(intact, x0, x0 + 0.1 * torch.randn(shape, generator=g, dtype=torch.float64))
    eps = torch.randn(shape, generator=g, dtype=torch.float64)
    return x0, mu, x0_hat, eps, intact


@exercise("02.3", "the implicit eta = 0 step", "implement")
def check_implicit_step(answer):
    from rdbm_core import bridges, samplers

    path = bridges.rdbm(lam=STEP_LAM)
    x0, mu_, x0_hat, eps, intact = _step_inputs()
    name = "implicit_step_eta0(path, x_t, x0_hat, mu, t, s)"
    for t_, s_ in STEP_PAIRS:
        t, s = torch.tensor(t_), torch.tensor(s_)
        where = f"from t = {t_} to s = {s_}"
        # (1) a generic state with an imperfect x0_hat: the library's step is the reference
        x_t = path.sample(x0, mu_, t, noise=eps)
        got, failure = call_student(answer, path, x_t, x0_hat, mu_, t, s, name=name)
        if failure is not None:
            return failure
        got_t = torch.as_tensor(got, dtype=torch.float64)
        if got_t.shape == x_t.shape and torch.allclose(got_t, path.mean(x0_hat, mu_, s), rtol=1e-9, atol=1e-12):
            return wrong(f"{where} your step returns E[x_s | x0_hat] whatever x_t is: it forgets the noise that "
                         "x_t carries.",
                         "eta = 0 keeps the noise *direction* (x_t - E[x_t | x0_hat]) / Sigma_t and only rescales it "
                         "to the noise level at s.")
        result = tensor_answer(got, samplers.implicit_step(path, x_t, x0_hat, mu_, t, s, eta=0.0),
                               what=f"x_s {where}", rtol=1e-9, atol=1e-12, index_name="flat index",
                               hint="write x_t = E[x_t | x0_hat] + Sigma_t * (noise part) and keep the noise part's "
                                    "direction: x_s = E[x_s | x0_hat] + Sigma_s * (the same direction); the "
                                    "coefficients come from path.coefficients(t) and path.coefficients(s).")
        if not result.ok:
            return result
        # (2) the marginal: with the true x0, the point of noise eps at t goes to the point of noise eps at s
        on_path, failure = call_student(answer, path, x_t, x0, mu_, t, s, name=name)
        if failure is not None:
            return failure
        result = tensor_answer(on_path, path.sample(x0, mu_, s, noise=eps),
                               what=f"x_s {where} with x0_hat = x0", rtol=1e-9, atol=1e-12, index_name="flat index",
                               hint="with the true x0 the step must send mu + Theta_t pi + Sigma_t pi eps to "
                                    "mu + Theta_s pi + Sigma_s pi eps, for the same eps.")
        if not result.ok:
            return result
        on_path = torch.as_tensor(on_path, dtype=torch.float64)
        if not torch.equal(on_path[intact], mu_[intact]):
            return wrong(f"{where} the values are right to rounding, but intact pixels (x0 = mu) are not exactly mu.",
                         "write the mean as mu + Theta (x0_hat - mu), not Theta x0_hat + (1 - Theta) mu: with "
                         "x0_hat - mu = 0 every term then vanishes bit for bit.")
    return correct("your step reproduces the library's implicit step, maps each noise value's path onto itself "
                   "(so it carries the marginal at t to the marginal at s) and leaves intact pixels at exactly mu.")


# ----------------------------------------------------------------------------- 02.4 predict: which pixels stay mu

#: eight pixels: the clean image, the degraded one and a network's imperfect prediction
PIXELS = {
    "x0": (0.3, -0.5, 0.2, 0.8, -0.1, 0.6, 0.0, -0.7),
    "mu": (0.3, -0.1, 0.2, 0.1, -0.1, 0.6, 0.4, -0.7),
    "x0_hat": (0.3, -0.5, 0.25, 0.1, -0.1, 0.6, 0.1, -0.7),
}
#: the grid of the experiment: three eta = 1 steps from the terminal point, stopping before the clean point
PREDICT_GRID = (99, 89, 79, 69)


def pixels_at_mu(seed: int = 0) -> set[int]:
    """Run the experiment of 02.4: the ``eta = 1`` sampler with a network that always answers ``x0_hat``."""
    from rdbm_core import bridges, samplers

    mu_ = torch.tensor([PIXELS["mu"]], dtype=torch.float64)
    x0_hat = torch.tensor([PIXELS["x0_hat"]], dtype=torch.float64)
    x = samplers.sample_implicit(samplers.Denoiser(lambda x_t, m, t: x0_hat.expand_as(x_t), clamp=False), mu_,
                                 bridges.rdbm(lam=STEP_LAM), torch.tensor(PREDICT_GRID), eta=1.0,
                                 generator=torch.Generator().manual_seed(seed))
    return {i for i in range(x.shape[1]) if bool(x[0, i] == mu_[0, i])}


def _as_pixel_set(answer):
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        return None
    try:
        items = [int(i) for i in answer]
    except (TypeError, ValueError):
        return None
    return set(items) if all(0 <= i < len(PIXELS["mu"]) for i in items) else None


@exercise("02.4", "which pixels stay exactly at mu", "predict")
def check_pixels_at_mu(answer):
    n = len(PIXELS["mu"])
    chosen = _as_pixel_set(answer)
    if chosen is None:
        return wrong(f"expected a set of pixel indices between 0 and {n - 1}, got {answer!r}.",
                     "write e.g. `{1, 4}` (an empty set is `set()`).")
    truth = pixels_at_mu()
    if chosen == truth:
        return correct(f"after the three eta = 1 steps exactly these {len(truth)} pixels equal mu bit for bit. "
                       "The sampler never sees x0: both its mean and its noise factor |pi_hat| use the network's "
                       "pi_hat = x0_hat - mu, so 'intact' means 'predicted intact'.")
    true_intact = {i for i in range(n) if PIXELS["x0"][i] == PIXELS["mu"][i]}
    wrongly_in, missed = len(chosen - truth), len(truth - chosen)
    message = (f"the experiment disagrees: {wrongly_in} of your pixels moved away from mu and {missed} pixel(s) "
               "that stayed exactly at mu are missing from your set.")
    if chosen == true_intact:
        return wrong(message, "you listed the pixels with x0 = mu, but the sampler never sees x0. Which residual "
                              "enters its mean and its noise factor?")
    if not chosen:
        return wrong(message, "with the modulated noise s(pi) some pixels receive no noise and no drift at all; "
                              "which ones, seen from the sampler?")
    if chosen == set(range(n)):
        return wrong(message, "all pixels start at mu (x_T = mu), but the first step already moves some of them "
                              "towards mu + Theta_s pi_hat.")
    return wrong(message, "write the implicit step for one pixel with pi_hat = x0_hat - mu = 0 and see what each "
                          "term becomes; then look for the pixels where that happens.")
