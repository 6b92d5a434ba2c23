"""The trainer: it learns, resumes exactly, writes checkpoints atomically, rejects bad ones, runs under DDP."""
import os
import subprocess
import sys

import pytest
import torch

from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.networks.checkpoints import load_checkpoint, load_trained, save_checkpoint
from rdbm_core.networks.training import train, training_loss

TINY = dict(task="derain", preset="tiny", batch=2, crop=32, pool=16, ckpt_every=0, lr=1e-3)


def _fixed_loss(model, path, config):
    """A fixed validation loss: fixed images, fixed t and eps."""
    ds = SyntheticPairs("derain", "train", crop=32, length=8, seed=99)
    x0 = torch.stack([ds[i]["x0"] for i in range(8)])
    mu = torch.stack([ds[i]["mu"] for i in range(8)])
    with torch.no_grad():
        return float(training_loss(model, path, x0, mu, config, torch.Generator().manual_seed(0)))


def test_tiny_training_lowers_the_loss(tmp_path):
    """60 steps of the tiny network lower the loss on a fixed batch by a fifth (measured 0.0555 -> 0.0430 on the
    training split of the held-out benchmark's photographs).  Mutation: a learning rate of 0 leaves it unchanged."""
    config = TrainConfig(**{**TINY, "steps": 60, "batch": 4, "out": str(tmp_path)})
    path = make_path(config)
    torch.manual_seed(config.seed)
    before = _fixed_loss(make_model(config, path), path, config)
    result = train(config, progress=False)
    model, path, _ = load_trained(result["checkpoint"], use_ema=False)
    after = _fixed_loss(model, path, config)
    assert after < 0.85 * before, (before, after)


def test_resume_reproduces_the_uninterrupted_run(tmp_path):
    full = train(TrainConfig(**{**TINY, "steps": 6, "out": str(tmp_path / "full")}), progress=False)
    half = train(TrainConfig(**{**TINY, "steps": 3, "out": str(tmp_path / "half")}), progress=False)
    resumed = train(TrainConfig(**{**TINY, "steps": 6, "out": str(tmp_path / "half")}), resume=half["checkpoint"],
                    progress=False)
    assert len(full["losses"]) == 6
    assert resumed["losses"] == full["losses"]  # identical, not merely close
    a, b = load_checkpoint(full["checkpoint"]), load_checkpoint(resumed["checkpoint"])
    assert a["step"] == b["step"] == 6
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
        assert torch.equal(a["ema"][k], b["ema"][k]), k


def test_checkpoint_round_trip_and_regression_baseline(tmp_path):
    result = train(TrainConfig(**{**TINY, "bridge": "regression", "steps": 2, "out": str(tmp_path)}), progress=False)
    state = load_checkpoint(result["checkpoint"])
    assert state["config"]["bridge"] == "regression" and state["step"] == 2 and len(state["losses"]) == 2
    model, path, config = load_trained(result["checkpoint"])
    assert path is None and config.preset == "tiny"
    mu = torch.zeros(1, 3, 20, 28)
    assert model(mu).shape == mu.shape


def test_bad_checkpoints_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_checkpoint(tmp_path / "missing.pt")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load_checkpoint(empty)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(junk)
    good = train(TrainConfig(**{**TINY, "steps": 1, "out": str(tmp_path / "run")}), progress=False)["checkpoint"]
    data = open(good, "rb").read()
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(ValueError, match="not an rdbm checkpoint"):
        load_checkpoint(foreign)


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_checkpoint_loading_executes_no_code(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"model": _Evil()}, evil)
    with pytest.raises(ValueError, match="corrupt or not a PyTorch file"):
        load_checkpoint(evil)


def test_failed_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    config = TrainConfig(**{**TINY, "steps": 1, "out": str(tmp_path)})
    ckpt = train(config, progress=False)["checkpoint"]
    before = open(ckpt, "rb").read()
    model = make_model(config, make_path(config))
    opt = torch.optim.AdamW(model.parameters())

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        save_checkpoint(ckpt, model, model, opt, config, 5, [])
    assert open(ckpt, "rb").read() == before
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]  # no temporary file left behind


def test_ddp_two_processes_on_cpu(tmp_path):
    """torchrun with 2 processes (gloo): the run completes and rank 0 writes one checkpoint."""
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29533",
           "-m", "rdbm_core", "train", "--preset", "tiny", "--steps", "3", "--batch", "2", "--crop", "32",
           "--no-eval", "--device", "cpu", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "2 processes" in proc.stdout
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["step"] == 3 and len(state["losses"]) == 3


def test_bad_config():
    with pytest.raises(ValueError, match="unknown bridge"):
        TrainConfig(bridge="ddpm")
    with pytest.raises(ValueError, match="both --lq and --gt"):
        TrainConfig(lq="a")
    with pytest.raises(ValueError, match="steps must be"):
        TrainConfig(steps=0)
