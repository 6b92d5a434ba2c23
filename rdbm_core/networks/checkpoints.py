"""Checkpoints: write atomically, read without executing code, and rebuild the trained model.

A checkpoint holds ``model``, ``ema``, ``optimizer``, ``config``, ``step``, ``losses`` and the torch RNG
state (``rng``), with ``format = "rdbm-checkpoint-1"``. It is written atomically (:func:`rdbm_core.data.files.atomic_write`:
a temporary file in the same folder, then ``os.replace``) and read with ``torch.load(weights_only=True)``:
a checkpoint from elsewhere executes no code. A missing, empty, corrupt or foreign file is one clear error.

A *weights file* (``.safetensors``, ``format = "rdbm-weights-1"``) is what gets shipped and shared: the EMA
weights of a finished run and nothing else, with the run's config, step and losses as string metadata
(:func:`export_weights`). safetensors holds tensors and strings only, so reading one executes no code either.
:func:`load_trained` takes a checkpoint or a weights file.
"""
from __future__ import annotations

import io
import json
from dataclasses import asdict
from pathlib import Path

import torch

from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.data.files import atomic_write

__all__ = ["CHECKPOINT_KEYS", "WEIGHTS_FORMAT", "save_checkpoint", "load_checkpoint", "export_weights",
           "load_weights", "load_trained"]

CHECKPOINT_KEYS = ("model", "ema", "optimizer", "config", "step", "losses", "rng")
#: the ``format`` metadata of a weights file; its other metadata keys are ``config``, ``step`` and ``losses`` (JSON)
WEIGHTS_FORMAT = "rdbm-weights-1"
WEIGHTS_KEYS = ("format", "config", "step", "losses")


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


def export_weights(checkpoint, out, extra: dict | None = None) -> Path:
    """Write the EMA weights of ``checkpoint`` (an rdbm checkpoint, or a weights file written here before) to the
    safetensors file ``out``, atomically.

    The metadata hold ``format`` (:data:`WEIGHTS_FORMAT`), the run's ``config``, ``step`` and ``losses`` (JSON
    strings) and, from ``extra``, any further string-valued keys (e.g. provenance; a weights file's own extra keys
    are dropped). Returns ``out``.
    """
    from safetensors.torch import save

    if is_weights_file(checkpoint):
        tensors, meta = load_weights(checkpoint)
        state = {"ema": tensors, "config": meta["config"], "step": meta["step"], "losses": meta["losses"]}
    else:
        state = load_checkpoint(checkpoint)
    extra = dict(extra or {})
    clash = sorted(set(extra) & set(WEIGHTS_KEYS))
    if clash:
        raise ValueError(f"extra metadata may not replace {', '.join(clash)}")
    if not all(isinstance(v, str) for v in extra.values()):
        raise ValueError("extra metadata values must be strings (safetensors metadata are strings)")
    tensors = {k: v.detach().float().contiguous() if v.is_floating_point() else v.contiguous()
               for k, v in state["ema"].items()}
    metadata = {"format": WEIGHTS_FORMAT, "config": json.dumps(state["config"]), "step": str(state["step"]),
                "losses": json.dumps([round(float(x), 6) for x in state["losses"]]), **extra}
    return atomic_write(out, save(tensors, metadata=metadata))


def load_weights(file) -> tuple[dict, dict]:
    """``(tensors, metadata)`` of a weights file, with ``config``, ``step`` and ``losses`` decoded from JSON;
    clear errors for a missing, empty, corrupt or foreign file."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    file = Path(file)
    if not file.is_file():
        raise FileNotFoundError(f"weights file not found: {file}")
    data = file.read_bytes()
    if not data:
        raise ValueError(f"weights file {file} is empty (0 bytes)")
    try:
        tensors = load(data)
        header_len = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8:8 + header_len]).get("__metadata__") or {}
    except (SafetensorError, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"weights file {file} is corrupt or not a safetensors file: {err}") from None
    if metadata.get("format") != WEIGHTS_FORMAT or any(k not in metadata for k in WEIGHTS_KEYS):
        raise ValueError(f"{file} is not an rdbm weights file (format {metadata.get('format')!r}, "
                         f"expected {WEIGHTS_FORMAT!r} with metadata {', '.join(WEIGHTS_KEYS)})")
    meta = dict(metadata)
    try:
        meta.update(config=json.loads(meta["config"]), step=int(meta["step"]), losses=json.loads(meta["losses"]))
    except ValueError as err:
        raise ValueError(f"weights file {file} has unreadable metadata: {err}") from None
    return tensors, meta


def is_weights_file(file) -> bool:
    """Does ``file`` start like a safetensors file (an 8-byte header length, then a JSON object)?"""
    with open(file, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < (1 << 32)


def load_trained(file, device="cpu", use_ema: bool = True):
    """``(model, path, config)`` from a checkpoint (with its EMA weights by default) or a weights file (which
    holds only EMA weights, so ``use_ema=False`` is an error there), in eval mode."""
    file = Path(file)
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint not found: {file}")
    if is_weights_file(file):
        if not use_ema:
            raise ValueError(f"{file} is a weights file: it holds the EMA weights only")
        weights, meta = load_weights(file)
        config_dict = meta["config"]
    else:
        state = load_checkpoint(file)
        weights, config_dict = state["ema" if use_ema else "model"], state["config"]
    config = TrainConfig.from_dict(config_dict)
    path = make_path(config)
    model = make_model(config, path)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"checkpoint {file} does not match its own configuration: {str(err).splitlines()[0]}") from None
    return model.to(device).eval(), path, config
