"""``io.atomic_write``: the permissions of an ordinary new file, and nothing already written lost on failure."""
import subprocess
import sys

import pytest

from rdbm_core.data.files import atomic_write


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_umasks_permissions(tmp_path, umask, mode):
    """In a process started with ``umask``, a written file has ``0o666 & ~umask``. Mutation that fails: no chmod
    (mkstemp's private 0o600 stays for every umask)."""
    out = tmp_path / "a" / "f.bin"
    code = (f"import os; os.umask({umask}); from rdbm_core.data.files import atomic_write; "
            f"atomic_write({str(out)!r}, b'data'); print(oct(os.umask(0)))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.read_bytes() == b"data" and (out.stat().st_mode & 0o777) == mode
    assert run.stdout.strip() == oct(umask)  # the process's umask is left as it was


def test_a_failed_write_keeps_the_old_file(tmp_path):
    out = atomic_write(tmp_path / "f.bin", b"old")
    with pytest.raises(TypeError):
        atomic_write(out, "not bytes")
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]
