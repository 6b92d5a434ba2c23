"""Tiled network evaluation: restoring images of any size in bounded memory.

The sampler's state stays the whole image; only the network call is split.  At
every step :class:`TiledModel` cuts its image inputs (``x_t``, ``mu``) into
overlapping tiles, runs the wrapped network on each tile, and blends the tile
predictions back into one whole-image prediction with a smooth window (a
raised-cosine ramp over each overlap, normalised by the summed weights).  Every
step therefore sees one consistent image, so no seam can drift between steps,
and the wrapper has the network's own interface ``model(x_t, mu, t)``: every
sampler of :mod:`rdbm_core.samplers` works with it unchanged.

Memory: the network's activations, the dominant cost (about 1.5 kB per pixel
for the ``small`` U-Net), grow with the tile, not with the image.  The default
tile follows from the device's available memory (:func:`tile_budget_pixels`,
:class:`TilingDefaults`); :func:`tiled` switches tiling off when the image fits
in one tile and then returns the model itself, so the output is bit-identical
to an untiled run.

Half precision (CUDA only) runs each network call under ``torch.autocast`` with
float16 and returns float32, so the sampler's arithmetic stays in float32.
"""
from __future__ import annotations

import math
import os
import weakref
from dataclasses import dataclass

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["TilingDefaults", "DEFAULTS", "TiledModel", "tiled", "check_tile_options", "default_tile",
           "default_overlap", "tile_starts", "blend_ramp", "tile_budget_pixels", "activation_bytes_per_pixel",
           "available_memory", "network_multiple", "LiveTensorBytes"]


@dataclass(frozen=True)
class TilingDefaults:
    """The one place for the defaults of tiled evaluation."""

    memory_fraction: float = 0.25  # share of the device's available memory one network call may use
    cpu_memory_cap: int = 512 * 2 ** 20  # bytes: at most this for one network call on the CPU
    overlap_fraction: float = 0.125  # default overlap = this share of the tile side ...
    min_overlap: int = 32  # ... but at least this many pixels
    probe_size: int = 64  # side of the image on which the activation memory per pixel is measured
    untiled_side: int = 256  # images no larger than this square are never tiled (and need no memory probe)


DEFAULTS = TilingDefaults()


def network_multiple(model: torch.nn.Module) -> int:
    """The side multiple the wrapped U-Net computes on without padding (1 when it has none)."""
    return max((int(m.multiple) for m in model.modules() if isinstance(getattr(m, "multiple", None), int)),
               default=1)


def _tensors(obj):
    """The tensors inside ``obj`` (nested tuples, lists and dict values), in order."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


class LiveTensorBytes(TorchFunctionMode):
    """Counts the bytes of the tensors that torch functions return inside the mode while they are
    alive (``now``), and their ``peak`` (temporaries internal to one function are not seen)."""

    def __init__(self):
        super().__init__()
        self.storages, self.now, self.peak = {}, 0, 0

    def _release(self, key):
        entry = self.storages[key]
        entry[1] -= 1
        if entry[1] == 0:
            del self.storages[key]
            self.now -= entry[0]

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in _tensors(out):
            if isinstance(t, torch.Tensor):
                storage = t.untyped_storage()
                key = storage.data_ptr()
                if key not in self.storages:
                    self.storages[key] = [storage.nbytes(), 0]
                    self.now += storage.nbytes()
                    self.peak = max(self.peak, self.now)
                self.storages[key][1] += 1
                weakref.finalize(t, self._release, key)
        return out


_MEASURED = weakref.WeakKeyDictionary()  # model -> {(channels, device, dtype): bytes per pixel}


@torch.no_grad()
def activation_bytes_per_pixel(model, channels: int = 3, device="cpu", autocast_dtype=None,
                               probe_inputs=None) -> float:
    """Peak bytes of the tensors one ``model(x_t, mu, t)`` call creates, per input pixel.

    Measured by running the model once on a ``probe_size``-square image and counting
    every tensor created during the call while it is alive (weights and inputs are not
    counted).  A convolutional network's activations grow linearly with the pixels.
    ``probe_inputs(image) -> args`` builds the call's arguments (default ``(x, x, t)``).
    The result is remembered per model, channels, device and dtype.
    """
    key = (channels, str(device), autocast_dtype)
    known = _MEASURED.setdefault(model, {})
    if key not in known:
        known[key] = _measure_bytes_per_pixel(model, channels, device, autocast_dtype,
                                              probe_inputs or _conditional_inputs)
    return known[key]


def _conditional_inputs(x: torch.Tensor) -> tuple:
    return x, x, torch.zeros(x.shape[0], device=x.device)


def _measure_bytes_per_pixel(model, channels, device, autocast_dtype, probe_inputs) -> float:
    s = DEFAULTS.probe_size
    args = probe_inputs(torch.zeros(1, channels, s, s, device=device))
    counter = LiveTensorBytes()
    with counter, torch.autocast(torch.device(device).type, dtype=autocast_dtype or torch.float16,
                                 enabled=autocast_dtype is not None):
        model(*args)
    return counter.peak / (s * s)


def available_memory(device) -> int:
    """Bytes free for new tensors: CUDA's free memory, or the host's available memory."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def tile_budget_pixels(model, device="cpu", autocast_dtype=None, channels: int = 3, probe_inputs=None) -> int:
    """How many pixels one network call may process: the memory budget over the bytes per pixel.

    The budget is ``memory_fraction`` of the device's available memory, and on the CPU
    at most ``cpu_memory_cap``.
    """
    budget = DEFAULTS.memory_fraction * available_memory(device)
    if torch.device(device).type == "cpu":
        budget = min(budget, DEFAULTS.cpu_memory_cap)
    per_pixel = activation_bytes_per_pixel(model, channels, device, autocast_dtype, probe_inputs)
    return max(1, int(budget / max(per_pixel, 1.0)))


def default_tile(budget_pixels: int, multiple: int) -> int:
    """The square tile side that fits the budget, rounded down to the network's multiple."""
    side = math.isqrt(budget_pixels)
    return max(multiple, side - side % multiple)


def default_overlap(tile: int) -> int:
    """``overlap_fraction`` of the tile, at least ``min_overlap``, at most half the tile."""
    return min(tile // 2, max(DEFAULTS.min_overlap, round(DEFAULTS.overlap_fraction * tile)))


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of side ``tile`` covering ``[0, length)`` with at least ``overlap`` shared pixels.

    The first tile starts at 0, the last ends at ``length``, the others are evenly
    spaced in between; ``length <= tile`` gives the single start 0.
    """
    if tile < 1 or not 0 <= overlap < tile:
        raise ValueError(f"need tile >= 1 and 0 <= overlap < tile, got tile={tile}, overlap={overlap}")
    if length <= tile:
        return [0]
    n = math.ceil((length - overlap) / (tile - overlap))
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def blend_ramp(size: int, ramp: int, rise: bool, fall: bool) -> torch.Tensor:
    """1-D blending weights of a tile of ``size`` pixels: a raised-cosine ramp of ``ramp`` pixels
    at the start (``rise``) and at the end (``fall``), 1 elsewhere; all weights are positive.

    Two tiles overlapping by exactly ``ramp`` pixels have weights summing to 1 there
    (``sin^2 + cos^2``); :class:`TiledModel` divides by the summed weights anyway.
    """
    w = torch.ones(size, dtype=torch.float64)
    ramp = min(ramp, size)
    if ramp > 0:
        up = torch.sin(0.5 * math.pi * (torch.arange(ramp, dtype=torch.float64) + 0.5) / ramp) ** 2
        if rise:
            w[:ramp] = torch.minimum(w[:ramp], up)
        if fall:
            w[size - ramp:] = torch.minimum(w[size - ramp:], up.flip(0))
    return w


class TiledModel(torch.nn.Module):
    """``model`` evaluated tile by tile, with the same interface ``model(*inputs) -> prediction``.

    Every 4-D tensor input with the spatial size of the first input is cut into the
    same tiles; other inputs (the times ``t``) are passed to every call unchanged.
    Tile predictions are blended with :func:`blend_ramp` windows over the overlaps.

    Args:
        model: the network, ``model(x_t, mu, t) -> [B, C, H, W]`` (any positional inputs).
        tile: the largest tile side in pixels (:meth:`tiles` shrinks tiles evenly to cover the image;
            a multiple of the network's ``multiple`` needs no padding, other sides are padded by
            the network itself).
        overlap: pixels shared by neighbouring tiles (``0``: no blending, hard seams).
        autocast_dtype: run each call under ``torch.autocast`` with this dtype (float16 on CUDA)
            and return float32.
        progress: an object with ``update(n)`` (a tqdm bar), advanced once per tile.
    """

    def __init__(self, model, tile: int, overlap: int, autocast_dtype=None, progress=None):
        super().__init__()
        self.multiple = network_multiple(model)
        if tile < 1 or not 0 <= overlap < tile:
            raise ValueError(f"need --tile >= 1 and 0 <= --overlap < --tile, got tile={tile}, overlap={overlap}")
        self.model, self.tile, self.overlap = model, int(tile), int(overlap)
        self.autocast_dtype, self.progress = autocast_dtype, progress

    def tiles(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """``(top, left, tile_height, tile_width)`` of every tile of an ``height x width`` image.

        Along each side, as few tiles as the tile side allows, each shrunk to the smallest side
        (rounded up to the network's multiple) that still covers the image with the overlap: a
        1152-pixel side with 584-pixel tiles and overlap 73 gets three 440-pixel tiles, not three
        584-pixel ones.
        """
        th, tw = (self.side(length) for length in (height, width))
        return [(top, left, th, tw) for top in tile_starts(height, th, self.overlap)
                for left in tile_starts(width, tw, self.overlap)]

    def side(self, length: int) -> int:
        """The tile side used along an image side of ``length`` pixels."""
        n = len(tile_starts(length, self.tile, self.overlap))
        if n == 1:
            return min(self.tile, length)
        side = -(-(length + (n - 1) * self.overlap) // n)  # ceil: n tiles overlapping by `overlap` cover length
        return min(self.tile, side + -side % self.multiple)

    def _call(self, *inputs) -> torch.Tensor:
        if self.autocast_dtype is None:
            return self.model(*inputs)
        with torch.autocast(inputs[0].device.type, dtype=self.autocast_dtype):
            return self.model(*inputs).float()

    def forward(self, *inputs) -> torch.Tensor:
        first = inputs[0]
        height, width = first.shape[-2:]
        spatial = [isinstance(x, torch.Tensor) and x.ndim == 4 and x.shape[-2:] == (height, width) for x in inputs]
        tiles = self.tiles(height, width)
        if len(tiles) == 1:  # the inputs as they are: the untiled computation, bit for bit
            if self.progress is not None:
                self.progress.update(1)
            return self._call(*inputs)
        out = weight = None
        for top, left, th, tw in tiles:
            window = (slice(None), slice(None), slice(top, top + th), slice(left, left + tw))
            pred = self._call(*(x[window] if s else x for x, s in zip(inputs, spatial)))
            w = (blend_ramp(th, self.overlap, top > 0, top + th < height)[:, None]
                 * blend_ramp(tw, self.overlap, left > 0, left + tw < width)[None, :]).to(pred)
            if out is None:
                out = pred.new_zeros(pred.shape[:2] + (height, width))
                weight = pred.new_zeros(1, 1, height, width)
            out[window] += w * pred
            weight[window] += w
            if self.progress is not None:
                self.progress.update(1)
        return out.div_(weight)


def check_tile_options(tile: int | None, overlap: int | None) -> None:
    """Raise ``ValueError`` for a negative tile or overlap, or an overlap not smaller than a given tile."""
    if tile is not None and tile < 0:
        raise ValueError(f"--tile must be >= 0 (0: no tiling), got {tile}")
    if overlap is not None and overlap < 0:
        raise ValueError(f"--overlap must be >= 0, got {overlap}")
    if tile and overlap is not None and overlap >= tile:
        raise ValueError(f"--overlap must be smaller than --tile, got overlap={overlap}, tile={tile}")


def tiled(model, image_shape, tile: int | None = None, overlap: int | None = None, device="cpu",
          half: bool = False, probe_inputs=None):
    """The network to give a sampler for images of ``image_shape`` ``[B, C, H, W]``.

    ``tile=None`` picks the tile from the device's memory (:func:`tile_budget_pixels`, the
    batch sharing the budget); ``tile=0`` never tiles; ``overlap=None`` picks
    :func:`default_overlap`.  When the image fits in one tile, without ``half``, this
    returns ``model`` itself (the untiled path, bit for bit).
    ``half=True`` needs a CUDA device; ``probe_inputs`` as in :func:`activation_bytes_per_pixel`.
    """
    b, c, h, w = image_shape
    device = torch.device(device)
    if half and device.type != "cuda":
        raise ValueError(f"--half (float16) needs a CUDA device, not {device.type}: "
                         "run without --half, or with --device cuda")
    autocast_dtype = torch.float16 if half else None
    check_tile_options(tile, overlap)
    if tile is None and h * w <= DEFAULTS.untiled_side ** 2:
        tile = max(h, w)  # small enough for any device: no probe (the probe would call the network)
    elif tile is None:
        budget = tile_budget_pixels(model, device, autocast_dtype, c, probe_inputs) // max(b, 1)
        tile = max(h, w) if h * w <= budget else default_tile(budget, network_multiple(model))
    elif tile == 0:
        tile = max(h, w)
    single = h <= tile and w <= tile
    if overlap is None:
        overlap = default_overlap(tile)
    if single and not half:
        return model
    return TiledModel(model, tile, 0 if single else overlap, autocast_dtype)
