"""Checkpoints written before the pipeline was split (commit 2ef1fa7: TrainConfig, the wrappers and the
checkpoint I/O in ``rdbm_core/networks/training.py``) still load and give the same model.

``data/checkpoint_2ef1fa7.pt.xz`` was written by that commit's code (tiny RDBM, 1 step, 16x16 crops)::

    train(TrainConfig(task="derain", preset="tiny", steps=1, batch=1, crop=16, pool=1, ckpt_every=0, out=...))

and the two sums below are that code's EMA model output on fixed inputs, compared to 1e-6 of the output's L1
norm (another CPU rounds a float32 network differently; the sums are not compared bit for bit). Mutation that
fails: renaming the wrapped network's attribute ``net`` in ``unet.Preconditioned`` (the state dict keys no longer
match).
"""
import json
import lzma
from pathlib import Path

import pytest
import torch

from rdbm_core.networks.checkpoints import load_checkpoint, load_trained

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


# ----------------------------------------------------------------------------- weights files (safetensors)

def _outputs(model):
    g = torch.Generator().manual_seed(3)
    mu, x = (torch.rand(2, 3, 16, 16, generator=g) * 2 - 1 for _ in range(2))
    with torch.no_grad():
        return model(x, mu, torch.tensor([10, 70]))


def test_a_weights_file_gives_the_checkpoints_ema_model_and_its_record(tiny_checkpoint, tmp_path):
    """export -> load_trained: the same config and bit for bit the same outputs (same process) as the checkpoint's
    EMA model; step and losses travel as metadata, the optimizer does not. Mutation that fails: exporting
    ``state["model"]`` instead of ``state["ema"]`` (outputs differ)."""
    from rdbm_core.networks.checkpoints import export_weights, load_weights
    out = export_weights(tiny_checkpoint, tmp_path / "w.safetensors", {"command": "train ..."})
    model, path, config = load_trained(out)
    ref_model, ref_path, ref_config = load_trained(tiny_checkpoint)
    assert config == ref_config and path.describe() == ref_path.describe()
    assert torch.equal(_outputs(model), _outputs(ref_model))
    assert not torch.equal(_outputs(model), _outputs(load_trained(tiny_checkpoint, use_ema=False)[0]))
    tensors, meta = load_weights(out)
    state = load_checkpoint(tiny_checkpoint)
    assert meta["step"] == state["step"] and meta["command"] == "train ..."
    assert meta["losses"] == pytest.approx(state["losses"], abs=1e-6)
    assert set(tensors) == set(state["ema"]) and out.stat().st_size < 0.6 * Path(tiny_checkpoint).stat().st_size


def test_a_weights_file_re_exported_keeps_its_network_and_takes_new_provenance(tiny_checkpoint, tmp_path):
    """export(weights file) -> the same tensors, config, step and losses, the new extra keys and not the old ones.
    Mutation that fails: the old file's extra metadata carried over (``meta["command"]`` stays)."""
    from rdbm_core.networks.checkpoints import export_weights, load_weights
    first = export_weights(tiny_checkpoint, tmp_path / "a.safetensors", {"command": "train ..."})
    second = export_weights(first, tmp_path / "b.safetensors", {"commit": "abc1234"})
    (ta, ma), (tb, mb) = load_weights(first), load_weights(second)
    assert set(ta) == set(tb) and all(torch.equal(ta[k], tb[k]) for k in ta)
    assert (ma["config"], ma["step"], ma["losses"]) == (mb["config"], mb["step"], mb["losses"])
    assert mb["commit"] == "abc1234" and "command" not in mb


def test_bad_weights_files_are_one_clear_error(tiny_checkpoint, tmp_path):
    from safetensors.torch import save_file

    from rdbm_core.networks.checkpoints import export_weights, load_weights
    good = export_weights(tiny_checkpoint, tmp_path / "w.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    foreign = tmp_path / "foreign.safetensors"
    save_file({"a": torch.zeros(2)}, foreign)
    with pytest.raises(ValueError, match="corrupt or not a safetensors file"):
        load_trained(truncated)
    with pytest.raises(ValueError, match="not an rdbm weights file"):
        load_trained(foreign)
    with pytest.raises(ValueError, match="holds the EMA weights only"):
        load_trained(good, use_ema=False)
    with pytest.raises(ValueError, match="may not replace step"):
        export_weights(tiny_checkpoint, tmp_path / "x.safetensors", {"step": "3"})
    assert not (tmp_path / "x.safetensors").exists()
    # a file whose tensors lack some of its config's network: the mismatch is named
    tensors, meta = load_weights(good)
    meta = {**meta, "config": json.dumps(meta["config"]), "step": str(meta["step"]), "losses": "[]"}
    save_file({k: v for k, v in tensors.items() if "out" not in k}, tmp_path / "mismatch.safetensors", metadata=meta)
    with pytest.raises(ValueError, match="does not match its own configuration"):
        load_trained(tmp_path / "mismatch.safetensors")


def test_cli_export_then_evaluate_takes_the_weights_file(tiny_checkpoint, tmp_path, capsys):
    from rdbm_core.cli import main
    out = tmp_path / "w.safetensors"
    assert main(["export", "--checkpoint", tiny_checkpoint, "--out", str(out), "--meta", "commit=abc"]) == 0
    assert "EMA weights" in capsys.readouterr().out
    assert main(["export", "--checkpoint", tiny_checkpoint, "--out", str(out), "--meta", "nokey"]) == 2
    assert "--meta takes KEY=VALUE" in capsys.readouterr().err
    assert main(["evaluate", "--checkpoint", str(out), "--task", "derain", "--images", "2", "--crop", "16",
                 "--steps", "2", "--json"]) == 0
    assert '"psnr"' in capsys.readouterr().out
