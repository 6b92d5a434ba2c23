"""The sampler study's bookkeeping (benchmarks/sampler_study.py): honest NFE counts, the budget-to-steps rule and
the 'within 0.1 dB' criterion on synthetic items."""
import importlib.util
from pathlib import Path

import torch

from rdbm_core.bridge import bridges
from rdbm_core.bridge.samplers import SAMPLERS, Denoiser

ROOT = Path(__file__).resolve().parents[2]


def _study():
    spec = importlib.util.spec_from_file_location("sampler_study", ROOT / "benchmarks" / "sampler_study.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_counted_evaluations_match_the_budget_rule():
    """Every sampler of the study spends exactly the evaluations the rows record (counted through the wrapped
    network), and never more than its budget.  Mutation: heun_evaluations = 2 * steps fails at every budget."""
    study = _study()
    path = bridges.goub()
    mu = torch.zeros(1, 3, 8, 8)
    for label, (name, kwargs) in study.SAMPLER_SPECS.items():
        for nfe in (1, 2, 3, 5, 10):
            counter = study.CountingModel(lambda x, m, t: torch.tanh(x))
            steps = study.steps_for(label, nfe)
            SAMPLERS[name](Denoiser(counter), mu, path, path.schedule.sampling_times(steps),
                           generator=torch.Generator().manual_seed(0), **kwargs)
            spent = study.heun_evaluations(steps) if name == "heun" else steps
            assert counter.calls == spent <= nfe, (label, nfe, counter.calls, spent)
    assert [study.heun_evaluations(study.steps_for("heun", n)) for n in study.NFE] == [1, 2, 2, 4, 10, 20, 50, 100]


def test_within_criterion_and_verdict_on_synthetic_items(tmp_path):
    """A sampler 0.03 dB above the reference on every item is within from the NFE where it gets there; one 0.5 dB
    below is never within; the two-sided rule also refuses one 0.5 dB above.  Mutation: a one-sided rule (low >=
    -0.1) makes the 0.5 dB-better sampler 'within' and fails."""
    study = _study()
    assert study.within_tolerance(0.05, -0.02, 0.12) and study.within_tolerance(0.05, 0.01, 0.09)
    assert not study.within_tolerance(0.05, 0.01, 0.12) and not study.within_tolerance(0.15, -0.01, 0.3)
    rows = []
    g = torch.Generator().manual_seed(0)
    base = 25 + torch.randn(3, 16, generator=g, dtype=torch.float64)
    offsets = {("euler-maruyama", 100): 0.0, ("dbim-2", 1): -2.0, ("dbim-2", 5): 0.03, ("dbim-2", 10): 0.03,
               ("euler", 5): -0.5, ("euler", 10): -0.5, ("heun", 10): 0.5}
    for (sampler, nfe), off in offsets.items():
        for seed in range(3):
            for item in range(16):
                v = float(base[seed, item]) + off
                rows.append({"task": "derain", "bridge": "goub", "seed": seed, "sampler": sampler, "steps": nfe,
                             "nfe": nfe, "item": item, "image": f"i{item}", **{k: v for k in study.METRIC_KEYS}})
    items = tmp_path / "items.csv"
    study.append_rows(items, rows, study.ITEM_COLUMNS)
    args = type("A", (), {"items": str(items), "summary": str(tmp_path / "s.csv")})()
    verdict = study.analyse(args)["verdict"]
    assert verdict["derain/goub/dbim-2"]["first_within"] == 5 and verdict["derain/goub/dbim-2"]["stays_within"] == 5
    assert verdict["derain/goub/euler"]["first_within"] is None
    assert verdict["derain/goub/heun"]["first_within"] is None
    assert verdict["derain/goub/heun"]["first_reaches"] == 10 and verdict["derain/goub/euler"]["stays_reaches"] is None
    assert verdict["derain/goub/dbim-2"]["first_reaches"] == 5
    assert verdict["derain/goub/euler-maruyama"]["first_within"] == 100


def test_a_missing_checkpoint_is_trained_with_gradients(tmp_path, monkeypatch):
    """The study samples under ``no_grad`` and trains a missing network from there: training must see gradients.
    Mutation: calling ``train`` without ``torch.enable_grad()`` (as before) records False."""
    study = _study()
    seen = []

    def fake_train(config, progress):
        seen.append(torch.is_grad_enabled())
        return {"checkpoint": str(tmp_path / "checkpoint.pt")}
    monkeypatch.setattr(study, "train", fake_train)
    with torch.no_grad():
        study.checkpoint(tmp_path, "derain", "goub", 0)
    assert seen == [True]
