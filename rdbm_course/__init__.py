"""rdbm_course: the course built on the library: the notebooks' exercises, the explorer and the book.

The layers import one way: :mod:`rdbm_core` (the numerical core and the restoration pipeline) imports
neither :mod:`derivations` (SymPy) nor this package; :mod:`derivations` may import :mod:`rdbm_core` to link
formulas to code; the course imports both.

* :mod:`~rdbm_course.exercises` — the notebooks' exercises and their checkers (``check("01.1", answer)``);
* :mod:`~rdbm_course.explorer` — one figure of a bridge (Theta, Sigma, paths, an image strip), live with ipywidgets;
* :mod:`~rdbm_course.book` — the notebooks as a static HTML book (``python -m rdbm_course.book``).
"""
