"""Images for the tests of the quality measures (perceptual, distribution, diversity): windows of scikit-image's
bundled photographs, blurred or noisy copies.  Tensors [3, H, W] in [-1, 1], float32."""
import numpy as np
import torch
from skimage import data
from skimage.filters import gaussian

#: (photograph, top, left) of the windows of :func:`windows`: 4 photographs, 4 windows each.
WINDOWS = [(name, top, left) for name in ("chelsea", "coffee", "astronaut", "rocket")
           for top, left in ((0, 0), (64, 64), (128, 0), (0, 128))]


def photo(name: str, top: int = 0, left: int = 0, size: int = 64) -> torch.Tensor:
    """A ``size x size`` window of a scikit-image photograph."""
    img = getattr(data, name)()[top:top + size, left:left + size] / 255.0
    return torch.from_numpy(img).permute(2, 0, 1).float() * 2 - 1


def windows(size: int = 64) -> tuple[torch.Tensor, list[str]]:
    """The windows of ``WINDOWS`` as [16, 3, size, size] and their benchmark names ``photo@top,left``."""
    return (torch.stack([photo(n, t, l, size) for n, t, l in WINDOWS]),
            [f"{n}@{t},{l}" for n, t, l in WINDOWS])


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur of [3, H, W] or [N, 3, H, W] (each image; reflected borders)."""
    if x.ndim == 4:
        return torch.stack([blur(i, sigma) for i in x])
    out = gaussian(x.permute(1, 2, 0).double().numpy(), sigma=sigma, channel_axis=-1, mode="reflect")
    return torch.from_numpy(np.ascontiguousarray(out)).permute(2, 0, 1).float()


def noisy(x: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    """``x`` plus Gaussian noise of ``std`` (in [-1, 1] units) from ``seed``, clamped to [-1, 1]."""
    return (x + std * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))).clamp(-1, 1)
