"""TrainConfig is the one place of a run's defaults: ``train``'s flags are generated from its fields.

Mutations that fail: ``add_config_flags`` skipping a field, or passing ``default=None`` (first and second
tests); a field whose metadata has no ``help`` (the parser cannot be built); a smoke configuration without
``steps=20`` (third).
"""
import re
from dataclasses import fields

import pytest

from rdbm_core.cli import build_parser, config_from_flags
from rdbm_core.networks.config import SMOKE, TrainConfig


def _other_value(f):
    """A command-line value for field ``f`` that differs from its default, and the value it must parse to."""
    if "choices" in f.metadata:
        value = next(c for c in f.metadata["choices"] if c != f.default)
        return [value], value
    kind = {"steps": int, "batch": int, "crop": int, "pool": int, "seed": int, "eval_every": int,
            "eval_images": int, "sample_steps": int, "ckpt_every": int}.get(f.name)
    if kind is int:
        return [str(f.default + 3)], f.default + 3
    if isinstance(f.default, float) or f.name == "lam":
        return ["0.125"], 0.125
    return ["some/folder"], "some/folder"


def test_every_field_has_a_flag_with_its_help_that_reaches_the_field(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    text = re.sub(r"\s+", "", capsys.readouterr().out)  # argparse wraps (and splits at hyphens)
    for f in fields(TrainConfig):
        flag = f.metadata.get("flag", "--" + f.name.replace("_", "-"))
        assert re.sub(r"\s+", "", f.metadata["help"]) in text, f"help of TrainConfig.{f.name} not shown"
        if f.type == "bool":
            args, expected = parser.parse_args(["train", "--no-" + flag[2:]]), not f.default
        else:
            value, expected = _other_value(f)
            args = parser.parse_args(["train", flag, *value])
        assert getattr(args, f.name) == expected != f.default, f.name


def test_no_flags_give_the_default_config():
    assert config_from_flags(build_parser().parse_args(["train"])) == TrainConfig()


def test_smoke_config_is_the_tiny_twenty_step_run():
    config = TrainConfig.smoke(task="inpaint", out="x")
    assert (config.preset, config.steps, config.task, config.out) == ("tiny", 20, "inpaint", "x")
    assert all(getattr(config, k) == v for k, v in SMOKE.items())
