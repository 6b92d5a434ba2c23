"""Helper functions of notebook 13 (what bridges are for): the committed study snapshots it reads (the plane's and
the budget ladder's paired gaps to regression), the training seeds behind each gap, the gaps drawn with their
intervals in one colour per method, and a bootstrap over photographs.

The notebook calls these so that its cells show the results, not their bookkeeping. Nothing here runs a study:
every number comes from ``experiments/results/plane/gaps.csv`` and ``experiments/results/budget_ladder/gaps.csv`` as
committed (their rows are per task, method and metric: ``mean``, ``low``, ``high``, ``seeds``, ``verdict``), and the
study's ``items.csv`` is read only to name the seeds behind a gap.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["METHOD_COLOURS", "METHOD_MARKERS", "METRIC_AXES", "bootstrap_interval", "interval", "seed_ids",
           "seed_label", "verdict_of", "plane_rows", "ladder_rows", "gap_forest", "ladder_panel"]

#: one colour per method in every figure of the notebook (Okabe and Ito's colour-blind-safe palette, grey for the
#: eighth method)
METHOD_COLOURS = {"regression": "#000000", "rdbm": "#0072B2", "rdbm-global": "#56B4E9", "goub": "#D55E00",
                  "irsde": "#E69F00", "bbdm": "#009E73", "ddbm-ve": "#CC79A7", "i2sb": "#7F7F7F"}
#: one marker per method, so that a method is told apart without its colour too
METHOD_MARKERS = {"regression": "*", "rdbm": "o", "rdbm-global": "s", "goub": "D", "irsde": "v", "bbdm": "^",
                  "ddbm-ve": "P", "i2sb": "X"}
#: the axis label of each metric's gap (method - regression), with the side on which regression is better
METRIC_AXES = {"psnr": "PSNR gap (dB)\n< 0: regression better",
               "lpips_st": "ST-LPIPS gap\n> 0: regression better",
               "swd": "SWD gap (×10⁻³)\n> 0: regression better"}


def bootstrap_interval(values: Sequence[float], draws: int = 10_000, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per photograph; ``nan`` ignored) and the percentile interval of the mean over
    ``draws`` resamplings of the photographs with replacement: ``(mean, low, high)``."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        raise ValueError(f"a bootstrap over photographs needs at least 2 finite values, got {len(v)}")
    means = v[np.random.default_rng(seed).integers(0, len(v), (draws, len(v)))].mean(1)
    low, high = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(v.mean()), float(low), float(high)


def interval(mean: float, low: float, high: float, decimals: int) -> str:
    """``mean [low, high]`` with signs, all three with one precision: ``decimals``, or more where a nonzero value
    would otherwise round to zero (so a bound of 0.00002 is not printed as 0.000); ``mean (no interval)`` when the
    bounds are not finite."""
    values = [v for v in (mean, low, high) if math.isfinite(v)]
    while decimals < 8 and any(v != 0 and round(v, decimals) == 0 for v in values):
        decimals += 1
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:+.{decimals}f} (no interval)"
    return f"{mean:+.{decimals}f} [{low:+.{decimals}f}, {high:+.{decimals}f}]"


def seed_ids(items: Sequence[dict], gap: dict, metric: str = "psnr", tol: float = 1e-4) -> list[str]:
    """The training seeds behind one committed gap: the first ``gap["seeds"]`` seeds (in numeric order) that its
    method ``gap["a"]`` and the reference ``gap["b"]`` share in the study's ``items`` rows, checked by recomputing
    the gap's mean ``metric`` difference on them from ``items`` (``ValueError`` if it differs from ``gap["mean"]`` by
    more than ``tol``: the snapshot was then computed on other seeds). ``gap`` is a row of ``metric``."""
    if gap["metric"] != metric:
        raise ValueError(f"the gap is on {gap['metric']}, not {metric}")
    task, a, b, n = gap["task"], gap["a"], gap["b"], int(gap["seeds"])
    values = {m: {(r["seed"], r["item"]): float(r[metric]) for r in items if r["task"] == task and r["method"] == m}
              for m in (a, b)}
    shared = sorted({s for s, _ in values[a]} & {s for s, _ in values[b]}, key=int)[:n]
    if len(shared) < n:
        raise ValueError(f"{task} {a}: the gap has {n} seeds, items.csv only {len(shared)} shared with {b}")
    diffs = [values[a][k] - values[b][k] for k in values[a] if k[0] in shared]
    if abs(float(np.mean(diffs)) - float(gap["mean"])) > tol:
        raise ValueError(f"{task} {a}: the gap's mean {gap['mean']} is not the mean difference on seeds {shared}")
    return shared


def seed_label(seeds: Sequence[str]) -> str:
    """``"0–4"`` for consecutive seeds, else the seeds listed (``"0, 2, 4"``); one seed by itself."""
    s = sorted(int(x) for x in seeds)
    if len(s) > 2 and s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}–{s[-1]}"
    return ", ".join(map(str, s))


def verdict_of(gap: dict) -> str:
    """A gap's verdict in one word: ``"regression"`` (regression established better), ``"bridge"``, ``"none"`` (no
    difference established) or ``"no verdict"`` (fewer than three seeds)."""
    v = gap["verdict"]
    if v == "no difference established":
        return "none"
    if v == f"{gap['b']} better":
        return "regression"
    if v == f"{gap['a']} better":
        return "bridge"
    return "no verdict"


def plane_rows(gaps: Sequence[dict], task: str, sampling: str = "eta0") -> dict[str, dict[str, dict]]:
    """The plane's gaps of one task and sampling, as ``{method: {metric: row}}`` in the file's order (the method
    without its sampling suffix: ``rdbm``, ``goub``, ...)."""
    out: dict[str, dict[str, dict]] = {}
    for g in gaps:
        if g["task"] == task and g["a"].endswith("-" + sampling):
            out.setdefault(g["a"][: -len(sampling) - 1], {})[g["metric"]] = g
    return out


def ladder_rows(gaps: Sequence[dict], preset: str = "tiny", sampling: str = "eta0") -> dict[tuple, dict]:
    """The budget ladder's gaps of one preset and sampling, as ``{(task, iterations, method, metric): row}``
    (``method``: ``rdbm`` or ``goub``)."""
    out = {}
    for g in gaps:
        if g["preset"] != preset:
            continue
        method, _, rest = g["a"].partition(f"-{preset}-{g['steps']}-")
        if rest == sampling:
            out[(g["task"], int(g["steps"]), method, g["metric"])] = g
    return out


def _draw_gap(ax, x, low, high, y, method, established, horizontal):
    """One gap with its interval: filled marker if established, hollow if not."""
    colour = METHOD_COLOURS[method]
    err = [[x - low], [high - x]] if math.isfinite(low) else None
    kwargs = dict(fmt=METHOD_MARKERS[method], color=colour, ms=8, capsize=3, lw=1.5,
                  mfc=colour if established else "white", mec=colour)
    if horizontal:
        ax.errorbar(x, y, xerr=err, **kwargs)
    else:
        ax.errorbar(y, x, yerr=err, **kwargs)


def gap_forest(axes, rows: dict[str, dict[str, dict]], metrics: Sequence[str] = ("psnr", "lpips_st", "swd")) -> None:
    """One panel per metric: each method's gap to regression (``plane_rows``) as a point with its 95 % interval, one
    row per method, the method's colour and marker; filled where the verdict is a difference, hollow where it is
    not."""
    methods = list(rows)
    for ax, metric in zip(axes, metrics):
        for k, method in enumerate(methods):
            g = rows[method][metric]
            _draw_gap(ax, float(g["mean"]), float(g["low"]), float(g["high"]), k, method,
                      verdict_of(g) in ("regression", "bridge"), horizontal=True)
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(range(len(methods)), methods, fontsize=10)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.set_xlabel(METRIC_AXES[metric], fontsize=10)
        ax.grid(axis="x", alpha=0.3)


def ladder_panel(ax, rows: dict[tuple, dict], task: str, metric: str = "psnr",
                 methods: Sequence[str] = ("rdbm", "goub")) -> None:
    """The ladder's gaps of ``methods`` on one task against the training iterations (log axis), with their 95 %
    intervals, points offset sideways; filled where the verdict is a difference, hollow where it is not."""
    steps = sorted({s for (t, s, m, me) in rows if t == task and me == metric})
    for k, method in enumerate(methods):
        pts = [(s, rows[(task, s, method, metric)]) for s in steps if (task, s, method, metric) in rows]
        xs = [s * 1.06 ** (k - (len(methods) - 1) / 2) for s, _ in pts]
        ax.plot(xs, [float(g["mean"]) for _, g in pts], color=METHOD_COLOURS[method], lw=1, alpha=0.6)
        for x, (_, g) in zip(xs, pts):
            _draw_gap(ax, float(g["mean"]), float(g["low"]), float(g["high"]), x, method,
                      verdict_of(g) in ("regression", "bridge"), horizontal=False)
    ax.axhline(0, color="0.3", lw=1)
    ax.set_xscale("log")
    ax.set_xticks(steps, [str(s) for s in steps])
    ax.minorticks_off()
    ax.set_xlabel("training iterations (log scale)", fontsize=10)
    ax.set_ylabel(METRIC_AXES[metric], fontsize=10)
    ax.grid(alpha=0.3)
