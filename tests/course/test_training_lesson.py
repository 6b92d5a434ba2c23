"""The helpers of notebook 06 (``rdbm_course.training_lesson``): the trainer's draws, the smoothed loss, the edge
bands, the resets and the tables."""
import math

import numpy as np
import pytest
import torch

from rdbm_core.evidence.metrics import psnr
from rdbm_core.networks.config import TrainConfig, make_path
from rdbm_core.networks.training import step_generator, training_loss
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


def test_resets_and_edge_errors_see_only_the_intact_pixels():
    item = _item()
    image = item["x0"].clone()
    image[:, :2, :2] = 0.5  # error on the degraded corner: never reset
    everywhere = torch.ones(1, 8, 8, dtype=torch.bool)
    assert training_lesson.reset_psnr(item, image) == training_lesson.reset_psnr(item, image, everywhere)
    image[:, -1, :] += 0.2  # error on the intact bottom row
    band = training_lesson.edge_band(8, 8, 1, "bottom")
    corner_only = item["x0"].clone()
    corner_only[:, :2, :2] = 0.5
    assert training_lesson.reset_psnr(item, image, band) == pytest.approx(psnr(corner_only, item["x0"]))
    errors = training_lesson.edge_errors(item, image, 1)
    assert errors["bottom/right"] > 0 and errors["top/left"] == 0
    assert training_lesson.degraded_error_ratio(item, item["mu"]) == pytest.approx(1.0)
    assert training_lesson.degraded_error_ratio(item, item["x0"]) == 0.0


def test_widest_hole_of_a_stripe_is_its_width():
    x0 = torch.zeros(3, 16, 16)
    mu = x0.clone()
    mu[:, :, 5:11] = 0.5  # a vertical stripe 6 pixels wide
    assert training_lesson.widest_hole(x0, mu) == 6.0


def test_restore_in_tiles_refuses_blocks_that_do_not_fit():
    with pytest.raises(ValueError, match="does not split"):
        training_lesson.restore_in_tiles(None, None, torch.zeros(3, 10, 10), 4, None)


def test_region_tables_footnote_an_infinite_mean_and_list_every_crop():
    def row(inf):
        r = {f"{p}{m}{s}": 20.0 for p in ("", "input_") for m in ("psnr", "ssim") for s in ("", "_degraded", "_intact")}
        r["input_psnr_intact"] = math.inf if inf else 60.0
        return r

    rows = [row(True), row(False)]
    summary = {k: (math.inf if k == "input_psnr_intact" else 20.0) for k in rows[0]} | {"count": 2}
    table = training_lesson.region_tables("inpaint", ["a", "b"], rows, summary, [0.25, 0.5])
    assert "| ∞ ¹ |" in table and "b 60.00 dB" in table and "(here 1 do)" in table
    assert "| a | 0.250 | 20.00 → 20.00 |" in table and "| b | 0.500 |" in table
