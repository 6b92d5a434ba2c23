"""Helpers of notebook 02a (the forward bridge: its marginal and its posterior): display-and-assert steps and the
notebook's two figures.

The notebook keeps on its main line the SymPy computations, the library calls and the plots; the short display
names of the clock symbols, the chain of equal forms that shows one derivation step (each form checked against
SymPy's result), and the plotting code live here.

Clock symbols (``derivations.common``): ``u = thbar_t`` and ``c = thbar_T`` for one time ``t``; for three times
``s < t < T`` the positive increments ``a = thbar_s``, ``b = thbar_{s:t}`` and ``d = thbar_{t:T}``. The package
names them ``thetabar_t``, ``thetabar_T``, ...; :func:`short` renames them ``u, c, a, b, d`` for the displays, and
``x`` (the unknown ``x_s`` of the posterior) ``x_s``.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations.common import EXP, a, b, c, d, exp_to_rational, u, x, zero
from rdbm_course.mathshow import latex

__all__ = ["SHORT", "SHORT_EXP", "short", "fraction", "chain", "zero_line", "OKABE_ITO", "plot_coefficients",
           "plot_posterior_column_map"]

#: display names: the clock symbols as u, c, a, b, d, and x (the unknown of the posterior) as x_s
SHORT = {**{v: sp.Symbol(name, positive=True) for v, name in ((u, "u"), (c, "c"), (a, "a"), (b, "b"), (d, "d"))},
         x: sp.Symbol("x_s", real=True)}
#: the exponentials of the display names: U = e^u, C = e^c, A = e^a, B = e^b, D = e^d
SHORT_EXP = {SHORT[k]: e for k, e in EXP.items()}

#: the colour-blind-safe palette of Okabe and Ito (black, orange, sky blue, bluish green, blue, vermillion, purple)
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "blue": "#0072B2",
             "vermillion": "#D55E00", "purple": "#CC79A7"}


def short(expr):
    """``expr`` with the clock symbols renamed ``u, c, a, b, d`` and ``x`` renamed ``x_s``, for display only."""
    return sp.sympify(expr).subs(SHORT)


def fraction(expr):
    """``expr`` as one factored fraction in the exponentials of the clock (``A = e^a``, ``B = e^b``, ...), written
    with the display names: the form in which SymPy decides equalities exactly."""
    return sp.factor(sp.cancel(sp.together(exp_to_rational(short(expr), SHORT_EXP))))


def _display(tex: str) -> None:
    from IPython.display import Math, display  # noqa: PLC0415  (only in a notebook)

    display(Math(tex))


def _split(form):
    """``(LaTeX, expression)`` of a form: a pair as given, or an expression printed by :func:`short`."""
    if isinstance(form, tuple):
        return form
    return latex(short(form)), form


def chain(lhs: str, derived, *forms, subs: dict | None = None, as_fraction: bool = False) -> None:
    """Display ``lhs = forms[0] = forms[1] = ...`` on one line and assert that every form equals ``derived``.

    ``derived`` is SymPy's result; the ``forms`` are the steps written by hand, each a SymPy expression in the
    package's symbols or a pair ``(LaTeX as displayed, SymPy expression)``, and each is checked exactly, as a rational
    function of the exponentials of the clock. ``subs`` replaces display-only symbols in the forms before the check
    (e.g. a symbol ``Q`` by the expression it stands for). With ``as_fraction``, SymPy's result itself comes first, as
    one fraction in the exponentials (:func:`fraction`), and the line names the exponentials it uses."""
    subs = subs or {}
    pairs = [_split(form) for form in forms]
    for tex, form in pairs:
        assert zero(sp.sympify(form).subs(subs) - derived) == 0, f"{lhs}: the form {tex} differs from {derived}"
    steps = [tex for tex, _ in pairs]
    note = ""
    if as_fraction:
        first = fraction(derived)
        steps.insert(0, latex(first))
        named = [f"{latex(e)} = e^{{{latex(k)}}}" for k, e in SHORT_EXP.items() if e in first.free_symbols]
        note = r"\qquad(" + r",\ ".join(named) + ")" if named else ""
    _display(lhs + " = " + " = ".join(steps) + note)


def zero_line(lhs: str, expr) -> None:
    """Display ``lhs = 0`` and assert it: ``expr`` (the difference that ``lhs`` writes) cancels exactly as a rational
    function of the exponentials of the clock."""
    assert zero(expr) == 0, f"{lhs} does not vanish: {zero(expr)}"
    _display(lhs + r" = 0")


# ----------------------------------------------------------------------------- the figures

PIXEL = r"pixel value ($[-1, 1]$ scale)"


def plot_coefficients(grid_path, smooth_path, residuals=(0.5, 0.1, 0.0), index_ticks=(0, 50, 70, 80, 90, 95, 98, 99)):
    """Section 0's figure: the bridge coefficients against the clock ``u = thbar_t``.

    ``grid_path`` is a path on a discrete grid (drawn as dots at its times); ``smooth_path`` a path with the same
    ``lam`` on a continuous schedule with the same ``thbar_T`` (drawn as lines at 400 clock values). Left:
    ``Theta_t`` and ``Sigma_t / max Sigma_t``. Right: the per-pixel standard deviation ``Sigma_t |nu|``: global noise
    (``nu = 1``, dashed black) and RDBM (``nu = pi``) for each ``|pi|`` of ``residuals``. A top axis labels the grid
    indices ``index_ticks`` at their clock values. Returns the figure."""
    import matplotlib.pyplot as plt  # noqa: PLC0415

    ts = grid_path.schedule.times()
    u_grid = grid_path.schedule.clock(ts)
    Th, _, Sg = grid_path.coefficients(ts)
    t_dense = torch.linspace(0.0, smooth_path.schedule.t_T, 400, dtype=torch.float64)
    u_dense = smooth_path.schedule.clock(t_dense)
    Th_d, _, Sg_d = smooth_path.coefficients(t_dense)
    assert abs(float(u_dense[-1]) - float(u_grid[-1])) < 1e-12, "the two paths must share thbar_T"
    top = float(Sg_d.max())
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), layout="constrained")
    left, right = axes
    left.plot(u_dense, Th_d, color=OKABE_ITO["blue"], label=r"$\Theta_t$")
    left.plot(u_dense, Sg_d / top, color=OKABE_ITO["vermillion"], label=r"$\Sigma_t\,/$ its largest value")
    left.plot(u_grid, Th, ".", ms=3.5, color=OKABE_ITO["blue"])
    left.plot(u_grid, Sg / top, ".", ms=3.5, color=OKABE_ITO["vermillion"])
    left.plot([], [], ".", ms=5, color="0.4", label="at the grid's times")
    left.set_ylabel("coefficient (dimensionless)")
    left.set_title(r"coefficients (any noise factor $\nu$)", fontsize=11)
    left.legend(loc="center right", fontsize=9)
    right.plot(u_dense, Sg_d, "--", color=OKABE_ITO["black"], label=r"global, $\nu = 1$ (any $\pi$)")
    for p_abs, colour in zip(residuals, (OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["green"])):
        right.plot(u_dense, Sg_d * p_abs, color=colour, lw=2.5 if p_abs == 0 else 1.5,
                   label=rf"RDBM, $\nu = \pi$, $|\pi| = {p_abs:g}$")
    right.set_ylabel(r"std of $x_t$, " + PIXEL)
    right.set_title(r"per-pixel std $\Sigma_t\,|\nu|$", fontsize=11)
    right.legend(loc="upper left", fontsize=9)
    right.set_ylim(0, 1.45 * top)  # room for the legend above the curves
    for ax in axes:
        ax.set_xlabel(r"clock $u = \bar\theta_t$ (dimensionless)")
        ax.set_xlim(0, float(u_grid[-1]) * 1.01)
        index_axis = ax.secondary_xaxis("top")
        index_axis.set_xticks([float(grid_path.schedule.clock(torch.tensor(i))) for i in index_ticks],
                              [str(i) for i in index_ticks], fontsize=9)
        index_axis.set_xlabel("reference grid index", fontsize=9)
    return fig


def plot_posterior_column_map(s_grid, post_mean, post_std, marg_mean, marg_std, x0, x_t, t: int,
                              std_floor: float = 0.02, x_range=(-0.8, 1.0)):
    """Section 2's figure: the posterior ``q(x_s | x_t, x0)`` of one pixel at every grid time ``s`` of ``s_grid``
    (all before ``t``), each column's Gaussian density divided by its maximum, with the posterior mean and the
    marginal ``q(x_s | x0)`` (mean dotted, mean +- 2 std dashed). The column ``s = t`` is added: the point ``x_t``.

    A point has no width on the picture's vertical grid (361 values over ``x_range``), so a column whose std is
    below ``std_floor`` is drawn with that std. Returns ``(figure, columns drawn with std_floor)``."""
    import matplotlib.patheffects as path_effects  # noqa: PLC0415
    import matplotlib.pyplot as plt  # noqa: PLC0415

    s_all = torch.cat([s_grid, torch.tensor([t])])
    mean_all = torch.cat([post_mean, x_t.reshape(1)])
    std_all = torch.cat([post_std, torch.zeros(1, dtype=post_std.dtype)])
    xg = torch.linspace(*x_range, 361, dtype=torch.float64)
    dens = torch.exp(-(xg[:, None] - mean_all[None]) ** 2 / (2 * std_all[None].clamp_min(std_floor) ** 2))
    fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
    im = ax.pcolormesh(s_all, xg, dens, cmap="viridis", shading="auto")
    fig.colorbar(im, ax=ax, label="posterior density / its column maximum")
    outlined = [path_effects.withStroke(linewidth=3.0, foreground="black")]  # white on black: visible on any colour
    shown = slice(1, None)  # from s = 0, so that the bar at the clean end s = -1 stays visible
    ax.plot(s_grid[shown], marg_mean[shown], ":", color="white", lw=1.6, path_effects=outlined,
            label=r"marginal $q(x_s \mid x_0)$: mean")
    for sign in (1, -1):
        ax.plot(s_grid[shown], (marg_mean + sign * 2 * marg_std)[shown], "--", color="white", lw=1.2,
                path_effects=outlined, label=r"marginal: mean $\pm$ 2 std" if sign == 1 else "_nolegend_")
    ax.plot(s_all, mean_all, color="magenta", lw=2.2, label="posterior mean")
    ax.plot([t + 1.6], x_t.reshape(1), "<", ms=8, color=OKABE_ITO["vermillion"], label=rf"$x_t$ (column $s = t = {t}$)")
    ax.plot([float(s_grid[0]) - 2.0], x0.reshape(1), ">", ms=8, color=OKABE_ITO["sky"],
            label=r"$x_0$ (column $s = -1$, the clean end)")
    ax.set_xlim(float(s_grid[0]) - 3.0, t + 2.8)
    ax.set_xlabel(r"earlier time $s \leq t$ (reference grid index)")
    ax.set_ylabel(r"$x_s$, " + PIXEL)
    ax.set_facecolor("0.3")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9, facecolor="0.3",
               labelcolor="white", handlelength=3.5)
    return fig, s_all[std_all < std_floor].tolist()
