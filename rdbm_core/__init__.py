"""rdbm_core: the Residual Diffusion Bridge Model (Wang et al., CVPR 2026) and the bridges it contains.

Modules, one concept each:

* :mod:`~rdbm_core.schedules` — the clock ``thbar_t`` (discrete grids, continuous theta(t));
* :mod:`~rdbm_core.path` — the residual path ``x_t = Theta x0 + Psi mu + Sigma s(pi) eps``,
  its posterior, score, PF-ODE velocity and reverse-SDE drift;
* :mod:`~rdbm_core.bridges` — RDBM, GOUB, IR-SDE, BBDM, DDBM-VE/VP, I2SB, the interpolant;
* :mod:`~rdbm_core.samplers` — implicit (eta), Euler-Maruyama, Euler, Heun, DBIM (order 2/3) and exact-SDE samplers;
* :mod:`~rdbm_core.losses` — the training loss (x0 or noise target, L1 or L2);
* :mod:`~rdbm_core.unet` — the conditional U-Net (presets tiny, small, base);
* :mod:`~rdbm_core.degradations`, :mod:`~rdbm_core.data` — synthetic degradations, embedded photos, paired folders;
* :mod:`~rdbm_core.training`, :mod:`~rdbm_core.evaluation`, :mod:`~rdbm_core.metrics` — train, restore, measure;
* :mod:`~rdbm_core.comparison` — every bridge under one budget;
* :mod:`~rdbm_core.exercises` — the notebooks' exercises and their checkers (``check("01.1", answer)``);
* :mod:`~rdbm_core.explorer` — one figure of a bridge (Theta, Sigma, paths, an image strip), live with ipywidgets;
* :mod:`~rdbm_core.book` — the notebooks as a static HTML book;
* :mod:`~rdbm_core.cli` — ``python -m rdbm_core coeffs | train | evaluate | restore | demo | book``.
"""
from . import bridges, losses, samplers, schedules
from .path import ResidualPath

__all__ = ["bridges", "losses", "samplers", "schedules", "ResidualPath"]
__version__ = "0.1.0"
