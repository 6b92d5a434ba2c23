"""Exercises of notebook 09 (the explorer): right answers pass, realistic wrong ones are caught with a hint
that does not give the answer away, and the truths are the library's."""
import re

import pytest

from rdbm_course import explorer
from rdbm_course.exercises import check
from rdbm_course.exercises.ex09_explorer import sigma_max_ratio, still_bridges


def _wrong(exercise_id, answer):
    fb = check(exercise_id, answer)
    assert not fb and fb.attempted and fb.message and fb.hint, fb
    return fb


def test_truths_come_from_the_library():
    for bridge in explorer.BRIDGE_CHOICES:
        assert sigma_max_ratio(bridge) == pytest.approx(2.0, rel=1e-12)
        assert sigma_max_ratio(bridge, factor=9.0) == pytest.approx(3.0, rel=1e-12)
    assert still_bridges() == {"rdbm"}
    assert still_bridges(mu=0.0) == {"rdbm"}  # with mu = 0 DDBM-VP's mean stays, but its global noise moves it


def test_09_1_lam_factor():
    assert check("09.1", 2) and check("09.1", 2.0)
    standalone_two = re.compile(r"(?<![\^\w.])2(?![\w.])")  # "2" as a number, not the exponent of Sigma_t^2
    for answer, says in ((4, "variance"), (16, "more slowly"), (1, "does depend"), (0.5, "more noise"),
                         (3, "not the factor")):
        fb = _wrong("09.1", answer)
        assert says in fb.message + fb.hint
        assert not standalone_two.search(fb.hint) and "sqrt(4)" not in fb.hint, fb.hint
    assert "one number" in _wrong("09.1", "two").message


def test_09_2_constant_schedule_peak():
    assert check("09.2", 50) and check("09.2", 50.0)
    fb = _wrong("09.2", 91)  # the reference schedule's peak, carried over
    assert "reference schedule" in fb.message
    assert "later" in _wrong("09.2", 20).message and "earlier" in _wrong("09.2", 80).message
    assert "end point" in _wrong("09.2", 100).message
    assert "outside" in _wrong("09.2", 150).message
    assert "integer" in _wrong("09.2", 50.5).message
    for answer in (91, 20, 80, 100, 150):
        assert "50" not in check("09.2", answer).hint


def test_09_3_intact_pixel():
    assert check("09.3", {"rdbm"}) and check("09.3", "rdbm") and check("09.3", ["RDBM"])
    goub = _wrong("09.3", {"rdbm", "goub"})
    assert "goub" in goub.message and "global noise" in goub.hint
    vp = _wrong("09.3", {"rdbm", "ddbm-vp"})
    assert "DDBM-VP" in vp.message and "reverts to 0" in vp.hint
    none = _wrong("09.3", set())
    assert "leaves it out" in none.message
    everyone = _wrong("09.3", set(explorer.BRIDGE_CHOICES))
    assert "moves" in everyone.message
    for fb in (goub, vp, none, everyone):
        assert "rdbm" not in fb.hint.lower()
    assert "unknown bridge" in _wrong("09.3", {"i2sb"}).message
    assert "set of bridge names" in _wrong("09.3", 3).message
