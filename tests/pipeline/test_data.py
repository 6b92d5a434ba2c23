"""Tests of rdbm_core.data.degradations and rdbm_core.data.datasets: degradations, embedded images, datasets, image I/O."""

import inspect
import statistics
import time

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from skimage import data as skdata

from rdbm_core.data.datasets import (BENCHMARK_CROP, BENCHMARK_ITEMS, HeldOutBenchmark, PairedFolder, SyntheticPairs, parse_pair_pattern)
from rdbm_core.data.embedded import TEST_IMAGES, TRAIN_IMAGES, embedded_image_names, embedded_images
from rdbm_core.data.images import image_to_tensor, load_image, save_image, tensor_to_image
from rdbm_core.networks.config import TrainConfig
from rdbm_core.data.degradations import TASKS, degraded_mask, degrade

ALL_TASKS = sorted(TASKS)


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """Run this module on one intra-op thread: these small tensors gain nothing from more,
    and on a busy machine extra threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def photo():
    """A 96x96 crop of a real photograph (cat face: fur texture, eyes, smooth background)."""
    return image_to_tensor(skdata.chelsea())[:, 60:156, 140:236].contiguous()


def luma(x):
    """Luminance in [0, 1] of a [3, H, W] tensor in [-1, 1]."""
    u = (x + 1) / 2
    return 0.299 * u[0] + 0.587 * u[1] + 0.114 * u[2]


# ------------------------------------------------------------------ degradations: generic


@pytest.mark.parametrize("task", ALL_TASKS)
def test_degradation_changes_image_and_stays_in_range(photo, task):
    x0, mu, mask = degrade(photo, task, seed=1)
    assert x0 is photo
    assert mu.shape == photo.shape and mu.dtype == photo.dtype
    assert mu.min() >= -1 and mu.max() <= 1 and torch.isfinite(mu).all()
    assert (mu - photo).abs().mean() > 0.01
    assert mask.shape == (1, 96, 96) and mask.dtype == torch.bool
    assert 0 < mask.float().mean()


@pytest.mark.parametrize("task", ALL_TASKS)
def test_degradation_is_deterministic_under_a_seed(photo, task):
    _, a, ma = degrade(photo, task, seed=7)
    _, b, mb = degrade(photo, task, seed=7)
    _, c, _ = degrade(photo, task, generator=torch.Generator().manual_seed(7))
    _, d, _ = degrade(photo, task, seed=8)
    assert torch.equal(a, b) and torch.equal(ma, mb) and torch.equal(a, c)
    assert not torch.equal(a, d)
    # The public function returns the same image as degrade, without the mask.
    assert torch.equal(TASKS[task](photo, torch.Generator().manual_seed(7)), a)


@pytest.mark.parametrize("task", ALL_TASKS)
def test_degradation_handles_small_odd_shapes_and_float64(task):
    for shape in [(3, 8, 8), (3, 9, 150), (3, 131, 37)]:
        x0 = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 2 - 1
        _, mu, mask = degrade(x0, task, seed=0)
        assert mu.shape == shape and mu.dtype == torch.float64 and mask.shape == (1, *shape[1:])
        assert mu.abs().max() <= 1


@pytest.mark.parametrize("task", sorted(TASKS))
def test_every_task_masks_exactly_the_pixels_changed_by_more_than_half_a_level(photo, task):
    """One definition of degraded pixels for every task: ``degraded_mask``, a change above half an 8-bit level.

    Mutations that fail: the rain/snow masks as overlay opacity > 0.1 (the old definition: derain and desnow
    fail), the threshold of one 8-bit level (``|x0 - mu| / 2 > 1/255``: the 0.75-level pixel below fails), and
    the inpainting mask as the drawn hole.
    """
    _, mu, mask = degrade(photo, task, seed=2)
    change = (photo - mu).abs().amax(0, keepdim=True) / 2  # in [0, 1] units
    assert torch.equal(mask, change > 0.5 / 255)
    assert torch.equal(mask, degraded_mask(photo, mu))
    assert mask.any()


def test_degraded_mask_threshold_is_half_an_8bit_level():
    """A change of 0.75 of an 8-bit level is degraded, 0.25 intact; batches work; shapes are checked.

    Mutation that fails: the threshold of one level (``metrics.mask_from_pair`` before) marks the 0.75 pixel
    intact; ``>=`` instead of ``>`` is not distinguishable here, nor meant to be.
    """
    x0 = torch.zeros(3, 4, 5)
    mu = x0.clone()
    mu[1, 2, 3] += 2 * (0.75 / 255)  # [-1, 1] units: twice the [0, 1] change
    mu[0, 1, 1] -= 2 * (0.25 / 255)
    m = degraded_mask(x0, mu)
    assert m.shape == (1, 4, 5) and m.dtype == torch.bool
    assert m.sum() == 1 and m[0, 2, 3]
    batched = degraded_mask(torch.stack([x0, x0]), torch.stack([mu, x0]))
    assert batched.shape == (2, 1, 4, 5) and torch.equal(batched[0], m) and not batched[1].any()
    with pytest.raises(ValueError, match="x0 and mu must share a shape"):
        degraded_mask(x0, mu[:, :3])


def test_inpaint_mask_is_the_hole_less_the_pixels_that_already_had_the_fill(photo):
    for seed in range(5):
        _, mu, mask = degrade(photo, "inpaint", seed=seed)
        hole = (mu == 0).all(0)  # default fill: mid grey, which no 8-bit photo value equals exactly
        assert 0.01 < hole.float().mean() < 0.7
        assert torch.equal(mu[:, ~hole], photo[:, ~hole])  # pixels outside the strokes untouched
        assert torch.equal(mask[0], hole & ((photo.abs().amax(0) / 2) > 0.5 / 255))
        assert (hole & ~mask[0]).float().mean() < 0.01  # the exception is rare
    _, mu, mask = degrade(photo, "inpaint", seed=0, fill=-1.0)
    assert (mu[:, mask[0]] == -1).all()


def test_rain_mask_holds_the_streaks_and_snow_veils_every_pixel(photo):
    for seed in range(4):
        _, mu, mask = degrade(photo, "derain", seed=seed)
        change = (mu - photo).abs().amax(0)
        assert 0.005 < mask.float().mean() < 0.95  # streaks and their faint tails, not the whole image
        assert change[mask[0]].mean() > 3 * change[~mask[0]].mean()
        assert mask[0][change > 0.2].all()
        assert degrade(photo, "desnow", seed=seed)[2].all()  # the whitening veil changes every pixel


# ----------------------------------------------------------------- degradations: realism


def orientation_coherence(image):
    """Structure-tensor coherence of a [H, W] image: 0 for isotropic texture, 1 for one orientation."""
    gy, gx = torch.gradient(image)
    jxx, jyy, jxy = (gx * gx).sum(), (gy * gy).sum(), (gx * gy).sum()
    return float(torch.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy))


def test_rain_adds_bright_thin_oriented_streaks(photo):
    for seed in range(4):
        _, mu, _ = degrade(photo, "derain", seed=seed)
        diff = luma(mu) - luma(photo)
        assert diff.min() > -1e-5  # screen blending only brightens
        assert diff.max() > 0.2
        assert orientation_coherence(diff) > 0.6, f"rain streaks should share one orientation (seed {seed})"
        # Thin: gradient energy / variance is 1 / (2 s^2) for a Gaussian profile of width s,
        # so > 0.25 means streak profiles narrower than about 1.4 px.
        gy, gx = torch.gradient(diff)
        assert (gx**2 + gy**2).mean() / diff.var() > 0.25
    assert orientation_coherence(torch.randn(96, 96, generator=torch.Generator().manual_seed(0))) < 0.1


def test_lowlight_darkens_and_keeps_the_scene(photo):
    for seed in range(5):
        _, mu, _ = degrade(photo, "lowlight", seed=seed)
        before, after = luma(photo), luma(mu)
        assert after.mean() < 0.5 * before.mean()
        corr = torch.corrcoef(torch.stack([before.flatten(), after.flatten()]))[0, 1]
        assert corr > 0.8


def test_haze_lifts_dark_areas_lowers_contrast_and_thickens_with_distance(photo):
    for seed in range(5):
        _, mu, _ = degrade(photo, "dehaze", seed=seed)
        before, after = luma(photo), luma(mu)
        dark = before < before.quantile(0.2)
        assert after[dark].mean() > before[dark].mean() + 0.1
        assert after.std() < 0.85 * before.std()
    black = -torch.ones(3, 64, 64)
    _, mu, _ = degrade(black, "dehaze", seed=0)
    veil = luma(mu)
    assert veil[:16].mean() > veil[-16:].mean() + 0.05  # the top of the frame is farther away


@pytest.mark.parametrize("kind", ["gaussian", "motion"])
def test_blur_removes_high_frequencies_and_keeps_the_mean(photo, kind):
    lap = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]).view(1, 1, 3, 3)

    def hf_energy(x):
        return torch.nn.functional.conv2d(x[:, None], lap).pow(2).mean()

    for seed in range(3):
        _, mu, _ = degrade(photo, "deblur", seed=seed, kind=kind)
        assert hf_energy(mu) < 0.5 * hf_energy(photo)
        assert abs(float(mu.mean() - photo.mean())) < 0.02


@pytest.mark.parametrize("sigma", [25 / 255, 50 / 255])
def test_noise_std_matches_sigma(sigma):
    grey = torch.zeros(3, 128, 128)
    kwargs = {} if sigma == 25 / 255 else {"sigma": sigma}
    _, mu, _ = degrade(grey, "denoise", seed=0, **kwargs)
    residual = (mu - grey) / 2  # back to [0, 1] intensity units
    assert abs(float(residual.std()) - sigma) < 0.03 * sigma
    assert abs(float(residual.mean())) < 0.1 * sigma


def test_snow_adds_bright_flakes_over_a_veil(photo):
    for seed in range(4):
        _, mu, _ = degrade(photo, "desnow", seed=seed)
        flakes = luma(mu) - luma(photo) > 0.2  # the veil adds at most 0.15 (times 1 - luma)
        assert 0.002 < flakes.float().mean() < 0.5
        assert luma(mu)[flakes].mean() > luma(mu)[~flakes].mean() + 0.1  # flakes are whiter than the scene
        dark = (luma(photo) < luma(photo).quantile(0.3)) & ~flakes
        assert luma(mu)[dark].mean() > luma(photo)[dark].mean() + 0.02  # the veil lifts dark areas
        assert orientation_coherence(luma(mu) - luma(photo)) < 0.5  # flakes are roundish, unlike rain


def test_degradations_are_fast():
    x0 = torch.rand(3, 128, 128, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for task in ALL_TASKS:
        degrade(x0, task, seed=0)
        times = []
        for seed in range(5):
            start = time.perf_counter()
            degrade(x0, task, seed=seed)
            times.append(time.perf_counter() - start)
        # The target is well under 50 ms (one thread); the bound leaves room for a busy machine.
        assert statistics.median(times) < 0.1, f"{task}: {statistics.median(times) * 1e3:.0f} ms"


# ------------------------------------------------------------------- degradations: errors


@pytest.mark.parametrize(
    "bad, exc, words",
    [
        (torch.zeros(64, 64), ValueError, "[3, H, W]"),
        (torch.zeros(1, 3, 64, 64), ValueError, "[3, H, W]"),
        (torch.zeros(4, 64, 64), ValueError, "4 channels"),
        (torch.zeros(1, 64, 64), ValueError, "1 channels"),
        (torch.full((3, 64, 64), 2.0), ValueError, "[-1, 1]"),
        (torch.zeros(3, 64, 64).index_fill_(1, torch.tensor([3]), float("nan")), ValueError, "non-finite"),
        (torch.zeros(3, 64, 64).index_fill_(1, torch.tensor([3]), float("inf")), ValueError, "non-finite"),
        (torch.zeros(3, 64, 64, dtype=torch.uint8), ValueError, "floating-point"),
        (torch.zeros(3, 4, 64), ValueError, "at least 8x8"),
        (np.zeros((3, 64, 64), np.float32), TypeError, "torch.Tensor"),
    ],
)
@pytest.mark.parametrize("task", ["derain", "inpaint"])
def test_bad_inputs_raise(bad, exc, words, task):
    with pytest.raises(exc) as info:
        degrade(bad, task, seed=0)
    assert words in str(info.value)


def test_unknown_task_and_bad_arguments_raise(photo):
    with pytest.raises(ValueError) as info:
        degrade(photo, "deblurr", seed=0)
    assert all(name in str(info.value) for name in TASKS)
    with pytest.raises(ValueError, match="not both"):
        degrade(photo, "denoise", generator=torch.Generator(), seed=0)
    with pytest.raises(ValueError, match="sigma"):
        degrade(photo, "denoise", seed=0, sigma=-0.1)
    with pytest.raises(ValueError, match="kind"):
        degrade(photo, "deblur", seed=0, kind="box")
    with pytest.raises(ValueError, match="fill"):
        degrade(photo, "inpaint", seed=0, fill=3.0)


# ---------------------------------------------------------------------- embedded images


def test_embedded_split_is_fixed_disjoint_and_rgb():
    train, test = embedded_images("train"), embedded_images("test")
    assert len(train) >= 5 and len(test) == 4
    assert set(TRAIN_IMAGES).isdisjoint(TEST_IMAGES)
    assert embedded_image_names("test") == list(TEST_IMAGES)
    assert embedded_image_names("train") == list(TRAIN_IMAGES)  # every one, whatever else is installed
    for image in train + test:
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    for a in test:
        assert not any(a.shape == b.shape and np.array_equal(a, b) for b in train)
    train[0][:] = 0  # callers get copies
    assert embedded_images("train")[0].any()
    with pytest.raises(ValueError, match="split"):
        embedded_images("val")


# ---------------------------------------------------------------------- SyntheticPairs


def test_synthetic_pairs_items_and_determinism():
    ds = SyntheticPairs("derain", crop=64, length=10, seed=3)
    assert len(ds) == 10
    item = ds[4]
    assert set(item) == {"x0", "mu", "mask"}
    assert item["x0"].shape == item["mu"].shape == (3, 64, 64) and item["mask"].shape == (1, 64, 64)
    assert item["mask"].dtype == torch.bool and item["x0"].min() >= -1 and item["x0"].max() <= 1
    again = SyntheticPairs("derain", crop=64, length=10, seed=3)[4]
    assert all(torch.equal(item[k], again[k]) for k in item)
    other_seed = SyntheticPairs("derain", crop=64, length=10, seed=4)[4]
    assert not torch.equal(item["x0"], other_seed["x0"])
    assert not torch.equal(item["x0"], ds[5]["x0"])
    assert torch.equal(ds[-1]["mu"], ds[9]["mu"])
    with pytest.raises(IndexError):
        ds[10]
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4)))
    assert batch["x0"].shape == (4, 3, 64, 64) and batch["mask"].shape == (4, 1, 64, 64)


def test_synthetic_pairs_flip_only_mirrors_the_crop():
    flipped = SyntheticPairs("denoise", crop=32, length=20, seed=0, flip=True)
    plain = SyntheticPairs("denoise", crop=32, length=20, seed=0, flip=False)
    n_flipped = 0
    for i in range(20):
        a, b = flipped[i]["x0"], plain[i]["x0"]
        assert torch.equal(a, b) or torch.equal(a, b.flip(-1))
        n_flipped += not torch.equal(a, b)
    assert 3 <= n_flipped <= 17


def test_synthetic_pairs_test_split_is_a_fixed_evaluation_set():
    ds = SyntheticPairs("denoise", split="test", crop=None, length=2, seed=0, flip=True)
    coffee = image_to_tensor(skdata.coffee())  # 400x600: already a multiple of 8
    assert TEST_IMAGES.index("coffee") == 1
    assert torch.equal(ds[1]["x0"], coffee)  # whole image, never flipped
    for i in range(2):
        h, w = ds[i]["x0"].shape[1:]
        assert h % 8 == 0 and w % 8 == 0 and ds[i]["mu"].shape == ds[i]["x0"].shape
    crops = SyntheticPairs("deblur", split="test", crop=48, length=6, seed=0)
    again = SyntheticPairs("deblur", split="test", crop=48, length=6, seed=0)
    assert all(torch.equal(crops[i]["mu"], again[i]["mu"]) for i in range(6))


def test_synthetic_pairs_forwards_degradation_parameters():
    weak = SyntheticPairs("denoise", split="test", crop=64, length=1)[0]
    strong = SyntheticPairs("denoise", split="test", crop=64, length=1, sigma=75 / 255)[0]
    assert torch.equal(weak["x0"], strong["x0"])
    assert (strong["mu"] - strong["x0"]).std() > 2 * (weak["mu"] - weak["x0"]).std()


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"task": "dedust"}, "valid tasks"),
        ({"task": "derain", "split": "val"}, "split"),
        ({"task": "derain", "crop": 4096}, "larger than the smallest"),
        ({"task": "derain", "crop": 4}, "crop"),
        ({"task": "derain", "length": 0}, "length"),
        ({"task": "derain", "seed": -1}, "seed"),
        ({"task": "denoise", "sigmaa": 0.1}, "sigmaa"),
    ],
)
def test_synthetic_pairs_bad_arguments_raise(kwargs, words):
    with pytest.raises(ValueError) as info:
        SyntheticPairs(**kwargs)
    assert words in str(info.value)


# ------------------------------------------------------------------------ HeldOutBenchmark


def test_benchmark_has_64_fixed_non_overlapping_windows_of_the_test_photographs():
    """Version 1 (tests/pipeline/test_benchmark_versions.py tests version 2 and pins version 1 item for item)."""
    bench = HeldOutBenchmark("derain", version=1)
    assert len(bench) == BENCHMARK_ITEMS >= 64
    photos = dict(zip(embedded_image_names("test"), embedded_images("test")))
    assert set(photos).isdisjoint(TRAIN_IMAGES)
    seen = {name: np.zeros(image.shape[:2], dtype=int) for name, image in photos.items()}
    for i in range(len(bench)):
        item = bench[i]
        name, corner = item["name"].split("@")
        top, left = map(int, corner.split(","))
        assert name == TEST_IMAGES[i % len(TEST_IMAGES)]  # spread evenly over the photographs
        window = photos[name][top:top + BENCHMARK_CROP, left:left + BENCHMARK_CROP]
        assert window.shape[:2] == (BENCHMARK_CROP, BENCHMARK_CROP)
        assert torch.equal(item["x0"], image_to_tensor(window))
        seen[name][top:top + BENCHMARK_CROP, left:left + BENCHMARK_CROP] += 1
    assert all(s.max() == 1 for s in seen.values())  # no pixel in two windows
    assert all(s.sum() == 16 * BENCHMARK_CROP ** 2 for s in seen.values())
    with pytest.raises(ValueError, match="at most"):
        HeldOutBenchmark("derain", items=10_000, version=1)


def test_benchmark_does_not_depend_on_any_seed_or_global_random_state():
    """The same items whatever the training seed or the global RNG state.

    Mutation caught: degrading with the training seed (the old ``test_pairs(task, n, seed)``,
    seed ``1000 + seed``) or drawing windows from torch's global generator changes the items."""
    torch.manual_seed(1)
    np.random.seed(1)
    a = HeldOutBenchmark("inpaint", items=8, version=1)
    items_a = [a[i] for i in range(8)]
    torch.manual_seed(2)
    np.random.seed(2)
    torch.rand(5)
    b = HeldOutBenchmark("inpaint", items=8, version=1)
    for i in (3, 0, 7):  # access order does not matter either
        assert all(torch.equal(items_a[i][k], b[i][k]) for k in ("x0", "mu", "mask")) and items_a[i]["name"] == b[i]["name"]
    assert not torch.equal(items_a[0]["mu"], items_a[4]["mu"])
    assert "seed" not in inspect.signature(HeldOutBenchmark).parameters
    # the first 8 of the 64 benchmark items are these 8 items
    full = HeldOutBenchmark("inpaint", version=1)
    assert all(torch.equal(full[i]["mu"], items_a[i]["mu"]) for i in range(8))


def test_benchmark_whole_photographs_for_figures():
    whole = HeldOutBenchmark("lowlight", items=4, crop=None, version=1)
    assert [whole[i]["name"] for i in range(4)] == list(TEST_IMAGES)
    coffee = image_to_tensor(skdata.coffee())
    assert torch.equal(whole[1]["x0"], coffee)
    with pytest.raises(ValueError, match="items"):
        HeldOutBenchmark("lowlight", items=0)
    with pytest.raises(ValueError, match="valid tasks"):
        HeldOutBenchmark("dedust")


# ------------------------------------------------------------------------ image file I/O


def random_image(h, w, seed=0, channels=3):
    """A random uint8 image (HxW for channels == 1)."""
    rng = np.random.default_rng(seed)
    shape = (h, w) if channels == 1 else (h, w, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def test_save_and_load_round_trip(tmp_path):
    x = image_to_tensor(random_image(20, 30))
    save_image(x, tmp_path / "sub" / "a.png")
    assert torch.equal(load_image(tmp_path / "sub" / "a.png"), x)
    save_image(x * 3, tmp_path / "clamped.png")  # out of range values are clamped
    expected = ((x * 3).clamp(-1, 1) * 127.5 + 127.5).round() / 127.5 - 1
    assert torch.allclose(load_image(tmp_path / "clamped.png"), expected, atol=1e-6)
    assert np.array_equal(tensor_to_image(x), random_image(20, 30))
    with pytest.raises(ValueError, match=r"\.png"):
        save_image(x, tmp_path / "a.jpg")
    with pytest.raises(ValueError, match="shape"):
        save_image(torch.zeros(2, 8, 8), tmp_path / "b.png")


def test_load_image_converts_formats(tmp_path):
    grey = random_image(16, 24, channels=1)
    iio.imwrite(tmp_path / "grey.png", grey)
    x = load_image(tmp_path / "grey.png")
    assert x.shape == (3, 16, 24) and torch.equal(x[0], x[1]) and torch.equal(x[1], x[2])
    rgba = random_image(16, 24, channels=4)
    iio.imwrite(tmp_path / "rgba.png", rgba)
    assert torch.equal(load_image(tmp_path / "rgba.png"), image_to_tensor(rgba[..., :3]))
    iio.imwrite(tmp_path / "deep.png", grey.astype(np.uint16) * 257)  # 16-bit PNG
    assert torch.allclose(load_image(tmp_path / "deep.png"), x, atol=1e-6)


def test_load_image_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.png"):
        load_image(tmp_path / "nothere.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match="zero-byte.*empty.png"):
        load_image(tmp_path / "empty.png")
    (tmp_path / "junk.png").write_bytes(b"this is not a PNG file")
    with pytest.raises(ValueError, match="cannot read.*junk.png"):
        load_image(tmp_path / "junk.png")


# ------------------------------------------------------------------------- PairedFolder


def make_pairs(root, names, size=(32, 48), lq_ext=".png", gt_ext=".png"):
    """Write GT images and their LQ versions (GT inverted) under root/lq and root/gt."""
    lq_dir, gt_dir = root / "lq", root / "gt"
    lq_dir.mkdir(exist_ok=True)
    gt_dir.mkdir(exist_ok=True)
    for k, name in enumerate(names):
        gt = random_image(*size, seed=k)
        iio.imwrite(gt_dir / f"{name}{gt_ext}", gt)
        iio.imwrite(lq_dir / f"{name}{lq_ext}", 255 - gt)
    return lq_dir, gt_dir


def test_paired_folder_good_case(tmp_path):
    lq_dir, gt_dir = make_pairs(tmp_path, ["rain-002", "rain-001"], gt_ext=".bmp")
    (lq_dir / "notes.txt").write_text("ignored")
    (lq_dir / ".hidden.png").write_bytes(b"")
    ds = PairedFolder(lq_dir, gt_dir)
    assert len(ds) == 2
    item = ds[0]
    assert set(item) == {"x0", "mu", "mask", "name"}
    assert item["name"] == "rain-001.png"  # sorted by stem
    assert item["x0"].shape == item["mu"].shape == (3, 32, 48) and item["mask"].shape == (1, 32, 48)
    assert torch.equal(item["x0"], image_to_tensor(random_image(32, 48, seed=1)))
    assert torch.allclose(item["mu"], -item["x0"], atol=1e-6)
    assert torch.equal(item["mask"], (item["x0"] - item["mu"]).abs().amax(0, keepdim=True) > 1 / 255)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=2)))
    assert batch["x0"].shape == (2, 3, 32, 48) and batch["name"] == ["rain-001.png", "rain-002.png"]


def test_paired_folder_converts_greyscale_and_rgba(tmp_path):
    lq_dir, gt_dir = tmp_path / "lq", tmp_path / "gt"
    lq_dir.mkdir()
    gt_dir.mkdir()
    grey, rgba = random_image(20, 20, channels=1), random_image(20, 20, seed=1, channels=4)
    iio.imwrite(gt_dir / "a.png", grey)
    iio.imwrite(lq_dir / "a.png", rgba)
    item = PairedFolder(lq_dir, gt_dir)[0]
    assert item["x0"].shape == item["mu"].shape == (3, 20, 20)
    assert torch.equal(item["x0"], image_to_tensor(np.stack([grey] * 3, -1)))
    assert torch.equal(item["mu"], image_to_tensor(rgba[..., :3]))


def test_paired_folder_crop_takes_the_same_window(tmp_path):
    lq_dir, gt_dir = make_pairs(tmp_path, ["a", "b", "c"], size=(40, 56))
    ds = PairedFolder(lq_dir, gt_dir, crop=16, seed=5)
    windows = set()
    for i in range(3):
        item = ds[i]
        assert item["x0"].shape == (3, 16, 16)
        assert torch.allclose(item["mu"], -item["x0"], atol=1e-6)  # LQ is the inverted GT
        full = image_to_tensor(random_image(40, 56, seed=i))
        found = [(t, l) for t in range(25) for l in range(41) if torch.equal(full[:, t : t + 16, l : l + 16], item["x0"])]
        assert len(found) == 1
        windows.add(found[0])
    assert len(windows) > 1
    again = PairedFolder(lq_dir, gt_dir, crop=16, seed=5)
    assert torch.equal(again[2]["x0"], ds[2]["x0"])
    with pytest.raises(ValueError, match="crop 64 is larger"):
        PairedFolder(lq_dir, gt_dir, crop=64)


def test_paired_folder_missing_and_empty_folders(tmp_path):
    lq_dir, gt_dir = make_pairs(tmp_path, ["a"])
    with pytest.raises(FileNotFoundError, match="LQ folder not found.*nowhere"):
        PairedFolder(tmp_path / "nowhere", gt_dir)
    with pytest.raises(FileNotFoundError, match="GT folder not found"):
        PairedFolder(lq_dir, tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match="no images.*GT folder"):
        PairedFolder(lq_dir, empty)


def test_paired_folder_unmatched_names_are_listed(tmp_path):
    lq_dir, gt_dir = make_pairs(tmp_path, ["shared"], size=(8, 8))
    for k in range(7):
        iio.imwrite(lq_dir / f"lq-only-{k}.png", random_image(8, 8))
    iio.imwrite(gt_dir / "gt-only.jpg", random_image(8, 8))
    with pytest.raises(ValueError) as info:
        PairedFolder(lq_dir, gt_dir)
    message = str(info.value)
    assert "7 files" in message and "lq-only-0.png" in message and "lq-only-4.png" in message
    assert "lq-only-5.png" not in message and "..." in message
    assert "1 file (gt-only.jpg) in GT without an LQ partner" in message


def test_paired_folder_bad_files_are_named(tmp_path):
    lq_dir, gt_dir = make_pairs(tmp_path, ["a", "b"])
    (gt_dir / "b.png").write_bytes(b"")
    with pytest.raises(ValueError, match="zero-byte.*b.png"):
        PairedFolder(lq_dir, gt_dir)
    (gt_dir / "b.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match="cannot read.*b.png"):
        PairedFolder(lq_dir, gt_dir)
    iio.imwrite(gt_dir / "b.png", random_image(32, 40))
    with pytest.raises(ValueError) as info:
        PairedFolder(lq_dir, gt_dir)
    assert "size mismatch for pair 'b'" in str(info.value)
    assert "32x48" in str(info.value) and "32x40" in str(info.value)
    (gt_dir / "b.png").unlink()
    iio.imwrite(gt_dir / "b.jpg", random_image(32, 48))
    iio.imwrite(gt_dir / "b.bmp", random_image(32, 48))
    with pytest.raises(ValueError, match="share the name stem 'b'"):
        PairedFolder(lq_dir, gt_dir)


def locate(full, window):
    """``(top, left, mirrored)`` of every place where ``window`` ([3, c, c]) is cut from ``full``, or its mirror."""
    c = window.shape[-1]
    return [(t, l, m) for m in (False, True) for t in range(full.shape[1] - c + 1)
            for l in range(full.shape[2] - c + 1)
            if torch.equal(full[:, t : t + c, l : l + c].flip(-1) if m else full[:, t : t + c, l : l + c], window)]


def test_paired_folder_draw_is_a_fresh_window_with_a_true_mirror_of_both(tmp_path):
    """Every draw cuts a new window of the pair, the same from GT and LQ; half of the draws mirror both.
    Mutations that fail: a window fixed per pair (the generator of ``(seed, index)``); the flip applied to the LQ
    only (then mu is no longer the inverted x0); no flip (no mirrored draw)."""
    lq_dir, gt_dir = make_pairs(tmp_path, ["a", "b"], size=(40, 56))
    ds = PairedFolder(lq_dir, gt_dir, crop=16, seed=5)
    full = image_to_tensor(random_image(40, 56, seed=0))
    g = torch.Generator().manual_seed(0)
    places = []
    for _ in range(24):
        item = ds.draw(0, g)
        assert item["name"] == "a.png" and item["x0"].shape == item["mu"].shape == (3, 16, 16)
        assert torch.allclose(item["mu"], -item["x0"], atol=1e-6)  # LQ is the inverted GT: one window, one flip
        assert torch.equal(item["mask"], degraded_mask(item["x0"], item["mu"]))
        found = locate(full, item["x0"])
        assert len(found) == 1, found
        places.append(found[0])
    assert len({(t, l) for t, l, _ in places}) > 12  # new windows, not one per pair
    assert 4 <= sum(m for _, _, m in places) <= 20  # both mirrored and plain draws
    again = PairedFolder(lq_dir, gt_dir, crop=16, seed=5)
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    assert torch.equal(ds.draw(1, g1)["x0"], again.draw(1, g2)["x0"])  # the generator's state decides
    plain = [ds.draw(0, g, flip=False)["x0"] for _ in range(8)]
    assert not any(m for x in plain for _, _, m in locate(full, x))
    with pytest.raises(ValueError, match="needs a crop"):
        PairedFolder(lq_dir, gt_dir).draw(0, g)


def test_paired_folder_cache_changes_no_value(tmp_path):
    """Decoded pairs are kept while they fit in ``cache_gb``; draws are the same with and without the cache."""
    lq_dir, gt_dir = make_pairs(tmp_path, ["a", "b", "c"], size=(40, 56))
    pair_bytes = 2 * 40 * 56 * 3
    assert PairedFolder(lq_dir, gt_dir).decoded_bytes == 3 * pair_bytes
    cached = PairedFolder(lq_dir, gt_dir, crop=16, cache_gb=2.5 * pair_bytes / 1e9)
    uncached = PairedFolder(lq_dir, gt_dir, crop=16, cache_gb=0)
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    for i in (0, 1, 2, 0, 2, 1):
        a, b = cached.draw(i, g1), uncached.draw(i, g2)
        assert all(torch.equal(a[k], b[k]) for k in ("x0", "mu", "mask"))
    assert cached.cached_pairs == 2 and uncached.cached_pairs == 0  # the third pair did not fit
    with pytest.raises(ValueError, match="cache_gb"):
        PairedFolder(lq_dir, gt_dir, cache_gb=-1)


def make_named_pairs(root, lq_names, gt_names, size=(24, 24)):
    """GT ``gt_names[k]`` holds random image k, LQ ``lq_names[k]`` its inversion (PNG files)."""
    lq_dir, gt_dir = root / "lq", root / "gt"
    lq_dir.mkdir(parents=True, exist_ok=True)
    gt_dir.mkdir(parents=True, exist_ok=True)
    for k, (lq_name, gt_name) in enumerate(zip(lq_names, gt_names)):
        gt = random_image(*size, seed=k)
        iio.imwrite(gt_dir / f"{gt_name}.png", gt)
        iio.imwrite(lq_dir / f"{lq_name}.png", 255 - gt)
    return lq_dir, gt_dir


def test_pair_pattern_maps_rain_to_norain(tmp_path):
    """``rain-{id}:norain-{id}`` pairs rain-001 with norain-001; a suffix template works the same way.
    Mutation that fails: pairing the two sorted file lists by position (``{id}_rain`` sorts 10 before 1)."""
    ids = ["001", "002", "003"]
    lq_dir, gt_dir = make_named_pairs(tmp_path / "prefix", [f"rain-{i}" for i in ids], [f"norain-{i}" for i in ids])
    ds = PairedFolder(lq_dir, gt_dir, pattern="rain-{id}:norain-{id}")
    assert [ds[k]["name"] for k in range(3)] == ["rain-001.png", "rain-002.png", "rain-003.png"]
    for k in range(3):
        assert torch.equal(ds[k]["x0"], image_to_tensor(random_image(24, 24, seed=k)))
        assert torch.allclose(ds[k]["mu"], -ds[k]["x0"], atol=1e-6)
    ids = ["1", "10", "2"]
    lq_dir, gt_dir = make_named_pairs(tmp_path / "suffix", [f"{i}_rain" for i in ids], ids)
    ds = PairedFolder(lq_dir, gt_dir, pattern="{id}_rain:{id}")
    for k in range(3):
        assert torch.allclose(ds[k]["mu"], -ds[k]["x0"], atol=1e-6), ds[k]["name"]
    assert sorted(ds[k]["name"] for k in range(3)) == ["10_rain.png", "1_rain.png", "2_rain.png"]


@pytest.mark.parametrize("pattern,words", [
    ("rain-{id}", "must be 'LQ:GT' with one ':'"),
    ("a:b:c", "must be 'LQ:GT' with one ':'"),
    ("rain:norain-{id}", "LQ side of pair pattern 'rain:norain-{id}' must hold {id} exactly once"),
    ("rain-{id}:{id}-{id}", "GT side .* must hold {id} exactly once"),
])
def test_bad_pair_patterns_are_refused_in_one_line(pattern, words):
    with pytest.raises(ValueError, match=words) as info:
        parse_pair_pattern(pattern)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError, match=words):
        TrainConfig(lq="a", gt="b", pair_pattern=pattern)


def test_pair_pattern_bad_folders_give_one_line_errors(tmp_path):
    """A template matching no file, a file matching no template, LQ files without a partner, and folders whose
    names match nothing at all: each one line naming the files.  Mutation that fails: ignoring the files that do
    not match the template (a stray file then goes silently unused)."""
    ids = ["001", "002", "003"]
    lq_dir, gt_dir = make_named_pairs(tmp_path, [f"rain-{i}" for i in ids], [f"norain-{i}" for i in ids])
    messages = {}
    for key, pattern in (("no lq", "rainy-{id}:norain-{id}"), ("no gt", "rain-{id}:clean-{id}")):
        with pytest.raises(ValueError) as info:
            PairedFolder(lq_dir, gt_dir, pattern=pattern)
        messages[key] = str(info.value)
    assert messages["no lq"] == (f"no LQ file matches 'rainy-{{id}}' in {lq_dir}; examples of files there: "
                                 "rain-001.png, rain-002.png, rain-003.png")
    assert messages["no gt"].startswith(f"no GT file matches 'clean-{{id}}' in {gt_dir}; examples of files there: "
                                        "norain-001.png")
    with pytest.raises(ValueError) as info:  # the identical-name default on differently named folders
        PairedFolder(lq_dir, gt_dir)
    messages["no pairs"] = str(info.value)
    assert "no pairs: none of the 3 images" in messages["no pairs"]
    assert "--pair-pattern 'rain-{id}:norain-{id}'" in messages["no pairs"]
    iio.imwrite(lq_dir / "rain-004.png", random_image(24, 24))
    iio.imwrite(lq_dir / "rain-005.png", random_image(24, 24))
    with pytest.raises(ValueError) as info:
        PairedFolder(lq_dir, gt_dir, pattern="rain-{id}:norain-{id}")
    messages["partner"] = str(info.value)
    assert (f"do not match by pair pattern 'rain-{{id}}:norain-{{id}}': 2 files (rain-004.png, rain-005.png) in LQ "
            "without a GT partner (no norain-004.*, norain-005.* in GT); 0 files in GT") in messages["partner"]
    (lq_dir / "rain-004.png").unlink()
    (lq_dir / "rain-005.png").unlink()
    iio.imwrite(lq_dir / "notes-scan.png", random_image(24, 24))
    with pytest.raises(ValueError) as info:
        PairedFolder(lq_dir, gt_dir, pattern="rain-{id}:norain-{id}")
    messages["stray"] = str(info.value)
    assert messages["stray"] == (f"1 file (notes-scan.png) in LQ folder {lq_dir} do not match 'rain-{{id}}' "
                                 "(every image must be in a pair)")
    assert all("\n" not in m for m in messages.values()), messages
