"""The helpers of notebook 02a (``rdbm_course.marginal_lesson``): the chain of checked forms, the zero line, the
display form in exponentials, and the two figures."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
import torch  # noqa: E402

from derivations.common import a, b, c, lam, pi, u  # noqa: E402
from derivations.family import Sigma2  # noqa: E402
from rdbm_core.bridge import bridges, schedules  # noqa: E402
from rdbm_course import marginal_lesson as lesson  # noqa: E402

PRECISION = (1 / (lam * pi ** 2 * (1 - sp.exp(-2 * u)))
             + sp.exp(-2 * (c - u)) / (lam * pi ** 2 * (1 - sp.exp(-2 * (c - u)))))
HYPERBOLIC = sp.sinh(c) / (2 * lam * pi ** 2 * sp.sinh(u) * sp.sinh(c - u))


def test_chain_accepts_equal_forms_and_refuses_a_wrong_one():
    """Each form is checked against SymPy's result, also after a display symbol is substituted. Mutation that fails:
    a form with sinh(u) in place of sinh(c - u) (or with the display symbol left unsubstituted) is refused."""
    lesson.chain(r"\frac{1}{Q}", PRECISION, HYPERBOLIC, (r"\text{by hand}", HYPERBOLIC))
    with pytest.raises(AssertionError):
        lesson.chain(r"\frac{1}{Q}", PRECISION, sp.sinh(c) / (2 * lam * pi ** 2 * sp.sinh(u) ** 2))
    Q = sp.Symbol("Q", positive=True)
    lesson.chain("Q", 1 / PRECISION, 1 / (1 / Q), subs={Q: 1 / HYPERBOLIC})
    with pytest.raises(AssertionError):
        lesson.chain("Q", 1 / PRECISION, Q)  # Q is only a display symbol without subs


def test_zero_line_and_the_fraction_form():
    """zero_line asserts exactly; fraction writes P = sinh b / sinh(a + b) as A (B^2 - 1) / (A^2 B^2 - 1)."""
    lesson.zero_line("V - Sigma^2", 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b) - Sigma2(a, a + b))
    with pytest.raises(AssertionError):
        lesson.zero_line("V", 2 * lam * sp.sinh(a) * sp.sinh(b) / sp.sinh(a + b))
    A, B = lesson.SHORT_EXP[lesson.SHORT[a]], lesson.SHORT_EXP[lesson.SHORT[b]]
    assert sp.cancel(lesson.fraction(sp.sinh(b) / sp.sinh(a + b)) - A * (B ** 2 - 1) / (A ** 2 * B ** 2 - 1)) == 0
    assert lesson.short(a + b).free_symbols == {lesson.SHORT[a], lesson.SHORT[b]}


def test_the_two_figures_and_the_grid_table():
    """Section 0's figure needs two paths with the same thbar_T (mutation that fails: half the clock); the grid table
    adds the index of the largest Sigma_t (91 on the reference grid at lambda = 0.1) to the rows asked for; section
    2's figure draws the posterior against the clock, from 0 to the clock at t."""
    rdbm = bridges.rdbm(lam=0.1)
    same = bridges.ou_bridge(schedules.continuous_constant(rdbm.schedule.u_T, 1.0), 0.1)
    plt.close(lesson.plot_coefficients(rdbm, same))
    other = bridges.ou_bridge(schedules.continuous_constant(rdbm.schedule.u_T / 2, 1.0), 0.1)
    with pytest.raises(AssertionError):
        lesson.plot_coefficients(rdbm, other)
    rows, peak = lesson.grid_table(rdbm, (-1, 99))
    assert peak == 91 and sorted(rows) == [-1, 91, 99] and rows[-1][:2] == (0.0, 0.0) and rows[91][2] == 1.0
    x0, mu = torch.tensor([0.6], dtype=torch.float64), torch.tensor([-0.2], dtype=torch.float64)
    t = 80
    x_t = rdbm.mean(x0, mu, t) + 1.5 * rdbm.std(x0, mu, t)
    s = torch.arange(-1, t)
    n = len(s)
    mean, std = rdbm.posterior(x_t.expand(n), x0.expand(n), mu.expand(n), torch.full_like(s, t), s)
    fig = lesson.plot_posterior_map(rdbm, s, t, mean, std, rdbm.mean(x0.expand(n), mu.expand(n), s),
                                    rdbm.std(x0.expand(n), mu.expand(n), s), x0, x_t)
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, float(rdbm.schedule.clock(torch.tensor(t))))  # the clock, not the grid index
    plt.close(fig)


def test_up_to_const_keeps_a_lag_as_one_block(monkeypatch):
    """With ``lag``, e^{-2 tau} is shown as e^{-2(c - u)}, not multiplied out. Mutation that fails: substituting the
    lag before printing (SymPy then writes e^{2u - 2c}); a lag symbol absent from the expression is refused."""
    from derivations.common import mu, xt  # noqa: PLC0415

    shown = []
    monkeypatch.setattr(lesson, "_display", shown.append)
    tau = sp.Symbol("tau", positive=True)
    lesson.up_to_const(r"\log h", -sp.exp(-2 * tau) * (xt - mu) ** 2, lag=(tau, c - u))
    assert r"e^{- 2 \left(c - u\right)}" in shown[0] and r"\tau" not in shown[0]
    with pytest.raises(AssertionError):
        lesson.up_to_const(r"\log h", xt, lag=(tau, c - u))
