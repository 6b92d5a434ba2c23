"""Training loss of the bridge family (docs/theory.md §9, eqs. 9.1-9.3).

The network sees ``(x_t, mu, t)`` with ``x_t ~ q(x_t | x0, mu)`` at a time drawn
uniformly from the schedule's training times.  The reference RDBM regresses
``x0`` with an L1 loss; the noise target is offered for global-noise bridges.
"""
from __future__ import annotations

import torch

from rdbm_core.bridge.path import ResidualPath

__all__ = ["bridge_loss"]


def bridge_loss(model, x0: torch.Tensor, mu: torch.Tensor, path: ResidualPath, objective: str = "x0",
                norm: str = "l1", t: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Mean loss over the batch: ``|| model(x_t, mu, t) - target ||`` with target ``x0`` or ``eps``.

    objective: ``"x0"`` (reference) or ``"noise"`` (global noise only).  With the noise
    target, samples whose ``Sigma_t = 0`` (endpoints, where ``eps`` is not identifiable)
    are left out of the average.
    norm: ``"l1"`` (reference) or ``"l2"``.
    """
    if objective not in ("x0", "noise"):
        raise ValueError(f"objective must be 'x0' or 'noise', got {objective!r}")
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be 'l1' or 'l2', got {norm!r}")
    if objective == "noise" and path.noise == "modulated":
        raise ValueError("the noise target is ill-posed under residual modulation: x_t - mu = (Theta_t + Sigma_t eps) pi, "
                         "so eps says nothing where pi = 0 and recovering x0 divides by Theta_t + Sigma_t eps; "
                         "use objective='x0' (the RDBM choice) or a global-noise bridge")
    batch = x0.shape[0]  # x0 and mu are checked by path.sample below
    if t is None:
        t = path.schedule.sample_train_times(batch, generator=generator)  # [B] on the host (see ResidualPath.batch_times)
    # drawn on the host: the same numbers on every device
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device, non_blocking=True)
    x_t = path.sample(x0, mu, t, noise=eps)
    pred = model(x_t, mu, path.batch_times(t, x0).to(torch.float32))
    target = x0 if objective == "x0" else eps
    err = (pred - target).abs() if norm == "l1" else (pred - target) ** 2
    per_sample = err.reshape(batch, -1).mean(1)
    if objective == "noise":
        weight = (path.coefficients(path.batch_times(t, x0))[2] > 0).to(per_sample)
        return (per_sample * weight).sum() / weight.sum().clamp(min=1)
    return per_sample.mean()
