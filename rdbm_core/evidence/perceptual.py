"""Shift-tolerant LPIPS: a learned perceptual distance that runs offline.

ST-LPIPS (Ghildyal and Liu, ECCV 2022, "Shift-tolerant Perceptual Similarity Metric") is LPIPS (Zhang et al.,
CVPR 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual Metric") on an AlexNet made
tolerant to small shifts: the first convolution has stride 1, and every downsampling is a blur pool (Zhang,
ICML 2019, "Making Convolutional Networks Shift-Invariant Again": a 3x3 binomial filter after reflection padding
of 2 pixels, stride 2), applied after the first convolution and after the max pools (which get stride 1).
For images ``x`` and ``y`` in ``[-1, 1]``::

    d(x, y) = sum_l mean_{h,w} sum_c w_{l,c} (f_l(x) - f_l(y))^2_{c,h,w},   f_l = phi_l / (|phi_l|_c + 1e-10)

with ``phi_l`` the ReLU outputs of the 5 convolutions of the network applied to ``(x - shift) / scale`` (the
"scaling layer"), each normalised to unit length over its channels, and ``w_l`` the non-negative linear heads
fitted to human judgements.  0 for identical images; larger is more different.

The weights (the convolutions, the blur filters, the scaling layer and the 5 heads: 2.47 M parameters) are the
file ``weights/vST0.0/alex_shift_tolerant.pth`` of the ``stlpips-pytorch`` distribution (BSD-2), read as data:
the package's Python modules are never imported.  It is the optional extra ``perceptual``
(``pip install -e ".[perceptual]"``); without it, asking for the metric raises :class:`PerceptualUnavailable`
with that line.  Nothing is downloaded.

Images are ``[C, H, W]`` or ``[B, C, H, W]`` tensors in ``[-1, 1]`` (clamped to it, as the other metrics do),
``C`` = 3 or 1 (grey, taken as R = G = B), at least :data:`MIN_SIZE` pixels on each side.
"""
from __future__ import annotations

import functools
from importlib import metadata
from pathlib import Path

import torch
import torch.nn.functional as F

__all__ = ["PerceptualUnavailable", "ShiftTolerantLPIPS", "available", "weights_path", "lpips_network", "lpips_st",
           "DISTRIBUTION", "WEIGHTS_FILE", "INSTALL", "MIN_SIZE"]

#: The distribution whose wheel ships the weights, and the file in it.
DISTRIBUTION = "stlpips-pytorch"
WEIGHTS_FILE = "stlpips_pytorch/weights/vST0.0/alex_shift_tolerant.pth"
#: How to install them.
INSTALL = 'pip install -e ".[perceptual]"'
#: Smallest image side the network takes (the third blur pool's reflection padding needs 3 pixels).
MIN_SIZE = 21

#: (slice, index) of the 5 convolutions in the wheel's ``net.slice<s>.<i>`` modules.
_CONVS = ((1, 0), (2, 5), (3, 9), (4, 11), (5, 13))
#: The wheel's state-dict keys -> this module's.
_KEYS = {"scaling_layer.shift": "shift", "scaling_layer.scale": "scale",
         "net.slice1.1.filt": "blur1", "net.slice2.4.filt": "blur2", "net.slice3.8.filt": "blur3",
         **{f"net.slice{s}.{i}.{p}": f"conv{n}.{p}" for n, (s, i) in enumerate(_CONVS, 1) for p in ("weight", "bias")},
         **{f"lin{k}.model.1.weight": f"head{k + 1}" for k in range(5)}}


class PerceptualUnavailable(ImportError, ValueError):
    """The weights of ST-LPIPS are not installed (the message says how to install them).  A ``ValueError`` too,
    so that the command line reports it as one line."""


class ShiftTolerantLPIPS(torch.nn.Module):
    """ST-LPIPS with the AlexNet trunk (see the module docstring); ``net(x, y)`` -> distances ``[B]``.

    ``x`` and ``y``: ``[B, 3, H, W]`` in ``[-1, 1]`` (a batch of 1 broadcasts: its features are computed once).
    Build it with :meth:`from_weights`; the parameters are frozen (evaluation only).
    """

    CHANNELS = (64, 192, 384, 256, 256)

    def __init__(self):
        super().__init__()
        specs = ((3, 64, 11, 2), (64, 192, 5, 2), (192, 384, 3, 1), (384, 256, 3, 1), (256, 256, 3, 1))
        for n, (c_in, c_out, k, pad) in enumerate(specs, 1):
            self.add_module(f"conv{n}", torch.nn.Conv2d(c_in, c_out, k, padding=pad))
        for n, c in enumerate(self.CHANNELS, 1):
            self.register_parameter(f"head{n}", torch.nn.Parameter(torch.zeros(1, c, 1, 1)))
        for n, c in enumerate((64, 64, 192), 1):
            self.register_buffer(f"blur{n}", torch.zeros(c, 1, 3, 3))
        self.register_buffer("shift", torch.zeros(1, 3, 1, 1))
        self.register_buffer("scale", torch.ones(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_weights(cls, path: str | Path | None = None) -> "ShiftTolerantLPIPS":
        """The network with the wheel's weights (``path``: that file; default :func:`weights_path`)."""
        state = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
        if set(state) != set(_KEYS):
            raise ValueError(f"{path or weights_path()} is not the ST-LPIPS AlexNet state dict (keys differ: "
                             f"{sorted(set(state) ^ set(_KEYS))[:4]})")
        net = cls()
        net.load_state_dict({_KEYS[k]: v for k, v in state.items()})
        return net

    @staticmethod
    def _blur_pool(h: torch.Tensor, filt: torch.Tensor) -> torch.Tensor:
        """The blur pool: reflection padding of 2, the per-channel 3x3 filter, stride 2."""
        return F.conv2d(F.pad(h, (2, 2, 2, 2), mode="reflect"), filt, stride=2, groups=h.shape[1])

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The 5 ReLU outputs, each normalised to unit length over its channels."""
        h = (x - self.shift) / self.scale
        h1 = F.relu(self._blur_pool(self.conv1(h), self.blur1))
        h2 = F.relu(self.conv2(self._blur_pool(F.max_pool2d(h1, 3, stride=1), self.blur2)))
        h3 = F.relu(self.conv3(self._blur_pool(F.max_pool2d(h2, 3, stride=1), self.blur3)))
        h4 = F.relu(self.conv4(h3))
        h5 = F.relu(self.conv5(h4))
        return [f / (f.pow(2).sum(1, keepdim=True).sqrt() + 1e-10) for f in (h1, h2, h3, h4, h5)]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        heads = (self.head1, self.head2, self.head3, self.head4, self.head5)
        total = 0
        for fx, fy, w in zip(self.features(x), self.features(y), heads):
            total = total + ((fx - fy).pow(2) * w).sum(1).mean((-2, -1))
        return total


def weights_path() -> Path:
    """The weights file inside the installed ``stlpips-pytorch``; :class:`PerceptualUnavailable` without it."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise PerceptualUnavailable(f"the perceptual metric lpips_st needs the weights of the {DISTRIBUTION} "
                                    f"package: {INSTALL}") from None
    path = next((Path(dist.locate_file(f)) for f in dist.files or () if f.as_posix() == WEIGHTS_FILE), None)
    if path is None or not path.is_file():
        raise PerceptualUnavailable(f"{DISTRIBUTION} {dist.version} is installed without {WEIGHTS_FILE}: "
                                    f"reinstall it ({INSTALL})")
    return path


def available() -> bool:
    """Whether the weights are installed (the ``perceptual`` extra)."""
    try:
        weights_path()
    except PerceptualUnavailable:
        return False
    return True


@functools.lru_cache(maxsize=4)
def lpips_network(device: str = "cpu") -> ShiftTolerantLPIPS:
    """The network with the installed weights on ``device`` (loaded once per device)."""
    return ShiftTolerantLPIPS.from_weights().to(device)


def _as_batch(img: torch.Tensor, name: str) -> torch.Tensor:
    """[C, H, W] or [B, C, H, W] in [-1, 1] -> float32 [B, 3, H, W] clamped to [-1, 1], checked."""
    if not isinstance(img, torch.Tensor) or img.ndim not in (3, 4) or img.shape[-3] not in (1, 3):
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"{name} must be a [C, H, W] or [B, C, H, W] tensor with C = 1 or 3, got {shape}")
    if min(img.shape[-2:]) < MIN_SIZE:
        raise ValueError(f"lpips_st needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels, got "
                         f"{img.shape[-1]}x{img.shape[-2]} ({name})")
    if not torch.isfinite(img).all():
        raise ValueError(f"{name} contains non-finite values")
    img = img.reshape(-1, *img.shape[-3:]).float().clamp(-1, 1)
    return img.expand(-1, 3, -1, -1) if img.shape[1] == 1 else img


@torch.no_grad()
def lpips_st(pred: torch.Tensor, target: torch.Tensor) -> float | torch.Tensor:
    """ST-LPIPS distance of ``pred`` to ``target`` (module docstring), on ``pred``'s device.

    ``[C, H, W]`` pairs give a float; a batch ``[B, C, H, W]`` gives a CPU tensor ``[B]`` (a ``target`` of one
    image, ``[C, H, W]`` or batch 1, is compared with every ``pred``).  Symmetric; 0 for identical images.
    :class:`PerceptualUnavailable` without the weights.
    """
    x, y = _as_batch(pred, "pred"), _as_batch(target, "target")
    if x.shape[-2:] != y.shape[-2:] or y.shape[0] not in (1, x.shape[0]):
        raise ValueError(f"pred {tuple(pred.shape)} and target {tuple(target.shape)} do not pair")
    d = lpips_network(str(x.device))(x, y.to(x.device)).cpu()
    return float(d[0]) if pred.ndim == 3 else d
