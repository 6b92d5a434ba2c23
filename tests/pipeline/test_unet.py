"""Tests of rdbm_core.networks.unet: shapes for any H x W, exact pad/crop, conditioning, presets, training, errors."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rdbm_core.networks.unet import PRESETS, UNet, build_unet, count_parameters, sinusoidal_embedding


def _randomised(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give the zero-initialised parameters random values so every path reaches the output."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if torch.all(p == 0):
                p.copy_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def _inputs(b, h, w, c=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(b, c, h, w, generator=g) * 2 - 1
    mu = torch.rand(b, c, h, w, generator=g) * 2 - 1
    t = torch.rand(b, generator=g)
    return x, mu, t


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return _randomised(build_unet("tiny", time_scale=100.0))


@pytest.fixture(scope="module")
def deep():
    """A narrow 4-level net: padding to a multiple of 8 like the small/base presets, but cheap."""
    torch.manual_seed(0)
    return _randomised(UNet(base=8, mults=(1, 2, 2, 2), blocks=1, time_scale=100.0))


def test_fresh_model_outputs_zero():
    torch.manual_seed(0)
    model = build_unet("tiny")
    x, mu, t = _inputs(2, 16, 16)
    assert torch.equal(model(x, mu, t), torch.zeros_like(x))


@pytest.mark.parametrize("hw", [(1, 1), (2, 3), (5, 7), (17, 23), (33, 65), (32, 32)])
def test_output_shape_any_size(deep, hw):
    x, mu, t = _inputs(2, *hw)
    with torch.no_grad():
        y = deep(x, mu, t)
    assert y.shape == x.shape
    assert torch.isfinite(y).all()


@pytest.mark.parametrize(
    "hw, mode",
    [((33, 65), "reflect"), ((5, 7), "reflect"), ((2, 3), "replicate"), ((1, 1), "replicate")],
)
def test_padding_and_cropping_are_exact(deep, hw, mode):
    """model(x) on any size == model on the input padded to a multiple of 8, cropped back."""
    assert deep.multiple == 8
    h, w = hw
    x, mu, t = _inputs(2, h, w)
    pad = (0, -w % 8, 0, -h % 8)
    with torch.no_grad():
        y = deep(x, mu, t)
        y_ref = deep(F.pad(x, pad, mode=mode), F.pad(mu, pad, mode=mode), t)
    assert y_ref.shape[-2] % 8 == 0 and y_ref.shape[-1] % 8 == 0
    torch.testing.assert_close(y, y_ref[..., :h, :w], rtol=0, atol=1e-6)


def test_shifted_and_constant_content_stay_finite(tiny):
    x, mu, t = _inputs(2, 17, 23)
    with torch.no_grad():
        shifted = tiny(torch.roll(x, (3, 5), (2, 3)), torch.roll(mu, (3, 5), (2, 3)), t)
        const = tiny(torch.full_like(x, 0.3), torch.full_like(mu, -0.7), t)
    assert torch.isfinite(shifted).all() and torch.isfinite(const).all()


def test_time_conditioning_changes_output_per_sample(tiny):
    x, mu, t = _inputs(2, 16, 16)
    t2 = t.clone()
    t2[1] += 0.5
    with torch.no_grad():
        y, y2 = tiny(x, mu, t), tiny(x, mu, t2)
    assert (y[1] - y2[1]).abs().max() > 1e-3  # sample 1's time moved its output
    torch.testing.assert_close(y[0], y2[0], rtol=0, atol=1e-6)  # sample 0 untouched


def test_mu_changes_output(tiny):
    x, mu, t = _inputs(2, 16, 16)
    with torch.no_grad():
        delta = (tiny(x, mu, t) - tiny(x, -mu, t)).abs().max()
    assert delta > 1e-3


def test_batch_elements_are_independent(tiny):
    x, mu, t = _inputs(3, 12, 20)
    with torch.no_grad():
        torch.testing.assert_close(tiny(x, mu, t)[1:2], tiny(x[1:2], mu[1:2], t[1:2]), rtol=1e-5, atol=1e-6)


def test_time_scale_multiplies_t_and_scalar_t_broadcasts():
    torch.manual_seed(0)
    a = _randomised(UNet(base=8, mults=(1, 2), time_scale=1.0))
    b = UNet(base=8, mults=(1, 2), time_scale=50.0).eval()
    b.load_state_dict(a.state_dict())
    x, mu, _ = _inputs(2, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(a(x, mu, torch.tensor([50.0, 50.0])), b(x, mu, 1.0), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(a(x, mu, torch.tensor([7, 7])), a(x, mu, torch.tensor(7.0)))


def test_sinusoidal_embedding_values():
    t = torch.tensor([0.0, 2.0])
    e = sinusoidal_embedding(t, 8)  # frequencies 10000 ** (-k / 4), k = 0..3
    assert e.shape == (2, 8)
    torch.testing.assert_close(e[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert torch.isclose(e[1, 0], torch.sin(torch.tensor(2.0))) and torch.isclose(e[1, 4], torch.cos(torch.tensor(2.0)))
    assert sinusoidal_embedding(t, 7).shape == (2, 7)


def test_preset_parameter_counts_in_documented_ranges():
    ranges = {"tiny": (1e4, 1e5), "small": (5e5, 2e6), "base": (1e7, 4e7)}
    assert set(PRESETS) == set(ranges)
    for name, (lo, hi) in ranges.items():
        n = count_parameters(build_unet(name))
        assert lo <= n <= hi, (name, n)


def test_base_preset_has_attention_and_runs():
    torch.manual_seed(0)
    model = build_unet("base").eval()
    assert model.multiple == 8 and type(model.mid_attn).__name__ == "SelfAttention"
    x, mu, t = _inputs(1, 9, 11)
    with torch.no_grad():
        assert model(x, mu, t).shape == x.shape
    assert type(build_unet("small").mid_attn) is nn.Identity


def test_count_parameters_skips_frozen():
    model = build_unet("tiny")
    total = count_parameters(model)
    model.inp.weight.requires_grad_(False)
    assert count_parameters(model) == total - model.inp.weight.numel()


def test_one_adamw_step_lowers_loss_and_reaches_every_parameter():
    torch.manual_seed(0)
    model = build_unet("tiny", time_scale=100.0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x, mu, t = _inputs(4, 32, 32)
    target = 0.5 * mu - 0.25 * x

    def loss_fn():
        return (model(x, mu, t) - target).pow(2).mean()

    loss0 = loss_fn()
    opt.zero_grad()
    loss0.backward()
    assert all(p.grad is not None for p in model.parameters())
    opt.step()
    with torch.no_grad():
        assert loss_fn() < loss0.detach()


def test_bad_inputs_raise_value_errors(tiny):
    x, mu, t = _inputs(2, 8, 8)
    with pytest.raises(ValueError, match="x_t must be a 4-D tensor"):
        tiny(x[0], mu, t)
    with pytest.raises(ValueError, match="mu must be a 4-D tensor"):
        tiny(x, mu[0], t)
    with pytest.raises(ValueError, match="x_t has 1 channels, the model expects 3"):
        tiny(x[:, :1], mu[:, :1], t)
    with pytest.raises(ValueError, match="mu shape .* does not match x_t shape"):
        tiny(x, mu[..., :7], t)
    with pytest.raises(ValueError, match=r"t must have shape \[2\]"):
        tiny(x, mu, torch.rand(3))
    with pytest.raises(ValueError, match=r"t must have shape \[2\]"):
        tiny(x, mu, torch.rand(2, 1))
    with pytest.raises(ValueError, match="t must be a real number"):
        tiny(x, mu, "0.5")
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        build_unet("huge")
    with pytest.raises(ValueError, match="non-empty positive mults"):
        UNet(mults=())


# ----------------------------------------------------------------------------- normalisation without spatial statistics

def _fully_randomised(model, seed=0):
    """``model`` with every parameter drawn at random (a fresh U-Net outputs exactly zero)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return model.eval()


def test_pixel_norm_is_a_layer_norm_over_each_pixels_channels():
    """Against torch's layer norm applied to the channel vector of every pixel. Mutation that fails: the mean
    taken over all pixels and channels (a GroupNorm with one group)."""
    from rdbm_core.networks.unet import PixelNorm
    norm = PixelNorm(6)
    with torch.no_grad():
        norm.weight.copy_(torch.linspace(0.5, 2, 6))
        norm.bias.copy_(torch.linspace(-1, 1, 6))
    x = torch.randn(2, 6, 5, 7, generator=torch.Generator().manual_seed(1)) * 3 + 1
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (6,), norm.weight, norm.bias, eps=1e-5).permute(0, 3, 1, 2)
    assert torch.allclose(norm(x), ref, atol=1e-5)


@pytest.mark.parametrize("norm,local", [("pixel", True), ("group", False)])
def test_a_pixel_norm_unet_sees_only_its_receptive_field(norm, local):
    """The output inside a window, away from its borders, is the whole image's output there with PixelNorm (so
    tiles need no image statistics), and not with GroupNorm. Mutation that fails: PixelNorm with statistics
    over the pixels too."""
    net = _fully_randomised(build_unet("tiny", norm=norm))
    g = torch.Generator().manual_seed(2)
    x, mu = torch.randn(1, 3, 96, 96, generator=g), torch.randn(1, 3, 96, 96, generator=g)
    t = torch.tensor([300.0])
    with torch.no_grad():
        whole = net(x, mu, t)
        window = net(x[..., 16:80, 16:80], mu[..., 16:80, 16:80], t)
    inner = (window[..., 24:40, 24:40] - whole[..., 40:56, 40:56]).abs().max()
    assert (inner < 1e-4) == local, float(inner)


def test_unet_norm_is_a_config_field_and_old_configs_mean_group():
    from rdbm_core.networks.config import TrainConfig, make_model, make_path
    config = TrainConfig(preset="tiny", unet_norm="pixel")
    model = make_model(config, make_path(config))
    assert model.net.norm == "pixel" and not any(isinstance(m, torch.nn.GroupNorm) for m in model.modules())
    assert TrainConfig.from_dict({"preset": "tiny"}).unet_norm == "group"
    with pytest.raises(ValueError, match="unet_norm must be one of group, pixel"):
        TrainConfig(unet_norm="batch")
