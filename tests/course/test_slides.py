"""``make slides`` (``rdbm_course.slides``): reveal.js decks of the lectures, offline.

* ``docs/lectures.toml`` maps every notebook to exactly one lecture, and the Python 3.10 reader of it agrees
  with ``tomllib``;
* the slide rule on small notebooks written here: headings start slides and sub-slides (a heading inside a
  markdown cell too, but not one inside a code fence or a ``$$`` block), code is a fragment, a cell that would
  overflow the slide starts a sub-slide, a slide type set in a notebook is kept;
* lecture 1 is built for real: reveal.js and MathJax are referenced by relative paths into the output folder,
  where they are; no script or style sheet comes from the network (the mutation: nbconvert's own reveal
  template loads reveal.js, require.js and jQuery from CDNs, and fails here); the RISE copy of the notebook has
  a slide type on every cell.

Skipped without sphinx-revealjs, whose copy of reveal.js the decks use (the ``slides`` extra; the ``test``
extra includes it), for the build only.
"""
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

from rdbm_course import slides
from rdbm_course.slides import (FIGURE_LINES, LINE_BUDGET, mini_toml, apply_slide_rule, build_slides, main,
                                read_lectures, split_at_headings)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
LECTURES_FILE = ROOT / "docs" / "lectures.toml"
REMOTE = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
LOCAL = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', re.I)


def _types(nb):
    return [c.metadata.slideshow.slide_type for c in nb.cells]


def test_every_notebook_is_in_exactly_one_lecture():
    lectures = read_lectures(LECTURES_FILE)
    listed = [n for lec in lectures for n in lec.notebooks]
    assert sorted(listed) == sorted(p.stem for p in NOTEBOOKS.glob("[0-9]*.ipynb")), (
        "docs/lectures.toml must list every notebook of notebooks/ once")


def test_the_lectures_are_those_of_the_course_guide():
    """Each lecture of lectures.toml is a heading of docs/COURSE.md whose section names its notebooks."""
    course = (ROOT / "docs" / "COURSE.md").read_text()
    assert "docs/lectures.toml" in course  # the guide points at the mapping
    parts = re.split(r"^#{2,4} (.+)$", course, flags=re.M)
    sections = dict(zip(parts[1::2], parts[2::2]))
    for lecture in read_lectures(LECTURES_FILE):
        assert lecture.title in sections, (
            f"docs/lectures.toml: {lecture.title!r} is not a heading of docs/COURSE.md: keep the two in step")
        missing = [n for n in lecture.notebooks if f"`{n}`" not in sections[lecture.title]]
        assert missing == [], f"docs/COURSE.md's {lecture.title!r} does not name {missing} (docs/lectures.toml does)"


def test_the_python_310_reader_agrees_with_tomllib():
    tomllib = pytest.importorskip("tomllib")
    text = LECTURES_FILE.read_text()
    assert mini_toml(text) == tomllib.loads(text)
    tricky = '# c\n[[lecture]]\nid = "a" # c\ntitle = "x # y \\" z"\nnotebooks = [\n  "n1", # c\n  "n2",\n]\n'
    assert mini_toml(tricky) == tomllib.loads(tricky)


def test_a_bad_lectures_file_is_refused(tmp_path):
    bad = tmp_path / "lectures.toml"
    for text, message in (("", "no [[lecture]]"), ('[[lecture]]\nid = "a"\ntitle = "t"\n', "lacks notebooks"),
                          ('[[lecture]]\nid = "a b"\ntitle = "t"\nnotebooks = ["x"]\n', "letters, digits")):
        bad.write_text(text)
        with pytest.raises(ValueError, match=re.escape(message)):
            read_lectures(bad)


def test_markdown_is_split_at_headings_outside_fences_and_math():
    text = "Prose.\n\n## Two\nText.\n```\n# a comment\n```\n$$\n# not a heading\n$$\n### Three\nEnd."
    assert split_at_headings(text) == ["Prose.", "## Two\nText.\n```\n# a comment\n```\n$$\n# not a heading\n$$",
                                       "### Three\nEnd."]
    assert split_at_headings("# Title\n\nText") == ["# Title\n\nText"]


def _md(text, **meta):
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata.update(meta)
    return cell


def _code(text, figure=False):
    cell = nbformat.v4.new_code_cell(text)
    if figure:
        cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=",
                                                                     "text/plain": "<Figure>"})]
    return cell


def test_the_slide_rule():
    nb = nbformat.v4.new_notebook(cells=[
        _md("# Title\n\nWhat you will learn."),
        _code("import math"),
        _md("Some prose.\n\n## 1. A section\n\nIts text."),
        _code("x = 1"),
        _md("### A sub-section"),
        _code("plot()", figure=True),
        _code("plot()", figure=True),  # would overflow: a sub-slide of its own
        _code(""),
        _md("Kept as the notebook says.", slideshow={"slide_type": "notes"}),
    ])
    out = apply_slide_rule(nb, prefix="t")
    firsts = [c.source.split("\n")[0] for c in out.cells]
    assert firsts[:4] == ["# Title", "import math", "Some prose.", "## 1. A section"]
    assert _types(out) == ["slide", "fragment", "-", "slide", "fragment", "subslide", "fragment", "subslide", "skip",
                           "notes"]
    assert [c.id for c in out.cells] == [f"t-{i}" for i in range(10)]
    assert 2 * FIGURE_LINES > LINE_BUDGET >= FIGURE_LINES + 2  # why the second figure moved
    assert _types(apply_slide_rule(out)) == _types(out)  # idempotent: set types are kept
    assert "slideshow" not in nb.cells[0].metadata  # the notebook itself is not touched


def test_long_prose_goes_on_sub_slides():
    para = "word " * 19 + "end."  # one line of text
    nb = nbformat.v4.new_notebook(cells=[_md("# T")] + [_md("\n".join([para] * 15)) for _ in range(3)])
    assert _types(apply_slide_rule(nb)) == ["slide", "-", "subslide", "subslide"]


@pytest.fixture(scope="module")
def lecture1(tmp_path_factory):
    if slides.reveal_source() is None:
        pytest.skip("sphinx-revealjs (reveal.js's files) is not installed: pip install -e '.[slides]' "
                    "(the test extra includes it)")
    out = tmp_path_factory.mktemp("slides") / "_slides"
    decks = build_slides(LECTURES_FILE, NOTEBOOKS, out, only=["lecture1"])
    assert decks == [out / "lecture1.html"]
    return out


def test_the_deck_loads_everything_from_its_own_folder(lecture1):
    page = (lecture1 / "lecture1.html").read_text(encoding="utf-8")
    assert REMOTE.findall(page) == []
    local = LOCAL.findall(page)
    assert "reveal.js/dist/reveal.js" in local and "reveal.js/dist/reveal.css" in local
    assert "mathjax/tex-svg-full.js" in local and "reveal.js/plugin/notes/notes.js" in local
    for ref in local:
        assert (lecture1 / ref).is_file(), ref
    theme = next(ref for ref in local if "/theme/" in ref)
    for font in re.findall(r'url\((?:"|\')?([^)"\']+)', (lecture1 / theme).read_text()):
        assert not font.startswith("http") and ((lecture1 / theme).parent / font.split("#")[0].split("?")[0]).exists()
    assert (lecture1 / "reveal.js" / "LICENSE").is_file()


def test_the_deck_has_the_notebooks_slides(lecture1):
    page = (lecture1 / "lecture1.html").read_text(encoding="utf-8")
    nb = nbformat.read(NOTEBOOKS / "01_ou_and_h_transform.ipynb", as_version=4)
    headings = sum(1 for c in nb.cells if c.cell_type == "markdown"
                   for line in c.source.splitlines() if re.match(r"#{1,2}\s", line))
    assert page.count("<section") >= headings + 2  # slides, and the sub-slides inside them
    figures = sum(1 for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {}))
    assert page.count('src="data:image/png') >= figures > 0
    assert "Reveal.initialize(" in page and "width: 960" in page


def test_the_rise_copy_and_the_index(lecture1):
    copy = nbformat.read(lecture1 / "01_ou_and_h_transform.ipynb", as_version=4)
    original = nbformat.read(NOTEBOOKS / "01_ou_and_h_transform.ipynb", as_version=4)
    assert all(c.metadata.slideshow.slide_type for c in copy.cells)
    outputs = [o for c in original.cells for o in c.get("outputs", [])]
    assert [o for c in copy.cells for o in c.get("outputs", [])] == outputs
    index = (lecture1 / "index.html").read_text()
    assert 'href="lecture1.html"' in index and 'href="lecture2.html"' not in index


def test_the_command_line_refuses_a_foreign_folder(tmp_path, capsys):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    assert main(["--out", str(foreign), "--lectures", str(LECTURES_FILE), "--notebooks", str(NOTEBOOKS),
                 "--only", "lecture1"]) == 2
    assert "refusing to replace" in capsys.readouterr().err and (foreign / "precious.txt").is_file()
    assert main(["--out", str(tmp_path / "x"), "--lectures", str(LECTURES_FILE), "--only", "nope"]) == 2
    assert "no lectures ['nope']" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="make")
def test_the_make_targets_install_their_extras_and_run_the_modules():
    import subprocess
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    dry = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", "-n", "student", "autograde", "slides"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    for extra, module in (("instructor", "rdbm_course.release student"),
                          ("instructor", "rdbm_course.release autograde"), ("slides", "rdbm_course.slides")):
        run = next(i for i, line in enumerate(lines) if module in line)
        assert f'-e ".[{extra}]"' in lines[run - 1], (module, lines[run - 1])
