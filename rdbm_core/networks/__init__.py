"""Networks and training: the conditional U-Net (:mod:`.unet`), the run configuration (:mod:`.config`), the training
loop (:mod:`.training`) and checkpoints (:mod:`.checkpoints`). Imports :mod:`rdbm_core.bridge` and
:mod:`rdbm_core.data`.
"""
