"""Wall time of every notebook (and every solution notebook), in fast and in full mode.

    python benchmarks/notebook_times.py [--modes fast full] [--only 01 02 ...] [--solutions/--no-solutions]
    python benchmarks/notebook_times.py --table      # the Markdown table of docs/COURSE.md, from the CSV

Each notebook is executed top to bottom in a fresh kernel, in its own folder (as JupyterLab and
nbval run it), with ``FAST=1`` or ``FAST=0``; nothing is written back to the notebook. The time
includes the kernel start and the imports, i.e. what a reader waits for after "Run all".
Rows are appended to ``benchmarks/results/notebook_times.csv`` (``notebook, mode, wall_s, cpu,
date``) and a table is printed; ``docs/COURSE.md`` quotes these numbers.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "benchmarks" / "results" / "notebook_times.csv"
FIELDS = ["notebook", "mode", "wall_s", "cpu", "date"]


def notebooks(solutions: bool, only: list[str]) -> list[Path]:
    """The course notebooks in order, then their solutions; ``only`` keeps those whose path in ``notebooks/``
    starts so (``01``, ``solutions/``, ``solutions/01``)."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))  # 01_x, 02a_x, ...
    if solutions:
        found += sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]*_*.ipynb"))
    return [p for p in found if not only or any(str(p.relative_to(NOTEBOOKS)).startswith(o) for o in only)]


def cpu_model() -> str:
    """The CPU's model name (Linux), else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def drop_progress_widgets(nb) -> int:
    """Remove the widget outputs (tqdm.auto's progress bars) from an executed notebook and its widget state;
    return how many were removed. A committed bar would read "0%" in every static view (the book, a web
    viewer): its text form is the one it had when it was first displayed."""
    removed = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            kept = [o for o in cell.outputs if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
            removed += len(cell.outputs) - len(kept)
            cell.outputs = kept
    nb.metadata.pop("widgets", None)
    return removed


def run_notebook(path: Path, fast: bool, timeout: int, write_back: bool = False) -> float:
    """Execute ``path`` in a fresh kernel in its own folder; return the wall time in seconds.  With
    ``write_back`` the executed notebook, without its progress widgets (:func:`drop_progress_widgets`),
    replaces ``path`` (as ``jupyter nbconvert --execute --inplace``), so one full-mode run both measures a long
    notebook and refreshes its committed outputs."""
    nb = nbformat.read(path, as_version=4)
    before = os.environ.get("FAST")
    os.environ["FAST"] = "1" if fast else "0"  # the kernel inherits this process's environment
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        client.execute()
        wall = time.perf_counter() - t0
    finally:
        if before is None:
            os.environ.pop("FAST", None)
        else:
            os.environ["FAST"] = before
    if write_back:
        drop_progress_widgets(nb)
        nbformat.write(nb, path)
    return wall


def duration(seconds: float) -> str:
    """``"14 s"`` below two minutes, else ``"19.2 min"``."""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def table(path: Path = RESULTS) -> str:
    """The Markdown table of the latest full- and fast-mode time of every notebook in ``path`` that still exists in
    ``notebooks/`` (rows of a renamed or split notebook stay in the CSV as history): the notebooks in course order,
    then their solutions."""
    with open(path, newline="") as f:
        latest = {(r["notebook"], r["mode"]): float(r["wall_s"]) for r in csv.DictReader(f)
                  if (NOTEBOOKS / r["notebook"]).exists()}
    names = sorted({name for name, _ in latest}, key=lambda name: (name.startswith("solutions/"), name))
    lines = ["| notebook | full mode | fast mode (`FAST=1`) |", "|---|---|---|"]
    for name in names:
        cells = [duration(latest[(name, m)]) if (name, m) in latest else "—" for m in ("full", "fast")]
        lines.append(f"| `{name}` | {cells[0]} | {cells[1]} |")
    totals = [sum(v for (_, m), v in latest.items() if m == mode) for mode in ("full", "fast")]
    lines.append(f"| **all {len(names)}** | {duration(totals[0])} | {duration(totals[1])} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", nargs="+", choices=["fast", "full"], default=["fast", "full"])
    p.add_argument("--only", nargs="*", default=[], help="prefixes of paths in notebooks/, e.g. 01 04 solutions/")
    p.add_argument("--solutions", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    p.add_argument("--out", type=Path, default=RESULTS, help="the CSV to append to (or to read with --table)")
    p.add_argument("--table", action="store_true", help="print the Markdown table of the CSV and stop")
    p.add_argument("--write-back", action="store_true",
                   help="in full mode, write each executed notebook back to its file (its committed outputs)")
    args = p.parse_args(argv)
    if args.table:
        print(table(args.out))
        return 0
    paths = notebooks(args.solutions, args.only)
    if not paths:
        p.error(f"no notebook matches {args.only}")
    cpu = f"{cpu_model()}, {os.cpu_count()} cores"
    new_file = not args.out.exists()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"{'notebook':<52} {'mode':>5} {'wall s':>8}")
    with open(args.out, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        for mode in args.modes:
            for path in paths:
                wall = run_notebook(path, mode == "fast", args.timeout, args.write_back and mode == "full")
                name = str(path.relative_to(NOTEBOOKS))
                writer.writerow({"notebook": name, "mode": mode, "wall_s": f"{wall:.1f}", "cpu": cpu,
                                 "date": datetime.date.today().isoformat()})
                f.flush()
                print(f"{name:<52} {mode:>5} {wall:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
