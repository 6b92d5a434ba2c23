"""Helper functions of notebook 08 (samplers and steps): paired intervals and their wording, and the stochastic
samplers written out with a switch for their noise.

The notebook calls these so that each of its cells shows its experiment, not its bookkeeping.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from rdbm_core.bridge import samplers
from rdbm_core.evidence.stats import bootstrap_means, bootstrap_p_value, hierarchical_bootstrap

__all__ = ["paired", "number", "ci", "verdict", "nfe_axis", "sample_stochastic"]


def paired(d, groups) -> tuple[float, float, float, float]:
    """Mean, 95 % interval and bootstrap p-value of the mean of the per-window differences ``d``.

    The bootstrap resamples the groups (photographs) first, then windows within each drawn group; ``groups`` gives
    each window's group. Returns ``(mean, low, high, p)``.
    """
    d = np.asarray(d, dtype=float)[None]
    low, high = hierarchical_bootstrap(d, groups)
    return float(d.mean()), low, high, bootstrap_p_value(bootstrap_means(d, groups))


def number(x: float, decimals: int) -> str:
    """``x`` with a sign and ``decimals`` decimals; an exact zero is written ``0``."""
    return "0" if x == 0 else f"{x:+.{decimals}f}"


def ci(v) -> str:
    """``mean [low, high]`` in dB from ``paired``'s result, all three with one precision: two decimals, four where
    the whole interval lies within 0.05 dB of 0, and more where a nonzero value would otherwise round to zero (so no
    bound of -0.0001 is printed as 0.00); "0 (identical)" when every paired difference is 0."""
    if tuple(v[:3]) == (0.0, 0.0, 0.0):
        return "0 (identical)"
    d = 2 if max(abs(x) for x in v[:3]) >= 0.05 else 4
    while d < 8 and any(x != 0 and round(x, d) == 0 for x in v[:3]):
        d += 1
    return f"{number(v[0], d)} [{number(v[1], d)}, {number(v[2], d)}]"


def verdict(mean, low, high, p=None) -> str:
    """"higher" or "lower" when the interval ``[low, high]`` excludes 0, else "not established"."""
    return "not established" if low <= 0 <= high else ("higher" if low > 0 else "lower")


def nfe_axis(ax, ticks) -> None:
    """A log NFE axis with the measured NFE as plain-number ticks."""
    ax.set_xscale("log")
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("network evaluations (NFE)")


def sample_stochastic(model, bridge, mu, ancestral: bool, n_steps: int, generator=None):
    """A stochastic sampler on ``bridge``'s default grid of ``n_steps`` sampler steps, written out step by step as
    ``rdbm_core.bridge.samplers`` does; ``generator=None`` switches its noise off (``z = 0`` at every step).

    ``ancestral=True`` is the implicit sampler with ``eta = 1``; ``ancestral=False`` is Euler-Maruyama on the
    reverse SDE. ``model(x_t, mu, t)`` is called once per step (its prediction clamped to [-1, 1], as ``restore``
    uses the network). The last step into the clean point returns ``x0_hat``; the first step out of ``t_T`` (and
    every step when ``ancestral``) is the posterior mean of ``q(x_s | x_t, x0_hat)`` plus ``sqrt(V) g z``, with
    ``g = bridge.noise_factor(x0_hat, mu)`` the noise factor and ``V`` the posterior variance; Euler-Maruyama's other
    steps move by the reverse SDE's drift over the step in the clock. With a ``generator`` the ``z`` are drawn one
    per step, in the library's order. Returns the state at the clean point.
    """
    denoiser = samplers.Denoiser(model)
    ts = bridge.schedule.sampling_times(n_steps)
    x = bridge.prior(mu)
    with torch.no_grad():
        for t, s in zip(ts[:-1], ts[1:]):
            x0_hat = denoiser(x, mu, bridge, t)
            if bridge.is_clean(s):
                x = x0_hat
                continue
            z = torch.zeros_like(x) if generator is None else torch.randn(x.shape, generator=generator)
            g_z = bridge.noise_factor(x0_hat, mu) * z
            if ancestral or bridge.is_terminal(t):
                mean, _ = bridge.posterior(x, x0_hat, mu, t, s)
                x = mean + float(bridge.posterior_coefficients(t, s)[2].sqrt()) * g_z
            else:
                du = float(bridge.schedule.clock(t) - bridge.schedule.clock(s))
                x = x - du * bridge.reverse_drift(x, x0_hat, mu, t) + math.sqrt(2 * bridge.lam * du) * g_z
    return x
