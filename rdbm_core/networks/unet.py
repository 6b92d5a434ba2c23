"""Compact conditional U-Net for diffusion bridges.

The network predicts a tensor shaped like the current bridge state from three
inputs, ``forward(x_t, mu, t)``:

* ``x_t`` -- the state of the bridge at time ``t``, ``[B, C, H, W]``;
* ``mu``  -- the degraded image the bridge is conditioned on, same shape; it is
  concatenated to ``x_t`` on the channel axis, so the first conv sees ``2*C``
  channels;
* ``t``   -- per-sample times, shape ``[B]`` (a 0-d tensor or a Python number
  is broadcast to the batch), in any units. The network embeds
  ``t * time_scale`` with a sinusoidal embedding followed by an MLP and
  injects it into every residual block as a scale-and-shift of the second
  normalisation. The sinusoid frequencies run from 1 down to 1/10000, so for
  ``t`` in ``[0, 1]`` use ``time_scale`` around 1000; for integer steps in
  ``[0, 1000)`` keep the default 1.0.

Layout (DDPM/ADM style): input conv -> per level ``blocks`` residual blocks
then a strided-conv downsample (none after the last level) -> middle
(residual block, optional self-attention, residual block) -> per level, in
reverse, ``blocks + 1`` residual blocks that each take one skip connection,
then a nearest-neighbour upsample + conv -> normalisation, SiLU, output conv.
Self-attention, when enabled, runs at the lowest resolution only. The last
conv of every residual block, the attention projection and the output conv are
zero-initialised, so a fresh network outputs exactly zero and every residual
block starts as its skip path.

Normalisation (``norm``): ``"pixel"`` is :class:`PixelNorm`, a layer norm over the channels of each pixel,
which uses no spatial statistics, so the network's output at a pixel depends only on its receptive field (tiled
evaluation is then exact up to the tiles' borders); it is :data:`DEFAULT_NORM`, the default for new networks.
``"group"`` is GroupNorm (statistics over each image's groups of channels and all its pixels), what every
checkpoint written before the option used (``config.STORED_BEFORE`` rebuilds them so).

Any ``H x W`` (down to 1 x 1) is accepted: the input is padded on the bottom
and right up to a multiple of ``model.multiple = 2 ** (levels - 1)`` (reflect
padding, or replicate when the image is too small to reflect), run, and the
output is cropped back to ``H x W``.

The wrappers that make the U-Net a model of the trainer: :class:`Preconditioned` (every bridge of the
family) and :class:`Regression` (the one-pass baseline).

Public names: ``UNet``, ``build_unet``, ``PRESETS``, ``NORMS``, ``DEFAULT_NORM``, ``PixelNorm``, ``count_parameters``,
``sinusoidal_embedding``, ``Preconditioned``, ``Regression``.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from rdbm_core.bridge.path import ResidualPath, append_dims

# Architecture presets; parameter counts for channels=3 (checked in tests/pipeline/test_unet.py); their training
# throughput is measured by benchmarks/train_throughput.py:
#   tiny  ~ 44 k   (CI and FAST=1)
#   small ~ 1.6 M  (CPU training)
#   base  ~ 25 M   (GPU training; self-attention at the lowest resolution)
PRESETS: dict[str, dict] = {
    "tiny": dict(base=8, mults=(1, 2), blocks=1, attn=False),
    "small": dict(base=32, mults=(1, 2, 2, 2), blocks=1, attn=False),
    "base": dict(base=64, mults=(1, 2, 4, 4), blocks=2, attn=True),
}


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (``requires_grad``) of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def sinusoidal_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of times ``t`` [B] -> [B, dim] (float32).

    Half the features are ``sin(t * f_k)`` and half ``cos(t * f_k)`` with
    frequencies ``f_k = 10000 ** (-k / half)``, ``k = 0 .. half-1``; an odd
    ``dim`` gets one trailing zero feature.
    """
    half = dim // 2
    k = torch.arange(half, device=t.device, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000.0) * k / max(half, 1))  # [half]
    args = t.float()[:, None] * freqs[None, :]  # [B, 1] * [1, half] -> [B, half]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)  # [B, 2*half]
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


def _groups(ch: int) -> int:
    """GroupNorm group count: about 4 channels per group, at most 32 groups, dividing ``ch``."""
    g = min(32, max(1, ch // 4))
    while ch % g:
        g -= 1
    return g


class PixelNorm(nn.Module):
    """Layer norm over the channels of each pixel, with a per-channel affine map (``weight``, ``bias``):
    ``(x - mean_c x) / sqrt(var_c x + eps) * weight + bias``, the mean and (biased) variance taken over the
    channel axis of every pixel alone. No statistic spans pixels."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [B, C, H, W] -> [B, C, H, W]."""
        var, mean = torch.var_mean(x, dim=1, keepdim=True, correction=0)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight[:, None, None] + self.bias[:, None, None]


#: the U-Net's normalisations: GroupNorm (spatial statistics) or PixelNorm (none)
NORMS = ("group", "pixel")

#: the normalisation of new networks: the one place its default lives (``TrainConfig.unet_norm`` reads it)
DEFAULT_NORM = "pixel"


def _norm_layer(kind: str, ch: int) -> nn.Module:
    """The normalisation layer ``kind`` (one of :data:`NORMS`) for ``ch`` channels."""
    if kind not in NORMS:
        raise ValueError(f"unknown norm {kind!r}; choose one of {', '.join(NORMS)}")
    return nn.GroupNorm(_groups(ch), ch) if kind == "group" else PixelNorm(ch)


def _zero(module: nn.Module) -> nn.Module:
    """Zero the parameters of ``module`` in place and return it."""
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class ResBlock(nn.Module):
    """Norm-SiLU-conv twice (the norm of ``norm``: GroupNorm or PixelNorm), time embedding as scale-shift of the
    second norm, plus skip."""

    def __init__(self, cin: int, cout: int, emb_dim: int, dropout: float, norm: str):
        super().__init__()
        self.norm1 = _norm_layer(norm, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = _norm_layer(norm, cout)
        self.drop = nn.Dropout(dropout)
        self.conv2 = _zero(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """``x`` [B, cin, H, W], ``emb`` [B, emb_dim] -> [B, cout, H, W]."""
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)  # each [B, cout, 1, 1]
        h = self.norm2(h) * (1 + scale) + shift  # broadcast over H, W
        h = self.conv2(self.drop(F.silu(h)))
        return self.skip(x) + h


class SelfAttention(nn.Module):
    """Multi-head self-attention over all pixels of a feature map, residual.

    Every output pixel depends on the whole feature map (``global_context = True``), so a network that has this
    layer cannot be evaluated tile by tile (:func:`rdbm_core.restoration.tiling.tiled` refuses it)."""

    global_context = True

    def __init__(self, ch: int, norm: str):
        super().__init__()
        self.heads = max(1, ch // 64)
        while ch % self.heads:
            self.heads -= 1
        self.norm = _norm_layer(norm, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = _zero(nn.Conv2d(ch, ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` [B, C, H, W] -> [B, C, H, W]."""
        b, c, h, w = x.shape
        qkv = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w)
        q, k, v = (z.transpose(-1, -2) for z in qkv.unbind(1))  # each [B, heads, HW, C/heads]
        out = F.scaled_dot_product_attention(q, k, v)  # [B, heads, HW, C/heads]
        out = out.transpose(-1, -2).reshape(b, c, h, w)
        return x + self.proj(out)


class Downsample(nn.Module):
    """Halve H and W with a stride-2 3x3 conv."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] -> [B, C, H/2, W/2] (H, W even)."""
        return self.conv(x)


class Upsample(nn.Module):
    """Double H and W: nearest-neighbour upsampling then a 3x3 conv."""

    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, H, W] -> [B, C, 2H, 2W]."""
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """Conditional U-Net ``forward(x_t, mu, t) -> prediction`` shaped like ``x_t``.

    Args:
        channels: image channels ``C`` of ``x_t``, ``mu`` and the output.
        base: feature channels of the first level (also the sinusoidal
            embedding width; the time MLP width is ``4 * base``).
        mults: per-level channel multipliers; ``len(mults)`` levels, so the
            input is padded to a multiple of ``2 ** (len(mults) - 1)``.
        blocks: residual blocks per level on the way down (``blocks + 1`` up).
        attn: add self-attention in the middle (lowest resolution).
        time_scale: the times are embedded as ``t * time_scale``.
        dropout: dropout probability inside the residual blocks.
        norm: the normalisation layers, one of :data:`NORMS` (see the module docstring).
    """

    def __init__(
        self,
        channels: int = 3,
        base: int = 32,
        mults: tuple[int, ...] = (1, 2, 2),
        blocks: int = 1,
        attn: bool = False,
        time_scale: float = 1.0,
        dropout: float = 0.0,
        norm: str = DEFAULT_NORM,
    ):
        super().__init__()
        if channels < 1 or base < 1 or blocks < 1 or len(mults) < 1 or min(mults) < 1:
            raise ValueError(
                f"need channels, base, blocks >= 1 and non-empty positive mults; got "
                f"channels={channels}, base={base}, blocks={blocks}, mults={tuple(mults)}"
            )
        self.channels = channels
        self.base = base
        self.norm = norm
        self.time_scale = float(time_scale)
        self.multiple = 2 ** (len(mults) - 1)
        emb_dim = 4 * base
        self.time_mlp = nn.Sequential(nn.Linear(base, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.inp = nn.Conv2d(2 * channels, base, 3, padding=1)

        ch = base
        skip_ch = [ch]  # channels of every tensor pushed on the skip stack, in order
        self.down = nn.ModuleList()
        for level, m in enumerate(mults):
            for _ in range(blocks):
                self.down.append(ResBlock(ch, base * m, emb_dim, dropout, norm))
                ch = base * m
                skip_ch.append(ch)
            if level < len(mults) - 1:
                self.down.append(Downsample(ch))
                skip_ch.append(ch)

        self.mid1 = ResBlock(ch, ch, emb_dim, dropout, norm)
        self.mid_attn = SelfAttention(ch, norm) if attn else nn.Identity()
        self.mid2 = ResBlock(ch, ch, emb_dim, dropout, norm)

        self.up = nn.ModuleList()
        for level in reversed(range(len(mults))):
            for _ in range(blocks + 1):
                self.up.append(ResBlock(ch + skip_ch.pop(), base * mults[level], emb_dim, dropout, norm))
                ch = base * mults[level]
            if level > 0:
                self.up.append(Upsample(ch))

        self.out = nn.Sequential(
            _norm_layer(norm, ch), nn.SiLU(), _zero(nn.Conv2d(ch, channels, 3, padding=1))
        )

    def _check_inputs(self, x_t: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Validate shapes; return ``t`` as a float32 tensor [B] on ``x_t``'s device."""
        for name, x in (("x_t", x_t), ("mu", mu)):
            if not isinstance(x, torch.Tensor) or x.dim() != 4:
                shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"{name} must be a 4-D tensor [B, C, H, W], got {shape}")
        if x_t.shape[1] != self.channels:
            raise ValueError(f"x_t has {x_t.shape[1]} channels, the model expects {self.channels}")
        if mu.shape != x_t.shape:
            raise ValueError(f"mu shape {tuple(mu.shape)} does not match x_t shape {tuple(x_t.shape)}")
        if x_t.shape[0] == 0 or x_t.shape[2] == 0 or x_t.shape[3] == 0:
            raise ValueError(f"x_t must have a non-empty batch and spatial size, got {tuple(x_t.shape)}")
        b = x_t.shape[0]
        if isinstance(t, Real) and not isinstance(t, bool):
            t = torch.tensor(float(t))
        if not isinstance(t, torch.Tensor) or t.dtype == torch.bool or t.is_complex():
            raise ValueError(f"t must be a real number or a float/int tensor of shape [{b}], got {t!r}")
        if t.dim() == 0:
            t = t.expand(b)
        if t.dim() != 1 or t.shape[0] != b:
            raise ValueError(f"t must have shape [{b}] (one time per sample), got {tuple(t.shape)}")
        return t.to(device=x_t.device, dtype=torch.float32, non_blocking=t.device.type == "cpu")

    def forward(self, x_t: torch.Tensor, mu: torch.Tensor, t) -> torch.Tensor:
        """Predict from ``x_t`` [B, C, H, W], ``mu`` [B, C, H, W] and ``t`` [B] -> [B, C, H, W].

        Raises ValueError for non-4-D inputs, a wrong channel count, mismatched
        ``x_t``/``mu`` shapes or a ``t`` whose length is not ``B``.
        """
        t = self._check_inputs(x_t, mu, t)
        h, w = x_t.shape[-2:]
        x = _pad_to_multiple(torch.cat([x_t, mu], dim=1), self.multiple)  # [B, 2C, H', W']

        emb = self.time_mlp(sinusoidal_embedding(t * self.time_scale, self.base).to(x.dtype))  # [B, 4*base]
        x = self.inp(x)
        skips = [x]
        for layer in self.down:
            x = layer(x, emb) if isinstance(layer, ResBlock) else layer(x)
            skips.append(x)
        x = self.mid2(self.mid_attn(self.mid1(x, emb)), emb)
        for layer in self.up:
            x = layer(torch.cat([x, skips.pop()], dim=1), emb) if isinstance(layer, ResBlock) else layer(x)
        return self.out(x)[..., :h, :w]


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad [B, C, H, W] on the bottom/right so H and W are multiples of ``multiple``.

    Reflect padding when every pad is smaller than the side it extends (what
    reflect requires), replicate padding otherwise.
    """
    h, w = x.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def build_unet(preset: str, channels: int = 3, time_scale: float = 1.0, dropout: float = 0.0,
               norm: str = DEFAULT_NORM) -> UNet:
    """Build a ``UNet`` from one of ``PRESETS`` ("tiny", "small", "base") with the normalisation ``norm``."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    return UNet(channels=channels, time_scale=time_scale, dropout=dropout, norm=norm, **PRESETS[preset])


class Preconditioned(nn.Module):
    """The same U-Net made usable by every bridge of the family (cf. the ``c_in`` and ``c_skip`` of EDM,
    Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative Models", Table 1).

    * input scaling: the network sees ``mu + (x_t - mu) / sqrt(1 + Sigma_t^2)``, so bridges
      with large noise (DDBM-VE: ``Sigma`` up to 40) feed it values of order one; for RDBM
      (``Sigma <= 0.01``) the factor is 1 to 5e-5;
    * ``skip_mu`` (x0 target): ``x0_hat = mu + net(...)``, the network predicts the residual
      ``pi``; with the U-Net's zero-initialised last layer the untrained model returns ``mu``;
    * ``parameterization``: what the output is (``"x0"`` or ``"noise"``, the training objective);
      :func:`rdbm_core.restoration.evaluation.restore` passes it to the samplers.
    """

    def __init__(self, net: nn.Module, path: ResidualPath, skip_mu: bool = True, parameterization: str = "x0"):
        super().__init__()
        self.net, self.path, self.skip_mu = net, path, skip_mu
        self.parameterization = parameterization

    def forward(self, x_t: torch.Tensor, mu: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        sigma = self.path.coefficients(t)[2]  # float64 [B]
        c_in = append_dims(torch.rsqrt(1 + sigma ** 2), x_t)  # [B, 1, 1, 1]
        out = self.net(mu + (x_t - mu) * c_in, mu, t)
        return mu + out if self.skip_mu else out


class Regression(nn.Module):
    """The baseline: the same U-Net predicting ``x0 = mu + net(mu, mu, 0)`` in one pass."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, mu: torch.Tensor) -> torch.Tensor:
        return mu + self.net(mu, mu, torch.zeros(mu.shape[0], device=mu.device))
