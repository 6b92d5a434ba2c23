"""Exercises of notebook 06 (training a full RDBM).

06.1 implement the RDBM training loss of one batch, split into its degraded- and intact-pixel parts.
06.2 implement PSNR on a region (the degraded or the intact pixels), with the library's conventions.
06.3 derive   the whole-image PSNR from the two regions' PSNRs and the degraded fraction.
06.4 predict  by hand, the first training iteration k at which the EMA decay's warm-up reaches its cap.
06.5 predict  how the first losses change with a batch of 2 instead of 8 (measured with the library's trainer).

The checkers of 06.1 and 06.2 refuse the library's own functions (``rdbm_core.bridge.losses``, ``rdbm_core.networks.training``,
``rdbm_core.data.degradations``; ``rdbm_core.evidence.metrics``, ``rdbm_core.restoration.evaluation``), passed as the answer or called from it;
06.1 also refuses an answer that lets the bridge build ``x_t`` (``bridge.sample``).
"""
from __future__ import annotations

import functools
import math

import torch

from ._base import call_student, correct, exercise, tensor_answer, wrong
from .grading import refuse_library


def _batch(seed: int = 0):
    """A small (x0, mu) batch with every kind of pixel, times on the grid and fixed noise.

    Rows 0-3: every channel changed a lot (degraded); row 4: only channel 0 changed (degraded: *some* channel);
    row 5: every channel changed by 0.8/255 in [-1, 1] units, 0.4 of an 8-bit level (intact, like deraining's
    faint tails); row 6: changed by 1.5/255, 0.75 of a level (degraded); row 7: left half changed by 0.3/255
    (intact), right half unchanged (intact)."""
    from rdbm_core.bridge import bridges

    g = torch.Generator().manual_seed(seed)
    x0 = torch.rand(3, 3, 8, 8, generator=g) * 1.8 - 0.9  # away from +-1, so the small changes are not clamped
    mu = x0.clone()
    mu[:, :, :4] = (mu[:, :, :4] + 0.5 * torch.randn(3, 3, 4, 8, generator=g)).clamp(-1, 1)
    mu[:, 0, 4] += 0.3
    mu[:, :, 5] += 0.8 / 255
    mu[:, :, 6] -= 1.5 / 255
    mu[:, :, 7, :4] += 0.3 / 255
    bridge = bridges.rdbm()
    t = torch.tensor([10, 50, 90])
    eps = torch.randn(x0.shape, generator=g)
    return bridge, x0, mu, t, eps


def _toy_model(x_t, mu, t):
    """A fixed 'network': deterministic, depends on all three inputs."""
    return 0.6 * x_t + 0.3 * mu + 1e-3 * t.to(x_t).reshape(-1, 1, 1, 1)


def _reference_split(bridge, x0, mu, t, eps, noise="modulated", norm="l1", target="x0", mask="levels",
                     per_region=False):
    """(degraded part, intact part) of the loss, and the variants that name a mistake."""
    x_t = bridge.with_noise(noise).sample(x0, mu, t, noise=eps)
    err = _toy_model(x_t, mu, t) - (x0 if target == "x0" else eps)
    err = err.abs() if norm == "l1" else err ** 2
    change = (x0 - mu).abs()
    degraded = {"levels": change.amax(1, keepdim=True) > 1 / 255,  # half an 8-bit level in [-1, 1] units
                "any": change.amax(1, keepdim=True) > 0,  # x0 != mu
                "units": change.amax(1, keepdim=True) > 0.5 / 255,  # half a level taken in [-1, 1] units
                "channel": change > 1 / 255}[mask].expand_as(err)
    if per_region:
        return float(err[degraded].mean()), float(err[~degraded].mean())
    return float(err[degraded].sum() / err.numel()), float(err[~degraded].sum() / err.numel())


class _Bridge:
    """The bridge handed to the answer: everything of the real one, and a note of the methods that would build
    ``x_t`` for it (``sample``, ``mean``, ``std``, ``noise_factor``), which the exercise asks the student to do."""

    BUILDS_X_T = ("sample", "mean", "std", "noise_factor")

    def __init__(self, bridge):
        self._bridge, self.used = bridge, []

    def __getattr__(self, name):
        if name in self.BUILDS_X_T:
            self.used.append(name)
        return getattr(self._bridge, name)


def _pair(value):
    """The answer as two floats, or None."""
    try:
        first, second = value
        return float(torch.as_tensor(first).reshape(())), float(torch.as_tensor(second).reshape(()))
    except Exception:
        return None


@exercise("06.1", "The RDBM training loss, split by region", "implement")
def check_loss_split(answer):
    refused = refuse_library(answer, ("rdbm_core.bridge.losses", "rdbm_core.networks.training", "rdbm_core.data.degradations"),
                              "the loss and the degraded pixels")
    if refused is not None:
        return refused
    bridge, x0, mu, t, eps = _batch()
    handed = _Bridge(bridge)
    got, failure = call_student(answer, _toy_model, x0, mu, handed, t, eps,
                                name="loss_by_region(model, x0, mu, bridge, t, eps)")
    if failure is not None:
        return failure
    if handed.used:
        return wrong(f"Your answer lets the bridge build x_t (`bridge.{handed.used[0]}`).",
                     "build x_t yourself from `bridge.coefficients(t)`: that is where RDBM differs from other bridges.")
    parts = _pair(got)
    if parts is None:
        return wrong(f"Expected two numbers (degraded part, intact part), got {type(got).__name__}"
                     + (f" of shape {tuple(got.shape)}" if hasattr(got, "shape") else "") + ".",
                     "return a tuple `(degraded_part, intact_part)` of two floats (or 0-d tensors).")
    want = _reference_split(bridge, x0, mu, t, eps)
    if all(_close(a, b) for a, b in zip(parts, want)):
        return correct("Those are the two parts of the loss the trainer minimises (rdbm_core.bridge.losses.bridge_loss): "
                       "their sum is the loss, and the intact part is small but not zero.")
    if all(_close(a, b) for a, b in zip(parts, want[::-1])):
        return wrong("Your two parts are in the wrong order.", "return the degraded part first, then the intact one.")
    if _close(sum(parts), sum(want)):
        regions = (
            (dict(mask="any"), "a pixel changed by less than half an 8-bit level (like a faint rain tail) is "
                               "intact: `x0 != mu` counts it as degraded."),
            (dict(mask="units"), "half an 8-bit level is 0.5/255 in [0, 1] units, that is 1/255 in the [-1, 1] "
                                 "units of the tensors."),
            (dict(mask="channel"), "degraded is a property of the pixel: when *some* channel changed by more than "
                                   "half a level, all its channels count as degraded."),
        )
        for kwargs, hint in regions:
            if all(_close(a, b) for a, b in zip(parts, _reference_split(bridge, x0, mu, t, eps, **kwargs))):
                return wrong("Your parts add up to the loss, but the pixels are split differently.", hint)
        return wrong("Your parts add up to the loss, but the pixels are split differently.",
                     "degraded: some channel of mu differs from x0 by more than half an 8-bit level (notebook 06, 'Words').")
    if all(_close(a, b) for a, b in zip(parts, _reference_split(bridge, x0, mu, t, eps, per_region=True))):
        return wrong("Your parts are the mean error of each region: they do not add up to the loss.",
                     "the loss is a mean over every value of the batch; divide each region's sum of errors by the "
                     "number of all values, not of the region's.")
    confusions = (
        (dict(noise="global"), "your noise is not modulated: in RDBM it is Sigma_t * (x0 - mu) * eps, so it vanishes "
                               "where the residual does."),
        (dict(norm="l2"), "you squared the error: the reference RDBM uses an L1 loss (mean absolute error)."),
        (dict(target="eps"), "you compared the prediction with the noise: RDBM's network predicts x0."),
    )
    for kwargs, hint in confusions:
        if _close(sum(parts), sum(_reference_split(bridge, x0, mu, t, eps, **kwargs))):
            return wrong("Your parts do not add up to the RDBM loss.", hint)
    return wrong("Your parts do not add up to the RDBM loss.",
                 "x_t is RDBM's marginal at time t with noise eps (notebook 02a), built from bridge.coefficients(t) "
                 "reshaped to [B, 1, 1, 1]; the loss compares model(x_t, mu, t) with x0 as in section 1.")


def _images(seed):
    g = torch.Generator().manual_seed(seed)
    target = torch.rand(3, 16, 16, generator=g) * 2 - 1
    pred = (target + 0.1 * torch.randn(3, 16, 16, generator=g)).clamp(-1, 1)
    mask = torch.zeros(1, 16, 16, dtype=torch.bool)
    mask[:, 3:9, 2:12] = True
    pred[:, ~mask[0]] = (target[:, ~mask[0]] + 0.01 * torch.randn(3, int((~mask).sum()), generator=g)).clamp(-1, 1)
    return pred, target, mask


def _unclamped_psnr(pred, target, mask) -> float:
    """PSNR of the mapped images without the library's clamping (the answer that forgets it)."""
    mse = float((((pred - target) / 2)[:, mask[0]].double() ** 2).mean())
    return 10 * math.log10(1 / mse)


def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return a == b or abs(a - b) <= tol * max(1.0, abs(b))


@exercise("06.2", "PSNR on a region", "implement")
def check_region_psnr(answer):
    from rdbm_core.evidence.metrics import psnr

    refused = refuse_library(answer, ("rdbm_core.evidence.metrics", "rdbm_core.restoration.evaluation"), "the PSNR")
    if refused is not None:
        return refused
    name = "psnr_region(pred, target, mask)"
    # 1. images inside [-1, 1], the degraded and the intact region of three pairs
    got, want = [], []
    for seed in range(3):
        pred, target, mask = _images(seed)
        for region in (mask, ~mask):
            value, failure = call_student(answer, pred, target, region, name=name)
            if failure is not None:
                return failure
            got.append(value)
            want.append(psnr(pred, target, region))
    try:
        got_t = torch.tensor([float(v) for v in got], dtype=torch.float64)
    except (TypeError, ValueError):
        return wrong("`psnr_region` should return one number (in dB) per call.", "return `float(...)`.")
    want_t = torch.tensor(want, dtype=torch.float64)
    offsets = got_t - want_t
    if torch.allclose(offsets, torch.full_like(offsets, -20 * math.log10(2)), atol=1e-3):
        return wrong("Your values are all 6.02 dB too low.",
                     "the images live in [-1, 1]; PSNR is computed on [0, 1] images (peak 1): map x to (x + 1) / 2 "
                     "first, or equivalently use a peak of 2.")
    if torch.allclose(offsets, torch.full_like(offsets, 20 * math.log10(2)), atol=1e-3):
        return wrong("Your values are all 6.02 dB too high.", "the peak is the range of the [0, 1] image: 1, not 2.")
    values = tensor_answer(got_t, want_t, what="PSNR on the masked pixels", rtol=1e-6, atol=1e-6,
                           index_name="call",
                           hint="take the mean squared error over the masked pixels only (all channels), then "
                                "10 log10(1 / MSE) on [0, 1] images; calls alternate degraded / intact regions.")
    if not values:
        return values
    # 2. a prediction that leaves [-1, 1] (a network's raw output can): the library clamps
    pred, target, mask = _images(0)
    outside = pred * 1.6
    value, failure = call_student(answer, outside, target, mask, name=name)
    if failure is not None:
        return failure
    if not _close(float(value), psnr(outside, target, mask)):
        if _close(float(value), _unclamped_psnr(outside, target, mask)):
            return wrong("Right for images inside [-1, 1], but not for a prediction with values outside it.",
                         "clamp each image to [0, 1] after mapping it there, before taking the error.")
        return wrong("Right for images inside [-1, 1], but off for a prediction with values outside it.",
                     "map to [0, 1], clamp to [0, 1], then the squared error.")
    # 3. an identical region: MSE 0
    value, failure = call_student(answer, target.clone(), target, mask, name=name)
    if failure is not None:
        return wrong(f"For an identical region (MSE 0) your function fails: {failure.message}",
                     "return math.inf when the mean squared error is 0.")
    if float(value) != math.inf:
        return wrong(f"For an identical region (MSE 0) your function returns {value!r}, not infinity.",
                     "return math.inf when the mean squared error is 0.")
    # 4. an empty mask: no pixel to average over
    empty = torch.zeros_like(mask)
    value, failure = call_student(answer, pred, target, empty, name=name)
    if failure is not None:
        return wrong(f"For an empty mask your function fails: {failure.message}",
                     "return math.nan when the mask selects no pixel.")
    try:
        is_nan = math.isnan(float(value))
    except (TypeError, ValueError):
        is_nan = False
    if not is_nan:
        return wrong(f"For an empty mask your function returns {value!r}, not nan.",
                     "a region with no pixel has no PSNR: return math.nan when the mask selects no pixel.")
    return correct("Your PSNR matches the library's on both regions, clamps like it, gives inf for an identical "
                   "region and nan for an empty one.")


@exercise("06.3", "Whole-image PSNR from the regions", "derive")
def check_whole_from_regions(answer):
    # the last case: an identical intact region (inf dB), like the inpainting input
    cases = [(15.0, 38.0, 0.2), (25.0, 45.0, 0.05), (20.0, 20.0, 0.5), (12.0, 60.0, 0.9), (14.0, math.inf, 0.2)]
    got = []
    for pd, pi, f in cases:
        value, failure = call_student(answer, pd, pi, f, name="whole_psnr(psnr_degraded, psnr_intact, fraction)")
        if failure is not None:
            return failure
        got.append(float(value))
    want = [-10 * math.log10(f * 10 ** (-pd / 10) + (1 - f) * 10 ** (-pi / 10)) for pd, pi, f in cases]
    linear = [f * pd + (1 - f) * pi for pd, pi, f in cases]
    if all(_close(g, w) for g, w in zip(got, want)):
        return correct("PSNR is a log of the mean squared error, so the regions mix through their MSEs: the "
                       "worst region dominates.")
    if all(_close(g, w) for g, w in zip(got, linear)):
        return wrong("You averaged the PSNRs (in dB) by area.",
                     "PSNR is logarithmic: what is averaged over pixels is the squared error. Convert each "
                     "region's PSNR to an MSE, average those by area, convert back.")
    return tensor_answer(torch.tensor(got), torch.tensor(want), what="the whole-image PSNR", rtol=1e-6, atol=1e-6,
                         index_name="case",
                         hint="MSE = 10^(-PSNR/10) on [0, 1] images; the whole-image MSE is the area-weighted "
                              "mean of the regions' MSEs.")


#: the decay of 06.4: ``d_k = min(EMA_CAP, (1 + k) / (10 + k))`` after training iteration ``k`` (counted from 0)
EMA_CAP = 0.999


def first_capped_iteration(cap: float = EMA_CAP) -> int:
    """The truth of 06.4: the smallest integer ``k >= 0`` with ``(1 + k) / (10 + k) >= cap``, that is
    ``k >= (10 cap - 1) / (1 - cap)``, computed in exact rational arithmetic (8990 for the cap 0.999)."""
    from fractions import Fraction

    c = Fraction(str(cap))
    return max(0, math.ceil((10 * c - 1) / (1 - c)))


@exercise("06.4", "The EMA decay during warm-up", "predict")
def check_ema_decay(answer):
    if callable(answer):
        return wrong("Expected a number, the iteration k, not a function.",
                     "solve (1 + k) / (10 + k) >= 0.999 for k by hand and give the smallest integer k.")
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return wrong(f"Expected an integer k, got {type(answer).__name__}.",
                     "give the smallest integer k with (1 + k) / (10 + k) >= 0.999, as a number.")
    if not math.isfinite(value) or value != round(value):
        return wrong(f"{answer!r} is not an integer: k counts training iterations.",
                     "the decay is reached at the first integer k at or above the solution of the inequality.")
    k, truth = int(round(value)), first_capped_iteration()
    if k == truth:
        return correct("(1 + k) / (10 + k) >= 0.999 means 0.001 k >= 8.99: k = 8990, far beyond the 300 and 600 "
                       "iterations here. These runs never leave the warm-up, so their EMAs average only their last "
                       "few dozen iterations.")
    if k in (truth - 1, truth + 1):
        return wrong(f"Off by one: at k = {k} the decay is {(1 + k) / (10 + k):.7f}.",
                     "multiply out (1 + k) >= 0.999 (10 + k) and solve for k; check your k and k - 1 in the formula.")
    if k in (truth + 10, truth + 9):
        return wrong("That is where 10 + k or 1 + k lands, not k itself.",
                     "solve for k: 1 + k >= 0.999 (10 + k), so 0.001 k >= 0.999 * 10 - 1.")
    if k in (999, 1000):
        return wrong("1 / (1 - 0.999) = 1000 is how many iterations the EMA averages once the decay is capped, not "
                     "when the warm-up reaches the cap.",
                     "solve (1 + k) / (10 + k) >= 0.999 for k.")
    return wrong(f"At k = {k} the decay is {min(EMA_CAP, (1 + k) / (10 + k)):.7f}"
                 + (", already capped." if k > truth else ", still below the cap."),
                 "(1 + k) / (10 + k) >= 0.999 is linear in k once you multiply by 10 + k.")


# ----------------------------------------------------------------------------- 06.5 the trainer with a smaller batch

#: the answers of 06.5: how the first 20 losses move from one iteration to the next with batch 2 instead of 8
BATCH_CHOICES = ("noisier", "smoother", "same")


@functools.lru_cache(maxsize=1)
def batch_spread_ratio(small: int = 2, large: int = 8, iterations: int = 20) -> float:
    """The truth of 06.5, measured with the library's trainer: two runs of the fast configuration
    (``TrainConfig.smoke``, deraining, CPU, same seed) that differ only in the batch; the spread of the
    iteration-to-iteration changes of their losses (standard deviation of ``diff(losses)``), small over large.
    A few seconds."""
    import tempfile

    from rdbm_core.networks.config import TrainConfig
    from rdbm_core.networks.training import train

    spreads, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: more threads only compete
    try:
        with tempfile.TemporaryDirectory() as out:
            for batch in (small, large):
                config = TrainConfig.smoke(task="derain", steps=iterations, batch=batch, device="cpu", out=out)
                losses = torch.tensor(train(config, progress=False)["losses"], dtype=torch.float64)
                spreads.append(float(losses.diff().std()))
    finally:
        torch.set_num_threads(threads)
    return spreads[0] / spreads[1]


def batch_answer() -> str:
    """The choice the measurement supports: a spread ratio above 1.3 is noisier, below 1/1.3 smoother."""
    ratio = batch_spread_ratio()
    return "noisier" if ratio > 1.3 else "smoother" if ratio < 1 / 1.3 else "same"


@exercise("06.5", "The first losses with a smaller batch", "predict")
def check_batch_prediction(answer):
    choice = answer.strip().lower().strip("\"'.") if isinstance(answer, str) else None
    if choice not in BATCH_CHOICES:
        return wrong(f"expected one of {', '.join(repr(c) for c in BATCH_CHOICES)}, got {answer!r}.",
                     "write your prediction as one of those words, as a string.")
    truth = batch_answer()
    if choice == truth:
        return correct("Each loss is a mean over the batch's pixels and its random bridge times; with a quarter of "
                       "the images, that mean varies about twice as much (1/sqrt(batch)) from one iteration to the "
                       "next.")
    if choice == "same":
        return wrong("The trainer disagrees: the spread of the losses changes with the batch.",
                     "each logged loss is an average over the batch's images and their random times: how does the "
                     "spread of an average depend on the number of terms?")
    return wrong("The trainer disagrees with the direction you predicted.",
                 "each logged loss is an average over the batch's images and their random times: does averaging "
                 "fewer terms make an average vary more or less?")
