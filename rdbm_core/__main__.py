"""``python -m rdbm_core``: see :mod:`rdbm_core.cli` (installed, the same command line is ``rdbm``)."""
import sys

from .cli import main

sys.exit(main(prog="python -m rdbm_core"))
