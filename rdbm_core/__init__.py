"""rdbm_core: the Residual Diffusion Bridge Model (Wang et al., arXiv 2510.23116, CVPR 2026) and the bridges
it contains.

Five subpackages, one layer each; a module imports only from its own subpackage and the layers below it
(``tests/test_layers.py`` checks it), and every name has one home (nothing is re-exported):

* :mod:`rdbm_core.bridge` — the mathematics: the clock ``thbar_t`` (:mod:`~rdbm_core.bridge.schedules`), the
  residual path ``x_t = Theta x0 + Psi mu + Sigma s(pi) eps`` and its posterior, score, PF-ODE velocity and
  reverse-SDE drift (:mod:`~rdbm_core.bridge.path`), RDBM, GOUB, IR-SDE, BBDM, DDBM-VE/VP, I2SB and the
  interpolant (:mod:`~rdbm_core.bridge.bridges`), the samplers (:mod:`~rdbm_core.bridge.samplers`) and the
  training loss (:mod:`~rdbm_core.bridge.losses`);
* :mod:`rdbm_core.data` — images, the shipped photographs, synthetic degradations, datasets of pairs and the
  held-out benchmark, result files;
* :mod:`rdbm_core.networks` — the conditional U-Net, ``TrainConfig`` (the one place of a run's defaults), the
  training loop and checkpoints (above ``bridge`` and ``data``);
* :mod:`rdbm_core.evidence` — image metrics, the perceptual distance, set-level distances, draws and their
  calibration, paired statistics, figures (above ``bridge`` and ``data``);
* :mod:`rdbm_core.restoration` — restore and evaluate with a trained network, tiled when an image is large
  (above ``bridge``, ``data`` and ``evidence``).

On top: :mod:`rdbm_core.cli` (``python -m rdbm_core coeffs | train | evaluate | restore | demo | compare |
export``) and :mod:`rdbm_core.comparison` (every bridge under one budget).

This package imports neither :mod:`derivations` (SymPy) nor the course (:mod:`rdbm_course`), and needs no SymPy.
"""
# The package's one version string: pyproject.toml reads it ([tool.setuptools.dynamic]), the installed
# metadata (importlib.metadata.version("rdbm")) and CITATION.cff carry it (tests/packaging/test_metadata.py).
__version__ = "0.1.0"
