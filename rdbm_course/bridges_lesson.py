"""Helper functions of notebook 13 (what bridges are for): the committed study snapshots it reads (the plane's and
the budget ladder's paired gaps to regression), the training seeds behind each gap, the change of a gap between
two training budgets with its own paired interval, the gaps drawn with their intervals in one colour per method,
the calibration of a study's draws averaged over training seeds with both intervals (:func:`draw_summary`,
:func:`calibration_panel`), and a bootstrap over photographs.

**The rule.** A difference is *established* when both of its 95 % intervals exclude 0 on the same side: the
hierarchical bootstrap interval (training seeds, then photographs, then windows; ``low``, ``high`` and the file's
``verdict``) and the Student-t interval on the per-seed mean gaps (``t_low``, ``t_high``), which carries the
seed-to-seed spread with the small-sample factor that a bootstrap over three to five seeds lacks. A gap needs at
least three training seeds for any verdict. :func:`verdict_of`, :func:`gap_change`, the figures' filled markers
and the tables' marks all follow this one rule.

The notebook calls these so that its cells show the results, not their bookkeeping. Nothing here runs a study:
every number comes from ``experiments/results/plane/gaps.csv`` and ``experiments/results/budget_ladder/gaps.csv`` as
committed (their rows are per task, method and metric: ``mean``, ``low``, ``high``, ``seeds``, ``verdict``), and the
study's ``items.csv`` is read to name the seeds behind a gap, in :func:`gap_change` to pair two gaps item by item,
and in :func:`draw_summary` for the draws' per-item calibration (``coverage_2sd``, ``spread``, the averaging gain).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rdbm_core.evidence.distribution import photo_of
from rdbm_core.evidence.metrics import better
from rdbm_core.evidence.stats import MIN_SEEDS, RESAMPLE_SEED, hierarchical_bootstrap, paired_data, t_interval

__all__ = ["METHOD_COLOURS", "METHOD_MARKERS", "METRIC_AXES", "bootstrap_interval", "interval", "seed_ids",
           "seed_label", "verdict_of", "plane_rows", "ladder_rows", "gap_change", "gap_forest", "ladder_panel",
           "ladder_table", "change_table", "plane_table", "markdown_table", "gap_cell", "SAMPLING_NAMES", "DIGITS",
           "draw_summary", "DRAW_GAIN", "t_only", "verdict_lines", "change_line", "calibration_panel", "ladder_trend",
           "ladder_legend"]

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
               "swd": "SWD × 10³ gap (to the paired truths)\n> 0: regression better"}
#: the ladder's samplings as the notebook names them
SAMPLING_NAMES = {"eta0": "η = 0", "eta1": "one η = 1 draw"}
#: the printed precision of each metric's gap
DIGITS = {"psnr": 2, "lpips_st": 3, "swd": 1}


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


def interval(mean: float, low: float, high: float, decimals: int, widen: bool = True) -> str:
    """``mean [low, high]`` with signs, all three with one precision: ``decimals``, or (``widen``) more where a
    nonzero value would otherwise round to zero (so a bound of 0.00002 is not printed as 0.000); ``mean (no
    interval)`` when the bounds are not finite. With ``widen=False`` the precision is ``decimals`` always, and a
    small nonzero value keeps its sign (``+0.000``)."""
    values = [v for v in (mean, low, high) if math.isfinite(v)]
    while widen and decimals < 8 and any(v != 0 and round(v, decimals) == 0 for v in values):
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


#: the name :func:`draw_summary` gives the averaging gain: ``psnr_mean_of_draws - psnr_draws`` of an item, the dB
#: the mean of its draws gains over one draw (on average over the draws)
DRAW_GAIN = "gain"


def draw_summary(items: Sequence[dict], task: str, method: str, metric: str, seeds: Sequence[str] | None = None,
                 draws: int = 10_000, seed: int = RESAMPLE_SEED) -> dict:
    """One draws' metric of a sampling with several draws per item (``coverage_2sd``, ``spread``,
    ``spread_error_corr``, or :data:`DRAW_GAIN`), averaged over the items and training seeds of ``method`` on
    ``task`` in a study's ``items`` rows, with two 95 % intervals on that mean: the hierarchical bootstrap of
    :mod:`rdbm_core.evidence.stats` (seeds, then photographs, then windows) and the Student-t interval on the
    per-seed means. ``seeds`` (training seeds as strings) restricts the rows to those seeds, so that a study that
    later adds seeds does not move the numbers; ``None`` takes every seed. An item with a non-finite value in any
    seed is left out in all.

    Returns ``{"mean", "low", "high", "t_low", "t_high", "seed_means", "seeds", "items", "photographs"}``; the
    intervals are ``nan`` with fewer than :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds. ``ValueError`` when
    the method has no rows on the task or its seeds restored different items."""
    table: dict[tuple[str, str], float] = {}
    image: dict[str, str] = {}
    for r in items:
        if r["task"] != task or r["method"] != method or (seeds is not None and r["seed"] not in seeds):
            continue
        value = (float(r["psnr_mean_of_draws"]) - float(r["psnr_draws"]) if metric == DRAW_GAIN
                 else float(r[metric]))
        table[(r["seed"], r["item"])] = value
        image[r["item"]] = r.get("image", r["item"])
    if not table:
        raise ValueError(f"no rows of {method!r} on {task!r}")
    found = sorted({s for s, _ in table}, key=int)
    if seeds is not None and len(found) < len(seeds):
        raise ValueError(f"{method!r} on {task!r} has seeds {found}, not all of {list(seeds)}")
    kept = sorted({i for _, i in table}, key=int)
    if any((s, i) not in table for s in found for i in kept):
        raise ValueError(f"the seeds of {method!r} on {task!r} did not restore the same items")
    values = np.array([[table[(s, i)] for i in kept] for s in found])
    finite = np.isfinite(values).all(axis=0)
    values, kept = values[:, finite], [i for i, f in zip(kept, finite) if f]
    photographs = [photo_of(image[i]) for i in kept]
    if len(found) >= MIN_SEEDS:
        low, high = hierarchical_bootstrap(values, photographs, draws, seed)
        t_low, t_high = t_interval(values)
    else:
        low = high = t_low = t_high = math.nan
    return {"mean": float(values.mean()), "low": low, "high": high, "t_low": t_low, "t_high": t_high,
            "seed_means": [float(v) for v in values.mean(axis=1)], "seeds": found, "items": len(kept),
            "photographs": len(set(photographs))}


def _excludes_zero(low: float, high: float) -> int:
    """+1 when the interval lies above 0, -1 below, 0 when it contains 0 (or is not finite)."""
    return 1 if low > 0 else -1 if high < 0 else 0


def verdict_of(gap: dict) -> str:
    """A gap's verdict under the module's rule, in one word: ``"regression"`` (regression established better),
    ``"bridge"``, ``"none"`` (no difference established: the hierarchical interval, the file's ``verdict``, or the
    t interval ``t_low``, ``t_high`` contains 0, or they lie on opposite sides) or ``"no verdict"`` (fewer than
    three seeds)."""
    v = gap["verdict"]
    if v == "no difference established":
        return "none"
    if v not in (f"{gap['b']} better", f"{gap['a']} better"):
        return "no verdict"
    side = _excludes_zero(float(gap["low"]), float(gap["high"]))
    if side == 0 or _excludes_zero(float(gap["t_low"]), float(gap["t_high"])) != side:
        return "none"
    return "regression" if v == f"{gap['b']} better" else "bridge"


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


def gap_change(items: Sequence[dict], before: dict, after: dict, draws: int = 10_000,
               seed: int = RESAMPLE_SEED) -> dict:
    """How a bridge's gap to regression changes between two budgets: ``after - before``, two committed gap rows of
    one task and metric (``before["a"] - before["b"]`` at one budget, ``after["a"] - after["b"]`` at the other),
    paired on the training seeds both gaps rest on (:func:`seed_ids`) and on the items both budgets restored.

    The matrix ``D[s, i] = (a - b at after) - (a - b at before)`` on those seeds and items gets the hierarchical
    bootstrap interval of :mod:`rdbm_core.evidence.stats` (seeds, then photographs, then windows) and the Student-t
    interval on its seed means. Returns ``{"mean", "low", "high", "t_low", "t_high", "seeds", "items",
    "photographs", "verdict"}``: ``verdict`` is ``"wider"`` when both intervals lie on the side where the bridge
    falls further behind (below 0 for PSNR, above 0 for a distance), ``"narrower"`` when both lie on the other
    side, ``"none"`` when either contains 0, ``"no verdict"`` with fewer than
    :data:`~rdbm_core.evidence.stats.MIN_SEEDS` seeds (then the interval holds the seeds fixed)."""
    metric, task = before["metric"], before["task"]
    if (after["metric"], after["task"]) != (metric, task):
        raise ValueError(f"the two gaps must share task and metric: {task} {metric}, {after['task']} "
                         f"{after['metric']}")
    data = [paired_data(items, task, g["a"], g["b"], metric, intersect=True) for g in (before, after)]
    seeds = sorted(set(seed_ids(items, before, metric)) & set(seed_ids(items, after, metric)), key=int)
    shared = sorted(set(data[0].items) & set(data[1].items))
    if not seeds or not shared:
        raise ValueError(f"{task}: the gaps {before['a']} and {after['a']} share no seed or no item")
    photo = dict(zip(data[0].items, data[0].photographs))

    def block(d):
        rows = [d.seeds.index(int(s)) for s in seeds]
        cols = [d.items.index(i) for i in shared]
        return d.d[np.ix_(rows, cols)]

    diff = block(data[1]) - block(data[0])
    if len(seeds) >= MIN_SEEDS:
        low, high = hierarchical_bootstrap(diff, [photo[i] for i in shared], draws, seed)
    else:
        low, high = math.nan, math.nan
    t_low, t_high = t_interval(diff)
    worse_below = better(metric) == "higher"  # then a wider gap is a more negative change
    side = _excludes_zero(low, high)
    if len(seeds) < MIN_SEEDS:
        verdict = "no verdict"
    elif side == 0 or _excludes_zero(t_low, t_high) != side:
        verdict = "none"
    else:
        verdict = "wider" if (side < 0) == worse_below else "narrower"
    return {"mean": float(diff.mean()), "low": float(low), "high": float(high), "t_low": t_low, "t_high": t_high,
            "seeds": seeds, "items": len(shared), "photographs": len({photo[i] for i in shared}), "verdict": verdict}


def t_only(g: dict) -> bool:
    """Whether a gap row has the t interval on the seed means only (SWD: one number per seed, no hierarchical
    bootstrap; the file then repeats the t bounds as ``low`` and ``high``)."""
    return "t interval" in g.get("scope", "") or (g["low"], g["high"]) == (g["t_low"], g["t_high"])


def _draw_gap(ax, g: dict, y, method, horizontal):
    """One gap row ``g`` with its two intervals: the hierarchical one thick with caps, the t interval on the seed
    means thin behind it (a gap with the t interval only, :func:`t_only`, gets that one thin interval); filled
    marker if established (:func:`verdict_of`), hollow if not."""
    colour = METHOD_COLOURS[method]
    x = float(g["mean"])
    established = verdict_of(g) in ("regression", "bridge")
    marker = dict(fmt=METHOD_MARKERS[method], ms=8, mfc=colour if established else "white", mec=colour)
    thin = dict(fmt="none", lw=0.9, capsize=0, alpha=0.8)
    styles = ([((g["t_low"], g["t_high"]), {**thin, **marker, "alpha": 1})] if t_only(g) else
              [((g["t_low"], g["t_high"]), thin), ((g["low"], g["high"]), dict(**marker, capsize=3, lw=2))])
    for (lo, hi), style in styles:
        lo, hi = float(lo), float(hi)
        err = [[x - lo], [hi - x]] if math.isfinite(lo) and math.isfinite(hi) else None
        if err is None and style["fmt"] == "none":
            continue
        if horizontal:
            ax.errorbar(x, y, xerr=err, color=colour, **style)
        else:
            ax.errorbar(y, x, yerr=err, color=colour, **style)


def gap_forest(axes, rows: dict[str, dict[str, dict]], metrics: Sequence[str] = ("psnr", "lpips_st", "swd")) -> None:
    """One panel per metric: each method's gap to regression (``plane_rows``) as a point with its two 95 %
    intervals (hierarchical thick with caps, t on the seed means thin), one row per method, the method's colour
    and marker; filled where a difference is established (:func:`verdict_of`), hollow where it is not."""
    methods = list(rows)
    for ax, metric in zip(axes, metrics):
        for k, method in enumerate(methods):
            _draw_gap(ax, rows[method][metric], k, method, horizontal=True)
        ax.axvline(0, color="0.3", lw=1)
        ax.set_yticks(range(len(methods)), methods, fontsize=10)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.set_xlabel(METRIC_AXES[metric], fontsize=10)
        ax.grid(axis="x", alpha=0.3)


def ladder_panel(ax, rows: dict[tuple, dict], task: str, metric: str = "psnr",
                 methods: Sequence[str] = ("rdbm", "goub"), clip: bool = True) -> None:
    """The ladder's gaps of ``methods`` on one task against the training iterations (log axis), with their two 95 %
    intervals (as :func:`gap_forest`), points offset sideways; filled where a difference is established, hollow
    where it is not. A rung whose gaps rest on fewer training seeds than the panel's others has the count under
    its tick label ("4000 (3 seeds)"). With ``clip``, the vertical axis spans the points and their hierarchical
    intervals, and a t interval that reaches beyond it is cut at the edge with its bound printed there."""
    steps = sorted({s for (t, s, m, me) in rows if t == task and me == metric})
    most = max(int(g["seeds"]) for (t, s, m, me), g in rows.items() if t == task and me == metric)
    shown = []
    for k, method in enumerate(methods):
        pts = [(s, rows[(task, s, method, metric)]) for s in steps if (task, s, method, metric) in rows]
        xs = [s * 1.06 ** (k - (len(methods) - 1) / 2) for s, _ in pts]
        ax.plot(xs, [float(g["mean"]) for _, g in pts], color=METHOD_COLOURS[method], lw=1, alpha=0.6)
        for x, (_, g) in zip(xs, pts):
            _draw_gap(ax, g, x, method, horizontal=False)
            shown.append((x, g, method, k))
    ax.axhline(0, color="0.3", lw=1)
    if clip:
        ends = [float(v) for _, g, _, _ in shown for v in (g["mean"], g["low"], g["high"]) if math.isfinite(float(v))]
        low, high = min(ends + [0.0]), max(ends + [0.0])
        pad = 0.12 * (high - low)
        ax.set_ylim(low - pad, high + pad)
        for x, g, method, k in shown:  # the first method's bound printed left of its bar, the others' right
            for bound, edge, va in ((float(g["t_low"]), low - pad, "bottom"), (float(g["t_high"]), high + pad, "top")):
                if math.isfinite(bound) and (bound < edge if va == "bottom" else bound > edge):
                    ax.annotate(f"t to {bound:+.1f}", (x, edge), textcoords="offset points", fontsize=9, va=va,
                                xytext=(-4 if k == 0 else 4, 2 if va == "bottom" else -2),
                                ha="right" if k == 0 else "left", color=METHOD_COLOURS[method])
    ax.set_xscale("log")
    fewest = {s: min(int(g["seeds"]) for (t, st, m, me), g in rows.items() if t == task and me == metric and st == s)
              for s in steps}
    ax.set_xticks(steps, [f"{s}\n({fewest[s]} seeds)" if fewest[s] < most else str(s) for s in steps])
    ax.minorticks_off()
    ax.set_xlabel("training iterations (log scale)", fontsize=10)
    ax.set_ylabel(METRIC_AXES[metric], fontsize=10)
    ax.grid(alpha=0.3)


def ladder_legend(fig, methods: Sequence[str] = ("rdbm", "goub")) -> None:
    """The legend of :func:`ladder_panel` figures, outside on the right: each method's colour and marker, filled
    (established) and hollow (not), the two intervals' line widths."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=METHOD_COLOURS[m], marker=METHOD_MARKERS[m], ls="-", label=f"{m} (η = 0)")
               for m in methods]
    handles += [Line2D([], [], color="0.3", marker="o", ls="", label="difference established"),
                Line2D([], [], color="0.3", marker="o", mfc="white", ls="", label="none established"),
                Line2D([], [], color="0.3", lw=2, label="hierarchical interval"),
                Line2D([], [], color="0.3", lw=0.9, label="t interval (seed means)")]
    fig.legend(handles=handles, loc="outside right center", fontsize=9, frameon=False)


def ladder_trend(items: Sequence[dict], rows: dict[tuple, dict], task: str, rungs: Sequence[int],
                 methods: Sequence[str] = ("rdbm", "goub")) -> tuple[list[str], dict[str, list[float]]]:
    """The mean PSNR of regression and of each bridge (``eta = 0``) on ``task`` at each rung, on the training seeds of
    the first rung's gap of the first bridge (:func:`seed_ids`): ``(seeds, {"regression": [...], method: [...]})``,
    one value per rung. ``rows`` is :func:`ladder_rows`; the study's method names come from its gap rows."""
    seeds = seed_ids(items, rows[(task, rungs[0], methods[0], "psnr")])
    names = {s: {"regression": rows[(task, s, methods[0], "psnr")]["b"],
                 **{m: rows[(task, s, m, "psnr")]["a"] for m in methods}} for s in rungs}
    trend = {m: [float(np.mean([float(r["psnr"]) for r in items if r["task"] == task
                                and r["method"] == names[s][m] and r["seed"] in seeds])) for s in rungs]
             for m in ("regression", *methods)}
    return seeds, trend


def verdict_lines(rows: dict[str, dict[str, dict]], metrics: Sequence[str] = ("psnr", "lpips_st", "swd"),
                  names: dict[str, str] | None = None) -> list[str]:
    """One line per metric of the plane's gaps of one task (``plane_rows``): the methods regression is established
    ahead of (with the range of their gaps), those established ahead of regression, and each gap with no
    difference established, with its hierarchical and t intervals (:func:`verdict_of`)."""
    names = names or {"psnr": "PSNR (dB)", "lpips_st": "ST-LPIPS", "swd": "SWD × 10³"}
    lines = []
    for metric in metrics:
        digits = DIGITS[metric]
        by = {m: r[metric] for m, r in rows.items()}
        ahead = [m for m, g in by.items() if verdict_of(g) == "regression"]
        behind = [m for m, g in by.items() if verdict_of(g) == "bridge"]
        text = f"{names.get(metric, metric)}: regression established ahead of {len(ahead)} of {len(by)}"
        if ahead:
            gaps = sorted(float(by[m]["mean"]) for m in ahead)
            text += f" ({', '.join(ahead)}; gaps {gaps[0]:+.{digits}f} to {gaps[-1]:+.{digits}f})"
        text += f"; a method established ahead of regression: {', '.join(behind) or 'none'}"
        rest = [m for m in by if m not in ahead and m not in behind]
        if rest:
            text += "; none established: " + ", ".join(
                f"{m} {interval(float(by[m]['mean']), float(by[m]['t_low']), float(by[m]['t_high']), digits, False)}"
                + ("" if t_only(by[m]) else " (t), hierarchical " + interval(
                    float(by[m]["mean"]), float(by[m]["low"]), float(by[m]["high"]), digits, False).split(" ", 1)[1])
                for m in rest)
        lines.append(text)
    return lines


def change_line(c: dict, decimals: int = 2) -> str:
    """One :func:`gap_change` result in a line: ``mean [hierarchical], t [t interval], verdict (seeds)``."""
    t = interval(c["mean"], c["t_low"], c["t_high"], decimals, widen=False).split(" ", 1)[1]
    return (f"{interval(c['mean'], c['low'], c['high'], decimals, widen=False)}, t {t} {c['verdict']} "
            f"(seeds {seed_label(c['seeds'])})")


def calibration_panel(ax, summaries: dict[tuple[str, str], dict], reference: float, reference_label: str,
                      ylabel: str) -> None:
    """:func:`draw_summary` results keyed ``(task, method)`` side by side: each training seed's mean as a small
    dot, the mean over seeds with its hierarchical interval (thick, with caps) and its t interval (thin), in the
    method's colour and marker, and a dashed line at ``reference`` (what exact posterior draws give)."""
    keys = list(summaries)
    for k, (task, method) in enumerate(keys):
        d, colour = summaries[(task, method)], METHOD_COLOURS[method]
        ax.plot([k + 0.22] * len(d["seed_means"]), d["seed_means"], ".", color=colour, ms=6, alpha=0.7)
        ax.errorbar(k, d["mean"], yerr=[[d["mean"] - d["t_low"]], [d["t_high"] - d["mean"]]], fmt="none",
                    color=colour, lw=0.9)
        ax.errorbar(k, d["mean"], yerr=[[d["mean"] - d["low"]], [d["high"] - d["mean"]]],
                    fmt=METHOD_MARKERS[method], color=colour, ms=8, capsize=3, lw=2)
    ax.axhline(reference, color="0.3", ls="--", lw=1.2)
    ax.annotate(reference_label, (len(keys) - 0.5, reference), xytext=(0, -3), textcoords="offset points",
                ha="right", va="top", fontsize=9, color="0.2")
    ax.set_xticks(range(len(keys)), [f"{m.upper()}\n{t}" for t, m in keys], fontsize=10)
    ax.set_xlim(-0.5, len(keys) - 0.5)
    ax.set_ylabel(ylabel, fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table: the ``header`` cells, then one line per row of ``rows`` (each cell ``str()``-ed)."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])


def gap_cell(g: dict, digits: int) -> str:
    """One gap row as a table cell: ``mean [low, high]`` (hierarchical interval), the t interval on the seed means
    below it where it differs (``t [t_low, t_high]``), and the mark of :func:`verdict_of`: **R** regression
    established better, **B** the bridge."""
    mean, low, high = float(g["mean"]), float(g["low"]), float(g["high"])
    text = interval(mean, low, high, digits, widen=False)
    t_low, t_high = float(g["t_low"]), float(g["t_high"])
    if (t_low, t_high) != (low, high):
        text += "<br>t " + interval(mean, t_low, t_high, digits, widen=False).split(" ", 1)[1]
    return text + {"regression": " **R**", "bridge": " **B**"}.get(verdict_of(g), "")


_FOOTNOTE = ("A bound printed +0.000 (-0.000) lies between 0 and +0.0005 (-0.0005): that interval excludes 0 on the "
             "side its sign shows.")


def plane_table(rows: dict[str, dict[str, dict]], metrics: Sequence[str] = ("psnr", "lpips_st", "swd")) -> str:
    """The plane's gaps of one task (``plane_rows``) as a Markdown table, one row per method, one :func:`gap_cell`
    per metric."""
    header = ["method", "PSNR gap (dB)", "ST-LPIPS gap", "SWD × 10³ gap (t interval only)"][:len(metrics) + 1]
    return markdown_table(header, [[m] + [gap_cell(by[me], DIGITS[me]) for me in metrics] for m, by in rows.items()])


def ladder_table(gaps: Sequence[dict], items: Sequence[dict], samplings: Sequence[str] = ("eta0", "eta1"),
                 min_seeds: int = MIN_SEEDS) -> str:
    """The ladder's gaps (tiny U-Net) as a Markdown table: one row per (task, iterations, bridge, sampling) whose
    gaps rest on at least ``min_seeds`` training seeds, RDBM first, with the seeds (:func:`seed_ids`) and one
    :func:`gap_cell` per metric at the precision of :data:`DIGITS`. A footnote explains a bound printed as
    ``+0.000`` or ``-0.000``."""
    by_sampling = {sampling: ladder_rows(gaps, sampling=sampling) for sampling in samplings}
    lines = ["| task | iterations | bridge | sampler | training seeds | PSNR gap (dB) | ST-LPIPS gap "
             "| SWD × 10³ gap (t interval only) |", "|---|---|---|---|---|---|---|---|"]
    keys = sorted({(t, s, m, sampling) for sampling, rows in by_sampling.items() for (t, s, m, _) in rows},
                  key=lambda k: (k[0], k[1], k[2] != "rdbm", samplings.index(k[3])))
    for task, steps, method, sampling in keys:
        rows = by_sampling[sampling]
        if int(rows[(task, steps, method, "psnr")]["seeds"]) < min_seeds:
            continue
        cells = [gap_cell(rows[(task, steps, method, metric)], digits) for metric, digits in DIGITS.items()]
        seeds = seed_label(seed_ids(items, rows[(task, steps, method, "psnr")]))
        lines.append(f"| {task} | {steps} | {method} | {SAMPLING_NAMES.get(sampling, sampling)} | {seeds} | "
                     + " | ".join(cells) + " |")
    text = "\n".join(lines)
    if "+0.000" in text or "-0.000" in text:
        text += "\n\n" + _FOOTNOTE
    return text


def change_table(changes: dict[tuple, dict], decimals: int = 2) -> str:
    """Markdown table of :func:`gap_change` results keyed ``(task, method, before, after)``: one row per (task,
    method), one column per pair of budgets, each cell ``mean [low, high]`` (hierarchical interval), the t interval
    on the seed means below it, the seeds it rests on, and **wider** / **narrower** where both intervals exclude
    0 on one side."""
    pairs = list(dict.fromkeys((b, a) for (_, _, b, a) in changes))
    rows = list(dict.fromkeys((t, m) for (t, m, _, _) in changes))
    lines = ["| task | bridge | " + " | ".join(f"{b} → {a} iterations" for b, a in pairs) + " |",
             "|---|---|" + "---|" * len(pairs)]
    for task, method in rows:
        cells = []
        for b, a in pairs:
            c = changes.get((task, method, b, a))
            if c is None:
                cells.append("")
                continue
            mark = {"wider": " **wider**", "narrower": " **narrower**"}.get(c["verdict"], "")
            t = interval(c["mean"], c["t_low"], c["t_high"], decimals, widen=False).split(" ", 1)[1]
            cells.append(f"{interval(c['mean'], c['low'], c['high'], decimals, widen=False)}<br>t {t}{mark} "
                         f"(seeds {seed_label(c['seeds'])})")
        lines.append(f"| {task} | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
