"""Restoration: restore and evaluate with a trained network (:mod:`.evaluation`), tile by tile when an image is large
(:mod:`.tiling`). Imports :mod:`rdbm_core.bridge`, :mod:`rdbm_core.data` and :mod:`rdbm_core.evidence`.
"""
