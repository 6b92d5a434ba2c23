"""Helper functions of notebook 10 (a learned toy bridge): the two-mode data, the small x0-predictor and its
training, the exact posterior over x0 (quadrature), the samplers run from ``x_T = mu`` (the library's three, the
exact ancestral step that draws x0 from its posterior, and a Gaussian step with that step's mean and variance), the
statistics of the draws, the claims of section 5, the notebook's tables and figures.

The notebook calls these so that each of its cells shows its experiment, not its bookkeeping. Everything here is
one pixel: a batch of samples is a tensor [n, 1], a batch of times a tensor [n].
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

from rdbm_core.bridge import samplers

__all__ = ["MODES", "MODE_STD", "MU", "SPLIT", "COLOURS", "draw_x0", "X0MLP", "train", "trained_count",
           "expected_loss", "quadrature", "posterior_weights", "oracle", "draw_samples", "sample_exact_ancestral",
           "summary", "ks_critical", "z_half", "hybrid", "step_width", "near_mu", "near_mu_along_path",
           "within_std", "mode_bands", "describe_bands", "Claim", "claims_of_section_5", "span",
           "print_loss_table", "print_stats_table", "print_control_table", "plot_mode_bands", "plot_losses", "plot_predictors",
           "plot_histograms", "plot_at_mu", "plot_occupancy"]

MODES, MODE_STD, MU = (-0.6, 0.7), 0.05, 0.4  # the two modes' centres, their standard deviation, the degraded value
SPLIT = 0.05  # the midpoint of the two modes: a draw below it counts as lower mode

#: one colour per method in every figure (Okabe-Ito, colour-blind safe)
COLOURS = {"learned": "#E69F00", "exact": "black", "eta=1": "#0072B2", "SDE": "#D55E00",
           "exact ancestral": "#009E73", "training": "0.45", "lower mode": "#56B4E9", "upper mode": "#CC79A7"}

_TRAINED = [0]  # networks trained in this process


def draw_x0(n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` clean values [n, 1] from the two-mode mixture: centres ``MODES``, standard deviation ``MODE_STD``,
    equal weights."""
    upper = torch.rand(n, 1, generator=generator) < 0.5
    return torch.where(upper, MODES[1], MODES[0]) + MODE_STD * torch.randn(n, 1, generator=generator)


# ----------------------------------------------------------------------------- the learned predictor

class X0MLP(torch.nn.Module):
    """A small x0-predictor ``model(x_t, mu, t)`` for one-pixel samples [B, 1]; ``t`` is [B].

    Three hidden layers of ``width`` with SiLU. Its inputs are the rescaled residual
    ``(x_t - mu) / sqrt(Theta_t^2 + Sigma_t^2)`` (about unit scale at every t), the log of that scale and ``t``; it
    outputs ``x0_hat - mu``.
    """

    def __init__(self, path, width: int = 64):
        super().__init__()
        self.path = path  # only for the input scale sqrt(Theta_t^2 + Sigma_t^2)
        self.net = torch.nn.Sequential(torch.nn.Linear(3, width), torch.nn.SiLU(), torch.nn.Linear(width, width),
                                       torch.nn.SiLU(), torch.nn.Linear(width, width), torch.nn.SiLU(),
                                       torch.nn.Linear(width, 1))

    def forward(self, x, mu, t):
        theta, _, sigma = self.path.coefficients(t.double())
        scale = torch.sqrt(theta ** 2 + sigma ** 2 + 1e-6).float()[:, None]  # the floor keeps t = T finite
        features = torch.cat([(x - mu) / scale, scale.log(), t.float()[:, None]], 1)
        return mu + self.net(features)


def train(path, steps: int, seed: int = 0, batch: int = 512, draw=draw_x0):
    """Train an :class:`X0MLP` on ``path``: Adam (learning rate 3e-3, cosine decay to 0) on the squared error of
    ``x0_hat``, with fresh clean values from ``draw(n, generator)`` (the two-mode mixture unless given), ``mu = MU``
    and ``t`` uniform on [0, 1) at every step. The seed fixes the data and the initial weights. Returns the model
    (in eval mode) and its loss per step."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the same initial weights for every path
    model = X0MLP(path)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for _ in range(steps):
        x0 = draw(batch, gen)
        mu = torch.full_like(x0, MU)
        t = torch.rand(batch, generator=gen, dtype=torch.float64)
        loss = ((model(path.sample(x0, mu, t, generator=gen), mu, t.float()) - x0) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.item())
    _TRAINED[0] += 1
    return model.eval(), losses


def trained_count() -> int:
    """How many networks :func:`train` has trained in this process."""
    return _TRAINED[0]


def expected_loss(model, path, n: int = 50_000, seed: int = 3) -> float:
    """The squared error of ``model`` over :func:`train`'s distribution (x0 from the mixture, ``t`` uniform on
    [0, 1), ``x_t`` from ``path``), estimated from ``n`` draws. For the exact predictor (:func:`oracle`) it is the
    Bayes floor: the smallest loss any predictor can reach."""
    gen = torch.Generator().manual_seed(seed)
    x0 = draw_x0(n, gen)
    mu = torch.full_like(x0, MU)
    t = torch.rand(n, generator=gen, dtype=torch.float64)
    xt = path.sample(x0, mu, t, generator=gen)
    with torch.no_grad():
        return float(((model(xt, mu, t.float()) - x0) ** 2).double().mean())


# ----------------------------------------------------------------------------- the exact posterior

def quadrature(per_mode: int = 41, modes=MODES):
    """Nodes [K] and prior weights [K] (summing to 1) of x0: ``per_mode`` equally spaced nodes over each mode's
    centre +- 5 standard deviations, weighted by the mixture density."""
    nodes = torch.cat([m + torch.linspace(-5 * MODE_STD, 5 * MODE_STD, per_mode, dtype=torch.float64)
                       for m in modes])
    weights = sum(torch.exp(-0.5 * ((nodes - m) / MODE_STD) ** 2) for m in modes)
    return nodes, weights / weights.sum()


def posterior_weights(path, x, t, nodes, weights):
    """The posterior weights [B, K] of the x0 ``nodes`` given ``x_t = x`` [B, 1] at times ``t`` [B]: prior weight
    times the likelihood ``N(x; mu + Theta_t pi, Sigma_t^2 nu(pi)^2)``, normalised. Where ``Sigma_t = 0`` (at T)
    ``x_t`` tells nothing and the prior weights are returned."""
    t = torch.as_tensor(t, dtype=torch.float64)
    if t.dim() == 0:  # one time for the whole batch: each node's mean and spread once, broadcast over x
        theta, _, sigma = (float(c) for c in path.coefficients(t.reshape(1)))
        if sigma == 0:
            return weights.expand(len(x), -1)
        mean = MU + theta * (nodes - MU)
        sd = sigma * path.noise_factor(nodes, torch.full_like(nodes, MU)).abs()
        return torch.softmax((weights.log() - sd.log()) - 0.5 * ((x.double() - mean) / sd) ** 2, 1)
    t = t.expand(len(x))
    sigma = path.coefficients(t)[2]
    grid = nodes.expand(len(x), -1)
    mu = torch.full_like(grid, MU)
    mean, sd = path.mean(grid, mu, t), path.std(grid, mu, t)
    sd = torch.where(sd > 0, sd, torch.ones_like(sd))
    post = torch.softmax(weights.log() - 0.5 * ((x.double() - mean) / sd) ** 2 - sd.log(), 1)
    return torch.where(sigma[:, None] > 0, post, weights.expand_as(post))


def oracle(path, nodes=None, weights=None):
    """The exact posterior mean ``E[x0 | x_t, mu]`` as a model ``(x, mu, t) -> [B, 1]`` (quadrature over the x0
    ``nodes``, default :func:`quadrature`'s 41 per mode); at T it is the prior mean."""
    if nodes is None:
        nodes, weights = quadrature()

    def model(x, mu, t):
        post = posterior_weights(path, x, t.double(), nodes, weights)
        return (post * nodes).sum(1, keepdim=True).to(x.dtype)
    return model


# ----------------------------------------------------------------------------- samplers from x_T = mu

def draw_samples(model, path, n: int, seed: int, steps_implicit: int, steps_sde: int) -> dict:
    """The library's three samplers from ``x_T = MU`` on uniform grids in t: ``{'eta=0', 'eta=1', 'SDE'}`` ->
    [n, 1] (one generator, seeded with ``seed``, in this order)."""
    mu = torch.full((n, 1), MU)
    gen = torch.Generator().manual_seed(seed)
    grid = torch.linspace(1.0, 0.0, steps_implicit + 1, dtype=torch.float64)
    grid_sde = torch.linspace(1.0, 0.0, steps_sde + 1, dtype=torch.float64)
    with torch.no_grad():
        return {"eta=0": samplers.sample_implicit(model, mu, path, grid, eta=0.0, generator=gen),
                "eta=1": samplers.sample_implicit(model, mu, path, grid, eta=1.0, generator=gen),
                "SDE": samplers.sample_euler_maruyama(model, mu, path, grid_sde, generator=gen)}


def sample_exact_ancestral(path, n: int, steps: int, generator, per_mode: int = 101, gaussian: bool = False):
    """``n`` draws [n, 1] of the exact reverse chain from ``x_T = MU`` on ``steps`` uniform steps.

    Each step draws x0 from its posterior given ``x_t`` (a node, by the weights of :func:`posterior_weights` over
    ``per_mode`` nodes per mode, then a uniform draw within that node's cell, so that the draws are not confined to
    the nodes), then ``x_s`` from ``q(x_s | x_t, x0) = N(mu + P (x0 - mu) + K (x_t - mu),
    V nu(pi)^2)``; the last step (s = 0) returns the drawn x0. With ``gaussian=True`` each step instead draws
    ``x_s`` from a Gaussian with that step's exact mean ``mu + P (E[x0 | x_t] - mu) + K (x_t - mu)`` and exact
    variance ``V E[nu(pi)^2 | x_t] + P^2 Var[x0 | x_t]``."""
    nodes, weights = quadrature(per_mode)
    cell = float(nodes[1] - nodes[0])  # the spacing of the nodes
    grid = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    x = torch.full((n, 1), MU, dtype=torch.float64)
    mu = torch.full_like(x, MU)
    nu_square = path.noise_factor(nodes, torch.full_like(nodes, MU)) ** 2
    for t, s in zip(grid[:-1], grid[1:]):
        post = posterior_weights(path, x, t, nodes, weights)
        if gaussian:
            p, k, v = path.posterior_coefficients(t, s)
            first, second = (post @ nodes)[:, None], (post @ nodes ** 2)[:, None]
            mean = MU + p * (first - MU) + k * (x - MU)
            sd = torch.sqrt(v * (post @ nu_square)[:, None] + p ** 2 * (second - first ** 2).clamp(min=0))
        else:  # x0 by the inverse of the posterior's distribution function over the nodes
            cdf = post.cumsum(1)
            u = torch.rand(n, 1, generator=generator, dtype=torch.float64) * cdf[:, -1:]
            x0 = nodes[torch.searchsorted(cdf, u).clamp(max=len(nodes) - 1)]
            x0 = x0 + cell * (torch.rand(n, 1, generator=generator, dtype=torch.float64) - 0.5)  # within its cell
            mean, sd = path.posterior(x, x0, mu, t, s)
        x = mean + sd * torch.randn(x.shape, generator=generator, dtype=torch.float64)
    return x.float()


def hybrid(learned, exact, lo: float, hi: float):
    """A predictor that is ``learned`` for ``lo < t <= hi`` and ``exact`` elsewhere."""
    def model(x, mu, t):
        return torch.where(((t > lo) & (t <= hi))[:, None], learned(x, mu, t), exact(x, mu, t))
    return model


# ----------------------------------------------------------------------------- statistics of the draws

def z_half(lower: float, se: float) -> float:
    """The distance of a lower-mode fraction from 1/2 in standard errors."""
    return abs(lower - 0.5) / se


def summary(x, truth) -> dict:
    """Statistics of draws ``x`` against ``truth`` (draws of the true x0 | mu).

    ``lower``: fraction below ``SPLIT``; ``se``: its binomial standard error ``sqrt(p (1 - p) / n)``, with
    ``p (1 - p)`` floored at ``0.25 / n`` so that a fraction of 0 or 1 gets no zero error; ``z``: ``|lower - 1/2| /
    se``; ``std``; ``D_KS``: the two-sample Kolmogorov-Smirnov distance to ``truth``; ``value``: the first draw;
    ``in_mode``: fraction within 3 mode widths of a mode centre; ``at_mu``: fraction within one mode width of MU.
    """
    x = x.ravel().double()
    lower = float((x < SPLIT).double().mean())
    se = math.sqrt(max(lower * (1 - lower), 0.25 / len(x)) / len(x))
    in_mode = float(torch.stack([(x - m).abs() < 3 * MODE_STD for m in MODES]).any(0).double().mean())
    return dict(lower=lower, se=se, z=z_half(lower, se), std=float(x.std()),
                D_KS=float(stats.ks_2samp(x.numpy(), np.asarray(truth).ravel()).statistic), value=float(x[0]),
                in_mode=in_mode, at_mu=near_mu(x))


def ks_critical(n: int, m: int) -> float:
    """The 5 % critical value of the two-sample Kolmogorov-Smirnov distance, ``1.36 sqrt((n + m) / (n m))``: two
    samples of one distribution exceed it in 5 % of trials."""
    return 1.36 * math.sqrt((n + m) / (n * m))


def near_mu(x) -> float:
    """The fraction of the values ``x`` within one mode width (0.05) of MU."""
    return float(((torch.as_tensor(x).double() - MU).abs() < MODE_STD).double().mean())


def near_mu_along_path(model, path, n: int, steps: int, seed: int) -> dict:
    """Run the ``eta = 1`` sampler (``n`` draws from ``x_T = MU``, ``steps`` uniform steps) and return
    ``{t: fraction of the draws within 0.05 of MU at t}`` for every grid time (rounded to 3 decimals)."""
    trajectory = samplers.Trajectory()
    with torch.no_grad():
        samplers.sample_implicit(model, torch.full((n, 1), MU), path,
                                 torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64), eta=1.0,
                                 generator=torch.Generator().manual_seed(seed), callback=trajectory)
    return {round(float(t), 3): near_mu(x) for t, x in zip(trajectory.t, trajectory.x)}


def step_width(model, path, t: float, lo: float = -0.4, hi: float = 0.5) -> float:
    """The step width of ``x0_hat(., t)``: the range of ``x_t`` over which it rises from ``lo`` to ``hi`` on its
    way from ``MU - 0.3`` up to the upper mode's centre ``MU + 0.3 Theta_t``."""
    theta_t = float(path.coefficients(torch.tensor([t], dtype=torch.float64))[0])
    xs = torch.linspace(MU - 0.3, MU + 0.3 * theta_t, 3001)[:, None]
    with torch.no_grad():
        curve = model(xs, torch.full_like(xs, MU), torch.full((len(xs),), t)).ravel()
    first_high = int(torch.nonzero(curve >= hi)[0])
    last_low = int(torch.nonzero(curve[:first_high] <= lo)[-1])
    return float(xs[first_high] - xs[last_low])


def within_std(x) -> tuple[float, float]:
    """The standard deviations of the draws below and above ``SPLIT``: the spread within each mode."""
    x = x.ravel().double()
    return float(x[x < SPLIT].std()), float(x[x >= SPLIT].std())


def mode_bands(path, times, n: int = 20_000, seed: int = 0, probs=(0.025, 0.25, 0.75, 0.975)) -> dict:
    """Quantiles of ``x_t`` per mode: ``{mode centre: array [len(times), len(probs)]}``, from ``n`` forward draws of
    each mode at each time."""
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for m in MODES:
        rows = []
        for t in times:
            x0 = m + MODE_STD * torch.randn(n, 1, generator=gen)
            xt = path.sample(x0, torch.full_like(x0, MU), torch.full((n,), float(t), dtype=torch.float64),
                             generator=gen)
            rows.append(np.quantile(xt.numpy().ravel(), probs))
        out[m] = np.array(rows)
    return out


def describe_bands(bands_by_noise: dict, times) -> dict:
    """Print, per noise factor, the width of each mode's 95 % band at t = 0.5 and the largest t at which the two
    bands are disjoint and at which ``MU`` lies between them; return those numbers (``width``, ``apart``,
    ``in_gap``, and ``gap_from_0``: whether ``MU`` lies between the bands at every grid time up to ``in_gap``)."""
    times = np.asarray(times)
    lower, upper = MODES
    out = {}
    for noise, b in bands_by_noise.items():
        mid = int(np.argmin(abs(times - 0.5)))
        width = {m: float(b[m][mid, 3] - b[m][mid, 0]) for m in MODES}
        apart = times[b[lower][:, 3] < b[upper][:, 0]]
        in_gap = times[(b[lower][:, 3] < MU) & (MU < b[upper][:, 0])]
        out[noise] = dict(width=width, apart=float(apart.max()), in_gap=float(in_gap.max()),
                          gap_from_0=bool(np.all(np.diff(in_gap) < 0.011)) and in_gap.min() == 0)
        print(f"{noise:9s}: 95 % band width at t = 0.5: lower mode {width[lower]:.2f}, upper mode {width[upper]:.2f}; "
              f"bands disjoint for t <= {apart.max():.2f}, mu between them for t <= {in_gap.max():.2f}")
    return out


# ----------------------------------------------------------------------------- tables

@dataclass
class Claim:
    """One row of a claims table: the claim's number, the quantity measured, its value(s) as text, the threshold
    the claim states and whether the values meet it."""
    number: str
    quantity: str
    value: str
    threshold: str
    holds: bool


def span(values, digits: int = 3) -> str:
    """``values`` as ``lo to hi (k values)``, or the one value."""
    values = [float(v) for v in values]
    if not values:
        return "(full run only)"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{min(values):.{digits}f} to {max(values):.{digits}f} ({len(values)} values)"


def print_loss_table(losses: dict, floors: dict) -> dict:
    """Per network: the mean loss of its last 100 steps, the Bayes floor (:func:`expected_loss` of the exact
    predictor), their difference, and the change of the mean loss from steps -300..-200 to the last 100. Returns
    those changes per key."""
    change = {key: float(np.mean(loss[-100:]) / np.mean(loss[-300:-200]) - 1) for key, loss in losses.items()}
    print("mean loss of the last 100 steps, the Bayes floor, their difference (excess), and the change of the mean "
          "loss\nfrom steps -300..-200 to the last 100 (late change):")
    print(f"{'noise':>10} {'lam':>7} | {'last 100':>8} {'floor':>7} {'excess':>7} | {'late change':>11}")
    for (lam, noise), loss in losses.items():
        last = float(np.mean(loss[-100:]))
        print(f"{noise:>10} {lam:>7g} | {last:>8.4f} {floors[(lam, noise)]:>7.4f} "
              f"{last - floors[(lam, noise)]:>7.4f} | {change[(lam, noise)]:>+11.1%}")
    return change


def print_stats_table(stats_by_key: dict, truth: dict, truth_ks: float, critical: float) -> None:
    """The table of section 5: per (lam, noise, predictor) the eta = 0 value and, for eta = 1 and the SDE, the
    lower-mode fraction +- 1.96 standard errors with its z (distance from 1/2 in standard errors), the in-mode
    fraction and D_KS. The first row is the fresh draw of the truth, with D_KS to a second independent draw;
    ``critical`` is the 5 % critical value. Below the table: the largest spread of the eta = 0 draws."""
    def cells(st):
        z = f"{st['z']:>5.1f}" if st["z"] < 100 else f"{st['z']:>5.0f}"
        return f"{st['lower']:>9.3f}±{1.96 * st['se']:.3f} ({z}) {st['in_mode']:>5.3f} {st['D_KS']:>5.3f}"
    head = f"{'lower ± 1.96 SE':>15} {'(z)':>7} {'in':>5} {'D_KS':>5}"
    print(f"{'':<27} | {'eta = 0':>7} | {'eta = 1':^35} | {'SDE':^35}")
    print(f"{'predictor':<9}{'noise':>10}{'lam':>8} | {'value':>7} | {head} | {head}")
    print(f"{'truth':<27} | {'':>7} | {cells(dict(truth, D_KS=truth_ks))} |")
    order = sorted(stats_by_key, key=lambda k: (k[2] != "learned", k[1], k[0]))
    for lam, noise, who in order:
        st = stats_by_key[(lam, noise, who)]
        print(f"{who:<9}{noise:>10}{lam:>8g} | {st['eta=0']['value']:>7.3f} | {cells(st['eta=1'])} | "
              f"{cells(st['SDE'])}")
    spread = max(st["eta=0"]["std"] for st in stats_by_key.values())
    print(f"D_KS of two independent true draws: {truth_ks:.3f}; 5 % critical value: {critical:.3f}; largest spread "
          f"of the eta = 0 draws over all {len(order)} models: {spread:.3g}")


def print_control_table(plug_in: dict, control: dict, within: dict) -> None:
    """Section 7's table, per (lam, noise), modulated first: the lower-mode fraction +- 1.96 SE (z) and D_KS of the
    plug-in eta = 1 draws (``plug_in``) and of the exact ancestral draws (``control``, both :func:`summary`), and the
    within-mode standard deviations of the exact ancestral draws (``within``, :func:`within_std`)."""
    def cells(c):
        z = f"{c['z']:4.1f}" if c["z"] < 100 else f"{c['z']:4.0f}"
        return f"{c['lower']:.3f}±{1.96 * c['se']:.3f} ({z}) {c['D_KS']:.3f}"
    print("lower-mode fraction ± 1.96 SE (z) and D_KS; within-mode std (lower, upper) of the exact ancestral draws")
    print(f"{'noise':>10}{'lam':>8} | {'plug-in eta = 1':^25} | {'exact ancestral':^25} | within-mode std")
    for lam, noise in sorted(control, key=lambda k: (k[1] != "modulated", k[0])):
        print(f"{noise:>10}{lam:>8g} | {cells(plug_in[(lam, noise)])} | {cells(control[(lam, noise)])} | "
              f"{within[(lam, noise)][0]:.3f} {within[(lam, noise)][1]:.3f}")


# ----------------------------------------------------------------------------- figures

LAM_TEX = {1e-4: r"10^{-4}", 1e-2: "0.01", 0.1: "0.1", 1.0: "1"}


def _lam(lam) -> str:
    return LAM_TEX.get(lam, f"{lam:g}")


def plot_mode_bands(bands_by_noise: dict, times, lam) -> None:
    """Section 1's picture: per noise factor (one panel each) the central 95 % (light) and 50 % (dark) of each
    mode's ``x_t`` against t, with ``x_t = MU`` dashed."""
    fig, axes = plt.subplots(1, len(bands_by_noise), figsize=(7.2, 3.4), sharey=True, layout="constrained")
    for ax, (letter, (noise, bands)) in zip(axes, zip("ab", bands_by_noise.items())):
        for m, name in zip(MODES, ("lower mode", "upper mode")):
            q = bands[m]
            ax.fill_between(times, q[:, 0], q[:, 3], color=COLOURS[name], alpha=0.35, lw=0,
                            label=f"{name} ({m:+.1f}): 95 %")
            ax.fill_between(times, q[:, 1], q[:, 2], color=COLOURS[name], alpha=0.8, lw=0,
                            label=f"{name} ({m:+.1f}): 50 %")
        ax.axhline(MU, color="k", ls="--", lw=1.0, label=r"$x_t = \mu = 0.4$")
        ax.set(xlabel="$t$ (0 = clean end, 1 = degraded end $T$)", xlim=(0, 1),
               title=f"({letter}) {noise} noise, $\\lambda = {_lam(lam)}$")
    axes[0].set_ylabel(r"$x_t$ (pixel value)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle(r"Where each mode's $x_t$ lies: central 95 % and 50 % of $x_t$ given the mode")
    plt.show()


def plot_losses(losses: dict, lams, floors: dict, window: int = 50) -> None:
    """The training loss of every network, one panel per noise factor, one colour per lam (moving average of
    ``window`` steps, log axis), with its Bayes floor (``floors``, per key) as a dashed line of the same colour."""
    noises = sorted({noise for _, noise in losses}, reverse=True)  # modulated, global
    colours = dict(zip(lams, plt.cm.viridis(np.linspace(0.0, 0.85, len(lams)))))
    fig, axes = plt.subplots(1, len(noises), figsize=(7.2, 3.0), sharey=True, layout="constrained", squeeze=False)
    for ax, letter, noise in zip(axes[0], "ab", noises):
        for lam in lams:
            curve = np.convolve(losses[(lam, noise)], np.ones(window) / window, mode="valid")
            ax.plot(np.arange(window, window + len(curve)), curve, color=colours[lam], lw=1.4,
                    label=f"$\\lambda = {_lam(lam)}$")
            ax.axhline(floors[(lam, noise)], color=colours[lam], ls="--", lw=1.0)
        ax.set(yscale="log", xlabel="training step", title=f"({letter}) {noise} noise")
    axes[0, 0].set_ylabel(f"squared error of $\\hat x_0$\n(mean of {window} steps)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color="0.3", ls="--", lw=1.0))
    labels.append("Bayes floor")
    fig.legend(handles, labels, loc="outside lower center", ncol=len(lams) + 1)
    plt.show()


def plot_predictors(noise, path, model, exact, times, lam, generator) -> tuple[dict, dict]:
    """Section 3's figure for one noise factor: learned and exact ``x0_hat(x_t, t)`` against ``x_t`` at each time,
    over the range of the training ``x_t`` (grey: its 0.5 %-99.5 % range). Returns the RMS error of the learned
    predictor over the training distribution of ``x_t`` and the exact curve, both per time."""
    rms, curves = {}, {}
    fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.4), sharey=True, layout="constrained")
    for ax, t in zip(axes.ravel(), times):
        x0 = draw_x0(20_000, generator)
        mu = torch.full_like(x0, MU)
        ts = torch.full((len(x0),), t)
        xt = path.sample(x0, mu, ts.double(), generator=generator)
        lo, hi = np.quantile(xt.numpy(), [0.005, 0.995])
        grid = torch.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 400)[:, None]
        tg = torch.full((len(grid),), t)
        with torch.no_grad():
            curves[t] = exact(grid, torch.full_like(grid, MU), tg).ravel()
            ax.plot(grid, model(grid, torch.full_like(grid, MU), tg), color=COLOURS["learned"], lw=1.8,
                    label="learned")
            rms[t] = float(((model(xt, mu, ts) - exact(xt, mu, ts)) ** 2).mean().sqrt())
        ax.plot(grid, curves[t], color=COLOURS["exact"], ls="--", lw=1.2, label="exact")
        ax.axvspan(lo, hi, color="0.9", zorder=0, label="training $x_t$ (99 %)")
        ax.axvline(MU, color="0.5", ls=":", lw=1.0, label=r"$x_t = \mu = 0.4$")
        ax.set_title(f"$t = {t}$")
    for ax in axes[-1]:
        ax.set_xlabel(r"$x_t$ (pixel value)")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"$\hat x_0(x_t, t)$ (pixel value)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4)
    fig.suptitle(rf"{noise.capitalize()} noise: learned and exact $\hat x_0$, $\lambda = {_lam(lam)}$")
    plt.show()
    return rms, curves


def plot_histograms(samples: dict, truth, lams, who: str, noises=("modulated", "global"), extra=None,
                    floor: float = 0.01, mark: float = 100.0) -> dict:
    """Section 4's figure for one predictor ``who``: one panel per lam (rows) and noise factor (columns) with the
    truth (grey), the ``eta = 1`` and SDE draws and a triangle at the one ``eta = 0`` value; log density axis
    from ``floor``. ``extra`` optionally maps a label to draws per (lam, noise) to add (the control). Returns the
    tallest bar and its bin centre per (lam, noise, sampler)."""
    bins = np.linspace(-0.9, 1.0, 96)
    peak = {}
    fig, axes = plt.subplots(len(lams), len(noises), figsize=(7.2, 2.3 * len(lams) + 1.4), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    for row, lam in zip(axes, lams):
        for ax, noise in zip(row, noises):
            ax.hist(np.asarray(truth).ravel(), bins=bins, density=True, color="0.8", label=r"true $x_0 \mid \mu$")
            draws = {name: samples[(lam, noise, who)][name] for name in ("eta=1", "SDE")}
            styles = {"eta=1": ("-", r"$\eta = 1$"), "SDE": ("--", "reverse SDE")}
            for label, by_key in (extra or {}).items():
                draws[label] = by_key[(lam, noise)]
                styles[label] = ("-.", label)
            for name, x in draws.items():
                ls, label = styles[name]
                heights = ax.hist(x.numpy().ravel(), bins=bins, density=True, histtype="step", lw=1.4, ls=ls,
                                  color=COLOURS[name], label=label)[0]
                peak[(lam, noise, name)] = (heights.max(), (bins[heights.argmax()] + bins[heights.argmax() + 1]) / 2)
            ax.axvline(MU, color="0.4", ls=":", lw=1.2, label=r"$\mu = 0.4$")
            ax.axvline(SPLIT, color="0.4", ls=(0, (5, 2, 1, 2)), lw=1.0, label="midpoint 0.05")
            if "eta=0" in samples[(lam, noise, who)]:
                ax.plot([float(samples[(lam, noise, who)]["eta=0"][0])], [mark], marker="v", ms=9, color="k",
                        ls="none", label=r"$\eta = 0$ (every draw)")
            ax.set(yscale="log", ylim=(floor, 2 * mark), title=f"{noise} noise, $\\lambda = {_lam(lam)}$")
        row[0].set_ylabel("density (per unit $x_0$)")
    for ax in axes[-1]:
        ax.set_xlabel(r"sampled $x_0$ (pixel value)")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    fig.suptitle(f"Samples from one $\\mu = 0.4$, {who} predictor (log density axis)")
    plt.show()
    return peak


def plot_at_mu(curves: dict, exact_values, times, steps_short: int) -> None:
    """``x0_hat(MU, t)`` against t: each learned network (``curves``: (steps, seed) -> values at ``times``;
    solid for ``steps_short`` training steps, dashed for more) and the exact predictor (``exact_values``). The last
    time, T, is drawn as separate markers (circles: learned, square: exact), not joined to the curves."""
    times = np.asarray(times, dtype=float)
    fig, ax = plt.subplots(figsize=(7.2, 3.6), layout="constrained")
    for (steps, _), curve in curves.items():
        curve = np.asarray(curve)
        ax.plot(times[:-1], curve[:-1], color=COLOURS["learned"], lw=1.3, ls="-" if steps == steps_short else "--")
        ax.plot(times[-1], curve[-1], color=COLOURS["learned"], marker="o", mfc="none", ms=7, ls="none", zorder=3)
    for steps, ls in sorted({(steps, "-" if steps == steps_short else "--") for steps, _ in curves}):
        seeds = sum(run[0] == steps for run in curves)
        ax.plot([], [], color=COLOURS["learned"], ls=ls,
                label=f"learned, {steps} training steps ({seeds} seed{'s' if seeds > 1 else ''})")
    exact_values = np.asarray(exact_values)
    ax.plot(times[:-1], exact_values[:-1], color=COLOURS["exact"], lw=1.4, label="exact")
    ax.plot(times[-1], exact_values[-1], color=COLOURS["exact"], marker="s", ms=5, ls="none")
    ax.plot([], [], color="0.3", marker="o", mfc="none", ls="none", label="value at $t = T$ (learned: circles, "
            "exact: square)")
    ax.axhline(MU, color="0.5", ls=":", lw=1.0, label=r"$\mu = 0.4$")
    ax.set(xlabel="$t$", ylabel=r"$\hat x_0(\mu, t)$ (pixel value)", xlim=(0, 1.02),
           title=r"The prediction at $x_t = \mu$, modulated noise, $\lambda = 0.1$")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2, fontsize=9)
    plt.show()


def plot_occupancy(near: dict, lam) -> None:
    """The fraction within 0.05 of MU against t: ``near`` maps a label ('exact', 'learned', 'training') to
    ``{t: fraction}``."""
    labels = {"exact": r"$\eta = 1$ draws, exact predictor", "learned": r"$\eta = 1$ draws, learned predictor",
              "training": r"training $x_t$"}
    fig, ax = plt.subplots(figsize=(7.2, 3.2), layout="constrained")
    for name, fractions in near.items():
        ax.plot(list(fractions), list(fractions.values()), color=COLOURS[name], lw=1.6,
                ls=":" if name == "training" else "-", label=labels[name])
    ax.set(xlabel="$t$ (sampling runs from $t = 1$ to $0$)", ylabel=r"fraction within 0.05 of $\mu$",
           ylim=(0, 1.02), xlim=(0, 1),
           title=rf"Where the draws are: modulated noise, $\lambda = {_lam(lam)}$")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    plt.show()


# ----------------------------------------------------------------------------- the claims of section 5

def claims_of_section_5(stats_by_key: dict, lams, prior_mean: float, fast: bool) -> list[Claim]:
    """The claims of notebook 10's section 5, one row each (checked, not printed), from its statistics
    (``stats_by_key``: (lam, noise, predictor) -> sampler -> :func:`summary`). Rows about a lam the run lacks are
    vacuous ("(full run only)")."""
    st = stats_by_key
    samplers_ = ("eta=1", "SDE")
    both = [(lam, n) for lam in lams for n in samplers_]
    small = [(lam, n) for lam, n in both if lam <= 0.1]
    big = [(lam, n) for lam, n in both if lam == 1.0]

    def values(noise, who, pairs, field):
        return [st[(lam, noise, who)][n][field] for lam, n in pairs]

    rows = []
    spreads = [s["eta=0"]["std"] for s in st.values()]
    rows.append(Claim("1", "spread of the eta = 0 draws, every model", span(spreads), "== 0",
                      all(v == 0.0 for v in spreads)))
    g_ex0 = [st[(lam, "global", "exact")]["eta=0"]["value"] for lam in lams if lam >= 0.1]
    rows.append(Claim("2", "eta = 0 value, exact, global, lam >= 0.1", span(g_ex0, 4),
                      f"within 1e-4 of E[x0] = {prior_mean:.2f}", all(abs(v - prior_mean) < 1e-4 for v in g_ex0)))
    m_0 = [st[(lam, "modulated", who)]["eta=0"]["value"] for lam in lams if lam <= 0.1 for who in ("learned", "exact")]
    rows.append(Claim("2", "eta = 0 value, modulated, lam <= 0.1, both predictors", span(m_0), "< -0.35",
                      all(v < -0.35 for v in m_0)))
    z_g = values("global", "exact", both, "z")
    undecided = [(lam, n) for (lam, n), z in zip(both, z_g) if z >= 2]
    rows.append(Claim("3", "global, exact: z of the lower-mode fraction", span(z_g, 1)
                      + "; z >= 2: " + (", ".join(f"lam {lam:g} {n}" for lam, n in undecided) or "none"),
                      "< 2; none > 4", all(z <= 4 for z in z_g) and (fast or undecided == [(0.1, "eta=1")])))
    in_g1 = [st[(lam, "global", "exact")]["eta=1"]["in_mode"] for lam in lams if lam == 1.0]
    rows.append(Claim("3", "global, exact, lam = 1, eta = 1: in-mode fraction", span(in_g1), "< 0.95",
                      all(v < 0.95 for v in in_g1)))
    dev = [abs(v - 0.5) for v in values("global", "learned", both, "lower")]  # a margin chosen after seeing the data
    rows.append(Claim("4", "global, learned: |lower - 1/2|", span(dev), "< 0.1", all(v < 0.1 for v in dev)))
    z_gl = values("global", "learned", both, "z")
    rows.append(Claim("4", "global, learned: entries with z > 4", f"{sum(z > 4 for z in z_gl)} of {len(z_gl)}",
                      ">= 1 (full run)", fast or sum(z > 4 for z in z_gl) >= 1))
    ks_l, ks_e = values("global", "learned", both, "D_KS"), values("global", "exact", both, "D_KS")
    rows.append(Claim("4", "global, D_KS: learned (exact)", f"{span(ks_l)} ({span(ks_e)})",
                      "learned in (0.15, 0.5), above exact", all(max(0.15, e) < v < 0.5 for v, e in zip(ks_l, ks_e))))
    in_small, in_big = values("global", "learned", small, "in_mode"), values("global", "learned", big, "in_mode")
    rows.append(Claim("4", "global, learned: in-mode fraction, lam <= 0.1", span(in_small), ">= 0.85",
                      fast or all(v >= 0.85 for v in in_small)))
    rows.append(Claim("4", "global, learned: in-mode fraction, lam = 1", span(in_big), "< 0.5",
                      all(v < 0.5 for v in in_big)))
    z_sde = values("modulated", "exact", [(lam, "SDE") for lam in lams], "z")
    rows.append(Claim("5", "modulated, exact, SDE: z", span(z_sde, 1), "> 4", all(z > 4 for z in z_sde)))
    z_eta = values("modulated", "exact", [(lam, "eta=1") for lam in lams], "z")
    rows.append(Claim("5", "modulated, exact, eta = 1: z", span(z_eta, 1), "> 4 (fast run: > 2, then more draws)",
                      all(z > (2 if fast else 4) for z in z_eta)))
    mid = values("modulated", "exact", [(lam, n) for lam, n in both if lam in (0.01, 0.1)], "lower")
    rows.append(Claim("5", "modulated, exact: lower-mode fraction, lam = 0.01, 0.1", span(mid), "in (0.40, 0.48)",
                      all(0.40 < v < 0.48 for v in mid)))
    tiny = values("modulated", "exact", [(lam, n) for lam, n in both if lam == 1e-4], "lower")
    rows.append(Claim("5", "modulated, exact: lower-mode fraction, lam = 1e-4", span(tiny), "> 0.75",
                      all(v > 0.75 for v in tiny)))
    for field, label, ok, threshold in (("in_mode", "in-mode", lambda v: v < 0.3, "< 0.3"),
                                        ("at_mu", "within 0.05 of mu", lambda v: v > 1 / 3, "> 1/3"),
                                        ("lower", "lower-mode", lambda v: v < 0.3, "< 0.3")):
        vals = values("modulated", "exact", [(lam, "eta=1") for lam in lams if lam == 1.0], field)
        rows.append(Claim("5", f"modulated, exact, lam = 1, eta = 1: {label} fraction", span(vals), threshold,
                          all(ok(v) for v in vals)))
    low_l = values("modulated", "learned", small, "lower")
    rows.append(Claim("6", "modulated, learned, lam <= 0.1: lower-mode fraction", span(low_l), "> 0.9",
                      all(v > 0.9 for v in low_l)))
    gap = [m - g for m, g in zip(values("modulated", "learned", small, "D_KS"), values("global", "learned", small,
                                                                                       "D_KS"))]
    rows.append(Claim("6", "modulated, learned, lam <= 0.1: D_KS - global's", span(gap), "> 0.1",
                      all(v > 0.1 for v in gap)))
    in_m1 = values("modulated", "learned", big, "in_mode")
    rows.append(Claim("6", "modulated, learned, lam = 1: in-mode fraction", span(in_m1), "< 0.3",
                      all(v < 0.3 for v in in_m1)))
    return rows
