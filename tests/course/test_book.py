"""``rdbm_course.book`` / ``python -m rdbm_course.book``: the committed notebooks as a static HTML book.

The real book is built once from ``notebooks/`` (committed outputs, nothing executed); the error cases,
links between notebooks and the MathJax fallback use small notebooks written here.
"""
import json
import re
import time
from pathlib import Path

import nbformat
import pytest

from rdbm_course import book
from rdbm_course.book import MATHJAX_CDN, build_book, main

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SOURCES = sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
SRC = re.compile(r'<script[^>]*\bsrc="([^"]+)"')
EMBEDDED_IMG = re.compile(r'<img\b[^>]*\bsrc="data:image/')


def _page(site: Path, source: Path) -> Path:
    return site / source.relative_to(NOTEBOOKS).with_suffix(".html")


def _first_heading(source: Path) -> str:
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    raise AssertionError(f"{source.name} has no markdown heading")


def _figures(source: Path) -> int:
    nb = nbformat.read(source, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
               if {"image/png", "image/jpeg"} & set(out.get("data", {})))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("book") / "_book"
    start = time.perf_counter()
    index = build_book(NOTEBOOKS, out)
    print(f"built the book of {len(SOURCES)} notebooks in {time.perf_counter() - start:.1f} s")
    assert index == out / "index.html" and index.is_file()
    return out


def test_index_links_every_notebook_and_the_solutions(site):
    assert any(p.parent == NOTEBOOKS for p in SOURCES)
    index = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"#]+\.html)"', index)
    expected = [p.relative_to(NOTEBOOKS).with_suffix(".html").as_posix() for p in SOURCES]
    assert links == expected   # in order: 01..NN, then the solutions
    for source in SOURCES:
        assert _page(site, source).is_file()
    solutions = [p for p in SOURCES if p.parent.name == "solutions"]
    if solutions:
        section = index[index.index('id="Solutions"'):]
        assert all(f'href="solutions/{p.stem}.html"' in section for p in solutions)
    # the summary of a notebook is its "What you will learn" paragraph, without the label
    assert r"the residual's $\pi^2$ cancelling on the way" in index  # LaTeX is left for MathJax
    assert "What you will learn" not in index and "Prerequisites" not in index


def test_each_page_has_its_title_figures_and_navigation(site):
    order = [site / "index.html"] + [_page(site, s) for s in SOURCES]
    for i, source in enumerate(SOURCES, start=1):
        page = order[i]
        html = page.read_text(encoding="utf-8")
        title = _first_heading(source)
        assert f"<title>{title}</title>" in html.replace("&#x27;", "'").replace("&#39;", "'")
        assert len(EMBEDDED_IMG.findall(html)) >= _figures(source), source.name
        nav = re.search(r'<nav class="book-nav">(.*?)</nav>', html).group(1)
        hrefs = dict(re.findall(r'class="book-(prev|contents|next)" href="([^"]+)"', nav))
        assert (page.parent / hrefs["prev"]).resolve() == order[i - 1].resolve()
        assert (page.parent / hrefs["contents"]).resolve() == (site / "index.html").resolve()
        if i + 1 < len(order):
            assert (page.parent / hrefs["next"]).resolve() == order[i + 1].resolve()
        else:
            assert "next" not in hrefs
    assert sum(_figures(s) for s in SOURCES) > 0


def test_mathjax_is_inside_the_book_and_nothing_is_remote(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == len(SOURCES) + 1
    for page in pages:
        html = page.read_text(encoding="utf-8")
        scripts = SRC.findall(html)
        assert scripts, page.name
        for src in scripts:
            assert "://" not in src, (page.name, src)
            target = (page.parent / src).resolve()
            assert target.is_file() and site.resolve() in target.parents, (page.name, src)
        assert "import(\"http" not in html and "cdnjs" not in html
    mathjax = site / "_static" / "mathjax" / book.MATHJAX_COMPONENT
    assert mathjax.stat().st_size > 1_000_000 and b"MathJax" in mathjax.read_bytes()[:100_000]
    assert "window.MathJax" in (site / "index.html").read_text(encoding="utf-8")


def test_latex_is_left_for_mathjax(site):
    source = NOTEBOOKS / "02a_marginal_and_posterior.ipynb"
    nb = nbformat.read(source, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    inline = re.findall(r"(?<!\$)\$[^$<>&\n]+\$(?!\$)", markdown)
    latex_outputs = [out.data["text/latex"].strip() for c in nb.cells if c.cell_type == "code"
                     for out in c.outputs if "text/latex" in out.get("data", {})]
    assert inline and latex_outputs
    html = _page(site, source).read_text(encoding="utf-8")
    assert inline[0] in html
    first = latex_outputs[0]
    if not any(ch in first for ch in "<>&"):
        assert first in html


def _notebook(path: Path, *markdown: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown]), path)


@pytest.fixture
def small(tmp_path):
    root = tmp_path / "nb"
    _notebook(root / "01_a.ipynb",
              "# 01 — First\n\n**What you will learn.** Alpha $x^2$\nbeta.\n**Prerequisites.** Gamma.",
              "See [the solutions](solutions/01_a_solutions.ipynb#Part-1), [two](02_b.ipynb) and "
              "[elsewhere](../other.ipynb).")
    _notebook(root / "02_b.ipynb", "Intro without a heading.")
    _notebook(root / "solutions" / "01_a_solutions.ipynb", "# 01 — Solutions\n\nBack to [01](../01_a.ipynb).")
    return root


def test_small_book_summaries_links_and_fallback_title(small, tmp_path):
    out = tmp_path / "site"
    build_book(small, out)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Alpha $x^2$ beta." in index and "Gamma" not in index
    assert '<a href="02_b.html">02_b</a>' in index   # no heading: the file name is the title
    first = (out / "01_a.html").read_text(encoding="utf-8")
    assert 'href="solutions/01_a_solutions.html#Part-1"' in first and 'href="02_b.html"' in first
    assert 'href="../other.ipynb"' in first   # not in the book: left alone
    solution = (out / "solutions" / "01_a_solutions.html").read_text(encoding="utf-8")
    assert 'href="../01_a.html"' in solution and 'src="../_static/mathjax/' in solution


def test_without_mathjax_the_pages_use_the_cdn_and_say_so(small, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(book, "mathjax_source", lambda: None)
    build_book(small, tmp_path / "site")
    assert "warning: MathJax is not installed" in capsys.readouterr().err
    assert SRC.findall((tmp_path / "site" / "01_a.html").read_text(encoding="utf-8")) == [MATHJAX_CDN]
    assert not (tmp_path / "site" / "_static").exists()


def test_errors_name_the_problem_and_keep_the_previous_book(small, tmp_path):
    with pytest.raises(FileNotFoundError, match="notebooks folder not found"):
        build_book(tmp_path / "missing", tmp_path / "site")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no notebooks"):
        build_book(tmp_path / "empty", tmp_path / "site")

    out = tmp_path / "site"
    build_book(small, out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (small / "03_broken.ipynb").write_text("{ not json")
    with pytest.raises(ValueError, match="cannot read notebook .*03_broken.ipynb"):
        build_book(small, out)
    (small / "03_broken.ipynb").write_text(json.dumps({"cells": "no", "nbformat": 4}))
    with pytest.raises(ValueError, match="03_broken.ipynb"):
        build_book(small, out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "nb", "site"]   # no temporary folder left

    (small / "03_broken.ipynb").unlink()
    _notebook(small / "03_c.ipynb", "# 03 — Third")
    build_book(small, out)   # a book is replaced by the next build
    assert (out / "03_c.html").is_file()

    _notebook(small / "index.ipynb", "# Index")
    with pytest.raises(ValueError, match="would overwrite the table of contents"):
        build_book(small, out)
    (small / "index.ipynb").unlink()

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to replace"):
        build_book(small, precious)
    assert (precious / "keep.txt").read_text() == "mine" and len(list(precious.iterdir())) == 1


def test_cli_book(small, tmp_path, capsys):
    assert main(["--notebooks", str(small), "--out", str(tmp_path / "site")]) == 0
    assert "index.html" in capsys.readouterr().out and (tmp_path / "site" / "index.html").is_file()
    assert main(["--notebooks", str(tmp_path / "missing"), "--out", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: notebooks folder not found") and len(err.strip().splitlines()) == 1
