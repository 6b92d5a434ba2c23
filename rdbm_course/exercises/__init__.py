"""Exercises of the notebooks, with automatic checks that explain what is wrong and give a hint.

In a notebook::

    from rdbm_course.exercises import check
    answer = ...                      # your SymPy expression, function, tensor or number
    check("01.2", answer)             # shows ✅ / ❌ with what is wrong and a hint

``check`` returns a :class:`Feedback` that is true when the answer is right; ``EXERCISES`` lists
them all (id ``"NN.k"``: notebook NN, exercise k; notebook 02 is in three parts 02a-02c, with ids such as
``"02a.1"``).  Worked solutions are in ``notebooks/solutions/``.  One module per notebook registers its checkers.
"""
from . import (ex01_ou, ex02a_marginal_posterior, ex02b_reverse_time, ex02c_implicit_sampler,  # noqa: F401
               ex03_special_cases, ex04_trajectories, ex05_modulation, ex06_training, ex07_comparison, ex08_samplers,
               ex09_explorer, ex10_toy_bridge, ex11_fast_samplers, ex12_modulation_study, ex13_what_bridges_are_for)
from ._base import EXERCISES, Exercise, Feedback, check

__all__ = ["check", "EXERCISES", "Exercise", "Feedback"]
