"""The plane study: points and paired gaps to regression from a study's CSVs, mean-of-draws points, seeds that
every point shares, a figure per task."""
import numpy as np

from experiments import axes, plane
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.restoration.evaluation import item_columns
from experiments.networks import SET_COLUMNS


def _write(tmp_path, shift_psnr=-1.0, shift_lpips=0.02):
    """Regression and a bridge (eta0, eta1x8 with draws) on 4 seeds x 12 items of 4 photographs; the bridge
    is ``shift_psnr`` dB and ``shift_lpips`` away from regression on every item, plus noise."""
    rng = np.random.default_rng(0)
    cols = item_columns(perceptual=True, draws=True)
    rows, sets = [], []
    for seed in range(4):
        for method, dp, dl in (("regression", 0, 0), ("rdbm-eta0", shift_psnr, shift_lpips),
                               ("rdbm-eta1x8", shift_psnr - 0.5, shift_lpips / 2)):
            for i in range(12):
                base = 25 + i % 4
                r = {k: "nan" for k in cols}
                r.update(task="derain", method=method, seed=seed, item=i, image=f"p{i % 4}@{i},0",
                         psnr=base + dp + 0.05 * rng.standard_normal(), lpips_st=0.2 + dl + 0.001 * rng.standard_normal())
                if method.endswith("x8"):
                    r.update(psnr_mean_of_draws=base + shift_psnr + 0.3, lpips_st_mean_of_draws=0.2 + shift_lpips * 2)
                rows.append(r)
            sets.append({"task": "derain", "method": method, "seed": seed, "swd": 100 + 10 * (method != "regression"),
                         "swd_low": 0, "swd_high": 0, "input_swd": 0, "wall_s": 0})
    # a seed only one method has: left out of every point
    rows.append({**rows[0], "seed": 9})
    append_rows(tmp_path / "items.csv", rows, cols)
    append_rows(tmp_path / "sets.csv", sets, SET_COLUMNS)


def test_split_label():
    assert plane.split_label("rdbm-global-eta1x8-mean") == ("rdbm-global", "eta1x8-mean")
    assert plane.split_label("goub-em100") == ("goub", "em100") and plane.split_label("regression") == ("regression", "")


def test_points_and_gaps_of_a_known_study(tmp_path, monkeypatch):
    """Mutations that fail: the gap taken as reference - method (signs flip); the mean-of-draws point given the
    first draw's values; the extra seed of one method let into the points; every gap restricted to the seeds that
    all points share (the pair with a fifth seed would keep four)."""
    _write(tmp_path)
    monkeypatch.setattr(plane, "SOURCE", tmp_path)
    monkeypatch.setattr(plane, "FOLDER", tmp_path / "out")
    read = plane.analyse(draws=500)
    assert read["derain"]["seeds"] == ["0", "1", "2", "3"]
    points = {r["method"]: r for r in read_rows(tmp_path / "out" / "points.csv")}
    assert set(points) == {"regression", "rdbm-eta0", "rdbm-eta1x8", "rdbm-eta1x8-mean"}
    assert float(points["rdbm-eta1x8-mean"]["psnr"]) - float(points["regression"]["psnr"]) == \
        __import__("pytest").approx(-0.7, abs=0.05)
    gaps = {(r["a"], r["metric"]): r for r in read_rows(tmp_path / "out" / "gaps.csv")}
    assert float(gaps[("rdbm-eta0", "psnr")]["mean"]) < -0.9 and gaps[("rdbm-eta0", "psnr")]["verdict"] == \
        "regression better"
    assert gaps[("rdbm-eta0", "lpips_st")]["verdict"] == "regression better"  # a larger distance is worse
    assert float(gaps[("rdbm-eta0", "swd")]["mean"]) == 10.0 and gaps[("rdbm-eta0", "swd")]["seeds"] == "4"
    assert (tmp_path / "out" / "plane_derain.png").stat().st_size > 10_000
    # a method with one seed more than another point: its gap uses every seed it shares with regression
    extra = [dict(r, seed=4) for r in read_rows(tmp_path / "items.csv") if r["method"] in ("regression", "rdbm-eta0")
             and r["seed"] == "0"]
    append_rows(tmp_path / "items.csv", extra, list(extra[0]))
    plane.analyse(draws=200)
    gaps = {(r["a"], r["metric"]): r for r in read_rows(tmp_path / "out" / "gaps.csv")}
    assert gaps[("rdbm-eta0", "psnr")]["seeds"] == "5" and gaps[("rdbm-eta1x8", "psnr")]["seeds"] == "4"
    assert (tmp_path / "out" / "provenance.json").is_file()


def test_mean_of_draws_rows_only_where_there_are_draws():
    rows = [{"task": "t", "method": "a", "seed": "0", "item": "0", "image": "p@0,0", "psnr": "20", "lpips_st": "0.3",
             "psnr_mean_of_draws": "21", "lpips_st_mean_of_draws": "0.25"},
            {"task": "t", "method": "b", "seed": "0", "item": "0", "image": "p@0,0", "psnr": "20", "lpips_st": "0.3",
             "psnr_mean_of_draws": "nan", "lpips_st_mean_of_draws": "nan"}]
    out = axes.with_mean_of_draws(rows)
    assert [(r["method"], r["psnr"], r["lpips_st"]) for r in out[2:]] == [("a-mean", "21", "0.25")]
