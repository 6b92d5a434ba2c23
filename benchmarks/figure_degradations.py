"""Draw docs/degradations.png: a clean test photograph, its 7 synthetic degradations and their masks.

Top row: the clean image, then the degraded image of every task of
``rdbm_core.data.degradations.TASKS``; bottom row: the mask of degraded pixels (white) with the
fraction of the image it covers.  The figure is a deterministic function of the seed.

Usage: ``python benchmarks/figure_degradations.py [--image coffee] [--seed 0] [--out docs/degradations.png]``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from rdbm_core.data.embedded import TEST_IMAGES, embedded_image_names, embedded_images
from rdbm_core.data.images import image_to_tensor, tensor_to_image  # noqa: E402
from rdbm_core.data.degradations import TASKS, degrade  # noqa: E402


def main() -> None:
    """Parse the arguments, degrade the image with every task and save the figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="chelsea", choices=TEST_IMAGES, help="embedded test image")
    parser.add_argument("--seed", type=int, default=0, help="seed of every degradation")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "degradations.png")
    args = parser.parse_args()

    image = embedded_images("test")[embedded_image_names("test").index(args.image)]
    x0 = image_to_tensor(image)
    h, w = image.shape[:2]
    dpi = 110
    panel = 3.2  # inches per panel: 352 px, close to the native width of the test images
    fig, axes = plt.subplots(2, len(TASKS) + 1, figsize=(panel * (len(TASKS) + 1), 2 * panel * h / w + 0.9))
    axes[0, 0].imshow(image)
    axes[0, 0].set_title(f"clean ({args.image}, {h}x{w})")
    axes[1, 0].axis("off")
    for col, task in enumerate(TASKS, start=1):
        _, mu, mask = degrade(x0, task, seed=args.seed)
        axes[0, col].imshow(tensor_to_image(mu))
        axes[0, col].set_title(task)
        axes[1, col].imshow(mask[0].numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[1, col].set_title(f"mask: {mask.float().mean():.0%} of pixels")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"Synthetic degradations (seed {args.seed}); bottom row: degraded pixels in white")
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=dpi)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
