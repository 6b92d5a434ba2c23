"""Exercises of notebook 07 (the bridge comparison).

07.1 implement the paired, per-seed PSNR differences between two methods.
07.2 predict   which of RDBM and rdbm-global (the same bridge with global noise) has the higher SSIM on the
               degraded pixels (a metric notebook 07 does not show) in every seed, on inpainting and deraining.
"""
from __future__ import annotations

from pathlib import Path

from ._base import call_student, correct, exercise, tensor_answer, wrong

METRIC_07_2 = "ssim_degraded"  # not shown in notebook 07, so its answer is not above the question
RESULTS_CSV = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "bridge_comparison.csv"

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
    from rdbm_core.comparison import read_rows

    if not isinstance(answer, dict) or set(answer) != {"inpaint", "derain"}:
        return wrong("answer with a dict {'inpaint': ..., 'derain': ...}, each value 'rdbm', 'rdbm-global' or "
                     "'mixed'.",
                     "one entry per task: the method with the higher degraded-pixel SSIM in every seed, or "
                     "'mixed' if the seeds disagree.")
    rows = read_rows(RESULTS_CSV)
    if not rows:
        return wrong(f"the comparison results {RESULTS_CSV} are missing, so this cannot be checked.",
                     "run benchmarks/bridge_comparison.py (see the README) or restore the file from git.")
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
