"""Datasets of (clean, degraded) pairs.

* :class:`SyntheticPairs` -- crops of the embedded photos (:mod:`rdbm_core.data.embedded`) degraded on the fly
  with :func:`rdbm_core.data.degradations.degrade`; every item is a function of ``(seed, index)``.
* :class:`HeldOutBenchmark` -- the fixed evaluation set of a task: non-overlapping windows of the
  held-out photographs of a benchmark version (:data:`BENCHMARK_PHOTOS`; version 1: the
  :data:`~rdbm_core.data.embedded.TEST_IMAGES`, version 2: twelve colour photographs, nine of them shipped in
  :data:`~rdbm_core.data.embedded.PHOTOS_DIR`), or the whole photographs, degraded with the fixed
  :data:`BENCHMARK_SEED`; the same items for every method, training seed and sampler.  :func:`benchmark_images`
  gives a version's photographs.
* :class:`PairedFolder` -- a real paired dataset stored as two folders (degraded LQ and
  ground-truth GT) whose files are matched by name stem (LOL, Snow100K, GoPro layouts) or by a
  pair pattern (:func:`parse_pair_pattern`: ``"rain-{id}:norain-{id}"`` for Rain100L/H); every
  file is in a pair.

Items are dicts ``{"x0": clean [3,H,W], "mu": degraded [3,H,W], "mask": bool [1,H,W]}`` with
``mask = degradations.degraded_mask(x0, mu)`` (True = degraded, False = intact)
(:class:`PairedFolder` adds ``"name"``), all tensors in ``[-1, 1]``.
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from rdbm_core.data.degradations import TASKS, degraded_mask, degrade
from rdbm_core.data.embedded import PACKAGED_PHOTOS, TEST_IMAGES, check_split, embedded_tensors, photo, photo_tensor
from rdbm_core.data.images import SUPPORTED_EXTENSIONS, image_props, image_to_tensor, read_array

__all__ = ["SyntheticPairs", "BENCHMARK_SEED", "BENCHMARK_ITEMS", "BENCHMARK_CROP", "BENCHMARK_PHOTOS",
           "BENCHMARK_WINDOWS", "BENCHMARK_VERSION", "GREYSCALE_PHOTOS", "benchmark_images", "HeldOutBenchmark",
           "PAIR_ID", "parse_pair_pattern", "PairedFolder"]


def _item_generator(seed: int, index: int) -> torch.Generator:
    """A generator seeded from ``(seed, index)`` with good bit mixing."""
    state = np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def _check_crop(crop: int | None) -> None:
    """Raise ``ValueError`` unless ``crop`` is None or a positive int."""
    if crop is not None and (isinstance(crop, bool) or not isinstance(crop, int) or crop < 8):
        raise ValueError(f"crop must be None or an int >= 8, got {crop!r}")


def _check_seed(seed: int) -> None:
    """Raise ``ValueError`` unless ``seed`` is a non-negative int."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")


def _check_task(task: str, params: dict) -> None:
    """Raise ``ValueError`` unless ``task`` is in :data:`TASKS` and takes the degradation keywords ``params``."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid tasks: {', '.join(sorted(TASKS))}")
    try:
        inspect.signature(TASKS[task]).bind(None, None, **params)
    except TypeError as err:
        raise ValueError(f"bad degradation parameters {sorted(params)} for task {task!r}: {err}") from err


def _whole_photo(image: torch.Tensor) -> torch.Tensor:
    """A ``uint8 [3, H, W]`` photograph as a float tensor in ``[-1, 1]`` whose sides are multiples of 8
    (resized, antialiased, when they are not)."""
    h, w = image.shape[1:]
    if h % 8 or w % 8:
        x0 = image.float()[None] / 127.5 - 1.0
        x0 = F.interpolate(x0, size=(h - h % 8, w - w % 8), mode="bilinear", antialias=True, align_corners=False)
        return x0[0].clamp(-1.0, 1.0).contiguous()
    return (image.float() / 127.5 - 1.0).contiguous()


def _random_window(g: torch.Generator, height: int, width: int, crop: int) -> tuple[int, int]:
    """Top-left corner of a uniformly random ``crop x crop`` window."""
    top = int(torch.randint(0, height - crop + 1, (), generator=g))
    left = int(torch.randint(0, width - crop + 1, (), generator=g))
    return top, left


class SyntheticPairs(torch.utils.data.Dataset):
    """Embedded photographs degraded on the fly for one restoration ``task``.

    Item ``i`` is ``{"x0", "mu", "mask"}`` and depends only on ``(seed, i)``:

    * ``split="train"``: a random image of :data:`TRAIN_IMAGES`, a random ``crop x crop``
      window, a random horizontal flip (if ``flip``) and a random degradation.
    * ``split="test"``: image ``i mod n`` of :data:`TEST_IMAGES`, no flip, a window and a
      degradation fixed by ``(seed, i)``; with ``crop=None`` the whole image, resized
      (antialiased) so that height and width are multiples of 8.

    ``crop=None`` also works for ``"train"`` (whole images of differing sizes: batch size 1).
    Extra keyword ``params`` go to the degradation (e.g. ``sigma=50/255`` for ``"denoise"``).
    """

    def __init__(
        self,
        task: str,
        split: str = "train",
        crop: int | None = 64,
        length: int = 1000,
        seed: int = 0,
        flip: bool = True,
        **params,
    ) -> None:
        _check_task(task, params)
        check_split(split)
        _check_crop(crop)
        _check_seed(seed)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"length must be a positive int, got {length!r}")
        self.task, self.split, self.crop, self.length, self.seed = task, split, crop, length, seed
        self.flip = flip and split == "train"
        self.params = params
        self.images = embedded_tensors(split)
        if crop is not None:
            smallest = min(min(image.shape[1:]) for image in self.images)
            if crop > smallest:
                raise ValueError(f"crop {crop} is larger than the smallest {split} image side ({smallest} px)")

    def __len__(self) -> int:
        """Number of items (``length``)."""
        return self.length

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """Item ``index``: ``{"x0", "mu", "mask"}`` (see the class docstring)."""
        if not -self.length <= index < self.length:
            raise IndexError(f"index {index} out of range for a dataset of length {self.length}")
        index %= self.length
        g = _item_generator(self.seed, index)
        if self.split == "train":
            image = self.images[int(torch.randint(0, len(self.images), (), generator=g))]
        else:
            image = self.images[index % len(self.images)]
        h, w = image.shape[1:]
        if self.crop is not None:
            top, left = _random_window(g, h, w, self.crop)
            x0 = image[:, top : top + self.crop, left : left + self.crop].float() / 127.5 - 1.0
        elif self.split == "test":
            x0 = _whole_photo(image)
        else:
            x0 = image.float() / 127.5 - 1.0
        if self.flip and bool(torch.rand((), generator=g) < 0.5):
            x0 = x0.flip(-1)
        x0 = x0.contiguous()
        _, mu, mask = degrade(x0, self.task, generator=g, **self.params)
        return {"x0": x0, "mu": mu, "mask": mask}

#: Seed of the benchmark's degradations and window choice; fixed, independent of any training seed.
BENCHMARK_SEED = 20_251_027

#: Side of the benchmark's windows in pixels.
BENCHMARK_CROP = 64

#: The photographs of each benchmark version, in item order (item ``i`` is taken from photograph ``i mod n``).
#: Version 1 is :data:`TEST_IMAGES` (four scikit-image photographs, ``camera`` greyscale); version 2 is twelve
#: colour photographs: scikit-image's three colour ones and the nine of :data:`PHOTOS_DIR`.  None is trained on.
BENCHMARK_PHOTOS: dict[int, tuple[str, ...]] = {
    1: TEST_IMAGES,
    2: ("chelsea", "coffee", "rocket", *PACKAGED_PHOTOS),
}

#: The benchmark photographs that are greyscale (replicated to RGB); every other one is a colour photograph.
GREYSCALE_PHOTOS = frozenset({"camera"})

#: Windows per photograph of each version's full benchmark: its default ``items`` is windows x photographs.
BENCHMARK_WINDOWS: dict[int, int] = {1: 16, 2: 12}

#: Items per task of the version-1 benchmark (16 windows of each of its 4 photographs).
BENCHMARK_ITEMS = BENCHMARK_WINDOWS[1] * len(BENCHMARK_PHOTOS[1])

#: The benchmark version new studies use, stated explicitly: ``HeldOutBenchmark(task, version=BENCHMARK_VERSION)``.
#: :class:`HeldOutBenchmark`'s own default stays version 1, so that every caller written before version 2 (and
#: every number it committed) keeps its items.
BENCHMARK_VERSION = 2


def _check_version(version: int) -> None:
    """Raise ``ValueError`` unless ``version`` is a key of :data:`BENCHMARK_PHOTOS`."""
    if isinstance(version, bool) or not isinstance(version, int) or version not in BENCHMARK_PHOTOS:
        raise ValueError(f"unknown benchmark version {version!r}; versions: {', '.join(map(str, BENCHMARK_PHOTOS))}")


def benchmark_images(version: int) -> list[np.ndarray]:
    """The photographs of benchmark ``version`` as ``uint8 HxWx3`` RGB arrays (fresh copies), in the order of
    :data:`BENCHMARK_PHOTOS` ``[version]``.  Raises ``ValueError`` for an unknown version and the reading error
    (naming the file) if one of them cannot be loaded: the benchmark never skips a photograph."""
    _check_version(version)
    return [photo(name).copy() for name in BENCHMARK_PHOTOS[version]]


class HeldOutBenchmark(torch.utils.data.Dataset):
    """The fixed held-out benchmark of one restoration ``task``: the same items for every method,
    training seed and sampler.

    ``version`` chooses the photographs, :data:`BENCHMARK_PHOTOS` ``[version]`` (``n`` of them): 1 (the default:
    the benchmark of every study before version 2, item for item) or 2 (:data:`BENCHMARK_VERSION`, for new
    studies).  ``items`` defaults to the version's full benchmark, :data:`BENCHMARK_WINDOWS` ``[version] * n``
    (version 1: :data:`BENCHMARK_ITEMS`).

    With ``crop`` (default :data:`BENCHMARK_CROP`): each photograph is cut into the non-overlapping
    ``crop x crop`` tiles of a grid centred on it; item ``i`` is a tile of photograph ``i mod n``, the tiles of
    one photograph taken in an order fixed by :data:`BENCHMARK_SEED`, so ``items`` windows are spread evenly
    over the photographs (the full benchmark: the same number from each) and never overlap; asking for more
    items than ``n`` times the fewest tiles of a photograph raises ``ValueError``.  With ``crop=None``: item
    ``i`` is the whole photograph ``i mod n`` (resized to multiples of 8, as :class:`SyntheticPairs` does), for
    figures.  The degradation of item ``i`` is drawn from ``(BENCHMARK_SEED, i)``: no training seed enters.

    Items are ``{"x0", "mu", "mask", "name"}`` where ``name`` is ``photo`` or ``photo@top,left``.  ``names``
    lists the version's photographs and ``windows`` the ``(photograph index, top, left)`` of each item.
    Extra keyword ``params`` go to the degradation.
    """

    def __init__(
        self, task: str, items: int | None = None, crop: int | None = BENCHMARK_CROP, *, version: int = 1, **params
    ) -> None:
        _check_version(version)
        if items is None:
            items = BENCHMARK_WINDOWS[version] * len(BENCHMARK_PHOTOS[version])
        if isinstance(items, bool) or not isinstance(items, int) or items < 1:
            raise ValueError(f"items must be a positive int, got {items!r}")
        _check_task(task, params)
        _check_crop(crop)
        self.task, self.items, self.crop, self.version, self.params = task, items, crop, version, params
        self.names = list(BENCHMARK_PHOTOS[version])
        self.images = tuple(photo_tensor(name) for name in self.names)
        self.windows: list[tuple[int, int, int]] = []  # (photo, top, left) of item i
        if crop is None:
            return
        order = torch.Generator().manual_seed(BENCHMARK_SEED)
        tiles = []
        for image in self.images:
            h, w = image.shape[1:]
            rows, cols = h // crop, w // crop
            top0, left0 = (h - rows * crop) // 2, (w - cols * crop) // 2
            grid = [(top0 + r * crop, left0 + c * crop) for r in range(rows) for c in range(cols)]
            tiles.append([grid[k] for k in torch.randperm(len(grid), generator=order).tolist()])
        n = len(self.images)
        available = n * min(len(t) for t in tiles)
        if items > available:
            raise ValueError(f"benchmark version {version} has at most {available} non-overlapping {crop}x{crop} "
                             f"windows ({n} photographs); asked for {items}")
        for i in range(items):
            photo = i % n
            self.windows.append((photo, *tiles[photo][i // n]))

    def __len__(self) -> int:
        """Number of items."""
        return self.items

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | str]:
        """Item ``index``: ``{"x0", "mu", "mask", "name"}`` (see the class docstring)."""
        if not -self.items <= index < self.items:
            raise IndexError(f"index {index} out of range for a benchmark of {self.items} items")
        index %= self.items
        if self.crop is None:
            photo = index % len(self.images)
            x0, name = _whole_photo(self.images[photo]), self.names[photo]
        else:
            photo, top, left = self.windows[index]
            window = self.images[photo][:, top : top + self.crop, left : left + self.crop]
            x0, name = (window.float() / 127.5 - 1.0).contiguous(), f"{self.names[photo]}@{top},{left}"
        _, mu, mask = degrade(x0, self.task, generator=_item_generator(BENCHMARK_SEED, index), **self.params)
        return {"x0": x0, "mu": mu, "mask": mask, "name": name}

#: The placeholder of :func:`parse_pair_pattern`'s templates: the part of a file stem that LQ and GT names share.
PAIR_ID = "{id}"


def parse_pair_pattern(pattern: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """``((lq_prefix, lq_suffix), (gt_prefix, gt_suffix))`` of a pair pattern ``"LQ:GT"``.

    Each side is a file-stem template holding :data:`PAIR_ID` exactly once; everything else is literal.
    ``"rain-{id}:norain-{id}"`` pairs ``rain-001.png`` with ``norain-001.png`` (any supported extensions).
    A stem matches a template when it is ``prefix + id + suffix`` with a non-empty ``id``.  Raises
    ``ValueError`` (one line) for a pattern that is not of this form.
    """
    if not isinstance(pattern, str) or pattern.count(":") != 1:
        raise ValueError(f"pair pattern must be 'LQ:GT' with one ':' (e.g. 'rain-{PAIR_ID}:norain-{PAIR_ID}'), "
                         f"got {pattern!r}")
    sides = []
    for role, template in zip(("LQ", "GT"), pattern.split(":")):
        if template.count(PAIR_ID) != 1:
            raise ValueError(f"the {role} side of pair pattern {pattern!r} must hold {PAIR_ID} exactly once "
                             f"(e.g. 'rain-{PAIR_ID}:norain-{PAIR_ID}'), got {template!r}")
        prefix, suffix = template.split(PAIR_ID)
        sides.append((prefix, suffix))
    return sides[0], sides[1]


def _some_files(keys: list[str], files: dict[str, Path]) -> str:
    """``"N file(s) (a.png, b.png, ...)"`` listing at most 5 of the files of ``keys``."""
    if not keys:
        return "0 files"
    shown = ", ".join(files[k].name for k in keys[:5])
    more = ", ..." if len(keys) > 5 else ""
    return f"{len(keys)} file{'s' if len(keys) > 1 else ''} ({shown}{more})"


class PairedFolder(torch.utils.data.Dataset):
    """A real paired dataset: degraded images in ``lq_dir``, ground truth in ``gt_dir``, every file in a pair.

    Matching: by identical file stem (``rain-001.png`` with ``rain-001.png`` or ``rain-001.jpg``), or, with
    ``pattern`` (see :func:`parse_pair_pattern`), by the shared ``{id}`` of two templates (``"rain-{id}:norain-{id}"``
    pairs ``rain-001.png`` with ``norain-001.png``).  Extensions in :data:`SUPPORTED_EXTENSIONS` (any case) count;
    hidden files and everything else are ignored.  The constructor checks the folders, that every image of both
    folders is in exactly one pair, that no file is empty or unreadable (header only), that each pair has one
    size and that ``crop`` fits in every pair, and raises ``FileNotFoundError`` / ``ValueError`` (one line, naming
    the files) otherwise.

    Pairs are sorted by ``{id}`` (the stem without a pattern).  Item ``i`` is pair ``i``: ``{"x0": GT, "mu": LQ,
    "mask", "name"}`` where ``mask = degradations.degraded_mask(x0, mu)`` and ``name`` is the LQ file name; with
    ``crop``, the same ``crop x crop`` window of both, fixed by ``(seed, i)``.  :meth:`draw` gives a fresh random
    window (and a random horizontal flip) from a caller's generator instead: the training draws.

    Decoded pairs are kept in memory while they take at most ``cache_gb`` GB in all (the first ones read); the
    others are read from disk at every access.  The cache changes no value, only speed.
    """

    def __init__(
        self,
        lq_dir: str | os.PathLike,
        gt_dir: str | os.PathLike,
        crop: int | None = None,
        seed: int = 0,
        pattern: str | None = None,
        cache_gb: float = 0.0,
    ) -> None:
        _check_crop(crop)
        _check_seed(seed)
        if isinstance(cache_gb, bool) or not isinstance(cache_gb, (int, float)) or not cache_gb >= 0:
            raise ValueError(f"cache_gb must be a number >= 0, got {cache_gb!r}")
        lq_dir, gt_dir = Path(lq_dir), Path(gt_dir)
        lq = self._list_images(lq_dir, "LQ")
        gt = self._list_images(gt_dir, "GT")
        if pattern is None:
            lq_ids, gt_ids = lq, gt
            how = "by file name"
        else:
            lq_side, gt_side = parse_pair_pattern(pattern)
            lq_ids = self._match(lq, lq_side, lq_dir, "LQ")
            gt_ids = self._match(gt, gt_side, gt_dir, "GT")
            how = f"by pair pattern {pattern!r}"
        only_lq, only_gt = sorted(set(lq_ids) - set(gt_ids)), sorted(set(gt_ids) - set(lq_ids))
        if len(only_lq) == len(lq_ids):
            hint = ("; if the names differ (rain-001.png / norain-001.png), map them with a pair pattern "
                    f"(--pair-pattern 'rain-{PAIR_ID}:norain-{PAIR_ID}')" if pattern is None else "")
            raise ValueError(f"no pairs: none of the {len(lq_ids)} images in LQ folder {lq_dir} has a partner in GT "
                             f"folder {gt_dir} {how} (LQ {_some_files(sorted(lq_ids), lq_ids)}; "
                             f"GT {_some_files(sorted(gt_ids), gt_ids)}){hint}")
        if only_lq or only_gt:
            wants = ""
            if pattern is not None and only_lq:
                missing = ", ".join(f"{gt_side[0]}{key}{gt_side[1]}.*" for key in only_lq[:5])
                wants = f" (no {missing}{', ...' if len(only_lq) > 5 else ''} in GT)"
            raise ValueError(
                f"LQ folder {lq_dir} and GT folder {gt_dir} do not match {how}: "
                f"{_some_files(only_lq, lq_ids)} in LQ without a GT partner{wants}; "
                f"{_some_files(only_gt, gt_ids)} in GT without an LQ partner"
            )
        self.pairs: list[tuple[Path, Path]] = []
        self.decoded_bytes = 0
        for key in sorted(lq_ids):
            lq_h, lq_w, lq_bytes = image_props(lq_ids[key])
            gt_h, gt_w, gt_bytes = image_props(gt_ids[key])
            if (lq_h, lq_w) != (gt_h, gt_w):
                raise ValueError(
                    f"size mismatch for pair {key!r}: LQ {lq_ids[key].name} is {lq_h}x{lq_w}, "
                    f"GT {gt_ids[key].name} is {gt_h}x{gt_w} (HxW)"
                )
            if crop is not None and crop > min(lq_h, lq_w):
                raise ValueError(f"crop {crop} is larger than pair {key!r} of size {lq_h}x{lq_w} (HxW): every pair "
                                 f"must hold a {crop}x{crop} window")
            self.pairs.append((lq_ids[key], gt_ids[key]))
            self.decoded_bytes += lq_bytes + gt_bytes
        self.crop, self.seed, self.pattern, self.cache_gb = crop, seed, pattern, cache_gb
        self.lq_dir, self.gt_dir = lq_dir, gt_dir
        self._cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._cached_bytes = 0

    @staticmethod
    def _list_images(folder: Path, role: str) -> dict[str, Path]:
        """Stem -> path of the supported images in ``folder``; raise on missing/empty/duplicates."""
        if not folder.exists():
            raise FileNotFoundError(f"{role} folder not found: {folder}")
        if not folder.is_dir():
            raise NotADirectoryError(f"{role} path is not a folder: {folder}")
        files: dict[str, Path] = {}
        for path in sorted(folder.iterdir()):
            if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                continue
            if path.stem in files:
                raise ValueError(f"two {role} files share the name stem {path.stem!r}: {files[path.stem].name}, {path.name}")
            files[path.stem] = path
        if not files:
            raise ValueError(f"no images ({', '.join(SUPPORTED_EXTENSIONS)}) in {role} folder {folder}")
        return files

    @staticmethod
    def _match(files: dict[str, Path], side: tuple[str, str], folder: Path, role: str) -> dict[str, Path]:
        """``{id}`` -> path of the files whose stem is ``prefix + id + suffix``; raise unless every file matches."""
        prefix, suffix = side
        template = prefix + PAIR_ID + suffix
        ids, strays = {}, []
        for stem, path in files.items():
            if len(stem) > len(prefix) + len(suffix) and stem.startswith(prefix) and stem.endswith(suffix):
                ids[stem[len(prefix) : len(stem) - len(suffix)]] = path
            else:
                strays.append(stem)
        if not ids:
            raise ValueError(f"no {role} file matches {template!r} in {folder}; examples of files there: "
                             f"{', '.join(files[s].name for s in strays[:3])}{', ...' if len(strays) > 3 else ''}")
        if strays:
            raise ValueError(f"{_some_files(strays, files)} in {role} folder {folder} "
                             f"do not match {template!r} (every image must be in a pair)")
        return ids

    def __len__(self) -> int:
        """Number of items: the number of pairs."""
        return len(self.pairs)

    @property
    def cached_pairs(self) -> int:
        """Number of pairs held decoded in memory now."""
        return len(self._cache)

    def _arrays(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Decoded ``(LQ, GT)`` arrays of pair ``index`` (from the cache, or from disk and cached if they fit)."""
        if index in self._cache:
            return self._cache[index]
        lq_path, gt_path = self.pairs[index]
        lq, gt = read_array(lq_path), read_array(gt_path)
        if lq.shape[:2] != gt.shape[:2]:  # the files changed since the constructor checked them
            raise ValueError(f"size mismatch for pair {lq_path.stem!r}: LQ {lq.shape[:2]}, GT {gt.shape[:2]} (HxW)")
        size = lq.nbytes + gt.nbytes
        if self._cached_bytes + size <= self.cache_gb * 1e9:
            lq.setflags(write=False)
            gt.setflags(write=False)
            self._cache[index] = (lq, gt)
            self._cached_bytes += size
        return lq, gt

    def _item(self, index: int, window: tuple[int, int] | None, flip: bool) -> dict[str, torch.Tensor | str]:
        """Pair ``index`` cut to ``window`` (top, left of a ``crop`` square; None: whole), mirrored if ``flip``."""
        lq, gt = self._arrays(index)
        if window is not None:
            top, left = window
            lq, gt = lq[top : top + self.crop, left : left + self.crop], gt[top : top + self.crop, left : left + self.crop]
        tensors = []
        for array, path in zip((gt, lq), reversed(self.pairs[index])):
            try:
                tensors.append(image_to_tensor(array))
            except ValueError as err:
                raise ValueError(f"cannot use image file {path}: {err}") from err
        x0, mu = tensors
        if flip:
            x0, mu = x0.flip(-1).contiguous(), mu.flip(-1).contiguous()
        return {"x0": x0, "mu": mu, "mask": degraded_mask(x0, mu), "name": self.pairs[index][0].name}

    def __getitem__(self, index: int) -> dict[str, torch.Tensor | str]:
        """Item ``index``: pair ``index`` as ``{"x0", "mu", "mask", "name"}`` (see the class docstring)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of length {len(self)}")
        index %= len(self)
        window = None
        if self.crop is not None:
            h, w = self._arrays(index)[1].shape[:2]
            window = _random_window(_item_generator(self.seed, index), h, w, self.crop)
        return self._item(index, window, flip=False)

    def draw(self, index: int, generator: torch.Generator, flip: bool = True) -> dict[str, torch.Tensor | str]:
        """Pair ``index`` as ``{"x0", "mu", "mask", "name"}``: a uniformly random ``crop x crop`` window, the same
        for LQ and GT, then (if ``flip``) both mirrored left-right with probability 1/2; no vertical flips or
        rotations.  The window and the flip are drawn from ``generator`` (in that order), so every call draws anew
        and the same generator state gives the same item.  Needs ``crop``."""
        if self.crop is None:
            raise ValueError("PairedFolder.draw needs a crop size (PairedFolder(..., crop=N))")
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for a dataset of length {len(self)}")
        index %= len(self)
        h, w = self._arrays(index)[1].shape[:2]
        window = _random_window(generator, h, w, self.crop)
        mirror = flip and bool(torch.rand((), generator=generator) < 0.5)
        return self._item(index, window, mirror)
