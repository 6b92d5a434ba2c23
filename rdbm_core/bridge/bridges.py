"""The residual bridge family: RDBM and the published bridges it contains (docs/theory.md §11).

Each constructor returns a :class:`~rdbm_core.bridge.path.ResidualPath` with the
published defaults of its paper and code.  ``BRIDGES`` maps the command-line
names to constructors; :func:`make` builds one by name.

=============  ==================================================================
name           choice inside the family
=============  ==================================================================
rdbm           OU bridge, reference schedule (N = 100), lam = 1e-4, s(pi) = pi
goub           OU bridge, IR-SDE grid (T = 100, eps = 0.005), lam = (30/255)^2, s = 1
irsde          unpinned OU (thbar_T -> inf), IR-SDE grid, lam = (10/255)^2, s = 1
bbdm           Brownian limit, G = 2 max_var m_t, m_t = linspace(0.001, 0.999, 1000)
ddbm-ve        Brownian limit, G_t = t^2, t in [0, sigma_max = 80]
ddbm-vp        OU bridge with target 0, theta_t = (beta_min + beta_d t)/2, lam = 1
i2sb           Brownian limit, G_n = cumsum of I2SB's symmetric betas (N = 1000)
interpolant    lam = 0: x_t = mu + (1 - t/N) pi, no noise
=============  ==================================================================
"""
from __future__ import annotations

from dataclasses import replace

import torch

from rdbm_core.bridge import schedules
from rdbm_core.bridge.path import ResidualPath

__all__ = ["ou_bridge", "rdbm", "goub", "irsde", "bbdm", "ddbm_ve", "ddbm_vp", "i2sb", "interpolant",
           "i2sb_betas", "BRIDGES", "make"]


def ou_bridge(schedule, lam: float, noise: str = "modulated", target: str = "mu", name: str = "ou-bridge") -> ResidualPath:
    """The OU bridge from ``x0`` to ``mu`` on any schedule (general mean-reversion target ``m``)."""
    return ResidualPath(schedule, lam, noise=noise, kind="ou", pinned=True, target=target, name=name)


def rdbm(n: int = 100, lam: float = 1e-4, noise: str = "modulated") -> ResidualPath:
    """RDBM (Wang et al., "Residual Diffusion Bridge Model for Image Restoration", arXiv 2510.23116, CVPR 2026):
    reference cosine schedule, residual-modulated noise."""
    return ou_bridge(schedules.reference(n), lam, noise=noise, name="rdbm")


def goub(T: int = 100, lambda_: float = 30 / 255, eps: float = 0.005) -> ResidualPath:
    """GOUB (Yue et al., "Image Restoration with Generalized Ornstein-Uhlenbeck Bridge", ICML 2024):
    ``lam = lambda^2`` (GOUB's lambda is a standard deviation), global noise."""
    return ou_bridge(schedules.irsde_grid(T, eps), lambda_ ** 2, noise="global", name="goub")


def irsde(T: int = 100, max_sigma: float = 10 / 255, eps: float = 0.005) -> ResidualPath:
    """IR-SDE (Luo et al., "Image Restoration with Mean-Reverting Stochastic Differential Equations", ICML 2023):
    the unpinned mean-reverting SDE, ``lam = max_sigma^2``, global noise."""
    return ResidualPath(schedules.irsde_grid(T, eps), max_sigma ** 2, noise="global", kind="ou", pinned=False,
                        name="irsde")


def bbdm(T: int = 1000, m_min: float = 0.001, m_max: float = 0.999, max_var: float = 1.0) -> ResidualPath:
    """BBDM (Li et al., "BBDM: Image-to-image Translation with Brownian Bridge Diffusion Models", CVPR 2023):
    Brownian bridge with ``m_t = linspace(m_min, m_max, T)``, variance ``2 (m_t - m_t^2) max_var``.

    In the family: the ``theta -> 0`` limit with ``G_t = 2 max_var m_t``, ``G_T = 2 max_var``
    (``m = 1`` is a virtual terminal index ``T``; ``m = 0`` a virtual clean index -1).
    """
    m = torch.linspace(m_min, m_max, T, dtype=torch.float64)
    sch = schedules.from_table(2 * max_var * m, clean_on_grid=False, terminal=2 * max_var, name=f"bbdm(T={T})")
    return ResidualPath(sch, 0.5, noise="global", kind="brownian", name="bbdm")


def ddbm_ve(sigma_max: float = 80.0) -> ResidualPath:
    """DDBM-VE (Zhou et al., "Denoising Diffusion Bridge Models", ICLR 2024):
    VE bridge with ``sigma_t = t`` on ``[0, sigma_max]``, ``G_t = t^2``."""
    return ResidualPath(schedules.continuous_power(1.0, 2.0, T=sigma_max), 0.5, noise="global", kind="brownian",
                        name="ddbm-ve")


def ddbm_vp(beta_d: float = 2.0, beta_min: float = 0.1, T: float = 1.0) -> ResidualPath:
    """DDBM-VP (Zhou et al., "Denoising Diffusion Bridge Models", ICLR 2024):
    OU bridge with target 0, ``theta_t = (beta_min + beta_d t)/2``, ``lam = 1``."""
    sch = schedules.continuous_linear(beta_min / 2, beta_d / 2, T=T)
    return ou_bridge(sch, 1.0, noise="global", target="zero", name="ddbm-vp")


def i2sb_betas(n: int = 1000, beta_max: float = 0.3, linear_start: float = 1e-4) -> torch.Tensor:
    """I2SB's symmetric schedule: ``linspace(sqrt(1e-4), sqrt(beta_max/n), n)^2``, first half mirrored."""
    betas = torch.linspace(linear_start ** 0.5, (beta_max / n) ** 0.5, n, dtype=torch.float64) ** 2
    half = betas[: n // 2]
    return torch.cat([half, half.flip(0)])


def i2sb(n: int = 1000, beta_max: float = 0.3) -> ResidualPath:
    """I2SB (Liu et al., "I2SB: Image-to-Image Schrodinger Bridge", ICML 2023)
    as a member: Brownian limit with ``G_n = sum_{k<=n} beta_k``, ``G_T = sum beta``.

    I2SB's own coefficients (a Gaussian product of ``std_fwd^2 = G_n`` and
    ``std_bwd^2 = G_T - G_n + beta_n``) differ from these by one step's beta.
    """
    sch = schedules.from_table(torch.cumsum(i2sb_betas(n, beta_max), 0), clean_on_grid=False, name=f"i2sb(n={n})")
    return ResidualPath(sch, 0.5, noise="global", kind="brownian", name="i2sb")


def interpolant(n: int = 100) -> ResidualPath:
    """The deterministic interpolant (``lam -> 0``): ``x_t = mu + (1 - t/n) pi``."""
    return ResidualPath(schedules.constant_theta(n, 1.0), 0.0, noise="global", kind="brownian", name="interpolant")


#: name -> (constructor, keyword of its grid size or None for continuous time, defaults as text)
BRIDGES = {
    "rdbm": (rdbm, "n", "reference cosine schedule, N=100, lam=1e-4, modulated noise"),
    "goub": (goub, "T", "IR-SDE grid T=100, eps=0.005, lambda=30/255 (lam=lambda^2), global noise"),
    "irsde": (irsde, "T", "IR-SDE grid T=100, eps=0.005, max_sigma=10/255, unpinned"),
    "bbdm": (bbdm, "T", "T=1000, m_t linear 0.001..0.999, max_var=1"),
    "ddbm-ve": (ddbm_ve, None, "sigma_max=80, G_t=t^2"),
    "ddbm-vp": (ddbm_vp, None, "beta_d=2, beta_min=0.1, T=1, target 0"),
    "i2sb": (i2sb, "n", "N=1000, beta_max=0.3"),
    "interpolant": (interpolant, "n", "lam=0, linear Theta, N=100"),
}


def make(name: str, steps: int | None = None, lam: float | None = None, noise: str | None = None) -> ResidualPath:
    """Build a bridge by name with its published defaults.

    ``steps`` sets the grid size of a discrete bridge (ignored for continuous
    ones), ``lam`` overrides the noise variance, ``noise`` the noise factor.
    """
    if name not in BRIDGES:
        raise ValueError(f"unknown bridge {name!r}; choose one of: {', '.join(BRIDGES)}")
    ctor, size_kw, _ = BRIDGES[name]
    path = ctor(**({size_kw: steps} if steps is not None and size_kw else {}))
    if lam is not None:
        path = replace(path, lam=float(lam))
    if noise is not None:
        path = path.with_noise(noise)
    return path
