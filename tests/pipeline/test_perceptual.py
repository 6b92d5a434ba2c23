"""ST-LPIPS (rdbm_core.evidence.perceptual): the network written here against values of the wheel's own implementation,
its behaviour on blur and noise, and the one line without the weights.

The pinned values were computed by the reference implementation (stlpips_pytorch.stlpips.LPIPS(net="alex",
variant="shift_tolerant"), run once outside the project with its torchvision import stubbed); this module's
network agreed with it to 2e-7 on these pairs and to 1e-7 on eight others (benchmark items, a 1-pixel shift,
noise, 48x80 and 256x200 images).
"""
import pytest
import torch
from quality_images import blur, noisy, photo

from rdbm_core.evidence import perceptual
from rdbm_core.cli import main
from rdbm_core.evidence.perceptual import MIN_SIZE, PerceptualUnavailable, lpips_st

needs_weights = pytest.mark.skipif(not perceptual.available(), reason='needs the extra: pip install -e ".[perceptual]"')

#: (pred, target, the reference implementation's distance)
PINNED = [(lambda: photo("chelsea", 64, 64), lambda: photo("coffee", 64, 64), 0.4601905),
          (lambda: blur(photo("astronaut", 64, 64), 1.5), lambda: photo("astronaut", 64, 64), 0.0358042)]


@needs_weights
@pytest.mark.parametrize("pred, target, expected", PINNED)
def test_values_of_the_reference_implementation(pred, target, expected):
    assert lpips_st(pred(), target()) == pytest.approx(expected, abs=1e-4)


@needs_weights
def test_identical_images_are_at_distance_zero():
    for x in (photo("coffee"), photo("rocket", 0, 128, size=MIN_SIZE), -torch.ones(3, 40, 33)):
        assert lpips_st(x, x) == 0.0


@needs_weights
def test_grows_with_blur_and_with_noise():
    x = photo("chelsea", 64, 64)
    by_blur = [lpips_st(blur(x, s), x) for s in (0.5, 1.0, 1.5, 2.0, 3.0)]
    by_noise = [lpips_st(noisy(x, s), x) for s in (0.02, 0.05, 0.1, 0.2, 0.4)]
    assert all(a < b for a, b in zip(by_blur, by_blur[1:])), by_blur
    assert all(a < b for a, b in zip(by_noise, by_noise[1:])), by_noise
    assert by_blur[0] > 0 and by_noise[0] > 0


@needs_weights
def test_batches_broadcast_and_symmetry():
    x, y = photo("coffee", 64, 64), blur(photo("coffee", 64, 64), 1.0)
    z = noisy(x, 0.1)
    batch = lpips_st(torch.stack([y, z]), x)  # one target for both
    assert batch.shape == (2,)
    assert batch.tolist() == pytest.approx([lpips_st(y, x), lpips_st(z, x)], abs=1e-6)
    assert lpips_st(x, y) == pytest.approx(lpips_st(y, x), abs=1e-6)
    grey = x.mean(0, keepdim=True)
    assert lpips_st(grey, x.mean(0, keepdim=True).expand(3, -1, -1)) == pytest.approx(0, abs=1e-7)


@needs_weights
def test_bad_images_are_one_clear_error():
    with pytest.raises(ValueError, match="at least 21x21"):
        lpips_st(torch.zeros(3, 20, 64), torch.zeros(3, 20, 64))
    with pytest.raises(ValueError, match="C = 1 or 3"):
        lpips_st(torch.zeros(4, 32, 32), torch.zeros(4, 32, 32))
    with pytest.raises(ValueError, match="do not pair"):
        lpips_st(torch.zeros(2, 3, 32, 32), torch.zeros(3, 3, 32, 32))


@pytest.fixture
def without_weights(monkeypatch):
    """As if stlpips-pytorch were not installed (and no network loaded yet)."""
    def missing(name):
        raise perceptual.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(perceptual.metadata, "distribution", missing)
    perceptual.lpips_network.cache_clear()
    yield
    perceptual.lpips_network.cache_clear()


def test_without_the_extra_the_error_says_how_to_install(without_weights, tiny_checkpoint, capsys):
    assert not perceptual.available()
    with pytest.raises(PerceptualUnavailable, match=r'pip install -e "\.\[perceptual\]"'):
        lpips_st(torch.zeros(3, 32, 32), torch.zeros(3, 32, 32))
    with pytest.raises(ValueError):  # the command line's one-line errors
        perceptual.weights_path()
    assert main(["evaluate", "--checkpoint", tiny_checkpoint, "--task", "derain", "--images", "1",
                 "--perceptual"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.strip().endswith('pip install -e ".[perceptual]"'), err
