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


def test_block_strips_split_border_and_seams_disjointly():
    """The four strips of a 16x16 crop in 8x8 blocks, 2 pixels wide, are disjoint and sit where their names say
    (mutation tried: letting the inner seams keep the crop border's pixels fails the disjointness)."""
    strips = training_lesson.block_strips(16, 8, 2)
    assert list(strips) == ["crop border, bottom/right", "inner seams, bottom/right", "inner seams, top/left",
                            "crop border, top/left"]
    total = sum(mask.int() for mask in strips.values())
    assert int(total.max()) == 1  # disjoint
    border_br, seams_br, seams_tl, border_tl = (m[0] for m in strips.values())
    assert border_br[15, 3] and border_br[3, 14] and not border_br[13, 3]
    assert seams_br[6, 3] and seams_br[7, 3] and seams_br[3, 6] and not seams_br[5, 3] and not seams_br[15, 6]
    assert seams_tl[8, 3] and seams_tl[9, 3] and seams_tl[3, 8] and not seams_tl[7, 3]
    assert border_tl[0, 3] and border_tl[3, 1] and not border_tl[8, 3]
    with pytest.raises(ValueError, match="does not split"):
        training_lesson.block_strips(16, 5, 2)


def test_strip_errors_see_only_the_intact_pixels():
    item = _item(16)
    image = item["x0"].clone()
    image[:, :2, :2] += 0.5  # error on the degraded corner, inside the top/left border strip
    image[:, -1, 4] += 0.2  # error on one intact pixel of the bottom border
    errors = training_lesson.strip_errors(item, image, training_lesson.block_strips(16, 8, 2))
    assert errors["crop border, top/left"] == 0 and errors["inner seams, bottom/right"] == 0
    assert errors["crop border, bottom/right"] > 0
    table = training_lesson.strip_table({"a": errors, "b": errors}, 2)
    assert table.splitlines()[0] == "| strip (2 pixels wide) | restored as a | restored as b |"
    assert "| crop border, top/left | 0.0000 | 0.0000 |" in table


def test_config_table_and_photographs_name_what_they_show():
    table = training_lesson.config_table({"a": TrainConfig(task="derain", steps=3), "b": TrainConfig(task="inpaint")},
                                         ("steps", "noise"))
    assert table.splitlines()[0] == "| field | a | b |" and "| `steps` | `3` | `2000` |" in table
    assert "| `noise` | `None` | `None` |" in table
    text = training_lesson.photographs_text()
    assert text.startswith("training photographs (") and "test photographs (4): chelsea 300x451" in text


def test_region_changes_give_per_crop_changes_mean_and_standard_error():
    rows = [{"psnr": 20.0 + d, "input_psnr": 20.0} for d in (1.0, 2.0, 3.0, -2.0)]
    change = training_lesson.region_changes(rows, ("psnr",))["psnr"]
    assert change.per_crop == [1.0, 2.0, 3.0, -2.0] and change.mean == pytest.approx(1.0) and change.falls == 1
    assert change.se == pytest.approx(np.std([1, 2, 3, -2], ddof=1) / 2)
    assert change.ratio == pytest.approx(1.0 / change.se)
    table = training_lesson.change_table("derain", ["a", "b", "c", "d"], {"psnr": change})
    assert "| PSNR whole (dB) | +1.00 | +2.00 | +3.00 | -2.00 | +1.00 ± " in table and "| 1 of 4 |" in table


def test_stopwatch_times_wall_and_cpu():
    with training_lesson.Stopwatch() as watch:
        sum(i * i for i in range(200_000))
    assert watch.wall_s > 0 and watch.cpu_s >= 0 and watch.cores >= 1
    assert 0 <= watch.cpu_share < 10


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
