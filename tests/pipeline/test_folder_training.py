"""Training on LQ/GT folders: every pair is used, each step draws fresh windows and flips, a resumed run continues
identically, the embedded default is untouched, and bad folder input ends in one line.

Mutations tried (each fails at least one test here): training on the first ``pool`` pairs only (the old pool);
a window fixed per pair; one crop generator for the whole run instead of one per step (resume then differs);
routing the embedded default through the folder sampler.
"""
import pytest
import torch

from rdbm_core.networks import training
from rdbm_core.cli import main
from rdbm_core.data.datasets import PairedFolder, SyntheticPairs
from rdbm_core.data.images import save_image
from rdbm_core.networks.training import CachedDataset, batch_indices, folder_batch, train, training_dataset
from rdbm_core.networks.config import TrainConfig
from rdbm_core.networks.checkpoints import load_checkpoint

PATTERN = "rain-{id}:norain-{id}"


@pytest.fixture(scope="module")
def rain_folders(tmp_path_factory):
    """12 pairs rain-001.png / norain-001.png ... of 48x48 derained crops of the embedded training photographs."""
    root = tmp_path_factory.mktemp("pairs")
    lq, gt = root / "rain", root / "norain"
    ds = SyntheticPairs("derain", "train", crop=48, length=12, seed=3)
    for i in range(12):
        save_image(ds[i]["mu"], lq / f"rain-{i + 1:03d}.png")
        save_image(ds[i]["x0"], gt / f"norain-{i + 1:03d}.png")
    return lq, gt


def folder_config(rain_folders, out, **overrides):
    lq, gt = rain_folders
    return TrainConfig(**{**dict(lq=str(lq), gt=str(gt), pair_pattern=PATTERN, preset="tiny", batch=4, crop=32, pool=8,
                                 ckpt_every=0, lr=1e-3, steps=3, device="cpu", out=str(out)), **overrides})


@pytest.fixture
def drawn(monkeypatch):
    """Records the pair index of every PairedFolder.draw."""
    seen = []
    original = PairedFolder.draw

    def draw(self, index, generator, flip=True):
        seen.append(index)
        return original(self, index, generator, flip)

    monkeypatch.setattr(PairedFolder, "draw", draw)
    return seen


def test_the_run_uses_every_pair_once_per_epoch_and_says_so(rain_folders, tmp_path, drawn, capsys):
    """12 pairs, batch 4, --pool 8: 3 steps draw each of the 12 pairs once, 6 steps twice; the run prints how many
    pairs it uses. Mutation that fails: the old first-``pool``-pairs training (8 pairs, 4 never seen)."""
    lq, gt = rain_folders
    args = ["train", "--lq", str(lq), "--gt", str(gt), "--pair-pattern", PATTERN, "--preset", "tiny", "--batch", "4",
            "--crop", "32", "--pool", "8", "--device", "cpu", "--ckpt-every", "0"]
    assert main([*args, "--steps", "3", "--out", str(tmp_path / "a")]) == 0
    assert sorted(drawn) == list(range(12))
    printed = capsys.readouterr().out
    assert (f"training on 12 pairs from LQ {lq} / GT {gt} (pair pattern '{PATTERN}'), random 32x32 crops with "
            "horizontal flips, fresh every step; every pair once per epoch of 3 steps (3 steps = 1.0 epochs)") in printed
    drawn.clear()
    assert main([*args, "--steps", "2", "--out", str(tmp_path / "b")]) == 0
    assert len(set(drawn)) == 8
    assert "the 2 steps draw only 8 of them" in capsys.readouterr().out
    drawn.clear()
    train(folder_config(rain_folders, tmp_path / "c", steps=6), progress=False)
    assert sorted(drawn) == sorted(list(range(12)) * 2)


def test_windows_and_flips_are_drawn_anew_every_step(rain_folders):
    """Over 4 epochs each pair gets 4 different windows; flips occur; the draws of a step are a function of
    ``(seed, step, rank)``. Mutation that fails: a window fixed per pair."""
    config = folder_config(rain_folders, "unused")
    folder = training_dataset(config)
    assert isinstance(folder, PairedFolder) and len(folder) == 12
    by_pair = {}
    for step in range(12):
        for item in folder_batch(folder, step, config, 0, 1):
            by_pair.setdefault(item["name"], []).append(item["x0"])
    assert len(by_pair) == 12 and all(len(crops) == 4 for crops in by_pair.values())
    for name, crops in by_pair.items():
        assert all(not torch.equal(crops[i], crops[j]) for i in range(4) for j in range(i)), name
    again = folder_batch(training_dataset(config), 5, config, 0, 1)
    assert all(torch.equal(a["x0"], b["x0"]) for a, b in zip(again, folder_batch(folder, 5, config, 0, 1)))


def test_ranks_share_out_the_epoch(rain_folders):
    """Two processes with batch 3: steps 0 and 1 of both ranks draw the 12 pairs once each."""
    config = folder_config(rain_folders, "unused", batch=3)
    folder = training_dataset(config)
    names = [item["name"] for step in (0, 1) for rank in (0, 1) for item in folder_batch(folder, step, config, rank, 2)]
    assert sorted(names) == [f"rain-{i:03d}.png" for i in range(1, 13)]


def test_a_resumed_folder_run_continues_identically(rain_folders, tmp_path):
    """3 steps + 3 resumed = 6 uninterrupted steps (losses and weights identical). Mutation that fails: one crop
    generator for the whole run (seeded once at the start), whose draws after a resume restart from its seed."""
    full = train(folder_config(rain_folders, tmp_path / "full", steps=6), progress=False)
    half = train(folder_config(rain_folders, tmp_path / "half", steps=3), progress=False)
    resumed = train(folder_config(rain_folders, tmp_path / "half", steps=6), resume=half["checkpoint"], progress=False)
    assert len(full["losses"]) == 6 and resumed["losses"] == full["losses"]
    a, b = load_checkpoint(full["checkpoint"]), load_checkpoint(resumed["checkpoint"])
    assert a["config"]["pair_pattern"] == PATTERN
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k


def test_the_embedded_default_trains_on_its_fixed_pool_as_before(tmp_path, monkeypatch):
    """A --task run's batches are the pool items of SyntheticPairs(task, "train", crop, pool, seed) picked by
    batch_indices, exactly as before folders were drawn fresh; the folder sampler is never called."""
    config = TrainConfig(task="derain", preset="tiny", batch=3, crop=32, pool=5, steps=4, ckpt_every=0, seed=2,
                         device="cpu", out=str(tmp_path))
    batches = []
    original = training.train_step

    def record(net, model, ema, optimizer, path, x0, mu, *args, **kwargs):
        batches.append((x0.clone(), mu.clone()))
        return original(net, model, ema, optimizer, path, x0, mu, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("the embedded default must not use the folder sampler")

    monkeypatch.setattr(training, "train_step", record)
    monkeypatch.setattr(training, "folder_batch", refuse)
    train(config, progress=False)
    pool = CachedDataset(SyntheticPairs("derain", "train", crop=32, length=5, seed=2))
    for step, (x0, mu) in enumerate(batches):
        indices = batch_indices(5, step, 3, 2, 0, 1)
        assert torch.equal(x0, torch.stack([pool[i]["x0"] for i in indices])), step
        assert torch.equal(mu, torch.stack([pool[i]["mu"] for i in indices])), step
    assert len(batches) == 4


@pytest.mark.parametrize("extra,words", [
    (["--pair-pattern", "rain-{id}:norain"], "GT side of pair pattern 'rain-{id}:norain' must hold {id} exactly once"),
    (["--pair-pattern", "rain-{id}:clean-{id}"], "no GT file matches 'clean-{id}' in"),
    ([], "no pairs: none of the 12 images in LQ folder"),
    (["--pair-pattern", PATTERN, "--crop", "64"], "crop 64 is larger than pair '001' of size 48x48 (HxW)"),
])
def test_bad_folder_input_ends_in_one_line(rain_folders, tmp_path, capsys, extra, words):
    lq, gt = rain_folders
    assert main(["train", "--lq", str(lq), "--gt", str(gt), "--steps", "1", "--preset", "tiny", "--device", "cpu",
                 "--out", str(tmp_path), *extra]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err


def test_pair_pattern_needs_folders(capsys, tiny_checkpoint):
    assert main(["train", "--pair-pattern", PATTERN, "--steps", "1"]) == 2
    assert capsys.readouterr().err.strip() == ("error: --pair-pattern maps --lq file names to --gt ones: give --lq "
                                               "and --gt too")
    assert main(["evaluate", "--checkpoint", tiny_checkpoint, "--task", "derain", "--pair-pattern", PATTERN]) == 2
    assert "give --lq and --gt too" in capsys.readouterr().err


def test_evaluate_takes_the_pair_pattern(rain_folders, tiny_checkpoint, capsys):
    lq, gt = rain_folders
    assert main(["evaluate", "--checkpoint", tiny_checkpoint, "--lq", str(lq), "--gt", str(gt), "--pair-pattern",
                 PATTERN, "--steps", "1", "--device", "cpu", "--json"]) == 0
    assert '"count": 12' in capsys.readouterr().out
    assert main(["evaluate", "--checkpoint", tiny_checkpoint, "--lq", str(lq), "--gt", str(gt), "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert "no pairs" in err and "--pair-pattern 'rain-{id}:norain-{id}'" in err and len(err.splitlines()) == 1
