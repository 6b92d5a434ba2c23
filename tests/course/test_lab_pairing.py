"""``make lab`` keeps every notebook pair in sync, met the way a student meets it: through the server.

The server is the one ``make lab`` starts: its command line comes from the Makefile itself (``make -n lab``,
with ``LAB_DIR`` pointing at a temporary copy of the notebooks folder and ``LAB_ARGS`` adding a free
127.0.0.1 port, a token and ``--no-browser``), so the test and the Makefile cannot drift.  HOME, the Jupyter
config/runtime/settings directories and the XDG config directories are empty temporary folders: whatever the
server finds must come with the repository.  Through the REST API (what JupyterLab's Save does) the test

* saves the ``.ipynb`` with a new cell and checks that the ``.py`` on disk got it (the pair holds);
* saves the ``.py`` (opened as a notebook) with a new cell and checks that the ``.ipynb`` got it;
* checks that the contents API serves the ``.py`` as a notebook and that JupyterLab's default viewer for
  Python files is jupytext's notebook ("Jupytext Notebook", a factory the served jupytext extension defines),
  which is what makes a double-clicked ``.py`` open as a notebook.
"""
import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
START_TIMEOUT_S = 120      # a loaded 2-core machine starts JupyterLab in 5-20 s
REQUEST_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
MARKER = "lab-pairing-test: this cell was added through the server"
VIEWER = "Jupytext Notebook"   # the widget factory of jupytext's JupyterLab extension


def _lab_command(lab_dir: Path, port: int, token: str) -> list[str]:
    """The command ``make lab`` runs, with this test's folder, port and token (from ``make -n``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    extra = f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 " \
            f"--IdentityProvider.token={token}"
    dry = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", "-n", "lab",
                          f"BIN={Path(sys.executable).parent}", f"LAB_DIR={lab_dir}", f"LAB_ARGS={extra}"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, f"make -n lab failed: {dry.stderr.strip()}"
    lines = [shlex.split(line) for line in dry.stdout.splitlines() if re.search(r"/jupyter\s+lab\b", line)]
    assert len(lines) == 1, f"the Makefile's lab target should run one `jupyter lab` command:\n{dry.stdout}"
    command = lines[0]
    assert str(lab_dir) in command and f"--ServerApp.port={port}" in command, (
        f"the Makefile's lab command does not take LAB_DIR and LAB_ARGS: {shlex.join(command)}")
    return command


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, base: str, token: str, proc: subprocess.Popen, log: Path):
        self.base, self.token, self.proc, self.log = base, token, proc, log

    def request(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path}: HTTP {err.code} {err.read().decode()[:500]}") from None
        return json.loads(text) if text.lstrip().startswith(("{", "[")) else text

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`'s server on a copy of notebooks/ (its settings files and the smallest pair), stopped after."""
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("jupyterlab is not installed in this environment: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("lab")
    folder = tmp / "notebooks"
    folder.mkdir()
    pairs = sorted((p for p in NOTEBOOKS.glob("*.ipynb") if p.with_suffix(".py").is_file()),
                   key=lambda p: p.stat().st_size)
    assert pairs, "no notebook pair in notebooks/"
    pair = pairs[0]
    for p in NOTEBOOKS.iterdir():   # every file of the folder that is not another notebook (configuration)
        if p.is_file() and (p.suffix not in (".py", ".ipynb") or p.stem == pair.stem):
            shutil.copy2(p, folder / p.name)
    home = tmp / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "XDG_", "MAKE", "MFLAGS")) and k != "JUPYTERLAB_DIR"}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CONFIG_DIRS=str(home / "etc"),
               JUPYTER_CONFIG_DIR=str(home / "jupyter-config"), JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "lab-user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"))
    token, port = secrets.token_hex(16), _free_port()
    command = _lab_command(folder, port, token)
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    server = _Server(f"http://127.0.0.1:{port}", token, proc, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`{shlex.join(command)}` exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.request("GET", "/api/status")
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the lab server did not answer within {START_TIMEOUT_S} s:\n{server.log_tail()}")
                time.sleep(0.2)
        yield server, folder, pair.stem
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)


def _cells(path: Path):
    return [(c.cell_type, c.source.strip()) for c in jupytext.read(path).cells]


def _save_with_new_cell(server: _Server, name: str, text: str):
    """What JupyterLab's Save does: GET the notebook model, add a cell, PUT the model back."""
    model = server.request("GET", f"/api/contents/{name}?type=notebook&content=1")
    assert model["type"] == "notebook", f"{name} is served as {model['type']!r}, not as a notebook"
    nb = model["content"]
    nb["cells"].append({"cell_type": "markdown", "id": secrets.token_hex(4), "metadata": {}, "source": text})
    saved = server.request("PUT", f"/api/contents/{name}", {"type": "notebook", "format": "json", "content": nb})
    assert saved["path"] == name


def test_saving_the_ipynb_updates_the_py(lab):
    server, folder, stem = lab
    text = f"{MARKER} (saved as {stem}.ipynb)"
    assert text not in (folder / f"{stem}.py").read_text(encoding="utf-8")
    _save_with_new_cell(server, f"{stem}.ipynb", text)
    assert text in (folder / f"{stem}.ipynb").read_text(encoding="utf-8")
    assert text in (folder / f"{stem}.py").read_text(encoding="utf-8"), (
        f"saving {stem}.ipynb through `make lab`'s server left {stem}.py unchanged: the pair is not kept "
        f"(does the server find the jupytext configuration from its root?)")
    assert _cells(folder / f"{stem}.py") == _cells(folder / f"{stem}.ipynb")


def test_saving_the_py_updates_the_ipynb(lab):
    server, folder, stem = lab
    text = f"{MARKER} (saved as {stem}.py)"
    assert text not in (folder / f"{stem}.ipynb").read_text(encoding="utf-8")
    _save_with_new_cell(server, f"{stem}.py", text)
    assert text in (folder / f"{stem}.py").read_text(encoding="utf-8")
    assert text in (folder / f"{stem}.ipynb").read_text(encoding="utf-8"), (
        f"saving {stem}.py through `make lab`'s server left {stem}.ipynb unchanged: the pair is not kept")
    assert _cells(folder / f"{stem}.py") == _cells(folder / f"{stem}.ipynb")
    # the .py keeps the percent format (jupytext.toml: py:percent), the format the repository commits
    assert "# %% [markdown]" in (folder / f"{stem}.py").read_text(encoding="utf-8")


def test_a_py_file_is_served_as_a_notebook(lab):
    server, folder, stem = lab
    model = server.request("GET", f"/api/contents/{stem}.py")
    assert model["type"] == "notebook", f"{stem}.py is served as {model['type']!r}: it would open as text"
    listing = server.request("GET", "/api/contents/?content=1")
    assert {e["name"]: e["type"] for e in listing["content"]}.get(f"{stem}.py") == "notebook"


def test_python_files_open_with_the_jupytext_notebook_by_default(lab):
    server, _, _ = lab
    plugin = server.request("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    default = plugin["schema"]["properties"]["defaultViewers"]["default"]
    user = plugin.get("settings", {}).get("defaultViewers", default)
    assert user.get("python") == VIEWER, (
        f"JupyterLab's default viewer for .py files is {user.get('python')!r}, not {VIEWER!r}: a double-clicked "
        f".py opens as text (docmanager defaultViewers: {user})")
    # the factory exists: jupytext's extension is loaded by the page and defines it
    page = server.request("GET", "/lab")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert "jupyterlab-jupytext" in {e["name"] for e in config["federated_extensions"]}
    assert "jupyterlab-jupytext" not in config.get("disabledExtensions", [])
    dirs = [Path(p) / "jupyterlab-jupytext" / "static" for p in config.get("labextensionsPath", [])]
    scripts = [f for d in dirs if d.is_dir() for f in d.glob("*.js")]
    assert any(VIEWER in f.read_text(encoding="utf-8", errors="replace") for f in scripts), (
        f"no script of jupytext's lab extension defines the {VIEWER!r} factory (looked in {dirs})")
