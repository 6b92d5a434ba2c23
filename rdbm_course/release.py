"""The instructor's release of the course, graded with nbgrader: ``make student`` and ``make autograde``.

**The instructor's source.**  The notebooks (in ``notebooks/``, one per idea) end with exercises whose code cells
read ``answer_NN_k = ...`` and call ``check("NN.k", answer_NN_k)``; their worked solutions are separate
notebooks (in ``notebooks/solutions/``) that end each exercise with
``feedback = check("NN.k", EXPR)``.  :func:`instructor_notebook` merges the two into nbgrader's format, without
touching either file:

* every exercise cell becomes an nbgrader *autograded answer* cell whose ``### BEGIN SOLUTION`` ...
  ``### END SOLUTION`` region, right after the ``answer_NN_k = ...`` line, holds the solution notebook's cells
  for that exercise (its markdown as comments; the first exercise also gets the solution notebook's setup
  cells) ending with ``answer_NN_k = EXPR``: run as it is, the instructor's notebook answers every exercise;
* after it comes an *autograder test* cell (1 point, read-only) whose ``### BEGIN HIDDEN TESTS`` region asserts
  ``check("NN.k", answer_NN_k)``.

**The release** (:func:`build_release`, ``make student``): ``nbgrader generate_assignment``, one nbgrader
assignment per notebook, replaces each solution region by nothing (``ClearSolutions.code_stub`` is empty: the
student's cell is the notebook's own cell, plus one blank line) and removes the hidden tests (the student sees a
one-line comment in each test cell); outputs are cleared.  The student notebooks are copied to ``OUT``
(``_student/``, flat: ``OUT/NN_name.ipynb``); nbgrader's course folder (``COURSE``, ``_instructor/``: the
generated sources, the release, ``gradebook.db`` with the hidden tests, ``nbgrader_config.py``) stays with the
instructor.  Both folders are rebuilt whole (each is replaced only if it is empty or was built here).

**Autograding** (:func:`autograde`, ``make autograde SUBMISSIONS=...``): returned notebooks are laid out as
``SUBMISSIONS/<student>/NN_name.ipynb``; each is copied into the course folder and graded by
``nbgrader autograde``, which puts the hidden tests back (and restores any test cell a student edited),
executes the notebook in a fresh kernel and scores every test cell.  The kernel runs in the notebooks folder
(``notebooks/``, where the notebooks find ``../benchmarks``), with ``FAST=1`` unless the environment sets
``FAST`` (the exercises are checked the same either way; fast mode only shortens the lectures' own loops).  The
scores go to a CSV, one row per (student, notebook, exercise): ``student, notebook, exercise, score,
max_score, status`` (``graded``; ``missing`` for a notebook the student did not return, scored 0; ``error`` when
nbgrader could not grade it, scored 0, with nbgrader's log on stderr).

:func:`model_submissions` writes a submissions folder whose only student (``model``) answered every exercise
with the worked solutions: grading it must give full marks (``python -m rdbm_course.release model OUT``, then
``make autograde SUBMISSIONS=OUT``).

The course folder is an ordinary nbgrader course: nbgrader's own commands work in it too (``cd _instructor &&
nbgrader generate_feedback --all``).

Command line: ``python -m rdbm_course.release {student,autograde,model} ...`` (``--help``).
"""
from __future__ import annotations

import argparse
import ast
import csv
import functools
import logging
import os
import re
import shutil
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Exercise", "Solution", "find_exercises", "solution_snippets", "instructor_notebook", "build_release",
           "autograde", "model_submission", "model_submissions", "grade_id", "exercise_of", "workdir_execute_class"]

MARKER = ".rdbm-release"
CONFIG = "nbgrader_config.py"
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_TESTS, END_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
POINTS = 1  # per exercise
CSV_FIELDS = ("student", "notebook", "exercise", "score", "max_score", "status")
DEFAULT_TIMEOUT_S = 600  # per cell, when grading

_ANSWER_LINE = re.compile(r"^(?P<var>answer_\w+)\s*=\s*\.\.\.(?:\s*#.*)?$")
_CHECK_CALL = re.compile(r'\bcheck\(\s*"(?P<id>[^"]+)"\s*,\s*(?P<var>answer_\w+)\s*\)')
_SCHEMA = 3  # nbgrader's cell-metadata schema


@dataclass(frozen=True)
class Exercise:
    """One exercise cell of a notebook: ``id`` ("01.1"), the ``var`` the student sets, the cell's index."""

    id: str
    var: str
    cell: int


def grade_id(exercise_id: str) -> str:
    """nbgrader's id of the test cell of an exercise: ``"01.1"`` -> ``"test_01_1"`` (nbgrader allows no dot)."""
    return "test_" + exercise_id.replace(".", "_")


def exercise_of(grade: str) -> str:
    """The inverse of :func:`grade_id` (the exercise ids have exactly one dot)."""
    body = grade.removeprefix("test_")
    head, _, k = body.rpartition("_")
    return f"{head}.{k}"


def _exercise_key(exercise_id: str):
    """Sort "06.2" before "06.10"."""
    head, _, k = exercise_id.rpartition(".")
    return (head, int(k) if k.isdigit() else 0, k)


def _read(path: Path):
    import nbformat
    return nbformat.read(path, as_version=4)


# ----------------------------------------------------------------------------- the instructor's source


def find_exercises(nb) -> list[Exercise]:
    """The exercise cells of a notebook: code cells with an ``answer_X = ...`` line and ``check("ID", answer_X)``."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        answers = [m["var"] for m in map(_ANSWER_LINE.match, cell.source.splitlines()) if m]
        for call in _CHECK_CALL.finditer(cell.source):
            if call["var"] in answers:
                found.append(Exercise(call["id"], call["var"], index))
                break
    ids = [ex.id for ex in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"exercises {duplicates} have more than one answer cell")
    return found


def _is_call(node, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _check_of(stmt) -> tuple[str, ast.expr] | None:
    """``(id, EXPR)`` when ``stmt`` is ``feedback = check("ID", EXPR)`` or ``check("ID", EXPR)``, else None."""
    call = stmt.value if isinstance(stmt, (ast.Assign, ast.Expr)) else None
    if call is None or not _is_call(call, "check") or len(call.args) != 2:
        return None
    first = call.args[0]
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    return first.value, call.args[1]


def _is_feedback_display(stmt) -> bool:
    """``display(feedback)`` or ``assert feedback``: the solution notebook showing its check, dropped here."""
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Name) and stmt.test.id == "feedback"
    return (isinstance(stmt, ast.Expr) and _is_call(stmt.value, "display") and len(stmt.value.args) == 1
            and isinstance(stmt.value.args[0], ast.Name) and stmt.value.args[0].id == "feedback")


@dataclass(frozen=True)
class Solution:
    """One exercise's worked solution: ``code``, then ``answer = expr``, then ``after``."""

    code: str
    expr: str
    after: str = ""
    target: str = ""  # the name the check's result was assigned to (``feedback``), if ``after`` still uses it


def solution_snippets(solution_nb, name: str = "solutions") -> dict[str, Solution]:
    """Each exercise's worked solution, read from a solution notebook, by exercise id.

    An exercise's ``code`` is every cell since the previous exercise's check (markdown as ``#`` comments; the
    notebook's setup cells go with its first exercise) up to its check ``feedback = check("ID", EXPR)``, which
    is cut out, as are ``display(feedback)`` and ``assert feedback``; ``expr`` is ``EXPR``, the answer, and
    ``after`` the rest of the check's cell (with the cells after the last check, for the last exercise);
    ``target`` is ``feedback`` when ``after`` still uses it (then the instructor's cell recomputes it).
    """
    found: dict[str, Solution] = {}
    pending: list[str] = []
    last = None
    for cell in solution_nb.cells:
        if cell.cell_type == "markdown":
            pending.append("\n".join(("# " + line).rstrip() for line in cell.source.splitlines()))
            continue
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError as err:
            raise ValueError(f"{name}: a code cell is not plain Python ({err}); cannot cut its solutions") from err
        lines = cell.source.splitlines()
        keep = [True] * len(lines)
        checks = []
        for stmt in tree.body:
            check = _check_of(stmt)
            if check or _is_feedback_display(stmt):
                for i in range(stmt.lineno - 1, stmt.end_lineno):
                    keep[i] = False
            if check:
                target = (stmt.targets[0].id if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                          and isinstance(stmt.targets[0], ast.Name) else "")
                checks.append((stmt.lineno, check[0], ast.get_source_segment(cell.source, check[1]), target))
        if len(checks) > 1:
            raise ValueError(f"{name}: one cell checks {[c[1] for c in checks]}: one exercise per cell, please")
        if not checks:
            pending.append("\n".join(line for line, k in zip(lines, keep) if k))
            continue
        lineno, exercise_id, expr, target = checks[0]
        if exercise_id in found:
            raise ValueError(f"{name}: exercise {exercise_id} is checked twice")
        before = "\n".join(line for i, (line, k) in enumerate(zip(lines, keep)) if k and i < lineno - 1)
        after = "\n".join(line for i, (line, k) in enumerate(zip(lines, keep)) if k and i >= lineno - 1)
        found[exercise_id] = Solution(_join(pending + [before]), expr, after if after.strip() else "", target)
        pending, last = [], exercise_id
    if last is not None and _join(pending):  # cells after the last check: with the last exercise
        sol = found[last]
        found[last] = Solution(sol.code, sol.expr, _join([sol.after, *pending]), sol.target)
    return {k: Solution(v.code, v.expr, v.after, v.target if _uses(v.after, v.target) else "")
            for k, v in found.items()}


def _uses(code: str, name: str) -> bool:
    return bool(name) and re.search(rf"\b{re.escape(name)}\b", code) is not None


def _join(parts: list[str]) -> str:
    return "\n\n".join(p for p in parts if p.strip())


def _nbgrader(cell, **flags):
    cell.metadata["nbgrader"] = {"schema_version": _SCHEMA, "grade": False, "solution": False, "locked": False,
                                 "task": False, **flags}
    return cell


def instructor_notebook(lecture_nb, solution_nb, name: str = "notebook"):
    """The nbgrader source of one notebook: its exercises with their solutions and hidden tests (see the module).

    Raises ValueError when an exercise of the notebook has no solution in ``solution_nb`` (or the reverse).
    """
    import copy

    import nbformat

    nb = copy.deepcopy(lecture_nb)
    exercises = find_exercises(nb)
    snippets = solution_snippets(solution_nb, name=f"solutions of {name}") if solution_nb is not None else {}
    missing = [ex.id for ex in exercises if ex.id not in snippets]
    extra = sorted(set(snippets) - {ex.id for ex in exercises})
    if missing or extra:
        raise ValueError(f"{name}: exercises without a worked solution {missing}; "
                         f"solutions without an exercise cell {extra}")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for ex in reversed(exercises):  # inserting test cells: from the end, so that indices hold
        cell = nb.cells[ex.cell]
        sol = snippets[ex.id]
        answer = [] if sol.expr == ex.var else [
            f"{ex.var} = {sol.expr}" if "\n" not in sol.expr else f"{ex.var} = (\n{sol.expr}\n)"]
        if sol.target:  # the solution's code goes on using the check's result
            answer.append(f'{sol.target} = check("{ex.id}", {ex.var})')
        region = [BEGIN_SOLUTION, *([sol.code] if sol.code else []), *answer, *([sol.after] if sol.after else []),
                  END_SOLUTION]
        lines = cell.source.splitlines()
        at = next(i for i, line in enumerate(lines) if (m := _ANSWER_LINE.match(line)) and m["var"] == ex.var)
        cell.source = "\n".join(lines[:at + 1] + region + lines[at + 1:])
        _nbgrader(cell, solution=True, grade_id="answer_" + grade_id(ex.id).removeprefix("test_"))
        test = nbformat.v4.new_code_cell("\n".join([
            f"# Autograder test of exercise {ex.id} ({POINTS} point): its hidden tests are put back when your "
            "notebook is graded.",
            BEGIN_TESTS,
            "from rdbm_course.exercises import check as _grader_check",
            f'assert _grader_check("{ex.id}", {ex.var}), "exercise {ex.id} is not answered correctly"',
            END_TESTS]))
        _nbgrader(test, grade=True, locked=True, points=POINTS, grade_id=grade_id(ex.id))
        nb.cells.insert(ex.cell + 1, test)
    return nb


# ----------------------------------------------------------------------------- nbgrader


@functools.lru_cache(maxsize=None)
def workdir_execute_class():
    """nbgrader's ``Execute`` preprocessor, starting the kernel in ``WorkdirExecute.workdir`` (when set) instead
    of the graded notebook's own folder (``autograded/<student>/<assignment>/``), where the notebooks would not
    find ``../benchmarks``.  Defined on first use, so that importing this module does not import nbgrader."""
    from nbgrader.preprocessors import Execute
    from traitlets import Unicode

    class WorkdirExecute(Execute):
        workdir = Unicode("", help="folder the kernel starts in (empty: the notebook's own)").tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            # nbclient starts the kernel in resources["metadata"]["path"]: the graded notebook's folder
            metadata = resources.setdefault("metadata", {}) if resources is not None else None
            if not self.workdir or metadata is None:
                return super().preprocess(nb, resources, km)
            before = metadata.get("path")
            metadata["path"] = self.workdir
            try:
                return super().preprocess(nb, resources, km)
            finally:
                metadata["path"] = before

    return WorkdirExecute


_CONFIG_TEMPLATE = '''\
# Written by rdbm_course.release (make student); rewritten by each build. nbgrader's commands read it when run in
# this folder, e.g. `nbgrader generate_feedback --all`.
from nbgrader.converters import Autograde, GenerateAssignment

from rdbm_course.release import workdir_execute_class

WorkdirExecute = workdir_execute_class()
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
# a solution region becomes nothing: the student's cell is the notebook's own exercise cell
c.ClearSolutions.code_stub = {{"python": ""}}
# grading starts each kernel in the notebooks folder (where they find ../benchmarks), {timeout} s per cell at most
c.WorkdirExecute.workdir = {workdir!r}
c.WorkdirExecute.timeout = {timeout}
c.Autograde.autograde_preprocessors = [WorkdirExecute if p.__name__ == "Execute" else p
                                       for p in Autograde.class_traits()["autograde_preprocessors"].default()]
'''
_NO_STRIP = '''\
# TEST ONLY (strip_solutions=False): the solutions are NOT removed from this release
c.GenerateAssignment.preprocessors = [p for p in GenerateAssignment.class_traits()["preprocessors"].default()
                                      if p.__name__ != "ClearSolutions"]
'''


def _write_config(course: Path, workdir: Path, timeout: int, strip_solutions: bool) -> None:
    text = _CONFIG_TEMPLATE.format(root=str(course.resolve()), workdir=str(workdir.resolve()), timeout=int(timeout))
    (course / CONFIG).write_text(text + ("" if strip_solutions else _NO_STRIP))


def _api(course: Path):
    """nbgrader's Python API on the course folder, configured by its ``nbgrader_config.py``."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    logger = logging.getLogger("traitlets")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)  # the API's look at nbgrader's exchange (unused here) would complain
    try:
        return NbGraderAPI(config=config)
    finally:
        logger.setLevel(level)


def _run(what: str, result: dict) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('error') or ''}\n{result.get('log') or ''}")


def _check_replaceable(out: Path) -> None:
    if out.exists() and not (out.is_dir() and ((out / MARKER).is_file() or not any(out.iterdir()))):
        raise ValueError(f"refusing to replace {out}: it is not empty and was not built by rdbm_course.release "
                         f"(no {MARKER} file)")


def _fresh(out: Path) -> None:
    _check_replaceable(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by rdbm_course.release; replaced whole by the next `make student`\n")


def _pairs(notebooks: Path) -> list[tuple[Path, Path | None]]:
    """(lecture notebook, its solution notebook or None), in order."""
    lectures = sorted(p for p in notebooks.glob("*.ipynb") if re.match(r"\d", p.name))
    if not lectures:
        raise ValueError(f"no notebooks (NN_name.ipynb) in {notebooks}")
    pairs = []
    for path in lectures:
        solution = notebooks / "solutions" / f"{path.stem}_solutions.ipynb"
        pairs.append((path, solution if solution.is_file() else None))
    return pairs


_STUDENT_README = """\
# Your course notebooks

One notebook per lesson. Run them from this folder (`make lab LAB_DIR=_student` from the repository's root
opens JupyterLab here). Each notebook ends with exercises: replace `...` with your answer and run the cell;
`check` says whether it is right. The cell after each exercise is the autograder's (read-only): leave it.

Hand back the `.ipynb` files themselves (saved, with your answers), one folder per student.
"""


def build_release(notebooks_dir="notebooks", out_dir="_student", course_dir="_instructor", *,
                  workdir=None, timeout: int = DEFAULT_TIMEOUT_S, strip_solutions: bool = True) -> list[Path]:
    """Build the nbgrader course folder and the student release (see the module); returns the student notebooks.

    ``workdir`` is where grading will start the kernels (default: ``notebooks_dir``).  ``strip_solutions=False``
    keeps the solutions in the release: it exists only so that a test can show that its check catches that.
    """
    import nbformat

    notebooks, out, course = Path(notebooks_dir), Path(out_dir), Path(course_dir)
    if not notebooks.is_dir():
        raise FileNotFoundError(f"notebooks folder not found: {notebooks}")
    pairs = _pairs(notebooks)
    sources = {}
    for lecture, solution in pairs:  # everything is read and merged before any folder is touched
        sources[lecture.stem] = instructor_notebook(_read(lecture), _read(solution) if solution else None,
                                                    name=lecture.name)
    _check_replaceable(out)
    _fresh(course)
    _write_config(course, Path(workdir) if workdir else notebooks, timeout, strip_solutions)
    for assignment, nb in sources.items():
        folder = course / "source" / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    with _nbgrader_env():
        api = _api(course)
        for assignment in sources:
            _run(f"generate_assignment {assignment}", api.generate_assignment(assignment, force=True, create=True))
    _fresh(out)
    (out / "README.md").write_text(_STUDENT_README)
    written = []
    for assignment in sources:
        target = out / f"{assignment}.ipynb"
        shutil.copy2(course / "release" / assignment / f"{assignment}.ipynb", target)
        written.append(target)
    return written


@contextmanager
def _nbgrader_env():
    """What nbgrader needs around its calls: its ``alembic`` command on PATH (nbgrader runs it to create a
    gradebook; it is installed beside this Python, which need not be on PATH) and its apps' log, which goes to
    stderr as well as to the captured log, at warnings only."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    loggers = [logging.getLogger(n) for n in ("traitlets", "NbGraderAPI", "GenerateAssignment", "Autograde")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        with _environ(PATH=bin_dir + os.pathsep + path if path else bin_dir), warnings.catch_warnings():
            # SQLAlchemy 2 on nbgrader's gradebook: "Object of type <Submitted...> not in session, add operation
            # ... will not proceed" (harmless: the grades are saved)
            warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


@contextmanager
def _environ(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# ----------------------------------------------------------------------------- grading


def _submissions(folder: Path, assignments: set[str]) -> dict[str, dict[str, Path]]:
    """``{student: {assignment: notebook}}`` from ``folder/<student>/<assignment>.ipynb``."""
    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder not found: {folder}")
    found = {}
    for student in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not re.fullmatch(r"[A-Za-z0-9_.@+-]+", student.name):
            raise ValueError(f"student folder {student.name!r}: use letters, digits and _ . @ + - only")
        notebooks = {}
        for path in sorted(student.glob("*.ipynb")):
            if path.stem in assignments:
                notebooks[path.stem] = path
            else:
                print(f"warning: {path} is not a notebook of the release: skipped", file=sys.stderr)
        found[student.name] = notebooks
    if not found:
        raise ValueError(f"no student folders in {folder} (expected {folder}/<student>/NN_name.ipynb)")
    return found


def autograde(submissions_dir, out_csv="grades.csv", course_dir="_instructor", *, fast: bool | None = None,
              progress: bool = True) -> list[dict]:
    """Grade ``submissions_dir/<student>/NN_name.ipynb`` against the release of ``course_dir`` (see the module).

    Writes ``out_csv`` and returns its rows.  ``fast`` sets FAST for the kernels (default: the environment's
    FAST, else 1).
    """
    course = Path(course_dir)
    if not (course / MARKER).is_file() or not (course / "gradebook.db").is_file():
        raise FileNotFoundError(f"no release in {course}: build it with `make student` (and hand out that release)")
    from nbgrader.api import Gradebook, MissingEntry

    db_url = f"sqlite:///{(course / 'gradebook.db').resolve()}"
    fast_value = ("1" if fast else "0") if fast is not None else os.environ.get("FAST", "1")
    status = {}
    with _environ(FAST=fast_value), _nbgrader_env():
        api = _api(course)
        with Gradebook(db_url) as gb:
            assignments = {a.name: [nb.name for nb in a.notebooks] for a in gb.assignments}
        students = _submissions(Path(submissions_dir), set(assignments))
        for student, notebooks in students.items():
            for assignment, path in notebooks.items():
                dest = course / "submitted" / student / assignment
                if dest.exists():
                    shutil.rmtree(dest)
                dest.mkdir(parents=True)
                shutil.copy2(path, dest / f"{assignment}.ipynb")
                if progress:
                    print(f"grading {student}/{assignment} ...", file=sys.stderr, flush=True)
                result = api.autograde(assignment, student, force=True, create=True)
                status[student, assignment] = "graded" if result.get("success") else "error"
                if not result.get("success"):
                    print(f"error: nbgrader could not grade {path}:\n{result.get('error') or result.get('log')}",
                          file=sys.stderr)
        rows = []
        with Gradebook(db_url) as gb:
            for student in students:
                for assignment, names in sorted(assignments.items()):
                    for name in names:
                        cells = sorted(gb.find_notebook(name, assignment).grade_cells,
                                       key=lambda c: _exercise_key(exercise_of(c.name)))
                        for cell in cells:
                            state, score = status.get((student, assignment), "missing"), 0.0
                            if state == "graded":
                                try:
                                    score = float(gb.find_grade(cell.name, name, assignment, student).score)
                                except MissingEntry:
                                    state = "error"
                            rows.append({"student": student, "notebook": name, "exercise": exercise_of(cell.name),
                                         "score": score, "max_score": float(cell.max_score), "status": state})
    out = Path(out_csv)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows({**r, "score": f"{r['score']:g}", "max_score": f"{r['max_score']:g}"} for r in rows)
    return rows


def _strip_markers(source: str) -> str:
    """An instructor's cell as a student who found the solution would write it: the region's code, unmarked."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION))


def model_submission(course_dir, assignment: str):
    """The released notebook of ``assignment`` with every answer cell filled in from the instructor's source."""
    course = Path(course_dir)
    source = _read(course / "source" / assignment / f"{assignment}.ipynb")
    released = _read(course / "release" / assignment / f"{assignment}.ipynb")
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in released.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = _strip_markers(answers[meta["grade_id"]])
    return released


def model_submissions(out_dir, course_dir="_instructor", student: str = "model", assignments=None) -> Path:
    """Write ``out_dir/<student>/NN_name.ipynb``: every notebook (or ``assignments``) answered by the solutions."""
    import nbformat

    course = Path(course_dir)
    names = assignments or sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    folder = Path(out_dir) / student
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        nbformat.write(model_submission(course, name), folder / f"{name}.ipynb")
    return folder


# ----------------------------------------------------------------------------- command line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rdbm_course.release",
                                     description="The course's nbgrader release: student notebooks without the "
                                                 "solutions, and autograding of the returned notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("student", help="build the nbgrader course folder and the student notebooks (make student)")
    p.add_argument("--notebooks", default="notebooks", help="folder of the notebooks and of solutions/")
    p.add_argument("--out", default="_student", help="the student notebooks (replaced whole)")
    p.add_argument("--course", default="_instructor", help="nbgrader's course folder (replaced whole)")
    p.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_S, help="seconds per cell when grading")
    p = sub.add_parser("autograde", help="grade SUBMISSIONS/<student>/NN_name.ipynb into a CSV (make autograde)")
    p.add_argument("submissions", help="folder with one folder of returned notebooks per student")
    p.add_argument("--out", default="grades.csv", help="the CSV of scores per exercise")
    p.add_argument("--course", default="_instructor", help="the course folder built by `student`")
    p = sub.add_parser("model", help="write a submissions folder answered by the worked solutions")
    p.add_argument("out", help="submissions folder to write (its student is 'model')")
    p.add_argument("--course", default="_instructor", help="the course folder built by `student`")
    p.add_argument("--only", nargs="*", help="these notebooks only (names without .ipynb)")
    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            written = build_release(args.notebooks, args.out, args.course, timeout=args.timeout)
            print(f"wrote {len(written)} student notebooks to {args.out}/ (nbgrader's course folder: {args.course}/)")
        elif args.command == "autograde":
            rows = autograde(args.submissions, args.out, args.course)
            students = sorted({r["student"] for r in rows})
            for s in students:
                mine = [r for r in rows if r["student"] == s]
                print(f"{s}: {sum(r['score'] for r in mine):g} / {sum(r['max_score'] for r in mine):g} points")
            print(f"wrote {args.out}: {len(rows)} rows (student, notebook, exercise)")
        else:
            folder = model_submissions(args.out, args.course, assignments=args.only)
            print(f"wrote {folder}/: grade it with `make autograde SUBMISSIONS={args.out}` (full marks expected)")
    except (ValueError, OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
