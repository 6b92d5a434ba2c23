"""The package's metadata: one version string, the MIT licence (SPDX form), CITATION.cff."""
import importlib.metadata
from pathlib import Path

import pytest

import rdbm_core

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_one_version_string():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "rdbm_core.__version__"}
    # the installed metadata was built from it (a mismatch: the install is stale, run `make venv` or pip install)
    assert importlib.metadata.version("rdbm") == rdbm_core.__version__


def test_mit_licence_in_spdx_form():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 the rdbm contributors" in text
    # PEP 639's license and license-files need setuptools 77
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]


def test_citation_file():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert {"cff-version", "message", "title", "authors"} <= set(cff)  # required by CFF 1.2.0
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and cff["license"] == "MIT"
    assert cff["version"] == rdbm_core.__version__
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    paper = cff["preferred-citation"]
    assert {"type", "title", "authors"} <= set(paper)  # required of a reference
    assert paper["title"] == "Residual Diffusion Bridge Model for Image Restoration"
    assert [a["family-names"] for a in paper["authors"]] == ["Wang", "Zhang", "Chen", "Guo", "Wang", "Ma", "Du"]
    assert len({tuple(sorted(a.items())) for a in paper["authors"]}) == 7  # CFF wants the authors distinct
    assert "arXiv:2510.23116" in [i["value"] for i in paper["identifiers"]]
