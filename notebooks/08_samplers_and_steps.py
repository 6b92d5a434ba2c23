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
# # 08 — Samplers and steps
#
# **What you will learn.** What the library's samplers do at each step and what a step costs in network
# evaluations (section 1); a case study of one lightly trained deraining network, on which more evaluations make the
# restorations worse, and of where along the run that error builds up (section 2); and, with a known `x0`, how exact
# each integrator of the probability-flow ODE is (section 3).
#
# **Prerequisites.** Notebooks 02a (the posterior), 02b (reverse SDE and probability-flow ODE), 02c (the implicit
# step), 06 (training; this notebook reuses its deraining network) and 07 (paired intervals over photographs).
#
# **Notation.** `mu` is the degraded (rainy) image, `x0` the clean one, `pi = x0 - mu` the residual; `x0_hat` is the
# network's estimate of `x0` and `pi_hat = x0_hat - mu`. Time runs backwards, from the degraded end `t_T` to the clean
# point: on RDBM's grid from the index 99 to the index -1 (sections 1 and 2), on section 3's continuous bridge from
# 1 to 0. Time is measured by the **clock** `u_t`, the integral of the schedule `theta` from the clean point to `t`
# (`bridge.schedule.clock(t)`): `u_T` at the degraded end, 0 at the clean point. The bridge's marginal is
#
# `x_t = mu + Theta_t pi + Sigma_t pi eps`, `eps ~ N(0, I)`, with `Theta_t = sinh(u_T - u_t) / sinh(u_T)` and
# `Sigma_t^2 = 2 lam sinh(u_t) sinh(u_T - u_t) / sinh(u_T)`
#
# (`docs/theory.md` §4), where `lam` is the bridge's **noise level**; RDBM uses `lam = 1e-4`. For any clean image
# `c`, `m_t(c) = mu + Theta_t (c - mu)` is the **mean path** towards `c` (`bridge.mean(c, mu, t)`). Two counts are
# kept apart: `n`, the **sampler steps** (moves along the time grid), and `N`, the **network evaluations** (NFE).
#
# **Helpers** (`rdbm_course.samplers_lesson`): `SAMPLERS` maps each setting's label to its library sampler and
# `eta` (`COLORS`, `MARKERS`: one per setting); `steps_for(sampler, N)` gives the steps that cost `N` evaluations;
# `CountingModel` and `RecordingModel` wrap the network, counting its calls (`.calls`) and recording each
# prediction's time and PSNR (`.t`, `.scores`); `paired(d, photographs)` returns `Paired(mean, low, high, p)`
# (section 2.3), which `ci` prints, `starred` marks with Holm's `*` and `verdict` labels "higher", "lower" or
# "includes 0"; `stochastic_run` and `deviation_kept` serve section 2.5; the rest draw figures and tables.

# %%
import math
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display

from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.stats import holm
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.training import train
from rdbm_core.restoration.evaluation import restore
from rdbm_course import pretrained
from rdbm_course.samplers_lesson import (COLORS, MARKERS, SAMPLERS, CountingModel, RecordingModel, ci, count_nfe,
                                         deviation_kept, markdown_table, nfe_axis, paired, plot_intervals,
                                         plot_time_grid, show_restorations, starred, steps_for, stochastic_run,
                                         verdict)

# How this notebook runs. Full mode (the default) evaluates the network about 1,200 times on a batch of 24 windows,
# on one torch thread: on a shared 2-core machine that took 30 minutes (a lighter load) to 58 (the heavy load of the
# run shown), most of it in the sweep of section 2.1; the sweep and the whole notebook (end of section 3) print this
# run's times. FAST=1 (continuous integration) uses a tiny network trained for 20 iterations, 4 windows and fewer
# evaluations: its numbers mean nothing, and the checks that quote numbers are skipped. RETRAIN=1 trains notebook
# 06's network here (about 4 minutes) instead of loading the shipped weights.
FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"
# One torch thread: on a shared machine a second thread competes with other processes. On a machine of your own,
# delete this line to use every core; no result depends on it.
torch.set_num_threads(1)
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RUNS = ROOT / "runs"
NOTEBOOK_START = time.perf_counter()
BASELINE = "implicit, eta=0"  # the setting every other one is compared with

# %% [markdown]
# ## 1. The time grid, the update rules and their cost
#
# A sampler with `n` steps walks the grid `rdbm.schedule.sampling_times(n)`: `n + 1` times from `t_T = 99`, where the
# bridge is pinned (`x_{t_T} = mu`), down to the clean point -1. We count its cost with `CountingModel`, which
# also records the time of each call. The picture shows where the five settings of this notebook call the network
# on the 4-step grid (99, 74, 49, 24, -1).

# %%
rdbm = bridges.rdbm()
fig, ax = plt.subplots(figsize=(9, 4.2))
grid_nfe = plot_time_grid(ax, rdbm, n_steps=4)
ax.set_title("Where each setting calls the network: 4 sampler steps on RDBM's grid", fontsize=11)
plt.tight_layout()
plt.show()

# %% [markdown]
# **The update rules.** A step goes from `t` to an earlier `s`, over the clock interval `du = u_t - u_s > 0`. It
# starts with `x0_hat = network(x_t, mu, t)`, `pi_hat = x0_hat - mu` and the state's **deviation** from that
# prediction's mean path, `delta_t = x_t - m_t(x0_hat)`; `z ~ N(0, I)` is fresh noise.
#
# * **Implicit step** with `eta` in [0, 1] (notebook 02c):
#   `x_s = m_s(x0_hat) + sqrt(Sigma_s^2 - eta^2 V) / Sigma_t · delta_t + eta sqrt(V) pi_hat z`,
#   where `V = 2 lam sinh(u_s) sinh(u_t - u_s) / sinh(u_t)` is the variance of the posterior `q(x_s | x_t, x0)` per
#   unit `pi^2` (notebook 02a). `eta = 0` keeps `Sigma_s / Sigma_t` of the deviation and adds no noise; for a fixed
#   `x0_hat` it is the exact solution of the probability-flow ODE. `eta = 1` is a draw from the posterior
#   `q(x_s | x_t, x0 = x0_hat)`. Out of the pinned end (`Sigma_T = 0`) the step is `m_s(x0_hat)` for `eta = 0` and
#   `m_s(x0_hat) + Sigma_s pi_hat z` for `eta = 1`. The name comes from DDIM, the denoising diffusion *implicit*
#   model; the step itself is explicit (it solves no equation).
# * **Probability-flow ODE** (PF-ODE; notebook 02b), with the velocity per unit of clock
#   `v(x, t) = coth(u_T - u_t) (mu - x) + lam (x - m_t(x0_hat)) / Sigma_t^2`.
#   **Euler:** `x_s = x_t - du v(x_t, t)`.
#   **Heun:** the Euler point `x_e = x_t - du v(x_t, t)`, then `x_s = x_t - du (v(x_t, t) + v(x_e, s)) / 2`, where
#   `v(x_e, s)` uses a second prediction, `network(x_e, mu, s)`.
# * **Euler–Maruyama on the reverse SDE** (notebook 02b):
#   `x_s = x_t - du b(x_t, t) + sqrt(2 lam du) pi_hat z` with the drift
#   `b(x, t) = coth(u_T - u_t) (mu - x) + 2 lam (x - m_t(x0_hat)) / Sigma_t^2`: the velocity with its `lam` term
#   doubled.

# %% [markdown]
# **Where each rule applies (the picture).** Every step calls the network once, at its start `t` (filled dots).
# The first step, out of the pinned end, takes the implicit rule for every setting, because the PF-ODE's and the
# reverse SDE's drifts are infinite there: with `eta = 0` for the deterministic settings, with `eta = 1` for the
# stochastic ones (implicit `eta = 1` and Euler–Maruyama). The last step, onto the clean point, returns `x0_hat`.
# Every step in between uses the setting's own rule; only Heun's calls the network a second time, at the step's end
# `s` (open dots). In the library's terms: a step onto a clean point (`bridge.is_clean(s)`) returns `x0_hat`;
# otherwise a step out of a pinned end (`bridge.is_terminal(t)`; an unpinned process such as IR-SDE has none) is
# implicit; a grid that stops before the clean point ends with an ordinary step.
#
# So `n` sampler steps cost `N = n` evaluations, except Heun's: `N = 2n - 2` for `n >= 2` (6 above). With one step
# every setting returns its first prediction `x0_hat(mu, t_T)`; with two there is no step in between, so the three
# deterministic settings are identical and the two stochastic ones differ from them only by their first step's
# noise. The counts up to 100 evaluations (the appendix also checks the rules above against the library):

# %% tags=["nbval-check-output"]
nfe_table = {label: [(steps_for(name, N), count_nfe(rdbm, name, eta, steps_for(name, N)))
                     for N in (1, 2, 5, 10, 20, 50, 100)]
             for label, (name, eta) in SAMPLERS.items()}
for label, pairs in nfe_table.items():
    print(f"{label:30s}", "  ".join(f"{n}->{N}" for n, N in pairs), "  (sampler steps n -> NFE N)")

# %% [markdown]
# ## 2. A case study: error build-up along the run, on a lightly trained network
#
# This section studies one network at one training budget: notebook 06's deraining network after 300 training
# iterations. On it, more evaluations make the restorations worse, and the section traces where along the run that
# error builds up. A well-trained network may gain from more evaluations and rank the samplers differently; that is
# not tested here.
#
# ### 2.1 The sweep
#
# The network: `small` U-Net, 64x64 training crops, batch 8, learning rate 5e-4, 300 iterations, seed 0 (the cell
# checks these against the weights file). It is shipped with the course; `RETRAIN=1` trains it here. The test set is
# the held-out benchmark, version 2 (`HeldOutBenchmark("derain", version=2)`): 12 photographs that no network was
# trained on, rained on with a fixed seed. We restore 2 windows of 64x64 pixels from each, 24 in all.

# %%
if FAST:  # the smoke configuration: a tiny network, 20 training iterations
    config = TrainConfig.smoke(task="derain", out=str(RUNS / "nb08_derain_fast"))
else:  # notebook 06's configuration
    config = TrainConfig(task="derain", preset="small", crop=64, batch=8, pool=1024, lr=5e-4, steps=300,
                         unet_norm="group", ckpt_every=0, out=str(RUNS / "nb08_derain"))
checkpoint = train(config, progress=True)["checkpoint"] if FAST or RETRAIN else pretrained.weights_file("nb06_derain")
model, bridge, trained = load_trained(checkpoint)  # the network, its bridge (RDBM) and its training configuration
CHECKED = ("preset", "crop", "batch", "pool", "lr", "steps", "seed")
assert all(getattr(trained, key) == getattr(config, key) for key in CHECKED + ("unet_norm",)), "not notebook 06's"
print(f"network {Path(checkpoint).name}: " + ", ".join(f"{key} {getattr(trained, key)}" for key in CHECKED)
      .replace("steps", "training iterations"))

# %%
test = HeldOutBenchmark("derain", items=4 if FAST else 24, crop=32 if FAST else 64, version=2)
names = [test[i]["name"] for i in range(len(test))]  # "photograph@top,left"
photographs = [name.split("@")[0] for name in names]
x0 = torch.stack([test[i]["x0"] for i in range(len(test))])
mu = torch.stack([test[i]["mu"] for i in range(len(test))])


def item_psnr(x):
    """PSNR (dB) of every window of the batch ``x`` against its clean window."""
    return np.array([psnr(x[i], x0[i]) for i in range(len(test))])


input_per_item = item_psnr(mu)
print(f"{len(test)} windows {tuple(x0.shape[2:])} from {len(set(photographs))} photographs "
      f"({len(test) // len(set(photographs))} each); PSNR of the rainy input: {input_per_item.mean():.2f} dB")

# %% [markdown]
# The sweep: every setting at `N` = 1, 2, 5, 10, 20, 50 and 100 evaluations (Heun's 5-evaluation run spends 4: 3
# sampler steps), and the baseline, implicit `eta = 0`, also at 4, as a partner for Heun's run at the same cost. The
# stochastic settings draw their noise from a fixed seed. The runs at 100 evaluations record the prediction at every
# call (`RecordingModel`), for section 2.4. This is the notebook's long cell; it prints its times.

# %%
NFES = (1, 2, 5) if FAST else (1, 2, 5, 10, 20, 50, 100)
N_MAX = NFES[-1]
per_item, restored, runs = {}, {}, {}  # keyed by (setting, measured NFE): PSNR per window, restorations, wrappers
t_sweep = time.perf_counter()
for label, (name, eta) in SAMPLERS.items():
    t_setting = time.perf_counter()
    for target in sorted(set(NFES) | ({4} if label == BASELINE else set())):
        counter = RecordingModel(model, item_psnr) if target == N_MAX else CountingModel(model)
        out = restore(counter, bridge, mu, SamplerSpec(name, steps_for(name, target), eta=eta),
                      torch.Generator().manual_seed(0))
        per_item[label, counter.calls], restored[label, counter.calls], runs[label, counter.calls] = \
            item_psnr(out), out, counter
    print(f"{label:30s} N = {', '.join(str(N) for key, N in runs if key == label)}: "
          f"{time.perf_counter() - t_setting:.0f} s")
measured = {label: sorted(N for (key, N) in per_item if key == label) for label in SAMPLERS}
TOP = {label: Ns[-1] for label, Ns in measured.items()}  # each setting's longest run (Heun in FAST mode: 4, not 5)
evaluations = sum(run.calls for run in runs.values())
print(f"sweep: {evaluations} network evaluations of a batch of {len(test)} in "
      f"{(time.perf_counter() - t_sweep) / 60:.1f} min")

# %%
mean_psnr = {key: float(v.mean()) for key, v in per_item.items()}
fig, ax = plt.subplots(figsize=(7.5, 4.6))
for label in SAMPLERS:
    ax.plot(measured[label], [mean_psnr[label, N] for N in measured[label]], marker=MARKERS[label],
            color=COLORS[label], label=label)
nfe_axis(ax, sorted({N for Ns in measured.values() for N in Ns}))
ax.set_ylabel(f"mean PSNR over the {len(test)} windows (dB)")
ax.set_title("Deraining: quality against cost, per setting (no intervals: see 2.3)", fontsize=11)
ax.legend(fontsize=9, loc="lower left")
plt.tight_layout()
plt.show()
rows = [[N] + [f"{mean_psnr[label, N]:.2f}" if (label, N) in mean_psnr else "—" for label in SAMPLERS]
        for N in sorted({N for Ns in measured.values() for N in Ns})]
display(Markdown(f"Mean PSNR (dB) of the restorations; rainy input {input_per_item.mean():.2f} dB.\n\n"
                 + markdown_table(["NFE N"] + list(SAMPLERS), rows)))

# %% [markdown]
# **Reading the sweep.** With one evaluation every setting returns its first prediction: 24.87 dB, against the rainy
# input's 21.79 dB. With two, all five score 24.92 dB. From 4 or 5 evaluations on the curves separate, and every one
# ends lower at 100 than at 2 (Euler's after a rise at 20). At 100 evaluations the baseline scores 23.80 dB, Euler
# 23.91, Heun 23.54, implicit `eta = 1` 23.19 and Euler–Maruyama 23.21. The y-axis spans under 2 dB, so gaps of a
# tenth of a dB look large; section 2.3 asks which of them are more than the luck of these 24 windows.

# %% [markdown]
# ### 2.2 What the restorations look like
#
# One window, restored by the baseline with 1 and 100 evaluations and by implicit `eta = 1` with 100, beside the
# rainy input and the clean window; below each, its signed error against the clean window. The window is chosen by a
# rule, not by eye: the one whose change from 1 to 100 evaluations (baseline) is closest to the mean change.

# %%
change = per_item[BASELINE, N_MAX] - per_item[BASELINE, 1]
w = int(np.argmin(np.abs(change - change.mean())))  # the window of the rule
panels = [("rainy input", mu[w], input_per_item[w], "k")]
panels += [(f"{label}, N = {N}", restored[label, N][w], per_item[label, N][w], COLORS[label])
           for label, N in ((BASELINE, 1), (BASELINE, N_MAX), ("implicit, eta=1", N_MAX))]
panels += [("clean", x0[w], None, "k")]
fig, axes = plt.subplots(2, len(panels), figsize=(12, 5.4), layout="constrained")
shown = show_restorations(axes, panels, x0[w])
fig.colorbar(shown, cax=axes[1, -1].inset_axes([0.08, 0.05, 0.1, 0.9]),  # in the clean window's empty slot
             label="image − clean\n(mean over colours, [−1, 1] scale)")
fig.suptitle(f"Window {names[w]}: change from N = 1 to {N_MAX} (baseline) {change[w]:+.2f} dB; mean over the "
             f"windows {change.mean():+.2f} dB. Below: red brighter than clean, blue darker", fontsize=10)
plt.show()

# %% [markdown]
# In the error maps the rainy input's streaks are red: brighter than the clean window. With one evaluation they are
# fainter but still red. With 100, for both settings, thin blue streaks appear where the rain was: darker
# than the clean window, so the restoration takes away more than the rain added. The bright highlight is darkened
# too (the wide blue band), more with 100 evaluations. This window loses 1.20 dB from 1 to 100 evaluations; the
# windows lose 1.07 dB on average.

# %% [markdown]
# ### 2.3 Which differences are established
#
# Each comparison is paired: the same windows restored two ways, the PSNR difference taken window by window and
# averaged. The 24 windows are 2 from each of 12 photographs, and a claim about other pictures generalises over
# photographs, so the 95 % interval resamples photographs first, then windows within each drawn photograph
# (`rdbm_core.evidence.stats.hierarchical_bootstrap`). With only 12 photographs such an interval tends to be too
# narrow, so the test below uses an exact p-value instead.
#
# **Two words.** A difference whose interval **excludes 0** holds on these windows, one comparison at a time. This
# section reads 28 intervals, and about 1 in 20 would exclude 0 by chance even if nothing differed. A difference is
# **established** when Holm's correction (notebook 07) over the 28 keeps it. Holm needs a p-value per comparison;
# ours is counted in photographs: under "no difference" each photograph's mean difference is as likely negative as
# positive, and `p` is the share of the `2^12 = 4096` ways of flipping their signs that give a mean at least as far
# from 0 as the observed one (`sign_flip_p`). It is at least `2 / 4096 = 0.0005`, and small only when nearly every
# photograph goes the same way. All of this is about one trained network; another training seed could move every
# number (notebook 07).
#
# **First question: does the baseline gain from more evaluations?** Each `N` is compared with 2, and 2 with 1.

# %%
steps_gain = {(2, 1): paired(per_item[BASELINE, 2] - per_item[BASELINE, 1], photographs)}
steps_gain |= {(N, 2): paired(per_item[BASELINE, N] - per_item[BASELINE, 2], photographs) for N in NFES[2:]}
OTHERS = [label for label in SAMPLERS if label != BASELINE]
versus = {(label, N): paired(per_item[label, N] - per_item[BASELINE, N], photographs)
          for label in OTHERS for N in measured[label]}
IDENTICAL = [key for key, v in versus.items() if v[:3] == (0.0, 0.0, 0.0)]  # identical by construction (section 1)
family = {**{("baseline", a, b): v for (a, b), v in steps_gain.items()},  # the comparisons of this section
          **{(label, N, N): v for (label, N), v in versus.items() if (label, N) not in IDENTICAL}}
kept = dict(zip(family, holm([v.p for v in family.values()])))  # Holm's correction over the sign-flip p-values

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
plot_intervals(ax, [2], [steps_gain[2, 1]], COLORS[BASELINE], "s", connect=False, mfc="white", label="N = 2 − 1")
plot_intervals(ax, NFES[2:], [steps_gain[N, 2] for N in NFES[2:]], COLORS[BASELINE], "o", label="N − 2")
nfe_axis(ax, list(NFES[1:]))
ax.set_title("Baseline (implicit, eta=0): more evaluations against fewer", fontsize=11)
ax.legend(fontsize=9, loc="lower left")
plt.tight_layout()
plt.show()
display(Markdown("Baseline, PSNR difference (dB), mean [95 % interval]; * the interval excludes 0 and Holm's "
                 f"correction over the {len(family)} comparisons of this section keeps it.\n\n" + markdown_table(
                     ["difference"] + [f"N = {a} − {b}" for a, b in steps_gain],
                     [["baseline"] + [starred(v, kept["baseline", a, b]) for (a, b), v in steps_gain.items()]])))

# %% [markdown]
# Two evaluations are not established to be better than one: +0.05 [−0.34, +0.42] dB, an interval that includes 0.
# Past 2 the baseline's mean falls at every `N`. The intervals exclude 0 at 50 evaluations (−0.88 [−1.83, −0.05] dB)
# and at 100 (−1.12 [−2.16, −0.20] dB), but Holm's correction keeps neither: the fall is suggestive, not established.
# No gain from more evaluations is seen anywhere.
#
# **Second question: at the same cost, does any setting differ from the baseline?** Heun's 4-evaluation run is
# compared with the baseline at 4.

# %%
fig, axes = plt.subplots(2, 2, figsize=(9.5, 6), sharex=True, sharey=True)
for ax, label in zip(axes.flat, OTHERS):
    plot_intervals(ax, measured[label], [versus[label, N] for N in measured[label]], COLORS[label], MARKERS[label],
                   kept=[kept.get((label, N, N), False) for N in measured[label]])
    nfe_axis(ax, sorted({N for Ns in measured.values() for N in Ns}))
    ax.set_title(f"{label} − baseline", fontsize=10, color=COLORS[label])
    if any(kept.get((label, N, N), False) for N in measured[label]):
        ax.legend(fontsize=9, loc="lower left")
for ax in axes.flat[:2]:
    ax.set_xlabel("")
for ax in axes[:, 1]:
    ax.set_ylabel("")
fig.suptitle("Each setting against the baseline at the same NFE, with 95 % intervals (photographs, then windows)",
             fontsize=11)
plt.tight_layout()
plt.show()

# %%
all_nfe = sorted({N for label in OTHERS for N in measured[label]})
rows = [[label] + [starred(versus[label, N], kept.get((label, N, N), False)) if (label, N) in versus else "—"
                   for N in all_nfe] for label in OTHERS]
excluding = [key for key, v in family.items() if verdict(*v) != "includes 0"]
display(Markdown("Each setting − the baseline at the same N: PSNR difference (dB), mean [95 % interval]; * as above."
                 "\n\n" + markdown_table(["setting"] + [f"N = {N}" for N in all_nfe], rows)
                 + f"\n\nWith the baseline's own {len(steps_gain)}, this section reads {len(family)} intervals "
                 f"(leaving out the {len(IDENTICAL)} comparisons identical by construction: every setting at N = 1, "
                 f"Euler and Heun at N = 2). {len(excluding)} exclude 0, where about {0.05 * len(family):.1f} would "
                 f"by chance at 95 % each if nothing differed; Holm's correction keeps "
                 f"{sum(kept[key] for key in excluding)}."))

# %% [markdown]
# * **The stochastic settings fall behind** as `N` grows: implicit `eta = 1` from 5 evaluations on
#   (−0.19 [−0.34, −0.05] dB) to −0.61 [−0.97, −0.23] dB at 100; Euler–Maruyama from 10 on, to
#   −0.59 [−0.95, −0.22] dB at 100.
# * **Euler** is below the baseline in the mean at 5 and 10 evaluations, with intervals that include 0; at 100 it is
#   above, +0.11 [+0.03, +0.20] dB.
# * **Heun**'s interval at 4 evaluations includes 0 (−0.09 [−0.19, +0.01] dB); it is below the baseline at 10, 20,
#   50 and 100, at 100 by 0.26 dB (−0.26 [−0.38, −0.14]).
#
# Of the 28 intervals 16 exclude 0, where about 1.4 would by chance. Holm's correction keeps 3, all of them Heun's
# (10, 50 and 100 evaluations, ringed in the figure): these are established. The other 13 exclude 0 on these 24
# windows without being established: in each, at least one of the 12 photographs goes the other way, which keeps its
# sign-flip p-value large (the appendix checks this).

# %% [markdown]
# ### 2.4 Where the error builds up
#
# The baseline's 100-evaluation run recorded the PSNR of the prediction `x0_hat` at every call (its output is the
# last one); the figure plots it against the time of the call. To see whether the network is simply worse late in
# time, we also ask it at two other kinds of state, at some of the same times:
#
# * **bridge states** `x_t ~ q(x_t | x0, mu)`, the kind it was trained on. They are built from the *true* `x0`: with
#   `lam = 1e-4` they lie almost on the mean path `m_t(x0)`, from which `x0` can be read back;
# * **first-prediction states** `m_t(x0_hat_1)`, with `x0_hat_1` the prediction of the first call (the `N = 1`
#   output). Like the sampler's own states they hold no more information than `mu`; unlike them, no later prediction
#   has been fed into them.

# %%
TRUE_TIMES = (99, 90, 75, 50, 30, 20, 10, 5, 2, 0) if not FAST else \
    tuple(int(t) for t in bridge.schedule.sampling_times(steps_for("implicit", N_MAX))[:-1])
baseline_run = runs[BASELINE, N_MAX]
on_run = dict(zip(baseline_run.t, baseline_run.scores))  # t -> PSNR of the prediction along the run, per window
on_bridge, on_first = {}, {}  # t -> PSNR of the prediction at bridge states / first-prediction states, per window
x0_hat_1 = restored[BASELINE, 1]
g_bridge = torch.Generator().manual_seed(1)
with torch.no_grad():
    for t in TRUE_TIMES:
        x_t = bridge.sample(x0, mu, torch.tensor(t), generator=g_bridge)
        on_bridge[t] = item_psnr(samplers.Denoiser(model)(x_t, mu, bridge, torch.tensor(t)))
        x_first = bridge.mean(x0_hat_1, mu, torch.tensor(t))
        on_first[t] = item_psnr(samplers.Denoiser(model)(x_first, mu, bridge, torch.tensor(t)))
evaluations += 2 * len(TRUE_TIMES)
first_minus_run = {t: paired(on_first[t] - on_run[t], photographs) for t in TRUE_TIMES}

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4))
left.plot(baseline_run.t, [s.mean() for s in baseline_run.scores], color=COLORS[BASELINE], lw=1.5,
          label=f"along the baseline's run ({N_MAX} calls)")
left.plot(TRUE_TIMES, [on_first[t].mean() for t in TRUE_TIMES], "k+--", ms=9, lw=0.8,
          label=r"first-prediction states $m_t(\hat{x}_{0,1})$")
left.plot(TRUE_TIMES, [on_bridge[t].mean() for t in TRUE_TIMES], "kx-", ms=8, lw=0.8,
          label=r"bridge states $x_t \sim q(x_t \mid x_0, \mu)$")
left.set_ylabel(r"mean PSNR of the prediction $\hat{x}_0$ (dB)")
left.set_xlabel("grid time t of the call (99 = degraded end)")
left.invert_xaxis()
left.set_title("Three kinds of state, one network", fontsize=11)
left.legend(fontsize=9, loc="center right")
plot_intervals(right, range(len(TRUE_TIMES)), [first_minus_run[t] for t in TRUE_TIMES], "k", "+", connect=False)
right.set_xticks(range(len(TRUE_TIMES)), [str(t) for t in TRUE_TIMES])
right.set_xlabel("grid time t of the call (evenly spaced, not to scale)")
right.set_title("Same information, different states:\nfirst-prediction states − the run's own", fontsize=11)
plt.tight_layout()
plt.show()

# %%
late = [t for t in TRUE_TIMES if t <= 50] or list(TRUE_TIMES[-1:])  # FAST: its short run may have no call at t <= 50
late_gap = paired(np.mean([on_first[t] - on_run[t] for t in late], axis=0), photographs)
rows = [[t, f"{on_run[t].mean():.2f}", f"{on_first[t].mean():.2f}", f"{on_bridge[t].mean():.2f}",
         ci(first_minus_run[t])] for t in TRUE_TIMES]
rows.append(["mean over t ≤ 50"] + [f"{np.mean([d[t].mean() for t in late]):.2f}"
                                    for d in (on_run, on_first, on_bridge)] + [ci(late_gap)])
display(Markdown("Mean PSNR (dB) of the prediction at three kinds of state, and the paired difference (dB) with its "
                 "95 % interval.\n\n" + markdown_table(
                     ["t", "the run's own", "first-prediction", "bridge", "first-prediction − run's own"], rows)))

# %% [markdown]
# **The 10 dB gap is information.** Averaged over `t ≤ 50`, the network scores 34.59 dB at bridge states and 24.27 dB
# along the run. Bridge states carry the true `x0`; the run's states carry only what `mu` holds. At first-prediction
# states, which hold the same information as the run's, it scores 24.83 dB: next to the run, far from the bridge.
#
# **The decline comes with the sampler's own states.** Along the run the prediction rises from 24.87 dB at `t = 99`
# to 25.19 dB at `t = 90`, then falls to 23.80 dB at the last call, `t = 0`, which is the output. At first-prediction
# states it stays between 24.75 and 25.19 dB. The difference grows towards the end (right panel). At the last call it is
# +1.13 [+0.19, +2.21] dB, the only one of the 10 intervals that excludes 0; read without correction for the other 9, it
# is suggestive, not established. Averaged over `t ≤ 50` it is +0.56 [−0.30, +1.54] dB, which includes 0.
#
# What the run's states hold beyond `m_t(x0_hat_1)` is its own later predictions, fed back step after step; the
# figure suggests that their errors build up along the run. The 2-evaluation run has no room for this: its one
# interior state, `m_49(x0_hat_1)`, is a first-prediction state.

# %% [markdown]
# ### 2.5 Noise or update rule?
#
# Implicit `eta = 1` and Euler–Maruyama differ from the deterministic settings twice over: fresh noise at every
# step, and their own update rules. To tell the two apart we run them again with the noise off (`z = 0`; same
# network, grid and cost), with `stochastic_run`, which writes the two out with a noise switch. With the noise on it
# must reproduce the library; the cell checks that at `N = 5`, a run that takes every kind of step.

# %%
STOCHASTIC = {"implicit, eta=1": "eta1", "Euler-Maruyama (reverse SDE)": "em"}
noise_off, noise_runs, replay_gap = {}, {}, {}
for label, rule in STOCHASTIC.items():
    replay = stochastic_run(CountingModel(model), bridge, mu, rule, 5, torch.Generator().manual_seed(0))
    replay_gap[label] = float((replay - restored[label, 5]).abs().max())
    print(f"{label}, N = 5, noise on: max |stochastic_run − library| = {replay_gap[label]:.1e}")
    noise_runs[label] = RecordingModel(model, item_psnr)
    noise_off[label] = item_psnr(stochastic_run(noise_runs[label], bridge, mu, rule, N_MAX))
    evaluations += 5 + noise_runs[label].calls
rows = [[label, f"{per_item[label, N_MAX].mean():.2f}", f"{noise_off[label].mean():.2f}",
         ci(paired(noise_off[label] - per_item[label, N_MAX], photographs)),
         ci(paired(noise_off[label] - per_item[BASELINE, N_MAX], photographs))] for label in STOCHASTIC]
display(Markdown(f"Mean PSNR (dB) at N = {N_MAX}, and paired differences (dB) with 95 % intervals.\n\n"
                 + markdown_table(["setting", "noise on", "noise off", "noise off − noise on",
                                   "noise off − baseline"], rows)))

# %% [markdown]
# Switching the noise off changes the mean PSNR by 0.00 dB (implicit `eta = 1`, interval [−0.01, 0.00]) and −0.01 dB
# (Euler–Maruyama, [−0.02, 0.00]). Without their noise both settings stay as far below the baseline as with it:
# −0.61 [−0.97, −0.23] and −0.60 [−0.95, −0.23] dB. Their loss comes with their update rules, not with their noise.
#
# **What each rule keeps.** Hold the prediction fixed, switch the noise off and write the state as its mean path plus
# a deviation, `x_t = m_t(x0_hat) + delta_t`. Each rule carries `delta_t` to `k delta_t` at the next time, with its
# own factor `k`. With `a_t = lam / Sigma_t^2 - coth(u_T - u_t)`, the slope of the velocity `v` in `x`:
#
# * implicit: `k = Sigma_s / Sigma_t` for `eta = 0`, `k = sqrt(Sigma_s^2 - V) / Sigma_t` for `eta = 1`;
# * Euler: `k = 1 - du a_t`; Heun: `k = 1 - du (a_t + a_s) / 2 + du^2 a_t a_s / 2`;
# * Euler–Maruyama: `k = 1 - du (a_t + lam / Sigma_t^2)`, its drift's `lam` term being twice the velocity's.
#
# The **share kept** is the product of the `k` over the interior steps of a run (`deviation_kept`): how much of a
# deviation present at the first interior step is left at the last. For `eta = 0` the product telescopes: on the
# 100-step grid the interior steps run from 98 to 0, so the share is `Sigma_0 / Sigma_98`.

# %%
RULES = {"implicit, eta=0": "eta0", "implicit, eta=1": "eta1", "Euler-Maruyama (reverse SDE)": "em",
         "Euler (PF-ODE)": "euler", "Heun (PF-ODE)": "heun"}
kept_share = {label: deviation_kept(bridge, RULES[label], steps_for(name, N_MAX))
              for label, (name, _) in SAMPLERS.items()}
by_share = sorted(SAMPLERS, key=lambda label: -kept_share[label])
first, last = (int(bridge.schedule.sampling_times(N_MAX)[i]) for i in (1, -2))  # the interior steps: 98 to 0
sigma = {t: float(bridge.coefficients(torch.tensor(t))[2]) for t in (first, last)}
print(f"implicit, eta=0: Sigma_{last} / Sigma_{first} = {sigma[last] / sigma[first]:.1e}")
display(Markdown(f"Share of a deviation kept over the interior steps of the {N_MAX}-evaluation run, against the "
                 f"run's PSNR:\n\n" + markdown_table(
                     ["setting", "sampler steps n", "share kept", f"mean PSNR at N = {N_MAX} (dB)"],
                     [[label, steps_for(SAMPLERS[label][0], N_MAX), f"{kept_share[label]:.1e}",
                       f"{per_item[label, TOP[label]].mean():.2f}"] for label in by_share])))

# %%
fig, ax = plt.subplots(figsize=(9, 4.4))
for label in SAMPLERS:  # the stochastic settings wide and pale, so that their noise-off runs show on top
    run, wide = runs[label, TOP[label]], label in STOCHASTIC
    ax.plot(run.t, [s.mean() for s in run.scores], color=COLORS[label], lw=4 if wide else 1.4,
            alpha=0.4 if wide else 1, label=label, ls="none" if "Heun" in label else "-",
            marker="." if "Heun" in label else "")
for label in STOCHASTIC:
    run = noise_runs[label]
    ax.plot(run.t, [s.mean() for s in run.scores], color=COLORS[label], lw=1.2, ls=(0, (2, 1.5)),
            label=f"{label}, noise off")
ax.invert_xaxis()
ax.set_xlabel("grid time t of the call (99 = degraded end)")
ax.set_ylabel(r"mean PSNR of the prediction $\hat{x}_0$ (dB)")
ax.set_title(f"The prediction at every call of the {N_MAX}-evaluation runs", fontsize=11)
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.tight_layout()
plt.show()

# %% [markdown]
# A rule that keeps little of the deviation (what earlier steps and predictions put in the state) follows each new
# prediction more closely, and section 2.4 showed the predictions getting worse along the run. The shares fall in the
# order Euler (5.6e-02), implicit `eta = 0` (3.8e-02, the `Sigma_0 / Sigma_98` printed above), Heun (1.2e-02), implicit
# `eta = 1` (1.3e-06), Euler–Maruyama (3.1e-07). The PSNRs at 100 evaluations fall in the same order (23.91, 23.80,
# 23.54, 23.19 and 23.21 dB), except for the last two, 0.02 dB apart. In the figure all runs start from the same first
# prediction, those of the two settings that keep least fall fastest, and the dashed noise-off runs lie on the wide pale
# runs with noise. Five settings of one network agree with this explanation; they do not prove it.

# %% [markdown]
# ### 2.6 What we found
#
# * **More evaluations do not help this network**: 2 is not established to beat 1, and past 2 the baseline falls,
#   to −1.12 [−2.16, −0.20] dB at 100 (the interval excludes 0; not established).
# * **At 100 evaluations** Heun is 0.26 dB below the baseline (established); the stochastic settings about 0.6 dB
#   below and Euler 0.11 dB above (intervals that exclude 0; not established). The stochastic settings lose by
#   their update rules, not by their noise.
# * **The error builds up along the run** (suggestive): at states with the run's information but none of its later
#   predictions the prediction stays between 24.75 and 25.19 dB, while the run's falls to 23.80 dB; rules that keep
#   less of a state's past lose more.
# * **For this network only**: 300 training iterations, one seed, 12 photographs.

# %% [markdown]
# ## 3. Convergence orders with a known `x0`
#
# Here an **oracle** replaces the network: it returns the true `x0` at every call, so what is left is each
# integrator's own error against the exact solution of the probability-flow ODE.
#
# The problem uses a continuous bridge: `t` in [0, 1], `t_T = 1` the degraded end and 0 the clean point, with
# `theta = 3` (so `u_t = 3 t`) and a large `lam = 0.3`. The velocity is infinite at both ends, so we integrate from
# `t = 0.9` to `t = 0.1`, starting off the mean path at `x_start = m_t(x0) + Sigma_t pi eps` with a fixed `eps`. With
# a fixed `x0` the flow carries each `eps` along its own path (notebook 02c, section 1), so the exact answer is
# `x_exact = m_t(x0) + Sigma_t pi eps` at `t = 0.1` (`cont.sample(x0, mu, 0.1, noise=eps)`). Everything is in
# float64; the sweep takes seconds, the same in both modes.

# %%
cont = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)  # theta = 3 on [0, 1]: u_t = 3 t
pair = HeldOutBenchmark("derain", items=1, crop=32)[0]
x0_o, mu_o = pair["x0"][None].double(), pair["mu"][None].double()  # one 32x32 window: clean and rainy
eps = torch.randn(x0_o.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
t_start, t_end = 0.9, 0.1
x_start = cont.sample(x0_o, mu_o, t_start, noise=eps)  # off the mean path: max |x_start - m_t(x0)| is printed below
x_exact = cont.sample(x0_o, mu_o, t_end, noise=eps)  # the exact solution: the same eps, carried to t_end


def oracle(x, mu_, t):
    return x0_o


ODE_SOLVERS = {"Euler (PF-ODE)": samplers.sample_euler, "Heun (PF-ODE)": samplers.sample_heun,
               "implicit, eta=0": samplers.sample_implicit}
STEPS = [2 ** i for i in range(1, 11)]  # 2 .. 1024 sampler steps from t_start to t_end
errors = {label: [] for label in ODE_SOLVERS}
for n in STEPS:
    ts = torch.linspace(t_start, t_end, n + 1, dtype=torch.float64)
    for label, solver in ODE_SOLVERS.items():
        x_solved = solver(samplers.Denoiser(oracle, clamp=False), mu_o, cont, ts, x_T=x_start)
        errors[label].append(float((x_solved - x_exact).abs().max()))
print(f"start off the mean path: max |x_start - m_t(x0)| = "
      f"{float((x_start - cont.mean(x0_o, mu_o, t_start)).abs().max()):.3f}")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4.5))
for label in ODE_SOLVERS:
    # the implicit step's error is 0 or rounding (~1e-16); the floor 1e-17 keeps its zeros on the log axis
    ax.loglog(STEPS, np.maximum(errors[label], 1e-17), marker=MARKERS[label], color=COLORS[label], label=label)
n_ref = np.array(STEPS, dtype=float)
ax.loglog(n_ref, 0.3 * errors["Euler (PF-ODE)"][-1] * n_ref[-1] / n_ref, "k--", lw=0.8, label="∝ 1/n (guide)")
ax.loglog(n_ref, 0.3 * errors["Heun (PF-ODE)"][-1] * (n_ref[-1] / n_ref) ** 2, "k:", lw=0.8, label="∝ 1/n² (guide)")
ax.set_xscale("log", base=2)
ax.set_xticks(STEPS, [str(n) for n in STEPS])
ax.minorticks_off()
ax.set_xlabel("sampler steps n from t = 0.9 to t = 0.1")
ax.set_ylabel("max |x_solved − x_exact| ([−1, 1] pixel scale)")
ax.set_title("Probability-flow ODE with an oracle x0: error against steps", fontsize=11)
ax.legend(fontsize=9, loc="center left")
plt.tight_layout()
plt.show()

# %% [markdown]
# The measured order between `n` and `2n` steps is `log2(error(n) / error(2n))`. On the finest pairs:

# %% tags=["nbval-check-output"]
order = {label: [math.log2(a / b) for a, b in zip(errors[label][:-1], errors[label][1:])]
         for label in ("Euler (PF-ODE)", "Heun (PF-ODE)")}
for label in order:
    print(f"{label}: measured order on the three finest pairs {', '.join(f'{p:.1f}' for p in order[label][-3:])}")
print("implicit step exact to 1e-12 for every step count:", max(errors["implicit, eta=0"]) < 1e-12)

# %% [markdown]
# **Why the implicit step is exact here.** For a fixed `x0_hat` the `eta = 0` step *is* the solution of the
# probability-flow ODE from `t` to `s` (notebook 02c, section 1; `docs/theory.md` eq. 8.3): with the oracle every
# step count gives the exact answer, to float64 rounding. Euler and Heun approximate the same flow with errors per
# step of order `du^2` and `du^3`, so their total errors fall as `1/n` and `1/n^2`: the measured orders 1.0 and 2.0.
#
# **What this does not say about section 2.** There the network's `x0_hat` changes with the state, also within a
# step; the implicit step freezes it at the step's start, so with a network it too approximates the flow (a
# first-order exponential integrator) rather than solving it. And this problem stops at `t = 0.1`, while section 2's
# runs go on to the clean point, where `lam / Sigma_t^2` grows without bound: the orders measured here do not
# describe those last steps. Nor do they rank the restorers: at 100 evaluations Euler, the least accurate integrator
# here, ends 0.11 dB above the baseline, and Heun 0.26 dB below it.

# %%
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min; part 2 evaluated the network "
      f"{evaluations} times on a batch of {len(test)}")


# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/08_samplers_and_steps_solutions.ipynb`. These cells need neither the network
# nor the sweep above: each one runs on its own.
#
# **08.1 (implement).** Write `euler_step(bridge, x, x0_hat, mu, t, s)`: one explicit Euler step of the
# probability-flow ODE from time `t` to the earlier time `s` (both 0-d float64 tensors), the rule of section 1.
# Two methods of the bridge give what you need: `bridge.velocity(x, x0_hat, mu, t)` is the velocity `v = dx/du` at the
# state `x` and time `t` (per unit of the clock `u`, not per unit of `t`), and `bridge.schedule.clock(t)` is `u_t`.
# The checker integrates section 3's problem (the bridge with `theta = 3`, `lam = 0.3`, from `t = 0.9` to `t = 0.1`,
# oracle `x0`) with 16, 32 and 64 of your steps and measures the order of convergence against the exact solution.

# %%
from rdbm_course.exercises import check

answer_08_1 = ...  # a function euler_step(bridge, x, x0_hat, mu, t, s) -> x at time s
check("08.1", answer_08_1)

# %% [markdown]
# **08.2 (implement).** Write `heun_step(bridge, model, x, mu, t, s)`: one Heun step of the probability-flow ODE
# from `t` to `s` (section 1), getting `x0_hat` from `model(x, mu, t)` wherever it needs one. The checker uses the
# same problem with an oracle model and expects order 2.

# %%
from rdbm_course.exercises import check

answer_08_2 = ...  # a function heun_step(bridge, model, x, mu, t, s) -> x at time s
check("08.2", answer_08_2)

# %% [markdown]
# **08.3 (predict).** How many network evaluations does Heun (`samplers.sample_heun`) spend with **10 sampler
# steps** on a grid? Use the library's step rules of section 1 (which step is special, and when). The worked
# baseline: (a) RDBM's default grid `rdbm.schedule.sampling_times(10)` (99, 89, …, 9, -1) costs 18, the `2n - 2`
# of section 1: its first step leaves the pinned end and its last lands on the clean point. Now predict:
#
# (b) IR-SDE's grid, `bridges.irsde().schedule.sampling_times(10)`: the times 100, 90, …, 0 of IR-SDE's own
# schedule. IR-SDE is an unpinned mean-reverting process, not a bridge: `irsde.is_terminal(100)` is false (nothing
# is pinned at its start), and its index 0 is its clean point (`irsde.is_clean(0)` is true).
#
# (c) Section 3's bridge `cont` on `torch.linspace(1.0, 0.1, 11)`: from its pinned end `t_T = 1.0` (a time, not an
# index) to the time 0.1, which is not its clean point (the clean point is `t = 0`).
#
# Answer `(b, c)` without running a sampler.

# %%
from rdbm_course.exercises import check

answer_08_3 = ...  # two whole numbers: (b, c)
check("08.3", answer_08_3)

# %% [markdown]
# **08.4 (predict).** Section 1 says that on RDBM's default grid every setting takes its first step out of `t_T`
# with the implicit rule and its last step returns `x0_hat`. The worked baseline: with **2 sampler steps** the five
# settings of section 2 (same seed) produce 2 distinct outputs, bit for bit, for any network: implicit `eta = 0`, Euler
# and Heun take the same two steps, and implicit `eta = 1` and Euler–Maruyama take the same noisy first step. Now
# predict: with **3 sampler steps** (`n = 3`), how many distinct outputs do the five settings produce, for a
# network whose prediction depends on its input? Answer with one whole number, from the update rules of section 1.

# %%
from rdbm_course.exercises import check

answer_08_4 = ...  # a whole number: distinct outputs of the five settings with n = 3
check("08.4", answer_08_4)

# %% [markdown]
# ## Appendix: checks
#
# The collapsed cell below tests the rules of section 1 against the library, and every number and ordering that the
# prose quotes against the outputs above (nbval runs it; the numbers only in full mode).

# %% jupyter={"source_hidden": true}
# Section 1: the counts of the picture and the table, and the update rules as written, against the library
assert grid_nfe == {label: 6 if "Heun" in label else 4 for label in SAMPLERS}
assert all(N == n for label, pairs in nfe_table.items() if "Heun" not in label for n, N in pairs)
assert all(N == (1 if n == 1 else 2 * n - 2) for n, N in nfe_table["Heun (PF-ODE)"])
assert rdbm.lam == 1e-4 and rdbm.schedule.t_T == 99 and rdbm.is_clean(torch.tensor(-1))
g = torch.Generator().manual_seed(0)
x0_c, mu_c, x_c = (torch.rand(1, 3, 2, 2, generator=g, dtype=torch.float64) * 2 - 1 for _ in range(3))
t_c, s_c = torch.tensor(60), torch.tensor(40)
u_t, u_s, u_T = (float(rdbm.schedule.clock(v)) for v in (t_c, s_c, torch.tensor(99)))
Theta = lambda u: math.sinh(u_T - u) / math.sinh(u_T)  # noqa: E731
Sigma2 = lambda u: 2 * rdbm.lam * math.sinh(u) * math.sinh(u_T - u) / math.sinh(u_T)  # noqa: E731
m_t, m_s = mu_c + Theta(u_t) * (x0_c - mu_c), mu_c + Theta(u_s) * (x0_c - mu_c)
V = 2 * rdbm.lam * math.sinh(u_s) * math.sinh(u_t - u_s) / math.sinh(u_t)
assert torch.allclose(m_t, rdbm.mean(x0_c, mu_c, t_c))
assert math.isclose(V, float(rdbm.posterior_coefficients(t_c, s_c)[2]))
assert math.isclose(Sigma2(u_t), float(rdbm.coefficients(t_c)[2]) ** 2)
v = (mu_c - x_c) / math.tanh(u_T - u_t) + rdbm.lam * (x_c - m_t) / Sigma2(u_t)
assert torch.allclose(v, rdbm.velocity(x_c, x0_c, mu_c, t_c))
assert torch.allclose(v + rdbm.lam * (x_c - m_t) / Sigma2(u_t), rdbm.reverse_drift(x_c, x0_c, mu_c, t_c))
for eta in (0.0, 1.0):  # the implicit step with its noise z drawn from the same seed
    z = torch.randn(x_c.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    mine = m_s + math.sqrt(Sigma2(u_s) - eta ** 2 * V) / math.sqrt(Sigma2(u_t)) * (x_c - m_t) \
        + eta * math.sqrt(V) * (x0_c - mu_c) * z
    library = samplers.implicit_step(rdbm, x_c, x0_c, mu_c, t_c, s_c, eta=eta,
                                     generator=torch.Generator().manual_seed(1))
    assert torch.allclose(mine, library)
# Section 2, by construction (section 1), in every mode
assert all(np.array_equal(per_item[label, N], per_item[BASELINE, N]) for N in (1, 2)
           for label in ("Euler (PF-ODE)", "Heun (PF-ODE)"))  # the deterministic settings: identical at N = 1, 2
assert all(versus[label, 1][:3] == (0.0, 0.0, 0.0) for label in OTHERS)  # N = 1: every setting identical
assert np.allclose(baseline_run.scores[-1], per_item[BASELINE, N_MAX])  # the output is the last prediction
assert np.array_equal(baseline_run.scores[0], per_item[BASELINE, 1])  # the first call is N = 1's only call
assert all(gap < 1e-5 for gap in replay_gap.values())  # stochastic_run with its noise on is the library's sampler
assert all(np.allclose(on_first[t], on_run[t]) for t in TRUE_TIMES[:1])  # at t_T both states are mu
assert math.isclose(kept_share[BASELINE], sigma[last] / sigma[first], rel_tol=1e-9)  # the product telescopes
# Section 3: the orders and the implicit step's exactness
assert all(abs(p - 1) < 0.25 for p in order["Euler (PF-ODE)"][-3:])
assert all(abs(p - 2) < 0.25 for p in order["Heun (PF-ODE)"][-3:])
assert max(errors["implicit, eta=0"]) < 1e-12
# Every number of the readings of section 2, against the outputs above (full mode)
if not FAST:
    r2 = lambda x: round(float(x), 2)  # noqa: E731  (a number as the tables print it)
    assert len(test) == 24 and len(set(photographs)) == 12 and r2(input_per_item.mean()) == 21.79
    assert {r2(mean_psnr[label, 1]) for label in SAMPLERS} == {24.87} and {
        r2(mean_psnr[label, 2]) for label in SAMPLERS} == {24.92}
    assert {label: r2(mean_psnr[label, 100]) for label in SAMPLERS} == {
        "implicit, eta=0": 23.80, "implicit, eta=1": 23.19, "Euler-Maruyama (reverse SDE)": 23.21,
        "Euler (PF-ODE)": 23.91, "Heun (PF-ODE)": 23.54}
    assert all(mean_psnr[label, 100] < mean_psnr[label, 2] for label in SAMPLERS)  # every curve ends lower
    assert max(mean_psnr.values()) - min(mean_psnr.values()) < 2  # the y-axis spans under 2 dB
    assert (r2(change[w]), r2(change.mean())) == (-1.20, -1.07)
    # 2.3, the baseline
    assert [ci(steps_gain[key]) for key in ((2, 1), (50, 2), (100, 2))] == [
        "+0.05 [-0.34, +0.42]", "-0.88 [-1.83, -0.05]", "-1.12 [-2.16, -0.20]"]
    curve = [mean_psnr[BASELINE, N] for N in measured[BASELINE] if N >= 2]
    assert all(a > b for a, b in zip(curve, curve[1:]))  # past 2 the mean falls at every N
    assert [verdict(*steps_gain[N, 2]) for N in NFES[2:]] == ["includes 0"] * 3 + ["lower"] * 2
    assert verdict(*steps_gain[2, 1]) == "includes 0"
    assert not any(kept[key] for key in family if key[0] == "baseline")
    # 2.3, the settings
    assert [ci(versus[key]) for key in (("implicit, eta=1", 5), ("implicit, eta=1", 100),
                                        ("Euler-Maruyama (reverse SDE)", 100), ("Euler (PF-ODE)", 100),
                                        ("Heun (PF-ODE)", 4), ("Heun (PF-ODE)", 100))] == [
        "-0.19 [-0.34, -0.05]", "-0.61 [-0.97, -0.23]", "-0.59 [-0.95, -0.22]", "+0.11 [+0.03, +0.20]",
        "-0.09 [-0.19, +0.01]", "-0.26 [-0.38, -0.14]"]
    excludes = {label: [N for N in measured[label] if verdict(*versus[label, N]) != "includes 0"]
                for label in OTHERS}
    assert excludes == {"implicit, eta=1": [5, 10, 20, 50, 100], "Euler-Maruyama (reverse SDE)": [10, 20, 50, 100],
                        "Euler (PF-ODE)": [100], "Heun (PF-ODE)": [10, 20, 50, 100]}
    assert all(versus["Heun (PF-ODE)", N][0] < 0 for N in (10, 20, 50, 100))  # below the baseline
    assert verdict(*versus["Euler (PF-ODE)", 100]) == "higher" and all(
        versus["Euler (PF-ODE)", N][0] < 0 for N in (5, 10))
    assert (len(family), len(excluding), sum(kept.values())) == (28, 16, 3)
    assert [key for key in family if kept[key]] == [("Heun (PF-ODE)", N, N) for N in (10, 50, 100)]
    for key in excluding:  # a difference Holm does not keep has photographs on both sides of 0
        a, b = (BASELINE, key[1]), (BASELINE, key[2])
        if key[0] != "baseline":
            a = (key[0], key[1])
        d = per_item[a] - per_item[b]
        photo_means = [d[[p == name for p in photographs]].mean() for name in dict.fromkeys(photographs)]
        assert kept[key] or (min(photo_means) <= 0 <= max(photo_means))
    # 2.4
    late_mean = {name: r2(np.mean([d[t].mean() for t in late])) for name, d in
                 (("bridge", on_bridge), ("run", on_run), ("first", on_first))}
    assert late_mean == {"bridge": 34.59, "run": 24.27, "first": 24.83}
    assert (r2(on_run[99].mean()), r2(on_run[90].mean()), r2(on_run[0].mean())) == (24.87, 25.19, 23.80)
    assert (min(r2(on_first[t].mean()) for t in TRUE_TIMES), max(r2(on_first[t].mean()) for t in TRUE_TIMES)) == (
        24.75, 25.19)
    assert ci(first_minus_run[0]) == "+1.13 [+0.19, +2.21]" and verdict(*first_minus_run[0]) == "higher"
    assert [t for t in TRUE_TIMES if verdict(*first_minus_run[t]) != "includes 0"] == [0]  # the only one of 10
    assert max(first_minus_run, key=lambda t: first_minus_run[t][0]) == 0  # largest at the end
    assert ci(late_gap) == "+0.56 [-0.30, +1.54]" and verdict(*late_gap) == "includes 0"
    # 2.5
    assert [ci(paired(noise_off[label] - per_item[label, N_MAX], photographs)) for label in STOCHASTIC] == [
        "0.00 [-0.01, 0.00]", "-0.01 [-0.02, 0.00]"]
    assert [ci(paired(noise_off[label] - per_item[BASELINE, N_MAX], photographs)) for label in STOCHASTIC] == [
        "-0.61 [-0.97, -0.23]", "-0.60 [-0.95, -0.23]"]
    assert (first, last) == (98, 0)
    assert by_share == ["Euler (PF-ODE)", "implicit, eta=0", "Heun (PF-ODE)", "implicit, eta=1",
                        "Euler-Maruyama (reverse SDE)"]
    assert [f"{kept_share[label]:.1e}" for label in by_share] == ["5.6e-02", "3.8e-02", "1.2e-02", "1.3e-06", "3.1e-07"]
    psnr_100 = [r2(mean_psnr[label, 100]) for label in by_share]
    assert psnr_100[:3] == sorted(psnr_100[:3], reverse=True) and min(psnr_100[:3]) > max(psnr_100[3:])
    assert round(psnr_100[4] - psnr_100[3], 2) == 0.02
    mean_pred = {label: np.mean([s.mean() for s in runs[label, TOP[label]].scores]) for label in SAMPLERS}
    assert max(mean_pred[label] for label in STOCHASTIC) < min(mean_pred[label] for label in SAMPLERS
                                                               if label not in STOCHASTIC)  # they fall fastest
    assert all(max(abs(a.mean() - b.mean()) for a, b in zip(noise_runs[label].scores, runs[label, N_MAX].scores))
               < 0.1 for label in STOCHASTIC)  # noise off on top of noise on, at the figure's scale
