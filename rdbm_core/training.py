"""One trainer for every bridge of the family: AdamW, EMA, gradient clipping, seeds, checkpoints, DDP.

Determinism: the batch of step ``k`` and the random numbers of its loss (times
``t`` and noise ``eps``) are functions of ``(seed, k, rank)`` alone, so a run
resumed from a checkpoint reproduces the loss sequence of an uninterrupted run
exactly (on the same device and software).

Checkpoints hold ``model``, ``ema``, ``optimizer``, ``config``, ``step``,
``losses`` and the torch RNG state; they are written atomically (temporary file
in the same folder, then ``os.replace``) and read with
``torch.load(weights_only=True)``: a checkpoint from elsewhere executes no code.

Several processes: launch with ``torchrun --nproc_per_node N -m rdbm_core train ...``;
each rank draws its own share of the batch and gradients are averaged by
DistributedDataParallel (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import copy
import functools
import io
import os
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import torch.distributed as dist
from tqdm import tqdm

from . import bridges
from .data import PairedFolder, SyntheticPairs
from .losses import bridge_loss
from .metrics import _atomic_write
from .path import ResidualPath, append_dims
from .unet import build_unet

__all__ = ["TrainConfig", "make_path", "make_model", "save_checkpoint", "load_checkpoint", "load_trained", "train",
           "training_loss", "train_step", "ema_decay", "resolve_device", "Regression", "Preconditioned", "METHODS"]

#: methods the trainer knows: every bridge, plus a one-pass regression network (same U-Net, predicts x0 from mu).
METHODS = (*bridges.BRIDGES, "regression")


@dataclass
class TrainConfig:
    """Everything that defines a run (stored in every checkpoint)."""

    task: str | None = "derain"  # embedded default task, or None with lq/gt
    lq: str | None = None  # folder of degraded images (real data)
    gt: str | None = None  # folder of ground-truth images
    bridge: str = "rdbm"  # a name of bridges.BRIDGES, or "regression"
    noise: str | None = None  # override the bridge's noise factor ("modulated" / "global")
    lam: float | None = None  # override the bridge's lam
    objective: str = "x0"
    norm: str = "l1"
    skip_mu: bool = True  # x0 target: the network predicts x0 - mu (see Preconditioned)
    preset: str = "small"
    steps: int = 2000
    batch: int = 8  # per process
    crop: int = 64
    pool: int = 1024  # distinct training pairs (generated once, then cycled)
    lr: float = 2e-4
    weight_decay: float = 0.0
    ema: float = 0.999
    grad_clip: float = 1.0
    seed: int = 0
    eval_every: int = 0  # 0: only at the end
    eval_images: int = 4
    sample_steps: int = 10
    ckpt_every: int = 500
    time_budget: float = 0.0  # seconds; 0 = no limit (stop early, with a checkpoint, when exceeded)
    out: str = "runs/rdbm"
    device: str = "auto"

    def __post_init__(self):
        if self.bridge not in METHODS:
            raise ValueError(f"unknown bridge {self.bridge!r}; choose one of: {', '.join(METHODS)}")
        if (self.lq is None) != (self.gt is None):
            raise ValueError("give both --lq and --gt (folders of degraded and ground-truth images), or neither")
        if self.lq is None and self.task is None:
            raise ValueError("give a --task for the embedded default, or --lq and --gt folders")
        for name in ("steps", "batch", "pool", "sample_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


class Preconditioned(torch.nn.Module):
    """The same U-Net made usable by every bridge of the family (cf. EDM's ``c_in`` and ``c_skip``).

    * input scaling: the network sees ``mu + (x_t - mu) / sqrt(1 + Sigma_t^2)``, so bridges
      with large noise (DDBM-VE: ``Sigma`` up to 40) feed it values of order one; for RDBM
      (``Sigma <= 0.01``) the factor is 1 to 5e-5;
    * ``skip_mu`` (x0 target): ``x0_hat = mu + net(...)``, the network predicts the residual
      ``pi``; with the U-Net's zero-initialised last layer the untrained model returns ``mu``.
    """

    def __init__(self, net: torch.nn.Module, path: ResidualPath, skip_mu: bool = True):
        super().__init__()
        self.net, self.path, self.skip_mu = net, path, skip_mu

    def forward(self, x_t: torch.Tensor, mu: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        sigma = self.path.coefficients(t)[2]  # float64 [B]
        c_in = append_dims(torch.rsqrt(1 + sigma ** 2), x_t)  # [B, 1, 1, 1]
        out = self.net(mu + (x_t - mu) * c_in, mu, t)
        return mu + out if self.skip_mu else out


class Regression(torch.nn.Module):
    """The baseline: the same U-Net predicting ``x0 = mu + net(mu, mu, 0)`` in one pass."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, mu: torch.Tensor) -> torch.Tensor:
        return mu + self.net(mu, mu, torch.zeros(mu.shape[0], device=mu.device))


def make_path(config: TrainConfig) -> ResidualPath | None:
    """The bridge of a config (``None`` for the regression baseline)."""
    if config.bridge == "regression":
        return None
    return bridges.make(config.bridge, lam=config.lam, noise=config.noise)


def make_model(config: TrainConfig, path: ResidualPath | None) -> torch.nn.Module:
    """The U-Net of the preset; times are embedded as ``t * 1000 / t_T`` (every grid spans [0, 1000])."""
    if path is None:
        return Regression(build_unet(config.preset))
    net = build_unet(config.preset, time_scale=1000.0 / float(path.schedule.t_T))
    return Preconditioned(net, path, skip_mu=config.skip_mu and config.objective == "x0")


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; any other name as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _train_dataset(config: TrainConfig):
    """The training pool: ``config.pool`` crops of the LQ/GT folders or of the embedded photographs."""
    if config.lq is not None:
        return PairedFolder(config.lq, config.gt, crop=config.crop, seed=config.seed, length=config.pool)
    return SyntheticPairs(config.task, "train", crop=config.crop, length=config.pool, seed=config.seed)


class _Cache:
    """Memoises dataset items (each item depends only on its index, so caching changes nothing but speed)."""

    def __init__(self, ds):
        self.ds, self.items = ds, {}

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        if i not in self.items:
            self.items[i] = self.ds[i]
        return self.items[i]

    def fill(self, progress: bool = False) -> None:
        """Make every item now, on one thread: the degradations are many small tensor operations,
        which run several times slower with torch's thread pool on a busy machine."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for i in tqdm(range(len(self.ds)), desc="preparing training pairs", disable=not progress,
                          dynamic_ncols=True, leave=False):
                self[i]
        finally:
            torch.set_num_threads(threads)


@functools.lru_cache(maxsize=4)
def _epoch_permutation(n: int, seed: int, epoch: int) -> list[int]:
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).tolist()


def _batch_indices(n: int, step: int, batch: int, seed: int, rank: int, world: int) -> list[int]:
    """Indices of step ``step`` for this rank: a fresh permutation of the pool every epoch."""
    out = []
    for j in range(batch):
        epoch, k = divmod(step * batch * world + rank * batch + j, n)
        out.append(_epoch_permutation(n, seed, epoch)[k])
    return out


def ema_decay(target: float, step: int) -> float:
    """EMA decay with warm-up, ``min(target, (1 + step) / (10 + step))``: early averages forget the
    initial weights quickly (a fixed 0.999 would keep 45 % of them after 800 steps)."""
    return min(target, (1 + step) / (10 + step))


def _step_generator(seed: int, step: int, rank: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 101 + rank)


def _collate(items, device) -> tuple[torch.Tensor, torch.Tensor]:
    # fresh host tensors, so the copies need not block the host
    x0 = torch.stack([it["x0"] for it in items]).to(device, non_blocking=True)
    mu = torch.stack([it["mu"] for it in items]).to(device, non_blocking=True)
    return x0, mu


def training_loss(model, path, x0, mu, config: TrainConfig, generator) -> torch.Tensor:
    """The loss of one batch: the bridge loss, or L1/L2 of the regression baseline."""
    if path is None:
        err = model(mu) - x0
        return err.abs().mean() if config.norm == "l1" else (err ** 2).mean()
    return bridge_loss(model, x0, mu, path, objective=config.objective, norm=config.norm, generator=generator)


def train_step(net, model, ema, optimizer, path, x0, mu, config: TrainConfig, step: int, generator,
               amp: bool = False) -> torch.Tensor:
    """One optimisation step: loss, backward, clipping, AdamW, EMA update. Returns the detached loss.

    ``net`` is what computes the loss (``model`` itself, or its DDP wrapper).
    """
    with torch.autocast(x0.device.type, dtype=torch.bfloat16, enabled=amp):
        loss = training_loss(net, path, x0, mu, config, generator)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if config.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    with torch.no_grad():
        decay = ema_decay(config.ema, step)
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.lerp_(pm, 1 - decay)
        for be, bm in zip(ema.buffers(), model.buffers()):
            be.copy_(bm)
    return loss.detach()


# ----------------------------------------------------------------------------- checkpoints

CHECKPOINT_KEYS = ("model", "ema", "optimizer", "config", "step", "losses", "rng")


def save_checkpoint(file, model, ema, optimizer, config: TrainConfig, step: int, losses: list[float]) -> Path:
    """Write a checkpoint atomically (temporary file in the same folder, then rename)."""
    state = {
        "model": model.state_dict(),
        "ema": ema.state_dict(),
        "optimizer": optimizer.state_dict(),
        "config": asdict(config),
        "step": step,
        "losses": list(losses),
        "rng": torch.get_rng_state(),
        "format": "rdbm-checkpoint-1",
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    file = Path(file)
    _atomic_write(file, buf.getvalue())
    return file


def load_checkpoint(file) -> dict:
    """Read a checkpoint without executing code (``weights_only=True``); clear errors for bad files."""
    file = Path(file)
    if not file.is_file():
        raise FileNotFoundError(f"checkpoint not found: {file}")
    if file.stat().st_size == 0:
        raise ValueError(f"checkpoint {file} is empty (0 bytes)")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for truncated or foreign files
        raise ValueError(f"checkpoint {file} is corrupt or not a PyTorch file: {type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''}") from None
    if not isinstance(state, dict) or any(k not in state for k in CHECKPOINT_KEYS):
        missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
        raise ValueError(f"{file} is not an rdbm checkpoint (missing: {', '.join(missing)})")
    return state


def load_trained(file, device="cpu", use_ema: bool = True):
    """``(model, path, config)`` from a checkpoint, with the EMA weights by default, in eval mode."""
    state = load_checkpoint(file)
    config = TrainConfig.from_dict(state["config"])
    path = make_path(config)
    model = make_model(config, path)
    try:
        model.load_state_dict(state["ema" if use_ema else "model"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {file} does not match its own configuration: {str(err).splitlines()[0]}") from None
    return model.to(device).eval(), path, config


# ----------------------------------------------------------------------------- training loop

def _is_dist() -> bool:
    return dist.is_available() and dist.is_initialized()


def _setup_distributed(device: torch.device) -> tuple[int, int]:
    """Initialise the process group when launched by torchrun; return ``(rank, world)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not _is_dist():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    if _is_dist():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def train(config: TrainConfig, resume: str | os.PathLike | None = None, evaluate_fn=None, progress: bool = True) -> dict:
    """Train; return ``{"checkpoint", "losses", "step", "wall_s", "images_per_s", "evals"}``.

    ``resume``: a checkpoint to continue from (its config wins over ``config`` except
    ``steps``, ``time_budget``, ``out`` and ``device``).  ``evaluate_fn(model, path, config, step)``
    is called every ``eval_every`` steps and at the end (on rank 0) with the EMA model.
    """
    device = resolve_device(config.device)
    state = None
    if resume is not None:
        state = load_checkpoint(resume)
        saved = TrainConfig.from_dict(state["config"])
        config = TrainConfig.from_dict({**asdict(saved), "steps": config.steps, "time_budget": config.time_budget,
                                        "out": config.out, "device": config.device})
    rank, world = _setup_distributed(device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    torch.manual_seed(config.seed)
    path = make_path(config)
    model = make_model(config, path).to(device)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    start, losses = 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        start, losses = int(state["step"]), list(state["losses"])
        torch.set_rng_state(state["rng"])
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    data = _Cache(_train_dataset(config))
    data.fill(progress=progress and rank == 0)
    out = Path(config.out)
    ckpt = out / "checkpoint.pt"
    amp = device.type == "cuda"
    evals = []
    t0 = time.perf_counter()
    budget = f", {config.time_budget:.0f} s budget" if config.time_budget > 0 else ""
    bar = tqdm(initial=start, total=None if budget else config.steps, disable=not progress or rank != 0,
               desc=f"train {config.bridge}{budget}", dynamic_ncols=True)
    done = saved_at = start
    for step in range(start, config.steps):
        x0, mu = _collate([data[i] for i in _batch_indices(len(data), step, config.batch, config.seed, rank, world)],
                          device)
        loss = train_step(net, model, ema, optimizer, path, x0, mu, config, step,
                          _step_generator(config.seed, step, rank), amp=amp)
        value = float(loss)
        if world > 1:
            tensor = torch.tensor([value], device=device)
            dist.all_reduce(tensor)
            value = float(tensor) / world
        losses.append(value)
        done = step + 1
        bar.update(1)
        elapsed = time.perf_counter() - t0
        bar.set_postfix(loss=f"{value:.4f}", img_s=f"{(done - start) * config.batch * world / max(elapsed, 1e-9):.1f}")
        stop = config.time_budget > 0 and elapsed > config.time_budget
        if rank == 0:
            if (config.ckpt_every and done % config.ckpt_every == 0) or done == config.steps or stop:
                save_checkpoint(ckpt, model, ema, optimizer, config, done, losses)
                saved_at = done
            if evaluate_fn is not None and config.eval_every and done % config.eval_every == 0 and done != config.steps:
                evals.append({"step": done, **evaluate_fn(ema, path, config, done)})
        if stop:
            break
    bar.close()
    wall = time.perf_counter() - t0
    if rank == 0:
        if saved_at != done or not ckpt.exists():
            save_checkpoint(ckpt, model, ema, optimizer, config, done, losses)
        if evaluate_fn is not None:
            evals.append({"step": done, **evaluate_fn(ema, path, config, done)})
    if world > 1:
        dist.barrier()
    return {"checkpoint": str(ckpt), "losses": losses, "step": done, "wall_s": wall, "world": world,
            "images_per_s": (done - start) * config.batch * world / max(wall, 1e-9), "evals": evals,
            "config": config}
