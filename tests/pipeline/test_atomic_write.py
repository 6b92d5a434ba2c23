"""``io.atomic_write``: the permissions of an ordinary new file, and nothing already written lost on failure."""
import os

import pytest

from rdbm_core.io import atomic_write


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_umasks_permissions(tmp_path, umask, mode):
    """Mutation that fails: no chmod (mkstemp's private 0o600 stays for every umask)."""
    old = os.umask(umask)
    try:
        out = atomic_write(tmp_path / "a" / "f.bin", b"data")
    finally:
        os.umask(old)
    assert out.read_bytes() == b"data" and (out.stat().st_mode & 0o777) == mode


def test_a_failed_write_keeps_the_old_file(tmp_path):
    out = atomic_write(tmp_path / "f.bin", b"old")
    with pytest.raises(TypeError):
        atomic_write(out, "not bytes")
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
