# The two commands of the README, each of which creates the environment itself:
#   make demo   — the main job (train RDBM on the embedded default, restore, write figures and metrics)
#   make test   — every test: pytest over tests/, then nbval over the notebooks (fast mode)
PY     ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is pinned and installed first, from TORCH_INDEX when one is given. Which build the pin gets depends on
# the index: on Linux, PyPI's torch==2.13.0 IS the CUDA build (several GB of NVIDIA libraries); the CPU-only
# and the CUDA builds for a given toolkit are on PyTorch's own indexes:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu     # no GPU: the CPU-only wheel
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cu128   # a GPU: the cuXYZ index its driver supports
# Empty (the default), pip's own configuration decides: on this project's machines a local CPU wheel (pip config
# has find-links /opt/wheels), elsewhere PyPI's build (CUDA on Linux; CPU on macOS and Windows).
# The index matters only when torch is not yet in .venv: to switch builds, `make clean` first.
TORCH  := torch==2.13.0
TORCH_INDEX ?=
STAMP  := $(VENV)/.installed

.PHONY: demo test venv notebooks lab book student autograde slides clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m rdbm_core demo --out outputs/demo

test: $(STAMP)
	FAST=1 $(BIN)/python -m pytest tests
	FAST=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

# For readers and students: JupyterLab with jupytext and widgets on notebooks/; the exercises at the end of each
# notebook are checked by rdbm_course.exercises.check. Pairs hold: the server is rooted at notebooks/, where
# notebooks/jupytext.toml pairs every notebook (ipynb,py:percent), so saving either file of a pair rewrites the
# other; notebooks/.jupyterlab/ is JupyterLab's app settings dir for this server, whose overrides.json makes
# "Jupytext Notebook" the default viewer of .py files (a double-clicked .py opens as a notebook). Nothing in
# your home directory is needed. tests/course/test_lab_pairing.py runs this very command (make -n lab, with
# LAB_DIR a temporary copy) and saves notebooks through it.
# (Jupyter refuses to run as root without --allow-root, as in a container: it is added only then.
# Extra options: make lab LAB_ARGS="--no-browser --port 8899".)
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_DIR  ?= notebooks
LAB_OPTS := "--LabApp.app_settings_dir=$(CURDIR)/notebooks/.jupyterlab"
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test,notebooks]"
	$(BIN)/jupyter lab $(LAB_OPTS) $(LAB_ROOT) $(LAB_ARGS) $(LAB_DIR)

# For readers: the notebooks as a static HTML book in _book/ (committed outputs, nothing executed;
# MathJax is copied into the book, so it reads without a network). Open _book/index.html.
book: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[book]"
	$(BIN)/python -m rdbm_course.book --notebooks notebooks --out _book

# For instructors (docs/COURSE.md, "For instructors"); each target installs its extra first, as `make lab` does.
#   make student    _student/: the notebooks to hand out, solutions stripped and autograder tests hidden (nbgrader);
#                   _instructor/: nbgrader's course folder (the sources with solutions, the gradebook). Both rebuilt.
#   make autograde  grades SUBMISSIONS/<student>/NN_name.ipynb against that release into GRADES (a CSV, one row per
#                   student, notebook and exercise); the kernels run with FAST=1 unless FAST is set (FAST=0: full).
#   make slides     _slides/: one reveal.js deck per lecture of docs/lectures.toml, from the committed outputs;
#                   reveal.js and MathJax are copied in, so the decks need no network.
SUBMISSIONS ?= submissions
GRADES      ?= grades.csv
student: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[instructor]"
	$(BIN)/python -m rdbm_course.release student --notebooks notebooks --out _student --course _instructor

autograde: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[instructor]"
	$(BIN)/python -m rdbm_course.release autograde $(SUBMISSIONS) --out $(GRADES) --course _instructor

slides: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[slides]"
	$(BIN)/python -m rdbm_course.slides --lectures docs/lectures.toml --notebooks notebooks --out _slides

# (_instructor/ is kept: its gradebook holds the grades of `make autograde`)
clean:
	rm -rf $(VENV) outputs .pytest_cache _book _student _slides
