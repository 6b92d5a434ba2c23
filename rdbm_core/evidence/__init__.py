"""Evidence: image metrics (:mod:`.metrics`), the perceptual distance (:mod:`.perceptual`), set-level distances
(:mod:`.distribution`), draws and calibration (:mod:`.diversity`), paired statistics (:mod:`.stats`), figures
(:mod:`.figures`) and the error profile over the bridge's time (:mod:`.error_profile`). Imports
:mod:`rdbm_core.bridge` and :mod:`rdbm_core.data`.
"""
