"""The distortion-perception plane of the bridge comparison: every (method, sampling) on PSNR and ST-LPIPS, and
its paired gap to the regression network on PSNR, ST-LPIPS and SWD.

    python -m experiments plane [--draws N]

Reads ``experiments/results/bridge_comparison/`` (items.csv, sets.csv; written by
:mod:`experiments.bridge_comparison`) and writes ``experiments/results/plane/``:

* ``points.csv``: per task and (method, sampling) the mean PSNR and ST-LPIPS with their hierarchical intervals
  (:func:`experiments.axes.points`); a sampling with draws gives its first draw and the mean of its draws
  (``-mean``);
* ``gaps.csv``: per task, (method, sampling) and metric the paired difference to ``regression``
  (:func:`experiments.axes.gaps`, :func:`experiments.axes.set_gaps`) with its interval and verdict;
* ``plane_<task>.png``: PSNR (x) against ST-LPIPS (y), one point per (method, sampling), with the intervals on
  both axes;
* ``provenance.json``.

The points of a task are computed on the seeds every point shares (so they are comparable with each other); each
gap on the seeds its method and regression share (so a gap gets its verdict as soon as three seeds of its own pair
are in). A running study is read as it stands: the provenance records the rows read.
"""
from __future__ import annotations

import argparse
import time

from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.evidence.stats import DRAWS

from . import RESULTS
from .axes import AXES, MEAN_SUFFIX, gaps, methods_of, points, set_gaps, with_mean_of_draws
from .provenance import provenance, write_provenance

SOURCE = RESULTS / "bridge_comparison"
FOLDER = RESULTS / "plane"
REFERENCE = "regression"
#: marker of each sampling on the plane (the label's suffix after the method)
MARKERS = {"": "*", "eta0": "o", "eta1x8": "^", "eta1x8" + MEAN_SUFFIX: "s", "em100": "D"}
SAMPLING_WORDS = {"": "one pass (regression)", "eta0": "implicit eta = 0, 10 steps",
                  "eta1x8": "implicit eta = 1, 10 steps: one draw",
                  "eta1x8" + MEAN_SUFFIX: "implicit eta = 1, 10 steps: mean of 8 draws",
                  "em100": "Euler-Maruyama, 100 steps: one draw"}
GAP_COLUMNS = ("task", "a", "b", "metric", "mean", "low", "high", "t_low", "t_high", "p_value", "seeds",
               "photographs", "items", "scope", "verdict")
POINT_COLUMNS = ("task", "method", *(f"{m}{s}" for m in AXES for s in ("", "_low", "_high")), "seeds",
                 "photographs", "items", "scope")


def split_label(label: str) -> tuple[str, str]:
    """``("rdbm", "eta1x8-mean")`` of ``"rdbm-eta1x8-mean"``; ``("regression", "")`` of ``"regression"``."""
    for sampling in sorted(MARKERS, key=len, reverse=True):
        if sampling and label.endswith("-" + sampling):
            return label[: -len(sampling) - 1], sampling
    return label, ""


def shared_seeds(rows: list[dict], task: str) -> list[dict]:
    """The rows of ``task`` restricted to the seeds for which every method of the task has rows."""
    mine = [r for r in rows if r["task"] == task and r["method"] != "input"]
    per_method: dict[str, set] = {}
    for r in mine:
        per_method.setdefault(r["method"], set()).add(r["seed"])
    common = set.intersection(*per_method.values()) if per_method else set()
    return [r for r in mine if r["seed"] in common]


def figure(point_rows: list[dict], task: str, path) -> None:
    """The plane of one task: PSNR against ST-LPIPS with both intervals, colour = method, marker = sampling."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    methods = list(dict.fromkeys(split_label(p["method"])[0] for p in point_rows))
    colour = {m: f"C{k % 10}" for k, m in enumerate(methods)}
    fig = Figure(figsize=(8.5, 6), layout="constrained")
    ax = fig.subplots()
    for p in point_rows:
        method, sampling = split_label(p["method"])
        x, y = float(p["psnr"]), float(p["lpips_st"])
        ax.errorbar(x, y, xerr=[[x - float(p["psnr_low"])], [float(p["psnr_high"]) - x]],
                    yerr=[[y - float(p["lpips_st_low"])], [float(p["lpips_st_high"]) - y]], fmt=MARKERS[sampling],
                    color=colour[method], markersize=11 if sampling == "" else 7, capsize=2, lw=1)
    ax.set_xlabel("PSNR (dB): distortion, higher is better")
    ax.set_ylabel("ST-LPIPS distance: perception, lower is better (axis flipped)")
    ax.invert_yaxis()
    seeds = max(int(p["seeds"]) for p in point_rows)
    ax.set_title(f"{task}: better is up and right; {seeds} training seed{'s' * (seeds != 1)}", fontsize=11)
    fig.suptitle("Bars: 95 % intervals of each point (seeds, photographs, windows); they hold the photographs'\n"
                 "spread, so compare methods by their paired gaps (gaps.csv), which are much narrower", fontsize=9,
                 x=0.02, ha="left")
    ax.grid(alpha=0.3)
    handles = [Line2D([], [], color=colour[m], marker="o", ls="", label=m) for m in methods]
    handles += [Line2D([], [], color="0.3", marker=MARKERS[s], ls="", label=SAMPLING_WORDS[s])
                for s in MARKERS if any(split_label(p["method"])[1] == s for p in point_rows)]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9, frameon=False)
    fig.savefig(path, dpi=110)


def analyse(draws: int = DRAWS) -> dict:
    """Write the plane's CSVs and figures from the bridge comparison's results; return what was read."""
    t0 = time.perf_counter()
    items = with_mean_of_draws(read_rows(SOURCE / "items.csv"))
    sets = read_rows(SOURCE / "sets.csv")
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name in ("points.csv", "gaps.csv"):
        (FOLDER / name).unlink(missing_ok=True)
    read = {}
    for task in sorted({r["task"] for r in items}):
        rows = shared_seeds(items, task)
        methods = methods_of(rows, task)
        if REFERENCE not in methods or len(methods) < 2:
            continue
        point_rows = points(rows, task, methods, draws)
        append_rows(FOLDER / "points.csv", point_rows, POINT_COLUMNS)
        seeds = {r["seed"] for r in rows}
        gap_rows = []
        for method in methods:  # each gap on the seeds its method and regression share (not every point's)
            if method == REFERENCE:
                continue
            pair = [r for r in items if r["task"] == task and r["method"] in (method, REFERENCE)]
            both = ({r["seed"] for r in pair if r["method"] == method}
                    & {r["seed"] for r in pair if r["method"] == REFERENCE})
            pair = [r for r in pair if r["seed"] in both]
            gap_rows += gaps(pair, task, [method], REFERENCE, AXES, draws)
            gap_rows += set_gaps([x for x in sets if x["task"] == task and x["seed"] in both], task, [method],
                                 REFERENCE)
        append_rows(FOLDER / "gaps.csv", gap_rows, GAP_COLUMNS)
        figure(point_rows, task, FOLDER / f"plane_{task}.png")
        read[task] = {"methods": methods, "seeds": sorted(seeds, key=int), "item_rows": len(rows)}
    write_provenance(FOLDER, {"study": "plane", "source": "experiments/results/bridge_comparison", "read": read,
                              "draws": draws, **provenance(wall_s=time.perf_counter() - t0)})
    return read


def main(argv=None) -> int:
    """The study's command line; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m experiments plane", description=__doc__.split("\n\n")[0])
    p.add_argument("--draws", type=int, default=DRAWS, help="bootstrap draws per interval")
    args = p.parse_args(argv)
    read = analyse(args.draws)
    for task, r in read.items():
        print(f"{task}: {len(r['methods'])} points, seeds {','.join(r['seeds'])}")
    print(f"results in {FOLDER}")
    return 0
