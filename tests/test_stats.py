"""Paired statistics (rdbm_core.stats) and the compare command: the interval carries seed and item noise."""
import json
import math

import numpy as np
import pytest

from rdbm_core.cli import main
from rdbm_core.evaluation import ITEM_COLUMNS
from rdbm_core.metrics import append_rows
from rdbm_core.stats import paired_difference, paired_matrix, two_stage_bootstrap


def _items_only(diffs, draws, seed):
    """The overconfident interval: items resampled, the seeds held fixed (the mutation the tests must catch)."""
    rng = np.random.default_rng(seed)
    i = rng.integers(0, diffs.shape[1], size=(draws, diffs.shape[1]))
    means = diffs[:, i].mean(axis=(0, 2))
    return tuple(np.percentile(means, [2.5, 97.5]))


def _synthetic(rng, seeds, items, seed_sd, item_sd, noise_sd=0.1, true_mean=0.5):
    """D[s, i] = mean + seed effect + item effect + noise: the population mean difference is ``true_mean``."""
    return (true_mean + seed_sd * rng.standard_normal((seeds, 1)) + item_sd * rng.standard_normal((1, items))
            + noise_sd * rng.standard_normal((seeds, items)))


def _coverage(interval, seeds, seed_sd, item_sd, reps=150, draws=500):
    rng = np.random.default_rng(123)
    hits, widths = 0, []
    for rep in range(reps):
        d = _synthetic(rng, seeds, 32, seed_sd, item_sd)
        lo, hi = interval(d, draws, rep)
        hits += lo <= 0.5 <= hi
        widths.append(hi - lo)
    return hits / reps, float(np.mean(widths))


def test_two_stage_interval_covers_when_seed_noise_dominates():
    """With seed noise 1.0 and item noise 0.2 the two-stage interval covers the true mean in about 90 % of
    synthetic experiments (10 seeds x 32 items), and is several times wider than an items-only interval, whose
    coverage collapses.

    Mutation caught: resampling the items only (``_items_only``, seeds fixed) covers in well under 60 %."""
    two_stage = lambda d, draws, seed: two_stage_bootstrap(d, draws, seed)  # noqa: E731
    cover, width = _coverage(two_stage, seeds=10, seed_sd=1.0, item_sd=0.2)
    cover_items, width_items = _coverage(_items_only, seeds=10, seed_sd=1.0, item_sd=0.2)
    assert 0.8 <= cover <= 0.99, cover
    assert cover_items < 0.6, cover_items
    assert width > 3 * width_items


def test_two_stage_interval_covers_when_item_noise_dominates():
    """With item noise dominant the interval must carry it too: coverage near 90 % with 10 seeds.

    Mutation caught: resampling the seeds only (one fixed item set) would give a far too narrow interval."""
    two_stage = lambda d, draws, seed: two_stage_bootstrap(d, draws, seed)  # noqa: E731
    cover, _ = _coverage(two_stage, seeds=10, seed_sd=0.05, item_sd=1.0)
    assert 0.8 <= cover <= 0.99, cover


def test_two_stage_bootstrap_shares_one_item_draw_across_seeds():
    """D = item effect only (identical in every seed): every draw is a mean over one item draw.

    Mutation caught: independent item draws per seed would average several draws and narrow the interval by
    about sqrt(seeds); here the interval equals the one of the seed-free item bootstrap."""
    rng = np.random.default_rng(0)
    row = rng.standard_normal(40)
    d = np.tile(row, (6, 1))
    lo, hi = two_stage_bootstrap(d, 4000, 1)
    g = np.random.default_rng(7)
    means = row[g.integers(0, 40, size=(4000, 40))].mean(1)
    ref_lo, ref_hi = np.percentile(means, [2.5, 97.5])
    assert (hi - lo) == pytest.approx(ref_hi - ref_lo, rel=0.1)


def test_bootstrap_is_reproducible_and_constant_differences_have_no_width():
    d = np.random.default_rng(3).standard_normal((3, 20))
    assert two_stage_bootstrap(d, 2000, 5) == two_stage_bootstrap(d, 2000, 5)
    assert two_stage_bootstrap(d, 2000, 5) != two_stage_bootstrap(d, 2000, 6)
    assert two_stage_bootstrap(np.full((3, 20), 0.25)) == pytest.approx((0.25, 0.25))
    with pytest.raises(ValueError, match="non-finite"):
        two_stage_bootstrap(np.array([[1.0, math.nan]]))


def _rows(values, task="derain", method="a", metric="psnr"):
    """Item rows from a {seed: [value per item]} dict."""
    return [{"task": task, "method": method, "seed": str(s), "item": str(i), "image": f"p@{i}",
             **{k: "0" for k in ITEM_COLUMNS[5:]}, metric: str(v)}
            for s, vs in values.items() for i, v in enumerate(vs)]


def test_pairing_uses_shared_seeds_and_items_only():
    a = _rows({0: [30, 31, 32, 33], 1: [29, 30, 31, 32], 2: [40, 40, 40, 40]})
    b = _rows({0: [29, 30, 31, "nan"], 1: [30, 30, 30, 30]}, method="b")
    rows = list(reversed(a + b))  # order does not matter
    d, seeds, items = paired_matrix(rows, "derain", "a", "b")
    assert seeds == [0, 1] and items == ["0", "1", "2"]  # seed 2 only in a; item 3 nan in b
    assert d.tolist() == [[1, 1, 1], [-1, 0, 1]]
    r = paired_difference(rows, "derain", "a", "b")
    assert r.mean == pytest.approx(0.5) and r.per_seed == {0: 1.0, 1: 0.0}
    assert r.items == 3 and r.low <= r.mean <= r.high


def test_inf_psnr_is_capped_like_the_summary():
    rows = _rows({0: ["inf", 30]}) + _rows({0: [40, 30]}, method="b")
    assert paired_matrix(rows, "derain", "a", "b")[0].tolist() == [[60.0, 0.0]]


@pytest.mark.parametrize("b, task, metric, words", [
    ("zz", None, "psnr", "no rows for method 'zz'"),
    ("b", "dehaze", "psnr", "no rows for task 'dehaze'"),
    ("b", None, "lpips", "no column 'lpips'"),
    ("c", None, "psnr", "share no training seed"),
    ("d", None, "psnr", "share no test item"),
    ("a", None, "psnr", "two different methods"),
])
def test_compare_bad_input_is_one_line_and_exit_2(tmp_path, capsys, b, task, metric, words):
    f = tmp_path / "items.csv"
    append_rows(f, _rows({0: [30, 31]}) + _rows({0: [29, 30]}, method="b") + _rows({5: [1, 2]}, method="c")
                + _rows({0: ["nan", "nan"]}, method="d"), ITEM_COLUMNS)
    args = ["compare", str(f), "--a", "a", "--b", b, "--metric", metric] + (["--task", task] if task else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_compare_missing_or_malformed_file(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "none.csv"), "--a", "a", "--b", "b"]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("task,method,psnr\nderain,a,30\n")
    assert main(["compare", str(bad), "--a", "a", "--b", "b"]) == 2
    assert "lacks the column(s) seed, item" in capsys.readouterr().err


def test_compare_prints_per_task_and_valid_json(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = []
    for task, shift in (("derain", 1.0), ("inpaint", 0.0)):
        base = {s: rng.normal(30, 1, 16) for s in range(3)}
        rows += _rows({s: v + shift + 0.01 * rng.standard_normal(16) for s, v in base.items()}, task, "a")
        rows += _rows({s: v for s, v in base.items()}, task, "b")
    f = tmp_path / "items.csv"
    append_rows(f, rows, ITEM_COLUMNS)
    assert main(["compare", str(f), "--a", "a", "--b", "b"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("derain: a - b psnr = +1.0") and out[0].endswith("verdict: a")
    assert "16 items x 3 seeds" in out[0] and out[1].endswith("verdict: tie")
    assert main(["compare", str(f), "--a", "b", "--b", "a", "--task", "derain", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (res,) = doc["tasks"]
    assert res["verdict"] == "b" and res["high"] < 0 and res["seeds"] == [0, 1, 2] and res["items"] == 16
    assert set(res["per_seed"]) == {"0", "1", "2"} and doc["draws"] == 2000
