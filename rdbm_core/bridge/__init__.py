"""The bridge mathematics: the clock (:mod:`.schedules`), the residual path (:mod:`.path`), the bridges it contains
(:mod:`.bridges`), the samplers (:mod:`.samplers`) and the training loss (:mod:`.losses`). Imports nothing else of
:mod:`rdbm_core`.
"""
