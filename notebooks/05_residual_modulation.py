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
# # 05 — Residual modulation on images: noise only where the image is degraded
#
# **What you will learn.** What the forward path of a real (clean, degraded) image pair looks like
# under RDBM's residual-modulated noise `Sigma_t |pi|` and under the global noise `Sigma_t` of GOUB;
# why intact pixels (`x0 == mu`) never move under RDBM — exactly, at every `t` — and how the shapes of
# `Theta_t` and `Sigma_t` on the reference and GOUB grids differ.
#
# **Prerequisites.** Notebook 04 (the four processes in one dimension) and `docs/theory.md`
# §4, §8 (eq. 8.5), §10 and §11 (the reference schedule and GOUB's grid).
#
# Full-mode wall time: 17 s on a 2-core CPU (`FAST=1`: 15 s; `benchmarks/notebook_times.py`).

# %%
import os

import matplotlib.pyplot as plt
import torch
from matplotlib_inline.backend_inline import set_matplotlib_formats

from rdbm_core.bridge import bridges
from rdbm_core.data.datasets import SyntheticPairs
from rdbm_core.data.images import tensor_to_image
from rdbm_core.data.degradations import degraded_mask

FAST = os.environ.get("FAST") == "1"
N_DRAWS = 1 if FAST else 4  # noise draws per time for the "intact pixels never move" check
torch.set_num_threads(1)  # one thread is faster for these small tensors on a busy 2-core CPU
set_matplotlib_formats("jpeg", pil_kwargs={"quality": 85})  # photographs and noise: JPEG keeps the notebook small

# %% [markdown]
# ## 1. Two degraded/clean pairs
#
# A deraining pair and an inpainting pair from the embedded test photographs (128 × 128 crops, values
# in `[-1, 1]`). The residual `pi = x0 - mu` is what RDBM's noise is proportional to. For inpainting it
# is exactly zero outside the hole. For deraining the streaks are screen-blended with a soft edge, so
# the residual is large on the streaks, small but often non-zero around them, and exactly zero only
# where no streak light falls. The dataset's mask is the project's one definition of *degraded* pixels,
# `degradations.degraded_mask`: some channel changed by more than half an 8-bit level (the rest are *intact*).
# On 8-bit images that is exactly `x0 != mu`; these pairs are computed in floating point, so the faint tails of
# the streaks leave residuals below half a level outside the mask (up to the maximum printed below). The
# exact statement of section 5 is about values with `x0 == mu`, the mask about visible change.

# %%
PAIRS = {
    "derain": SyntheticPairs("derain", "test", crop=128)[0],
    "inpaint": SyntheticPairs("inpaint", "test", crop=128)[0],
}
for name, item in PAIRS.items():
    x0, mu, mask = item["x0"], item["mu"], item["mask"]
    print(f"{name:8s}: mask (degraded pixels) covers {mask.float().mean():6.1%} of the pixels; "
          f"max |pi| outside the mask: {((x0 - mu).abs() * ~mask).max():.4f} (half a level: {1 / 255:.4f})")
    assert torch.equal(mask, degraded_mask(x0, mu)) and ((x0 - mu).abs() * ~mask).max() <= 1 / 255
inp = PAIRS["inpaint"]
assert torch.equal(inp["x0"] == inp["mu"], (~inp["mask"]).expand_as(inp["x0"]))  # inpainting: intact <=> x0 == mu


def show_img(ax, x, title=None):
    """Display a [3, H, W] tensor in [-1, 1] (values outside are clipped for display)."""
    ax.imshow(tensor_to_image(x))
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


fig, axes = plt.subplots(2, 4, figsize=(12, 6.4), layout="constrained")
for row, (name, item) in zip(axes, PAIRS.items()):
    x0, mu, mask = item["x0"], item["mu"], item["mask"]
    show_img(row[0], x0, f"{name}: clean $x_0$")
    show_img(row[1], mu, rf"{name}: degraded $\mu$")
    im = row[2].imshow((x0 - mu).abs().amax(0), cmap="inferno", vmin=0, vmax=1)
    row[2].set_title(r"residual $\max_c |\pi|$", fontsize=9)
    fig.colorbar(im, ax=row[2], fraction=0.046)
    row[3].imshow(mask[0], cmap="gray")
    row[3].set_title("mask (white = degraded)", fontsize=9)
    for ax in row[2:]:
        ax.set_xticks([])
        ax.set_yticks([])
fig.suptitle("The two pairs and their residuals", fontsize=11)
plt.show()

# %% [markdown]
# ## 2. The bridges compared
#
# | row | bridge | schedule | `lam` | noise factor `s(pi)` |
# |---|---|---|---|---|
# | RDBM (reference) | `bridges.rdbm()` | reference cosine, `N = 100` | `1e-4` | `pi` |
# | RDBM, large `lam` | `bridges.make("rdbm", lam=LAM_VIS)` | same | `LAM_VIS = 1` | `pi` |
# | global noise | `... .with_noise("global")` | same | `1` | 1 |
# | GOUB (published) | `bridges.goub()` | IR-SDE grid, `T = 100` | `(30/255)^2 = 0.0138` | 1 |
#
# The reference `lam = 1e-4` gives a standard deviation of at most `0.01 |pi|` — about one grey level
# on the `[0, 255]` scale for the largest residuals: invisible. To *see* the modulation we also
# use `LAM_VIS = 1` (10 000 times larger: a standard deviation of up to `|pi|` itself, since the residuals
# of these pairs are mostly a few tenths). The third row is the very same bridge with the noise factor
# switched to 1 — GOUB-style global noise (this is also what the released reference code trains: it
# has the residual factor commented out, `docs/theory.md` §11). The last row is GOUB itself, on its own grid
# and with its published `lambda = 30/255`.

# %%
LAM_VIS = 1.0
RDBM_REF = bridges.rdbm()
RDBM_VIS = bridges.make("rdbm", lam=LAM_VIS)
GLOBAL_VIS = RDBM_VIS.with_noise("global")
GOUB = bridges.goub()
ROWS = {
    "RDBM\nlam = 1e-4 (reference)": RDBM_REF,
    f"RDBM\nlam = {LAM_VIS}": RDBM_VIS,
    f"global noise\nlam = {LAM_VIS}": GLOBAL_VIS,
    "GOUB (published)\nlam = (30/255)^2": GOUB,
}


# %% tags=["nbval-check-output"]
for path in ROWS.values():
    print(path.describe())

# %% [markdown]
# The reference schedule and GOUB's grid run at different speeds, so the columns are matched by the
# mean: at each column every row has (the grid time closest to) the same `Theta_t`, i.e. the same
# mean image `mu + Theta_t pi`. The rows differ only in their noise. `t` is the grid index of each image: on the
# reference grid the clean end is the *virtual* index `t = -1` (the clock is already positive at index 0, so the
# clean point is not on the grid; notebook 01, section 4), on GOUB's grid it is index `0`, and the degraded end is
# `99` and `100` (`docs/theory.md` §10).

# %%
THETA_COLUMNS = (1.0, 0.9, 0.7, 0.5, 0.3, 0.1, 0.0)


def time_for_theta(path, target):
    """The grid time whose Theta_t is closest to ``target``."""
    sch = path.schedule
    ts = torch.arange(sch.t_clean, sch.t_T + 1)
    theta = path.coefficients(ts)[0]
    return int(ts[(theta - target).abs().argmin()])


def strip(item, seed=0):
    """One noise draw per (row, column) of the forward path x_t ~ q(x_t | x0, mu)."""
    x0, mu = item["x0"][None], item["mu"][None]
    out = {}
    for r, (label, path) in enumerate(ROWS.items()):
        gen = torch.Generator().manual_seed(seed + r)
        eps = torch.randn(x0.shape, generator=gen)  # the same noise draw along a row
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
    fig.suptitle(f"{name}: forward path from $x_0$ (left, clean) to $\\mu$ (right, degraded); one noise draw per row",
                 fontsize=11)
    plt.show()
    return rows


STRIPS = {name: plot_strip(name, item) for name, item in PAIRS.items()}

# %% [markdown]
# At the reference `lam = 1e-4` the RDBM path is visually just the interpolation `mu + Theta_t pi`.
# With `lam = 1` the RDBM noise appears only on the streaks and inside the hole; the same `lam`
# with global noise covers the whole picture, and GOUB's published level is a clearly visible grain
# over every pixel, intact or not.
#
# ## 3. Noise maps
#
# Where does the noise go? Three maps at `Theta_t ≈ 0.5` for each pair (values averaged over the
# three colour channels): the per-pixel standard deviation `path.std = Sigma_t |pi|` of RDBM (a
# closed form), and the realised noise `|x_t - E[x_t | x0, mu]|` of one draw, under RDBM and under
# global noise with the same `lam = 1`. The cyan outline is the degradation mask.

# %%
fig, axes = plt.subplots(2, 4, figsize=(14, 6.6), layout="constrained")
for row, (name, item) in zip(axes, PAIRS.items()):
    x0, mu, mask = item["x0"][None], item["mu"][None], item["mask"][0]
    t = time_for_theta(RDBM_VIS, 0.5)
    gen = torch.Generator().manual_seed(11)
    eps = torch.randn(x0.shape, generator=gen)
    std_map = RDBM_VIS.std(x0, mu, t)[0].mean(0)
    noise_rdbm = (RDBM_VIS.sample(x0, mu, t, noise=eps) - RDBM_VIS.mean(x0, mu, t))[0].abs().mean(0)
    noise_glob = (GLOBAL_VIS.sample(x0, mu, t, noise=eps) - GLOBAL_VIS.mean(x0, mu, t))[0].abs().mean(0)
    vmax = float(noise_glob.quantile(0.99))
    show_img(row[0], x0[0], f"{name}: clean $x_0$, mask outlined")
    panels = [(std_map, rf"RDBM: $\Sigma_t|\pi|$ (t = {t})"), (noise_rdbm, r"RDBM: $|x_t - E[x_t]|$"),
              (noise_glob, r"global noise: $|x_t - E[x_t]|$")]
    for ax, (img, title) in zip(row[1:], panels):
        im = ax.imshow(img, cmap="magma", vmin=0, vmax=vmax)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in row:
        ax.contour(mask.float(), levels=[0.5], colors="#00e5ff", linewidths=0.6)
    fig.colorbar(im, ax=row[1:], shrink=0.9, label="noise level (channel mean)")
    inside, outside = std_map[mask].mean(), std_map[~mask].mean()
    print(f"{name:8s}: mean RDBM std inside the mask {inside:.4f}, outside {outside:.4f}; "
          f"global noise std everywhere {float(GLOBAL_VIS.std(x0, mu, t).mean()):.4f}")
    assert inside > 10 * outside
fig.suptitle(rf"Where the noise goes ($\lambda = {LAM_VIS:g}$, $\Theta_t \approx 0.5$)", fontsize=11)
plt.show()

# %% [markdown]
# A single number: the share of the total noise *energy* `sum Sigma_t^2 pi^2` that falls inside the
# mask. Under global noise it is the share of the image the mask covers; under RDBM it is the share of
# `sum pi^2` inside the mask, independent of `t` and `lam`.

# %%
for name, item in PAIRS.items():
    x0, mu, mask = item["x0"][None], item["mu"][None], item["mask"][None].expand_as(item["x0"][None])
    t = time_for_theta(RDBM_VIS, 0.5)
    e_rdbm, e_glob = RDBM_VIS.std(x0, mu, t) ** 2, GLOBAL_VIS.std(x0, mu, t) ** 2
    share_rdbm = float(e_rdbm[mask].sum() / e_rdbm.sum())
    share_glob = float(e_glob[mask].sum() / e_glob.sum())
    print(f"{name:8s}: noise energy inside the mask: RDBM {share_rdbm:6.1%}, global {share_glob:6.1%} "
          f"(mask area {float(mask.float().mean()):6.1%})")
    assert share_rdbm > 0.9 and abs(share_glob - float(mask.float().mean())) < 1e-6
    # the same share measured on one drawn x_t (not the closed-form std): sampling must put the noise there too
    noise = RDBM_VIS.sample(x0, mu, t, generator=torch.Generator().manual_seed(5)) - RDBM_VIS.mean(x0, mu, t)
    share_drawn = float(noise[mask].pow(2).sum() / noise.pow(2).sum())
    print(f"{'':8s}  measured on one drawn x_t: RDBM {share_drawn:6.1%}")
    assert abs(share_drawn - share_rdbm) < 0.02

# %% [markdown]
# ## 4. `Theta_t` and `Sigma_t` on the two grids
#
# The reference schedule's `theta` are the cosine betas: tiny at first and 0.999 at the last index,
# so `thbar_T = 7.88` and `Sigma_t` rises slowly, stays within a few per cent of `sqrt(lam)` over the last
# third of the grid, then drops to 0 in the very last step (the pin at `mu`). GOUB's grid has
# `thbar_T = -ln 0.005 = 5.30` and a smoother descent. Left: `Theta_t`. Right: `Sigma_t / sqrt(lam)`, the shape of the
# noise level, which
# does not depend on `lam` (multiply by `sqrt(lam) = 0.01` for the reference RDBM, `1` for
# `LAM_VIS`, `30/255 = 0.118` for GOUB). The standard deviation of a pixel is `Sigma_t |pi|` under RDBM
# and `Sigma_t` under global noise.

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
for path, label, colour in ((RDBM_REF, "RDBM reference schedule", "tab:red"), (GOUB, "GOUB grid", "tab:blue")):
    sch = path.schedule
    ts = torch.arange(sch.t_clean, sch.t_T + 1)
    frac = (ts - sch.t_clean) / (sch.t_T - sch.t_clean)
    theta, _, sigma = path.coefficients(ts)
    ax1.plot(frac, theta, color=colour, marker=".", ms=3, label=rf"{label} ($\bar\theta_T$ = {sch.u_T:.2f})")
    ax2.plot(frac, sigma / path.lam ** 0.5, color=colour, marker=".", ms=3,
             label=rf"{label} ($\sqrt{{\lambda}}$ = {path.lam ** 0.5:.3g})")
for ax in (ax1, ax2):
    ax.set_xlabel(r"normalised grid time $(t - t_{clean}) / (t_T - t_{clean})$")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
ax1.set_ylabel(r"$\Theta_t$")
ax1.set_title(r"$\Theta_t = \sinh(\bar\theta_{t:T}) / \sinh(\bar\theta_T)$: weight of $x_0$ in the mean", fontsize=10)
ax2.set_ylabel(r"$\Sigma_t / \sqrt{\lambda}$")
ax2.set_title(r"$\Sigma_t / \sqrt{\lambda} = \sqrt{2 \sinh(\bar\theta_t) \sinh(\bar\theta_{t:T}) / \sinh(\bar\theta_T)}$"
              " (independent of $\\lambda$)", fontsize=10)
plt.show()

th_ref, _, sig_ref = RDBM_REF.coefficients(torch.arange(-1, 100))
assert th_ref[0] == 1 and th_ref[-1] == 0 and sig_ref[0] == 0 and sig_ref[-1] == 0  # the two ends of the bridge
assert abs(float(sig_ref.max()) - 1e-4 ** 0.5) < 1e-4  # max std 0.01 |pi| at the reference lam

# %% [markdown]
# ## 5. Intact pixels never move under RDBM
#
# Where `pi = 0` the residual path is `x_t = mu + Theta_t * 0 + Sigma_t * 0 * eps`: the library
# computes the mean as `mu + Theta_t (x0 - mu)` (not `Theta_t x0 + (1 - Theta_t) mu`, which rounds),
# so intact values equal `mu` **bit for bit** at every time of the grid and for any noise draw. We
# check every grid time `t = -1, ..., 99` of the reference schedule, both `lam` values, both pairs,
# several noise draws — and, for contrast, that under global noise the same values do move at every
# interior time.

# %%
def intact_check(path, item, draws, seed=0):
    """Per grid time: do all intact values equal mu exactly? and the share of intact values that moved."""
    sch = path.schedule
    ts = torch.arange(sch.t_clean, sch.t_T + 1)
    x0 = item["x0"][None].expand(len(ts), -1, -1, -1)
    mu = item["mu"][None].expand(len(ts), -1, -1, -1)
    intact = (x0 == mu)
    gen = torch.Generator().manual_seed(seed)
    still, moved = torch.ones(len(ts), dtype=torch.bool), torch.zeros(len(ts))
    for _ in range(draws):
        x_t = path.sample(x0, mu, ts, generator=gen)
        same = (x_t == mu) | ~intact
        still &= same.flatten(1).all(1)
        moved += ((x_t != mu) & intact).flatten(1).sum(1) / intact.flatten(1).sum(1) / draws
    return ts, still, moved


RESULTS = {}
for name, item in PAIRS.items():
    for label, path in (("RDBM, lam = 1e-4", RDBM_REF), (f"RDBM, lam = {LAM_VIS}", RDBM_VIS),
                        (f"global, lam = {LAM_VIS}", GLOBAL_VIS)):
        RESULTS[name, label] = intact_check(path, item, N_DRAWS)

for (name, label), (ts, still, moved) in RESULTS.items():
    inner = slice(1, -1)
    print(f"{name:8s} {label:18s}: intact values unchanged at all {len(ts)} times: {bool(still.all())};  "
          f"share of intact values that moved, interior times: min {moved[inner].min():.4f}, max {moved[inner].max():.4f}")
    if label.startswith("RDBM"):
        assert still.all()
    else:
        assert not still[inner].any() and moved[inner].min() > 0.99

# %% tags=["nbval-check-output"]
print("RDBM leaves every intact value exactly equal to mu at every t:",
      all(bool(r[1].all()) for (n, lab), r in RESULTS.items() if lab.startswith("RDBM")))
print("global noise moves the intact values at every interior t:",
      all(bool(r[2][1:-1].min() > 0.99) for (n, lab), r in RESULTS.items() if lab.startswith("global")))

# %% [markdown]
# The end points deserve one more look. At `t = t_T` both bridges give `mu` exactly for every pixel
# (`Theta = Sigma = 0`). At the clean end `t = -1` (`Theta = 1`, `Sigma = 0`) the sample is
# `mu + 1 * (x0 - mu)`, which in float32 can differ from `x0` by one rounding step on *degraded*
# pixels: the clean end is never sampled in training (times are drawn from `0..99`) and every
# sampler returns `x0_hat` itself at the clean point, so this does not matter — but it is why the
# exact-equality claim above is about intact pixels, where `x0 - mu` is exactly 0.

# %%
for name, item in PAIRS.items():
    x0, mu = item["x0"][None], item["mu"][None]
    end = RDBM_VIS.sample(x0, mu, 99)
    clean = RDBM_VIS.sample(x0, mu, -1)
    print(f"{name:8s}: x_T == mu everywhere: {torch.equal(end, mu)};  "
          f"max |x_clean - x0| = {float((clean - x0).abs().max()):.1e} (float32 spacing near 1: 6e-08)")
    assert torch.equal(end, mu) and float((clean - x0).abs().max()) <= 1.2e-7

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/05_residual_modulation_solutions.ipynb`.
#
# **05.1 (predict).** At an interior time of the bridge (say `t = 49`), what fraction of the values (pixels ×
# channels) of each of the two pairs of section 1 receives noise under RDBM, i.e. has a standard deviation
# `> 0`? Answer with two fractions between 0 and 1, `(inpaint, derain)`, to within 0.01. First say what makes a
# value's noise zero (and whether the mask of section 1 is that set); then compute the two fractions from `PAIRS`,
# one line each. The inpainting one is a check of your reasoning (section 1 asserts that its mask is exactly the set
# `x0 != mu`, so it is the printed mask share); the deraining one is printed nowhere above.

# %%
from rdbm_course.exercises import check

answer_05_1 = ...  # two fractions: (inpaint, derain)
check("05.1", answer_05_1)

# %% [markdown]
# **05.2 (implement).** Write `std_map(path, x0, mu, t)`: the per-value standard deviation of `x_t` given
# `(x0, mu)` for a batch `x0`, `mu` [B, 3, H, W] and integer grid times `t` [B] (one per sample), for RDBM
# (`path.noise == "modulated"`) and for GOUB (`path.noise == "global"`). Build it from `path.coefficients(t)`
# (float64 tensors of shape [B]) — not from `path.std`, which is what the checker compares with.

# %%
answer_05_2 = ...  # a function std_map(path, x0, mu, t) -> tensor [B, 3, H, W]
check("05.2", answer_05_2)

# %% [markdown]
# **05.3 (predict).** In the right panel of section 4, at which grid index `t` is `Sigma_t` largest — on the
# reference schedule (indices −1 … 99) and on GOUB's grid (indices 0 … 100)? Answer `(i_reference, i_goub)`.
# First say why it is not the middle of either grid; then find the indices (the clock
# `path.schedule.clock(t)` helps).

# %%
answer_05_3 = ...  # two grid indices: (reference schedule, GOUB grid)
check("05.3", answer_05_3)
