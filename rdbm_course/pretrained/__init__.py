"""The networks the notebooks train, shipped as weights files, so a notebook shows its results in minutes.

Each network was trained with the project's own command line (``python -m rdbm_core train ...``, notebook 06's)
or is a rung of the budget ladder (``python -m experiments budget_ladder train``, notebook 13's: the very
networks the ladder measures) and exported with ``python -m rdbm_core export`` or
:mod:`rdbm_course.pretrained.ship`: the EMA weights only, as safetensors (reading one executes no code), with
the run's config, step and losses inside. ``manifest.json`` beside the files records, for each, the command,
the commit, the machine, the wall time of the training, and its PSNR on a fixed part of the held-out benchmark
(the test ``tests/course/test_pretrained.py`` restores it again and checks that PSNR).

``python -m rdbm_course.pretrained`` lists them with their paths, which ``evaluate`` and ``restore`` take as
``--checkpoint``. :func:`weights_file` gives the path of one, :func:`load` the ``(model, path, config)`` of
:func:`rdbm_core.networks.checkpoints.load_trained`, and :func:`record` its manifest entry.
"""
from __future__ import annotations

import json
from pathlib import Path

from rdbm_core.networks.checkpoints import load_trained

__all__ = ["FOLDER", "names", "record", "weights_file", "load"]

#: the folder of the weights files and their manifest (installed with the package)
FOLDER = Path(__file__).resolve().parent


def _manifest() -> dict:
    return json.loads((FOLDER / "manifest.json").read_text())


def names() -> list[str]:
    """The names of the shipped networks (e.g. ``nb06_derain``)."""
    return sorted(_manifest())


def record(name: str) -> dict:
    """The manifest entry of network ``name``: file, command, commit, machine, wall time, benchmark PSNR."""
    manifest = _manifest()
    if name not in manifest:
        raise KeyError(f"no shipped network {name!r}; shipped: {', '.join(sorted(manifest))}")
    return manifest[name]


def weights_file(name: str) -> Path:
    """The path of network ``name``'s weights file."""
    return FOLDER / record(name)["file"]


def load(name: str, device: str = "cpu"):
    """``(model, path, config)`` of network ``name`` (EMA weights, eval mode)."""
    return load_trained(weights_file(name), device=device)


def main() -> None:
    for name in names():
        r = record(name)
        b = r["benchmark"]
        print(f"{name:14s} {weights_file(name)}\n{'':14s} {r['steps']} steps, {r['wall_s']:.0f} s on {r['machine']}; "
              f"benchmark ({b['items']} items): {b['psnr']:.2f} dB from {b['input_psnr']:.2f} dB")


if __name__ == "__main__":
    main()
