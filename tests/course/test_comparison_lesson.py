"""rdbm_course.comparison_lesson: the helpers of notebook 07 read the committed bridge comparison as its analysis
wrote it (no training here: the notebook's appendix checks the retrained networks against networks.csv)."""
from pathlib import Path

from rdbm_course import comparison_lesson as cl


def _row(verdict, holm="False", bh="False", t=(0.1, 0.2), metric="psnr"):
    return {"family": "rdbm-eta0", "task": "derain", "a": "rdbm-eta0", "b": "goub-eta0", "metric": metric,
            "mean": "-0.5", "low": "-0.9", "high": "-0.1", "t_low": str(t[0]), "t_high": str(t[1]),
            "verdict": verdict, "holm": holm, "bh": bh, "p_value": "0.01"}


def test_verdict_codes_and_marks():
    """The verdict words map to a / b / tie / None; a table cell is bold with its winner and its marks, and
    '(t ∋ 0)' exactly when the t interval contains 0."""
    assert cl.verdict_code(_row("rdbm-eta0 better")) == "a"
    assert cl.verdict_code(_row("goub-eta0 better")) == "b"
    assert cl.verdict_code(_row("no difference established")) == "tie"
    assert cl.verdict_code(_row("no verdict (2 seeds)")) is None
    table = cl.verdict_table([_row("goub-eta0 better", "True", "True", t=(-0.8, -0.2))], lambda r: "x")
    assert "**-0.50 [-0.90, -0.10] goub** HB |" in table and "t ∋ 0" not in table
    table = cl.verdict_table([_row("goub-eta0 better", "False", "True", t=(-0.8, 0.2))], lambda r: "x")
    assert "goub** B (t ∋ 0)" in table


def test_multiplicity_table_agrees_with_the_analysis():
    """Holm's and BH's decisions recomputed from the p-values of the family RDBM x PSNR are the analysis' own
    (its holm / bh columns); the table is sorted by p."""
    study = cl.load_study()
    rows = [r for r in cl.family(study, "rdbm-eta0") if r["metric"] == "psnr"]
    table, kept = cl.multiplicity_table(rows, shown=len(rows))
    assert kept["holm"] == sum(r["holm"] == "True" for r in rows)
    assert kept["bh"] == sum(r["bh"] == "True" for r in rows)
    assert kept["m"] == len(rows) == 21
    shown = [line.split(" | ")[2] for line in table.splitlines()[2:]]
    values = [0.0 if p.startswith("<") else float(p) for p in shown]
    assert values == sorted(values)


def test_the_study_is_found_from_anywhere_in_a_checkout(tmp_path):
    """From a folder outside the clone the study is found beside the package; its seeds are the analysis'."""
    assert cl.find_study(tmp_path) == Path(cl.__file__).resolve().parents[1] / cl.STUDY_SUBDIR
    study = cl.load_study()
    assert all(len(study.seeds[t]) >= 3 for t in cl.TASKS) and study.labels("derain")[0] == "input"
