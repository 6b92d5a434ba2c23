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
# **What you will learn.** How the library's four samplers, in five settings (implicit with `eta = 0` and with
# `eta = 1`, Euler–Maruyama on the reverse SDE, Euler and Heun on the probability-flow ODE) fare as the number of
# network evaluations (NFE) grows on a trained RDBM — here more NFE does not buy quality past 2 — and what part of
# their differences the injected noise explains;
# and, with a known `x0`, the measured orders of convergence of the three integrators of the probability-flow ODE
# (Euler, Heun and the implicit step with `eta = 0`, which has no discretisation error: notebook 02c, section 1).
#
# **Prerequisites.** Notebooks 02b (reverse SDE, PF-ODE), 02c (the implicit step), 06 (training; this
# notebook reuses its deraining network) and 07 (bootstrap intervals over photographs and windows, Holm's
# correction). The p-value fed to Holm is the bootstrap's: 2 × the smaller share of bootstrap means on either side
# of 0 (`rdbm_core.evidence.stats.bootstrap_p_value`).
#
# **Full-mode wall time:** about 11 min with one torch thread (the last code cell prints what this run measured);
# part 2 makes 1,169 network evaluations (939 in the sweep) of a batch of 16 windows. The deraining network is notebook
# 06's, shipped with the course (`rdbm_course.pretrained`); `RETRAIN=1` trains it here first (300 training
# iterations, about 4 minutes). `FAST=1` (CI) uses a tiny network trained for 20 iterations and sweeps fewer NFE: its
# PSNR numbers mean nothing; part 3 is the same in both modes.
#
# Two words for two counts: a **training iteration** is one optimiser update of the network; a **sampler step** is
# one move of a sampler along its time grid (one or two network evaluations).
#
# **Notation** (notebooks 01 and 02a). Two counts are kept apart in code: `n_steps`, the sampler steps, and `nfe`,
# the network evaluations they cost. `mu` is always the degraded image, `x0` the clean one and `pi = x0 - mu` the
# residual. The bridge's marginal at time `t` is `x_t = mu + Theta_t pi + Sigma_t pi eps` with `eps ~ N(0, I)`,
# `Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T)` and `Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / sinh(thbar_T)`;
# `thbar_t` (the clock, `bridge.schedule.clock(t)`) is the integral of the schedule `theta` from 0 to `t`, and
# `thbar_{t:T} = thbar_T - thbar_t` the clock left until the degraded end `T`. Its mean is
# `E[x_t | x0, mu] = mu + Theta_t pi` (`bridge.mean(x0, mu, t)`); `x0_hat` is the network's estimate of `x0`. RDBM
# uses `lam = 1e-4`: its noise is small and scaled by `pi`, so it is weakest where the rainy image is nearly intact.
# On deraining nearly every entry (pixel × channel) differs slightly from the clean one: in the 32x32 window of
# part 3, 2860 of 3072 entries have `pi != 0`, and 930 of those by less than half an 8-bit level: the synthetic
# rain is blended onto the clean photograph in floating point and not quantised to 8-bit levels afterwards.

# %%
import math
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from tqdm.auto import tqdm

from rdbm_core.bridge import bridges, samplers, schedules
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import restore
from rdbm_core.evidence.metrics import psnr
from rdbm_core.evidence.stats import holm
from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.checkpoints import load_trained
from rdbm_core.networks.training import train
from rdbm_course import pretrained
from rdbm_course.samplers_lesson import ci, nfe_axis, paired, sample_stochastic, verdict

FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"  # train notebook 06's deraining network here instead of loading it
# One torch thread: on a machine shared with other processes, a second thread competes with them and can make the
# sampler runs (and, with RETRAIN=1, the training) several times slower. On a machine of your own, delete this line
# to use every core; no result depends on it.
torch.set_num_threads(1)
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RUNS = ROOT / "runs"
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. Counting network evaluations honestly
#
# RDBM's schedule is discrete: its times are the integer indices `t = 99, 98, …, 0` with `t_T = 99` the degraded
# end, and the index `-1` stands for the clean image (its clock `thbar_{-1} = 0`); part 3 uses a continuous schedule
# instead. A sampler's cost is the number of times it calls the network. Rather than trusting a formula, we wrap the
# model in a counter. On the default grid `sampling_times(n)` (n + 1 times from `t_T = 99` down to the clean
# point `-1`) every sampler takes the *first* step out of the pinned end `t_T` with the implicit formula (the bridge
# is pinned there, `x_T = mu`, and the PF-ODE's and reverse SDE's drifts blow up) and the *last* step into the clean
# point returns `x0_hat`. The implicit,
# Euler–Maruyama and Euler samplers call the network once per sampler step; Heun calls it twice on every *interior*
# step (a predictor and a corrector evaluation), so `n` sampler steps cost `2n - 2` evaluations for `n >= 2`.
#
# The name "implicit" (the step of notebook 02c) comes from DDIM's denoising diffusion *implicit* model (a
# non-Markovian generative model), not from implicit integrators: the step is explicit (it needs no equation solved).


# %%
class CountingModel(torch.nn.Module):
    """Wraps ``model(x_t, mu, t)`` and counts its calls (one call = one NFE for the whole batch).

    A ``torch.nn.Module``, so that ``restore`` can inspect it like the network it wraps."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0
        self.parameterization = getattr(model, "parameterization", "x0")

    def forward(self, x_t, mu, t):
        self.calls += 1
        return self.model(x_t, mu, t)


SAMPLERS = {  # label -> (library sampler name, eta); None: the sampler has no eta (restore drops it)
    "implicit, eta=0": ("implicit", 0.0),
    "implicit, eta=1": ("implicit", 1.0),
    "Euler-Maruyama (reverse SDE)": ("euler-maruyama", None),
    "Euler (PF-ODE)": ("euler", None),
    "Heun (PF-ODE)": ("heun", None),
}
COLORS = dict(zip(SAMPLERS, ("C0", "C1", "C2", "C3", "C4")))  # one colour per sampler, in every figure
MARKERS = dict(zip(SAMPLERS, "osD^v"))
rdbm = bridges.rdbm()
assert rdbm.lam == 1e-4 and rdbm.schedule.t_T == 99 and rdbm.is_clean(torch.tensor(-1))  # the notation above


def steps_for(sampler: str, nfe: int) -> int:
    """Sampler steps (``n_steps``) that spend about ``nfe`` evaluations (Heun: 2 per interior step)."""
    return nfe if sampler != "heun" or nfe <= 2 else nfe // 2 + 1


def count_nfe(sampler: str, eta, n_steps: int) -> int:
    """Run the sampler once with a counting dummy network (it returns mu) on a 1-pixel image."""
    counter = CountingModel(lambda x, mu, t: mu)
    mu = torch.zeros(1, 3, 1, 1)
    restore(counter, rdbm, mu, SamplerSpec(sampler, n_steps, eta=eta), torch.Generator().manual_seed(0))
    return counter.calls


# %% tags=["nbval-check-output"]
nfe_table = {label: [(steps_for(s, nfe_target), count_nfe(s, eta, steps_for(s, nfe_target)))
                     for nfe_target in (1, 2, 5, 10, 20, 50, 100)]
             for label, (s, eta) in SAMPLERS.items()}
for label, pairs in nfe_table.items():
    print(f"{label:30s}", "  ".join(f"{n_steps}->{nfe}" for n_steps, nfe in pairs), "  (n_steps->nfe)")
assert all(nfe == n_steps for label, pairs in nfe_table.items() if "Heun" not in label for n_steps, nfe in pairs)
assert all(nfe == (1 if n_steps == 1 else 2 * n_steps - 2) for n_steps, nfe in nfe_table["Heun (PF-ODE)"])

# %% [markdown]
# ## 2. PSNR against NFE on a trained derain model
#
# We take notebook 06's deraining network (`small` U-Net, 64x64 training crops, batch 8, learning rate 5e-4, 300
# training iterations, seed 0; the cell below checks each of these against the weights file and prints them),
# shipped with the course as a weights file; with `RETRAIN=1` the same configuration is trained here (training is
# deterministic, so it is the same network up to the CPU's rounding). Then we restore the first 16 items of the
# fixed held-out benchmark (`data.HeldOutBenchmark`: 64x64 windows, four from each of the four held-out
# photographs) with every sampler at 1 to 100 evaluations. The stochastic samplers (implicit `eta = 1`,
# Euler–Maruyama) use a fixed seed.

# %%
if FAST:  # the fast (smoke) configuration of FAST=1: a tiny network for 20 training iterations
    config = TrainConfig.smoke(task="derain", out=str(RUNS / "nb08_derain_fast"))
else:  # notebook 06's configuration
    config = TrainConfig(task="derain", preset="small", crop=64, batch=8, pool=1024, lr=5e-4, steps=300,
                         unet_norm="group", ckpt_every=0, out=str(RUNS / "nb08_derain"))
if FAST or RETRAIN:
    result = train(config, progress=True)
    checkpoint = result["checkpoint"]
    print(f"trained {result['step']} training iterations in {result['wall_s']:.0f} s "
          f"({result['images_per_s']:.1f} images/s)")
else:
    checkpoint = pretrained.weights_file("nb06_derain")
    print(f"loaded notebook 06's network {checkpoint.name}")
model, bridge, trained = load_trained(checkpoint)  # the network, its bridge (RDBM) and its training configuration
CHECKED = ("preset", "crop", "batch", "pool", "lr", "steps", "seed")
assert all(getattr(trained, key) == getattr(config, key) for key in CHECKED + ("unet_norm",)), \
    "not the configuration stated above"
print("its configuration: " + ", ".join(f"{key} {getattr(trained, key)}" for key in CHECKED)
      .replace("steps", "training iterations"))

test = HeldOutBenchmark("derain", items=4 if FAST else 16, crop=32 if FAST else 64)
names = [test[i]["name"] for i in range(len(test))]  # "photo@top,left"
photographs = [name.split("@")[0] for name in names]
x0 = torch.stack([test[i]["x0"] for i in range(len(test))])
mu = torch.stack([test[i]["mu"] for i in range(len(test))])


def item_psnr(x):
    """PSNR (dB) of every test item of the batch ``x`` against its clean window."""
    return np.array([psnr(x[i], x0[i]) for i in range(len(test))])


input_per_item = item_psnr(mu)
input_psnr = float(input_per_item.mean())
windows = {p: photographs.count(p) for p in dict.fromkeys(photographs)}
print(f"{len(test)} test windows {tuple(x0.shape[2:])}: " + ", ".join(f"{n} of {p}" for p, n in windows.items())
      + f"; PSNR of the rainy input: {input_psnr:.2f} dB")
assert math.isfinite(input_psnr)
assert FAST or list(windows.values()) == [4, 4, 4, 4]


# %%
class RecordingModel(CountingModel):
    """A counter that also records, at every call, the grid time ``t`` and the PSNR of the prediction on every item
    (clamped to [-1, 1], as the samplers clamp ``x0_hat``)."""

    def __init__(self, model):
        super().__init__(model)
        self.t, self.psnr = [], []

    def forward(self, x_t, mu, t):
        x0_hat = super().forward(x_t, mu, t)
        self.t.append(float(t[0]))
        self.psnr.append(item_psnr(x0_hat.clamp(-1, 1)))
        return x0_hat


REFERENCE = "implicit, eta=0"
NFES = (1, 2, 5) if FAST else (1, 2, 5, 10, 20, 50, 100)
N_MAX = NFES[-1]
sweep = {}  # label -> list of (measured NFE, mean PSNR), one per NFE row
per_item = {}  # (label, NFE row) -> PSNR of every test item
restored = {}  # (label, NFE row) -> the restored batch
recorded = {}  # label -> the RecordingModel of its run at N_MAX evaluations
t_sweep = time.perf_counter()
bar = tqdm(total=len(SAMPLERS) * len(NFES), desc="sampler sweep")
for label, (name, eta) in SAMPLERS.items():
    sweep[label] = []
    for nfe_target in NFES:
        counter = RecordingModel(model) if nfe_target == N_MAX else CountingModel(model)
        out = restore(counter, bridge, mu, SamplerSpec(name, steps_for(name, nfe_target), eta=eta),
                      torch.Generator().manual_seed(0))
        restored[(label, nfe_target)], per_item[(label, nfe_target)] = out, item_psnr(out)
        sweep[label].append((counter.calls, float(per_item[(label, nfe_target)].mean())))
        if nfe_target == N_MAX:
            recorded[label] = counter
        bar.update()
bar.close()
evaluations = sum(c for v in sweep.values() for c, _ in v)  # network evaluations of the batch in part 2
print(f"sweep: {evaluations} network evaluations of a batch of {len(test)} in {time.perf_counter() - t_sweep:.0f} s")
# At NFE 1 and 2 the five settings can differ only by the stochastic samplers' noise (section 1): how much?
spread_12 = max(abs(per_item[(label, n)].mean() - per_item[(REFERENCE, n)].mean()) for label in SAMPLERS
                for n in NFES[:2])

fig, ax = plt.subplots(figsize=(7.5, 4.5))
for label, points in sweep.items():
    nfe, score = zip(*points)  # the measured NFE: Heun's NFE-5 row is plotted at 4
    ax.plot(nfe, score, marker=MARKERS[label], color=COLORS[label], label=label)
ax.plot([c for c, _ in sweep[REFERENCE][:2]], [s for _, s in sweep[REFERENCE][:2]], "ks", ms=11, mfc="none",
        label=f"NFE 1 and 2: all five within {spread_12:.3f} dB")
nfe_axis(ax, sorted({c for v in sweep.values() for c, _ in v}))
ax.set_ylabel("mean PSNR on held-out windows (dB)")
ax.set_title("RDBM deraining: quality against cost, per sampler", fontsize=11)
ax.text(0.99, 0.98, f"rainy input: {input_psnr:.2f} dB (below this axis)", transform=ax.transAxes, ha="right",
        va="top", fontsize=9)
ax.legend(fontsize=8, loc="lower left")
plt.tight_layout()
plt.show()

sweep_table = ["| NFE budget | " + " | ".join(SAMPLERS) + " |", "|---:|" + "---:|" * len(SAMPLERS)]
for j, nfe_target in enumerate(NFES):
    cells = [f"{sweep[label][j][1]:.2f}" + ("" if sweep[label][j][0] == nfe_target else f" ({sweep[label][j][0]})")
             for label in SAMPLERS]
    sweep_table.append(f"| {nfe_target} | " + " | ".join(cells) + " |")
display(Markdown("PSNR (dB) of the restoration, mean over the windows; rainy input: "
                 f"{input_psnr:.2f} dB.\n\n" + "\n".join(sweep_table)
                 + "\n\nIn brackets: the measured NFE where it differs from the row's. Heun's sampler steps cost 2 "
                 "evaluations each except the first and the last, so its NFE-5 row spends 4 (3 sampler steps); the "
                 "figures plot it at 4."))

assert all(math.isfinite(s) for v in sweep.values() for _, s in v)
assert all(c == n for label, v in sweep.items() if "Heun" not in label for (c, _), n in zip(v, NFES))
assert all(np.array_equal(per_item[(label, n)], per_item[(REFERENCE, n)]) for n in NFES[:2]
           for label in ("Euler (PF-ODE)", "Heun (PF-ODE)"))  # the deterministic samplers: identical at NFE 1, 2
assert FAST or spread_12 < 0.005  # the stochastic ones: the same to two decimals
assert np.allclose(recorded[REFERENCE].psnr[-1], per_item[(REFERENCE, N_MAX)])  # the output is the last x0_hat
best = max(s for v in sweep.values() for _, s in v)
assert FAST or best > input_psnr, "a trained model should beat the rainy input"

# %% [markdown]
# **What the restorations look like.** One window, restored by the reference sampler (implicit, `eta = 0`) with 1, 2
# and the most evaluations, and by implicit `eta = 1` with the most, beside the rainy input and the clean window. The
# window is chosen by a rule, not by eye: the one whose change from 1 to the most evaluations (reference sampler) is
# closest to the mean change over the 16 windows. What to look at: bright rain streaks remain at every NFE, and with
# the most evaluations the restorations darken the pixels around the streaks (an over-correction that NFE 1 and 2
# show only faintly).

# %%
change = per_item[(REFERENCE, N_MAX)] - per_item[(REFERENCE, 1)]
k = int(np.argmin(np.abs(change - change.mean())))
panels = [("rainy input", mu[k], input_per_item[k], "k"),
          (f"{REFERENCE}, NFE 1", restored[(REFERENCE, 1)][k], per_item[(REFERENCE, 1)][k], COLORS[REFERENCE]),
          (f"{REFERENCE}, NFE 2", restored[(REFERENCE, 2)][k], per_item[(REFERENCE, 2)][k], COLORS[REFERENCE]),
          (f"{REFERENCE}, NFE {N_MAX}", restored[(REFERENCE, N_MAX)][k], per_item[(REFERENCE, N_MAX)][k],
           COLORS[REFERENCE]),
          (f"implicit, eta=1, NFE {N_MAX}", restored[("implicit, eta=1", N_MAX)][k],
           per_item[("implicit, eta=1", N_MAX)][k], COLORS["implicit, eta=1"]),
          ("clean", x0[k], None, "k")]
fig, axes = plt.subplots(1, len(panels), figsize=(12, 2.7))
for ax, (title, image, score, colour) in zip(axes, panels):
    ax.imshow(((image.permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy(), interpolation="nearest")
    ax.set_title(title + ("" if score is None else f"\n{score:.2f} dB"), fontsize=9, color=colour)
    ax.set_axis_off()
fig.suptitle(f"Window {names[k]} (change NFE 1 to {N_MAX}: {change[k]:+.2f} dB; mean over windows "
             f"{change.mean():+.2f} dB)", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Differences with their uncertainty.** Each sampler against the reference (implicit, `eta = 0`) in the same row of
# the sweep (the same number of evaluations, except Heun's NFE-5 row, which spends 4): the mean over the windows of
# the paired PSNR difference, with a 95 % bootstrap interval. The 16 windows are not 16 independent pictures: they
# are four windows from each of four photographs. The interval therefore resamples photographs first, then windows
# within each drawn photograph (`rdbm_core.evidence.stats.hierarchical_bootstrap`, given each window's photograph). It says
# whether *this network* would restore pictures like these — other windows of other photographs of this kind,
# rained on the same way — differently with the two samplers. It is for this one trained network: another training
# seed could move it (notebook 07 resamples seeds). With only four photographs in the outer stage, a percentile
# bootstrap tends to be too narrow: read intervals that barely exclude 0 with caution.

# %%
def nfe_name(label, j):
    """The NFE of row ``j`` of the sweep for ``label``, with the measured one where it differs."""
    n, c = NFES[j], sweep[label][j][0]
    return f"{n}" if c == n else f"{n} (measured {c})"


OTHERS = [label for label in SAMPLERS if label != REFERENCE]
intervals = {(label, n): paired(per_item[(label, n)] - per_item[(REFERENCE, n)], photographs)
             for label in OTHERS for n in NFES}
steps_gain = {n: paired(per_item[(REFERENCE, n)] - per_item[(REFERENCE, 1)], photographs) for n in NFES[1:]}
first_gain = paired(per_item[(REFERENCE, 1)] - input_per_item, photographs)

fig, axes = plt.subplots(2, 2, figsize=(9, 5.8), sharex=True, sharey=True)
for ax, label in zip(axes.flat, OTHERS):
    nfe = [c for c, _ in sweep[label]]  # measured NFE
    m, lo, hi = (np.array([intervals[(label, n)][i] for n in NFES]) for i in range(3))
    ax.errorbar(nfe, m, yerr=[m - lo, hi - m], marker=MARKERS[label], color=COLORS[label], capsize=3, lw=1)
    ax.axhline(0, color="k", lw=0.8)
    nfe_axis(ax, sorted({c for v in sweep.values() for c, _ in v}))
    ax.set_title(f"{label} − {REFERENCE}", fontsize=10, color=COLORS[label])
for ax in axes[0]:
    ax.set_xlabel("")
for ax in axes[:, 0]:
    ax.set_ylabel("PSNR difference (dB)")
fig.suptitle("Paired PSNR difference to the reference sampler, with 95 % intervals (photographs, then windows)",
             fontsize=11)
plt.tight_layout()
plt.show()

sampler_table = ["| sampler − implicit eta=0, NFE budget: | " + " | ".join(f"NFE {n}" for n in NFES) + " |",
                 "|---|" + "---|" * len(NFES)]
for label in OTHERS:
    sampler_table.append(f"| {label} | " + " | ".join(
        ci(intervals[(label, n)]) + ("" if n == c else f" ({c})")
        for n, (c, _) in zip(NFES, sweep[label])) + " |")
gain_table = ["| implicit eta=0, NFE budget: | " + " | ".join(f"NFE {n} − NFE 1" for n in NFES[1:]) + " |",
              "|---|" + "---|" * len(NFES[1:]),
              "| PSNR difference (dB) | " + " | ".join(ci(steps_gain[n]) for n in NFES[1:]) + " |"]
display(Markdown("Each sampler against the reference, row by row:\n\n" + "\n".join(sampler_table)
                 + "\n\nIn brackets after an interval: Heun's measured NFE in its NFE-5 row.\n\n"
                 "The reference sampler against its own first prediction:\n\n" + "\n".join(gain_table)))

# %% [markdown]
# **Reading the sweep.** With 1 evaluation every sampler returns the network's first guess `x0_hat(mu, t_T)`; with 2
# the deterministic samplers are still identical (first step implicit, last step returns `x0_hat`), and the
# stochastic ones differ from them only by RDBM's small noise (`lam = 1e-4`, multiplied by the residual): the first
# figure's legend says by how much. The curves can separate only from the next measured point on (4–5 NFE). A
# difference whose interval contains 0 is *not established* on these pictures, however the means are ordered.
# Comparisons that are identical by construction — every sampler at NFE 1, and Euler and Heun at NFE 2 (the same
# two steps as the reference) — are left out of the family that Holm's correction counts: they cannot differ, so
# counting them would only weaken the correction of the others.

# %%
IDENTICAL = {(label, NFES[0]) for label in OTHERS} | {(label, NFES[1]) for label in ("Euler (PF-ODE)",
                                                                                        "Heun (PF-ODE)")}
assert all(intervals[key][:3] == (0.0, 0.0, 0.0) for key in IDENTICAL)  # identical by construction, as said
family = {"first prediction − rainy input": first_gain,
          **{f"implicit eta=0, NFE {n} − NFE 1": v for n, v in steps_gain.items()},
          **{f"{label} − implicit eta=0 at NFE {nfe_name(label, j)}": intervals[(label, n)]
             for label in OTHERS for j, n in enumerate(NFES) if (label, n) not in IDENTICAL}}
kept = dict(zip(family, holm([v[3] for v in family.values()])))
excluding = [key for key, v in family.items() if verdict(*v) != "not established"]


def holm_note(key):
    """For an interval that excludes 0: whether Holm's correction over the whole family keeps it."""
    return "" if key not in excluding else ("; survives Holm" if kept[key] else "; not after Holm")


said = ["* one evaluation (the network's first prediction) against the rainy input: "
        f"{ci(first_gain)} dB, {verdict(*first_gain)}"
        + holm_note("first prediction − rainy input") + "."]
for n, v in steps_gain.items():
    key = f"implicit eta=0, NFE {n} − NFE 1"
    said.append(f"* implicit eta=0 with {n} evaluations against 1: {ci(v)} dB, "
                f"{verdict(*v)}" + holm_note(key) + ".")
gain_more = [n for n in NFES[2:] if verdict(*steps_gain[n]) == "higher"]
loss_more = [n for n in NFES[2:] if verdict(*steps_gain[n]) == "lower"]
summary = ("* Beyond 2 evaluations, " + (f"the reference sampler improves on its first prediction at NFE "
                                           f"{', '.join(map(str, gain_more))}" if gain_more else
                                           "no improvement of the reference sampler over its first prediction is "
                                           "established")
           + (f"; at NFE {', '.join(map(str, loss_more))} it is *lower* than with one evaluation" if loss_more else
              "; no loss against one evaluation is established either") + ".")
said.append(summary)
for label in OTHERS:
    found = [(j, n) for j, n in enumerate(NFES) if verdict(*intervals[(label, n)]) != "not established"]
    if found:
        said.append(f"* {label}: differs from the reference at NFE " + ", ".join(
            f"{nfe_name(label, j)} ({ci(intervals[(label, n)])} dB"
            + holm_note(f"{label} − implicit eta=0 at NFE {nfe_name(label, j)}") + ")" for j, n in found)
            + "; elsewhere no difference is established.")
    else:
        said.append(f"* {label}: no difference from the reference is established at any NFE.")
said.append(f"\n**Many intervals at once.** Leaving out the {len(IDENTICAL)} comparisons identical by construction, "
            f"the tables and this list read {len(family)} intervals together. At 95 % "
            f"each, about 1 in 20 would exclude 0 by chance even if nothing differed: here about "
            f"{0.05 * len(family):.1f} of them. {len(excluding)} exclude 0. Holm's correction over all {len(family)} "
            f"(family-wise error 5 %, from the bootstrap p-values) keeps {sum(kept.values())}; the ones it does not "
            "keep are the first to doubt.")
display(Markdown("\n".join(said)))

# %% [markdown]
# **Noise or update rule?** Implicit `eta = 1` and Euler–Maruyama differ from the deterministic samplers in two ways
# at once: they add fresh noise at every step, and their update rule is another one. The `eta = 1` step draws from
# the posterior `q(x_s | x_t, x0_hat)`, whose mean keeps less of the state's deviation from the current prediction
# (`sqrt(Sigma_s^2 - V) / Sigma_t` of it, `V` the posterior variance, against `Sigma_s / Sigma_t` for `eta = 0`:
# notebook 02c); Euler–Maruyama follows the reverse SDE's drift, which has twice
# the PF-ODE's score term (notebook 02b). To tell the two apart we run both samplers with the noise switched off
# (`z = 0` at every step: the same network, grid and NFE). The library's samplers have no such switch, so the course
# writes the two samplers out in `rdbm_course.samplers_lesson.sample_stochastic`, with one; the cell checks that with
# the noise switched on it reproduces the library's output at NFE 5. That run already takes every kind of step the
# long runs take (the implicit first step, interior steps, the last step into the clean point), so it checks the loop
# without the cost of another pair of 100-evaluation runs.
#
# What to expect: with `lam = 1e-4` the noise is tiny. A step adds noise of standard deviation at most about
# `0.009 |pi_hat|` (`eta = 1`) or `0.012 |pi_hat|` (Euler–Maruyama) on the 100-step grid (`pi_hat = x0_hat - mu`;
# the cell prints the factors from the bridge): about a hundredth of the residual at each pixel. That switching
# it off changes the output little is therefore predictable; the question is whether the loss goes with it.


# %%
STOCHASTIC = ("implicit, eta=1", "Euler-Maruyama (reverse SDE)")
n_check = NFES[2]
for label in STOCHASTIC:  # the loop with its noise on is the library's sampler
    run = RecordingModel(model)
    replay = sample_stochastic(run, bridge, mu, label == "implicit, eta=1", n_check,
                               generator=torch.Generator().manual_seed(0))
    evaluations += run.calls
    gap = float((replay - restored[(label, n_check)]).abs().max())
    print(f"{label}, NFE {n_check}: the loop with noise against the library's sampler, max |difference| {gap:.1e}")
    assert gap < 1e-5

# How big is the noise a step adds? Its standard deviation is a factor times |pi_hat| = |x0_hat - mu| (the noise
# factor): sqrt(V) for the eta = 1 step (V the posterior variance), sqrt(2 lam du) for an Euler-Maruyama step.
grid = bridge.schedule.sampling_times(N_MAX)
interior = [(t, s) for t, s in zip(grid[:-1], grid[1:]) if not bridge.is_clean(s)]
step_std = {"implicit, eta=1": max(float(bridge.posterior_coefficients(t, s)[2].sqrt()) for t, s in interior),
            "Euler-Maruyama (reverse SDE)": max(
                math.sqrt(2 * bridge.lam * float(bridge.schedule.clock(t) - bridge.schedule.clock(s)))
                for t, s in interior[1:])}  # EM's first step is the implicit one
print(f"per-step noise std with lam = {bridge.lam:g} on the {N_MAX}-step grid, at most: "
      + ", ".join(f"{label} {v:.4f}·|pi_hat|" for label, v in step_std.items()))

noise_off, noise_gap, noise_vs_reference = {}, {}, {}
for label in STOCHASTIC:
    recorded[label + ", noise off"] = RecordingModel(model)
    out = sample_stochastic(recorded[label + ", noise off"], bridge, mu, label == "implicit, eta=1", N_MAX)
    evaluations += recorded[label + ", noise off"].calls
    noise_off[label] = item_psnr(out)
    noise_gap[label] = paired(noise_off[label] - per_item[(label, N_MAX)], photographs)
    noise_vs_reference[label] = paired(noise_off[label] - per_item[(REFERENCE, N_MAX)], photographs)
noise_table = [f"| at NFE {N_MAX} | with noise | noise off | noise off − with noise | noise off − implicit eta=0 |",
               "|---|---:|---:|---|---|"]
for label in STOCHASTIC:
    noise_table.append(f"| {label} | {per_item[(label, N_MAX)].mean():.2f} | {noise_off[label].mean():.2f} | "
                + " | ".join(ci(v) + " " + verdict(*v)
                             for v in (noise_gap[label], noise_vs_reference[label])) + " |")
noise_said = []
for label in STOCHASTIC:
    loss = intervals[(label, N_MAX)]  # with noise - reference
    off, ref = verdict(*noise_gap[label]), verdict(*noise_vs_reference[label])
    noise_bound = max(abs(noise_gap[label][1]), abs(noise_gap[label][2]))  # the most the interval allows the noise
    if verdict(*loss) != "lower":
        line = (f"with noise it is not below the reference at NFE {N_MAX} ({ci(loss)} dB, {verdict(*loss)}): no loss "
                f"to explain; switching the noise off changes it by {ci(noise_gap[label])} dB ({off}).")
    elif ref == "lower" and noise_bound < 0.1 * abs(loss[0]):
        line = (f"switching the noise off changes the PSNR by {ci(noise_gap[label])} dB ({off}); against the "
                f"reference it stays {ci(noise_vs_reference[label])} dB ({ref}), where with noise it was {ci(loss)} "
                f"dB. "
                f"The noise accounts for less than a tenth of the loss (at most {noise_bound:.4f} dB of "
                f"{abs(loss[0]):.2f}); the loss comes with the update rule.")
    elif off == "higher" and ref == "not established":
        line = (f"switching the noise off recovers the loss ({ci(noise_gap[label])} dB), and no difference from the "
                "reference remains: the noise causes it.")
    else:
        line = (f"noise off − with noise is {off}; noise off − reference is {ref}: the measurement does not "
                "separate the noise from the update rule.")
    noise_said.append(f"* {label}: {line}")
display(Markdown(f"PSNR (dB) of the two stochastic samplers at NFE {N_MAX}, with and without their noise; "
                 "paired differences with 95 % intervals (photographs, then windows).\n\n" + "\n".join(noise_table)
                 + "\n\n" + "\n".join(noise_said)))

# %% [markdown]
# **Along the trajectory.** Every evaluation returns a prediction `x0_hat`; with the reference sampler, the output is
# the last one. The runs with the most evaluations recorded its PSNR at every call: the figure plots it against the
# grid time `t` at which the network was called (from `t_T = 99` on the left to 0 on the right, as the sampler
# runs). To see whether the network is worse late in time in general, the left panel also asks it at states of the
# bridge itself, `x_t ~ q(x_t | x0, mu)` (the kind of state it was trained on), at a few of the same times. Those
# states are not a fair match for the sampler's: they are built from the *true* `x0` (with `lam = 1e-4` they are
# almost exactly `mu + Theta_t (x0 - mu)`, from which `x0` can be read back), while the `eta = 0` run starts at `mu`
# and never holds more information than `mu`. So the left panel also asks the network at states built the same way
# from its own first prediction, `mu + Theta_t (x0_hat_1 - mu)` (`x0_hat_1` the NFE-1 output): states on the
# bridge's mean path, carrying no more than `mu` does. The three
# panels have their own y scales (the middle and right share one). In the right panel the dashed noise-off runs lie on
# the wide pale runs with noise (the noise barely changes the output: the table above); in the middle panel Heun's
# dots are its calls (two per interior step). Every run starts from the same first prediction,
# the leftmost point, where all the curves coincide.

# %%
TRUE_TIMES = (99, 90, 75, 50, 30, 20, 10, 5, 2, 0) if not FAST else \
    tuple(int(t) for t in bridge.schedule.sampling_times(N_MAX)[:-1])  # FAST: the times of its short run
on_bridge = {}  # t -> PSNR of x0_hat at a state drawn from the bridge (built from the true x0), per item
on_first = {}  # t -> PSNR of x0_hat at mu + Theta_t (x0_hat_1 - mu) (built from the NFE-1 prediction), per item
x0_hat_1 = restored[(REFERENCE, 1)]  # the network's first prediction, from mu alone
g_true = torch.Generator().manual_seed(1)
with torch.no_grad():
    for t in TRUE_TIMES:
        x_t = bridge.sample(x0, mu, torch.tensor(t), generator=g_true)
        on_bridge[t] = item_psnr(samplers.Denoiser(model)(x_t, mu, bridge, torch.tensor(t)))
        x_first = bridge.mean(x0_hat_1, mu, torch.tensor(t))
        on_first[t] = item_psnr(samplers.Denoiser(model)(x_first, mu, bridge, torch.tensor(t)))
evaluations += 2 * len(TRUE_TIMES)

reference_run = recorded[REFERENCE]
ref_at = dict(zip(reference_run.t, np.mean(reference_run.psnr, axis=1)))  # one call per grid time (eta = 0)
assert len(ref_at) == len(reference_run.t)


def plot_run(ax, key, style="-"):
    """The mean PSNR of ``key``'s prediction at each call; noise-off runs thin and dashed, over wide pale lines for the
    runs with noise, so that both show where they coincide."""
    run = recorded[key]
    wide = style == "-" and key in STOCHASTIC
    ax.plot(run.t, np.mean(run.psnr, axis=1), ls=style or "none", marker="" if style else ".", ms=4,
            lw=3.5 if wide else 1.3, alpha=0.45 if wide else 1.0, color=COLORS[key.replace(", noise off", "")],
            label=f"{SHORT.get(key, key)} ({run.calls} NFE)")


SHORT = {"Euler-Maruyama (reverse SDE)": "EM", "Euler-Maruyama (reverse SDE), noise off": "EM, noise off"}


fig = plt.figure(figsize=(15, 4.3))
left = fig.add_subplot(1, 3, 1)
middle = fig.add_subplot(1, 3, 2)
right = fig.add_subplot(1, 3, 3, sharey=middle)
plot_run(left, REFERENCE)
left.plot(list(on_bridge), [v.mean() for v in on_bridge.values()], "kx-", lw=0.8, ms=7,
          label="at bridge states from the true x0")
left.plot(list(on_first), [v.mean() for v in on_first.values()], "k+--", lw=0.8, ms=8,
          label="at mu + Theta_t (x0_hat_1 - mu)")
left.set_title("The network: sampler's states or others", fontsize=10)
for key, style in ((REFERENCE, "-"), ("Euler (PF-ODE)", "-"), ("Heun (PF-ODE)", "")):
    plot_run(middle, key, style)
middle.set_title("Along the deterministic samplers' runs", fontsize=10)
for key, style in ((REFERENCE, "-"), ("implicit, eta=1", "-"), ("Euler-Maruyama (reverse SDE)", "-"),
                   ("implicit, eta=1, noise off", "--"), ("Euler-Maruyama (reverse SDE), noise off", "--")):
    plot_run(right, key, style)
right.set_title("Along the stochastic samplers' runs, noise on and off", fontsize=10)
for ax in (left, middle, right):
    ax.set_xlabel("grid time t of the call (99 = degraded end)")
    ax.invert_xaxis()
    ax.set_ylabel("mean PSNR of x0_hat (dB)")
    if ax is not right:
        ax.legend(fontsize=8, loc="center right" if ax is left else "lower left")
right.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.suptitle("The network's prediction at every call of the runs with the most evaluations", fontsize=11)
plt.tight_layout()
plt.show()

t_best = max(ref_at, key=ref_at.get)
late = [t for t in TRUE_TIMES if t < 99 and t in ref_at]
better_on_bridge = [t for t in late if on_bridge[t].mean() > ref_at[t]]
trajectory_text = (f"Along the reference run with {N_MAX} evaluations, the prediction scores {ref_at[99.0]:.2f} dB at "
        f"`t_T = 99`, {ref_at[t_best]:.2f} dB at its best (`t = {t_best:.0f}`) and {ref_at[min(ref_at)]:.2f} dB at "
        f"the last call (`t = {min(ref_at):.0f}`), which is the output. At states drawn from the bridge, the same "
        f"network scores " + ", ".join(f"{on_bridge[t].mean():.2f} dB at `t = {t}`" for t in late)
        + f": higher than along the sampler's run at {len(better_on_bridge)} of these {len(late)} times. At states "
        f"built from its first prediction, `mu + Theta_t (x0_hat_1 - mu)`, it scores "
        + ", ".join(f"{on_first[t].mean():.2f} dB at `t = {t}`" for t in late) + ".")
display(Markdown(trajectory_text))
assert np.array_equal(reference_run.psnr[0], per_item[(REFERENCE, 1)])  # the first call is NFE 1's only call

# %%
gain_2 = sweep[REFERENCE][1][1] - sweep[REFERENCE][0][1]  # reference sampler: NFE 2 against NFE 1
best_nfe = max(NFES, key=lambda n: per_item[(REFERENCE, n)].mean())
stochastic_loss = {label: intervals[(label, N_MAX)][0] for label in STOCHASTIC}
late_50 = [t for t in late if t <= 50] or late[-1:]  # FAST: its short run may have no call at t <= 50
bridge_late = float(np.mean([on_bridge[t].mean() for t in late_50]))  # states of the bridge
run_late = float(np.mean([ref_at[t] for t in late_50]))  # the reference run at the same times
first_late = float(np.mean([on_first[t].mean() for t in late_50]))  # states built from the NFE-1 prediction
print(f"reference sampler: best at NFE {best_nfe}; NFE 2 - NFE 1 = {gain_2:+.2f} dB; improvement past 2 "
      f"established at {gain_more or 'no NFE'}")
print("with noise - reference at NFE", N_MAX, {k: round(v, 2) for k, v in stochastic_loss.items()},
      "; noise off - with noise:", {k: ci(v) for k, v in noise_gap.items()})
print(f"network at t <= 50: {bridge_late:.1f} dB on bridge states from the true x0, {run_late:.1f} dB along its own "
      f"run, {first_late:.1f} dB on states mu + Theta_t (x0_hat_1 - mu) from its first prediction")
# The fair comparison: which of the two does the network at states holding only mu's information resemble?
fair = ("like along its own run: the gap to the bridge states is the true x0's information, not the sampler's states"
        if abs(first_late - run_late) < abs(first_late - bridge_late) else
        "like at the bridge states: the sampler's own states, not the missing information, cost it most")
display(Markdown(f"At `t <= 50`, on states built from its first prediction the network scores {first_late:.1f} dB, "
                 f"closer to its run ({run_late:.1f} dB) than to the bridge states ({bridge_late:.1f} dB)"
                 if "own run" in fair else
                 f"At `t <= 50`, on states built from its first prediction the network scores {first_late:.1f} dB, "
                 f"closer to the bridge states ({bridge_late:.1f} dB) than to its run ({run_late:.1f} dB)"))
print("it behaves", fair)
assert math.isfinite(first_late)
assert FAST or (best_nfe == 2 and not gain_more and verdict(*steps_gain[2]) == "higher")
assert FAST or all(a > b for (_, a), (_, b) in zip(sweep[REFERENCE][1:], sweep[REFERENCE][2:]))  # falls past 2
assert FAST or all(-0.95 < v < -0.75 for v in stochastic_loss.values())
assert FAST or all(verdict(*v) == "not established" for v in noise_gap.values())
assert FAST or (35 < bridge_late < 37 and 25 < run_late < 27)

# %% [markdown]
# **What we found** (the numbers printed just above).
#
# * **More NFE does not help this network.** The reference sampler is best at NFE 2 (about +0.3 dB over its first
#   prediction, an established gain); no improvement past 2 evaluations is established, and its mean falls from there.
# * **The stochastic samplers' loss comes from their update rule, not their noise.** At NFE 100 implicit `eta = 1`
#   and Euler–Maruyama are about 0.85 dB below the reference; with their noise switched off they lose the same.
# * **The network is not worse late in time in general — but the 36 dB against 26 dB is no fair comparison.** On
#   states drawn from the bridge the network predicts `x0` at about 36 dB (for `t <= 50`); along its own run, at the
#   same times, at about 26 dB. That is all the left panel's crosses show: the network can predict well late in time.
#   The gap itself mostly measures information, not the sampler's states: bridge states are built from the true `x0`
#   (with `lam = 1e-4` almost exactly `mu + Theta_t (x0 - mu)`, so `x0` can be read back from them), while the
#   `eta = 0` run starts at `mu` and holds no more information than `mu`. The fair test asks the network at states
#   built the same way from its own first prediction, `mu + Theta_t (x0_hat_1 - mu)`, at the same times: the third
#   number printed above and the sentence under it say which of the two it resembles: in the full run about 26.5 dB,
#   next to the run's 26 dB and far from 36. The gap is the true `x0`'s information; nothing here says the sampler's
#   own states are off the network's training distribution. The integrators themselves are compared on a problem with
#   a known answer in part 3.
#
# Part 3 measures the integrators on another problem: a continuous bridge with `lam = 0.3`, from `t = 0.9` to `0.1`,
# away from both ends where the PF-ODE is stiff. It gives their orders of convergence there, not the size of their
# errors on RDBM's grid: where Euler lies above the reference at many evaluations in part 2, that is no sign of a
# better integrator (part 3 measures it as the least accurate of the three).

# %% [markdown]
# ## 3. Convergence orders with a known `x0`
#
# **The bridge, recalled** (the notation at the top): `x_t = mu + Theta_t pi + Sigma_t pi eps`, `pi = x0 - mu`, with
# `Theta_t = sinh(thbar_{t:T}) / sinh(thbar_T)`, `Sigma_t^2 = 2 lam sinh(thbar_t) sinh(thbar_{t:T}) / sinh(thbar_T)`
# and the mean `E[x_t | x0, mu] = mu + Theta_t pi`; the first code cell below checks these formulas against the
# library.
#
# Part 3 uses a **continuous** schedule: `t` is a real number in `[0, T]`, `T = 1` the degraded end and 0 the clean
# one (not RDBM's integer indices of part 1). To separate the *integrator's* error from the *network's*, we replace
# the network by an oracle that returns the true `x0`. On this schedule (`theta = 3`, so `thbar_t = 3 t` and
# `thbar_T = 3`) with a large `lam = 0.3` (a strongly stochastic bridge), we start off the mean at `t_start = 0.9`:
# `x_start = mu + Theta_{t_start} pi + Sigma_{t_start} pi eps` with a fixed `eps`, and integrate the PF-ODE to
# `t_end = 0.1`. For a fixed `x0` the PF-ODE carries each noise value `eps` along its own trajectory (notebook 02c,
# section 1), so the exact solution is `x_exact = mu + Theta_{t_end} pi + Sigma_{t_end} pi eps`, which is
# `cont.sample(x0, mu, t_end, noise=eps)`. The sweep is cheap and identical in fast mode. Everything is in float64, so
# the errors are not hidden by rounding.

# %%
cont = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)  # the continuous bridge of part 3
t_mid = torch.tensor(0.4, dtype=torch.float64)  # the recap's formulas, checked against the library at one time
u, u_left = cont.schedule.clock(t_mid), 3.0 - cont.schedule.clock(t_mid)  # the clock u = thbar_t and thbar_{t:T}
Theta_mid, _, Sigma_mid = cont.coefficients(t_mid)
assert math.isclose(float(u), 3 * 0.4) and math.isclose(cont.schedule.u_T, 3.0)
assert math.isclose(float(Theta_mid), math.sinh(u_left) / math.sinh(3.0))
assert math.isclose(float(Sigma_mid) ** 2, 2 * 0.3 * math.sinh(u) * math.sinh(u_left) / math.sinh(3.0))

pair = HeldOutBenchmark("derain", items=1, crop=32)[0]
x0_o, mu_o = pair["x0"][None].double(), pair["mu"][None].double()  # one 32x32 window: clean and rainy
eps = torch.randn(x0_o.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
t_start, t_end = 0.9, 0.1
x_start = cont.sample(x0_o, mu_o, t_start, noise=eps)
x_exact = cont.sample(x0_o, mu_o, t_end, noise=eps)


def oracle(x, mu_, t):
    return x0_o


ODE_SOLVERS = {"Euler": samplers.sample_euler, "Heun": samplers.sample_heun,
               "implicit (eta=0)": samplers.sample_implicit}
SOLVER_COLORS = {"Euler": COLORS["Euler (PF-ODE)"], "Heun": COLORS["Heun (PF-ODE)"],
                 "implicit (eta=0)": COLORS["implicit, eta=0"]}
STEPS = [2 ** k for k in range(1, 11)]  # 2 .. 1024 sampler steps over [t_end, t_start]
errors = {name: [] for name in ODE_SOLVERS}
for n in STEPS:
    ts = torch.linspace(t_start, t_end, n + 1, dtype=torch.float64)
    for name, solver in ODE_SOLVERS.items():
        x_solved = solver(samplers.Denoiser(oracle, clamp=False), mu_o, cont, ts, x_T=x_start)
        errors[name].append(float((x_solved - x_exact).abs().max()))
off_mean = float((x_start - cont.mean(x0_o, mu_o, t_start)).abs().max())
half_level = 1 / 255  # half an 8-bit level on the [-1, 1] scale (one level is 2 / 255)
print(f"start: max |x_start - E[x_start]| = {off_mean:.3f} (off the mean); {int((x0_o != mu_o).sum())} of "
      f"{x0_o.numel()} entries (pixel × channel) have pi != 0 (the notation at the top), "
      f"{int(((x0_o - mu_o).abs() > half_level).sum())} have |pi| above half an 8-bit level")
assert off_mean > 0.01

fig, ax = plt.subplots(figsize=(6.5, 4.5))
for name, marker in zip(ODE_SOLVERS, "^vo"):
    # the implicit step's error is 0 or rounding (~1e-16); the floor 1e-17 keeps its zeros on the log axis
    ax.loglog(STEPS, np.maximum(errors[name], 1e-17), marker=marker, color=SOLVER_COLORS[name], label=name)
n_ref = np.array(STEPS, dtype=float)
ax.loglog(n_ref, 0.3 * errors["Euler"][-1] * n_ref[-1] / n_ref, "k--", lw=0.8, label="∝ n⁻¹ (guide)")
ax.loglog(n_ref, 0.3 * errors["Heun"][-1] * (n_ref[-1] / n_ref) ** 2, "k:", lw=0.8, label="∝ n⁻² (guide)")
ax.set_xscale("log", base=2)
ax.set_xticks(STEPS, [str(n) for n in STEPS])
ax.minorticks_off()
ax.set_xlabel("sampler steps n from t_start = 0.9 to t_end = 0.1")
ax.set_ylabel("max |x_solved - x_exact| (pixel units, [-1, 1] scale)")
ax.set_title("PF-ODE with an oracle x0: error against sampler steps", fontsize=11)
ax.legend(fontsize=8, loc="center left")
plt.tight_layout()
plt.show()

# %% [markdown]
# The measured order between two step counts `n` and `2n` is `log2(error(n) / error(2n))`. On the finest pairs:

# %% tags=["nbval-check-output"]
order = {name: [math.log2(a / b) for a, b in zip(errors[name][:-1], errors[name][1:])] for name in ("Euler", "Heun")}
for name in order:
    print(f"{name}: measured order on the three finest pairs {', '.join(f'{p:.1f}' for p in order[name][-3:])}")
print("implicit step exact to 1e-12 for every step count:", max(errors["implicit (eta=0)"]) < 1e-12)
assert all(abs(p - 1) < 0.25 for p in order["Euler"][-3:])
assert all(abs(p - 2) < 0.25 for p in order["Heun"][-3:])
assert max(errors["implicit (eta=0)"]) < 1e-12

# %% [markdown]
# **Why the implicit step is exact.** Notebook 02c (section 1; `docs/theory.md` eq. 8.3) showed that, with
# `x0_hat` held fixed, the `eta = 0` step *is* the solution of the PF-ODE from `t` to `s`, not an approximation of
# it. The measurement above is that statement in numbers: with a perfect `x0_hat` every step count gives the exact
# answer to float64 rounding, while Euler and Heun approximate the same flow with local errors of order `du^2` and
# `du^3` (`du` the step in the clock `u = thbar_t`). With a real network the only error left in the implicit sampler
# is that `x0_hat` changes from step to step — the model's error, not the integrator's. DDIM's step for ordinary
# diffusion models is exact in the same sense: with its noise prediction held fixed, it solves their PF-ODE exactly.
# (Section 1 said where the name "implicit" comes from: the step is explicit, and exact.)

# %%
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min; part 2 evaluated the network "
      f"{evaluations} times on a batch of {len(test)}")
assert FAST or evaluations == 1169  # the count the introduction states

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/08_samplers_and_steps_solutions.ipynb`. These cells need neither the network
# nor the sweep above: each one runs on its own.
#
# **08.1 (implement).** Write `euler_step(bridge, x, x0_hat, mu, t, s)`: one explicit Euler step of the PF-ODE
# from time `t` to the earlier time `s` (both 0-d float64 tensors). Two methods of the bridge give what you need:
# `bridge.velocity(x, x0_hat, mu, t)` is the PF-ODE's velocity `dx/du` at the state `x` and time `t` with the clean
# image replaced by `x0_hat` (per unit of the clock `u = thbar_t`, not per unit of `t`), and
# `bridge.schedule.clock(t)` is `thbar_t`. The checker integrates part 3's problem (the bridge with `theta = 3`,
# `lam = 0.3`, from `t_start = 0.9` to `t_end = 0.1`, oracle `x0`) with 16, 32 and 64 of your steps and measures
# the order of convergence against the exact solution.

# %%
from rdbm_course.exercises import check

answer_08_1 = ...  # a function euler_step(bridge, x, x0_hat, mu, t, s) -> x at time s
check("08.1", answer_08_1)

# %% [markdown]
# **08.2 (implement).** Write `heun_step(bridge, model, x, mu, t, s)`: one Heun step of the PF-ODE from `t` to
# `s`, getting `x0_hat` from `model(x, mu, t)` wherever it needs one. The checker uses the same problem with an
# oracle model and expects order 2.

# %%
from rdbm_course.exercises import check

answer_08_2 = ...  # a function heun_step(bridge, model, x, mu, t, s) -> x at time s
check("08.2", answer_08_2)

# %% [markdown]
# **08.3 (predict).** How many network evaluations does `samplers.sample_heun` spend with **10 sampler steps** on a
# grid? The worked baseline: (a) RDBM's default grid `rdbm.schedule.sampling_times(10)` costs 18 (section 1's
# `2n - 2`: its first step leaves the pinned `t_T` and its last lands on the clean point). Now predict
# (b) IR-SDE, `bridges.irsde()` with `.schedule.sampling_times(10)` (from its terminal index 100 to its clean
# index 0; IR-SDE's own indices, not RDBM's). IR-SDE is an unpinned mean-reverting SDE, not a bridge: it is not
# pinned at its terminal index (`is_terminal` is false there), so `_solve` does not treat its first step like
# RDBM's pinned `t_T`. And
# (c) part 3's bridge `cont` on `torch.linspace(1.0, 0.1, 11)`: from its pinned terminal time 1.0 (a time, not
# an index) to the time 0.1.
# Read `_solve` and `sample_heun` in `rdbm_core/bridge/samplers.py`, then answer `(b, c)` without running a sampler.

# %%
from rdbm_course.exercises import check

answer_08_3 = ...  # two whole numbers: (b, c)
check("08.3", answer_08_3)

# %% [markdown]
# **08.4 (predict).** Section 1 says that on RDBM's default grid every sampler takes its first step out of `t_T`
# with the implicit formula and its last step returns `x0_hat`. The worked baseline: with **2 sampler steps** the five
# settings of part 2 (same seed) produce 2 distinct outputs, bit for bit, for any network: implicit `eta = 0`, Euler
# and Heun take the same two steps, and implicit `eta = 1` and Euler–Maruyama take the same noisy first step. Now
# predict: with **3 sampler steps** (`n_steps = 3`), how many distinct outputs do the five settings produce, for a
# network whose prediction depends on its input? Answer with one whole number, from the step rules alone.

# %%
from rdbm_course.exercises import check

answer_08_4 = ...  # a whole number: distinct outputs of the five settings with n_steps = 3
check("08.4", answer_08_4)
