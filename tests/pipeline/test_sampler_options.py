"""The samplers' own options (eta, order, corrector) in a SamplerSpec and on the command line: one flag per field of
the spec, checked when the spec is made, passed through to the sampler by ``restore`` and ``evaluate``, refused for a
sampler that does not take it."""
import functools

import pytest
import torch

from rdbm_core.bridge import bridges, samplers
from rdbm_core.cli import build_parser, main
from rdbm_core.data.images import save_image
from rdbm_core.restoration.evaluation import restore
from rdbm_core.bridge.samplers import OPTION_HELP, SAMPLERS, SamplerSpec, sampler_options


def test_sampler_options_are_read_from_the_signatures():
    """The options of each sampler are its own keyword parameters with their defaults, and every one has a help
    text (a new option without one would fail here, and building the CLI would fail too). Mutation: dropping the
    filter on the shared parameters lists x_T, generator and callback as options."""
    assert sampler_options("euler") == {} and sampler_options("implicit") == {"eta": 0.0}
    assert sampler_options("dbim") == {"order": 3, "corrector": False}
    assert sampler_options("exact-sde") == {"eta": 1.0, "order": 2, "corrector": False}
    assert {o for name in SAMPLERS for o in sampler_options(name)} == set(OPTION_HELP)
    assert set(SamplerSpec().given) == set() and {"eta", "order", "corrector"} <= set(SamplerSpec.__dataclass_fields__)


@pytest.mark.parametrize("command", ["restore", "evaluate"])
def test_every_option_is_a_flag_of_both_commands(command):
    """Both commands take every option (unset by default, so the sampler's own default applies), flags made from
    the fields of SamplerSpec."""
    base = {"restore": ["restore", "--checkpoint", "c", "--input", "i", "--output", "o"],
            "evaluate": ["evaluate", "--checkpoint", "c"]}[command]
    args = build_parser().parse_args(base)
    assert all(getattr(args, option) is None for option in OPTION_HELP)
    args = build_parser().parse_args(base + ["--eta", "0.5", "--order", "2", "--corrector"])
    assert (args.eta, args.order, args.corrector) == (0.5, 2, True)


def test_the_spec_checks_its_options_when_made():
    """``eta = 0`` may be given to every sampler (dropped where there is no eta); any other value, any option a
    sampler does not take, a value out of range, and any option at all for the regression network, is an error
    naming the flag. Mutations that fail: dropping the value table (``order=4`` passes), keeping ``eta = 0`` for
    Heun (its options are then ``{"eta": 0.0}``)."""
    assert SamplerSpec("heun", eta=0.0).options == {} and SamplerSpec(eta=0.0).options == {"eta": 0.0}
    assert SamplerSpec("exact-sde", order=1).options == {"order": 1}
    assert SamplerSpec("dbim", 4, order=2).as_dict() == {"name": "dbim", "steps": 4, "order": 2}
    for kwargs, message in ((dict(name="heun", eta=0.5), "--eta does not apply to the sampler 'heun'"),
                            (dict(order=2), r"--order does not apply to the sampler 'implicit' \(its options: --eta\)"),
                            (dict(name="dbim", order=4), "--order must be 1, 2 or 3, got 4"),
                            (dict(eta=1.5), r"--eta must be a number in \[0, 1\], got 1.5"),
                            (dict(name="exact-sde", eta=0.0), "--eta must be > 0 for exact-sde"),
                            (dict(steps=0), "--steps must be an integer >= 1"),
                            (dict(name="ddim"), "unknown sampler 'ddim'")):
        with pytest.raises(ValueError, match=message):
            SamplerSpec(**kwargs)
    with pytest.raises(ValueError, match="--order does not apply: the checkpoint is the one-pass regression"):
        restore(lambda mu: mu, None, torch.zeros(1, 3, 2, 2), SamplerSpec("dbim", order=2))
    assert torch.equal(restore(lambda mu: 2 * mu, None, torch.full((1, 3, 2, 2), 0.25), SamplerSpec("dbim")),
                       torch.full((1, 3, 2, 2), 0.5))


def test_the_options_change_the_restoration():
    """With a network whose x0 estimate depends on x_t and t, DBIM of order 1 is the implicit sampler (eta = 0)
    exactly (to rounding) and order 3 is not; exact-sde of order 1 with eta = 1 is the implicit sampler's
    posterior steps (same noise draws). Mutation: restore() ignoring ``options`` (DBIM runs its default order 3,
    exact-sde its order 2): the two equalities fail."""
    path = bridges.goub()
    mu = torch.linspace(-0.8, 0.8, 3 * 8 * 8).reshape(1, 3, 8, 8)

    def net(x_t, mu_, t):
        return mu_ - 0.2 * torch.sin(3 * x_t) * (1 + t.reshape(-1, 1, 1, 1) / 100)

    def run(sampler, eta=None, **options):
        return restore(net, path, mu, SamplerSpec(sampler, 6, eta=eta, **options), torch.Generator().manual_seed(0))
    implicit = run("implicit")
    assert torch.allclose(run("dbim", order=1), implicit, atol=1e-6)
    assert (run("dbim", order=3) - implicit).abs().max() > 1e-3
    assert torch.allclose(run("exact-sde", order=1), run("implicit", eta=1.0), atol=1e-6)
    assert (run("exact-sde", order=1, eta=0.5) - run("exact-sde", order=1)).abs().max() > 1e-3


@pytest.mark.parametrize("command", ["restore", "evaluate"])
def test_cli_passes_the_options_to_the_sampler(tiny_checkpoint, tmp_path, monkeypatch, command):
    """What the sampler receives from each command is the options given on the command line. Mutation: building
    the SamplerSpec in ``_cmd_restore`` or ``_cmd_evaluate`` from --sampler and --steps alone: the recorded call
    has no order or corrector."""
    received = []
    original = SAMPLERS["dbim"]

    @functools.wraps(original)  # the same signature, so the same options
    def recording(*args, **kwargs):
        received.append({k: kwargs[k] for k in sampler_options("dbim") if k in kwargs})
        return original(*args, **kwargs)
    monkeypatch.setitem(samplers.SAMPLERS, "dbim", recording)
    save_image(torch.zeros(3, 16, 16), tmp_path / "in" / "a.png")
    run = {"restore": ["restore", "--input", str(tmp_path / "in"), "--output", str(tmp_path / "out")],
           "evaluate": ["evaluate", "--task", "derain", "--images", "1", "--json"]}[command]
    assert main([*run, "--checkpoint", tiny_checkpoint, "--steps", "3", "--sampler", "dbim", "--order", "2",
                 "--corrector"]) == 0
    assert received and all(r == {"order": 2, "corrector": True} for r in received)


def test_evaluate_counts_the_network_evaluations_in_the_run():
    """The summary's ``network_evaluations`` are the calls of the real run, per restoration: one per step for the
    implicit sampler, two per interior step for Heun (its first step, out of the pinned end, and its last, onto
    the clean point, take one), whatever the number of draws. Mutation that fails: counting restorations instead
    of network calls (1 each)."""
    from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate
    path = bridges.rdbm()
    items = [{"x0": torch.zeros(3, 16, 16), "mu": torch.full((3, 16, 16), 0.1 * i)} for i in range(2)]
    quiet = EvaluationOptions(progress=False)
    assert evaluate(lambda x, mu, t: mu, path, items, SamplerSpec(steps=4), options=quiet)["summary"][
        "network_evaluations"] == 4
    assert evaluate(lambda x, mu, t: mu, path, items, SamplerSpec("heun", 4), options=quiet)["summary"][
        "network_evaluations"] == 6
    draws = EvaluationOptions(draws=3, progress=False)
    assert evaluate(lambda x, mu, t: x, path, items, SamplerSpec(steps=4, eta=1.0), options=draws)["summary"][
        "network_evaluations"] == 4


@pytest.mark.parametrize("command", ["restore", "evaluate"])
def test_every_option_group_becomes_flags_by_one_mechanism(command):
    """Every field of SamplerSpec and TileOptions (and for evaluate, EvaluationOptions) is a flag of the command,
    made by ``add_config_flags`` from the field (its ``flag`` or ``--field-name``), with the field's default.
    Mutation that fails: a hand-written ``--tile`` flag with another default."""
    import typing
    from dataclasses import fields
    from rdbm_core.restoration.evaluation import EvaluationOptions
    from rdbm_core.restoration.tiling import TileOptions
    base = {"restore": ["restore", "--checkpoint", "c", "--input", "i", "--output", "o"],
            "evaluate": ["evaluate", "--checkpoint", "c"]}[command]
    parser = build_parser()
    defaults = parser.parse_args(base)
    for cls in (SamplerSpec, TileOptions, *((EvaluationOptions,) if command == "evaluate" else ())):
        hints = typing.get_type_hints(cls)
        for f in fields(cls):
            flag = f.metadata.get("flag", "--" + f.name.replace("_", "-"))
            kind = next((a for a in typing.get_args(hints[f.name]) if a is not type(None)), hints[f.name])
            if kind is bool:
                given, expected = [flag], True
            else:
                value = f.metadata["choices"][-1] if "choices" in f.metadata else kind(3)
                given, expected = [flag, str(value)], value
            assert getattr(parser.parse_args(base + given), f.name) == expected, (cls.__name__, f.name)
            assert getattr(defaults, f.name) == f.default, (cls.__name__, f.name)
