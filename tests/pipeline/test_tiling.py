"""Tiled network evaluation: tile layout, blending, the untiled path kept bit for bit, image-wide GroupNorm statistics,
quality against the untiled network, and the restore command's tiling options."""
import math

import pytest
import torch
import torch.nn.functional as F

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import SAMPLERS, Denoiser, SamplerSpec
from rdbm_core.cli import main
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.images import load_image, save_image
from rdbm_core.evidence.metrics import psnr
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.networks.unet import UNet
from rdbm_core.restoration.activation_memory import LiveTensorBytes
from rdbm_core.restoration.evaluation import CountedCalls, restore
from rdbm_core.restoration.tiling import (DEFAULTS, TiledModel, TileOptions, blend_ramp, tile_budget_pixels,
                                          tile_spans, tiled)
from rdbm_core.networks.config import TrainConfig, make_model, make_path

SHIPPED_GROUP_NORM = "rdbm_course/pretrained/nb06_derain.safetensors"  # small U-Net, GroupNorm, saved before 2026-12


class LocalNet(torch.nn.Module):
    """A deterministic network without global statistics: ``x0_hat = mu + 0.3 tanh(3 f(x_t, mu))`` with seeded
    dilated 3x3 convolutions (dilations 1, 2, 4, 8: receptive field 33 x 33), which changes the photograph by
    about as much as a restoration does."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.convs = torch.nn.ModuleList(torch.nn.Conv2d(6 if i == 0 else 16, 16, 3, padding=d, dilation=d)
                                         for i, d in enumerate((1, 2, 4, 8)))
        self.out = torch.nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, x_t, mu, t):
        h = torch.cat([x_t, mu], 1)
        for conv in self.convs:
            h = F.silu(conv(h))
        return mu + 0.3 * torch.tanh(3 * self.out(h))


class NormNet(torch.nn.Module):
    """A deterministic two-level network with GroupNorm at both levels, like a small U-Net:
    ``x0_hat = mu + 0.3 tanh(3 f(x_t, mu))``; its statistics depend on the whole image, so tiles normalised
    with their own statistics disagree with the untiled network."""

    multiple = 2  # the side multiple it computes on (one 2x pooling)

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.inp, self.norm1 = torch.nn.Conv2d(6, 16, 3, padding=1), torch.nn.GroupNorm(4, 16)
        self.mid, self.norm2 = torch.nn.Conv2d(16, 16, 3, padding=2, dilation=2), torch.nn.GroupNorm(4, 16)
        self.out = torch.nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, x_t, mu, t):
        h = F.silu(self.norm1(self.inp(torch.cat([x_t, mu], 1))))
        low = F.silu(self.norm2(self.mid(F.avg_pool2d(h, 2))))
        h = h + F.interpolate(low, scale_factor=2.0)
        return mu + 0.3 * torch.tanh(3 * self.out(h))


class PointwiseNormNet(torch.nn.Module):
    """Three GroupNorm layers at resolutions 1, 1/2 and 1/4 joined by pointwise maps and 2x2 average pooling: every
    feature pixel depends only on its own block of the input, so with the image's statistics tiles that start on
    multiples of 4 compute exactly the untiled features."""

    multiple = 4

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.inp, self.out = torch.nn.Conv2d(6, 8, 1), torch.nn.Conv2d(8, 3, 1)
        self.norms = torch.nn.ModuleList(torch.nn.GroupNorm(g, 8) for g in (2, 4, 2))

    def forward(self, x_t, mu, t):
        h = F.silu(self.norms[0](self.inp(torch.cat([x_t, mu], 1))))
        h = torch.tanh(self.norms[1](3 * F.avg_pool2d(h, 2) + 1))
        h = self.norms[2](F.avg_pool2d(h, 2) ** 2)
        return self.out(F.interpolate(h, scale_factor=4.0))


def random_unet(norm: str, preset: str = "tiny") -> torch.nn.Module:
    """A U-Net of ``preset`` with seeded random weights everywhere (an untrained one's output layer is zero, which
    would make every tiling agree)."""
    config = TrainConfig(preset=preset, unet_norm=norm)
    model = make_model(config, make_path(config)).eval()
    torch.manual_seed(1)
    for p in model.parameters():
        p.data.normal_(0, 0.1)
    return model


def sample(model, mu, steps: int = 3, name: str = "implicit", **options):
    """The restoration of ``mu`` by ``model`` through :func:`restore` (RDBM's bridge)."""
    return restore(model, bridges.make("rdbm"), mu, SamplerSpec(name=name, steps=steps, **options),
                   generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def photo():
    """A 128 x 192 window of a held-out photograph, derain-degraded: ``(x0 [3, H, W], mu [1, 3, H, W])``."""
    item = HeldOutBenchmark("derain", 1, crop=None)[0]
    return item["x0"][:, 64:192, 96:288], item["mu"][None, :, 64:192, 96:288]


@pytest.mark.parametrize("length,tile,overlap,multiple", [(100, 64, 16, 1), (1000, 584, 73, 1), (64, 64, 8, 1),
                                                          (30, 64, 8, 1), (200, 48, 0, 1), (600, 256, 32, 8),
                                                          (1152, 584, 73, 8), (77, 24, 8, 8), (130, 64, 60, 8)])
def test_tiles_cover_the_side_with_the_overlap_starting_on_the_multiple(length, tile, overlap, multiple):
    """Tiles of at most ``tile`` pixels cover the side, neighbours share at least ``overlap`` pixels (as far as a
    tile of whole blocks allows), every tile starts on the network's multiple and all but the last are whole blocks,
    the last ends at the edge, and no fewer tiles would do. Mutations that fail: ``n = ceil(length / tile)`` (the
    overlap ignored: neighbours share less); starts evenly spaced in pixels (off the multiple)."""
    spans = tile_spans(length, tile, overlap, multiple)
    assert spans[0][0] == 0 and sum(spans[-1]) == length and all(size <= tile for _, size in spans)
    assert all(start % multiple == 0 for start, _ in spans) and all(size % multiple == 0 for _, size in spans[:-1])
    shared = min(overlap, multiple * (tile // multiple - 1))
    assert all(a + size - b >= shared and b > a for (a, size), (b, _) in zip(spans, spans[1:]))
    blocks, tile_blocks = math.ceil(length / multiple), tile // multiple
    overlap_blocks = min(math.ceil(overlap / multiple), tile_blocks - 1)
    fewest = 1 if length <= tile else math.ceil((blocks - overlap_blocks) / (tile_blocks - overlap_blocks))
    assert len(spans) == fewest


def test_blend_ramps_sum_to_one_over_an_exact_overlap():
    """Raised-cosine ramps: two tiles overlapping by exactly the ramp width have weights summing to 1, and
    every weight is positive. Mutation that fails: a linear ramp ``i / ramp`` gives a zero weight at the tile's edge."""
    ramp, size = 16, 64
    left, right = blend_ramp(size, ramp, False, True), blend_ramp(size, ramp, True, False)
    assert torch.allclose(left[-ramp:] + right[:ramp], torch.ones(ramp, dtype=torch.float64), atol=1e-12)
    assert (left > 0).all() and (right > 0).all() and left[0] == 1 and right[-1] == 1
    assert torch.equal(blend_ramp(size, 0, True, True), torch.ones(size, dtype=torch.float64))


@pytest.mark.parametrize("length", [600, 77, 130])
def test_ownership_is_a_partition_of_unity_over_the_padded_side(length):
    """The shares the tiles own of every pixel of the side padded to the multiple sum to 1 (each pixel counted once in
    the image-wide statistics). Mutation that fails: the raw windows (overlaps counted twice)."""
    net = TiledModel(NormNet(), 64, 24)
    net.multiple = 8
    total = torch.zeros(length + -length % 8, dtype=torch.float64)
    for start, _, _, share in net.sides(length):
        total[start:start + len(share)] += share
    assert torch.allclose(total, torch.ones_like(total))


@pytest.mark.parametrize("tile,overlap", [(24, 5), (16, 0), (40, 13), (32, 31)])
def test_blending_reproduces_a_per_pixel_network(tile, overlap):
    """A network whose output at a pixel depends on that pixel alone (a 1x1 convolution) computes in every tile what
    it computes untiled, so the blend, the weighted tiles over the summed weights, is the untiled output for any
    tile and overlap (batch of 2, non-square image). Mutations that fail: no division by the summed weights (the
    ramps sum to 1 only where the overlap is exactly the ramp); dividing by the number of tiles covering a pixel."""
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(6, 3, 1)
    x, mu = torch.randn(2, 3, 50, 70), torch.randn(2, 3, 50, 70)

    def net(x_t, mu, t):
        return conv(torch.cat([x_t, mu], 1)) * t

    with torch.no_grad():
        assert torch.allclose(TiledModel(net, tile, overlap)(x, mu, 2.0), net(x, mu, 2.0), atol=1e-5)


def test_image_that_fits_one_tile_is_restored_bit_identically():
    """When the image fits in one tile the model is used as it is: output bit-identical to the untiled run.
    Mutation that fails: always wrapping with the blended path of a 32-pixel tile changes the output."""
    model = random_unet("group")
    mu = torch.rand(2, 3, 48, 72) * 2 - 1
    assert tiled(model, mu.shape) is model and tiled(model, mu.shape, TileOptions(tile=72, overlap=8)) is model
    untiled = sample(model, mu)
    assert torch.equal(sample(tiled(model, mu.shape, TileOptions(tile=72, overlap=8)), mu), untiled)
    assert not torch.equal(sample(tiled(model, mu.shape, TileOptions(tile=32, overlap=8)), mu), untiled)


def test_default_tile_follows_the_memory_budget_and_leaves_the_photographs_whole():
    """On the CPU the held-out photographs (at most 512 x 512 or 424 x 640 pixels) fit the small U-Net's default
    budget, so their restorations do not change; a 3 MP image is tiled with a tile of the budget, on the network's
    multiple, and the default overlap. Mutation that fails: a CPU memory cap of 256 MiB tiles the photographs."""
    model = make_model(TrainConfig(preset="small"), make_path(TrainConfig(preset="small"))).eval()
    assert all(tiled(model, (1, 3, h, w)) is model for h, w in ((512, 512), (424, 640), (400, 600)))
    net = tiled(model, (1, 3, 1536, 2048))
    budget = tile_budget_pixels(model)
    assert isinstance(net, TiledModel) and net.tile % 8 == 0 and net.tile ** 2 <= budget < (net.tile + 8) ** 2
    assert net.overlap == DEFAULTS.overlap and net.norm_passes is None


def test_pixel_norm_unet_tiled_matches_untiled(photo):
    """A pixel-norm U-Net (random weights: its output is far from ``mu``) on a held-out photograph in 64-pixel tiles
    with the default overlap, 3 implicit steps: >= 40 dB from the untiled restoration, and the PSNR against the
    ground truth within 0.05 dB; with hard seams (no overlap) more than 10 dB further. Mutations that fail:
    dividing by the number of tiles covering a pixel instead of the summed weights; blending without division."""
    x0, mu = photo
    model = random_unet("pixel")
    untiled = sample(model, mu)[0]
    assert psnr(untiled, mu[0]) < 30  # the network changes the image: the comparison is not trivial
    out = sample(tiled(model, mu.shape, TileOptions(tile=64)), mu)[0]
    assert psnr(out, untiled) >= 40 and abs(psnr(out, x0) - psnr(untiled, x0)) <= 0.05
    seams = sample(tiled(model, mu.shape, TileOptions(tile=64, overlap=0)), mu)[0]
    assert psnr(seams, untiled) < psnr(out, untiled) - 10


def test_image_statistics_make_a_pointwise_network_exact():
    """For a network whose features depend only on their own block of pixels, image-wide statistics reproduce the
    untiled output to float precision once ``norm_passes`` >= its three GroupNorm layers (pass k records layer k
    exactly), and each pass comes closer, while each tile's own statistics are far off. Mutations that fail: the
    overlaps counted twice (ownership = the raw windows), tiles starting evenly in pixels (a tile's coarse features
    then straddle the untiled blocks), the group variance taken as the mean of the channels' variances."""
    model = PointwiseNormNet()
    x = torch.rand(2, 3, 60, 92) * 2 - 1
    with torch.no_grad():
        untiled = model(x, x, 0)
        errors = [float((TiledModel(model, 24, 8, norm_passes=passes)(x, x, 0) - untiled).abs().max())
                  for passes in (None, 0, 1, 2, 3)]
    assert errors[0] == errors[1] > 0.1  # no passes: each tile's own statistics
    assert errors[1] > errors[2] > errors[3] > errors[4] and errors[4] < 1e-5


def test_image_statistics_keep_no_state_between_calls():
    """Every call estimates its statistics afresh: a call's output does not depend on the calls before (the same
    call repeated, or after other inputs, equals a fresh wrapper's output bit for bit). Mutation that fails: keeping
    the last call's statistics as the next call's pass 0."""
    model = PointwiseNormNet()
    torch.manual_seed(2)
    x, mu = torch.rand(1, 3, 60, 92) * 2 - 1, torch.rand(1, 3, 60, 92) * 2 - 1
    with torch.no_grad():
        fresh = TiledModel(model, 24, 8, norm_passes=1)(0.7 * x, mu, 0)
        net = TiledModel(model, 24, 8, norm_passes=1)
        net(x, mu, 0)
        assert torch.equal(net(0.7 * x, mu, 0), fresh) and torch.equal(net(0.7 * x, mu, 0), fresh)


def test_group_norm_tiles_use_their_own_statistics_unless_image_norm(photo):
    """The default for a GroupNorm network's tiles is each tile's own statistics; ``image_norm`` (the default two
    passes) brings the tiled restoration closer to the untiled one (a GroupNorm network at two levels, 64-pixel
    tiles, 3 implicit steps), and a network without GroupNorm refuses it with one clear error. Mutations that fail:
    image-wide statistics by default; ``image_norm`` accepted (and ignored) for a pixel-norm network."""
    _, mu = photo
    model = NormNet().eval()
    assert tiled(model, mu.shape, TileOptions(tile=64)).norm_passes is None
    assert tiled(model, mu.shape, TileOptions(tile=64, image_norm=True)).norm_passes == 2
    untiled = sample(model, mu)[0]
    own = psnr(sample(tiled(model, mu.shape, TileOptions(tile=64)), mu)[0], untiled)
    image = psnr(sample(tiled(model, mu.shape, TileOptions(tile=64, image_norm=True)), mu)[0], untiled)
    assert image >= 40 and image > own + 3
    with pytest.raises(ValueError, match="--tile-image-norm applies to GroupNorm networks only"):
        tiled(random_unet("pixel"), mu.shape, TileOptions(tile=64, image_norm=True))


def test_old_group_norm_checkpoint_restores_as_before(photo):
    """The GroupNorm network shipped before the pixel norm existed loads; untiled (the defaults, the image fitting one
    tile) it restores bit for bit as the sampler calling the network directly; tiled (48-pixel tiles, 2 steps) it is
    within 35 dB of that with each tile's own statistics, and with image-wide ones within 50 dB for 1, 2 and 3
    estimate passes, each pass closer. Mutations that fail: a wrapper on the untiled path (``tiled`` not returning
    the model); estimate passes that normalise every layer with the pass before's record (not closer at 2 passes)."""
    _, mu = photo
    model, path, config = load_trained(SHIPPED_GROUP_NORM)
    assert config.unet_norm == "group"
    mu = mu[..., :64, :96]
    with torch.no_grad():
        direct = SAMPLERS["implicit"](Denoiser(model, parameterization="x0"), mu, path, path.schedule.sampling_times(2))
    untiled = restore(tiled(model, mu.shape), path, mu, SamplerSpec(steps=2))
    assert torch.equal(untiled, direct)
    own, *image = [psnr(restore(tiled(model, mu.shape, TileOptions(tile=48, image_norm=True, norm_passes=passes)),
                                path, mu, SamplerSpec(steps=2))[0], untiled[0]) for passes in (0, 1, 2, 3)]
    assert own >= 35 and image[0] >= 50 and image[0] < image[1] < image[2]


def test_tiled_model_carries_the_parameterization():
    """``restore`` builds its Denoiser from ``model.parameterization``: the wrapper passes it on. Mutation that fails:
    a wrapper without it (``restore`` would take ``"x0"`` for a noise-predicting network)."""
    model = LocalNet()
    model.parameterization = "noise"
    assert TiledModel(model, 32, 8).parameterization == "noise"
    assert TiledModel(LocalNet(), 32, 8).parameterization == "x0"


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_every_sampler_runs_tiled_unchanged(photo, name):
    """Every sampler takes the tiled network as it is, and the wrapper calls the network once per tile and sampler
    call. Mutation that fails: blending without the division by the summed weights."""
    _, mu = photo
    model = CountedCalls(LocalNet().eval())
    options = {"eta": 1.0} if name == "implicit" else {}
    untiled = sample(model, mu, 4, name, **options)
    calls, model.calls = model.calls, 0
    net = TiledModel(model, 64, 16)
    out = sample(net, mu, 4, name, **options)
    assert psnr(out[0], untiled[0]) >= 40
    assert model.calls == len(net.tiles(*mu.shape[-2:])) * calls


def test_sampler_memory_does_not_grow_with_the_steps(photo):
    """A sampler keeps no intermediate state, so the peak of live tensors is the same for 2 and 10 steps (which is
    why the memory benchmark restores with few steps). Mutation that fails: appending every state to a trajectory
    list regardless adds two image-sized tensors per step."""
    _, mu = photo
    path, model = bridges.make("rdbm"), LocalNet().eval()
    peaks = []
    for steps in (2, 10):
        with torch.no_grad(), LiveTensorBytes() as counter:
            SAMPLERS["implicit"](model, mu, path, path.schedule.sampling_times(steps))
        peaks.append(counter.peak)
    assert peaks[1] <= peaks[0] + mu.numel()  # a few bytes of coefficients may differ, no image-sized tensor


@pytest.mark.parametrize("options,message", [
    (dict(tile=-1), "--tile must be >= 0"), (dict(overlap=-2), "--overlap must be >= 0"),
    (dict(tile=64, overlap=64), "--overlap must be smaller than --tile"),
    (dict(norm_passes=-1), "--tile-norm-passes must be >= 0")])
def test_bad_tile_options_name_the_flag(options, message):
    """Each bad option is one ``ValueError`` naming its flag, when the options are made. Mutation that fails: no check
    of the overlap against the tile (the tiles would then not advance)."""
    with pytest.raises(ValueError, match=message):
        TileOptions(**options)
    assert TileOptions(image_norm=True, norm_passes=0).norm_passes == 0 and TileOptions(tile=0, overlap=64)


def test_small_images_are_restored_without_probing_the_network():
    """An image no larger than ``DEFAULTS.untiled_side`` squared is never tiled, and choosing that costs no network
    call. Mutation that fails: probing the memory for every image adds a call."""
    calls = []

    def net(x_t, mu, t):
        calls.append(tuple(x_t.shape))
        return mu

    assert tiled(net, (1, 3, 8, 8)) is net
    assert sample(net, torch.zeros(1, 3, 8, 8), 5).shape == (1, 3, 8, 8) and calls == [(1, 3, 8, 8)] * 5


def test_a_network_with_global_attention_is_never_tiled():
    """Self-attention spans the whole feature map, so its tiles would not compute the image's output: an explicit
    tile smaller than the image is one clear error, the automatic choice keeps it whole, and a network without it
    is tiled as before. Mutation that fails: no check (the attention network is tiled silently)."""
    attention = UNet(base=8, mults=(1, 2), blocks=1, attn=True).eval()
    plain = UNet(base=8, mults=(1, 2), blocks=1, attn=False).eval()
    with pytest.raises(ValueError, match="--tile 32 is smaller than the 64x48 image: restore it untiled"):
        tiled(attention, (1, 3, 48, 64), TileOptions(tile=32, overlap=8))
    assert tiled(attention, (1, 3, 48, 64)) is attention
    assert tiled(attention, (1, 3, 48, 64), TileOptions(tile=0)) is attention
    assert tiled(attention, (1, 3, 48, 64), TileOptions(tile=64)) is attention  # one tile holds it: untiled
    assert isinstance(tiled(plain, (1, 3, 48, 64), TileOptions(tile=32, overlap=8)), TiledModel)


def test_restore_batches_images_of_one_size(tiny_checkpoint, tmp_path):
    """Three images of one size restored as one batch or one by one give the same PNGs (up to one 8-bit level),
    and a large image is tiled (``--tile``) in the same run."""
    src = tmp_path / "in"
    ds = HeldOutBenchmark("derain", 3, crop=48)
    for i in range(3):
        save_image(ds[i]["mu"], src / f"s{i}.png")
    save_image(HeldOutBenchmark("derain", 1, crop=96)[0]["mu"], src / "big.png")
    common = ["restore", "--checkpoint", tiny_checkpoint, "--input", str(src), "--steps", "2", "--tile", "64"]
    assert main(common + ["--output", str(tmp_path / "b3"), "--batch", "3"]) == 0
    assert main(common + ["--output", str(tmp_path / "b1"), "--batch", "1"]) == 0
    for name in ("s0.png", "s1.png", "s2.png", "big.png"):
        a, b = load_image(tmp_path / "b3" / name), load_image(tmp_path / "b1" / name)
        assert (a - b).abs().max() <= 2 / 255 + 1e-6, name


@pytest.mark.parametrize("args,message", [
    (["--half", "--device", "cpu"], "--half (float16) needs a CUDA device"),
    (["--tile", "-1"], "--tile must be >= 0"),
    (["--tile", "64", "--overlap", "64"], "--overlap must be smaller than --tile"),
    (["--tile-norm-passes", "-1"], "--tile-norm-passes must be >= 0"),
    (["--tile", "16", "--tile-image-norm"], "--tile-image-norm applies to GroupNorm networks only"),
    (["--tile", "16"], None),
])
def test_restore_tiling_flags(tiny_checkpoint, tmp_path, capsys, args, message):
    """Each bad tiling flag ends the command with one line naming it, exit code 2, and nothing written (the network
    is a default one: pixel norm, so image-wide statistics are refused); good ones restore."""
    save_image(torch.zeros(3, 24, 40), tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    code = main(["restore", "--checkpoint", tiny_checkpoint, "--input", str(tmp_path / "in"), "--output", str(out),
                 "--steps", "2", *args])
    if message is None:
        assert code == 0 and (out / "a.png").exists()
        return
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not out.exists()


def test_restore_image_norm_on_a_group_norm_checkpoint(tiny_group_checkpoint, tmp_path):
    """Image-wide statistics are what a GroupNorm checkpoint's tiles may ask for: the command restores (the
    mutation "refuse --tile-image-norm for every network" fails it)."""
    save_image(torch.zeros(3, 24, 40), tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    assert main(["restore", "--checkpoint", tiny_group_checkpoint, "--input", str(tmp_path / "in"), "--output",
                 str(out), "--steps", "2", "--tile", "16", "--tile-image-norm", "--tile-norm-passes", "1"]) == 0
    assert (out / "a.png").exists()
