"""The exercise kit as a whole: every notebook poses 2-4 registered exercises unanswered and its solutions answer
them; unanswered, crashing and unknown answers get feedback, not exceptions; feedback never reveals the answer.
The solutions themselves are run by nbval (each ends in ``assert check(...)``)."""
import re
from collections import Counter
from pathlib import Path

import jupytext
import pytest
import torch

from rdbm_course.exercises import EXERCISES, Feedback, check
from rdbm_course.exercises.ex02c_implicit_sampler import PIXELS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
STUDENT = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.py"))  # 01_x, 02a_x, ...: the part before "_" is the id prefix

CALL = re.compile(r'check\("(\d\d[a-z]?\.\d)", ([^)]*)\)')

IDS = {"01": ("01.1", "01.2", "01.3"), "02a": ("02a.1", "02a.2"), "02b": ("02b.1", "02b.2", "02b.3"),
       "02c": ("02c.1", "02c.2"), "03": ("03.1", "03.2", "03.3")}


def test_every_notebook_has_two_to_five_registered_exercises():
    """Every notebook has exercises, and none more than a lesson holds: 2 to 5 (notebook 06, the training lesson,
    has five since its exercises on the trainer itself, 06.4 and 06.5, were added after its reviews)."""
    per_notebook = Counter(i.split(".")[0] for i in EXERCISES)
    assert {_prefix(p) for p in STUDENT} == set(per_notebook)
    assert all(2 <= n <= 5 for n in per_notebook.values()), per_notebook


def _prefix(script: Path) -> str:
    """The notebook's id prefix: ``02a`` for ``02a_marginal_and_posterior.py``."""
    return script.name.split("_")[0]


def _calls(script: Path) -> list[tuple[str, str]]:
    return CALL.findall(script.read_text())


@pytest.mark.parametrize("script", STUDENT, ids=lambda p: p.name)
def test_notebook_poses_its_exercises_unanswered_and_has_solutions(script):
    nn = _prefix(script)
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


def test_tensor_feedback_never_reveals_expected_values():
    fb = check("01.3", lambda schedule, t: torch.zeros(len(t)))
    assert not fb and "off by up to" in fb.message
    assert not re.search(r"0\.99", fb.message + fb.hint)  # Theta at the clean end is 0.999..., not shown


def test_exercises_registered_with_a_mix_of_kinds():
    for ids in IDS.values():
        assert all(i in EXERCISES for i in ids)
        assert len({EXERCISES[i].kind for i in ids}) >= 2
    assert not [i for i in EXERCISES if i[:2] in IDS and i not in sum(IDS.values(), ())]


@pytest.mark.parametrize("nn", IDS)
def test_notebook_and_solutions_cover_every_exercise(nn):
    (notebook,) = NOTEBOOKS.glob(f"{nn}_*.py")
    solutions = NOTEBOOKS / "solutions" / f"{notebook.stem}_solutions.py"
    cells = jupytext.read(notebook).cells
    # exercises sit under "## Exercises" at the end, or under an "## Exercise NN.k" heading placed right after the
    # section it needs (02b.1): every exercise cell comes after the first such heading
    start = next(k for k, cell in enumerate(cells) if cell.source.startswith("## Exercise"))
    exercise_code = "\n".join(cell.source for cell in cells[start:]
                               if cell.cell_type == "code" and re.search(r"\bcheck\(", cell.source))
    assert re.findall(r'check\("(\d\d[a-z]?\.\d)", answer_\d\d[a-z]?_\d\)', exercise_code) == list(IDS[nn])
    assert "assert" not in exercise_code  # the cells run under nbval with `...`
    solved = re.findall(r'check\("(\d\d[a-z]?\.\d)"', solutions.read_text())
    assert solved == list(IDS[nn])
    assert solutions.read_text().count("assert feedback") == len(IDS[nn])


def test_the_pixel_table_of_02c_2_matches_the_checker():
    text = (NOTEBOOKS / "02c_implicit_sampler.py").read_text()
    for key, label in (("x0", r"\$x_0\$"), ("mu", r"\$\\mu\$"), ("x0_hat", r"\$\\hat x_0\$")):
        row = re.search(rf"^# \| {label} \|(.*)\|$", text, re.M)
        assert row, key
        assert tuple(float(v) for v in row.group(1).split("|")) == PIXELS[key]

