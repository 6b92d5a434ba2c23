"""Tiled network evaluation: restoring an image of any size in bounded memory.

The sampler's state stays the whole image; only the network call is split.  :class:`TiledModel` cuts the image
inputs (``x_t``, ``mu``) into overlapping tiles, calls the network on each and blends the tile predictions ``f_k``
with windows ``w_k`` that ramp up over the overlaps (:func:`blend_ramp`): ``sum_k w_k f_k / sum_k w_k``, keeping the
network's interface ``model(x_t, mu, t)``, so every sampler takes it unchanged.  Tiles start on multiples of the
network's ``multiple`` (the U-Net's ``2 ** (levels - 1)``), so their feature maps lie on the untiled network's grid.
A network without spatial statistics (the pixel-norm U-Net) then computes in a tile what the untiled one computes,
except within its receptive field of the tile's borders, where the convolutions see zero padding: the overlap,
weighted down towards the borders, must cover that.  GroupNorm tiles use their own statistics, or with
``TileOptions.image_norm`` the image's (:mod:`rdbm_core.restoration.image_norm`).  A network with self-attention
(:func:`has_global_context`) is never tiled.  Memory grows with the tile, not the image (:func:`tile_budget_pixels`);
an image that fits in one tile is passed to the network as it is (bit for bit).
"""
from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field

import torch

from rdbm_core.restoration.activation_memory import activation_bytes_per_pixel
from rdbm_core.restoration.image_norm import ImageGroupNorm, has_group_norm

__all__ = ["TilingDefaults", "DEFAULTS", "TileOptions", "TiledModel", "tiled", "has_global_context", "tile_spans",
           "blend_ramp", "tile_budget_pixels", "network_multiple", "model_device", "check_tile_options"]


@dataclass(frozen=True)
class TilingDefaults:
    """The one place for the defaults of tiled evaluation."""

    memory_fraction: float = 0.25  # share of the device's available memory one network call may use ...
    cpu_memory_cap: int = 512 * 2 ** 20  # ... and on the CPU at most this many bytes
    overlap: int = 32  # pixels shared by neighbouring tiles (at most half the tile)
    probe_size: int = 64  # side of the image on which the activation memory per pixel is measured
    untiled_side: int = 256  # images no larger than this square are never tiled (and need no memory probe)


DEFAULTS = TilingDefaults()


@dataclass(frozen=True)
class TileOptions:
    """How a large image is evaluated tile by tile (validated when made: ``ValueError`` naming the flag)."""

    tile: int | None = field(default=None, metadata={"flag": "--tile", "help": "tile side in pixels for the network "
                                                     "(default: from the device's memory; 0: never tile)"})
    overlap: int | None = field(default=None, metadata={"flag": "--overlap", "help": "pixels shared by neighbouring "
                                                        f"tiles (default {DEFAULTS.overlap})"})
    half: bool = field(default=False, metadata={"flag": "--half", "help": "run the network in float16 (CUDA only)"})
    image_norm: bool = field(default=False, metadata={"flag": "--tile-image-norm", "help": "GroupNorm networks only: "
                             "normalise the tiles with the whole image's statistics, estimated in every network call "
                             "(default: each tile's own)"})
    norm_passes: int = field(default=2, metadata={"flag": "--tile-norm-passes", "help": "with --tile-image-norm: "
                             "estimate passes over the tiles per network call (each costs a call per tile)"})

    def __post_init__(self):
        if self.tile is not None and self.tile < 0:
            raise ValueError(f"--tile must be >= 0 (0: no tiling), got {self.tile}")
        if self.overlap is not None and self.overlap < 0:
            raise ValueError(f"--overlap must be >= 0, got {self.overlap}")
        if self.tile and self.overlap is not None and self.overlap >= self.tile:
            raise ValueError(f"--overlap must be smaller than --tile, got overlap={self.overlap}, tile={self.tile}")
        if self.norm_passes < 0:
            raise ValueError(f"--tile-norm-passes must be >= 0, got {self.norm_passes}")


def network_multiple(model) -> int:
    """The side multiple the network computes on without padding (its modules' ``multiple``; 1 when none has one)."""
    modules = model.modules() if isinstance(model, torch.nn.Module) else ()
    return max((m.multiple for m in modules if isinstance(getattr(m, "multiple", None), int)), default=1)


def has_global_context(model) -> bool:
    """Has ``model`` a layer whose outputs depend on the whole input (``global_context``: self-attention)?"""
    return isinstance(model, torch.nn.Module) and any(getattr(m, "global_context", False) for m in model.modules())


def tile_spans(length: int, tile: int, overlap: int, multiple: int = 1) -> list[tuple[int, int]]:
    """``(start, size)`` of the tiles along an image side of ``length`` pixels: one tile when ``length <= tile``, else
    in blocks of ``multiple`` pixels (the overlap rounded up to blocks), as few tiles as ``tile`` allows, of the
    fewest blocks that cover the side with the overlap, evenly spaced from 0 to the end (the last cut at ``length``).
    """
    if length <= tile:
        return [(0, length)]
    blocks, tile_blocks = -(-length // multiple), max(1, tile // multiple)
    overlap_blocks = min(-(-overlap // multiple), tile_blocks - 1)
    n = -(-(blocks - overlap_blocks) // (tile_blocks - overlap_blocks))
    side = -(-(blocks + (n - 1) * overlap_blocks) // n)
    starts = [round(i * (blocks - side) / (n - 1)) * multiple for i in range(n)]
    return [(start, min(side * multiple, length - start)) for start in starts]


def blend_ramp(size: int, ramp: int, rise: bool, fall: bool) -> torch.Tensor:
    """1-D blending window of a tile of ``size`` pixels (float64): a raised-cosine ramp
    ``sin^2(pi/2 (i + 1/2) / ramp)`` over its first ``ramp`` pixels (``rise``) and mirrored over its last
    (``fall``), 1 elsewhere; every weight is positive.  Two ramps overlapping by exactly ``ramp`` pixels sum to 1
    (``sin^2 + cos^2``); :class:`TiledModel` divides by the summed weights anyway."""
    window = torch.ones(size, dtype=torch.float64)
    ramp = min(ramp, size)
    up = torch.sin(0.5 * math.pi * (torch.arange(ramp, dtype=torch.float64) + 0.5) / ramp) ** 2
    if rise and ramp:
        window[:ramp] = torch.minimum(window[:ramp], up)
    if fall and ramp:
        window[size - ramp:] = torch.minimum(window[size - ramp:], up.flip(0))
    return window


class TiledModel(torch.nn.Module):
    """``model`` evaluated tile by tile, with its interface ``model(*inputs) -> prediction``: every 4-D tensor input
    of the first input's height and width is cut into the tiles of :meth:`tiles`, the others (the times ``t``) go
    whole to every call, and the tile predictions are blended with :func:`blend_ramp` windows of ``overlap`` pixels.
    An image that fits in one tile is passed to ``model`` as it is.

    ``autocast_dtype``: every call runs under ``torch.autocast`` with it (float16 on CUDA) and returns float32.
    ``norm_passes``: ``None`` or 0, each tile normalises with its own statistics; else GroupNorm layers normalise with
    image-wide statistics estimated in every call by that many passes over the tiles before the pass that predicts
    (:mod:`~rdbm_core.restoration.image_norm`; each pass costs one network call per tile).
    """

    def __init__(self, model, tile: int, overlap: int, autocast_dtype=None, norm_passes: int | None = None):
        super().__init__()
        if tile < 1 or not 0 <= overlap < tile:
            raise ValueError(f"need --tile >= 1 and 0 <= --overlap < --tile, got tile={tile}, overlap={overlap}")
        self.model, self.tile, self.overlap, self.autocast_dtype = model, tile, overlap, autocast_dtype
        self.norm_passes, self.multiple = norm_passes, network_multiple(model)
        self.parameterization = getattr(model, "parameterization", "x0")

    def sides(self, length: int) -> list[tuple[int, int, torch.Tensor, torch.Tensor]]:
        """``(start, size, window, share)`` of the tiles along a side (:func:`tile_spans`): the 1-D blending window
        over the tile as the network pads it (up to the ``multiple``), and the share of those pixels the tile owns
        (its window over the sum of all windows: the shares sum to 1 at every pixel of the padded side)."""
        spans = tile_spans(length, self.tile, self.overlap, self.multiple)
        windows = [blend_ramp(size + -size % self.multiple, self.overlap, start > 0, start + size < length)
                   for start, size in spans]
        total = torch.zeros(length + -length % self.multiple, dtype=torch.float64)
        for (start, _), window in zip(spans, windows):
            total[start:start + len(window)] += window
        return [(start, size, window, window / total[start:start + len(window)])
                for (start, size), window in zip(spans, windows)]

    def tiles(self, height: int, width: int) -> list[tuple[int, int, int, int]]:
        """``(top, left, tile_height, tile_width)`` of every tile of a ``height x width`` image, row by row."""
        rows, cols = (tile_spans(n, self.tile, self.overlap, self.multiple) for n in (height, width))
        return [(top, left, th, tw) for top, th in rows for left, tw in cols]

    def call(self, *inputs) -> torch.Tensor:
        """One network call, under autocast when asked (then returned in float32)."""
        if self.autocast_dtype is None:
            return self.model(*inputs)
        with torch.autocast(inputs[0].device.type, dtype=self.autocast_dtype):
            return self.model(*inputs).float()

    def predictions(self, inputs: tuple, norm: ImageGroupNorm | None = None):
        """Yield ``(window, prediction, weights)`` per tile: the tile's index into the image, the network's
        prediction on it (under ``norm``, told the pixels the tile owns) and its 2-D blending weights."""
        height, width = inputs[0].shape[-2:]
        cut = [isinstance(x, torch.Tensor) and x.ndim == 4 and x.shape[-2:] == (height, width) for x in inputs]
        for top, th, row, row_share in self.sides(height):
            for left, tw, col, col_share in self.sides(width):
                window = (slice(None), slice(None), slice(top, top + th), slice(left, left + tw))
                tile_inputs = [x[window] if c else x for x, c in zip(inputs, cut)]
                with norm.tile(row_share, col_share) if norm else contextlib.nullcontext():
                    prediction = self.call(*tile_inputs)
                yield window, prediction, row[:th, None] * col[None, :tw]

    def blend(self, inputs: tuple, norm: ImageGroupNorm | None = None) -> torch.Tensor:
        """The whole-image prediction: the tiles' predictions weighted by their windows, over the summed weights."""
        out = weight = None
        for window, prediction, w in self.predictions(inputs, norm):
            if out is None:
                out = prediction.new_zeros(prediction.shape[:2] + inputs[0].shape[-2:])
                weight = prediction.new_zeros(1, 1, *inputs[0].shape[-2:])
            w = w.to(prediction)
            out[window] += w * prediction
            weight[window] += w
        return out.div_(weight)

    def forward(self, *inputs) -> torch.Tensor:
        if len(self.tiles(*inputs[0].shape[-2:])) == 1:  # the inputs as they are: the untiled computation
            return self.call(*inputs)
        statistics = []  # image-wide GroupNorm: estimate pass k normalises the first k layers with what pass k - 1
        for k in range(self.norm_passes or 0):  # recorded (exactly, for them), the deeper ones with each tile's own
            norm = ImageGroupNorm(statistics[:k], record=True)
            for _ in self.predictions(inputs, norm):  # only the statistics are kept
                pass
            statistics = norm.statistics()
        return self.blend(inputs, ImageGroupNorm(statistics) if statistics else None)


def tile_budget_pixels(model, device="cpu", autocast_dtype=None, channels: int = 3, probe_inputs=None) -> int:
    """How many pixels one network call may take: ``memory_fraction`` of the device's available memory (on the CPU
    at most ``cpu_memory_cap``) over the peak activation bytes per pixel of one call
    (:func:`~rdbm_core.restoration.activation_memory.activation_bytes_per_pixel`, measured on a ``probe_size``-square
    image; ``probe_inputs(image) -> args`` builds that call's arguments, default ``(image, image, t)``)."""
    device = torch.device(device)
    per_pixel = activation_bytes_per_pixel(model, channels, device, autocast_dtype, probe_inputs, DEFAULTS.probe_size)
    if device.type == "cuda":
        budget = DEFAULTS.memory_fraction * torch.cuda.mem_get_info(device)[0]
    else:  # the host's free physical memory, at most the cap
        budget = min(DEFAULTS.memory_fraction * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"),
                     DEFAULTS.cpu_memory_cap)
    return max(1, int(budget / max(per_pixel, 1.0)))


def model_device(model) -> torch.device:
    """The device of ``model``'s parameters (the CPU for a plain function or a network without any)."""
    return next(iter(model.parameters() if isinstance(model, torch.nn.Module) else ()), torch.zeros(())).device


def check_tile_options(model, options: TileOptions, device) -> None:
    """One-line ``ValueError`` when ``options`` cannot apply to ``model`` on ``device``, whatever the image."""
    if options.half and torch.device(device).type != "cuda":
        raise ValueError("--half (float16) needs a CUDA device: run without --half, or with --device cuda")
    if options.image_norm and not has_group_norm(model):
        raise ValueError("--tile-image-norm applies to GroupNorm networks only (this one's tiles need no statistics)")


def tiled(model, image_shape, options: TileOptions = TileOptions(), device=None, probe_inputs=None):
    """The network to give a sampler for images of ``image_shape`` ``[B, C, H, W]``: ``model`` itself when the image
    fits in one tile and ``options.half`` is off (the untiled computation, bit for bit), else a :class:`TiledModel`.
    ``options.tile=None``: the square tile of :func:`tile_budget_pixels` shared by the batch (an image within the
    budget, or within ``untiled_side`` squared, is not tiled).  ``device``: default the model's parameters' (the CPU
    for a plain function).  ``ValueError``: ``half`` off CUDA, ``image_norm`` without GroupNorm, or an image to
    tile for a network with global context."""
    b, c, h, w = image_shape
    device = model_device(model) if device is None else torch.device(device)
    check_tile_options(model, options, device)
    autocast_dtype = torch.float16 if options.half else None
    multiple, tile = network_multiple(model), options.tile
    if tile == 0 or (tile is None and (h * w <= DEFAULTS.untiled_side ** 2 or has_global_context(model))):
        tile = max(h, w)
    elif tile is None:
        budget = tile_budget_pixels(model, device, autocast_dtype, c, probe_inputs) // b
        tile = max(h, w) if h * w <= budget else max(multiple, math.isqrt(budget) // multiple * multiple)
    single = h <= tile and w <= tile
    if single and not options.half:
        return model
    if not single and has_global_context(model):
        raise ValueError(f"the network has a layer whose every output depends on the whole image (self-attention, as "
                         f"in the base preset), which tiles would cut, and --tile {tile} is smaller than the {w}x{h} "
                         f"image: restore it untiled (--tile 0, or leave --tile unset)")
    overlap = min(DEFAULTS.overlap, tile // 2) if options.overlap is None else options.overlap
    if overlap >= tile and not single:
        raise ValueError(f"--overlap must be smaller than the tile, got overlap={overlap}, tile={tile}")
    return TiledModel(model, tile, 0 if single else overlap, autocast_dtype,
                      options.norm_passes if options.image_norm else None)
