"""Time of ``metrics.image_metrics`` on one photograph against the two SSIM maps it needs.

    OMP_NUM_THREADS=1 python benchmarks/metrics_speed.py [--task derain] [--repeats 5]

The image is the held-out photograph *coffee* (400x600), degraded for ``--task`` as the
held-out benchmark degrades it (``HeldOutBenchmark(task, crop=None)``); the metrics are those
of the degraded input against the clean photograph, with ``degradations.degraded_mask``, as
:func:`rdbm_core.restoration.evaluation.evaluate` computes them.  The reference is the two bare SSIM maps
on arrays prepared beforehand: scikit-image's RGB SSIM (7x7 uniform window) and the luminance
SSIM (Gaussian window, ``metrics.SSIM_Y_SETTINGS``).  Median of ``--repeats`` runs each; the ratio is
image_metrics / SSIM maps.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.data.embedded import embedded_image_names  # noqa: E402
from rdbm_core.data.degradations import degraded_mask  # noqa: E402
from rdbm_core.evidence.metrics import SSIM_Y_SETTINGS, to_unit_hwc, image_metrics, luminance  # noqa: E402


def _median_time(fn, repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", default="derain")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    bench = HeldOutBenchmark(args.task, items=len(embedded_image_names("test")), crop=None)
    item = bench[embedded_image_names("test").index("coffee")]
    x0, mu = item["x0"], item["mu"]
    mask = degraded_mask(x0, mu)
    rgb_pred, rgb_target = to_unit_hwc(mu, "pred"), to_unit_hwc(x0, "target")
    y_pred, y_target = luminance(mu), luminance(x0)

    def maps():
        structural_similarity(rgb_target, rgb_pred, channel_axis=-1, data_range=1.0, full=True)
        structural_similarity(y_target, y_pred, full=True, **SSIM_Y_SETTINGS)

    t_metrics = _median_time(lambda: image_metrics(mu, x0, mask), args.repeats)
    t_maps = _median_time(maps, args.repeats)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {item['name']} "
          f"{tuple(x0.shape[1:])}, task {args.task}, {mask.float().mean().item():.0%} degraded; "
          f"median of {args.repeats}")
    print(f"image_metrics: {t_metrics:.3f} s; two SSIM maps: {t_maps:.3f} s; ratio {t_metrics / t_maps:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
