"""Exercises of notebook 06 (training a full RDBM).

06.1 implement the RDBM training loss of one batch, for given times and noise.
06.2 implement PSNR on a region (the degraded or the intact pixels).
06.3 derive   the whole-image PSNR from the two regions' PSNRs and the degraded fraction.
"""
from __future__ import annotations

import math

import torch

from ._base import call_student, correct, exercise, tensor_answer, wrong


def _batch(seed: int = 0):
    """A small (x0, mu) batch with intact pixels, times on the grid and fixed noise."""
    from rdbm_core import bridges

    g = torch.Generator().manual_seed(seed)
    x0 = torch.rand(3, 3, 8, 8, generator=g) * 2 - 1
    mu = x0.clone()
    mu[:, :, :4] = (mu[:, :, :4] + 0.5 * torch.randn(3, 3, 4, 8, generator=g)).clamp(-1, 1)  # top half degraded
    path = bridges.rdbm()
    t = torch.tensor([10, 50, 90])
    eps = torch.randn(x0.shape, generator=g)
    return path, x0, mu, t, eps


def _toy_model(x_t, mu, t):
    """A fixed 'network': deterministic, depends on all three inputs."""
    return 0.6 * x_t + 0.3 * mu + 1e-3 * t.to(x_t).reshape(-1, 1, 1, 1)


def _reference_loss(path, x0, mu, t, eps, noise="modulated", norm="l1", target="x0"):
    p = path.with_noise(noise)
    x_t = p.sample(x0, mu, t, noise=eps)
    err = _toy_model(x_t, mu, t) - (x0 if target == "x0" else eps)
    return (err.abs() if norm == "l1" else err ** 2).mean()


@exercise("06.1", "The RDBM training loss", "implement")
def check_loss(answer):
    path, x0, mu, t, eps = _batch()
    got, failure = call_student(answer, _toy_model, x0, mu, path, t, eps,
                                name="rdbm_loss(model, x0, mu, path, t, eps)")
    if failure is not None:
        return failure
    try:
        value = float(torch.as_tensor(got).reshape(()))
    except Exception:
        return wrong(f"the loss should be one number (a 0-d tensor), got {getattr(got, 'shape', type(got).__name__)}.",
                     "average the per-pixel errors over the whole batch: `.mean()`.")
    if abs(value - float(_reference_loss(path, x0, mu, t, eps))) <= 1e-6:
        return correct("that is the loss the trainer minimises (rdbm_core.losses.bridge_loss).")
    confusions = (
        (dict(noise="global"), "your noise is not modulated: in RDBM it is Sigma_t * (x0 - mu) * eps, so it vanishes "
                               "where the residual does."),
        (dict(norm="l2"), "you squared the error: the reference RDBM uses an L1 loss (mean absolute error)."),
        (dict(target="eps"), "you compared the prediction with the noise: RDBM's network predicts x0."),
    )
    for kwargs, hint in confusions:
        if abs(value - float(_reference_loss(path, x0, mu, t, eps, **kwargs))) <= 1e-6:
            return wrong("this is not the RDBM loss.", hint)
    return wrong("this is not the RDBM loss.",
                 "build x_t = mu + Theta_t (x0 - mu) + Sigma_t (x0 - mu) eps with path.coefficients(t) "
                 "(reshape the [B] coefficients to [B, 1, 1, 1]), call model(x_t, mu, t), compare with x0.")


def _images(seed):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(3, 16, 16, generator=g) * 2 - 1
    pred = (target + 0.1 * torch.randn(3, 16, 16, generator=g)).clamp(-1, 1)
    mask = torch.zeros(1, 16, 16, dtype=torch.bool)
    mask[:, 3:9, 2:12] = True
    pred[:, ~mask[0]] = (target[:, ~mask[0]] + 0.01 * torch.randn(3, int((~mask).sum()), generator=g)).clamp(-1, 1)
    return pred, target, mask


@exercise("06.2", "PSNR on a region", "implement")
def check_region_psnr(answer):
    from rdbm_core.metrics import psnr

    got, want = [], []
    for seed in range(3):
        pred, target, mask = _images(seed)
        for region in (mask, ~mask):
            value, failure = call_student(answer, pred, target, region, name="psnr_region(pred, target, mask)")
            if failure is not None:
                return failure
            got.append(value)
            want.append(psnr(pred, target, region))
    try:
        got_t = torch.tensor([float(v) for v in got], dtype=torch.float64)
    except (TypeError, ValueError):
        return wrong("psnr_region should return one number (in dB) per call.", "return `float(...)`.")
    want_t = torch.tensor(want, dtype=torch.float64)
    offsets = got_t - want_t
    if torch.allclose(offsets, torch.full_like(offsets, -20 * math.log10(2)), atol=1e-3):
        return wrong("your values are all 6.02 dB too low.",
                     "the images live in [-1, 1]; PSNR is computed on [0, 1] images (peak 1): map x to (x + 1) / 2 "
                     "first, or equivalently use a peak of 2.")
    if torch.allclose(offsets, torch.full_like(offsets, 20 * math.log10(2)), atol=1e-3):
        return wrong("your values are all 6.02 dB too high.", "the peak is the range of the [0, 1] image: 1, not 2.")
    return tensor_answer(got_t, want_t, what="PSNR on the masked pixels", rtol=1e-6, atol=1e-6,
                         index_name="call",
                         hint="take the mean squared error over the masked pixels only (all channels), then "
                              "10 log10(1 / MSE) on [0, 1] images; calls alternate degraded / intact regions.")


@exercise("06.3", "Whole-image PSNR from the regions", "derive")
def check_whole_from_regions(answer):
    cases = [(15.0, 38.0, 0.2), (25.0, 45.0, 0.05), (20.0, 20.0, 0.5), (12.0, 60.0, 0.9)]
    got = []
    for pd, pi, f in cases:
        value, failure = call_student(answer, pd, pi, f, name="whole_psnr(psnr_degraded, psnr_intact, fraction)")
        if failure is not None:
            return failure
        got.append(float(value))
    want = [-10 * math.log10(f * 10 ** (-pd / 10) + (1 - f) * 10 ** (-pi / 10)) for pd, pi, f in cases]
    linear = [f * pd + (1 - f) * pi for pd, pi, f in cases]
    if all(abs(g - w) < 1e-6 for g, w in zip(got, want)):
        return correct("PSNR is a log of the mean squared error, so the regions mix through their MSEs: the "
                       "worst region dominates.")
    if all(abs(g - w) < 1e-6 for g, w in zip(got, linear)):
        return wrong("you averaged the PSNRs (in dB) by area.",
                     "PSNR is logarithmic: what is averaged over pixels is the squared error. Convert each "
                     "region's PSNR to an MSE, average those by area, convert back.")
    return tensor_answer(torch.tensor(got), torch.tensor(want), what="the whole-image PSNR", rtol=1e-6, atol=1e-6,
                         index_name="case",
                         hint="MSE = 10^(-PSNR/10) on [0, 1] images; the whole-image MSE is the area-weighted "
                              "mean of the regions' MSEs.")
