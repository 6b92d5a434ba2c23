"""The bridge comparison study: every network trained once, every sampling of it evaluated once, the degraded
inputs once per task and seed, items paired by (seed, item) across methods; a second run does nothing."""
import pytest

from experiments import bridge_comparison as study
from experiments import networks
from rdbm_core.data.files import read_rows


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
