"""Checkpoints written before the pipeline was split (commit 2ef1fa7: TrainConfig, the wrappers and the
checkpoint I/O in ``rdbm_core/training.py``) still load and give the same model.

``data/checkpoint_2ef1fa7.pt.xz`` was written by that commit's code (tiny RDBM, 1 step, 16x16 crops)::

    train(TrainConfig(task="derain", preset="tiny", steps=1, batch=1, crop=16, pool=1, ckpt_every=0, out=...))

and the two sums below are that code's EMA model output on fixed inputs, compared to 1e-6 of the output's L1
norm (another CPU rounds a float32 network differently; the sums are not compared bit for bit). Mutation that
fails: renaming the wrapped network's attribute ``net`` in ``unet.Preconditioned`` (the state dict keys no longer
match).
"""
import lzma
from pathlib import Path

import pytest
import torch

from rdbm_core.checkpoints import load_checkpoint, load_trained

OLD = Path(__file__).resolve().parent / "data" / "checkpoint_2ef1fa7.pt.xz"


def test_a_checkpoint_of_the_previous_layout_loads_and_restores_the_same_model(tmp_path):
    file = tmp_path / "checkpoint.pt"
    file.write_bytes(lzma.decompress(OLD.read_bytes()))
    assert load_checkpoint(file)["format"] == "rdbm-checkpoint-1"
    model, path, config = load_trained(file)
    assert (config.bridge, config.preset, config.steps) == ("rdbm", "tiny", 1)
    g = torch.Generator().manual_seed(0)
    mu = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    x = torch.rand(1, 3, 16, 16, generator=g) * 2 - 1
    with torch.no_grad():
        out = model(x, mu, torch.tensor([50])).double()
    l1 = 393.3039575627772
    assert float(out.abs().sum()) == pytest.approx(l1, rel=1e-6)
    assert float(out.sum()) == pytest.approx(-3.9517800143221393, abs=1e-6 * l1)
