"""The bridge comparison study: every network trained once, every sampling of it evaluated once, the degraded
inputs once per task and seed, items paired by (seed, item) across methods; a second run does nothing."""
import pytest

from experiments import bridge_comparison as study
from experiments import networks
from rdbm_core.data.files import append_rows, read_rows


def test_a_small_study_runs_once_and_resumes(tmp_path, monkeypatch):
    """Mutation that fails: the inputs written with every evaluation (their rows repeat)."""
    from rdbm_core.evidence import perceptual
    if not perceptual.available():
        pytest.skip("the perceptual extra is not installed")
    for name in ("NETWORKS_CSV", "ITEMS_CSV", "SETS_CSV"):
        monkeypatch.setattr(study, name, tmp_path / "r" / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path / "r")
    short = {k: networks.Sampling(v.sampler, v.eta, None if v.draws is None else 2, 2)
             for k, v in networks.SAMPLINGS.items()}
    monkeypatch.setattr(networks, "SAMPLINGS", short)
    real = networks.HeldOutBenchmark
    monkeypatch.setattr(networks, "HeldOutBenchmark",
                        lambda task, items, crop, version: real(task, items=3, crop=32, version=version))
    config = study.StudyConfig(tasks=("derain",), methods=("regression", "rdbm", "irsde"), seeds=(0, 1), steps=2,
                               batch=2, crop=16, pool=4)
    assert study.run(config, tmp_path / "runs") == 2 * (1 + 3 + 1)
    items = read_rows(tmp_path / "r" / "items.csv")
    methods = sorted({r["method"] for r in items})
    assert methods == ["input", "irsde-eta0", "rdbm-em100", "rdbm-eta0", "rdbm-eta1x8", "regression"]
    for method in methods:  # 3 items for each of 2 seeds
        assert sorted((r["seed"], r["item"]) for r in items if r["method"] == method) == \
            [(s, i) for s in ("0", "1") for i in ("0", "1", "2")], method
    assert len(read_rows(tmp_path / "r" / "networks.csv")) == 6 and len(read_rows(tmp_path / "r" / "sets.csv")) == 10
    assert study.run(config, tmp_path / "runs") == 0
    assert len(read_rows(tmp_path / "r" / "items.csv")) == len(items)


def test_the_grid_and_its_order():
    """The deterministic grid over every seed first, then the plane samplings; every (network, sampling) once.
    Mutation that fails: the jobs in network order (all three samplings of a network together)."""
    config = study.StudyConfig()
    jobs = study.runs_of(config)
    assert len(jobs) == 3 * 8 * 5 + 3 * 5 * 5  # the plane bridges: PLANE_METHODS less regression
    first, plane = jobs[:120], jobs[120:]
    assert all(len(s) == 1 and s[0] in (None, "eta0") for s, *_ in first)
    assert all(s == ("eta1x8", "em100") and m in study.PLANE_METHODS for s, _, _, m in plane)
    for part in (first, plane):  # seed by seed
        assert [seed for _, seed, _, _ in part] == sorted(seed for _, seed, _, _ in part)
    pairs = [(seed, task, m, s) for samplings, seed, task, m in jobs for s in samplings]
    assert len(pairs) == len(set(pairs)) == 120 + 2 * 75
    assert study.samplings("regression") == (None,) and study.samplings("ddbm-ve") == ("eta0",)
    assert study.samplings("goub") == ("eta0", "eta1x8", "em100")


def _synthetic_study(folder, seeds=range(5), task_seeds=None):
    """items.csv and sets.csv of a small comparison on deraining: 12 items of 4 photographs, RDBM, GOUB (planted:
    1 dB better in PSNR, 0.03 lower ST-LPIPS, 10 lower SWD in every seed), IR-SDE and BBDM (the same network as RDBM
    with noise: no difference), regression, the input, and a stochastic sampling of RDBM with draws; BBDM lacks
    seed 4 and the stochastic sampling has seeds 0 and 1 only. ``task_seeds``: another task (inpainting) with
    these seeds alone."""
    import numpy as np

    from rdbm_core.data.files import append_rows

    rng = np.random.default_rng(1)
    shift = {"rdbm-eta0": (0, 0, 0), "goub-eta0": (1.0, -0.03, -10), "irsde-eta0": (0, 0, 0), "bbdm-eta0": (0, 0, 0),
             "regression": (2.0, -0.05, -20), "input": (-3.0, 0.1, 100), "rdbm-eta1x8": (-0.5, -0.02, -5)}
    rows, sets = [], []
    for task, task_seeds_ in (("derain", seeds), ("inpaint", task_seeds or ())):
        photo = rng.normal(0, 2, 4)
        for seed in task_seeds_:
            seed_effect = rng.normal(0, 0.1)
            for method, (dp, dl, ds) in shift.items():
                if (method == "bbdm-eta0" and seed == 4) or (method == "rdbm-eta1x8" and seed > 1):
                    continue
                for i in range(12):
                    r = {k: "nan" for k in networks.ITEM_COLUMNS}
                    noise = 0 if method == "input" else rng.normal(0, 0.3)
                    r.update(task=task, method=method, seed=seed, item=i, image=f"p{i % 4}@{i},0",
                             psnr=25 + photo[i % 4] + dp + seed_effect * (method != "input") + noise,
                             ssim=0.8 + dp / 100 + noise / 100, lpips_st=0.2 + dl + noise / 50)
                    if method == "rdbm-eta1x8":
                        r.update(psnr_mean_of_draws=r["psnr"] + 0.4, lpips_st_mean_of_draws=r["lpips_st"] + 0.01)
                    rows.append(r)
                if method != "input":
                    sets.append({"task": task, "method": method, "seed": seed, "swd": 100 + ds + rng.normal(0, 1),
                                 "swd_low": 0, "swd_high": 0, "input_swd": 200 + seed, "wall_s": 0})
    append_rows(folder / "items.csv", rows, networks.ITEM_COLUMNS)
    append_rows(folder / "sets.csv", sets, networks.SET_COLUMNS)


def test_the_analysis_finds_a_planted_difference_on_the_seeds_every_method_has(tmp_path, monkeypatch):
    """``analyse`` on a synthetic study: the planted differences are found on every axis (PSNR, SSIM, ST-LPIPS,
    SWD), the null is not; every deterministic comparison uses the seeds that every deterministic sampling has
    in full (BBDM lacks seed 4, so all use seeds 0-3); the stochastic sampling (2 seeds) stays out until it has 3,
    then enters against regression and the input; a task with 2 seeds gets no verdict.

    Mutation tried and seen to fail: each comparison on the seeds its own two methods share (``entering``
    without the intersection over the deterministic samplings): RDBM, GOUB and the others keep seed 4."""
    for name in ("ITEMS_CSV", "SETS_CSV", "VERDICTS_CSV", "COUNTS_CSV"):
        monkeypatch.setattr(study, name, tmp_path / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path)
    _synthetic_study(tmp_path, task_seeds=(0, 1))
    read = study.analyse(draws=500)
    assert set(read["derain"]) == {"rdbm-eta0", "goub-eta0", "irsde-eta0", "bbdm-eta0", "regression", "input"}
    assert all(seeds == ["0", "1", "2", "3"] for seeds in read["derain"].values())
    rows = read_rows(tmp_path / "verdicts.csv")
    v = {(r["family"], r["task"], r["a"], r["b"], r["metric"]): r for r in rows}
    assert {r["seeds"] for r in rows if r["task"] == "derain"} == {"4"}
    for metric in ("psnr", "ssim", "lpips_st", "swd"):  # RDBM - GOUB: GOUB better on both axes
        assert v[("rdbm-eta0", "derain", "rdbm-eta0", "goub-eta0", metric)]["verdict"] == "goub-eta0 better", metric
        assert v[("rdbm-eta0", "derain", "rdbm-eta0", "irsde-eta0", metric)]["verdict"] == \
            "no difference established", metric
    assert float(v[("rdbm-eta0", "derain", "rdbm-eta0", "goub-eta0", "psnr")]["mean"]) == pytest.approx(-1.0, abs=0.15)
    assert v[("regression", "derain", "goub-eta0", "regression", "lpips_st")]["verdict"] == "regression better"
    assert v[("input", "derain", "rdbm-eta0", "input", "swd")]["verdict"] == "rdbm-eta0 better"
    assert all(r["verdict"].startswith("no verdict (2 seeds") for r in rows if r["task"] == "inpaint")
    counts = {(c["family"], c["metric"]): c for c in read_rows(tmp_path / "counts.csv")}
    psnr = counts[("rdbm-eta0", "psnr")]
    assert psnr["n"] == "8" and psnr["no_verdict"] == "4" and psnr["b_better"] == "2"  # GOUB and regression
    assert int(psnr["holm"]) <= int(psnr["bh"]) <= int(psnr["established"])
    assert not any("eta1x8" in r["a"] for r in rows)
    prov = __import__("json").loads((tmp_path / "provenance_analyse.json").read_text())
    assert prov["draws"] == 500 and prov["inputs"]["items.csv"]["rows"] == len(read_rows(tmp_path / "items.csv"))

    # a third seed of the stochastic sampling: it enters, with its mean of draws, on its three seeds
    extra = [dict(r, seed="2") for r in read_rows(tmp_path / "items.csv")
             if r["method"] == "rdbm-eta1x8" and r["seed"] == "0" and r["task"] == "derain"]
    append_rows(tmp_path / "items.csv", extra, networks.ITEM_COLUMNS)
    append_rows(tmp_path / "sets.csv", [dict(r, seed="2") for r in read_rows(tmp_path / "sets.csv")
                                        if r["method"] == "rdbm-eta1x8" and r["seed"] == "0"], networks.SET_COLUMNS)
    read = study.analyse(draws=500)
    assert read["derain"]["rdbm-eta1x8"] == read["derain"]["rdbm-eta1x8-mean"] == ["0", "1", "2"]
    assert read["derain"]["rdbm-eta0"] == ["0", "1", "2", "3"]
    v = {(r["family"], r["a"], r["b"], r["metric"]): r for r in read_rows(tmp_path / "verdicts.csv")
         if r["task"] == "derain"}
    assert v[("regression", "rdbm-eta1x8", "regression", "psnr")]["seeds"] == "3"
    assert ("regression", "rdbm-eta1x8-mean", "regression", "ssim") not in v  # no SSIM for the mean of draws
    assert ("rdbm-eta0", "rdbm-eta0", "rdbm-eta1x8", "psnr") not in v  # RDBM's family: deterministic samplings


def test_set_gaps_p_value_is_the_t_tests():
    """The SWD gap's p-value is that of the t interval's statistic: below 0.05 exactly when the interval excludes 0."""
    from scipy.stats import ttest_1samp

    from experiments.axes import set_gaps
    sets = [{"task": "t", "method": m, "seed": s, "swd": v} for s, (x, y) in enumerate([(1, 3), (2, 3.5), (1.5, 4)])
            for m, v in (("a", x), ("b", y))]
    (g,) = set_gaps(sets, "t", ["a"], "b")
    assert g["p_value"] == pytest.approx(ttest_1samp([-2, -1.5, -2.5], 0).pvalue, abs=1e-6)
    assert (g["p_value"] < 0.05) == (g["high"] < 0) and g["verdict"] == "a better"


def test_a_recorded_network_whose_weights_were_lost_is_retrained_and_must_reproduce_its_record(tmp_path, monkeypatch):
    """Weights lost with their machine: the study retrains the recorded network and evaluates it only if its loss
    is the recorded one (then a ``.rebuilt.json`` vouches for the file, which the sampler and modulation studies
    accept through ``weights_match``); a record the retrained network does not reproduce stops the study with one
    clear error. Mutation that fails (tried): retraining without the check (the tampered record is evaluated)."""
    from experiments.networks import weights_match
    for name in ("NETWORKS_CSV", "ITEMS_CSV", "SETS_CSV"):
        monkeypatch.setattr(study, name, tmp_path / "r" / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path / "r")
    monkeypatch.setattr(study, "write_provenance", lambda *a, **k: None)
    monkeypatch.setattr(study, "evaluate_weights", lambda weights, task, seed, method, sampling: (
        [], {**dict.fromkeys(study.SET_COLUMNS, 0), "task": task, "method": method, "seed": seed}, []))
    config = study.StudyConfig(tasks=("derain",), methods=("irsde",), seeds=(0,), steps=2, batch=2, crop=16, pool=4)
    runs = tmp_path / "runs"
    assert study.run(config, runs) == 1
    record = read_rows(study.NETWORKS_CSV)[0]
    weights = runs / record["weights"]

    def lose_weights_and_evaluation(loss):
        weights.unlink()
        (weights.parent / "checkpoint.pt").unlink()
        for csv, rows in ((study.SETS_CSV, []), (study.NETWORKS_CSV, [{**record, "loss_last_50": loss}])):
            csv.unlink()
            append_rows(csv, rows, study.SET_COLUMNS if csv == study.SETS_CSV else study.NETWORK_COLUMNS)

    lose_weights_and_evaluation(float(record["loss_last_50"]) + 1e-3)
    with pytest.raises(SystemExit, match="not the recorded"):
        study.run(config, runs)
    assert read_rows(study.SETS_CSV) == []
    lose_weights_and_evaluation(record["loss_last_50"])
    assert study.run(config, runs) == 1
    assert weights.with_suffix(".rebuilt.json").is_file() and weights_match(record, weights)
