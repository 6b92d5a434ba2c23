"""Symbols, assumptions and the few algebra helpers shared by every derivation.

Conventions (``docs/theory.md`` §1; the increments a, b, d are the note under eq. 1.5):

* everything is written in the **clock** ``u = thbar_t = int_0^t theta``; since
  ``du = theta_t dt`` an SDE ``dx = theta_t F(x, u) dt + sqrt(2 lam theta_t) s dw``
  becomes ``dx = F(x, u) du + sqrt(2 lam) s dW_u``, which is autonomous in ``u``;
* ``pi = x0 - mu`` is the residual, ``lam > 0`` the stationary variance;
* the ordering ``0 < s < t < T`` is encoded by *positive increments* of the
  clock: ``thbar_s = a > 0``, ``thbar_{s:t} = b > 0``, ``thbar_{t:T} = d > 0``,
  so ``thbar_t = a + b`` and ``thbar_T = a + b + d``.  For derivatives in
  ``u`` we use the pair ``(u, c)`` with ``c = thbar_T`` fixed, ``0 < u < c``.

Hyperbolic functions are turned into rational functions of exponentials
(``A = e^a`` ...) before cancelling: that is exact and much faster than a blind
``simplify``.
"""
from __future__ import annotations

import sympy as sp

# ----------------------------------------------------------------------------- symbols

#: clock values; positivity of the increments encodes 0 < s < t < T
a = sp.Symbol("thetabar_s", positive=True)  # thbar_s
b = sp.Symbol("thetabar_s:t", positive=True)  # thbar_{s:t} = thbar_t - thbar_s
d = sp.Symbol("thetabar_t:T", positive=True)  # thbar_{t:T} = thbar_T - thbar_t
u = sp.Symbol("thetabar_t", positive=True)  # the running clock thbar_t (0 < u < c)
c = sp.Symbol("thetabar_T", positive=True)  # thbar_T

#: exponentials of the clock symbols (all > 0; A = e^a, ...)
A, B, D, U, C = sp.symbols("A B D U C", positive=True)
EXP = {a: A, b: B, d: D, u: U, c: C}

t, s, T = sp.symbols("t s T", positive=True)
theta = sp.Symbol("theta_t", positive=True)  # schedule value theta_t > 0
lam = sp.Symbol("lambda", positive=True)  # stationary variance lam > 0

x = sp.Symbol("x", real=True)
x0 = sp.Symbol("x_0", real=True)
xs = sp.Symbol("x_s", real=True)
xt = sp.Symbol("x_t", real=True)
mu = sp.Symbol("mu", real=True)
#: residual pi = x0 - mu; nonzero on degraded pixels (where pi = 0 nothing moves)
pi = sp.Symbol("pi", real=True, nonzero=True)
pihat = sp.Symbol("pihat", real=True, nonzero=True)
eps = sp.Symbol("epsilon", real=True)
m = sp.Symbol("m", real=True)  # a general mean-reversion target (DDBM-VP: m = 0)
y = sp.Symbol("y", real=True)  # a general terminal value x_T

# ----------------------------------------------------------------------------- helpers


def exp_to_rational(expr: sp.Expr, gens: dict | None = None) -> sp.Expr:
    """Rewrite hyperbolic functions as exponentials and replace ``exp(k1 a + k2 b + ...)``
    by ``A**k1 * B**k2 * ...`` (``gens`` maps a symbol to the symbol of its exponential).

    The result is a rational (or algebraic, if square roots are present) function
    of ``A, B, ...``, on which ``cancel`` decides zero-ness exactly.
    """
    gens = EXP if gens is None else gens
    hyperbolic = (sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch)
    expr = sp.sympify(expr).replace(lambda e: isinstance(e, hyperbolic), lambda e: e.rewrite(sp.exp))

    def _replace(e):
        out, rest = sp.Integer(1), sp.Integer(0)
        for term, k in sp.expand(e.args[0]).as_coefficients_dict().items():
            if term in gens:
                out *= gens[term] ** k
            else:
                rest += k * term
        return out * sp.exp(rest)

    return expr.replace(lambda e: isinstance(e, sp.exp), _replace)


def zero(expr: sp.Expr, gens: dict | None = None) -> sp.Expr:
    """The canonical form of ``expr`` after :func:`exp_to_rational` and ``cancel``.

    Returns exactly ``0`` when the expression is identically zero.
    """
    r = sp.cancel(sp.together(exp_to_rational(expr, gens)))
    return sp.Integer(0) if r == 0 else r


def gaussian_log(z: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    """Log-density of ``N(z; mean, var)``."""
    return -((z - mean) ** 2) / (2 * var) - sp.log(2 * sp.pi * var) / 2


def complete_square(logdensity: sp.Expr, z: sp.Symbol):
    """Mean and variance of the Gaussian whose log-density (up to constants) is the
    quadratic ``logdensity`` in ``z``: ``var = -1 / L''``, ``mean = z + var L'(z)``."""
    l1 = sp.diff(logdensity, z)
    l2 = sp.diff(l1, z)
    var = -1 / l2
    mean = z + var * l1
    return mean, var


def fokker_planck_residual(logp: sp.Expr, z: sp.Symbol, time: sp.Symbol, drift: sp.Expr,
                           half_g2: sp.Expr) -> sp.Expr:
    """``(dp/dtime + d/dz (drift p) - half_g2 d^2p/dz^2) / p`` written with ``L = log p``:

    ``L_time + drift_z + drift L_z - half_g2 (L_zz + L_z^2)``.
    It vanishes iff ``p`` solves the forward Kolmogorov (Fokker-Planck) equation.
    """
    lz = sp.diff(logp, z)
    return (sp.diff(logp, time) + sp.diff(drift, z) + drift * lz
            - half_g2 * (sp.diff(lz, z) + lz ** 2))


def backward_kolmogorov_residual(logh: sp.Expr, z: sp.Symbol, time: sp.Symbol, drift: sp.Expr,
                                 half_g2: sp.Expr) -> sp.Expr:
    """``(dh/dtime + drift dh/dz + half_g2 d^2h/dz^2) / h`` written with ``L = log h``."""
    lz = sp.diff(logh, z)
    return sp.diff(logh, time) + drift * lz + half_g2 * (sp.diff(lz, z) + lz ** 2)


def ito_moment_odes(drift: sp.Expr, g2: sp.Expr, z: sp.Symbol, mean: sp.Symbol, var: sp.Symbol):
    """Right-hand sides of ``m' = E[f]`` and ``v' = E[2 x f + g^2] - 2 m m'`` for an SDE
    ``dx = f(x) dt + g dw`` whose drift is affine in ``x`` (Ito's formula on ``x`` and
    ``x^2``; ``E x = m``, ``E x^2 = v + m^2``)."""
    def expectation(poly):
        p = sp.Poly(sp.expand(poly), z)
        moments = {0: 1, 1: mean, 2: var + mean ** 2}
        return sum(coef * moments[k[0]] for k, coef in zip(p.monoms(), p.coeffs()))

    dm = expectation(drift)
    dsecond = expectation(2 * z * drift + g2)
    return sp.expand(dm), sp.expand(dsecond - 2 * mean * dm)


def zeros(*exprs: sp.Expr, gens: dict | None = None) -> sp.Expr:
    """:func:`zero` of several residuals: ``0`` if every one vanishes, else the tuple of residuals."""
    rs = [zero(e, gens) for e in exprs]
    return sp.Integer(0) if all(r == 0 for r in rs) else sp.Tuple(*rs)


def readable(expr: sp.Expr, gens: dict | None = None) -> sp.Expr:
    """A compact display form: cancel and factor the rational function of the exponentials,
    then put the exponentials back (``A -> e^a``)."""
    gens = EXP if gens is None else gens
    r = sp.factor(sp.cancel(sp.together(exp_to_rational(expr, gens))))
    return r.subs({v: sp.exp(k) for k, v in gens.items()})
