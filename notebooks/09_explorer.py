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
# # 09 — The bridge explorer: $\Theta_t$, $\Sigma_t$, sample paths and images
#
# **What you will learn.** How five bridges of the family — RDBM, GOUB, BBDM, DDBM-VE and DDBM-VP — differ in the
# weights of their mean, in their noise, in their sample paths and in what they do to an image; how the stationary
# variance $\lambda$, the residual $\pi$ and the schedule change each of these; and how to predict a change before
# you make it.
#
# **Prerequisites.** Notebooks 01 (the Ornstein–Uhlenbeck process and its bridge), 03 (the family and its special
# cases), 04 (the processes in one dimension) and 05 (residual modulation on images).
#
# Wall time: under a minute on a 2-core CPU.

# %%
from IPython.display import display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from rdbm_course.explorer import (BRIDGE_CHOICES, clock_figure, clock_table, explore, explorer_figure,
                                  published_table, residual_figure, residual_text, schedule_table)

set_matplotlib_formats("png")  # PNG, not SVG: every figure holds photo crops, which would make SVG files large

# %% [markdown]
# ## 1. One bridge, one figure
#
# The explorer draws one figure for each setting. It follows one value (one pixel) along a bridge:
#
# * $x_0$ is the clean value and $\mu$ the degraded value; their difference $\pi = x_0 - \mu$ is the *residual*;
# * $t$ marks the place along the bridge, from the clean end ($x = x_0$, the left of each panel) to the degraded end
#   $T$ (the right), where the bridge is pinned: $x_T = \mu$ exactly. In between, $x_t$ is random;
# * on a discrete schedule $t$ is a grid index; on a continuous one (DDBM's, section 3) it is a time. RDBM's grid
#   runs from $-1$, the clean end (a virtual index one before the first of its 100 steps), to 99.
#
# Below is RDBM, the residual diffusion bridge of this course, on its own schedule, with $\mu = 0.5$ and $\pi = 1$
# (so $x_0 = 1.5$); the image strip uses a photo crop with an inpainting mask. The size of the noise is set by
# $\lambda$, its *stationary variance* (section 2): here 0.1, a thousand times RDBM's published $10^{-4}$, so that
# the noise shows. The titles also print two quantities that section 2 defines: $\Sigma_t$, the scale of the noise,
# and $\bar\theta_T$, the length of the schedule's clock.

# %%
explorer_figure("rdbm", lam=0.1)

# %% [markdown]
# The four panels:
#
# * **Top left.** The mean of $x_t$ is $\Theta_t x_0 + \Psi_t \mu$: $\Theta_t$, the weight of the clean value,
#   goes from 1 to 0; $\Psi_t$, the weight of the degraded value, from 0 to 1.
# * **Top middle.** The standard deviation of $x_t$, proportional to $|\pi|$ for RDBM (notebook 05). The title gives
#   its largest value, 0.3161, and where it is reached, $t = 91$.
# * **Top right.** Five sample paths of $x_t$, their mean (black) and the band mean ± 2 standard deviations (grey).
# * **Bottom.** $x_t$ for the 96 × 96 crop at five times, each labelled with its $t$ and $\Theta_t$. The noise
#   appears only inside the inpainting mask, where $\pi \ne 0$.
#
# The five images share one noise draw: they differ only through $t$, and are not five moments of one sample path.

# %% [markdown]
# ## 2. What the panels plot
#
# Every bridge of the explorer has the same form, value by value:
#
# $$x_t = \Theta_t\,x_0 + \Psi_t\,\mu + \Sigma_t\,\nu(\pi)\,\epsilon, \qquad \epsilon \sim \mathcal N(0, 1).$$
#
# The *noise factor* $\nu(\pi)$ is $\pi$ for RDBM (residual-modulated noise) and 1 for the other four bridges (global
# noise: the same for every value). The middle panel plots the standard deviation $\Sigma_t\,|\nu(\pi)|$.

# %% [markdown]
# ### The clock
#
# A schedule gives a mean-reversion rate $\theta \ge 0$ at each step. The coefficients depend on it only through the
# *clock* $\bar\theta_t$: the rates summed over the steps up to $t$ (on a continuous schedule, the integral of
# $\theta$ from the clean end to $t$). Its end value is $\bar\theta_T$; the clock still to run at $t$ is
# $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$.

# %% [markdown]
# ### The OU bridge (RDBM, GOUB, DDBM-VP)
#
# The Ornstein–Uhlenbeck process $dx = \theta_t\,(m - x)\,dt + \sqrt{2\lambda\theta_t}\,\nu(\pi)\,dW$ pulls $x$
# towards a target $m$ at the rate $\theta_t$. $\lambda$ is its stationary variance (per unit $\nu(\pi)^2$): run for
# a long time, the variance settles at $\lambda\,\nu(\pi)^2$, where the noise adds as much as the pull removes.
# Conditioned to end at $x_T = \mu$, it has (notebook 01)
#
# $$\Theta_t = \frac{\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}, \qquad
# \Sigma_t^2 = 2\lambda\,\frac{\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}
#   = \lambda\,\frac{(1 - e^{-2\bar\theta_t})\,(1 - e^{-2\bar\theta_{t:T}})}{1 - e^{-2\bar\theta_T}},$$
#
# $$\Psi_t = 1 - \Theta_t \ \text{ if } m = \mu \text{ (RDBM, GOUB)}, \qquad
# \Psi_t = \frac{\sinh\bar\theta_t}{\sinh\bar\theta_T} \ \text{ if } m = 0 \text{ (DDBM-VP)}.$$

# %% [markdown]
# ### Where the noise peaks
#
# $\Sigma_t^2$ does not change when $\bar\theta_t$ and $\bar\theta_{t:T}$ swap, and it is largest where they are
# equal: half way along the clock, $\bar\theta_t = \bar\theta_T/2$ (exercise 05.3 proves it). There
#
# $$\max_t \Sigma_t^2 = 2\lambda\,\frac{\sinh^2(\bar\theta_T/2)}{\sinh\bar\theta_T}
#   = \lambda\tanh\frac{\bar\theta_T}{2}.$$
#
# So the clock decides where the noise peaks (half way along the clock, not half way along the grid) and how high:
# below $\lambda$ always, close to it on a long clock, far below it on a short one.

# %% [markdown]
# ### The Brownian bridge (BBDM, DDBM-VE)
#
# It has no mean reversion: its noise $g_t\,dW$ only accumulates. Its clock is the accumulated variance $G_t$ (the
# sum, or integral, of $g^2$ up to $t$), with end value $G_T$. Let $\theta \to 0$ in the OU formulas while
# $2\lambda\bar\theta_t = G_t$ stays fixed; with $\sinh x \approx x$ (notebook 03, section 2):
#
# $$\Theta_t = 1 - \frac{G_t}{G_T}, \qquad \Psi_t = \frac{G_t}{G_T}, \qquad
# \Sigma_t^2 = \frac{G_t\,(G_T - G_t)}{G_T}, \qquad
# \max_t \Sigma_t^2 = \frac{G_T}{4} \ \text{ at } G_t = \frac{G_T}{2}.$$
#
# **Its $\lambda$ is a storage convention.** The library writes both kinds with one formula in their own clock
# $u$, ending at $c$: $\Sigma_t^2 = 2\lambda\,S(u)\,S(c - u)/S(c)$, with $S = \sinh$ and $u = \bar\theta_t$ for
# an OU bridge, $S(x) = x$ and $u = G_t$ for a Brownian one. With $\lambda = 1/2$ the Brownian case is the formula
# above; BBDM and DDBM-VE publish $G$, not $\lambda$, and another $\lambda$ multiplies every variance by
# $2\lambda$. $\bar\theta$ (a rate summed over time) and $G$ (a variance) are different quantities: no title or
# table prints them under one name.

# %% [markdown]
# The five bridges at their published settings (the figures' titles use the same names):
#
# | bridge | process | target $m$ | noise factor $\nu(\pi)$ | $\lambda$ | schedule (section 3) |
# |---|---|---|---|---|---|
# | RDBM | OU bridge | $\mu$ | $\pi$ (residual-modulated) | $10^{-4}$ | `reference` |
# | GOUB | OU bridge | $\mu$ | 1 (global) | $(30/255)^2$ (GOUB publishes the standard deviation $30/255$) | `goub-grid` |
# | BBDM | Brownian bridge | — | 1 (global) | $1/2$ (the storage convention) | `bbdm` |
# | DDBM-VE | Brownian bridge | — | 1 (global) | $1/2$ (the storage convention) | `ve` |
# | DDBM-VP | OU bridge | 0 | 1 (global) | 1 (the paper's value) | `vp` |
#
# **The sample paths** are exact draws of the bridge, not a simulation of its equation with small steps: each starts
# at the pin $x_T = \mu$ and steps back in time, drawing each earlier value from the bridge given the later one and
# $x_0$. So every time slice has exactly the distribution above.

# %% [markdown]
# ## 3. The schedules and their clocks
#
# Each schedule has one name in the widget, the titles and the tables. The step index is $n$:
#
# * `reference` (RDBM's): $\theta$ at step $n$ is $\beta_n$, the cosine schedule of improved DDPM,
#   $\beta_n = \min\big(1 - \bar\alpha(\tfrac{n+1}{100})/\bar\alpha(\tfrac{n}{100}),\ 0.999\big)$ with
#   $\bar\alpha(v) = \cos^2\big(\tfrac{v + 0.008}{1.008}\cdot 90^\circ\big)$: small at first, 0.999 at the last step.
#   At grid index $n$ the clock is $\beta_0 + \dots + \beta_n$ ($n = 0, \dots, 99$).
# * `goub-grid` (GOUB's, from IR-SDE): $\theta$ grows like $1 - \bar\alpha$ of the same cosine, from near 0 to near
#   1; the clock is 0 at index 0 and scaled so that $\bar\theta_T = -\ln 0.005$; grid $0 \dots 100$.
# * `constant`: $\theta = 0.05$ at each of 100 steps, so $\bar\theta_t = 0.05\,t$; grid $0 \dots 100$.
# * `linear`: $\theta$ rises linearly from 0.01 to 0.2 over 100 steps; grid $0 \dots 100$.
# * `bbdm` (BBDM's): $G_n$ rises linearly from 0.002 at $n = 0$ to 1.998 at $n = 999$ (twice BBDM's published
#   schedule). The clean end ($G = 0$) is the virtual index $-1$, the pinned end ($G_T = 2$) the virtual index 1000.
# * `ve` (DDBM-VE's): continuous time $t \in [0, 80]$ ($80 = \sigma_{\max}$, its largest noise level), $G_t = t^2$.
# * `vp` (DDBM-VP's): continuous time $t \in [0, 1]$, $\theta_t = (b_{\min} + b_d\,t)/2 = 0.05 + t$
#   ($b_{\min} = 0.1$, $b_d = 2$ in the paper), so $\bar\theta_t = 0.05\,t + t^2/2$.
#
# The first four can replace any bridge's own schedule in the explorer (for BBDM and DDBM-VE their clock is then read
# as $G_t$); the last three belong to their bridges. Where each clock ends:

# %% tags=["nbval-check-output"]
print(schedule_table())

# %% [markdown]
# $\bar\theta_T$ runs from 0.55 (`vp`) to 10.5 (`linear`); $G_T$ is 2 (`bbdm`) or 6400 (`ve`). Only ends in one
# column can be compared: $\bar\theta_T$ is a rate summed over time, $G_T$ a variance.
#
# A clock's end sets how large the noise gets (section 2's peak); its shape sets *where* things happen. The figure
# plots, for each bridge on its own schedule, the share of the clock run against the share of the way along the grid
# (or the time interval); the table reads it at a quarter, half and three quarters of the way.

# %%
display(clock_figure())
print(clock_table())

# %% [markdown]
# * **BBDM**'s clock is linear in the index: 0.250, 0.500, 0.750.
# * **RDBM**'s `reference` clock starts slowest: 0.089 of $\bar\theta_T$ half way, 0.241 at three quarters. The rest
#   runs in the last quarter, and the last step alone, $\beta_{99} = 0.999$, is $0.999/7.879 = 0.127$ of it. Since
#   $\Sigma_t^2 \propto 1 - e^{-2\bar\theta_{t:T}}$, the noise falls only where little clock is left to run: from near
#   its peak at $t = 98$ to 0 at $t = 99$, the cliff at the right of section 1's middle panel.
# * **GOUB**'s `goub-grid` clock runs faster than RDBM's through the middle (0.192 half way) and also speeds up to
#   the end: 0.341 of the clock in the third quarter, 0.467 in the last.
# * **DDBM-VE**'s clock is exactly quadratic, $G_t/G_T = (t/80)^2$: 0.0625 (printed 0.062), 0.250, 0.562.
#   **DDBM-VP**'s, $(0.05\,t + t^2/2)/0.55$, is nearly so: 0.273 half way.
#
# **A slow clock need not mean a slow mean.** While $\bar\theta_{t:T}$ is large, both sinh in $\Theta_t$ are close
# to $e^x/2$, so $\Theta_t \approx e^{-\bar\theta_t}$: the mean follows the clock's value, not its share. At three
# quarters of RDBM's grid the clock is $0.241 \times 7.879 = 1.90$, and $e^{-1.90} = 0.15$: the $\Theta_t$ of
# section 1's strip at $t = 74$.

# %% [markdown]
# ## 4. The five bridges at their published settings
#
# Each bridge on its own schedule, with its published $\lambda$, $\pi = 1$ and the inpainting crop. RDBM is now at
# its published $\lambda = 10^{-4}$.

# %%
for name in BRIDGE_CHOICES:
    display(explorer_figure(name))

# %% [markdown]
# The published noise levels side by side: $\lambda$, the noise factor, the end of the clock in its own column,
# and the largest standard deviation of a value with $\pi = 1$, with where it is reached: a grid index, or for `ve`
# and `vp` the exact time at which the clock is half way.

# %% tags=["nbval-check-output"]
print(published_table())

# %% [markdown]
# What to see:
#
# * **RDBM** at $\lambda = 10^{-4}$: the largest standard deviation is $0.009996\,|\pi|$, that is
#   $\sqrt{\lambda\tanh(7.879/2)}\,|\pi|$. On images in $[-1, 1]$, $|\pi|$ is at most 2, so the noise is at most
#   0.02, 1 % of the range: too little to see in the strip, which looks like the noise-free interpolation
#   $\mu + \Theta_t\pi$.
# * **GOUB**: global noise, up to 0.1171, on every value of the strip, inside the mask and outside: close to
#   $\sqrt\lambda = 30/255 = 0.1176$, the standard deviation GOUB publishes, because its clock is long.
# * **BBDM**: $\Theta_t$ is a straight line, because its clock is linear in the index. Its standard deviation
#   $\sqrt{G_t(G_T - G_t)/G_T}$ reaches $\sqrt{G_T/4} = 0.7071$ at $t = 499$: large on images in $[-1, 1]$.
# * **DDBM-VE**: the standard deviation reaches $\sqrt{G_T/4} = 40$, half of $\sigma_{\max} = 80$, at
#   $t = 80/\sqrt 2 = 56.57$, where $G_t = G_T/2$. The middle of the strip is pure noise, clipped for display.
# * **DDBM-VP**: $\Psi_t$ is not $1 - \Theta_t$; the mean is pulled towards 0 as well as towards $\mu$. Its largest
#   standard deviation is $0.5179 = \sqrt{\tanh 0.275}$, far below $\sqrt\lambda = 1$ on its short clock. It is
#   reached at $t = 0.6933$, where $0.05\,t + t^2/2 = 0.275$, half the clock: not at $t = 0.5$.

# %% [markdown]
# ## 5. What $\lambda$, $\pi$ and the schedule change
#
# ### 5.1 The stationary variance $\lambda$
#
# $\lambda$ multiplies $\Sigma_t^2$ and leaves $\Theta_t$ and $\Psi_t$ alone: the mean panel, the clock and the
# place of the peak stay; every standard deviation scales with $\sqrt\lambda$. RDBM's largest one was 0.3161 at
# $\lambda = 0.1$ (section 1) and 0.009996 at $10^{-4}$ (section 4): a ratio of $\sqrt{1000} \approx 31.6$.
#
# ### 5.2 The residual $\pi$
#
# $\pi$ scales RDBM's noise and not GOUB's. The figure compares the two at $\lambda = 0.1$, each on its own
# schedule: above, for $\pi = 0.25, 1, 2$; below, on the inpainting crop, at each bridge's peak time (one noise draw
# for both).

# %%
display(residual_figure(lam=0.1))
print(residual_text(lam=0.1))

# %% [markdown]
# * **Top left.** RDBM's curves for $\pi = 0.25, 1, 2$ are one curve scaled by $|\pi|$; GOUB's is one curve for
#   every $\pi$. At $|\pi| = 1$ the two peaks are close (0.3161 and 0.3147) but at different times, $t = 91$ and
#   $t = 73$, because their clocks differ.
# * **Top right.** Under RDBM a large residual travels with a wide band, a small one with a narrow band; all three
#   means end at $\mu = 0.5$.
# * **Bottom.** Only the inpainted strokes have $\pi \ne 0$: 17.4 % of the crop's values. RDBM's standard deviation
#   follows $|\pi|$: 0 outside the strokes and at most 0.3136, where $|\pi|$ is largest (0.992). GOUB's is 0.3147 on
#   every value, so 82.6 % of its noise variance falls on values that need no restoration.
#
# ### 5.3 The schedule
#
# GOUB keeps its $\lambda$ and its global noise but runs on RDBM's `reference` clock; compare with GOUB on its own
# `goub-grid` in section 4.

# %%
explorer_figure("goub", schedule="reference")

# %% [markdown]
# * **The mean** now follows RDBM's clock: $\Theta_t = 0.85, 0.50, 0.15$ at $t = 24, 49, 74$ (the strip), against
#   0.85, 0.36, 0.06 at $t = 25, 50, 75$ on `goub-grid`.
# * **The noise** peaks later, at $t = 91$ instead of 73, where the `reference` clock is half way. Its height barely
#   moves: 0.11760 against 0.11706 (five digits; the titles round both to four). The longer clock (7.879 against
#   5.298) brings the peak closer to $\sqrt\lambda = 0.11765$.

# %% [markdown]
# ## 6. The live explorer
#
# The controls:
#
# * **bridge**: one of the five; choosing one resets `lam` to its published value;
# * **lam (λ)**: on a log scale: the stationary variance of an OU bridge; for BBDM and DDBM-VE it multiplies every
#   variance by $2\lambda$;
# * **schedule**: `published` (the bridge's own) or one of `reference`, `goub-grid`, `constant`, `linear`;
# * **pi (π)**: the residual of the one-dimensional panels ($\mu = 0.5$ is fixed);
# * **image task**: the degradation of the strip's crop.
#
# Every setting is also one static call, `explorer_figure(bridge, lam=..., schedule=..., pi=..., task=...)`. The
# widget exists only while a kernel runs: this saved copy shows one bracketed line in its place. Without ipywidgets
# the cell prints one line and draws five fixed figures instead (RDBM at $\lambda = 0.1$, the others as in
# section 4).

# %%
explore()

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check`: it says what is wrong and gives a hint, never the answer. Work each answer out
# from the formulas first; then check it with the explorer or the library:
#
# ```python
# path = explorer_path("rdbm", schedule="constant")  # a bridge at its published lam, on a schedule
# Theta, Psi, Sigma = path.coefficients(time_grid(path))  # the three coefficients at every time of its grid
# path.schedule.clock(30)  # the clock thbar_t (G_t for a Brownian bridge) at grid index 30
# ```
#
# Worked solutions: `solutions/09_explorer_solutions.ipynb`.
#
# **09.1 (predict).** Section 2 gave the largest variance of an OU bridge, $\max_t \Sigma_t^2 =
# \lambda\tanh(\bar\theta_T/2)$: always below $\lambda$. How long must the clock be, $\bar\theta_T$, for the largest
# standard deviation, $\max_t \Sigma_t$, to reach 99 % of $\sqrt\lambda$? Answer with one number, to three
# significant digits. Then check: among section 3's schedules, take the shortest one that your answer calls long
# enough, and draw DDBM-VP on it ($\lambda = 1$, so $\sqrt\lambda = 1$): `explorer_figure("ddbm-vp",
# schedule=...)`. The middle panel's maximum should be at least 0.99.

# %%
from rdbm_course.exercises import check
from rdbm_course.explorer import explorer_path, time_grid  # for the checks the exercises suggest

answer_09_1 = ...  # a number: the final clock thbar_T
check("09.1", answer_09_1)

# %% [markdown]
# **09.2 (predict).** RDBM at its published settings: $\lambda = 10^{-4}$ on the `reference` schedule. On images in
# $[-1, 1]$ one 8-bit grey level is $2/255$. What is the smallest residual $|\pi|$ for which the standard deviation
# of $x_t$ reaches one grey level at some $t$? Answer with one number, to three significant digits. Then check:
# `explorer_figure("rdbm", pi=...)` with your answer; the middle panel's maximum should be $2/255 = 0.007843$.

# %%
answer_09_2 = ...  # a number: the smallest |pi|
check("09.2", answer_09_2)

# %% [markdown]
# **09.3 (predict).** RDBM on the `constant` schedule: $\theta = 0.05$ per step, so $\bar\theta_t = 0.05\,t$ on the
# grid $0 \dots 100$ and $\bar\theta_T = 5$. At which grid index $t$ has the mean $\Theta_t x_0 + \Psi_t \mu$ first
# moved at least half way from $x_0$ to $\mu$, that is, $\Theta_t \le 1/2$ for the first time? Use the last
# paragraph of section 3. Answer with one integer. Then check: `explorer_figure("rdbm", schedule="constant")` draws
# $\Theta_t$ in its top-left panel, and `path.coefficients(t)` gives its exact values.

# %%
answer_09_3 = ...  # an integer grid index between 0 and 100
check("09.3", answer_09_3)

# %% [markdown]
# ## Appendix: checks
#
# The collapsed cell recomputes every number quoted above from the library; it fails if one changes.

# %% jupyter={"source_hidden": true}
# Checks: the numbers quoted in sections 1-5, recomputed from the library's data (not from printed text)
import math

import torch

from rdbm_course.explorer import (clock_shares, explorer_path, noise_peak, published_rows, residual_summary,
                                  schedule_rows, time_grid)

# section 1: RDBM at lam = 0.1
rdbm = explorer_path("rdbm", lam=0.1)
peak_std, peak_t = noise_peak(rdbm)  # the largest Sigma_t |pi| (pi = 1) on the grid, and its grid index
assert f"{peak_std:.4g}" == "0.3161" and peak_t == 91
# section 2: the peak of Sigma_t^2 is lam tanh(thbar_T / 2) (OU) and G_T / 4 (Brownian, lam = 1/2), on the
# continuous clocks, where the peak time is exact
clock_T = rdbm.schedule.u_T
vp, ve = explorer_path("ddbm-vp"), explorer_path("ddbm-ve")
assert math.isclose(noise_peak(vp)[0] ** 2, vp.lam * math.tanh(vp.schedule.u_T / 2), rel_tol=1e-12)
assert math.isclose(noise_peak(ve)[0] ** 2, ve.schedule.u_T / 4, rel_tol=1e-12) and ve.lam == 0.5
assert math.isclose(float(rdbm.coefficients(peak_t)[2]) ** 2, 0.1 * math.tanh(clock_T / 2), rel_tol=1e-3)
# section 3: the clock ends (one column at a time), the shares, the last step and the cliff, Theta at t = 74
ends = {row["name"]: (row["thbar_T"], row["G_T"]) for row in schedule_rows()}
thbar_ends = [thbar for thbar, _ in ends.values() if thbar is not None]
assert f"{min(thbar_ends):.2f}" == f"{ends['vp'][0]:.2f}" == "0.55" and max(thbar_ends) == ends["linear"][0]
assert f"{ends['linear'][0]:.4g}" == "10.5"
assert sorted(G for _, G in ends.values() if G is not None) == [2, 6400] and ends["bbdm"][1] == 2
bbdm_clock = explorer_path("bbdm").schedule.clock
assert [f"{float(bbdm_clock(n)):.3f}" for n in (-1, 0, 999, 1000)] == ["0.000", "0.002", "1.998", "2.000"]
shares = {bridge: [f"{v:.3f}" for v in values] for bridge, values in clock_shares().items()}
assert shares == {"rdbm": ["0.021", "0.089", "0.241"], "goub": ["0.030", "0.192", "0.533"],
                  "bbdm": ["0.250", "0.500", "0.750"], "ddbm-ve": ["0.062", "0.250", "0.562"],
                  "ddbm-vp": ["0.080", "0.273", "0.580"]}
goub_shares = clock_shares()["goub"]
assert f"{goub_shares[2] - goub_shares[1]:.3f}" == "0.341" and f"{1 - goub_shares[2]:.3f}" == "0.467"
assert all(math.isclose(v, q ** 2, abs_tol=1e-12) for v, q in zip(clock_shares()["ddbm-ve"], (0.25, 0.5, 0.75)))
last_step = clock_T - float(rdbm.schedule.clock(98))  # beta_99
assert f"{clock_T:.3f}" == "7.879" and f"{last_step:.3f}" == "0.999" and f"{last_step / clock_T:.3f}" == "0.127"
sigma_98, sigma_99 = (float(rdbm.coefficients(t)[2]) for t in (98, 99))
assert sigma_98 > 0.9 * peak_std and sigma_99 == 0  # near the peak one step before the pin, 0 at it
clock_74 = float(rdbm.schedule.clock(74))  # three quarters of the grid -1 .. 99
assert f"{clock_74 / clock_T:.3f}" == "0.241" and f"{clock_74:.2f}" == f"{0.241 * 7.879:.2f}" == "1.90"
assert f"{math.exp(-1.90):.2f}" == f"{float(rdbm.coefficients(74)[0]):.2f}" == "0.15"
# section 4: the published noise levels
rows = {row["bridge"]: row for row in published_rows()}
assert {name: f"{row['max_std']:.4g}" for name, row in rows.items()} == {
    "rdbm": "0.009996", "goub": "0.1171", "bbdm": "0.7071", "ddbm-ve": "40", "ddbm-vp": "0.5179"}
assert {name: row["peak"] for name, row in rows.items() if row["peak_kind"] == "index"} == {
    "rdbm": 91, "goub": 73, "bbdm": 499}
assert f"{math.sqrt(1e-4 * math.tanh(7.879 / 2)):.4g}" == "0.009996" and 2 * rows["rdbm"]["max_std"] < 0.02
assert f"{30 / 255:.4f}" == "0.1176" and rows["goub"]["lam"] == (30 / 255) ** 2
assert f"{math.sqrt(2 / 4):.4f}" == "0.7071" and rows["bbdm"]["G_T"] == 2
assert math.isclose(rows["ddbm-ve"]["peak"], 80 / math.sqrt(2), rel_tol=1e-12) and f"{80 / math.sqrt(2):.2f}" == "56.57"
t_vp = rows["ddbm-vp"]["peak"]
assert math.isclose(0.05 * t_vp + t_vp ** 2 / 2, 0.275, rel_tol=1e-12) and f"{t_vp:.4f}" == "0.6933"
assert f"{math.sqrt(math.tanh(0.275)):.4f}" == "0.5179"
Theta, Psi, _ = vp.coefficients(vp.schedule.times(200))
assert ((Theta + Psi)[1:-1] < 1).all()  # DDBM-VP: Psi_t != 1 - Theta_t inside the interval
# section 5.1: lam scales every standard deviation by sqrt(lam) and leaves Theta alone
rdbm_published = explorer_path("rdbm")
ratio = noise_peak(rdbm)[0] / noise_peak(rdbm_published)[0]  # same schedule: exactly sqrt(0.1 / 1e-4)
assert math.isclose(ratio, math.sqrt(1000), rel_tol=1e-12) and f"{ratio:.1f}" == "31.6"
grid = time_grid(rdbm)
assert all(math.isclose(a, b) for a, b in zip(rdbm.coefficients(grid)[0], rdbm_published.coefficients(grid)[0]))
# section 5.2: the residual on the inpainting crop
summary = residual_summary(lam=0.1)
assert f"{summary['share_pi_nonzero']:.1%}" == "17.4%" and f"{summary['max_abs_pi']:.3f}" == "0.992"
assert summary["rdbm"]["t"] == 91 and summary["goub"]["t"] == 73
assert summary["rdbm"]["min_std"] == 0 and f"{summary['rdbm']['max_std']:.4f}" == "0.3136"
assert summary["rdbm"]["share_on_intact"] == 0
assert f"{summary['goub']['min_std']:.4f}" == f"{summary['goub']['max_std']:.4f}" == "0.3147"
assert f"{summary['goub']['share_on_intact']:.1%}" == "82.6%"
# section 5.3: GOUB on the reference schedule, peaks to five digits
goub_ref, goub_own = explorer_path("goub", schedule="reference"), explorer_path("goub")
assert [f"{float(v):.2f}" for v in goub_ref.coefficients(torch.tensor([24, 49, 74]))[0]] == ["0.85", "0.50", "0.15"]
assert [f"{float(v):.2f}" for v in goub_own.coefficients(torch.tensor([25, 50, 75]))[0]] == ["0.85", "0.36", "0.06"]
assert noise_peak(goub_ref)[1] == 91 and f"{noise_peak(goub_ref)[0]:.5f}" == "0.11760"
assert f"{noise_peak(goub_own)[0]:.5f}" == "0.11706" and f"{math.sqrt(goub_own.lam):.5f}" == "0.11765"
assert f"{noise_peak(goub_ref)[0]:.4f}" == "0.1176" and f"{noise_peak(goub_own)[0]:.4f}" == "0.1171"  # the titles
assert f"{goub_ref.schedule.u_T:.3f}" == "7.879" and f"{goub_own.schedule.u_T:.3f}" == "5.298"
assert noise_peak(goub_own)[0] < noise_peak(goub_ref)[0] < math.sqrt(goub_own.lam)
