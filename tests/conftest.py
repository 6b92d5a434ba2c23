"""Shared pytest settings: float64 by default where a test asks for it, quiet matplotlib."""
import os

import matplotlib

os.environ.setdefault("FAST", "1")
matplotlib.use("Agg")
