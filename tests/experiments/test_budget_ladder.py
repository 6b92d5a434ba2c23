"""The budget ladder's training phase: a rung reached by resuming is the network of an uninterrupted run, the
schedule completes cheap rungs first, shards never share a chain, and a second run skips what is done."""
import torch

from experiments import budget_ladder as ladder
from rdbm_core.networks.checkpoints import load_weights
from rdbm_core.data.files import read_rows

TINY = ladder.LadderConfig(batch=2, crop=16, lr=1e-3, pool=8, ckpt_every=2)


def test_a_rung_reached_by_resuming_is_the_uninterrupted_run(tmp_path, monkeypatch):
    """Chain trained to 2 then resumed to 5 steps (5 training steps in all) against one 5-step run: the same
    EMA weights (same process, bit for bit). Mutation that fails: ``train_rung`` not resuming (each rung
    trained from scratch: 7 steps)."""
    from rdbm_core.networks import training
    calls = []
    step = training.train_step
    monkeypatch.setattr(training, "train_step", lambda *a, **k: calls.append(1) or step(*a, **k))
    chain = ladder.Chain("derain", "rdbm", "tiny", 0, (2, 5))
    ladder.train_rung(chain, 2, tmp_path / "a", TINY)
    row = ladder.train_rung(chain, 5, tmp_path / "a", TINY)
    assert len(calls) == 5
    ladder.train_rung(chain, 5, tmp_path / "b", TINY)
    a, meta_a = load_weights(tmp_path / "a" / chain.name / "steps_5.safetensors")
    b, meta_b = load_weights(tmp_path / "b" / chain.name / "steps_5.safetensors")
    assert meta_a["step"] == meta_b["step"] == 5 and len(meta_a["losses"]) == 5
    assert meta_a["losses"] == meta_b["losses"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert row["weights"] == f"{chain.name}/steps_5.safetensors" and len(row["sha256"]) == 64


def test_schedule_and_shards():
    chains = ladder.chains()
    order = ladder.schedule(chains)
    rungs = [r for _, r in order]
    tiny = [r for c, r in order if c.preset == "tiny" and r <= 4000]
    assert tiny == sorted(tiny) and order[: len(tiny)] == [(c, r) for c, r in order if c.preset == "tiny" and r <= 4000]
    small = [k for k, (c, _) in enumerate(order) if c.preset == "small"]
    assert small == list(range(len(tiny), len(tiny) + len(small)))  # then the small chains, cheapest rung first
    assert all(r == 16000 for _, r in order[len(tiny) + len(small):])  # then the longest rung
    assert len(order) == sum(len(c.rungs) for c in chains)
    per_rung = {r: {(c.task, c.method, c.preset) for c, q in order if q == r} for r in set(rungs)}
    assert {c.seed for c, r in order if r == 4000 and c.preset == "tiny"} == {0, 1, 2, 3, 4}
    assert {c.seed for c, r in order if r == 16000} == {0, 1, 2}
    assert ("derain", "goub", "small") in per_rung[4000] and ("inpaint", "rdbm", "small") not in per_rung[4000]
    at_4000 = [(c.task, c.seed, c.norm) for c, r in order if r == 4000 and c.preset == "tiny"]
    first = [x for x in at_4000 if x[0] == "derain" and x[1] < 3]  # the normalisation decision's networks first
    assert at_4000[: len(first)] == first and ("derain", 0, "pixel") in first
    assert at_4000.index(("inpaint", 0, "group")) < at_4000.index(("derain", 3, "group"))
    pixel = {(c.task, c.seed) for c, r in order if r == 4000 and c.norm == "pixel"}
    assert pixel == {(t, s) for t in ("derain", "inpaint") for s in range(5)}
    assert len({c.name for c in chains}) == len(chains)  # the pixel-norm chains have folders of their own
    shards = [{c.name for k, c in enumerate(chains) if k % 2 == i} for i in (0, 1)]
    assert not shards[0] & shards[1] and len(shards[0] | shards[1]) == len(chains)


def test_train_command_resumes_and_skips_what_is_done(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ladder, "LADDER", (("tiny", ("derain",), ("regression", "goub"), (0,), (2, 3), "group"),))
    monkeypatch.setattr(ladder, "LadderConfig", lambda: TINY)
    monkeypatch.setattr(ladder, "FOLDER", tmp_path / "results")
    monkeypatch.setattr(ladder, "NETWORKS_CSV", tmp_path / "results" / "networks.csv")
    assert ladder.main(["train", "--runs", str(tmp_path / "runs"), "--shard", "0/1"]) == 0
    rows = read_rows(tmp_path / "results" / "networks.csv")
    assert [(r["method"], r["steps"]) for r in rows] == [("regression", "2"), ("goub", "2"), ("regression", "3"),
                                                         ("goub", "3")]
    assert (tmp_path / "results" / "provenance_train_shard0of1.json").is_file()
    capsys.readouterr()
    assert ladder.main(["train", "--runs", str(tmp_path / "runs")]) == 0
    assert "4 of 4 rungs done, 0 to train" in capsys.readouterr().out
    assert len(read_rows(tmp_path / "results" / "networks.csv")) == 4


def test_evaluate_command_writes_items_and_sets_once(tmp_path, monkeypatch, capsys):
    """Two tiny networks (regression and GOUB, 2 iterations) evaluated on a 4-item benchmark v2 stand-in: one
    items row per (network, sampling, item) with PSNR and ST-LPIPS, the stochastic sampling with its draws, one
    sets row per (network, sampling); a second run evaluates nothing. Mutation that fails: labels without the
    sampling (eta0 and eta1 rows of one network collide and the second run re-evaluates)."""
    import pytest
    from rdbm_core.evidence import perceptual
    if not perceptual.available():
        pytest.skip("the perceptual extra is not installed")
    from experiments import networks
    monkeypatch.setattr(ladder, "LADDER", (("tiny", ("derain",), ("regression", "goub"), (0,), (2,), "group"),))
    monkeypatch.setattr(ladder, "LadderConfig", lambda: TINY)
    for name, value in (("FOLDER", tmp_path / "r"), ("NETWORKS_CSV", tmp_path / "r" / "networks.csv"),
                        ("ITEMS_CSV", tmp_path / "r" / "items.csv"), ("SETS_CSV", tmp_path / "r" / "sets.csv")):
        monkeypatch.setattr(ladder, name, value)
    short = {k: networks.Sampling(v.sampler, v.eta, v.draws, 2) for k, v in networks.SAMPLINGS.items()}
    monkeypatch.setattr(networks, "SAMPLINGS", short)
    real = networks.HeldOutBenchmark
    monkeypatch.setattr(networks, "HeldOutBenchmark", lambda task, items, crop, version: real(task, items=4, crop=32,
                                                                                               version=version))
    assert ladder.main(["train", "--runs", str(tmp_path / "runs")]) == 0
    assert ladder.main(["evaluate", "--runs", str(tmp_path / "runs")]) == 0
    items, sets = read_rows(tmp_path / "r" / "items.csv"), read_rows(tmp_path / "r" / "sets.csv")
    assert sorted({r["method"] for r in items}) == ["goub-tiny-2-eta0", "goub-tiny-2-eta1", "regression-tiny-2"]
    assert len(items) == 3 * 4 and len(sets) == 3
    eta1 = [r for r in items if r["method"].endswith("eta1")]
    assert all(float(r["lpips_st"]) >= 0 and r["psnr_mean_of_draws"] not in ("", "nan") for r in eta1)
    capsys.readouterr()
    assert ladder.main(["evaluate", "--runs", str(tmp_path / "runs")]) == 0
    assert "0 (network, sampling) to evaluate" in capsys.readouterr().out


def test_evaluate_filters_and_skips_what_another_process_finished(tmp_path, monkeypatch, capsys):
    """``--steps`` and ``--method`` choose the networks; a job that sets.csv holds by the time it comes up (another
    process finished it) is skipped, so two processes share the work without duplicate rows. Mutations that fail:
    ignoring ``--method`` (the regression network is evaluated too), checking sets.csv only at the start (the
    eta1 job is evaluated a second time)."""
    from experiments.provenance import file_sha256
    from rdbm_core.data.files import append_rows
    from rdbm_core.evidence import perceptual
    monkeypatch.setattr(perceptual, "weights_path", lambda: None)
    for name, value in (("FOLDER", tmp_path / "r"), ("NETWORKS_CSV", tmp_path / "r" / "networks.csv"),
                        ("ITEMS_CSV", tmp_path / "r" / "items.csv"), ("SETS_CSV", tmp_path / "r" / "sets.csv")):
        monkeypatch.setattr(ladder, name, value)
    rows = []
    for method, steps in (("regression", 2), ("goub", 2), ("goub", 5)):
        weights = tmp_path / "runs" / f"{method}_{steps}.safetensors"
        weights.parent.mkdir(exist_ok=True)
        weights.write_bytes(f"{method}{steps}".encode())
        rows.append({"task": "derain", "method": method, "preset": "tiny", "norm": "group", "seed": 0, "steps": steps,
                     "weights": weights.name, "sha256": file_sha256(weights), "train_wall_s": 1, "loss_last_50": 0})
    append_rows(ladder.NETWORKS_CSV, rows, ladder.NETWORK_COLUMNS)
    calls = []

    def fake(weights, task, seed, method, sampling):
        calls.append(method)
        if sampling == "eta0":  # meanwhile another process evaluates the eta1 sampling of the same network
            append_rows(ladder.SETS_CSV, [{**dict.fromkeys(ladder.SET_COLUMNS, 0), "task": task,
                                           "method": method.replace("eta0", "eta1"), "seed": seed}], ladder.SET_COLUMNS)
        return [], {"task": task, "method": method, "seed": seed, "swd": 0.0, "wall_s": 0.0}, []
    monkeypatch.setattr(ladder, "evaluate_weights", fake)
    monkeypatch.setattr(ladder, "write_provenance", lambda *a, **k: None)
    monkeypatch.setattr(ladder, "append_rows", lambda file, new, columns: append_rows(file, [
        {k: r.get(k, 0) for k in columns} for r in new], columns))
    monkeypatch.setattr(ladder.np, "mean", lambda values: 0.0)
    assert ladder.main(["evaluate", "--runs", str(tmp_path / "runs"), "--method", "goub", "--steps", "2"]) == 0
    assert calls == ["goub-tiny-2-eta0"]


def test_analyse_pairs_each_bridge_with_regression_on_their_shared_seeds(tmp_path, monkeypatch):
    """Gaps at a budget: RDBM (3 seeds) is 1 dB under regression (4 seeds) on every item, GOUB (2 seeds) 0.5 dB;
    each gap uses the seeds it shares with regression, so RDBM gets a verdict and GOUB none; the pixel-norm RDBM
    is compared with the GroupNorm one. Mutation that fails: one seed set shared by every method (RDBM would
    drop to 2 seeds and lose its verdict)."""
    import argparse

    import numpy as np

    from experiments.networks import ITEM_COLUMNS, SET_COLUMNS
    from rdbm_core.data.files import append_rows

    for name in ("NETWORKS_CSV", "ITEMS_CSV", "SETS_CSV"):
        monkeypatch.setattr(ladder, name, tmp_path / getattr(ladder, name).name)
    monkeypatch.setattr(ladder, "FOLDER", tmp_path)
    rng = np.random.default_rng(1)
    nets, items, sets = [], [], []
    for method, norm, seeds, shift in (("regression", "group", 4, 0.0), ("rdbm", "group", 3, -1.0),
                                       ("goub", "group", 2, -0.5), ("rdbm", "pixel", 3, -1.1)):
        for seed in range(seeds):
            net = {"task": "derain", "method": method, "preset": "tiny", "norm": norm, "seed": seed, "steps": 250}
            nets.append({**net, "weights": "w", "sha256": "0", "train_wall_s": 0, "loss_last_50": 0})
            for sampling in (None,) if method == "regression" else ladder.LADDER_SAMPLINGS:
                label = ladder.method_label(net, sampling)
                for i in range(16):
                    r = {k: "nan" for k in ITEM_COLUMNS}
                    r.update(task="derain", method=label, seed=seed, item=i, image=f"p{i % 4}@{i},0",
                             psnr=24 + i % 4 + shift + 0.02 * rng.standard_normal(), lpips_st=0.2 - shift / 10)
                    items.append(r)
                sets.append({"task": "derain", "method": label, "seed": seed, "swd": 100 - 10 * shift, "swd_low": 0,
                             "swd_high": 0, "input_swd": 0, "wall_s": 0})
    append_rows(ladder.NETWORKS_CSV, nets, ladder.NETWORK_COLUMNS)
    append_rows(ladder.ITEMS_CSV, items, ITEM_COLUMNS)
    append_rows(ladder.SETS_CSV, sets, SET_COLUMNS)
    assert ladder.cmd_analyse(argparse.Namespace(draws=500)) == 0
    gaps = {(r["a"], r["metric"]): r for r in read_rows(tmp_path / "gaps.csv")}
    rdbm = gaps[("rdbm-tiny-250-eta0", "psnr")]
    assert rdbm["seeds"] == "3" and rdbm["verdict"] == "regression-tiny-250 better"
    assert abs(float(rdbm["mean"]) + 1.0) < 0.05
    goub = gaps[("goub-tiny-250-eta1", "lpips_st")]
    assert goub["seeds"] == "2" and goub["verdict"].startswith("no verdict")
    assert float(gaps[("rdbm-tiny-250-eta0", "swd")]["mean"]) == 10.0
    norm = read_rows(tmp_path / "norm.csv")
    assert [(r["a"], r["b"], r["metric"]) for r in norm][0] == ("rdbm-tiny-pixel-250-eta0", "rdbm-tiny-250-eta0", "psnr")
    assert abs(float(norm[0]["mean"]) + 0.1) < 0.05
    assert (tmp_path / "gaps.png").is_file()


def test_evaluation_order_puts_the_deterministic_trend_of_three_seeds_first():
    """Mutations that fail: jobs evaluated in the order the networks were trained (every seed of rung 250 first);
    the pixel norm's draws among the GroupNorm ones (tried: the norm key only last)."""
    rows = [{"seed": str(s), "steps": str(n), "preset": "tiny", "norm": norm} for n in (1000, 250) for s in range(5)
            for norm in ("pixel", "group")]
    jobs = [(r, sampling) for r in rows for sampling in ("eta0", "eta1")]
    order = [(int(r["seed"]), int(r["steps"]), r["norm"], sampling)
             for r, sampling in sorted(jobs, key=ladder.evaluation_order)]
    assert order[:12] == [(s, n, norm, "eta0") for n in (250, 1000) for norm in ("group", "pixel") for s in range(3)]
    assert {(x[0] >= 3, x[3]) for x in order[12:20]} == {(True, "eta0")}  # then the other seeds
    assert {x[3] for x in order[20:]} == {"eta1"}
    draws = order[20:]  # every GroupNorm draw first, its first three seeds rung by rung, then the pixel norm's
    assert [x[2] for x in draws] == ["group"] * 10 + ["pixel"] * 10
    assert [(x[0], x[1]) for x in draws[:6]] == [(s, n) for n in (250, 1000) for s in range(3)]


def test_evaluate_rebuild_retrains_lost_weights_and_checks_them_against_their_records(tmp_path, monkeypatch, capsys):
    """Weights lost with their machine: ``evaluate --rebuild`` retrains the chain from scratch in a folder of its own
    through every lost rung (here 2 and 3), moves each beside a ``.rebuilt.json``, checks the rebuilt network's
    deterministic restorations against the recorded ones, and evaluates; a rebuilt loss other than the recorded
    one, or restorations that moved, stop the job with one clear error and nothing evaluated. Mutations that fail (each
    tried): no loss check (the tampered record is evaluated); no restoration check (the shifted restorations are
    evaluated); rebuilding only the rung asked for; a sidecar that vouches for any file (one changed after its
    rebuild passes)."""
    import json

    import pytest
    from experiments.networks import weights_match
    from rdbm_core.data.files import append_rows
    from rdbm_core.evidence import perceptual
    monkeypatch.setattr(perceptual, "weights_path", lambda: None)
    monkeypatch.setattr(ladder, "LADDER", (("tiny", ("derain",), ("goub",), (0,), (2, 3), "group"),))
    monkeypatch.setattr(ladder, "LadderConfig", lambda: TINY)
    for name, value in (("FOLDER", tmp_path / "r"), ("NETWORKS_CSV", tmp_path / "r" / "networks.csv"),
                        ("ITEMS_CSV", tmp_path / "r" / "items.csv"), ("SETS_CSV", tmp_path / "r" / "sets.csv")):
        monkeypatch.setattr(ladder, name, value)
    monkeypatch.setattr(ladder, "write_provenance", lambda *a, **k: None)
    runs = tmp_path / "runs"
    assert ladder.main(["train", "--runs", str(runs)]) == 0
    shift = {"dB": 0.0}

    def fake(weights, task, seed, method, sampling):  # the recorded eta0 restorations, moved by shift["dB"]
        items = [{k: 0 for k in ladder.ITEM_COLUMNS} | {"task": task, "method": method, "seed": seed, "item": i,
                                                         "psnr": 20.0 + i + shift["dB"], "lpips_st": 0.1}
                 for i in range(3)]
        return items, {**dict.fromkeys(ladder.SET_COLUMNS, 0), "task": task, "method": method, "seed": seed}, []
    monkeypatch.setattr(ladder, "evaluate_weights", fake)
    eta0 = fake(None, "derain", 0, "goub-tiny-3-eta0", "eta0")
    append_rows(ladder.ITEMS_CSV, eta0[0], ladder.ITEM_COLUMNS)
    append_rows(ladder.SETS_CSV, [eta0[1]], ladder.SET_COLUMNS)
    for f in runs.rglob("*.safetensors"):
        f.unlink()
    (runs / "derain_goub_tiny_s0" / "checkpoint.pt").unlink()

    rows = read_rows(ladder.NETWORKS_CSV)
    tampered = [{**r, "loss_last_50": float(r["loss_last_50"]) + 1e-3} for r in rows]
    ladder.NETWORKS_CSV.unlink()
    append_rows(ladder.NETWORKS_CSV, tampered, ladder.NETWORK_COLUMNS)
    with pytest.raises(SystemExit, match="not the recorded"):
        ladder.main(["evaluate", "--runs", str(runs), "--steps", "2", "--rebuild"])
    assert not (runs / "derain_goub_tiny_s0" / "steps_2.safetensors").exists()

    ladder.NETWORKS_CSV.unlink()
    append_rows(ladder.NETWORKS_CSV, rows, ladder.NETWORK_COLUMNS)
    shift["dB"] = 0.05
    with pytest.raises(SystemExit, match="differ from the recorded ones"):
        ladder.main(["evaluate", "--runs", str(runs), "--steps", "3", "--rebuild"])
    assert len(read_rows(ladder.SETS_CSV)) == 1

    shift["dB"] = 0.0
    capsys.readouterr()
    assert ladder.main(["evaluate", "--runs", str(runs), "--rebuild"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt network reproduces its 3 recorded goub-tiny-3-eta0 restorations" in out
    assert sorted(r["method"] for r in read_rows(ladder.SETS_CSV)) == ["goub-tiny-2-eta0", "goub-tiny-2-eta1",
                                                                         "goub-tiny-3-eta0", "goub-tiny-3-eta1"]
    for steps in (2, 3):
        weights = runs / "derain_goub_tiny_s0" / f"steps_{steps}.safetensors"
        sidecar = json.loads(weights.with_suffix(".rebuilt.json").read_text())
        record = next(r for r in rows if r["steps"] == str(steps))
        assert sidecar["recorded_sha256"] == record["sha256"] and sidecar["loss_last_50"] == float(record["loss_last_50"])
        assert weights_match(record, weights)
        weights.write_bytes(weights.read_bytes() + b" ")  # a file changed after its rebuild is not that network
        assert not weights_match(record, weights)
