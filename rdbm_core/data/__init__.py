"""Images and data: image files (:mod:`.images`), the shipped photographs (:mod:`.embedded`), synthetic degradations
(:mod:`.degradations`), datasets of pairs and the held-out benchmark (:mod:`.datasets`), result files
(:mod:`.files`). Imports nothing else of :mod:`rdbm_core`.
"""
