"""The samplers' own options (eta, order, corrector) on the command line: one flag per option, generated from the
samplers' signatures, passed through to the sampler by ``restore`` and ``evaluate``, refused for a sampler that
does not take it."""
import functools

import pytest
import torch

from rdbm_core.bridge import bridges, samplers
from rdbm_core.cli import build_parser, main
from rdbm_core.data.images import save_image
from rdbm_core.restoration.evaluation import check_restore_options, restore, sampler_kwargs
from rdbm_core.bridge.samplers import OPTION_HELP, SAMPLERS, sampler_options


def test_sampler_options_are_read_from_the_signatures():
    """The options of each sampler are its own keyword parameters with their defaults, and every one has a help
    text (a new option without one would fail here, and building the CLI would fail too). Mutation: dropping the
    filter on the shared parameters lists x_T, generator and callback as options."""
    assert sampler_options("euler") == {} and sampler_options("implicit") == {"eta": 0.0}
    assert sampler_options("dbim") == {"order": 3, "corrector": False}
    assert sampler_options("exact-sde") == {"eta": 1.0, "order": 2, "corrector": False}
    assert {o for name in SAMPLERS for o in sampler_options(name)} == set(OPTION_HELP)


@pytest.mark.parametrize("command", ["restore", "evaluate"])
def test_every_option_is_a_flag_of_both_commands(command):
    """Both commands take every option (unset by default, so the sampler's own default applies)."""
    base = {"restore": ["restore", "--checkpoint", "c", "--input", "i", "--output", "o"],
            "evaluate": ["evaluate", "--checkpoint", "c"]}[command]
    args = build_parser().parse_args(base)
    assert all(getattr(args, option) is None for option in OPTION_HELP)
    args = build_parser().parse_args(base + ["--eta", "0.5", "--order", "2", "--corrector"])
    assert (args.eta, args.order, args.corrector) == (0.5, 2, True)


def test_eta_keyword_and_options():
    """``eta = 0`` may be passed to every sampler (dropped where there is no eta); any other value, and any option
    a sampler does not take (or any option at all for the regression network), is an error naming the flag."""
    assert sampler_kwargs("heun", 0.0) == {} and sampler_kwargs("implicit", 0.0) == {"eta": 0.0}
    assert sampler_kwargs("exact-sde", None, {"order": 1}) == {"order": 1}
    with pytest.raises(ValueError, match="--eta does not apply to the sampler 'heun'"):
        sampler_kwargs("heun", 0.5)
    with pytest.raises(ValueError, match=r"--order does not apply to the sampler 'implicit' \(its options: --eta\)"):
        sampler_kwargs("implicit", None, {"order": 2})
    with pytest.raises(ValueError, match="--order does not apply: the checkpoint is the one-pass regression"):
        check_restore_options(None, "dbim", options={"order": 2})
    assert check_restore_options(None, "dbim") == {}


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
        return restore(net, path, mu, steps=6, sampler=sampler, eta=eta, options=options,
                       generator=torch.Generator().manual_seed(0))
    implicit = run("implicit")
    assert torch.allclose(run("dbim", order=1), implicit, atol=1e-6)
    assert (run("dbim", order=3) - implicit).abs().max() > 1e-3
    assert torch.allclose(run("exact-sde", order=1), run("implicit", eta=1.0), atol=1e-6)
    assert (run("exact-sde", order=1, eta=0.5) - run("exact-sde", order=1)).abs().max() > 1e-3


@pytest.mark.parametrize("command", ["restore", "evaluate"])
def test_cli_passes_the_options_to_the_sampler(tiny_checkpoint, tmp_path, monkeypatch, command):
    """What the sampler receives from each command is the options given on the command line. Mutation: dropping
    ``options=options`` in ``_cmd_restore`` or ``_cmd_evaluate``: the recorded call has no order or corrector."""
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
