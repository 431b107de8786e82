# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (gan-course)
#     language: python
#     name: gan-course
# ---

# %% [markdown]
# # 03 · Ratio matching and moment matching
#
# Lesson 01 estimated the density ratio $r^*(\mathbf{x}) = p^*(\mathbf{x})/q_\theta(\mathbf{x})$ with a
# classifier. Lesson 02 turned it into a bound on an f-divergence. The talk names two more ways to
# compare $p^*$ with $q_\theta$ from samples:
#
# - **density-ratio matching**: fit $r_\phi \approx r^*$ directly, by minimising an expected error
#   between the two (Sugiyama, Suzuki & Kanamori, 2012);
# - **moment matching**: compare the expectations $\mathbb{E}_{p^*}[s(\mathbf{x})]$ and
#   $\mathbb{E}_{q_\theta}[s(\mathbf{x})]$ of statistics $s$. With the features of a kernel this is the
#   maximum mean discrepancy, MMD (Gretton et al., 2012).
#
# **Claim.** The ratio-matching loss *is* an f-divergence loss. Minimising a Bregman divergence to the
# unknown $r^*$ is the f-GAN discriminator's optimisation written in terms of $r_\phi$, and its minimum
# is $-D_f(p^*\|q)$. Matching kernel moments is another comparison. It makes a two-sample test, and a
# generator loss that needs no discriminator (GMMN).
#
# **You will see:**
# the Bregman derivation, checked to rounding error on a discrete pair; the closed-form kernel
# uLSIF fit and neural LSIF/KLIEP fits against a known ratio, with an error table; the ratio losses
# as lower bounds on $D_f$; the biased and unbiased MMD² estimators; the power and false-positive
# rate of the MMD permutation test; and a GMMN beside a GAN on the ring of 8 Gaussians.

# %%
import math

import matplotlib.pyplot as plt
import torch

import gan_course
from gan_course.data import toy
from gan_course.divergences import kernels, mmd
from gan_course.divergences import ratio_matching as rm
from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR, grid_2d, row_of_axes, shade_densities
from gan_course.toy_training import GANConfig, train_toy
from gan_course.widgets import Player, export_animation

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Ratio matching with a Bregman divergence
#
# For a convex function $f$, the **Bregman divergence** between two numbers $a$ and $b$ is the gap
# between $f$ and its tangent at $b$, measured at $a$:
#
# $$B_f(a\,\|\,b) = f(a) - f(b) - f'(b)\,(a - b) \;\ge\; 0,$$
#
# and it is $0$ only at $a = b$ when $f$ is strictly convex. Put in the true ratio $a = r^*(\mathbf{x})$
# and the model's $b = r_\phi(\mathbf{x})$, and average over $q_\theta$:
#
# $$
# \mathrm{BR}_f(r^*\,\|\,r_\phi) = \int q_\theta(\mathbf{x})\Big(f(r^*(\mathbf{x})) - f(r_\phi(\mathbf{x})) - f'(r_\phi(\mathbf{x}))\,\big[r^*(\mathbf{x}) - r_\phi(\mathbf{x})\big]\Big)\,d\mathbf{x}.
# $$
#
# We cannot evaluate $r^*$. Two of the terms still reduce to samples:
#
# - $\mathbb{E}_{q_\theta}[f(r^*)] = D_f(p^*\|q_\theta)$ is the f-divergence of lesson 02. It does not depend on $\phi$.
# - $\mathbb{E}_{q_\theta}[f'(r_\phi)\, r^*] = \int q_\theta \frac{p^*}{q_\theta} f'(r_\phi)\,d\mathbf{x} = \mathbb{E}_{p^*}[f'(r_\phi)]$:
#   the unknown ratio turns an average over $q_\theta$ into an average over $p^*$.
#
# So, as on the talk's slide,
#
# $$
# \mathrm{BR}_f(r^*\,\|\,r_\phi)
# = \underbrace{\mathbb{E}_{q_\theta}\big[r_\phi f'(r_\phi) - f(r_\phi)\big] - \mathbb{E}_{p^*}\big[f'(r_\phi)\big]}_{\mathcal{L}_f(r_\phi)\text{, from samples}}
# \; + \; D_f(p^*\|q_\theta).
# $$
#
# Three consequences:
#
# 1. Minimising the **ratio loss** $\mathcal{L}_f$ minimises $\mathrm{BR}_f$, which is $0$ only at $r_\phi = r^*$.
# 2. Its minimum value is $\mathcal{L}_f(r^*) = -D_f(p^*\|q_\theta)$.
# 3. The Fenchel conjugate satisfies $f^\dagger(f'(r)) = r f'(r) - f(r)$ (the supremum in
#    $f^\dagger(t) = \sup_s\, st - f(s)$ is attained where $f'(s) = t$). Therefore
#    $-\mathcal{L}_f(r_\phi) = \mathbb{E}_{p^*}[T] - \mathbb{E}_{q_\theta}[f^\dagger(T)]$ with $T = f'(r_\phi)$. This is
#    the f-GAN lower bound of lesson 02 at the critic $T = f'(r_\phi)$. **The ratio loss is the
#    f-divergence loss**, parametrised by the ratio instead of the critic. The gap in the bound is
#    exactly $\mathrm{BR}_f(r^*\|r_\phi)$.
#
# Three classic choices of $f$ (`ratio_matching.BREGMAN_FUNCTIONS`). The losses take the model's
# **log ratio** $l = \log r_\phi$, like a classifier's logit, so that any network output is a valid
# model and $r = e^l > 0$:
#
# | name | $f(t)$ | $\mathcal{L}_f$ in $l = \log r$ | $D_f(p^*\|q) = \mathbb{E}_q[f(r^*)]$ |
# |---|---|---|---|
# | LSIF (least squares) | $\frac12(t-1)^2$ | $\frac12\mathbb{E}_q[e^{2l}] - \mathbb{E}_{p^*}[e^l] + \frac12$ | $\frac12\chi^2(p^*\|q)$ |
# | KLIEP (KL) | $t\log t - t$ | $\mathbb{E}_q[e^l] - \mathbb{E}_{p^*}[l]$ | $\mathrm{KL}(p^*\|q) - 1$ |
# | logistic | $t\log t - (1+t)\log(1+t)$ | $\mathbb{E}_q[\mathrm{softplus}(l)] + \mathbb{E}_{p^*}[\mathrm{softplus}(-l)]$ | $2\,\mathrm{JS}(p^*\|q) - \log 4$ |
#
# The logistic loss is lesson 01's Bernoulli classifier (twice its loss at $\pi = \tfrac12$), so the
# classifier was a ratio matcher all along.
#
# **Which constant?** Adding an affine part $a t + b$ to $f$ changes neither $\mathrm{BR}_f$ nor its
# minimiser. It shifts $\mathcal{L}_f$ by $-(a+b)$ and $D_f$ by $+(a+b)$, because
# $\mathbb{E}_q[r^*] = 1$. Our $f$ keep every constant, so $-\mathcal{L}_f(r^*) = \mathbb{E}_q[f(r^*)]$
# holds exactly. Against the usual divergence, normalised so that $f(1) = 0$, it is off by $f(1)$:
# $0$ for LSIF, $-1$ for KLIEP, $-\log 4$ for logistic. That is the last column of the table.

# %% [markdown]
# ## The identity, exactly, on a discrete pair
#
# On four points, take $p^* = (1, 1, 2, 4)/8$ and $q = (2, 2, 2, 2)/8$, so $r^* = (\tfrac12, \tfrac12, 1, 2)$.
# Written as the multisets of samples below, a mean over the samples *is* the expectation, so every
# identity above must hold to rounding error. A "model" here is any table of four log ratios.

# %%
# NBVAL_CHECK_OUTPUT
real_points = torch.tensor([0, 1, 2, 2, 3, 3, 3, 3])  # p* = (1, 1, 2, 4)/8
fake_points = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])  # q  = (2, 2, 2, 2)/8
p_table = torch.tensor([1.0, 1.0, 2.0, 4.0], dtype=torch.float64) / 8
q_table = torch.full((4,), 0.25, dtype=torch.float64)
true_ratio = p_table / q_table

mixture = (p_table + q_table) / 2
kl = float((p_table * (p_table / q_table).log()).sum())
js = 0.5 * float((p_table * (p_table / mixture).log()).sum()) + 0.5 * float(
    (q_table * (q_table / mixture).log()).sum())
chi2 = float((q_table * (true_ratio - 1) ** 2).sum())
normalised = {"lsif": ("½ χ²", 0.5 * chi2), "kliep": ("KL", kl), "logistic": ("2 JS", 2 * js)}

models = {"r = r*": true_ratio, "r = 1": torch.ones(4, dtype=torch.float64),
          "r = 2 r*": 2 * true_ratio, "r = (2, 1, 1, ½)": torch.tensor([2.0, 1.0, 1.0, 0.5], dtype=torch.float64)}
for name, function in rm.BREGMAN_FUNCTIONS.items():
    loss_fn = rm.RATIO_LOSSES[name]
    f_divergence = float((q_table * function.f(true_ratio)).sum())  # E_q[f(r*)]
    f_of_one = float(function.f(torch.tensor(1.0)))
    label, value = normalised[name]
    print(f"{name}: D_f = E_q[f(r*)] = {f_divergence:.6f} = {label} {value:.6f} + f(1) {f_of_one:+.6f}")
    print(f"  {'model':<18} {'L_f(r)':>10} {'L_f(r) + D_f':>14} {'BR_f(r*‖r) directly':>21}")
    for model_name, ratio in models.items():
        log_ratio = ratio.log()
        loss = float(loss_fn(log_ratio[real_points], log_ratio[fake_points]))
        bregman = float(rm.bregman_divergence(function, true_ratio[fake_points], ratio[fake_points]))
        print(f"  {model_name:<18} {loss:>10.6f} {loss + f_divergence:>14.6f} {bregman:>21.6f}")

# %% [markdown]
# In every block the last two columns agree to all printed digits: $\mathcal{L}_f(r) + D_f = \mathrm{BR}_f(r^*\|r)$.
# They are $0$ at $r = r^*$ and positive elsewhere, so $\mathcal{L}_f(r^*) = -D_f$ is the smallest loss.
# The first line of each block is the constant: $D_f$ equals the normalised divergence plus $f(1)$.
#
# ## A Gaussian pair with a known ratio
#
# Now fit $r_\phi$ from samples. Take $p^* = \mathcal{N}(0.5, 0.7^2)$ and $q = \mathcal{N}(0, 1)$. Here
# $q$ has the heavier tails, so $r^*$ is bounded ($r^* \le 1.83$). The LSIF loss needs this:
# $\frac12\mathbb{E}_q[r^2]$ is finite only if $\mathbb{E}_q[r^{*2}] = \int p^{*2}/q$ is. With the pair of
# lesson 01, where $q$ is the narrower one, that integral diverges, and so does $\frac12\chi^2$.

# %%
p_star, q = toy.Gaussian(0.5, std=0.7), toy.Gaussian(0.0, std=1.0)
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(5000, rng), q.sample(5000, rng)
held_out_real, held_out_fake = p_star.sample(50_000, rng), q.sample(50_000, rng)
true_fake = toy.log_ratio(p_star, q, held_out_fake).exp()  # r*(x) at held-out samples of q
true_real = toy.log_ratio(p_star, q, held_out_real).exp()
x_grid = torch.linspace(-3.0, 3.5, 400)
true_grid = toy.log_ratio(p_star, q, x_grid).exp()
print(f"r* ranges over [{true_grid.min():.3f}, {true_grid.max():.3f}] on the plotted grid")

# %% [markdown]
# ### The closed-form kernel fit: uLSIF
#
# Kanamori, Hido & Sugiyama (2009) take a linear model on Gaussian kernels centred at $b$ samples
# $\mathbf{c}_l$ of $p^*$, $r_\alpha(\mathbf{x}) = \sum_{l=1}^{b} \alpha_l K(\mathbf{x}, \mathbf{c}_l)$.
# The LSIF loss of $r_\alpha$ plus a ridge $\frac\lambda2\|\alpha\|^2$ is a quadratic in $\alpha$:
#
# $$\tfrac12\,\alpha^\top \hat H \alpha - \hat h^\top \alpha + \tfrac\lambda2\,\alpha^\top\alpha + \tfrac12,
# \qquad \hat H = \frac{1}{n_q}\sum_{j} K(\mathbf{x}_j)K(\mathbf{x}_j)^\top \;(\mathbf{x}_j\sim q),
# \qquad \hat h = \frac{1}{n_p}\sum_i K(\mathbf{x}_i) \;(\mathbf{x}_i \sim p^*).$$
#
# Its minimiser is one linear solve, $\tilde\alpha = (\hat H + \lambda I)^{-1}\hat h$. *Unconstrained* LSIF
# ignores the constraint $\alpha \ge 0$ while solving and then rounds negative weights up to $0$,
# $\hat\alpha = \max(0, \tilde\alpha)$, so that $\hat r \ge 0$. `fit_ulsif` does exactly this. It picks the
# bandwidth $\sigma$ and $\lambda$ by 5-fold cross-validation of the held-out LSIF loss.
# (`tests/test_ratio_matching.py` checks that Adam on the same loss reaches $\tilde\alpha$.)

# %%
ulsif = rm.fit_ulsif(real, fake, n_centres=100)
lambdas = sorted({lam for _, lam in ulsif.validation})
print("held-out LSIF loss ½ E_q[r̂²] − E_p*[r̂] of each setting (lower is better):")
print("  σ \\ λ " + "".join(f"{lam:>9g}" for lam in lambdas))
for sigma in sorted({sigma for sigma, _ in ulsif.validation}):
    print(f"  {sigma:>6.3f}" + "".join(f"{ulsif.validation[(sigma, lam)]:>9.4f}" for lam in lambdas))
print(f"chosen: σ = {ulsif.bandwidth:.3f}, λ = {ulsif.regularisation:g}; "
      f"{int((ulsif.unclipped_weights < 0).sum())} of {ulsif.weights.numel()} weights were negative "
      "and are clipped to 0")

# %% [markdown]
# ### A neural ratio fit
#
# The same losses train a network $l_\phi(\mathbf{x}) = \log r_\phi(\mathbf{x})$: lesson 01's small MLP and
# trainer, with the ratio loss in place of the scoring rule (`fit_neural_ratio`).

# %%
steps = gan_course.budget(full=1500, quick=300)
neural = {name: rm.fit_neural_ratio(real, fake, loss=name, steps=steps, progress=True)
          for name in ["lsif", "kliep", "logistic"]}
fits = {"uLSIF (kernel, closed form)": ulsif.ratio}
fits.update({f"{name} (network)": (lambda x, fit=fit: fit.log_ratio(x).exp()) for name, fit in neural.items()})

# %%
print(f"{'fit':<28} {'mean |r̂ - r*| under q':>22} {'under p*':>9} {'largest on the grid':>20}")
for name, ratio_fn in fits.items():
    under_q = (ratio_fn(held_out_fake) - true_fake).abs().mean()
    under_p = (ratio_fn(held_out_real) - true_real).abs().mean()
    worst = (ratio_fn(x_grid) - true_grid).abs().max()
    print(f"{name:<28} {under_q:>22.3f} {under_p:>9.3f} {worst:>20.3f}")
constant = (1.0 - true_fake).abs().mean()
print(f"{'r = 1 (no fit, for scale)':<28} {constant:>22.3f} {(1.0 - true_real).abs().mean():>9.3f} "
      f"{(1.0 - true_grid).abs().max():>20.3f}")

fig, axes = row_of_axes(2, width=4.8, height=3.4)
styles = ["--", "-.", ":", (0, (5, 1))]
for ax, names in zip(axes, [list(fits)[:1], list(fits)[1:]]):
    ax.plot(x_grid, true_grid, color="black", lw=2, label="true r*")
    for name in names:
        ax.plot(x_grid, fits[name](x_grid), lw=1.6, ls=styles[list(fits).index(name)], label=name)
    shade_densities(ax, x_grid.reshape(-1, 1), p_star, q)
    ax.set_xlabel("x")
    ax.set_ylabel("r(x)")
    ax.set_ylim(-0.1, 2.4)
    ax.legend(loc="upper right", fontsize=7)
axes[0].plot(ulsif.centres.flatten(), torch.full((ulsif.centres.shape[0],), -0.05), "|",
             color="tab:red", ms=6)
axes[0].set_title("uLSIF: kernels at 100 samples of p* (ticks)", fontsize=9)
axes[1].set_title("networks trained on three ratio losses", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# All four fits follow $r^*$ where the samples are. Their mean error under $q$ is a few hundredths,
# against about a half for the constant $r = 1$. The closed form needs no training loop and no
# learning rate, only one $100 \times 100$ solve per setting and fold. Its price is the choice of
# basis. Cross-validation can only pick the setting with the lowest *held-out loss*, and that loss
# is flat over several settings in the table above. The smooth kernel it chose stays a little below
# the peak of $r^*$, which is why uLSIF trails the networks here. The networks' largest errors sit
# in the right tail, where $p^*$ has few samples and they extrapolate.
#
# ## Ratio loss = f-divergence loss, with samples
#
# The identity says $-\mathcal{L}_f(r) = D_f - \mathrm{BR}_f(r^*\|r) \le D_f$ for *every* $r$, with equality
# only at $r^*$. So each ratio loss gives a lower bound on its divergence, tight at the truth. Below,
# $D_f$ comes from numerical integration of $\int q f(r^*)\,dx$. The $-\hat{\mathcal{L}}_f$ are sample
# averages over 50,000 held-out points of each distribution, with their Monte Carlo standard error.

# %%
x_fine = torch.linspace(-12.0, 12.0, 48_001, dtype=torch.float64).reshape(-1, 1)
q_fine = q.log_prob(x_fine).double().exp()
ratio_fine = toy.log_ratio(p_star, q, x_fine).double().exp()
names = list(rm.BREGMAN_FUNCTIONS)
divergences = {name: float(torch.trapezoid(q_fine * rm.BREGMAN_FUNCTIONS[name].f(ratio_fine),
                                           x_fine.flatten()))
               for name in names}

log_fits = {"true r*": lambda x: toy.log_ratio(p_star, q, x), "uLSIF": ulsif.log_ratio}
log_fits.update({f"{name} network": fit.log_ratio for name, fit in neural.items()})
log_fits["r = 1"] = lambda x: torch.zeros(len(x))

print(f"{'':<17}" + "".join(f"{'−L_' + name:>12}{'BR_' + name:>12}" for name in names))
for fit_name, log_ratio_fn in log_fits.items():
    real_log, fake_log = log_ratio_fn(held_out_real).double(), log_ratio_fn(held_out_fake).double()
    cells = []
    for name in names:
        minus_loss = -float(rm.RATIO_LOSSES[name](real_log, fake_log))
        bregman = float(rm.bregman_divergence(name, true_fake.double(), fake_log.exp()))
        cells.append(f"{minus_loss:>12.4f}{bregman:>12.4f}")
    print(f"{fit_name:<17}" + "".join(cells))
print(f"{'D_f (integral)':<17}" + "".join(f"{divergences[name]:>12.4f}{'':>12}" for name in names))

# the standard error of −L̂_f(r*): L_f is a mean over q's samples minus a mean over p*'s
for name in names:
    bregman = rm.BREGMAN_FUNCTIONS[name]
    ratio_q, ratio_p = true_fake.double(), true_real.double()
    per_q = bregman.derivative(ratio_q) * ratio_q - bregman.f(ratio_q)
    per_p = bregman.derivative(ratio_p)
    error = math.sqrt(per_q.var() / len(per_q) + per_p.var() / len(per_p))
    gap = divergences[name] + float(rm.RATIO_LOSSES[name](ratio_p.log(), ratio_q.log()))
    print(f"{name}: D_f − (−L̂_f(r*)) = {gap:+.4f}, {abs(gap) / error:.1f} standard errors of "
          f"−L̂_f ({error:.4f})")
kl_closed_form = math.log(1.0 / 0.7) + (0.7**2 + 0.5**2) / 2 - 0.5
print(f"check of the integral: KL(p*‖q) in closed form {kl_closed_form:.4f}, D_kliep + 1 = "
      f"{divergences['kliep'] + 1:.4f}")

# %% [markdown]
# Read it column by column. At $r^*$, $-\hat{\mathcal{L}}_f$ equals the integral $D_f$ within about two
# standard errors (the last lines), and $\mathrm{BR}_f = 0$. Every other row lies below it, by its own
# $\mathrm{BR}_f$: the $-\mathcal{L}$ and $\mathrm{BR}$ columns of a row add up to the top row's $-\mathcal{L}$ up to
# sampling noise (they use different samples: $\mathcal{L}_f$ needs both, $\mathrm{BR}_f$ only $q$'s and the true ratio). The row $r = 1$ gives exactly $-\mathcal{L}_f(1) = f(1)$, which is
# $0$ for every normalised divergence: a model that sees no difference certifies none. The gap to $D_f$ is the Bregman divergence
# of each fit. For instance $\frac12\mathbb{E}_q[(\hat r - r^*)^2]$ in the LSIF column, so fits with a
# small error above sit just below the truth. This is what f-GAN does: the discriminator maximises
# $-\mathcal{L}_f$, and the value it reaches is the divergence the generator is then trained to lower.
#
# ## Moment matching: the maximum mean discrepancy
#
# The talk's moment-matching loss compares expectations of statistics $s$,
# $\big(\mathbb{E}_{p^*}[s(\mathbf{x})] - \mathbb{E}_{q_\theta}[s(\mathbf{x})]\big)^2$. Take as statistics the
# features of a kernel, $s(\mathbf{x}) = k(\mathbf{x}, \cdot)$, and measure the difference in the kernel's
# feature space. The result has a closed form, the **maximum mean discrepancy**:
#
# $$\mathrm{MMD}^2(p^*, q) = \mathbb{E}[k(\mathbf{x}, \mathbf{x}')] + \mathbb{E}[k(\mathbf{y}, \mathbf{y}')] - 2\,\mathbb{E}[k(\mathbf{x}, \mathbf{y})],
# \qquad \mathbf{x}, \mathbf{x}' \sim p^*,\; \mathbf{y}, \mathbf{y}' \sim q.$$
#
# For a Gaussian kernel $k(\mathbf{x}, \mathbf{y}) = \exp(-\|\mathbf{x}-\mathbf{y}\|^2/2\sigma^2)$ it is $0$ only
# when $p^* = q$. Like the ratio losses, it has a function behind it. The **witness**
# $f(\mathbf{t}) = \mathbb{E}_{p^*}[k(\mathbf{t}, \mathbf{x})] - \mathbb{E}_q[k(\mathbf{t}, \mathbf{y})]$ is positive where
# $p^*$ has more mass and negative where $q$ has more. It plays the role of the critic, but it is
# computed, not trained.
#
# From $m$ and $n$ samples there are two estimators (`mmd.mmd2_biased`, `mmd.mmd2_unbiased`):
#
# - the **biased** V-statistic averages $k$ over *all* pairs, $i = j$ included. It is never negative,
#   and its mean exceeds $\mathrm{MMD}^2$ by $\big(k(\mathbf{x},\mathbf{x}) - \mathbb{E}k(\mathbf{x},\mathbf{x}')\big)/m + \big(k(\mathbf{y},\mathbf{y}) - \mathbb{E}k(\mathbf{y},\mathbf{y}')\big)/n$;
# - the **unbiased** U-statistic leaves out $i = j$ within each sample. Its mean is exactly
#   $\mathrm{MMD}^2$. When $p^* = q$ its distribution is skewed (mean $0$, median below $0$), so it
#   is negative more often than not.
#
# Both on identical distributions, $p^* = q = \mathcal{N}(0, I_2)$, $m = n = 20$, $\sigma = 1$. There
# $\mathbb{E}k(\mathbf{x}, \mathbf{x}') = \big(\sigma^2/(\sigma^2 + 2)\big)^{d/2} = \tfrac13$, so the predicted bias is
# $2 \cdot (1 - \tfrac13)/20 = 0.0667$:

# %%
repeats = gan_course.budget(full=1000, quick=200)
rng = torch.Generator().manual_seed(1)
x_draws, y_draws = torch.randn(repeats, 20, 2, generator=rng), torch.randn(repeats, 20, 2, generator=rng)
estimates = {name: torch.stack([estimator(x_draws[r], y_draws[r], 1.0) for r in range(repeats)])
             for name, estimator in mmd.ESTIMATORS.items()}
for name, values in estimates.items():
    print(f"{name:>8}: mean {values.mean():+.4f} ± {values.std() / math.sqrt(repeats):.4f} "
          f"(standard error) over {repeats} draws; negative in {(values < 0).float().mean():.0%}")
print(f"predicted: biased mean 2·(1 − 1/3)/20 = {2 * (1 - 1 / 3) / 20:.4f}, unbiased mean 0")

fig, ax = plt.subplots(figsize=(5.5, 3.0))
bins = torch.linspace(-0.08, 0.2, 57)
for (name, values), colour in zip(estimates.items(), ["tab:red", "tab:green"]):
    ax.hist(values.numpy(), bins=bins.numpy(), alpha=0.5, color=colour, label=f"{name} MMD²")
ax.axvline(0.0, color="black", lw=1)
ax.set_xlabel("estimate of MMD² when p* = q")
ax.set_ylabel("draws")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The biased estimate sits at the predicted $0.067$ and the unbiased one at $0$, each within two
# standard errors. (They move together, since both are computed on the same draws.)
# Neither is "the" MMD of two samples. The unbiased one is the right *estimate*; either works as a
# *test statistic*, because the test below calibrates it.
#
# ### A two-sample test
#
# Is $p^* = q$? Under that hypothesis the labels "from $p^*$" and "from $q$" are exchangeable. So the
# observed MMD² is one draw among the MMD² of random relabellings of the pooled samples. The
# permutation p-value $(1 + \#\{\text{relabellings} \ge \text{observed}\})/(1 + P)$ is valid at any sample
# size (Gretton et al., 2012, §5). Reject at level $\alpha = 0.05$ when $p \le 0.05$. The bandwidth is
# the **median heuristic**, $\sigma$ = the median distance between pooled points.
#
# The alternative here is deliberately subtle. $q$ has the same means and the same marginal variances
# as $p^* = \mathcal{N}(0, I_2)$, but correlation $\rho = 0.7$. A comparison of means alone could never
# tell them apart. Over repeated draws we count how often the test rejects: under $p^* = q$ this is
# the false-positive rate (it should be near $0.05$), and under the alternative it is the power.

# %%
test_repeats = gan_course.budget(full=500, quick=30)
permutations = gan_course.budget(full=100, quick=50)
same = toy.Gaussian([0.0, 0.0], std=1.0)
correlated = toy.Gaussian([0.0, 0.0], cov=[[1.0, 0.7], [0.7, 1.0]])


def rejection_rate(p, q, n, seed):
    rng = torch.Generator().manual_seed(seed)
    rejections = [mmd.permutation_test(p.sample(n, rng), q.sample(n, rng), permutations=permutations,
                                       seed=seed + r).p_value <= 0.05 for r in range(test_repeats)]
    return sum(rejections) / test_repeats


level_error = math.sqrt(0.05 * 0.95 / test_repeats)
print(f"level 0.05, {test_repeats} repeats, {permutations} permutations each "
      f"(a rate's standard error is about {level_error:.3f} at 0.05)")
print(f"{'n per sample':>12} {'false-positive rate (p* = q)':>29} {'power (ρ = 0.7)':>16}")
sizes = [10, 25, 50, 100, 200]
false_positives = []
for n in sizes:
    false_positives.append(rejection_rate(same, same, n, seed=n))
    power = rejection_rate(same, correlated, n, seed=10_000 + n)
    print(f"{n:>12} {false_positives[-1]:>29.3f} {power:>16.3f}")
pooled = sum(false_positives) / len(sizes)
exact_level = math.floor(0.05 * (permutations + 1)) / (permutations + 1)
print(f"{'all sizes':>12} {pooled:>29.3f} (standard error {level_error / math.sqrt(len(sizes)):.3f}; "
      f"the exact level with {permutations} permutations is {exact_level:.4f})")

# %% [markdown]
# The false-positive rate stays near $0.05$ at every $n$, within about two standard errors. That is what a
# permutation test promises: with $P$ permutations, $P(p \le 0.05) = \lfloor 0.05(P+1)\rfloor/(P+1)$
# exactly when $p^* = q$. The power grows with $n$: a dozen samples cannot see a correlation of
# $0.7$, and two hundred almost always do. Where does the difference lie? The witness answers.
# It is negative (orange) along the diagonal $x_1 = x_2$, where the correlated $q$ piles up its mass,
# and positive (purple) along the other diagonal, where $p^*$ has more:

# %%
rng = torch.Generator().manual_seed(5)
x_sample, y_sample = same.sample(500, rng), correlated.sample(500, rng)
grid_x, grid_y, grid_points = grid_2d(-3.5, 3.5, 80)
bandwidth = kernels.as_bandwidths(None, x_sample, y_sample)
witness = mmd.witness(x_sample, y_sample, grid_points, bandwidth).reshape(grid_x.shape)
fig, ax = plt.subplots(figsize=(4.2, 3.8))
largest = float(witness.abs().max())
# orange where q has more mass, purple where p* has more, as in the player's heatmaps
image = ax.contourf(grid_x, grid_y, witness, levels=torch.linspace(-largest, largest, 17), cmap="PuOr")
ax.scatter(x_sample[:150, 0], x_sample[:150, 1], s=3, color=REAL_COLOUR, label="p* (ρ = 0)")
ax.scatter(y_sample[:150, 0], y_sample[:150, 1], s=3, color=FAKE_COLOUR, label="q (ρ = 0.7)")
ax.set_xlim(-3.5, 3.5)
ax.set_ylim(-3.5, 3.5)
ax.set_aspect("equal")
ax.set_title(f"witness, median-heuristic σ = {bandwidth[0]:.2f}", fontsize=9)
ax.legend(loc="lower right", fontsize=7)
fig.colorbar(image, ax=ax, shrink=0.8)
plt.show()

# %% [markdown]
# ## A generator trained by moment matching: GMMN
#
# If MMD² compares distributions, a generator can minimise it directly. A **generative moment-matching
# network** (Li, Swersky & Zemel, 2015) trains $G_\theta$ on
#
# $$\min_\theta \; \widehat{\mathrm{MMD}}^2\big(\{\mathbf{x}_i\}_{i \le B},\, \{G_\theta(\mathbf{z}_j)\}_{j \le B}\big),
# \qquad \mathbf{x}_i \sim p^*,\; \mathbf{z}_j \sim \mathcal{N}(0, I),$$
#
# with a minibatch of each. There is **no discriminator**. The kernel's moments are fixed, so there
# is no adversary to train and no game to balance. The gradient
# $-\nabla_{\mathbf{x}}\widehat{\mathrm{MMD}}^2$ at a fake $\mathbf{x}$ pushes it up the witness, toward where the
# data outweighs the fakes. `mmd.MMDLoss` plugs into the course's training loop as
# `GANConfig(sample_loss=..., n_disc=0)`. The player's heatmap then shows the witness instead of a
# discriminator.
#
# The kernel is a sum of Gaussians with $\sigma \in \{0.1, 0.5, 2\}$. The widest sees the whole ring,
# the narrowest pulls samples into the modes, whose standard deviation is $0.02$. Beside it, a
# non-saturating GAN trains on the same data with the same networks, batch size and steps.

# %%
ring = toy.ring_of_gaussians()
ring_steps = gan_course.budget(full=3000, quick=100)
record_every = ring_steps // gan_course.budget(full=25, quick=10)  # a record costs ~0.2 s
networks = dict(width=64, depth=2, batch_size=256, seed=0)
gmmn_loss = mmd.MMDLoss(bandwidths=(0.1, 0.5, 2.0), estimator="biased")
gmmn = train_toy(ring, GANConfig(sample_loss=gmmn_loss, n_disc=0, lr_gen=1e-3, **networks), ring_steps,
                 record_every=record_every)
gan = train_toy(ring, GANConfig(loss="non_saturating", lr_disc=1e-3, lr_gen=1e-3, **networks), ring_steps,
                record_every=record_every)
labels = ["GMMN: minimises MMD² (witness)", "GAN: non-saturating (D)"]

# %%
last = 10  # the final records: GAN metrics swing from record to record, so report their spread
print(f"after {ring_steps} steps; mean ± standard deviation over the last {last} records "
      f"(steps {int(gmmn.steps[-last])}-{int(gmmn.steps[-1])})")
print(f"{'':<6} {'modes covered (of 8)':>21} {'high-quality share':>19} {'KL (grid)':>14} {'JS (grid)':>14}")
for name, history in (("GMMN", gmmn), ("GAN", gan)):
    cells = [history.metrics[metric][-last:] for metric in ("modes_covered", "high_quality", "kl", "js")]
    print(f"{name:<6} " + " ".join(f"{float(values.mean()):>{width - 7}.2f} ± {float(values.std()):.2f}"
                                    for values, width in zip(cells, (21, 19, 14, 14))))
print(f"wall time: GMMN {gmmn.wall_time:.0f} s, GAN {gan.wall_time:.0f} s")

# %%
player = Player([gmmn, gan], labels=labels)
player.set_step(-1)
player

# %% [markdown]
# Drag the slider and compare. The GMMN's heatmap is the witness: blue where data outweighs its
# samples, orange where its samples are in excess. Its arrows are $-\nabla \widehat{\mathrm{MMD}}^2$.
# The GAN's heatmap is its discriminator $D_\phi$, a *trained* comparison that changes as fast as the
# generator does.
#
# The table above puts numbers on what the frames show. In this run the GMMN covers all 8 modes in
# every one of the last 10 records, and its metrics vary less from record to record than the GAN's
# (compare the ± columns). It descends one fixed objective, while the GAN's objective moves with
# $D_\phi$, and the GAN loses a mode now and then. The GMMN is not much sharper, though. Under half
# of its samples lie within $3\sigma$ of a mode (the high-quality share), and the frames show a trail
# of samples inside the ring. The widest kernel pulls the bulk of the samples in, but the narrow ones
# only act on samples that are already close to a mode. A batch of 256 points spread over 8 modes is
# also a coarse picture of $p^*$, and the GMMN can only match what the batch shows. The price is
# compute: each step evaluates the kernel on every pair of 512 points, and the run took over twice as
# long as the GAN's (wall times above). One seed is not a verdict: try other seeds, bandwidths and batch
# sizes. Here is the same comparison as an animation that plays without a kernel:

# %%
export_animation([gmmn, gan], frames=8, dpi=45, labels=labels)

# %% [markdown]
# ## Summary
#
# - For convex $f$, $\mathrm{BR}_f(r^*\|r_\phi) = \mathcal{L}_f(r_\phi) + D_f(p^*\|q)$. The ratio loss
#   $\mathcal{L}_f$ needs only samples, is minimised at $r^*$, and its minimum is $-D_f$. With
#   $T = f'(r_\phi)$, $-\mathcal{L}_f$ is the f-GAN bound: **the ratio loss is the f-divergence loss**. An
#   affine change of $f$ moves the loss and $D_f$ by opposite constants; ours keep $f(1)$, so
#   $D_f = $ normalised divergence $+ f(1)$.
# - LSIF ($\frac12\chi^2$), KLIEP (KL) and logistic regression (JS, lesson 01's classifier) are three
#   choices of $f$. uLSIF fits a kernel model in closed form; a network fits the same losses by
#   gradient. All recover $r^*$ where the samples are.
# - MMD compares kernel moments. The unbiased estimate averages $0$ when $p^* = q$, and the biased one
#   sits above $0$ by a known amount. A permutation test holds its level and gains power with $n$.
# - A GMMN minimises MMD² with no discriminator, and the witness plays the critic's part.
#
# Next: **exercises/03_ratio_and_moments_exercises.ipynb** has you write the LSIF loss, the uLSIF
# solve and the unbiased MMD² yourself. Lesson 04 turns to the generator's side of the game: which
# loss the generator should minimise when $r \ll 1$ early in training, and mode collapse.
