"""How long a student needs per notebook: the workload table of docs/COURSE.md, counted from the notebooks.

    python benchmarks/course_workload.py            # print the table
    python benchmarks/course_workload.py --write    # rewrite the table (and the syllabus' hours) in docs/COURSE.md

The rule is the one docs/COURSE.md states under "How long a student needs" (:data:`RATES`): the words of the
markdown cells (whitespace-separated tokens, so a LaTeX token counts as a word), the displayed derivations (the
``text/latex`` outputs of the executed notebook: what ``rdbm_course.mathshow`` displays), the non-blank lines of the
code cells, the figures (``image/png`` outputs), the machine time (the latest full-mode wall time of
``benchmarks/results/notebook_times.csv``, rounded up to whole minutes), the explorer's widget time (notebook 09)
and the exercises by kind (``rdbm_course.exercises.EXERCISES``). "Read and run" is rounded to 5 minutes; the hours
are rounded to 0.1. ``tests/course/test_course.py`` checks that docs/COURSE.md holds what this script computes.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMES = ROOT / "benchmarks" / "results" / "notebook_times.csv"
COURSE = ROOT / "docs" / "COURSE.md"
#: minutes per unit: words of prose, displayed derivations, code lines, figures; exercises by kind
RATES = {"words": 1 / 150, "derivations": 0.5, "code": 1 / 10, "figures": 2.0}
EXERCISE_MINUTES = {"derive": 45, "implement": 30, "predict": 10}
#: minutes of moving widgets, for the notebooks that have them
WIDGET_MINUTES = {"09": 15}
HEADER = ("| notebook | prose (words) | derivations shown | code (lines) | figures | machine (min) | exercises "
          "(derive / implement / predict) | read and run (min) | exercises (min) | total (h) |")


def notebook_number(path: Path) -> str:
    """``"02a"`` for ``02a_marginal_and_posterior.ipynb``."""
    return path.name.split("_", 1)[0]


def sizes(path: Path) -> dict:
    """The counts of one executed notebook: words, derivations, code lines, figures."""
    nb = json.loads(path.read_text())
    text = lambda cell: "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]  # noqa: E731
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    return {"words": sum(len(text(c).split()) for c in nb["cells"] if c["cell_type"] == "markdown"),
            "derivations": sum("text/latex" in o.get("data", {}) for o in outputs),
            "code": sum(1 for c in nb["cells"] if c["cell_type"] == "code" for line in text(c).splitlines()
                        if line.strip()),
            "figures": sum("image/png" in o.get("data", {}) for o in outputs)}


def machine_minutes(times: Path = TIMES) -> dict[str, int]:
    """The latest full-mode wall time of every notebook in ``times``, in whole minutes (rounded up)."""
    with open(times, newline="") as f:
        latest = {r["notebook"]: float(r["wall_s"]) for r in csv.DictReader(f) if r["mode"] == "full"}
    return {name: math.ceil(wall / 60) for name, wall in latest.items()}


def exercise_counts() -> dict[str, dict[str, int]]:
    """Notebook number -> exercises per kind."""
    from rdbm_course.exercises import EXERCISES

    counts: dict[str, dict[str, int]] = {}
    for ex in EXERCISES.values():
        counts.setdefault(ex.id.split(".")[0], dict.fromkeys(EXERCISE_MINUTES, 0))[ex.kind] += 1
    return counts


def workload(notebooks: Path = NOTEBOOKS, times: Path = TIMES) -> list[dict]:
    """One row per course notebook, in course order: its counts and its minutes (unrounded) and hours."""
    machine, exercises = machine_minutes(times), exercise_counts()
    rows = []
    for path in sorted(notebooks.glob("[0-9][0-9]*_*.ipynb")):
        number = notebook_number(path)
        if path.name not in machine:
            raise SystemExit(f"{path.name}: no full-mode time in {times}; run python benchmarks/notebook_times.py "
                             f"--only {number} --modes full")
        row = {"number": number, **sizes(path), "machine": machine[path.name],
               "exercises": exercises.get(number, dict.fromkeys(EXERCISE_MINUTES, 0))}
        row["read_run"] = (sum(RATES[k] * row[k] for k in RATES) + row["machine"] + WIDGET_MINUTES.get(number, 0))
        row["exercise_min"] = sum(EXERCISE_MINUTES[k] * n for k, n in row["exercises"].items())
        rows.append(row)
    return rows


def round5(minutes: float) -> int:
    """To the nearest 5 minutes."""
    return int(5 * math.floor(minutes / 5 + 0.5))


def hours(rows: list[dict]) -> float:
    """Read and run plus exercises of ``rows``, in hours (of the rounded read-and-run minutes)."""
    return sum(round5(r["read_run"]) + r["exercise_min"] for r in rows) / 60


def table(rows: list[dict], labels: dict[str, str]) -> str:
    """The Markdown table; ``labels``: notebook number -> its first column (``"01 OU process and h-transform"``)."""
    kinds = tuple(EXERCISE_MINUTES)
    lines = [HEADER, "|" + "---|" * 10]
    for r in rows:
        ex = " / ".join(str(r["exercises"][k]) for k in kinds)
        lines.append(f"| {labels.get(r['number'], r['number'])} | {r['words']} | {r['derivations']} | {r['code']} | "
                     f"{r['figures']} | {r['machine']} | {ex} | {round5(r['read_run'])} | {r['exercise_min']} | "
                     f"{hours([r]):.1f} |")
    total = {k: sum(r[k] for r in rows) for k in ("words", "derivations", "code", "figures", "machine")}
    ex = " / ".join(str(sum(r["exercises"][k] for r in rows)) for k in kinds)
    read = sum(round5(r["read_run"]) for r in rows)
    exercise = sum(r["exercise_min"] for r in rows)
    lines.append(f"| **all {len(rows)}** | {total['words']} | {total['derivations']} | {total['code']} | "
                 f"{total['figures']} | {total['machine']} | {ex} | {read} ({read / 60:.1f} h) | {exercise} "
                 f"({exercise / 60:.1f} h) | {hours(rows):.1f} |")
    return "\n".join(lines)


def current_table(course: str) -> tuple[int, int, dict[str, str]]:
    """Where docs/COURSE.md's workload table is (first and past-last line index) and its first-column labels."""
    lines = course.splitlines()
    start = lines.index(HEADER)
    end = next(k for k in range(start, len(lines)) if lines[k].startswith("| **all"))
    labels = {row.split("|")[1].strip().split(" ", 1)[0]: row.split("|")[1].strip() for row in lines[start + 2:end]}
    return start, end + 1, labels


SYLLABUS_HEADER = "| lecture | notebooks | presentation (min) | in-class exercises (min) | outside the lecture (h) |"
SYLLABUS_ROW = re.compile(r"(\| (\d+) \| ([0-9a-z, ()]+?) \| [^|]+ \| [^|]+ \| )[^|]+( \|)$")


def syllabus_rows(lines: list[str]) -> list[int]:
    """The line indices of the syllabus table's lecture rows."""
    start = lines.index(SYLLABUS_HEADER) + 2
    end = next((k for k in range(start, len(lines)) if not lines[k].startswith("|")), len(lines))
    return list(range(start, end))


def lecture_hours(listed: str, rows: list[dict]) -> str:
    """A syllabus row's "outside the lecture (h)" for its notebooks ``listed`` (``"02a, 02b"``); an optional
    notebook (``"08 (11 optional)"``) gives ``"2.8 (4.3 with 11)"``."""
    by_number = {r["number"]: r for r in rows}
    optional = re.findall(r"\((\w+) optional\)", listed)
    core = [n.strip() for n in re.sub(r"\(.*?\)", "", listed).split(",") if n.strip()]
    text = f"{hours([by_number[n] for n in core]):.1f}"
    if optional:
        text += f" ({hours([by_number[n] for n in core + optional]):.1f} with {', '.join(optional)})"
    return text


def rewrite(course: str, rows: list[dict]) -> str:
    """docs/COURSE.md with the workload table and the syllabus' hours replaced by what ``rows`` give."""
    start, end, labels = current_table(course)
    lines = course.splitlines()
    lines[start:end] = table(rows, labels).splitlines()
    for k in syllabus_rows(lines):
        m = SYLLABUS_ROW.match(lines[k])
        if m is None:
            raise SystemExit(f"docs/COURSE.md: syllabus row not understood: {lines[k]}")
        lines[k] = f"{m.group(1)}{lecture_hours(m.group(3), rows)}{m.group(4)}"
    return "\n".join(lines) + ("\n" if course.endswith("\n") else "")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--write", action="store_true", help="rewrite docs/COURSE.md's table and syllabus hours")
    args = p.parse_args(argv)
    rows = workload()
    course = COURSE.read_text()
    if args.write:
        COURSE.write_text(rewrite(course, rows))
        print(f"wrote {COURSE.relative_to(ROOT)}")
    else:
        print(table(rows, current_table(course)[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
