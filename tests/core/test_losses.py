"""The training loss: exact values for known predictors and the ill-posed noise target."""
import pytest
import torch

from rdbm_core.bridge import bridges
from rdbm_core.bridge.path import append_dims
from rdbm_core.bridge.losses import bridge_loss


def _pair():
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(8, 3, 8, 8, generator=g) * 2 - 1
    mu = x0 * 0.5
    return x0, mu


def test_x0_loss_values():
    path = bridges.rdbm()
    x0, mu = _pair()
    assert bridge_loss(lambda x, m, t: x0, x0, mu, path) == 0
    zero = lambda x, m, t: torch.zeros_like(x)
    assert bridge_loss(zero, x0, mu, path) == pytest.approx(float(x0.abs().mean()), rel=1e-6)
    assert bridge_loss(zero, x0, mu, path, norm="l2") == pytest.approx(float((x0 ** 2).mean()), rel=1e-6)


def test_times_passed_to_the_model_cover_the_training_range():
    path = bridges.rdbm()
    x0, mu = _pair()
    seen = []
    model = lambda x, m, t: (seen.append(t), x0)[1]
    for i in range(50):
        bridge_loss(model, x0, mu, path, generator=torch.Generator().manual_seed(i))
    t = torch.cat(seen)
    assert t.dtype == torch.float32 and t.min() == 0 and t.max() == 99  # indices 0..N-1, as the reference


def test_noise_target():
    x0, mu = _pair()
    with pytest.raises(ValueError, match="ill-posed under residual modulation"):
        bridge_loss(lambda x, m, t: x, x0, mu, bridges.rdbm(), objective="noise")
    path = bridges.goub()
    g = torch.Generator().manual_seed(0)
    t = path.schedule.sample_train_times(8, generator=g)
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(1))
    x_t = path.sample(x0, mu, t, noise=eps)
    oracle = lambda x, m, tt: (x - path.mean(x0, mu, t)) / append_dims(path.coefficients(t)[2], x)
    assert torch.allclose(oracle(x_t, mu, t), eps, atol=1e-4)
    assert bridge_loss(oracle, x0, mu, path, objective="noise", t=t,
                       generator=torch.Generator().manual_seed(1)) < 1e-4


def test_bad_arguments():
    x0, mu = _pair()
    model = lambda x, m, t: x
    with pytest.raises(ValueError, match="objective"):
        bridge_loss(model, x0, mu, bridges.rdbm(), objective="v")
    with pytest.raises(ValueError, match="norm"):
        bridge_loss(model, x0, mu, bridges.rdbm(), norm="huber")
    with pytest.raises(ValueError, match="same shape"):
        bridge_loss(model, x0, mu[:4], bridges.rdbm())
