"""Reveal.js slides of the lectures, built offline from the executed notebooks: ``make slides``.

**Lectures.**  ``docs/lectures.toml`` says which notebooks each lecture of ``docs/COURSE.md`` teaches, in order
(``[[lecture]]`` tables with ``id``, ``title`` and ``notebooks``, names without ``.ipynb``): :func:`read_lectures`.

**Slide types.**  The notebooks carry no slide metadata; :func:`apply_slide_rule` sets it at build time on a
copy, by one rule (a cell that already has ``metadata.slideshow.slide_type`` keeps it):

* a markdown cell is first split before each of its headings (outside code fences and ``$$`` blocks), so that
  every heading begins a cell;
* a cell beginning with a heading of level 1 or 2 starts a slide, of level 3 or more a sub-slide (vertical);
* any other cell stays on the current (sub-)slide, markdown as it is and code as a fragment (shown on the next
  click), as long as the (sub-)slide's estimated height stays within :data:`LINE_BUDGET` lines of text (a figure
  counts :data:`FIGURE_LINES`); a cell that would overflow starts a sub-slide instead;
* empty cells are skipped.

In the decks, a code cell of more than :data:`FOLD_LINES` lines shows as a one-line summary ("code, N lines")
that unfolds on a click, so that its figure is on the slide.

**The deck** of a lecture is its notebooks, concatenated with their committed outputs (nothing is executed),
converted by nbconvert's reveal.js exporter with a template that loads nothing from the network: reveal.js 5
(its ``dist/`` and the speaker-notes plugin) is copied into the output from the ``sphinx-revealjs`` package
(which ships reveal.js's files; only those are used, Sphinx is never imported), and MathJax 3 from
``django-static-mathjax``, as the book does; jQuery, require.js, mermaid and the widget manager are left out.
A slide taller than the screen scrolls.

Output (``_slides/``): ``index.html`` (the lectures), ``<id>.html`` (one deck per lecture; keys: arrows,
``S`` for speaker view, ``Esc`` for the overview), ``reveal.js/``, ``mathjax/``, and ``<notebook>.ipynb``: each
notebook with the slide types of the rule and its outputs, to present live with RISE in JupyterLab
(``make lab LAB_DIR=_slides``, then "Render as slideshow"; the copies sit one folder below the repository's root,
as ``notebooks/`` does, so that they find ``../benchmarks`` when run).  The folder is replaced whole, and only if
it is empty or was built here.

Command line: ``python -m rdbm_course.slides [--lectures docs/lectures.toml] [--notebooks notebooks]
[--out _slides] [--only ID ...]`` (``make slides``).
"""
from __future__ import annotations

import argparse
import copy
import html
import importlib.util
import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from .book import MATHJAX_COMPONENT, MATHJAX_SCRIPTS, mathjax_source

__all__ = ["Lecture", "read_lectures", "split_at_headings", "apply_slide_rule", "reveal_source", "build_slides",
           "LINE_BUDGET", "FIGURE_LINES", "FOLD_LINES", "REVEAL_DIR"]

MARKER = ".rdbm-slides"
REVEAL_DIR = "reveal.js"
MATHJAX_DIR = "mathjax"
LINE_BUDGET = 22   # lines of text a 960 x 700 slide shows at the template's 20-px font
FIGURE_LINES = 14  # a figure's share of that
FOLD_LINES = 12    # a code cell longer than this shows as a one-line summary that unfolds on a click
WRAP = 100         # characters per line of text

_HEADING = re.compile(r"^ {0,3}(#{1,6})\s")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


# ----------------------------------------------------------------------------- lectures


@dataclass(frozen=True)
class Lecture:
    id: str
    title: str
    notebooks: tuple[str, ...]


def _parse_toml(text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the subset lectures.toml uses
        return mini_toml(text)
    return tomllib.loads(text)


def mini_toml(text: str) -> dict:
    """``[[table]]`` arrays of tables whose values are JSON-compatible strings and arrays of strings, with
    ``#`` comments; the format of ``docs/lectures.toml`` (for Python 3.10, which has no ``tomllib``)."""
    data: dict = {}
    table = data
    pending = ""
    for raw in text.splitlines():
        line = pending + _strip_comment(raw)
        if not line.strip():
            continue
        if line.count("[") > line.count("]"):  # an array continues on the next line
            pending = line + " "
            continue
        pending = ""
        head = re.fullmatch(r"\s*\[\[\s*([\w-]+)\s*\]\]\s*", line)
        if head:
            table = {}
            data.setdefault(head.group(1), []).append(table)
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"cannot read the line {raw!r}")
        value = re.sub(r",\s*\]", "]", value.strip())  # a trailing comma, allowed by TOML, not by JSON
        table[key.strip()] = json.loads(value)
    return data


def _strip_comment(line: str) -> str:
    out, in_string, escaped = [], False, False
    for ch in line:
        if ch == "#" and not in_string:
            break
        out.append(ch)
        if ch == '"' and not escaped:
            in_string = not in_string
        escaped = ch == "\\" and not escaped
    return "".join(out)


def read_lectures(path) -> list[Lecture]:
    """The lectures of a ``lectures.toml``; ValueError for a malformed file (no lecture, a missing key, ...)."""
    path = Path(path)
    try:
        data = _parse_toml(path.read_text(encoding="utf-8"))
    except (ValueError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: {err}") from err
    lectures = []
    for i, entry in enumerate(data.get("lecture", []), start=1):
        missing = [k for k in ("id", "title", "notebooks") if k not in entry]
        if missing:
            raise ValueError(f"{path}: lecture {i} lacks {', '.join(missing)}")
        if not re.fullmatch(r"[A-Za-z0-9_-]+", entry["id"]):
            raise ValueError(f"{path}: lecture id {entry['id']!r}: use letters, digits, _ and - only")
        notebooks = entry["notebooks"]
        if not notebooks or not all(isinstance(n, str) and n for n in notebooks):
            raise ValueError(f"{path}: lecture {entry['id']} needs a list of notebook names")
        lectures.append(Lecture(entry["id"], entry["title"], tuple(n.removesuffix(".ipynb") for n in notebooks)))
    if not lectures:
        raise ValueError(f"{path}: no [[lecture]] tables")
    ids = [lec.id for lec in lectures]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: lecture ids repeat: {ids}")
    return lectures


# ----------------------------------------------------------------------------- the slide rule


def split_at_headings(source: str) -> list[str]:
    """``source`` (markdown) cut before each heading that is not inside a code fence or a ``$$`` block."""
    parts, current = [], []
    in_fence = in_math = False
    for line in source.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.count("$$") % 2 == 1:
            in_math = not in_math
        elif not in_fence and not in_math and _HEADING.match(line) and any(s.strip() for s in current):
            parts.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if any(s.strip() for s in current):
        parts.append("\n".join(current).strip("\n"))
    return parts or [source]


def _heading_level(cell) -> int:
    """The level of the heading a markdown cell begins with, or 0."""
    if cell.cell_type != "markdown":
        return 0
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    match = _HEADING.match(first)
    return len(match.group(1)) if match else 0


def _text_lines(text: str) -> int:
    return sum(max(1, -(-len(line) // WRAP)) for line in text.splitlines() if line.strip())


def _height(cell) -> int:
    """Estimated height of a cell on a slide, in lines of text."""
    if cell.cell_type == "markdown":
        return _text_lines(cell.source) + cell.source.count("$$")  # a display block: about two lines more
    lines = 0
    if cell.cell_type == "code":
        lines = _text_lines(cell.source) if len(cell.source.splitlines()) <= FOLD_LINES else 1
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(k.startswith("image/") for k in data):
            lines += FIGURE_LINES
        elif "text/html" in data:
            lines += min(_text_lines("".join(data["text/html"])) // 2 + 1, LINE_BUDGET)
        elif "text/latex" in data or "text/markdown" in data:
            lines += 2
        elif "text" in out or "text/plain" in data:
            lines += min(_text_lines("".join(out.get("text") or data.get("text/plain", ""))), LINE_BUDGET)
    return lines


def _new_cell(cell, source: str, cell_id: str):
    part = copy.deepcopy(cell)
    part.source = source
    part["id"] = cell_id
    return part


def apply_slide_rule(nb, prefix: str = "c"):
    """A copy of ``nb`` with a slide type on every cell, by the module's rule; cell ids become ``prefix-N``."""
    import nbformat

    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown" and "slide_type" not in cell.metadata.get("slideshow", {}):
            cells += [_new_cell(cell, part, "") for part in split_at_headings(cell.source)]
        else:
            cells.append(cell)
    used = 0
    for i, cell in enumerate(cells):
        cell["id"] = f"{prefix}-{i}"
        preset = cell.metadata.get("slideshow", {}).get("slide_type")
        height = _height(cell)
        if preset:
            kind = preset
        elif not cell.source.strip() and not cell.get("outputs"):
            kind = "skip"
        elif i == 0 or 1 <= _heading_level(cell) <= 2:
            kind = "slide"
        elif _heading_level(cell) >= 3 or used + height > LINE_BUDGET:
            kind = "subslide"
        else:
            kind = "fragment" if cell.cell_type == "code" else "-"
        if kind in ("slide", "subslide"):
            used = height
        elif kind not in ("skip", "notes"):
            used += height
        cell.metadata["slideshow"] = nbformat.from_dict({**cell.metadata.get("slideshow", {}), "slide_type": kind})
    out.cells = cells
    out.nbformat, out.nbformat_minor = 4, max(out.get("nbformat_minor", 5), 5)
    nbformat.validate(out)
    return out


# ----------------------------------------------------------------------------- reveal.js and the deck


def reveal_source() -> Path | None:
    """reveal.js's distribution folder (the one holding ``dist/reveal.js``) inside the installed ``sphinx-revealjs``
    package, or None.  The package is located, not imported (importing it would import Sphinx)."""
    spec = importlib.util.find_spec("sphinx_revealjs")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    for candidate in sorted(package.rglob("dist/reveal.js")):
        root = candidate.parent.parent
        if (root / "dist" / "reveal.css").is_file() and (root / "plugin" / "notes" / "notes.js").is_file():
            return root
    return None


def _install_reveal(site: Path) -> None:
    source = reveal_source()
    if source is None:
        raise RuntimeError("reveal.js is not installed: pip install sphinx-revealjs (the 'slides' extra; "
                           "`make slides` installs it)")
    dest = site / REVEAL_DIR
    shutil.copytree(source / "dist", dest / "dist", ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    (dest / "plugin" / "notes").mkdir(parents=True)
    shutil.copy2(source / "plugin" / "notes" / "notes.js", dest / "plugin" / "notes" / "notes.js")
    for name in ("LICENSE", "LICENSE.md"):
        if (source / name).is_file():
            shutil.copy2(source / name, dest / name)


def _install_mathjax(site: Path) -> None:
    source = mathjax_source()
    if source is None:
        raise RuntimeError("MathJax is not installed: pip install django-static-mathjax (the 'slides' extra)")
    dest = site / MATHJAX_DIR
    dest.mkdir(parents=True)
    shutil.copy2(source / "es5" / MATHJAX_COMPONENT, dest / MATHJAX_COMPONENT)
    shutil.copy2(source / "LICENSE", dest / "LICENSE")


# nbconvert's reveal template without its remote scripts (jQuery, require.js, mermaid, the widget manager), with
# MathJax 3 and reveal.js loaded from the deck's own folder by plain <script> tags.
_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}
""" + MATHJAX_SCRIPTS + r"""<style type="text/css">
/* a slide taller than the screen scrolls instead of being cut */
.reveal .slides section:not(.stack) { height: 100%; overflow-y: auto; }
.reveal .slides section .jp-Cell { margin-bottom: 0.3em; }
.jp-RenderedLatex.jp-OutputArea-output { overflow-x: auto; overflow-y: hidden; }
.reveal h1, .reveal h2, .reveal h3, .reveal h4 { text-transform: none; }
.reveal details.rdbm-fold > summary { font-size: 0.6em; color: #666; cursor: pointer; }
</style>
{%- endblock html_head_js_mathjax -%}
{% block input_group -%}
{%- set n = cell.source.splitlines() | length -%}
{%- if n > resources.fold_lines -%}
<details class="rdbm-fold"><summary>code, {{ n }} lines</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock input_group %}
{% block footer_js %}
<script src="{{ resources.reveal.url_prefix }}/dist/reveal.js"></script>
<script src="{{ resources.reveal.url_prefix }}/plugin/notes/notes.js"></script>
<script>
Reveal.initialize({
  controls: true, progress: true, history: true, hash: true, center: false,
  transition: "{{ resources.reveal.transition | default('none', true) }}",
  slideNumber: "{{ resources.reveal.number | default('c/t', true) }}",
  width: {{ resources.reveal.width | default('960', true) }},
  height: {{ resources.reveal.height | default('700', true) }},
  plugins: [RevealNotes]
});
</script>
{% endblock footer_js %}
"""


def _deck_notebook(lecture: Lecture, notebooks: Path):
    """The lecture's notebooks, each with the slide rule applied, concatenated into one notebook."""
    import nbformat

    cells, metadata = [], None
    for name in lecture.notebooks:
        path = notebooks / f"{name}.ipynb"
        if not path.is_file():
            raise ValueError(f"lecture {lecture.id}: no notebook {path}")
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as err:  # any reason: name the notebook
            raise ValueError(f"cannot read notebook {path}: {err}") from err
        if metadata is None:
            metadata = copy.deepcopy(nb.metadata)
        cells += apply_slide_rule(nb, prefix=name).cells
    metadata.pop("widgets", None)
    metadata["title"] = lecture.title
    deck = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    return deck


def _index_html(lectures: list[Lecture]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(lec.id)}.html">{html.escape(lec.title)}</a><br><small>'
        + ", ".join(f'{html.escape(n)} (<a href="{html.escape(n)}.ipynb">notebook for RISE</a>)'
                    for n in lec.notebooks) + "</small></li>"
        for lec in lectures)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Lecture slides</title>\n'
            "<style>body { font-family: sans-serif; max-width: 50em; margin: 2em auto; } "
            "li { margin-bottom: 1em; }</style>\n</head>\n<body>\n<h1>Lecture slides</h1>\n"
            "<p>One reveal.js deck per lecture, made from the notebooks with their committed outputs; "
            "no network needed. Arrow keys move, <kbd>S</kbd> opens the speaker view, <kbd>Esc</kbd> the "
            f"overview.</p>\n<ol>\n{items}\n</ol>\n</body>\n</html>\n")


def _check_out_dir(out: Path) -> None:
    if out.exists() and not (out.is_dir() and ((out / MARKER).is_file() or not any(out.iterdir()))):
        raise ValueError(f"refusing to replace {out}: it is not empty and not slides built by this command "
                         f"(no {MARKER} file)")


def build_slides(lectures_file="docs/lectures.toml", notebooks_dir="notebooks", out_dir="_slides", *,
                 only=None) -> list[Path]:
    """Build the decks of every lecture (or of the lecture ids in ``only``); returns the decks' paths.

    Raises ValueError for a bad lectures file, a missing notebook, an unknown lecture id or an ``out_dir``
    that is not slides built here; RuntimeError when reveal.js or MathJax is not installed.
    """
    import nbformat
    from nbconvert import SlidesExporter
    from nbconvert.exporters.exporter import ResourcesDict

    lectures = read_lectures(lectures_file)
    if only:
        unknown = sorted(set(only) - {lec.id for lec in lectures})
        if unknown:
            raise ValueError(f"no lectures {unknown} in {lectures_file}; there are {[lec.id for lec in lectures]}")
        lectures = [lec for lec in lectures if lec.id in only]
    notebooks, out = Path(notebooks_dir), Path(out_dir)
    decks = [(lec, _deck_notebook(lec, notebooks)) for lec in lectures]
    _check_out_dir(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by rdbm_course.slides; replaced whole by the next `make slides`\n")
    _install_reveal(out)
    _install_mathjax(out)
    exporter = SlidesExporter(template_name="reveal", raw_template=_TEMPLATE, embed_images=True,
                              reveal_url_prefix=REVEAL_DIR, reveal_theme="white", reveal_transition="none",
                              reveal_number="c/t")
    exporter.mathjax_url = f"{MATHJAX_DIR}/{MATHJAX_COMPONENT}"
    written = []
    for lecture, deck in decks:
        resources = ResourcesDict(metadata=ResourcesDict(name=lecture.title, path=str(notebooks)),
                                  fold_lines=FOLD_LINES)
        try:
            body, _ = exporter.from_notebook_node(deck, resources=resources)
        except Exception as err:  # a broken output or cell: name the lecture
            raise ValueError(f"cannot convert lecture {lecture.id}: {err}") from err
        target = out / f"{lecture.id}.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
        for name in lecture.notebooks:  # the notebooks with their slide types, for RISE
            nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
            nbformat.write(apply_slide_rule(nb, prefix=name), out / f"{name}.ipynb")
    (out / "index.html").write_text(_index_html(lectures), encoding="utf-8")
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rdbm_course.slides",
                                     description="One reveal.js deck per lecture of LECTURES, from the notebooks "
                                                 "with their committed outputs (nothing is executed); reveal.js "
                                                 "and MathJax are copied into OUT, so the slides need no network.")
    parser.add_argument("--lectures", default="docs/lectures.toml", help="the lectures and their notebooks")
    parser.add_argument("--notebooks", default="notebooks", help="folder of the notebooks")
    parser.add_argument("--out", default="_slides", help="output folder (replaced whole)")
    parser.add_argument("--only", nargs="*", help="these lecture ids only")
    args = parser.parse_args(argv)
    try:
        decks = build_slides(args.lectures, args.notebooks, args.out, only=args.only)
    except (ValueError, OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for deck in decks:
        print(f"wrote {deck}")
    print(f"open {Path(args.out) / 'index.html'} in a browser (no network needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
