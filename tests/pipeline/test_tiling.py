"""Tiled network evaluation: tile layout, blending, the untiled path kept bit for bit, quality, the restore command."""
import math

import pytest
import torch
import torch.nn.functional as F

from rdbm_core.bridge import bridges
from rdbm_core.cli import main
from rdbm_core.data.images import load_image, save_image
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.restoration.evaluation import network_evaluations, restore
from rdbm_core.evidence.metrics import psnr
from rdbm_core.bridge.samplers import SAMPLERS
from rdbm_core.restoration.tiling import (DEFAULTS, ImageGroupNorm, LiveTensorBytes, TiledModel, blend_ramp, tile_starts, tiled)
from rdbm_core.networks.config import TrainConfig, make_model, make_path


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


def tiled_against_untiled(model, photo, steps: int = 5):
    """The untiled restoration of ``photo`` by ``model`` (RDBM's bridge, ``steps`` implicit steps) and a function
    of tiling options returning (PSNR of the tiled restoration against the untiled one, |change of its PSNR
    against the ground truth|)."""
    x0, mu = photo
    path = bridges.make("rdbm")
    untiled = restore(model, path, mu, steps=steps, tile=0)[0]

    def compare(**tiling):
        out = restore(model, path, mu, steps=steps, **tiling)[0]
        return psnr(out, untiled), abs(psnr(out, x0) - psnr(untiled, x0))
    return untiled, compare


@pytest.fixture(scope="module")
def photo():
    """A 128 x 192 window of a held-out photograph, derain-degraded: ``(x0 [3, H, W], mu [1, 3, H, W])``."""
    item = HeldOutBenchmark("derain", 1, crop=None)[0]
    return item["x0"][:, 64:192, 96:288], item["mu"][None, :, 64:192, 96:288]


@pytest.mark.parametrize("length,tile,overlap", [(100, 64, 16), (128, 64, 16), (1000, 584, 73), (64, 64, 8),
                                                 (30, 64, 8), (200, 48, 0)])
def test_tiles_cover_the_image_with_the_overlap(length, tile, overlap):
    """Every pixel is covered, neighbours share at least ``overlap`` pixels, the last tile ends at the edge.
    Mutation: ``n = ceil(length / tile)`` (ignoring the overlap) leaves neighbours sharing fewer pixels."""
    starts = tile_starts(length, tile, overlap)
    side = min(tile, length)
    assert starts[0] == 0 and starts[-1] + side == length
    assert all(b - a <= side - overlap for a, b in zip(starts, starts[1:]))  # shared >= overlap, no gap
    assert all(b > a for a, b in zip(starts, starts[1:]))
    assert len(starts) == (1 if length <= tile else math.ceil((length - overlap) / (tile - overlap)))


def test_blend_ramps_sum_to_one_over_an_exact_overlap():
    """Raised-cosine ramps: two tiles overlapping by exactly the ramp width have weights summing to 1, and
    every weight is positive. Mutation: a linear ramp ``i / ramp`` gives a zero weight at the tile's edge."""
    ramp, size = 16, 64
    left, right = blend_ramp(size, ramp, False, True), blend_ramp(size, ramp, True, False)
    assert torch.allclose(left[-ramp:] + right[:ramp], torch.ones(ramp, dtype=torch.float64), atol=1e-12)
    assert (left > 0).all() and (right > 0).all() and left[0] == 1 and right[-1] == 1
    assert torch.equal(blend_ramp(size, 0, True, True), torch.ones(size, dtype=torch.float64))


def test_image_that_fits_one_tile_is_restored_bit_identically():
    """When the image fits in one tile the model is used as it is: output bit-identical to the untiled run.
    Mutation: always wrapping with the blended path of a 32-pixel tile changes the output."""
    config = TrainConfig(preset="tiny")
    path = make_path(config)
    model = make_model(config, path).eval()
    torch.manual_seed(1)
    for p in model.parameters():  # a network whose output is not zero
        p.data.normal_(0, 0.05)
    mu = torch.rand(2, 3, 48, 72) * 2 - 1
    assert tiled(model, mu.shape) is model
    untiled = restore(model, path, mu, steps=3, tile=0)
    assert torch.equal(restore(model, path, mu, steps=3), untiled)  # default: chosen from the memory
    assert torch.equal(restore(model, path, mu, steps=3, tile=72, overlap=8), untiled)
    assert not torch.equal(restore(model, path, mu, steps=3, tile=32, overlap=8), untiled)


def test_default_tile_leaves_the_held_out_photographs_untiled_on_cpu():
    """The demo's photographs (at most 400 x 600) fit in one default tile of the small network on the CPU,
    so their restorations do not change. Mutation: a CPU memory cap of 256 MiB would tile the coffee photo."""
    config = TrainConfig(preset="small")
    model = make_model(config, make_path(config)).eval()
    assert tiled(model, (1, 3, 400, 600), device="cpu") is model
    net = tiled(model, (1, 3, 1536, 2048), device="cpu")
    assert isinstance(net, TiledModel) and 256 <= net.tile <= 2048 and net.tile % 8 == 0
    assert net.tile ** 2 * 1548 <= 1.01 * DEFAULTS.cpu_memory_cap  # 1548 bytes/pixel: small's activations
    assert net.overlap == max(DEFAULTS.min_overlap, round(DEFAULTS.overlap_fraction * net.tile))


def test_tiled_restoration_matches_untiled_on_a_held_out_photo(photo):
    """A few tiles (64 px, overlap 16: 3 x 4 = 12 tiles) on a held-out photograph, 5 implicit steps: the tiled
    restoration is >= 40 dB from the untiled one and its PSNR against the ground truth is within 0.05 dB; without
    overlap (hard seams where each tile's border sees padding) it is more than 10 dB further from the untiled one.
    Mutations: dividing by the number of tiles covering a pixel instead of the summed weights, or blending
    without the division, fail the 40 dB criterion."""
    untiled, compare = tiled_against_untiled(LocalNet().eval(), photo)
    assert psnr(untiled, photo[1][0]) < 40  # the network changes the image: the comparison is not trivial
    to_untiled, gt_gap = compare(tile=64, overlap=16)
    assert to_untiled >= 40 and gt_gap <= 0.05
    assert compare(tile=64, overlap=0)[0] < to_untiled - 10  # seams


@pytest.mark.parametrize("length,tile,overlap", [(600, 256, 32), (1152, 584, 73), (1000, 100, 30), (77, 24, 8),
                                                 (64, 64, 8), (130, 64, 60)])
def test_tiles_start_on_the_network_multiple(length, tile, overlap):
    """Tiles start on multiples of the network's ``multiple`` (8 for the small U-Net), neighbours share at least
    ``overlap`` pixels, tiles are at most ``tile`` and all but the last a whole number of blocks, the last ends at
    the edge. Mutation: the evenly spaced starts of ``tile_starts`` in pixels put coffee's (600 px) middle 256-px
    tile at 188, off the grid of the U-Net's coarsest level."""
    net = TiledModel(NormNet(), tile, overlap)
    net.multiple = 8
    spans = net.spans(length)
    assert spans[0][0] == 0 and sum(spans[-1]) == length and all(size <= tile for _, size in spans)
    assert all(start % 8 == 0 for start, _ in spans) and all(size % 8 == 0 for _, size in spans[:-1])
    assert all(b - (a + size) <= -min(overlap, 8 * (tile // 8 - 1)) for (a, size), (b, _) in zip(spans, spans[1:]))
    assert all(b > a for (a, _), (b, _) in zip(spans, spans[1:]))
    shares = net.shares(length)  # ownership: a partition of unity over the (padded) side
    total = torch.zeros(length + -length % 8, dtype=torch.float64)
    for (start, _), share in zip(spans, shares):
        total[start:start + len(share)] += share
    assert torch.allclose(total, torch.ones_like(total))


def test_image_statistics_make_a_pointwise_network_exact():
    """For a network whose features depend only on their own block of pixels, ``norm="image"`` reproduces the
    untiled output to float precision once ``passes`` >= its three GroupNorm layers (pass k makes layer k exact: its
    inputs then come from exactly normalised layers), while each tile's own statistics are far off.
    Mutations: counting the overlaps twice (ownership = the raw blending windows, not divided by their sum), or
    starting tiles evenly in pixels instead of on multiples of 4 (a tile's coarse features then straddle the
    untiled ones' blocks), fail the last assertion."""
    model = PointwiseNormNet()
    x = torch.rand(2, 3, 60, 92) * 2 - 1
    with torch.no_grad():
        untiled = model(x, x, 0)
        errors = {(norm, passes): float((TiledModel(model, 24, 8, norm=norm, norm_passes=passes)(x, x, 0) - untiled)
                                        .abs().max()) for norm, passes in (("tile", 0), ("image", 1), ("image", 3))}
    assert errors["tile", 0] > 0.1
    assert errors["image", 1] < errors["tile", 0] / 3
    assert errors["image", 3] < 1e-5


def test_tiled_unet_like_restoration_matches_untiled_with_image_statistics(photo):
    """A network with GroupNorm at two levels, 12 tiles (64 px, overlap 16), 5 implicit steps, the default
    statistics (image-wide, ``DEFAULTS.group_norm_passes`` estimate passes): the tiled restoration is >= 40 dB
    from the untiled one and its PSNR against the ground truth within 0.05 dB. Each tile's own statistics fail both (the mutation, asserted here:
    about 35 dB and 0.1 dB)."""
    untiled, compare = tiled_against_untiled(NormNet().eval(), photo)
    assert psnr(untiled, photo[1][0]) < 25  # the network changes the image: the comparison is not trivial
    to_untiled, gt_gap = compare(tile=64, overlap=16)
    assert to_untiled >= 40 and gt_gap <= 0.05
    to_untiled, gt_gap = compare(tile=64, overlap=16, tile_norm="tile")
    assert to_untiled < 40 and gt_gap > 0.05


def test_image_statistics_cost_one_network_call_per_tile_and_pass(photo):
    """``norm="image"`` calls the network ``tiles x (1 + passes + 1 + refine)`` times in a restoration's first call
    and ``tiles x (1 + refine)`` in every later one when every prediction pass is repeated (tolerance 0), as
    ``calls`` says, and the progress bar counts every call; with no repeat needed (tolerance infinite) the bar's
    total shrinks to the calls made; a network without GroupNorm needs no estimate pass. Mutations: skipping
    ``_tick`` in the estimate passes; never carrying (every call a first one: also fails (b) of the next test);
    not taking the repeats left out off the bar's total."""
    _, mu = photo

    class Count:
        n, total = 0, None

        def update(self, k):
            self.n += k

        def refresh(self):
            pass

    count = Count()
    net = TiledModel(NormNet(), 64, 16, progress=count, norm="image", norm_passes=2, norm_refine=1, norm_tolerance=0)
    tiles = len(net.tiles(*mu.shape[-2:]))
    with torch.no_grad():
        net(mu, mu, torch.zeros(1))
        assert count.n == net.calls(*mu.shape[-2:]) == 4 * tiles
        net(mu * 0.9, mu, torch.zeros(1))
        net(mu * 0.8, mu, torch.zeros(1))
    assert count.n == net.calls(*mu.shape[-2:], evaluations=3) == (4 + 2 * 2) * tiles
    assert net.calls(*mu.shape[-2:], evaluations=3, carried=False) == 3 * 3 * tiles
    assert TiledModel(LocalNet(), 64, 16, norm="image").calls(*mu.shape[-2:], 3) == 3 * tiles
    count = Count()
    net = TiledModel(NormNet(), 64, 16, progress=count, norm_passes=2, norm_refine=1, norm_tolerance=math.inf)
    count.total = net.calls(*mu.shape[-2:], evaluations=3)
    with torch.no_grad():
        for scale in (1.0, 0.9, 0.8):
            net(mu * scale, mu, torch.zeros(1))
    assert count.n == count.total == (3 + 2) * tiles


def test_mismatch_measures_the_statistics_used_against_those_met():
    """``ImageGroupNorm.mismatch`` of a pass that normalises every tile with its own statistics equals the
    largest difference of a tile's group mean and std from the image's, over the image's std, computed here
    from the layer's input directly; a pass with the exact image-wide statistics has none (the network is
    pointwise). Mutations: the variances compared instead of the stds; the mean's difference left out."""
    model = OneNormNet()
    torch.manual_seed(3)
    x, mu = torch.rand(1, 3, 40, 56) * 2 - 1 + torch.linspace(-1, 1, 56), torch.rand(1, 3, 40, 56) * 2 - 1
    net = TiledModel(model, 24, 8)
    with torch.no_grad():
        h = model.inp(torch.cat([x, mu], 1)).double()
        groups, eps = model.norm.num_groups, model.norm.eps

        def group_stats(part):
            g = part.reshape(1, groups, -1)
            return g.mean(-1), g.var(-1, unbiased=False)

        image_mean, image_var = group_stats(h)
        std = (image_var + eps).sqrt()
        expected = max(max(float(((m - image_mean).abs() / std).max()), float((((v + eps).sqrt() - std).abs() / std).max()))
                       for top, left, th, tw in net.tiles(40, 56)
                       for m, v in [group_stats(h[..., top:top + th, left:left + tw])])
        own = ImageGroupNorm(record=True)
        net.tile_pass((x, mu, 0), own)
        assert own.mismatch() == pytest.approx(expected, rel=1e-5) and expected > 0.1
        exact = ImageGroupNorm(apply=own.statistics(), record=True)
        net.tile_pass((x, mu, 0), exact)
        assert exact.mismatch() < 1e-6


class OneNormNet(torch.nn.Module):
    """A pointwise map and one GroupNorm layer (2 groups of 4 channels): a shift of ``x_t`` shifts each channel of
    the norm's input by its own constant."""

    multiple = 1

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.inp, self.norm = torch.nn.Conv2d(6, 8, 1), torch.nn.GroupNorm(2, 8)

    def forward(self, x_t, mu, t):
        return self.norm(self.inp(torch.cat([x_t, mu], 1)))


def test_carried_estimate_per_channel_and_pooled():
    """The estimate carried from an exact pass (:class:`ImageGroupNorm`): (a) per channel, it stays exact for one
    GroupNorm layer when ``x_t`` is shifted per channel, both the offsets alone (a pass that does not record) and
    pooled with the recorded sums (mutation: offsets per group, as before: error 0.06); (b) on a three-layer
    network, pooling with the sums recorded as the pass goes brings the output closer to the untiled one than the
    offsets alone (measured: 0.109 against 0.181; mutation: pooling nothing, 0.181)."""
    torch.manual_seed(2)
    x, mu = torch.rand(1, 3, 60, 92) * 2 - 1, torch.rand(1, 3, 60, 92) * 2 - 1
    shifted = x + torch.tensor([0.5, -0.5, 0.3]).view(1, 3, 1, 1)
    with torch.no_grad():
        def carried_from_exact_pass(model, net):
            exact = ImageGroupNorm(record=True)
            with exact:
                exact.next_tile(torch.ones(60, dtype=torch.float64), torch.ones(92, dtype=torch.float64))
                model(x, mu, 0)
            first = ImageGroupNorm(apply=exact.statistics(), record=True)
            net.tile_pass((x, mu, 0), first)
            return first.carry()

        def errors(model):
            net = TiledModel(model, 24, 8)
            carried = carried_from_exact_pass(model, net)
            untiled = model(shifted, mu, 0)
            return [float((net.tile_pass((shifted, mu, 0), ImageGroupNorm(carried=carried, record=record))
                           - untiled).abs().max()) for record in (False, True)]

        offsets, pooled = errors(OneNormNet())
        assert offsets < 1e-5 and pooled < 1e-5  # (a)
        offsets, pooled = errors(PointwiseNormNet())
        assert pooled < offsets / 1.4  # (b)


def test_carried_statistics_follow_the_next_call():
    """A restoration's later calls start from the statistics of the call before, carried as offsets from each
    tile's own: (a) after an exact first call, the same inputs are exact again at one network call per tile;
    (b) when the inputs move (``x_t`` scaled by 0.9, ``mu`` the same tensor), the carried offsets stay several
    times closer to the untiled output (measured: 0.049) than each tile's own statistics (0.51) or the first call's
    exact image-wide statistics applied as they are (0.26; the mutation: carrying those instead of offsets), and
    a refine pass closer still (0.026); (c) a new restoration (another ``mu``, or ``mu`` changed in place)
    carries nothing: it equals a fresh model's output, and so does the same one after ``reset`` (mutations:
    carrying regardless; ``reset`` doing nothing)."""
    model = PointwiseNormNet()
    torch.manual_seed(2)
    x, mu = torch.rand(1, 3, 60, 92) * 2 - 1, torch.rand(1, 3, 60, 92) * 2 - 1
    moved = 0.9 * x
    with torch.no_grad():
        def error(out, x_t):
            return float((out - model(x_t, mu, 0)).abs().max())

        net = TiledModel(model, 24, 8, norm_passes=3, norm_refine=0)
        assert error(net(x, mu, 0), x) < 1e-5  # three passes: the three layers exact
        assert error(net(x, mu, 0), x) < 1e-5  # (a)
        carried = error(net(moved, mu, 0), moved)
        own = error(TiledModel(model, 24, 8, norm="tile")(moved, mu, 0), moved)
        exact = ImageGroupNorm(record=True)
        with exact:  # the first call's image-wide statistics (exact: the untiled network's)
            exact.next_tile(torch.ones(60, dtype=torch.float64), torch.ones(92, dtype=torch.float64))
            model(x, mu, 0)
        as_they_are = error(net.tile_pass((moved, mu, 0), ImageGroupNorm(apply=exact.statistics())), moved)
        refined_net = TiledModel(model, 24, 8, norm_passes=3, norm_refine=1, norm_tolerance=0)
        refined_net(x, mu, 0)
        refined = error(refined_net(moved, mu, 0), moved)
        assert carried < own / 3 and carried < as_they_are / 3 and refined < carried / 1.5  # (b)
        def fresh(mu):
            return TiledModel(model, 24, 8, norm_passes=3, norm_refine=0)(moved, mu.clone(), 0)

        assert torch.equal(net(moved, mu.clone(), 0), fresh(mu))  # (c) another tensor
        net(moved, mu, 0)
        mu.add_(0.01)
        assert torch.equal(net(moved, mu, 0), fresh(mu))  # (c) changed in place
        net(x, mu, 0)
        net.reset()
        assert torch.equal(net(moved, mu, 0), fresh(mu))  # (c) forgotten


def test_prediction_pass_repeated_while_the_mismatch_exceeds_the_tolerance(monkeypatch):
    """When the inputs move (``x_t`` scaled by 0.7 after a first call), every repeat of the prediction pass shrinks
    the mismatch and the error against the untiled output (measured on the three-layer pointwise network with up
    to 0, 1, 2, 3 repeats: error 0.16, 0.078, 0.0046, 1e-6; mismatch 0.071, 0.020, 0.0031); with a tolerance
    between the second and the third mismatch the pass is made three times, each time but the last above the
    tolerance. Mutations: never repeating; repeating to the limit regardless of the tolerance."""
    model = PointwiseNormNet()
    torch.manual_seed(2)
    x, mu = torch.rand(1, 3, 60, 92) * 2 - 1, torch.rand(1, 3, 60, 92) * 2 - 1
    moved = 0.7 * x
    seen = []
    measure = ImageGroupNorm.mismatch

    def recorded(self):
        seen.append(measure(self))
        return seen[-1]

    monkeypatch.setattr(ImageGroupNorm, "mismatch", recorded)
    with torch.no_grad():
        def run(refine, tolerance):
            net = TiledModel(model, 24, 8, norm_passes=1, norm_refine=refine, norm_tolerance=tolerance)
            net(x, mu, 0)
            seen.clear()
            return float((net(moved, mu, 0) - model(moved, mu, 0)).abs().max()), list(seen)

        errors, mismatches = zip(*(run(refine, 0.0) for refine in range(4)))
        mismatches = mismatches[-1]
        assert all(b < a / 2 for a, b in zip(mismatches, mismatches[1:]))
        assert all(b < a for a, b in zip(errors, errors[1:]))
        tolerance = (mismatches[1] + mismatches[2]) / 2
        _, made = run(3, tolerance)
        assert len(made) == 3 and min(made[:-1]) > tolerance >= made[-1]


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_every_sampler_runs_tiled_unchanged(photo, sampler):
    """Every sampler takes the tiled network as it is; progress advances once per tile and network call."""
    _, mu = photo
    path, model = bridges.make("rdbm"), LocalNet().eval()
    kwargs = {"eta": 1.0} if sampler == "implicit" else {}

    class Count:
        n = 0

        def update(self, k):
            self.n += k

    count = Count()
    net = TiledModel(model, 64, 16, progress=count)
    ts = path.schedule.sampling_times(4)
    out = SAMPLERS[sampler](net, mu, path, ts, generator=torch.Generator().manual_seed(0), **kwargs)
    ref = SAMPLERS[sampler](model, mu, path, ts, generator=torch.Generator().manual_seed(0), **kwargs)
    assert psnr(out[0], ref[0]) >= 40
    assert count.n == len(net.tiles(*mu.shape[-2:])) * network_evaluations(path, sampler, 4, kwargs.get("eta"))


def test_sampler_memory_does_not_grow_with_the_steps(photo):
    """A sampler keeps no intermediate state unless asked for the trajectory, so the peak of live tensors is
    the same for 2 and 10 steps. Mutation: appending every state to the trajectory lists regardless
    (as before) adds two image-sized tensors per step."""
    _, mu = photo
    path, model = bridges.make("rdbm"), LocalNet().eval()
    peaks = []
    for steps in (2, 10):
        with torch.no_grad(), LiveTensorBytes() as counter:
            SAMPLERS["implicit"](model, mu, path, path.schedule.sampling_times(steps))
        peaks.append(counter.peak)
    assert peaks[1] <= peaks[0] + mu.numel()  # a few bytes of coefficients may differ, no image-sized tensor


def test_network_evaluations_counts_the_calls():
    """Heun evaluates the network twice on every interior step. Mutation: counting steps instead of calls."""
    path = bridges.make("rdbm")
    assert network_evaluations(path, "implicit", 10) == 10
    assert network_evaluations(path, "heun", 10) == 10 + 8  # first (terminal) and last (clean) steps: one call


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
    (["--sampler", "heun", "--eta", "0.5"], "--eta does not apply to the sampler 'heun' (it takes no options)"),
    (["--sampler", "heun", "--eta", "0"], "--eta does not apply to the sampler 'heun'"),
    (["--sampler", "implicit", "--order", "2"], "--order does not apply to the sampler 'implicit' (its options: --eta)"),
    (["--sampler", "euler", "--corrector"], "--corrector does not apply to the sampler 'euler'"),
    (["--sampler", "dbim", "--order", "4"], "--sampler dbim: order must be 1, 2 or 3, got 4"),
    (["--sampler", "exact-sde", "--eta", "0"], "--sampler exact-sde: the stochastic sampler needs eta > 0"),
    (["--tile-norm-passes", "-1"], "--tile-norm-passes must be >= 0"),
    (["--tile-norm-refine", "-2"], "--tile-norm-refine must be >= 0"),
    (["--tile-norm-tolerance", "nan"], "--tile-norm-tolerance must be a number >= 0"),
    (["--eta", "2"], "--eta must be in [0, 1]"),
    (["--steps", "0"], "--steps must be >= 1"),
    (["--device", "nonsense"], "unknown --device"),
])
def test_restore_bad_options_are_one_line_with_exit_code_2(tiny_checkpoint, tmp_path, capsys, args, message):
    """Each bad option ends with one line naming it, exit code 2, and nothing written."""
    save_image(torch.zeros(3, 16, 16), tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    assert main(["restore", "--checkpoint", tiny_checkpoint, "--input", str(tmp_path / "in"),
                 "--output", str(out), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_cuda_device_without_cuda_is_a_clear_error(tiny_checkpoint, tmp_path, capsys):
    save_image(torch.zeros(3, 16, 16), tmp_path / "a.png")
    assert main(["evaluate", "--checkpoint", tiny_checkpoint, "--task", "derain", "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_small_images_are_restored_without_probing_the_network():
    """An image no larger than ``DEFAULTS.untiled_side`` squared is never tiled, and choosing that costs no
    network call (the memory probe would add one, which counts as an evaluation in notebook 08's NFE table).
    Mutation: probing the memory for every image adds calls and fails here."""
    calls = []

    def net(x_t, mu, t):
        calls.append(tuple(x_t.shape))
        return mu

    path = bridges.rdbm()
    out = restore(net, path, torch.zeros(1, 3, 8, 8), steps=5)
    assert out.shape == (1, 3, 8, 8)
    assert calls == [(1, 3, 8, 8)] * 5


def test_a_network_with_global_attention_is_never_tiled():
    """Self-attention spans the whole feature map, so its tiles would not compute the image's output: an explicit
    tile smaller than the image is one clear error, the automatic choice keeps it whole, and a network without it
    is tiled as before. Mutation that fails: no check (the attention network is tiled silently)."""
    from rdbm_core.restoration.tiling import TiledModel, tiled
    from rdbm_core.networks.unet import UNet
    attention = UNet(base=8, mults=(1, 2), blocks=1, attn=True).eval()
    plain = UNet(base=8, mults=(1, 2), blocks=1, attn=False).eval()
    with pytest.raises(ValueError, match="--tile 32 is smaller than the 64x48 image: restore it untiled"):
        tiled(attention, (1, 3, 48, 64), tile=32, overlap=8)
    assert tiled(attention, (1, 3, 48, 64)) is attention and tiled(attention, (1, 3, 48, 64), tile=0) is attention
    assert tiled(attention, (1, 3, 48, 64), tile=64) is attention  # one tile holds it: untiled
    assert isinstance(tiled(plain, (1, 3, 48, 64), tile=32, overlap=8), TiledModel)
