"""Exercises of notebook 05 (residual modulation on images).

05.1 predict   on the deraining pair at t = 49: the fraction of its values that receive noise under RDBM, and how
               many have a standard deviation of at least one 8-bit level at the reference lam.
05.2 implement the per-pixel noise map (standard deviation of ``x_t`` given ``x0, mu``) of RDBM and of GOUB, with
               Sigma_t built from the clock (checked at interior times and at both ends, t_clean and t_T).
05.3 predict   a function ``peak_index(schedule)``: the grid index at which ``Sigma_t`` is largest, from the clock
               alone (run on the reference schedule, GOUB's grid and a third grid; a path's ``coefficients``, ``std``
               and the like are refused), and the peak value of ``Sigma_t / sqrt(lam)`` over the clock as a formula
               in ``c = thbar_T``.
"""
from __future__ import annotations

import math

import sympy as sp
import torch

from rdbm_core.bridge.path import ResidualPath, append_dims
from ._base import Feedback, _as_expression, call_student, correct, exercise, tensor_answer, tensor_or_none, wrong
from .grading import watching_calls

LAM_VIS = 0.1  # a visible noise level for 05.2 (notebook 05 draws lam = 1); the checks hold for any lam > 0
TIME_05_1 = 49  # the interior time of 05.1
LEVEL = 2 / 255  # one 8-bit level on [-1, 1]


# ----------------------------------------------------------------------------- 05.1


def noisy_counts():
    """On the deraining test pair at t = 49: (fraction of values with std > 0, number of values with std >= one
    level at the reference lam), and the usual wrong versions: the mask's share, and the count at half a level, at
    lam = 1, and of pixels (any channel) instead of values."""
    from rdbm_core.bridge import bridges
    from rdbm_core.data.datasets import SyntheticPairs

    item = SyntheticPairs("derain", "test", crop=128)[0]
    x0, mu = item["x0"][None], item["mu"][None]
    std_ref = bridges.rdbm().std(x0, mu, TIME_05_1)
    std_big = bridges.make("rdbm", lam=1.0).std(x0, mu, TIME_05_1)
    return {
        "fraction": float((std_ref > 0).double().mean()),
        "count": int((std_ref >= LEVEL).sum()),
        "mask": float(item["mask"].double().mean()),
        "count_half_level": int((std_ref >= LEVEL / 2).sum()),
        "count_lam_1": int((std_big >= LEVEL).sum()),
        "count_pixels": int((std_ref >= LEVEL).any(1).sum()),
        "values": x0.numel(),
    }


@exercise("05.1", "How many values get noise under RDBM, and how many visibly?", "predict")
def check_noisy_fraction(answer):
    try:
        fraction, count = (float(v) for v in answer)
    except (TypeError, ValueError):
        return wrong("answer with two numbers: (fraction of the values with noise, number of values with a standard "
                     "deviation of at least 2/255).", "for example `(0.5, 1000)`.")
    truth = noisy_counts()
    if 1 < fraction <= 100:
        return wrong("your fraction looks like a percentage.", "give a fraction between 0 and 1 (e.g. 0.25 for 25 %).")
    if abs(fraction - truth["fraction"]) > 0.01:
        if abs(fraction - 1) <= 0.01:
            return wrong("not every value gets noise under RDBM.",
                         "that would be global noise (GOUB); RDBM's standard deviation is Sigma_t |pi|, which is 0 "
                         "wherever x0 == mu.")
        if abs(fraction - (1 - truth["fraction"])) <= 0.01:
            return wrong("this is the fraction of the values that do *not* get noise.",
                         "RDBM's standard deviation Sigma_t |pi| is positive exactly where x0 != mu: count those.")
        if abs(fraction - truth["mask"]) <= 0.01:
            return wrong("your fraction is the share of the mask.",
                         "the mask counts changes above half an 8-bit level; RDBM's noise only needs pi != 0, and "
                         "the faint tails of the streaks make pi small but non-zero beyond the mask.")
        return wrong("your fraction (a) is off by more than 0.01.",
                     "a value gets noise when Sigma_t |pi| > 0; at an interior time Sigma_t > 0, so count the "
                     "values with pi = x0 - mu != 0.")
    if 0 < count < 1 and count != round(count):
        return wrong("(b) asks for a number of values, not a fraction.", "count the values, e.g. with `.sum()`.")
    if abs(count - truth["count"]) <= 1:
        return correct(f"the noise reaches {truth['fraction']:.0%} of the values (Sigma_t |pi| > 0 wherever pi != 0, "
                       f"twice the mask's {truth['mask']:.0%}), but at the reference lam Sigma_49 |pi| reaches one "
                       "8-bit level only where |pi| is close to 1: almost nowhere.")
    mistakes = (
        ("count_half_level", "you counted from half an 8-bit level.",
         "one 8-bit level is 2/255 on [-1, 1] (the mask's threshold is half of it, 1/255)."),
        ("count_lam_1", "this is the count at lam = 1, the notebook's LAM_VIS.",
         "(b) is at the reference lam = 1e-4: use RDBM_REF, whose Sigma_t is 100 times smaller."),
        ("count_pixels", "you counted pixels; (b) counts values (pixels x channels).",
         "count each channel of each pixel once."),
    )
    for key, message, hint in mistakes:
        if truth[key] != truth["count"] and abs(count - truth[key]) <= 1:
            return wrong(message, hint)
    return wrong("your count (b) is off by more than 1.",
                 "a value's standard deviation at t = 49 is Sigma_49 |pi| with Sigma_49 of the reference path "
                 "(path.coefficients or path.std); count the values where it is at least 2/255.")


# ----------------------------------------------------------------------------- 05.2

#: the methods of a path that give Sigma_t (or a value built from it) in one call
SIGMA_METHODS = ("coefficients", "unit_variance", "std", "sample", "posterior_coefficients")


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
                                            "nu(pi)."),
        (sigma / 2 ** 0.5 * path.noise_factor(x0, mu).abs(), "Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / "
                                                             "sinh(thbar_T): the factor 2 is missing."),
        (other.std(x0, mu, t), "look at path.noise: RDBM modulates the noise by |pi| ('modulated'); GOUB's noise is "
                               "global (nu = 1), the same for every pixel."),
        (first_time, "each sample of the batch has its own time: reshape the [B] values of Sigma_t to [B, 1, 1, 1]."),
    )


def _std_map_feedback(answer, path, x0, mu, t) -> Feedback | None:
    """None if ``answer`` gives ``path``'s noise map at the times ``t``, else the feedback on it."""
    with watching_calls(ResidualPath, SIGMA_METHODS) as used:
        got, failure = call_student(answer, path, x0, mu, t, name="std_map(path, x0, mu, t)")
    if used:
        return wrong(f"your function calls a path's `{used[0]}`, which computes Sigma_t for you: this exercise "
                     "asks you to build it from the clock.",
                     "use path.schedule.clock(t), path.schedule.clock_to_end(t), path.schedule.u_T and path.lam in "
                     "the formula for Sigma_t^2 of section 1.")
    if failure is not None:
        return failure
    got_t = tensor_or_none(got)
    truth = path.std(x0, mu, t)
    if got_t is not None and got_t.shape == x0.shape:
        if torch.isnan(got_t).any():
            return wrong(f"your map of {path.name} has NaN values at the times {t.tolist()}.",
                         "at t = t_T, Sigma_t^2 is 0, and a clock difference that rounds below 0 makes the square "
                         "root NaN: take thbar_{t:T} from path.schedule.clock_to_end(t) (exactly 0 at t_T), or clamp "
                         "Sigma_t^2 at 0.")
        for wrong_map, hint in _confusions(path, x0, mu, t):
            if not torch.allclose(wrong_map.double(), truth.double(), rtol=1e-5, atol=1e-7) \
                    and torch.allclose(got_t, wrong_map.double(), rtol=1e-5, atol=1e-7):
                return wrong(f"this is not the noise map of {path.name}.", hint)
    result = tensor_answer(got, truth, what=f"the noise map of {path.name} at the times {t.tolist()}", rtol=1e-5,
                           atol=1e-7, index_name="flat index",
                           hint="Sigma_t from the clock (one value per sample, reshaped to [B, 1, 1, 1]) times "
                                "|nu(pi)|: |x0 - mu| for modulated noise, 1 for global noise.")
    if not result.ok:
        return result
    if not isinstance(got, torch.Tensor) or got.dtype != x0.dtype:
        kind = f"a {got.dtype} tensor" if isinstance(got, torch.Tensor) else f"a {type(got).__name__}"
        return wrong(f"the values are right, but your map is {kind}, not a tensor of x0's dtype {x0.dtype}.",
                     "Sigma_t comes out of the clock in float64: cast it with .to(x0.dtype) before multiplying "
                     "(a float64 tensor times a float32 one is float64).")
    return None


@exercise("05.2", "The per-pixel noise map of RDBM and of GOUB", "implement")
def check_std_map(answer):
    from rdbm_core.bridge import bridges

    x0, mu, t_inner = _pair_batch()
    for path in (bridges.make("rdbm", lam=LAM_VIS), bridges.goub()):
        for t in (t_inner, torch.tensor([path.schedule.t_clean, path.schedule.t_T])):  # interior times, both ends
            failure = _std_map_feedback(answer, path, x0, mu, t)
            if failure is not None:
                return failure
    return correct("RDBM's map is Sigma_t |pi| (zero on intact values), GOUB's is Sigma_t everywhere, and both are 0 "
                   "at the two ends of the bridge.")


# ----------------------------------------------------------------------------- 05.3


#: the symbol of exercise 05.3(c): c = thbar_T
C_05_3 = sp.Symbol("c", positive=True)
#: the clocks at which a peak formula is compared with the truth (the two grids' thbar_T among them)
CLOCKS_05_3 = (0.05, 0.3, 1.0, 2.0, 5.298317366548036, 7.878896522001049, 12.0, 30.0)


def peak_level() -> sp.Expr:
    """The largest ``Sigma_t / sqrt(lam)`` over the clock for a bridge with final clock ``c``: ``Sigma_t^2 / lam =
    2 sinh(u) sinh(c - u) / sinh(c)`` at the half-way clock ``u = c / 2`` (the truth of 05.3(c))."""
    u, c = sp.Symbol("u", positive=True), C_05_3
    return sp.sqrt((2 * sp.sinh(u) * sp.sinh(c - u) / sp.sinh(c)).subs(u, c / 2))


def _values(expr: sp.Expr) -> list[complex]:
    f = sp.lambdify(C_05_3, expr, "mpmath")
    return [complex(f(k)) for k in CLOCKS_05_3]


def _same(expr: sp.Expr, other: sp.Expr) -> bool:
    """Equal, to 1e-9 relative, at every clock of ``CLOCKS_05_3``."""
    try:
        return all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(_values(expr), _values(other)))
    except Exception:  # an odd formula (undefined values, infinities): not equal
        return False


def _peak_feedback(answer) -> Feedback | None:
    """None if ``answer`` is the peak formula, else the feedback on it."""
    expr = _as_expression(answer, {"c": C_05_3, "thetabar_T": C_05_3})  # c, or derivations.common.c
    if isinstance(expr, Feedback):
        return expr
    truth = peak_level()
    if _same(expr, truth):
        return None
    if not expr.free_symbols:
        if _same(expr, sp.Integer(1)):
            return wrong("your peak (c) is 1, the limit of the peak as c -> infinity (Sigma_t <= sqrt(lam) always).",
                         "at a finite clock c the peak is below 1: write Sigma_t^2 / lam at the clock value where it "
                         "is largest, as a formula in c = thbar_T.")
        return wrong("(c) asks for a formula, and your peak is a number.",
                     "the peak depends on the bridge's final clock: write Sigma_t^2 / lam at the clock value where it "
                     "is largest, as a formula in c = thbar_T.")
    c = C_05_3
    mistakes = (
        (truth ** 2, "that is the peak of Sigma_t^2 / lam, a variance; (c) asks for Sigma_t / sqrt(lam)."),
        (truth.subs(c, 2 * c), "check where the clock is: at the peak thbar_t = thbar_{t:T}, and the two add up to "
                               "c."),
        (truth.subs(c, c / 2), "check where the clock is: at the peak thbar_t = thbar_{t:T}, and the two add up to "
                               "c."),
    )
    for other, hint in mistakes:
        if _same(expr, other):
            return wrong("your formula (c) is not the peak of Sigma_t / sqrt(lam).", hint)
    try:
        ratios = [a / b for a, b in zip(_values(expr), _values(truth))]
    except Exception:  # an odd formula (undefined values, infinities): not equal
        ratios = [0, 1]
    if all(abs(r - ratios[0]) <= 1e-9 * abs(ratios[0]) for r in ratios):
        return wrong(f"your formula (c) is off by a constant factor {ratios[0].real:.6g}.",
                     "check the factor 2 in Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / sinh(thbar_T), and "
                     "that (c) asks for Sigma_t / sqrt(lam), not Sigma_t.")
    return wrong("your formula (c) is not the peak of Sigma_t / sqrt(lam).",
                 "with a = thbar_t, b = thbar_{t:T}, Sigma_t^2 / lam = (cosh(a + b) - cosh(a - b)) / sinh(c): set "
                 "a = b and take the square root.")


def grids_05_3():
    """(name, schedule) of the grids on which 05.3(b)'s ``peak_index`` is run: the reference schedule, GOUB's grid and
    a grid whose rates decrease (its largest Sigma_t comes early, so a function tuned to the first two fails)."""
    from rdbm_core.bridge import schedules

    return (("the reference schedule", schedules.reference()), ("GOUB's grid", schedules.irsde_grid()),
            ("a grid with decreasing rates (linear_theta(60, 0.2, 0.01))", schedules.linear_theta(60, 0.2, 0.01)))


def peak_index_truth(schedule) -> int:
    """The grid index of the largest ``Sigma_t`` (``Sigma_t^2 / lam = 2 sinh(thbar_t) sinh(thbar_{t:T}) /
    sinh(thbar_T)``), from the schedule's clock."""
    ts = schedule.times()
    clock = schedule.clock(ts)
    return int(ts[(torch.sinh(clock) * torch.sinh(schedule.u_T - clock)).argmax()])


def _index_feedback(answer) -> Feedback | None:
    """None if the function ``answer`` gives the right index on every grid of :func:`grids_05_3`, else the feedback."""
    if not callable(answer):
        return wrong("(b) asks for a function peak_index(schedule) that returns a grid index.",
                     "def peak_index(schedule): ... return an int, using schedule.times(), schedule.clock(t) and "
                     "schedule.u_T.")
    for name, schedule in grids_05_3():
        with watching_calls(ResidualPath, SIGMA_METHODS) as used:
            got, failure = call_student(answer, schedule, name="peak_index(schedule)")
        if used:
            return wrong(f"your peak_index calls a path's `{used[0]}`, which computes Sigma_t for you.",
                         "(b) asks for the index from the clock alone: schedule.times(), schedule.clock(t) and "
                         "schedule.u_T, with what (a) shows about where Sigma_t is largest.")
        if failure is not None:
            return failure
        try:
            g = int(got)
        except (TypeError, ValueError, RuntimeError):
            return wrong(f"peak_index returned {type(got).__name__} on {name}, not a grid index.",
                         "return one integer, e.g. int(ts[k]).")
        w = peak_index_truth(schedule)
        if g == w:
            continue
        t_clean, t_T = schedule.t_clean, schedule.t_T
        if abs(g - (t_clean + t_T) / 2) <= 1:
            return wrong(f"on {name} your index is the middle of the grid.",
                         "Sigma_t is symmetric in the clock thbar_t, not in the index: find where thbar_t "
                         "(schedule.clock) reaches half of thbar_T.")
        if g in (t_clean, t_T):
            return wrong(f"on {name} your index is an end point of the bridge.",
                         "Sigma_t = 0 at both ends: x_t = x0 at the clean end and x_t = mu at the pinned end.")
        if abs(g - w) <= 2:
            return wrong(f"on {name} your index is close to, but not at, the largest Sigma_t.",
                         "Sigma_t^2 falls as |thbar_t - thbar_{t:T}| grows: take the index whose clock is closest to "
                         "thbar_T / 2 (and return the grid time ts[k], not the position k).")
        return wrong(f"on {name} your index is not where Sigma_t is largest.",
                     "write 2 sinh(a) sinh(b) = cosh(a + b) - cosh(a - b) with a = thbar_t, b = thbar_{t:T}: "
                     "a + b = thbar_T is fixed, so Sigma_t is largest where a = b. Then find the grid index whose "
                     "clock is there (schedule.clock).")
    return None


@exercise("05.3", "Where is the noise level largest, and how large is it?", "predict")
def check_sigma_peak(answer):
    from rdbm_core.bridge import bridges

    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return wrong("expected two entries: (peak_index, peak formula in c).",
                     'for example `(peak_index, "1 - exp(-c)")` (not the answer), with peak_index a function of a '
                     "schedule.")
    failure = _index_feedback(answer[0])
    if failure is not None:
        return failure
    failure = _peak_feedback(answer[1])
    if failure is not None:
        return failure
    paths = (bridges.rdbm(), bridges.goub())
    where = [peak_index_truth(p.schedule) for p in paths]
    peaks = [math.sqrt(math.tanh(p.schedule.u_T / 2)) for p in paths]
    return correct("Sigma_t^2 = lam (cosh(thbar_T) - cosh(thbar_t - thbar_{t:T})) / sinh(thbar_T) is largest where the "
                   "clock is half way, thbar_t = thbar_T / 2, and there Sigma_t / sqrt(lam) = sqrt(tanh(c / 2)) < 1 "
                   f"({peaks[0]:.4f} on the reference clock, at index {where[0]} of -1..99; {peaks[1]:.4f} on GOUB's, "
                   f"at index {where[1]} of 0..100). Both clocks run slowly at first (small theta), so the half-way "
                   "point lies late in the index.")
