"""Exercises of notebook 02c (the implicit sampler: the exact ODE step, and why RDBM predicts x0).

02c.1 derive, then implement one implicit step for any ``eta`` in [0, 1], given the standard normal ``z``: the
                derivation (the curve's constant k, the factor that keeps the marginal with fresh noise, the step at
                ``t_T``) is not checked here (the solutions notebook shows it; the instructor grades it with the
                derive rubric); the function is checked against the library's step for ``eta`` = 0, 0.5 and 1
                (relative tolerance 1e-9, absolute 1e-12, and bit for bit where the library's result is exactly
                ``mu``; the notebook states all three), must carry the marginal at ``t`` to the one at ``s``
                (``eta = 0``) and must equal the library's first step from ``t_T`` (``Sigma_t = 0``, ``x_t = mu``)
                for ``eta`` = 0 and 1 (a NaN gets its own message). A negative factor of ``x_t - E[x_t | x0_hat]``
                (it keeps the mean and the variance too) gets its own message. The checker refuses the library's
                samplers (``rdbm_core.bridge.samplers``), passed as the answer or called from it.
02c.2 predict   which pixels are still exactly ``mu`` after stochastic (``eta = 1``) steps with an imperfect ``x0_hat``,
                on RDBM and on the same bridge with global noise (a pair of sets, checked part by part).
"""
from __future__ import annotations

import torch

from ._base import call_student, correct, exercise, intact_batch, tensor_answer, wrong
from .grading import refuse_library

# ----------------------------------------------------------------------------- 02c.1 the implicit step, any eta

#: the bridge and the two (t, s) pairs on which a student's step is checked
STEP_LAM = 0.01
STEP_PAIRS = ((60, 30), (95, 40))
#: the stochasticities checked on the (t, s) pairs, and on the first step out of t_T
STEP_ETAS = (0.0, 0.5, 1.0)
FIRST_STEP_ETAS = (0.0, 1.0)
#: the first step, out of the pinned point x_T = mu (Sigma_t = 0: the curve's constant k is 0/0)
FIRST_STEP_S = 70
#: the seed of the standard normal z handed to the student's step and drawn by the library's step
NOISE_SEED = 5


def _noise_generator():
    return torch.Generator().manual_seed(NOISE_SEED)


def _reference(path, x_t, x0_hat, mu_, t, s, eta):
    """The library's step and the z it draws (the same generator gives the student the same z)."""
    from rdbm_core.bridge import samplers

    z = torch.randn(x_t.shape, generator=_noise_generator(), dtype=x_t.dtype)
    return samplers.implicit_step(path, x_t, x0_hat, mu_, t, s, eta=eta, generator=_noise_generator()), z


@exercise("02c.1", "the implicit step, any eta", "implement")
def check_implicit_step(answer):
    from rdbm_core.bridge import bridges

    refused = refuse_library(answer, ("rdbm_core.bridge.samplers",), "the step")
    if refused is not None:
        return refused
    path = bridges.rdbm(lam=STEP_LAM)
    x0, mu_, x0_hat, eps, _ = intact_batch(seed=2)
    name = "implicit_step(path, x_t, x0_hat, mu, t, s, eta, z)"
    for t_, s_ in STEP_PAIRS:
        t, s = torch.tensor(t_), torch.tensor(s_)
        x_t = path.sample(x0, mu_, t, noise=eps)
        for eta in STEP_ETAS:
            where = f"from t = {t_} to s = {s_} with eta = {eta}"
            # (1) a generic state with an imperfect x0_hat: the library's step is the reference
            reference, z = _reference(path, x_t, x0_hat, mu_, t, s, eta)
            got, failure = call_student(answer, path, x_t, x0_hat, mu_, t, s, eta, z.clone(), name=name)
            if failure is not None:
                return failure
            got_t = torch.as_tensor(got, dtype=torch.float64)
            if eta == 0 and got_t.shape == x_t.shape and torch.allclose(got_t, path.mean(x0_hat, mu_, s), rtol=1e-9,
                                                                          atol=1e-12):
                return wrong(f"{where} your step returns E[x_s | x0_hat] whatever x_t is: it forgets the noise that "
                             "x_t carries.",
                             "eta = 0 keeps the noise *direction* (x_t - E[x_t | x0_hat]) / Sigma_t and only rescales "
                             "it to the noise level at s.")
            rho = eta * path.posterior_coefficients(t, s)[2].sqrt()
            fresh = rho * path.noise_factor(x0_hat, mu_) * z
            mirrored = 2 * (path.mean(x0_hat, mu_, s) + fresh) - reference  # the factor's sign flipped
            if got_t.shape == x_t.shape and torch.allclose(got_t, mirrored, rtol=1e-9, atol=1e-12):
                return wrong(f"{where} your factor of x_t - E[x_t | x0_hat] is negative: it keeps the marginal's "
                             "mean and variance, but it is not the library's step.",
                             "take the nonnegative root; at eta = 0 the step must follow the curve of section 1 "
                             "through x_t, which keeps the sign of x_t - E[x_t | x0_hat].")
            if eta > 0 and got_t.shape == x_t.shape:
                eta0, _ = _reference(path, x_t, x0_hat, mu_, t, s, 0.0)
                if torch.allclose(got_t, eta0, rtol=1e-9, atol=1e-12):
                    return wrong(f"{where} your step returns the eta = 0 step: it ignores eta and z.",
                                 "for eta > 0 the step adds fresh noise rho_s nu(pi_hat) z with rho_s^2 = eta^2 V, and "
                                 "the carried noise part must make room for it.")
                without_nu = reference + rho * (1 - path.noise_factor(x0_hat, mu_)) * z
                if torch.allclose(got_t, without_nu, rtol=1e-9, atol=1e-12):
                    return wrong(f"{where} your fresh noise is rho_s z: it is not scaled by the noise factor.",
                                 "under modulation every noise term carries nu(pi_hat) = x0_hat - mu "
                                 "(path.noise_factor).")
                if torch.allclose(got_t, eta0 + fresh, rtol=1e-9, atol=1e-12):
                    return wrong(f"{where} your step adds the fresh noise but keeps the factor of x_t - E[x_t | x0_hat] "
                                 "of eta = 0: the variance at s is then too large.",
                                 "with the true x0, add up the variance of the carried noise part and of the fresh "
                                 "noise, and choose the factor so that the sum is the marginal's variance at s.")
            result = tensor_answer(got, reference, what=f"x_s {where}", rtol=1e-9, atol=1e-12,
                                   index_name="flat index",
                                   hint="write x_t = E[x_t | x0_hat] + (noise part), carry the noise part to s with "
                                        "a factor of the times alone and add rho_s nu(pi_hat) z; the coefficients come "
                                        "from path.coefficients and path.posterior_coefficients.")
            if not result.ok:
                return result
            at_mu = reference == mu_  # the pixels where the library's step returns exactly mu
            if not torch.equal(got_t[at_mu], mu_[at_mu]):
                return wrong(f"{where} the values are right to rounding, but not bit for bit: where the library's "
                             "step returns exactly mu, yours does not.",
                             "evaluate every mean as docs/theory.md eq. 4.7 writes it, mu + Theta (x0_hat - mu), not "
                             "Theta x0_hat + (1 - Theta) mu, and scale the fresh noise by path.noise_factor.")
        # (2) the marginal (eta = 0): with the true x0, the point of noise eps at t goes to the point of noise eps at s
        where = f"from t = {t_} to s = {s_} with eta = 0"
        on_path, failure = call_student(answer, path, x_t, x0, mu_, t, s, 0.0, torch.zeros_like(x_t), name=name)
        if failure is not None:
            return failure
        result = tensor_answer(on_path, path.sample(x0, mu_, s, noise=eps),
                               what=f"x_s {where} with x0_hat = x0", rtol=1e-9, atol=1e-12, index_name="flat index",
                               hint="with the true x0 the step must send mu + Theta_t pi + Sigma_t pi eps to "
                                    "mu + Theta_s pi + Sigma_s pi eps, for the same eps.")
        if not result.ok:
            return result
    # (3) the first step, from t_T where x_t = mu and Sigma_t = 0
    t_T = path.schedule.t_T
    t, s = torch.tensor(t_T), torch.tensor(FIRST_STEP_S)
    for eta in FIRST_STEP_ETAS:
        where = f"from t = t_T = {t_T} (x_t = mu, Sigma_t = 0) to s = {FIRST_STEP_S} with eta = {eta}"
        reference, z = _reference(path, mu_.clone(), x0_hat, mu_, t, s, eta)
        got, failure = call_student(answer, path, mu_.clone(), x0_hat, mu_, t, s, eta, z.clone(), name=name)
        if failure is not None:
            return failure
        got_t = torch.as_tensor(got, dtype=torch.float64)
        if got_t.shape == mu_.shape and not torch.isfinite(got_t).all():
            return wrong(f"{where} your step returns NaN or infinity: at t_T both Sigma_t and the noise part "
                         "x_t - mu - Theta_t pi_hat are 0, so a ratio by Sigma_t is infinite or 0/0, and infinity "
                         "times 0, like 0/0, is NaN.",
                         "every curve of section 1 passes through mu at t_T, so x_t = mu carries no noise part; "
                         "decide what the carried term must be there and set it explicitly (for example with "
                         "torch.where on Sigma_t > 0).")
        result = tensor_answer(got, reference, what=f"x_s {where}", rtol=1e-9, atol=1e-12, index_name="flat index",
                               hint="at t_T the state mu carries no noise part; what is left of the step is the mean "
                                    "at s and (for eta > 0) the fresh noise, whose variance theory eq. 5.5 gives.")
        if not result.ok:
            return result
    return correct("your step reproduces the library's implicit step for eta = 0, 0.5 and 1, also the first one out "
                   "of x_T = mu, and maps each noise value's path onto itself with eta = 0 (so it carries the marginal "
                   "at t to the marginal at s). Part (a), the derivation, is not checked here: compare it with the "
                   "solutions notebook (the instructor grades it with the derive rubric).")


# ----------------------------------------------------------------------------- 02c.2 predict: which pixels stay mu

#: eight pixels: the clean image, the degraded one and a network's imperfect prediction
PIXELS = {
    "x0": (0.3, -0.5, 0.2, 0.8, -0.1, 0.6, 0.0, -0.7),
    "mu": (0.3, -0.1, 0.2, 0.1, -0.1, 0.6, 0.4, -0.7),
    "x0_hat": (0.3, -0.5, 0.25, 0.1, -0.1, 0.6, 0.1, -0.7),
}
#: the grid of the experiment: three eta = 1 steps from the terminal point, stopping before the clean point
PREDICT_GRID = (99, 89, 79, 69)


#: the two bridges of the experiment, in the order of the answer: RDBM, then the same bridge with global noise
PREDICT_NOISES = ("modulated", "global")


def pixels_at_mu(seed: int = 0, noise: str = "modulated") -> set[int]:
    """Run the experiment of 02c.2: the ``eta = 1`` sampler with a network that always answers ``x0_hat``, on RDBM
    (``noise="modulated"``) or on the same bridge with global noise (``noise="global"``)."""
    from rdbm_core.bridge import bridges, samplers

    mu_ = torch.tensor([PIXELS["mu"]], dtype=torch.float64)
    x0_hat = torch.tensor([PIXELS["x0_hat"]], dtype=torch.float64)
    path = bridges.rdbm(lam=STEP_LAM)
    path = path if noise == "modulated" else path.with_noise(noise)
    x = samplers.sample_implicit(samplers.Denoiser(lambda x_t, m, t: x0_hat.expand_as(x_t), clamp=False), mu_,
                                 path, torch.tensor(PREDICT_GRID), eta=1.0,
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


def _as_pair(answer):
    if isinstance(answer, (str, bytes, set, frozenset, dict)) or not hasattr(answer, "__len__") or len(answer) != 2:
        return None
    pair = tuple(_as_pixel_set(part) for part in answer)
    return None if None in pair else pair


@exercise("02c.2", "which pixels stay exactly at mu, under RDBM and under global noise", "predict")
def check_pixels_at_mu(answer):
    n = len(PIXELS["mu"])
    pair = _as_pair(answer)
    if pair is None:
        return wrong(f"expected a pair of sets of pixel indices between 0 and {n - 1} (RDBM, global noise), got "
                     f"{answer!r}.", "write e.g. `({1, 4}, {1, 4})` (an empty set is written `set()`).")
    chosen, chosen_global = pair
    truth, truth_global = (pixels_at_mu(noise=noise) for noise in PREDICT_NOISES)
    true_intact = {i for i in range(n) if PIXELS["x0"][i] == PIXELS["mu"][i]}
    if chosen != truth:
        wrongly_in, missed = len(chosen - truth), len(truth - chosen)
        message = (f"on RDBM the experiment disagrees: {wrongly_in} of your pixels moved away from mu and {missed} "
                   "pixel(s) that stayed exactly at mu are missing from your set.")
        if chosen == true_intact:
            return wrong(message, "you listed the pixels with x0 = mu, but the sampler never sees x0. Which residual "
                                  "enters its mean and its noise factor?")
        if not chosen:
            return wrong(message, "with the modulated noise factor nu(pi) some pixels receive no noise and no drift "
                                  "at all; which ones, seen from the sampler?")
        if chosen == set(range(n)):
            return wrong(message, "all pixels start at mu (x_T = mu), but the first step already moves some of them "
                                  "towards mu + Theta_s pi_hat.")
        return wrong(message, "write the implicit step for one pixel with pi_hat = x0_hat - mu = 0 and see what each "
                              "term becomes; then look for the pixels where that happens.")
    if chosen_global != truth_global:
        wrongly_in, missed = len(chosen_global - truth_global), len(truth_global - chosen_global)
        message = (f"your RDBM set is right; with global noise the experiment disagrees: {wrongly_in} of your pixels "
                   f"moved away from mu and {missed} pixel(s) that stayed exactly at mu are missing from your set.")
        if chosen_global == truth:
            return wrong(message, "you gave the RDBM set again. With global noise the noise factor is nu = 1, not "
                                  "pi_hat: which term of an eta = 1 step still reaches a pixel with pi_hat = 0?")
        return wrong(message, "write the eta = 1 step for one pixel with nu = 1: which of its terms are zero for "
                              "every pixel, and which are not?")
    return correct(f"on RDBM exactly these {len(truth)} pixels equal mu bit for bit after the three eta = 1 steps, "
                   f"and with global noise {len(truth_global)}. The sampler never sees x0: on RDBM both its mean and "
                   "its noise factor use the network's pi_hat = x0_hat - mu, so 'intact' means 'predicted intact'; "
                   "with global noise (nu = 1) every pixel receives fresh noise, whatever pi_hat is.")
