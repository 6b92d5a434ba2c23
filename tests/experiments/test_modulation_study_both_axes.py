"""The modulation study: every network trained (or reused from the bridge comparison) once, every sampling of it
evaluated once, a second run does nothing; the deterministic grid first; ``analyse`` pairs modulated with global
noise at the same lam and sampling, and counts the established gaps before and after Holm."""
from dataclasses import asdict, replace

import numpy as np
import pytest

from experiments import modulation_study as study
from experiments import networks
from experiments.bridge_comparison import NETWORK_COLUMNS as BRIDGE_NETWORK_COLUMNS
from experiments.networks import SET_COLUMNS, network_record, train_to
from experiments.provenance import file_sha256
from rdbm_core.comparison import method_config
from rdbm_core.data.files import append_rows, read_rows
from rdbm_core.restoration.evaluation import item_columns

TINY = study.ModulationStudyConfig(tasks=("derain",), lams=(0.0, 1e-4), seeds=(0, 1), steps=2, batch=2, crop=16,
                                   pool=4)


def _redirect(tmp_path, monkeypatch):
    """The study's results into ``tmp_path / "r"``."""
    for name in ("NETWORKS_CSV", "ITEMS_CSV", "SETS_CSV"):
        monkeypatch.setattr(study, name, tmp_path / "r" / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path / "r")


def _small_evaluations(tmp_path, monkeypatch, count):
    """Results into ``tmp_path / "r"``, 2 sampling steps (2 draws), ``count`` benchmark windows of 32x32; skips the
    test without the perceptual extra (every evaluation measures ST-LPIPS)."""
    from rdbm_core.evidence import perceptual
    if not perceptual.available():
        pytest.skip("the perceptual extra is not installed")
    _redirect(tmp_path, monkeypatch)
    short = {k: networks.Sampling(v.sampler, v.eta, None if v.draws is None else 2, 2)
             for k, v in networks.SAMPLINGS.items()}
    monkeypatch.setattr(networks, "SAMPLINGS", short)
    real = networks.HeldOutBenchmark
    monkeypatch.setattr(networks, "HeldOutBenchmark",
                        lambda task, items, crop, version: real(task, items=count, crop=32, version=version))


def _bridge_network(tmp_path, method, seed, **changes):
    """A network of the (fake) bridge comparison, trained with its config (``changes``: fields altered) under
    ``tmp_path / "bc"``, with its row in ``tmp_path / "bc.csv"``; returns the row."""
    runs = tmp_path / "bc"
    budget = study.budget_of(TINY)
    config = replace(method_config("derain", method, seed, budget, str(runs / f"derain_{method}_s{seed}")),
                     ckpt_every=0, **changes)
    result, weights = train_to(config, TINY.steps)
    row = {"task": "derain", "method": method, "seed": seed, "steps": TINY.steps,
           **network_record(result, weights, runs)}
    append_rows(tmp_path / "bc.csv", [row], BRIDGE_NETWORK_COLUMNS)
    return row


def test_a_small_study_runs_once_reuses_and_resumes(tmp_path, monkeypatch):
    """Mutation that fails: :func:`~experiments.modulation_study.reusable` checking the SHA-256 alone, not the
    stored config (the bridge comparison's global-noise network, trained at another learning rate, is then
    reused and one training fewer is made)."""
    _small_evaluations(tmp_path, monkeypatch, count=3)
    matching = _bridge_network(tmp_path, "rdbm", 0)
    _bridge_network(tmp_path, "rdbm-global", 0, lr=5e-4)  # not what the study trains
    trained = []
    monkeypatch.setattr(study, "train_to", lambda config, steps: trained.append(config.out) or train_to(config, steps))

    made = study.run(TINY, tmp_path / "runs", reuse=tmp_path / "bc", source_csv=tmp_path / "bc.csv")
    assert made == 2 * (3 * 3 + 1)
    assert len(trained) == 2 * 4 - 1  # every network but seed 0's modulated lam 1e-4
    nets = {(r["network"], r["seed"]): r for r in read_rows(tmp_path / "r" / "networks.csv")}
    assert len(nets) == 8
    reused = nets[("mod-1e-4", "0")]
    assert reused["source"] == "bridge_comparison:derain_rdbm_s0/steps_2.safetensors"
    assert reused["sha256"] == matching["sha256"] == file_sha256(tmp_path / "runs" / reused["weights"])
    assert nets[("glob-1e-4", "0")]["source"] == "trained" and nets[("lam0", "0")]["noise"] == "none"
    items = read_rows(tmp_path / "r" / "items.csv")
    methods = sorted({r["method"] for r in items})
    assert methods == sorted(["input", "regression", *(f"{n}-{s}" for n in ("lam0", "mod-1e-4", "glob-1e-4")
                                                       for s in ("eta0", "eta1x1", "em10"))])
    for method in methods:  # 3 items for each of 2 seeds, each once
        assert sorted((r["seed"], r["item"]) for r in items if r["method"] == method) == \
            [(s, i) for s in ("0", "1") for i in ("0", "1", "2")], method
    assert len(read_rows(tmp_path / "r" / "sets.csv")) == 20
    assert (tmp_path / "r" / "provenance_shard0of1.json").is_file()

    assert study.run(TINY, tmp_path / "runs", reuse=tmp_path / "bc", source_csv=tmp_path / "bc.csv") == 0
    assert len(read_rows(tmp_path / "r" / "items.csv")) == len(items) and len(trained) == 7

    result = study.analyse(TINY, draws=200)  # 2 seeds: gaps without verdicts, paired as they should be
    pairs = {(r["comparison"], r["a"], r["b"], r["metric"]) for r in result["gaps"]}
    assert ("mod-glob", "mod-1e-4-em10", "glob-1e-4-em10", "swd") in pairs
    assert ("lam0-regression", "lam0-eta0", "regression", "psnr") in pairs
    assert len(pairs) == len(result["gaps"]) == (3 * 3 + 3) * 3  # (3 per lam 1e-4 + 1 at lam 0) x 3 samplings x 3
    assert all(r["seeds"] == 2 for r in result["gaps"])


def test_same_training_reads_the_bridge_it_makes():
    """RDBM's default bridge is modulated noise at lam 1e-4; another lam, noise or budget is another training.
    Mutation that fails: comparing ``lam``/``noise`` as stored fields (RDBM's ``None`` defaults then never match)."""
    budget = study.budget_of(TINY)
    mine = study.train_config(TINY, "derain", (1e-4, "modulated"), 0, "x")
    assert study.same_training(asdict(method_config("derain", "rdbm", 0, budget, "elsewhere")), mine)
    assert study.same_training(asdict(method_config("derain", "regression", 0, budget, "y")),
                               study.train_config(TINY, "derain", (None, None), 0, "x"))
    assert not study.same_training(asdict(method_config("derain", "rdbm-global", 0, budget, "y")), mine)
    assert not study.same_training(asdict(method_config("derain", "rdbm", 1, budget, "y")), mine)
    assert not study.same_training(asdict(method_config("derain", "rdbm", 0, budget, "y")),
                                   study.train_config(TINY, "derain", (1e-3, "modulated"), 0, "x"))


def test_the_grid_and_its_order():
    """The deterministic grid over every seed first, then the stochastic samplings; every (network, sampling)
    once; both phases of a network in one shard. Mutation that fails: the jobs in network order (all three
    samplings of a network together)."""
    config = study.ModulationStudyConfig()
    jobs = study.runs_of(config)
    per_seed_task = 1 + 4 * 2 + 1  # the interpolant, 4 lams x 2 noises, regression
    first, rest = jobs[:5 * 3 * per_seed_task], jobs[5 * 3 * per_seed_task:]
    assert all(len(s) == 1 and s[0] in (None, "eta0") for s, *_ in first)
    assert all(s == ("eta1x1", "em10") and n[0] is not None for s, _, _, n in rest) and len(rest) == 5 * 3 * 9
    for part in (first, rest):  # seed by seed
        assert [seed for _, seed, _, _ in part] == sorted(seed for _, seed, _, _ in part)
    labels = [(seed, task, study.label(n, s)) for samplings, seed, task, n in jobs for s in samplings]
    assert len(labels) == len(set(labels)) == 5 * 3 * (9 * 3 + 1)
    assert {lab for _, _, lab in labels} >= {"mod-1e-2-eta0", "glob-1e-1-em10", "lam0-eta0", "regression"}
    shards = study.shard_of(config, 2)
    assert set(shards.values()) == {0, 1} and len(shards) == 5 * 3 * per_seed_task


def _synthetic(tmp_path, psnr_gap=0.5):
    """Modulated, global (lams 1e-4 and 1e-2, samplings eta0 and em10), the interpolant and regression on 4
    seeds x 12 items of 4 photographs: modulated is ``psnr_gap`` dB above global at lam 1e-2 and equal (up to
    noise) at lam 1e-4; SWD 5 lower for modulated at every lam."""
    rng = np.random.default_rng(0)
    cols = item_columns(perceptual=True, draws=True)
    config = study.ModulationStudyConfig(tasks=("derain",), lams=(0.0, 1e-4, 1e-2), seeds=(0, 1, 2, 3),
                                         samplings=("eta0", "em10"))
    methods = ["regression"] + [study.label(n, s) for n in study.networks_of(config)[:-1] for s in config.samplings]
    rows, sets = [], []
    for seed in config.seeds:
        for m in methods:
            shift = psnr_gap if m.startswith("mod-1e-2") else 0.0
            for i in range(12):
                r = {k: "nan" for k in cols}
                r.update(task="derain", method=m, seed=seed, item=i, image=f"p{i % 4}@{i},0",
                         psnr=25 + i % 4 + shift + 0.05 * rng.standard_normal(),
                         lpips_st=0.2 + 0.001 * rng.standard_normal())
                rows.append(r)
            sets.append({"task": "derain", "method": m, "seed": seed, "swd": 100 - 5 * m.startswith("mod-")
                         + rng.standard_normal() * 0.1, "swd_low": 0, "swd_high": 0, "input_swd": 0, "wall_s": 0})
    (tmp_path / "r").mkdir()
    append_rows(tmp_path / "r" / "items.csv", rows, cols)
    append_rows(tmp_path / "r" / "sets.csv", sets, SET_COLUMNS)
    return config


def test_analyse_pairs_modulated_with_global_and_counts(tmp_path, monkeypatch):
    """Mutations that fail: the gap taken as global - modulated (the PSNR sign flips and the verdict names
    global); global's sampling ignored when pairing (``mod-1e-4-em10`` paired with ``glob-1e-4-eta0``)."""
    _redirect(tmp_path, monkeypatch)
    config = _synthetic(tmp_path)
    result = study.analyse(config, draws=500)
    gaps = {(r["comparison"], r["lam"], r["sampler"], r["metric"]): r for r in read_rows(tmp_path / "r" / "gaps.csv")}
    assert len(gaps) == (3 * 2 + 1) * 2 * 3  # (3 per lam > 0 + 1 at lam 0) x 2 samplings x 3 metrics
    g = gaps[("mod-glob", "1e-2", "eta0", "psnr")]
    assert (g["a"], g["b"]) == ("mod-1e-2-eta0", "glob-1e-2-eta0")
    assert float(g["mean"]) == pytest.approx(0.5, abs=0.05) and g["verdict"] == "mod-1e-2-eta0 better"
    assert gaps[("mod-glob", "1e-4", "em10", "psnr")]["verdict"] == "no difference established"
    assert (gaps[("mod-glob", "1e-4", "em10", "psnr")]["a"], gaps[("mod-glob", "1e-4", "em10", "psnr")]["b"]) \
        == ("mod-1e-4-em10", "glob-1e-4-em10")
    assert float(gaps[("mod-glob", "1e-4", "em10", "swd")]["mean"]) == pytest.approx(-5, abs=0.5)
    assert (gaps[("lam0-regression", "0", "eta0", "psnr")]["a"], gaps[("lam0-regression", "0", "eta0", "psnr")]["b"]) \
        == ("lam0-eta0", "regression")
    counts = {r["metric"]: r for r in read_rows(tmp_path / "r" / "counts.csv")}
    assert counts["psnr"]["comparisons"] == "4" and counts["psnr"]["established"] == "2"
    assert counts["psnr"]["holm"] == "2" and counts["psnr"]["mod_better"] == "2"
    assert counts["swd"]["established"] == "4" and counts["swd"]["holm"] == ""
    assert counts["psnr+lpips_st"]["comparisons"] == "8"
    assert int(counts["psnr+lpips_st"]["holm"]) <= int(counts["psnr+lpips_st"]["established"])
    assert result["counts"][0]["metric"] == "psnr"
    assert (tmp_path / "r" / "gaps.png").stat().st_size > 10_000
    assert (tmp_path / "r" / "provenance.json").is_file()


def test_counts_adjust_the_whole_family():
    """Holm over the PSNR and ST-LPIPS gaps together: p = 0.012 passes on its own interval and within the four
    PSNR gaps (0.05 / 3) but not within the family of eight (0.05 / 7); comparisons without a verdict never
    count. Mutations that fail: the raw ``p <= 0.05`` counted as Holm's; Holm applied to each metric alone."""
    def row(metric, p, verdict):
        return {"comparison": "mod-glob", "metric": metric, "p_value": p, "verdict": verdict}
    rows = [row("psnr", 0.001, "mod-1e-2-eta0 better"), row("psnr", 0.012, "glob-1e-1-eta0 better"),
            row("psnr", 0.5, "no difference established"), row("psnr", 0.6, "no difference established")]
    rows += [row("lpips_st", 0.001, "no verdict (2 seeds; a verdict needs 3)")] * 4
    rows += [row("swd", float("nan"), "mod-1e-2-eta0 better"), {**rows[0], "comparison": "mod-regression"}]
    counts = {r["metric"]: r for r in study.counts(rows)}
    assert (counts["psnr"]["established"], counts["psnr"]["holm"]) == (2, 1)
    assert (counts["psnr"]["mod_better"], counts["psnr"]["glob_better"]) == (1, 1)
    assert (counts["lpips_st"]["with_verdict"], counts["lpips_st"]["established"], counts["lpips_st"]["holm"]) == (0, 0, 0)
    assert (counts["swd"]["comparisons"], counts["swd"]["established"], counts["swd"]["holm"]) == (1, 1, "")
    assert counts["psnr+lpips_st"]["comparisons"] == 8 and counts["psnr+lpips_st"]["holm"] == 1


def test_a_lost_network_is_remade_and_must_be_the_recorded_one(tmp_path, monkeypatch):
    """A recorded network whose weights are gone is retrained when a sampling still needs it: it must reproduce its
    recorded loss (vouched by a ``.rebuilt.json``), and networks.csv keeps one row per network. Mutations that
    fail: the remade network appended as a second row (the old behaviour), no loss check (the tampered record is
    evaluated instead of stopping the study)."""
    import shutil

    _small_evaluations(tmp_path, monkeypatch, count=2)
    config = replace(TINY, lams=(1e-4,), noises=("global",), seeds=(0,), samplings=("eta0", "eta1x1"),
                     regression=False)
    runs = tmp_path / "runs"
    assert study.run(config, runs) == 2
    recorded = read_rows(tmp_path / "r" / "networks.csv")
    sets = read_rows(tmp_path / "r" / "sets.csv")
    keep = [r for r in sets if r["method"] != "glob-1e-4-eta1x1"]  # one sampling still to do
    (tmp_path / "r" / "sets.csv").unlink()
    append_rows(tmp_path / "r" / "sets.csv", keep, SET_COLUMNS)
    shutil.rmtree(runs / "derain_glob-1e-4_s0")
    assert study.run(config, runs) == 1
    assert read_rows(tmp_path / "r" / "networks.csv") == recorded
    assert (runs / "derain_glob-1e-4_s0" / "steps_2.rebuilt.json").is_file()

    (tmp_path / "r" / "networks.csv").unlink()
    append_rows(tmp_path / "r" / "networks.csv", [dict(r, loss_last_50=float(r["loss_last_50"]) + 1e-3) for r in recorded],
                study.NETWORK_COLUMNS)
    (tmp_path / "r" / "sets.csv").unlink()
    append_rows(tmp_path / "r" / "sets.csv", keep, SET_COLUMNS)
    shutil.rmtree(runs / "derain_glob-1e-4_s0")
    with pytest.raises(SystemExit, match="not the recorded"):
        study.run(config, runs)
