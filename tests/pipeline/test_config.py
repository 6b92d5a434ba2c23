"""TrainConfig is the one place of a run's defaults: ``train``'s flags are generated from its fields.

Mutations that fail: a field added to TrainConfig without metadata ``help`` (the parser cannot be built);
``add_config_flags`` skipping a field or passing ``default=None`` (first and second tests); a smoke
configuration that drops ``steps=20`` (third).
"""
from dataclasses import fields

from rdbm_core.cli import build_parser, config_from_flags
from rdbm_core.config import SMOKE, TRAINABLE, TrainConfig


def _train_parser():
    sub = next(a for a in build_parser()._actions if a.dest == "command")  # argparse's subparsers action
    return sub.choices["train"]


def test_every_field_has_a_flag_with_its_default_help_and_choices():
    actions = {a.dest: a for a in _train_parser()._actions}
    for f in fields(TrainConfig):
        assert f.name in actions, f"TrainConfig.{f.name} has no flag of `train`"
        action = actions[f.name]
        assert action.default == f.default, f.name
        assert action.help == f.metadata["help"] and action.help, f.name
        if "choices" in f.metadata:
            assert tuple(action.choices) == tuple(f.metadata["choices"]), f.name
    assert tuple(actions["bridge"].choices) == TRAINABLE


def test_no_flags_give_the_default_config_and_flags_reach_their_fields():
    parser = build_parser()
    assert config_from_flags(parser.parse_args(["train"])) == TrainConfig()
    args = parser.parse_args(["train", "--images", "2", "--weight-decay", "0.1", "--no-skip-mu", "--lam", "1e-3",
                              "--noise", "global", "--ckpt-every", "7"])
    config = config_from_flags(args)
    assert (config.eval_images, config.weight_decay, config.skip_mu, config.lam, config.noise, config.ckpt_every) \
        == (2, 0.1, False, 1e-3, "global", 7)


def test_smoke_config_is_the_tiny_twenty_step_run():
    config = TrainConfig.smoke(task="inpaint", out="x")
    assert (config.preset, config.steps, config.task, config.out) == ("tiny", 20, "inpaint", "x")
    assert all(getattr(config, k) == v for k, v in SMOKE.items())
