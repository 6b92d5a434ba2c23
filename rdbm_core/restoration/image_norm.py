"""GroupNorm with statistics of the whole image while a network runs tile by tile.

GroupNorm normalises each group ``g`` of channels of a sample with the mean and variance over the group's channels
and *all* pixels of the feature map.  A tile's own statistics differ from the image's, most at a U-Net's coarse
levels, so tiles normalised with their own compute something else than the untiled network.

:class:`ImageGroupNorm` numbers the GroupNorm layers of one network call in call order and, per layer:

* records the image-wide sums ``(n, sum x, sum x^2)`` per sample and channel, each feature pixel weighted by the
  share of it the current tile owns (:meth:`~rdbm_core.restoration.tiling.TiledModel.sides`: the blending
  windows over their sum, so every pixel counts once in all, and the pixels near a tile's border, which its
  padding disturbs, count least; at a coarser level a feature pixel stands for a block of pixels and takes the
  block's mean share).  Tiles start on the network's ``multiple``, so their blocks are the untiled network's, and
  the sums over all tiles are the image's;
* normalises with the image-wide group ``(mean, variance)`` given for it, or with the tile's own when none is.

:class:`~rdbm_core.restoration.tiling.TiledModel` runs ``P`` estimate passes over the tiles in every network call,
then the pass that predicts with every layer normalised by the last pass's record.  Estimate pass ``k`` (from 0)
normalises the first ``k`` layers with what pass ``k - 1`` recorded and the deeper ones with each tile's own
statistics.  The first layer's input depends on no normalisation, so pass 0 records it exactly (up to the tiles'
borders); by induction pass ``k`` records the first ``k + 1`` layers exactly, and the deeper ones from a network
normalised tile by tile.  (Normalising *every* layer with the pass before's record instead feeds each pass's errors
in the deep layers into the next: the passes need not converge.)  Nothing is kept between calls.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

__all__ = ["ImageGroupNorm", "has_group_norm"]


def has_group_norm(model) -> bool:
    """Does ``model`` have an ``nn.GroupNorm`` layer (whose statistics span the feature map)?"""
    return isinstance(model, torch.nn.Module) and any(isinstance(m, torch.nn.GroupNorm) for m in model.modules())


class ImageGroupNorm(TorchFunctionMode):
    """Inside the mode, the ``layer``-th ``F.group_norm`` call (``nn.GroupNorm`` makes them) of a tile's network call
    normalises with ``statistics[layer]``, an image-wide group ``(mean, variance)`` [B, G], or with the tile's own
    beyond the layers ``statistics`` has; with ``record``, the layers' owned sums are added up.

    Use: ``with norm.tile(rows, cols): model(...)`` for every tile, ``rows`` and ``cols`` the 1-D shares of the
    tile's (padded) pixels that it owns; then :meth:`statistics`.
    """

    def __init__(self, statistics: list[tuple[torch.Tensor, torch.Tensor]] = (), record: bool = False):
        super().__init__()
        self.given, self.record = statistics, record
        self.sums: list[list] = []  # per layer: [owned weight, sum x [B, C], sum x^2 [B, C], groups] (float64)
        self.layer, self.rows, self.cols = 0, None, None

    def tile(self, rows: torch.Tensor, cols: torch.Tensor) -> "ImageGroupNorm":
        """Start a tile whose pixels own the shares ``rows`` x ``cols``; returns the mode, to enter."""
        self.layer, self.rows, self.cols = 0, rows, cols
        return self

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is not F.group_norm:
            return func(*args, **kwargs)
        x, groups, weight, bias, eps = _arguments(*args, **kwargs)
        layer, self.layer = self.layer, self.layer + 1
        if self.record:
            self._add(layer, x, groups)
        if layer >= len(self.given):
            return func(*args, **kwargs)
        return _group_norm_with(x, groups, *self.given[layer], weight, bias, eps)

    def _add(self, layer: int, x: torch.Tensor, groups: int) -> None:
        """Add the layer's input ``x`` [B, C, h, w], weighted by the pixels the tile owns, to the layer's sums."""
        h, w = x.shape[-2:]
        rows = F.adaptive_avg_pool1d(self.rows[None, None], h)[0, 0]  # a coarse pixel: its block's mean share
        cols = F.adaptive_avg_pool1d(self.cols[None, None], w)[0, 0]
        share = (rows[:, None] * cols[None, :]).to(device=x.device, dtype=torch.float32)
        with torch.autocast(x.device.type, enabled=False):
            x = x.float()
            sums = [share.sum().double(), torch.einsum("bchw,hw->bc", x, share).double(),
                    torch.einsum("bchw,hw->bc", x * x, share).double()]
        if layer == len(self.sums):
            self.sums.append([*sums, groups])
        else:
            self.sums[layer][:3] = [a + b for a, b in zip(self.sums[layer][:3], sums)]

    def statistics(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer, the recorded image-wide group ``(mean, variance)`` [B, G] (float64): the means over a group's
        channels (equally many pixels each) of ``E[x]`` and ``E[x^2]``, and ``variance = E[x^2] - mean^2``."""
        moments = []
        for n, s1, s2, groups in self.sums:
            b, c = s1.shape
            mean = (s1 / n).reshape(b, groups, c // groups).mean(-1)
            square = (s2 / n).reshape(b, groups, c // groups).mean(-1)
            moments.append((mean, (square - mean * mean).clamp_min(0)))
        return moments


def _arguments(input, num_groups, weight=None, bias=None, eps=1e-5):
    """The arguments of ``F.group_norm``, by position or keyword."""
    return input, num_groups, weight, bias, eps


def _group_norm_with(x: torch.Tensor, groups: int, mean, var, weight, bias, eps: float) -> torch.Tensor:
    """GroupNorm of ``x`` [B, C, ...] with the given group ``mean`` and ``var`` [B, G] instead of its own:
    ``(x - mean) / sqrt(var + eps) * weight + bias``, as one scale and shift per sample and channel (float32)."""
    b, c = x.shape[:2]
    scale = torch.rsqrt(var + eps).repeat_interleave(c // groups, dim=1)
    shift = -mean.repeat_interleave(c // groups, dim=1) * scale
    if weight is not None:
        scale, shift = scale * weight.double(), shift * weight.double()
    if bias is not None:
        shift = shift + bias.double()
    view = (b, c) + (1,) * (x.ndim - 2)
    with torch.autocast(x.device.type, enabled=False):
        return torch.addcmul(shift.float().view(view), x.float(), scale.float().view(view)).to(x.dtype)
