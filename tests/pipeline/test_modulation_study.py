"""The modulation study (benchmarks/modulation_study.py) and where the error goes (rdbm_core.evidence.error_profile)."""
import csv
import importlib
import math
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from rdbm_core.networks.config import TrainConfig
from rdbm_core.data.datasets import HeldOutBenchmark
from rdbm_core.evidence.error_profile import x0_error_by_time
from rdbm_core.restoration.evaluation import ITEM_COLUMNS
from rdbm_core.evidence.metrics import image_metrics
from rdbm_core.bridge import bridges

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
study = importlib.import_module("modulation_study")

TINY = ["--tasks", "inpaint", "--seeds", "0", "--steps", "2", "--batch", "2", "--pool", "4", "--sample-steps", "3",
        "--eval-items", "3", "--eval-crop", "32", "--lams", "0", "1e-2", "--samplers", "eta0", "sde"]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _run(tmp_path):
    study.main([*TINY, "--csv", str(tmp_path / "s.csv"), "--workdir", str(tmp_path / "runs")])
    return _rows(tmp_path / "s.csv"), _rows(tmp_path / "s_items.csv")


def test_study_rows_and_resume(tmp_path):
    """One row per (task, lam, noise, sampler, seed), items for every row plus the input; a second sitting adds
    nothing and trains nothing; a row lost after its items (a kill between the two) is redone once, from the
    kept checkpoint.  Mutations: dropping the skip of done rows duplicates every row (fails the second check);
    dropping the items' de-duplication writes the lost cell's items twice; training when a checkpoint exists
    changes its modification time."""
    rows, items = _run(tmp_path)
    methods = ["lam0-eta0", "lam0-sde", "mod-1e-2-eta0", "mod-1e-2-sde", "glob-1e-2-eta0", "glob-1e-2-sde",
               "regression"]
    assert [r["method"] for r in rows] == methods
    assert list(rows[0]) == list(study.COLUMNS)
    assert [(r["lam"], r["noise"], r["sampler"]) for r in rows[:3]] == [
        ("0", "none", "eta0"), ("0", "none", "sde"), ("1e-2", "modulated", "eta0")]
    assert (rows[-1]["lam"], rows[-1]["noise"], rows[-1]["sampler"]) == ("", "", "one-pass")
    assert list(items[0]) == list(ITEM_COLUMNS)
    assert sorted({r["method"] for r in items}) == sorted([*methods, "input"])
    assert len(items) == 3 * (len(methods) + 1)
    ckpts = sorted((tmp_path / "runs").glob("*/checkpoint.pt"))
    assert [c.parent.name for c in ckpts] == sorted(
        f"inpaint_{n}_0" for n in ("lam0", "mod-1e-2", "glob-1e-2", "regression"))
    mtimes = [c.stat().st_mtime_ns for c in ckpts]
    # the summary row is the mean of its items
    mean = sum(float(r["psnr_degraded"]) for r in items if r["method"] == "mod-1e-2-sde") / 3
    assert float(rows[3]["psnr_degraded"]) == pytest.approx(mean, abs=1e-5)

    again, items2 = _run(tmp_path)
    assert again == rows and items2 == items
    # lose the last summary row (its items stay): the next sitting redoes that cell only
    with open(tmp_path / "s.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=study.COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows[:-1])
    again, items3 = _run(tmp_path)
    assert [r["method"] for r in again] == methods and len(items3) == len(items)
    assert {k: v for k, v in again[-1].items() if k != "wall_s"} == {k: v for k, v in rows[-1].items() if k != "wall_s"}
    assert [c.stat().st_mtime_ns for c in ckpts] == mtimes


def test_study_reuses_only_the_same_training(tmp_path):
    """A checkpoint of the CPU comparison is reused only for the training it holds: ``rdbm`` (noise and lam
    unset) is the lam = 1e-4 modulated network, not the global one nor another lam or budget.
    Mutation: comparing only the bridge and budget (not lam and noise) matches all of them."""
    b = study.CPU_BUDGET
    comparison_rdbm = vars(TrainConfig(bridge="rdbm", task="derain", preset="tiny", steps=b.steps, batch=b.batch,
                                             crop=b.crop, pool=b.pool, lr=b.lr, seed=1, ckpt_every=0,
                                             unet_norm=b.unet_norm))
    cfg = lambda lam, noise, seed=1, budget=b: study.train_config("derain", lam, noise, seed, budget, tmp_path)
    assert study.same_training(comparison_rdbm, cfg(1e-4, "modulated"))
    assert not study.same_training(comparison_rdbm, cfg(1e-4, "global"))
    assert not study.same_training(comparison_rdbm, cfg(1e-2, "modulated"))
    assert not study.same_training(comparison_rdbm, cfg(1e-4, "modulated", seed=2))
    assert not study.same_training(comparison_rdbm, cfg(1e-4, "modulated", budget=replace(b, steps=300)))
    assert not study.same_training(comparison_rdbm, cfg(None, None))
    # the interpolant: the noise factor does not enter what is trained
    assert study.same_training(vars(cfg(0.0, "modulated")), cfg(0.0, None))


def test_eta0_cells_do_not_see_the_noise_factor_but_stochastic_ones_do():
    """The study's sampling: with eta = 0 from mu, the same network along the modulated and the global path gives
    the same restorations (the noise factor cancels); with the reverse SDE it does not.  Mutation: sampling
    eta = 0 with eta = 1 makes the first equality fail."""
    path = bridges.make("rdbm", lam=1e-2, noise="modulated")

    def model(x_t, mu, t):  # a stand-in network whose x0_hat depends on x_t and differs from mu
        return torch.tanh(2 * x_t)

    bench = study.benchmark_batch("inpaint", replace(study.CPU_BUDGET, eval_items=3, eval_crop=32))
    glob = path.with_noise("global")
    a, b = (study.sample_cell(model, p, bench, "eta0", 0, 3) for p in (path, glob))
    assert torch.equal(a, b)
    c, d = (study.sample_cell(model, p, bench, "sde", 0, 3) for p in (path, glob))
    assert (c - d).abs().max() > 1e-3


def _identity(x_t, mu, t):
    """A 'network' that returns its input: x0_hat = x_t."""
    return x_t


def test_error_by_time_uses_the_degraded_mask_and_the_marginal():
    """With x0_hat = x_t on inpainting (intact pixels are exactly mu = x0): along the modulated marginal the intact
    pixels are never noised (PSNR inf at every t), along the global marginal they are at interior times; at the
    pinned end x_t = mu and the degraded-pixel PSNR is the input's ``psnr_degraded`` of ``image_metrics``.
    Mutations: swapping mask and ~mask, or drawing x_t from ``path`` whatever ``marginal`` says, fail."""
    test = HeldOutBenchmark("inpaint", 3, crop=32)
    x0, mu, mask = (torch.stack([test[i][k] for i in range(3)]) for k in ("x0", "mu", "mask"))
    path = bridges.make("rdbm", lam=1e-2, noise="modulated")
    times = path.schedule.sampling_times(10)[:-1]
    g = torch.Generator().manual_seed(0)
    mod = x0_error_by_time(_identity, path, x0, mu, times, generator=g)
    glob = x0_error_by_time(_identity, path, x0, mu, times, marginal=path.with_noise("global"), generator=g)
    assert len(mod) == len(times) * 3 and {r["t"] for r in mod} == set(times.tolist())
    assert all(r["psnr_intact"] == math.inf for r in mod)
    interior = [r for r in glob if r["t"] != int(times[0])]
    assert all(math.isfinite(r["psnr_intact"]) for r in interior)
    for r in (r for r in mod + glob if r["t"] == int(times[0])):
        i = r["item"]
        assert r["psnr_degraded"] == pytest.approx(image_metrics(mu[i], x0[i], mask[i])["psnr_degraded"])
    # the degraded pixels approach x0 as t -> 0: the last time's error is below the first's on every item
    first = {r["item"]: r["psnr_degraded"] for r in mod if r["t"] == int(times[0])}
    last = {r["item"]: r["psnr_degraded"] for r in mod if r["t"] == int(times[-1])}
    assert all(last[i] > first[i] for i in first)
    with pytest.raises(ValueError, match="one shape"):
        x0_error_by_time(_identity, path, x0, mu[:, :1], times)


def test_where_error_goes_rows_resume_and_summary(tmp_path):
    """benchmarks/where_error_goes.py on a tiny study: by-time rows for each network on both marginals, cross-sampled
    items, a summary whose intervals hold their means, and nothing added by a second sitting.  Mutation: dropping
    the skip of done networks doubles the by-time rows (and the paired matrix then refuses duplicate rows)."""
    where = importlib.import_module("where_error_goes")
    study.main([*TINY, "--csv", str(tmp_path / "s.csv"), "--workdir", str(tmp_path / "runs")])
    args = ["--tasks", "inpaint", "--seeds", "0", "--lams", "1e-2", "--sample-steps", "3", "--eval-items", "3",
            "--eval-crop", "32", "--workdir", str(tmp_path / "runs"), "--out", str(tmp_path / "w"),
            "--study-items", str(tmp_path / "s_items.csv"), "--draws", "100"]
    where.main(args)
    by_t, cross = _rows(tmp_path / "w_by_t.csv"), _rows(tmp_path / "w_cross_items.csv")
    assert len(by_t) == 2 * 2 * 3 * 3  # networks x marginals x times x items
    assert {r["method"] for r in by_t} >= {"mod-1e-2@global-t99", "glob-1e-2@modulated-t32"}
    assert sorted({r["method"] for r in cross}) == sorted(
        f"{n}-{s}-on-{o}" for n, o in (("mod-1e-2", "global"), ("glob-1e-2", "modulated")) for s in ("eta1", "sde"))
    summary = _rows(tmp_path / "w_summary.csv")
    parts = {r["part"] for r in summary}
    assert {"by_t:own", "by_t:on-global", "by_t:on-modulated", "cross:mod-1e-2", "cross:glob-1e-2"} <= parts
    assert all(float(r["low"]) <= float(r["mean"]) <= float(r["high"]) for r in summary)
    assert {r["sampler"] for r in summary if r["part"].startswith("cross")} == {"sde"}  # the study ran no eta1 here
    where.main(args)
    assert _rows(tmp_path / "w_by_t.csv") == by_t and _rows(tmp_path / "w_cross_items.csv") == cross
