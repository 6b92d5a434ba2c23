"""Writing files: :func:`atomic_write` (nothing already written is lost) and :func:`dumps_json` (strict JSON).

Strict JSON (RFC 8259) for every JSON the project writes: Python's :func:`json.dumps` writes
``NaN``, ``Infinity`` and ``-Infinity`` for non-finite floats; those tokens are not JSON, and
strict parsers (``JSON.parse``, ``jq``, ...) reject the whole document.  :func:`dumps_json`
writes them as ``null`` -- a value that is undefined, such as the intact-pixel PSNR of an
image whose every pixel is degraded -- and every finite number exactly as :func:`json.dumps`
does (same keyword arguments, same bytes).
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "finite_or_none", "dumps_json"]


def _process_umask() -> int:
    """The process's umask, read once at import (reading it means setting it, so not on every write)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _process_umask()


def atomic_write(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A reader sees the old file or the new one, never a half-written one; if writing fails, the old file
    stays as it was and the temporary file is removed. Missing parent folders are created. The file gets the
    permissions of an ordinary new file (``0o666`` less the umask), not the private ones of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def finite_or_none(obj):
    """``obj`` with every non-finite float (also inside dicts, lists and tuples) replaced by ``None``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def dumps_json(obj, **kwargs) -> str:
    """:func:`json.dumps` of ``obj`` with NaN/inf as ``null``; refuses (``ValueError``) anything else non-JSON."""
    return json.dumps(finite_or_none(obj), allow_nan=False, **kwargs)
