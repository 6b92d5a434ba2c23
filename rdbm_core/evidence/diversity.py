"""Several draws of a stochastic sampler per item: their quality, their spread and its calibration.

A bridge sampler with noise (the implicit sampler with ``eta > 0``, Euler-Maruyama, the exact-solution SDE
sampler) draws from an estimate of the posterior ``p(x0 | mu)``.  With ``K`` draws ``X_1..X_K`` of one item
(:func:`rdbm_core.restoration.evaluation.evaluate` with ``draws=K``, each draw from its own generator, :func:`draw_generator`)
and its truth ``x``, :func:`draw_metrics` reports, per pixel value (every pixel and channel, in ``[0, 1]`` units):

* ``psnr_draws`` -- the mean over draws of each draw's PSNR; ``psnr_mean_of_draws`` -- the PSNR of the draws'
  mean ``X_bar`` (an estimate of the posterior mean, the MSE-optimal restoration); with the perceptual distance,
  ``lpips_st_draws`` and ``lpips_st_mean_of_draws`` likewise (:mod:`rdbm_core.evidence.perceptual`);
* ``spread`` -- the mean over pixel values of ``S``, the standard deviation of the draws (``K - 1`` in the
  denominator);
* ``coverage_2sd`` -- the fraction of pixel values with ``|X_bar - x| <= 2 S``;
* ``spread_error_corr`` -- the Pearson correlation of ``S`` and ``|X_bar - x|`` over pixel values (does the
  spread point at the errors?); ``nan`` when either is constant.

Calibration.  If the draws are exact posterior samples, the truth is one more posterior sample, independent of
them.  Where the posterior of a pixel value is Gaussian with variance ``s^2``, ``X_bar - x ~ N(0, s^2 (1 +
1/K))`` and ``(K - 1) S^2 / s^2 ~ chi^2_{K-1}``, independent of it, so ``(X_bar - x) / (S sqrt(1 + 1/K))``
follows Student's t with ``K - 1`` degrees of freedom and the expected coverage is (:func:`nominal_coverage`)::

    P(|X_bar - x| <= z S) = 2 F_{t, K-1}(z / sqrt(1 + 1/K)) - 1

(0.650 for ``K = 2``, 0.828 for ``K = 4``, 0.929 for ``K = 16``; 0.9545 as ``K -> inf``).  Below it the draws
are over-confident (too little spread for their errors), above it under-confident.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

from rdbm_core.evidence.metrics import DRAW_KEYS, psnr

__all__ = ["draw_seed", "draw_generator", "is_stochastic", "check_draws", "nominal_coverage", "draw_metrics",
           "draw_keys", "STOCHASTIC_SAMPLERS"]

#: Samplers that draw noise at every step whatever their options; ``implicit`` does when ``eta > 0``.  The other
#: samplers are deterministic (on a pinned bridge, whose start ``x_T = mu`` has no noise).
STOCHASTIC_SAMPLERS = ("euler-maruyama", "exact-sde")


def draw_seed(seed: int, item: int, draw: int) -> int:
    """The seed of draw ``draw`` of item ``item`` of an evaluation with ``seed``: a 63-bit integer from
    ``numpy.random.SeedSequence([seed, item, draw])`` (distinct triples give independent streams)."""
    for name, v in (("seed", seed), ("item", item), ("draw", draw)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a non-negative int, got {v!r}")
    lo, hi = np.random.SeedSequence([int(seed), int(item), int(draw)]).generate_state(2, np.uint32)
    return (int(hi) << 32 | int(lo)) & (2 ** 63 - 1)


def draw_generator(seed: int, item: int, draw: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A generator on ``device`` seeded with :func:`draw_seed`: draw ``k`` of an item is the same whatever the
    number of draws and the other items."""
    return torch.Generator(device=device).manual_seed(draw_seed(seed, item, draw))


def is_stochastic(path, sampler: str, options: dict | None = None) -> bool:
    """Whether restoring with ``path`` (``None``: the regression network) and ``SAMPLERS[sampler]`` with its
    keyword arguments ``options`` draws noise: a sampler of :data:`STOCHASTIC_SAMPLERS` or ``implicit`` with
    ``eta > 0``, or any sampler on an unpinned process (its start ``x_T`` is random); never with ``lam = 0``."""
    if path is None or path.lam == 0:
        return False
    eta = (options or {}).get("eta", 0.0)
    return not path.pinned or sampler in STOCHASTIC_SAMPLERS or (sampler == "implicit" and eta > 0)


def check_draws(draws: int, path, sampler: str, options: dict | None = None) -> None:
    """``ValueError`` (one line naming the flag) unless ``draws`` draws per item make sense: an int >= 2 (a
    spread needs two) and a sampler that draws noise (:func:`is_stochastic`)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise ValueError(f"--draws must be an integer >= 2 (the spread of the draws needs two), got {draws!r}")
    if path is None:
        raise ValueError("--draws does not apply: the checkpoint is the one-pass regression network, which is "
                         "deterministic")
    if not is_stochastic(path, sampler, options):
        why = "its noise variance lam is 0" if path.lam == 0 else f"--sampler {sampler}" + (
            " with --eta 0" if sampler == "implicit" else "") + " is deterministic"
        raise ValueError(f"--draws needs a sampler that draws noise (implicit with --eta > 0, "
                         f"{' or '.join(STOCHASTIC_SAMPLERS)}): {why}")


def nominal_coverage(draws: int, z: float = 2.0) -> float:
    """The expected ``coverage_2sd`` (``z = 2``) of exact posterior draws with a Gaussian posterior:
    ``2 F_{t, K-1}(z / sqrt(1 + 1/K)) - 1`` for ``K = draws`` (see the module docstring)."""
    if draws < 2:
        raise ValueError(f"the coverage needs at least 2 draws, got {draws}")
    return float(2 * stats.t.cdf(z / math.sqrt(1 + 1 / draws), df=draws - 1) - 1)


def draw_keys(perceptual: bool = False) -> tuple[str, ...]:
    """The keys of :func:`draw_metrics` (with or without the perceptual ones), in the order of ``DRAW_KEYS``."""
    return tuple(k for k in DRAW_KEYS if perceptual or not k.startswith("lpips"))


def draw_metrics(draws: torch.Tensor, target: torch.Tensor, perceptual: bool = False) -> dict[str, float]:
    """The metrics of ``K`` draws ``[K, C, H, W]`` of one item against its truth ``target`` ``[C, H, W]`` (both in
    ``[-1, 1]``): the keys of :func:`draw_keys` (module docstring).  ``perceptual`` adds the ST-LPIPS ones
    (:class:`rdbm_core.evidence.perceptual.PerceptualUnavailable` without the weights)."""
    if draws.ndim != 4 or draws.shape[0] < 2 or draws.shape[1:] != target.shape:
        raise ValueError(f"draws must be [K >= 2, C, H, W] like the target {tuple(target.shape)}, "
                         f"got {tuple(draws.shape)}")
    x = ((draws.detach().to("cpu", torch.float64) + 1) / 2).clamp(0, 1)
    y = ((target.detach().to("cpu", torch.float64) + 1) / 2).clamp(0, 1)
    mean = x.mean(0)
    spread = x.std(0, correction=1)
    error = (mean - y).abs()
    out = {"psnr_draws": float(np.mean([psnr(d, target) for d in draws])),
           "psnr_mean_of_draws": psnr(mean * 2 - 1, target),
           "spread": float(spread.mean()),
           "coverage_2sd": float((error <= 2 * spread).double().mean()),
           "spread_error_corr": _correlation(spread.flatten(), error.flatten())}
    if perceptual:
        from rdbm_core.evidence.perceptual import lpips_st
        d = lpips_st(torch.cat([draws, (mean * 2 - 1)[None].to(draws)]), target)
        out.update(lpips_st_draws=float(d[:-1].mean()), lpips_st_mean_of_draws=float(d[-1]))
    return {k: out[k] for k in draw_keys(perceptual)}


def _correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of two float64 vectors; ``nan`` when either is constant."""
    a, b = a - a.mean(), b - b.mean()
    den = float(a.norm() * b.norm())
    return float((a * b).sum()) / den if den > 0 else float("nan")
