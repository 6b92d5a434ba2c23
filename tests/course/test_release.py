"""``make student`` / ``make autograde`` (``rdbm_course.release``): the nbgrader release and its grading.

The release of every notebook is built once (about 10 s); then

* no line of a solution notebook's cells is in the student notebooks (lines any notebook shows anyway aside),
  and the hidden tests are not either; a release built without stripping the solutions is caught (the
  mutation, built from one notebook);
* each student notebook is its notebook: the same cells, plus one read-only test cell per exercise;
* one notebook is graded for a correct submission (the worked solutions) and a wrong one (a wrong answer, an
  unanswered exercise, a right answer whose test cell the student emptied): the CSV scores each exercise as it
  should, the notebooks the students did not return are "missing", and the lecture ran where its relative paths
  hold (no error outside the test cells).

Skipped without nbgrader (the ``instructor`` extra; the ``test`` extra includes it).
"""
import csv
import json
import shutil
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -e '.[instructor]' "
                                       "(the test extra includes it)")

from rdbm_course.exercises import EXERCISES  # noqa: E402
from rdbm_course.release import (BEGIN_SOLUTION, Solution, autograde, build_release, exercise_of,  # noqa: E402
                                 find_exercises, grade_id, instructor_notebook, main, model_submission,
                                 solution_snippets)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LECTURES = sorted(p for p in NOTEBOOKS.glob("[0-9]*.ipynb"))
GRADED = "12_what_modulation_does"  # graded twice below: about 8 s a submission, and it reads ../benchmarks


def _read(path):
    return nbformat.read(path, as_version=4)


def _norm(line: str) -> str:
    """A line as compared here: without indentation and without a leading comment mark (a solution's markdown
    is carried as comments in the instructor's notebook)."""
    return line.strip().lstrip("#").strip()


def _lines(nb) -> set[str]:
    lines = set()
    for cell in nb.cells:
        texts = [cell.source] + ["".join(o.get("text", "")) + json.dumps(o.get("data", {}))
                                 for o in cell.get("outputs", [])]
        lines |= {_norm(line) for text in texts for line in text.splitlines()}
    return lines - {""}


def _secret_lines() -> dict[str, set[str]]:
    """Each solution notebook's lines that no notebook shows: what a release must not contain."""
    public = set().union(*(_lines(_read(p)) for p in LECTURES))
    return {p.name: _lines(_read(p)) - public for p in sorted((NOTEBOOKS / "solutions").glob("*_solutions.ipynb"))}


def _leaks(student_dir: Path) -> dict[str, list[str]]:
    released = set().union(*(_lines(_read(p)) for p in student_dir.glob("*.ipynb")))
    released |= {_norm(line) for p in student_dir.glob("*.md") for line in p.read_text().splitlines()}
    return {name: sorted(secret & released) for name, secret in _secret_lines().items() if secret & released}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    base = tmp_path_factory.mktemp("release")
    start = time.perf_counter()
    # 120 s a cell at most when grading (fast mode needs seconds): a kernel that never answers fails in minutes
    written = build_release(NOTEBOOKS, base / "_student", base / "_instructor", timeout=120)
    print(f"built the release of {len(written)} notebooks in {time.perf_counter() - start:.1f} s")
    return base


def test_every_notebook_is_released_with_its_exercises(release):
    student = release / "_student"
    assert sorted(p.name for p in student.glob("*.ipynb")) == [p.name for p in LECTURES]
    assert (student / "README.md").is_file()
    released_ids = []
    for path in sorted(student.glob("*.ipynb")):
        nb = _read(path)
        graded = [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert all(g["points"] == 1 and g["locked"] for g in graded)
        released_ids += [exercise_of(g["grade_id"]) for g in graded]
    assert sorted(released_ids) == sorted(ex.id for ex in EXERCISES.values()
                                          if any(p.stem.startswith(ex.id.split(".")[0] + "_") for p in LECTURES))


def test_no_solution_line_is_in_the_release(release):
    secrets = _secret_lines()
    assert len(secrets) == len(LECTURES) and all(len(s) >= 5 for s in secrets.values()), (
        "every solution notebook should have lines of its own")
    assert _leaks(release / "_student") == {}


def test_the_hidden_tests_are_hidden_and_kept_for_grading(release):
    for path in (release / "_student").glob("*.ipynb"):
        text = path.read_text()
        assert "_grader_check" not in text and "HIDDEN TESTS" not in text and BEGIN_SOLUTION not in text, path.name
    source = (release / "_instructor" / "source" / GRADED / f"{GRADED}.ipynb").read_text()
    assert source.count("_grader_check(") == 3  # the instructor's notebook has them, for nbgrader to put back


def test_each_student_notebook_is_its_notebook_plus_the_test_cells(release):
    for lecture in LECTURES:
        original = _read(lecture)
        released = _read(release / "_student" / lecture.name)
        exercises = {ex.cell: ex for ex in find_exercises(original)}
        kept = [c for c in released.cells if not c.metadata.get("nbgrader", {}).get("grade")]
        assert len(kept) == len(original.cells), lecture.name
        for i, (mine, theirs) in enumerate(zip(kept, original.cells)):
            if i in exercises:  # the answer cell: the same lines, one blank line more (the emptied solution)
                assert mine.metadata["nbgrader"]["solution"]
                assert [ln for ln in mine.source.splitlines() if ln.strip()] == \
                       [ln for ln in theirs.source.splitlines() if ln.strip()], (lecture.name, i)
            else:
                assert mine.source == theirs.source, (lecture.name, i)
            assert mine.cell_type == theirs.cell_type and not mine.get("outputs")


def test_a_release_that_keeps_the_solutions_is_caught(tmp_path):
    """The mutation: the same build without nbgrader's ClearSolutions step."""
    notebooks = tmp_path / "notebooks"
    (notebooks / "solutions").mkdir(parents=True)
    name = LECTURES[0].stem
    shutil.copy2(LECTURES[0], notebooks)
    shutil.copy2(NOTEBOOKS / "solutions" / f"{name}_solutions.ipynb", notebooks / "solutions")
    build_release(notebooks, tmp_path / "_student", tmp_path / "_instructor", strip_solutions=False)
    leaks = _leaks(tmp_path / "_student")
    assert len(leaks.get(f"{name}_solutions.ipynb", [])) >= 5, leaks  # (other solutions share some of its lines)


def test_solutions_are_cut_per_exercise():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Solutions"),
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_markdown_cell("## 99.1 — one"),
        nbformat.v4.new_code_cell('x = math.pi\nfeedback = check("99.1", x / 2)\ndisplay(feedback)\nassert feedback'),
        nbformat.v4.new_code_cell('y = 2\nfeedback = check("99.2", {\n    "a": y,\n})\nprint("after")'),
        nbformat.v4.new_code_cell('feedback = check("99.3", answer_99_3)\nassert feedback and answer_99_3 > 0'),
        nbformat.v4.new_markdown_cell("Closing words."),
    ])
    cut = solution_snippets(nb)
    assert list(cut) == ["99.1", "99.2", "99.3"] and cut["99.1"].target == "" == cut["99.2"].target
    assert cut["99.1"].code == "# # Solutions\n\nimport math\n\n# ## 99.1 — one\n\nx = math.pi"
    assert cut["99.1"].expr == "x / 2" and cut["99.1"].after == ""
    assert cut["99.2"].code == "y = 2" and cut["99.2"].expr == '{\n    "a": y,\n}'
    assert cut["99.2"].after == 'print("after")'
    # the rest of the cell uses the check's result: the instructor's cell recomputes it
    assert cut["99.3"] == Solution("", "answer_99_3", "assert feedback and answer_99_3 > 0\n\n# Closing words.",
                                   "feedback")
    source = nbformat.v4.new_code_cell('answer_99_3 = ...  # a number\ncheck("99.3", answer_99_3)')
    merged = instructor_notebook(nbformat.v4.new_notebook(cells=[source]),
                                 nbformat.v4.new_notebook(cells=nb.cells[-2:]))
    assert merged.cells[0].source.splitlines() == [
        "answer_99_3 = ...  # a number", BEGIN_SOLUTION, 'feedback = check("99.3", answer_99_3)',
        "assert feedback and answer_99_3 > 0", "", "# Closing words.", "### END SOLUTION", 'check("99.3", answer_99_3)']
    assert merged.cells[1].metadata["nbgrader"]["grade_id"] == "test_99_3"


def test_grade_ids_round_trip():
    for ex in EXERCISES:
        assert exercise_of(grade_id(ex)) == ex


def _change_answer(nb, exercise_id: str, line: str):
    """Put ``line`` just before the answer cell's check (the solution's code before it stays: later cells use it)."""
    check = f'check("{exercise_id}", answer_{exercise_id.replace(".", "_")})'
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_" + grade_id(exercise_id)[5:]:
            head, found, tail = cell.source.rpartition(check)  # the cell's own check, its last line
            assert found and not tail.strip()
            cell.source = f"{head}{line}\n{check}"
            return
    raise AssertionError(f"no answer cell for {exercise_id}")


def test_autograde_scores_a_right_and_a_wrong_submission(release, tmp_path):
    course = release / "_instructor"
    submissions = tmp_path / "submissions"
    (submissions / "alice").mkdir(parents=True)
    (submissions / "bob").mkdir()
    nbformat.write(model_submission(course, GRADED), submissions / "alice" / f"{GRADED}.ipynb")
    wrong = model_submission(course, GRADED)
    _change_answer(wrong, "12.1", "answer_12_1 = 1000")  # a wrong number
    _change_answer(wrong, "12.2", "answer_12_2 = ...")  # not answered
    for cell in wrong.cells:  # 12.3 is right, but its test cell was emptied: nbgrader puts the test back
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id("12.3"):
            cell.source = "pass"
    nbformat.write(wrong, submissions / "bob" / f"{GRADED}.ipynb")

    start = time.perf_counter()
    out = tmp_path / "grades.csv"
    rows = autograde(submissions, out, course, progress=False)
    print(f"graded 2 submissions in {time.perf_counter() - start:.1f} s")
    with out.open() as f:
        table = list(csv.DictReader(f))
    assert [list(r) for r in table[:1]] == [["student", "notebook", "exercise", "score", "max_score", "status"]]
    assert len(table) == len(rows) == 2 * len(EXERCISES)
    scores = {(r["student"], r["exercise"]): (float(r["score"]), r["status"]) for r in table if
              r["notebook"] == GRADED}
    assert scores == {("alice", "12.1"): (1.0, "graded"), ("alice", "12.2"): (1.0, "graded"),
                      ("alice", "12.3"): (1.0, "graded"), ("bob", "12.1"): (0.0, "graded"),
                      ("bob", "12.2"): (0.0, "graded"), ("bob", "12.3"): (1.0, "graded")}
    others = [r for r in table if r["notebook"] != GRADED]
    assert others and all(r["status"] == "missing" and float(r["score"]) == 0 for r in others)
    # the notebooks ran without an error outside the test cells, in the kernel's folder (they read
    # ../benchmarks/results); bob's errors are his two failed tests
    for student, failed in (("alice", []), ("bob", [grade_id("12.1"), grade_id("12.2")])):
        graded = _read(course / "autograded" / student / GRADED / f"{GRADED}.ipynb")
        errors = [c.metadata.get("nbgrader", {}).get("grade_id", c.source[:60]) for c in graded.cells
                  if any(o.output_type == "error" for o in c.get("outputs", []))]
        assert errors == failed, student


def test_command_line_errors_are_one_line(tmp_path, capsys):
    assert main(["autograde", str(tmp_path / "nothing"), "--course", str(tmp_path / "no_course")]) == 2
    assert "make student" in capsys.readouterr().err
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("not a release")
    assert main(["student", "--notebooks", str(NOTEBOOKS), "--out", str(foreign),
                 "--course", str(tmp_path / "course")]) == 2
    assert "refusing to replace" in capsys.readouterr().err and (foreign / "precious.txt").is_file()
