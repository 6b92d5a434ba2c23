"""Strict JSON (RFC 8259) for every JSON the project writes: a non-finite number becomes ``null``.

Python's :func:`json.dumps` writes ``NaN``, ``Infinity`` and ``-Infinity`` for non-finite
floats; those tokens are not JSON, and strict parsers (``JSON.parse``, ``jq``, ...) reject
the whole document.  :func:`dumps` writes them as ``null`` -- a value that is undefined,
such as the intact-pixel PSNR of an image whose every pixel is degraded -- and writes every
finite number exactly as :func:`json.dumps` does (same keyword arguments, same bytes).
"""
from __future__ import annotations

import json
import math

__all__ = ["finite_or_none", "dumps"]


def finite_or_none(obj):
    """``obj`` with every non-finite float (also inside dicts, lists and tuples) replaced by ``None``."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite_or_none(v) for v in obj]
    return obj


def dumps(obj, **kwargs) -> str:
    """:func:`json.dumps` of ``obj`` with NaN/inf as ``null``; refuses (``ValueError``) anything else non-JSON."""
    return json.dumps(finite_or_none(obj), allow_nan=False, **kwargs)
