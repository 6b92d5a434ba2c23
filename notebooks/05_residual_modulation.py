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
# # 05 — Residual modulation on images: noise only where $\pi \ne 0$
#
# **What you will learn.** What the forward path of a real (clean, degraded) image pair looks like under RDBM's
# residual-modulated noise, whose standard deviation is $\Sigma_t|\pi|$, and under the global noise $\Sigma_t$ of
# GOUB; why the *intact values* ($\pi = 0$, i.e. $x_0 = \mu$ exactly) never move under RDBM — exactly, at every
# $t$ — and how the shapes of $\Theta_t$ and $\Sigma_t$ on the reference and GOUB grids differ.
#
# **Why it matters.** Under RDBM the forward path never corrupts an intact value, so there is nothing there for the
# reverse process to undo; global noise corrupts every pixel, intact or not. But at sampling time $\pi = x_0 - \mu$
# is unknown, so the reverse process cannot know $|\pi|$: it uses its prediction $\hat\pi = \hat x_0 - \mu$. A
# stochastic sampler injects noise proportional to $|\hat\pi|$, and the deterministic one ($\eta = 0$) does not depend
# on the noise factor at all where $\hat\pi \ne 0$ (at $\hat\pi = 0$ its noise estimate is $0/0$, set by a convention;
# notebook 02c). Notebook 02c derives the sampler; notebook 12 measures
# whether modulation helps a trained network.
#
# **Prerequisites.** Notebook 04 (the four processes in one dimension) and `docs/theory.md`
# §4 (the marginal), §8 (the implicit sampler), §10 and §11 (the reference schedule and GOUB's grid).
#
# Wall time: about 17 s on a 2-core CPU; `FAST=1` has no effect on this notebook (`benchmarks/notebook_times.py`).

# %%
import math

import matplotlib.pyplot as plt
import torch
from matplotlib.colors import LogNorm
from matplotlib_inline.backend_inline import set_matplotlib_formats

from rdbm_core.bridge import bridges
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.data.images import tensor_to_image
from rdbm_core.data.degradations import degraded_mask

N_DRAWS = 3  # noise draws per time for the check of section 5 (the notebook is cheap: FAST=1 changes nothing)
torch.set_num_threads(1)  # one thread is faster for these small tensors on a busy 2-core CPU
set_matplotlib_formats("jpeg", pil_kwargs={"quality": 85})  # photographs and noise: JPEG keeps the notebook small

# %% [markdown]
# ## 1. Two degraded/clean pairs and the forward marginal
#
# A deraining pair and an inpainting pair from the embedded test photographs (128 × 128 crops, values in
# $[-1, 1]$, so one 8-bit level is $2/255$ and half a level $1/255$). The residual is $\pi = x_0 - \mu$. Every
# bridge of this notebook has, value by value, the forward marginal (`docs/theory.md` eqs. 4.2–4.3)
#
# $$q(x_t \mid x_0, \mu) = \mathcal N\big(\mu + \Theta_t\,\pi,\ \Sigma_t^2\,\nu(\pi)^2\big), \qquad
# \Theta_t = \frac{\sinh \bar\theta_{t:T}}{\sinh \bar\theta_T}, \qquad
# \Sigma_t^2 = 2\lambda\,\frac{\sinh \bar\theta_t\,\sinh \bar\theta_{t:T}}{\sinh \bar\theta_T},$$
#
# with these symbols (and their names in the code):
#
# | symbol | meaning | code |
# |---|---|---|
# | $\bar\theta_t$ | the clock, a running sum $\sum_{s \le t}\theta_s$ | `path.schedule.clock(t)` |
# | $\theta_t$ | one step's clock increment, $\bar\theta_t - \bar\theta_{t-1}$ | |
# | $\bar\theta_T$ | the clock's final value | `path.schedule.u_T` |
# | $\bar\theta_{t:T}$ | the clock still to go, $\bar\theta_T - \bar\theta_t$ | `path.schedule.clock_to_end(t)` |
# | $\lambda$ | a variance (below) | `path.lam` |
# | $\nu(\pi)$ | the noise factor: $\pi$ for RDBM, $1$ for global noise | `path.noise` (`"modulated"`, `"global"`) |
#
# $\lambda$ is the stationary variance of the un-bridged OU process: its variance tends to $\lambda\,\nu(\pi)^2$ as
# its clock grows. A value's standard deviation is $\Sigma_t|\pi|$ (RDBM) or $\Sigma_t$ (global noise). The library
# draws $x_t = \mu + \Theta_t\pi + \Sigma_t\,\nu(\pi)\,\epsilon$ with $\nu(\pi) = \pi$, not $|\pi|$ (`path.sample`):
# since $\epsilon$ and $-\epsilon$ have the same law, the distribution is the same.
#
# Two sets must be kept apart. The dataset's mask (`degradations.degraded_mask`) marks the *degraded pixels*, where
# some channel changed by more than half an 8-bit level. The *intact values* (pixel × channel) are those with
# $\pi = 0$ exactly. For inpainting the pixels outside the mask are exactly the intact ones. For deraining, most
# unmasked pixels are *not* intact: they carry a residual $0 < |\pi| \le 1/255$, a faint haze below half a level
# (both asserted below; how much of the image is intact is exercise 05.1). So "noise only where $\pi \ne 0$" means,
# for deraining, noise on most of the image, but at a negligible level outside the streaks. In the residual panels of
# the figure, grey marks $\pi = 0$ and blue $0 < |\pi| \le 1/255$ (largest over the channels).

# %%
PAIRS = {
    "derain": SyntheticPairs("derain", "test", crop=128)[0],
    "inpaint": SyntheticPairs("inpaint", "test", crop=128)[0],
}
for name, item in PAIRS.items():
    outside = float(((item["x0"] - item["mu"]).abs() * ~item["mask"]).max())
    print(f"{name:8s}: mask (degraded pixels) covers {item['mask'].float().mean():6.1%} of the pixels; "
          f"max |pi| on unmasked pixels: {outside:.6f} (half a level, 1/255: {1 / 255:.6f})")
    assert torch.equal(item["mask"], degraded_mask(item["x0"], item["mu"])) and outside <= 1 / 255
    assert (outside > 0) == (name == "derain")  # deraining: non-zero residuals outside the mask
rain = PAIRS["derain"]
hazy = ((rain["x0"] != rain["mu"]).any(0) & ~rain["mask"][0]).sum() / (~rain["mask"][0]).sum()
assert hazy > 0.5  # deraining: most unmasked pixels have pi != 0 in some channel (share not printed: exercise 05.1)
inp = PAIRS["inpaint"]
assert torch.equal(inp["x0"] == inp["mu"], (~inp["mask"]).expand_as(inp["x0"]))  # inpainting: unmasked = intact


def show_img(ax, x, title=None):
    """Display a [3, H, W] tensor in [-1, 1] (values outside are clipped for display)."""
    ax.imshow(tensor_to_image(x))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def plot_pairs():
    fig, axes = plt.subplots(2, 4, figsize=(12, 6.4), layout="constrained")
    for row, (name, item) in zip(axes, PAIRS.items()):
        x0, mu, mask = item["x0"], item["mu"], item["mask"]
        show_img(row[0], x0, f"{name}: clean $x_0$")
        show_img(row[1], mu, rf"{name}: degraded $\mu$")
        residual = (x0 - mu).abs().amax(0)  # 0 (masked by LogNorm): grey; 0 < |pi| <= 1/255: blue, off the colour map
        cmap = plt.get_cmap("inferno").with_extremes(under="deepskyblue", bad="lightgrey")
        im = row[2].imshow(residual, cmap=cmap, norm=LogNorm(vmin=math.nextafter(1 / 255, 1), vmax=1))
        row[2].set_title(r"residual $|\pi|$, largest over the channels" + "\n" +
                         r"(log scale; grey: $\pi = 0$; blue: $0 < |\pi| \leq 1/255$)", fontsize=9)
        fig.colorbar(im, ax=row[2], fraction=0.046)
        row[3].imshow(mask[0], cmap="gray")
        row[3].set_title("mask (white = degraded)", fontsize=9)
        for ax in row[2:]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle("The two pairs and their residuals", fontsize=11)
    plt.show()


plot_pairs()

# %% [markdown]
# ## 2. The bridges compared
#
# | row | bridge | schedule | $\lambda$ (`lam`) | noise factor $\nu(\pi)$ |
# |---|---|---|---|---|
# | RDBM (reference) | `bridges.rdbm()` | reference cosine, $N = 100$ | $10^{-4}$ | $\pi$ |
# | RDBM, large $\lambda$ | `bridges.make("rdbm", lam=LAM_VIS)` | same | `LAM_VIS` $= 1$ | $\pi$ |
# | global noise | `... .with_noise("global")` | same | $1$ | $1$ |
# | GOUB (published) | `bridges.goub()` | IR-SDE grid, $t_T = 100$ | $\sigma_{\rm GOUB}^2 = (30/255)^2 = 0.0138$ | $1$ |
#
# The reference $\lambda = 10^{-4}$ gives $\Sigma_t < \sqrt\lambda = 0.01$ (asserted in section 4), so a standard
# deviation below $0.01|\pi|$: where $|\pi| = 1$ at most $0.01$, that is $1.3$ 8-bit levels of $2/255 = 0.0078$, and
# twice that at the largest possible $|\pi| = 2$; invisible in these figures (printed below). To *see* the modulation we also use `LAM_VIS` $= 1$ ($10^4$ times larger), at which the standard deviation reaches nearly $|\pi|$
# where $\Sigma_t$ peaks: noise as large as the degradation. The third row is the very same bridge with the noise
# factor switched to 1, GOUB-style global noise (`docs/theory.md` §11). The last row is GOUB itself, on its own grid.
# GOUB's paper writes its noise level as a standard deviation, here $\sigma_{\rm GOUB} = 30/255$ (the paper calls it
# $\lambda$; `docs/theory.md` eq. 11.1 writes $\lambda_{\rm GOUB}$); in this course's notation that is $\sqrt\lambda$,
# so $\lambda = \sigma_{\rm GOUB}^2$, a variance.

# %%
LAM_VIS = 1.0
RDBM_REF = bridges.rdbm()
RDBM_VIS = bridges.make("rdbm", lam=LAM_VIS)
GLOBAL_VIS = RDBM_VIS.with_noise("global")
GOUB = bridges.goub()
ROWS = {
    "RDBM\n$\\lambda = 10^{-4}$ (reference)": RDBM_REF,
    f"RDBM\n$\\lambda = {LAM_VIS:g}$": RDBM_VIS,
    f"global noise\n$\\lambda = {LAM_VIS:g}$": GLOBAL_VIS,
    "GOUB (published)\n$\\lambda = (30/255)^2$": GOUB,
}
assert abs(GOUB.lam - (30 / 255) ** 2) < 1e-12
levels = RDBM_REF.lam ** 0.5 / (2 / 255)  # the bound 0.01 |pi| at |pi| = 1, in 8-bit levels
print(f"reference sqrt(lam) = {RDBM_REF.lam ** 0.5:.2f} = {levels:.1f} levels; "
      f"t_clean: reference {RDBM_REF.schedule.t_clean}, GOUB {GOUB.schedule.t_clean}")
assert f"{levels:.1f}" == "1.3" and (RDBM_REF.schedule.t_clean, GOUB.schedule.t_clean) == (-1, 0)


# %% tags=["nbval-check-output"]
for path in ROWS.values():
    print(path.describe())

# %% [markdown]
# The reference schedule and GOUB's grid run at different speeds, so the columns are matched by the mean: at each
# column every row has (the grid time closest to) the same $\Theta_t$, i.e. the same mean image $\mu + \Theta_t\pi$.
# The rows differ only in their noise, and all of them use one and the same draw $\epsilon$: rows 2 and 3, for
# instance, differ only by the noise factor, $\pi$ against $1$. $t$ is the grid index of each image. Each grid runs
# from its clean index $t_{\rm clean}$ (where $\Theta = 1$, $\Sigma = 0$; `schedule.t_clean`) to $t_T$: the reference
# grid from the virtual index $t_{\rm clean} = -1$ (notebook 01, section 4) to $t_T = 99$, GOUB's grid from
# $t_{\rm clean} = 0$ to $t_T = 100$.

# %%
THETA_COLUMNS = (1.0, 0.9, 0.7, 0.5, 0.3, 0.1, 0.0)


def time_for_theta(path, target):
    """The grid time whose Theta_t is closest to ``target``."""
    ts = path.schedule.times()
    theta = path.coefficients(ts)[0]
    return int(ts[(theta - target).abs().argmin()])


def strip(item, seed=0):
    """The forward path x_t ~ q(x_t | x0, mu) at the columns, with one noise draw eps for every row and column."""
    x0, mu = item["x0"][None], item["mu"][None]
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    out = {}
    for label, path in ROWS.items():
        out[label] = [(t, path.sample(x0, mu, t, noise=eps)[0]) for t in
                      (time_for_theta(path, th) for th in THETA_COLUMNS)]
    return out


def plot_strip(name, item):
    rows = strip(item)
    fig, axes = plt.subplots(len(rows), len(THETA_COLUMNS), figsize=(14, 8.6), layout="constrained")
    for i, (label, cells) in enumerate(rows.items()):
        for j, (t, x) in enumerate(cells):
            show_img(axes[i, j], x, f"t = {t}")
            if j == 0:
                axes[i, j].set_ylabel(label, fontsize=9)
        for j, th in enumerate(THETA_COLUMNS):
            if i == 0:
                axes[i, j].set_title(rf"$\Theta_t \approx {th}$" + "\n" + axes[i, j].get_title(), fontsize=9)
    fig.suptitle(f"{name}: forward path from $x_0$ (left, clean) to $\\mu$ (right, degraded); one noise draw "
                 "$\\epsilon$ for all rows (display clipped to [-1, 1])", fontsize=11)
    plt.show()
    return rows


STRIPS = {name: plot_strip(name, item) for name, item in PAIRS.items()}


def last_columns(path):
    """(t, Sigma_t / sqrt(lam)) at the columns Theta_t ~ 0.1 and Theta_t = 0."""
    return [(t, float(path.coefficients(torch.tensor(t))[2]) / path.lam ** 0.5)
            for t in (time_for_theta(path, 0.1), time_for_theta(path, 0.0))]


for label, path in (("global noise, reference grid", GLOBAL_VIS), ("GOUB", GOUB)):
    (t1, s1), (t2, s2) = last_columns(path)
    print(f"{label:29s}: Sigma_t / sqrt(lam) = {s1:.3f} at t = {t1}, {s2:.0f} at t = {t2}")
    assert 0.99 < s1 < 1 and s2 == 0 and t2 == path.schedule.t_T
    assert path is GOUB or (t1 == 79 and round(s1, 3) == 0.995)  # the numbers of the text below
last_theta, last_goub = float(GLOBAL_VIS.schedule.theta[-1]), float(GOUB.schedule.theta[-1])
print(f"last clock step theta: reference grid {last_theta:.3f} ({last_theta / GLOBAL_VIS.schedule.u_T:.1%} of "
      f"thbar_T), GOUB's grid {last_goub:.3f}")
assert abs(last_theta - 0.999) < 1e-9 and abs(last_goub - 0.104) < 5e-4
for name, rows in STRIPS.items():  # the last column is mu itself in every row
    assert all(torch.equal(cells[-1][1], PAIRS[name]["mu"]) for cells in rows.values())

# %% [markdown]
# At the reference $\lambda = 10^{-4}$ the RDBM path is, to the eye, the interpolation $\mu + \Theta_t\pi$. With
# $\lambda = 1$ the RDBM noise appears only on the streaks and inside the hole; the same $\lambda$ with global noise
# covers the whole picture, and GOUB's published level is a visible grain over every pixel, degraded or not. Every
# row ends at $\mu$ exactly ($\Theta_{t_T} = \Sigma_{t_T} = 0$).

# %% [markdown]
# **What the strip shows at its right end.** The global-noise row jumps: at $\Theta_t \approx 0.1$ ($t = 79$) the
# picture is drowned in noise, $\Sigma_{79} = 0.995\sqrt\lambda$ ($= 0.995$ at $\lambda = 1$), and in the next column
# ($t = 99$) it is the noise-free $\mu$. The RDBM row at $\lambda = 1$ has the same jump, visible only where
# $\pi \ne 0$. The strip skips the times in between, but the jump is real: $\Sigma_{98}$ is still $0.93\sqrt\lambda$
# (section 4), and the last step alone, $98 \to 99$, moves the clock by $\theta_{99} = 0.999$, 12.7 % of
# $\bar\theta_T$. GOUB's last step moves its clock by only $0.104$: its noise fades over its last indices instead.

# %% [markdown]
# **Consequence for the sampler.** A sampler starts at $\mu$, index 99; with all 100 steps its first step goes to
# index 98. The reason the stochastic sampler ($\eta > 0$) is special here: its start $x_{99} = \mu$ carries no noise
# ($\Sigma_{99} = 0$), so there is no noise estimate $\hat\epsilon$ to reuse, and the law of $x_{98}$ given $x_{99}$ is
# just the marginal $\mathcal N(\mu + \Theta_{98}\hat\pi,\ \Sigma_{98}^2\nu(\hat\pi)^2)$.
# So for every $\eta > 0$ this step has the variance $\Sigma_{98}^2\nu(\hat\pi)^2$, not $\eta^2$ times it (notebook 02c).
# Under RDBM it injects noise of standard deviation $0.93\sqrt\lambda\,|\hat\pi|$ at once. The deterministic
# sampler ($\eta = 0$) injects none.

# %% [markdown]
# ## 3. Noise maps
#
# Where does the noise go? Three maps at $\Theta_t \approx 0.5$ for each pair (values averaged over the three
# colour channels), all at $\lambda = 1$: RDBM's per-value standard deviation $\Sigma_t|\pi|$ (`path.std`, a closed
# form), and the realised noise $|x_t - E[x_t \mid x_0, \mu]|$ of one draw, under RDBM and under global noise. The
# two RDBM panels share one colour scale, which ends at the 99th percentile of the realised noise inside the mask
# (brighter values show in the top colour); the global-noise panel has its own, clipped the same way. The realised map is darker than the
# std map on average: a realised $|\Sigma_t\pi\epsilon|$ is $\Sigma_t|\pi|\,|\epsilon|$, and the mean of $|\epsilon|$
# for a standard normal is $0.798$ (the cell prints the ratio over all values). The cyan outline is the
# degradation mask.

# %%
def noise_maps(item, t, seed=11):
    """Channel means of RDBM's std map and of the realised |noise| of one draw, under RDBM and global noise."""
    x0, mu = item["x0"][None], item["mu"][None]
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    noise_rdbm = RDBM_VIS.sample(x0, mu, t, noise=eps) - RDBM_VIS.mean(x0, mu, t)
    noise_glob = GLOBAL_VIS.sample(x0, mu, t, noise=eps) - GLOBAL_VIS.mean(x0, mu, t)
    sd = RDBM_VIS.std(x0, mu, t)
    ratio = float(noise_rdbm.abs().sum() / sd.sum())  # realised |noise| per unit of std, over all values
    return sd[0].mean(0), noise_rdbm[0].abs().mean(0), noise_glob[0].abs().mean(0), ratio


def plot_noise_maps():
    t = time_for_theta(RDBM_VIS, 0.5)
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.6), layout="constrained")
    for row, (name, item) in zip(axes, PAIRS.items()):
        mask = item["mask"][0]
        sd, noise_rdbm, noise_glob, ratio = noise_maps(item, t)
        show_img(row[0], item["x0"], f"{name}: clean $x_0$, mask outlined")
        vmax_rdbm = float(noise_rdbm[mask].quantile(0.99))
        for ax, img, title in ((row[1], sd, rf"RDBM: $\Sigma_t|\pi|$ (t = {t})"),
                               (row[2], noise_rdbm, r"RDBM: $|x_t - E[x_t]|$")):
            im_rdbm = ax.imshow(img, cmap="magma", vmin=0, vmax=vmax_rdbm)
            ax.set_title(title, fontsize=9)
        im_glob = row[3].imshow(noise_glob, cmap="magma", vmin=0, vmax=float(noise_glob.quantile(0.99)))
        row[3].set_title(r"global noise: $|x_t - E[x_t]|$", fontsize=9)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.contour(mask.float(), levels=[0.5], colors="cyan", linewidths=1.2)
        fig.colorbar(im_rdbm, ax=row[1:3], shrink=0.9,
                     label="RDBM (channel mean; clipped at the\n99th percentile of the realised noise)")
        fig.colorbar(im_glob, ax=row[3], shrink=0.9, label="global (channel mean;\nclipped at its 99th percentile)")
        inside, outside = sd[mask].mean(), sd[~mask].mean()
        print(f"{name:8s}: mean RDBM std inside the mask {inside:.4f}, outside {outside:.4f}; global noise std "
              f"everywhere {float(GLOBAL_VIS.coefficients(torch.tensor(t))[2]):.4f}; realised |noise| / std "
              f"(RDBM) {ratio:.3f}")
        assert inside > 10 * outside and abs(ratio - math.sqrt(2 / math.pi)) < 0.02  # E|eps| = 0.798
    fig.suptitle(rf"Where the noise goes ($\lambda = {LAM_VIS:g}$, $\Theta_t \approx 0.5$)", fontsize=11)
    plt.show()


plot_noise_maps()

# %% [markdown]
# A single number: the share of the *noise energy* that falls inside the mask, the energy being the sum of the
# variances of all values, $\sum \Sigma_t^2\nu(\pi)^2$. Under global noise every value has the variance $\Sigma_t^2$,
# so the share is the share of the values that the mask covers. Under RDBM the energy is $\Sigma_t^2\sum\pi^2$: in
# the share $\sum_{\rm mask}\pi^2 / \sum\pi^2$ the factor $\Sigma_t^2$, and $\lambda$ in it, cancel. The cell checks
# this at two times and both values of $\lambda$, and prints, for both kinds of noise, the part *outside* the mask,
# $1 - \text{share}$.

# %%
def energy_share(path, item, t):
    """Share of sum(Sigma_t^2 nu(pi)^2) inside the mask, from the closed-form std."""
    x0, mu = item["x0"][None], item["mu"][None]
    var = path.std(x0, mu, t).double() ** 2
    return float(var[item["mask"][None].expand_as(x0)].sum() / var.sum())


for name, item in PAIRS.items():
    t_half, area = time_for_theta(RDBM_VIS, 0.5), float(item["mask"].double().mean())
    shares = [energy_share(p, item, t) for p in (RDBM_REF, RDBM_VIS) for t in (20, t_half)]
    x0, mu, mask = item["x0"][None], item["mu"][None], item["mask"][None].expand_as(item["x0"][None])
    noise = RDBM_VIS.sample(x0, mu, t_half, generator=torch.Generator().manual_seed(5)) - RDBM_VIS.mean(x0, mu, t_half)
    drawn = float(noise[mask].double().pow(2).sum() / noise.double().pow(2).sum())  # the same share on one draw
    glob = energy_share(GLOBAL_VIS, item, t_half)
    print(f"{name:8s}: energy outside the mask, RDBM: {1 - shares[0]:.2e} (closed form; the same at t = 20 and "
          f"{t_half}, lam = 1e-4 and 1), {1 - drawn:.2e} (one drawn x_t); global: {1 - glob:.1%} "
          f"(area outside the mask {1 - area:.1%})")
    assert max(shares) - min(shares) < 1e-9 and 1 - shares[0] < 1e-4 and 1 - drawn < 1e-4
    assert abs(glob - area) < 1e-9

# %% [markdown]
# ## 4. $\Theta_t$ and $\Sigma_t$ on the two grids
#
# The reference schedule's $\theta$ are the cosine betas,
#
# $$\theta_i = \min\!\Big(1 - \frac{\bar\alpha_{i+1}}{\bar\alpha_i},\ 0.999\Big), \qquad
# \bar\alpha_i = \cos^2\!\Big(\frac{i/N + 0.008}{1.008}\cdot 90^\circ\Big), \qquad i = 0, \dots, N-1:$$
#
# small at first, and clipped to
# $\theta_{99} = 0.999$ at the last index, where the unclipped beta would be 1 ($\bar\alpha_N = 0$); their sum, the
# clock's final value, is $\bar\theta_T = 7.88$. GOUB's grid has $\bar\theta_T = -\ln 0.005 = 5.30$.
#
# The figure has three panels:
#
# - Left: $\Theta_t$.
# - Middle: $\Sigma_t/\sqrt\lambda$, the shape of the noise level, which does not depend on $\lambda$. Multiply it
#   by $\sqrt\lambda$: $0.01$ for the reference RDBM, $1$ for `LAM_VIS`, $\sigma_{\rm GOUB} = 30/255 = 0.118$ for GOUB.
# - Right: the same against the number of steps still to go, $t_T - t$, on a reversed log axis, which spreads out the
#   last indices. The end point $t = t_T$, where $\Sigma_t = 0$, is off that axis.

# %% [markdown]
# The three printed lines below the figure say:
#
# - $\Sigma_t/\sqrt\lambda < 1$ on both grids, so $\Sigma_t < \sqrt\lambda$ (where it peaks, and how high, is
#   exercise 05.3).
# - Reference grid: $\Sigma_t/\sqrt\lambda$ first reaches $0.95$ at $0.63$ of the grid (GOUB's: at $0.53$), stays
#   $\ge 0.95$ up to index 97, is $0.93$ at index 98 and $0$ at index 99, after the clock step of $0.999$.
# - GOUB's grid: $\Sigma_t/\sqrt\lambda$ comes down over its last indices ($0.43$ at index 99 of 100); on the first
#   quarter of the grid it is below the reference curve.

# %%
def plot_grids():
    """Theta_t and Sigma_t / sqrt(lam) on the two grids, and the shape claims of the text, printed and asserted."""
    def curves(path):  # grid times, normalised times (t - t_clean) / (t_T - t_clean), Theta_t, Sigma_t / sqrt(lam)
        sch = path.schedule
        ts = sch.times()
        theta, _, sigma = path.coefficients(ts)
        return ts, (ts - sch.t_clean) / (sch.t_T - sch.t_clean), theta, sigma / path.lam ** 0.5

    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.2), layout="constrained")
    for path, label, colour in ((RDBM_REF, "RDBM reference schedule", "tab:red"), (GOUB, "GOUB grid", "tab:blue")):
        ts, frac, theta, shape = curves(path)
        ax1.plot(frac, theta, color=colour, marker=".", ms=3,
                 label=rf"{label} ($\bar\theta_T$ = {path.schedule.u_T:.2f})")
        ax2.plot(frac, shape, color=colour, marker=".", ms=3, label=label)
        ax3.plot(path.schedule.t_T - ts[:-1], shape[:-1], color=colour, marker=".", ms=4, label=label)
    for ax in (ax1, ax2):
        ax.set_xlabel(r"normalised grid time $(t - t_{\rm clean}) / (t_T - t_{\rm clean})$")
    ax3.set_xscale("log")
    ax3.invert_xaxis()  # time runs to the right, as in the other panels
    ax3.set_xlabel(r"steps still to go, $t_T - t$ (log scale, reversed)")
    ax3.axhline(0.95, color="grey", lw=0.8, ls="--")
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    ax1.set_ylabel(r"$\Theta_t$")
    ax1.set_title(r"$\Theta_t$: weight of $x_0$ in the mean", fontsize=10)
    ax2.set_ylabel(r"$\Sigma_t / \sqrt{\lambda}$")
    ax2.set_title(r"$\Sigma_t / \sqrt{\lambda}$ (independent of $\lambda$)", fontsize=10)
    ax3.set_ylabel(r"$\Sigma_t / \sqrt{\lambda}$")
    ax3.set_title(r"$\Sigma_t / \sqrt{\lambda}$ near the degraded end (dashed: 0.95)", fontsize=10)
    plt.show()

    ts, frac, theta, ref = curves(RDBM_REF)
    _, frac_g, _, goub = curves(GOUB)
    assert theta[0] == 1 and theta[-1] == 0 and ref[0] == 0 and ref[-1] == 0  # the two ends of the bridge
    first_ref, first_goub = float(frac[ref >= 0.95][0]), float(frac_g[goub >= 0.95][0])
    early = frac[(frac > 0) & (frac <= 0.25)]
    goub_early = torch.tensor([float(goub[(frac_g - f).abs().argmin()]) for f in early.tolist()])
    high = ref[(ts >= ts[ref >= 0.95][0]) & (ts <= 97)]
    print(f"Sigma_t / sqrt(lam) below 1 on both grids: {bool(ref.max() < 1 and goub.max() < 1)}")
    print(f"reference grid: Sigma_t / sqrt(lam) first >= 0.95 at {first_ref:.2f} of the grid (GOUB: {first_goub:.2f}); "
          f">= 0.95 from there to index 97: {bool((high >= 0.95).all())}; index 98: {float(ref[-2]):.2f}, "
          f"index 99: {float(ref[-1]):.0f}")
    print(f"GOUB grid: Sigma_t / sqrt(lam) at index 99: {float(goub[-2]):.2f}; reference above GOUB on the first "
          f"quarter of the grid: {bool((ref[(frac > 0) & (frac <= 0.25)] > goub_early).all())}")
    assert float(ref.max()) < 1 and float(goub.max()) < 1  # Sigma_t < sqrt(lam): below 0.01 |pi| at the reference lam
    assert first_ref > first_goub and (high >= 0.95).all() and 0.9 < float(ref[-2]) < 0.95
    assert (ref[(frac > 0) & (frac <= 0.25)] > goub_early).all() and 0.4 < float(goub[-2]) < 0.45


plot_grids()

# %% [markdown]
# ## 5. Values with $\pi = 0$ never move under RDBM
#
# Where $\pi = 0$ the RDBM sample is $x_t = \mu + \Theta_t\cdot 0 + \Sigma_t\cdot 0\cdot\epsilon$. The library computes
# the mean as $\mu + \Theta_t(x_0 - \mu)$ (`docs/theory.md` eq. 4.7): where $x_0 = \mu$ this is $\mu + \Theta_t\cdot 0
# = \mu$ exactly, whereas $\Theta_t x_0 + (1 - \Theta_t)\mu$ can differ from $\mu$ there by a rounding error. So the
# intact values equal $\mu$ **bit for bit** at every time and for any noise draw. The cell checks all
# 101 times of the reference grid (the virtual clean index $-1$ and the indices $0, \dots, 99$), both values of $\lambda$,
# both pairs and `N_DRAWS` $= 3$ noise draws per time — and, for contrast, that under global noise the same values
# move at every interior time.

# %%
def intact_check(path, item, draws, seed=0):
    """Per grid time: do all intact values equal mu exactly? and the share of intact values that moved."""
    ts = path.schedule.times()
    x0 = item["x0"][None].expand(len(ts), -1, -1, -1)
    mu = item["mu"][None].expand(len(ts), -1, -1, -1)
    intact = (x0 == mu)
    gen = torch.Generator().manual_seed(seed)
    still, moved = torch.ones(len(ts), dtype=torch.bool), torch.zeros(len(ts))
    for _ in range(draws):
        x_t = path.sample(x0, mu, ts, generator=gen)
        still &= ((x_t == mu) | ~intact).flatten(1).all(1)
        moved += ((x_t != mu) & intact).flatten(1).sum(1) / intact.flatten(1).sum(1) / draws
    return ts, still, moved


for name, item in PAIRS.items():
    for label, path in (("RDBM, lam = 1e-4", RDBM_REF), (f"RDBM, lam = {LAM_VIS}", RDBM_VIS),
                        (f"global, lam = {LAM_VIS}", GLOBAL_VIS)):
        ts, still, moved = intact_check(path, item, N_DRAWS)
        inner = slice(1, -1)
        print(f"{name:8s} {label:18s}: intact values equal to mu at all {len(ts)} times "
              f"{int(ts[0])}..{int(ts[-1])}: {bool(still.all())};  share of them that moved, interior times: min {moved[inner].min():.4f}, max {moved[inner].max():.4f}")
        if label.startswith("RDBM"):
            assert still.all()
        else:
            assert not still[inner].any() and moved[inner].min() > 0.99

# %% [markdown]
# The two ends of the bridge. At $t_T$ every bridge gives $\mu$ exactly for every value ($\Theta = \Sigma = 0$):
# section 2's cell already asserted that the last column of the strip equals $\mu$ bit for bit in all four rows. At the
# clean end $t = -1$ ($\Theta = 1$, $\Sigma = 0$) the sample is $\mu + 1\cdot(x_0 - \mu)$: exactly $\mu = x_0$ on the
# intact values, and $x_0$ up to float32 rounding where $\pi \ne 0$ (see the aside below).

# %% [markdown]
# ### Aside (optional): float32 rounding and the sign of $\pi$
#
# Two details that do not change the lessons of this notebook.
#
# - **The clean end (float32).** Where $\pi \ne 0$, the computed difference $x_0 - \mu$ is rounded, by at most half a
#   unit in the last place of $|\pi|$ ($2^{-24}$ for $|\pi| < 2$), and the sum $\mu + (x_0 - \mu)$ rounds once more.
#   So the sample at $t = -1$ can miss $x_0$ slightly; the cell prints the largest gap on the two pairs and asserts
#   it is at most $2^{-24} = 6.0\times10^{-8}$. This never matters in use: training draws its times from
#   $0, \dots, 99$ (`schedule.sample_train_times`; notebook 06, section 1), and every sampler returns $\hat x_0$
#   itself at the clean point, its last step being $x_{-1} = \hat x_0$ (notebook 02c, section 0). It is why
#   section 5's bit-for-bit claim is about the intact values, where $x_0 - \mu$ is exactly 0.

# %%
for name, item in PAIRS.items():
    x0, mu = item["x0"][None], item["mu"][None]
    clean_gap = float((RDBM_VIS.sample(x0, mu, -1) - x0).abs().max())
    print(f"{name:8s}: max |x_clean - x0| = {clean_gap:.1e} (2^-24 = {2.0 ** -24:.1e})")
    assert clean_gap <= 2.0 ** -24

# %% [markdown]
# - **The sign of $\pi$ on the deraining pair.** The streaks only brighten the image (screen blending), so $\pi \le 0$
#   (the largest $\pi$ is a rounding residue, printed and asserted). With $\nu(\pi) = \pi$, the RDBM rows' noise
#   on the streaks is $\Sigma_t\pi\epsilon = -\Sigma_t|\pi|\epsilon$, while the global row's is $\Sigma_t\epsilon$: in the
#   figures of sections 2 and 3, which use one draw $\epsilon$ for all rows, a value that the noise brightens in the
#   global row is darkened in the RDBM rows. The cell checks this sign flip at $\Theta_t \approx 0.5$ on every
#   value with $\pi < -1/255$.

# %%
rain_pi_max = float((PAIRS["derain"]["x0"] - PAIRS["derain"]["mu"]).max())
print(f"derain  : largest pi = {rain_pi_max:.1e} (the streaks only brighten: pi <= 0 up to rounding)")
assert 0 <= rain_pi_max <= 2.0 ** -24


def sign_flip(item, t, seed=0):
    """Share of the values with pi < -1/255 whose RDBM noise has the sign opposite to the global noise (one draw)."""
    x0, mu = item["x0"][None], item["mu"][None]
    eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
    rdbm, glob = (p.sample(x0, mu, t, noise=eps) - p.mean(x0, mu, t) for p in (RDBM_VIS, GLOBAL_VIS))
    streak = x0 - mu < -1 / 255
    return float((rdbm[streak].sign() == -glob[streak].sign()).double().mean())


flipped = sign_flip(PAIRS["derain"], time_for_theta(RDBM_VIS, 0.5))
print(f"derain  : values with pi < -1/255 whose RDBM noise has the sign opposite to the global noise: {flipped:.0%}")
assert flipped == 1

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/05_residual_modulation_solutions.ipynb`.
#
# **05.1 (predict).** Take the deraining pair of section 1 at the time $t = 49$ of the reference grid. (a) What
# fraction of its values (pixels × channels) receives noise under RDBM at all, i.e. has a standard deviation
# $> 0$? (b) At the reference $\lambda = 10^{-4}$ (`RDBM_REF`), how many of its values have a standard deviation of
# at least one 8-bit level, $2/255$? Answer `(fraction, count)`: the fraction to within 0.01, the count to within 1.
# Write your prediction and its reason first — for (a), against the mask's share printed in section 1; for (b),
# the smallest $|\pi|$ a value needs at $t = 49$, as a number — then compute both from `PAIRS["derain"]`. Compute (b)
# from $\pi$ and that threshold alone, with $\Sigma_{49}$ from the formula of section 1, not with `path.std`.

# %%
from rdbm_course.exercises import check

answer_05_1 = ...  # (fraction of the values with noise, number of values with std >= 2/255 at lam = 1e-4)
check("05.1", answer_05_1)

# %% [markdown]
# **05.2 (implement).** Write `std_map(path, x0, mu, t)`: the per-value standard deviation of $x_t$ given
# $(x_0, \mu)$, for a batch `x0`, `mu` [B, 3, H, W] (float32) and integer grid times `t` [B] (one per sample), for a
# path with modulated noise (`path.noise == "modulated"`, RDBM) and one with global noise (`"global"`, GOUB). Build
# $\Sigma_t$ yourself from the formula of section 1, with the clocks `path.schedule.clock(t)` and
# `path.schedule.clock_to_end(t)` (float64, shape [B]), `path.schedule.u_T` and `path.lam`. Use `clock_to_end` for
# $\bar\theta_{t:T}$: it is exactly 0 at $t_T$, where a difference computed another way can round below 0 and make
# $\sqrt{\Sigma_t^2}$ NaN (or clamp $\Sigma_t^2$ at 0). The checker runs your function at interior times and at both
# ends, $t = t_{\rm clean}$ and $t = t_T$; it refuses a function that calls the path's own `coefficients`,
# `unit_variance`, `std` or `sample`, and compares your map with `path.std`. Return a tensor of `x0`'s dtype.

# %%
answer_05_2 = ...  # a function std_map(path, x0, mu, t) -> tensor [B, 3, H, W] of x0's dtype
check("05.2", answer_05_2)

# %% [markdown]
# **05.3 (predict).** Where is $\Sigma_t$ largest, and how large is it there? Work (a) and (c) on paper first. (a) Show,
# with $2\sinh a\,\sinh b = \cosh(a + b) - \cosh(a - b)$, that $\Sigma_t^2$ decreases as
# $|\bar\theta_t - \bar\theta_{t:T}|$ grows; say at which clock value $\Sigma_t$ peaks, and explain the offset you saw in
# section 4's middle panel: why the peak is not in the middle of either grid. (b) Write `peak_index(schedule)`, the grid index of the largest $\Sigma_t$, from the clock alone
# (`schedule.times()`, `schedule.clock(t)`, `schedule.u_T`); the checker runs it on the reference schedule
# (indices $-1, \dots, 99$), GOUB's grid ($0, \dots, 100$) and a third grid, and refuses a function that calls a path's
# `coefficients`, `std` or `sample`. Print its two indices and compare them with the middle of each grid. (c) Give the
# peak value of $\Sigma_t/\sqrt\lambda$ over the clock as a formula in $c = \bar\theta_T$: a string such as
# `"1 - exp(-c)"` (not the answer) or a SymPy expression. Answer `(peak_index, peak)`.

# %%
answer_05_3 = ...  # (peak_index: a function schedule -> grid index, peak: formula in c as a string or SymPy expression)
check("05.3", answer_05_3)
