"""The helpers of notebook 06 (``rdbm_course.training_lesson``): the trainer's draws, the smoothed loss, the edge
bands, the resets and the tables."""
import math

import numpy as np
import pytest
import torch

from rdbm_core.data.degradations import degraded_mask
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


def test_resets_take_an_explicit_intact_mask_and_refuse_degraded_pixels():
    """``reset_psnr`` puts the input back exactly where it is told (mutation tried: intersecting ``where`` with the
    intact pixels inside instead of refusing fails the ``raises``)."""
    item = _item()
    intact = ~degraded_mask(item["x0"], item["mu"])
    image = item["x0"].clone()
    image[:, :2, :2] = 0.5  # error on the degraded corner
    image[:, -1, :] += 0.2  # error on the intact bottom row
    band = training_lesson.edge_band(8, 8, 1, "bottom")
    corner_only = item["x0"].clone()
    corner_only[:, :2, :2] = 0.5
    assert training_lesson.reset_psnr(item, image, intact & band) == pytest.approx(psnr(corner_only, item["x0"]))
    assert training_lesson.reset_psnr(item, image, intact) == training_lesson.reset_psnr(item, image, intact & band)
    with pytest.raises(ValueError, match="degraded"):
        training_lesson.reset_psnr(item, image, torch.ones(1, 8, 8, dtype=torch.bool))
    assert training_lesson.degraded_error_ratio(item, item["mu"]) == pytest.approx(1.0)
    assert training_lesson.degraded_error_ratio(item, item["x0"]) == 0.0


def test_edge_errors_see_only_the_intact_pixels_of_each_edge():
    """Each edge strip and the interior average the intact pixels they hold (mutation tried: leaving out the
    intersection with the intact pixels fails the top edge's 0)."""
    item = _item(16)
    image = item["x0"].clone()
    image[:, :2, :2] += 0.5  # error on the degraded corner (top left)
    image[:, -1, 4] += 0.2  # error on one intact pixel of the bottom edge
    errors = training_lesson.edge_errors(item, image, 2)
    assert list(errors) == ["top", "bottom", "left", "right", "interior"]
    assert errors["top"] == 0 and errors["left"] == 0 and errors["right"] == 0 and errors["interior"] == 0
    assert errors["bottom"] == pytest.approx(0.2 / 2 / (2 * 16))  # one pixel of 32, [0, 1] units
    table = training_lesson.edge_error_table({"a": errors, "b": errors}, 2)
    assert table.splitlines()[0] == "| intact pixels within 2 px of | a | b |"
    assert "| the top edge | 0.0000 | 0.0000 |" in table and "| the other pixels (interior) |" in table


def test_flipped_restoration_flips_back():
    """With an identity sampler, restoring the flipped image and flipping back gives the image itself."""
    from rdbm_core.bridge.bridges import rdbm
    from rdbm_core.bridge.samplers import SamplerSpec

    mu = torch.linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8)
    assert torch.allclose(training_lesson.flipped_restoration(lambda x_t, m, t: m, rdbm(), mu, SamplerSpec(steps=2)),
                          mu)
    single = training_lesson.flipped_restoration(lambda x_t, m, t: m + (torch.arange(8) == 7).to(m), rdbm(), mu[0],
                                                 SamplerSpec(steps=2))
    assert single.shape == (3, 8, 8) and torch.allclose(single[:, :, 0], mu[0, :, :, 0] + 1)  # the network's right
    # edge lands on the image's left edge


def test_config_table_and_photographs_name_what_they_show():
    table = training_lesson.config_table({"a": TrainConfig(task="derain", steps=3), "b": TrainConfig(task="inpaint")},
                                         ("steps", "noise"))
    assert table.splitlines()[0] == "| field | a | b |" and "| `steps` | `3` | `2000` |" in table
    assert "| `noise` | `None` | `None` |" in table
    text = training_lesson.photographs_text()
    assert text.startswith("training photographs (") and "test photographs (4): chelsea 300x451" in text


def test_region_changes_give_per_crop_changes_mean_and_t_interval():
    rows = [{"psnr": 20.0 + d, "input_psnr": 20.0} for d in (1.0, 2.0, 3.0, -2.0)]
    change = training_lesson.region_changes(rows, ("psnr",))["psnr"]
    assert change.per_crop == [1.0, 2.0, 3.0, -2.0] and change.mean == pytest.approx(1.0) and change.falls == 1
    assert change.se == pytest.approx(np.std([1, 2, 3, -2], ddof=1) / 2)
    assert change.t_critical == pytest.approx(3.182, abs=1e-3)  # t with 3 degrees of freedom, not the normal's 1.96
    assert change.interval == pytest.approx((1.0 - 3.1824 * change.se, 1.0 + 3.1824 * change.se), abs=1e-3)
    assert not change.excludes_zero
    table = training_lesson.change_table("derain", ["a", "b", "c", "d"], {"psnr": change})
    assert "| PSNR whole (dB) | +1.00 | +2.00 | +3.00 | -2.00 | +1.00 | [-2.44, +4.44] | 1 of 4 |" in table
    rising = training_lesson.region_changes([{"psnr": 21.0 + d, "input_psnr": 20.0} for d in (0, 0.1, 0.2, 0.3)],
                                            ("psnr",))["psnr"]
    assert rising.excludes_zero


def test_widest_hole_of_a_stripe_is_its_width():
    x0 = torch.zeros(3, 16, 16)
    mu = x0.clone()
    mu[:, :, 5:11] = 0.5  # a vertical stripe 6 pixels wide
    assert training_lesson.widest_hole(x0, mu) == 6.0


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
