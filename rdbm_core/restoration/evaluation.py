"""Restoring images with a trained model and measuring the result.

* :func:`restore` — ``x0_hat`` for a batch of degraded images (any sampler of
  :mod:`rdbm_core.bridge.samplers`, or the one-pass regression baseline);
* :func:`evaluate` — PSNR/SSIM over a dataset, overall and on degraded and
  intact pixels, for the input and for the restoration; JSON, CSV and a figure grid; on request the
  perceptual distance ST-LPIPS (:mod:`rdbm_core.evidence.perceptual`), several draws per item with their spread and its
  calibration (:mod:`rdbm_core.evidence.diversity`), and the set-level sliced Wasserstein distance and power spectrum
  (:mod:`rdbm_core.evidence.distribution`);
* :func:`item_rows` — one row per test item (:func:`item_columns`: task, method, seed, item and every
  metric), the layout of the items CSVs that :mod:`rdbm_core.evidence.stats` compares.
"""
from __future__ import annotations

from pathlib import Path

import torch
from tqdm.auto import tqdm

from rdbm_core.data.degradations import degraded_mask
from rdbm_core.evidence.distribution import sliced_wasserstein, spectrum_ratio
from rdbm_core.evidence.diversity import check_draws, draw_generator, draw_keys, draw_metrics, nominal_coverage
from rdbm_core.evidence.metrics import METRIC_KEYS, PERCEPTUAL_KEYS, aggregate, image_metrics
from rdbm_core.evidence.figures import figure_grid
from rdbm_core.data.files import write_metrics
from rdbm_core.bridge.samplers import SAMPLERS, Denoiser, check_sampler_options, sampler_options
from rdbm_core.restoration.tiling import check_norm_options, check_tile_options, tiled

__all__ = ["restore", "evaluate", "check_restore_options", "sampler_kwargs", "network_evaluations", "item_rows",
           "item_columns", "ITEM_COLUMNS"]


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
def restore(model, path, mu: torch.Tensor, steps: int = 10, sampler: str = "implicit", eta: float | None = None,
            generator: torch.Generator | None = None, tile: int | None = None, overlap: int | None = None,
            half: bool = False, progress: bool = False, parameterization: str | None = None,
            options: dict | None = None, tile_norm: str | None = None,
            tile_norm_passes: int | None = None, tile_norm_refine: int | None = None,
            tile_norm_tolerance: float | None = None) -> torch.Tensor:
    """Restore ``mu`` [B, 3, H, W] in [-1, 1]; ``path=None`` means the one-pass regression model.

    ``options``: the sampler's own options (:func:`~rdbm_core.bridge.samplers.sampler_options`, e.g. ``{"order": 2,
    "corrector": True}`` for ``dbim``), each checked to apply to it; unset ones take the sampler's defaults.
    ``eta`` is one of them, also taken as a keyword (:func:`sampler_kwargs`).

    ``parameterization`` (that of :class:`~rdbm_core.bridge.samplers.Denoiser`: ``"x0"`` or ``"noise"``): ``None`` takes
    the one the model carries (``model.parameterization``, which :func:`rdbm_core.networks.config.make_model` sets from
    the checkpoint's ``objective``), else ``"x0"``.  Every consumer of a checkpoint (``restore``, ``evaluate``,
    the evaluation during training, the demo, the comparison) samples through here.

    The network is evaluated tile by tile when the image does not fit in one tile
    (:func:`rdbm_core.restoration.tiling.tiled`: ``tile=None`` chooses from the device's memory, ``0``
    never tiles; ``tile_norm``, ``tile_norm_passes``, ``tile_norm_refine`` and ``tile_norm_tolerance``: the tiles'
    GroupNorm statistics,
    image-wide by default, see :class:`rdbm_core.restoration.tiling.TiledModel`); ``half`` runs it in
    float16 (CUDA only); ``progress`` shows a bar over tiles and steps when there is more
    than one tile.
    """
    if mu.ndim != 4 or mu.shape[1] != 3:
        raise ValueError(f"expected degraded images [B, 3, H, W], got {tuple(mu.shape)}")
    if not torch.isfinite(mu).all():
        raise ValueError("the degraded images contain non-finite values")
    kwargs = check_restore_options(path, sampler, steps, eta, tile, overlap, options, tile_norm, tile_norm_passes,
                                   tile_norm_refine, tile_norm_tolerance)
    if parameterization is None:
        parameterization = getattr(model, "parameterization", "x0")
    net = tiled(model, mu.shape, tile, overlap, mu.device, half,
                probe_inputs=(lambda x: (x,)) if path is None else None, norm=tile_norm, norm_passes=tile_norm_passes,
                norm_refine=tile_norm_refine, norm_tolerance=tile_norm_tolerance)
    bar = None
    tiles = len(net.tiles(*mu.shape[-2:])) if net is not model else 1
    if progress and tiles > 1:
        evaluations = 1 if path is None else network_evaluations(path, sampler, steps, parameterization=parameterization,
                                                                 options=kwargs)
        calls = net.calls(*mu.shape[-2:], evaluations, carried=path is not None)
        bar = tqdm(total=calls, unit="tile", dynamic_ncols=True, leave=False,
                   desc=f"restore {mu.shape[-1]}x{mu.shape[-2]}: {tiles} tiles, at most {calls // tiles} passes for "
                        f"{evaluations} network calls")
        net.progress = bar
    try:
        if path is None:
            return net(mu).clamp(-1, 1)
        ts = path.schedule.sampling_times(steps)
        return SAMPLERS[sampler](Denoiser(net, parameterization=parameterization), mu, path, ts, generator=generator,
                                 **kwargs)
    finally:
        if bar is not None:
            bar.close()


def sampler_kwargs(sampler: str, eta: float | None = None, options: dict | None = None) -> dict:
    """The keyword arguments of ``SAMPLERS[sampler]`` from ``options`` (each must apply to the sampler:
    :func:`~rdbm_core.bridge.samplers.check_sampler_options`) and the keyword ``eta``, which callers pass to every
    sampler: ``None`` or ``0`` (deterministic) is accepted, and dropped, for a sampler without ``eta``."""
    kwargs = check_sampler_options(sampler, options)
    if eta is not None and (eta != 0.0 or "eta" in sampler_options(sampler)):
        if kwargs.get("eta", eta) != eta:
            raise ValueError(f"eta given twice: {eta} and options['eta'] = {kwargs['eta']}")
        kwargs = check_sampler_options(sampler, {**kwargs, "eta": eta})
    return kwargs


def check_restore_options(path, sampler: str = "implicit", steps: int = 10, eta: float | None = None,
                          tile: int | None = None, overlap: int | None = None, options: dict | None = None,
                          tile_norm: str | None = None, tile_norm_passes: int | None = None,
                          tile_norm_refine: int | None = None, tile_norm_tolerance: float | None = None) -> dict:
    """Raise ``ValueError`` naming the first bad option of :func:`restore` (before any work is done); return the
    sampler's keyword arguments (:func:`sampler_kwargs`).  Their values are checked by the sampler itself, run
    here on a 1-pixel image (:func:`network_evaluations`)."""
    if steps < 1:
        raise ValueError(f"--steps must be >= 1, got {steps}")
    check_tile_options(tile, overlap)
    check_norm_options(tile_norm, tile_norm_passes, tile_norm_refine, tile_norm_tolerance)
    if path is None:  # the regression network: no sampler
        if options:
            raise ValueError(f"--{next(iter(options)).replace('_', '-')} does not apply: the checkpoint is the "
                             "one-pass regression network, which has no sampler")
        return {}
    if sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
    kwargs = sampler_kwargs(sampler, eta, options)
    if not 0.0 <= kwargs.get("eta", 0.0) <= 1.0:
        raise ValueError(f"--eta must be in [0, 1], got {kwargs['eta']}")
    try:
        network_evaluations(path, sampler, min(steps, 2), options=kwargs)
    except ValueError as err:
        raise ValueError(f"--sampler {sampler}: {err}") from None
    return kwargs


def network_evaluations(path, sampler: str = "implicit", steps: int = 10, eta: float | None = None,
                        parameterization: str = "x0", options: dict | None = None) -> int:
    """How many network calls the sampler makes (with ``eta`` and ``options`` as in :func:`restore`): counted by
    running it on a 1-pixel image."""
    calls = []

    def count(x_t, mu, t):
        calls.append(1)
        return mu

    SAMPLERS[sampler](Denoiser(count, parameterization=parameterization), torch.zeros(1, 3, 1, 1), path,
                      path.schedule.sampling_times(steps), generator=torch.Generator().manual_seed(0),
                      **sampler_kwargs(sampler, eta, options))
    return len(calls)


def evaluate(model, path, dataset, steps: int = 10, out_dir: str | Path | None = None, sampler: str = "implicit",
             device: str | torch.device = "cpu", seed: int = 0, progress: bool = True, eta: float | None = None,
             tile: int | None = None, overlap: int | None = None, half: bool = False,
             options: dict | None = None, tile_norm: str | None = None, tile_norm_passes: int | None = None,
             tile_norm_refine: int | None = None, tile_norm_tolerance: float | None = None,
             perceptual: bool = False, draws: int | None = None, distribution: bool = False) -> dict:
    """Restore every item of ``dataset`` (items with ``"x0"`` and ``"mu"``) and measure it.

    Degraded and intact pixels are those of ``degradations.degraded_mask(x0, mu)`` (the items' own
    ``"mask"`` is not read).

    Returns ``{"summary": {...}, "images": [...]}``: per image the metrics of the
    restoration (``psnr, ssim, psnr_degraded, ...``) and of the input
    (``input_psnr, ...``); the summary averages them.  With ``out_dir``, writes
    ``metrics.json``, ``metrics.csv`` and ``restorations.png`` there.  Large images are
    restored the way :func:`restore` does it (``eta``, ``options``, ``tile``, ``overlap``, ``half``, ``tile_norm``,
    ``tile_norm_passes``, ``tile_norm_refine``, ``tile_norm_tolerance``).

    Off by default, each asked for explicitly (so that the columns of a result do not depend on what is
    installed):

    * ``perceptual``: the ST-LPIPS distance ``lpips_st`` (lower is better) of the restoration and
      ``input_lpips_st`` of the input (:func:`rdbm_core.evidence.perceptual.lpips_st`; without the ``perceptual`` extra,
      :class:`~rdbm_core.evidence.perceptual.PerceptualUnavailable` before any work);
    * ``draws=K`` (>= 2, a stochastic sampler: :func:`rdbm_core.evidence.diversity.check_draws`): each item is restored
      ``K`` times, draw ``k`` of item ``i`` with its own generator seeded from ``(seed, i, k)``
      (:func:`~rdbm_core.evidence.diversity.draw_generator`); the restoration whose metrics fill the ordinary keys (and
      the figure) is draw 0, and each row gains :func:`~rdbm_core.evidence.diversity.draw_metrics` (the draws' PSNR and
      that of their mean, their spread and its calibration); the summary gains ``draws`` and
      ``coverage_2sd_nominal`` (:func:`~rdbm_core.evidence.diversity.nominal_coverage`).  Without ``draws`` one generator
      seeded with ``seed`` serves the items in turn;
    * ``distribution``: the summary gains the set-level comparisons of :mod:`rdbm_core.evidence.distribution` (items of
      one size): ``swd`` with its bootstrap interval over the photographs ``swd_low``, ``swd_high`` (item names
      ``photo@top,left``), ``input_swd`` likewise for the inputs, and ``spectrum_db`` / ``input_spectrum_db``
      per frequency band (``spectrum_edges``, cycles per pixel).
    """
    if perceptual:
        from rdbm_core.evidence.perceptual import weights_path
        weights_path()  # PerceptualUnavailable now, not after the restorations
    if draws is not None:
        check_draws(draws, path, sampler, None if path is None else sampler_kwargs(sampler, eta, options))
    rows, shown = [], ([], [], [])
    generator = torch.Generator(device=device).manual_seed(seed)
    for i in tqdm(range(len(dataset)), desc="restore", disable=not progress, dynamic_ncols=True):
        item = dataset[i]
        x0, mu = item["x0"], item["mu"]
        if distribution and shown[2] and x0.shape != shown[2][0].shape:
            raise ValueError(f"--distribution needs items of one size (windows, not whole photographs): item {i} is "
                             f"{x0.shape[-1]}x{x0.shape[-2]}, item 0 {shown[2][0].shape[-1]}x{shown[2][0].shape[-2]}")
        mask = degraded_mask(x0, mu)
        outs = [restore(model, path, mu[None].to(device), steps=steps, sampler=sampler, eta=eta,
                        generator=generator if draws is None else draw_generator(seed, i, k, device),
                        tile=tile, overlap=overlap, half=half, progress=progress, options=options,
                        tile_norm=tile_norm, tile_norm_passes=tile_norm_passes, tile_norm_refine=tile_norm_refine,
                        tile_norm_tolerance=tile_norm_tolerance)[0].cpu() for k in range(draws or 1)]
        out = outs[0]
        row = {"image": item.get("name", f"{i:03d}")}
        row.update(image_metrics(out, x0, mask))
        row.update({f"input_{k}": v for k, v in image_metrics(mu, x0, mask).items()})
        if perceptual:
            from rdbm_core.evidence.perceptual import lpips_st
            row["lpips_st"], row["input_lpips_st"] = lpips_st(torch.stack([out, mu]), x0).tolist()
        if draws is not None:
            row.update(draw_metrics(torch.stack(outs), x0, perceptual=perceptual))
        rows.append(row)
        for store, img in zip(shown, (mu, out, x0)):
            store.append(img)
    summary = aggregate(rows)
    if draws is not None:
        summary.update(draws=draws, coverage_2sd_nominal=nominal_coverage(draws))
    if distribution:
        summary.update(_distribution_summary(*shown, [r["image"] for r in rows], seed))
    if out_dir is not None:
        out_dir = Path(out_dir)
        write_metrics(rows, summary, out_dir / "metrics.json", out_dir / "metrics.csv")
        figure_grid(*shown, out_dir / "restorations.png", titles=[r["image"] for r in rows])
    return {"summary": summary, "images": rows}


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
