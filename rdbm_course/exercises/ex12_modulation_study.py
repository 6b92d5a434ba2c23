"""Exercises of notebook 12 (what residual modulation does: the ablation on images).

12.1 predict   how many of the 36 comparisons modulated - global would show an established difference if the
               noise factor changed nothing.
12.2 implement the two-stage bootstrap interval of a [seeds, items] matrix of paired differences.
12.3 predict   the PSNR difference cross-sampled - own path of a network sampled with ``eta = 0`` from ``mu``.

The truths: 12.1 by linearity of expectation (each 95 % interval excludes a zero effect with probability 0.05);
12.2 :func:`rdbm_core.evidence.stats.two_stage_bootstrap`; 12.3 the cancellation of the noise factor in the ``eta = 0``
step (docs/theory.md, the implicit sampler).
"""
from __future__ import annotations

import numpy as np

from ._base import call_student, correct, exercise, number_answer, wrong

#: the landscape's modulated - global PSNR comparisons: 3 tasks x 4 lam (> 0) x 3 samplers
COMPARISONS = 3 * 4 * 3
LEVEL = 0.95


# ----------------------------------------------------------------------------- 12.1


@exercise("12.1", "Established differences when nothing differs", "predict")
def check_false_positives(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (an expected count), got {answer!r}.", "for example `3`.")
    truth = COMPARISONS * (1 - LEVEL)
    if abs(got - truth) <= 0.2:
        return correct(f"{truth:.1f}: each 95 % interval misses a zero effect with probability 0.05, and expectations "
                       "add up whether or not the comparisons are independent (they are not: the same networks "
                       "appear under three samplers). One or two established differences among 36 are what "
                       "chance alone gives; a verdict needs a pattern (across lam, samplers or tasks) or a size "
                       "well beyond the interval.")
    if abs(got) < 0.5:
        return wrong("an interval that holds a zero effect 95 % of the time misses it the other 5 %.",
                     "how often does a 95 % interval exclude the true value? Multiply by the number of comparisons.")
    if abs(got - truth / 2) <= 0.2:
        return wrong("that counts only one side.",
                     "an interval can miss zero by lying entirely above it or entirely below it.")
    if abs(got - COMPARISONS * LEVEL) <= 0.5 or abs(got - COMPARISONS) <= 0.5:
        return wrong("that is the number of intervals that contain zero (or all of them), not the number that "
                     "exclude it.", "an established difference is an interval that does NOT contain 0.")
    return wrong("this is not the expected number of established differences under no effect.",
                 "each comparison is one 95 % interval; count how many of the landscape's cells compare "
                 "modulated with global (tasks x lam > 0 x samplers).")


# ----------------------------------------------------------------------------- 12.2


def difference_matrices():
    """Three [5 seeds, 64 items] difference matrices: seed effect + item effect (shared by the seeds) + noise."""
    rng = np.random.default_rng(12)
    out = []
    for seed_sd, item_sd, noise_sd in ((0.3, 1.0, 0.5), (0.5, 0.6, 0.3), (0.2, 1.2, 0.4)):
        seed_effect = rng.normal(0.1, seed_sd, size=(5, 1))
        item_effect = rng.normal(0.0, item_sd, size=(1, 64))
        out.append(seed_effect + item_effect + rng.normal(0.0, noise_sd, size=(5, 64)))
    return out


@exercise("12.2", "The two-stage bootstrap interval", "implement")
def check_two_stage_interval(answer):
    from rdbm_core.evidence.stats import two_stage_bootstrap

    for k, d in enumerate(difference_matrices()):
        got, failure = call_student(answer, d.copy(), 4000, np.random.default_rng(k),
                                    name="two_stage_interval(diffs, draws, rng)")
        if failure is not None:
            return failure
        try:
            low, high = (float(v) for v in got)
        except (TypeError, ValueError):
            return wrong(f"expected a pair (low, high), got {got!r}.", "return `low, high`.")
        ref_low, ref_high = two_stage_bootstrap(d, draws=20000, seed=100 + k)
        width, ref_width = high - low, ref_high - ref_low
        if not (low <= d.mean() <= high):
            return wrong(f"the interval [{low:.3f}, {high:.3f}] does not contain the mean difference {d.mean():.3f}.",
                         "each draw averages resampled rows and columns of the matrix; the interval is the 2.5 and "
                         "97.5 percentiles of those averages.")
        if width < 0.85 * ref_width:
            return wrong(f"on test matrix {k} your interval is {width:.3f} wide, {width / ref_width:.0%} of the "
                         "two-stage width: it leaves out a source of noise.",
                         "resample the seeds (rows) AND the items (columns); draw the items once per bootstrap "
                         "draw and use that draw for every drawn seed (the test items are the same for all seeds).")
        if width > 1.15 * ref_width:
            return wrong(f"on test matrix {k} your interval is {width:.3f} wide, {width / ref_width:.0%} of the "
                         "two-stage width: too wide.",
                         "take the 2.5 and 97.5 percentiles of the draws' means (a 95 % interval), and average each "
                         "draw over all drawn rows and columns.")
        if max(abs(low - ref_low), abs(high - ref_high)) > 0.1 * ref_width:
            return wrong(f"on test matrix {k} the interval has the right width but sits at [{low:.3f}, {high:.3f}].",
                         "the interval should be centred near the mean of the matrix; use percentiles of the draws' "
                         "means, not the mean plus or minus a spread of single entries.")
    return correct("your interval agrees with rdbm_core.evidence.stats.two_stage_bootstrap on three matrices (within the "
                   "Monte Carlo error of the draws). Drawing the items independently for each seed, resampling the "
                   "seeds' means alone, or resampling all entries as if independent gives intervals a third to a "
                   "half narrower on them: too confident.")


# ----------------------------------------------------------------------------- 12.3


@exercise("12.3", "Cross-sampling with the deterministic sampler", "predict")
def check_eta0_cross_sampling(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number (a PSNR difference in dB), got {answer!r}.", "for example `-0.3`.")
    if abs(got) <= 1e-6:
        return correct("0 dB exactly: the eta = 0 step, x_s = E[x_s | x0_hat] + (Sigma_s s / Sigma_t s) (x_t - "
                       "E[x_t | x0_hat]), has the noise factor s(pi) only in a ratio where it cancels, and the means "
                       "do not contain it. The same network gives the same restoration along either path: with this "
                       "sampler, modulation acts only through what the network learned.")
    return wrong("the deterministic sampler started at mu is not affected by the path's noise factor in the way "
                 "you expect.",
                 "write one eta = 0 implicit step with the noise factor s(pi) in every standard deviation: where "
                 "does s remain?")
