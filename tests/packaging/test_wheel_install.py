"""A non-editable install works: the wheel, installed away from the checkout, imports and runs without it.

The wheel is built from a copy of the package sources (nothing is written into the checkout), installed with
``pip install --target`` into a temporary folder, and used by a fresh interpreter started with ``-I -S`` (no
PYTHONPATH, no current folder, no site-packages .pth files: the editable install's import hook stays off) whose
path is that folder, then this environment's site-packages for torch and the rest. No network: ``--no-index``,
``--no-deps``, ``--no-build-isolation``.
"""
import importlib.metadata
import json
import shutil
import site
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "rdbm_core", "rdbm_course", "derivations")

try:
    _SETUPTOOLS = Version(importlib.metadata.version("setuptools"))
except importlib.metadata.PackageNotFoundError:
    _SETUPTOOLS = None
pytestmark = pytest.mark.skipif(_SETUPTOOLS is None or _SETUPTOOLS < Version("77"),
                                reason="building the wheel without isolation needs setuptools >= 77 here")

# run by the isolated interpreter: argv = [target, site-packages..., json of the 07.2 answer, clone folder, empty]
PROBE = textwrap.dedent("""
    import sys
    target, *site_dirs, answer, clone, empty = sys.argv[1:]
    sys.path[:0] = [target]
    sys.path += site_dirs
    import importlib.metadata, io, json, os, contextlib
    import rdbm_core, rdbm_course, derivations
    from rdbm_core.cli import main
    from rdbm_course.exercises import check
    from rdbm_course.exercises import ex07_comparison as ex07

    out = {"files": [m.__file__ for m in (rdbm_core, rdbm_course, derivations, ex07)],
           "version": importlib.metadata.version("rdbm"), "__version__": rdbm_core.__version__}
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        out["cli_rc"] = main(["coeffs", "--bridge", "rdbm", "--steps", "3", "--json"])
    out["cli"] = json.loads(buf.getvalue())
    answer = json.loads(answer)
    for name, cwd, env in [("nowhere", empty, None), ("clone", os.path.join(clone, "notebooks"), None),
                           ("env", empty, os.path.join(clone, "experiments", "results", "bridge_comparison"))]:
        os.chdir(cwd)
        os.environ.pop("RDBM_RESULTS_DIR", None)
        if env:
            os.environ["RDBM_RESULTS_DIR"] = env
        feedback = check("07.2", answer)
        out[name] = {"ok": feedback.ok, "message": feedback.message, "hint": feedback.hint}
    print(json.dumps(out))
""")


def _truth():
    from rdbm_core.data.files import read_rows
    from rdbm_course.exercises.ex07_comparison import RESULTS_CSV, established_two_stage
    return established_two_stage(read_rows(RESULTS_CSV))


def _pip(*args):
    subprocess.run([sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check", "--no-index"],
                   check=True, capture_output=True, text=True, timeout=300)


def test_the_wheel_works_without_the_checkout(tmp_path):
    results = ROOT / "experiments" / "results" / "bridge_comparison"
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src))
    (wheel,) = (tmp_path / "dist").glob("rdbm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert f"{info}/licenses/LICENSE" in names
    assert {n.split("/")[0] for n in names} == {"rdbm_core", "rdbm_course", "derivations", info}
    assert "rdbm = rdbm_core.cli:main" in zipfile.ZipFile(wheel).read(f"{info}/entry_points.txt").decode()

    target = tmp_path / "target"
    _pip("install", "--no-deps", "--target", str(target), str(wheel))
    clone = tmp_path / "clone"  # a clone's layout: the notebook runs from notebooks/, the results beside it
    (clone / "notebooks").mkdir(parents=True)
    (clone / "experiments" / "results" / "bridge_comparison").mkdir(parents=True)
    for name in ("items.csv", "verdicts.csv"):
        shutil.copy2(results / name, clone / "experiments" / "results" / "bridge_comparison")
    empty = tmp_path / "empty"
    empty.mkdir()

    truth = _truth()
    argv = [str(target), *site.getsitepackages(), json.dumps(truth), str(clone), str(empty)]
    run = subprocess.run([sys.executable, "-I", "-S", "-c", PROBE, *argv], cwd=empty, capture_output=True,
                         text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "FAST": "1"})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert all(Path(f).is_relative_to(target) for f in out["files"]), out["files"]  # not the checkout
    assert out["version"] == out["__version__"]
    assert out["cli_rc"] == 0 and out["cli"]["bridge"] == "rdbm" and len(out["cli"]["t"]) == 4
    # 07.2 needs the comparison results, which a wheel does not ship: a clear message when they are nowhere,
    # found from a clone's notebooks/ folder, or through RDBM_RESULTS_DIR
    assert not out["nowhere"]["ok"]
    assert "items.csv was not found" in out["nowhere"]["message"]
    assert "RDBM_RESULTS_DIR" in out["nowhere"]["hint"]
    assert out["clone"]["ok"], out["clone"]
    assert out["env"]["ok"], out["env"]
