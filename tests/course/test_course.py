"""The course guide (docs/COURSE.md) covers every notebook and every exercise, with measured times."""
import importlib.util
import os
import re
from pathlib import Path

from rdbm_course.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]
COURSE = (ROOT / "docs" / "COURSE.md").read_text()
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]*_*.py"))  # 01_x, 02a_x, ...
TIMES = ROOT / "benchmarks" / "results" / "notebook_times.csv"


def _notebook_times():
    """benchmarks/notebook_times.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("notebook_times", ROOT / "benchmarks" / "notebook_times.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lectures() -> dict[str, str]:
    parts = re.split(r"^### (Lecture \d+.*)$", COURSE, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_every_notebook_is_taught_in_exactly_one_lecture():
    lectures = _lectures()
    from rdbm_course.slides import read_lectures  # the plan of make slides: one lecture of COURSE.md each
    assert len(lectures) == len(read_lectures(ROOT / "docs" / "lectures.toml")) >= 3
    for name in NOTEBOOKS:
        holders = [title for title, text in lectures.items() if f"`{name}`" in text]
        assert len(holders) == 1, f"{name} appears in lectures {holders}"


def test_every_exercise_is_listed_under_its_notebooks_lecture():
    lectures = _lectures()
    for ex in EXERCISES.values():
        notebook = next(n for n in NOTEBOOKS if n.startswith(ex.id.split(".")[0] + "_"))
        holders = [text for text in lectures.values() if f"**{ex.id}** ({ex.kind})" in text]
        assert len(holders) == 1, f"exercise {ex.id} ({ex.kind}) is listed {len(holders)} times"
        assert f"`{notebook}`" in holders[0], f"exercise {ex.id} is not in the lecture of {notebook}"


def test_time_table_is_the_measured_csv_for_every_notebook_and_solution():
    notebook_times = _notebook_times()
    table = notebook_times.table(TIMES)
    for name in [f"{n}.ipynb" for n in NOTEBOOKS] + [f"solutions/{n}_solutions.ipynb" for n in NOTEBOOKS]:
        line = next((ln for ln in table.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert line is not None and "—" not in line, f"{TIMES.name} lacks a full- or fast-mode time of {name}"
    assert table in COURSE, "docs/COURSE.md does not quote `python benchmarks/notebook_times.py --table`"


def test_notebook_times_writes_back_only_when_asked(tmp_path):
    """One run measures a notebook and, with write_back, stores its outputs (and FAST=0 reaches the kernel).
    Mutation tried: ignoring write_back leaves the file without outputs and fails the second assertion."""
    import nbformat

    notebook_times = _notebook_times()
    fast_before = os.environ.get("FAST")
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nprint('FAST =', os.environ.get('FAST'))")]), path)
    before = path.read_text()
    assert notebook_times.run_notebook(path, fast=False, timeout=60) > 0 and path.read_text() == before
    notebook_times.run_notebook(path, fast=False, timeout=60, write_back=True)
    outputs = nbformat.read(path, as_version=4).cells[0].outputs
    assert [o["text"] for o in outputs] == ["FAST = 0\n"]
    assert "execution" not in nbformat.read(path, as_version=4).cells[0].metadata  # no timing metadata written
    assert os.environ.get("FAST") == fast_before  # the caller's environment is left as it was


def test_time_table_formats_durations():
    notebook_times = _notebook_times()
    assert [notebook_times.duration(s) for s in (9.6, 119.4, 1152.0)] == ["10 s", "119 s", "19.2 min"]


def test_nothing_in_the_repository_points_outside_it():
    """The theory reference is docs/theory.md: no tracked text file cites the developers' background file or any
    path above the repository.  Mutation tried: the old README line citing the background file fails it."""
    import subprocess
    root = Path(__file__).resolve().parents[2]
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    OUTSIDE = ("shared" + "/theory", ".." + "/shared")  # split so that this file does not match itself
    for name in files:
        if not name.endswith((".py", ".md", ".ipynb", ".toml", ".cfg", "Makefile")):
            continue
        text = (root / name).read_text(errors="ignore")
        if any(p in text for p in OUTSIDE):
            offenders.append(name)
    assert offenders == [], offenders
