"""The helpers of notebook 06 (``rdbm_course.training_lesson``): the trainer's draws, the smoothed loss, the edge
bands and errors, the padded restoration and the tables."""
import math

import numpy as np
import pytest
import torch

from rdbm_core.networks.config import TrainConfig, make_path
from rdbm_core.networks.training import step_generator, training_loss
from rdbm_core.restoration.evaluation import restore
from rdbm_course import training_lesson


def test_trainer_batch_draws_the_trainers_times_and_noise(tmp_path):
    """With the batch, times and noise of iteration k, the L1 loss of a fixed model is the trainer's loss of that
    iteration (mutation tried: drawing the noise before the times fails here)."""
    config = TrainConfig.smoke(task="derain", device="cpu", out=str(tmp_path))
    bridge, pool = make_path(config), training_lesson.training_pool(config)

    def model(x_t, mu, t):
        return 0.7 * x_t + 0.2 * mu + 1e-3 * t.to(x_t).reshape(-1, 1, 1, 1)

    for k in (0, 3):
        x0, mu, t, eps = training_lesson.trainer_batch(config, pool, k, bridge)
        mine = (model(bridge.sample(x0, mu, t, noise=eps), mu, t) - x0).abs().mean()
        theirs = training_loss(model, bridge, x0, mu, config, step_generator(config.seed, k, 0))
        assert float(mine) == pytest.approx(float(theirs), abs=1e-6)
    again = training_lesson.trainer_batch(config, pool, 2)[0], training_lesson.trainer_batch(config, pool, 2)[0]
    assert torch.equal(*again)


def test_fresh_training_state_is_the_trainers_and_reproducible(tmp_path):
    """Two fresh states are identical, and one library train_step on each gives the same EMA weights."""
    from rdbm_core.networks.training import train_step

    config = TrainConfig.smoke(task="derain", device="cpu", out=str(tmp_path))
    bridge, pool = make_path(config), training_lesson.training_pool(config)
    states = [training_lesson.fresh_training_state(config, bridge) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(states[0][0].parameters(), states[1][0].parameters()))
    x0, mu = training_lesson.trainer_batch(config, pool, 0)
    for model, ema, optimizer in states:
        train_step(model, model, ema, optimizer, bridge, x0, mu, config, 0, step_generator(config.seed, 0, 0))
    assert all(torch.equal(a, b) for a, b in zip(states[0][1].parameters(), states[1][1].parameters()))
    assert not all(torch.equal(a, b) for a, b in zip(states[0][0].parameters(), states[0][1].parameters()))


def test_running_average_is_unbiased_from_the_start():
    assert np.allclose(training_lesson.running_average([0.3] * 50), 0.3)
    smooth = training_lesson.running_average([1.0, 0.0], alpha=0.5)
    assert smooth[0] == 1.0 and smooth[1] == pytest.approx(0.5 * 0.5 / (1 - 0.25))


def test_curve_summary_reads_a_falling_curve():
    losses = list(np.linspace(1.0, 0.1, 90)) + [0.1] * 30
    curve = training_lesson.CurveSummary.of(losses, window=10)  # both windows on the flat end
    assert curve.iterations == 120 and curve.argmin > 90 and curve.minimum < curve.at_two_thirds
    assert curve.difference == pytest.approx(0.0) and curve.early_mean == pytest.approx(0.1)
    assert "2N/3" in curve.text()
    short = training_lesson.CurveSummary.of(list(np.linspace(1, 0.5, 20)) + [0.0], window=20)  # a fast-mode run
    assert short.window == 10 and math.isfinite(short.difference_se)


def test_edge_band_marks_the_named_sides_of_the_image_or_of_each_block():
    band = training_lesson.edge_band(8, 8, 2, "bottom right")[0]
    assert band[7, 0] and band[0, 7] and band[6, 6] and not band[0, 0] and not band[5, 5]
    assert int(band.sum()) == 64 - 36
    blocks = training_lesson.edge_band(8, 8, 1, "bottom", tile=4)[0]
    assert blocks[:, 0].tolist() == [False, False, False, True, False, False, False, True]
    everything = training_lesson.edge_band(8, 8, 1, "top bottom left right")[0]
    assert int(everything.sum()) == 64 - 36


def _item(size=8):
    x0 = torch.linspace(-0.8, 0.8, 3 * size * size).reshape(3, size, size)
    mu = x0.clone()
    mu[:, :2, :2] = 0.9  # a degraded corner (top left)
    return {"x0": x0, "mu": mu}


def test_degraded_error_ratio_is_one_for_the_input_and_zero_for_the_truth():
    item = _item()
    assert training_lesson.degraded_error_ratio(item, item["mu"]) == pytest.approx(1.0)
    assert training_lesson.degraded_error_ratio(item, item["x0"]) == 0.0


def test_edge_errors_pool_the_intact_pixels_of_each_edge_over_the_windows():
    """Each edge strip and the interior average the intact pixels they hold, pooled over the windows (mutations
    tried: leaving out the intersection with the intact pixels fails the top edge's 0; averaging per-window means
    instead of pooling fails the bottom edge's value)."""
    item = _item(16)
    image = item["x0"].clone()
    image[:, :2, :2] += 0.5  # error on the degraded corner (top left)
    image[:, -1, 4] += 0.2  # error on one intact pixel of the bottom edge
    errors = training_lesson.edge_errors([item], [image], 2)
    assert list(errors) == ["top", "bottom", "left", "right", "interior"]
    assert errors["top"] == 0 and errors["left"] == 0 and errors["right"] == 0 and errors["interior"] == 0
    assert errors["bottom"] == pytest.approx(0.2 / 2 / (2 * 16))  # one pixel of 32, [0, 1] units
    small = _item(8)["x0"]
    clean = {"x0": small, "mu": small.clone()}  # 8x8, nothing degraded: 16 intact bottom pixels, no error
    pooled = training_lesson.edge_errors([item, clean], [image, small], 2)
    assert pooled["bottom"] == pytest.approx(0.2 / 2 / 48)  # one pixel of the 32 + 16 pooled
    table = training_lesson.edge_error_table({"a": errors, "b": errors}, 2)
    assert table.splitlines()[0] == "| intact pixels within 2 px of | a | b |"
    assert "| the top edge | 0.0000 | 0.0000 |" in table and "| no edge (interior) |" in table


def test_padded_restoration_crops_back_to_the_window():
    """With an identity sampler the padded restoration is the input itself, in chunks too; a network that marks its
    own right edge leaves no mark inside the window (the edge lies in the padding)."""
    from rdbm_core.bridge.bridges import rdbm
    from rdbm_core.bridge.samplers import SamplerSpec

    mu = torch.linspace(-0.9, 0.9, 3 * 3 * 8 * 8).reshape(3, 3, 8, 8)
    same = training_lesson.padded_restoration(lambda x_t, m, t: m, rdbm(), mu, SamplerSpec(steps=2), pad=2, chunk=2)
    assert same.shape == mu.shape and torch.allclose(same, mu)

    def marks_right_edge(x_t, m, t):
        return m + 0.05 * (torch.arange(m.shape[-1]) == m.shape[-1] - 1).to(m)

    plain = restore(marks_right_edge, rdbm(), mu, SamplerSpec(steps=2))
    padded = training_lesson.padded_restoration(marks_right_edge, rdbm(), mu, SamplerSpec(steps=2), pad=2)
    assert torch.allclose(plain[..., -1], mu[..., -1] + 0.05) and torch.allclose(padded, mu)


def test_config_table_and_photographs_name_what_they_show():
    table = training_lesson.config_table({"a": TrainConfig(task="derain", steps=3), "b": TrainConfig(task="inpaint")},
                                         ("steps", "noise"))
    assert table.splitlines()[0] == "| field | a | b |" and "| `steps` | `3` | `2000` |" in table
    assert "| `noise` | `None` | `None` |" in table
    text = training_lesson.photographs_text()
    assert text.startswith("training photographs (") and "held-out (benchmark version 2) photographs (12): chelsea " \
        "300x451" in text


def test_region_changes_give_the_mean_change_and_its_hierarchical_interval():
    """The interval is :func:`hierarchical_bootstrap` over the photographs (mutation tried: passing no photographs,
    each window its own, gives a narrower interval and fails the equality)."""
    from rdbm_core.evidence.stats import hierarchical_bootstrap

    changes = [1.0, 2.0, 3.0, -2.0, 0.5, 4.0]
    photographs = ["a", "a", "b", "b", "c", "c"]
    rows = [{"psnr": 20.0 + d, "input_psnr": 20.0, "psnr_intact": 40.0, "input_psnr_intact": inf}
            for d, inf in zip(changes, (math.inf, 60.0, math.inf, math.inf, 70.0, math.inf))]
    out = training_lesson.region_changes(rows, photographs, ("psnr", "psnr_intact"))
    change = out["psnr"]
    assert change.mean == pytest.approx(np.mean(changes)) and change.falls == 1 and change.windows == 6
    assert change.input_mean == 20.0 and change.restored_mean == pytest.approx(20.0 + np.mean(changes))
    assert change.interval == hierarchical_bootstrap(np.array([changes]), photographs=photographs)
    assert change.interval != hierarchical_bootstrap(np.array([changes]))
    intact = out["psnr_intact"]
    assert intact.infinite == 4 and intact.input_mean == 65.0 and math.isnan(intact.mean)
    table = training_lesson.change_table({"derain": out})
    assert table.splitlines()[0].startswith("| task | metric | input | restored | change | 95 % interval |")
    low, high = change.interval
    assert f"| derain | PSNR, whole window (dB) | 20.00 | {change.restored_mean:.2f} | +1.42 | [{low:+.2f}, {high:+.2f}] " \
           "| 1 of 6 |" in table
    assert "| derain | PSNR, intact pixels (dB) | ∞ on 4 of 6, the others 65.00 | 40.00 | — | — | — |" in table


def test_share_near_degraded_counts_intact_pixels_within_reach():
    x0 = torch.zeros(3, 10, 10)
    mu = x0.clone()
    mu[:, :, 0] = 0.5  # the first column degraded
    # intact columns 1..9; columns 1..3 lie within 3 pixels of it: 30 of 90 intact pixels
    assert training_lesson.share_near_degraded([{"x0": x0, "mu": mu}], reach=3) == pytest.approx(30 / 90)
    assert training_lesson.share_near_degraded([{"x0": x0, "mu": mu}] * 2, reach=1) == pytest.approx(10 / 90)


def test_widest_hole_of_a_stripe_is_its_width():
    x0 = torch.zeros(3, 16, 16)
    mu = x0.clone()
    mu[:, :, 5:11] = 0.5  # a vertical stripe 6 pixels wide
    assert training_lesson.widest_hole(x0, mu) == 6.0
