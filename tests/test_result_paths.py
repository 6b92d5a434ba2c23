"""No committed result names an absolute or temporary-directory path: a newcomer's clone has neither, so every
command and file a result cites must be relative to the repository. Mutation that fails: a provenance record with
``--runs /tmp/x`` in its argv."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULT_FOLDERS = ("benchmarks/results", "experiments/results", "rdbm_course/pretrained")
TEXT_SUFFIXES = {".csv", ".json", ".txt", ".md", ".toml"}
ABSOLUTE = re.compile(r"(?<![\w.~])(/tmp/|/var/folders/|/home/\w|/Users/\w|/work/\w|/root/\w|[A-Z]:\\\\)")


def offending_lines(text: str) -> list[str]:
    """The lines of ``text`` that name an absolute or temporary-directory path."""
    return [line.strip()[:160] for line in text.splitlines() if ABSOLUTE.search(line)]


def test_the_pattern_finds_absolute_paths_and_spares_relative_ones():
    assert offending_lines('"argv": ["--runs", "/tmp/ladder"]') and offending_lines("run in /home/alice/x")
    assert offending_lines("C:\\\\Users\\\\bob") and offending_lines("--workdir /work/main/runs")
    assert not offending_lines("experiments/results/plane/points.csv, runs/budget_ladder, 1/2 of 4/5, 12 MP/s")


def test_no_committed_result_names_an_absolute_path():
    found = []
    for folder in RESULT_FOLDERS:
        for file in sorted((ROOT / folder).rglob("*")):
            if file.suffix in TEXT_SUFFIXES and file.is_file():
                found += [f"{file.relative_to(ROOT)}: {line}" for line in offending_lines(file.read_text(errors="replace"))]
    assert not found, "\n".join(found[:20])
