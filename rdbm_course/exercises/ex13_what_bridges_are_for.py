"""Exercises of notebook 13 (what bridges are for).

13.1 derive    the PSNR the mean of K exact posterior draws loses against the posterior mean, in dB, as a function
               of K.
13.2 implement the range coverage of K draws: the fraction of pixel values whose truth lies between the smallest and
               the largest draw.
13.3 predict   the range coverage of exact posterior draws for K = 8.

None of the three is computed by the library, so there is nothing of it to pass through.
"""
from __future__ import annotations

import sympy as sp
import torch

from ._base import call_student, correct, exercise, number_answer, sympy_answer, wrong

K = sp.Symbol("K", positive=True)


def mean_of_draws_loss_db() -> sp.Expr:
    """The reference of 13.1: ``10 log10(1 + 1/K)``. With ``V = E[Var(x0 | mu)]``: the posterior mean's MSE is ``V``;
    ``X_bar - x0 = (X_bar - m) - (x0 - m)`` with the two parts independent given ``mu``, of variances ``V/K``
    and ``V``."""
    return 10 * sp.log(1 + 1 / K) / sp.log(10)


def _same_function_of_k(answer: sp.Expr) -> bool:
    """Does ``answer`` equal the reference at K = 1..12 to 1e-12 (log forms SymPy does not simplify, such as
    ``log(x, 10)`` of a quotient, are the same function)?"""
    reference = mean_of_draws_loss_db()
    try:
        return all(abs(complex(answer.subs(K, k).evalf(30)) - complex(reference.subs(K, k).evalf(30))) < 1e-12
                   for k in range(1, 13))
    except (TypeError, ValueError):
        return False


@exercise("13.1", "The PSNR lost by the mean of K posterior draws", "derive")
def check_mean_of_draws_loss(answer):
    if isinstance(answer, (int, float)) or (isinstance(answer, sp.Expr) and not answer.free_symbols):
        return wrong("your answer is a number; the exercise asks for a function of K.",
                     "write it with the symbol `K` (one draw, K = 1, is the case section 2 measured).")
    if isinstance(answer, sp.Expr) and answer.free_symbols <= {K} and _same_function_of_k(answer):
        return correct("that is the loss in dB of the mean of K draws: the mean of K draws keeps 1/K of one draw's "
                       "excess error, 10 log10(1 + 1/K).")
    return sympy_answer(
        answer, mean_of_draws_loss_db(), {"K": K}, what="the loss in dB of the mean of K draws",
        hints=((lambda e: sp.simplify(e.subs(K, 1) - 10 * sp.log(2) / sp.log(10)) != 0,
                "check K = 1: one exact draw has twice the posterior mean's squared error, about 3.01 dB."),
               (lambda e: sp.limit(e, K, sp.oo) != 0,
                "as K grows, the mean of the draws tends to the posterior mean: the loss must tend to 0 dB."),
               (lambda e: sp.simplify(e.subs(K, 3) - 10 * sp.log(sp.Rational(5, 3)) / sp.log(10)) == 0,
                "the mean of K independent draws has 1/K of one draw's variance around m, not 2/K.")),
        generic_hint="write X_bar - x0 = (X_bar - m) - (x0 - m); the two parts are independent given mu.")


# ----------------------------------------------------------------------------- 13.2


def range_coverage_reference(draws: torch.Tensor, truth: torch.Tensor) -> float:
    """The fraction of entries of ``truth`` [C, H, W] within [min, max] of ``draws`` [K, C, H, W] (bounds inside)."""
    draws, truth = torch.as_tensor(draws, dtype=torch.float64), torch.as_tensor(truth, dtype=torch.float64)
    return float(((truth >= draws.amin(0)) & (truth <= draws.amax(0))).double().mean())


def _cases():
    """(draws, truth) pairs: random draws, a truth on a bound, a single channel, values outside [-1, 1]."""
    g = torch.Generator().manual_seed(13)
    cases = []
    for k, shape in ((8, (3, 5, 7)), (2, (1, 4, 4)), (5, (3, 2, 9))):
        draws = torch.randn((k, *shape), generator=g, dtype=torch.float64) * 3
        truth = torch.randn(shape, generator=g, dtype=torch.float64) * 3
        cases.append((draws, truth))
    draws = torch.randn((4, 3, 3, 3), generator=g, dtype=torch.float64)
    truth = draws.amax(0).clone()
    truth[0] = draws.amin(0)[0]
    cases.append((draws, truth))  # every truth on a bound: inside
    return cases


@exercise("13.2", "The range coverage of K draws", "implement")
def check_range_coverage(answer):
    for n, (draws, truth) in enumerate(_cases()):
        value, failed = call_student(answer, draws.clone(), truth.clone(), name="range_coverage")
        if failed:
            return failed
        got = number_answer(value)
        if got is None:
            return wrong(f"range_coverage returned {type(value).__name__}, expected one number (a float).",
                         "reduce over every entry with .mean() and convert with float(...).")
        truth_value = range_coverage_reference(draws, truth)
        if abs(got - truth_value) > 1e-9:
            if n == 3:
                return wrong("with the truth exactly equal to the smallest or the largest draw, your fraction is off.",
                             "a value equal to a bound counts as inside: use <= and >=.")
            if abs(got - (1 - truth_value)) < 1e-9:
                return wrong("your function returns the fraction *outside* the range.",
                             "count the entries with min <= truth <= max.")
            return wrong(f"range_coverage is off on a case with K = {draws.shape[0]} draws of shape "
                         f"{tuple(draws.shape[1:])}.",
                         "take the minimum and the maximum over the draws' dimension 0, per entry, then the "
                         "fraction of entries of the truth between them.")
    return correct("your range coverage matches on every test case.")


# ----------------------------------------------------------------------------- 13.3


def exact_range_coverage(k: int) -> float:
    """The range coverage of ``k`` exact draws: the truth is the (k+1)-th of k+1 exchangeable continuous values,
    equally likely to fall in any of the k+1 rank positions; it is outside only at the two extreme ranks."""
    return (k - 1) / (k + 1)


@exercise("13.3", "The range coverage of exact posterior draws, K = 8", "predict")
def check_exact_range_coverage(answer):
    got = number_answer(answer)
    if got is None:
        return wrong(f"expected one number, got {answer!r}.", "for example `0.5`.")
    truth = exact_range_coverage(8)
    if abs(got - truth) <= 0.005:
        return correct("the truth and the 8 draws are 9 exchangeable values, so the truth's rank among them is "
                       "uniform on 9 positions; it is outside the draws' range only at the lowest or the highest: "
                       "(K - 1) / (K + 1).")
    if abs(got - 8 / 9) <= 0.005 or abs(got - 7 / 8) <= 0.005:
        return wrong("close: count the rank positions of the truth among all the values, and how many of them are "
                     "outside the draws' range.", "the truth can be the smallest or the largest of K + 1 values.")
    if abs(got - 0.9545) <= 0.01:
        return wrong("that is the two-standard-deviation coverage of a Gaussian, a different check.",
                     "think of ranks: no distribution enters, only that the K + 1 values are exchangeable.")
    return wrong("this is not the range coverage of exact draws.",
                 "the truth is one more draw from the same distribution: where does it rank among K + 1 values?")
