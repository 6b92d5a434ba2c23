"""Helpers of notebook 02a (the forward bridge: its marginal and its posterior): display-and-assert steps, the
notebook's two figures, the table of grid times and the Fokker-Planck check of its appendix A.

The notebook keeps on its main line the SymPy computations, the library calls and the plots; the short display
names of the clock symbols, the chain of equal forms that shows one derivation step (each form checked against
SymPy's result), the plotting and printing code and the appendix's check live here.

Clock symbols (``derivations.common``): ``u = thbar_t`` and ``c = thbar_T`` for one time ``t``; for three times
``s < t < T`` the positive increments ``a = thbar_s``, ``b = thbar_{s:t}`` and ``d = thbar_{t:T}``. The package
names them ``thetabar_t``, ``thetabar_T``, ...; :func:`short` renames them ``u, c, a, b, d`` for the displays, and
``x`` (the unknown ``x_s`` of the posterior) ``x_s``.
"""
from __future__ import annotations

import sympy as sp
import torch

from derivations.common import EXP, a, b, c, d, exp_to_rational, gaussian_log, lam, mu, pi, u, x, xt, zero
from derivations.family import Sigma2, Theta, bridge_drift
from rdbm_course.mathshow import latex, limit, show

__all__ = ["SHORT", "SHORT_EXP", "short", "fraction", "up_to_const", "chain", "zero_line", "OKABE_ITO",
           "plot_coefficients", "grid_table", "plot_posterior_map", "fokker_planck_check"]

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


def up_to_const(lhs: str, expr, lag: tuple | None = None) -> None:
    """Display ``lhs = expr + const`` with the short clock names (:func:`short`): a log-density whose terms free of
    the variable are dropped.

    ``lag = (tau, value)``: ``expr`` is written in the symbol ``tau`` and is displayed with ``tau`` printed as
    ``(value)``, so that ``e^{-2 tau}`` shows as ``e^{-2(c - u)}`` (SymPy would multiply it out: ``e^{2u - 2c}``)."""
    tex = latex(short(expr))
    if lag is not None:
        tau, value = lag
        assert latex(tau) in tex, f"{tau} does not occur in {tex}"
        tex = tex.replace(latex(tau), r"\left(" + latex(short(value)) + r"\right)")
    _display(lhs + " = " + tex + r" + \mathrm{const}")


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
    left.legend(loc="center", fontsize=9)  # Theta_t is near 0 and Sigma_t near its largest value there
    right.plot(u_dense, Sg_d, "--", color=OKABE_ITO["black"], label=r"global, $\nu = 1$ (any $\pi$)")
    for p_abs, colour in zip(residuals, (OKABE_ITO["orange"], OKABE_ITO["sky"], OKABE_ITO["green"])):
        right.plot(u_dense, Sg_d * p_abs, color=colour, lw=2.5 if p_abs == 0 else 1.5,
                   label=rf"RDBM, $\nu = \pi$, $|\pi| = {p_abs:g}$")
    right.set_ylabel(r"std of $x_t$, " + PIXEL)
    right.set_title(r"per-pixel std $\Sigma_t\,|\nu|$", fontsize=11)
    right.legend(loc="upper left", fontsize=9)
    right.set_ylim(-0.02, 1.45 * top)  # room for the legend above the curves; the |pi| = 0 line clear of the axis
    for ax in axes:
        ax.set_xlabel(r"clock $u = \bar\theta_t$ (dimensionless)")
        ax.set_xlim(0, float(u_grid[-1]) * 1.01)
        index_axis = ax.secondary_xaxis("top")
        index_axis.set_xticks([float(grid_path.schedule.clock(torch.tensor(i))) for i in index_ticks],
                              [str(i) for i in index_ticks], fontsize=9)
        index_axis.set_xlabel("reference grid index", fontsize=9)
    return fig


def grid_table(path, indices) -> tuple[dict, int]:
    """Print the clock ``u = thbar_t`` and ``Sigma_t`` at the grid ``indices`` of ``path`` (and at the index of the
    largest ``Sigma_t``, marked), one row each. Returns ``({index: (clock, Sigma_t, Sigma_t / largest)}, index of the
    largest Sigma_t)``."""
    ts = path.schedule.times()
    clock = path.schedule.clock(ts)
    _, _, sig = path.coefficients(ts)
    peak = int(ts[sig.argmax()])
    rows = {}
    print("index   clock u   Sigma_t   Sigma_t / largest")
    for i in sorted(set(indices) | {peak}):
        k = int((ts == i).nonzero())
        rows[i] = (float(clock[k]), float(sig[k]), float(sig[k] / sig.max()))
        note = "   (largest Sigma_t)" if i == peak else ""
        print(f"{i:>5}   {rows[i][0]:7.3f}   {rows[i][1]:7.3f}   {rows[i][2]:17.2f}{note}")
    return rows, peak


def plot_posterior_map(path, s_grid, t: int, post_mean, post_std, marg_mean, marg_std, x0, x_t,
                       index_ticks=(0, 40, 60, 70, 75, 80), x_range=(-0.8, 1.0)):
    """Section 2's figure against the clock ``thbar_s`` of the earlier time: the posterior ``q(x_s | x_t, x0)`` of one
    pixel at the grid indices ``s_grid`` (``-1`` to ``t - 1``), each column's Gaussian density divided by its
    maximum, with the posterior mean (solid) and mean +- 2 std (dashed) in magenta and the marginal ``q(x_s | x0)``
    in white (mean dotted, mean +- 2 std dashed). The two pinned ends are marked: ``x0`` at the clean end (clock 0)
    and ``x_t`` at ``t``. A top axis labels the grid indices ``index_ticks``.

    A column narrower than the picture's vertical step (0.005) is drawn one step wide: the two pinned ends (std 0) and
    the first grid times. Returns the figure."""
    import matplotlib.patheffects as path_effects  # noqa: PLC0415
    import matplotlib.pyplot as plt  # noqa: PLC0415

    clock = path.schedule.clock
    u_s, u_t = clock(s_grid), float(clock(torch.tensor(t)))
    u_all = torch.cat([u_s, torch.tensor([u_t], dtype=u_s.dtype)])  # with the column s = t: the point x_t
    mean_all = torch.cat([post_mean, x_t.reshape(1)])
    std_all = torch.cat([post_std, torch.zeros(1, dtype=post_std.dtype)])
    xg = torch.linspace(*x_range, 361, dtype=torch.float64)
    step = float(xg[1] - xg[0])
    dens = torch.exp(-(xg[:, None] - mean_all[None]) ** 2 / (2 * std_all[None].clamp_min(step) ** 2))
    fig, ax = plt.subplots(figsize=(7.5, 4.8), layout="constrained")
    im = ax.pcolormesh(u_all, xg, dens, cmap="viridis", shading="auto")
    fig.colorbar(im, ax=ax, label="posterior density / its column maximum")
    outlined = [path_effects.withStroke(linewidth=3.0, foreground="black")]  # white on black: visible on any colour
    ax.plot(u_s, marg_mean, ":", color="white", lw=1.6, path_effects=outlined,
            label=r"marginal $q(x_s \mid x_0)$: mean")
    for sign in (1, -1):
        ax.plot(u_s, marg_mean + sign * 2 * marg_std, "--", color="white", lw=1.2, path_effects=outlined,
                label=r"marginal: mean $\pm$ 2 std" if sign == 1 else "_nolegend_")
    ax.plot(u_all, mean_all, color="magenta", lw=2.2, label="posterior mean")
    for sign in (1, -1):
        ax.plot(u_all, mean_all + sign * 2 * std_all, "--", color="magenta", lw=1.4,
                label=r"posterior: mean $\pm$ 2 std" if sign == 1 else "_nolegend_")
    ax.plot([0.0], x0.reshape(1), "o", ms=9, mfc=OKABE_ITO["sky"], mec="white", mew=1.5, clip_on=False,
            label=r"$x_0$ (clean end, clock 0)")
    ax.plot([u_t], x_t.reshape(1), "o", ms=9, mfc=OKABE_ITO["vermillion"], mec="white", mew=1.5, clip_on=False,
            label=rf"$x_t$ (grid index {t})")
    ax.set_xlim(0.0, u_t)
    ax.set_ylim(*x_range)
    ax.set_xlabel(r"clock $\bar\theta_s$ of the earlier time $s$ (dimensionless)")
    ax.set_ylabel(r"$x_s$, " + PIXEL)
    index_axis = ax.secondary_xaxis("top")
    index_axis.set_xticks([float(clock(torch.tensor(i))) for i in index_ticks], [str(i) for i in index_ticks],
                          fontsize=9)
    index_axis.set_xlabel(r"grid index $i$ of $s = t_i$", fontsize=9)
    ax.set_facecolor("0.3")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9, facecolor="0.3",
               labelcolor="white", handlelength=3.5)
    return fig


# ----------------------------------------------------------------------------- appendix A


def fokker_planck_check() -> None:
    """Appendix A of notebook 02a: display and assert the boundary values of ``Theta_t`` and ``Sigma_t^2``, the
    identity ``2 cosh(c - u) sinh u = sinh c - sinh(c - 2u)`` (product to sum), and the bridge's Fokker-Planck
    equation per unit clock, ``d_u L + f' + f L' - lam pi^2 (L'' + L'^2) = 0`` for ``L = log q(x_t | x0)`` and the
    drift per unit clock ``f = coth(c - u)(mu - x_t)``, collected by powers of ``x_t - M`` with each non-zero term
    labelled by its part."""
    theta_t, sigma2_t = Theta(u, c), Sigma2(u, c)
    show(r"\big(\Theta_t,\ \Sigma_t^2\big)\big|_{u = 0}", sp.Tuple(theta_t.subs(u, 0), sigma2_t.subs(u, 0)))
    assert (theta_t.subs(u, 0), sigma2_t.subs(u, 0)) == (1, 0)
    limit(theta_t, u, c, 0, lhs=r"\lim_{u \to c}\Theta_t")
    limit(sigma2_t, u, c, 0, lhs=r"\lim_{u \to c}\Sigma_t^2")
    identity = sp.sinh(c - 2 * u) + 2 * sp.cosh(c - u) * sp.sinh(u) - sp.sinh(c)
    chain(r"2\cosh(c - u)\sinh u", 2 * sp.cosh(c - u) * sp.sinh(u),
          (r"\sinh\big((c - u) + u\big) - \sinh\big((c - u) - u\big)", sp.sinh(c) - sp.sinh(c - 2 * u)),
          (r"\sinh c - \sinh(c - 2u)", sp.sinh(c) - sp.sinh(c - 2 * u)))
    mean, var = mu + theta_t * pi, sigma2_t * pi ** 2
    log_q = gaussian_log(xt, mean, var)
    f = bridge_drift(u, c, xt)
    L_1 = sp.diff(log_q, xt)
    show(r"L'", short(sp.factor(L_1)))
    show(r"L''", short(sp.factor(sp.diff(L_1, xt))))
    parts = {r"\partial_u L": sp.diff(log_q, u), "f'": sp.diff(f, xt), "f L'": f * L_1,
             r"-\lambda\pi^2(L'' + L'^2)": -lam * pi ** 2 * (sp.diff(L_1, xt) + L_1 ** 2)}
    y = sp.Symbol("y", real=True)  # y = x_t - M
    expanded = {name: sp.expand(e.subs(xt, mean + y)) for name, e in parts.items()}
    assert zero(sum(expanded.values()) - sum(e.coeff(y, k) * y ** k for e in expanded.values() for k in range(3))) == 0
    # each power's common-denominator form, written by hand (and checked against the terms below)
    common_form = {0: -identity / (2 * sp.sinh(u) * sp.sinh(c - u)), 1: sp.Integer(0),
                   2: sp.sinh(c) * identity / (4 * lam * pi ** 2 * sp.sinh(u) ** 2 * sp.sinh(c - u) ** 2)}
    n_terms = []
    for k, power in ((0, "1"), (1, "(x_t - M)"), (2, "(x_t - M)^2")):
        terms = {name: sp.simplify(e.coeff(y, k)) for name, e in expanded.items()}
        terms = {name: term for name, term in terms.items() if term != 0}
        n_terms.append(len(terms))
        body = " + ".join(r"\underbrace{" + latex(short(term)) + "}_{" + name + "}" for name, term in terms.items())
        assert zero(sum(terms.values()) - common_form[k]) == 0 and zero(common_form[k]) == 0
        show(r"\big[" + power + r"\big]", body, *([short(common_form[k])] if k != 1 else []), 0)
    assert sorted(n_terms) == [2, 3, 3]  # two or three non-zero terms per power
