"""docs/COURSE.md's workload table is what benchmarks/course_workload.py counts from the notebooks (so a revised
notebook cannot leave it stale), and the counts follow the rule the guide states."""
import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _workload():
    """benchmarks/course_workload.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("course_workload", ROOT / "benchmarks" / "course_workload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_course_guide_holds_the_counted_workload():
    workload = _workload()
    course = (ROOT / "docs" / "COURSE.md").read_text()
    assert workload.rewrite(course, workload.workload()) == course, (
        "docs/COURSE.md's workload table or syllabus hours are stale: run python benchmarks/course_workload.py --write")


def test_counts_follow_the_stated_rule(tmp_path):
    """Mutations that fail: words counted without LaTeX tokens, blank code lines counted, text/markdown outputs
    (exercise feedback) counted as derivations, machine time rounded down instead of up."""
    workload = _workload()
    cell = lambda kind, source, outputs=(): {"cell_type": kind, "source": source, "metadata": {},  # noqa: E731
                                           **({"outputs": list(outputs), "execution_count": 1} if kind == "code" else {})}
    nb = {"cells": [cell("markdown", "One two $x_t$ three.\n\nFour $\\theta$"),
                    cell("code", "a = 1\n\n  \nb = 2  # two lines\n", [
                        {"output_type": "display_data", "data": {"text/latex": "$x$", "text/plain": "x"}, "metadata": {}},
                        {"output_type": "display_data", "data": {"text/markdown": "ok", "text/plain": "ok"}, "metadata": {}},
                        {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}])],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "01_toy.ipynb").write_text(json.dumps(nb))
    assert workload.sizes(tmp_path / "01_toy.ipynb") == {"words": 6, "derivations": 1, "code": 2, "figures": 1}
    times = tmp_path / "times.csv"
    times.write_text("notebook,mode,wall_s,cpu,date\n01_toy.ipynb,full,61.0,x,d\n01_toy.ipynb,fast,5.0,x,d\n")
    rows = workload.workload(tmp_path, times)
    assert rows[0]["machine"] == 2 and rows[0]["number"] == "01"
    assert workload.round5(rows[0]["read_run"]) == 5  # 6/150 + 0.5 + 0.2 + 2 + 2 = 4.74 minutes
