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
# # 09 — The bridge explorer: $\Theta_t$, $\Sigma_t$, sample paths and images, live
#
# **What you will learn.** How five bridges of the family — RDBM, GOUB, BBDM, DDBM-VE and DDBM-VP — differ in the
# weights of their mean, in their noise, in their sample paths and in what they do to an image; how the noise
# variance $\lambda$, the schedule and the residual $\pi$ change each of these; and how to predict a change before you
# make it.
#
# **Prerequisites.** Notebooks 03 (the family and its special cases), 04 (the processes in one dimension) and 05
# (residual modulation on images).
#
# Wall time: under a minute (44 s, kernel start included, on a 2-core CPU busy with other jobs; `FAST=1` changes
# nothing here).

# %%
from IPython.display import display
from matplotlib_inline.backend_inline import set_matplotlib_formats

from rdbm_course.explorer import (BRIDGE_CHOICES, clock_figure, clock_table, explore, explorer_figure, explorer_path,
                                  published_table, schedule_table, time_grid)

set_matplotlib_formats("png")  # curves stay sharp

# %% [markdown]
# ## 1. One bridge, one figure
#
# The explorer draws one figure for each setting. It follows one value (one pixel) along a bridge:
#
# * $x_0$ is the clean value and $\mu$ the degraded value; their difference $\pi = x_0 - \mu$ is the *residual*;
# * the bridge runs from $x_0$ at the clean end (the left of each panel) to the degraded end $T$ (the right);
# * it ends exactly at $x_T = \mu$ (the *pin*); in between, $x_t$ is random.
#
# Below is RDBM, the residual diffusion bridge of this course, on its own schedule. The one-dimensional panels use
# $\mu = 0.5$ and $\pi = 1$ (so $x_0 = 1.5$). The image strip uses a photo crop with an inpainting mask. The noise
# variance is $\lambda = 0.1$: a thousand times RDBM's published $10^{-4}$, so that the noise shows. Section 5
# draws the published value.

# %%
explorer_figure("rdbm", lam=0.1)

# %% [markdown]
# The four panels:
#
# * **Top left.** The mean of $x_t$ is $\Theta_t x_0 + \Psi_t \mu$. $\Theta_t$ is the weight of the clean value: 1
#   at the clean end, 0 at $T$. $\Psi_t$ is the weight of the degraded value: 0, then 1.
# * **Top middle.** The standard deviation of $x_t$. For RDBM it is $\Sigma_t|\pi|$: proportional to the residual
#   (notebook 05). The title gives its largest value, 0.316, and where it is reached, $t = 91$.
# * **Top right.** Five sample paths of $x_t$, their mean (black) and the band mean ± 2 standard deviations (grey).
# * **Bottom.** $x_t$ for the 96 × 96 crop at five times, with one noise draw for the whole strip. Each image
#   is labelled with its $t$ and $\Theta_t$; at $t = 49$, $\Theta_t = 0.50$. The noise appears only inside the
#   inpainting mask, where $\pi \ne 0$.
#
# The horizontal axis is RDBM's grid index, from $-1$ to $99$; section 3 says why it starts at $-1$.

# %% [markdown]
# ## 2. What the panels plot
#
# Every bridge of the explorer has the same form, value by value:
#
# $$x_t = \Theta_t\,x_0 + \Psi_t\,\mu + \Sigma_t\,\nu(\pi)\,\epsilon, \qquad \epsilon \sim \mathcal N(0, 1).$$
#
# The *noise factor* $\nu(\pi)$ is $\pi$ for RDBM (residual-modulated noise) and 1 for the other four bridges (global
# noise: the same for every value). The middle panel plots the standard deviation $\Sigma_t\,|\nu(\pi)|$.
#
# **The clock.** A schedule gives a mean-reversion rate $\theta_t \ge 0$. The coefficients depend only on its
# integral, the *clock* $\bar\theta_t = \int_0^t \theta_r\,dr$ (on a grid, the sum of the steps' $\theta$). Its end
# value is $\bar\theta_T$; the clock still to run is $\bar\theta_{t:T} = \bar\theta_T - \bar\theta_t$.
#
# **The OU bridge** (RDBM, GOUB, DDBM-VP). The Ornstein–Uhlenbeck process
# $dx = \theta_t\,(m - x)\,dt + \sqrt{2\lambda\theta_t}\,\nu(\pi)\,dW$ pulls $x$ towards a target $m$ at the rate
# $\theta_t$; $\lambda$ sets the size of its noise. Conditioned to end at $x_T = \mu$, it has (notebook 01;
# `docs/theory.md` §4)
#
# $$\Theta_t = \frac{\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}, \qquad
# \Sigma_t^2 = 2\lambda\,\frac{\sinh\bar\theta_t\,\sinh\bar\theta_{t:T}}{\sinh\bar\theta_T}
#   = \lambda\,\frac{(1 - e^{-2\bar\theta_t})\,(1 - e^{-2\bar\theta_{t:T}})}{1 - e^{-2\bar\theta_T}},$$
#
# $$\Psi_t = 1 - \Theta_t \ \text{ if } m = \mu \text{ (RDBM, GOUB)}, \qquad
# \Psi_t = \frac{\sinh\bar\theta_t}{\sinh\bar\theta_T} \ \text{ if } m = 0 \text{ (DDBM-VP)}.$$
#
# **The Brownian bridge** (BBDM, DDBM-VE) has no mean reversion: its noise only accumulates. Its clock is the
# accumulated variance $G_t = \int_0^t g_r^2\,dr$ of the noise $g_t\,dW$, with end value $G_T$. Let $\theta \to 0$ in
# the OU formulas while $2\lambda\bar\theta_t = G_t$ stays fixed; with $\sinh x \approx x$ (notebook 03, section 2):
#
# $$\Theta_t = 1 - \frac{G_t}{G_T}, \qquad \Psi_t = \frac{G_t}{G_T}, \qquad
# \Sigma_t^2 = \frac{G_t\,(G_T - G_t)}{G_T}.$$
#
# The library stores a Brownian bridge's clock as $G_t$ itself, with $\lambda = 1/2$, so that
# $2\lambda \times \text{clock} = G_t$ (`docs/theory.md` eq. 11.5). This is why BBDM and DDBM-VE show
# $\lambda = 0.5$. $\bar\theta$ (a rate integrated over time) and $G$ (a variance) are different quantities:
# the titles and tables never print them under one name.
#
# **Both ends.** Where the clock is 0, $\Theta = 1$ and $\Psi = \Sigma = 0$: $x = x_0$. At $T$, $\Theta = 0$,
# $\Psi = 1$ and $\Sigma = 0$: $x_T = \mu$.

# %% [markdown]
# The five bridges at their published settings:
#
# | bridge | process | target $m$ | noise factor $\nu(\pi)$ | $\lambda$ | schedule (section 3) |
# |---|---|---|---|---|---|
# | RDBM | OU bridge | $\mu$ | $\pi$ | $10^{-4}$ | `reference` |
# | GOUB | OU bridge | $\mu$ | 1 | $(30/255)^2$ (GOUB publishes the standard deviation $30/255$) | `goub-grid` |
# | BBDM | Brownian bridge | — | 1 | $1/2$ | `bbdm` |
# | DDBM-VE | Brownian bridge | — | 1 | $1/2$ | `ve` |
# | DDBM-VP | OU bridge | 0 | 1 | 1 (the paper's value) | `vp` |
#
# **The sample paths** are exact draws of the bridge, not a simulation of its equation with small steps. Each path
# starts at the pin $x_T = \mu$ and steps back in time, drawing $x_s$ given $x_t$ and $x_0$ from the bridge's
# posterior. So every time slice has exactly the distribution above.

# %% [markdown]
# ## 3. The schedules and their clocks
#
# Each schedule has one name, the same in the widget, the figure titles and the tables:
#
# * `reference` (RDBM's): $\theta_n$ is the cosine $\beta_n$ of improved DDPM, small at first and up to 0.999 at the
#   last step; $\bar\theta_n = \beta_0 + \dots + \beta_n$ for $n = 0, \dots, 99$. The clean end ($\bar\theta = 0$) is
#   the *virtual* index $-1$, so the grid runs $-1 \dots 99$.
# * `goub-grid` (GOUB's, from IR-SDE): $\theta = 1 - \bar\alpha$ of the cosine schedule, summed so that index 0 is
#   clean and rescaled so that $\bar\theta_T = -\ln 0.005$; grid $0 \dots 100$.
# * `constant`: $\theta = 0.05$ at each of 100 steps; grid $0 \dots 100$.
# * `linear`: $\theta$ rises linearly from 0.01 to 0.2 over 100 steps; grid $0 \dots 100$.
# * `bbdm` (BBDM's): $m_n$ is linear from 0.001 at $n = 0$ to 0.999 at $n = 999$, and $G_n = 2 m_n$ (BBDM's
#   variance $2(m_n - m_n^2)$ with its scale `max_var` = 1). The clean end ($m = 0$) is the virtual index $-1$ and the
#   pinned end ($m = 1$) the virtual index $1000$: the grid runs $-1 \dots 1000$.
# * `ve` (DDBM-VE's): continuous time $t \in [0, 80]$ ($80 = \sigma_{\max}$, its largest noise level), $G_t = t^2$.
# * `vp` (DDBM-VP's): continuous time $t \in [0, 1]$, $\theta_t = (\beta_{\min} + \beta_d t)/2 = 0.05 + t$
#   ($\beta_{\min} = 0.1$, $\beta_d = 2$), so $\bar\theta_t = 0.05\,t + t^2/2$.
#
# The first four can replace any bridge's own schedule in the explorer (for BBDM and DDBM-VE their table is then
# read as $G_t$). The last three belong to their bridges. The figures' horizontal axis is a grid index for the
# discrete schedules and continuous time for `ve` and `vp`. Where each clock ends:

# %% tags=["nbval-check-output"]
print(schedule_table())

# %% [markdown]
# The ends range from 0.55 to 6400, but only within one column can they be compared: $\bar\theta_T$ is a rate
# integrated over time, $G_T$ a variance. What shapes the panels is how fast each clock runs along its own grid.
# The figure plots, for each bridge on its own schedule, the share of the clock run against the share of the way
# along the grid (or the time interval); the table reads the same curves at a quarter, half and three quarters of
# the way.

# %%
display(clock_figure())
print(clock_table())

# %% [markdown]
# * **BBDM**'s clock is linear in the index ($G = 2m$, and $m$ is linear): 0.250, 0.500, 0.750.
# * **RDBM**'s `reference` clock starts slowest. Half way along the grid it has run 0.089 of $\bar\theta_T$, at
#   three quarters 0.241; the rest runs in the last quarter, where the cosine $\beta_n$ grow to 0.999.
# * **GOUB**'s `goub-grid` clock runs faster in the middle: 0.192 half way, 0.533 at three quarters.
# * **DDBM-VE** ($G_t = t^2$) and **DDBM-VP** ($\bar\theta_t = 0.05\,t + t^2/2$) are close to quadratic: 0.250 and
#   0.273 half way.
#
# A slow clock need not mean a slow mean. While $\bar\theta_{t:T}$ is large, $\Theta_t \approx e^{-\bar\theta_t}$:
# RDBM's 0.089 of $\bar\theta_T = 7.879$ is a clock of 0.70, and $e^{-0.70} = 0.50$, the $\Theta_t$ that section 1's
# strip shows at $t = 49$.

# %%
# Checks (sections 1-3): the numbers quoted above, recomputed from the library
import math

rdbm = explorer_path("rdbm", lam=0.1)
Theta, Psi, Sigma = rdbm.coefficients(time_grid(rdbm))
assert f"{float(Sigma.max()):.3g}" == "0.316" and int(time_grid(rdbm)[Sigma.argmax()]) == 91
assert f"{float(rdbm.coefficients(49)[0]):.2f}" == "0.50"
clock_49, clock_T = float(rdbm.schedule.clock(49)), float(rdbm.schedule.clock(99))  # thbar at t = 49 and at T
assert f"{clock_49 / clock_T:.3f}" == "0.089" and f"{clock_T:.3f}" == "7.879" and f"{clock_49:.2f}" == "0.70"
assert f"{math.exp(-0.70):.2f}" == "0.50"
rows = {line.split()[0]: line.split()[2:] for line in clock_table().splitlines()[1:]}
assert rows == {"rdbm": ["0.021", "0.089", "0.241"], "goub": ["0.030", "0.192", "0.533"],
                "bbdm": ["0.250", "0.500", "0.750"], "ddbm-ve": ["0.062", "0.250", "0.562"],
                "ddbm-vp": ["0.080", "0.273", "0.580"]}
ends = [float(line.split("= ")[-1]) for line in schedule_table().splitlines()[1:]]
assert min(ends) == 0.55 and max(ends) == 6400

# %% [markdown]
# ## 4. The live explorer
#
# The controls:
#
# * **bridge**: one of the five; choosing one resets `lam` to its published value;
# * **lam (λ)**: the noise variance, on a log scale (type a value into the box beside the slider);
# * **schedule**: `published` (the bridge's own) or one of `reference`, `goub-grid`, `constant`, `linear`;
# * **pi (π)**: the residual of the one-dimensional panels ($\mu = 0.5$ is fixed);
# * **image task**: the degradation of the strip's crop.
#
# Every setting is also one static call, `explorer_figure(bridge, lam=..., schedule=..., pi=..., task=...)`, which
# draws the same figure (sections 1 and 5 use it). The widget needs a running kernel with ipywidgets. Without
# ipywidgets, `explore()` says so in one line and draws fixed presets instead; in a static copy of this notebook,
# the cell below shows only the widget's text description.

# %%
explore()

# %% [markdown]
# ## 5. The five bridges at their published settings
#
# Each bridge on its own schedule, with its published $\lambda$, $\pi = 1$ and the inpainting crop. RDBM is now at
# its published $\lambda = 10^{-4}$.

# %%
for name in BRIDGE_CHOICES:
    display(explorer_figure(name))

# %% [markdown]
# The published noise levels side by side: $\lambda$, the noise factor, the end of the clock in its own column,
# and the largest standard deviation of a value with $\pi = 1$, with the $t$ where it is reached.

# %% tags=["nbval-check-output"]
print(published_table())

# %% [markdown]
# What to see:
#
# * **RDBM** at $\lambda = 10^{-4}$: the largest standard deviation is $0.009996\,|\pi|$. On images in $[-1, 1]$
#   one 8-bit grey level is $2/255 \approx 0.0078$, so this is 1.3 grey levels where $|\pi| = 1$: too little to
#   see in the strip, which looks like the interpolation $\mu + \Theta_t\pi$.
# * **GOUB**: global noise, up to 0.1171, on every value of the strip, inside the mask and outside.
# * **BBDM**: $\Theta_t$ is a straight line, because its clock is linear in the index. Its standard deviation
#   $\sqrt{G_t(G_T - G_t)/G_T} = \sqrt{2(m_t - m_t^2)}$ reaches 0.7071 — large on images in $[-1, 1]$.
# * **DDBM-VE**: the standard deviation reaches 40, half of $\sigma_{\max} = 80$; the middle of the strip is pure
#   noise, clipped for display.
# * **DDBM-VP**: $\Psi_t$ is not $1 - \Theta_t$; the mean is pulled towards 0 as well as towards $\mu$. Its largest
#   standard deviation is 0.5179.

# %%
# Checks (section 5): the numbers quoted above, recomputed from the library
largest = {}
for name in BRIDGE_CHOICES:
    path = explorer_path(name)
    Theta, Psi, Sigma = path.coefficients(time_grid(path))
    largest[name] = float(Sigma.max())
assert {name: f"{value:.4g}" for name, value in largest.items()} == {
    "rdbm": "0.009996", "goub": "0.1171", "bbdm": "0.7071", "ddbm-ve": "40", "ddbm-vp": "0.5179"}
assert f"{2 / 255:.4f}" == "0.0078" and f"{largest['rdbm'] / (2 / 255):.1f}" == "1.3"  # in 8-bit grey levels
vp = explorer_path("ddbm-vp")
Theta, Psi, Sigma = vp.coefficients(time_grid(vp))
assert ((Theta + Psi)[1:-1] < 1).all()  # DDBM-VP: Psi_t != 1 - Theta_t inside the interval

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Predict first, then look. Each exercise names a static call that checks it without the widget; the numbers
# behind any figure come from
#
# ```python
# path = explorer_path("goub", schedule="reference")  # a bridge, its published lam, a schedule
# Theta, Psi, Sigma = path.coefficients(time_grid(path))
# ```
#
# Worked solutions: `solutions/09_explorer_solutions.ipynb`.
#
# **09.1 (predict).** DDBM-VP's own clock is short: $\bar\theta_T = 0.55$, and its largest standard deviation is
# 0.5179 (section 5, $\lambda = 1$). Keep $\lambda = 1$ and replace the schedule by `linear`, whose clock ends at
# $\bar\theta_T = 10.5$. What is the largest standard deviation $\max_t \Sigma_t$ now? Predict it from section 2's
# formula for $\Sigma_t^2$, then check: in the explorer choose DDBM-VP and the schedule `linear`, or call
# `explorer_figure("ddbm-vp", schedule="linear")`, and read the middle panel's title. Answer with one number.

# %%
from rdbm_course.exercises import check

answer_09_1 = ...  # a number: the largest Sigma_t of DDBM-VP on the linear schedule
check("09.1", answer_09_1)

# %% [markdown]
# **09.2 (predict).** Choose RDBM and switch the schedule from `published` (for RDBM, `reference`) to `constant`:
# the same $\theta = 0.05$ at each of the 100 steps, grid indices $0 \dots 100$. At which grid index $t$ does
# $\Sigma_t$ peak now? Predict it from section 2's formula for $\Sigma_t^2$ before you switch. Then check: the
# explorer, or `explorer_figure("rdbm", schedule="constant")`; the middle panel's title gives the index. Answer
# with one integer.

# %%
answer_09_2 = ...  # an integer grid index between 0 and 100
check("09.2", answer_09_2)

# %% [markdown]
# **09.3 (predict).** An intact value has $\pi = 0$: $x_0 = \mu$, here $0.5$. Under DDBM-VP at its published
# settings, its mean is $\Theta_t x_0 + \Psi_t \mu = (\Theta_t + \Psi_t)\cdot 0.5$. What is the lowest value this
# mean takes over $t \in [0, 1]$? Use section 2's $\Theta_t$ and $\Psi_t$ for $m = 0$ and the `vp` clock
# $\bar\theta_t = 0.05\,t + t^2/2$. Answer with one number, to three significant digits. Then check with the static
# call above for `"ddbm-vp"`: the smallest value of `0.5 * (Theta + Psi)`.

# %%
answer_09_3 = ...  # a number: the lowest mean of the intact value
check("09.3", answer_09_3)
