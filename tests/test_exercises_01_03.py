"""The exercises of notebooks 01-03: right answers pass, realistic wrong ones are caught with a hint that does not
give the answer away, and the notebooks and solutions use every exercise."""
import pathlib
import re

import jupytext
import pytest
import sympy as sp
import torch

from derivations import family
from derivations.common import a, b, c, d, lam, mu, pihat, u, x
from derivations.special_cases import G_t
from rdbm_course.exercises import EXERCISES, check
from rdbm_course.exercises.ex02_rdbm import PIXELS
from rdbm_course.exercises.ex03_special_cases import LIMITS

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
G_T = sp.Symbol("G_T", positive=True)
IDS = {"01": ("01.1", "01.2", "01.3"), "02": ("02.1", "02.2", "02.3", "02.4"), "03": ("03.1", "03.2", "03.3")}


def assert_caught(feedback, *giveaways):
    """A wrong answer: not ok, attempted, with a hint that names none of the ``giveaways``."""
    assert not feedback and feedback.attempted, feedback
    assert feedback.hint.strip(), feedback
    squeezed = re.sub(r"\s+", "", feedback.message + feedback.hint)
    for text in giveaways:
        assert re.sub(r"\s+", "", text) not in squeezed, (text, feedback)


def raises(*args):
    raise RuntimeError("not written yet")


# ----------------------------------------------------------------------------- registry and notebooks

def test_exercises_registered_with_a_mix_of_kinds():
    for ids in IDS.values():
        assert all(i in EXERCISES for i in ids)
        assert len({EXERCISES[i].kind for i in ids}) >= 2
    assert not [i for i in EXERCISES if i[:2] in IDS and i not in sum(IDS.values(), ())]


@pytest.mark.parametrize("exercise_id", sum(IDS.values(), ()))
def test_not_attempted(exercise_id):
    feedback = check(exercise_id, ...)
    assert not feedback and not feedback.attempted


@pytest.mark.parametrize("nn", IDS)
def test_notebook_and_solutions_cover_every_exercise(nn):
    notebook = next(NOTEBOOKS.glob(f"{nn}_*.py"))
    solutions = NOTEBOOKS / "solutions" / f"{notebook.stem}_solutions.py"
    cells = jupytext.read(notebook).cells
    start = next(k for k, cell in enumerate(cells) if cell.source.startswith("## Exercises"))
    exercise_code = "\n".join(cell.source for cell in cells[start:] if cell.cell_type == "code")
    assert re.findall(r'check\("(\d\d\.\d)", answer_\d\d_\d\)', exercise_code) == list(IDS[nn])
    assert "assert" not in exercise_code  # the cells run under nbval with `...`
    solved = re.findall(r'check\("(\d\d\.\d)"', solutions.read_text())
    assert solved == list(IDS[nn])
    assert solutions.read_text().count("assert feedback") == len(IDS[nn])


def test_the_pixel_table_of_02_4_matches_the_checker():
    text = (NOTEBOOKS / "02_rdbm_forward_reverse.py").read_text()
    for key, label in (("x0", r"\$x_0\$"), ("mu", r"\$\\mu\$"), ("x0_hat", r"\$\\hat x_0\$")):
        row = re.search(rf"^# \| {label} \|(.*)\|$", text, re.M)
        assert row, key
        assert tuple(float(v) for v in row.group(1).split("|")) == PIXELS[key]


# ----------------------------------------------------------------------------- 01

def test_01_1_theta():
    right = family.Theta(u, c)
    assert check("01.1", right)
    assert check("01.1", "sinh(thetabar_T - thetabar_t)/sinh(thetabar_T)")
    assert_caught(check("01.1", sp.exp(-u)), str(right))  # the free OU process
    assert_caught(check("01.1", family.Psi(u, c)), str(right))
    assert_caught(check("01.1", 2 * right), str(right))
    assert "free" in check("01.1", sp.exp(-u)).hint


def test_01_2_sigma2():
    right = family.Sigma2(u, c)
    assert check("01.2", right)
    free_ou = check("01.2", lam * (1 - sp.exp(-2 * u)))
    assert_caught(free_ou, str(right))
    assert "free OU" in free_ou.hint
    half = check("01.2", right / 2)
    assert_caught(half, str(right))
    assert "constant factor 0.5" in half.message


def theta_on_grid(schedule, t):
    b_ = schedule.clock_to_end(t)
    c_ = torch.tensor(schedule.u_T, dtype=torch.float64)
    return torch.exp(b_ - c_) * torch.expm1(-2 * b_) / torch.expm1(-2 * c_)


def test_01_3_theta_on_grid():
    giveaway = "sinh(thbar_{t:T}) / sinh(thbar_T)"
    assert check("01.3", theta_on_grid)
    psi = check("01.3", lambda sch, t: torch.exp(sch.clock(t) - sch.u_T) * torch.expm1(-2 * sch.clock(t))
                / torch.expm1(torch.tensor(-2 * sch.u_T)))
    assert_caught(psi, giveaway)
    assert "Psi" in psi.message
    assert "Psi" in check("01.3", lambda sch, t: 1 - theta_on_grid(sch, t)).message  # Psi_t = 1 - Theta_t here
    assert_caught(check("01.3", lambda sch, t: torch.exp(-sch.clock(t))), giveaway)
    assert_caught(check("01.3", raises), giveaway)
    assert_caught(check("01.3", lambda sch, t: theta_on_grid(sch, t)[:-1]), giveaway)
    assert "shape" in check("01.3", lambda sch, t: theta_on_grid(sch, t)[:-1]).message


# ----------------------------------------------------------------------------- 02

def test_02_1_posterior_variance():
    P, K, V = family.posterior_coefficients(a, b)
    assert check("02.1", V)
    # the law of total variance, written with thbar_{t:T}, is the same quantity (d cancels)
    assert check("02.1", family.Sigma2(a, a + b + d) - K ** 2 * family.Sigma2(a + b, a + b + d))
    marginal = check("02.1", family.Sigma2(a, a + b + d))
    assert_caught(marginal, str(V))
    assert "thbar_{t:T}" in marginal.hint
    kernel = check("02.1", lam * (1 - sp.exp(-2 * b)))
    assert_caught(kernel, str(V))
    assert "forward kernel" in kernel.hint
    factor = check("02.1", V / 2)
    assert_caught(factor, str(V))
    assert "constant factor 0.5" in factor.message


def test_02_2_pf_velocity():
    right = family.pf_velocity(x, u, c, pihat)
    drift = family.bridge_drift(u, c)
    score_term = right - drift
    assert check("02.2", right)
    assert check("02.2", sp.expand(drift + lam * (x - mu) / family.Sigma2(u, c)
                                   - lam * family.Theta(u, c) * pihat / family.Sigma2(u, c)))
    reverse = check("02.2", drift + 2 * score_term)
    assert_caught(reverse, str(right))
    assert "reverse-time SDE" in reverse.hint
    assert "forward drift" in check("02.2", drift).hint
    assert "sign" in check("02.2", drift - score_term).hint
    assert_caught(check("02.2", drift + score_term / 2), str(right))
    assert_caught(check("02.2", 2 * right), str(right))


def implicit_step_eta0(path, x_t, x0_hat, mu_, t, s):
    theta_t, _, sigma_t = path.coefficients(t)
    theta_s, _, sigma_s = path.coefficients(s)
    return mu_ + theta_s * (x0_hat - mu_) + sigma_s / sigma_t * (x_t - mu_ - theta_t * (x0_hat - mu_))


STEP_GIVEAWAY = "sigma_s / sigma_t * (x_t - mu_ - theta_t * (x0_hat - mu_))"


def test_02_3_implicit_step():
    assert check("02.3", implicit_step_eta0)

    def inverted(path, x_t, x0_hat, mu_, t, s):  # Sigma_t / Sigma_s: the step goes the wrong way
        theta_t, _, sigma_t = path.coefficients(t)
        theta_s, _, sigma_s = path.coefficients(s)
        return mu_ + theta_s * (x0_hat - mu_) + sigma_t / sigma_s * (x_t - mu_ - theta_t * (x0_hat - mu_))

    def convex_mean(path, x_t, x0_hat, mu_, t, s):  # right to rounding, but intact pixels drift off mu
        theta_t, _, sigma_t = path.coefficients(t)
        theta_s, _, sigma_s = path.coefficients(s)
        return (theta_s * x0_hat + (1 - theta_s) * mu_
                + sigma_s / sigma_t * (x_t - theta_t * x0_hat - (1 - theta_t) * mu_))

    assert_caught(check("02.3", inverted), STEP_GIVEAWAY)
    forgets = check("02.3", lambda path, x_t, x0_hat, mu_, t, s: path.mean(x0_hat, mu_, s))
    assert_caught(forgets, STEP_GIVEAWAY)
    assert "forgets the noise" in forgets.message
    bits = check("02.3", convex_mean)
    assert_caught(bits, STEP_GIVEAWAY)
    assert "exactly mu" in bits.message
    assert_caught(check("02.3", raises), STEP_GIVEAWAY)
    shape = check("02.3", lambda path, x_t, *rest: implicit_step_eta0(path, x_t, *rest)[0])
    assert_caught(shape, STEP_GIVEAWAY)
    assert "shape" in shape.message


def test_02_4_pixels_at_mu():
    right = {i for i, (p, m) in enumerate(zip(PIXELS["x0_hat"], PIXELS["mu"])) if p == m}
    truly_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0"], PIXELS["mu"])) if p == m}
    assert right != truly_intact  # the exercise is built on this difference
    assert check("02.4", right) and check("02.4", sorted(right))
    giveaways = (str(right), str(sorted(right)), ", ".join(map(str, sorted(right))))
    confusion = check("02.4", truly_intact)
    assert_caught(confusion, *giveaways)
    assert "never sees x0" in confusion.hint
    assert_caught(check("02.4", set()), *giveaways)
    assert_caught(check("02.4", set(range(8))), *giveaways)
    assert_caught(check("02.4", "0, 3"), *giveaways)


# ----------------------------------------------------------------------------- 03

def test_03_1_brownian_variance():
    right = G_t * (G_T - G_t) / G_T
    assert check("03.1", right)
    assert check("03.1", "G_t - G_t**2/G_T")
    free = check("03.1", G_t)
    assert_caught(free, str(right))
    assert "free Brownian motion" in free.hint
    factor = check("03.1", 2 * right)
    assert_caught(factor, str(right))
    assert "constant factor 2" in factor.message
    assert_caught(check("03.1", G_t * G_T / (G_T - G_t)), str(right))


def bbdm_variance(schedule, t):
    m = schedule.clock(t) / schedule.u_T
    return schedule.u_T * (m - m ** 2)


BBDM_GIVEAWAY = "schedule.u_T * (m - m ** 2)"


def test_03_2_bbdm_variance():
    assert check("03.2", bbdm_variance)
    unit_var = check("03.2", lambda sch, t: 2 * (sch.clock(t) / sch.u_T - (sch.clock(t) / sch.u_T) ** 2))
    assert_caught(unit_var, BBDM_GIVEAWAY)
    assert "max_var" in unit_var.message
    by_index = check("03.2", lambda sch, t: sch.u_T * ((t + 1) / (sch.t_T + 1)) * (1 - (t + 1) / (sch.t_T + 1)))
    assert_caught(by_index, BBDM_GIVEAWAY)
    assert_caught(check("03.2", lambda sch, t: sch.clock(t)), BBDM_GIVEAWAY)
    assert_caught(check("03.2", raises), BBDM_GIVEAWAY)
    shape = check("03.2", lambda sch, t: bbdm_variance(sch, t)[1:-1])
    assert_caught(shape, BBDM_GIVEAWAY)
    assert "shape" in shape.message


def test_03_3_irsde_limit():
    assert check("03.3", "c") and check("03.3", " (C) ")
    for choice in ("a", "b"):
        feedback = check("03.3", choice)
        assert_caught(feedback, LIMITS["c"], "thbar_T ->", "'c'", '"c"')
        gap = float(re.search(r"largest gap is ([\d.e+-]+) in Theta", feedback.message).group(1))
        assert gap >= 1e-3  # a real, measured distance to IR-SDE
    assert_caught(check("03.3", "d"), LIMITS["c"])
    assert_caught(check("03.3", 3), LIMITS["c"])
