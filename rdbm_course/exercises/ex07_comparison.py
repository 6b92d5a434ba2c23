"""Exercises of notebook 07 (the bridge comparison).

07.1 implement the paired, per-seed PSNR differences between two methods.
07.2 predict   which of RDBM and rdbm-global (the same bridge with global noise) has the higher SSIM on the
               degraded pixels (a metric notebook 07 does not show) in every seed, on inpainting and deraining.
"""
from __future__ import annotations

import os
from pathlib import Path

from ._base import call_student, correct, exercise, tensor_answer, wrong

METRIC_07_2 = "ssim_degraded"  # not shown in notebook 07, so its answer is not above the question
RESULTS_NAME = "bridge_comparison.csv"
RESULTS_ENV = "RDBM_RESULTS_DIR"  # may name the folder that holds bridge_comparison.csv (see results_folders)
# In a source checkout (an editable install) the results sit beside the package; a wheel does not ship them
_CHECKOUT_RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def results_folders() -> list[Path]:
    """Where 07.2 looks for the comparison results, in order: ``$RDBM_RESULTS_DIR``, the source checkout this
    package runs from, then ``benchmarks/results`` under the working directory and each of its parents (a
    notebook run from ``notebooks/`` of a clone, with the package installed from a wheel)."""
    folders = [Path(os.environ[RESULTS_ENV])] if os.environ.get(RESULTS_ENV) else []
    cwd = Path.cwd().resolve()
    folders += [_CHECKOUT_RESULTS] + [d / "benchmarks" / "results" for d in (cwd, *cwd.parents)]
    return list(dict.fromkeys(folders))


def results_csv() -> Path | None:
    """The comparison results file (the first of :func:`results_folders` that has it), or None."""
    return next((f / RESULTS_NAME for f in results_folders() if (f / RESULTS_NAME).is_file()), None)


# the results file as found on import (the checkout's path where none was found), for the solutions and tests
RESULTS_CSV = results_csv() or _CHECKOUT_RESULTS / RESULTS_NAME

_ROWS = [  # a small table in the layout of the comparison CSV (strings, as csv.DictReader gives them)
    {"task": "derain", "method": "a", "seed": "0", "psnr": "30.0"},
    {"task": "derain", "method": "b", "seed": "0", "psnr": "29.0"},
    {"task": "derain", "method": "b", "seed": "1", "psnr": "33.5"},
    {"task": "derain", "method": "a", "seed": "1", "psnr": "33.0"},
    {"task": "derain", "method": "a", "seed": "2", "psnr": "31.0"},  # b has no seed 2: not a pair
    {"task": "inpaint", "method": "a", "seed": "0", "psnr": "20.0"},
    {"task": "inpaint", "method": "b", "seed": "0", "psnr": "25.0"},
]


@exercise("07.1", "Paired differences over seeds", "implement")
def check_paired(answer):
    got, failure = call_student(answer, _ROWS, "derain", "a", "b", name="paired(rows, task, a, b)")
    if failure is not None:
        return failure
    try:
        got = [float(v) for v in got]
    except TypeError:
        return wrong("paired should return a list of numbers, one per seed.", "build the list in seed order.")
    if len(got) == 3:
        return wrong("you returned three differences, but method b has no seed 2.",
                     "pair only the seeds that both methods have.")
    if got == [-1.0, 0.5] or got == [0.5, -1.0]:
        return wrong("the signs are flipped: the differences are a - b.", "subtract b's PSNR from a's.")
    if len(got) == 2 and sorted(got) == [-0.5, 1.0] and got != [1.0, -0.5]:
        return wrong("the differences are right but not in seed order.", "sort by seed (as integers).")
    result = tensor_answer(got, [1.0, -0.5], what="the per-seed differences on derain", atol=1e-9,
                           index_name="seed position",
                           hint="for each seed both methods have on this task, PSNR(a) - PSNR(b), in seed order; "
                                "rows are strings, so convert with float() and int().")
    if not result.ok:
        return result
    return correct("within-seed differences remove what the two runs share (the test degradations, the data "
                   "order), which the spread of each method's own results does not.")


def seed_winner(rows, task, metric, seed):
    values = {r["method"]: float(r[metric]) for r in rows
              if r["task"] == task and int(r["seed"]) == seed and r["method"] in ("rdbm", "rdbm-global")}
    return max(values, key=values.get)


@exercise("07.2", "Where does residual modulation pay?", "predict")
def check_modulation(answer):
    from rdbm_core.data.files import read_rows

    if not isinstance(answer, dict) or set(answer) != {"inpaint", "derain"}:
        return wrong("answer with a dict {'inpaint': ..., 'derain': ...}, each value 'rdbm', 'rdbm-global' or "
                     "'mixed'.",
                     "one entry per task: the method with the higher degraded-pixel SSIM in every seed, or "
                     "'mixed' if the seeds disagree.")
    path = results_csv()
    rows = read_rows(path) if path is not None else []
    if not rows:
        looked = ", ".join(str(f) for f in results_folders()[:3])
        where = f"{path} is empty" if path is not None else f"{RESULTS_NAME} was not found (looked in {looked}, ...)"
        return wrong(f"the comparison results are needed to check this, but {where}.",
                     f"run the notebook from a clone of the repository (the file is benchmarks/results/{RESULTS_NAME}, "
                     f"written by benchmarks/bridge_comparison.py), or set {RESULTS_ENV} to the folder that holds it.")
    truth = {}
    for task in answer:
        seeds = sorted({int(r["seed"]) for r in rows if r["task"] == task})
        winners = {seed_winner(rows, task, METRIC_07_2, s) for s in seeds}
        truth[task] = winners.pop() if len(winners) == 1 else "mixed"
    wrong_tasks = [t for t in truth if str(answer[t]).lower() != truth[t]]
    if not wrong_tasks:
        return correct("the per-seed winners match the results. Whether a winner is *established* is another "
                       "question: the notebook's two-stage interval of rdbm − rdbm-global answers it.")
    return wrong(f"your prediction for {', '.join(sorted(wrong_tasks))} does not match the results.",
                 "compare ssim_degraded of rdbm and rdbm-global seed by seed in the summary CSV. Small PSNR "
                 "differences whose intervals contain 0 say little about the sign of another metric in each seed.")
