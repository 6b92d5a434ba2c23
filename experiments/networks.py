"""What every study does with a network: train it (or resume it) to a number of iterations and export its
weights; restore the held-out benchmark with it under a named sampling and measure every item.

A *sampling* (:class:`Sampling`, registered in :data:`SAMPLINGS`) fixes the sampler, its ``eta``, the number of
draws per item and the sampler steps; the regression network has one pass (``sampling=None``). An evaluation
writes one row per item (:data:`ITEM_COLUMNS`: PSNR, SSIM, ST-LPIPS, and the draw metrics of a sampling with
draws, ``nan`` elsewhere, so one CSV holds every sampling) and one row per set (:data:`SET_COLUMNS`: the sliced
Wasserstein distance with its interval over the photographs).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rdbm_core.networks.checkpoints import export_weights, load_trained
from rdbm_core.data.datasets import BENCHMARK_CROP, BENCHMARK_VERSION, HeldOutBenchmark
from rdbm_core.bridge.samplers import SamplerSpec
from rdbm_core.restoration.evaluation import EvaluationOptions, evaluate, item_columns, item_rows

from .provenance import file_sha256

__all__ = ["Sampling", "SAMPLINGS", "ITEM_COLUMNS", "SET_COLUMNS", "train_to", "network_record", "evaluate_weights",
           "parse_shard", "weights_match", "vouch_rebuilt"]


@dataclass(frozen=True)
class Sampling:
    """How a bridge network restores: ``sampler`` with ``eta`` (``None`` for a sampler without it), ``draws``
    per item (``None``: one restoration) and ``steps``."""

    sampler: str
    eta: float | None
    draws: int | None
    steps: int

    @property
    def spec(self) -> SamplerSpec:
        """The sampler, its steps and ``eta`` as :func:`~rdbm_core.restoration.evaluation.restore` takes them."""
        return SamplerSpec(self.sampler, self.steps, eta=self.eta)


#: the samplings the studies use, by the label that ends a result's ``method``
SAMPLINGS = {
    "eta0": Sampling("implicit", 0.0, None, 10),
    "eta1": Sampling("implicit", 1.0, 4, 10),
    "eta1x8": Sampling("implicit", 1.0, 8, 10),
    "eta1x1": Sampling("implicit", 1.0, None, 10),
    "em10": Sampling("euler-maruyama", None, None, 10),
    "em100": Sampling("euler-maruyama", None, None, 100),
}
#: columns of an items CSV that holds every sampling
ITEM_COLUMNS = item_columns(perceptual=True, draws=True)
SET_COLUMNS = ("task", "method", "seed", "swd", "swd_low", "swd_high", "input_swd", "wall_s")


def train_to(config, steps: int) -> tuple[dict, Path]:
    """Train ``config`` (its ``out`` folder) to ``steps`` iterations, resuming ``out/checkpoint.pt`` when it is
    there, and export the EMA weights to ``out/steps_<steps>.safetensors``; return the training result and the
    weights file. The wall time spent on the run, summed over resumptions, is kept in ``out/train_wall_s.txt``
    and returned as ``result["run_wall_s"]``."""
    from dataclasses import replace

    from rdbm_core.networks.training import train

    out = Path(config.out)
    ckpt = out / "checkpoint.pt"
    t0 = time.perf_counter()
    result = train(replace(config, steps=steps), resume=ckpt if ckpt.is_file() else None, progress=False)
    if result["step"] != steps:
        raise RuntimeError(f"{out.name}: trained to iteration {result['step']}, expected {steps}")
    weights = export_weights(ckpt, out / f"steps_{steps}.safetensors")
    wall_file = out / "train_wall_s.txt"
    wall = (float(wall_file.read_text()) if wall_file.exists() else 0.0) + time.perf_counter() - t0
    wall_file.write_text(f"{wall:.1f}")
    return {**result, "run_wall_s": wall}, weights


def network_record(result: dict, weights: Path, runs: Path) -> dict:
    """The columns every study records of a trained network: its weights file (relative to ``runs``), the file's
    SHA-256, the run's training wall time and the mean loss of its last 50 iterations."""
    return {"weights": str(Path(weights).relative_to(runs)), "sha256": file_sha256(weights),
            "train_wall_s": round(result["run_wall_s"], 1),
            "loss_last_50": round(float(np.mean(result["losses"][-50:])), 6)}


def weights_match(row: dict, weights: Path) -> bool:
    """Whether ``weights`` is the network of a networks.csv ``row``: its SHA-256 is the recorded one, or the
    ``.rebuilt.json`` beside it (:func:`vouch_rebuilt`) says it was retrained for that record and it is unchanged
    since."""
    weights = Path(weights)
    sha, sidecar = file_sha256(weights), weights.with_suffix(".rebuilt.json")
    rebuilt = json.loads(sidecar.read_text()) if sidecar.is_file() else {}
    return sha == row["sha256"] or (rebuilt.get("recorded_sha256"), rebuilt.get("sha256")) == (row["sha256"], sha)


def vouch_rebuilt(weights: Path, record: dict, made: dict) -> None:
    """After retraining the network of the networks.csv row ``record`` (its weights lost) into ``weights``, whose
    new row is ``made`` (:func:`network_record`): training is deterministic (batches drawn from the seed and the
    iteration), so the retrained ``loss_last_50`` must be the recorded one, or one clear error stops the study
    (another machine class or other code made another network). If it is, write ``weights``' ``.rebuilt.json``
    (its SHA-256 differs from the record's: its metadata names the run's folder), which :func:`weights_match`
    accepts."""
    if float(made["loss_last_50"]) != float(record["loss_last_50"]):
        raise SystemExit(f"{weights}: the retrained network's loss {made['loss_last_50']} is not the recorded "
                         f"{record['loss_last_50']}; it is another network, so it is not used")
    Path(weights).with_suffix(".rebuilt.json").write_text(json.dumps(
        {"sha256": file_sha256(weights), "recorded_sha256": record["sha256"],
         "loss_last_50": float(made["loss_last_50"]), "train_wall_s": made["train_wall_s"]}, indent=1))


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` -> ``(I, N)`` with ``0 <= I < N``; anything else is one clear error."""
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise SystemExit(f"--shard takes I/N (e.g. 0/2), got {text!r}") from None
    if not 0 <= index < count:
        raise SystemExit(f"--shard must be I/N with 0 <= I < N, got {text}")
    return index, count


def evaluate_weights(weights, task: str, seed: int, method: str, sampling: str | None,
                     version: int = BENCHMARK_VERSION, items: int | None = None) -> tuple[list[dict], dict, list[dict]]:
    """Restore benchmark ``version`` of ``task`` (all its items, or the first ``items``) with the network of
    ``weights`` under ``sampling`` (a key of :data:`SAMPLINGS`; ``None``: the regression pass) and the noise of
    ``seed``; return its item rows (:data:`ITEM_COLUMNS`, labelled ``method``), its set row (:data:`SET_COLUMNS`)
    and the item rows of the degraded inputs (labelled ``input``)."""
    model, path, _ = load_trained(weights)
    if (path is None) != (sampling is None):
        raise ValueError(f"{Path(weights).name}: sampling {sampling!r} for a {'regression' if path is None else 'bridge'}"
                         " network")
    spec = SAMPLINGS[sampling] if sampling else Sampling("implicit", None, None, 1)
    data = HeldOutBenchmark(task, items=items, crop=BENCHMARK_CROP, version=version)
    t0 = time.perf_counter()
    res = evaluate(model, path, data, spec.spec if path is not None else SamplerSpec(),
                   options=EvaluationOptions(seed=seed, perceptual=True, draws=spec.draws, distribution=True,
                                             progress=False))
    rows, inputs = ([{k: r.get(k, float("nan")) for k in ITEM_COLUMNS} for r in item_rows(res, task, name, seed, inputs=x)]
                    for name, x in ((method, False), ("input", True)))
    s = res["summary"]
    sets = {"task": task, "method": method, "seed": seed,
            **{k: round(float(s[k]), 6) for k in ("swd", "swd_low", "swd_high", "input_swd")},
            "wall_s": round(time.perf_counter() - t0, 1)}
    return rows, sets, inputs
