"""Helpers of notebook 07 (the bridge comparison): reading the committed study, its figures and tables, so that
the notebook's cells show a call and its output rather than bookkeeping code.

* :class:`Study`, :func:`load_study`: the committed results of ``python -m experiments bridge_comparison`` (the
  deterministic samplings only), found from the working directory upwards; :func:`verdicts_digest` pins them;
* :func:`methods_table`, :func:`budget_text`: what every method shares (section 1);
* :func:`benchmark_figure`, :func:`tasks_figure`: the photographs, their windows and one window under each task
  (section 2);
* :class:`Retrained`, :func:`retrain_networks`, :func:`restore_window`, :func:`restoration_figure`: one seed's
  networks of one task trained again from their config (training is deterministic, so each must reproduce its
  recorded loss) and one window restored by every method, with the training losses (section 2);
* :func:`clean_floor`: the sliced Wasserstein distance between two disjoint sets of clean windows (section 3);
* :func:`means_table`: each method's mean on every metric (section 4);
* :func:`schematic_figure`, :func:`example_figure`, :func:`per_photograph_figure`: the hierarchical bootstrap
  drawn (section 5);
* :func:`multiplicity_table`: Holm's and Benjamini-Hochberg's decisions in one family, p-value by p-value;
* :func:`forest_figure`, :func:`verdict_table`, :func:`family`, :func:`verdict_code`, :func:`name_of`: the
  verdicts of a family as a figure and as a table (sections 6-7, appendix A);
* :func:`per_seed_table`: inpainting seed by seed, against the degraded input (section 7).

Images are ``[C, H, W]`` tensors in ``[-1, 1]``; PSNR and SSIM are measured as :mod:`rdbm_core.evidence.metrics`
does.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.comparison import Budget, method_config
from rdbm_core.data.datasets import BENCHMARK_PHOTOS, BENCHMARK_VERSION, HeldOutBenchmark, benchmark_images
from rdbm_core.data.files import read_rows
from rdbm_core.evidence.distribution import sliced_wasserstein
from rdbm_core.evidence.metrics import image_metrics
from rdbm_core.evidence.stats import benjamini_hochberg, holm
from rdbm_core.networks.checkpoints import load_checkpoint, load_trained
from rdbm_core.networks.training import train
from rdbm_core.restoration.evaluation import restore

__all__ = ["STUDY_SUBDIR", "TASKS", "METHODS", "METRICS", "COLOURS", "Study", "find_study", "load_study", "name_of",
           "verdict_code", "verdicts_digest", "family", "methods_table", "budget_text", "benchmark_figure",
           "tasks_figure", "Retrained", "retrain_networks", "restore_window", "restoration_figure", "clean_floor",
           "means_table", "schematic_figure", "example_figure", "per_photograph_figure", "multiplicity_table",
           "forest_figure", "verdict_table", "interval_text", "per_seed_table"]

STUDY_SUBDIR = Path("experiments") / "results" / "bridge_comparison"
TASKS = ("derain", "inpaint", "lowlight")
#: the methods of the comparison in the order of every table and figure (the results' labels: ``goub-eta0``)
METHODS = ("rdbm", "rdbm-global", "goub", "bbdm", "ddbm-ve", "i2sb", "irsde", "regression")
#: metric key -> (its name with its unit, the format of its values, whether lower is better)
METRICS = {"psnr": ("PSNR (dB)", "{:.2f}", False), "ssim": ("SSIM", "{:.3f}", False),
           "lpips_st": ("ST-LPIPS", "{:.3f}", True), "swd": ("SWD (×10⁻³)", "{:.1f}", True)}
#: one colour (Okabe-Ito, colour-blind safe) and line style per method, in every figure that draws methods
COLOURS = {"rdbm": ("#0072B2", "-"), "rdbm-global": ("#56B4E9", "-"), "goub": ("#009E73", "-"),
           "bbdm": ("#E69F00", "--"), "ddbm-ve": ("#D55E00", "--"), "i2sb": ("#CC79A7", "-"),
           "irsde": ("#999999", "-"), "regression": ("#000000", "-")}
#: the colour of a verdict: the first method of the difference better, the second better, no difference
VERDICT_COLOURS = {"a": "#0072B2", "b": "#E69F00", "tie": "0.55"}


def _label(method: str) -> str:
    """The results' label of a method's deterministic sampling."""
    return method if method in ("regression", "input") else f"{method}-eta0"


def name_of(label: str) -> str:
    """A method label of the results (``'goub-eta0'``) as the notebook writes it (``'goub'``)."""
    return {"input": "degraded input"}.get(label, label.removesuffix("-eta0"))


@dataclass
class Study:
    """The committed bridge comparison, restricted to the deterministic samplings (``X-eta0``, ``regression``,
    the degraded ``input``) and the seeds its analysis used: ``items`` (rows of items.csv), ``sets`` (sets.csv),
    ``verdicts`` (verdicts.csv), ``counts`` (counts.csv), ``networks`` (networks.csv), ``config`` (the budget of
    every network), ``provenance`` (the run's record), ``analysis`` (the analysis' record) and ``seeds`` per task."""

    folder: Path
    config: dict
    provenance: dict
    analysis: dict
    networks: list[dict]
    items: list[dict]
    sets: list[dict]
    verdicts: list[dict]
    counts: list[dict]
    seeds: dict[str, list[str]] = field(default_factory=dict)

    def labels(self, task: str) -> list[str]:
        """The deterministic labels of ``task`` the analysis read, the input first."""
        return ["input", *(_label(m) for m in METHODS if _label(m) in self.analysis["read"][task])]


def find_study(start: Path | None = None) -> Path:
    """``experiments/results/bridge_comparison`` under ``start`` (default: the working directory) or its
    closest parent that has it, else beside this package in a source checkout; ``FileNotFoundError`` if none."""
    start = Path.cwd().resolve() if start is None else Path(start).resolve()
    for folder in (start, *start.parents, Path(__file__).resolve().parents[1]):
        if (folder / STUDY_SUBDIR / "verdicts.csv").is_file():
            return folder / STUDY_SUBDIR
    raise FileNotFoundError(f"{STUDY_SUBDIR} not found in {start} or its parents: run the notebook from a clone")


def load_study(folder: Path | None = None) -> Study:
    """Read the committed study (:class:`Study`) from ``folder`` (default: :func:`find_study`)."""
    folder = find_study() if folder is None else Path(folder)
    analysis = json.loads((folder / "provenance_analyse.json").read_text())
    seeds = {task: list(analysis["read"][task][_label("rdbm")]) for task in TASKS}
    deterministic = {task: {_label(m) for m in (*METHODS, "input")} for task in TASKS}
    items = [r for r in read_rows(folder / "items.csv") if r["task"] in TASKS
             and r["method"] in deterministic[r["task"]] and r["seed"] in seeds[r["task"]]]
    sets = [r for r in read_rows(folder / "sets.csv") if r["task"] in TASKS
            and r["method"] in deterministic[r["task"]] and r["seed"] in seeds[r["task"]]]
    verdicts = [r for r in read_rows(folder / "verdicts.csv") if r["task"] in TASKS
                and r["a"] in deterministic[r["task"]] and r["b"] in deterministic[r["task"]]]
    return Study(folder=folder, config=json.loads((folder / "provenance_shard0of1.json").read_text())["config"],
                 provenance=json.loads((folder / "provenance_shard0of1.json").read_text()), analysis=analysis,
                 networks=read_rows(folder / "networks.csv"), items=items, sets=sets, verdicts=verdicts,
                 counts=read_rows(folder / "counts.csv"), seeds=seeds)


def verdicts_digest(verdicts: list[dict]) -> str:
    """SHA-256 of the verdict rows (every column, in file order): the notebook's prose is pinned to it."""
    text = "\n".join(",".join(f"{k}={v}" for k, v in row.items()) for row in verdicts)
    return hashlib.sha256(text.encode()).hexdigest()


def verdict_code(row: dict) -> str | None:
    """``'a'`` or ``'b'`` (the method the interval favours), ``'tie'``, or ``None`` (no verdict) of a verdict row."""
    words = row["verdict"]
    return (None if words.startswith("no verdict") else "tie" if words.startswith("no difference")
            else "a" if words == f"{row['a']} better" else "b")


def family(study: Study, reference: str) -> list[dict]:
    """The verdict rows of the family against ``reference`` (``'rdbm-eta0'``, ``'regression'``, ``'input'``)."""
    return [r for r in study.verdicts if r["family"] == reference]


# ----------------------------------------------------------------------------- section 1


def methods_table() -> str:
    """Markdown: each method and its paper's constants (:data:`rdbm_core.bridge.bridges.BRIDGES`)."""
    own = {"rdbm-global": "RDBM's schedule and lam, global noise", "regression": "one pass, no bridge"}
    rows = [f"| {m} | {own.get(m) or bridges.BRIDGES[m][2]} |" for m in METHODS]
    return "| method | its constants (`rdbm_core.bridge.bridges.BRIDGES`) |\n|---|---|\n" + "\n".join(rows)


def budget_text(study: Study) -> str:
    """Markdown: the budget every network got and what the study cost."""
    from rdbm_core.data.embedded import TRAIN_IMAGES
    from rdbm_core.networks.unet import build_unet, count_parameters

    c, p = study.config, study.provenance
    evaluation_s = sum(float(r["wall_s"]) for r in study.sets)
    return (f"**The budget of every network** (`{STUDY_SUBDIR}/provenance_shard0of1.json`): the `{c['preset']}` "
            f"U-Net ({count_parameters(build_unet(c['preset'], norm='group')):,} parameters, GroupNorm), "
            f"{c['steps']} iterations of batch {c['batch']} on {c['crop']}×{c['crop']} crops (it is fully "
            f"convolutional, so it restores the 64×64 test windows of section 2 as well), learning rate "
            f"{c['lr']:g}, a pool of {c['pool']} crops of the {len(TRAIN_IMAGES)} training photographs, degraded on "
            f"the fly, all drawn from the training seed. {len(study.networks)} networks, "
            f"{sum(float(r['train_wall_s']) for r in study.networks) / 3600:.1f} h of training and "
            f"{evaluation_s / 3600:.1f} h of evaluation on {p['device']}, one torch thread.")


# ----------------------------------------------------------------------------- section 2


def benchmark_figure():
    """The photographs of the benchmark with their windows (yellow frames)."""
    bench = HeldOutBenchmark("derain", version=BENCHMARK_VERSION)
    fig, axes = plt.subplots(2, 6, figsize=(13, 4.6))
    for k, (ax, photo) in enumerate(zip(axes.flat, benchmark_images(BENCHMARK_VERSION))):
        ax.imshow(photo)
        for p, top, left in bench.windows:
            if p == k:
                ax.add_patch(Rectangle((left, top), bench.crop, bench.crop, fill=False, color="yellow", lw=1.2))
        ax.set_title(BENCHMARK_PHOTOS[BENCHMARK_VERSION][k], fontsize=10)
        ax.axis("off")
    fig.suptitle(f"The {len(axes.flat)} photographs of benchmark version {BENCHMARK_VERSION} and their "
                 f"{bench.items // len(axes.flat)} windows each (yellow)")
    fig.tight_layout()
    return fig


def _show(ax, image: torch.Tensor, title: str) -> None:
    ax.imshow(((image.permute(1, 2, 0).numpy() + 1) / 2).clip(0, 1))
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def tasks_figure(item: int = 0):
    """Window ``item`` under each task: clean, degraded, and its degraded pixels (framed) with their share and
    the median change of a degraded pixel in 8-bit levels."""
    fig, axes = plt.subplots(3, 3, figsize=(8, 8.4))
    for row, task in zip(axes, TASKS):
        window = HeldOutBenchmark(task, version=BENCHMARK_VERSION)[item]
        mask = window["mask"][0].bool()
        change = (window["mu"] - window["x0"]).abs().amax(0) * 127.5  # 8-bit levels
        _show(row[0], window["x0"], "clean $x_0$")
        _show(row[1], window["mu"], f"{task}: degraded $\\mu$")
        row[2].imshow(mask.numpy(), cmap="gray", vmin=0, vmax=1)
        row[2].set_title(f"degraded: {mask.float().mean():.0%} of pixels,\nmedian change "
                         f"{change[mask].median():.0f} levels", fontsize=10)
        row[2].set_xticks([])
        row[2].set_yticks([])
        for spine in row[2].spines.values():  # a frame, so that an all-white mask reads as a panel
            spine.set(visible=True, color="0.3", lw=1.2)
    fig.suptitle(f"Window {window['name']} under the three tasks (white: degraded pixel)")
    fig.tight_layout()
    return fig


@dataclass
class Retrained:
    """A network of the study trained again: ``model`` and its bridge ``path`` (``None``: regression), the loss
    of every training iteration, the mean of the last 50 (rounded as networks.csv rounds it) and the recorded
    one."""

    method: str
    model: torch.nn.Module
    path: object
    losses: list[float]
    loss_last_50: float
    recorded: float


@contextlib.contextmanager
def _one_thread():
    """One torch thread, as the study trained (the order of float sums, hence the weights, depends on it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def retrain_networks(study: Study, task: str, seed: int, methods, folder: Path | str | None = None
                     ) -> dict[str, Retrained]:
    """Train the networks of (``task``, each of ``methods``, ``seed``) again with the study's budget
    (:func:`rdbm_core.comparison.method_config`), on one thread, into ``folder`` (default: a temporary folder,
    removed afterwards; a ``checkpoint.pt`` already in ``folder/<task>_<method>_s<seed>`` is reused). Training
    is deterministic, so each network's ``loss_last_50`` should be the one networks.csv recorded (``recorded``):
    where it is not (another machine class or other code), the network is another one than the study's, and the
    caller must say so."""
    recorded = {(r["task"], r["method"], r["seed"]): float(r["loss_last_50"]) for r in study.networks}
    c = study.config
    budget = Budget(steps=c["steps"], batch=c["batch"], crop=c["crop"], preset=c["preset"], lr=c["lr"],
                    pool=c["pool"], device="cpu")
    out = {}
    with contextlib.ExitStack() as stack:
        root = Path(folder) if folder is not None else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for method in methods:
            run = root / f"{task}_{method}_s{seed}"
            checkpoint = run / "checkpoint.pt"
            if not checkpoint.is_file():
                with _one_thread():
                    train(method_config(task, method, seed, budget, str(run)), progress=False)
            losses = [float(x) for x in load_checkpoint(checkpoint)["losses"]]
            last_50 = round(float(np.mean(losses[-50:])), 6)
            model, path, _ = load_trained(checkpoint)
            out[method] = Retrained(method, model, path, losses, last_50, recorded[(task, method, str(seed))])
    return out


def restore_window(study: Study, networks: dict[str, Retrained], task: str, seed: int, item: int = 0):
    """Window ``item`` of ``task`` restored by each network as the study restored it (the implicit sampler,
    ``eta = 0``, 10 steps, noise from a generator seeded with ``seed``; exact for item 0, the first the study's
    generator served). Returns the window, ``{method: (restoration, its PSNR, the PSNR items.csv recorded)}``
    and the input's recorded PSNR."""
    window = HeldOutBenchmark(task, version=BENCHMARK_VERSION)[item]
    recorded = {r["method"]: float(r["psnr"]) for r in study.items
                if (r["task"], r["seed"], r["item"]) == (task, str(seed), str(item))}
    out = {}
    for method, net in networks.items():
        spec = SamplerSpec() if net.path is None else SamplerSpec("implicit", 10, eta=0.0)
        restored = restore(net.model, net.path, window["mu"][None], spec,
                           torch.Generator().manual_seed(seed))[0]
        psnr = image_metrics(restored, window["x0"], window["mask"])["psnr"]
        out[method] = (restored, psnr, recorded[_label(method)])
    return window, out, recorded["input"]


def _running_mean(values, width: int = 25) -> np.ndarray:
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def restoration_figure(window: dict, restored: dict, networks: dict[str, Retrained], input_psnr: float):
    """Two rows of panels (the input, each method's restoration with its PSNR, the clean window) above the
    training losses of the networks (running mean over 25 iterations), in the methods' colours."""
    panels = [(window["mu"], f"input $\\mu$\n{input_psnr:.2f} dB")]
    panels += [(image, f"{m}\n{psnr:.2f} dB") for m, (image, psnr, _) in restored.items()]
    panels += [(window["x0"], "clean $x_0$")]
    columns = math.ceil(len(panels) / 2)
    fig = plt.figure(figsize=(2.1 * columns + 0.6, 7.4))
    grid = fig.add_gridspec(3, columns, height_ratios=[1, 1, 1.1])
    for k, (image, title) in enumerate(panels):
        _show(fig.add_subplot(grid[k // columns, k % columns]), image, title)
    ax = fig.add_subplot(grid[2, :])
    for m, net in networks.items():
        colour, style = COLOURS[m]
        ax.plot(np.arange(25, len(net.losses) + 1), _running_mean(net.losses), color=colour, ls=style, lw=1.6,
                label=m)
    ax.set_xlabel("training iteration")
    ax.set_ylabel("L1 loss\n(mean of 25 iterations)")
    ax.legend(ncol=4, fontsize=9, loc="lower left", frameon=False)
    ax.grid(alpha=0.3)
    fig.suptitle(f"Window {window['name']}, inpainting, every network of training seed 0 (PSNR of the whole "
                 "window)", fontsize=11)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- section 3


def clean_floor(item_count: int, seed: int = 0) -> float:
    """The sliced Wasserstein distance (units of 1e-3) between the benchmark's first ``item_count`` clean
    windows and the next ``item_count`` windows of the same photographs (disjoint tiles of the same grid):
    how far apart two sets of genuine clean windows lie."""
    bench = HeldOutBenchmark("derain", items=2 * item_count, version=BENCHMARK_VERSION)
    clean = torch.stack([bench[i]["x0"] for i in range(2 * item_count)])
    names = [bench[i]["name"] for i in range(item_count)]
    return float(sliced_wasserstein(clean[item_count:], clean[:item_count], names, seed=seed, bootstrap=0)["swd"])


# ----------------------------------------------------------------------------- section 4


def _mean(study: Study, task: str, label: str, metric: str) -> float:
    if metric == "swd":
        key = "input_swd" if label == "input" else "swd"
        source = _label("rdbm") if label == "input" else label
        return float(np.mean([float(s[key]) for s in study.sets if s["task"] == task and s["method"] == source]))
    return float(np.mean([float(r[metric]) for r in study.items if r["task"] == task and r["method"] == label]))


def means_table(study: Study) -> str:
    """Markdown: each method's mean over every item and seed, per task, on every metric."""
    lines = []
    for task in TASKS:
        lines += [f"\n**{task}**\n", "| method | " + " | ".join(v[0] for v in METRICS.values()) + " |",
                  "|---" * (len(METRICS) + 1) + "|"]
        for label in study.labels(task):
            cells = [form.format(_mean(study, task, label, m)) for m, (_, form, _) in METRICS.items()]
            lines.append(f"| {name_of(label)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- section 5


def schematic_figure():
    """One hierarchical draw on a small grid: 3 seeds x 12 windows of 3 photographs, and the weight of each cell."""
    photo_of = np.repeat([0, 1, 2], 4)
    seeds_drawn = (0, 2, 2)  # seed 1 left out, seed 2 twice
    photos_drawn = ((1, (0, 0, 2, 3)), (1, (1, 2, 2, 3)), (2, (0, 1, 1, 3)))  # B twice, C once, A left out
    c_s = np.bincount(seeds_drawn, minlength=3)
    c_i = np.zeros(12, int)
    for photo, windows in photos_drawn:
        for w in windows:
            c_i[4 * photo + w] += 1
    fig, axes = plt.subplots(1, 2, figsize=(13, 3.4))
    axes[0].imshow(np.tile(photo_of, (3, 1)), cmap="Pastel1", aspect="auto", vmin=0, vmax=8)
    axes[0].set_title("the matrix $D_{s,i}$: 3 seeds × 12 windows of 3 photographs (A, B, C)")
    axes[1].imshow(np.outer(c_s, c_i), cmap="Blues", aspect="auto", vmin=0, vmax=5)
    axes[1].set_title("one draw: the weight $c_s\\, c_i$ of each cell")
    for s in range(3):
        for i in range(12):
            axes[1].text(i, s, str(c_s[s] * c_i[i]), ha="center", va="center")
    for ax in axes:
        ax.set_xticks(range(12), [f"{'ABC'[p]}{w + 1}" for p in range(3) for w in range(4)])
        ax.set_yticks(range(3), [f"seed {s}" for s in range(3)])
        for x in (3.5, 7.5):
            ax.axvline(x, color="k", lw=1.5)
    axes[1].set_xlabel("seeds drawn: 0, 2, 2;  photographs drawn: B, B, C;  windows drawn within them:\n"
                       "B1 B1 B3 B4  |  B2 B3 B3 B4  |  C1 C2 C2 C4")
    fig.tight_layout()
    return fig


def example_figure(pair, hierarchical: np.ndarray, fixed: np.ndarray, t: tuple[float, float], title: str):
    """Left: the matrix ``pair.d`` grouped by photograph (colour scale clipped at its 98th percentile of |D|).
    Right: the hierarchical draws and the draws with the seeds held fixed, each with its 95 % interval, and the
    t interval on the seed means."""
    order = np.argsort(pair.photographs, kind="stable")
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.0), gridspec_kw={"width_ratios": [1.5, 1]})
    limit = float(np.percentile(np.abs(pair.d), 98))
    image = axes[0].imshow(pair.d[:, order], aspect="auto", cmap="RdBu", vmin=-limit, vmax=limit,
                           interpolation="nearest")
    ranks = np.unique(np.asarray(pair.photographs)[order], return_inverse=True)[1]
    for x in np.flatnonzero(np.diff(ranks)) + 0.5:
        axes[0].axvline(x, color="k", lw=0.8)
    axes[0].set_yticks(range(len(pair.seeds)), [f"seed {s}" for s in pair.seeds])
    axes[0].set_xlabel(f"the {pair.d.shape[1]} windows, grouped by photograph (black lines)")
    axes[0].set_title(title)
    fig.colorbar(image, ax=axes[0], label=f"dB, clipped at ±{limit:.1f}\n(red: regression better)")
    bins = np.linspace(min(hierarchical.min(), fixed.min()), max(hierarchical.max(), fixed.max()), 60)
    axes[1].hist(hierarchical, bins=bins, color="#0072B2", alpha=0.6)
    axes[1].hist(fixed, bins=bins, color="#E69F00", alpha=0.6)
    top = axes[1].get_ylim()[1]
    handles = []
    for draws, colour, style, name in ((hierarchical, "#0072B2", "-", "hierarchical"),
                                       (fixed, "#E69F00", "--", "seeds held fixed")):
        low, high = np.percentile(draws, [2.5, 97.5])
        for x in (low, high):
            axes[1].axvline(x, color=colour, lw=2, ls=style)
        handles.append(Line2D([], [], color=colour, lw=6, alpha=0.6, label=f"{name}: draws"))
        handles.append(Line2D([], [], color=colour, lw=2, ls=style, label=f"{name}: 95 % interval"))
    mean = float(pair.d.mean())
    axes[1].errorbar(mean, top * 1.08, xerr=[[mean - t[0]], [t[1] - mean]], fmt="s", color="k", capsize=4)
    handles.append(Line2D([], [], color="k", marker="s", label="t interval on the seed means"))
    axes[1].set_ylim(0, top * 1.2)
    axes[1].set_xlabel("$\\bar\\Delta^*$ (dB)")
    axes[1].set_ylabel("draws")
    axes[1].legend(handles=handles, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2,
                   frameon=False)
    axes[1].set_title("the bootstrap draws and the intervals")
    fig.tight_layout()
    return fig


def per_photograph_figure(pair, per_photo: np.ndarray, names: list[str]):
    """``per_photo[s, p]``: the mean of photograph ``p``'s windows under seed ``s``; one marker per seed."""
    fig, ax = plt.subplots(figsize=(12, 3.6))
    for s, marker in zip(range(per_photo.shape[0]), "os^Dv"):
        ax.scatter(np.arange(len(names)) + 0.08 * (s - 2), per_photo[s], marker=marker, s=30,
                   label=f"seed {pair.seeds[s]}")
    ax.axhline(0, color="k", lw=0.8)
    ax.axhline(pair.d.mean(), color="#0072B2", lw=1.2, ls="--", label="mean over everything")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_ylabel("PSNR(RDBM) − PSNR(regression)\n(dB)")
    ax.set_title("RDBM − regression on deraining, per photograph (mean of its 12 windows) and seed")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def multiplicity_table(rows: list[dict], shown: int, alpha: float = 0.05) -> tuple[str, dict]:
    """Markdown: the ``shown`` smallest p-values of one family, sorted, each with Holm's threshold
    ``alpha / (m - k + 1)`` and Benjamini-Hochberg's ``alpha k / m`` and their decisions (Holm stops at its first
    failure; BH keeps every p-value up to the largest below its threshold). Returns the table and the number
    each rule keeps, with :func:`rdbm_core.evidence.stats.holm` and ``benjamini_hochberg`` as the truth."""
    p = np.array([float(r["p_value"]) for r in rows])
    order = np.argsort(p, kind="stable")
    m = len(p)
    kept_holm, kept_bh = holm(p, alpha), benjamini_hochberg(p, alpha)
    lines = ["| k | comparison (RDBM − …) | p | Holm: $0.05/(m-k+1)$ | Holm keeps | BH: $0.05\\,k/m$ | BH keeps |",
             "|---|---|---|---|---|---|---|"]
    for k, j in enumerate(order[:shown], 1):
        r = rows[j]
        shown_p = f"{p[j]:.4f}" if p[j] >= 1e-4 else "< 0.0001"
        lines.append(f"| {k} | {r['task']}, {name_of(r['b'])} | {shown_p} | {alpha / (m - k + 1):.4f} | "
                     f"{'yes' if kept_holm[j] else 'no'} | {alpha * k / m:.4f} | {'yes' if kept_bh[j] else 'no'} |")
    return "\n".join(lines), {"holm": int(kept_holm.sum()), "bh": int(kept_bh.sum()), "m": m,
                              "raw": int(sum(verdict_code(r) in ("a", "b") for r in rows))}


# ----------------------------------------------------------------------------- sections 6-7


def _marks(row: dict) -> str:
    """How far a verdict survives: filled (Holm), left half (Benjamini-Hochberg only) or hollow (neither)."""
    return "full" if row["holm"] == "True" else "left" if row["bh"] == "True" else "none"


def forest_figure(rows: list[dict], label, title: str, a_name: str, b_name: str):
    """One panel per (task, metric): each comparison's difference with its 95 % interval. Colour: the method the
    interval favours (``a_name``: blue ▲, ``b_name``: orange ▼) or grey (no difference); fill: filled when the
    verdict survives Holm's correction in its family, half-filled when only Benjamini-Hochberg's, hollow when
    neither (or no difference)."""
    others = list(dict.fromkeys(label(r) for r in rows))
    fig, axes = plt.subplots(len(TASKS), len(METRICS), figsize=(14, 1.6 + 0.4 * len(others) * len(TASKS)),
                             sharex="col", sharey=True, squeeze=False)
    shapes = {"a": "^", "b": "v", "tie": "o"}
    for row, task in zip(axes, TASKS):
        for ax, metric in zip(row, METRICS):
            for y, other in enumerate(others):
                found = [r for r in rows if r["task"] == task and r["metric"] == metric and label(r) == other]
                if not found:
                    continue
                r = found[0]
                code = verdict_code(r) or "tie"
                mean, low, high = float(r["mean"]), float(r["low"]), float(r["high"])
                colour = VERDICT_COLOURS[code]
                ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt="none", ecolor=colour, capsize=3)
                ax.plot(mean, y, ls="", marker=shapes[code], ms=10, mew=1.3, color=colour, markeredgecolor=colour,
                        fillstyle=_marks(r) if code != "tie" else "none", markerfacecoloralt="white", zorder=3)
            ax.axvline(0, color="k", lw=0.8)
            ax.set_yticks(range(len(others)), others)
            ax.set_ylim(len(others) - 0.5, -0.5)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.grid(axis="x", alpha=0.3)
            name, _, lower = METRICS[metric]
            if task == TASKS[0]:
                ax.set_title(f"{name.split(' (')[0]}: {'lower' if lower else 'higher'} is better", fontsize=10)
            if task == TASKS[-1]:
                ax.set_xlabel(f"difference, {name}")
        row[0].set_ylabel(task, fontsize=11, fontweight="bold")
    handles = [Line2D([], [], ls="", marker="^", color=VERDICT_COLOURS["a"], ms=8, label=f"{a_name} better"),
               Line2D([], [], ls="", marker="v", color=VERDICT_COLOURS["b"], ms=8, label=f"{b_name} better"),
               Line2D([], [], ls="", marker="o", color=VERDICT_COLOURS["tie"], fillstyle="none", ms=8,
                      label="no difference"),
               Line2D([], [], ls="", marker="^", color="0.3", ms=9, label="filled: survives Holm"),
               Line2D([], [], ls="", marker="^", color="0.3", fillstyle="left", markerfacecoloralt="white", ms=9,
                      label="half: Benjamini–Hochberg only"),
               Line2D([], [], ls="", marker="^", color="0.3", fillstyle="none", ms=9, label="hollow: interval alone")]
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=9, frameon=False)
    return fig


def interval_text(row: dict) -> str:
    """``'mean [low, high]'`` of a verdict row, in the metric's format."""
    form = METRICS[row["metric"]][1].replace(":", ":+")
    return f"{form.format(float(row['mean']))} [{form.format(float(row['low']))}, {form.format(float(row['high']))}]"


def _cell(row: dict) -> str:
    text = interval_text(row)
    code = verdict_code(row)
    if code in ("a", "b"):
        marks = ("H" if row["holm"] == "True" else "") + ("B" if row["bh"] == "True" else "")
        t_agrees = float(row["t_low"]) > 0 or float(row["t_high"]) < 0
        text = f"**{text} {name_of(row[code])}**" + (f" {marks}" if marks else "") + ("" if t_agrees else " (t ∋ 0)")
    return text


def verdict_table(rows: list[dict], label) -> str:
    """Markdown: one line per (task, comparison), one column per metric; bold: established, with the method it
    favours, H / B: survives Holm / Benjamini-Hochberg, (t ∋ 0): the t interval on the seed means contains 0."""
    lines = ["| task | comparison | " + " | ".join(v[0] for v in METRICS.values()) + " |",
             "|---" * (len(METRICS) + 2) + "|"]
    for task in TASKS:
        mine = [r for r in rows if r["task"] == task]
        for other in dict.fromkeys(label(r) for r in mine):
            by_metric = {r["metric"]: r for r in mine if label(r) == other}
            lines.append(f"| {task} | {other} | " + " | ".join(_cell(by_metric[m]) if m in by_metric else "—"
                                                             for m in METRICS) + " |")
    return "\n".join(lines)


def per_seed_table(study: Study, task: str, labels) -> tuple[str, dict[str, list[float]]]:
    """Markdown: for each label, per seed: its PSNR and SSIM minus the degraded input's, and the RMS error on the
    intact pixels in 8-bit levels (from each item's intact PSNR). Also returns the PSNR gains by label."""

    def per_seed(label, metric):
        return [float(np.mean([float(r[metric]) for r in study.items
                               if r["task"] == task and r["method"] == label and r["seed"] == s]))
                for s in study.seeds[task]]

    def intact_levels(label, seed):
        mse = [10 ** (-float(r["psnr_intact"]) / 10) for r in study.items
               if r["task"] == task and r["method"] == label and r["seed"] == seed]
        return 255 * math.sqrt(float(np.mean(mse)))

    lines = ["| method | PSNR − input (dB) | SSIM − input | intact RMS error (8-bit levels) |", "|---|---|---|---|"]
    gains = {}
    for label in labels:
        gains[label] = [a - b for a, b in zip(per_seed(label, "psnr"), per_seed("input", "psnr"))]
        ssim = [a - b for a, b in zip(per_seed(label, "ssim"), per_seed("input", "ssim"))]
        intact = [intact_levels(label, s) for s in study.seeds[task]]
        lines.append(f"| {name_of(label)} | {', '.join(f'{g:+.3f}' for g in gains[label])} | "
                     f"{', '.join(f'{g:+.3f}' for g in ssim)} | {', '.join(f'{v:.2f}' for v in intact)} |")
    return "\n".join(lines), gains
