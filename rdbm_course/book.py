"""The notebooks as a static book: ``build_book(notebooks_dir, out_dir)``.

Every committed ``.ipynb`` of ``notebooks_dir`` (then of ``notebooks_dir/solutions``) becomes one HTML page,
converted by nbconvert's ``HTMLExporter`` with the outputs it was committed with: nothing is executed.
``index.html`` is the table of contents (each notebook's first heading and the paragraph after
"**What you will learn.**"; the solution notebooks in a section of their own), and every page has
previous / contents / next links. Links between notebooks (``solutions/NN_x_solutions.ipynb``) point to
their pages.

LaTeX is typeset in the browser by MathJax 3 copied into the site (``_static/mathjax/``) from the
``django-static-mathjax`` package (MathJax's own files, no dependencies): the single component
``tex-svg-full.js`` has every TeX extension and draws with SVG, so no font file is needed and the book
builds and reads without a network. Without that package the pages load MathJax from a CDN, and the
build says so on stderr.

The site is built in a temporary folder beside ``out_dir`` and swapped in only once complete: a failed
build leaves the previous book as it was. An existing ``out_dir`` is replaced only if it is empty or a
book built here (it holds the file ``.rdbm-book``).

Command line: ``python -m rdbm_course.book [--notebooks notebooks] [--out _book]`` (``make book``).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import posixpath
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote

__all__ = ["build_book", "MATHJAX_COMPONENT", "MATHJAX_CDN"]

MATHJAX_COMPONENT = "tex-svg-full.js"
#: the MathJax configuration and loader of every HTML page the course builds (the book, the slides): a Jinja
#: fragment that loads MathJax from the page's own ``resources.mathjax_url``
MATHJAX_SCRIPTS = r"""<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  svg: {fontCache: 'global'}
};
</script>
<script id="MathJax-script" defer src="{{ resources.mathjax_url }}"></script>
"""
MATHJAX_CDN = f"https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/{MATHJAX_COMPONENT}"
MARKER = ".rdbm-book"
STATIC = "_static/mathjax"
BOOK_TITLE = "RDBM — the Residual Diffusion Bridge Model, derived and tested"

# nbconvert's JupyterLab template, with MathJax 3 configured for the $...$ and \(...\) delimiters of the
# notebooks, the navigation bars, and none of the template's remote scripts (require.js, mermaid).
_TEMPLATE = r"""
{%- extends 'index.html.j2' -%}
{%- macro book_nav(nav) -%}
<nav class="book-nav">
{%- if nav.prev -%}
<a class="book-prev" href="{{ nav.prev[0] }}">&larr; {{ nav.prev[1] | e }}</a>
{%- else %}<span></span>{% endif -%}
<a class="book-contents" href="{{ nav.contents }}">Contents</a>
{%- if nav.next -%}
<a class="book-next" href="{{ nav.next[0] }}">{{ nav.next[1] | e }} &rarr;</a>
{%- else %}<span></span>{% endif -%}
</nav>
{%- endmacro -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
""" + MATHJAX_SCRIPTS + r"""{%- endblock html_head_js_mathjax -%}
{% block extra_css %}
<style type="text/css">
.book-nav { display: flex; justify-content: space-between; gap: 1em; margin: 1em auto; padding: 0.5em 1em;
            font-family: var(--jp-ui-font-family); border-bottom: 1px solid var(--jp-border-color2); }
footer .book-nav { border-bottom: none; border-top: 1px solid var(--jp-border-color2); }
/* typeset displays are a pixel or two taller than their box: no vertical scroll bar, horizontal only if wide */
.jp-RenderedLatex.jp-OutputArea-output { overflow-x: auto; overflow-y: hidden; padding-bottom: 2px; }
</style>
{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ book_nav(resources.book) }}
{%- endblock body_header -%}
{% block body_footer %}
<footer>{{ book_nav(resources.book) }}</footer>
{{ super() }}
{% endblock body_footer %}
"""

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_LEARN = re.compile(r"\*\*What you will learn\.?\*\*[ \t]*(.*?)(?=\n[ \t]*\n|\*\*[^*\n]+\.\*\*|\Z)", re.S)
_NOTEBOOK_LINK = re.compile(r'href="(?P<target>[^":?#]+\.ipynb)(?P<fragment>#[^"]*)?"')


@dataclass(frozen=True)
class _Chapter:
    source: Path   # the .ipynb
    page: PurePosixPath   # its page, relative to the book's root
    title: str
    summary: str   # markdown ("" when the notebook has no "What you will learn")
    notebook: object   # nbformat.NotebookNode


def _read(path: Path):
    import nbformat
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:  # any reason (not JSON, not a notebook, unreadable) is reported with the name
        raise ValueError(f"cannot read notebook {path}: {err}") from err


def _markdown(nb) -> str:
    return "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def _chapter(path: Path, root: Path) -> _Chapter:
    nb = _read(path)
    text = _markdown(nb)
    heading = _HEADING.search(text)
    learn = _LEARN.search(text)
    return _Chapter(source=path, page=PurePosixPath(path.relative_to(root).with_suffix(".html").as_posix()),
                    title=heading.group(1) if heading else path.stem,
                    summary=" ".join(learn.group(1).split()) if learn else "", notebook=nb)


def _href(target: PurePosixPath, page: PurePosixPath) -> str:
    """URL of ``target`` from ``page`` (both relative to the book's root)."""
    return quote(posixpath.relpath(str(target), str(page.parent)))


def mathjax_source() -> Path | None:
    """MathJax's distribution folder as installed by ``django-static-mathjax`` (import name ``mathjax``), or None."""
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    source = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    return source if (source / "es5" / MATHJAX_COMPONENT).is_file() else None


def _install_mathjax(site: Path) -> PurePosixPath | None:
    """Copy MathJax into the site; its path there, or None (with a warning) when it is not installed."""
    source = mathjax_source()
    if source is None:
        print(f"warning: MathJax is not installed (pip install django-static-mathjax, or the 'book' extra): "
              f"the pages load it from {MATHJAX_CDN} and need a network to show the mathematics",
              file=sys.stderr)
        return None
    dest = site / STATIC
    dest.mkdir(parents=True)
    shutil.copy2(source / "es5" / MATHJAX_COMPONENT, dest / MATHJAX_COMPONENT)
    shutil.copy2(source / "LICENSE", dest / "LICENSE")
    return PurePosixPath(STATIC, MATHJAX_COMPONENT)


def _index_notebook(chapters: list[_Chapter], solutions: list[_Chapter]):
    import nbformat

    def entry(ch: _Chapter) -> str:
        line = f"- **[{ch.title}]({quote(ch.page.as_posix())})**"
        return f"{line}  \n  {ch.summary}" if ch.summary else line

    parts = [f"# {BOOK_TITLE}",
             "The notebooks of this project, one idea each, shown with the outputs they were committed with "
             "(nothing here was re-executed). To run them yourself: `make lab`.",
             "## Notebooks", "\n".join(entry(ch) for ch in chapters)]
    if solutions:
        parts += ["## Solutions", "Worked solutions to the exercises at the end of each notebook.",
                  "\n".join(entry(ch) for ch in solutions)]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("\n\n".join(parts))])


def _link_notebooks(html: str, chapter: _Chapter, pages: dict[Path, PurePosixPath]) -> str:
    """Point links to other notebooks of the book at their pages."""
    def repl(match):
        target = pages.get((chapter.source.parent / unquote(match["target"])).resolve())
        if target is None:
            return match.group(0)
        return f'href="{_href(target, chapter.page)}{match["fragment"] or ""}"'
    return _NOTEBOOK_LINK.sub(repl, html)


def _check_out_dir(out: Path) -> None:
    if out.exists() and not (out.is_dir() and ((out / MARKER).is_file() or not any(out.iterdir()))):
        raise ValueError(f"refusing to replace {out}: it is not empty and not a book built by this command "
                         f"(no {MARKER} file)")


def _swap_in(new: Path, out: Path) -> None:
    """Put the finished site ``new`` at ``out``, removing the previous book only once the new one is there."""
    if not out.exists():
        new.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        new.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old)


def build_book(notebooks_dir, out_dir) -> Path:
    """Build the static HTML book of ``notebooks_dir`` into ``out_dir``; returns the path of ``index.html``.

    Raises FileNotFoundError for a missing folder, ValueError for a folder without notebooks, a notebook
    that cannot be read or converted (named in the message), or an ``out_dir`` that is not a book.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.exporter import ResourcesDict

    root = Path(notebooks_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"notebooks folder not found: {root}")
    sources = sorted(root.glob("*.ipynb"))
    solution_sources = sorted((root / "solutions").glob("*.ipynb"))
    if not sources and not solution_sources:
        raise ValueError(f"no notebooks (*.ipynb) in {root} or {root / 'solutions'}")
    out = Path(out_dir)
    _check_out_dir(out)

    if root / "index.ipynb" in sources:
        raise ValueError(f"{root / 'index.ipynb'} would overwrite the table of contents (index.html): rename it")
    chapters = [_chapter(p, root) for p in sources]
    solutions = [_chapter(p, root) for p in solution_sources]
    index = _Chapter(source=root / "index.ipynb", page=PurePosixPath("index.html"), title=BOOK_TITLE, summary="",
                     notebook=_index_notebook(chapters, solutions))
    order = [index, *chapters, *solutions]
    pages = {ch.source.resolve(): ch.page for ch in chapters + solutions}

    out.parent.mkdir(parents=True, exist_ok=True)
    site = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        os.chmod(site, 0o755)
        mathjax = _install_mathjax(site)
        exporter = HTMLExporter(template_name="lab", raw_template=_TEMPLATE, embed_images=True)
        for i, ch in enumerate(order):
            exporter.mathjax_url = _href(mathjax, ch.page) if mathjax else MATHJAX_CDN
            prev = order[i - 1] if i > 0 else None
            after = order[i + 1] if i + 1 < len(order) else None
            nav = {"prev": prev and (_href(prev.page, ch.page), prev.title),
                   "next": after and (_href(after.page, ch.page), after.title),
                   "contents": _href(index.page, ch.page)}
            resources = ResourcesDict(metadata=ResourcesDict(name=ch.title, path=str(ch.source.parent)), book=nav)
            try:
                html, _ = exporter.from_notebook_node(ch.notebook, resources=resources)
            except Exception as err:  # a broken output or cell: name the notebook
                raise ValueError(f"cannot convert notebook {ch.source}: {err}") from err
            target = site / ch.page
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_link_notebooks(html, ch, pages), encoding="utf-8")
        (site / MARKER).write_text("built by rdbm_course.book; replaced whole by the next build\n")
        _swap_in(site, out)
    except BaseException:
        shutil.rmtree(site, ignore_errors=True)
        raise
    return out / "index.html"


def main(argv=None) -> int:
    """``python -m rdbm_course.book``: build the book; a bad folder ends with one line on stderr and exit code 2."""
    parser = argparse.ArgumentParser(prog="python -m rdbm_course.book",
                                     description="Convert every committed notebook (NOTEBOOKS/*.ipynb, then "
                                                 "NOTEBOOKS/solutions/*.ipynb) with its outputs, without executing "
                                                 "it, into one HTML page each, plus index.html with the table of "
                                                 "contents; LaTeX is typeset by a copy of MathJax inside the book. "
                                                 "OUT is replaced only once the new book is complete.")
    parser.add_argument("--notebooks", default="notebooks", help="folder of the notebooks")
    parser.add_argument("--out", default="_book", help="output folder (replaced whole)")
    args = parser.parse_args(argv)
    try:
        index = build_book(args.notebooks, args.out)
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {index}: open it in a browser (no network needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
