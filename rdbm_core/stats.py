"""Paired comparisons of two methods on the same test items, with an interval that carries both
sources of noise: the training seed and the test item.

An items CSV (see :data:`rdbm_core.evaluation.ITEM_COLUMNS`) holds one row per
(task, method, seed, item) with every metric.  For two methods ``a`` and ``b`` on one task,
:func:`paired_difference` pairs the rows of the seeds and items both have, forms the matrix
``D[s, i] = metric_a - metric_b`` and reports its mean with a **two-stage bootstrap** interval
(:func:`two_stage_bootstrap`): each draw takes the seeds with replacement, then the items with
replacement (one item draw shared by all drawn seeds), and averages ``D`` over the drawn rows
and columns; the 2.5 and 97.5 percentiles of the draws bound the 95 % interval.  An interval over
the items of one seed alone ignores that a second training run of the same method lands
elsewhere, and is too narrow whenever the seed-to-seed spread is large.

The verdict is ``"a"`` when the interval lies above 0 (a scores higher), ``"b"`` when it lies
below, ``"tie"`` when it contains 0 (no difference established).  Every metric here is
higher-is-better.  PSNR values of ``inf`` (identical pixels) enter as :data:`PSNR_CAP` dB, as in
:func:`rdbm_core.metrics.aggregate`; items whose metric is ``nan`` (an empty region) for either
method in any shared seed are left out.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .metrics import METRIC_KEYS, read_rows

__all__ = ["PairedDifference", "two_stage_bootstrap", "paired_matrix", "paired_difference", "compare_items",
           "load_items", "DRAWS", "RESAMPLE_SEED", "PSNR_CAP"]

#: Number of bootstrap draws of the default interval.
DRAWS = 2000
#: Seed of the resampling generator: the interval of a given CSV is reproducible.
RESAMPLE_SEED = 0
#: PSNR of identical pixels (inf) counted as this many dB.
PSNR_CAP = 100.0
_KEYS = ("task", "method", "seed", "item")


@dataclass(frozen=True)
class PairedDifference:
    """The paired difference ``a - b`` of one metric on one task (see the module docstring)."""

    task: str
    a: str
    b: str
    metric: str
    mean: float
    low: float
    high: float
    items: int
    seeds: list[int]
    per_seed: dict[int, float]
    draws: int
    resample_seed: int

    @property
    def verdict(self) -> str:
        """``"a"`` if the interval lies above 0, ``"b"`` if below, ``"tie"`` if it contains 0."""
        return "a" if self.low > 0 else "b" if self.high < 0 else "tie"

    def as_dict(self) -> dict:
        """Plain JSON-ready dict (seed keys as strings), with the verdict."""
        d = asdict(self)
        d["per_seed"] = {str(k): v for k, v in self.per_seed.items()}
        d["verdict"] = self.verdict
        return d

    def __str__(self) -> str:
        per_seed = ", ".join(f"{s}: {v:+.3f}" for s, v in self.per_seed.items())
        return (f"{self.task}: {self.a} - {self.b} {self.metric} = {self.mean:+.3f} "
                f"[{self.low:+.3f}, {self.high:+.3f}] (95 %, {self.items} items x {len(self.seeds)} seeds); "
                f"per seed {per_seed}; verdict: {self.verdict}")


def two_stage_bootstrap(diffs: np.ndarray, draws: int = DRAWS, seed: int = RESAMPLE_SEED,
                        level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the mean of ``diffs`` [seeds, items] by the two-stage bootstrap.

    Each of ``draws`` draws takes ``n_seeds`` seeds with replacement, then ``n_items`` items with
    replacement (one item draw for all drawn seeds), and averages ``diffs`` over the drawn
    rows and columns.  Returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of
    the draws; the generator is ``numpy.random.default_rng(seed)``.
    """
    d = np.asarray(diffs, dtype=np.float64)
    if d.ndim != 2 or d.size == 0:
        raise ValueError(f"diffs must be a non-empty [seeds, items] matrix, got shape {d.shape}")
    if not np.isfinite(d).all():
        raise ValueError("diffs contain non-finite values")
    if draws < 100:
        raise ValueError(f"draws must be at least 100, got {draws}")
    n_s, n_i = d.shape
    rng = np.random.default_rng(seed)
    means = np.empty(draws)
    chunk = max(1, 2_000_000 // (n_s * n_i))
    for start in range(0, draws, chunk):
        k = min(chunk, draws - start)
        s = rng.integers(0, n_s, size=(k, n_s))
        i = rng.integers(0, n_i, size=(k, n_i))
        means[start:start + k] = d[s[:, :, None], i[:, None, :]].mean(axis=(1, 2))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _value(row: dict, metric: str) -> float:
    """The metric of one CSV row as a float (PSNR inf capped at PSNR_CAP; empty -> nan)."""
    text = row[metric]
    try:
        value = float(text) if text not in ("", None) else math.nan
    except (TypeError, ValueError):
        raise ValueError(f"{metric} value {text!r} (task {row['task']}, method {row['method']}, seed {row['seed']}, "
                         f"item {row['item']}) is not a number") from None
    if metric.startswith("psnr") and value == math.inf:
        value = PSNR_CAP
    return value


def paired_matrix(rows: Sequence[dict], task: str, a: str, b: str,
                  metric: str = "psnr") -> tuple[np.ndarray, list[int], list[str]]:
    """``(D, seeds, items)``: ``D[s, i] = metric_a - metric_b`` over the seeds both methods have on
    ``task`` and the items both have in every one of those seeds with a finite value.

    ``rows`` are dicts with the keys of an items CSV (strings or numbers).  Raises ``ValueError``
    naming the problem (unknown task, method or column; nothing shared; duplicate rows).
    """
    if rows and metric not in rows[0]:
        numeric = [k for k in rows[0] if k not in (*_KEYS, "image")]
        raise ValueError(f"no column {metric!r} in the items; metrics: {', '.join(numeric)}")
    tasks = sorted({r["task"] for r in rows})
    if task not in tasks:
        raise ValueError(f"no rows for task {task!r}; tasks: {', '.join(tasks) or 'none'}")
    table: dict[str, dict[int, dict[str, float]]] = {a: {}, b: {}}
    methods = set()
    for r in rows:
        if r["task"] != task:
            continue
        methods.add(r["method"])
        if r["method"] in table:
            per_seed = table[r["method"]].setdefault(int(r["seed"]), {})
            item = str(r["item"])
            if item in per_seed:
                raise ValueError(f"two rows for task {task!r}, method {r['method']!r}, seed {r['seed']}, item {item}")
            per_seed[item] = _value(r, metric)
    for m in (a, b):
        if not table[m]:
            raise ValueError(f"no rows for method {m!r} on task {task!r}; methods: {', '.join(sorted(methods))}")
    if a == b:
        raise ValueError(f"compare two different methods, got {a!r} twice")
    seeds = sorted(set(table[a]) & set(table[b]))
    if not seeds:
        raise ValueError(f"methods {a!r} (seeds {sorted(table[a])}) and {b!r} (seeds {sorted(table[b])}) "
                         f"share no training seed on task {task!r}")
    items = None
    for s in seeds:
        here = {i for i in table[a][s].keys() & table[b][s].keys()
                if math.isfinite(table[a][s][i]) and math.isfinite(table[b][s][i])}
        items = here if items is None else items & here
    if not items:
        raise ValueError(f"methods {a!r} and {b!r} share no test item with a finite {metric} on task {task!r} "
                         f"in all of the seeds {seeds}")
    items = sorted(items, key=lambda i: (len(i), i))
    d = np.array([[table[a][s][i] - table[b][s][i] for i in items] for s in seeds])
    return d, seeds, items


def paired_difference(rows: Sequence[dict], task: str, a: str, b: str, metric: str = "psnr",
                      draws: int = DRAWS, resample_seed: int = RESAMPLE_SEED) -> PairedDifference:
    """The mean paired difference ``a - b`` on ``task`` with its two-stage bootstrap 95 % interval."""
    d, seeds, items = paired_matrix(rows, task, a, b, metric)
    low, high = two_stage_bootstrap(d, draws, resample_seed)
    return PairedDifference(task=task, a=a, b=b, metric=metric, mean=float(d.mean()), low=low, high=high,
                            items=len(items), seeds=seeds, per_seed={s: float(v) for s, v in zip(seeds, d.mean(1))},
                            draws=draws, resample_seed=resample_seed)


def load_items(csv_path: str | os.PathLike) -> list[dict]:
    """The rows of an items CSV; ``FileNotFoundError`` / ``ValueError`` if missing, empty or lacking
    the key columns."""
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise FileNotFoundError(f"items CSV not found: {csv_path}")
    try:
        rows = read_rows(csv_path)
    except (UnicodeDecodeError, OSError) as err:
        raise ValueError(f"cannot read items CSV {csv_path}: {err}") from err
    if not rows:
        raise ValueError(f"items CSV {csv_path} has no rows")
    missing = [k for k in _KEYS if k not in rows[0]]
    if missing:
        raise ValueError(f"items CSV {csv_path} lacks the column(s) {', '.join(missing)} "
                         f"(expected task, method, seed, item and metrics such as {', '.join(METRIC_KEYS[:2])})")
    for r in rows:
        try:
            int(r["seed"])
        except (TypeError, ValueError):
            raise ValueError(f"items CSV {csv_path}: seed {r['seed']!r} is not an integer") from None
    return rows


def compare_items(rows: Sequence[dict], a: str, b: str, tasks: Sequence[str] | None = None, metric: str = "psnr",
                  draws: int = DRAWS, resample_seed: int = RESAMPLE_SEED) -> list[PairedDifference]:
    """:func:`paired_difference` for each task (default: every task in ``rows``, in first-seen order)."""
    if tasks is None:
        tasks = list(dict.fromkeys(r["task"] for r in rows))
    return [paired_difference(rows, t, a, b, metric, draws, resample_seed) for t in tasks]
