"""The helpers of notebook 13 (``rdbm_course.bridges_lesson``): the seeds behind a committed gap, the interval's
printed precision, the verdict words and the ladder's rows."""
import math

import pytest

from rdbm_course.bridges_lesson import bootstrap_interval, interval, ladder_rows, seed_ids, seed_label, verdict_of


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
    row = {"task": "derain", "preset": "tiny", "steps": "250", "a": "rdbm-tiny-250-eta0", "b": "regression-tiny-250",
           "metric": "psnr", "verdict": "regression-tiny-250 better"}
    assert verdict_of(row) == "regression"
    assert verdict_of({**row, "verdict": "rdbm-tiny-250-eta0 better"}) == "bridge"
    assert verdict_of({**row, "verdict": "no difference established"}) == "none"
    assert verdict_of({**row, "verdict": "no verdict (2 seeds; a verdict needs 3)"}) == "no verdict"
    others = [{**row, "a": "rdbm-tiny-250-eta1-mean"}, {**row, "preset": "small", "a": "rdbm-small-250-eta0"}]
    assert ladder_rows([row, *others]) == {("derain", 250, "rdbm", "psnr"): row}


def test_bootstrap_interval_brackets_the_mean():
    mean, low, high = bootstrap_interval([0.1, 0.2, 0.3, float("nan"), 0.4])
    assert math.isclose(mean, 0.25) and 0.1 <= low < mean < high <= 0.4
