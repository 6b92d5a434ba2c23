"""What every exercise shares: the feedback a student sees, the registry, and the common checks.

A checker never raises on a wrong answer and never prints the solution: it says *what* is wrong
(a wrong limit, a constant factor, a shape, the largest error and where) and gives a hint.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any, Callable

import sympy as sp
import torch

__all__ = ["Feedback", "Exercise", "EXERCISES", "exercise", "check", "correct", "wrong", "letter_answer",
           "tensor_or_none", "intact_batch",
           "sympy_answer", "tensor_answer", "call_student"]


@dataclass(frozen=True)
class Feedback:
    """The result of :func:`check`: true when the answer is right (so ``assert check(...)`` works)."""

    exercise: str
    ok: bool
    message: str
    hint: str = ""
    attempted: bool = True

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if not self.attempted:
            return f"[{self.exercise}] not attempted yet: {self.message}"
        head = "correct" if self.ok else "not yet"
        return f"[{self.exercise}] {head}: {self.message}" + (f"\nHint: {self.hint}" if self.hint else "")

    def _repr_markdown_(self) -> str:
        if not self.attempted:
            return f"⏳ **{self.exercise}** — not attempted yet. {self.message}"
        mark = "✅" if self.ok else "❌"
        head = "correct" if self.ok else "not yet"
        text = f"{mark} **{self.exercise}** — {head}. {self.message}"
        return text + (f"\n\n💡 *Hint:* {self.hint}" if self.hint else "")

    __repr__ = __str__


@dataclass(frozen=True)
class Exercise:
    """One exercise: ``id`` is ``"NN.k"`` (notebook NN, exercise k); ``checker(answer) -> Feedback``."""

    id: str
    title: str
    kind: str  # "derive", "implement" or "predict"
    checker: Callable[[Any], Feedback]


#: every exercise of the course, by id (filled by the ``exNN_*`` modules)
EXERCISES: dict[str, Exercise] = {}

KINDS = ("derive", "implement", "predict")


def exercise(id: str, title: str, kind: str):
    """Register a checker under ``id`` (decorator)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

    def register(checker):
        if id in EXERCISES:
            raise ValueError(f"exercise {id} is registered twice")
        EXERCISES[id] = Exercise(id, title, kind, checker)
        return checker
    return register


def correct(message: str = "") -> Feedback:
    return Feedback("", True, message or "Well done.")


def wrong(message: str, hint: str = "") -> Feedback:
    return Feedback("", False, message, hint)


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check a student's ``answer`` to exercise ``exercise_id`` (``...`` or ``None``: not attempted)."""
    if exercise_id not in EXERCISES:
        raise KeyError(f"no exercise {exercise_id!r}; the exercises are {', '.join(sorted(EXERCISES))}")
    if answer is None or answer is Ellipsis:
        return Feedback(exercise_id, False, "replace `...` with your answer and run the cell again.", attempted=False)
    try:
        result = EXERCISES[exercise_id].checker(answer)
    except Exception as err:  # a checker must turn any failure of the answer into feedback
        result = wrong(f"checking your answer raised {type(err).__name__}: {err}",
                       "run your answer on its own first and look at what it returns.")
    return replace(result, exercise=exercise_id)


# ----------------------------------------------------------------------------- symbolic answers


def _as_expression(answer, allowed: dict[str, sp.Symbol]):
    """A SymPy expression in the ``allowed`` symbols (matched by name), or a Feedback saying why not."""
    if isinstance(answer, str):
        try:
            answer = sp.sympify(answer, locals=dict(allowed))
        except (sp.SympifyError, SyntaxError, TypeError) as err:
            return wrong(f"the string {answer!r} is not a formula SymPy can read ({type(err).__name__}).",
                         "write it as a SymPy expression, e.g. `sp.sinh(c - u) / sp.sinh(c)`.")
    if isinstance(answer, (int, float)):
        answer = sp.sympify(answer)
    if not isinstance(answer, sp.Expr):
        return wrong(f"expected a SymPy expression, got {type(answer).__name__}.",
                     "build it from the symbols imported in the notebook (`from derivations.common import ...`).")
    unknown = sorted(s.name for s in answer.free_symbols if s.name not in allowed)
    if unknown:
        return wrong(f"your expression uses {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} "
                     "not part of this problem.",
                     f"write it with {', '.join(sorted(allowed))} only.")
    # same names, possibly other assumptions: use the problem's own symbols
    return answer.xreplace({s: allowed[s.name] for s in answer.free_symbols})


def _sample_point(symbols, rng: random.Random, constraint=None) -> dict:
    for _ in range(100):
        point = {s: sp.Rational(rng.randint(5, 95), 40) for s in symbols}
        if constraint is None or constraint(point):
            return point
    raise RuntimeError("no sample point satisfies the constraint")


def sympy_answer(answer, reference: sp.Expr, allowed: dict[str, sp.Symbol], *, what: str,
                 hints: tuple[tuple[Callable[[sp.Expr], bool], str], ...] = (), generic_hint: str = "",
                 constraint: Callable[[dict], bool] | None = None, gens: dict | None = None) -> Feedback:
    """Check a symbolic ``answer`` against ``reference``.

    ``what`` names the quantity in the feedback.  ``hints`` are ``(test(answer), hint)`` pairs tried in
    order when the answer is wrong (e.g. a wrong value at ``t = 0``).  ``constraint(point)`` restricts
    the random points used to look for a constant factor (e.g. ``u < c``).
    """
    from derivations.common import zero  # the exact identity test of the derivations

    expr = _as_expression(answer, allowed)
    if isinstance(expr, Feedback):
        return expr
    if zero(expr - reference, gens) == 0:
        return correct(f"that is {what}.")
    for test, hint in hints:
        try:
            triggered = bool(test(expr))
        except Exception:  # a hint's test can fail on an odd answer: then it does not apply
            triggered = False
        if triggered:
            return wrong(f"this is not {what}.", hint)
    rng = random.Random(0)
    symbols = sorted(reference.free_symbols | expr.free_symbols, key=lambda s: s.name)
    ratios = set()
    for _ in range(3):
        point = _sample_point(symbols, rng, constraint)
        ref_val, ans_val = complex(reference.subs(point).evalf(30)), complex(expr.subs(point).evalf(30))
        ratios.add(round((ans_val / ref_val).real, 9) if ref_val != 0 else None)
    if len(ratios) == 1 and None not in ratios:
        k = ratios.pop()
        if k == -1:
            return wrong(f"this is not {what}: it has the opposite sign.", "check the sign of each term.")
        return wrong(f"this is not {what}: it is off by a constant factor {k:.6g}.",
                     generic_hint or "check the constant factors (a missing 2 or 1/2 is common).")
    return wrong(f"this is not {what}.", generic_hint)


# ----------------------------------------------------------------------------- numeric answers


def number_answer(answer):
    """``answer`` as a finite float, or None (a bool, a non-number or a non-finite value)."""
    if isinstance(answer, bool):
        return None
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def call_student(fn, *args, name: str = "your function"):
    """Call a student's function; return ``(value, None)`` or ``(None, Feedback)`` if it fails."""
    if not callable(fn):
        return None, wrong(f"expected a function, got {type(fn).__name__}.",
                           "define it with `def ...:` and pass the function itself (no parentheses).")
    try:
        return fn(*args), None
    except Exception as err:
        return None, wrong(f"{name} raised {type(err).__name__}: {err}",
                           "call it yourself on the example inputs of the exercise and read the error.")


def tensor_answer(value, expected: torch.Tensor, *, what: str, rtol: float = 1e-6, atol: float = 1e-9,
                  index_name: str = "index", hint: str = "") -> Feedback:
    """Compare a tensor (or array-like) answer with ``expected``: shape first, then values.

    The feedback names the largest error and where it is, never the expected values themselves.
    """
    try:
        got = torch.as_tensor(value, dtype=torch.float64)
    except Exception:
        return wrong(f"{what} should be a tensor or array of numbers, got {type(value).__name__}.", hint)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    if got.shape != expected.shape:
        return wrong(f"{what} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}.",
                     "compute one value per entry of the input, without adding or dropping dimensions.")
    if not torch.isfinite(got).all():
        bad = int((~torch.isfinite(got)).nonzero()[0][0]) if got.ndim else 0
        return wrong(f"{what} has non-finite values (NaN or inf), the first at {index_name} {bad}.",
                     hint or "look for a division by zero or an overflowing exponential.")
    err = (got - expected).abs()
    tol = atol + rtol * expected.abs()
    if bool((err <= tol).all()):
        return correct(f"{what} matches to {float(err.max()):.1e}.")
    worst = int(err.flatten().argmax())
    where = f" (largest at {index_name} {worst})" if got.numel() > 1 else ""
    return wrong(f"{what} is off by up to {float(err.max()):.3g}{where}; the tolerance is {rtol:g} relative.",
                 hint)


def tensor_or_none(value):
    """``value`` as a float64 tensor, or None when it cannot be one (the checker then reports it elsewhere)."""
    try:
        return torch.as_tensor(value, dtype=torch.float64)
    except Exception:
        return None


def intact_batch(seed: int, shape=(2, 1, 4, 4)):
    """A small image batch for the step and drift exercises: ``(x0, mu, x0_hat, noise, intact)``.

    About a third of the pixels are intact (``mu == x0``, and the prediction ``x0_hat`` is exact there); elsewhere
    ``mu`` is ``x0`` plus noise of std 0.5 and ``x0_hat`` is off by noise of std 0.1.
    """
    g = torch.Generator().manual_seed(seed)
    x0 = torch.rand(shape, generator=g, dtype=torch.float64) * 2 - 1
    mu = x0 + 0.5 * torch.randn(shape, generator=g, dtype=torch.float64)
    intact = torch.rand(shape, generator=g) < 1 / 3
    mu = torch.where(intact, x0, mu)
    x0_hat = torch.where(intact, x0, x0 + 0.1 * torch.randn(shape, generator=g, dtype=torch.float64))
    noise = torch.randn(shape, generator=g, dtype=torch.float64)
    return x0, mu, x0_hat, noise, intact


# ----------------------------------------------------------------------------- choices


def letter_answer(answer, letters):
    """The letter a student chose (``"b"``, ``" (B) "`` ...) if it is one of ``letters``, else a Feedback."""
    choice = answer.strip().lower().strip("()") if isinstance(answer, str) else None
    if choice not in letters:
        return wrong(f"expected one of the letters {', '.join(repr(k) for k in letters)}, got {answer!r}.",
                     "write the letter of your choice as a string, e.g. `\"a\"`.")
    return choice
