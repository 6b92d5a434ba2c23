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
# `eta = 1`, Euler–Maruyama on the reverse SDE, Euler and Heun on the probability-flow ODE), trade network
# evaluations (NFE) for quality on a trained RDBM; and, with a known `x0`, their measured orders of convergence —
# including the implicit step's, which has no discretisation error (notebook 02c, section 1).
#
# **Prerequisites.** Notebooks 02b (reverse SDE, PF-ODE), 02c (the implicit step) and 06 (training; this
# notebook reuses its deraining network).
#
# **Full-mode wall time: about 8 minutes on a 2-core CPU with no other load** (one torch thread; 7.6 min on
# 2026-11-30), almost all of it the sampler sweep of part 2 (939 network evaluations of a batch of 16 items); the
# committed run took 15.6 min on 2026-12-07 because other jobs shared the machine. The deraining network is notebook 06's, shipped with
# the course (`rdbm_course.pretrained`); `RETRAIN=1` trains it here first (300 steps, about 4 minutes). `FAST=1`
# (CI) uses a tiny network trained for 20 steps and sweeps fewer NFE: its PSNR numbers mean nothing; part 3 is
# the same in both modes.

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

from rdbm_core import bridges, samplers, schedules
from rdbm_core.data import HeldOutBenchmark
from rdbm_core.evaluation import restore
from rdbm_core.metrics import psnr
from rdbm_core.stats import two_stage_bootstrap
from rdbm_core.training import TrainConfig, load_trained, train
from rdbm_course import pretrained

FAST = os.environ.get("FAST") == "1"
RETRAIN = os.environ.get("RETRAIN") == "1"  # train notebook 06's deraining network here instead of loading it
# One torch thread: on a machine shared with other processes, a second thread competes with them and can make
# training several times slower. On a machine of your own, delete
# this line to use every core; training runs a fixed number of steps, so the results do not depend on it.
torch.set_num_threads(1)
ROOT = Path.cwd() if (Path.cwd() / "rdbm_core").is_dir() else Path.cwd().parent
RUNS = ROOT / "runs"
NOTEBOOK_START = time.perf_counter()

# %% [markdown]
# ## 1. Counting network evaluations honestly
#
# A sampler's cost is the number of times it calls the network. Rather than trusting a formula, we wrap the
# model in a counter. On the reference grid `sampling_times(n)` (n + 1 times from `t_T = 99` down to the clean
# point `-1`) every sampler takes the *first* step out of `t_T` with the implicit formula (the PF-ODE and the
# reverse SDE are singular at `t_T`) and the *last* step into the clean point returns `x0_hat`. The implicit,
# Euler–Maruyama and Euler samplers call the network once per step; Heun calls it twice on every *interior*
# step (a predictor and a corrector evaluation), so `n` steps cost `2n - 2` evaluations for `n >= 2`.


# %%
class CountingModel:
    """Wraps ``model(x_t, mu, t)`` and counts its calls (one call = one NFE for the whole batch)."""

    def __init__(self, model):
        self.model, self.calls = model, 0

    def __call__(self, x_t, mu, t):
        self.calls += 1
        return self.model(x_t, mu, t)


SAMPLERS = {  # label -> (library sampler name, eta)
    "implicit, eta=0": ("implicit", 0.0),
    "implicit, eta=1": ("implicit", 1.0),
    "Euler-Maruyama (reverse SDE)": ("euler-maruyama", 0.0),
    "Euler (PF-ODE)": ("euler", 0.0),
    "Heun (PF-ODE)": ("heun", 0.0),
}
rdbm = bridges.rdbm()


def steps_for(sampler: str, nfe: int) -> int:
    """Grid steps that spend about ``nfe`` evaluations (Heun: 2 per interior step)."""
    return nfe if sampler != "heun" or nfe <= 2 else nfe // 2 + 1


def count_nfe(sampler: str, eta: float, steps: int) -> int:
    """Run the sampler once with a counting dummy network (it returns mu) on a 1-pixel image."""
    counter = CountingModel(lambda x, mu, t: mu)
    mu = torch.zeros(1, 3, 1, 1)
    restore(counter, rdbm, mu, steps=steps, sampler=sampler, eta=eta, generator=torch.Generator().manual_seed(0))
    return counter.calls


# %% tags=["nbval-check-output"]
nfe_table = {label: [(steps_for(s, n), count_nfe(s, eta, steps_for(s, n))) for n in (1, 2, 5, 10, 20, 50, 100)]
             for label, (s, eta) in SAMPLERS.items()}
for label, pairs in nfe_table.items():
    print(f"{label:30s}", "  ".join(f"{st}->{nfe}" for st, nfe in pairs), "  (steps->NFE)")
assert all(nfe == st for label, pairs in nfe_table.items() if "Heun" not in label for st, nfe in pairs)
assert all(nfe == (1 if st == 1 else 2 * st - 2) for st, nfe in nfe_table["Heun (PF-ODE)"])

# %% [markdown]
# ## 2. PSNR against NFE on a trained derain model
#
# We take notebook 06's deraining network (`small` U-Net, 64x64 crops, batch 8, learning rate 5e-4, 300 steps,
# seed 0), shipped with the course as a weights file; with `RETRAIN=1` the same configuration is trained here
# (training is deterministic, so it is the same network up to the CPU's rounding). Then we restore the
# first 16 items of the fixed held-out benchmark (`data.HeldOutBenchmark`: 64x64 windows, four of each held-out
# photograph) with every sampler at 1 to 100 evaluations. The stochastic samplers (implicit `eta = 1`,
# Euler–Maruyama) use a fixed seed. Every sampler restores the same items with the same network, so samplers
# are compared by the paired difference on each item, with a 95 % bootstrap interval over the items.

# %%
if FAST:  # the fast (smoke) configuration of FAST=1: a tiny network for 20 steps
    config = TrainConfig.smoke(task="derain", out=str(RUNS / "nb08_derain_fast"))
else:  # notebook 06's configuration
    config = TrainConfig(task="derain", preset="small", crop=64, batch=8, pool=1024, lr=5e-4, steps=300,
                         ckpt_every=0, out=str(RUNS / "nb08_derain"))
if FAST or RETRAIN:
    result = train(config, progress=True)
    checkpoint = result["checkpoint"]
    print(f"trained {result['step']} steps in {result['wall_s']:.0f} s ({result['images_per_s']:.1f} images/s)")
else:
    checkpoint = pretrained.weights_file("nb06_derain")
    print(f"loaded notebook 06's network {checkpoint.name} ({pretrained.record('nb06_derain')['steps']} steps)")
model, path, shipped = load_trained(checkpoint)
assert shipped.preset == config.preset and shipped.steps == config.steps and shipped.lr == config.lr

test = HeldOutBenchmark("derain", items=4 if FAST else 16, crop=32 if FAST else 64)
x0 = torch.stack([test[i]["x0"] for i in range(len(test))])
mu = torch.stack([test[i]["mu"] for i in range(len(test))])
input_psnr = float(np.mean([psnr(mu[i], x0[i]) for i in range(len(test))]))  # per item again in part 2
print(f"{len(test)} test crops {tuple(x0.shape[2:])}, PSNR of the rainy input: {input_psnr:.2f} dB")
assert math.isfinite(input_psnr)

# %%
NFES = (1, 2, 5) if FAST else (1, 2, 5, 10, 20, 50, 100)
sweep = {}  # label -> list of (measured NFE, mean PSNR)
per_item = {}  # (label, NFE) -> PSNR of every test item
t_sweep = time.perf_counter()
bar = tqdm(total=len(SAMPLERS) * len(NFES), desc="sampler sweep")
for label, (name, eta) in SAMPLERS.items():
    sweep[label] = []
    for n in NFES:
        counter = CountingModel(model)
        out = restore(counter, path, mu, steps=steps_for(name, n), sampler=name, eta=eta,
                      generator=torch.Generator().manual_seed(0))
        per_item[(label, n)] = np.array([psnr(out[i], x0[i]) for i in range(len(test))])
        sweep[label].append((counter.calls, float(per_item[(label, n)].mean())))
        bar.update()
bar.close()
print(f"sweep: {sum(c for v in sweep.values() for c, _ in v)} network evaluations of a batch of {len(test)} "
      f"in {time.perf_counter() - t_sweep:.0f} s")

fig, ax = plt.subplots(figsize=(7.5, 4.5))
markers = dict(zip(SAMPLERS, "osD^v"))
for label, points in sweep.items():
    nfe, score = zip(*points)
    ax.plot(nfe, score, marker=markers[label], label=label)
ax.axhline(input_psnr, color="k", ls=":", label="rainy input")
ax.set_xscale("log")
ax.set_xlabel("network evaluations (NFE)")
ax.set_ylabel("PSNR on held-out crops (dB)")
ax.set_title("RDBM deraining: quality against cost, per sampler")
ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

rows = ["| NFE | " + " | ".join(SAMPLERS) + " |", "|---:|" + "---:|" * len(SAMPLERS)]
for j, n in enumerate(NFES):
    cells = [f"{sweep[label][j][1]:.2f}" + ("" if sweep[label][j][0] == n else f" ({sweep[label][j][0]})")
             for label in SAMPLERS]
    rows.append(f"| {n} | " + " | ".join(cells) + " |")
display(Markdown("PSNR (dB) of the restoration; input: "
                 f"{input_psnr:.2f} dB. In brackets: the measured NFE where it differs from the row's.\n\n"
                 + "\n".join(rows)))

assert all(math.isfinite(s) for v in sweep.values() for _, s in v)
assert all(c == n for label, v in sweep.items() if "Heun" not in label for (c, _), n in zip(v, NFES))
best = max(s for v in sweep.values() for _, s in v)
assert FAST or best > input_psnr, "a trained model should beat the rainy input"

# %% [markdown]
# **Differences with their uncertainty.** Each sampler against the reference (implicit, `eta = 0`) at the same
# number of evaluations: the mean over the items of the paired PSNR difference, with a 95 % bootstrap interval
# over the items (one trained network: the interval says whether *this network* restores these pictures
# differently with the two samplers; another training seed could move it). Shaded: the interval.

# %%
REFERENCE = "implicit, eta=0"
intervals = {}  # (label, NFE) -> (mean, low, high) of label - reference
for label in SAMPLERS:
    if label != REFERENCE:
        for n in NFES:
            d = (per_item[(label, n)] - per_item[(REFERENCE, n)])[None]  # [1 seed, items]
            intervals[(label, n)] = (float(d.mean()), *two_stage_bootstrap(d))
steps_gain = {}  # reference sampler: n evaluations against 1
for n in NFES[1:]:
    d = (per_item[(REFERENCE, n)] - per_item[(REFERENCE, 1)])[None]
    steps_gain[n] = (float(d.mean()), *two_stage_bootstrap(d))

fig, ax = plt.subplots(figsize=(10, 4))
for label in SAMPLERS:
    if label == REFERENCE:
        continue
    m, lo, hi = (np.array([intervals[(label, n)][k] for n in NFES]) for k in range(3))
    ax.plot(NFES, m, marker=markers[label], label=f"{label} − {REFERENCE}")
    ax.fill_between(NFES, lo, hi, alpha=0.15)
ax.axhline(0, color="k", lw=0.8)
ax.set_xscale("log")
ax.set_xlabel("network evaluations (NFE)")
ax.set_ylabel("paired PSNR difference (dB)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)  # beside the bands, not on them
plt.tight_layout()
plt.show()


def verdict(mean, low, high):
    return "not established" if low <= 0 <= high else ("higher" if low > 0 else "lower")


lines = ["| sampler − implicit eta=0 | " + " | ".join(f"NFE {n}" for n in NFES) + " |",
         "|---|" + "---|" * len(NFES)]
for label in SAMPLERS:
    if label != REFERENCE:
        lines.append(f"| {label} | " + " | ".join(
            "{:+.2f} [{:+.2f}, {:+.2f}]".format(*intervals[(label, n)]) for n in NFES) + " |")
lines.append("| implicit eta=0, NFE n − NFE 1 | — | " + " | ".join(
    "{:+.2f} [{:+.2f}, {:+.2f}]".format(*steps_gain[n]) for n in NFES[1:]) + " |")
display(Markdown("\n".join(lines)))

# %% [markdown]
# **Reading the sweep.** With 1 evaluation every sampler returns the network's first guess `x0_hat(mu, t_T)`;
# with 2 the deterministic samplers are still identical (first step implicit, last step returns `x0_hat`), and
# the stochastic ones differ only by RDBM's tiny noise (`lam = 1e-4`, multiplied by the residual), so the curves
# separate from 3 evaluations on. What the intervals allow us to say is computed below, never written by hand:
# a difference whose interval contains 0 is *not established* on these items, however the means are ordered.
# Explicit Euler on the PF-ODE pays a discretisation error that the implicit step does not have (part 3
# measures it in isolation: the ODE is stiff, its rates grow like `1 / thbar_{t:T}` near `t_T` and like
# `1 / Sigma_t^2` near the clean point); the stochastic samplers re-inject fresh noise at every step, which a
# network trained for a few minutes removes imperfectly. Whether either effect is large enough to see on these
# items is what the table says.
#
# On this network the list below shows something else first: **more evaluations do not buy quality.** Beyond two
# evaluations the reference sampler does not improve on its first prediction, and with the most evaluations it is
# worse than with one. Part 3 shows that the implicit integrator is exact, so that loss is the network's: every step
# asks it for `x0_hat` at a new state, and a network trained for 300 steps does not give consistent answers along
# the trajectory. Where Euler ends above the reference at many evaluations, that is no sign of a better integrator
# (part 3 measures it as the least accurate of the three); it says that on this network where the sampler walks
# matters more than how accurately it follows the ODE.

# %%
input_per_item = np.array([psnr(mu[i], x0[i]) for i in range(len(test))])
first = (per_item[(REFERENCE, 1)] - input_per_item)[None]
first_gain = (float(first.mean()), *two_stage_bootstrap(first))
said = ["* one evaluation (the network's first prediction) against the rainy input: "
        "{:+.2f} dB [{:+.2f}, {:+.2f}], ".format(*first_gain) + f"{verdict(*first_gain)}."]
for n, (m, lo, hi) in steps_gain.items():
    said.append(f"* implicit eta=0 with {n} evaluations against 1: {m:+.2f} dB [{lo:+.2f}, {hi:+.2f}], "
                f"{verdict(m, lo, hi)}.")
for label in SAMPLERS:
    if label != REFERENCE:
        found = [(n, intervals[(label, n)]) for n in NFES if verdict(*intervals[(label, n)]) != "not established"]
        if found:
            said.append(f"* {label}: differs from the reference at NFE " + ", ".join(
                f"{n} ({m:+.2f} dB [{lo:+.2f}, {hi:+.2f}])" for n, (m, lo, hi) in found)
                + "; elsewhere no difference is established.")
        else:
            said.append(f"* {label}: no difference from the reference is established at any NFE.")
display(Markdown("\n".join(said)))

# %% [markdown]
# ## 3. Convergence orders with a known `x0`
#
# To separate the *integrator's* error from the *network's*, we replace the network by an oracle that returns the
# true `x0`. On a continuous schedule (`theta = 3`, `T = 1`, so `thbar_T = 3`) with a large `lam = 0.3`
# (a strongly stochastic bridge), we start off the mean at `t0 = 0.9`:
# `x_{t0} = mu + Theta_{t0} pi + Sigma_{t0} pi eps` with a fixed `eps`, and integrate the PF-ODE to `t1 = 0.1`.
# For a fixed `x0` the PF-ODE carries each noise value `eps` along its own path (notebook 02c, section 1), so the
# exact solution is
# `x_{t1} = mu + Theta_{t1} pi + Sigma_{t1} pi eps` — `path.sample(x0, mu, t1, noise=eps)`. The sweep is cheap and
# identical in fast mode. Everything is in float64, so the errors are not hidden by rounding.

# %%
cont = bridges.ou_bridge(schedules.continuous_constant(3.0, 1.0), lam=0.3)
pair = HeldOutBenchmark("derain", items=1, crop=32)[0]
x0_o, mu_o = pair["x0"][None].double(), pair["mu"][None].double()
eps = torch.randn(x0_o.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
t0, t1 = 0.9, 0.1
x_start = cont.sample(x0_o, mu_o, t0, noise=eps)
x_exact = cont.sample(x0_o, mu_o, t1, noise=eps)


def oracle(x, mu_, t):
    return x0_o


ODE_SOLVERS = {"Euler": samplers.sample_euler, "Heun": samplers.sample_heun,
               "implicit (eta=0)": samplers.sample_implicit}
STEPS = [2 ** k for k in range(1, 11)]  # 2 .. 1024 steps over [t1, t0]
errors = {name: [] for name in ODE_SOLVERS}
for n in STEPS:
    ts = torch.linspace(t0, t1, n + 1, dtype=torch.float64)
    for name, solver in ODE_SOLVERS.items():
        x_end = solver(samplers.Denoiser(oracle, clamp=False), mu_o, cont, ts, x_T=x_start)
        errors[name].append(float((x_end - x_exact).abs().max()))
off_mean = float((x_start - cont.mean(x0_o, mu_o, t0)).abs().max())
print(f"start: max |x_t0 - E[x_t0]| = {off_mean:.3f} (off the mean), {int((x0_o != mu_o).sum())} entries with pi != 0")
assert off_mean > 0.01

fig, ax = plt.subplots(figsize=(6.5, 4.5))
for name, marker in zip(ODE_SOLVERS, "osD"):
    ax.loglog(STEPS, np.maximum(errors[name], 1e-17), marker=marker, label=name)
n_ref = np.array(STEPS, dtype=float)
ax.loglog(n_ref, errors["Euler"][-1] * n_ref[-1] / n_ref, "k--", lw=0.8, label="slope -1")
ax.loglog(n_ref, errors["Heun"][-1] * (n_ref[-1] / n_ref) ** 2, "k:", lw=0.8, label="slope -2")
ax.set_xlabel("steps from t0 = 0.9 to t1 = 0.1")
ax.set_ylabel("max |x_t1 - exact|")
ax.set_title("PF-ODE with an oracle x0: error against steps")
ax.legend(fontsize=8)
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

# %%
print(f"notebook wall time: {(time.perf_counter() - NOTEBOOK_START) / 60:.1f} min")

# %% [markdown]
# ## Exercises
#
# Each answer is checked by `check` from `rdbm_course.exercises`: it says what is wrong and gives a hint, never the
# answer. Worked solutions: `solutions/08_samplers_and_steps_solutions.ipynb`. These cells do not need the
# training above: each one runs on its own.
#
# **08.1 (implement).** Write `euler_step(path, x, x0_hat, mu, t, s)`: one explicit Euler step of the PF-ODE
# from time `t` to the earlier time `s` (both 0-d float64 tensors), with the velocity `path.velocity` (which is
# `dx/du`, per unit of the clock `u = thbar_t`). The checker integrates part 3's problem (the bridge with
# `theta = 3`, `lam = 0.3`, from `t0 = 0.9` to `t1 = 0.1`, oracle `x0`) with 16, 32 and 64 of your steps and
# measures the order of convergence against the exact solution.

# %%
from rdbm_course.exercises import check

answer_08_1 = ...  # a function euler_step(path, x, x0_hat, mu, t, s) -> x at time s
check("08.1", answer_08_1)

# %% [markdown]
# **08.2 (implement).** Write `heun_step(path, model, x, mu, t, s)`: one Heun step of the PF-ODE from `t` to
# `s`, getting `x0_hat` from `model(x, mu, t)` wherever it needs one. The checker uses the same problem with an
# oracle model (which counts its calls) and expects order 2 with two network evaluations per step.

# %%
answer_08_2 = ...  # a function heun_step(path, model, x, mu, t, s) -> x at time s
check("08.2", answer_08_2)

# %% [markdown]
# **08.3 (predict).** Section 1 counted Heun's evaluations on the reference grid. How many network evaluations
# does `samplers.sample_heun` spend with **10 steps** on each of these grids:
# (a) RDBM, `rdbm.schedule.sampling_times(10)` (section 1's rule gives this one: it is the baseline for the other
# two);
# (b) IR-SDE, `bridges.irsde()` with `.schedule.sampling_times(10)` (from its terminal index 100 to the clean
# index 0, starting from a noisy `x_T`);
# (c) part 3's bridge on `torch.linspace(0.9, 0.1, 11)`, starting from a given `x_T`?
# Read `_solve` and `sample_heun` in `rdbm_core/samplers.py`, then answer `(a, b, c)` without running a sampler.

# %%
answer_08_3 = ...  # three whole numbers: (a, b, c)
check("08.3", answer_08_3)
