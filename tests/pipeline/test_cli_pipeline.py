"""The command line end to end in tiny mode: train -> evaluate -> restore, and one-line errors."""
import json
import math
import subprocess
import sys

import pytest
import torch

from rdbm_core.cli import main
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.data.images import save_image
from test_json_output import strict_loads


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--preset", "tiny", "--steps", "4", "--batch", "2", "--crop", "32", "--images", "1",
                 "--sample-steps", "2", "--out", str(out)]) == 0
    assert (out / "eval_000004" / "metrics.json").exists()
    return out / "checkpoint.pt"


def test_evaluate_json(checkpoint, capsys):
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--task", "derain", "--images", "1", "--steps", "2",
                 "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    keys = {"psnr", "ssim", "psnr_degraded", "psnr_intact", "ssim_degraded", "ssim_intact", "input_psnr"}
    assert keys <= set(res["summary"]) and res["summary"]["count"] == 1


def test_evaluate_json_is_strict_without_intact_pixels(checkpoint, tmp_path, capsys):
    """lowlight degrades every pixel: the intact-pixel metrics are undefined and written as null, not NaN
    (which strict parsers such as JSON.parse reject). Mutation tried: json.dumps in the CLI -> NaN, fails."""
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--task", "lowlight", "--images", "1", "--steps", "2",
                 "--json", "--out", str(tmp_path)]) == 0
    printed = strict_loads(capsys.readouterr().out)
    written = strict_loads((tmp_path / "metrics.json").read_text())
    for res in (printed, written):
        assert res["summary"]["psnr_intact"] is None and res["images"][0]["ssim_intact"] is None
        assert math.isfinite(res["summary"]["psnr"])


def test_evaluate_folders_and_restore(checkpoint, tmp_path, capsys):
    lq, gt, out = tmp_path / "lq", tmp_path / "gt", tmp_path / "out"
    lq.mkdir(), gt.mkdir()
    ds = SyntheticPairs("derain", "test", crop=40, length=2)
    for i in range(2):
        save_image(ds[i]["mu"], lq / f"img{i}.png")
        save_image(ds[i]["x0"], gt / f"img{i}.png")
    assert main(["evaluate", "--checkpoint", str(checkpoint), "--lq", str(lq), "--gt", str(gt), "--steps", "2",
                 "--out", str(tmp_path / "ev")]) == 0
    assert "restored PSNR" in capsys.readouterr().out
    assert (tmp_path / "ev" / "metrics.csv").exists() and (tmp_path / "ev" / "restorations.png").exists()
    assert main(["restore", "--checkpoint", str(checkpoint), "--input", str(lq), "--output", str(out),
                 "--steps", "2"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["img0.png", "img1.png"]
    assert main(["restore", "--checkpoint", str(checkpoint), "--input", str(lq / "img0.png"), "--output",
                 str(out / "one"), "--sampler", "heun", "--steps", "3"]) == 0


@pytest.mark.parametrize("args,message", [
    (["evaluate", "--checkpoint", "/nonexistent.pt", "--task", "derain"], "checkpoint not found"),
    (["restore", "--checkpoint", "/nonexistent.pt", "--input", "/nonexistent", "--output", "/tmp/x"],
     "input not found"),
    (["train", "--lq", "/tmp"], "give both --lq and --gt"),
    (["train", "--lq", "/nonexistent_lq", "--gt", "/nonexistent_gt", "--steps", "1"], "nonexistent_lq"),
])
def test_user_errors_are_one_line(args, message):
    proc = subprocess.run([sys.executable, "-m", "rdbm_core", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_demo_fast_mode(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FAST", "1")
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PSNR of the degraded input" in out and "PSNR of the restoration" in out
    for name in ("restorations.png", "metrics.json", "metrics.csv", "checkpoint.pt", "train_losses.json"):
        assert (tmp_path / name).exists(), name
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["step"] == 20


def test_evaluate_writes_item_rows_on_the_fixed_benchmark(checkpoint, tmp_path, capsys):
    """``evaluate --items`` appends one row per benchmark item; the items do not depend on ``--seed``."""
    from rdbm_core.restoration.evaluation import ITEM_COLUMNS
    from rdbm_core.data.files import read_rows
    items = tmp_path / "items.csv"
    for seed in ("0", "5"):
        assert main(["evaluate", "--checkpoint", str(checkpoint), "--task", "inpaint", "--images", "3", "--crop", "32",
                     "--steps", "2", "--seed", seed, "--items", str(items)]) == 0
    rows = read_rows(items)
    assert len(rows) == 6 and list(rows[0]) == list(ITEM_COLUMNS)
    assert {r["method"] for r in rows} == {"rdbm"} and [r["item"] for r in rows] == ["0", "1", "2"] * 2
    assert [r["image"] for r in rows[:3]] == [r["image"] for r in rows[3:]]
    assert "appended 3 rows" in capsys.readouterr().out
