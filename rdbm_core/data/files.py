"""Writing and reading result files: :func:`atomic_write` (nothing already written is lost) and :func:`dumps_json` (strict JSON).

Strict JSON (RFC 8259) for every JSON the project writes: Python's :func:`json.dumps` writes
``NaN``, ``Infinity`` and ``-Infinity`` for non-finite floats; those tokens are not JSON, and
strict parsers (``JSON.parse``, ``jq``, ...) reject the whole document.  :func:`dumps_json`
writes them as ``null`` -- a value that is undefined, such as the intact-pixel PSNR of an
image whose every pixel is degraded -- and every finite number exactly as :func:`json.dumps`
does (same keyword arguments, same bytes).

Result rows: :func:`write_metrics` (an evaluation's rows and summary as JSON and CSV), :func:`read_rows` and
:func:`append_rows` (CSV files of result rows, appended and flushed row by row).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = ["atomic_write", "finite_or_none", "dumps_json", "write_metrics", "read_rows", "append_rows"]


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


def _plain(v):
    """numpy scalars and 0-d tensors -> Python numbers, for JSON/CSV."""
    if isinstance(v, (np.generic, torch.Tensor)):
        return v.item()
    return v


def write_metrics(rows: Sequence[dict], summary: dict, json_path, csv_path) -> None:
    """Write the per-image metrics and their summary to a JSON file and a CSV file.

    JSON: ``{"summary": summary, "images": rows}``, strict (:func:`rdbm_core.data.files.dumps_json`):
    ``nan``/``inf`` (an undefined metric, e.g. intact pixels of an image without any)
    are written as ``null``.
    CSV: a first column ``row`` (the image index), then the union of the row
    keys in first-seen order, one line per image, and a final line with
    ``row = "mean"`` holding the summary values of those columns. Both files
    are written atomically; parent folders are created.
    """
    rows = [{k: _plain(v) for k, v in r.items()} for r in rows]
    summary = {k: _plain(v) for k, v in summary.items()}
    text = dumps_json({"summary": summary, "images": rows}, indent=2) + "\n"
    atomic_write(Path(json_path), text.encode("utf-8"))

    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=["row", *columns], restval="", lineterminator="\n")
    writer.writeheader()
    for i, r in enumerate(rows):
        writer.writerow({"row": i, **r})
    writer.writerow({"row": "mean", **{k: summary[k] for k in columns if k in summary}})
    atomic_write(Path(csv_path), buf.getvalue().encode("utf-8"))


def read_rows(csv_path: str | os.PathLike) -> list[dict]:
    """Rows of a results CSV as dicts of strings (empty if the file does not exist)."""
    csv_path = Path(csv_path)
    if not csv_path.exists():
        return []
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def append_rows(csv_path: str | os.PathLike, rows: Sequence[dict], columns: Sequence[str]) -> None:
    """Append rows (the ``columns`` of each) to a CSV, with a header if the file is new; flushed at once
    so a killed run keeps them.  An existing file must have exactly these columns (else ``ValueError``:
    nothing is written)."""
    csv_path = Path(csv_path)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    new = not csv_path.exists() or csv_path.stat().st_size == 0
    if not new:
        with open(csv_path, newline="") as f:
            header = next(csv.reader(f), [])
        if header != list(columns):
            raise ValueError(f"{csv_path} has the columns {', '.join(header)}; cannot append rows with "
                             f"the columns {', '.join(columns)} (use another file)")
    with open(csv_path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns), lineterminator="\n")
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: _plain(row[k]) for k in columns})
        f.flush()
