"""Paired comparisons of two methods on the same test items, with intervals that count the real units:
training seeds, photographs, and windows within a photograph.

An items CSV (see :data:`rdbm_core.restoration.evaluation.ITEM_COLUMNS`) holds one row per (task, method, seed, item) with
every metric; its ``image`` column names the photograph an item was cut from (``"chelsea@64,128"``: the window
at (64, 128) of the photograph ``chelsea``).  For two methods ``a`` and ``b`` on one task,
:func:`paired_data` pairs their rows and forms the matrix ``D[s, i] = metric_a - metric_b``;
:func:`paired_difference` reports its mean with three things beside it:

* the **hierarchical bootstrap** interval (the default, ``method="hierarchical"``,
  :func:`hierarchical_bootstrap`): each draw takes the training seeds with replacement, then the
  photographs with replacement, then, within each drawn photograph, as many of its windows as it has with
  replacement; one item draw serves every drawn seed (seeds and items are crossed: every seed restored the
  same items).  Windows of one photograph share its content and its degradation statistics, so the
  photograph, not the window, is the unit a claim about other pictures generalises over.  The earlier
  ``method="two-stage"`` interval (:func:`two_stage_bootstrap`: seeds, then items, no photograph level) stays
  available by name.  The 2.5 and 97.5 percentiles of the draws bound the 95 % interval;
* a **Student-t interval on the seed means** (:func:`t_interval`): mean +- t(n_seeds - 1) x sd / sqrt(n_seeds)
  over the per-seed mean differences.  It carries the seed-to-seed spread only (the items held fixed), with
  the small-sample factor that a percentile bootstrap over 3-5 seeds lacks;
* a **bootstrap p-value** (:func:`bootstrap_p_value`): 2 x min(share of draws <= 0, share of draws >= 0),
  capped at 1, for family-wise counts (:func:`established_counts`: Holm and Benjamini-Hochberg;
  :func:`count_family` adds draws to the comparisons whose p-value lies within Monte Carlo error of a
  threshold, so that a count does not depend on the bootstrap's seed).

The verdict (:attr:`PairedDifference.verdict`) comes from the hierarchical (or named) interval: ``"a"`` when it
lies wholly on a's better side of 0 (above 0 for a higher-is-better metric such as PSNR, below 0 for a distance
such as ST-LPIPS: :func:`rdbm_core.evidence.metrics.better`), ``"b"`` when it lies on b's, ``"tie"`` when it contains 0
(no difference established), and ``None`` (no verdict) when the comparison cannot carry one: fewer than
:data:`MIN_SEEDS` training seeds (then the interval is an item-level summary with the seeds held fixed, marked
as such), fewer than :data:`MIN_PHOTOGRAPHS` photographs, more than :data:`MAX_DROPPED` of the pairs dropped as
non-finite, or a metric that ranks no method (a draws' spread, a coverage).

Pairing rules (:func:`paired_data`):

* the two methods must have the same (seed, item) pairs on the task; otherwise :class:`UnpairedError` names
  what differs, unless ``intersect=True``, which compares the common part and records what it left out;
* a pair whose value is ``nan`` (an empty region) or infinite (``inf`` PSNR: identical pixels) for either
  method is dropped, never capped: a difference with an infinite side has no finite size.  To keep seeds and
  items crossed, an item dropped in one seed is dropped in all; the counts of pairs with a ``nan``, with an
  infinite value, and of all pairs dropped are in the result;
* the photograph of an item is the part of its ``image`` before ``@``; with no ``image`` column, or an image
  name without ``@``, each item is its own photograph (the result says which).
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.stats import t as student_t

from rdbm_core.evidence.metrics import DRAW_KEYS, METRIC_KEYS, PERCEPTUAL_KEYS, better
from rdbm_core.data.files import read_rows

__all__ = ["PairedData", "PairedDifference", "UnpairedError", "EstablishedCounts",
           "bootstrap_means", "hierarchical_bootstrap", "two_stage_bootstrap", "t_interval", "bootstrap_p_value",
           "holm", "benjamini_hochberg", "established_counts", "count_family", "p_value_se",
           "paired_data", "paired_matrix", "paired_difference", "MethodMean", "method_mean", "compare_items", "load_items", "select_rows",
           "METHODS", "DRAWS", "LEGACY_DRAWS", "RESAMPLE_SEED", "LEVEL", "MIN_SEEDS", "MIN_PHOTOGRAPHS",
           "MAX_DROPPED", "P_VALUE_RULE", "MC_MARGIN", "MAX_DRAWS"]

#: The interval designs, the default first.
METHODS = ("hierarchical", "two-stage")
#: Number of bootstrap draws of the default interval and of the p-values.
DRAWS = 10_000
#: The draws of the earlier default (the default of :func:`two_stage_bootstrap`).
LEGACY_DRAWS = 2000
#: Seed of the resampling generator: the interval of a given CSV is reproducible.
RESAMPLE_SEED = 0
#: Coverage of every interval.
LEVEL = 0.95
#: A verdict needs at least this many training seeds.
MIN_SEEDS = 3
#: A verdict needs at least this many photographs.
MIN_PHOTOGRAPHS = 2
#: A verdict is refused when more than this share of the (seed, item) pairs was dropped as non-finite.
MAX_DROPPED = 0.05
#: A p-value within this many Monte Carlo standard errors of a threshold leaves its comparison undecided.
MC_MARGIN = 3.0
#: An undecided comparison is computed again with ten times the draws, up to this many.
MAX_DRAWS = 1_000_000
#: How :func:`bootstrap_p_value` is computed (said in outputs).
P_VALUE_RULE = "2 x min(share of draws <= 0, share of draws >= 0)"
_KEYS = ("task", "method", "seed", "item")


class UnpairedError(ValueError):
    """The two methods' (seed, item) sets differ on a task; the message names what differs."""


@dataclass(frozen=True)
class PairedData:
    """The paired rows of two methods on one task (see :func:`paired_data`).

    ``d[s, i] = metric_a - metric_b`` over ``seeds`` x ``items``; ``photographs[i]`` is the photograph of
    ``items[i]``; ``photograph_source`` says where it came from.  ``pairs``: the (seed, item) pairs compared
    before dropping; ``nan_pairs`` / ``inf_pairs``: those with a ``nan`` / an infinite value (and no ``nan``)
    for either method; ``dropped_pairs``: all pairs left out for them (the other seeds of such an item
    included); ``unpaired``: what ``intersect=True`` left out ("" when nothing).
    """

    d: np.ndarray
    seeds: list[int]
    items: list[str]
    photographs: list[str]
    photograph_source: str
    pairs: int
    nan_pairs: int
    inf_pairs: int
    dropped_pairs: int
    unpaired: str


@dataclass(frozen=True)
class PairedDifference:
    """The paired difference ``a - b`` of one metric on one task (see the module docstring).

    ``low``/``high``: the ``method`` interval (``scope`` says whether it resampled the seeds); ``t_low``/``t_high``:
    the Student-t interval on the seed means (``nan`` with one seed); ``p_value``: :data:`P_VALUE_RULE` over
    the same draws; the pair counts and ``unpaired`` as in :class:`PairedData`.
    """

    task: str
    a: str
    b: str
    metric: str
    mean: float
    low: float
    high: float
    method: str
    scope: str
    t_low: float
    t_high: float
    p_value: float
    items: int
    photographs: int
    photograph_source: str
    seeds: list[int]
    per_seed: dict[int, float]
    pairs: int
    nan_pairs: int
    inf_pairs: int
    dropped_pairs: int
    unpaired: str
    draws: int
    resample_seed: int
    level: float = LEVEL

    @property
    def no_verdict_reason(self) -> str | None:
        """Why the comparison carries no verdict (``None`` when it carries one)."""
        if better(self.metric) is None:
            return f"{self.metric} ranks no method"
        if len(self.seeds) < MIN_SEEDS:
            return f"{len(self.seeds)} seed{'s' * (len(self.seeds) != 1)}; a verdict needs {MIN_SEEDS}"
        if self.dropped_pairs > MAX_DROPPED * self.pairs:
            return (f"{self.dropped_pairs} of {self.pairs} pairs dropped as non-finite, more than "
                    f"{MAX_DROPPED * 100:g} %")
        if self.photographs < MIN_PHOTOGRAPHS:
            return f"{self.photographs} photograph; a verdict needs {MIN_PHOTOGRAPHS}"
        return None

    @property
    def verdict(self) -> str | None:
        """``"a"`` if the interval lies on a's better side of 0 (above 0, or below 0 for a lower-is-better
        metric), ``"b"`` if on b's, ``"tie"`` if it contains 0; ``None`` when :attr:`no_verdict_reason` says
        why there is none."""
        if self.no_verdict_reason is not None:
            return None
        above, below = self.low > 0, self.high < 0
        if better(self.metric) == "lower":
            above, below = below, above
        return "a" if above else "b" if below else "tie"

    @property
    def verdict_words(self) -> str:
        """The verdict in words: ``"<a> better"``, ``"<b> better"``, ``"no difference established"`` or
        ``"no verdict (<reason>)"``."""
        v = self.verdict
        if v is None:
            return f"no verdict ({self.no_verdict_reason})"
        return f"{self.a} better" if v == "a" else f"{self.b} better" if v == "b" else "no difference established"

    def as_dict(self) -> dict:
        """Plain JSON-ready dict (seed keys as strings), with the verdict, its words and the p-value rule."""
        d = asdict(self)
        d["per_seed"] = {str(k): v for k, v in self.per_seed.items()}
        d.update(verdict=self.verdict, verdict_words=self.verdict_words, no_verdict_reason=self.no_verdict_reason,
                 p_value_rule=P_VALUE_RULE)
        return d

    def __str__(self) -> str:
        per_seed = ", ".join(f"{s}: {v:+.3f}" for s, v in self.per_seed.items())
        units = (f"{len(self.seeds)} seed{'s' * (len(self.seeds) != 1)} x {self.photographs} "
                 f"photograph{'s' * (self.photographs != 1)}, {self.items} items")
        p = f"p {self.p_value:.4f}" if self.p_value > 0 else f"p < {2 / self.draws:g}"
        kind = (f"{self.method} bootstrap" if self.scope == "seeds and items"
                else f"item-level summary, seeds held fixed, {self.method} bootstrap of the items")
        notes = ""
        if self.photograph_source != "image column":
            notes += f"; {self.photograph_source}"
        if self.dropped_pairs:
            notes += (f"; dropped {self.dropped_pairs} of {self.pairs} pairs as non-finite "
                      f"({self.nan_pairs} with nan, {self.inf_pairs} with inf)")
        if self.unpaired:
            notes += f"; intersected, left out: {self.unpaired}"
        return (f"{self.task}: {self.a} - {self.b} {self.metric} = {self.mean:+.3f} "
                f"[{self.low:+.3f}, {self.high:+.3f}] ({self.level * 100:g} % {kind}, {self.draws} draws: {units}); "
                f"t on seed means [{self.t_low:+.3f}, {self.t_high:+.3f}]; {p}; "
                f"per seed {per_seed}{notes}; verdict: {self.verdict_words}")


def _check_diffs(diffs, draws: int) -> np.ndarray:
    """``diffs`` as a float64 [seeds, items] matrix; ``ValueError`` if empty, non-finite or ``draws < 100``."""
    d = np.asarray(diffs, dtype=np.float64)
    if d.ndim != 2 or d.size == 0:
        raise ValueError(f"diffs must be a non-empty [seeds, items] matrix, got shape {d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("diffs contain non-finite values")
    if draws < 100:
        raise ValueError(f"draws must be at least 100, got {draws}")
    return d


def _two_stage_means(d: np.ndarray, draws: int, rng: np.random.Generator, resample_seeds: bool) -> np.ndarray:
    """Means of ``d`` over ``draws`` two-stage draws (seeds, then one item draw for all drawn seeds)."""
    n_s, n_i = d.shape
    means = np.empty(draws)
    chunk = max(1, 2_000_000 // (n_s * n_i))
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        s = rng.integers(0, n_s, size=(k, n_s)) if resample_seeds else np.broadcast_to(np.arange(n_s), (k, n_s))
        i = rng.integers(0, n_i, size=(k, n_i))
        means[start:start + k] = d[s[:, :, None], i[:, None, :]].mean(axis=(1, 2))
    return means


def _hierarchical_means(d: np.ndarray, photographs: Sequence, draws: int, rng: np.random.Generator,
                        resample_seeds: bool) -> np.ndarray:
    """Means of ``d`` over ``draws`` draws of seeds, photographs and windows (one item draw for all seeds).

    A draw's mean is ``c_s @ d @ c_i / (n_seeds * sum(c_i))`` with ``c_s`` the count of each seed in the seed
    draw and ``c_i`` the count of each item in the item draw: the mean over the drawn rows and columns.
    """
    n_s, n_i = d.shape
    labels, group = np.unique(np.asarray(photographs, dtype=str), return_inverse=True)
    n_p = len(labels)
    sizes = np.bincount(group, minlength=n_p)
    order = np.argsort(group, kind="stable")               # items of photograph p: order[starts[p]:][:sizes[p]]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    width = int(sizes.max())
    slot = np.arange(width)
    means = np.empty(draws)
    chunk = max(1, 2_000_000 // (n_i + n_p * width + n_s))
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        rows = np.arange(k)[:, None]
        if resample_seeds:
            seed_draw = rng.integers(0, n_s, size=(k, n_s))
            c_s = np.bincount((rows * n_s + seed_draw).ravel(), minlength=k * n_s).reshape(k, n_s).astype(float)
        else:
            c_s = np.ones((k, n_s))
        photo = rng.integers(0, n_p, size=(k, n_p))        # the drawn photographs
        n_w = sizes[photo][:, :, None]                      # how many windows each of them has
        window = np.floor(rng.random((k, n_p, width)) * n_w).astype(np.int64)
        item = order[starts[photo][:, :, None] + window]
        weight = (slot < n_w).astype(float)                 # a photograph with fewer windows fills fewer slots
        c_i = np.bincount((rows[:, :, None] * n_i + item).ravel(), weights=weight.ravel(),
                          minlength=k * n_i).reshape(k, n_i)
        means[start:start + k] = np.einsum("ki,ki->k", c_s @ d, c_i) / (n_s * c_i.sum(1))
    return means


def bootstrap_means(diffs, photographs: Sequence | None = None, draws: int = DRAWS, seed: int = RESAMPLE_SEED,
                    method: str = "hierarchical", resample_seeds: bool = True) -> np.ndarray:
    """The ``draws`` bootstrap means of ``diffs`` [seeds, items] under ``method`` (see :data:`METHODS`).

    ``photographs``: the photograph of each item (default: each item its own; ignored by ``"two-stage"``).
    ``resample_seeds=False`` holds the seeds fixed (every draw uses each seed once): the item-level summary.
    The generator is ``numpy.random.default_rng(seed)``.  ``ValueError`` for an unknown method, a
    ``photographs`` of the wrong length, and the cases of :func:`two_stage_bootstrap`.
    """
    d = _check_diffs(diffs, draws)
    rng = np.random.default_rng(seed)
    if method == "two-stage":
        return _two_stage_means(d, draws, rng, resample_seeds)
    if method != "hierarchical":
        raise ValueError(f"unknown interval method {method!r}; methods: {', '.join(METHODS)}")
    if photographs is None:
        photographs = [str(i) for i in range(d.shape[1])]
    if len(photographs) != d.shape[1]:
        raise ValueError(f"{len(photographs)} photographs for {d.shape[1]} items")
    return _hierarchical_means(d, photographs, draws, rng, resample_seeds)


def _percentiles(means: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def hierarchical_bootstrap(diffs, photographs: Sequence | None = None, draws: int = DRAWS,
                           seed: int = RESAMPLE_SEED, level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval ``(low, high)`` of the mean of ``diffs`` [seeds, items] by the hierarchical bootstrap:
    seeds, then photographs, then windows within each drawn photograph, one item draw for all drawn seeds.

    ``photographs[i]`` is the photograph of item ``i`` (default: each item its own, which is the two-stage
    design with the items drawn by photograph).  Returns the ``(1 - level) / 2`` and ``(1 + level) / 2``
    quantiles of the draws of :func:`bootstrap_means`.
    """
    return _percentiles(bootstrap_means(diffs, photographs, draws, seed, "hierarchical"), level)


def two_stage_bootstrap(diffs, draws: int = LEGACY_DRAWS, seed: int = RESAMPLE_SEED,
                        level: float = LEVEL) -> tuple[float, float]:
    """Percentile interval of the mean of ``diffs`` [seeds, items] by the earlier two-stage bootstrap.

    Each of ``draws`` draws takes ``n_seeds`` seeds with replacement, then ``n_items`` items with
    replacement (one item draw for all drawn seeds, no photograph level), and averages ``diffs`` over the drawn
    rows and columns.  Returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the draws; the
    generator is ``numpy.random.default_rng(seed)``.  ``ValueError`` if ``diffs`` is empty or non-finite or
    ``draws < 100``.
    """
    return _percentiles(bootstrap_means(diffs, None, draws, seed, "two-stage"), level)


def t_interval(diffs, level: float = LEVEL) -> tuple[float, float]:
    """Student-t interval of the mean of the seed means of ``diffs`` [seeds, items]:
    ``mean +- t_{n-1}((1 + level) / 2) * sd / sqrt(n)`` over the ``n`` row means; ``(nan, nan)`` for one seed.
    ``ValueError`` for an empty, non-2-D or non-finite ``diffs``."""
    d = _check_diffs(diffs, draws=100)
    seed_means = d.mean(axis=1)
    n = len(seed_means)
    if n < 2:
        return math.nan, math.nan
    half = float(student_t.ppf((1 + level) / 2, n - 1) * seed_means.std(ddof=1) / math.sqrt(n))
    centre = float(seed_means.mean())
    return centre - half, centre + half


def bootstrap_p_value(means) -> float:
    """Two-sided bootstrap p-value of "the mean difference is 0": :data:`P_VALUE_RULE`, capped at 1."""
    m = np.asarray(means, dtype=np.float64)
    if m.size == 0:
        raise ValueError("bootstrap_p_value needs at least one bootstrap mean")
    return float(min(1.0, 2 * min(np.mean(m <= 0), np.mean(m >= 0))))


def holm(p_values, alpha: float = 1 - LEVEL) -> np.ndarray:
    """Holm's step-down rejections (family-wise error ``alpha``, any dependence): a boolean per p-value."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = len(p)
    passed = p[order] <= alpha / (m - np.arange(m))
    k = m if passed.all() else int(np.argmin(passed))     # reject the ones before the first failure
    out = np.zeros(m, dtype=bool)
    out[order[:k]] = True
    return out


def benjamini_hochberg(p_values, alpha: float = 1 - LEVEL) -> np.ndarray:
    """Benjamini-Hochberg rejections (false-discovery rate ``alpha``, independent or positively dependent
    tests): a boolean per p-value."""
    p = np.asarray(p_values, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    m = len(p)
    below = np.nonzero(p[order] <= alpha * np.arange(1, m + 1) / m)[0]
    out = np.zeros(m, dtype=bool)
    if below.size:
        out[order[:below[-1] + 1]] = True
    return out


@dataclass(frozen=True)
class EstablishedCounts:
    """How many comparisons of a family are established: ``established`` by their own intervals (``a_better``
    for a, ``b_better`` for b), ``holm`` and ``bh`` after Holm and Benjamini-Hochberg adjustment of their
    bootstrap p-values (comparisons without a verdict count in ``n`` and are never established); the masks
    are per comparison, in the family's order.  ``undecided``: the comparisons whose p-value lies within
    :data:`MC_MARGIN` Monte Carlo standard errors of a threshold that decides them (see
    :func:`established_counts`), whose status another resample seed may change; ``draws``: the fewest and the
    most draws of the family's comparisons."""

    n: int
    established: int
    a_better: int
    b_better: int
    holm: int
    bh: int
    no_verdict: int
    undecided: list[int]
    holm_mask: list[bool]
    bh_mask: list[bool]
    method: str
    draws: tuple[int, int]
    resample_seed: int

    def __str__(self) -> str:
        draws = f"{self.draws[0]}" if self.draws[0] == self.draws[1] else f"{self.draws[0]}-{self.draws[1]}"
        return (f"{self.established} of {self.n} established ({self.a_better} for a, {self.b_better} for b; "
                f"{LEVEL * 100:g} % {self.method} intervals, {draws} draws, resample seed {self.resample_seed}); "
                f"Holm {self.holm}, Benjamini-Hochberg {self.bh} (bootstrap p = {P_VALUE_RULE})"
                + (f"; {self.no_verdict} without a verdict" if self.no_verdict else "")
                + (f"; {len(self.undecided)} within Monte Carlo error of a threshold" if self.undecided else ""))


def p_value_se(p: float, draws: int) -> float:
    """Monte Carlo standard error of a bootstrap p-value ``p`` (:data:`P_VALUE_RULE`) from ``draws`` draws:
    ``2 sqrt(q (1 - q) / draws)`` with ``q = max(p / 2, 0.5 / draws)``."""
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    q = max(p / 2, 0.5 / draws)
    return 2 * math.sqrt(q * (1 - q) / draws)


def _undecided(results: Sequence[PairedDifference], p: np.ndarray, alpha: float) -> list[int]:
    """Indices whose p-value is within MC_MARGIN standard errors of alpha (its own verdict), of Holm's
    threshold at its rank (alpha / (m - rank)) or of Benjamini-Hochberg's (alpha (rank + 1) / m)."""
    m = len(p)
    rank = np.empty(m, dtype=int)
    rank[np.argsort(p, kind="stable")] = np.arange(m)
    out = []
    for k, r in enumerate(results):
        if r.verdict is None:
            continue
        margin = MC_MARGIN * p_value_se(r.p_value, r.draws)
        if any(abs(r.p_value - t) < margin for t in (alpha, alpha / (m - rank[k]), alpha * (rank[k] + 1) / m)):
            out.append(k)
    return out


def established_counts(results: Sequence[PairedDifference], alpha: float = 1 - LEVEL) -> EstablishedCounts:
    """Count the established comparisons of a family (see :class:`EstablishedCounts`).

    ``results`` must share one interval method and resample seed (``ValueError`` otherwise, or when empty).
    The verdicts and p-values are taken as they are; :func:`count_family` refines the undecided ones first."""
    if not results:
        raise ValueError("an empty family of comparisons")
    settings = {(r.method, r.resample_seed) for r in results}
    if len(settings) != 1:
        raise ValueError(f"the comparisons of a family must share method and resample seed; got {settings}")
    (method, resample_seed), = settings
    has_verdict = np.array([r.verdict is not None for r in results])
    p = np.array([r.p_value if v else 1.0 for r, v in zip(results, has_verdict)])
    h, bh = holm(p, alpha) & has_verdict, benjamini_hochberg(p, alpha) & has_verdict
    verdicts = [r.verdict for r in results]
    draws = [r.draws for r in results]
    return EstablishedCounts(
        n=len(results), established=sum(v in ("a", "b") for v in verdicts), a_better=verdicts.count("a"),
        b_better=verdicts.count("b"), holm=int(h.sum()), bh=int(bh.sum()), no_verdict=int((~has_verdict).sum()),
        undecided=_undecided(results, p, alpha), holm_mask=h.tolist(), bh_mask=bh.tolist(), method=method,
        draws=(min(draws), max(draws)), resample_seed=resample_seed)


def count_family(comparisons: Sequence[tuple], draws: int = DRAWS, resample_seed: int = RESAMPLE_SEED,
                 method: str = "hierarchical", alpha: float = 1 - LEVEL,
                 max_draws: int = MAX_DRAWS) -> tuple[list[PairedDifference], EstablishedCounts]:
    """The comparisons of a family and their counts, with the Monte Carlo error of the bootstrap made small
    enough not to decide them: each comparison ``(rows, task, a, b, metric)`` is computed by
    :func:`paired_difference` with ``draws`` draws; while some are undecided (:class:`EstablishedCounts`),
    those are computed again with ten times their draws, up to ``max_draws``.  Returns ``(results, counts)``;
    the ones still undecided at ``max_draws`` are listed in ``counts.undecided``."""
    results = [paired_difference(rows, task, a, b, metric, draws, resample_seed, method, refine=False)
               for rows, task, a, b, metric in comparisons]
    while True:
        counts = established_counts(results, alpha)
        refine = [k for k in counts.undecided if results[k].draws < max_draws]
        if not refine:
            return results, counts
        for k in refine:
            rows, task, a, b, metric = comparisons[k]
            results[k] = paired_difference(rows, task, a, b, metric, min(10 * results[k].draws, max_draws),
                                           resample_seed, method, refine=False)


def _value(row: dict, metric: str) -> float:
    """The metric of one CSV row as a float (``inf`` stays ``inf``; empty -> nan)."""
    text = row[metric]
    try:
        return float(text) if text not in ("", None) else math.nan
    except (TypeError, ValueError):
        raise ValueError(f"{metric} value {text!r} (task {row['task']}, method {row['method']}, seed {row['seed']}, "
                         f"item {row['item']}) is not a number") from None


def _item_key(item: str):
    return (len(item), item)


def _ranges(items) -> str:
    """``"10-19, 23"``: item labels, consecutive integers joined as ranges."""
    items = sorted(items, key=_item_key)
    if not all(i.isdigit() for i in items):
        return ", ".join(items)
    out, run = [], [int(items[0])]
    for n in map(int, items[1:]):
        if n == run[-1] + 1:
            run.append(n)
        else:
            out.append(run)
            run = [n]
    out.append(run)
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in out)


def _unpaired(table: dict, a: str, b: str) -> str:
    """What differs between the (seed, item) sets of ``a`` and ``b`` ("" when nothing)."""
    parts = []
    sa, sb = sorted(table[a]), sorted(table[b])
    if sa != sb:
        parts.append(f"{a} has seeds {','.join(map(str, sa))} and {b} {','.join(map(str, sb))}")
    for s in sorted(set(sa) & set(sb)):
        for m, other in ((a, b), (b, a)):
            missing = table[m][s].keys() - table[other][s].keys()
            if missing:
                parts.append(f"items {_ranges(missing)} of seed {s} missing for {other}")
    return "; ".join(parts)


def _differing_columns(first: dict, second: dict, metric: str) -> str:
    """The descriptive columns in which two rows of one key differ, as a clause of an error ("" if none)."""
    skip = {*_KEYS, "image", metric, *METRIC_KEYS, *PERCEPTUAL_KEYS, *DRAW_KEYS}
    diff = [k for k in first if k not in skip and not k.startswith("input_") and first.get(k) != second.get(k)]
    if not diff:
        return ""
    named = ", ".join(f"{k} ({first.get(k)!r}, {second.get(k)!r})" for k in diff)
    return (f"; they differ in {named}: select rows (compare --where {diff[0]}={first.get(diff[0])}) "
            "or name more --by columns")


def _photographs(rows: Sequence[dict], items: list[str]) -> tuple[list[str], str]:
    """The photograph of each item and where it came from (see the module docstring)."""
    if not rows or "image" not in rows[0]:
        return list(items), "each item its own photograph (no image column)"
    image: dict[str, str] = {}
    for r in rows:
        item, name = str(r["item"]), str(r["image"])
        if image.setdefault(item, name) != name:
            raise ValueError(f"item {item} is image {image[item]!r} in one row and {name!r} in another")
    names = [image[i] for i in items]
    if not all("@" in n for n in names):
        return list(items), "each item its own photograph (an image name without '@')"
    return [n.split("@", 1)[0] for n in names], "image column"


def paired_data(rows: Sequence[dict], task: str, a: str, b: str, metric: str = "psnr",
                intersect: bool = False) -> PairedData:
    """Pair the rows of methods ``a`` and ``b`` on ``task`` (the rules are in the module docstring).

    ``rows`` are dicts with the keys of an items CSV (strings or numbers).  Raises :class:`UnpairedError` when
    the (seed, item) sets differ and ``intersect`` is false, and ``ValueError`` naming the problem for an
    unknown task, method or column, nothing shared, duplicate rows, or an item with two image names.
    """
    if rows and metric not in rows[0]:
        numeric = [k for k in rows[0] if k not in (*_KEYS, "image")]
        raise ValueError(f"no column {metric!r} in the items; metrics: {', '.join(numeric)}")
    tasks = sorted({r["task"] for r in rows})
    if task not in tasks:
        raise ValueError(f"no rows for task {task!r}; tasks: {', '.join(tasks) or 'none'}")
    if a == b:
        raise ValueError(f"compare two different methods, got {a!r} twice")
    table: dict[str, dict[int, dict[str, float]]] = {a: {}, b: {}}
    source: dict[tuple, dict] = {}
    methods, used = set(), []
    for r in rows:
        if r["task"] != task:
            continue
        methods.add(r["method"])
        if r["method"] in table:
            seed, item = int(r["seed"]), str(r["item"])
            per_seed = table[r["method"]].setdefault(seed, {})
            if item in per_seed:
                raise ValueError(f"two rows for task {task!r}, method {r['method']!r}, seed {seed}, item {item}"
                                 + _differing_columns(source[(r["method"], seed, item)], r, metric))
            source[(r["method"], seed, item)] = r
            per_seed[item] = _value(r, metric)
            used.append(r)
    for m in (a, b):
        if not table[m]:
            raise ValueError(f"no rows for method {m!r} on task {task!r}; methods: {', '.join(sorted(methods))}")
    seeds = sorted(set(table[a]) & set(table[b]))
    if not seeds:
        raise ValueError(f"methods {a!r} (seeds {sorted(table[a])}) and {b!r} (seeds {sorted(table[b])}) "
                         f"share no training seed on task {task!r}")
    unpaired = _unpaired(table, a, b)
    if unpaired and not intersect:
        raise UnpairedError(f"{a} and {b} are not paired on {task}: {unpaired}")
    shared = None
    for s in seeds:
        here = table[a][s].keys() & table[b][s].keys()
        shared = here if shared is None else shared & here
    if unpaired and not shared:
        raise ValueError(f"methods {a!r} and {b!r} share no test item in all of the seeds {seeds} on task {task!r}")
    shared = sorted(shared, key=_item_key)
    values = np.array([[[table[m][s][i] for i in shared] for s in seeds] for m in (a, b)])  # [2, seeds, items]
    has_nan = np.isnan(values).any(axis=0)
    has_inf = np.isinf(values).any(axis=0) & ~has_nan
    keep = ~(has_nan | has_inf).any(axis=0)
    if not keep.any():
        raise ValueError(f"methods {a!r} and {b!r} share no test item with a finite {metric} on task {task!r} "
                         f"in all of the seeds {seeds}")
    items = [i for i, k in zip(shared, keep) if k]
    photographs, photograph_source = _photographs(used, items)
    return PairedData(d=values[0][:, keep] - values[1][:, keep], seeds=seeds, items=items, photographs=photographs,
                      photograph_source=photograph_source, pairs=int(keep.size * len(seeds)),
                      nan_pairs=int(has_nan.sum()), inf_pairs=int(has_inf.sum()),
                      dropped_pairs=int((~keep).sum() * len(seeds)), unpaired=unpaired)


def paired_matrix(rows: Sequence[dict], task: str, a: str, b: str, metric: str = "psnr",
                  intersect: bool = False) -> tuple[np.ndarray, list[int], list[str]]:
    """``(D, seeds, items)`` of :func:`paired_data`."""
    data = paired_data(rows, task, a, b, metric, intersect)
    return data.d, data.seeds, data.items


def paired_difference(rows: Sequence[dict], task: str, a: str, b: str, metric: str = "psnr",
                      draws: int = DRAWS, resample_seed: int = RESAMPLE_SEED, method: str = "hierarchical",
                      intersect: bool = False, refine: bool = True) -> PairedDifference:
    """The mean paired difference ``a - b`` on ``task`` with its ``method`` interval (default hierarchical),
    the t interval on the seed means and the bootstrap p-value (see the module docstring).

    With fewer than :data:`MIN_SEEDS` seeds the interval holds the seeds fixed (``scope`` "items only") and
    there is no verdict.  With ``refine``, a verdict whose p-value lies within :data:`MC_MARGIN` Monte Carlo
    standard errors (:func:`p_value_se`) of ``1 - LEVEL`` is computed again with ten times the draws, up to
    :data:`MAX_DRAWS`, so that it does not depend on the resample seed; the result's ``draws`` are the ones
    used.  Raises as :func:`paired_data` and :func:`bootstrap_means`.
    """
    data = paired_data(rows, task, a, b, metric, intersect)
    resample_seeds = len(data.seeds) >= MIN_SEEDS
    t_low, t_high = t_interval(data.d)

    def result(n: int) -> PairedDifference:
        means = bootstrap_means(data.d, data.photographs, n, resample_seed, method, resample_seeds)
        low, high = _percentiles(means, LEVEL)
        return PairedDifference(
            task=task, a=a, b=b, metric=metric, mean=float(data.d.mean()), low=low, high=high, method=method,
            scope="seeds and items" if resample_seeds else "items only", t_low=t_low, t_high=t_high,
            p_value=bootstrap_p_value(means), items=len(data.items), photographs=len(set(data.photographs)),
            photograph_source=data.photograph_source, seeds=data.seeds,
            per_seed={s: float(v) for s, v in zip(data.seeds, data.d.mean(1))}, pairs=data.pairs,
            nan_pairs=data.nan_pairs, inf_pairs=data.inf_pairs, dropped_pairs=data.dropped_pairs,
            unpaired=data.unpaired, draws=n, resample_seed=resample_seed)

    r = result(draws)
    while (refine and r.verdict is not None and r.draws < MAX_DRAWS
           and abs(r.p_value - (1 - LEVEL)) < MC_MARGIN * p_value_se(r.p_value, r.draws)):
        r = result(min(10 * r.draws, MAX_DRAWS))
    return r


@dataclass(frozen=True)
class MethodMean:
    """One method's mean of one metric on one task, with the interval of :func:`method_mean`: where the method
    sits (a point of a plane), not how it compares (:class:`PairedDifference` does that)."""

    task: str
    method: str
    metric: str
    mean: float
    low: float
    high: float
    scope: str
    seeds: list[int]
    items: int
    photographs: int
    dropped_items: int
    draws: int
    resample_seed: int
    level: float = LEVEL


def method_mean(rows: Sequence[dict], task: str, method: str, metric: str = "psnr", draws: int = DRAWS,
                resample_seed: int = RESAMPLE_SEED) -> MethodMean:
    """The mean of ``method``'s ``metric`` on ``task`` over its (seed, item) rows, with the hierarchical bootstrap
    interval of that mean (seeds, then photographs, then windows; the seeds held fixed, ``scope`` "items only",
    with fewer than :data:`MIN_SEEDS`).  An item whose value is ``nan`` or infinite in any seed is left out in
    all (``dropped_items``).  ``ValueError`` naming the problem for no rows, duplicate rows, or seeds that did
    not restore the same items."""
    mine = [r for r in rows if r["task"] == task and r["method"] == method]
    if not mine:
        raise ValueError(f"no rows for method {method!r} on task {task!r}")
    table: dict[tuple[int, str], float] = {}
    for r in mine:
        key = (int(r["seed"]), str(r["item"]))
        if key in table:
            raise ValueError(f"two rows for task {task!r}, method {method!r}, seed {key[0]}, item {key[1]}")
        table[key] = _value(r, metric)
    seeds = sorted({s for s, _ in table})
    items = sorted({i for _, i in table}, key=_item_key)
    missing = [(s, i) for s in seeds for i in items if (s, i) not in table]
    if missing:
        raise ValueError(f"the seeds of {method!r} on {task!r} did not restore the same items: "
                         f"{len(missing)} (seed, item) pairs missing, first {missing[0]}")
    values = np.array([[table[(s, i)] for i in items] for s in seeds])
    keep = np.isfinite(values).all(axis=0)
    if not keep.any():
        raise ValueError(f"no item with a finite {metric} in every seed of {method!r} on {task!r}")
    kept = [i for i, k in zip(items, keep) if k]
    photographs, _ = _photographs(mine, kept)
    resample_seeds = len(seeds) >= MIN_SEEDS
    means = bootstrap_means(values[:, keep], photographs, draws, resample_seed, "hierarchical", resample_seeds)
    low, high = _percentiles(means, LEVEL)
    return MethodMean(task=task, method=method, metric=metric, mean=float(values[:, keep].mean()), low=low, high=high,
                      scope="seeds and items" if resample_seeds else "items only", seeds=seeds, items=len(kept),
                      photographs=len(set(photographs)), dropped_items=int((~keep).sum()), draws=draws,
                      resample_seed=resample_seed)


def load_items(csv_path: str | os.PathLike, by: Sequence[str] = ("method",)) -> list[dict]:
    """The rows of an items CSV; ``FileNotFoundError`` / ``ValueError`` if missing, empty, lacking the columns
    task, seed, item or the method column(s) ``by``, or with a seed that is not an integer."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"items CSV not found: {csv_path}")
    try:
        rows = read_rows(csv_path)
    except (UnicodeDecodeError, OSError) as err:
        raise ValueError(f"cannot read items CSV {csv_path}: {err}") from err
    if not rows:
        raise ValueError(f"items CSV {csv_path} has no rows")
    missing = [k for k in ("task", *by, "seed", "item") if k not in rows[0]]
    if missing:
        hint = " (name the column(s) of a method with --by, e.g. --by sampler,nfe)" if "method" in missing else ""
        raise ValueError(f"items CSV {csv_path} lacks the column(s) {', '.join(missing)}{hint}; "
                         f"columns: {', '.join(rows[0])}")
    for r in rows:
        try:
            int(r["seed"])
        except (TypeError, ValueError):
            raise ValueError(f"items CSV {csv_path}: seed {r['seed']!r} is not an integer") from None
    return rows


def select_rows(rows: Sequence[dict], by: Sequence[str] = ("method",),
                where: Mapping[str, str] | None = None) -> list[dict]:
    """The rows whose columns equal ``where`` (all of them), each with ``method`` set to its ``by`` columns
    joined by ``@`` (``by=("sampler", "nfe")``: ``"implicit-eta0@10"``); the input rows are not changed.

    ``ValueError`` for an unknown column, or a ``where`` value that no row has (naming the values there are).
    """
    columns = list(rows[0]) if rows else []
    for c in (*by, *(where or {})):
        if c not in columns:
            raise ValueError(f"no column {c!r} in the items; columns: {', '.join(columns)}")
    out = list(rows)
    for c, v in (where or {}).items():
        there = sorted({str(r[c]) for r in out})
        out = [r for r in out if str(r[c]) == str(v)]
        if not out:
            raise ValueError(f"no rows with {c} = {v!r}; values: {', '.join(there)}")
    if tuple(by) == ("method",):
        return out
    return [{**r, "method": "@".join(str(r[c]) for c in by)} for r in out]


def compare_items(rows: Sequence[dict], a: str, b: str, tasks: Sequence[str] | None = None, metric: str = "psnr",
                  draws: int = DRAWS, resample_seed: int = RESAMPLE_SEED, method: str = "hierarchical",
                  intersect: bool = False, refine: bool = True) -> list[PairedDifference]:
    """:func:`paired_difference` for each task (default: every task in ``rows``, in first-seen order)."""
    if tasks is None:
        tasks = list(dict.fromkeys(r["task"] for r in rows))
    return [paired_difference(rows, t, a, b, metric, draws, resample_seed, method, intersect, refine)
            for t in tasks]
