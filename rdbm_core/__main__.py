"""``python -m rdbm_core``: see :mod:`rdbm_core.cli`."""
import sys

from .cli import main

sys.exit(main())
