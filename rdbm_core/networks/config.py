"""A training run's configuration, :class:`TrainConfig` (the one place its defaults live), and what it defines.

Each field carries its command-line help in its metadata (``help``; ``flag`` and ``choices`` where the
flag's name or its choices are not the field's): ``python -m rdbm_core train`` builds its flags from the
fields, so the two cannot drift. :data:`SMOKE` is the fast configuration of ``FAST=1`` (the demo, notebooks
06 and 08): a tiny network for 20 steps, whose numbers mean nothing. :func:`make_path` and
:func:`make_model` build the bridge and the network a config describes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

from rdbm_core.bridge import bridges
from rdbm_core.data.degradations import TASKS
from rdbm_core.bridge.path import NOISE_FACTORS, ResidualPath
from rdbm_core.networks.unet import DEFAULT_NORM, NORMS, PRESETS, Preconditioned, Regression, build_unet

__all__ = ["TrainConfig", "TRAINABLE", "OBJECTIVES", "SMOKE", "make_path", "make_model"]

#: what the trainer can train: every bridge, plus a one-pass regression network (same U-Net, predicts x0 from mu).
TRAINABLE = (*bridges.BRIDGES, "regression")
#: training targets; each is also the samplers' ``parameterization`` of the trained model.
OBJECTIVES = ("x0", "noise")


def _field(default, help: str, **cli):
    """A config field with its command-line help (and optionally ``flag`` / ``choices``) beside it."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass
class TrainConfig:
    """Everything that defines a run (stored in every checkpoint)."""

    task: str | None = _field("derain", "embedded default: photographs shipped with scikit-image, degraded "
                              "synthetically (ignored with --lq/--gt)", choices=tuple(sorted(TASKS)))
    lq: str | None = _field(None, "folder of degraded images (real paired data, matched to --gt by file name or by "
                            "--pair-pattern); every pair is used")
    gt: str | None = _field(None, "folder of ground-truth images")
    pair_pattern: str | None = _field(None, "how LQ file names map to GT ones, 'LQ:GT' with {id} once on each side: "
                                      "'rain-{id}:norain-{id}' pairs rain-001.png with norain-001.png (default: "
                                      "identical file names; every image of both folders must be in a pair)")
    bridge: str = _field("rdbm", "a bridge of the family, or the one-pass regression baseline",
                         choices=TRAINABLE)
    noise: str | None = _field(None, "override the bridge's noise factor", choices=NOISE_FACTORS)
    lam: float | None = _field(None, "override the bridge's lam")
    objective: str = _field("x0", "what the network predicts; stored in the checkpoint, and every consumer samples "
                               "the model with it", choices=OBJECTIVES)
    norm: str = _field("l1", "loss norm", choices=("l1", "l2"))
    skip_mu: bool = _field(True, "x0 target: the network predicts x0 - mu (see unet.Preconditioned)")
    preset: str = _field("small", "U-Net size", choices=tuple(PRESETS))
    unet_norm: str = _field(DEFAULT_NORM, "the U-Net's normalisation: pixel (a layer norm over each pixel's "
                            "channels: no spatial statistics, so tiles are exact) or group (GroupNorm: statistics "
                            "over the whole image, which tiled evaluation must estimate; every checkpoint before "
                            "the option)", choices=NORMS)
    steps: int = _field(2000, "training steps")
    batch: int = _field(8, "batch size per process")
    crop: int = _field(64, "training crop size; with --lq/--gt a fresh random window of the pair at every draw, "
                           "mirrored left-right with probability 1/2 (no vertical flips, no rotations)")
    pool: int = _field(1024, "embedded default: distinct training pairs (generated once, then cycled); not used "
                             "with --lq/--gt, whose pairs are all used, each once per epoch")
    cache_gb: float = _field(4.0, "with --lq/--gt: keep decoded pairs in memory up to this many GB; the others are "
                                  "read from disk at every draw")
    lr: float = _field(2e-4, "AdamW learning rate")
    weight_decay: float = _field(0.0, "AdamW weight decay")
    ema: float = _field(0.999, "EMA decay (after its warm-up, see training.ema_decay)")
    grad_clip: float = _field(1.0, "gradient-norm clipping (0: none)")
    seed: int = _field(0, "seed of the training pool, the batches, the loss's randomness and the held-out images")
    eval_every: int = _field(0, "evaluate every N steps (0: at the end only)")
    eval_images: int = _field(4, "held-out test images for the embedded default", flag="--images")
    sample_steps: int = _field(10, "sampler steps used by the evaluations")
    ckpt_every: int = _field(500, "write a checkpoint every N steps (0: at the end only)")
    time_budget: float = _field(0.0, "stop after this many seconds, with a checkpoint (0: no limit)")
    out: str = _field("runs/rdbm", "output folder")
    device: str = _field("auto", "auto, cpu, cuda, cuda:1, ...")

    def __post_init__(self):
        if self.bridge not in TRAINABLE:
            raise ValueError(f"unknown bridge {self.bridge!r}; choose one of: {', '.join(TRAINABLE)}")
        if (self.lq is None) != (self.gt is None):
            raise ValueError("give both --lq and --gt (folders of degraded and ground-truth images), or neither")
        if self.lq is None and self.task is None:
            raise ValueError("give a --task for the embedded default, or --lq and --gt folders")
        if self.pair_pattern is not None:
            if self.lq is None:
                raise ValueError("--pair-pattern maps --lq file names to --gt ones: give --lq and --gt too")
            from rdbm_core.data.datasets import parse_pair_pattern  # here: the data module (scikit-image) only when folders are used
            parse_pair_pattern(self.pair_pattern)
        if not self.cache_gb >= 0:
            raise ValueError(f"cache_gb must be >= 0, got {self.cache_gb}")
        if self.unet_norm not in NORMS:
            raise ValueError(f"unet_norm must be one of {', '.join(NORMS)}, got {self.unet_norm!r}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")
        for name in ("steps", "batch", "pool", "sample_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """The config of a dict (as stored in a checkpoint); unknown keys are ignored, missing ones take
        :data:`STORED_BEFORE` (what checkpoints written before the key existed used), else the default."""
        names = {f.name for f in fields(cls)}
        return cls(**{**STORED_BEFORE, **{k: v for k, v in d.items() if k in names}})

    @classmethod
    def smoke(cls, **overrides) -> "TrainConfig":
        """The fast configuration of ``FAST=1`` (:data:`SMOKE`) with ``overrides`` (task, out, ...)."""
        return cls(**{**SMOKE, **overrides})


#: config keys added after checkpoints were first written, with the value every checkpoint without the key used
#: (so that its network is rebuilt as it was trained, whatever today's default)
STORED_BEFORE = {"unet_norm": "group"}

#: the fast (smoke) run of ``FAST=1``: the demo and notebooks 06 and 08 train this in seconds.
SMOKE = dict(preset="tiny", steps=20, batch=4, crop=32, pool=32, lr=1e-3, ckpt_every=0, time_budget=0.0)


def make_path(config: TrainConfig) -> ResidualPath | None:
    """The bridge of a config (``None`` for the regression baseline)."""
    if config.bridge == "regression":
        return None
    return bridges.make(config.bridge, lam=config.lam, noise=config.noise)


def make_model(config: TrainConfig, path: ResidualPath | None):
    """The U-Net of the preset; times are embedded as ``t * 1000 / t_T`` (every grid spans [0, 1000]).

    The model carries what it predicts (``model.parameterization = config.objective``), so a
    checkpoint trained on the noise is sampled as a noise predictor by every consumer.
    """
    if path is None:
        return Regression(build_unet(config.preset, norm=config.unet_norm))
    net = build_unet(config.preset, time_scale=1000.0 / float(path.schedule.t_T), norm=config.unet_norm)
    return Preconditioned(net, path, skip_mu=config.skip_mu and config.objective == "x0",
                          parameterization=config.objective)
