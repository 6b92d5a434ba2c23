"""rdbm_course.explorer: the figure for every bridge and schedule, exact sample paths, the widget UI,
the static fallback without ipywidgets, and the validation of settings."""
import math
import sys

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from rdbm_core.bridge import bridges
from rdbm_course import explorer
from rdbm_core.data.images import tensor_to_image
from rdbm_course.explorer import BRIDGE_CHOICES, PRESETS, SCHEDULES, explorer_figure, explorer_path, sample_paths

PANELS = 4  # Theta/Psi, Sigma, sample paths, the image strip
CROP, GAP = explorer.CROP[2], explorer.STRIP_GAP


def _curves(ax):
    return [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]


def _check_figure(fig, n_paths=5):
    assert isinstance(fig, Figure) and len(fig.axes) == PANELS
    ax_theta, ax_sigma, ax_paths, ax_strip = fig.axes
    theta, psi = _curves(ax_theta)
    sigma, = _curves(ax_sigma)
    paths = _curves(ax_paths)
    assert len(paths) == n_paths + 1  # the paths and their mean
    for y in (theta, psi, sigma, *paths):
        assert y.size > 10 and np.isfinite(y).all()
    assert theta[0] == pytest.approx(1) and theta[-1] == pytest.approx(0, abs=1e-12)  # x0 at the left, mu at the right
    assert psi[-1] == pytest.approx(1) and sigma[0] == 0 and sigma[-1] == 0 and sigma.max() > 0
    assert len(ax_strip.images) == 1 and isinstance(ax_strip.images[0], AxesImage)
    strip = np.asarray(ax_strip.images[0].get_array())
    assert strip.shape == (CROP, 5 * CROP + 4 * GAP, 3) and strip.dtype == np.uint8  # five images, white gaps
    labels = [text.get_text() for text in ax_strip.texts]
    assert len(labels) == 5 and all(label.startswith("t = ") for label in labels)
    return theta, sigma, paths


def _tiles(fig):
    strip = np.asarray(fig.axes[3].images[0].get_array())
    return [strip[:, k * (CROP + GAP):k * (CROP + GAP) + CROP] for k in range(5)]


@pytest.mark.parametrize("bridge", BRIDGE_CHOICES)
def test_figure_for_every_bridge(bridge):
    fig = explorer_figure(bridge, pi=0.7)
    theta, sigma, paths = _check_figure(fig)
    path = bridges.make(bridge)
    grid = explorer.time_grid(path)
    # the curves are the library's coefficients, Sigma times |s(pi)| (0.7 only for the modulated bridge)
    theta_lib, _, sigma_lib = path.coefficients(grid)
    factor = 0.7 if path.noise == "modulated" else 1.0
    np.testing.assert_allclose(theta, theta_lib.numpy(), rtol=1e-12)
    np.testing.assert_allclose(sigma, factor * sigma_lib.numpy(), rtol=1e-12)
    for p in paths:  # every path runs from x0 = mu + pi to the pin mu
        assert p[0] == pytest.approx(1.2) and p[-1] == pytest.approx(0.5)
    # the strip ends are the clean crop and its degradation (no noise at either end of the bridge)
    x0_img, mu_img = (tensor_to_image(x) for x in explorer.photo_pair("inpaint"))
    tiles = _tiles(fig)
    assert np.array_equal(tiles[-1], mu_img)
    assert np.abs(tiles[0].astype(int) - x0_img).max() <= 1  # x0, up to the float rounding of mu + (x0 - mu)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_figure_for_every_schedule(schedule):
    fig = explorer_figure("goub", schedule=schedule, n_paths=2)
    _check_figure(fig, n_paths=2)
    path = explorer_path("goub", schedule=schedule)
    name = "goub-grid" if schedule == "published" else schedule  # one name per schedule: widget, title, tables
    assert f"schedule {name} ($\\bar\\theta_T$ = {path.schedule.u_T:.4g})" in fig.get_suptitle()
    if schedule != "published":
        assert path.schedule.name == SCHEDULES[schedule]().name and path.noise == "global"
    # a Brownian bridge's clock is G, never printed as thbar
    assert f"schedule {explorer.schedule_name('bbdm', schedule)} ($G_T$ = " in explorer_figure(
        "bbdm", schedule=schedule, n_paths=1).get_suptitle()


def test_lam_scales_the_noise_and_pi_zero_freezes_rdbm():
    sigma_1 = _curves(explorer_figure("rdbm", lam=0.01).axes[1])[0]
    sigma_4 = _curves(explorer_figure("rdbm", lam=0.04).axes[1])[0]
    np.testing.assert_allclose(sigma_4, 2 * sigma_1, rtol=1e-12)
    fig = explorer_figure("rdbm", lam=0.1, pi=0.0)
    assert all(np.all(p == 0.5) for p in _curves(fig.axes[2]))  # an intact pixel never moves
    assert not all(np.all(p == 0.5) for p in _curves(explorer_figure("goub", pi=0.0).axes[2]))
    # on the strip, RDBM's noise stays inside the inpainting hole; GOUB's reaches the intact pixels too
    x0, mu = explorer.photo_pair("inpaint")
    intact = (x0 == mu).all(0).numpy()
    mu_img = tensor_to_image(mu)
    assert 0.3 < intact.mean() < 0.99
    assert all(np.array_equal(tile[intact], mu_img[intact]) for tile in _tiles(fig)[1:])
    assert not np.array_equal(_tiles(explorer_figure("goub", lam=0.1))[2][intact], mu_img[intact])


def test_figure_is_a_pure_function_of_its_settings():
    a, b = (explorer_figure("bbdm", lam=0.2, pi=-0.5, task="derain") for _ in range(2))
    for ax_a, ax_b in zip(a.axes, b.axes):
        for ya, yb in zip(_curves(ax_a), _curves(ax_b)):
            np.testing.assert_array_equal(ya, yb)
        for ia, ib in zip(ax_a.images, ax_b.images):
            np.testing.assert_array_equal(ia.get_array(), ib.get_array())
    assert not np.array_equal(_curves(explorer_figure("bbdm", lam=0.2, pi=-0.5, seed=1).axes[2])[0],
                              _curves(a.axes[2])[0])


@pytest.mark.slow  # Monte Carlo
@pytest.mark.parametrize("bridge", ["rdbm", "bbdm", "ddbm-vp"])
def test_sample_paths_have_the_bridge_marginals_and_covariance(bridge):
    path = explorer_path(bridge, lam=0.3)
    times = explorer.time_grid(path)
    times = times[torch.linspace(0, len(times) - 1, 21).round().long()]  # a coarse grid: still exact
    x0, mu, n = 1.3, 0.4, 20_000
    paths = sample_paths(path, x0, mu, times, n, generator=torch.Generator().manual_seed(3))
    assert paths.shape == (len(times), n)
    assert torch.all(paths[0] == x0) and torch.all(paths[-1] == mu)
    x0_t, mu_t = torch.full((len(times),), x0, dtype=torch.float64), torch.full((len(times),), mu, dtype=torch.float64)
    mean, std = path.mean(x0_t, mu_t, times), path.std(x0_t, mu_t, times)
    inner = slice(1, -1)
    se = std[inner] / n ** 0.5
    assert torch.all((paths.mean(1)[inner] - mean[inner]).abs() < 5 * se)
    assert torch.all((paths.std(1)[inner] / std[inner] - 1).abs() < 0.05)
    # the joint law: Cov(x_s, x_t) = k(s, t) Var(x_t) for s < t (k from the posterior), not 0 as for independent draws
    i, j = 8, 12
    expected = path.posterior_coefficients(times[j], times[i])[1] * std[j] ** 2
    cov = torch.cov(paths[[i, j]])[0, 1]
    se = ((std[i] ** 2 * std[j] ** 2 + expected ** 2) / n).sqrt()
    assert expected > 20 * se and (cov - expected).abs() < 5 * se


def test_sample_paths_need_a_full_grid_and_a_bridge():
    path = explorer_path("rdbm")
    with pytest.raises(ValueError, match="clean point"):
        sample_paths(path, 1.0, 0.0, path.schedule.times()[1:], 3)
    with pytest.raises(ValueError, match="n .* >= 1"):
        sample_paths(path, 1.0, 0.0, path.schedule.times(), 0)
    with pytest.raises(ValueError, match="bridge"):
        sample_paths(bridges.irsde(), 1.0, 0.0, bridges.irsde().schedule.times(), 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"bridge": "i2sb"}, "unknown bridge 'i2sb'; the explorer offers: rdbm, goub"),
    ({"bridge": "nope"}, "unknown bridge"),
    ({"lam": -1e-3}, "lam must be a finite number >= 0"),
    ({"lam": float("nan")}, "lam must be"),
    ({"schedule": "cosine"}, "unknown schedule 'cosine'"),
    ({"task": "sharpen"}, "unknown task 'sharpen'"),
    ({"pi": float("inf")}, "pi and mu must be finite"),
    ({"n_paths": 0}, "n_paths must be an int >= 1"),
])
def test_bad_settings_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        explorer_figure(**kwargs)


def test_lam_zero_is_the_deterministic_interpolant():
    fig = explorer_figure("rdbm", lam=0.0)
    sigma, = _curves(fig.axes[1])
    assert np.all(sigma == 0)
    paths = _curves(fig.axes[2])
    for p in paths[1:]:
        np.testing.assert_allclose(p, paths[0], atol=1e-12)


def test_widget_ui_redraws_and_resets_lam_to_the_published_value():
    widgets = pytest.importorskip("ipywidgets")
    ui = explorer.explore()
    assert isinstance(ui, widgets.VBox) and isinstance(ui, widgets.Widget)
    bridge_w, lam_w, schedule_w, pi_w, task_w, image = ui.children
    assert isinstance(image, widgets.Image) and image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert not any(isinstance(child, widgets.Output) for child in ui.children)  # nothing for nbclient to wait on
    assert lam_w.value == pytest.approx(1e-4) and isinstance(ui.result, Figure) and len(ui.result.axes) == PANELS
    calls = []
    shown = ui.f
    ui.f = lambda **kw: calls.append(kw) or shown(**kw)
    bridge_w.value = "goub"  # one redraw, already with GOUB's lam
    assert len(calls) == 1 and calls[0]["lam"] == pytest.approx((30 / 255) ** 2)
    assert lam_w.value == pytest.approx((30 / 255) ** 2) and ui.result.get_suptitle().startswith("GOUB")
    before = image.value
    lam_w.value = 0.5
    schedule_w.value = "constant"
    pi_w.value = 0.0
    task_w.value = "derain"
    assert len(calls) == 5 and calls[-1] == {"bridge": "goub", "lam": 0.5, "schedule": "constant", "pi": 0.0,
                                             "task": "derain"}
    assert "$\\lambda$ = 0.5," in ui.result.get_suptitle() and "derain" in ui.result.get_suptitle()
    assert image.value != before and image.value == explorer.png_bytes(ui.result)
    # a saved notebook keeps only the widget's text form: one line that says what the cell is
    assert repr(ui) == explorer.EXPLORER_TEXT and ui._repr_mimebundle_()["text/plain"] == explorer.EXPLORER_TEXT
    assert len(explorer.EXPLORER_TEXT) <= 110


def test_without_ipywidgets_explore_shows_static_figures(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets -> ImportError
    fig = explorer.explore()
    line = capsys.readouterr().out.strip()
    assert "ipywidgets is not installed" in line and "make lab" in line and "\n" not in line
    assert isinstance(fig, Figure) and len(fig.subfigs) == len(PRESETS) and len(fig.axes) == PANELS * len(PRESETS)
    titles = [sub.get_suptitle() for sub in fig.subfigs]
    assert [t.split(" (")[0] for t in titles] == ["RDBM", "GOUB", "BBDM", "DDBM-VE", "DDBM-VP"]
    assert "$\\lambda$ = 0.1," in titles[0]
    for ax in fig.axes:
        for y in _curves(ax):
            assert np.isfinite(y).all()
    assert explorer.png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_figures_validate_every_preset_before_drawing():
    with pytest.raises(ValueError, match="unknown bridge"):
        explorer.static_figures(({"bridge": "rdbm"}, {"bridge": "bogus"}))


def test_titles_state_the_peak_and_the_axes_say_grid_index_or_time():
    fig = explorer_figure("rdbm", schedule="constant")
    title = fig.axes[1].get_title()
    assert title.startswith("std $\\Sigma_t|\\pi|$: max ") and title.endswith(" at t = 50")  # symmetric clock
    assert " max 0.009933 at" in title  # 4 significant digits: sqrt(1e-4 tanh(2.5))
    assert all(ax.get_xlabel() == "t (grid index)" for ax in fig.axes[:3])
    assert all(ax.get_ylabel() for ax in fig.axes[:3])
    fig = explorer_figure("ddbm-vp")
    # a continuous clock: the exact half-way time (0.05 t + t^2 / 2 = 0.275), not the nearest of the drawn times
    assert fig.axes[1].get_title().endswith(" at t = 0.6933") and fig.axes[0].get_xlabel() == "t (time)"
    # the strip's times: one rounding rule on every grid
    labels = [text.get_text().split(",")[0] for text in explorer_figure("bbdm").axes[3].texts]
    assert labels == ["t = -1", "t = 249", "t = 499", "t = 749", "t = 1000"]
    labels = [text.get_text().split(",")[0] for text in explorer_figure("rdbm").axes[3].texts]
    assert labels == ["t = -1", "t = 24", "t = 49", "t = 74", "t = 99"]


def test_overview_tables_and_clock_figure():
    rows = explorer.published_table().splitlines()
    assert len(rows) == 2 + len(BRIDGE_CHOICES)  # header, bridges, the footnote on lam = 1/2
    for row in rows[1:-1]:
        bridge = row.split()[0]
        path = explorer_path(bridge)
        cells = row.split()
        assert cells[4 if path.kind == "ou" else 3] == "—"  # thbar_T and G_T never share a column
    assert rows[-1].startswith("* Brownian bridge: lam = 1/2 is a storage convention")
    assert [row.split()[1] for row in rows[1:-1]] == ["0.0001", "0.01384", "0.5*", "0.5*", "1"]
    assert [" ".join(row.split()[-2:]) for row in rows[1:-1]] == ["index 91", "index 73", "index 499", "time 56.57",
                                                                  "time 0.6933"]
    schedules = explorer.schedule_table()
    for name in list(SCHEDULES)[1:] + list(explorer.PUBLISHED_SCHEDULES.values()):
        assert f"\n{name} " in schedules
    ends = {row["name"]: (row["thbar_T"], row["G_T"]) for row in explorer.schedule_rows()}
    assert ends["ve"] == (None, 6400) and ends["vp"] == (pytest.approx(0.55), None) and ends["bbdm"] == (None, 2)
    for line in schedules.splitlines()[1:]:  # thbar_T and G_T in their own columns: one of the two is a dash
        assert line.split()[-2:].count("—") == 1
    fig = explorer.clock_figure()
    lines = fig.axes[0].get_lines()
    assert len(lines) == len(BRIDGE_CHOICES)
    for line, bridge in zip(lines, BRIDGE_CHOICES):
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        assert line.get_color() == explorer.BRIDGE_COLOURS[bridge]
        assert x[0] == y[0] == 0 and x[-1] == pytest.approx(1) and y[-1] == pytest.approx(1)
        assert np.all(np.diff(y) >= 0)
    assert "at 50% of the way" in explorer.clock_table()


@pytest.mark.parametrize("bridge", BRIDGE_CHOICES)
def test_noise_peak_is_half_way_along_the_clock(bridge):
    """On a continuous clock the peak is the exact time where the clock is half way, and there Sigma_t^2 is
    lam tanh(thbar_T / 2) (OU) or 2 lam G_T / 4 (Brownian); on a grid it is the grid's largest value.  Mutation
    that fails: the peak read off the 201 drawn times (0.695 for DDBM-VP, 56.4 for DDBM-VE)."""
    path = explorer_path(bridge, lam=0.3)
    std, t = explorer.noise_peak(path, pi=-2.0)
    factor = 2.0 if path.noise == "modulated" else 1.0
    c = path.schedule.u_T
    exact = math.sqrt(path.lam * (math.tanh(c / 2) if path.kind == "ou" else 2 * c / 4)) * factor
    if path.schedule.discrete:
        grid = explorer.time_grid(path)
        sigma = path.coefficients(grid)[2] * factor
        assert isinstance(t, int) and std == pytest.approx(float(sigma.max()), rel=1e-12)
        assert t == int(grid[sigma.argmax()]) and std <= exact * (1 + 1e-12)
    else:
        assert isinstance(t, float)
        assert float(path.schedule.clock(torch.tensor(t, dtype=torch.float64))) == pytest.approx(c / 2, rel=1e-12)
        assert std == pytest.approx(exact, rel=1e-12)
    assert explorer.format_time(t) == (str(t) if isinstance(t, int) else f"{t:.4g}")


def test_residual_figure_and_summary():
    """RDBM's noise is proportional to |pi| and nil on intact values; GOUB's is the same on every value."""
    fig = explorer.residual_figure(lam=0.1)
    ax_std, ax_band = fig.axes[:2]
    curves = _curves(ax_std)
    assert len(curves) == 4  # RDBM at pi = 0.25, 1, 2 and GOUB
    np.testing.assert_allclose(curves[0] * 4, curves[1], rtol=1e-12)
    np.testing.assert_allclose(curves[2], 2 * curves[1], rtol=1e-12)
    assert [line.get_color() for line in ax_std.get_lines()] == [explorer.BRIDGE_COLOURS["rdbm"]] * 3 + [
        explorer.BRIDGE_COLOURS["goub"]]
    assert len(fig.axes) >= 2 + 5 and all(len(ax.images) == 1 for ax in fig.axes[2:7])
    summary = explorer.residual_summary(lam=0.1)
    x0, mu = explorer.photo_pair("inpaint")
    assert summary["share_pi_nonzero"] == pytest.approx(float(((x0 - mu) != 0).double().mean()))
    assert summary["rdbm"]["min_std"] == 0 and summary["rdbm"]["share_on_intact"] == 0
    assert summary["goub"]["min_std"] == pytest.approx(summary["goub"]["max_std"], rel=1e-6)
    assert summary["goub"]["share_on_intact"] == pytest.approx(1 - summary["share_pi_nonzero"], rel=1e-6)
    text = explorer.residual_text(lam=0.1)
    assert len(text.splitlines()) == 3 and "on every value" in text.splitlines()[2]


def test_clock_shares_are_the_table():
    shares = explorer.clock_shares()
    table = explorer.clock_table().splitlines()[1:]
    for line, (bridge, values) in zip(table, shares.items()):
        assert line.split()[0] == bridge and line.split()[2:] == [f"{v:.3f}" for v in values]
    assert shares["ddbm-ve"] == pytest.approx([0.0625, 0.25, 0.5625], abs=1e-12)  # G_t / G_T = (t / 80)^2
