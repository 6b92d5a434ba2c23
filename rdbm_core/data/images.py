"""Image files and tensors: read any png/jpg/jpeg/bmp/tif/tiff file as a float ``[3, H, W]`` tensor in
``[-1, 1]`` (:func:`load_image`), write one as an 8-bit RGB PNG (:func:`save_image`), and convert between ``uint8
HxWx3`` arrays and such tensors (:func:`image_to_tensor`, :func:`tensor_to_image`)."""
from __future__ import annotations

import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

__all__ = ["SUPPORTED_EXTENSIONS", "image_to_tensor", "tensor_to_image", "image_size", "load_image", "save_image",
           "read_array", "image_props"]

SUPPORTED_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """Convert an ``HxW`` or ``HxWxC`` array (C = 1, 2, 3 or 4) to a ``[3, H, W]`` tensor in ``[-1, 1]``.

    ``uint8`` is scaled by 255, 16-bit and wider integers by 65535, bool by 1, floats are
    taken as ``[0, 1]`` intensities and clipped.  Greyscale (with or without alpha) is
    replicated to RGB; an alpha channel is dropped.
    """
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] in (1, 2):
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxW or HxWxC image with C in 1..4, got shape {arr.shape}")
    arr = arr[..., :3]
    if arr.dtype == np.bool_:
        unit = arr.astype(np.float32)
    elif arr.dtype == np.uint8:
        unit = arr.astype(np.float32) / 255.0
    elif np.issubdtype(arr.dtype, np.integer):
        unit = arr.astype(np.float32) / 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        unit = arr.astype(np.float32)
    else:
        raise ValueError(f"unsupported image dtype {arr.dtype}")
    unit = np.clip(np.nan_to_num(unit), 0.0, 1.0)
    return torch.from_numpy(np.ascontiguousarray(unit.transpose(2, 0, 1))) * 2.0 - 1.0


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """Convert a ``[3, H, W]`` (or ``[1, H, W]``) tensor in ``[-1, 1]`` to a ``uint8 HxWx3`` array (clamped)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"expected a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dim() != 3 or tensor.shape[0] not in (1, 3):
        raise ValueError(f"expected a [3, H, W] or [1, H, W] tensor, got shape {tuple(tensor.shape)}")
    t = tensor.detach().to("cpu", torch.float32)
    if torch.isnan(t).any():
        raise ValueError("tensor contains NaN values")
    t = t.expand(3, *t.shape[1:])
    return ((t.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch.uint8).permute(1, 2, 0).numpy()


def _check_file(path: Path) -> None:
    """Raise a clear error if ``path`` is missing, a folder or a zero-byte file."""
    if not path.exists():
        raise FileNotFoundError(f"image file not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"expected an image file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise ValueError(f"empty (zero-byte) image file: {path}")


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """``(H, W)`` of an image file read from its header only; raise ``ValueError`` if unreadable."""
    path = Path(path)
    _check_file(path)
    try:
        shape = iio.improps(path, plugin="pillow", index=0).shape
    except Exception as err:  # imageio/Pillow raise many exception types for bad files
        raise ValueError(f"cannot read image file {path}: {err}") from err
    return int(shape[0]), int(shape[1])


def load_image(path: str | os.PathLike) -> torch.Tensor:
    """Read an image file as a float ``[3, H, W]`` tensor in ``[-1, 1]``.

    Greyscale and RGBA images become RGB; 16-bit images are scaled by 65535; only the
    first frame of a multi-frame file is read.  Raises ``FileNotFoundError`` for a
    missing file and ``ValueError`` (naming the file) for an empty or unreadable one.
    """
    path = Path(path)
    _check_file(path)
    try:
        array = iio.imread(path, plugin="pillow", index=0)
    except Exception as err:  # imageio/Pillow raise many exception types for bad files
        raise ValueError(f"cannot read image file {path}: {err}") from err
    try:
        return image_to_tensor(array)
    except ValueError as err:
        raise ValueError(f"cannot use image file {path}: {err}") from err


def save_image(tensor: torch.Tensor, path: str | os.PathLike) -> None:
    """Write a ``[3, H, W]`` (or ``[1, H, W]``) tensor in ``[-1, 1]`` as an 8-bit RGB PNG.

    Values are clamped to ``[-1, 1]`` and rounded; missing parent folders are created.
    The file name must end in ``.png``.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_image writes PNG files; the name must end in .png, got {path}")
    image = tensor_to_image(tensor)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        iio.imwrite(path, image, plugin="pillow", extension=".png")
    except Exception as err:  # imageio/Pillow raise many exception types on write errors
        raise OSError(f"cannot write image file {path}: {err}") from err


def image_props(path: Path) -> tuple[int, int, int]:
    """``(H, W, decoded bytes)`` of an image file from its header; raise ``ValueError`` naming it if unreadable."""
    _check_file(path)
    try:
        props = iio.improps(path, plugin="pillow", index=0)
    except Exception as err:  # imageio/Pillow raise many exception types for bad files
        raise ValueError(f"cannot read image file {path}: {err}") from err
    return int(props.shape[0]), int(props.shape[1]), int(np.prod(props.shape)) * np.dtype(props.dtype).itemsize


def read_array(path: Path) -> np.ndarray:
    """The decoded array of an image file (as :func:`load_image` reads it, before conversion)."""
    _check_file(path)
    try:
        return iio.imread(path, plugin="pillow", index=0)
    except Exception as err:  # imageio/Pillow raise many exception types for bad files
        raise ValueError(f"cannot read image file {path}: {err}") from err
