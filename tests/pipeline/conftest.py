"""Fixtures shared by the pipeline tests."""
import pytest

from rdbm_core.cli import main


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A tiny RDBM network trained for two steps (``checkpoint.pt`` path as a string): for the commands' plumbing,
    not for quality."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--preset", "tiny", "--steps", "2", "--batch", "2", "--crop", "32", "--no-eval",
                 "--out", str(out)]) == 0
    return str(out / "checkpoint.pt")
