"""One record of where a result came from, written by one function for every study.

:func:`provenance` gathers: the commit and whether the work tree had uncommitted changes, the torch version,
the device and processor, the torch threads and ``OMP_NUM_THREADS``, the command line, the wall time and the
SHA-256 of every network file the result used. Paths are stored relative to the repository, so no committed
record names a temporary or absolute folder.
"""
from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from pathlib import Path

import torch

from rdbm_core.data.files import atomic_write, dumps_json

__all__ = ["REPO", "file_sha256", "git_state", "provenance", "write_provenance"]

REPO = Path(__file__).resolve().parents[1]


def file_sha256(file) -> str:
    """SHA-256 of a file's bytes, in hex."""
    h = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_state() -> dict:
    """``{"commit", "dirty"}`` of the repository (``None`` for both outside a git checkout)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30)
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def _relative(path) -> str:
    """``path`` relative to the repository when inside it, else its name alone (never an absolute folder)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return path.name


def provenance(argv=None, wall_s: float | None = None, networks=(), device: str = "cpu") -> dict:
    """The provenance record of a result (see the module docstring); ``networks``: files whose hash it records."""
    argv = list(sys.argv if argv is None else argv)
    return {
        **git_state(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": torch.cuda.get_device_name(0) if device.startswith("cuda") else
        f"cpu ({platform.machine()}, {os.cpu_count()} cores, {torch.backends.cpu.get_cpu_capability()})",
        "torch_threads": torch.get_num_threads(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "argv": [_relative(a) if os.path.isabs(a) else a for a in argv],
        "wall_s": None if wall_s is None else round(float(wall_s), 1),
        "networks": {_relative(f): file_sha256(f) for f in networks},
    }


def write_provenance(folder, record: dict, name: str = "provenance.json") -> Path:
    """Write ``record`` as ``folder/name`` (strict JSON, atomically)."""
    return atomic_write(Path(folder) / name, (dumps_json(record, indent=2) + "\n").encode())
