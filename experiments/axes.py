"""Both axes of a restoration, read from a study's items and sets CSVs: where each (method, sampling) sits on
the distortion-perception plane, and its paired gap to a reference method, with intervals that resample the
real units (training seeds, then photographs, then windows: :mod:`rdbm_core.evidence.stats`).

* distortion: PSNR (higher is better);
* perception: the ST-LPIPS distance (lower is better), per item; the sliced Wasserstein distance (SWD, lower is
  better), per set: one value per (network, seed), so its gap is paired by seed and its interval is the Student-t
  interval over the seeds' differences.

A sampling with several draws per item (``eta1x8``) gives two points: its first draw (the row's own ``psnr``,
``lpips_st``) and the mean of its draws (:func:`with_mean_of_draws`: the method ``<label>-mean``).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import t as student_t

from rdbm_core.evidence.stats import DRAWS, MIN_SEEDS, PairedDifference, method_mean, paired_difference, t_interval

__all__ = ["AXES", "MEAN_SUFFIX", "with_mean_of_draws", "points", "difference_row", "gaps", "t_p_value", "set_gaps",
           "methods_of"]

#: the item-level metric of each axis: distortion, perception
AXES = ("psnr", "lpips_st")
#: the suffix of a method's mean-of-draws point
MEAN_SUFFIX = "-mean"


def with_mean_of_draws(rows: Sequence[dict]) -> list[dict]:
    """``rows`` plus, for every row with draws (a finite ``psnr_mean_of_draws``), a row of method
    ``<method>-mean`` whose ``psnr`` and ``lpips_st`` are those of the mean of the draws (other metrics ``nan``)."""
    out = list(rows)
    for r in rows:
        value = r.get("psnr_mean_of_draws", "nan")
        if value in ("", None) or not math.isfinite(float(value)):
            continue
        out.append({**{k: "nan" for k in r}, "task": r["task"], "method": r["method"] + MEAN_SUFFIX, "seed": r["seed"],
                    "item": r["item"], "image": r.get("image", ""), "psnr": value,
                    "lpips_st": r.get("lpips_st_mean_of_draws", "nan")})
    return out


def methods_of(rows: Sequence[dict], task: str) -> list[str]:
    """The methods with rows on ``task``, in order of first appearance."""
    return list(dict.fromkeys(r["method"] for r in rows if r["task"] == task))


def points(rows: Sequence[dict], task: str, methods: Sequence[str], draws: int = DRAWS) -> list[dict]:
    """One row per method: its mean on each axis with the hierarchical interval
    (:func:`~rdbm_core.evidence.stats.method_mean`), its seeds, items and photographs."""
    out = []
    for m in methods:
        row = {"task": task, "method": m}
        for metric in AXES:
            r = method_mean(rows, task, m, metric, draws=draws)
            row.update({metric: round(r.mean, 6), f"{metric}_low": round(r.low, 6), f"{metric}_high": round(r.high, 6)})
        row.update(seeds=len(r.seeds), photographs=r.photographs, items=r.items, scope=r.scope)
        out.append(row)
    return out


def difference_row(d: PairedDifference) -> dict:
    """A paired difference as a row of a gaps or verdicts CSV: task, a, b, metric, its mean with the hierarchical
    interval, the t interval on the seed means, the p-value, its units and its verdict in words."""
    return {"task": d.task, "a": d.a, "b": d.b, "metric": d.metric, "mean": round(d.mean, 6), "low": round(d.low, 6),
            "high": round(d.high, 6), "t_low": round(d.t_low, 6), "t_high": round(d.t_high, 6),
            "p_value": round(d.p_value, 6), "seeds": len(d.seeds), "photographs": d.photographs, "items": d.items,
            "scope": d.scope, "verdict": d.verdict_words}


def gaps(rows: Sequence[dict], task: str, methods: Sequence[str], reference: str, metrics: Sequence[str] = AXES,
         draws: int = DRAWS) -> list[dict]:
    """One row per (method, metric): the paired difference ``method - reference`` on the same seeds and items
    (:func:`~rdbm_core.evidence.stats.paired_difference`, hierarchical interval, t interval on the seed means,
    p-value) and its verdict in words (:func:`difference_row`)."""
    return [difference_row(paired_difference(rows, task, m, reference, metric, draws=draws))
            for m in methods if m != reference for metric in metrics]


def t_p_value(diffs) -> float:
    """Two-sided p-value of "the mean of ``diffs`` is 0" by Student's t on their ``n - 1`` degrees of freedom (the
    test whose 95 % interval is :func:`~rdbm_core.evidence.stats.t_interval`); 1 when every difference is 0."""
    d = np.asarray(diffs, dtype=np.float64)
    sd = d.std(ddof=1)
    if sd == 0:
        return 1.0 if d.mean() == 0 else 0.0
    return float(2 * student_t.sf(abs(d.mean()) / (sd / math.sqrt(len(d))), len(d) - 1))


def set_gaps(sets: Sequence[dict], task: str, methods: Sequence[str], reference: str, metric: str = "swd") -> list[dict]:
    """One row per method: the set-level ``metric`` difference ``method - reference`` paired by training seed,
    its mean over the seeds, the Student-t interval over them and the two-sided p-value of the same t statistic
    (for Holm and Benjamini-Hochberg counts); a verdict (lower is better) with at least
    :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds."""
    by = {(r["method"], int(r["seed"])): float(r[metric]) for r in sets if r["task"] == task}
    ref_seeds = {s for m, s in by if m == reference}
    out = []
    for m in methods:
        if m == reference:
            continue
        seeds = sorted(ref_seeds & {s for mm, s in by if mm == m})
        if not seeds:
            continue
        d = np.array([[by[(m, s)] - by[(reference, s)]] for s in seeds])
        low, high = t_interval(d) if len(seeds) > 1 else (math.nan, math.nan)
        p_value = t_p_value(d[:, 0]) if len(seeds) > 1 else math.nan
        verdict = (f"no verdict ({len(seeds)} seed{'s' * (len(seeds) != 1)}; a verdict needs {MIN_SEEDS})"
                   if len(seeds) < MIN_SEEDS else f"{m} better" if high < 0 else f"{reference} better" if low > 0
                   else "no difference established")
        out.append({"task": task, "a": m, "b": reference, "metric": metric, "mean": round(float(d.mean()), 6),
                    "low": round(low, 6), "high": round(high, 6), "t_low": round(low, 6), "t_high": round(high, 6),
                    "p_value": round(p_value, 6), "seeds": len(seeds), "photographs": math.nan, "items": math.nan,
                    "scope": "seeds (t interval)", "verdict": verdict})
    return out
