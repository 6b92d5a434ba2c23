"""Two gradings the exercise modules share: *derive* exercises graded on the student's steps, and refusing the
library's own functions in *implement* exercises.

**Steps.** A derive exercise is not graded on its final formula alone: that formula is one call away in the
``derivations`` package (``family.Theta(u, c)``, ``family.posterior_coefficients(a, b)``, ...), and SymPy's cache
makes the library's result and a student's own ``sp.sinh(c - u) / sp.sinh(c)`` the *same object*, so no checker
can tell them apart. The student hands in a ``dict`` of named intermediate SymPy expressions (:class:`Step`), and
:func:`steps_answer` checks each one, in order, against the truth; a bare expression is refused with the list of
steps to hand in. A step may be compared after a ``transform`` (a log-density *up to terms free of x* is compared
through its x-derivative; an integrating factor through its logarithmic derivative, so that any constant multiple
passes).

**The library's functions.** :func:`library_use` looks inside a submitted function (its module, the global names
its code reads, ``functools.partial``, closures and the student's own helper functions) for a function or module of
a forbidden part of ``rdbm_core``; :func:`refuse_library` turns a find into feedback. (The same test as
``ex06_training``'s, for the exercises of notebooks 01 to 02c.)
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

from ._base import Feedback, _as_expression, correct, sympy_answer, wrong

__all__ = ["Step", "steps_answer", "library_use", "refuse_library", "GuardedPath", "watching_calls"]


@dataclass(frozen=True)
class Step:
    """One intermediate result of a derive exercise.

    ``key`` is its key in the student's dict, ``what`` names it in the feedback, ``reference`` is the truth (after
    ``transform``, if any: then the student's expression is transformed and compared with ``reference``), ``allowed``
    maps the symbol names the step may use to the problem's symbols. ``hints``, ``generic_hint`` and ``constraint``
    are those of :func:`~rdbm_course.exercises._base.sympy_answer` (the hints' tests see the transformed expression).
    ``extra(expr)`` may refuse a right value with a Feedback (e.g. a symbol that should have cancelled).
    """

    key: str
    what: str
    reference: sp.Expr
    allowed: dict
    transform: Callable[[sp.Expr], sp.Expr] | None = None
    transformed: str = ""  # what the transform computes, for the feedback ("its x-derivative")
    hints: tuple = ()
    generic_hint: str = ""
    constraint: Callable[[dict], bool] | None = None
    extra: Callable[[sp.Expr], Feedback | None] | None = None


def _listing(steps) -> str:
    return ", ".join(f'"{s.key}"' for s in steps)


def steps_answer(answer: Any, steps: tuple[Step, ...], *, done: str) -> Feedback:
    """Check a dict of steps; ``done`` is the message of a fully right answer."""
    if not isinstance(answer, Mapping):
        return wrong(f"this exercise is graded on your steps, not on a final formula alone: hand in a dict with the "
                     f"keys {_listing(steps)} (got {type(answer).__name__}).",
                     "build each step yourself from the exercise's ingredients; the final formula is one call away in "
                     "the derivations package, so on its own it shows nothing.")
    missing = [s.key for s in steps if s.key not in answer]
    if missing:
        return wrong(f"your dict lacks the step{'s' if len(missing) > 1 else ''} {', '.join(repr(k) for k in missing)}.",
                     f"the steps are {_listing(steps)}, in that order.")
    unknown = sorted(str(k) for k in answer if k not in {s.key for s in steps})
    if unknown:
        return wrong(f"your dict has key{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)}, "
                     "which this exercise does not ask for.", f"the steps are {_listing(steps)}.")
    for number, step in enumerate(steps, start=1):
        value = answer[step.key]
        label = f"step {number}, {step.key!r}"
        if isinstance(value, (sp.Basic, str, int, float)) and step.transform is not None:
            expr = _as_expression(value, step.allowed)
            if isinstance(expr, Feedback):
                return wrong(f"{label}: {expr.message}", expr.hint)
            try:
                value = step.transform(expr)
            except Exception as err:  # an odd expression: report it, do not raise
                return wrong(f"{label}: transforming it raised {type(err).__name__}: {err}",
                             "check that the step is an expression in the listed symbols.")
        what = f"{step.transformed} of the right {step.what}" if step.transform is not None else f"the right {step.what}"
        result = sympy_answer(value, step.reference, step.allowed, what=what, hints=step.hints,
                              generic_hint=step.generic_hint, constraint=step.constraint)
        if not result.ok:
            return wrong(f"{label}: {result.message}", result.hint)
        if step.extra is not None:
            refused = step.extra(sp.sympify(value))
            if refused is not None:
                return wrong(f"{label}: {refused.message}", refused.hint)
    return correct(done)


# ----------------------------------------------------------------------------- the library's own functions


def _forbidden(module_name: str, forbidden: tuple[str, ...]) -> bool:
    return any(module_name == m or module_name.startswith(m + ".") for m in forbidden)


def _has_contents(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty cell
        return False
    return True


def library_use(fn, forbidden: tuple[str, ...], depth: int = 0, seen=None) -> str | None:
    """The name of a function or module of ``forbidden`` that ``fn`` is, wraps or calls by a global name
    (directly, through ``functools.partial``, a closure or a helper function of the student's); None if none.

    Looks at the names the code of ``fn`` reads (``co_names``, also in nested code) and resolves them in its
    globals: a forbidden function, a forbidden module, or a parent package whose forbidden child is read as an
    attribute (``rdbm_core.bridge.samplers.implicit_step``)."""
    seen = set() if seen is None else seen
    if depth > 4 or id(fn) in seen:
        return None
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        return library_use(fn.func, forbidden, depth + 1, seen)
    if isinstance(fn, types.ModuleType):
        return fn.__name__ if _forbidden(fn.__name__, forbidden) else None
    if not callable(fn):
        return None
    module = getattr(fn, "__module__", None) or ""
    if _forbidden(module, forbidden):
        return f"{module}.{getattr(fn, '__qualname__', getattr(fn, '__name__', '?'))}"
    fn = inspect.unwrap(fn)
    code, env = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if code is None or env is None:
        return None
    names, stack = set(), [code]
    while stack:
        co = stack.pop()
        names.update(co.co_names)
        stack.extend(k for k in co.co_consts if isinstance(k, types.CodeType))
    candidates = [env[name] for name in names if name in env]
    candidates += [cell.cell_contents for cell in (fn.__closure__ or ()) if _has_contents(cell)]
    for obj in candidates:
        if isinstance(obj, types.ModuleType):
            if _forbidden(obj.__name__, forbidden):
                return obj.__name__
            for m in forbidden:  # `import rdbm_core` then `rdbm_core.bridge.samplers.implicit_step(...)`
                if m.startswith(obj.__name__ + ".") and m[len(obj.__name__) + 1:].split(".")[0] in names:
                    return m
        elif callable(obj):
            found = library_use(obj, forbidden, depth + 1, seen)
            if found is not None:
                return found
    return None


def refuse_library(answer, forbidden: tuple[str, ...], what: str) -> Feedback | None:
    """A ``wrong`` Feedback when ``answer`` is or calls one of the ``forbidden`` modules' functions, else None."""
    found = library_use(answer, forbidden)
    if found is None:
        return None
    return wrong(f"your answer uses the library's own `{found}`: this exercise asks you to write {what} yourself.",
                 "compute it from the pieces listed in the exercise, without "
                 + " or ".join(f"`{m}`" for m in forbidden) + ".")


class GuardedPath:
    """A path handed to a student's function: every attribute of the real ``path``, and a record (``used``) of the
    ``forbidden`` methods read, so that a checker can refuse an answer that calls them."""

    def __init__(self, path, forbidden: tuple[str, ...]):
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_forbidden", tuple(forbidden))
        object.__setattr__(self, "used", [])

    def __getattr__(self, name):
        if name in self._forbidden:
            self.used.append(name)
        return getattr(self._path, name)


@contextlib.contextmanager
def watching_calls(cls, names: tuple[str, ...]):
    """While active, record (in the yielded list) every call of the methods ``names`` of ``cls``, on any instance.

    :func:`library_use` reads the names a function's code uses and finds a forbidden *function* or *module*; it does
    not see a method called on an object the student made beforehand (``ref.coefficients(t)`` with ``ref`` a path of
    the notebook), nor :class:`GuardedPath`, which guards only the object handed to the student. Wrapping the methods
    on the class for the duration of the student's call catches every route to them."""
    used: list[str] = []
    originals = {name: cls.__dict__[name] for name in names}

    def recording(name, method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            used.append(name)
            return method(*args, **kwargs)
        return wrapper

    try:
        for name, method in originals.items():
            setattr(cls, name, recording(name, method))
        yield used
    finally:
        for name, method in originals.items():
            setattr(cls, name, method)
