"""The photographs that ship with the package: scikit-image's and the nine of :data:`PHOTOS_DIR`, split by image into the fixed lists
:data:`TRAIN_IMAGES` and :data:`TEST_IMAGES` (:func:`embedded_images`, :func:`embedded_image_names`); the held-out
benchmark's photographs are never trained on."""
from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from skimage import data as skdata

from rdbm_core.data.images import image_to_tensor, read_array, tensor_to_image

__all__ = ["TRAIN_IMAGES", "TEST_IMAGES", "PHOTOS_DIR", "PACKAGED_PHOTOS", "photo", "photo_tensor", "embedded_images",
           "embedded_image_names", "embedded_tensors", "check_split"]

# Fixed split of the embedded photographs, by image.  Greyscale ones are replicated to RGB.
# "motorcycle" is the left view of skimage's stereo pair (the right view is left out: it is
# nearly the same picture).  Every image comes from a declared dependency or from this package, so
# the training data is the same on every installation.  Left out on purpose: synthetic pictures (logo,
# colorwheel, ...), the already motion-blurred "clock", text pages, "cat" (= "chelsea"),
# "retina" (mostly black surround) and images that need a download (pooch).
# The four test photographs (a cat, a coffee cup, a rocket on its launch pad, a man with a
# camera: three colour, one greyscale) are never used for training, nor are the photographs of
# PHOTOS_DIR (the held-out benchmark's version 2).
TRAIN_IMAGES = (
    "astronaut",
    "motorcycle",
    "hubble_deep_field",
    "immunohistochemistry",
    "brick",
    "grass",
    "gravel",
    "moon",
    "coins",
)

TEST_IMAGES = ("chelsea", "coffee", "rocket", "camera")

#: Folder of the photographs this package ships (``<name>.jpg``; ``SOURCES.md`` there gives the origin,
#: author, licence and changes of each); they are held-out photographs of the benchmark, never trained on.
PHOTOS_DIR = Path(__file__).with_name("photos")

PACKAGED_PHOTOS = (
    "grace_hopper",
    "fig_bowl",
    "mountain_path",
    "dogs_window",
    "paintbrushes",
    "forest_stream",
    "living_room",
    "dandelions",
    "autumn_hills",
)


def _embedded_loaders() -> dict[str, Callable[[], np.ndarray]]:
    """Name -> zero-argument loader of every image in the two splits and in the benchmark versions."""

    return {
        "astronaut": skdata.astronaut,
        "rocket": skdata.rocket,
        "motorcycle": lambda: skdata.stereo_motorcycle()[0],
        "hubble_deep_field": skdata.hubble_deep_field,
        "immunohistochemistry": skdata.immunohistochemistry,
        "camera": skdata.camera,
        "brick": skdata.brick,
        "grass": skdata.grass,
        "gravel": skdata.gravel,
        "moon": skdata.moon,
        "coins": skdata.coins,
        "chelsea": skdata.chelsea,
        "coffee": skdata.coffee,
        **{name: functools.partial(read_array, PHOTOS_DIR / f"{name}.jpg") for name in PACKAGED_PHOTOS},
    }


@functools.lru_cache(maxsize=None)
def photo(name: str) -> np.ndarray:
    """Cached read-only ``uint8 HxWx3`` RGB array of the embedded image ``name`` (greyscale replicated)."""
    rgb = tensor_to_image(image_to_tensor(_embedded_loaders()[name]()))
    rgb.setflags(write=False)
    return rgb


@functools.lru_cache(maxsize=None)
def photo_tensor(name: str) -> torch.Tensor:
    """Cached ``uint8 [3, H, W]`` tensor of the embedded image ``name`` (shared: never modify it in place)."""
    return torch.from_numpy(photo(name).copy()).permute(2, 0, 1)


@functools.lru_cache(maxsize=None)
def _embedded(split: str) -> tuple[tuple[str, np.ndarray], ...]:
    """Cached ``(name, uint8 HxWx3 array)`` pairs of one split, arrays read-only."""
    names = TRAIN_IMAGES if split == "train" else TEST_IMAGES
    images = []
    for name in names:
        try:
            images.append((name, photo(name)))
        except Exception as err:  # a data file missing from this install
            warnings.warn(f"embedded image {name!r} could not be loaded and is skipped: {err}", stacklevel=3)
    if not images:
        raise RuntimeError(f"none of the embedded {split} images could be loaded")
    return tuple(images)


@functools.lru_cache(maxsize=None)
def embedded_tensors(split: str) -> tuple[torch.Tensor, ...]:
    """Cached ``uint8 [3, H, W]`` tensors of one split (shared: never modify them in place)."""
    return tuple(photo_tensor(name) for name, _ in _embedded(split))


def check_split(split: str) -> None:
    """Raise ``ValueError`` unless ``split`` is ``"train"`` or ``"test"``."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def embedded_images(split: str) -> list[np.ndarray]:
    """The embedded photographs of a split as ``uint8 HxWx3`` RGB arrays (fresh copies).

    ``split="train"`` gives :data:`TRAIN_IMAGES`, ``split="test"`` gives
    :data:`TEST_IMAGES`, in that order; the two lists share no picture.
    """
    check_split(split)
    return [image.copy() for _, image in _embedded(split)]


def embedded_image_names(split: str) -> list[str]:
    """Names of the images :func:`embedded_images` returns for ``split``, in the same order."""
    check_split(split)
    return [name for name, _ in _embedded(split)]
