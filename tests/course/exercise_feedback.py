"""Assertions shared by the exercise tests: a right answer passes; a wrong one is caught with a hint and
without giving the answer away."""
import re

from rdbm_course.exercises import check


def right(exercise_id, answer):
    """``check`` passes ``answer`` (attempted and ok); returns the feedback."""
    feedback = check(exercise_id, answer)
    assert feedback and feedback.attempted, feedback
    return feedback


def assert_caught(feedback, *giveaways):
    """A wrong answer: not ok, attempted, with a message and a hint that name none of the ``giveaways``
    (compared with white space removed)."""
    assert not feedback and feedback.attempted, feedback
    assert feedback.message.strip() and feedback.hint.strip(), feedback
    squeezed = re.sub(r"\s+", "", feedback.message + feedback.hint)
    for text in giveaways:
        assert re.sub(r"\s+", "", text) not in squeezed, (text, feedback)
    return feedback


def wrong(exercise_id, answer, *giveaways):
    """``check`` catches ``answer`` (see :func:`assert_caught`); returns the feedback."""
    return assert_caught(check(exercise_id, answer), *giveaways)


def raises(*args):
    """A student function not written yet."""
    raise RuntimeError("not written yet")
