"""The registry: every fact of the derivations, in reading order.

A fact is ``(name, check, expected, statement, tol)``.  ``check()`` returns a
SymPy expression: the simplified residual of an identity (expected ``0``), a
limit (expected its value), or, for numeric checks (``tol`` set), the largest
float64 error (expected ``0`` within ``tol``).  :func:`verify` runs one fact.
"""
from __future__ import annotations

import time
from typing import Callable, NamedTuple

import sympy as sp

from . import code_link, exponential, hbridge, marginal, ou, parameterisation, posterior, reverse, special_cases


class Fact(NamedTuple):
    name: str
    check: Callable[[], sp.Expr]
    expected: sp.Expr = sp.Integer(0)
    statement: str = ""
    tol: float | None = None  # None: exact (symbolic); else a numeric tolerance


def _collect(*modules) -> list[Fact]:
    facts = []
    for mod in modules:
        for entry in mod.FACTS:
            name, check, expected, statement, *tol = entry
            facts.append(Fact(name, check, sp.sympify(expected), statement, tol[0] if tol else None))
    return facts


#: all facts, topic by topic (the code link last: it needs rdbm_core and torch)
FACTS: list[Fact] = _collect(ou, hbridge, marginal, posterior, reverse, exponential, parameterisation,
                             special_cases, code_link)

BY_NAME = {f.name: f for f in FACTS}
assert len(BY_NAME) == len(FACTS), "duplicate fact names"


def passes(fact: Fact, result) -> bool:
    """Whether ``result`` (what ``fact.check()`` returned) verifies the fact."""
    result = sp.sympify(result)
    if isinstance(result, sp.Tuple):  # a list of non-vanishing residuals
        return False
    if fact.tol is not None:
        try:
            return bool(abs(float(result - fact.expected)) <= fact.tol)
        except TypeError:
            return False
    if result == fact.expected:
        return True
    diff = sp.cancel(sp.together(result - fact.expected))
    return diff == 0


def verify(fact: Fact):
    """Run one fact: ``(ok, result, seconds)``; an exception counts as a failure (its text is the result)."""
    t0 = time.perf_counter()
    try:
        result = fact.check()
        ok = passes(fact, result)
    except Exception as exc:  # noqa: BLE001 - a crashing check is a failed fact, reported as such
        result, ok = f"{type(exc).__name__}: {exc}", False
    return ok, result, time.perf_counter() - t0
