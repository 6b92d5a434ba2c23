"""The training loop for every bridge of the family: AdamW, EMA, gradient clipping, seeds, DDP.

Read top to bottom, it is the path of the data: the training data (:func:`training_dataset`: the pool of the
embedded default, memoised by :class:`CachedDataset`, or every pair of the LQ/GT folders), the batch of each step
(:func:`batch_indices`, :func:`folder_batch`, :func:`collate`), the step
(:func:`training_loss`, :func:`train_step` with the EMA of :func:`ema_decay`), and the loop
(:func:`train`). The configuration is :class:`rdbm_core.networks.config.TrainConfig`, the networks are in
:mod:`rdbm_core.networks.unet`, the checkpoints in :mod:`rdbm_core.networks.checkpoints` (names re-exported here).

Determinism: the batch of step ``k`` (for folders: its pairs, crop windows and flips) and the random numbers of
its loss (times ``t`` and noise ``eps``) are functions of ``(seed, k, rank)`` alone, so a run resumed from a
checkpoint reproduces the loss sequence of an uninterrupted run exactly (on the same device and software).

Several processes: launch with ``torchrun --nproc_per_node N -m rdbm_core train ...``;
each rank draws its own share of the batch and gradients are averaged by
DistributedDataParallel (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import copy
import functools
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from tqdm.auto import tqdm

from rdbm_core.networks.checkpoints import load_checkpoint, load_trained, save_checkpoint
from rdbm_core.networks.config import TrainConfig, make_model, make_path
from rdbm_core.data.datasets import PairedFolder, SyntheticPairs
from rdbm_core.bridge.losses import bridge_loss

__all__ = ["training_dataset", "CachedDataset", "batch_indices", "crop_generator", "folder_batch", "folder_summary",
           "collate", "step_generator", "training_loss",
           "train_step", "ema_decay", "resolve_device", "train",
           # defined in rdbm_core.networks.config and rdbm_core.networks.checkpoints, re-exported for the pipeline's users
           "TrainConfig", "make_path", "make_model", "save_checkpoint", "load_checkpoint", "load_trained"]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when present, else CPU; any other name as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


# ----------------------------------------------------------------------------- the training pool and its batches

def training_dataset(config: TrainConfig):
    """The training data: for ``--lq/--gt``, the :class:`~rdbm_core.data.datasets.PairedFolder` of every pair (cropped by
    :func:`folder_batch` at each draw); for the embedded default, the pool of ``config.pool`` fixed crops."""
    if config.lq is not None:
        return PairedFolder(config.lq, config.gt, crop=config.crop, seed=config.seed, pattern=config.pair_pattern,
                            cache_gb=config.cache_gb)
    return SyntheticPairs(config.task, "train", crop=config.crop, length=config.pool, seed=config.seed)


class CachedDataset:
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


def batch_indices(n: int, step: int, batch: int, seed: int, rank: int, world: int) -> list[int]:
    """Indices of step ``step`` for this rank: a fresh permutation of the pool every epoch."""
    out = []
    for j in range(batch):
        epoch, k = divmod(step * batch * world + rank * batch + j, n)
        out.append(_epoch_permutation(n, seed, epoch)[k])
    return out


def crop_generator(seed: int, step: int, rank: int) -> torch.Generator:
    """The generator of the crop windows and flips of folder data at ``step`` on ``rank``."""
    state = np.random.SeedSequence([seed, step, rank]).generate_state(1, dtype=np.uint64)[0]
    return torch.Generator().manual_seed(int(state))


def folder_batch(folder: PairedFolder, step: int, config: TrainConfig, rank: int, world: int) -> list[dict]:
    """The items of step ``step`` on this rank for folder data: the pairs of :func:`batch_indices` (a fresh
    permutation of all pairs every epoch, shared out over the ranks: every pair once per epoch), each a new random
    window with a random horizontal flip (:meth:`~rdbm_core.data.datasets.PairedFolder.draw`) from
    :func:`crop_generator` ``(seed, step, rank)``."""
    generator = crop_generator(config.seed, step, rank)
    return [folder.draw(i, generator) for i in batch_indices(len(folder), step, config.batch, config.seed, rank, world)]


def folder_summary(folder: PairedFolder, config: TrainConfig, world: int) -> str:
    """One line: how many pairs a folder run trains on, from where, how they are drawn and how long an epoch is."""
    matched = "identical file names" if config.pair_pattern is None else f"pair pattern {config.pair_pattern!r}"
    per_step = config.batch * world
    epoch = len(folder) / per_step
    seen = min(len(folder), config.steps * per_step)
    coverage = (f"{config.steps} steps = {config.steps * per_step / len(folder):.1f} epochs" if seen == len(folder)
                else f"the {config.steps} steps draw only {seen} of them")
    gb = folder.decoded_bytes / 1e9
    size = f"{gb:.1f} GB" if gb >= 1 else f"{gb * 1e3:.1f} MB"
    memory = (f"decoded pairs {size}, kept in memory" if gb <= config.cache_gb else
              f"decoded pairs {size} > cache_gb {config.cache_gb:g}: the pairs beyond it read from disk at every draw")
    return (f"training on {len(folder)} pairs from LQ {config.lq} / GT {config.gt} ({matched}), random "
            f"{config.crop}x{config.crop} crops with horizontal flips, fresh every step; every pair once per epoch "
            f"of {epoch:g} steps ({coverage}); {memory}")


def collate(items, device) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x0, mu)`` batches on ``device`` from dataset items."""
    # fresh host tensors, so the copies need not block the host
    x0 = torch.stack([it["x0"] for it in items]).to(device, non_blocking=True)
    mu = torch.stack([it["mu"] for it in items]).to(device, non_blocking=True)
    return x0, mu


# ----------------------------------------------------------------------------- one step

def step_generator(seed: int, step: int, rank: int) -> torch.Generator:
    """The generator of the loss's random numbers (times ``t``, noise ``eps``) at ``step`` on ``rank``."""
    return torch.Generator().manual_seed((seed * 1_000_003 + step) * 101 + rank)


def training_loss(model, path, x0, mu, config: TrainConfig, generator) -> torch.Tensor:
    """The loss of one batch: the bridge loss, or L1/L2 of the regression baseline."""
    if path is None:
        err = model(mu) - x0
        return err.abs().mean() if config.norm == "l1" else (err ** 2).mean()
    return bridge_loss(model, x0, mu, path, objective=config.objective, norm=config.norm, generator=generator)


def ema_decay(target: float, step: int) -> float:
    """EMA decay with warm-up, ``min(target, (1 + step) / (10 + step))``: early averages forget the
    initial weights quickly (a fixed 0.999 would keep 45 % of them after 800 steps)."""
    return min(target, (1 + step) / (10 + step))


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
    if config.lq is None:
        data = CachedDataset(training_dataset(config))
        data.fill(progress=progress and rank == 0)

        def batch_at(step):
            return collate([data[i] for i in batch_indices(len(data), step, config.batch, config.seed, rank, world)],
                           device)
    else:
        folder = training_dataset(config)
        if progress and rank == 0:
            print(folder_summary(folder, config, world), flush=True)

        def batch_at(step):
            return collate(folder_batch(folder, step, config, rank, world), device)
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
        x0, mu = batch_at(step)
        loss = train_step(net, model, ema, optimizer, path, x0, mu, config, step,
                          step_generator(config.seed, step, rank), amp=amp)
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
