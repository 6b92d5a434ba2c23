"""Exercises of notebook 05 (residual modulation on images).

05.1 predict   the fraction of the values of the inpainting and of the deraining pair that receive noise
               under RDBM at an interior time.
05.2 implement the per-pixel noise map (standard deviation of ``x_t`` given ``x0, mu``) of RDBM and of GOUB.
05.3 predict   the grid index at which ``Sigma_t`` is largest, on the reference schedule and on GOUB's grid.
"""
from __future__ import annotations

import torch

from rdbm_core.bridge.path import append_dims
from ._base import call_student, correct, exercise, tensor_answer, tensor_or_none, wrong

LAM_VIS = 0.1  # a visible noise level (notebook 05 draws lam = 1); the checks hold for any lam > 0


# ----------------------------------------------------------------------------- 05.1


@exercise("05.1", "How many values get noise under RDBM?", "predict")
def check_noisy_fraction(answer):
    from rdbm_core.bridge import bridges
    from rdbm_core.data.datasets import SyntheticPairs

    try:
        got = [float(v) for v in answer]
    except (TypeError, ValueError):
        return wrong("answer with two numbers: (fraction for inpaint, fraction for derain).",
                     "for example `(0.5, 0.25)`: fractions of all values (pixels x channels), between 0 and 1.")
    if len(got) != 2:
        return wrong(f"expected two numbers (inpaint, derain), got {len(got)}.", "write `(inpaint, derain)`.")
    if any(v > 1 for v in got) and all(0 <= v <= 100 for v in got):
        return wrong("your numbers look like percentages.", "give fractions between 0 and 1 (e.g. 0.25 for 25 %).")
    path = bridges.make("rdbm", lam=LAM_VIS)
    names = ("inpaint", "derain")
    truth, mask_share = [], []
    for task in names:
        item = SyntheticPairs(task, "test", crop=128)[0]
        std = path.std(item["x0"][None], item["mu"][None], 49)
        truth.append(float((std > 0).double().mean()))
        mask_share.append(float(item["mask"].double().mean()))
    off = [name for name, g, w in zip(names, got, truth) if abs(g - w) > 0.01]
    if not off:
        return correct("the noise level Sigma_t |pi| is positive exactly where pi != 0. For inpainting that is the "
                       "hole (the mask); for deraining it is every value a streak touches at all, "
                       f"{truth[1] / mask_share[1]:.1f} times the area of the mask, which only counts changes "
                       "above half an 8-bit level (degradations.degraded_mask).")
    answers = dict(zip(names, got))
    if all(abs(g - 1) <= 0.01 for g in got):
        return wrong("not every value gets noise under RDBM.",
                     "that would be global noise (GOUB); RDBM's standard deviation is Sigma_t |pi|, which is 0 "
                     "wherever x0 == mu.")
    if all(abs(g - (1 - w)) <= 0.01 for g, w in zip(got, truth)):
        return wrong("these are the fractions of the values that do *not* get noise.",
                     "RDBM's standard deviation Sigma_t |pi| is positive exactly where x0 != mu: count those "
                     "values.")
    if "derain" in off and abs(answers["derain"] - mask_share[1]) <= 0.01:
        return wrong("for deraining you gave the share of the mask.",
                     "the mask counts changes above half an 8-bit level; RDBM's noise only needs pi != 0, and "
                     "the faint tails of the streaks make pi small but non-zero beyond the mask.")
    return wrong(f"your fraction for {' and '.join(off)} is off by more than 0.01.",
                 "a value gets noise when its standard deviation Sigma_t |pi| is positive; at an interior time "
                 "Sigma_t > 0, so count the values with pi = x0 - mu != 0: `(item['x0'] != item['mu'])` for each "
                 "pair of `PAIRS`, averaged.")


# ----------------------------------------------------------------------------- 05.2


def _pair_batch():
    """Two small (x0, mu) pairs with intact values (the right half) and one grid time each."""
    g = torch.Generator().manual_seed(5)
    x0 = torch.rand(2, 3, 6, 8, generator=g) * 2 - 1
    mu = x0.clone()
    mu[..., :4] = (mu[..., :4] + 0.4 * torch.randn(2, 3, 6, 4, generator=g)).clamp(-1, 1)
    return x0, mu, torch.tensor([20, 80])


def _confusions(path, x0, mu, t):
    """(wrong map, hint) for the usual mistakes."""
    sigma = append_dims(path.coefficients(t)[2], x0)
    other = path.with_noise("global" if path.noise == "modulated" else "modulated")
    first_time = path.std(x0, mu, t[0])
    return (
        (sigma ** 2 * path.noise_factor(x0, mu).abs(), "Sigma_t is already a standard deviation: do not square it."),
        ((sigma * path.noise_factor(x0, mu)) ** 2, "that is the variance; the map asks for the standard deviation."),
        (sigma * path.noise_factor(x0, mu), "a standard deviation is never negative: take the absolute value of "
                                            "s(pi)."),
        (other.std(x0, mu, t), "look at path.noise: RDBM modulates the noise by |pi| ('modulated'); GOUB's noise is "
                               "global (s = 1), the same for every pixel."),
        (first_time, "each sample of the batch has its own time: reshape the [B] coefficients to [B, 1, 1, 1]."),
    )


@exercise("05.2", "The per-pixel noise map of RDBM and of GOUB", "implement")
def check_std_map(answer):
    from rdbm_core.bridge import bridges

    x0, mu, t = _pair_batch()
    for path in (bridges.make("rdbm", lam=LAM_VIS), bridges.goub()):
        got, failure = call_student(answer, path, x0, mu, t, name="std_map(path, x0, mu, t)")
        if failure is not None:
            return failure
        got_t = tensor_or_none(got)
        if got_t is not None and got_t.shape == x0.shape:
            for wrong_map, hint in _confusions(path, x0, mu, t):
                if not torch.allclose(wrong_map.double(), path.std(x0, mu, t).double(), rtol=1e-5, atol=1e-7) \
                        and torch.allclose(got_t, wrong_map.double(), rtol=1e-5, atol=1e-7):
                    return wrong(f"this is not the noise map of {path.name}.", hint)
        result = tensor_answer(got, path.std(x0, mu, t), what=f"the noise map of {path.name}", rtol=1e-5, atol=1e-7,
                               index_name="flat index",
                               hint="Sigma_t from path.coefficients(t) (one per sample, reshaped to [B, 1, 1, 1]) "
                                    "times |s(pi)|: |x0 - mu| for modulated noise, 1 for global noise.")
        if not result.ok:
            return result
    return correct("RDBM's map is Sigma_t |pi| (zero on intact values), GOUB's is Sigma_t everywhere.")


# ----------------------------------------------------------------------------- 05.3


@exercise("05.3", "Where is the noise level largest?", "predict")
def check_sigma_peak(answer):
    from rdbm_core.bridge import bridges

    try:
        got = [int(v) for v in answer]
    except (TypeError, ValueError):
        return wrong("answer with two grid indices: (reference schedule, GOUB grid).", "for example `(50, 50)`.")
    if len(got) != 2:
        return wrong(f"expected two grid indices (reference, GOUB), got {len(got)}.", "write `(i_reference, i_goub)`.")
    names, truth, ends = ("the reference schedule", "GOUB's grid"), [], []
    for path in (bridges.rdbm(), bridges.goub()):
        ts = path.schedule.times()
        truth.append(int(ts[path.coefficients(ts)[2].argmax()]))
        ends.append((path.schedule.t_clean, path.schedule.t_T))
    if got == truth:
        return correct("Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_T - thbar_t) / sinh(thbar_T) is largest where the "
                       "clock is half way, thbar_t = thbar_T / 2; both clocks run slowly at first (small theta), so "
                       "that point lies late in the index.")
    for name, g, w, (t_clean, t_T) in zip(names, got, truth, ends):
        if g == w:
            continue
        if abs(g - (t_clean + t_T) / 2) <= 1:
            return wrong(f"your index for {name} is the middle of the grid.",
                         "Sigma_t is symmetric in the clock thbar_t, not in the index: find where thbar_t "
                         "(path.schedule.clock) reaches half of thbar_T.")
        if g in (t_clean, t_T):
            return wrong(f"your index for {name} is an end point of the bridge.",
                         "Sigma_t = 0 at both ends: x_t = x0 at the clean end and x_t = mu at the pinned end.")
        if abs(g - w) <= 2:
            return wrong(f"your index for {name} is close but not the largest value.",
                         "compare Sigma_t at the neighbouring indices (path.coefficients) or find the index whose "
                         "clock is closest to thbar_T / 2.")
        return wrong(f"your index for {name} is not where Sigma_t is largest.",
                     "maximise sinh(a) sinh(c - a) over the clock a = thbar_t (c = thbar_T), then find the grid "
                     "index whose clock is there (path.schedule.clock).")
