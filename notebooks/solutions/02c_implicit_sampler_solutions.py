# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02c — Solutions to the exercises
#
# **What you will learn.** The implicit step derived for every $\eta$: the curve's constant $k$, the factor that keeps
# the marginal when fresh noise is added, the first step out of $t_T$; the checks of the step that notebook 02c left
# to this notebook (they write the step out); and why "intact" means "predicted intact" inside the sampler.
#
# **Prerequisites.** Notebook 02c.

# %%
import os

import sympy as sp
import torch
from IPython.display import display

from derivations import family, parameterisation, reverse
from derivations.common import B, a, b, d, exp_to_rational, mu, pi, pihat, xt, zero
from rdbm_core.bridge import bridges, samplers
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02c_implicit_sampler import PIXELS, PREDICT_GRID, PREDICT_NOISES, STEP_LAM
from rdbm_course.mathshow import confirm, show, vanishes

FAST = os.environ.get("FAST") == "1"


# %% [markdown]
# ## 02c.1 — the implicit step, derived and implemented
#
# **(a) The derivation.** Write $M_t = E[x_t\mid\hat x_0] = \mu + \Theta_t\hat\pi$ (eq. 4.7).
#
# 1. *The curve through $x_t$* ($\Sigma_t > 0$). The curves of notebook 02c, section 1, are $x(u) = M(u) + \Sigma(u)\,k$.
#    The one through $x_t$ at $t$ has $x_t = M_t + \Sigma_t k$, so $k = (x_t - M_t)/\Sigma_t$, and at $s$ it gives the
#    $\eta = 0$ step $x_s = M_s + \frac{\Sigma_s}{\Sigma_t}(x_t - M_t)$.
# 2. *Fresh noise.* Try $x_s = M_s + f\,(x_t - M_t) + \rho_s\nu(\hat\pi)z$ with a factor $f \ge 0$ of the times alone.
#    With the true $x_0$ ($\hat\pi = \pi$) and $x_t$ from the marginal at $t$, $x_t - M_t = \Sigma_t\nu(\pi)\epsilon$, so
#    $x_s - M_s = \nu(\pi)\,(f\Sigma_t\epsilon + \rho_s z)$ with $\epsilon$, $z$ independent standard normals: its mean is
#    0 (the marginal's mean $M_s$, for every $f$) and its variance is $\nu(\pi)^2(f^2\Sigma_t^2 + \rho_s^2)$. The
#    marginal's variance at $s$ is $\Sigma_s^2\nu(\pi)^2$, so $f^2 = (\Sigma_s^2 - \rho_s^2)/\Sigma_t^2$, and the
#    nonnegative root is $f = \sqrt{\Sigma_s^2 - \rho_s^2}/\Sigma_t$, real because
#    $\rho_s^2 = \eta^2 V \le V \le \Sigma_s^2$ (theory eq. 5.4). With $\eta = 0$ it is step 1 (the root $-f$ keeps the
#    mean and the variance too, but at $\eta = 0$ it leaves the curve through $x_t$).
# 3. *$\eta = 1$ is the posterior step.* Then $\rho_s^2 = V$ and $f = \sqrt{\Sigma_s^2 - V}/\Sigma_t = K$ (check (iv)
#    below), the mean $M_s + K(x_t - M_t)$ is the posterior mean $\mu + P\hat\pi + K(x_t - \mu)$ (check (iv)), and the
#    variance $V\nu(\hat\pi)^2$ is the posterior's (5.1).
# 4. *At $t_T$* ($\Sigma_t = 0$, $x_t = \mu$, $\Theta_{t_T} = 0$): the noise part is $x_t - M_t = \mu - \mu = 0$. By
#    eq. 5.5 $V = \Sigma_s^2$ there, so $f = \sqrt{1 - \eta^2}\,\Sigma_s/0$: infinite for $\eta < 1$, $0/0$ at $\eta = 1$;
#    the carried term $f\,(x_t - M_t)$ is $\infty\cdot0$ or $0/0$, NaN in floating point ($k$ is undetermined: every
#    curve passes through $\mu$). The library sets the carried term
#    $f\,(x_t - M_t)$ to 0 there, and the code must do so explicitly. For $\eta = 0$ the step is $x_s = \mu + \Theta_s\hat\pi$, the $k = 0$ curve (the mean path,
#    $\epsilon = 0$); for $\eta = 1$, by eq. 5.5 $V(t_T, s) = \Sigma_s^2$, so $x_s = \mu + \Theta_s\hat\pi +
#    \Sigma_s\nu(\hat\pi)z$, a draw from the marginal at $s$.
#
# **(b) The code.** The mean is written $\mu + \Theta(\hat x_0 - \mu)$ and the fresh noise carries $\nu(\hat\pi)$, so
# a pixel with $\hat x_0 = \mu$ gives exactly $\mu$ for every $\eta$. The clamp at 0 guards $\Sigma_s^2 - \rho_s^2$
# against a rounding error below 0 (at $t_T$ with $\eta = 1$ it is 0 up to rounding).

# %%
def implicit_step(path, x_t, x0_hat, mu, t, s, eta, z):
    theta_t, _, sigma_t = path.coefficients(t)
    theta_s, _, sigma_s = path.coefficients(s)
    rho2 = eta ** 2 * path.posterior_coefficients(t, s)[2]  # rho_s^2 = eta^2 V
    noisy = sigma_t > 0
    factor = torch.sqrt(torch.clamp(sigma_s ** 2 - rho2, min=0.0)) / torch.where(noisy, sigma_t, 1.0)
    # at t_T (Sigma_t = 0, x_t = mu) the noise part is 0 and the factor infinite (0/0 at eta = 1): carried term 0 there
    carried = torch.where(noisy, factor * (x_t - mu - theta_t * (x0_hat - mu)), 0.0)
    return mu + theta_s * (x0_hat - mu) + carried + rho2.sqrt() * path.noise_factor(x0_hat, mu) * z


# %% [markdown]
# A Monte-Carlo check of the marginal with a known $x_0$, for $\eta = 0$ and $\eta = 1$: draw many
# $x_t \sim q(x_t \mid x_0)$ with `path.sample`, take one step with $\hat x_0 = x_0$, and compare the mean and standard
# deviation of the result with the marginal at $s$. The pixel with $\pi = 0$ must have exactly zero spread.

# %%
path = bridges.rdbm(lam=STEP_LAM)
t, s = torch.tensor(70), torch.tensor(35)
n = 4000 if FAST else 40_000
x0 = torch.tensor([[0.6, -0.4, 0.2]], dtype=torch.float64).expand(n, 3)
mu_img = torch.tensor([[-0.2, 0.3, 0.2]], dtype=torch.float64).expand(n, 3)  # the last pixel is intact
x_t = path.sample(x0, mu_img, t, generator=torch.Generator().manual_seed(0))
true_mean, true_std = path.mean(x0, mu_img, s)[0], path.std(x0, mu_img, s)[0]
print("marginal mean at s", true_mean.numpy().round(5), " marginal std", true_std.numpy().round(6))
for eta in (0.0, 1.0):
    z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x_s = implicit_step(path, x_t, x0, mu_img, t, s, eta, z)
    emp_mean, emp_std = x_s.mean(0), x_s.std(0)
    print(f"eta = {eta}: empirical mean", emp_mean.numpy().round(5), " empirical std", emp_std.numpy().round(6))
    assert torch.allclose(emp_mean, true_mean, atol=5 * float(true_std.max()) / n ** 0.5)
    assert torch.allclose(emp_std, true_std, rtol=0.05) and emp_std[2] == 0
    if eta == 0:
        assert torch.allclose(x_s, samplers.implicit_step(path, x_t, x0, mu_img, t, s, eta=0.0), rtol=1e-12, atol=1e-14)

# %% [markdown]
# Item 4, the first step out of $x_T = \mu$ at $t_T$, with the same known $x_0$: for $\eta = 0$ every copy lands on the
# mean path $\mu + \Theta_s\pi$ (the $k = 0$ curve), and for $\eta = 1$ the copies have the marginal's mean and standard
# deviation at $s$.

# %%
t_T = torch.tensor(path.schedule.t_T)
z = torch.randn(mu_img.shape, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
first_eta0 = implicit_step(path, mu_img.clone(), x0, mu_img, t_T, s, 0.0, z)
first_eta1 = implicit_step(path, mu_img.clone(), x0, mu_img, t_T, s, 1.0, z)
print(f"from t_T = {int(t_T)} to s = {int(s)}: eta = 0, max |x_s - (mu + Theta_s pi)| = "
      f"{float((first_eta0 - path.mean(x0, mu_img, s)).abs().max()):.1e}; eta = 1, empirical mean",
      first_eta1.mean(0).numpy().round(5), " empirical std", first_eta1.std(0).numpy().round(6))
assert float((first_eta0 - path.mean(x0, mu_img, s)).abs().max()) < 1e-12
assert torch.allclose(first_eta1.mean(0), true_mean, atol=5 * float(true_std.max()) / n ** 0.5)
assert torch.allclose(first_eta1.std(0), true_std, rtol=0.05)

# %%
feedback = check("02c.1", implicit_step)
display(feedback)
assert feedback

# %% [markdown]
# **The checks of the step that notebook 02c left out**, in SymPy, with three clocks $a = \bar\theta_s$,
# $a + b = \bar\theta_t$ and $c = a + b + \bar\theta_{t:T} = \bar\theta_T$ (the code's `a + b + d`), and the generalised step of `docs/theory.md` eq. 8.1:
# $x_s = \mu + \Theta_s\hat\pi + \sqrt{(\Sigma_s^2 - \rho^2)/\Sigma_t^2}\,(x_t - \mu - \Theta_t\hat\pi) + \rho\,\nu(\hat\pi)z$.
# (i) It is affine in $\hat x_0$ with a slope that depends on the clock alone, so nothing is divided by data:

# %%
cc = a + b + d
x0hat, rho2, z = sp.Symbol(r"\hat{x}_0", real=True), sp.Symbol("rho^2", positive=True), sp.Symbol("z", real=True)
Th_s, Th_t, Sg_s, Sg_t = sp.symbols("Theta_s Theta_t Sigma_s Sigma_t", positive=True)
step = (mu + Th_s * (x0hat - mu) + sp.sqrt((Sg_s ** 2 - rho2) / Sg_t ** 2) * (xt - mu - Th_t * (x0hat - mu))
        + sp.sqrt(rho2) * z)
show(r"x_s", step)
show(r"\partial_{\hat x_0} x_s", sp.diff(step, x0hat))
vanishes(r"\partial_{\hat x_0}^2 x_s", sp.diff(step, x0hat, 2))
assert parameterisation.check_x0_prediction() == 0  # the same with the family's coefficients

# %% [markdown]
# (ii) As $s \to t$ ($b \to 0$) the $\eta = 0$ step returns $x_t$, and for every $\eta$ (with
# $\rho^2 = \eta^2 V$, $V$ the posterior variance of 02a) the noise vanishes and the coefficient of $x_t$ tends to 1
# (SymPy takes the limit in the exponentials $A = e^{a}$, $B = e^{b}$, $D = e^{\bar\theta_{t:T}}$; $b \to 0$ is $B \to 1$):

# %%
eta = sp.Symbol("eta", positive=True)
V = family.posterior_coefficients(a, b)[2]
show(r"\lim_{b\to0} x_s\big|_{\eta = 0}", sp.limit(family.implicit_step(xt, a, a + b, cc, pihat), b, 0))
assert sp.limit(family.implicit_step(xt, a, a + b, cc, pihat), b, 0) == xt
coef2 = (family.Sigma2(a, cc) - eta ** 2 * V) / family.Sigma2(a + b, cc)
coef2_limit = sp.limit(exp_to_rational(coef2), B, 1)  # b -> 0 is B = e^b -> 1
show(r"\lim_{b\to0}\frac{\Sigma_s^2 - \eta^2 V}{\Sigma_t^2}", coef2_limit, sp.factor(sp.cancel(coef2_limit)))
show(r"\lim_{b\to0}\eta^2 V", sp.limit(exp_to_rational(eta ** 2 * V), B, 1))
assert zero(coef2_limit - 1) == 0 and zero(sp.limit(exp_to_rational(eta ** 2 * V), B, 1)) == 0

# %% [markdown]
# (iii) Started from the marginal at $t$, $x_t = \mu + \Theta_t\pi + \Sigma_t\pi e_1$, with $\hat x_0 = x_0$ and any
# $0 \le \rho^2 \le \Sigma_s^2$ (fresh noise $\rho\pi e_2$), the step has the marginal's mean and variance at $s$ ($x_s$
# is affine in the independent standard normals $e_1, e_2$, so its variance is the sum of the squared coefficients):

# %%
e1, e2 = sp.symbols("e_1 e_2", real=True)
x_t_marginal = family.bridge_mean(a + b, cc) + sp.sqrt(family.Sigma2(a + b, cc)) * pi * e1
x_s_step = sp.expand(family.implicit_step(x_t_marginal, a, a + b, cc, pi, rho2, pi * e2))
vanishes(r"\mathbb E[x_s] - (\mu + \Theta_s\pi)", x_s_step.subs({e1: 0, e2: 0}) - family.bridge_mean(a, cc))
vanishes(r"\mathrm{Var}[x_s] - \Sigma_s^2\pi^2",
         sp.diff(x_s_step, e1) ** 2 + sp.diff(x_s_step, e2) ** 2 - family.Sigma2(a, cc) * pi ** 2)

# %% [markdown]
# (iv) With $\eta = 1$ ($\rho^2 = V$) the coefficient of $x_t$ is the posterior's $K = \sinh a/\sinh(a + b)$, and the
# step's mean is the posterior mean $\mu + P\hat\pi + K(x_t - \mu)$ of notebook 02a: the $\eta = 1$ step is the
# ancestral (posterior) step.

# %%
P, K, _ = family.posterior_coefficients(a, b)
vanishes(r"\frac{\Sigma_s^2 - V}{\Sigma_t^2} - K^2", (family.Sigma2(a, cc) - V) / family.Sigma2(a + b, cc) - K ** 2)
eta1_mean = mu + family.Theta(a, cc) * pihat + K * (xt - mu - family.Theta(a + b, cc) * pihat)
vanishes(r"\big(\mu + \Theta_s\hat\pi + K(x_t - \mu - \Theta_t\hat\pi)\big) - \big(\mu + P\hat\pi + K(x_t - \mu)\big)",
         eta1_mean - (mu + P * pihat + K * (xt - mu)))

# %% [markdown]
# The `derivations` package states the step's facts as four checks (notebook 02c leaves them to this notebook, since
# each writes the step out): (ii) the $\eta = 0$ step returns $x_t$ as $s \to t$, (iii) the step
# keeps the marginal, (iv) with $\eta = 1$ its coefficient of $x_t$ is $K$ and its mean is the posterior's. Their
# results:

# %%
confirm(reverse, "check_implicit_eta0_initial_value", "check_implicit_step_keeps_marginal",
        "check_implicit_eta1_coefficient", "check_implicit_eta1_mean")

# %% [markdown]
# ## 02c.2 — which pixels stay exactly $\mu$
#
# **(i) RDBM.** The sampler never sees $x_0$; it sees $\hat\pi = \hat x_0 - \mu$. For a pixel with $\hat\pi = 0$, one
# $\eta = 1$ step from a state $x_t = \mu$ gives: mean $\mu + \Theta_s\cdot 0 = \mu$, carried term
# $\propto x_t - E[x_t\mid\hat x_0] = \mu - \mu = 0$, noise $\rho_s\,\nu(\hat\pi)\,z = \rho_s\hat\pi z = 0$, so
# $x_s = \mu$ exactly, and by induction the pixel never moves (it starts at $x_T = \mu$). Every other pixel receives
# noise. So the answer is the set of pixels where the *prediction* equals $\mu$: pixel 2 (truly intact, but predicted
# 0.25) moves, pixel 3 (degraded, but predicted intact) stays.
#
# **(ii) Global noise.** Now $\nu = 1$: the first step adds $\rho_s z$ to every pixel, $\hat\pi = 0$ or not, and
# $z \ne 0$ with probability 1. No pixel stays at $\mu$: the answer is the empty set.

# %%
predicted_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0_hat"], PIXELS["mu"])) if p == m}
truly_intact = {i for i, (p, m) in enumerate(zip(PIXELS["x0"], PIXELS["mu"])) if p == m}
print("predicted intact:", sorted(predicted_intact), "  truly intact:", sorted(truly_intact))

# %% [markdown]
# The experiment, run here as the checker runs it (with another seed), on both bridges:

# %%
mu_px = torch.tensor([PIXELS["mu"]], dtype=torch.float64)
x0_hat_px = torch.tensor([PIXELS["x0_hat"]], dtype=torch.float64)
at_mu = {}
for noise in PREDICT_NOISES:
    bridge = path if noise == "modulated" else path.with_noise(noise)
    out = samplers.sample_implicit(samplers.Denoiser(lambda x_, m_, t_: x0_hat_px.expand_as(x_), clamp=False), mu_px,
                                   bridge, torch.tensor(PREDICT_GRID), eta=1.0,
                                   generator=torch.Generator().manual_seed(3))
    at_mu[noise] = {i for i in range(8) if out[0, i] == mu_px[0, i]}
    print(f"{noise:9s} noise: |x - mu| per pixel:", (out - mu_px).abs()[0].numpy().round(4))
assert at_mu == {"modulated": predicted_intact, "global": set()}

# %%
feedback = check("02c.2", (predicted_intact, set()))
display(feedback)
assert feedback
