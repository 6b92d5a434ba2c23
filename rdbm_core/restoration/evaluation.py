"""Restoring images with a trained model and measuring the result.

* :func:`restore` — ``x0_hat`` for a batch of degraded images: one sampler of :mod:`rdbm_core.bridge.samplers`
  run as a :class:`~rdbm_core.bridge.samplers.SamplerSpec` says, or the one-pass regression baseline;
* :func:`evaluate` — PSNR/SSIM over a dataset, overall and on degraded and intact pixels, for the input and for the
  restoration; as :class:`EvaluationOptions` asks, the perceptual distance ST-LPIPS
  (:mod:`rdbm_core.evidence.perceptual`), several draws per item with their spread and its calibration
  (:mod:`rdbm_core.evidence.diversity`), and the set-level sliced Wasserstein distance and power spectrum
  (:mod:`rdbm_core.evidence.distribution`); :func:`write_evaluation` writes its JSON, CSV and figure grid;
* :func:`item_rows` — one row per test item (:func:`item_columns`: task, method, seed, item and every
  metric), the layout of the items CSVs that :mod:`rdbm_core.evidence.stats` compares.

Large images: wrap the network with :func:`rdbm_core.restoration.tiling.tiled` before :func:`restore`;
:func:`evaluate` does it for every item with its :class:`~rdbm_core.restoration.tiling.TileOptions`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from rdbm_core.bridge.samplers import SAMPLERS, Denoiser, SamplerSpec
from rdbm_core.data.degradations import degraded_mask
from rdbm_core.data.files import write_metrics
from rdbm_core.evidence.distribution import sliced_wasserstein, spectrum_ratio
from rdbm_core.evidence.diversity import check_draws, draw_generator, draw_keys, draw_metrics, nominal_coverage
from rdbm_core.evidence.figures import figure_grid
from rdbm_core.evidence.metrics import METRIC_KEYS, PERCEPTUAL_KEYS, aggregate, image_metrics
from rdbm_core.restoration.tiling import TileOptions, model_device, tiled

__all__ = ["restore", "evaluate", "write_evaluation", "EvaluationOptions", "check_sampling", "CountedCalls",
           "item_rows", "item_columns", "ITEM_COLUMNS"]


_ITEM_KEYS = ("task", "method", "seed", "item", "image")


def _metric_columns(perceptual: bool, draws: bool) -> tuple[str, ...]:
    """The metric columns of :func:`item_columns`."""
    return (*METRIC_KEYS, *(PERCEPTUAL_KEYS if perceptual else ()), *(draw_keys(perceptual) if draws else ()))


def item_columns(perceptual: bool = False, draws: bool = False) -> tuple[str, ...]:
    """Columns of an items CSV: who made the restoration, which test item, and every metric of an
    :func:`evaluate` result made with ``perceptual`` (``lpips_st``) and ``draws`` (the keys of
    :func:`rdbm_core.evidence.diversity.draw_keys`)."""
    return (*_ITEM_KEYS, *_metric_columns(perceptual, draws))


#: Columns of an items CSV of a plain evaluation (PSNR/SSIM only).
ITEM_COLUMNS = item_columns()


@torch.no_grad()
def restore(model, path, mu: torch.Tensor, sampler: SamplerSpec = SamplerSpec(), generator: torch.Generator | None = None,
            callback=None) -> torch.Tensor:
    """Restore ``mu`` [B, 3, H, W] in [-1, 1] with ``model``; ``path=None`` means the one-pass regression network
    (``model(mu)``, which takes no sampler options).

    Otherwise the sampler ``SAMPLERS[sampler.name]`` runs on ``sampler.steps`` intervals of ``path``'s time grid
    with ``sampler.options``, drawing its noise from ``generator``; ``callback(info)`` is called after every step
    (the samplers' callback: a progress bar's, or :class:`~rdbm_core.bridge.samplers.Trajectory`).  The network is
    an estimator of ``x0`` in the parameterisation the model carries (``model.parameterization``, which
    :func:`rdbm_core.networks.config.make_model` sets from the checkpoint's ``objective``; else ``"x0"``).  Every
    consumer of a checkpoint samples through here.  ``model`` may be a tiled network
    (:func:`~rdbm_core.restoration.tiling.tiled`) or :class:`CountedCalls`.
    """
    if mu.ndim != 4 or mu.shape[1] != 3:
        raise ValueError(f"expected degraded images [B, 3, H, W], got {tuple(mu.shape)}")
    if not torch.isfinite(mu).all():
        raise ValueError("the degraded images contain non-finite values")
    check_sampling(path, sampler)
    if path is None:
        return model(mu).clamp(-1, 1)
    denoiser = Denoiser(model, parameterization=getattr(model, "parameterization", "x0"))
    return SAMPLERS[sampler.name](denoiser, mu, path, sampler.sampling_times(path), generator=generator,
                                  callback=callback, **sampler.options)


def check_sampling(path, sampler: SamplerSpec) -> None:
    """``ValueError`` naming the first sampler option given for the one-pass regression network (``path=None``),
    which has no sampler."""
    if path is None and sampler.given:
        raise ValueError(f"--{next(iter(sampler.given)).replace('_', '-')} does not apply: the checkpoint is the "
                         "one-pass regression network, which has no sampler")


class CountedCalls:
    """``model`` with a count of its calls: the network evaluations of a real run (``calls``), counted as they
    happen.  It carries the model's ``parameterization``."""

    def __init__(self, model):
        self.model, self.calls = model, 0
        self.parameterization = getattr(model, "parameterization", "x0")

    def __call__(self, *inputs):
        self.calls += 1
        return self.model(*inputs)


@dataclass(frozen=True)
class EvaluationOptions:
    """What :func:`evaluate` measures beyond PSNR/SSIM, and the noise it samples with (checked when made).

    Each measure is asked for explicitly, so that the columns of a result do not depend on what is installed.
    """

    seed: int = field(default=0, metadata={"help": "seed of a stochastic sampler's noise (the held-out benchmark "
                                                   "is fixed and does not depend on it)"})
    perceptual: bool = field(default=False, metadata={
        "help": "also the shift-tolerant LPIPS distance lpips_st (lower is better; needs the weights: "
                'pip install -e ".[perceptual]")'})
    draws: int | None = field(default=None, metadata={
        "help": "restore each item K >= 2 times with a stochastic sampler (implicit with --eta > 0, euler-maruyama, "
                "exact-sde), each draw seeded from (--seed, item, draw): the draws' PSNR and that of their mean, "
                "their per-pixel spread and its calibration (the metrics of draw 0 fill the usual columns)"})
    distribution: bool = field(default=False, metadata={
        "help": "also the sliced Wasserstein distance of the restorations' and truths' multi-scale patches (with a "
                "bootstrap interval over the photographs) and their power spectrum ratio by band"})
    progress: bool = field(default=True, metadata={"help": "a progress bar over the items"})

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"--seed must be an integer >= 0, got {self.seed!r}")
        if self.draws is not None and (isinstance(self.draws, bool) or not isinstance(self.draws, int)
                                       or self.draws < 2):
            raise ValueError(f"--draws must be an integer >= 2 (the spread of the draws needs two), got {self.draws!r}")


def evaluate(model, path, dataset, sampler: SamplerSpec = SamplerSpec(), tiles: TileOptions = TileOptions(),
             options: EvaluationOptions = EvaluationOptions()) -> dict:
    """Restore every item of ``dataset`` (items with ``"x0"`` and ``"mu"``, optionally ``"name"``) with
    :func:`restore` and measure it; the network runs on its own device, tiled as ``tiles`` says
    (:func:`~rdbm_core.restoration.tiling.tiled`).

    Degraded and intact pixels are those of ``degradations.degraded_mask(x0, mu)`` (the items' own
    ``"mask"`` is not read).

    Returns ``{"summary": {...}, "images": [...], "restored": [...]}``: per image the metrics of the restoration
    (``psnr, ssim, psnr_degraded, ...``) and of the input (``input_psnr, ...``); the summary averages them and
    adds ``network_evaluations``, the network calls of one restoration, counted in the run; ``restored`` holds
    ``(mu, x0_hat, x0)`` per item (CPU tensors) for :func:`write_evaluation`'s figure.  With ``options``:

    * ``perceptual``: the ST-LPIPS distance ``lpips_st`` (lower is better) of the restoration and
      ``input_lpips_st`` of the input (:func:`rdbm_core.evidence.perceptual.lpips_st`; without the ``perceptual``
      extra, :class:`~rdbm_core.evidence.perceptual.PerceptualUnavailable` before any work);
    * ``draws=K`` (a stochastic sampler: :func:`rdbm_core.evidence.diversity.check_draws`): each item is restored
      ``K`` times, draw ``k`` of item ``i`` with its own generator seeded from ``(seed, i, k)``
      (:func:`~rdbm_core.evidence.diversity.draw_generator`); draw 0 fills the ordinary keys (and the figure), and
      each row gains :func:`~rdbm_core.evidence.diversity.draw_metrics` (the draws' PSNR and that of their mean,
      their spread and its calibration); the summary gains ``draws`` and ``coverage_2sd_nominal``
      (:func:`~rdbm_core.evidence.diversity.nominal_coverage`).  Without ``draws`` one generator seeded with
      ``seed`` serves the items in turn;
    * ``distribution``: the summary gains the set-level comparisons of :mod:`rdbm_core.evidence.distribution`
      (items of one size): ``swd`` with its bootstrap interval over the photographs ``swd_low``, ``swd_high`` (item
      names ``photo@top,left``), ``input_swd`` likewise for the inputs, and ``spectrum_db`` /
      ``input_spectrum_db`` per frequency band (``spectrum_edges``, cycles per pixel).
    """
    if options.perceptual:
        from rdbm_core.evidence.perceptual import lpips_st, weights_path
        weights_path()  # PerceptualUnavailable now, not after the restorations
    if options.draws is not None:
        check_draws(options.draws, path, sampler.name, None if path is None else sampler.options)
    device = model_device(model)
    rows, shown, calls = [], ([], [], []), 0
    generator = torch.Generator(device=device).manual_seed(options.seed)
    for i in tqdm(range(len(dataset)), desc="restore", disable=not options.progress, dynamic_ncols=True):
        item = dataset[i]
        x0, mu = item["x0"], item["mu"]
        if options.distribution and shown[2] and x0.shape != shown[2][0].shape:
            raise ValueError(f"--distribution needs items of one size (windows, not whole photographs): item {i} is "
                             f"{x0.shape[-1]}x{x0.shape[-2]}, item 0 {shown[2][0].shape[-1]}x{shown[2][0].shape[-2]}")
        net = CountedCalls(tiled(model, (1, *mu.shape), tiles, device,
                                 probe_inputs=(lambda x: (x,)) if path is None else None))
        outs = [restore(net, path, mu[None].to(device), sampler,
                        generator if options.draws is None else draw_generator(options.seed, i, k, device))[0].cpu()
                for k in range(options.draws or 1)]
        calls += net.calls
        out = outs[0]
        mask = degraded_mask(x0, mu)
        row = {"image": item.get("name", f"{i:03d}")}
        row.update(image_metrics(out, x0, mask))
        row.update({f"input_{k}": v for k, v in image_metrics(mu, x0, mask).items()})
        if options.perceptual:
            row["lpips_st"], row["input_lpips_st"] = lpips_st(torch.stack([out, mu]), x0).tolist()
        if options.draws is not None:
            row.update(draw_metrics(torch.stack(outs), x0, perceptual=options.perceptual))
        rows.append(row)
        for store, img in zip(shown, (mu, out, x0)):
            store.append(img)
    summary = aggregate(rows)
    summary["network_evaluations"] = calls / max(1, len(rows) * (options.draws or 1))
    if options.draws is not None:
        summary.update(draws=options.draws, coverage_2sd_nominal=nominal_coverage(options.draws))
    if options.distribution:
        summary.update(_distribution_summary(*shown, [r["image"] for r in rows], options.seed))
    return {"summary": summary, "images": rows, "restored": list(zip(*shown))}


def write_evaluation(result: dict, out_dir: str | Path) -> None:
    """Write an :func:`evaluate` result to ``out_dir``: ``metrics.json``, ``metrics.csv``
    (:func:`rdbm_core.data.files.write_metrics`) and ``restorations.png`` (input, restoration and truth of every
    item: :func:`rdbm_core.evidence.figures.figure_grid`)."""
    out_dir = Path(out_dir)
    write_metrics(result["images"], result["summary"], out_dir / "metrics.json", out_dir / "metrics.csv")
    inputs, restored, truths = (list(x) for x in zip(*result["restored"])) if result["restored"] else ([], [], [])
    figure_grid(inputs, restored, truths, out_dir / "restorations.png", titles=[r["image"] for r in result["images"]])


def _distribution_summary(inputs: list, restored: list, truths: list, names: list, seed: int) -> dict:
    """The set-level keys of :func:`evaluate` with ``distribution=True``."""
    out, inp = (sliced_wasserstein(x, truths, names, seed=seed) for x in (restored, inputs))
    spectrum, input_spectrum = spectrum_ratio(restored, truths), spectrum_ratio(inputs, truths)
    return {"swd": out["swd"], "swd_low": out["low"], "swd_high": out["high"], "input_swd": inp["swd"],
            "input_swd_low": inp["low"], "input_swd_high": inp["high"], "spectrum_edges": spectrum["edges"],
            "spectrum_db": spectrum["db"], "input_spectrum_db": input_spectrum["db"]}


def item_rows(result: dict, task: str, method: str, seed: int, inputs: bool = False) -> list[dict]:
    """One row per test item of an :func:`evaluate` result, with the keys of :func:`item_columns` for the
    options the result was made with (``lpips_st`` and the draw metrics when its rows have them).

    ``item`` is the item's index in the dataset (the pairing key of :mod:`rdbm_core.evidence.stats`), ``image``
    its name.  ``inputs=True`` takes the metrics of the degraded input instead of the restoration
    (written with ``method="input"`` they compare like any method; an input has no draws: ``nan`` there).
    Metric values are rounded to 6 decimals.
    """
    prefix = "input_" if inputs else ""
    first = result["images"][0] if result["images"] else {}
    columns = _metric_columns(perceptual="lpips_st" in first, draws="spread" in first)
    return [{"task": task, "method": method, "seed": int(seed), "item": i, "image": row["image"],
             **{k: round(float(row.get(prefix + k, float("nan"))), 6) for k in columns}}
            for i, row in enumerate(result["images"])]
