"""The checks of notebook 10 (a learned toy bridge): assertions that pin the notebook's prose to its outputs.

Each function takes the results of the notebook's sections, asserts every number and statement the text quotes from
them (to the digits quoted), and prints how many checks passed. The notebook calls them in its last cell, so that
the reading path shows the experiments and nbval still runs every check. Values that exist only in the full run
(other lam, more training, finer grids) are asserted only when ``fast`` is false; the fast run checks the
statements that hold at its smaller sizes.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from rdbm_core.bridge import samplers
from rdbm_course import toy_bridge_lesson as lesson
from rdbm_course.toy_bridge_lesson import MODE_STD, MODES, MU

__all__ = ["sections_1_to_3", "sections_4_and_5", "section_6", "section_7", "section_8", "appendices"]

STOCHASTIC = ("eta=1", "SDE")


class _Count:
    """Counts the checks of one section and reports them."""

    def __init__(self, name: str):
        self.name, self.n = name, 0

    def __call__(self, condition, detail=None):
        assert condition, f"{self.name}: {detail}"
        self.n += 1

    def done(self):
        print(f"{self.name}: {self.n} checks passed")


def _r(x, digits=3):
    return round(float(x), digits)


def _prior_mean() -> float:
    nodes, weights = lesson.quadrature()
    return float((nodes * weights).sum())


def sections_1_to_3(oracles, band_stats, losses, floors, late_change, learn_err, exact_curves, exact_at_mu,
                    fast: bool) -> None:
    """Section 1 (the bands' widths and separation times), section 2 (losses against their Bayes floors) and
    section 3 (the learned and exact predictors, the exact prediction at ``x_t = MU``)."""
    c = _Count("sections 1-3")
    prior_mean = _prior_mean()
    c(abs(prior_mean - 0.05) < 1e-3, prior_mean)
    # section 1: band widths at t = 0.5; the times below which the bands are disjoint, mu between them
    c([_r(band_stats["modulated"]["width"][m], 2) for m in MODES] == [1.20, 0.36], band_stats)
    c((_r(band_stats["modulated"]["apart"], 2), _r(band_stats["global"]["apart"], 2)) == (0.20, 0.12), band_stats)
    c(all(st["gap_from_0"] for st in band_stats.values()), band_stats)
    c((_r(band_stats["modulated"]["in_gap"], 2), _r(band_stats["global"]["in_gap"], 2)) == (0.20, 0.03), band_stats)
    # section 2: "within 0.007 of its Bayes floor"; global floors above modulated ones; the late change of the loss
    lams = sorted({lam for lam, _ in losses})
    last = {key: float(np.mean(loss[-100:])) for key, loss in losses.items()}
    c(all(floors[(lam, "global")] > floors[(lam, "modulated")] for lam in lams), floors)
    c(all(last[(lam, "global")] > last[(lam, "modulated")] for lam in lams), last)
    c(fast or all(0 < last[k] - floors[k] < 0.007 for k in losses), (last, floors))
    changes = sorted(abs(v) for v in late_change.values())
    c(fast or (changes[-1] < 0.06 and changes[-2] < 0.01), late_change)
    c(fast or max(late_change, key=lambda k: abs(late_change[k])) == (1e-4, "modulated"), late_change)
    c(fast or min(last, key=last.get) == (1e-4, "modulated"), last)
    # section 3: RMS errors, the shapes of the exact predictor, the exact prediction at x_t = mu
    late = max(v for (_, t), v in learn_err.items() if t >= 0.5)
    c(late < (0.15 if fast else 0.08), learn_err)
    worst = {noise: max((t for n, t in learn_err if n == noise), key=lambda t: learn_err[(noise, t)])
             for noise in ("modulated", "global")}
    c(fast or worst == {"modulated": 0.2, "global": 0.1}, learn_err)
    c(fast or (_r(learn_err[("modulated", 0.2)]), _r(learn_err[("global", 0.1)])) == (0.086, 0.097), learn_err)
    for (noise, t), curve in exact_curves.items():
        if noise == "global":  # increasing at every t
            c(bool((curve.diff() > -1e-6).all()), t)
        elif t >= 0.5:  # both edges below -0.5
            c(max(curve[0], curve[-1]) < -0.5, (t, curve[0], curve[-1]))
    c(exact_curves[("global", 0.5)].min() < -0.4 and exact_curves[("global", 0.5)].max() > 0.5)  # a step at 0.5
    c(-0.1 < exact_curves[("global", 0.995)].min() and exact_curves[("global", 0.995)].max() < 0.2)  # flat near T
    lam_show = 0.1
    fine = torch.linspace(MU - 0.3, MU + 0.3, 3001)[:, None]
    for t in (0.5, 0.9, 0.995):  # modulated: a peak near mu
        with torch.no_grad():
            curve = oracles[(lam_show, "modulated")](fine, torch.full_like(fine, MU), torch.full((len(fine),), t))
        x_peak = float(fine[curve.ravel().argmax()])
        c(abs(x_peak - MU) < 0.1 and float(curve.max()) > 0.3, (t, x_peak))
    mod_mu, glo_mu = exact_at_mu["modulated"], exact_at_mu["global"]
    t_near = list(mod_mu)
    c(all(abs(mod_mu[t] - MU) < 1e-3 for t in t_near[:-1]) and abs(mod_mu[1.0] - prior_mean) < 1e-6, mod_mu)
    c(all(a >= b for a, b in zip(list(glo_mu.values()), list(glo_mu.values())[1:])), glo_mu)  # falls towards 0.05
    c(_r(glo_mu[0.5], 4) == 0.1237 and _r(glo_mu[0.99], 4) == 0.0502 and abs(glo_mu[1.0] - prior_mean) < 1e-6, glo_mu)
    c.done()


def sections_4_and_5(samples, stats, oracles, paths, x0_test, peak, truth_peak, truth, truth_ks, ks_crit, more,
                     n_samples: int, steps_implicit: int, steps_sde: int, fast: bool) -> None:
    """Section 4 (the histograms' tallest bars) and section 5 (the statistics table, its three results and the
    20 000 further draws)."""
    c = _Count("sections 4-5")
    lams = sorted({k[0] for k in stats})
    # section 4
    c(1 / (n_samples * 0.02) > 0.01)  # a bin of one draw shows above the floor
    c(fast or _r(truth_peak, 1) == 4.1, truth_peak)
    c(3.5 < truth_peak < 4.5, truth_peak)
    c(max(h for h, _ in peak.values()) < 100 / 1.5, peak)  # every bar well below the eta = 0 marker
    c(all(peak[(lam, "modulated", "learned", n)][0] > 2.5 * truth_peak
          for lam in lams if lam <= 0.1 for n in STOCHASTIC), peak)  # the learned modulated spikes
    c(fast or all(max(peak[(lam, "global", "learned", n)][0] for n in STOCHASTIC) > 2.5 * truth_peak
                  for lam in lams if lam <= 0.1), peak)  # the learned global spikes (full run)
    c(fast or _r(peak[(0.1, "global", "exact", "eta=1")][0], 1) == 9.0, peak)
    if 1.0 in lams:  # the spike of eta = 1 draws at mu (exact predictor, modulation, lam = 1)
        height, centre = peak[(1.0, "modulated", "exact", "eta=1")]
        c(abs(centre - MU) < MODE_STD and height > truth_peak and (_r(height, 1), _r(centre, 2)) == (6.6, 0.39),
          (height, centre))
    # section 5: the claims, one row each
    prior_mean = _prior_mean()
    claims = lesson.claims_of_section_5(stats, lams, prior_mean, fast)
    for claim in claims:
        c(claim.holds, claim)
    c(abs(truth["lower"] - 0.5) < 3 * truth["se"], truth)
    c(fast or (_r(truth["lower"]), _r(truth_ks)) == (0.502, 0.021), (truth, truth_ks))
    c(truth_ks < ks_crit and (fast or _r(ks_crit) == 0.035), ks_crit)
    c(max(st["eta=0"]["std"] for st in stats.values()) == 0.0)
    g01, m01 = stats[(0.1, "global", "exact")]["eta=1"], stats[(0.1, "modulated", "exact")]["eta=1"]
    c(fast or ((_r(g01["lower"]), _r(1.96 * g01["se"]), _r(g01["z"], 1)) == (0.528, 0.018, 3.0)
               and _r(m01["z"], 1) == 4.3), (g01, m01))
    c(more["global"]["z"] < 2 and more["modulated"]["z"] > 4, more)
    c(fast or ((_r(more["global"]["lower"]), _r(1.96 * more["global"]["se"]), _r(more["global"]["z"], 1))
               == (0.498, 0.007, 0.5) and (_r(more["modulated"]["lower"]), _r(1.96 * more["modulated"]["se"]))
               == (0.454, 0.007) and round(more["modulated"]["z"]) == 13), more)
    c(abs(1 - (1 - 2 * 0.00135) ** 8 - 1 / 50) < 0.002)  # "among 8 entries, one beyond z = 3 about once in 50"
    if not fast:  # the numbers of the three results
        def values(noise, who, field, lam_ok=lambda lam: True, names=STOCHASTIC):
            return [stats[(lam, noise, who)][n][field] for lam in lams if lam_ok(lam) for n in names]
        eta0_mod = [stats[(lam, "modulated", who)]["eta=0"]["value"] for lam in lams if lam <= 0.1
                    for who in ("learned", "exact")]
        c((_r(min(eta0_mod)), _r(max(eta0_mod))) == (-0.594, -0.519), eta0_mod)
        c([_r(stats[(lam, "global", "exact")]["eta=0"]["value"]) for lam in (0.1, 1.0)] == [0.050, 0.050])
        mid = values("modulated", "exact", "lower", lambda lam: lam in (0.01, 0.1))
        c((_r(min(mid)), _r(max(mid))) == (0.425, 0.461), mid)
        c([_r(stats[(1e-4, "modulated", "exact")][n]["lower"]) for n in STOCHASTIC] == [0.950, 0.775])
        m1 = stats[(1.0, "modulated", "exact")]["eta=1"]
        c((_r(m1["lower"]), _r(1.96 * m1["se"]), _r(m1["at_mu"], 2)) == (0.143, 0.013, 0.39), m1)
        lost = values("modulated", "learned", "lower", lambda lam: lam <= 0.1)
        c((_r(min(lost)), _r(max(lost))) == (0.934, 1.000), lost)
        kept = values("global", "learned", "lower")
        c((_r(min(kept)), _r(max(kept))) == (0.450, 0.536), kept)
        c(sum(z > 4 for z in values("global", "learned", "z")) == 2)
        c(max(values("global", "learned", "in_mode", lambda lam: lam == 1.0)
              + values("modulated", "learned", "in_mode", lambda lam: lam == 1.0)) < 0.5)
        c(_r(max(values("global", "learned", "in_mode", lambda lam: lam == 1.0)
                 + values("modulated", "learned", "in_mode", lambda lam: lam == 1.0))) == 0.467)
    # the 20 000 draws run the code of the table's sampler: the same draws as draw_samples' eta = 1 for one seed
    key = (0.1, "global")
    ref = lesson.draw_samples(oracles[key], paths[key], 200, 2, steps_implicit, steps_sde)["eta=1"]
    with torch.no_grad():
        direct = samplers.sample_implicit(oracles[key], torch.full((200, 1), MU), paths[key],
                                          torch.linspace(1.0, 0.0, steps_implicit + 1, dtype=torch.float64), eta=1.0,
                                          generator=torch.Generator().manual_seed(2))
    c(torch.equal(ref, direct))
    c.done()


def section_6(swap, first_step, fast: bool) -> None:
    """Section 6: eta = 0 is bit-identical along the modulated and the global path, the stochastic samplers are
    not; every learned first prediction lies below mu."""
    c = _Count("section 6")
    c(all(d["eta=0"] == 0.0 for d in swap.values()), swap)
    c(all(d["eta=1"] > 0.01 and d["SDE"] > 0.01 for d in swap.values()), swap)
    c(fast or all(d["eta=1"] > 1 and d["SDE"] > 1 for d in swap.values()), swap)
    c(all(-0.1 < v < MU - 0.05 for v in first_step.values()), first_step)  # none near mu
    c(fast or (_r(min(first_step.values())), _r(max(first_step.values()))) == (0.012, 0.298), first_step)
    c.done()


def section_7(probe_path, size_ratio, pi_square_at_mu, x_first, sigma_first, control_stats, within, ks_crit,
              near_exact, t_near_mu, refined, refine, fast: bool) -> None:
    """Section 7: the orders of V and P, section 1's formulas against the library, E[pi^2 | x_t = mu], the first
    step's noise, the exact ancestral control, where the plug-in draws wait, and the grid refinement (the plug-in
    bias persists, the Gaussian step with the exact variance converges)."""
    c = _Count("section 7")
    c(all(abs(v / size_ratio[0.0025][0] - 1) < 0.1 and abs(p / size_ratio[0.0025][1] - 1) < 0.1
          for v, p in size_ratio.values()), size_ratio)  # V and P are of order dt
    c(abs(size_ratio[0.0025][0] / 3 / (2 * 0.1) - 1) < 0.01)  # V / du -> 2 lam
    half = torch.tensor(0.5, dtype=torch.float64)
    P, K, V = (float(v) for v in probe_path.posterior_coefficients(half, half - 0.0025))
    c(P < 0.01 and abs(K - 1) < 0.01)  # a short step: the mean stays near x_t
    P, K, V = (float(v) for v in probe_path.posterior_coefficients(half, torch.tensor(0.0, dtype=torch.float64)))
    c(abs(P - 1) < 1e-12 and abs(K) < 1e-12 and abs(V) < 1e-12)  # the last step: the mean is x0, the variance 0
    # section 1's formulas for Theta, Sigma, P, K, V, and the eta = 1 step as q(x_s | x_t, x0_hat), lam = 0.1
    for t_, s_ in ((0.5, 0.48), (0.9, 0.3), (1.0, 0.98)):
        u_t, u_s, big_u = 3 * t_, 3 * s_, 3.0
        theta, _, sigma = (float(v) for v in probe_path.coefficients(torch.tensor([t_], dtype=torch.float64)))
        c(abs(theta - np.sinh(big_u - u_t) / np.sinh(big_u)) < 1e-12)
        c(abs(sigma ** 2 - 2 * 0.1 * np.sinh(u_t) * np.sinh(big_u - u_t) / np.sinh(big_u)) < 1e-12)
        P, K, V = (float(v) for v in probe_path.posterior_coefficients(torch.tensor(t_, dtype=torch.float64),
                                                                      torch.tensor(s_, dtype=torch.float64)))
        c(abs(P - np.sinh(u_t - u_s) / np.sinh(u_t)) < 1e-12 and abs(K - np.sinh(u_s) / np.sinh(u_t)) < 1e-12)
        c(abs(V - 2 * 0.1 * np.sinh(u_s) * np.sinh(u_t - u_s) / np.sinh(u_t)) < 1e-12)
        x_val = MU if t_ == 1.0 else 0.3  # at T the step starts from x_T = mu
        x_t_, x0_hat_ = torch.full((4, 1), x_val, dtype=torch.float64), torch.full((4, 1), 0.55, dtype=torch.float64)
        step = samplers.implicit_step(probe_path, x_t_, x0_hat_, torch.full_like(x_t_, MU),
                                      torch.tensor(t_, dtype=torch.float64), torch.tensor(s_, dtype=torch.float64),
                                      eta=1.0, generator=torch.Generator().manual_seed(0))
        noise = step - (MU + P * (0.55 - MU) + K * (x_val - MU))
        xi = torch.randn((4, 1), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        c(torch.allclose(noise, math.sqrt(V) * (0.55 - MU) * xi, atol=1e-9), (t_, noise))
    c(_r(pi_square_at_mu, 4) == 0.2930, pi_square_at_mu)
    c(abs(float(x_first.std()) / (0.35 * sigma_first) - 1) < 0.05)  # the first step adds noise
    # the exact ancestral control: no deviation, D_KS below the critical value, the modes' width
    c(all(st["z"] < 2 and st["D_KS"] < ks_crit for st in control_stats.values()), control_stats)
    c(all(abs(w / MODE_STD - 1) < 0.1 for ws in within.values() for w in ws), within)
    if not fast:
        anc_z, anc_ks = [st["z"] for st in control_stats.values()], [st["D_KS"] for st in control_stats.values()]
        anc_w = [w for ws in within.values() for w in ws]
        c(_r(max(anc_z), 1) == 1.4 and (_r(min(anc_ks)), _r(max(anc_ks))) == (0.016, 0.022), (anc_z, anc_ks))
        c((_r(min(anc_w)), _r(max(anc_w))) == (0.048, 0.051), anc_w)
    # where the plug-in draws wait
    first_t = t_near_mu[0]
    for lam, near_lam in near_exact.items():
        if lam >= 0.1:  # the first step moves draws off mu, and they come back
            c(near_lam[first_t] < near_lam[0.5] and near_lam[0.5] > 0.9, (lam, near_lam))
    if not fast:
        rounded = {lam: [_r(near_exact[lam][t]) for t in t_near_mu] for lam in near_exact}
        c(rounded[1e-4][1] == 0.014 and rounded[1e-2][1:3] == [0.749, 0.154], rounded)
        c([rounded[0.1][0], rounded[1.0][0]] == [0.811, 0.323] and rounded[0.1][1] == 0.975, rounded)
        c(rounded[0.1][3:5] == [0.774, 0.331] and rounded[1.0][1] == 0.929 and rounded[1.0][5] == 0.391, rounded)
    # refinement: the plug-in bias does not shrink; the Gaussian step with the exact variance converges to 1/2
    finest, coarsest = refine[-1], refine[0]
    eta1 = [refined[("modulated", "eta=1", 20 * f)] for f in refine]
    sde = [refined[("modulated", "SDE", 80 * f)] for f in refine]
    c(eta1[-1]["z"] > 4 and sde[-1]["z"] > 4, refined)
    c(abs(sde[-1]["lower"] - 0.5) > 0.5 * abs(sde[0]["lower"] - 0.5), refined)
    c(all(refined[("global", n, steps)]["z"] < 2 for n, steps in (("eta=1", 20 * finest), ("SDE", 80 * finest))))
    c(abs(eta1[-1]["lower"] - sde[-1]["lower"]) < 0.02, refined)
    bias = [st["lower"] - 0.5 for st in eta1]  # the eta = 1 bias on each grid, coarse first
    c(all(abs(a) < abs(b) for a, b in zip(bias, bias[1:])), bias)  # does not shrink
    c((bias[0] - bias[-1]) * bias[-1] < 0, bias)  # the coarse grid's error opposite to the bias
    gauss = {steps: st for (noise, name, steps), st in refined.items() if name == "Gaussian"}
    g_steps = sorted(gauss)
    c(gauss[g_steps[0]]["lower"] > 0.5 and gauss[g_steps[0]]["z"] > 4, gauss)  # coarse: biased, the other way
    c(gauss[g_steps[-1]]["z"] < 2, gauss)  # finest: no deviation
    c(abs(gauss[g_steps[-1]]["lower"] - 0.5) < 0.5 * abs(gauss[g_steps[0]]["lower"] - 0.5), gauss)
    if not fast:
        c(all(abs(a["lower"] - b["lower"]) < 2 * math.hypot(a["se"], b["se"]) for a, b in zip(sde, sde[1:])))
        c([_r(st["lower"]) for st in eta1 + sde] == [0.489, 0.447, 0.434, 0.413, 0.429, 0.431], refined)
        c([_r(1.96 * st["se"]) for st in (eta1[-1], sde[-1])] == [0.015, 0.015], refined)
        c([_r(refined[("global", n, steps)]["z"], 1) for n, steps in (("eta=1", 80), ("SDE", 320))] == [0.6, 0.1])
        c(g_steps == [20, 40, 80, 160, 320] and _r(gauss[20]["lower"]) == 0.602, gauss)
        c((_r(gauss[320]["lower"]), _r(1.96 * gauss[320]["se"]), _r(gauss[320]["z"], 1)) == (0.500, 0.015, 0.0))
        c(all(a["lower"] >= b["lower"] for a, b in zip([gauss[s] for s in g_steps], [gauss[s] for s in g_steps[1:]])))
    c.done()


def section_8(hybrid_stats, stats, robust, runs, at_mu_curves, exact_curve, dev_middle, below, deficit_02, at_t,
              near, widths, fast: bool) -> None:
    """Section 8: the hybrid predictors, the retrained networks, the learned prediction at ``x_t = MU``, where the
    draws are and the step widths."""
    c = _Count("section 8")
    key = (0.1, "modulated")
    late, exact = hybrid_stats[(0.5, 1.0)], stats[(*key, "exact")]
    for n in STOCHASTIC:  # learned on (0.5, 1]: no difference from the exact predictor established
        c(abs(late[n]["lower"] - exact[n]["lower"]) < (0.05 if fast else
                                                       1.96 * math.hypot(late[n]["se"], exact[n]["se"])), (n, late))
    if not fast:
        c([_r(late[n]["lower"]) for n in STOCHASTIC] == [0.477, 0.427], late)
        c([_r(exact[n]["lower"]) for n in STOCHASTIC] == [0.461, 0.425], exact)
        c([_r(1.96 * late[n]["se"]) for n in STOCHASTIC] == [0.018, 0.018], late)
        c(max(1.96 * st[n]["se"] for st in hybrid_stats.values() for n in STOCHASTIC) < 0.0185, hybrid_stats)
        c(_r(1.96 * math.hypot(late["eta=1"]["se"], exact["eta=1"]["se"])) == 0.025)
        c([_r(abs(late[n]["lower"] - exact[n]["lower"])) for n in STOCHASTIC] == [0.017, 0.003], late)
        learned = stats[(*key, "learned")]
        c([_r(learned[n]["lower"]) for n in STOCHASTIC] == [0.970, 0.986], learned)
        thirds = [(0.0, 0.1), (0.1, 0.3), (0.3, 0.5)]
        c([_r(hybrid_stats[cut][n]["lower"]) for cut in thirds for n in STOCHASTIC]
          == [0.794, 0.908, 0.969, 0.979, 0.578, 0.600], hybrid_stats)
    for n in STOCHASTIC:
        frac = {cut: st[n]["lower"] for cut, st in hybrid_stats.items() if cut != (0.5, 1.0)}
        c(max(frac, key=frac.get) == (0.1, 0.3), frac)
        c(fast or (frac[(0.1, 0.3)] > 0.9 and 0.5 < frac[(0.3, 0.5)] < 0.7 and 0.7 < frac[(0.0, 0.1)] < 0.95), frac)
    mods = [robust[(*run, "modulated")] for run in runs]
    globs = [robust[(*run, "global")] for run in runs]
    c(all(r["eta=1"] > 0.9 and r["SDE"] > 0.9 for r in mods), mods)
    c(all(abs(r["eta=1"] - 0.5) < 0.1 and abs(r["SDE"] - 0.5) < 0.1 for r in globs), globs)
    c(fast or min(min(r.values()) for r in mods) > 0.96, mods)
    c(fast or (_r(min(min(r.values()) for r in globs)), _r(max(max(r.values()) for r in globs))) == (0.456, 0.535))
    c(all(abs(float(v) - MU) < 1e-3 for v in exact_curve[:-1]) and abs(float(exact_curve[-1]) - 0.05) < 1e-6)
    c(fast or _r(max(dev_middle.values())) == 0.034, dev_middle)
    c(fast or (_r(min(below.values()), 2), _r(max(below.values()), 2)) == (0.26, 0.36), below)
    c(fast or (_r(min(deficit_02.values()), 2), _r(max(deficit_02.values()), 2)) == (0.11, 0.15), deficit_02)
    c(all(0.1 < d < 0.2 for d in deficit_02.values()), deficit_02)
    c(fast or (_r(min(at_t.values())), _r(max(at_t.values()))) == (0.048, 0.313), at_t)
    c(near["exact"][0.2] > 0.6 and near["training"][0.3] < 0.15 and near["training"][0.2] < 0.06, near)
    c(fast or [_r(near["training"][k], 2) for k in (0.3, 0.2)] == [0.12, 0.05], near)
    c(fast or (_r(near["exact"][0.2]), _r(near["learned"][0.2]), _r(near["exact"][0.1])) == (0.774, 0.498, 0.331))
    c(fast or all(near["learned"][k] < near["exact"][k] for k in (0.2, 0.9)), near)
    c(4 * widths[0.1][0] < min(widths[0.1][1]) and 2 * widths[0.2][0] < min(widths[0.2][1]), widths)
    c(widths[0.1][0] < 0.05 and _r(widths[0.1][0]) == 0.046, widths)
    c.done()


def appendices(eta0_moved, stats, narrow, fast: bool) -> None:
    """Appendix A (round-off decides the eta = 0 route at small lam) and appendix B (the last step narrows the
    modes; the exact ancestral draws keep their width)."""
    c = _Count("appendices")
    for lam, ends in eta0_moved.items():
        if lam >= 0.1:  # stable
            c(all(abs(v - 0.05) < 1e-3 for v in ends.values()), ends)
        else:  # unstable: the two moves end on opposite sides, near the inner nodes 0.45 and -0.35
            low, high = ends[-1e-6], ends[1e-6]
            c(abs(low - (MODES[0] + 5 * MODE_STD)) < 0.02 and abs(high - (MODES[1] - 5 * MODE_STD)) < 0.02, ends)
    if not fast:
        eta0 = {k: st["eta=0"]["value"] for k, st in stats.items()}
        c([_r(eta0[(lam, "global", "exact")]) for lam in (1e-4, 1e-2)] == [0.450, 0.466], eta0)
        c([_r(eta0[(lam, "global", "learned")]) for lam in (1e-4, 1.0)] == [0.588, 0.033], eta0)
        c(all(abs(got / want - 1) < 0.1 for sampled, predicted, _ in narrow.values()
              for got, want in zip(sampled, predicted)), narrow)
        at_01 = narrow[0.1][0] + narrow[0.1][1]  # sampled and predicted, both modes
        c(max(at_01) < MODE_STD / 2 and all(0.0195 <= v < 0.0215 for v in at_01), narrow)  # "0.020 to 0.021"
        anc = [v for _, _, a in narrow.values() for v in a]
        c((_r(min(anc)), _r(max(anc))) == (0.049, 0.051), narrow)
    c.done()
