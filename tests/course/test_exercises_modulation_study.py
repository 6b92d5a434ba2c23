"""Exercises of notebook 12 (the modulation study): right answers pass, realistic wrong ones are caught with a hint
that does not give the answer away, and the truths are the library's."""
import numpy as np

from exercise_feedback import right, wrong
from rdbm_core.evidence.stats import two_stage_bootstrap
from rdbm_course.exercises.ex12_modulation_study import COMPARISONS, difference_matrices


def _percentiles(means):
    return tuple(np.percentile(means, [2.5, 97.5]))


def two_stage(d, draws, rng):
    n_s, n_i = d.shape
    return _percentiles([d[rng.integers(0, n_s, n_s)][:, rng.integers(0, n_i, n_i)].mean() for _ in range(draws)])


def items_per_seed(d, draws, rng):
    """A plausible wrong interval: the items drawn afresh for every drawn seed."""
    n_s, n_i = d.shape
    return _percentiles([np.mean([d[j, rng.integers(0, n_i, n_i)].mean() for j in rng.integers(0, n_s, n_s)])
                         for _ in range(draws)])


def seed_means_only(d, draws, rng):
    r = d.mean(axis=1)
    return _percentiles([r[rng.integers(0, len(r), len(r))].mean() for _ in range(draws)])


def all_entries(d, draws, rng):
    f = d.ravel()
    return _percentiles([f[rng.integers(0, f.size, f.size)].mean() for _ in range(draws)])


def test_12_1_false_positives():
    """Mutation: a truth of 36 x 0.025 (one side) would accept 0.9 and reject 1.8."""
    assert COMPARISONS == 36
    right("12.1", 1.8)
    right("12.1", 2)
    assert "one side" in wrong("12.1", 0.9, "1.8").message
    assert "5 %" in wrong("12.1", 0, "1.8").message
    wrong("12.1", 34.2, "1.8")
    wrong("12.1", 36, "1.8")
    wrong("12.1", 7.2, "1.8")
    assert "one number" in wrong("12.1", "a few").message


def test_12_2_two_stage_interval():
    """The library's two-stage bootstrap passes; three narrower resampling schemes and a mean +- 1.96 sd of
    single entries are caught.  Mutation: dropping the item stage in the reference (seeds only) makes the correct
    interval 'too wide' on matrix 0 and fails the first assertion."""
    right("12.2", two_stage)
    right("12.2", lambda d, draws, rng: two_stage_bootstrap(d, draws=draws, seed=int(rng.integers(1000))))
    for narrow in (items_per_seed, seed_means_only, all_entries):
        assert "leaves out a source of noise" in wrong("12.2", narrow).message
    assert "too wide" in wrong("12.2", lambda d, draws, rng: (d.mean() - 1.96 * d.std(),
                                                              d.mean() + 1.96 * d.std())).message
    shifted = wrong("12.2", lambda d, draws, rng: tuple(v + 0.3 * np.ptp(two_stage(d, draws, rng))
                                                        for v in two_stage(d, draws, rng)))
    assert "sits at" in shifted.message
    assert "pair" in wrong("12.2", lambda d, draws, rng: d.mean()).message
    assert "RuntimeError" in wrong("12.2", lambda *a: (_ for _ in ()).throw(RuntimeError("x"))).message


def test_12_2_matrices_have_both_sources_of_noise():
    """For each narrower scheme, some test matrix makes it at most 80 % as wide as the two-stage interval (the
    checker goes through every matrix, so one is enough to catch it)."""
    widths = []
    for d in difference_matrices():
        lo, hi = two_stage_bootstrap(d, draws=4000)
        rng = np.random.default_rng(0)
        widths.append([np.ptp(narrow(d, 2000, rng)) / (hi - lo) for narrow in (items_per_seed, seed_means_only)])
    assert (np.array(widths).min(axis=0) < 0.8).all(), widths


def test_12_3_eta0_cross_sampling():
    right("12.3", 0)
    right("12.3", 0.0)
    for answer in (-0.3, 0.1, 1.5):
        wrong("12.3", answer, "0 dB", "cancels")
    assert "one number" in wrong("12.3", "zero").message
