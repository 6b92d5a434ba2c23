"""The exercises of notebooks 04, 05 and 08: right answers pass, realistic wrong ones are caught with a hint
that names the mistake and does not give the answer away; crashing and misshapen functions get feedback."""
import math
import re

import torch

from rdbm_core import ResidualPath, bridges, samplers, schedules
from rdbm_core.data import SyntheticPairs
from rdbm_core.exercises import check

DT = torch.float64


def _right(exercise_id, answer):
    fb = check(exercise_id, answer)
    assert fb and fb.attempted, fb
    return fb


def _wrong(exercise_id, answer, *, not_in_hint=()):
    fb = check(exercise_id, answer)
    assert not fb and fb.attempted and fb.hint, fb
    for text in not_in_hint:
        assert text not in fb.hint and text not in fb.message, (text, fb)
    return fb


# ----------------------------------------------------------------------------- 04


def _em_step(drift_rate=True, modulated=True, two=2.0):
    def em_step(path, x, x0, mu, t, dt, dw):
        th = float(path.schedule.theta(t))
        s = path.noise_factor(x0, mu) if modulated else 1.0
        drift = (th if drift_rate else 1.0) * path.bridge_drift(x, mu, t)
        return x + drift * dt + math.sqrt(two * path.lam * th) * s * dw
    return em_step


def test_04_1_em_step_right_and_mistakes():
    fb = _right("04.1", _em_step())
    assert "se" in fb.message  # it reports how many standard errors the moments are off
    assert "per unit of the clock" in _wrong("04.1", _em_step(drift_rate=False)).hint
    assert "modulated" in _wrong("04.1", _em_step(modulated=False)).hint
    assert "factor 2" in _wrong("04.1", _em_step(two=1.0)).hint


def test_04_1_em_step_with_a_hard_coded_rate_fails_the_moment_check():
    def constant_rate(path, x, x0, mu, t, dt, dw):  # the notebook's theta = 3, not the checker's 1 + 4t
        noise = math.sqrt(2 * path.lam * 3.0) * path.noise_factor(x0, mu) * dw
        return x + 3.0 * path.bridge_drift(x, mu, t) * dt + noise
    fb = _wrong("04.1", constant_rate)
    assert "standard errors" in fb.message and "path.schedule.theta(t)" in fb.hint


def test_04_1_em_step_raising_or_misshapen():
    assert "ZeroDivisionError" in _wrong("04.1", lambda *a: 1 / 0).message
    assert "shape" in _wrong("04.1", lambda path, x, *a: x[0]).message


def _mid_variance_ratio():
    sch = schedules.continuous_constant(3.0, T=1.0)
    t = torch.tensor(0.5, dtype=DT)
    free = ResidualPath(sch, 0.04, noise="global", pinned=False).coefficients(t)[2] ** 2
    return float(bridges.ou_bridge(sch, 0.04, noise="global").coefficients(t)[2] ** 2 / free)


def test_04_2_mid_variance_prediction():
    truth = _mid_variance_ratio()
    assert abs(truth - 1 / (1 + math.exp(-3))) < 1e-12  # the closed form of the solution notebook
    _right("04.2", round(truth, 2))
    assert "Brownian" in _wrong("04.2", 0.5, not_in_hint=(f"{truth:.2f}",)).message
    assert "total variance" in _wrong("04.2", 1.1).hint
    _wrong("04.2", truth / 2, not_in_hint=(f"{truth:.2f}",))
    assert "single number" in _wrong("04.2", [truth]).message


def test_04_3_pf_ode_position_prediction():
    sch = schedules.continuous_constant(3.0, T=1.0)
    theta = math.sinh(1.5) / math.sinh(3.0)
    truth = 0.4 + theta * (-1.0)
    ode = samplers.sample_heun(samplers.Denoiser(lambda x, m, t: torch.tensor([[-0.6]], dtype=DT), clamp=False),
                               torch.tensor([[0.4]], dtype=DT), bridges.ou_bridge(sch, 0.04),
                               torch.linspace(1.0, 0.5, 201, dtype=DT), x_T=torch.tensor([[0.4]], dtype=DT))
    assert abs(float(ode) - truth) < 1e-4  # the library's ODE path really is the mean curve
    _right("04.3", round(truth, 3))
    assert "Brownian" in _wrong("04.3", -0.1, not_in_hint=(f"{truth:.3f}",)).hint
    assert "free" in _wrong("04.3", 0.4 - math.exp(-1.5)).hint
    assert "does not stay" in _wrong("04.3", 0.4).hint


# ----------------------------------------------------------------------------- 05


def _fractions():
    out = []
    for task in ("inpaint", "derain"):
        item = SyntheticPairs(task, "test", crop=128)[0]
        out.append((float((item["x0"] != item["mu"]).double().mean()), float(item["mask"].double().mean())))
    return out


def test_05_1_noisy_fraction_prediction():
    (inp, inp_mask), (der, der_mask) = _fractions()
    assert abs(inp - inp_mask) < 1e-6 and der > 2 * der_mask  # the lesson: only inpainting's noise is the mask
    _right("05.1", (round(inp, 3), round(der, 3)))
    assert "mask" in _wrong("05.1", (inp, der_mask), not_in_hint=(f"{der:.2f}",)).message
    assert "global" in _wrong("05.1", (1.0, 1.0)).hint
    assert "not* get noise" in _wrong("05.1", (1 - inp, 1 - der)).message
    assert "percent" in _wrong("05.1", (100 * inp, 100 * der)).message


def _std_map(modulated_for=("modulated",), absolute=True, squared=False):
    def std_map(path, x0, mu, t):
        sigma = path.coefficients(t)[2].to(x0.dtype).reshape(-1, 1, 1, 1)
        factor = (x0 - mu) if path.noise in modulated_for else torch.ones_like(x0)
        out = sigma * (factor.abs() if absolute else factor)
        return out ** 2 if squared else out
    return std_map


def test_05_2_std_map_right_and_mistakes():
    _right("05.2", _std_map())
    assert "global" in _wrong("05.2", _std_map(modulated_for=("modulated", "global"))).hint
    assert "modulates" in _wrong("05.2", _std_map(modulated_for=())).hint
    assert "absolute value" in _wrong("05.2", _std_map(absolute=False)).hint
    assert "variance" in _wrong("05.2", _std_map(squared=True)).hint
    one_time = _wrong("05.2", lambda path, x0, mu, t: _std_map()(path, x0, mu, t[:1].expand(len(t))))
    assert "[B, 1, 1, 1]" in one_time.hint


def test_05_2_std_map_raising_or_misshapen():
    assert "ZeroDivisionError" in _wrong("05.2", lambda *a: 1 / 0).message
    assert "shape" in _wrong("05.2", lambda path, x0, mu, t: _std_map()(path, x0, mu, t)[0]).message


def test_05_3_sigma_peak_prediction():
    truth = []
    for path in (bridges.rdbm(), bridges.goub()):
        ts = path.schedule.times()
        truth.append(int(ts[path.coefficients(ts)[2].argmax()]))
    assert truth == [91, 73]  # far from the middle of both grids
    _right("05.3", tuple(truth))
    middle = _wrong("05.3", (49, truth[1]), not_in_hint=(str(truth[0]),))
    assert "middle" in middle.message
    assert "end point" in _wrong("05.3", (truth[0], 100)).message
    assert "close" in _wrong("05.3", (truth[0] - 1, truth[1]), not_in_hint=(str(truth[0]),)).message


# ----------------------------------------------------------------------------- 08


def _du(path, t, s):
    return float(path.schedule.clock(t) - path.schedule.clock(s))


def _euler_step(step_in_t=False, at_s=False):
    def euler_step(path, x, x0_hat, mu, t, s):
        du = float(t - s) if step_in_t else _du(path, t, s)
        return x - du * path.velocity(x, x0_hat, mu, s if at_s else t)
    return euler_step


def _heun_step(reuse_x0_hat=False, corrector_at_t=False):
    def heun_step(path, model, x, mu, t, s):
        du = _du(path, t, s)
        x0_hat = model(x, mu, t)
        v1 = path.velocity(x, x0_hat, mu, t)
        x_e = x - du * v1
        x0_e = x0_hat if reuse_x0_hat else model(x_e, mu, s)
        return x - du * 0.5 * (v1 + path.velocity(x_e, x0_e, mu, t if corrector_at_t else s))
    return heun_step


def test_08_1_euler_order_and_mistakes():
    fb = _right("08.1", _euler_step())
    assert "order 1 expected, you measured 1.0" in fb.message
    assert "not t - s" in _wrong("08.1", _euler_step(step_in_t=True)).hint
    assert "not at s" in _wrong("08.1", _euler_step(at_s=True)).hint
    heun_instead = _wrong("08.1", lambda path, x, x0_hat, mu, t, s: _heun_step()(path, lambda *a: x0_hat, x, mu, t, s))
    measured = float(re.search(r"order 1 expected, you measured ([\d.]+)", heun_instead.message).group(1))
    assert abs(measured - 2) < 0.1  # the checker reports Heun's order
    exact = _wrong("08.1", lambda path, x, x0_hat, mu, t, s: samplers.implicit_step(path, x, x0_hat, mu, t, s))
    assert "exact" in exact.message and "implicit" in exact.hint
    for fb in (heun_instead, exact):
        assert "velocity(x, x0_hat, mu, t)" not in fb.hint


def test_08_1_euler_raising_or_misshapen():
    assert "ZeroDivisionError" in _wrong("08.1", lambda *a: 1 / 0).message
    assert "shape" in _wrong("08.1", lambda path, x, *a: x[0]).message


def test_08_2_heun_order_calls_and_mistakes():
    fb = _right("08.2", _heun_step())
    assert "order 2 expected" in fb.message
    assert "Heun needs 2" in _wrong("08.2", _heun_step(reuse_x0_hat=True)).message
    low = _wrong("08.2", _heun_step(corrector_at_t=True))
    assert "order 2 expected, you measured 1." in low.message and "(x_e, s)" in low.hint


def test_08_2_heun_raising_or_misshapen():
    assert "ZeroDivisionError" in _wrong("08.2", lambda *a: 1 / 0).message
    assert "shape" in _wrong("08.2", lambda path, model, x, *a: x[0]).message


def test_08_3_heun_nfe_prediction():
    _right("08.3", (18, 19, 20))
    assert "implicit" in _wrong("08.3", (18, 18, 20), not_in_hint=("19",)).hint  # IR-SDE is not pinned
    assert "no step is special" in _wrong("08.3", (18, 19, 18)).hint
    assert "-1" in _wrong("08.3", (20, 19, 20), not_in_hint=("18",)).hint
    assert "three" in _wrong("08.3", (18, 19)).message

