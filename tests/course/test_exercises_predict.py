"""The *predict* exercises (a number or a choice, checked against the library's own truth): right answers pass,
wrong ones are caught with a hint that does not give the answer away, and the truths are the library's."""
import math
import re

import pytest
import torch

from rdbm_core.bridge.path import ResidualPath
from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_course.exercises import check
from rdbm_course.exercises import ex02a_marginal_posterior as ex02a
from rdbm_course.exercises import ex02c_implicit_sampler as ex02c
from rdbm_course.exercises.ex02c_implicit_sampler import PIXELS
from rdbm_course.exercises import ex03_special_cases as ex03
from rdbm_course.exercises import ex04_trajectories as ex04
from rdbm_course.exercises import ex09_explorer as ex09

from exercise_feedback import assert_caught, right, wrong  # tests/course/exercise_feedback.py

DT = torch.float64


def test_truths_come_from_the_library():
    # 09.1: the peak of Sigma_t / sqrt(lam) is sqrt(tanh(thbar_T / 2)); it reaches 0.99 at thbar_T = 2 artanh(0.99^2)
    for c in (0.55, 2.0, 7.878896522001049):
        assert ex09.peak_share(c) == pytest.approx(math.sqrt(math.tanh(c / 2)), rel=1e-10)
    assert ex09.clock_for_share() == pytest.approx(2 * math.atanh(0.99 ** 2), rel=1e-9)
    # 09.2: one grey level (2/255) over RDBM's largest Sigma_t at lam = 1e-4 (at grid index 91 of the reference clock)
    assert ex09.visible_residual() == pytest.approx(2 / 255 / math.sqrt(1e-4 * math.tanh(7.878896522001049 / 2)),
                                                    rel=1e-5)
    # 09.3: Theta_t = sinh(5 - 0.05 t) / sinh(5) first reaches 1/2 at t = 14 (close to ln 2 / 0.05 = 13.9)
    assert math.sinh(5 - 0.05 * 13) / math.sinh(5) > 0.5 >= math.sinh(5 - 0.05 * 14) / math.sinh(5)
    assert ex09.half_way_index() == 14 and ex09.half_way_index("reference") == 49


def test_02a_2_two_stage_spread(monkeypatch):
    """The truth is computed from the library (law of total variance over the posterior); every wrong numeral is
    caught with its own hint and without naming the right one.  Mutations tried: the posterior's slope in x_t
    dropped (the spread is then the posterior's own std, smaller: the truth turns to "i"), and the posterior's std
    doubled (the truth turns to "iii"); both are simulated below."""
    spread, marginal = ex02a.two_stage_spread()
    assert spread == pytest.approx(marginal, rel=1e-12) and 0.1 < marginal < 0.3
    assert check("02a.2", "ii") and check("02a.2", " (II) ")
    for choice in ("i", "iii"):
        assert_caught(check("02a.2", choice), ex02a.TWO_STAGE_CHOICES["ii"], "'ii'", '"ii"', "(ii)")
    assert "centre moves" in check("02a.2", "i").hint and "joint" in check("02a.2", "iii").hint
    assert "expected one of" in check("02a.2", "iv").message
    monkeypatch.setattr(ex02a, "two_stage_spread", lambda: (0.9 * marginal, marginal))
    assert ex02a.two_stage_answer() == "i" and not check("02a.2", "ii") and check("02a.2", "i")
    monkeypatch.setattr(ex02a, "two_stage_spread", lambda: (1.1 * marginal, marginal))
    assert ex02a.two_stage_answer() == "iii" and not check("02a.2", "ii")


def test_02c_2_pixels_at_mu(monkeypatch):
    """The answer is a pair (RDBM, global noise), each part checked against the library's run; every wrong part is
    caught without naming the right sets. Mutation that fails: a checker that runs both parts on RDBM (noise factor
    pi_hat for the global part too) accepts the RDBM set twice; simulated below by patching pixels_at_mu."""
    right = {i for i, (p, m) in enumerate(zip(PIXELS["x0_hat"], PIXELS["mu"])) if p == m}
    truly_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0"], PIXELS["mu"])) if p == m}
    assert right != truly_intact  # the exercise is built on this difference
    assert ex02c.pixels_at_mu() == right and ex02c.pixels_at_mu(noise="global") == set()
    assert check("02c.2", (right, set())) and check("02c.2", [sorted(right), []])
    giveaways = (str(right), str(sorted(right)), ", ".join(map(str, sorted(right))))
    confusion = check("02c.2", (truly_intact, set()))
    assert_caught(confusion, *giveaways)
    assert "never sees x0" in confusion.hint
    for rdbm_part in (set(), set(range(8))):
        assert_caught(check("02c.2", (rdbm_part, set())), *giveaways)
    again = assert_caught(check("02c.2", (right, right)), *giveaways, "set()", "empty")
    assert "RDBM set again" in again.hint and "RDBM set is right" in again.message
    assert_caught(check("02c.2", (right, truly_intact)), *giveaways, "set()", "empty")
    for malformed in ("0, 3", {0, 3}, ({0, 3},), ({0, 3}, set(), set())):
        assert "expected a pair" in assert_caught(check("02c.2", malformed), *giveaways).message
    monkeypatch.setattr(ex02c, "pixels_at_mu", lambda seed=0, noise="modulated": right)  # the mutation
    assert check("02c.2", (right, right)) and not check("02c.2", (right, set()))


def test_03_3_irsde_limit(monkeypatch):
    """The right pair is measured on IR-SDE's grid (the one limit whose gap closes, and its slope); every wrong limit
    is caught with its measured gaps, a wrong rate without them, and neither names the answer. Mutation that fails:
    limit "c" built on IR-SDE's own schedule instead of with the pin moved to c' (its gap stays at 0.005, no limit
    closes and irsde_answer() fails). The truth follows the measurement: a measured rate "ii" (monkeypatched below)
    refuses the former right answer."""
    assert ex03.irsde_answer() == ("c", "iii")
    assert check("03.3", ("c", "iii")) and check("03.3", [" (C) ", "III"])
    giveaways = (ex03.LIMITS["c"], ex03.RATES["iii"], "'c'", '"c"', "'iii'", "e^{-2")
    for choice in ("a", "b"):
        feedback = assert_caught(check("03.3", (choice, "iv")), *giveaways)
        gaps = [float(g) for g in re.findall(r"([\d.e+-]+) at ", feedback.message)]
        assert len(gaps) == len(ex03.PARAMETERS[choice]) and min(gaps) >= 1e-3  # measured, and not closing
    assert "lam does not appear" in check("03.3", ("b", "iii")).hint
    for rate in ("i", "ii", "iv"):
        feedback = assert_caught(check("03.3", ("c", rate)), *giveaways)
        assert "limit is right" in feedback.message and not re.search(r"\d\.\de-\d", feedback.message)
    assert "pair" in assert_caught(check("03.3", "c"), *giveaways[1:2], "'iii'").message  # it echoes the 'c' typed
    for unknown in (("d", "iii"), ("c", "v")):  # the feedback lists the valid letters, so only the texts are hidden
        assert "expected one of" in assert_caught(check("03.3", unknown), *giveaways[:2], "e^{-2").message
    monkeypatch.setattr(ex03, "measured_rate", lambda choice: "ii")
    assert not check("03.3", ("c", "iii")) and check("03.3", ("c", "ii"))


def test_04_2_mid_variance_prediction():
    """The share the OU bridge keeps at the midpoint of the clock is 1 - rho^2 of the free OU process, equal to the
    library's Var(bridge) / Var(OU) at t = 0.5 for a constant rate c on [0, 1] (c from 0.1 to 10); any written form of
    1 / (1 + e^{-c}) passes with the limits 1/2 and 1, and the usual wrong formulas and wrong limits are caught without
    naming the answer. Mutation that fails: mid_share() with rho instead of rho^2 (its share 1 - rho then differs
    from the library's ratio, and the right tuple is refused)."""
    share = ex04.mid_share()
    for c_value in (0.1, 1.0, 3.0, 10.0):
        assert float(share.subs(ex04.C_04_2, c_value)) == pytest.approx(ex04.mid_variance_ratio(c_value), rel=1e-12)
    giveaways = ("1/(1+exp(-c))", "1/(1+e^(-c))", "exp(c)/(exp(c)+1)")
    right("04.2", (0.5, 1, "1 / (1 + exp(-c))"))
    right("04.2", [0.5, 1.0, "2*sinh(c/2)**2 / (sinh(c)*(1 - exp(-c)))"])  # the bridge's closed form, unsimplified
    assert "Brownian" in wrong("04.2", (0.5, 1, "1/2"), *giveaways).hint
    assert "rho^2" in wrong("04.2", (0.5, 1, "1 - 1/(1 + exp(-c))"), *giveaways).hint
    assert "standard deviations" in wrong("04.2", (0.5, 1, "sqrt(1/(1 + exp(-c)))"), *giveaways).hint
    assert "the midpoint is u = c/2" in wrong("04.2", (0.5, 1, "1/(1 + exp(-2*c))"), *giveaways).hint
    assert "total variance" in wrong("04.2", (0.5, 1, "1 + exp(-c)"), *giveaways).hint
    assert "Cov(x_t, x_T" in wrong("04.2", (0.5, 1, "1 - exp(-c)"), *giveaways).hint
    for limits, which in (((0.4, 1), "c -> 0"), ((0.5, 0.9), "c -> infinity")):
        feedback = wrong("04.2", (*limits, "1/(1 + exp(-c))"), "0.5", "1/2", "-> 1")
        assert "formula is right" in feedback.message and which in feedback.message
    assert "three things" in wrong("04.2", 0.73).message
    assert "finite numbers" in wrong("04.2", ("half", 1, "c")).message
    assert "not part of this problem" in wrong("04.2", (0.5, 1, "t * c")).message


def test_04_3_pf_ode_position_prediction():
    """The path through x = 0.1 at t = 0.75 keeps its distance from the mean in units of the marginal's standard
    deviation (docs/theory.md (7.4)); Heun on a fine grid agrees with that truth, and the usual shortcuts are caught
    without the answer. Mutation that fails: a checker whose truth is the mean curve (the old exercise's answer)."""
    sch = schedules.continuous_constant(3.0, T=1.0)
    path = bridges.ou_bridge(sch, 0.04)
    x0, mu = torch.tensor([[-0.6]], dtype=DT), torch.tensor([[0.4]], dtype=DT)
    mean = {t: float(path.mean(x0, mu, t)) for t in (0.5, 0.75)}
    std = {t: float(path.std(x0, mu, t)) for t in (0.5, 0.75)}
    truth = mean[0.5] + (0.1 - mean[0.75]) * std[0.5] / std[0.75]
    ode = samplers.sample_heun(samplers.Denoiser(lambda x, m, t: x0, clamp=False), mu, path,
                               torch.linspace(0.75, 0.5, 201, dtype=DT), x_T=torch.tensor([[0.1]], dtype=DT))
    assert abs(float(ode) - truth) < 1e-6  # the library's ODE path keeps (x - mean) / std
    right("04.3", round(truth, 3))
    shown = f"{truth:.3f}"
    assert "mean curve" in wrong("04.3", mean[0.5], shown).hint
    assert "does not stay constant" in wrong("04.3", mean[0.5] + 0.1 - mean[0.75], shown).hint
    assert "variances" in wrong("04.3", mean[0.5] + (0.1 - mean[0.75]) * (std[0.5] / std[0.75]) ** 2, shown).hint
    assert "moves" in wrong("04.3", 0.1, shown).hint
    wrong("04.3", truth + 0.01, shown)


def _derain_truth():
    """On the deraining test pair at t = 49, computed here from the residual and the reference Sigma_49: the fraction
    of the values with pi != 0, the mask's share, and the number of values with Sigma_49 |pi| >= 2/255."""
    item = SyntheticPairs("derain", "test", crop=128)[0]
    pi = item["x0"] - item["mu"]
    sigma_49 = float(bridges.rdbm().coefficients(torch.tensor(49))[2])
    return (float((pi != 0).double().mean()), float(item["mask"].double().mean()),
            int((pi.abs().double() * sigma_49 >= 2 / 255).sum()))


def test_05_1_noisy_fraction_and_visible_count():
    """The truths match a computation from the residual; the usual mistakes get their own message.  Mutations that
    fail: the checker's level set to 1/255 (the right count, 29, is refused) and its count taken at lam = 1 (the
    same)."""
    from rdbm_course.exercises.ex05_modulation import noisy_counts
    fraction, mask, count = _derain_truth()
    truth = noisy_counts()
    assert (truth["fraction"], truth["mask"]) == (fraction, mask) and abs(truth["count"] - count) <= 1
    assert fraction > 2 * mask and 0 < count < 100 < truth["count_lam_1"]  # the lesson: wide noise, rarely visible
    right("05.1", (round(fraction, 3), count))
    right("05.1", (fraction, count + 1))
    assert "mask" in wrong("05.1", (mask, count), f"{fraction:.2f}").message
    assert "global" in wrong("05.1", (1.0, count)).hint
    assert "not* get noise" in wrong("05.1", (1 - fraction, count)).message
    assert "percentage" in wrong("05.1", (100 * fraction, count)).message
    assert "half" in wrong("05.1", (fraction, truth["count_half_level"]), str(count)).message
    assert "lam = 1" in wrong("05.1", (fraction, truth["count_lam_1"]), str(count)).message
    assert "pixels" in wrong("05.1", (fraction, truth["count_pixels"]), str(count)).message
    assert "not a fraction" in wrong("05.1", (fraction, count / truth["values"])).message
    assert "off by more than 1" in wrong("05.1", (fraction, 3 * count), str(count)).message
    assert "two numbers" in wrong("05.1", fraction).message


def test_05_3_sigma_peak_prediction():
    """(b) is a function of a schedule, run on three grids, whose truth is the argmax of the library's Sigma_t; the
    peak formula of (c) is the library's largest Sigma_t / sqrt(lam) on a fine grid of the clock, for several
    thbar_T, and any written form of it passes. A function that calls a path's coefficients is refused, and so is
    one tuned to the first two grids. Mutation that fails: peak_level() without the square root (tanh(c/2) is then
    accepted and the right formula refused); a checker that runs peak_index only on the reference and GOUB grids
    accepts `late` below."""
    from rdbm_course.exercises.ex05_modulation import C_05_3, grids_05_3, peak_index_truth, peak_level
    truth = []
    for path in (bridges.rdbm(), bridges.goub()):
        ts = path.schedule.times()
        truth.append(int(ts[path.coefficients(ts)[2].argmax()]))
        assert peak_index_truth(path.schedule) == truth[-1]
        peak = float(peak_level().subs(C_05_3, path.schedule.u_T))
        assert float(path.coefficients(ts)[2].max()) / path.lam ** 0.5 == pytest.approx(peak, abs=1e-4)
    assert truth == [91, 73]  # far from the middle of both grids
    third = grids_05_3()[2][1]
    ts = third.times()
    assert peak_index_truth(third) == int(ts[bridges.ou_bridge(third, 1.0).coefficients(ts)[2].argmax()]) == 18
    for c_value in (0.3, 2.0, 8.0):  # a fine constant-rate clock on [0, 1]: the peak over the clock
        path = bridges.ou_bridge(schedules.continuous_constant(c_value, T=1.0), 0.04, noise="global")
        t = torch.linspace(0, 1, 2001, dtype=DT)
        on_clock = float(path.coefficients(t)[2].max()) / 0.04 ** 0.5
        assert on_clock == pytest.approx(float(peak_level().subs(C_05_3, c_value)), rel=1e-6)

    def half_way(schedule):
        ts = schedule.times()
        return int(ts[(2 * schedule.clock(ts) - schedule.u_T).abs().argmin()])

    def from_sigma(schedule):  # the library's Sigma_t: refused
        ts = schedule.times()
        return int(ts[bridges.ou_bridge(schedule, 1.0).coefficients(ts)[2].argmax()])

    def shifted(k):
        return lambda schedule: half_way(schedule) + k

    def late(schedule):  # right on the reference and GOUB grids only
        return {-1: 91, 0: 73}[schedule.t_clean] if schedule.t_T in (99, 100) else 45

    giveaways = ("91", "73", "18")
    for formula in ("sqrt(tanh(c/2))", "sqrt((cosh(c) - 1)/sinh(c))", "sqrt(2)*sinh(c/2)/sqrt(sinh(c))"):
        right("05.3", (half_way, formula))
    assert "middle" in wrong("05.3", (lambda s: (s.t_clean + s.t_T) // 2, "sqrt(tanh(c/2))"), *giveaways).message
    assert "end point" in wrong("05.3", (lambda s: s.t_T, "sqrt(tanh(c/2))"), *giveaways).message
    assert "close" in wrong("05.3", (shifted(-1), "sqrt(tanh(c/2))"), *giveaways).message
    assert "coefficients" in wrong("05.3", (from_sigma, "sqrt(tanh(c/2))"), *giveaways).message
    assert "decreasing rates" in wrong("05.3", (late, "sqrt(tanh(c/2))"), *giveaways).message
    assert "a function" in wrong("05.3", (91, "sqrt(tanh(c/2))"), *giveaways).message
    giveaways = ("tanh(c/2)", "tanh(c/4)")
    assert "variance" in wrong("05.3", (half_way, "tanh(c/2)"), *giveaways).hint
    assert "add up to c" in wrong("05.3", (half_way, "sqrt(tanh(c))"), *giveaways).hint
    assert "limit" in wrong("05.3", (half_way, 1), *giveaways).message
    assert "a number" in wrong("05.3", (half_way, 0.9996), *giveaways).message
    assert "constant factor" in wrong("05.3", (half_way, "sqrt(2*tanh(c/2))"), *giveaways).message
    assert "two entries" in wrong("05.3", (91, 73, "sqrt(tanh(c/2))")).message


def test_07_2_two_stage_count_is_checked_against_the_committed_results():
    """The truth is the two-stage count on the committed items; it exceeds the hierarchical one (the photograph
    level withholds verdicts); the hierarchical count, fewer, and more are each answered in words. A range of at
    most three whole numbers that holds the truth passes; a wider one, or one that includes the hierarchical
    count, does not."""
    from rdbm_core.data.files import read_rows
    from rdbm_course.exercises.ex07_comparison import RESULTS_CSV, established_hierarchical, established_two_stage
    rows = read_rows(RESULTS_CSV)
    truth, hierarchical = established_two_stage(rows), established_hierarchical(rows, RESULTS_CSV.parent)
    assert hierarchical < truth
    right("07.2", truth)
    assert "same count" in wrong("07.2", hierarchical, str(truth)).message
    assert "fewer than" in wrong("07.2", hierarchical - 1, str(truth)).message
    assert "too many" in wrong("07.2", truth + 1, str(truth)).message
    assert "whole number" in wrong("07.2", "eleven").message
    assert "between 0 and 21" in wrong("07.2", 30).message
    right("07.2", (truth - 1, truth + 1))  # a range of three whole numbers that holds the count
    assert "too wide" in wrong("07.2", (truth - 2, truth + 2), str(truth)).message
    assert "direction" in wrong("07.2", (hierarchical, hierarchical + 2), str(truth)).message
    if truth - 1 > hierarchical:
        assert "too few" in wrong("07.2", (hierarchical + 1, truth - 1), str(truth)).message


def test_08_3_heun_nfe_prediction():
    """(a) = 18 is the worked baseline (section 1's 2n - 2); the truths of (b) and (c) are the library's counts."""
    from rdbm_course.exercises.ex08_samplers import BASELINE_A, count_heun, heun_nfe_truth
    rdbm = bridges.rdbm()
    assert count_heun(rdbm, rdbm.schedule.sampling_times(10)) == BASELINE_A == 2 * 10 - 2
    assert heun_nfe_truth() == (19, 19)
    right("08.3", (19, 19))
    assert "implicit" in wrong("08.3", (18, 19), "19").hint  # IR-SDE is not pinned: its first step is ordinary
    assert "pinned at its end t_T = 1" in wrong("08.3", (19, 20), "19").hint  # part 3: the first step is implicit
    assert "pinned at its end t_T = 1" in wrong("08.3", (19, 18), "19").hint  # ... the last does not land on 0
    assert "(a)" in wrong("08.3", (18, 19, 19), "19").message  # (a) is given, not asked
    assert "two" in wrong("08.3", (19,)).message
    assert "two whole numbers" in wrong("08.3", "nineteen").message


def test_08_4_distinct_outputs_prediction():
    """The worked baseline (2 outputs with 2 sampler steps) and the truth (5 with 3) are the library's own."""
    from rdbm_course.exercises.ex08_samplers import distinct_outputs
    assert [len(g) for g in distinct_outputs(2)] == [3, 2]  # {eta=0, Euler, Heun}, {eta=1, Euler-Maruyama}
    assert len(distinct_outputs(3)) == 5
    right("08.4", 5)
    assert "2 sampler steps" in wrong("08.4", 2, "5").message
    assert "middle step" in wrong("08.4", 3, "5").hint
    assert "middle step" in wrong("08.4", 4, "5").hint
    assert "one whole number" in wrong("08.4", "five").message
    wrong("08.4", 7, "5")


def test_09_1_saturation_clock():
    """Mutations tried: the variance reaching 99 % (2 artanh 0.99), tanh(thbar_T) for tanh(thbar_T / 2); both are
    caught with their own hint, and no feedback names 4.6."""
    truth = 2 * math.atanh(0.99 ** 2)
    assert check("09.1", truth) and check("09.1", 4.6) and check("09.1", "4.61")  # 4.61: tanh ~ 1 - 2 e^-c
    for answer, says in ((2 * math.atanh(0.99), "variance"), (math.atanh(0.99 ** 2), "thbar_T / 2"),
                         (3.0, "too short"), (8.0, "longer than needed"), (-1.0, "positive")):
        fb = wrong("09.1", answer, "4.6", "1.9801 / 0.0199")
        assert says in fb.message + fb.hint, (answer, fb)
    assert "one number" in wrong("09.1", "long").message


def test_09_2_visible_residual():
    """The proportionality to |pi| is the point: the grey levels at |pi| = 1, a grey level of 1/255 and lam used as a
    standard deviation are each caught with their own message, and no feedback names 0.78."""
    truth = (2 / 255) / math.sqrt(1e-4 * math.tanh(7.878896522001049 / 2))
    assert check("09.2", truth) and check("09.2", 0.785) and check("09.2", 0.7843)  # 0.7843: sqrt(lam) for the peak
    for answer, says in ((1 / truth, "counted in grey levels"), (truth / 2, "1/255"), ((2 / 255) / 1e-4, "variance"),
                         (0.5, "below one grey level"), (1.5, "above one grey level"), (-0.3, "not negative")):
        fb = wrong("09.2", answer, "0.78")
        assert says in fb.message + fb.hint, (answer, fb)
    assert "one number" in wrong("09.2", "big").message


def test_09_3_half_way_on_the_constant_clock():
    """The noise's half-way point (t = 50) and the reference schedule's crossing (49) are caught by name; an index on
    either side says only which side; no feedback names 14."""
    assert check("09.3", 14) and check("09.3", 14.0)
    for answer, says in ((50, "noise Sigma_t peaks"), (49, "reference schedule"), (13, "still above 1/2"),
                         (20, "not for the first time"), (150, "outside"), (13.9, "integer")):
        fb = wrong("09.3", answer)
        assert says in fb.message + fb.hint, (answer, fb)
        assert not re.search(r"\b14\b", fb.message + fb.hint), fb
    assert "integer" in wrong("09.3", "fourteen").message


def test_07_2_design_is_nowhere_above_its_question():
    """07.2 asks what the two-stage design (``DESIGN_07_2``) establishes: no cell above the question may show it
    (source or output).

    Mutation that fails: section 5 printing the same example's interval with ``method="two-stage"`` beside the
    hierarchical one.
    """
    import json
    from pathlib import Path

    from rdbm_course.exercises.ex07_comparison import DESIGN_07_2
    notebook = json.loads((Path(__file__).resolve().parents[2] / "notebooks" / "07_bridge_comparison.ipynb").read_text())
    above = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if "**07.2 (predict).**" in source:
            break
        above.append(source)
        for output in cell.get("outputs", []):
            above.append("".join(output.get("text", "")))
            above.extend("".join(v) if isinstance(v, list) else str(v) for v in output.get("data", {}).values())
    else:
        raise AssertionError("07.2 not found in notebook 07")
    assert not any(DESIGN_07_2 in text.lower() for text in above)


def test_06_5_batch_prediction_is_measured_with_the_trainer():
    """The truth is measured inside the checker with the library's trainer (two tiny runs, batch 2 and 8); the
    solution passes, the other two choices and a non-choice are caught without naming the answer."""
    from rdbm_course.exercises.ex06_training import batch_answer, batch_spread_ratio

    assert batch_spread_ratio() > 1.3 and batch_answer() == "noisier"
    assert right("06.5", "noisier") and right("06.5", " Noisier ")
    for choice in ("smoother", "same"):
        assert_caught(check("06.5", choice), "noisier")
    assert "expected one of" in wrong("06.5", "higher").message
    wrong("06.5", 2.0)
