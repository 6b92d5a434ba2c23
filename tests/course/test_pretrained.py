"""The shipped networks (``rdbm_course.pretrained``): each loads, is at most 10 MB, has the configuration its
notebook trains, and restores its part of the held-out benchmark within 0.1 dB of the PSNR recorded when it was
shipped (another CPU rounds differently, so not bit for bit); the command line restores a folder with one."""
import pytest
import torch

from rdbm_core.networks.checkpoints import load_weights
from rdbm_core.cli import main
from rdbm_core.data.embedded import embedded_images
from rdbm_core.data.images import save_image, image_to_tensor
from rdbm_core.networks.config import TrainConfig
from rdbm_course import pretrained
from rdbm_course.pretrained.ship import benchmark_psnr

#: the configuration notebook 06 trains (section 1); the shipped networks must be exactly these runs
NOTEBOOK_06 = {task: TrainConfig(task=task, preset="small", crop=64, batch=8, pool=1024, lr=5e-4, steps=steps,
                                 ckpt_every=0, unet_norm="group")
               for task, steps in (("derain", 300), ("inpaint", 600))}


def _ladder_config(method: str, steps: int) -> TrainConfig:
    """The training config of the budget ladder's chain ``derain_<method>_tiny_s0`` at ``steps`` (what
    ``python -m experiments budget_ladder train`` runs), with ``out`` normalised."""
    from dataclasses import replace

    from experiments import budget_ladder as ladder
    from rdbm_core.comparison import Budget, method_config
    settings = ladder.LadderConfig()
    budget = Budget(steps=steps, batch=settings.batch, crop=settings.crop, preset="tiny", lr=settings.lr,
                    pool=settings.pool, device="cpu")
    config = replace(method_config("derain", method, 0, budget, "runs/rdbm"), ckpt_every=settings.ckpt_every,
                     unet_norm="group")
    return config


#: the configuration of every shipped network: notebook 06's two runs (its section 1) and notebook 13's three
#: rungs of the budget ladder
EXPECTED = {**{f"nb06_{task}": config for task, config in NOTEBOOK_06.items()},
            **{f"nb13_derain_{m}": (m, 1000) for m in ("goub", "rdbm", "regression")}}


def test_every_notebook_network_is_shipped_with_its_record():
    """Mutation that fails: a network trained with another budget than the one its record names."""
    assert pretrained.names() == sorted(EXPECTED)
    for name in pretrained.names():
        r = pretrained.record(name)
        file = pretrained.weights_file(name)
        assert file.stat().st_size <= 10e6
        assert {"command", "commit", "machine", "wall_s", "date", "benchmark"} <= set(r)
        _, meta = load_weights(file)
        config = TrainConfig.from_dict({**meta["config"], "out": "runs/rdbm"})
        expected = EXPECTED[name] if isinstance(EXPECTED[name], TrainConfig) else _ladder_config(*EXPECTED[name])
        assert config == expected, name
        assert ("python -m rdbm_core train" if name.startswith("nb06") else
                "python -m experiments budget_ladder train") in r["command"]
        assert meta["step"] == config.steps == r["steps"] and len(meta["losses"]) == config.steps
    with pytest.raises(KeyError, match="no shipped network 'nb99'"):
        pretrained.record("nb99")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_shipped_network_restores_the_benchmark_as_recorded(name):
    """Mutation that fails: loading the network with freshly initialised weights (the PSNR falls to the input's)."""
    torch.set_num_threads(1)
    recorded = pretrained.record(name)["benchmark"]
    measured = benchmark_psnr(pretrained.weights_file(name), recorded["task"])
    assert measured["input_psnr"] == pytest.approx(recorded["input_psnr"], abs=1e-3)
    assert measured["psnr"] == pytest.approx(recorded["psnr"], abs=0.1)
    assert measured["psnr"] > measured["input_psnr"] + 1.0


def test_the_command_line_restores_a_folder_with_a_shipped_network(tmp_path, capsys):
    folder = tmp_path / "photos"
    for k, image in enumerate(embedded_images("test")[:2]):
        save_image(image_to_tensor(image[:48, :64]), folder / f"p{k}.png")
    out = tmp_path / "restored"
    assert main(["restore", "--checkpoint", str(pretrained.weights_file("nb06_derain")), "--input", str(folder),
                 "--output", str(out), "--steps", "2", "--device", "cpu"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png"]
