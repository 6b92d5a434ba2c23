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
# # 02a — Solutions to the exercises
#
# **What you will learn.** The posterior variance and the weight of $x_t$ in the posterior mean by Bayes with the
# free kernels (and why they forget $\bar\theta_T$), the law of total variance that ties the posterior to the
# marginal, and why drawing $x_t$ first and then $x_s$ from the posterior gives the
# marginal at $s$.
#
# **Prerequisites.** Notebook 02a.

# %%
import sympy as sp
import torch
from IPython.display import display

from derivations import family, posterior
from derivations.common import D, a, b, d, lam, mu, pi, readable, x, xt, zero
from rdbm_core.bridge import bridges
from rdbm_course.exercises import check
from rdbm_course.exercises.ex02a_marginal_posterior import TWO_STAGE
from rdbm_course.mathshow import fact, limit, show, vanishes

# %% [markdown]
# ## 02a.1 — the posterior's variance and its weight of $x_t$
#
# Bayes with the bridge's transition kernel $q(x_t\mid x_s) = p(x_t\mid x_s)\,h(x_t, t)/h(x_s, s)$ and the bridge
# marginal $q(x_s\mid x_0) \propto p(x_s\mid x_0)\,h(x_s, s)$: the two $h(x_s, s)$ cancel, $h(x_t, t)$ does not depend
# on $x_s$, and
#
# $$q(x_s = x\mid x_t, x_0) \propto p(x_s = x\mid x_0)\;p(x_t\mid x_s = x),$$
#
# the free OU marginal over the clock $a$ from $x_0 = \mu + \pi$ and the free kernel over the lag $b$ from $x$,
# evaluated at $x_t$. Both are Gaussian in $x$ (terms free of $x$ dropped):

# %%
log_prior = -(x - mu - sp.exp(-a) * pi) ** 2 / (2 * lam * (1 - sp.exp(-2 * a)) * pi ** 2)
log_kernel = -(xt - mu - sp.exp(-b) * (x - mu)) ** 2 / (2 * lam * (1 - sp.exp(-2 * b)) * pi ** 2)
show(r"\log p(x_s = x \mid x_0)", log_prior)
show(r"\log p(x_t \mid x_s = x)", log_kernel)

# %% [markdown]
# The precision is minus the second $x$-derivative of the sum; the variance per unit $\pi^2$ is
# $V = 1/(\text{precision}\cdot\pi^2)$:

# %%
precision = -sp.diff(log_prior + log_kernel, x, 2)
show(r"\text{precision}", precision, readable(precision))
V_derived = readable(1 / (precision * pi ** 2))
show(r"V", V_derived)

# %% [markdown]
# It depends on $a = \bar\theta_s$ and $b = \bar\theta_{s:t}$ only: nothing beyond $t$ enters (the bridge is Markov,
# and given $x_t$ the future beyond $t$ carries no information about $x_s$). It is exercise 01.2's bridge variance with
# the clock values of that shorter bridge, $u = a$ and $c = a + b$: the bridge from $x_0$ at clock 0 to $x_t$ at clock
# $a + b$. So it vanishes as $s \to 0$ and as $s \to t$:

# %%
vanishes(r"V - \frac{2\lambda\sinh a\,\sinh b}{\sinh(a + b)}", V_derived - family.Sigma2(a, a + b))
limit(V_derived, a, 0, 0, lhs=r"\lim_{a \to 0} V")
limit(V_derived, b, 0, 0, lhs=r"\lim_{b \to 0} V")
limit(V_derived / b, b, 0, 2 * lam, lhs=r"\lim_{b \to 0} \frac{V}{b}")

# %% [markdown]
# The last line says how fast it vanishes as $s \to t$: $V \approx 2\lambda b$, so the posterior's
# $\mathrm{std}^2 = V\pi^2 \approx 2\lambda\pi^2 b$ for a small clock gap $b$. For the pixel of notebook 02a's section 2
# ($\lambda = 0.1$, $|\pi| = 0.8$) the slope is $0.128$: the value that the ratios $\mathrm{std}^2/b$ printed there
# rise towards as $s \to t$ (0.079 at $s = t_{74}$, 0.116 at $s = t_{79}$). The library's posterior on the reference
# grid:

# %%
sec2 = bridges.rdbm(lam=TWO_STAGE["lam"])
pix0, pixmu = torch.tensor([TWO_STAGE["x0"]] * 6, dtype=torch.float64), torch.tensor([TWO_STAGE["mu"]] * 6,
                                                                                        dtype=torch.float64)
s_last, t_sec2 = torch.arange(74, 80), torch.full((6,), TWO_STAGE["t"])
x_t_sec2 = sec2.mean(pix0, pixmu, t_sec2) + 1.5 * sec2.std(pix0, pixmu, t_sec2)  # section 2's x_t (any x_t will do)
std_sec2 = sec2.posterior(x_t_sec2, pix0, pixmu, t_sec2, s_last)[1]
ratios = std_sec2 ** 2 / (sec2.schedule.clock(t_sec2) - sec2.schedule.clock(s_last))
slope = 2 * TWO_STAGE["lam"] * (TWO_STAGE["x0"] - TWO_STAGE["mu"]) ** 2
print(f"2 lam pi^2 = {slope:.3f}; std^2 / b at s = t_74 ... t_79: "
      + ", ".join(f"{r:.3f}" for r in ratios.tolist()))
assert abs(slope - 0.128) < 1e-12 and bool((ratios.diff() > 0).all()) and float(ratios.max()) < slope
assert abs(float(ratios[0]) - 0.079) < 0.0005 and abs(float(ratios[-1]) - 0.116) < 0.0005

# %% [markdown]
# The mean is where the $x$-derivative of the sum vanishes: the coefficient of $x$ in the sum divided by the
# precision. It is affine in $x_t$; its slope is $K$. Only the kernel's term
# $e^{-b}(x_t - \mu)\,x/(\lambda(1 - e^{-2b})\pi^2)$ carries $x_t$, so $K$ is that coefficient over the precision:

# %%
slope_form = sp.expand(sp.diff(log_prior + log_kernel, x))  # (coefficient of x) x + (constant), linear in x
mean_derived = -slope_form.coeff(x, 0) / slope_form.coeff(x, 1)
K_derived = readable(sp.diff(mean_derived, xt))
show(r"K = \partial_{x_t}\,\mathrm{mean}", K_derived)
vanishes(r"K - \frac{\sinh a}{\sinh(a + b)}", K_derived - sp.sinh(a) / sp.sinh(a + b))
limit(K_derived, b, 0, 1, lhs=r"\lim_{b \to 0} K")
limit(K_derived, a, 0, 0, lhs=r"\lim_{a \to 0} K")

# %% [markdown]
# As $s \to t$ the mean follows $x_t$ with weight 1; at the clean end it ignores $x_t$ (weight 0), since $x_s = x_0$
# there. $K$ is the weight of the end point $x_t$ in the bridge from $x_0$ to $x_t$: $\sinh(\text{clock so far}) /
# \sinh(\text{clock of the whole bridge})$.

# %%
answer_02a_1 = {"log_prior": log_prior, "log_kernel": log_kernel, "precision": precision, "V": V_derived,
                "K": K_derived}
feedback = check("02a.1", answer_02a_1)
display(feedback)
assert feedback

# %% [markdown]
# **Two checks.** (i) The route of notebook 02a's section 3 (the bridge marginal at $s$, the kernel and
# $1/h(x_s, s)$, completed to a square by `derivations.posterior.posterior_by_bayes`) gives the same variance, with
# $D = e^{\bar\theta_{t:T}}$ cancelling (02a shows it after the exercise). (ii) Chapman–Kolmogorov for the variance, by the law of total variance: the
# posterior's variance plus the spread its mean inherits from $x_t$ is the marginal variance at $s$,
# $V + K^2\Sigma_t^2 = \Sigma_s^2$ (`docs/theory.md` eq. 5.4). The last two lines run the same two checks as the
# package's facts `posterior.variance` and `posterior.chapman_kolmogorov_variance`, the names `docs/theory.md` §5
# gives them.

# %%
V_library_route = posterior.posterior_by_bayes()[1] / pi ** 2
assert D not in zero(V_library_route).free_symbols
vanishes(r"V_{\text{02a's route}} - V", V_library_route - V_derived)
vanishes(r"V + K^2\,\Sigma_t^2 - \Sigma_s^2",
         V_derived + K_derived ** 2 * family.Sigma2(a + b, a + b + d) - family.Sigma2(a, a + b + d))
fact("posterior.variance", "5.1", "5.2", "5.3")  # (i): the package's Bayes route against V of eq. 5.2
fact("posterior.chapman_kolmogorov_variance", "5.4")  # (ii): the law of total variance

# %% [markdown]
# ## 02a.2 — the spread of $x_s$ drawn through $x_t$
#
# Drawing $x_t \sim q(x_t\mid x_0)$ and then $x_s \sim q(x_s\mid x_t, x_0)$ draws the pair $(x_s, x_t)$ from its joint
# law given $x_0$, since $q(x_t\mid x_0)\,q(x_s\mid x_t, x_0) = q(x_s, x_t\mid x_0)$. So $x_s$ alone has its marginal
# $q(x_s\mid x_0)$: **(ii)**. Each posterior is narrower than the marginal (option (i)'s reasoning), but its mean
# $\mu + P\pi + K(x_t - \mu)$ moves with $x_t$, and the two spreads add up to exactly the marginal's: by the law of
# total variance the variance of $x_s$ is $V\pi^2 + K^2\,\mathrm{Var}[x_t] = (V + K^2\Sigma_t^2)\pi^2$, and
# $V + K^2\Sigma_t^2 = \Sigma_s^2$ is the identity shown above. (Option (iii) forgets that the posterior is the law of
# $x_s$ *given that very* $x_t$: the two draws are not independent sources of randomness.)
#
# The mean fits in the same way: averaged over $x_t \sim q(x_t\mid x_0)$, the posterior mean (affine in $x_t$) is the
# marginal mean at $s$ (with $P$ and $K$ of notebook 02a, section 3; the package's fact
# `posterior.chapman_kolmogorov_mean`, `docs/theory.md` eq. 5.4):

# %%
P_sinh, K_sinh = sp.sinh(b) / sp.sinh(a + b), sp.sinh(a) / sp.sinh(a + b)
averaged_mean = mu + P_sinh * pi + K_sinh * (family.bridge_mean(a + b, a + b + d) - mu)
vanishes(r"\mu + P\pi + K(\mathbb E[x_t] - \mu) - (\mu + \Theta_s\pi)", averaged_mean - family.bridge_mean(a, a + b + d))
fact("posterior.chapman_kolmogorov_mean", "5.4")

# %% [markdown]
# Numerically, with the library on the reference grid (the pixel and the times of the exercise), 200 000 two-stage
# draws against the marginal's standard deviation:

# %%
path = bridges.rdbm(lam=TWO_STAGE["lam"])
n_draws = 200_000
gen = torch.Generator().manual_seed(0)
x0_n = torch.full((n_draws,), TWO_STAGE["x0"], dtype=torch.float64)
mu_n = torch.full((n_draws,), TWO_STAGE["mu"], dtype=torch.float64)
t_n, s_n = torch.tensor(TWO_STAGE["t"]), torch.tensor(TWO_STAGE["s"])
x_t_draws = path.sample(x0_n, mu_n, t_n, generator=gen)
post_mean, post_std = path.posterior(x_t_draws, x0_n, mu_n, t_n, s_n)
x_s_draws = post_mean + post_std * torch.randn(n_draws, generator=gen, dtype=torch.float64)
marginal_std = float(path.std(x0_n[:1], mu_n[:1], s_n))
ratio = float(x_s_draws.std()) / marginal_std
rel_se = 1 / (2 * (n_draws - 1)) ** 0.5  # standard error of a sample std, relative to it
print(f"std of the two-stage x_s: {float(x_s_draws.std()):.4f}; marginal std at s = {TWO_STAGE['s']}: "
      f"{marginal_std:.4f}; ratio {ratio:.4f} (standard error {rel_se:.4f}); one posterior's own std: "
      f"{float(post_std[0]):.4f}")
assert abs(ratio - 1) < 4 * rel_se and float(post_std[0]) < 0.9 * marginal_std

# %%
feedback = check("02a.2", "ii")
display(feedback)
assert feedback
