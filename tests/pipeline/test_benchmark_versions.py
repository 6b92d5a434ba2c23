"""Tests of the held-out benchmark's versions (rdbm_core.data.datasets.HeldOutBenchmark(task, version=...)).

Version 1 (the default) must stay the benchmark every earlier study measured, item for item; version 2 is twelve
colour photographs, none of them trained on, every one of them redistributable with its source written down.
"""

import fnmatch
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage import data as skdata

from rdbm_core.data.datasets import (BENCHMARK_CROP, BENCHMARK_ITEMS, BENCHMARK_PHOTOS, BENCHMARK_SEED, BENCHMARK_VERSION, BENCHMARK_WINDOWS, GREYSCALE_PHOTOS, HeldOutBenchmark, SyntheticPairs, benchmark_images)
from rdbm_core.data.embedded import PHOTOS_DIR, TEST_IMAGES, TRAIN_IMAGES, embedded_image_names, embedded_images
from rdbm_core.data.degradations import TASKS, degrade

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
ALL_TASKS = sorted(TASKS)
# sha256 of "|".join(names) of the 64 items of the version-1 benchmark (the integer window corners that the
# code before version 2 chose; a string, so the same on every machine)
V1_NAMES_SHA256 = "c1b3e7e687f5836a961bb16b92812652a4ca298481b3245ccf0e3c3ef0d93104"
LICENCES = {"CC-BY-4.0": "LICENSE-CC-BY-4.0.txt", "CC0-1.0": "LICENSE-CC0-1.0.txt"}


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """One intra-op thread: these small tensors gain nothing from more."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def corner(name):
    """``("photo", top, left)`` of an item name ``photo@top,left``."""
    photo, at = name.split("@")
    top, left = map(int, at.split(","))
    return photo, top, left


# ------------------------------------------------------------------------------ version 1


def old_benchmark(task, items=BENCHMARK_ITEMS, crop=BENCHMARK_CROP):
    """The version-1 items as the code before version 2 computed them, written out independently: the four
    scikit-image photographs, a centred grid of tiles per photograph shuffled by one generator seeded with
    BENCHMARK_SEED (photographs in order), item i a tile of photograph i mod 4, degraded from (BENCHMARK_SEED, i)."""
    photos = [skdata.chelsea(), skdata.coffee(), skdata.rocket(), np.stack([skdata.camera()] * 3, axis=-1)]
    n, order = len(photos), torch.Generator().manual_seed(BENCHMARK_SEED)
    tiles = []
    for p in photos:
        h, w = p.shape[:2]
        rows, cols = h // crop, w // crop
        perm = torch.randperm(rows * cols, generator=order).tolist()
        top0, left0 = (h - rows * crop) // 2, (w - cols * crop) // 2
        tiles.append([(top0 + k // cols * crop, left0 + k % cols * crop) for k in perm])
    out = []
    for i in range(items):
        p = i % n
        top, left = tiles[p][i // n]
        x0 = torch.from_numpy(np.ascontiguousarray(photos[p][top:top + crop, left:left + crop].transpose(2, 0, 1)))
        x0 = x0.float() / 127.5 - 1.0
        state = np.random.SeedSequence([BENCHMARK_SEED, i]).generate_state(1, dtype=np.uint64)[0]
        _, mu, mask = degrade(x0, task, generator=torch.Generator().manual_seed(int(state)))
        out.append({"x0": x0, "mu": mu, "mask": mask, "name": f"{TEST_IMAGES[p]}@{top},{left}"})
    return out


@pytest.mark.parametrize("task", ALL_TASKS)
def test_version_1_is_the_benchmark_before_version_2_item_for_item(task):
    """The default benchmark and ``version=1`` are the old benchmark bit for bit: names, windows, degradations.

    Mutations caught: making version 2 the default; one generator per photograph for the tile order; mixing the
    version into the degradation seed; dropping ``camera`` from version 1."""
    old = old_benchmark(task)
    for bench in (HeldOutBenchmark(task), HeldOutBenchmark(task, version=1)):
        assert len(bench) == len(old) == BENCHMARK_ITEMS == 64
        for i, want in enumerate(old):
            got = bench[i]
            assert got["name"] == want["name"]
            assert all(torch.equal(got[k], want[k]) for k in ("x0", "mu", "mask")), (task, i, want["name"])
    names = "|".join(item["name"] for item in old)
    assert hashlib.sha256(names.encode()).hexdigest() == V1_NAMES_SHA256


def test_version_1_whole_photographs_and_photo_list_are_unchanged():
    """``crop=None`` still degrades the whole photographs exactly as the test split of SyntheticPairs does
    (what the benchmark delegated to before version 2); version 1's photographs are TEST_IMAGES."""
    assert BENCHMARK_PHOTOS[1] == TEST_IMAGES == ("chelsea", "coffee", "rocket", "camera")
    assert embedded_image_names("test") == list(TEST_IMAGES)
    bench = HeldOutBenchmark("denoise", items=5, crop=None, version=1)
    old = SyntheticPairs("denoise", "test", crop=None, length=5, seed=BENCHMARK_SEED)
    for i in range(5):
        assert bench[i]["name"] == TEST_IMAGES[i % 4]
        assert all(torch.equal(bench[i][k], old[i][k]) for k in ("x0", "mu", "mask"))


# ------------------------------------------------------------------------------ version 2


def test_version_2_has_at_least_128_items_per_task_from_at_least_8_colour_photographs():
    """Mutations caught: 128 default items over 12 photographs (uneven counts); a greyscale photograph in
    version 2; a training photograph in version 2."""
    photos = BENCHMARK_PHOTOS[2]
    assert BENCHMARK_VERSION == 2 and len(photos) >= 8 and len(set(photos)) == len(photos)
    assert set(photos).isdisjoint(TRAIN_IMAGES) and set(photos).isdisjoint(GREYSCALE_PHOTOS)
    for task in ALL_TASKS:
        bench = HeldOutBenchmark(task, version=2)
        assert len(bench) == BENCHMARK_WINDOWS[2] * len(photos) >= 128
        names = [corner(bench[i]["name"])[0] for i in (0, len(bench) - 1)]
        assert names == [photos[0], photos[(len(bench) - 1) % len(photos)]]
    counts = {p: 0 for p in photos}
    for photo, _, _ in HeldOutBenchmark("denoise", version=2).windows:
        counts[photos[photo]] += 1
    assert set(counts.values()) == {BENCHMARK_WINDOWS[2]}  # every photograph contributes the same number


def test_version_2_windows_are_fixed_non_overlapping_crops_of_its_photographs():
    """Mutations caught: a tile stride of half a window (overlapping windows); windows from the wrong photograph."""
    bench = HeldOutBenchmark("inpaint", version=2)
    images = dict(zip(BENCHMARK_PHOTOS[2], benchmark_images(2)))
    seen = {name: np.zeros(image.shape[:2], dtype=int) for name, image in images.items()}
    for i in range(len(bench)):
        item = bench[i]
        photo, top, left = corner(item["name"])
        assert photo == BENCHMARK_PHOTOS[2][i % len(BENCHMARK_PHOTOS[2])]  # spread evenly, in order
        window = images[photo][top:top + BENCHMARK_CROP, left:left + BENCHMARK_CROP]
        assert window.shape[:2] == (BENCHMARK_CROP, BENCHMARK_CROP)
        x0 = torch.from_numpy(np.ascontiguousarray(window.transpose(2, 0, 1))).float() / 127.5 - 1.0
        assert torch.equal(item["x0"], x0)
        assert item["mu"].shape == (3, 64, 64) and item["mask"].shape == (1, 64, 64) and item["mask"].any()
        seen[photo][top:top + BENCHMARK_CROP, left:left + BENCHMARK_CROP] += 1
    assert all(s.max() == 1 for s in seen.values())  # no pixel in two windows
    # the windows are those of every task
    assert [HeldOutBenchmark(task, version=2)[7]["name"] for task in ALL_TASKS] == [bench[7]["name"]] * len(ALL_TASKS)


def test_version_2_does_not_depend_on_any_seed_or_global_random_state():
    """Mutations caught: degrading with a generator taken from torch's global state; drawing the tile order
    from the global generator."""
    torch.manual_seed(1)
    np.random.seed(1)
    a = HeldOutBenchmark("derain", items=24, version=2)
    items = [a[i] for i in range(24)]
    torch.manual_seed(2)
    np.random.seed(2)
    torch.rand(7)
    b = HeldOutBenchmark("derain", items=24, version=2)
    for i in (23, 0, 13):
        assert items[i]["name"] == b[i]["name"] and all(torch.equal(items[i][k], b[i][k]) for k in ("x0", "mu", "mask"))
    full = HeldOutBenchmark("derain", version=2)  # the first items of the full benchmark are these
    assert all(torch.equal(full[i]["mu"], items[i]["mu"]) for i in range(0, 24, 5))
    assert not torch.equal(items[0]["mu"], items[12]["mu"])


def test_version_2_whole_photographs_for_figures():
    bench = HeldOutBenchmark("lowlight", items=len(BENCHMARK_PHOTOS[2]), crop=None, version=2)
    for i, (name, image) in enumerate(zip(BENCHMARK_PHOTOS[2], benchmark_images(2))):
        item = bench[i]
        assert item["name"] == name
        h, w = item["x0"].shape[1:]
        assert (h, w) == (image.shape[0] - image.shape[0] % 8, image.shape[1] - image.shape[1] % 8)


# ---------------------------------------------------------------------------- photographs


def test_greyscale_flags_match_the_photographs():
    """GREYSCALE_PHOTOS holds exactly the benchmark photographs whose channels are equal.

    Mutation caught: ``camera`` in version 2 (or left out of the flags)."""
    for version, names in BENCHMARK_PHOTOS.items():
        for name, image in zip(names, benchmark_images(version)):
            spread = np.abs(image.astype(int) - image.astype(int).mean(-1, keepdims=True)).mean()
            assert (spread == 0) == (name in GREYSCALE_PHOTOS), (name, spread)
            assert name in GREYSCALE_PHOTOS or spread > 3.0  # a colour photograph, not a near-grey one
            assert 256 <= max(image.shape[:2]) <= 640 and image.dtype == np.uint8


CELL, CELLS, BIN = 4, 4, 32  # a 16x16 block is 4x4 cells of 4x4 pixels; a cell's grey mean is binned by 32 levels
BLOCK = CELL * CELLS


def block_signatures(image):
    """The signature of every ``BLOCK x BLOCK`` window of a ``uint8 HxWx3`` image, ``out[y, x]`` for the window at
    ``(y, x)``: the binned grey means of its 4x4 cells packed in an int64.  A copy of the window that went
    through JPEG moves a cell mean by about a level, so it keeps the signature unless a mean sits at a bin edge."""
    grey = image.astype(np.float64).mean(-1)
    s = np.pad(grey.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    means = (s[CELL:, CELL:] - s[:-CELL, CELL:] - s[CELL:, :-CELL] + s[:-CELL, :-CELL]) / CELL ** 2
    bins = np.minimum(means // BIN, 255 // BIN).astype(np.int64)
    h, w = grey.shape[0] - BLOCK + 1, grey.shape[1] - BLOCK + 1
    signature = np.zeros((h, w), dtype=np.int64)
    for i in range(CELLS):
        for j in range(CELLS):
            signature = signature * 8 + bins[i * CELL:i * CELL + h, j * CELL:j * CELL + w]
    return signature


def thumbnail(image, side=24):
    """A zero-mean, unit-norm ``side x side`` grey thumbnail (area average) of a ``uint8 HxWx3`` image."""
    grey = torch.from_numpy(image.astype(np.float64).mean(-1))[None, None]
    t = torch.nn.functional.adaptive_avg_pool2d(grey, side).flatten()
    t = t - t.mean()
    return t / t.norm()


def test_benchmark_photographs_are_disjoint_from_the_training_images_by_content():
    """No benchmark photograph (any version) shares a region with a training image, nor is one resized.

    1. Shared regions at the same scale, even through JPEG: every textured 16x16 block (its 4x4 cell means span
       64 levels or more) on a 16-pixel grid of a benchmark photograph is looked up among all 16x16 windows
       (every offset) of every training image by its signature (:func:`block_signatures`); a window with the
       same signature and a mean absolute difference under 3 levels is a shared region.  A shared region of
       31x31 pixels or more holds a grid block.
    2. Resized copies: the 24x24 grey thumbnails of a benchmark photograph and of a training image (or its
       mirror) correlate below 0.7 (a copy: about 1.0; the largest between a benchmark and a training
       photograph: below 0.5).
    3. Within version 2, no photograph is a resized copy of another: thumbnails correlate below 0.95 (two
       landscapes of sky over hills and grass: 0.82).

    Mutations caught: "astronaut" (a training image) in version 2; a 300x400 crop of a training image saved as
    a version-2 photograph, losslessly or as a JPEG (quality 95); a resized training image saved as one.
    (skimage's right stereo view of the training motorcycle shares 103 blocks with it.)"""
    train, train_names = embedded_images("train"), embedded_image_names("train")
    signatures = [block_signatures(image) for image in train]
    values = np.concatenate([s.ravel() for s in signatures])
    order = np.argsort(values, kind="stable")
    values = values[order]
    starts = np.cumsum([0] + [s.size for s in signatures])
    thumbs = torch.stack([thumbnail(image) for image in train] + [thumbnail(image[:, ::-1]) for image in train])
    photos = {name: image for version in BENCHMARK_PHOTOS for name, image in
              zip(BENCHMARK_PHOTOS[version], benchmark_images(version))}
    for name, image in photos.items():
        assert name not in train_names
        grid = block_signatures(image)[::BLOCK, ::BLOCK]
        for (gy, gx), key in np.ndenumerate(grid):
            y, x = gy * BLOCK, gx * BLOCK
            patch = image[y:y + BLOCK, x:x + BLOCK].astype(int)
            cells = patch.mean(-1).reshape(CELLS, CELL, CELLS, CELL).mean((1, 3))
            if cells.max() - cells.min() < 64:  # smooth: would match smooth regions of unrelated pictures
                continue
            for i in range(np.searchsorted(values, key), np.searchsorted(values, key, side="right")):
                k = int(np.searchsorted(starts, order[i], side="right")) - 1
                top, left = divmod(int(order[i] - starts[k]), signatures[k].shape[1])
                difference = np.abs(patch - train[k][top:top + BLOCK, left:left + BLOCK]).mean()
                assert difference >= 3, f"{name} at ({y}, {x}) is {train_names[k]} at ({top}, {left})"
        similarity = float((thumbs @ thumbnail(image)).max())
        assert similarity < 0.7, (name, similarity)
    v2 = torch.stack([thumbnail(image) for image in benchmark_images(2)])
    similarity = v2 @ v2.T - 2 * torch.eye(len(v2))
    assert float(similarity.max()) < 0.95


def test_every_shipped_photograph_has_a_source_and_licence_and_installs():
    """SOURCES.md has a row for every file of PHOTOS_DIR and every version-2 photograph (source, author,
    licence, changes); the licence is one that allows redistribution, its text is beside the photographs when it
    asks for one, and pyproject's package data installs every file of the folder.

    Mutations caught: a photograph without a row; a row with licence "all rights reserved"; a file the package
    data leaves out."""
    text = (PHOTOS_DIR / "SOURCES.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`([\w.-]+)`", cells[0]) if line.startswith("|") else None
        if match:
            rows[match.group(1)] = cells
    files = sorted(p.name for p in PHOTOS_DIR.glob("*.jpg"))
    assert len(files) >= 5
    assert set(Path(f).stem for f in files) <= set(BENCHMARK_PHOTOS[2])  # no file that no version uses
    for name in BENCHMARK_PHOTOS[2]:
        stored = (PHOTOS_DIR / f"{name}.jpg").exists()
        cells = rows.get(f"{name}.jpg" if stored else name)
        assert cells is not None, f"no SOURCES.md row for {name}"
        licence = cells[-2] if stored else cells[-1]
        assert all(cells), cells
        assert re.match(r"(CC-BY-4\.0|CC0-1\.0|CC0|public domain)\b", licence), (name, licence)
        if stored:
            assert cells[-1], f"SOURCES.md says nothing of what was changed in {name}.jpg"
            if licence in LICENCES:
                assert (PHOTOS_DIR / LICENCES[licence]).stat().st_size > 1000
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = package_data.get("rdbm_core.data", [])
    for path in PHOTOS_DIR.iterdir():
        assert any(fnmatch.fnmatch(f"photos/{path.name}", p) for p in patterns), path.name
    assert sum(p.stat().st_size for p in PHOTOS_DIR.iterdir()) < 1_000_000


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("version", [0, 3, "2", 2.0, True, None])
def test_unknown_versions_are_refused_in_one_line(version):
    with pytest.raises(ValueError, match="unknown benchmark version") as info:
        HeldOutBenchmark("derain", version=version)
    assert "\n" not in str(info.value) and "1, 2" in str(info.value)
    with pytest.raises(ValueError, match="unknown benchmark version"):
        benchmark_images(version)


def test_too_many_items_and_bad_items_are_refused_in_one_line():
    n = len(BENCHMARK_PHOTOS[2])
    chelsea_tiles = (300 // 64) * (451 // 64)  # the photograph with the fewest 64x64 tiles
    assert len(HeldOutBenchmark("derain", items=n * chelsea_tiles, version=2)) == n * chelsea_tiles
    with pytest.raises(ValueError, match=f"version 2 has at most {n * chelsea_tiles} non-overlapping") as info:
        HeldOutBenchmark("derain", items=n * chelsea_tiles + 1, version=2)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match="items"):
        HeldOutBenchmark("derain", items=0, version=2)
    with pytest.raises(ValueError, match="valid tasks"):
        HeldOutBenchmark("dedust", version=2)
    with pytest.raises(ValueError, match="sigmaa"):
        HeldOutBenchmark("denoise", version=2, sigmaa=0.1)
