"""How much memory one network call takes: the peak bytes of the tensors it creates, per input pixel.

A convolutional network's activations grow linearly with the pixels, so one call on a small probe image tells the
bytes per pixel of any image; :func:`~rdbm_core.restoration.tiling.tile_budget_pixels` turns them into a tile.
"""
from __future__ import annotations

import weakref

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["LiveTensorBytes", "activation_bytes_per_pixel"]


class LiveTensorBytes(TorchFunctionMode):
    """Inside the mode: the bytes of the tensors that torch functions return while they are alive (``now``) and
    their ``peak`` (a function's internal temporaries are not seen; views of one storage count once)."""

    def __init__(self):
        super().__init__()
        self.live, self.now, self.peak = {}, 0, 0  # live: storage address -> [bytes, tensors alive on it]

    def _release(self, key):
        self.live[key][1] -= 1
        if self.live[key][1] == 0:
            self.now -= self.live.pop(key)[0]

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in (t for t in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(t, torch.Tensor)):
            key, size = t.untyped_storage().data_ptr(), t.untyped_storage().nbytes()
            if key not in self.live:
                self.live[key], self.now, self.peak = [size, 0], self.now + size, max(self.peak, self.now + size)
            self.live[key][1] += 1
            weakref.finalize(t, self._release, key)
        return out


_MEASURED = weakref.WeakKeyDictionary()  # model -> {(channels, device, dtype, size): bytes per pixel}


@torch.no_grad()
def activation_bytes_per_pixel(model, channels: int = 3, device="cpu", autocast_dtype=None, probe_inputs=None,
                               size: int = 64) -> float:
    """Peak bytes of the tensors one call of ``model`` creates (weights and inputs not counted) over the pixels of
    its ``size x size`` probe image, with ``channels`` channels on ``device``, under autocast with ``autocast_dtype``
    (``None``: float32).  ``probe_inputs(image) -> args`` builds the call's arguments (default ``(image, image, t)``).
    Measured once per model and arguments (one network call), then remembered."""
    device = torch.device(device)
    key = (channels, str(device), autocast_dtype, size)
    known = _MEASURED.setdefault(model, {})
    if key not in known:
        image = torch.zeros(1, channels, size, size, device=device)
        args = probe_inputs(image) if probe_inputs else (image, image, torch.zeros(1, device=device))
        with LiveTensorBytes() as counter, torch.autocast(device.type, dtype=autocast_dtype or torch.float16,
                                                          enabled=autocast_dtype is not None):
            model(*args)
        known[key] = counter.peak / size ** 2
    return known[key]
