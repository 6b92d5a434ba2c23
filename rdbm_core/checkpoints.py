"""Checkpoints: write atomically, read without executing code, and rebuild the trained model.

A checkpoint holds ``model``, ``ema``, ``optimizer``, ``config``, ``step``, ``losses`` and the torch RNG
state (``rng``), with ``format = "rdbm-checkpoint-1"``. It is written atomically (:func:`rdbm_core.io.atomic_write`:
a temporary file in the same folder, then ``os.replace``) and read with ``torch.load(weights_only=True)``:
a checkpoint from elsewhere executes no code. A missing, empty, corrupt or foreign file is one clear error.
"""
from __future__ import annotations

import io
from dataclasses import asdict
from pathlib import Path

import torch

from .config import TrainConfig, make_model, make_path
from .io import atomic_write

__all__ = ["CHECKPOINT_KEYS", "save_checkpoint", "load_checkpoint", "load_trained"]

CHECKPOINT_KEYS = ("model", "ema", "optimizer", "config", "step", "losses", "rng")


def save_checkpoint(file, model, ema, optimizer, config: TrainConfig, step: int, losses: list[float]) -> Path:
    """Write a checkpoint atomically (temporary file in the same folder, then rename)."""
    state = {
        "model": model.state_dict(),
        "ema": ema.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": asdict(config),
        "step": step,
        "losses": list(losses),
        "rng": torch.get_rng_state(),
        "format": "rdbm-checkpoint-1",
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return atomic_write(file, buf.getvalue())


def load_checkpoint(file) -> dict:
    """Read a checkpoint without executing code (``weights_only=True``); clear errors for bad files."""
    file = Path(file)
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint not found: {file}")
    if file.stat().st_size == 0:
        raise ValueError(f"checkpoint {file} is empty (0 bytes)")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for truncated or foreign files
        raise ValueError(f"checkpoint {file} is corrupt or not a PyTorch file: {type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}") from None
    if not isinstance(state, dict) or any(k not in state for k in CHECKPOINT_KEYS):
        missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
        raise ValueError(f"{file} is not an rdbm checkpoint (missing: {', '.join(missing)})")
    return state


def load_trained(file, device="cpu", use_ema: bool = True):
    """``(model, path, config)`` from a checkpoint, with the EMA weights by default, in eval mode."""
    state = load_checkpoint(file)
    config = TrainConfig.from_dict(state["config"])
    path = make_path(config)
    model = make_model(config, path)
    try:
        model.load_state_dict(state["ema" if use_ema else "model"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {file} does not match its own configuration: {str(err).splitlines()[0]}") from None
    return model.to(device).eval(), path, config
