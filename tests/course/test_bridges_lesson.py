"""The helpers of notebook 13 (``rdbm_course.bridges_lesson``): the seeds behind a committed gap, the interval's
printed precision, the verdict words, the ladder's rows and table, and the paired change of a gap between two
budgets; the draws' summary over seeds, the verdict and change lines, and the figures' interval styles."""
import math

import pytest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rdbm_course.bridges_lesson import (DRAW_GAIN, bootstrap_interval, calibration_panel, change_line,  # noqa: E402
                                        change_table, draw_summary, gap_change, gap_forest, interval, ladder_panel,
                                        ladder_rows, ladder_table, seed_ids, seed_label, t_only, verdict_lines,
                                        verdict_of)


def _items():
    """Two methods on four seeds and two items: a - b is 1 on seeds 0-1, 3 on seeds 2-3."""
    rows = []
    for seed in range(4):
        for item in range(2):
            rows.append({"task": "t", "method": "b", "seed": str(seed), "item": str(item), "psnr": "20.0"})
            rows.append({"task": "t", "method": "a", "seed": str(seed), "item": str(item),
                         "psnr": str(21.0 if seed < 2 else 23.0)})
    return rows


def test_seed_ids_names_the_first_shared_seeds_and_refuses_a_gap_of_other_seeds():
    """Mutation that fails: taking the last shared seeds (seeds 2-3 give a mean of 3, not the gap's 1)."""
    gap = {"task": "t", "a": "a", "b": "b", "metric": "psnr", "seeds": "2", "mean": "1.0"}
    assert seed_ids(_items(), gap) == ["0", "1"]
    assert seed_ids(_items(), {**gap, "seeds": "4", "mean": "2.0"}) == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="not the mean difference"):
        seed_ids(_items(), {**gap, "mean": "3.0"})
    with pytest.raises(ValueError, match="only 4 shared"):
        seed_ids(_items(), {**gap, "seeds": "5"})


def test_interval_keeps_a_small_bound_visible_and_labels_seeds():
    assert interval(0.027287, 2.2e-05, 0.058903, 3) == "+0.02729 [+0.00002, +0.05890]"
    assert interval(-1.2248, -1.5909, -0.8209, 2) == "-1.22 [-1.59, -0.82]"
    assert interval(44.8, math.nan, math.nan, 1) == "+44.8 (no interval)"
    assert seed_label(["2", "0", "1"]) == "0–2" and seed_label(["0", "1"]) == "0, 1" and seed_label(["0", "3"]) == "0, 3"


def test_verdict_words_and_ladder_rows():
    """Mutation that fails: a verdict from the hierarchical interval alone (the t interval [-3, +0.5] contains 0)."""
    row = {"task": "derain", "preset": "tiny", "steps": "250", "a": "rdbm-tiny-250-eta0", "b": "regression-tiny-250",
           "metric": "psnr", "verdict": "regression-tiny-250 better", "low": "-2", "high": "-1", "t_low": "-2.5",
           "t_high": "-0.5"}
    assert verdict_of(row) == "regression"
    assert verdict_of({**row, "t_high": "0.5"}) == "none"
    assert verdict_of({**row, "verdict": "rdbm-tiny-250-eta0 better", "low": "1", "high": "2", "t_low": "0.5",
                       "t_high": "2.5"}) == "bridge"
    assert verdict_of({**row, "verdict": "no difference established"}) == "none"
    assert verdict_of({**row, "verdict": "no verdict (2 seeds; a verdict needs 3)"}) == "no verdict"
    others = [{**row, "a": "rdbm-tiny-250-eta1-mean"}, {**row, "preset": "small", "a": "rdbm-small-250-eta0"}]
    assert ladder_rows([row, *others]) == {("derain", 250, "rdbm", "psnr"): row}


def test_bootstrap_interval_brackets_the_mean():
    mean, low, high = bootstrap_interval([0.1, 0.2, 0.3, float("nan"), 0.4])
    assert math.isclose(mean, 0.25) and 0.1 <= low < mean < high <= 0.4


def _ladder_items(change_by_seed, metric="psnr"):
    """Regression and RDBM at two budgets on four seeds, 6 items of 3 photographs: the gap is -1 at 250 and
    ``-1 + change_by_seed[seed] + item noise`` at 4000 (items 0-5; the noise averages 0 over each seed)."""
    rows = []
    for seed, change in enumerate(change_by_seed):
        for item in range(6):
            image = f"photo{item // 2}@{item},0"
            noise = 0.1 * (-1) ** item
            for steps, gap in ((250, -1.0), (4000, -1.0 + change + noise)):
                for method, value in ((f"regression-tiny-{steps}", 20.0), (f"rdbm-tiny-{steps}-eta0", 20.0 + gap)):
                    rows.append({"task": "t", "method": method, "seed": str(seed), "item": str(item), "image": image,
                                 metric: str(value)})
    return rows


def _gap(items, steps, seeds, metric="psnr"):
    a, b = f"rdbm-tiny-{steps}-eta0", f"regression-tiny-{steps}"
    values = [float(r[metric]) * (1 if r["method"] == a else -1) for r in items
              if r["method"] in (a, b) and int(r["seed"]) < seeds]
    return {"task": "t", "a": a, "b": b, "metric": metric, "seeds": str(seeds),
            "mean": str(sum(values) / (6 * seeds))}


def test_gap_change_pairs_the_two_budgets_on_the_seeds_both_gaps_rest_on():
    """Mutations that fail: subtracting the later gap from the earlier (the sign), using every seed of items.csv
    instead of the gaps' seeds (seed 3's change of -9 enters the mean), and calling a negative PSNR change
    narrower."""
    items = _ladder_items([-0.5, -0.6, -0.7, -9.0])
    c = gap_change(items, _gap(items, 250, 4), _gap(items, 4000, 3))
    assert c["seeds"] == ["0", "1", "2"] and c["items"] == 6 and c["photographs"] == 3
    assert math.isclose(c["mean"], -0.6, abs_tol=1e-9)
    assert c["high"] < 0 and c["verdict"] == "wider" and c["t_low"] < -0.6 < c["t_high"] < 0
    two = gap_change(items, _gap(items, 250, 2), _gap(items, 4000, 2))
    assert two["verdict"] == "no verdict" and math.isnan(two["low"]) and two["seeds"] == ["0", "1"]


def test_gap_change_needs_both_intervals():
    """Three seeds whose changes spread widely: every bootstrap mean lies below 0, but the t interval on the seed
    means contains 0, so no change is established. Mutation that fails: the hierarchical interval alone."""
    items = _ladder_items([-0.1, -0.2, -3.0])
    c = gap_change(items, _gap(items, 250, 3), _gap(items, 4000, 3))
    assert c["high"] < 0 < c["t_high"] and c["verdict"] == "none"


def test_gap_change_reads_a_distance_the_other_way():
    """For ST-LPIPS (lower is better) a positive change means the bridge falls further behind."""
    items = _ladder_items([0.5, 0.6, 0.7], metric="lpips_st")
    c = gap_change(items, _gap(items, 250, 3, "lpips_st"), _gap(items, 4000, 3, "lpips_st"))
    assert c["low"] > 0 and c["verdict"] == "wider"
    with pytest.raises(ValueError, match="share task and metric"):
        gap_change(items, _gap(items, 250, 3, "lpips_st"), {**_gap(items, 4000, 3, "lpips_st"), "metric": "psnr"})


def test_interval_without_widening_and_the_tables():
    """Mutations that fail: widening although ``widen=False``; showing a row of fewer than three seeds; dropping
    the footnote of a bound printed +0.000; a change table without its verdict mark."""
    assert interval(0.027287, 2.2e-05, 0.058903, 3, widen=False) == "+0.027 [+0.000, +0.059]"
    items = _ladder_items([-0.5, -0.6, -0.7])
    row = {"task": "t", "preset": "tiny", "b": "regression-tiny-250", "verdict": "regression-tiny-250 better"}
    gaps = []
    for sampling, seeds in (("eta0", 3), ("eta1", 2)):  # the eta1 row rests on 2 seeds: not shown
        for metric, mean, low in (("psnr", _gap(items, 250, 3)["mean"], "-1.5"), ("lpips_st", "0.5", "0.00002"),
                                  ("swd", "0.5", "1.0")):
            gaps.append({**row, "steps": "250", "a": f"rdbm-tiny-250-{sampling}", "metric": metric, "mean": mean,
                         "low": low, "high": "2.0", "t_low": low, "t_high": "2.0", "seeds": str(seeds)})
    text = ladder_table(gaps, items)
    assert text.count("\n| t | 250 | rdbm |") == 1 and "η = 0" in text and "one η = 1 draw" not in text
    assert "+0.000" in text and "A bound printed +0.000" in text and "**R**" in text
    change = {("t", "rdbm", 250, 4000): gap_change(items, _gap(items, 250, 3), _gap(items, 4000, 3))}
    table = change_table(change)
    assert "250 → 4000 iterations" in table and "**wider**" in table and "(seeds 0–2)" in table
    assert "<br>t [" in table


def _draw_items(seeds=3):
    """A sampling with draws on ``seeds`` seeds, 4 items of 2 photographs: coverage 0.1 * (seed + 1) on every item,
    the mean of the draws 0.5 dB above one draw (item 3: a nan coverage in seed 0, left out in all seeds)."""
    rows = []
    for seed in range(seeds):
        for item in range(4):
            coverage = "nan" if (seed, item) == (0, 3) else str(0.1 * (seed + 1))
            rows.append({"task": "t", "method": "goub-tiny-250-eta1", "seed": str(seed), "item": str(item),
                         "image": f"photo{item // 2}@{item},0", "coverage_2sd": coverage, "psnr_draws": "20.0",
                         "psnr_mean_of_draws": "20.5"})
    return rows


def test_draw_summary_averages_over_seeds_with_both_intervals():
    """Mutations that fail: the t interval over items instead of seed means (it would not reach 0.1 to 0.3);
    keeping an item with a nan in one seed; the gain as one draw minus the mean."""
    d = draw_summary(_draw_items(), "t", "goub-tiny-250-eta1", "coverage_2sd")
    assert d["seeds"] == ["0", "1", "2"] and d["items"] == 3 and d["photographs"] == 2
    assert d["seed_means"] == pytest.approx([0.1, 0.2, 0.3]) and d["mean"] == pytest.approx(0.2)
    assert d["t_low"] < 0.1 and d["t_high"] > 0.3 and 0.1 - 1e-9 <= d["low"] < d["high"] <= 0.3 + 1e-9
    g = draw_summary(_draw_items(), "t", "goub-tiny-250-eta1", DRAW_GAIN)
    assert g["mean"] == pytest.approx(0.5) and g["t_low"] == pytest.approx(0.5)
    two = draw_summary(_draw_items(2), "t", "goub-tiny-250-eta1", "coverage_2sd")
    assert math.isnan(two["low"]) and math.isnan(two["t_high"])
    first = draw_summary(_draw_items(), "t", "goub-tiny-250-eta1", "coverage_2sd", seeds=("0", "1"))
    assert first["seeds"] == ["0", "1"] and first["mean"] == pytest.approx(0.15)
    with pytest.raises(ValueError, match="not all of"):
        draw_summary(_draw_items(2), "t", "goub-tiny-250-eta1", "coverage_2sd", seeds=("0", "1", "2"))
    with pytest.raises(ValueError, match="no rows"):
        draw_summary(_draw_items(), "t", "rdbm-tiny-250-eta1", "coverage_2sd")


def _plane_row(method, metric, mean, low, high, t_low, t_high, verdict="regression better", scope="seeds"):
    return {"task": "derain", "a": f"{method}-eta0", "b": "regression", "metric": metric, "mean": str(mean),
            "low": str(low), "high": str(high), "t_low": str(t_low), "t_high": str(t_high), "seeds": "3",
            "verdict": verdict, "scope": scope}


def test_verdict_and_change_lines():
    """Mutation that fails: listing a method whose t interval contains 0 among those regression is ahead of."""
    rows = {"rdbm": {"psnr": _plane_row("rdbm", "psnr", -1.8, -2.3, -1.1, -2.8, -0.8)},
            "i2sb": {"psnr": _plane_row("i2sb", "psnr", -1.04, -1.59, -0.38, -2.31, 0.23)}}
    line, = verdict_lines(rows, ("psnr",))
    assert "ahead of 1 of 2 (rdbm; gaps -1.80 to -1.80)" in line and "i2sb -1.04 [-2.31, +0.23] (t)" in line
    assert "established ahead of regression: none" in line
    items = _ladder_items([-0.5, -0.6, -0.7])
    text = change_line(gap_change(items, _gap(items, 250, 3), _gap(items, 4000, 3)))
    assert text.startswith("-0.60 [") and ", t [" in text and "wider (seeds 0–2)" in text


def test_t_only_gaps_are_drawn_thin_and_the_ladder_is_clipped():
    """An SWD gap (t interval only) is one thin bar with its marker, no caps; a ladder panel spans the hierarchical
    intervals and prints the bound of a t interval it cuts. Mutations that fail: the t-only gap drawn thick; no
    clipping."""
    swd = _plane_row("rdbm", "swd", 37.2, 0.2, 74.2, 0.2, 74.2, scope="seeds (t interval)")
    psnr = _plane_row("rdbm", "psnr", -1.8, -2.3, -1.1, -2.8, -0.8)
    assert t_only(swd) and not t_only(psnr)
    fig, axes = plt.subplots(1, 2)
    gap_forest(axes, {"rdbm": {"psnr": psnr, "swd": swd}}, ("psnr", "swd"))
    widths = sorted(c.get_linewidth()[0] for c in axes[1].collections)
    assert widths and max(widths) < 1.5
    assert max(c.get_linewidth()[0] for c in axes[0].collections) >= 2
    rows = {("t", s, "rdbm", "psnr"): {**psnr, "mean": str(m), "low": str(m - 0.5), "high": str(m + 0.5),
                                       "t_low": str(m - (8 if s == 4000 else 0.6)), "t_high": str(m + 0.6)}
            for s, m in ((250, -1.0), (4000, -2.0))}
    ladder_panel(axes[0], rows, "t", methods=("rdbm",))
    assert axes[0].get_ylim()[0] > -4 and any("t to -10.0" in t.get_text() for t in axes[0].texts)
    summaries = {("t", "goub"): draw_summary(_draw_items(), "t", "goub-tiny-250-eta1", "coverage_2sd")}
    calibration_panel(axes[1], summaries, 0.828, "exact draws 0.828", "coverage")
    assert any("exact draws" in t.get_text() for t in axes[1].texts)
    plt.close(fig)
