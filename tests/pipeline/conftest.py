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


@pytest.fixture(scope="session")
def tiny_group_checkpoint(tmp_path_factory):
    """The same as ``tiny_checkpoint`` with the U-Net's GroupNorm (``--unet-norm group``: what every checkpoint
    written before the pixel norm became the default uses)."""
    out = tmp_path_factory.mktemp("run_group")
    assert main(["train", "--preset", "tiny", "--steps", "2", "--batch", "2", "--crop", "32", "--no-eval",
                 "--unet-norm", "group", "--out", str(out)]) == 0
    return str(out / "checkpoint.pt")
