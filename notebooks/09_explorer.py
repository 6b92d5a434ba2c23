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
# # 09 — The bridge explorer: Theta, Sigma, paths and images, live
#
# **What you will learn.** How the choice of bridge (RDBM, GOUB, Brownian, VE, VP), the noise variance `lam`, the
# theta schedule and the residual `pi` shape `Theta_t`, `Sigma_t`, the sample paths and the forward path of an
# image — by moving the controls and predicting before you look.
#
# **Prerequisites.** Notebooks 03–05 (the family, its trajectories, residual modulation on images).
#
# Full-mode wall time: 13 s on a 2-core CPU (no fast mode: nothing here is long; `benchmarks/notebook_times.py`).

# %%
import time

import torch
from matplotlib_inline.backend_inline import set_matplotlib_formats

from rdbm_course import explorer
from IPython.display import display

from rdbm_course.explorer import BRIDGE_CHOICES, explore, explorer_figure, explorer_path, time_grid

torch.set_num_threads(1)  # tiny tensors: one thread is faster on a busy 2-core CPU
set_matplotlib_formats("jpeg", pil_kwargs={"quality": 85})  # photographs and noise: JPEG keeps the notebook small

# %% [markdown]
# ## 1. The live explorer
#
# Every control redraws one figure (`rdbm_course.explorer.explorer_figure`, a pure function of the settings):
#
# * **bridge** — RDBM (OU bridge, noise `Sigma_t |pi|`), GOUB (the same bridge with global noise `Sigma_t`), BBDM
#   (Brownian bridge), DDBM-VE (the VE bridge, `G_t = t^2` up to `sigma_max = 80`), DDBM-VP (the OU bridge that
#   reverts to 0 instead of `mu`). Choosing one resets `lam` to its published value;
# * **lam** — the noise variance `lam` (log scale; type a value into the box beside the slider);
# * **schedule** — `published` keeps the bridge's own clock; `reference` (RDBM's cosine betas), `goub-grid`,
#   `constant` (`theta = 0.05` per step, `thbar_T = 5`) and `linear` (theta from 0.01 to 0.2) replace it with a
#   100-step grid;
# * **pi** — the residual `x0 - mu` of the one-dimensional panels (`mu = 0.5`);
# * **image task** — the degradation of the image strip (a 96 × 96 crop of the test photo "chelsea").
#
# Top row: the weights `Theta_t` of `x0` and `Psi_t` of `mu` in the mean; the standard deviation of a pixel with
# residual `pi`; five sample paths with the mean and a 2-std band. The paths are exact draws of the bridge, not
# an SDE discretisation: they start at the pin `x_T = mu` and step back through the posterior `q(x_s | x_t, x0)`,
# so every time slice has exactly the marginal of the bridge. Bottom row: `x_t` for the photo at five times, one
# noise draw along the strip.
#
# The widget needs a live kernel and ipywidgets (`make lab` installs them). Without ipywidgets, `explore()` says so
# in one line and draws the static figures of section 2 instead; in a static copy of this notebook (or the book)
# the widget is not shown — section 2 is.

# %%
explore()

# %% [markdown]
# One redraw computes the curves, the paths and the strip and draws the figure as the PNG the widget shows. On this
# project's 2-core CPU with nothing else running, an earlier measurement (not repeated here) gave about 0.3 s once
# the first few redraws had warmed up (matplotlib's drawing is most of it); now and then Python's full garbage
# collection adds about 0.3 s to one of them, and other work on the same cores slows every redraw: the committed
# output below comes from a run on a machine shared with other jobs, about twice as slow. One untimed round, then
# ten redraws, two per bridge:

# %%
times = []
for k, name in enumerate(list(BRIDGE_CHOICES) * 3):
    start = time.perf_counter()
    explorer.png_bytes(explorer_figure(name, lam=0.3, schedule="linear", pi=-0.8, task="derain"))
    if k >= len(BRIDGE_CHOICES):
        times.append(time.perf_counter() - start)
print(f"one redraw: median {sorted(times)[len(times) // 2]:.2f} s, fastest {min(times):.2f} s, "
      f"slowest {max(times):.2f} s")

# %% [markdown]
# ## 2. The five bridges at their published settings
#
# The explorer's figure for every bridge with its own schedule and `lam`, `pi = 1`, the inpainting crop — except
# RDBM, drawn at `lam = 0.1` instead of `1e-4` so that its noise is visible (at `1e-4` the strip is just the
# interpolation `mu + Theta_t pi`). These are the presets of `static_figures()`, which `explore()` shows stacked in
# one figure when ipywidgets is missing; here they are drawn one by one.
#
# The horizontal axes are each bridge's own time: grid indices for RDBM, GOUB and BBDM, continuous `t` for the two
# DDBM bridges. The clean end is where the clock is 0: on GOUB's grid that is index `0`; on RDBM's reference
# grid and on BBDM's table the clock is already positive at index 0, so the clean end is the *virtual* index `-1`
# (notebook 01, section 4; `docs/theory.md` §10). Both conventions describe the same point.

# %%
for preset in explorer.PRESETS:
    display(explorer_figure(**preset))

# %% [markdown]
# What to see:
#
# * **RDBM**'s strip: compare where its noise sits with where the other four bridges put theirs (notebook 05 explains
#   the difference; exercise 09.3 asks what it means for a single intact pixel).
# * **GOUB** and **RDBM** share the OU bridge, but on different clocks: RDBM's reference clock is slow at first
#   and very fast at the end (its `Sigma_t` falls to 0 in the last step), GOUB's grid descends more smoothly.
# * **BBDM**'s `Theta_t = 1 - m_t` is a straight line (the Brownian limit on its schedule `m_t`, linear from 0.001
#   to 0.999 over the grid; notebook 03) and its standard deviation `sqrt(2 (m_t - m_t^2))` reaches 0.71 — on
#   images in `[-1, 1]`.
# * **DDBM-VE**'s noise reaches `sigma_max / 2 = 40`: the middle of its strip is pure noise, clipped for display.
# * **DDBM-VP**'s `Psi_t` is not `1 - Theta_t`: its mean reverts to 0, not to `mu`.
#
# The published noise levels side by side (`pi = 1`; the largest standard deviation of a pixel over `t`):

# %% tags=["nbval-check-output"]
for name in BRIDGE_CHOICES:
    path = explorer_path(name)
    sigma_max = float(path.coefficients(time_grid(path))[2].max())
    print(f"{name:8s} lam = {path.lam:8.4g}   thbar_T = {path.schedule.u_T:9.4g}   max Sigma_t = {sigma_max:8.4g}")

# %% [markdown]
# Why these `lam` and clocks? RDBM's and GOUB's `lam` are the papers' noise levels (GOUB's as a variance,
# $(30/255)^2$). BBDM and DDBM-VE are Brownian bridges, and for them the papers publish the accumulated variance
# $G_t$ itself; with `lam = 0.5` the noise term is $\sqrt{2\lambda}\,dW = dW$, so the clock *is* $G$
# (`docs/theory.md` eq. 11.5). BBDM's clock therefore ends at $G_T = 2\,\texttt{max\_var} = 2$, and DDBM-VE's at
# $G_T = \sigma_{\max}^2 = 80^2 = 6400$ (eq. 11.6): a Brownian clock, not an OU one, so it is not comparable with
# RDBM's 7.88. DDBM-VP is an OU bridge with VP's unit stationary variance, `lam = 1` (eq. 11.9).

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/09_explorer_solutions.ipynb`.
#
# **09.1 (predict).** Pick any bridge and multiply `lam` by 4 (type the new value into the box beside the
# slider). By what factor does the largest standard deviation `max_t Sigma_t` change? Write your prediction
# first, then read the maximum in the title of the middle panel. Answer with one number.

# %%
from rdbm_course.exercises import check

answer_09_1 = ...  # a number: max Sigma_t at 4 lam divided by max Sigma_t at lam
check("09.1", answer_09_1)

# %% [markdown]
# **09.2 (predict).** Choose RDBM and switch the schedule from `reference` to `constant` (the same `theta` at
# every one of 100 steps, grid indices 0 … 100). At which grid index `t` does `Sigma_t` peak now? Predict before
# you switch. Answer with one integer.

# %%
answer_09_2 = ...  # an integer grid index between 0 and 100
check("09.2", answer_09_2)

# %% [markdown]
# **09.3 (predict).** An intact pixel: `pi = 0`, so `x0 = mu = 0.5`. For which of the five bridges, at their
# published settings, do the sample paths stay exactly at `mu` for every `t`? Answer with a set of names from
# `rdbm`, `goub`, `bbdm`, `ddbm-ve`, `ddbm-vp` (`set()` if none). Then set `pi = 0` in the explorer and go through
# the bridges.

# %%
answer_09_3 = ...  # a set of bridge names, e.g. {"goub", "bbdm"}
check("09.3", answer_09_3)
