"""rdbm_core: the Residual Diffusion Bridge Model (Wang et al., arXiv 2510.23116, CVPR 2026) and the bridges
it contains.

Modules, one concept each. The numerical core:

* :mod:`~rdbm_core.schedules` — the clock ``thbar_t`` (discrete grids, continuous theta(t));
* :mod:`~rdbm_core.path` — the residual path ``x_t = Theta x0 + Psi mu + Sigma s(pi) eps``,
  its posterior, score, PF-ODE velocity and reverse-SDE drift;
* :mod:`~rdbm_core.bridges` — RDBM, GOUB, IR-SDE, BBDM, DDBM-VE/VP, I2SB, the interpolant;
* :mod:`~rdbm_core.samplers` — implicit (eta), Euler-Maruyama, Euler, Heun, DBIM (order 2/3) and exact-SDE samplers;
* :mod:`~rdbm_core.losses` — the training loss (x0 or noise target, L1 or L2).

The restoration pipeline:

* :mod:`~rdbm_core.unet` — the conditional U-Net (presets tiny, small, base) and its wrappers for the trainer;
* :mod:`~rdbm_core.degradations`, :mod:`~rdbm_core.data` — synthetic degradations, embedded photos, paired folders;
* :mod:`~rdbm_core.config` — ``TrainConfig``, the one place of a run's defaults, and the path and model it defines;
* :mod:`~rdbm_core.training`, :mod:`~rdbm_core.checkpoints` — the training loop; checkpoints written and read;
* :mod:`~rdbm_core.evaluation`, :mod:`~rdbm_core.metrics` — restore and measure;
* :mod:`~rdbm_core.io` — atomic file writes;
* :mod:`~rdbm_core.comparison` — every bridge under one budget;
* :mod:`~rdbm_core.cli` — ``python -m rdbm_core coeffs | train | evaluate | restore | demo``.

This package imports neither :mod:`derivations` (SymPy) nor the course (:mod:`rdbm_course`), and needs no SymPy.
"""
from . import bridges, losses, samplers, schedules
from .path import ResidualPath

__all__ = ["bridges", "losses", "samplers", "schedules", "ResidualPath"]
# The package's one version string: pyproject.toml reads it ([tool.setuptools.dynamic]), the installed
# metadata (importlib.metadata.version("rdbm")) and CITATION.cff carry it (tests/packaging/test_metadata.py).
__version__ = "0.1.0"
