"""Exercises of notebook 07 (the bridge comparison).

07.1 implement one draw of the hierarchical bootstrap of a [seeds, items] matrix of paired differences: seeds,
               then photographs, then windows within each drawn photograph, one item draw for every drawn seed.
07.2 predict   how many of the 21 PSNR comparisons against RDBM (3 tasks x 7 methods) are established when the
               photograph level is left out of the interval (the earlier two-stage design): a range of at most
               three whole numbers (or one number).

The truths: 07.1 :func:`rdbm_core.evidence.stats.bootstrap_means` (the spread of its draws); 07.2 the two-stage
intervals (:func:`rdbm_core.evidence.stats.paired_difference` with ``method="two-stage"``, 10,000 draws, resample
seed 0) of the committed comparison, ``experiments/results/bridge_comparison/items.csv``.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np

from ._base import call_student, correct, exercise, number_answer, wrong

RESULTS_NAME = "items.csv"
RESULTS_SUBDIR = Path("experiments") / "results" / "bridge_comparison"
RESULTS_ENV = "RDBM_RESULTS_DIR"  # may name the folder that holds the comparison's items.csv (see results_folders)
# In a source checkout (an editable install) the results sit beside the package; a wheel does not ship them
_CHECKOUT_RESULTS = Path(__file__).resolve().parents[2] / RESULTS_SUBDIR

#: 07.2's family: RDBM's deterministic sampling against each of these on every task, in PSNR
RDBM = "rdbm-eta0"
OTHERS_07_2 = ("rdbm-global-eta0", "goub-eta0", "bbdm-eta0", "ddbm-ve-eta0", "i2sb-eta0", "irsde-eta0", "regression")
TASKS_07_2 = ("derain", "inpaint", "lowlight")
DESIGN_07_2 = "two-stage"  # the design asked about: not shown above the question in notebook 07
DRAWS_07_2 = 10_000


def results_folders() -> list[Path]:
    """Where 07.2 looks for the comparison's items.csv, in order: ``$RDBM_RESULTS_DIR``, the source checkout this
    package runs from, then ``experiments/results/bridge_comparison`` under the working directory and each of its
    parents (a notebook run from ``notebooks/`` of a clone, with the package installed from a wheel)."""
    folders = [Path(os.environ[RESULTS_ENV])] if os.environ.get(RESULTS_ENV) else []
    cwd = Path.cwd().resolve()
    folders += [_CHECKOUT_RESULTS] + [d / RESULTS_SUBDIR for d in (cwd, *cwd.parents)]
    return list(dict.fromkeys(folders))


def results_csv() -> Path | None:
    """The comparison's items file (the first of :func:`results_folders` that has it), or None."""
    return next((f / RESULTS_NAME for f in results_folders() if (f / RESULTS_NAME).is_file()), None)


# the results file as found on import (the checkout's path where none was found), for the solutions and tests
RESULTS_CSV = results_csv() or _CHECKOUT_RESULTS / RESULTS_NAME


# ----------------------------------------------------------------------------- 07.1


def test_matrices() -> dict[str, tuple[np.ndarray, list[str]]]:
    """The matrices 07.1 is checked on, each with the photograph of every item (6 photographs with 2 to 6
    windows): ``photographs`` (every seed the same; photographs differ, windows of one photograph alike),
    ``one seed`` (its first row alone) and ``seeds`` (the seeds differ, nothing else)."""
    rng = np.random.default_rng(7)
    windows = (4, 4, 2, 6, 4, 4)
    photographs = [f"photo{p}" for p, n in enumerate(windows) for _ in range(n)]
    p_of = np.array([int(p[5:]) for p in photographs])
    photo_effect = np.array([-3.0, -1.0, 0.0, 1.0, 2.0, 5.0])
    items = photo_effect[p_of] + rng.normal(0, 0.2, len(photographs))
    by_photo = np.tile(items, (4, 1))
    by_seed = np.array([[-2.0], [0.0], [1.0], [3.0]]) + rng.normal(0, 0.05, (4, len(photographs)))
    return {"photographs": (by_photo, photographs), "one seed": (by_photo[:1], photographs),
            "seeds": (by_seed, photographs)}


def _draws(answer, d, photographs, n, seed):
    """``n`` draws of the student's function (or ``(None, feedback)``)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        got, failure = call_student(answer, d.copy(), list(photographs), rng,
                                    name="hierarchical_draw(diffs, photographs, rng)")
        if failure is not None:
            return None, failure
        try:
            value = float(got)
        except (TypeError, ValueError):
            return None, wrong(f"expected one number (the mean of one draw), got {type(got).__name__}.",
                               "return the mean of the drawn differences as a float.")
        if not math.isfinite(value):
            return None, wrong("a draw returned a non-finite number.", "average the drawn entries of the matrix.")
        out.append(value)
    return np.array(out), None


@exercise("07.1", "One draw of the hierarchical bootstrap", "implement")
def check_hierarchical_draw(answer):
    from rdbm_core.evidence.stats import bootstrap_means

    spread = {}
    for k, (name, (d, photographs)) in enumerate(test_matrices().items()):
        got, failure = _draws(answer, d, photographs, 1000, k)
        if failure is not None:
            return failure
        ref = bootstrap_means(d, photographs, draws=20000, seed=100 + k)
        if abs(got.mean() - ref.mean()) > 4 * ref.std() / math.sqrt(len(got)) + 1e-9:
            return wrong(f"on the test matrix '{name}' your draws average {got.mean():.3f}, while a draw's mean "
                         f"should average close to the mean of the matrix, {d.mean():.3f}.",
                         "a draw is the MEAN of the drawn entries: every drawn seed's row, over every drawn window "
                         "(a window drawn twice counts twice).")
        spread[name] = got.std() / ref.std()
    if spread["seeds"] < 0.5:
        return wrong("your draws hardly vary when only the training seeds differ: the seeds are held fixed.",
                     "each draw first takes as many seeds as there are, with replacement (rows of the matrix).")
    if spread["one seed"] < 0.8:
        return wrong("with a single seed your draws vary too little when photographs differ: the photographs are "
                     "not drawn as units.",
                     "draw photographs with replacement, then within each drawn photograph as many of ITS windows "
                     "as it has, with replacement; windows of one photograph move together.")
    if spread["photographs"] < 0.8:
        return wrong("with one seed your draws vary as they should, with four identical seeds too little: each seed "
                     "gets its own item draw.",
                     "draw the items once per bootstrap draw and use that draw for every drawn seed: the seeds "
                     "restored the same test items (seeds and items are crossed).")
    if max(spread.values()) > 1.25:
        return wrong("your draws vary more than the hierarchical bootstrap's on at least one test matrix.",
                     "draw each level once per draw, with replacement, as many units as the level has (seeds: the "
                     "number of rows; photographs: the number of photographs; windows: each photograph's own count).")
    return correct("the spread of your draws agrees with rdbm_core.evidence.stats.bootstrap_means on three matrices "
                   "(within the Monte Carlo error). Leaving out the photograph level, the seed level, or drawing the "
                   "items separately for each seed each makes the draws too narrow on one of them: too confident.")


# ----------------------------------------------------------------------------- 07.2


def established_two_stage(rows) -> int:
    """How many of 07.2's comparisons the two-stage interval (seeds, then windows; no photograph level)
    establishes on ``rows`` (an items CSV's rows)."""
    from rdbm_core.evidence.stats import paired_difference

    mine = [r for r in rows if r["method"] in (RDBM, *OTHERS_07_2)]
    return sum(paired_difference(mine, task, RDBM, b, "psnr", draws=DRAWS_07_2, method=DESIGN_07_2,
                                 refine=False).verdict in ("a", "b")
               for task in TASKS_07_2 for b in OTHERS_07_2)


def established_hierarchical(rows, folder: Path | None = None) -> int:
    """The same count under the hierarchical interval: the notebook's, from ``verdicts.csv`` beside the items
    (written by ``python -m experiments bridge_comparison analyse``), else computed with the same draws."""
    from rdbm_core.data.files import read_rows
    from rdbm_core.evidence.stats import paired_difference

    verdicts = read_rows(folder / "verdicts.csv") if folder is not None else []
    family = [r for r in verdicts if (r["family"], r["a"], r["metric"]) == (RDBM, RDBM, "psnr")
              and r["b"] in OTHERS_07_2 and r["task"] in TASKS_07_2]
    if len(family) == len(TASKS_07_2) * len(OTHERS_07_2):
        return sum(r["verdict"].endswith(" better") for r in family)
    mine = [r for r in rows if r["method"] in (RDBM, *OTHERS_07_2)]
    return sum(paired_difference(mine, task, RDBM, b, "psnr", draws=DRAWS_07_2, refine=False).verdict in ("a", "b")
               for task in TASKS_07_2 for b in OTHERS_07_2)


def _stamp(path: Path) -> tuple[int, int]:
    """What identifies a version of a results file: its modification time and size."""
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=4)
def _two_stage_count(path: str, mtime_ns: int, size: int) -> int:
    from rdbm_core.data.files import read_rows
    return established_two_stage(read_rows(path))


@functools.lru_cache(maxsize=4)
def _hierarchical_count(path: str, mtime_ns: int, size: int) -> int:
    from rdbm_core.data.files import read_rows
    return established_hierarchical(read_rows(path), Path(path).parent)


def _range_answer(answer) -> tuple[float, float] | None:
    """07.2's answer as ``(low, high)``: one number (a range of one) or a pair of numbers; None otherwise."""
    if isinstance(answer, (tuple, list)) and len(answer) == 2:
        low, high = number_answer(answer[0]), number_answer(answer[1])
        return None if low is None or high is None else (low, high)
    got = number_answer(answer)
    return None if got is None else (got, got)


@exercise("07.2", "Established without the photograph level", "predict")
def check_without_photographs(answer):
    n = len(TASKS_07_2) * len(OTHERS_07_2)
    given = _range_answer(answer)
    if given is None or any(v != int(v) for v in given):
        return wrong(f"expected a range of whole numbers (low, high), or one whole number, got {answer!r}.",
                     "for example `(4, 6)`.")
    low, high = sorted(int(v) for v in given)
    if not 0 <= low <= high <= n:
        return wrong(f"the family has {n} comparisons: the count lies between 0 and {n}.",
                     "count the comparisons whose interval would exclude 0.")
    if high - low > 2:
        return wrong(f"a range of {high - low + 1} numbers is too wide to test a prediction: at most three.",
                     "which comparisons could change verdict, and which of them would?")
    path = results_csv()
    if path is None or path.stat().st_size == 0:
        looked = ", ".join(str(f) for f in results_folders()[:3])
        where = f"{path} is empty" if path is not None else f"{RESULTS_NAME} was not found (looked in {looked}, ...)"
        return wrong(f"the comparison's results are needed to check this, but {where}.",
                     f"run the notebook from a clone of the repository (the file is {RESULTS_SUBDIR / RESULTS_NAME}, "
                     f"written by python -m experiments bridge_comparison), or set {RESULTS_ENV} to the folder "
                     "that holds it.")
    truth = _two_stage_count(str(path), *_stamp(path))
    hierarchical = _hierarchical_count(str(path), *_stamp(path))
    if high < hierarchical:
        return wrong("fewer than the hierarchical interval establishes: leaving out a source of variation does not "
                     "widen intervals.",
                     "which way does an interval's width move when windows of one photograph are treated as "
                     "independent pictures?")
    if low == high == hierarchical:
        return wrong("the same count as the hierarchical interval: the intervals do change.",
                     "look at the forest plot of section 6 for intervals that end close to 0: narrower intervals can "
                     "move their ends past it.")
    if low <= hierarchical:
        return wrong("your range includes the hierarchical count or fewer: decide the direction first.",
                     "which way does an interval's width move when windows of one photograph are treated as "
                     "independent pictures?")
    if low <= truth <= high:
        return correct(f"without the photograph level the intervals are narrower (the 144 windows count as 144 "
                       f"independent pictures, though 12 windows of a photograph share its content and its "
                       f"degradation), so verdicts near 0 flip to 'established'. A claim about other pictures "
                       "generalises over photographs: the narrower interval is over-confident.")
    return wrong(f"{'too many' if low > truth else 'too few'}.",
                 "only comparisons whose hierarchical interval ends close to 0 can change verdict: which of those "
                 "would a narrower interval pull off 0?")
