"""Synthetic image degradations for training and evaluating restoration models.

Every degradation is a function ``f(x0, generator, *, return_mask=False, **params) -> mu``
that maps a clean image ``x0`` (float tensor ``[3, H, W]`` in ``[-1, 1]``) to a degraded
image ``mu`` of the same shape, dtype and device, also in ``[-1, 1]``.  All randomness is
drawn from the ``torch.Generator`` passed in, so a fixed seed gives a fixed result.  With
``return_mask=True`` the function returns ``(mu, mask)`` with ``mask = degraded_mask(x0, mu)``,
a bool ``[1, H, W]`` tensor of degraded pixels.

Contents

* :func:`rain`      -- oriented, semi-transparent bright streaks in 2-3 depth layers
  (Rain100L/H-like), screen-blended over the image.
* :func:`lowlight`  -- gamma darkening, exposure scaling, a slight colour cast and
  signal-dependent (Poisson-Gaussian) noise (LOL-like).
* :func:`snow`      -- snowflakes in three size layers, some motion-blurred, some defocused,
  over a slight whitening veil (Snow100K-like).
* :func:`haze`      -- atmospheric scattering ``I = J t + A (1 - t)``, ``t = exp(-beta d)``
  with a smooth depth proxy ``d`` (RESIDE-like).
* :func:`blur`      -- Gaussian or linear motion blur (random choice unless ``kind`` is given).
* :func:`noise`     -- additive white Gaussian noise, ``sigma`` in ``[0, 1]`` intensity units.
* :func:`inpaint`   -- free-form brush-stroke holes filled with a constant value.
* :data:`TASKS`     -- registry ``task name -> degradation function``.
* :func:`degrade`   -- ``(x0, task, generator=None, seed=None) -> (x0, mu, mask)``.
* :func:`degraded_mask` -- the project's one definition of *degraded* and *intact* pixels.

Sizes of streaks, flakes and blur kernels are in pixels (so a crop of a degraded image
looks like a degraded crop); inpainting strokes and the haze depth proxy scale with the
image.  Internally the work is done in ``[0, 1]`` intensity space, float32.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["rain", "lowlight", "snow", "haze", "blur", "noise", "inpaint", "TASKS", "degrade", "degraded_mask"]

Tensor = torch.Tensor

#: A pixel is degraded when some channel changes by more than this, in [0, 1] units: half an 8-bit level.
DEGRADED_THRESHOLD = 0.5 / 255.0


# ----------------------------------------------------------------------------- helpers


def _check_image(x0: Tensor) -> None:
    """Raise if ``x0`` is not a finite float ``[3, H, W]`` tensor in ``[-1, 1]``."""
    if not isinstance(x0, torch.Tensor):
        raise TypeError(f"x0 must be a torch.Tensor, got {type(x0).__name__}")
    if not x0.is_floating_point():
        raise ValueError(f"x0 must be a floating-point tensor in [-1, 1], got dtype {x0.dtype}")
    if x0.dim() != 3:
        raise ValueError(f"x0 must have shape [3, H, W], got {x0.dim()} dimensions {tuple(x0.shape)}")
    if x0.shape[0] != 3:
        raise ValueError(f"x0 must have 3 (RGB) channels first, got {x0.shape[0]} channels, shape {tuple(x0.shape)}")
    if x0.shape[1] < 8 or x0.shape[2] < 8:
        raise ValueError(f"x0 must be at least 8x8 pixels, got {x0.shape[1]}x{x0.shape[2]}")
    if not torch.isfinite(x0).all():
        raise ValueError("x0 contains non-finite values (NaN or inf)")
    lo, hi = float(x0.min()), float(x0.max())
    if lo < -1.0 - 1e-4 or hi > 1.0 + 1e-4:
        raise ValueError(f"x0 must lie in [-1, 1], got values in [{lo:.4g}, {hi:.4g}]")


def _to_unit(x0: Tensor) -> Tensor:
    """Map ``[-1, 1]`` to ``[0, 1]`` intensities, float32."""
    return ((x0.float() + 1.0) * 0.5).clamp(0.0, 1.0)


def _from_unit(img: Tensor, like: Tensor) -> Tensor:
    """Map ``[0, 1]`` intensities back to ``[-1, 1]`` with the dtype of ``like``."""
    return (img.clamp(0.0, 1.0) * 2.0 - 1.0).to(like.dtype)


def _uniform(g: torch.Generator, lo: float, hi: float) -> float:
    """One uniform number in ``[lo, hi)`` drawn from ``g``."""
    return lo + (hi - lo) * float(torch.rand((), generator=g, device=g.device))


def _randint(g: torch.Generator, lo: int, hi: int) -> int:
    """One integer in ``[lo, hi]`` (inclusive) drawn from ``g``."""
    return int(torch.randint(lo, hi + 1, (), generator=g, device=g.device))


def _rand(g: torch.Generator, shape: tuple[int, ...], device: torch.device) -> Tensor:
    """Uniform ``[0, 1)`` tensor drawn from ``g`` and moved to ``device``."""
    return torch.rand(shape, generator=g, device=g.device).to(device)


def _randn(g: torch.Generator, shape: tuple[int, ...], device: torch.device) -> Tensor:
    """Standard normal tensor drawn from ``g`` and moved to ``device``."""
    return torch.randn(shape, generator=g, device=g.device).to(device)


def _luminance(img: Tensor) -> Tensor:
    """Rec. 601 luma of a ``[3, H, W]`` image, shape ``[H, W]``."""
    return 0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2]


def _kernel_grid(size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Centred integer coordinates ``(y, x)`` of a ``size x size`` kernel."""
    r = torch.arange(size, device=device, dtype=torch.float32) - (size - 1) / 2
    return torch.meshgrid(r, r, indexing="ij")


def _line_kernel(length: float, angle: float, width: float, device: torch.device, taper: bool) -> Tensor:
    """Anti-aliased line segment kernel, peak value 1.

    ``angle`` is measured from the vertical axis (0 = vertical line), ``width`` is the
    full thickness in pixels.  With ``taper`` the intensity falls off towards both ends
    (like a rain streak); otherwise the line is uniform (like a motion-blur path).
    """
    size = 2 * int(math.ceil(length / 2 + width)) + 1
    yy, xx = _kernel_grid(size, device)
    dy, dx = math.cos(angle), math.sin(angle)
    along = yy * dy + xx * dx
    across = -yy * dx + xx * dy
    half = length / 2
    k_across = (width / 2 + 0.5 - across.abs()).clamp(0.0, 1.0)
    k_along = (half + 0.5 - along.abs()).clamp(0.0, 1.0)
    if taper:
        k_along = k_along * (1.0 - (along / (half + 0.5)).clamp(-1.0, 1.0) ** 2).sqrt()
    k = k_across * k_along
    return k / k.max()


def _disc_kernel(radius: float, softness: float, device: torch.device) -> Tensor:
    """Round blob kernel of the given radius, peak value 1.

    ``softness`` in ``[0, 1]``: 0 gives an anti-aliased hard disc, 1 a Gaussian-like
    defocused blob.
    """
    size = 2 * int(math.ceil(radius * (1 + softness) + 1)) + 1
    yy, xx = _kernel_grid(size, device)
    dist = (yy**2 + xx**2).sqrt()
    hard = (radius + 0.5 - dist).clamp(0.0, 1.0)
    soft = torch.exp(-0.5 * (dist / max(radius, 0.5)) ** 2)
    k = (1 - softness) * hard + softness * soft
    return k / k.max()


def _gaussian_kernel(sigma: float, device: torch.device) -> Tensor:
    """Normalised 2-D Gaussian kernel (sum 1) with radius ``ceil(3 sigma)``."""
    size = 2 * int(math.ceil(3 * sigma)) + 1
    yy, xx = _kernel_grid(size, device)
    k = torch.exp(-(yy**2 + xx**2) / (2 * sigma**2))
    return k / k.sum()


def _fft_conv(field: Tensor, kernels: list[Tensor]) -> Tensor:
    """Circularly convolve a ``[H, W]`` field with a chain of centred small kernels (FFT)."""
    h, w = field.shape
    spectrum = torch.fft.rfft2(field)
    for k in kernels:
        kh, kw = k.shape
        if kh > h or kw > w:
            raise ValueError(f"kernel {kh}x{kw} larger than field {h}x{w}")
        padded = torch.zeros(h, w, device=field.device, dtype=field.dtype)
        padded[:kh, :kw] = k
        padded = torch.roll(padded, shifts=(-(kh // 2), -(kw // 2)), dims=(0, 1))
        spectrum = spectrum * torch.fft.rfft2(padded)
    return torch.fft.irfft2(spectrum, s=(h, w))


def _sparse_layer(
    g: torch.Generator,
    shape: tuple[int, int],
    pad: int,
    density: float,
    strength: tuple[float, float],
    kernels: list[Tensor],
    device: torch.device,
) -> Tensor:
    """Random sparse impulses convolved with ``kernels``, cropped to ``shape``.

    The impulses are scattered on a canvas padded by ``pad`` pixels on each side so
    that structures may enter the image from outside and nothing wraps around.
    Returns a ``[H, W]`` opacity map in ``[0, 1]``.
    """
    h, w = shape
    ph, pw = h + 2 * pad, w + 2 * pad
    seeds = (_rand(g, (ph, pw), device) < density).float()
    seeds = seeds * (strength[0] + (strength[1] - strength[0]) * _rand(g, (ph, pw), device))
    layer = _fft_conv(seeds, kernels)[pad : pad + h, pad : pad + w]
    return layer.clamp(0.0, 1.0)


def degraded_mask(x0: Tensor, mu: Tensor) -> Tensor:
    """The degraded pixels of a pair: the project's one definition of *degraded* and *intact*.

    A pixel is **degraded** when some channel of ``mu`` differs from ``x0`` by more than half an
    8-bit level (:data:`DEGRADED_THRESHOLD` in [0, 1] units, ``1/255`` in the [-1, 1] units of the
    tensors), and **intact** otherwise.  On 8-bit images this is exactly ``x0 != mu``, i.e. a non-zero
    residual ``pi = x0 - mu`` (where RDBM puts noise); the half level only keeps float rounding
    inside the degradations from counting.  The data items' ``mask``, the degraded- and intact-pixel
    metrics of :mod:`rdbm_core.restoration.evaluation` and the notebooks all use this function.

    ``x0`` and ``mu``: ``[C, H, W]`` or ``[B, C, H, W]`` in ``[-1, 1]``; returns a bool
    ``[1, H, W]`` (or ``[B, 1, H, W]``) tensor, True = degraded.
    """
    if x0.shape != mu.shape or x0.dim() not in (3, 4):
        raise ValueError(
            f"x0 and mu must share a shape [C, H, W] or [B, C, H, W], got {tuple(x0.shape)} and {tuple(mu.shape)}"
        )
    return (x0 - mu).abs().amax(dim=-3, keepdim=True) / 2 > DEGRADED_THRESHOLD


def _finish(x0: Tensor, img: Tensor, return_mask: bool):
    """Convert a ``[0, 1]`` result back to ``[-1, 1]`` and attach :func:`degraded_mask` if asked."""
    mu = _from_unit(img, x0)
    if not return_mask:
        return mu
    return mu, degraded_mask(x0, mu)


def _smooth_noise(g: torch.Generator, shape: tuple[int, int], cells: int, device: torch.device) -> Tensor:
    """Low-frequency noise in ``[0, 1]``: a ``cells x cells`` random grid upsampled bicubically."""
    grid = _rand(g, (1, 1, cells, cells), device)
    up = F.interpolate(grid, size=shape, mode="bicubic", align_corners=False)[0, 0]
    return up.clamp(0.0, 1.0)


# ------------------------------------------------------------------------ degradations


def rain(x0: Tensor, generator: torch.Generator, *, return_mask: bool = False):
    """Add oriented, semi-transparent rain streaks (Rain100L/H-like).

    One dominant direction per image, ``U(-30, 30)`` degrees from vertical; 2-3 depth
    layers jitter it by at most 4 degrees and differ in density, length (10-50 px),
    width (1-2.5 px) and brightness.  The streak layer ``R`` is softened slightly and
    screen-blended: ``I = 1 - (1 - B)(1 - R)``, so streaks are brighter than the
    background but semi-transparent.
    """
    _check_image(x0)
    g, dev = generator, x0.device
    img = _to_unit(x0)
    h, w = img.shape[1:]
    base = math.radians(_uniform(g, -30.0, 30.0))
    heavy = _uniform(g, 0.0, 1.0)  # 0 = light drizzle (Rain100L), 1 = downpour (Rain100H)
    overlay = torch.zeros(h, w, device=dev)
    for layer in range(_randint(g, 2, 3)):
        near = layer / 2  # later layers are closer to the camera: longer, wider, sparser
        length = _uniform(g, 10.0, 25.0) + near * _uniform(g, 10.0, 25.0)
        width = 1.0 + near * _uniform(g, 0.0, 1.5)
        angle = base + math.radians(_uniform(g, -4.0, 4.0))
        density = (0.0015 + 0.006 * heavy) * _uniform(g, 0.5, 1.0) / (1.0 + 2.0 * near)
        strength = _uniform(g, 0.5, 0.9)
        streak = _line_kernel(length, angle, width, dev, taper=True)
        soft = _gaussian_kernel(0.5 + 0.4 * near, dev)
        pad = streak.shape[0] // 2 + soft.shape[0]
        layer_map = _sparse_layer(g, (h, w), pad, density, (0.5 * strength, strength), [streak, soft], dev)
        overlay = 1.0 - (1.0 - overlay) * (1.0 - layer_map)
    out = 1.0 - (1.0 - img) * (1.0 - overlay)
    return _finish(x0, out, return_mask)


def lowlight(x0: Tensor, generator: torch.Generator, *, return_mask: bool = False):
    """Darken like an under-exposed low-light photo (LOL-like).

    ``I = s * B^gamma * c`` with ``gamma ~ U(1.5, 2.5)``, exposure ``s ~ U(0.15, 0.45)`` and a
    per-channel cast ``c ~ U(0.9, 1.1)``; then Poisson-Gaussian noise with variance
    ``a I + b^2`` (shot gain ``a ~ U(0.001, 0.005)``, read noise ``b ~ U(0.002, 0.01)``).
    """
    _check_image(x0)
    g, dev = generator, x0.device
    img = _to_unit(x0)
    gamma = _uniform(g, 1.5, 2.5)
    scale = _uniform(g, 0.15, 0.45)
    cast = 0.9 + 0.2 * _rand(g, (3, 1, 1), dev)
    dark = (scale * img.pow(gamma) * cast).clamp(0.0, 1.0)
    shot, read = _uniform(g, 0.001, 0.005), _uniform(g, 0.002, 0.01)
    std = (shot * dark + read**2).sqrt()
    out = dark + std * _randn(g, tuple(dark.shape), dev)
    return _finish(x0, out, return_mask)


def snow(x0: Tensor, generator: torch.Generator, *, return_mask: bool = False):
    """Add falling snow (Snow100K-like).

    Three layers of flakes: many small sharp ones (radius 0.5-1.2 px), fewer medium ones
    (1.5-2.5 px) and a few large defocused ones (3-5 px); each of the two smaller layers
    is motion-blurred along the common fall direction with probability 1/2.  The image first gets a whitening veil
    ``B (1 - v) + 0.9 v`` with ``v ~ U(0.05, 0.15)``; flakes (nearly white, opacity
    0.4-1) are alpha-composited on top.
    """
    _check_image(x0)
    g, dev = generator, x0.device
    img = _to_unit(x0)
    h, w = img.shape[1:]
    fall = math.radians(_uniform(g, -40.0, 40.0))
    amount = _uniform(g, 0.5, 2.0)
    layers = (  # radius range, softness, density, opacity range, motion blur length range
        ((0.5, 1.2), 0.2, 0.0060, (0.4, 0.9), (3.0, 8.0)),
        ((1.5, 2.5), 0.3, 0.0012, (0.6, 1.0), (4.0, 12.0)),
        ((3.0, 5.0), 0.9, 0.00020, (0.4, 0.8), (0.0, 0.0)),
    )
    overlay = torch.zeros(h, w, device=dev)
    for (r_lo, r_hi), softness, density, opacity, (m_lo, m_hi) in layers:
        kernels = [_disc_kernel(_uniform(g, r_lo, r_hi), softness, dev)]
        if m_hi > 0 and _uniform(g, 0.0, 1.0) < 0.5:
            line = _line_kernel(_uniform(g, m_lo, m_hi), fall, 1.0, dev, taper=False)
            kernels.append(line / line.sum() * 1.6)  # motion keeps the streak fairly opaque
        pad = sum(k.shape[0] for k in kernels)
        layer_map = _sparse_layer(g, (h, w), pad, density * amount, opacity, kernels, dev)
        overlay = 1.0 - (1.0 - overlay) * (1.0 - layer_map)
    veil = _uniform(g, 0.05, 0.15)
    flake_colour = torch.tensor([0.93, 0.95, 0.98], device=dev).view(3, 1, 1) + 0.05 * _uniform(g, 0.0, 1.0)
    background = img * (1.0 - veil) + 0.9 * veil
    out = background * (1.0 - overlay) + flake_colour * overlay
    return _finish(x0, out, return_mask)


def haze(x0: Tensor, generator: torch.Generator, *, return_mask: bool = False):
    """Add haze by the atmospheric scattering model ``I = J t + A (1 - t)``.

    Transmission ``t = exp(-beta d)`` with ``beta ~ U(0.6, 1.8)`` (the RESIDE range) and a smooth depth proxy
    ``d`` in ``[0.15, 1]`` mixing vertical position (the top is far), heavily smoothed
    luminance (bright regions such as sky are far) and low-frequency noise.  Airlight
    ``A ~ U(0.75, 0.95)`` with a small per-channel tint.
    """
    _check_image(x0)
    g, dev = generator, x0.device
    img = _to_unit(x0)
    h, w = img.shape[1:]
    rows = torch.linspace(1.0, 0.0, h, device=dev).view(h, 1).expand(h, w)
    coarse = F.adaptive_avg_pool2d(_luminance(img)[None, None], (8, 8))
    lum = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)[0, 0]
    depth = 0.55 * rows + 0.25 * lum + 0.20 * _smooth_noise(g, (h, w), 4, dev)
    depth = 0.15 + 0.85 * depth.clamp(0.0, 1.0)
    beta = _uniform(g, 0.6, 1.8)
    trans = torch.exp(-beta * depth)
    airlight = _uniform(g, 0.75, 0.95) + 0.02 * (2 * _rand(g, (3, 1, 1), dev) - 1)
    out = img * trans + airlight * (1.0 - trans)
    return _finish(x0, out, return_mask)


def blur(x0: Tensor, generator: torch.Generator, *, kind: str | None = None, return_mask: bool = False):
    """Blur with a Gaussian or a linear motion kernel.

    ``kind`` is ``"gaussian"`` (sigma ``U(1, 3)`` px), ``"motion"`` (straight path of
    length ``U(7, 21)`` px at a uniform angle) or ``None`` for a fair random choice.
    Borders are handled by edge replication.
    """
    _check_image(x0)
    g, dev = generator, x0.device
    if kind is None:
        kind = "gaussian" if _uniform(g, 0.0, 1.0) < 0.5 else "motion"
    if kind == "gaussian":
        kernel = _gaussian_kernel(_uniform(g, 1.0, 3.0), dev)
    elif kind == "motion":
        kernel = _line_kernel(_uniform(g, 7.0, 21.0), _uniform(g, 0.0, math.pi), 1.0, dev, taper=False)
        kernel = kernel / kernel.sum()
    else:
        raise ValueError(f"blur kind must be 'gaussian', 'motion' or None, got {kind!r}")
    img = _to_unit(x0)
    r = kernel.shape[0] // 2
    padded = F.pad(img[None], (r, r, r, r), mode="replicate")
    out = F.conv2d(padded, kernel.expand(3, 1, *kernel.shape).contiguous(), groups=3)[0]
    return _finish(x0, out, return_mask)


def noise(x0: Tensor, generator: torch.Generator, *, sigma: float = 25.0 / 255.0, return_mask: bool = False):
    """Add white Gaussian noise of standard deviation ``sigma`` in ``[0, 1]`` intensity units.

    The default ``25/255`` is the usual "sigma = 25" denoising benchmark; in the
    ``[-1, 1]`` range of ``x0`` the standard deviation is ``2 sigma``.  Clipped to range.
    """
    _check_image(x0)
    if not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a finite non-negative number, got {sigma!r}")
    img = _to_unit(x0)
    out = img + sigma * _randn(generator, tuple(img.shape), x0.device)
    return _finish(x0, out, return_mask)


def inpaint(x0: Tensor, generator: torch.Generator, *, fill: float = 0.0, return_mask: bool = False):
    """Cut free-form holes (random thick brush strokes) and fill them with ``fill``.

    2-5 strokes, each a polyline of 4-9 vertices following a random walk (turns up to
    +-60 degrees, steps 10-25% of the short side) drawn with round caps and a brush width
    of 6-14% of the short side (at least 3 px).  ``fill`` is in ``[-1, 1]`` units
    (0 = mid grey).  The hole is where the strokes are; the mask is :func:`degraded_mask`, which leaves
    out the few hole pixels whose value already equals ``fill`` (to half an 8-bit level).
    """
    _check_image(x0)
    if not -1.0 <= fill <= 1.0:
        raise ValueError(f"fill must lie in [-1, 1], got {fill!r}")
    g, dev = generator, x0.device
    h, w = x0.shape[1:]
    short = min(h, w)
    hole = torch.zeros(h, w, dtype=torch.bool, device=dev)
    for _ in range(_randint(g, 2, 5)):
        radius = max(1.5, _uniform(g, 0.06, 0.14) * short / 2)
        y, x = _uniform(g, 0, h - 1), _uniform(g, 0, w - 1)
        heading = _uniform(g, 0.0, 2 * math.pi)
        for _ in range(_randint(g, 3, 8)):
            heading += math.radians(_uniform(g, -60.0, 60.0))
            step = _uniform(g, 0.10, 0.25) * short
            y2 = min(max(y + step * math.sin(heading), 0.0), h - 1.0)
            x2 = min(max(x + step * math.cos(heading), 0.0), w - 1.0)
            _draw_segment(hole, (y, x), (y2, x2), radius)
            y, x = y2, x2
    out = torch.where(hole, torch.full_like(x0, fill), x0)
    if not return_mask:
        return out
    return out, degraded_mask(x0, out)


def _draw_segment(canvas: Tensor, p: tuple[float, float], q: tuple[float, float], radius: float) -> None:
    """Set pixels of ``canvas`` within ``radius`` of the segment ``p-q`` to True (in place)."""
    h, w = canvas.shape
    y0 = max(int(math.floor(min(p[0], q[0]) - radius)), 0)
    y1 = min(int(math.ceil(max(p[0], q[0]) + radius)) + 1, h)
    x0 = max(int(math.floor(min(p[1], q[1]) - radius)), 0)
    x1 = min(int(math.ceil(max(p[1], q[1]) + radius)) + 1, w)
    yy = torch.arange(y0, y1, device=canvas.device, dtype=torch.float32).view(-1, 1)
    xx = torch.arange(x0, x1, device=canvas.device, dtype=torch.float32).view(1, -1)
    dy, dx = q[0] - p[0], q[1] - p[1]
    seg2 = dy * dy + dx * dx
    if seg2 > 0:
        t = (((yy - p[0]) * dy + (xx - p[1]) * dx) / seg2).clamp(0.0, 1.0)
    else:
        t = torch.zeros(1, 1, device=canvas.device)
    dist2 = (yy - p[0] - t * dy) ** 2 + (xx - p[1] - t * dx) ** 2
    canvas[y0:y1, x0:x1] |= dist2 <= radius * radius


# ---------------------------------------------------------------------------- registry

TASKS: dict[str, Callable[..., Tensor | tuple[Tensor, Tensor]]] = {
    "derain": rain,
    "lowlight": lowlight,
    "desnow": snow,
    "dehaze": haze,
    "deblur": blur,
    "denoise": noise,
    "inpaint": inpaint,
}


def degrade(
    x0: Tensor,
    task: str,
    generator: torch.Generator | None = None,
    seed: int | None = None,
    **params,
) -> tuple[Tensor, Tensor, Tensor]:
    """Degrade ``x0`` for a restoration ``task``; return ``(x0, mu, mask)``.

    ``task`` is a key of :data:`TASKS`.  Randomness comes from ``generator`` or, if it is
    None, from a fresh generator seeded with ``seed`` (a random seed if both are None;
    passing both is an error).  Extra keyword ``params`` go to the degradation function
    (e.g. ``sigma`` for ``"denoise"``, ``kind`` for ``"deblur"``, ``fill`` for ``"inpaint"``).
    ``mask`` is ``degraded_mask(x0, mu)``, a bool ``[1, H, W]`` tensor of degraded pixels.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(sorted(TASKS))}")
    if generator is not None and seed is not None:
        raise ValueError("pass either a generator or a seed, not both")
    if generator is None:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
    mu, mask = TASKS[task](x0, generator, return_mask=True, **params)
    return x0, mu, mask
