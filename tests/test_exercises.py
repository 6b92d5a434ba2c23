"""The exercise kit as a whole: every notebook has 2-4 checked exercises, each with a worked solution,
and the feedback machinery behaves (not attempted, crashing answers, unknown ids).  The solutions
themselves are run by nbval (each ends in ``assert check(...)``); wrong answers are tested per notebook
in ``test_exercises_*.py`` and below for notebooks 06 and 07."""
import math
import re
from collections import Counter
from pathlib import Path

import pytest
import torch

from rdbm_core.exercises import EXERCISES, Feedback, check

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STUDENT = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
CALL = re.compile(r'check\("(\d\d\.\d)", ([^)]*)\)')


def _calls(script: Path) -> list[tuple[str, str]]:
    return CALL.findall(script.read_text())


def test_every_notebook_has_two_to_four_registered_exercises():
    per_notebook = Counter(i.split(".")[0] for i in EXERCISES)
    assert {p.name[:2] for p in STUDENT} == set(per_notebook)
    assert all(2 <= n <= 4 for n in per_notebook.values()), per_notebook


@pytest.mark.parametrize("script", STUDENT, ids=lambda p: p.name)
def test_notebook_poses_its_exercises_unanswered_and_has_solutions(script):
    nn = script.name[:2]
    ids = sorted(i for i in EXERCISES if i.startswith(nn + "."))
    posed = _calls(script)
    assert sorted(i for i, _ in posed) == ids, "every exercise is posed once, in order, in its notebook"
    assert all(arg.startswith("answer_") for _, arg in posed)
    assert all(re.search(rf"^answer_{i.replace('.', '_')} = \.\.\.", script.read_text(), re.M) for i in ids)
    solutions = NOTEBOOKS / "solutions" / f"{script.stem}_solutions.py"
    assert solutions.exists(), f"{solutions.name} is missing"
    assert sorted({i for i, _ in _calls(solutions)}) == ids
    text = solutions.read_text()
    assert text.count("assert feedback") >= len(ids), "each solution must assert that its check passes"


def test_unanswered_and_crashing_answers_get_feedback_not_exceptions():
    for exercise_id in EXERCISES:
        pending = check(exercise_id, ...)
        assert isinstance(pending, Feedback) and not pending and not pending.attempted
    boom = check("06.2", lambda *a: 1 / 0)
    assert not boom and "ZeroDivisionError" in boom.message and boom.hint
    assert "❌" in boom._repr_markdown_() and "Hint" in str(boom)
    with pytest.raises(KeyError, match="no exercise '99.1'"):
        check("99.1", 1)


def _wrong(exercise_id, answer):
    fb = check(exercise_id, answer)
    assert not fb and fb.attempted and fb.hint, fb
    return fb


def _loss(noise=True, l1=True):
    def loss(model, x0, mu, path, t, eps):
        theta, _, sigma = (c.to(x0).reshape(-1, 1, 1, 1) for c in path.coefficients(t))
        pi = x0 - mu
        err = model(mu + theta * pi + sigma * (pi if noise else 1) * eps, mu, t) - x0
        return err.abs().mean() if l1 else (err ** 2).mean()
    return loss


def test_06_1_loss_confusions_are_named():
    assert "modulated" in _wrong("06.1", _loss(noise=False)).hint
    assert "L1" in _wrong("06.1", _loss(l1=False)).hint
    assert "one number" in _wrong("06.1", lambda m, x0, *a: (x0 - x0).abs().mean((1, 2, 3))).message


def test_06_2_psnr_scale_mistake_is_named():
    def psnr_unscaled(pred, target, mask):
        return 10 * math.log10(1 / float(((pred - target)[:, mask[0]].double() ** 2).mean()))
    fb = _wrong("06.2", psnr_unscaled)
    assert "6.02 dB too low" in fb.message and "[0, 1]" in fb.hint
    _wrong("06.2", lambda pred, target, mask: 30.0)


def test_06_3_decibel_averaging_is_named():
    fb = _wrong("06.3", lambda pd, pi, f: f * pd + (1 - f) * pi)
    assert "averaged the PSNRs" in fb.message
    _wrong("06.3", lambda pd, pi, f: max(pd, pi))


def test_07_1_unpaired_seeds_and_flipped_signs_are_named():
    def all_seeds(rows, task, a, b):
        vals = {(r["method"], int(r["seed"])): float(r["psnr"]) for r in rows if r["task"] == task}
        return [vals[(a, s)] - vals.get((b, s), 0.0) for s in sorted({s for _, s in vals})]
    assert "no seed 2" in _wrong("07.1", all_seeds).message
    flipped = _wrong("07.1", lambda rows, task, a, b: [-1.0, 0.5])
    assert "signs" in flipped.message


def test_07_2_prediction_is_checked_against_the_committed_results():
    from rdbm_core.comparison import read_rows
    from rdbm_core.exercises.ex07_comparison import RESULTS_CSV, _winner
    rows = read_rows(RESULTS_CSV)
    truth = {}
    for task in ("inpaint", "derain"):
        winners = {_winner(rows, task, "psnr_degraded", s) for s in sorted({int(r["seed"]) for r in rows})}
        truth[task] = winners.pop() if len(winners) == 1 else "mixed"
    assert check("07.2", truth)
    flipped = {"inpaint": "rdbm-global" if truth["inpaint"] != "rdbm-global" else "rdbm", "derain": truth["derain"]}
    assert "inpaint" in _wrong("07.2", flipped).message
    assert "dict" in _wrong("07.2", "rdbm").message


def test_tensor_feedback_never_reveals_expected_values():
    fb = check("01.3", lambda schedule, t: torch.zeros(len(t)))
    assert not fb and "off by up to" in fb.message
    assert not re.search(r"0\.99", fb.message + fb.hint)  # Theta at the clean end is 0.999..., not shown
