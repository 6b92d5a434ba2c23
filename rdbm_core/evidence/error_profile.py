"""Where the error goes: the error of the network's ``x0_hat`` against ``t``, on degraded and on intact pixels.

:func:`x0_error_by_time` draws ``x_t ~ q(x_t | x0, mu)`` from a path's marginal at each time of a grid,
asks the network for ``x0_hat`` and measures it against ``x0`` with the library's one definition of
the two regions, :func:`rdbm_core.data.degradations.degraded_mask` ``(x0, mu)``: the PSNR over the degraded
pixels (``psnr_degraded``) and over the others (``psnr_intact``), exactly as
:func:`rdbm_core.restoration.evaluation.evaluate` scores a restoration.

``marginal`` draws ``x_t`` from another path than the one the network was trained on (the same
bridge with the other noise factor, ``path.with_noise(...)``): the error of a network trained with
modulated noise on the global marginal, and the reverse.  That separates what the network learned
from the inputs it is shown.  The rows carry ``task, method, seed, item`` beside the metrics, so
:func:`rdbm_core.evidence.stats.paired_difference` compares two networks at one ``t`` directly.
"""
from __future__ import annotations

import torch

from rdbm_core.data.degradations import degraded_mask
from rdbm_core.evidence.metrics import psnr
from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge.samplers import Denoiser

__all__ = ["x0_error_by_time", "REGION_METRICS"]

#: the metrics of :func:`x0_error_by_time`, named as in :data:`rdbm_core.evidence.metrics.METRIC_KEYS`
REGION_METRICS = ("psnr_degraded", "psnr_intact")


@torch.no_grad()
def x0_error_by_time(model, path: ResidualPath, x0: torch.Tensor, mu: torch.Tensor, times,
                     *, marginal: ResidualPath | None = None, generator: torch.Generator | None = None,
                     chunk: int = 64) -> list[dict]:
    """PSNR of ``x0_hat(x_t, t)`` on degraded and on intact pixels, per item and time.

    ``model`` is the trained network (``model(x_t, mu, t)``, its ``parameterization`` as it carries it),
    ``path`` the bridge it was trained on (it converts a noise prediction), ``x0, mu`` [N, 3, H, W] in
    [-1, 1] (their degraded pixels those of ``degraded_mask(x0, mu)``), ``times`` the grid times (e.g.
    ``path.schedule.sampling_times(10)[:-1]``: the times at which a sampler calls the network).
    ``x_t`` is drawn from ``marginal`` (default ``path``) with ``generator``.  Returns one dict per
    (time, item): ``{"t", "item", "psnr_degraded", "psnr_intact"}`` (``nan`` for an empty region).
    """
    if x0.shape != mu.shape or x0.ndim != 4:
        raise ValueError(f"expected x0 and mu [N, 3, H, W] of one shape, got {tuple(x0.shape)} and {tuple(mu.shape)}")
    mask = degraded_mask(x0, mu)
    marginal = path if marginal is None else marginal
    denoiser = Denoiser(model, parameterization=getattr(model, "parameterization", "x0"))
    rows = []
    for t in torch.as_tensor(times).tolist():
        for start in range(0, len(x0), chunk):
            sl = slice(start, start + chunk)
            x_t = marginal.sample(x0[sl], mu[sl], t, generator=generator)
            x0_hat = denoiser(x_t, mu[sl], path, t)
            for j in range(len(x_t)):
                m = mask[start + j].bool()
                rows.append({"t": t, "item": start + j,
                             "psnr_degraded": psnr(x0_hat[j], x0[start + j], m),
                             "psnr_intact": psnr(x0_hat[j], x0[start + j], ~m)})
    return rows
