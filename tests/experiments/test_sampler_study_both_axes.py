"""The sampler study on both axes: network calls counted in the run itself, every (network, sampler, NFE) once,
each sampler compared with its own converged output and with the deterministic baseline."""
import pytest

from experiments import sampler_study as study
from rdbm_core.data.files import append_rows, read_rows


def _goub_networks(tmp_path, runs) -> list[dict]:
    """GOUB deraining networks of seeds 0 and 1 trained 2 iterations into ``runs``, recorded in
    ``tmp_path / "networks.csv"`` as the bridge comparison records them; returns their rows."""
    from experiments.bridge_comparison import NETWORK_COLUMNS
    from experiments.networks import network_record, train_to
    from rdbm_core import comparison
    budget = comparison.Budget(steps=2, batch=2, crop=16, preset="tiny", lr=1e-3, pool=4, device="cpu")
    rows = []
    for seed in (0, 1):
        config = comparison.method_config("derain", "goub", seed, budget, str(runs / f"derain_goub_s{seed}"))
        result, weights = train_to(config, 2)
        rows.append({"task": "derain", "method": "goub", "seed": seed, "steps": 2, **network_record(result, weights, runs)})
    append_rows(tmp_path / "networks.csv", rows, NETWORK_COLUMNS)
    return rows


def test_heun_spends_at_most_its_budget():
    """Mutation that fails: Heun's steps set to the budget (4 steps spend 6 calls, over a budget of 4)."""
    assert [study.steps_for("heun", n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]
    assert [study.heun_evaluations(study.steps_for("heun", n)) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 4, 4]
    assert study.steps_for("dbim-3", 7) == 7


def test_a_small_study_runs_once_analyses_and_resumes(tmp_path, monkeypatch):
    from rdbm_core.evidence import perceptual
    if not perceptual.available():
        pytest.skip("the perceptual extra is not installed")
    runs = tmp_path / "runs"
    _goub_networks(tmp_path, runs)
    for name in ("ITEMS_CSV", "SETS_CSV", "SUMMARY_CSV"):
        monkeypatch.setattr(study, name, tmp_path / "out" / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path / "out")
    monkeypatch.setattr(study, "NETWORKS_CSV", tmp_path / "networks.csv")
    monkeypatch.setattr(study, "CONVERGED", 4)
    monkeypatch.setattr(study, "SAMPLER_SPECS", {k: study.SAMPLER_SPECS[k] for k in ("implicit-eta0", "heun",
                                                                                      "implicit-eta1")})
    real = study.HeldOutBenchmark
    monkeypatch.setattr(study, "HeldOutBenchmark", lambda task, version: real(task, items=4, crop=32, version=version))
    config = study.SamplerStudyConfig(tasks=("derain",), bridges=("goub",), nfe=(1, 3, 4))
    assert study.run(config, runs) == 2 * 3 * 3
    items = read_rows(tmp_path / "out" / "items.csv")
    heun3 = {r["nfe"] for r in items if r["method"] == "goub-heun-3"}
    assert heun3 == {"2"}  # the calls made, counted in the run: Heun's 2 steps within a budget of 3
    assert len(items) == 2 * 3 * 3 * 4
    assert study.run(config, runs) == 0
    summary = study.analyse(config, draws=200)
    refs = {(r["sampler"], r["nfe"], r["reference"]) for r in summary if r["metric"] == "psnr"}
    assert ("heun", 1, "goub-heun-4") in refs and ("heun", 1, "goub-implicit-eta0-1") in refs
    assert ("implicit-eta0", 4, "goub-implicit-eta0-4") not in refs  # nothing is compared with itself
    assert {r["metric"] for r in summary} == {"psnr", "lpips_st", "swd"}
    assert all(r["within"] in (True, False) for r in summary if r["reference"].endswith("-4") and r["seeds"] == 2
               and r["metric"] != "swd")
    assert study.converged_from(summary, "derain", "goub", "implicit-eta0") in (1, 3, None)


def test_rebuild_retrains_a_lost_network_that_must_reproduce_its_loss(tmp_path, monkeypatch):
    """``run --rebuild``: a recorded network whose weights are gone is retrained with the bridge comparison's budget
    and evaluated only if it reproduces its recorded loss. Mutations that fail: the missing network skipped with
    ``rebuild`` (the first ``run`` count), a rebuilt network used without the loss check (the tampered record is
    evaluated instead of stopping the study)."""
    import shutil

    from experiments import bridge_comparison
    runs = tmp_path / "runs"
    small = bridge_comparison.StudyConfig(steps=2, batch=2, crop=16, pool=4, lr=1e-3)
    rows = _goub_networks(tmp_path, runs)
    columns = bridge_comparison.NETWORK_COLUMNS
    shutil.rmtree(runs / "derain_goub_s1")
    for name in ("ITEMS_CSV", "SETS_CSV", "SUMMARY_CSV"):
        monkeypatch.setattr(study, name, tmp_path / "out" / getattr(study, name).name)
    monkeypatch.setattr(study, "FOLDER", tmp_path / "out")
    monkeypatch.setattr(study, "NETWORKS_CSV", tmp_path / "networks.csv")
    monkeypatch.setattr(study, "StudyConfig", lambda: small)
    monkeypatch.setattr(study, "SAMPLER_SPECS", {"implicit-eta0": study.SAMPLER_SPECS["implicit-eta0"]})
    monkeypatch.setattr(study, "lpips_st", lambda out, x0: (out - x0).abs().mean(dim=(1, 2, 3)))
    real = study.HeldOutBenchmark
    monkeypatch.setattr(study, "HeldOutBenchmark", lambda task, version: real(task, items=2, crop=32, version=version))
    config = study.SamplerStudyConfig(tasks=("derain",), bridges=("goub",), nfe=(1,))
    assert study.run(config, runs) == 1  # without --rebuild only the network whose weights are there
    assert study.run(config, runs, rebuild=True) == 1
    assert (runs / "derain_goub_s1" / "steps_2.rebuilt.json").is_file()
    assert {r["seed"] for r in read_rows(tmp_path / "out" / "sets.csv")} == {"0", "1"}
    shutil.rmtree(runs / "derain_goub_s1")
    tampered = [dict(r, loss_last_50=float(r["loss_last_50"]) + 1e-3) if r["seed"] == 1 else r for r in rows]
    (tmp_path / "networks.csv").unlink()
    append_rows(tmp_path / "networks.csv", tampered, columns)
    (tmp_path / "out" / "sets.csv").unlink()
    with pytest.raises(SystemExit, match="not the recorded"):
        study.run(config, runs, rebuild=True)
