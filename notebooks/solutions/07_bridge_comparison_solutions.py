# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 — Solutions to the exercises
#
# **What you will learn.** How one draw of the hierarchical bootstrap is made, and what leaving the photograph
# level out of it does to the verdicts of a real comparison.
# **Prerequisites.** Notebook 07, and an attempt at its exercises.

# %%
import numpy as np
from IPython.display import display

from rdbm_core.data.files import read_rows
from rdbm_core.evidence.stats import bootstrap_means, paired_data, paired_difference
from rdbm_course.exercises import check
from rdbm_course.exercises.ex07_comparison import OTHERS_07_2, RDBM, RESULTS_CSV, TASKS_07_2

# %% [markdown]
# ## 07.1 One draw of the hierarchical bootstrap
#
# Three levels, each drawn with replacement and as many units as it has: the seeds (rows), the photographs, and
# within each drawn photograph its own windows. One item draw serves every drawn seed, so the draw is a sub-matrix
# `diffs[seeds, items]` whose mean is $\bar\Delta^*$ (a row or a window drawn twice counts twice).

# %%
def hierarchical_draw(diffs, photographs, rng):
    n_seeds = diffs.shape[0]
    names = sorted(set(photographs))
    windows = {name: [i for i, p in enumerate(photographs) if p == name] for name in names}
    seeds = rng.integers(0, n_seeds, n_seeds)
    items = []
    for k in rng.integers(0, len(names), len(names)):
        own = windows[names[k]]
        items += [own[j] for j in rng.integers(0, len(own), len(own))]
    return float(diffs[np.ix_(seeds, items)].mean())


feedback = check("07.1", hierarchical_draw)
display(feedback)
assert feedback

# %% [markdown]
# On the notebook's example, RDBM − regression on deraining in PSNR, 10,000 of these draws give the same interval
# as the library's `bootstrap_means`, up to the Monte Carlo error of the draws (other random numbers, so the
# second decimal may differ).

# %%
rows = [r for r in read_rows(RESULTS_CSV) if r["method"] in (RDBM, *OTHERS_07_2)]
example = paired_data(rows, "derain", RDBM, "regression", "psnr")
rng = np.random.default_rng(0)
mine = np.percentile([hierarchical_draw(example.d, example.photographs, rng) for _ in range(10_000)], [2.5, 97.5])
library = np.percentile(bootstrap_means(example.d, example.photographs, draws=10_000), [2.5, 97.5])
print(f"this draw, 10,000 times: [{mine[0]:+.2f}, {mine[1]:+.2f}] dB; the library: [{library[0]:+.2f}, "
      f"{library[1]:+.2f}] dB")
assert np.allclose(mine, library, atol=0.1)

# %% [markdown]
# ## 07.2 Established without the photograph level
#
# Leaving out the photograph level treats the 144 windows as 144 independent pictures, although the 12 windows of a
# photograph share its content and its degradation and move together. The draws then vary less, every interval
# gets narrower, and the comparisons whose hierarchical interval ends close to 0 can flip to "established". Below,
# the count under the two-stage design and the comparisons whose verdict changes.

# %%
changed, two_stage, hierarchical, near_zero = [], 0, 0, 0
for task in TASKS_07_2:
    for b in OTHERS_07_2:
        old = paired_difference(rows, task, RDBM, b, "psnr", draws=10_000, method="two-stage", refine=False)
        new = paired_difference(rows, task, RDBM, b, "psnr", draws=10_000, refine=False)
        two_stage += old.verdict in ("a", "b")
        hierarchical += new.verdict in ("a", "b")
        near_zero += new.verdict == "tie" and min(abs(new.low), abs(new.high)) < 0.15
        if old.verdict != new.verdict:
            assert new.verdict == "tie"  # every change is a verdict that the photograph level had withheld
            assert min(abs(new.low), abs(new.high)) < 0.15  # ... from an interval that ends near 0
            changed.append(f"{task}, rdbm − {b.removesuffix('-eta0')}: two-stage [{old.low:+.2f}, {old.high:+.2f}] "
                           f"({old.verdict_words}); hierarchical [{new.low:+.2f}, {new.high:+.2f}] "
                           f"({new.verdict_words})")
print(f"established by the two-stage interval: {two_stage} of {len(TASKS_07_2) * len(OTHERS_07_2)}")
print("\n".join(changed))

feedback = check("07.2", two_stage)
display(feedback)
assert feedback

# %% [markdown]
# Each comparison that changes is one whose hierarchical interval ends within about a tenth of a decibel of 0. The
# photograph level is what a claim about *other pictures* needs: the narrower interval answers a question about these
# twelve photographs only.
#
# The prediction can be made without computing: the count can only grow from the hierarchical one, and only the
# "no difference" intervals that end close to 0 can flip. Counting those in section 6's forest plot (ends within
# 0.15 dB of 0) gives a range, an answer the checker accepts too:

# %%
reasoned = (hierarchical + 1, hierarchical + near_zero)
print(f"hierarchical: {hierarchical}; no-difference intervals ending within 0.15 dB of 0: {near_zero}; "
      f"predicted range {reasoned}, which holds the two-stage count {two_stage}")
assert reasoned[0] <= two_stage <= reasoned[1] and reasoned[1] - reasoned[0] <= 2
