"""evaluate --perceptual, --draws and --distribution end to end: the JSON, the items CSV, compare on a distance,
the one-line errors; and the metric registry that says which way each metric ranks."""
import csv
import json

import pytest

from rdbm_core.restoration import evaluation
from rdbm_core.evidence import perceptual
from rdbm_core.cli import main
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.restoration.evaluation import item_columns
from rdbm_core.evidence.metrics import DRAW_KEYS, LOWER_IS_BETTER, METRIC_KEYS, PERCEPTUAL_KEYS, UNRANKED, better

needs_weights = pytest.mark.skipif(not perceptual.available(), reason='needs the extra: pip install -e ".[perceptual]"')


def _run(capsys, *args):
    """``main(["evaluate", ...])``: (exit code, stdout, stderr)."""
    code = main(["evaluate", "--task", "derain", "--images", "2", "--steps", "2", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@needs_weights
def test_perceptual_in_json_items_and_compare(tiny_checkpoint, tmp_path, capsys):
    items = tmp_path / "items.csv"
    code, out, _ = _run(capsys, "--checkpoint", tiny_checkpoint, "--perceptual", "--json", "--items", items,
                        "--method", "a")
    assert code == 0
    res = json.loads(out)
    bench = HeldOutBenchmark("derain", 2)
    for i, row in enumerate(res["images"]):
        assert 0 < row["lpips_st"] < 1
        assert row["input_lpips_st"] == pytest.approx(perceptual.lpips_st(bench[i]["mu"], bench[i]["x0"]), abs=1e-6)
    assert res["summary"]["lpips_st"] == pytest.approx(sum(r["lpips_st"] for r in res["images"]) / 2)
    assert _run(capsys, "--checkpoint", tiny_checkpoint, "--perceptual", "--steps", "3", "--items", items,
                "--method", "b")[0] == 0
    rows = _read(items)
    assert tuple(rows[0]) == item_columns(perceptual=True) and len(rows) == 4
    assert main(["compare", str(items), "--a", "a", "--b", "b", "--metric", "lpips_st", "--json"]) == 0
    task = json.loads(capsys.readouterr().out)["tasks"][0]
    by = {(r["method"], r["item"]): float(r["lpips_st"]) for r in rows}
    assert task["mean"] == pytest.approx(sum(by["a", i] - by["b", i] for i in ("0", "1")) / 2, abs=1e-9)


@needs_weights
def test_rows_with_lpips_do_not_go_into_a_csv_without_it(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    items = tmp_path / "items.csv"
    assert _run(capsys, "--checkpoint", tiny_checkpoint, "--items", items)[0] == 0

    def no_work(*args, **kwargs):
        raise AssertionError("the columns are checked before the restorations")

    monkeypatch.setattr(evaluation, "evaluate", no_work)
    code, out, err = _run(capsys, "--checkpoint", tiny_checkpoint, "--items", items, "--perceptual")
    assert code == 2 and err.count("\n") == 1 and "cannot append rows with the columns" in err and "lpips_st" in err
    assert len(_read(items)) == 2


def test_draws_in_json_and_items(tiny_checkpoint, tmp_path, capsys):
    items = tmp_path / "items.csv"
    code, out, _ = _run(capsys, "--checkpoint", tiny_checkpoint, "--sampler", "implicit", "--eta", "1",
                        "--draws", "2", "--json", "--items", items)
    assert code == 0
    res = json.loads(out)
    keys = [k for k in DRAW_KEYS if not k.startswith("lpips")]
    assert all(set(keys) <= set(row) for row in res["images"])
    assert res["summary"]["draws"] == 2 and 0.6 < res["summary"]["coverage_2sd_nominal"] < 0.7
    assert tuple(_read(items)[0]) == item_columns(draws=True)
    code, out, _ = _run(capsys, "--checkpoint", tiny_checkpoint, "--sampler", "euler-maruyama", "--draws", "2")
    assert code == 0 and "2 draws per item" in out and "calibrated draws: 0.650" in out


@pytest.mark.parametrize("args, message", [
    (["--draws", "0"], "--draws must be an integer >= 2"),
    (["--draws", "3"], "--sampler implicit with --eta 0 is deterministic"),
    (["--draws", "3", "--sampler", "heun"], "--sampler heun is deterministic"),
    (["--draws", "3", "--sampler", "dbim"], "--sampler dbim is deterministic"),
])
def test_bad_draws_are_one_line(tiny_checkpoint, capsys, args, message):
    code, out, err = _run(capsys, "--checkpoint", tiny_checkpoint, *args)
    assert code == 2 and err.count("\n") == 1 and message in err and out == ""


def test_distribution_in_the_summary(tiny_checkpoint, capsys):
    code, out, _ = _run(capsys, "--checkpoint", tiny_checkpoint, "--images", "4", "--distribution", "--json")
    assert code == 0
    s = json.loads(out)["summary"]
    assert 0 < s["swd_low"] <= s["swd_high"] and s["swd"] > 0 and s["input_swd"] > 0
    assert len(s["spectrum_db"]) == len(s["input_spectrum_db"]) == 8 and len(s["spectrum_edges"]) == 9
    code, out, err = _run(capsys, "--checkpoint", tiny_checkpoint, "--crop", "0", "--distribution", "--json")
    assert code == 2 and "items of one size" in err and err.count("\n") == 1


def test_which_way_each_metric_ranks():
    assert better("lpips_st") == better("input_lpips_st") == better("lpips_st_mean_of_draws") == "lower"
    assert better("psnr") == better("ssim_y_intact") == better("psnr_mean_of_draws") == "higher"
    assert better("coverage_2sd") is None and better("spread") is None
    known = {*METRIC_KEYS, *PERCEPTUAL_KEYS, *DRAW_KEYS, "swd"}
    assert LOWER_IS_BETTER <= known and UNRANKED <= known and not LOWER_IS_BETTER & UNRANKED
