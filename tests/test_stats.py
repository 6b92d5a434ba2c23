"""Paired statistics (rdbm_core.evidence.stats) and the compare command: the interval carries seed, photograph and window
noise; pairing, dropped values and verdicts are stated, never silent.

The calibration of the hierarchical interval and the stability of family counts are in
tests/test_stats_calibration.py."""
import json
import math
import time

import numpy as np
import pytest
from scipy.stats import t as student_t

from rdbm_core.cli import main
from rdbm_core.restoration.evaluation import ITEM_COLUMNS
from rdbm_core.data.files import append_rows
from rdbm_core.evidence.stats import (DRAWS, UnpairedError, benjamini_hochberg, bootstrap_means, bootstrap_p_value,
                                      established_counts, hierarchical_bootstrap, holm, method_mean, p_value_se,
                                      paired_data, paired_difference, paired_matrix, select_rows, t_interval,
                                      two_stage_bootstrap)


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


def test_hierarchical_interval_carries_the_photograph():
    """D = a photograph effect only (4 photographs x 16 identical windows, the same in every seed): the draws are
    means of 4 drawn photographs, as wide as a bootstrap of the 4 photograph values.

    Mutation caught: drawing the 64 windows without the photograph level (the two-stage design) averages 64
    draws and narrows the interval about 4-fold (measured here: ratio > 2.5 asserted)."""
    photo_values = np.array([-1.0, 0.0, 0.5, 2.0])
    photographs = np.repeat(["a", "b", "c", "d"], 16)
    d = np.tile(np.repeat(photo_values, 16), (3, 1))
    lo, hi = hierarchical_bootstrap(d, photographs, 4000, 1)
    ref = np.percentile(photo_values[np.random.default_rng(2).integers(0, 4, size=(4000, 4))].mean(1), [2.5, 97.5])
    assert (hi - lo) == pytest.approx(ref[1] - ref[0], rel=0.1)
    lo2, hi2 = two_stage_bootstrap(d, 4000, 1)
    assert (hi - lo) > 2.5 * (hi2 - lo2)


def test_hierarchical_bootstrap_shares_one_item_draw_across_seeds():
    """D = an item effect only (identical in every seed): every draw is a mean over one item draw, so the
    interval is that of the same bootstrap of one seed's row.

    Mutation caught: independent item draws per seed average several draws and narrow it by about sqrt(6)."""
    rng = np.random.default_rng(0)
    row = rng.standard_normal(40)
    photographs = np.repeat(np.arange(8), 5).astype(str)
    lo, hi = hierarchical_bootstrap(np.tile(row, (6, 1)), photographs, 4000, 1)
    ref_lo, ref_hi = hierarchical_bootstrap(row[None, :], photographs, 4000, 7)
    assert (hi - lo) == pytest.approx(ref_hi - ref_lo, rel=0.1)


def test_hierarchical_draws_of_unequal_photographs_are_exact():
    """Photograph A has 1 window (value 0), B has 3 (value 1): a draw of 2 photographs is AA (mean 0), AB (mean
    3/4: 1 window of A and 3 of B) or BB (mean 1) with probabilities 1/4, 1/2, 1/4, in every seed.

    Mutation caught: counting the padding slots of A (as if every photograph had 3 windows) gives AB = 1/2."""
    d = np.tile([0.0, 1.0, 1.0, 1.0], (3, 1))
    means = bootstrap_means(d, ["A", "B", "B", "B"], 20000, 3)
    values, counts = np.unique(np.round(means, 12), return_counts=True)
    assert values.tolist() == [0.0, 0.75, 1.0]
    assert counts / 20000 == pytest.approx([0.25, 0.5, 0.25], abs=0.015)


def test_seed_level_and_fixed_seeds():
    """D = a seed effect only: the hierarchical draws are means of drawn seeds; with the seeds held fixed
    (the item-level summary) every draw is the grand mean."""
    d = np.repeat(np.array([[0.0], [1.0], [3.0]]), 8, axis=1)
    photos = list("aabbccdd")
    means = bootstrap_means(d, photos, 5000, 0)
    assert set(np.round(means * 3, 9)) <= set(range(10)) and means.std() > 0.5
    assert np.allclose(bootstrap_means(d, photos, 500, 0, resample_seeds=False), 4 / 3)


def test_bootstrap_means_are_reproducible_and_checked():
    d = np.random.default_rng(3).standard_normal((3, 20))
    photos = np.repeat(list("abcd"), 5)
    assert np.array_equal(bootstrap_means(d, photos, 500, 5), bootstrap_means(d, photos, 500, 5))
    assert not np.array_equal(bootstrap_means(d, photos, 500, 5), bootstrap_means(d, photos, 500, 6))
    assert hierarchical_bootstrap(np.full((3, 20), 0.25), photos) == pytest.approx((0.25, 0.25))
    # the two-stage method by name is the earlier interval, draw for draw
    assert np.percentile(bootstrap_means(d, None, 2000, 5, "two-stage"), [2.5, 97.5]).tolist() == \
        pytest.approx(two_stage_bootstrap(d, 2000, 5), rel=1e-12)
    for bad, words in [(dict(method="jackknife"), "unknown interval method"), (dict(photographs=photos[:3]),
                       "3 photographs for 20 items"), (dict(draws=10), "at least 100")]:
        with pytest.raises(ValueError, match=words):
            bootstrap_means(d, **{"photographs": photos, **bad})


def test_ten_thousand_draws_take_well_under_a_second():
    """5 seeds x 128 items (8 photographs), 10,000 draws: under 1 s of CPU time (0.18 s measured on this
    project's shared CPU)."""
    d = np.random.default_rng(0).standard_normal((5, 128))
    photos = np.repeat(np.arange(8), 16).astype(str)
    best = math.inf
    for _ in range(3):
        t0 = time.process_time()
        bootstrap_means(d, photos, 10_000, 0)
        best = min(best, time.process_time() - t0)
    assert best < 1.0, best


def test_t_interval_on_the_seed_means():
    """Seed means 1, 2, 3: 2 +- t(0.975, 2) x 1 / sqrt(3); one seed has none.

    Mutation caught: the normal quantile 1.96 instead of t with 2 degrees of freedom (4.30)."""
    d = np.array([[0.0, 2.0], [2.0, 2.0], [3.0, 3.0]])
    half = student_t.ppf(0.975, 2) / math.sqrt(3)
    assert t_interval(d) == pytest.approx((2 - half, 2 + half))
    assert all(math.isnan(v) for v in t_interval(d[:1]))


def test_bootstrap_p_value_rule():
    """2 x min(share <= 0, share >= 0), capped at 1."""
    assert bootstrap_p_value([-1, 1, 2, 3]) == 0.5
    assert bootstrap_p_value([-1, 0, 1, 2]) == 1.0
    assert bootstrap_p_value([1, 2, 3]) == 0.0
    assert bootstrap_p_value([-3, -2, -1, 1]) == 0.5


def test_holm_and_benjamini_hochberg():
    """Textbook families: Holm steps down (0.01, 0.02, 0.04 all pass where Bonferroni's 0.05/3 passes one);
    BH steps up (0.02 <= 0.0125 fails, yet 0.045 <= 0.05 rejects all four) where Holm rejects none.

    Mutations caught: Bonferroni for Holm (1 instead of 3); a step-down BH (0 instead of 4)."""
    assert holm([0.04, 0.01, 0.02]).tolist() == [True, True, True]
    assert holm([0.02, 0.03, 0.04, 0.045]).sum() == 0
    assert benjamini_hochberg([0.02, 0.03, 0.04, 0.045]).sum() == 4
    assert holm([0.01, 0.04, 0.03, 0.005]).tolist() == [True, False, False, True]
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]).tolist() == [True, False, False, False]


def _rows(values, task="derain", method="a", metric="psnr", photographs=4):
    """Item rows from a {seed: [value per item]} dict; item i is a window of photograph p{i % photographs}."""
    return [{"task": task, "method": method, "seed": str(s), "item": str(i), "image": f"p{i % photographs}@{i}",
             **{k: "0" for k in ITEM_COLUMNS[5:]}, metric: str(v)}
            for s, vs in values.items() for i, v in enumerate(vs)]


def _study(shift=1.0, seeds=3, items=16, task="derain", seed=0):
    """Rows of methods a and b with a - b = shift + small noise on every (seed, item)."""
    rng = np.random.default_rng(seed)
    base = {s: rng.normal(30, 1, items) for s in range(seeds)}
    return (_rows({s: v + shift + 0.01 * rng.standard_normal(items) for s, v in base.items()}, task, "a")
            + _rows(base, task, "b"))


def test_pairing_is_strict_unless_intersect():
    """Different (seed, item) sets are an error naming them; intersect compares the common part and says what
    it left out.

    Mutation caught: the earlier silent intersection (it returned seeds [0, 1] and 3 items without a word)."""
    a = _rows({0: [30, 31, 32, 33], 1: [29, 30, 31, 32], 2: [40, 40, 40, 40]})
    b = _rows({0: [29, 30, 31], 1: [30, 30, 30, 30]}, method="b")
    rows = list(reversed(a + b))  # order does not matter
    with pytest.raises(UnpairedError) as err:
        paired_matrix(rows, "derain", "a", "b")
    assert str(err.value) == ("a and b are not paired on derain: a has seeds 0,1,2 and b 0,1; "
                              "items 3 of seed 0 missing for b")
    data = paired_data(rows, "derain", "a", "b", intersect=True)
    assert data.seeds == [0, 1] and data.items == ["0", "1", "2"] and data.d.tolist() == [[1, 1, 1], [-1, 0, 1]]
    assert data.unpaired == "a has seeds 0,1,2 and b 0,1; items 3 of seed 0 missing for b"
    r = paired_difference(rows, "derain", "a", "b", intersect=True)
    assert r.mean == pytest.approx(0.5) and r.per_seed == {0: 1.0, 1: 0.0} and r.items == 3
    assert r.verdict is None and "2 seeds; a verdict needs 3" in r.verdict_words and r.scope == "items only"
    assert "intersected, left out: a has seeds 0,1,2" in str(r)


def test_unpaired_items_are_named_as_ranges():
    a = _rows({0: list(range(30))})
    b = [r for r in _rows({0: list(range(30))}, method="b") if not 10 <= int(r["item"]) <= 19 and r["item"] != "23"]
    with pytest.raises(UnpairedError, match=r"items 10-19, 23 of seed 0 missing for b$"):
        paired_data(a + b, "derain", "a", "b")


def test_non_finite_pairs_are_dropped_counted_and_refuse_a_verdict_above_5_percent():
    """nan and inf are dropped (never capped), counted, and an item dropped in one seed leaves every seed.

    Mutation caught: capping inf PSNR at 100 dB (the earlier rule) keeps the pair and moves the mean."""
    rows = _study(seeds=3, items=40)
    for r in rows:
        if r["method"] == "a" and r["seed"] == "0" and r["item"] == "5":
            r["psnr"] = "inf"
    r = paired_difference(rows, "derain", "a", "b", draws=1000)
    assert (r.pairs, r.nan_pairs, r.inf_pairs, r.dropped_pairs, r.items) == (120, 0, 1, 3, 39)
    assert r.mean == pytest.approx(1.0, abs=0.01) and r.verdict == "a"  # 3 of 120 dropped: 2.5 %
    assert "dropped 3 of 120 pairs as non-finite (0 with nan, 1 with inf)" in str(r)
    for r_ in rows:
        if r_["method"] == "b" and r_["seed"] == "1" and r_["item"] in ("6", "7"):
            r_["psnr"] = "nan"
    r = paired_difference(rows, "derain", "a", "b", draws=1000)
    assert (r.nan_pairs, r.inf_pairs, r.dropped_pairs) == (2, 1, 9) and r.verdict is None
    assert r.no_verdict_reason == "9 of 120 pairs dropped as non-finite, more than 5 %"


def test_photographs_come_from_the_image_column():
    rows = _study(items=16)
    data = paired_data(rows, "derain", "a", "b")
    assert data.photograph_source == "image column" and sorted(set(data.photographs)) == ["p0", "p1", "p2", "p3"]
    bare = [{k: v for k, v in r.items() if k != "image"} for r in rows]
    data = paired_data(bare, "derain", "a", "b")
    assert data.photographs == data.items and "no image column" in data.photograph_source
    flat = [{**r, "image": f"img{r['item']}"} for r in rows]
    assert "without '@'" in paired_data(flat, "derain", "a", "b").photograph_source
    clash = [{**r, "image": "q@1"} if r["method"] == "b" and r["item"] == "3" and r["seed"] == "2" else r
             for r in rows]
    with pytest.raises(ValueError, match="item 3 is image 'p3@3' in one row and 'q@1' in another"):
        paired_data(clash, "derain", "a", "b")


def test_one_photograph_carries_no_verdict():
    r = paired_difference(_rows({s: [31, 32, 33] for s in range(3)}, photographs=1)
                          + _rows({s: [30, 30, 30] for s in range(3)}, method="b", photographs=1), "derain", "a", "b",
                          draws=500)
    assert r.photographs == 1 and r.verdict is None and r.no_verdict_reason == "1 photograph; a verdict needs 2"


def test_established_counts_of_a_family():
    family = [paired_difference(_study(shift, task=t), t, "a", "b", draws=2000)
              for t, shift in (("derain", 1.0), ("inpaint", 0.0), ("lowlight", -1.0))]
    c = established_counts(family)
    assert (c.n, c.established, c.a_better, c.b_better, c.holm, c.bh) == (3, 2, 1, 1, 2, 2)
    assert c.holm_mask == [True, False, True] and "2 of 3 established" in str(c) and "2000 draws" in str(c)
    assert c.undecided == [] and c.draws == (2000, 2000)
    with pytest.raises(ValueError, match="share method and resample seed"):
        established_counts([family[0], paired_difference(_study(), "derain", "a", "b", resample_seed=1)])


def test_p_value_standard_error():
    """2 sqrt(q (1 - q) / draws), q = p / 2 (floored at half a draw)."""
    assert p_value_se(0.05, 10_000) == pytest.approx(2 * math.sqrt(0.025 * 0.975 / 10_000))
    assert p_value_se(0.0, 1000) == pytest.approx(2 * math.sqrt(0.0005 * 0.9995 / 1000))


def test_far_from_the_threshold_nothing_is_refined():
    r = paired_difference(_study(1.0), "derain", "a", "b", draws=1000)
    assert r.draws == 1000 and r.p_value == 0.0


def test_select_rows_by_columns():
    rows = [{"task": "t", "bridge": br, "sampler": s, "nfe": n, "seed": "0", "item": "0"}
            for br in ("goub", "bbdm") for s in ("euler", "heun") for n in ("2", "10")]
    got = select_rows(rows, ("sampler", "nfe"), {"bridge": "goub"})
    assert [r["method"] for r in got] == ["euler@2", "euler@10", "heun@2", "heun@10"] and "method" not in rows[0]
    with pytest.raises(ValueError, match="no rows with bridge = 'x'; values: bbdm, goub"):
        select_rows(rows, ("sampler",), {"bridge": "x"})
    with pytest.raises(ValueError, match="no column 'steps'"):
        select_rows(rows, ("steps",))


@pytest.mark.parametrize("b, task, metric, words", [
    ("zz", None, "psnr", "no rows for method 'zz'"),
    ("b", "dehaze", "psnr", "no rows for task 'dehaze'"),
    ("b", None, "lpips", "no column 'lpips'"),
    ("c", None, "psnr", "share no training seed"),
    ("d", None, "psnr", "share no test item"),
    ("a", None, "psnr", "two different methods"),
    ("e", None, "psnr", "a and e are not paired on derain: a has seeds 0 and e 0,1; --intersect compares"),
])
def test_compare_bad_input_is_one_line_and_exit_2(tmp_path, capsys, b, task, metric, words):
    f = tmp_path / "items.csv"
    append_rows(f, _rows({0: [30, 31]}) + _rows({0: [29, 30]}, method="b") + _rows({5: [1, 2]}, method="c")
                + _rows({0: ["nan", "nan"]}, method="d") + _rows({0: [1, 2], 1: [1, 2]}, method="e"), ITEM_COLUMNS)
    args = ["compare", str(f), "--a", "a", "--b", b, "--metric", metric] + (["--task", task] if task else [])
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_compare_intersect_prints_what_it_left_out(tmp_path, capsys):
    rows = [r for r in _study(seeds=3, items=20) if not (r["method"] == "b" and r["seed"] == "0"
                                                         and 10 <= int(r["item"]) <= 12)]
    f = tmp_path / "items.csv"
    append_rows(f, rows, ITEM_COLUMNS)
    assert main(["compare", str(f), "--a", "a", "--b", "b"]) == 2
    assert "items 10-12 of seed 0 missing for b; --intersect" in capsys.readouterr().err
    assert main(["compare", str(f), "--a", "a", "--b", "b", "--intersect", "--draws", "500"]) == 0
    out = capsys.readouterr().out
    assert "17 items" in out and "intersected, left out: items 10-12 of seed 0 missing for b" in out


def test_compare_missing_or_malformed_file(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "none.csv"), "--a", "a", "--b", "b"]) == 2
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("task,method,psnr\nderain,a,30\n")
    assert main(["compare", str(bad), "--a", "a", "--b", "b"]) == 2
    assert "lacks the column(s) seed, item" in capsys.readouterr().err
    assert main(["compare", str(bad), "--a", "a", "--b", "b", "--where", "method"]) == 2
    assert "--where takes COLUMN=VALUE, got 'method'" in capsys.readouterr().err


def test_compare_prints_per_task_and_valid_json(tmp_path, capsys):
    rows = _study(1.0, task="derain") + _study(0.0, task="inpaint", seed=1)
    f = tmp_path / "items.csv"
    append_rows(f, rows, ITEM_COLUMNS)
    assert main(["compare", str(f), "--a", "a", "--b", "b"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("derain: a - b psnr = +1.0") and out[0].endswith("verdict: a better")
    assert "95 % hierarchical bootstrap, 10000 draws: 3 seeds x 4 photographs, 16 items" in out[0]
    assert out[1].endswith("verdict: no difference established")
    assert main(["compare", str(f), "--a", "b", "--b", "a", "--task", "derain", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (res,) = doc["tasks"]
    assert res["verdict"] == "b" and res["verdict_words"] == "a better" and res["high"] < 0
    assert res["seeds"] == [0, 1, 2] and res["items"] == 16 and res["photographs"] == 4
    assert set(res["per_seed"]) == {"0", "1", "2"} and doc["draws"] == DRAWS == 10_000
    assert doc["method"] == "hierarchical" and res["t_low"] < res["t_high"] < 0 and res["p_value"] < 0.01


def test_compare_few_seeds_is_an_item_level_summary_in_strict_json(tmp_path, capsys):
    """One seed: the t interval is undefined (null in strict JSON), the interval holds the seed fixed, no
    verdict.  Mutation caught: json.dumps writes NaN, which json.loads with a strict parse_constant rejects."""
    f = tmp_path / "items.csv"
    append_rows(f, [r for r in _study() if r["seed"] == "0"], ITEM_COLUMNS)
    assert main(["compare", str(f), "--a", "a", "--b", "b", "--draws", "500"]) == 0
    line = capsys.readouterr().out
    assert "item-level summary, seeds held fixed" in line and line.strip().endswith(
        "verdict: no verdict (1 seed; a verdict needs 3)")
    assert main(["compare", str(f), "--a", "a", "--b", "b", "--draws", "500", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))
    (res,) = doc["tasks"]
    assert res["t_low"] is None and res["verdict"] is None and res["scope"] == "items only"


def test_compare_by_columns_reads_the_sampler_layout(tmp_path, capsys):
    """A CSV without a method column (the sampler study's): --by names the method, --where selects the bridge;
    without --where the two bridges' rows collide and the error names the column that differs."""
    rows = []
    for bridge, shift in (("goub", 1.0), ("bbdm", -1.0)):
        for r in _study(shift):
            sampler, nfe = ("euler", "10") if r["method"] == "a" else ("euler-maruyama", "100")
            rows.append({"task": r["task"], "bridge": bridge, "seed": r["seed"], "sampler": sampler, "nfe": nfe,
                         "item": r["item"], "image": r["image"], "psnr": r["psnr"]})
    f = tmp_path / "sampler_items.csv"
    append_rows(f, rows, list(rows[0]))
    common = ["compare", str(f), "--a", "euler@10", "--b", "euler-maruyama@100", "--draws", "500"]
    assert main(common) == 2
    assert "lacks the column(s) method (name the column(s) of a method with --by" in capsys.readouterr().err
    assert main(common + ["--by", "sampler,nfe"]) == 2
    assert "they differ in bridge ('goub', 'bbdm')" in capsys.readouterr().err
    assert main(common + ["--by", "sampler,nfe", "--where", "bridge=bbdm"]) == 0
    assert capsys.readouterr().out.strip().endswith("verdict: euler-maruyama@100 better")


def test_verdicts_follow_the_direction_of_the_metric():
    """A lower ST-LPIPS is better, so a negative difference a - b means a better; a spread ranks no method.
    Mutation that fails: every metric taken as higher-is-better (the distance's verdict comes out inverted)."""
    rows = []
    for seed in range(3):
        for item in range(8):
            photo = f"p{item % 4}@{item},0"
            noise = 0.001 * ((seed * 8 + item) % 5)
            for method, lp, psnr in (("a", 0.10 + noise, 30.0 + noise), ("b", 0.20 + noise, 29.0 + noise)):
                rows.append({"task": "t", "method": method, "seed": str(seed), "item": str(item), "image": photo,
                             "lpips_st": str(lp), "psnr": str(psnr), "spread": str(lp)})
    from rdbm_core.evidence.stats import compare_items
    assert compare_items(rows, "a", "b", metric="psnr")[0].verdict == "a"
    lp = compare_items(rows, "a", "b", metric="lpips_st")[0]
    assert lp.mean < 0 and lp.verdict == "a" and lp.verdict_words == "a better"
    spread = compare_items(rows, "a", "b", metric="spread")[0]
    assert spread.verdict is None and "ranks no method" in spread.verdict_words


def test_count_family_respects_its_draw_cap_and_bad_inputs_are_one_error():
    """``max_draws`` caps every comparison of a family (the per-comparison refinement used to go past it), and
    the helpers reject what they cannot summarise. Mutation that fails: count_family letting paired_difference
    refine on its own (draws reach 10x the cap)."""
    import pytest
    from rdbm_core.evidence.stats import bootstrap_p_value, count_family, p_value_se, t_interval
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(3):
        for item in range(24):
            base = rng.normal()
            for method, shift in (("a", 0.0), ("b", -0.7)):  # p near 0.05: the refinement is needed
                rows.append({"task": "t", "method": method, "seed": str(seed), "item": str(item),
                             "image": f"p{item % 4}@{item},0", "psnr": str(base + shift + rng.normal())})
    results, _ = count_family([(rows, "t", "a", "b", "psnr")], draws=1000, max_draws=2000)
    assert all(r.draws <= 2000 for r in results)
    with pytest.raises(ValueError, match="non-empty"):
        t_interval([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-finite"):
        t_interval([[1.0, float("nan")], [1.0, 2.0]])
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_p_value([])
    with pytest.raises(ValueError, match="draws must be >= 1"):
        p_value_se(0.05, 0)


def _rows_of(values, method, task="derain", photos=4):
    """Items-CSV rows of ``values`` [seeds, items]; item i is a window of photograph i mod ``photos``."""
    return [{"task": task, "method": method, "seed": str(s), "item": str(i), "image": f"p{i % photos}@{i},0",
             "psnr": repr(float(v))} for s, row in enumerate(values) for i, v in enumerate(row)]


def test_method_mean_is_the_paired_difference_against_zero():
    """A method's mean and interval equal those of its paired difference against a method that scores 0
    everywhere (the same bootstrap over seeds, photographs and windows). Mutations that fail: the photographs
    left out of the bootstrap (each item its own photograph); the seeds held fixed with 5 seeds."""
    rng = np.random.default_rng(3)
    values = 25 + rng.standard_normal((5, 1)) + rng.standard_normal((1, 24)) + 0.2 * rng.standard_normal((5, 24))
    rows = _rows_of(values, "a") + _rows_of(np.zeros_like(values), "zero")
    m = method_mean(rows, "derain", "a", draws=2000)
    d = paired_difference(rows, "derain", "a", "zero", draws=2000, refine=False)
    assert m.mean == pytest.approx(values.mean(), abs=1e-12) and m.scope == "seeds and items"
    assert (m.low, m.high) == pytest.approx((d.low, d.high), abs=1e-12)
    assert m.photographs == 4 and m.items == 24 and m.seeds == [0, 1, 2, 3, 4]
    two = method_mean(_rows_of(values[:2], "a"), "derain", "a", draws=2000)
    assert two.scope == "items only"


def test_method_mean_drops_non_finite_items_and_refuses_ragged_seeds():
    values = np.full((3, 8), 20.0)
    values[1, 2] = np.inf
    m = method_mean(_rows_of(values, "a"), "derain", "a", draws=500)
    assert m.dropped_items == 1 and m.items == 7 and m.mean == 20.0
    ragged = _rows_of(values, "a")[:-1]
    with pytest.raises(ValueError, match="did not restore the same items"):
        method_mean(ragged, "derain", "a", draws=500)
    with pytest.raises(ValueError, match="no rows for method 'b'"):
        method_mean(ragged, "derain", "b", draws=500)
