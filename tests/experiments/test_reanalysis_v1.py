"""Reanalysis v1: the old intervals it recomputes are the README's, the new ones are rdbm_core.evidence.stats' defaults,
and the committed table is what the script writes."""
import csv
import json

import pytest

from experiments import STUDIES, reanalysis_v1 as rean
from rdbm_core.evidence.stats import load_items


@pytest.fixture(scope="module")
def bridge_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reanalysis")
    assert rean.main(["--family", "bridge_table", "--stability", "1", "--out", str(out)]) == 0
    with open(out / "verdicts.csv") as f:
        verdicts = list(csv.DictReader(f))
    with open(out / "counts.csv") as f:
        counts = list(csv.DictReader(f))
    return out, verdicts, counts


def _cell(rows, task, b):
    (row,) = [r for r in rows if r["task"] == task and r["b"] == b]
    return row


def test_old_intervals_are_the_readme_table(bridge_run):
    """Three cells of the README's table, and its 13 bold cells (the old design, 2000 draws, seed 0).

    Mutation caught: computing the 'old' column with the hierarchical design (RDBM - GOUB on deraining would read
    [-0.87, +0.01])."""
    _, verdicts, counts = bridge_run
    got = {(t, b): (round(float(_cell(verdicts, t, b)["mean"]), 2), round(float(_cell(verdicts, t, b)["old_low"]), 2),
                    round(float(_cell(verdicts, t, b)["old_high"]), 2))
           for t, b in (("derain", "goub"), ("derain", "regression"), ("lowlight", "rdbm-global"))}
    assert got == {("derain", "goub"): (-0.48, -0.72, -0.20), ("derain", "regression"): (-1.53, -2.14, -0.90),
                   ("lowlight", "rdbm-global"): (0.51, 0.07, 0.90)}
    (c,) = counts
    assert (c["n"], c["old_established"]) == ("24", "13")


def test_new_columns_are_the_library_defaults(bridge_run):
    """The new verdict of RDBM - GOUB on deraining: the hierarchical interval contains 0, the t interval does not."""
    _, verdicts, counts = bridge_run
    row = _cell(verdicts, "derain", "goub")
    assert row["old_verdict"] == "b" and row["verdict"] == "tie" and row["changed"] == "True"
    assert float(row["low"]) < 0 < float(row["high"]) and float(row["t_high"]) < 0
    assert row["photographs"] == "4" and row["seeds"] == "3" and int(row["draws"]) >= 10_000
    (c,) = counts
    assert (c["established"], c["holm"], c["bh"], c["undecided"]) == ("7", "3", "4", "0")


def test_provenance_names_the_inputs_and_the_command(bridge_run):
    out, _, _ = bridge_run
    record = json.loads((out / "provenance.json").read_text())
    assert set(record["inputs"]) == {f"benchmarks/results/{f}" for f in rean.INPUTS}
    assert all(len(h) == 64 for h in record["inputs"].values())
    assert record["argv"][0] == "python -m experiments reanalysis_v1" and "reanalysis_v1" in STUDIES


def test_committed_bridge_rows_are_what_the_script_writes(bridge_run):
    _, verdicts, _ = bridge_run
    with open(rean.FOLDER / "verdicts.csv") as f:
        committed = [r for r in csv.DictReader(f) if r["family"] == "bridge_table"]
    assert committed == verdicts


def test_every_family_names_methods_the_csvs_have():
    """Each comparison's two methods are in its source CSV on its task (a typo in a family would fail here)."""
    sizes = {name: len(comparisons) for name, (_, comparisons) in rean.FAMILIES.items()}
    assert sizes == {"bridge_table": 24, "bridges_vs_regression": 81, "modulated_vs_global": 36,
                     "intact_modulated_vs_global": 24, "cross_sampling": 48}
    methods = {}
    for name, file in (("bridge", "bridge_comparison_items.csv"), ("modulation", "modulation_study_items.csv"),
                       ("cross", "where_error_goes_cross_items.csv")):
        methods[name] = {(r["task"], r["method"]) for r in load_items(rean.BENCH / file)}
    methods["cross"] |= methods["modulation"]
    missing = [(src, t, m) for _, comparisons in rean.FAMILIES.values() for src, t, _, a, b in comparisons
               for m in (a, b) if (t, m) not in methods[src]]
    assert missing == []
