"""Showing a derivation in a notebook: each claim is displayed as SymPy steps, then asserted.

The notebooks of the course do not print lists of zeros. A claim "this residual vanishes" is shown as the residual,
the same residual as one fraction in the exponentials of the clock (``U = e^u``, ``C = e^c``, ...: SymPy decides
that such a rational function is zero exactly, by cancelling), and its value 0; a claimed limit is shown as the limit
and its value. :func:`vanishes` and :func:`limit` assert what they display, so a wrong derivation stops the notebook.

IPython is imported inside the functions: the course package does not need it except in a notebook.
"""
from __future__ import annotations

import re
from pathlib import Path

import sympy as sp
from sympy.printing.latex import LatexPrinter

from derivations.common import EXP, exp_to_rational, zero

__all__ = ["show", "vanishes", "agree", "vanishes_by_powers", "limit", "exponentials_note", "confirm", "fact", "latex",
           "positive_terms_first", "print_names"]


class _PositiveFirstLatex(LatexPrinter):
    """SymPy's LaTeX printer with the terms of each sum that carry no minus sign written first, in SymPy's order
    otherwise: ``x - mu`` instead of SymPy's ``-mu + x``."""

    def _as_ordered_terms(self, expr, order=None):
        terms = expr.as_ordered_terms(order=order or self.order)  # SymPy's order ('old' and 'none' are not used)
        return ([term for term in terms if not term.could_extract_minus_sign()]
                + [term for term in terms if term.could_extract_minus_sign()])


#: how every display of this module prints: :func:`positive_terms_first` and :func:`print_names` switch it
_PRINTER = {"positive_first": False, "symbol_names": {}}


def positive_terms_first(on: bool = True) -> None:
    """From now on, print every sum with its terms without a minus sign first (``x - mu``, not SymPy's ``-mu + x``),
    in the displays of this module and in :func:`latex`; ``on=False`` restores SymPy's order."""
    _PRINTER["positive_first"] = on


def print_names(names: dict | None = None) -> None:
    """From now on, print each symbol of ``names`` (a dict: symbol -> its LaTeX) under that LaTeX, in the displays of
    this module and in :func:`latex`: ``print_names({u: "u"})`` prints the clock symbol ``thetabar_t`` of
    ``derivations.common`` as ``u``. Only the printing changes, not the symbols; ``None`` restores SymPy's names."""
    _PRINTER["symbol_names"] = dict(names or {})


def latex(expr) -> str:
    """The LaTeX of ``expr`` as this module's displays print it (see :func:`positive_terms_first` and
    :func:`print_names`)."""
    settings = {"symbol_names": _PRINTER["symbol_names"]} if _PRINTER["symbol_names"] else {}
    if _PRINTER["positive_first"]:
        return _PositiveFirstLatex(settings).doprint(expr)
    return sp.latex(expr, **settings)


def _latex(x) -> str:
    return x if isinstance(x, str) else latex(x)


def _display(tex: str) -> None:
    from IPython.display import Math, display  # noqa: PLC0415

    display(Math(tex))


def show(lhs, *rhs) -> None:
    """Display ``lhs = rhs_1 = rhs_2 = ...``; with several right-hand sides, one step per line.

    ``lhs`` and each step are LaTeX text or SymPy objects."""
    if len(rhs) == 1:
        _display(_latex(lhs) + " = " + _latex(rhs[0]))
        return
    _display(r"\begin{aligned} " + _latex(lhs) + " &= " + r" \\ &= ".join(_latex(r) for r in rhs) + r" \end{aligned}")


def exponentials_note(expr, gens: dict | None = None) -> str:
    """The LaTeX note naming the exponentials of ``gens`` (``U = e^{\\bar\\theta_t}`` ...) that occur in ``expr``."""
    gens = EXP if gens is None else gens
    return r",\ ".join(f"{latex(e)} = e^{{{latex(k)}}}" for k, e in gens.items() if e in expr.free_symbols)


def vanishes(lhs, expr, gens: dict | None = None, max_chars: int = 1500) -> None:
    """Display ``lhs = expr = (one fraction in the exponentials) = 0`` and assert that it is 0.

    The middle step is left out when it is no different from ``expr`` or from 0, and abbreviated when it is longer
    than ``max_chars`` characters of LaTeX. ``gens`` maps a clock symbol to the symbol of its exponential (default:
    ``derivations.common.EXP``). Returns None, so that a notebook cell ending with it shows only the display."""
    gens = EXP if gens is None else gens
    result = zero(expr, gens)
    steps = [expr]
    note = ""
    if expr != 0:
        fraction = sp.together(exp_to_rational(expr, gens))
        if fraction not in (expr, 0, result):
            if len(latex(fraction)) <= max_chars:
                steps.append(fraction)
                note = exponentials_note(fraction, gens)
            else:
                steps.append(r"\frac{\text{a polynomial in } " + ", ".join(
                    sorted(latex(s) for s in fraction.free_symbols)) + r"}{\dots}")
        steps.append(result)
    show(lhs, *steps)
    if note:
        _display(r"\qquad\text{with } " + note + r"\text{; the numerator expands to } 0.")
    assert result == 0, f"{lhs} does not vanish: {result}"


def _canonical(expr, gens: dict):
    """``expr`` as one factored rational function of the exponentials ``gens``."""
    return sp.factor(sp.cancel(sp.together(exp_to_rational(expr, gens))))


def agree(lhs, left, rhs, right, gens: dict | None = None) -> None:
    """Display ``left`` and ``right`` each reduced to one factored fraction in the exponentials, and assert that the
    two fractions are the same, i.e. that ``lhs = rhs``.

    Shown as ``lhs = (left's fraction)``, ``rhs = (right's fraction)`` and the conclusion, so that a reader compares
    two short fractions instead of being told that a long one is 0."""
    gens = EXP if gens is None else gens
    fl, fr = _canonical(left, gens), _canonical(right, gens)
    same = sp.cancel(fl - fr) == 0
    note = exponentials_note(fl + fr, gens)
    _display(r"\begin{aligned} " + _latex(lhs) + " &= " + latex(fl) + r" \\ " + _latex(rhs) + " &= "
             + latex(fr) + r" \end{aligned}")
    _display(r"\qquad" + (r"\text{with } " + note + r"\text{: }" if note else "")
             + r"\text{the same fraction, so } " + _latex(lhs) + " = " + _latex(rhs) + ".")
    assert same, f"{lhs} and {rhs} differ: {sp.cancel(fl - fr)}"


def _over_common_denominator(coefs: list, gens: dict) -> tuple[list, sp.Expr]:
    """The coefficients ``coefs`` written over one denominator: ``(numerators, denominator)``, each a polynomial in
    the exponentials ``gens`` written square-free-factored (``(e^{2c} - e^{2u})^2``, not expanded), the denominator
    with a positive leading coefficient in the later exponentials of ``gens``, and the exponentials put back."""
    fractions = [sp.cancel(sp.together(exp_to_rational(cf, gens))) for cf in coefs]
    denominator = sp.Integer(1)
    for fr in fractions:
        denominator = sp.lcm(denominator, sp.fraction(fr)[1])
    # the later exponentials of gens lead (C = e^c before U = e^u): e^{2c} - e^{2u}, positive for u < c
    symbols = [v for v in reversed(gens.values()) if any(v in fr.free_symbols for fr in fractions)]
    if sp.sqf_list(denominator, *symbols)[0].could_extract_minus_sign():
        denominator = -denominator
    numerators = [sp.cancel(fr * denominator) for fr in fractions]
    assert all(sp.fraction(n)[1] == 1 for n in numerators) and sp.expand(sum(numerators)) == 0, \
        "the numerators over the common denominator do not cancel"
    back = {v: sp.exp(k) for k, v in gens.items()}
    return [sp.sqf(n, *symbols).subs(back) for n in numerators], sp.sqf(denominator, *symbols).subs(back)


def vanishes_by_powers(lhs, parts: dict, var, center, center_tex: str, degree: int = 2,
                       gens: dict | None = None, absent_in_words: bool = False,
                       common_denominator: bool = False, exponents: bool = False, rewrite=None) -> None:
    """Show that ``lhs = sum(parts.values())``, a polynomial of degree ``degree`` in ``var``, vanishes: for each
    power ``(var - center)^k``, display each part's coefficient (simplified) and assert that their sum is 0.

    ``parts`` maps a LaTeX name of a term to its SymPy expression; ``center_tex`` is the LaTeX of ``var - center``
    with its parentheses, e.g. ``(x - M)``. One displayed line per power, the terms in the order of ``parts``.
    With ``absent_in_words``, a power that no term has (every coefficient exactly 0) is said in words instead of
    being shown as a sum of zeros. With ``common_denominator``, each line is one fraction: the parts' numerators
    over the least common denominator of their coefficients, so that the cancellation is read off the numerators.
    With ``exponents``, every power is labelled with its exponent, ``(x - M)^0``, ``(x - M)^1``, ... (by default
    ``1``, ``(x - M)``, ``(x - M)^2``, ...). ``rewrite``, a function of a SymPy expression, is applied to each
    displayed coefficient after simplification (e.g. to write every ``1/tanh`` as ``coth``); the assertion uses the
    coefficients before it."""
    gens = EXP if gens is None else gens
    offset = sp.Dummy("y", real=True)
    expanded = {name: sp.expand(e.subs(var, center + offset)) for name, e in parts.items()}
    rest = zero(sum(expanded.values()) - sum(sum(e.coeff(offset, k) * offset ** k for e in expanded.values())
                                             for k in range(degree + 1)), gens)
    assert rest == 0, f"{lhs} has terms beyond {center_tex}^{degree}: {rest}"
    _display(_latex(lhs) + " = " + "".join((" " if k.startswith("-") or not i else " + ") + k
                                             for i, k in enumerate(parts)) + r",\quad\text{the coefficient of each power of } "
             + center_tex + r"\text{, term by term:}")
    for k in range(degree + 1):
        coefs = [sp.simplify(e.coeff(offset, k)) for e in expanded.values()]
        power = (center_tex + f"^{{{k}}}" if exponents
                 else "1" if k == 0 else center_tex + ("" if k == 1 else f"^{{{k}}}"))
        shown = coefs if rewrite is None else [rewrite(cf) for cf in coefs]
        if absent_in_words and all(cf == 0 for cf in coefs):
            _display(r"\big[" + power + r"\big]:\quad \text{no term has this power}")
            continue
        if common_denominator:
            numerators, denominator = _over_common_denominator(coefs, gens)
            body = r"\frac{" + " + ".join(r"\big(" + latex(n) + r"\big)" for n in numerators) + "}{" + \
                latex(denominator) + "}"
        else:
            body = " + ".join(r"\Big(" + latex(cf) + r"\Big)" for cf in shown)
        _display(r"\big[" + power + r"\big]:\quad " + body + " = 0")
        assert zero(sum(coefs), gens) == 0, f"the coefficient of {power} in {lhs} does not vanish"


def limit(expr, var, point, expected, lhs: str | None = None, direction: str = "+-") -> None:
    """Display ``lim_{var -> point} expr = value`` and assert that the value is ``expected``."""
    value = sp.limit(expr, var, point, direction) if direction != "+-" else sp.limit(expr, var, point)
    head = lhs if lhs is not None else (r"\lim_{" + latex(var) + r"\to " + latex(point) + "} "
                                        + latex(expr))
    show(head, value)
    if expected in (sp.oo, -sp.oo):
        assert value == expected, f"limit {value}, expected {expected}"
    else:
        assert sp.simplify(value - expected) == 0, f"limit {value}, expected {expected}"


def confirm(module, *names: str) -> None:
    """Run checks of the ``derivations`` package on facts a notebook has just shown: ``module``'s functions ``names``,
    each returning a residual that must be 0. Prints one line per check (so that a reader sees what was checked and
    its result) and asserts it."""
    short = module.__name__.rsplit(".", 1)[-1]
    for name in names:
        value = getattr(module, name)()
        print(f"derivations.{short}.{name}: residual {value}, the package agrees" if value == 0
              else f"derivations.{short}.{name}: residual {value}, NOT 0")
        assert value == 0, f"derivations.{short}.{name} returned {value}, not 0"


#: the theory reference whose **Checked** lines name the facts of the derivations package
THEORY = Path(__file__).resolve().parents[1] / "docs" / "theory.md"


def fact(name: str, *equations: str) -> None:
    """Run the ``derivations`` fact ``name`` under the name and equation numbers ``docs/theory.md`` gives it, print one
    line (section, equations, name, the fact's statement, its residual or largest error) and assert it.

    ``name`` must be listed in a **Checked** line of ``docs/theory.md`` and every equation (``"4.8"``) must be tagged
    there, so that a notebook cannot cite a fact or an equation the reference does not have."""
    from derivations.facts import BY_NAME, verify  # noqa: PLC0415  (imports every derivations module: only when used)

    assert name in BY_NAME, f"{name} is not a fact of the derivations package"
    section = None
    if THEORY.is_file():
        text = THEORY.read_text(encoding="utf-8")
        sections = [re.findall(r"^## (\d+)\.", text[:hit.start()], flags=re.M)[-1]
                    for hit in re.finditer(re.escape(f"`{name}`"), text)]
        assert sections, f"docs/theory.md does not list the fact {name}"
        # a fact listed in several sections is cited under the section of its first equation, if listed there
        wanted = equations[0].split(".")[0] if equations else None
        section = wanted if wanted in sections else sections[0]
        for eq in equations:
            assert f"\\tag{{{eq}}}" in text, f"docs/theory.md has no equation ({eq})"
    ok, result, _ = verify(BY_NAME[name])
    tol = BY_NAME[name].tol
    value = (f"largest error {float(result):.0e} (tolerance {tol:.0e})" if tol is not None and ok
             else f"residual {result}")
    where = ", ".join(filter(None, [f"§{section}" if section else "",
                                    ("eq. " if len(equations) == 1 else "eqs. ") + ", ".join(equations)
                                    if equations else ""]))
    print(f"{name} (docs/theory.md {where}): {BY_NAME[name].statement}: {value}" + ("" if ok else ", NOT verified"))
    assert ok, f"the fact {name} is not verified: {result}"
