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
# # 02 · f-GAN: divergence minimisation
#
# Lesson 01 turned a classifier into a density-ratio estimator $r(\mathbf{x}) = p^*(\mathbf{x})/q_\theta(\mathbf{x})$.
# This lesson turns the ratio into a **divergence** that a generator can minimise. An
# $f$-divergence averages a convex function of the ratio over the model:
#
# $$D_f[p^*(\mathbf{x}) \,\|\, q_\theta(\mathbf{x})] = \int q_\theta(\mathbf{x})\, f\!\left(\frac{p^*(\mathbf{x})}{q_\theta(\mathbf{x})}\right) d\mathbf{x} = \mathbb{E}_{q_\theta(\mathbf{x})}\big[f(r(\mathbf{x}))\big].$$
#
# We cannot evaluate $r$, but a *critic* $t(\mathbf{x})$ trained on samples gives a lower bound
# (Nguyen et al., 2010; Nowozin et al., 2016, *f-GAN*):
#
# $$D_f[p^* \| q_\theta] \;\ge\; \sup_t\; \mathbb{E}_{p^*(\mathbf{x})}[t(\mathbf{x})] - \mathbb{E}_{q_\theta(\mathbf{x})}[f^\dagger(t(\mathbf{x}))],$$
#
# where $f^\dagger$ is the convex conjugate of $f$ (written `f*` in the code). The critic maximises the
# bound, the generator minimises it.
#
# **Claim.** Different $f$ give different generators, and the bound is tight at the optimal critic
# $t^* = f'(r)$.
#
# **You will see:**
# the f-divergence table with each $f$, its conjugate and the critic's output activation; the
# bound of a trained critic against the exact divergence for seven $f$ on two Gaussians; the
# generator's objective for each $f$ and where it saturates; 2D f-GANs on a two-mode target,
# where KL covers both modes and reverse KL keeps to one; and one critic's ratio used with
# another $f$'s generator objective.

# %%
import math

import matplotlib.pyplot as plt
import torch
from scipy.stats import norm

import gan_course
from gan_course import metrics
from gan_course.data import toy
from gan_course.divergences import f_divergences as fd
from gan_course.gan_losses import GAN_LOSSES, generator_loss_curve
from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR
from gan_course.batched import train_batch
from gan_course.toy_training import GANConfig
from gan_course.widgets import Player, export_animation

device = gan_course.setup(seed=0)

# %% [markdown]
# ## From a ratio to a bound
#
# The **convex conjugate** (Fenchel dual) of $f$ is $f^\dagger(t) = \sup_u \{t u - f(u)\}$. For a convex,
# lower-semicontinuous $f$ the conjugate of the conjugate is $f$ again, so
# $f(u) = \sup_t \{t u - f^\dagger(t)\}$: $f$ is the upper envelope of its tangent lines. Put that inside the
# divergence, with $u = r(\mathbf{x})$:
#
# $$D_f = \int q_\theta(\mathbf{x}) \sup_t \Big\{ t\,\frac{p^*(\mathbf{x})}{q_\theta(\mathbf{x})} - f^\dagger(t) \Big\} d\mathbf{x}
# \;\ge\; \int p^*(\mathbf{x})\, t(\mathbf{x})\, d\mathbf{x} - \int q_\theta(\mathbf{x})\, f^\dagger(t(\mathbf{x}))\, d\mathbf{x}.$$
#
# The inequality holds for **every** function $t(\mathbf{x})$, because one function cannot beat the
# pointwise supremum. It is an equality where $t$ attains that supremum, at $t^*(\mathbf{x}) = f'(r(\mathbf{x}))$.
# Both integrals on the right are expectations, over $p^*$ and over $q_\theta$, so samples are enough.
#
# A network outputs an unconstrained number $v(\mathbf{x}) \in \mathbb{R}$ (a logit), but $t$ must lie in the
# domain of $f^\dagger$: for reverse KL, $f^\dagger(t) = -1-\log(-t)$ needs $t<0$. An **output activation**
# $g_f$ maps one to the other, $t = g_f(v)$.
#
# ## The f-divergence table
#
# Nowozin et al. (2016, Tables 1 and 2), in our notation. Here $u = r = p^*/q_\theta$.
#
# | name | $D_f[p^*\|q_\theta]$ | $f(u)$ | $f^\dagger(t)$ | $g_f(v)$ | $\operatorname{dom} f^\dagger$ | $f'(1)$ |
# |---|---|---|---|---|---|---|
# | Kullback–Leibler | $\mathrm{KL}(p^*\|q_\theta)$ | $u\log u$ | $e^{t-1}$ | $v$ | $\mathbb{R}$ | $1$ |
# | reverse KL | $\mathrm{KL}(q_\theta\|p^*)$ | $-\log u$ | $-1-\log(-t)$ | $-e^{-v}$ | $t<0$ | $-1$ |
# | Pearson $\chi^2$ | $\int (p^*-q_\theta)^2/q_\theta$ | $(u-1)^2$ | $\tfrac14 t^2 + t$ | $v$ | $\mathbb{R}$ | $0$ |
# | Neyman $\chi^2$ | $\int (q_\theta-p^*)^2/p^*$ | $(1-u)^2/u$ | $2-2\sqrt{1-t}$ | $1-e^{-v}$ | $t<1$ | $0$ |
# | squared Hellinger | $\int (\sqrt{p^*}-\sqrt{q_\theta})^2$ | $(\sqrt u - 1)^2$ | $t/(1-t)$ | $1-e^{-v}$ | $t<1$ | $0$ |
# | Jensen–Shannon | $2\,\mathrm{JS}(p^*\|q_\theta)$ | $u\log u - (u+1)\log\frac{u+1}{2}$ | $-\log(2-e^t)$ | $\log 2 - \log(1+e^{-v})$ | $t<\log 2$ | $0$ |
# | GAN | $2\,\mathrm{JS}(p^*\|q_\theta) - \log 4$ | $u\log u - (u+1)\log(u+1)$ | $-\log(1-e^t)$ | $-\log(1+e^{-v})$ | $t<0$ | $-\log 2$ |
# | total variation | $\tfrac12\int\lvert p^*-q_\theta\rvert$ | $\tfrac12\lvert u-1\rvert$ | $t$ | $\tfrac12\tanh v$ | $\lvert t\rvert\le\tfrac12$ | $0$ |
#
# Three details of the paper's table: its Jensen–Shannon $f$ gives **twice** the usual JS (so it ranges over
# $[0, \log 4]$), and the GAN row is the same $f$ minus $(u+1)\log 2$, which gives the divergence that the
# original GAN's discriminator bounds, $2\,\mathrm{JS} - \log 4 \le 0$. Every activation is increasing, so a
# large $v$ always means "looks real". $f'(1)$ is the optimal critic's output where $p^* = q_\theta$.
# And its Table 1 prints the Pearson and Neyman $\chi^2$ integrals swapped: with $f(u) = (u-1)^2$,
# $D_f = \int q\,(p^*/q - 1)^2 = \int (p^* - q)^2/q$ is Pearson's, as in our table (the tests check every
# row against closed forms).
#
# `gan_course.divergences.f_divergences` holds the table. We check each conjugate numerically: the largest
# $t u - f(u)$ over a fine grid of $u \ge 0$ must equal $f^\dagger(t)$ (wherever the maximiser lies on the grid).

# %%
# NBVAL_CHECK_OUTPUT
columns = ["name", "D_f", "f(u)", "f*(t)", "g_f(v)", "dom f*"]
rows = fd.table_rows()
widths = {c: max(len(c), *(len(str(row[c])) for row in rows)) for c in columns}
print("  ".join(c.ljust(widths[c]) for c in columns))
for row in rows:
    print("  ".join(str(row[c]).ljust(widths[c]) for c in columns))

u = torch.cat([torch.linspace(0.0, 1.0, 20_001), torch.linspace(1.0, 60.0, 40_001)]).double()
print("\nlargest |sup_u (t u - f(u)) - f*(t)| over t in dom f* (maximiser on the grid):")
for name, entry in fd.F_DIVERGENCES.items():
    low, high = max(entry.domain[0], -6.0), min(entry.domain[1], 3.0)
    t = torch.linspace(low + 1e-3, high - 1e-3, 41, dtype=torch.float64).requires_grad_(True)
    (maximiser,) = torch.autograd.grad(entry.conjugate(t).sum(), t)
    t = t.detach()
    grid_sup = (t[:, None] * u - entry.f(u)).max(dim=1).values
    inside = (maximiser >= 0) & (maximiser <= 50)
    error = (grid_sup - entry.conjugate(t))[inside].abs().max()
    print(f"  {name:<16} {error:.0e}  ({int(inside.sum())} values of t)")

# %% [markdown]
# ## Exact values for two Gaussians
#
# To judge an estimate we need the truth. Take $p^* = \mathcal{N}(0, 1)$ and $q = \mathcal{N}(1, 1.5^2)$.
# KL (both ways), Pearson and Neyman $\chi^2$ and squared Hellinger have closed forms for Gaussians;
# Jensen–Shannon, GAN and total variation do not, so we integrate $\int q\, f(p^*/q)\,dx$ numerically
# (Simpson's rule on 40,001 points). The closed forms are checked against the same quadrature.

# %%
# NBVAL_CHECK_OUTPUT
p_star = toy.Gaussian(0.0, std=1.0)
q = toy.Gaussian(1.0, std=1.5)
exact = {name: fd.exact_divergence(name, p_star, q) for name in fd.F_DIVERGENCES}
print(f"{'f':<16} {'exact D_f':>10} {'how':>12} {'quadrature':>12} {'optimal critic':>15}")
for name, value in exact.items():
    how = "closed form" if name in fd.CLOSED_FORMS else "quadrature"
    if math.isinf(value):
        print(f"{name:<16} {value:>10} {how:>12}   (∫ q²/p* diverges: σ_q² = 2.25 ≥ 2 σ*² = 2)")
        continue
    print(f"{name:<16} {value:>10.4f} {how:>12} {fd.quadrature_divergence(name, p_star, q):>12.4f} "
          f"{fd.optimal_bound(name, p_star, q):>15.4f}")

# %% [markdown]
# The last column is the bound at the optimal critic $t^* = f'(r)$, computed with exact expectations: it
# equals the divergence for every $f$. **The bound is tight.** Neyman $\chi^2 = \int (q-p^*)^2/p^*$ is
# infinite for this pair: $q$ is wider than $p^*$, so $q^2/p^*$ grows in the tails. No critic can estimate
# it; we leave it out below.
#
# ## Estimating the divergence with a trained critic
#
# Now forget the densities. A small MLP critic $v(x)$ sees 20,000 samples of each distribution and
# maximises the bound $\frac1n\sum_i g_f(v(x_i^*)) - \frac1n\sum_j f^\dagger(g_f(v(x_j)))$
# (`fd.fit_f_divergence_critic`: the same small fit as lesson 01's classifier, only the loss differs).
# We then evaluate its bound three ways:
#
# - on **fresh** samples (100,000 of each): an unbiased estimate of the critic's bound;
# - with **exact expectations** by quadrature: the critic is one fixed function, so this value is a true
#   lower bound and may not exceed $D_f$ at all;
# - on the **training** samples, which the critic has fitted.

# %%
TOLERANCE = 0.02  # the gap D_f - bound that a trained critic must reach (same units as D_f)
estimated = ["kl", "reverse_kl", "pearson", "hellinger", "js", "gan", "total_variation"]
steps = gan_course.budget(full=2000, quick=100)
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(20_000, rng), q.sample(20_000, rng)
real_fresh, fake_fresh = p_star.sample(100_000, rng), q.sample(100_000, rng)
critics = {name: fd.fit_f_divergence_critic(real, fake, name, steps=steps, progress=True)
           for name in estimated}

# %%
print(f"{'f':<16} {'exact':>8} {'fresh':>8} {'exact E':>8} {'train':>8} {'gap':>7}  "
      f"below and within {TOLERANCE}")
above = []
for name, critic in critics.items():
    on_quadrature, on_training = critic.quadrature_bound(p_star, q), critic.bound(real, fake)
    gap = exact[name] - on_quadrature
    passed = on_quadrature <= exact[name] and gap <= TOLERANCE
    above += [name] if on_training > exact[name] else []
    on_fresh = critic.bound(real_fresh, fake_fresh)
    print(f"{name:<16} {exact[name]:>8.4f} {on_fresh:>8.4f} {on_quadrature:>8.4f} "
          f"{on_training:>8.4f} {gap:>7.4f}  {'yes' if passed else 'NO'}")
print(f"\non the training samples the estimate exceeds the exact value for {len(above)} of {len(critics)} f")

# %% [markdown]
# **Reading the table.** Columns: the exact divergence, the critic's bound on fresh samples, the same with
# exact expectations ("exact E"), and on the training samples. With exact expectations every bound lies
# below the true value and within the tolerance: the bound approaches $D_f$ from below. On fresh
# samples the estimate scatters around the "exact E" column by sampling noise, which can put it slightly
# above $D_f$: a sample estimate of a lower bound is not itself a lower bound. On the training samples it
# is typically *above* the exact value: the critic has fitted those particular samples, a
# reminder to evaluate a bound on data the critic has not seen. (In quick mode the critics train for only
# a few steps and the gaps are larger.)
#
# What did the critics learn? At the optimum $t^*(x) = f'(r(x))$. Here each trained $t(x) = g_f(v(x))$ is
# drawn over the optimal one:

# %%
x_grid = torch.linspace(-4.0, 6.0, 400)
log_r = toy.log_ratio(p_star, q, x_grid.reshape(-1, 1)).double()
y_limits = {"kl": (-3, 3), "reverse_kl": (-6, 0.5), "pearson": (-2.5, 4), "hellinger": (-6, 1.5),
            "js": (-5, 1), "gan": (-5, 0.5), "total_variation": (-0.6, 0.6)}
fig, axes = plt.subplots(2, 4, figsize=(11, 5.2))
for ax, (name, critic) in zip(axes.flat, critics.items()):
    entry = critic.divergence
    ax.plot(x_grid, entry.optimal_critic(log_r), color="black", lw=2, label="optimal t* = f'(r)")
    ax.plot(x_grid, entry.critic(critic.outputs(x_grid).double()), color="tab:red", ls="--", lw=1.5,
            label="trained critic t = g_f(v)")
    ax.set_ylim(*y_limits[name])
    ax.set_title(entry.title, fontsize=9)
    ax.set_xlabel("x")
    densities = ax.twinx()
    for dist, colour, label in ((p_star, REAL_COLOUR, "p*(x)"), (q, FAKE_COLOUR, "q(x)")):
        densities.fill_between(x_grid, dist.log_prob(x_grid.reshape(-1, 1)).exp(), color=colour, alpha=0.15,
                               label=label)
    densities.set_ylim(bottom=0)
    densities.set_yticks([])
    densities.grid(False)
legend_axis = axes.flat[-1]
legend_axis.axis("off")
handles = axes.flat[0].get_legend_handles_labels()[0] + densities.get_legend_handles_labels()[0]
legend_axis.legend(handles, [h.get_label() for h in handles], loc="center", fontsize=9, frameon=False)
fig.tight_layout()
plt.show()

# %% [markdown]
# Where both distributions have samples the trained critics follow $f'(r)$. Where one of them has
# almost none (both tails, where the narrower $p^*$ is tiny and $r \ll 1$) they extrapolate, as in
# lesson 01: those regions carry little weight in either expectation, so the bound barely notices.
#
# ## The generator's objective for each f
#
# The generator $\mathcal{G}_\theta$ moves its samples $\mathbf{x} = \mathcal{G}_\theta(\mathbf{z})$ to lower its loss, through the
# critic's output $v(\mathbf{x})$. Two choices are in use (both are in `GAN_LOSSES`):
#
# - **minimise the bound**, as the game says: $\min_\theta -\mathbb{E}_{q_\theta}[f^\dagger(g_f(v))]$ (`fgan_<f>`). With the
#   critic at its optimum, its gradient is exactly $\nabla_\theta D_f$, since
#   $\frac{\partial}{\partial q}\big[q f(p^*/q)\big] = f(r) - r f'(r) = -f^\dagger(f'(r))$. For the GAN row this is the
#   original minimax GAN.
# - the **alternative** of Nowozin et al. (§3.2): $\min_\theta -\mathbb{E}_{q_\theta}[g_f(v)]$ (`fgan_<f>_alternative`). For the
#   GAN row this is the non-saturating GAN.
#
# Early in training the generator is poor and the critic is sure its samples are fake: $r \ll 1$. A loss
# that is flat there gives no gradient, it **saturates**. Below, each panel is one $f$: the per-sample
# loss as a function of the critic's output $v$. The grey band marks where the "bound" objective's slope
# is below 0.02; the dashed line is the critic's optimal output for a fake with $r = e^{-5}$, the dotted
# line for $r = 1$. (This is the figure "objective functions for different choices of $f$" of the talk.)

# %%
SATURATED = 0.02
v_grid = torch.linspace(-6.0, 6.0, 241, dtype=torch.float64)
early = torch.tensor([-5.0], dtype=torch.float64)  # log r of an obviously fake sample
fig, axes = plt.subplots(2, 4, figsize=(12, 5.4))
for ax, (name, entry) in zip(axes.flat, fd.F_DIVERGENCES.items()):
    bound_values, bound_slopes = generator_loss_curve(f"fgan_{name}", v_grid)
    alternative_values, _ = generator_loss_curve(f"fgan_{name}_alternative", v_grid)
    ax.fill_between(v_grid, 0, 1, where=bound_slopes.abs() < SATURATED, transform=ax.get_xaxis_transform(),
                    color="grey", alpha=0.2, lw=0, label="bound: saturated")
    ax.plot(v_grid, bound_values, color="tab:red", lw=2, label="bound  −f*(g(v))")
    ax.plot(v_grid, alternative_values, color="tab:blue", ls="--", lw=1.5, label="alternative  −g(v)")
    if name != "total_variation":
        v_early = float(entry.optimal_logit(early))
        if v_early >= v_grid[0]:
            ax.axvline(v_early, color="black", ls="--", lw=0.8)
        else:  # Neyman's v* = 2 log r = -10 lies off the plot
            ax.annotate(f"← r = e⁻⁵ at v = {v_early:.0f}", (0.02, 0.04), xycoords="axes fraction", fontsize=7)
        ax.axvline(float(entry.optimal_logit(torch.zeros(1))), color="black", ls=":", lw=0.8)
    ax.set_xlim(-6, 6)
    ax.set_ylim(-6, 6)
    ax.set_title(entry.title, fontsize=9)
    ax.set_xlabel("critic output v")
axes[0, 0].set_ylabel("generator loss per sample")
axes[1, 0].set_ylabel("generator loss per sample")
axes[0, 0].legend(loc="lower left", fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# The slopes at that obviously fake sample ($r = e^{-5}$, the critic at its optimum) in numbers:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'f':<16} {'v*':>7} {'slope (bound)':>14} {'slope (alternative)':>20}")
for name, entry in fd.F_DIVERGENCES.items():
    if name == "total_variation":
        print(f"{name:<16} {'±inf':>7}  the optimal TV critic is ±1/2 whatever r is: "
              "saturated once it is sure")
        continue
    v_star = entry.optimal_logit(early)
    _, bound_slope = generator_loss_curve(f"fgan_{name}", v_star)
    _, alternative_slope = generator_loss_curve(f"fgan_{name}_alternative", v_star)
    print(f"{name:<16} {float(v_star):>7.2f} {float(bound_slope):>14.3g} {float(alternative_slope):>20.3g}")

# %% [markdown]
# **Reading the figure.** Minimising the bound saturates for KL, Pearson, Jensen–Shannon and GAN: where
# $r \ll 1$ their slope is about $r$ itself ($e^{-5} \approx 0.007$), and squared Hellinger's is $\sqrt r \approx 0.08$.
# That is the minimax GAN's problem, here for every $f$ of that shape. Reverse KL's bound objective is
# linear in $v$ (slope $-1$) and never saturates; Neyman's is steep. The alternative objectives of KL,
# Pearson, Jensen–Shannon and GAN keep a slope of about 1; those of reverse KL, Neyman and Hellinger
# grow exponentially in $-v$, so one very fake sample can dominate a batch. Total variation saturates on both sides (its critic is a
# bounded $\frac12\tanh$), and the paper's Pearson conjugate $\frac14 t^2 + t$ even turns down for $t < -2$,
# where it pushes the generator the wrong way.
#
# The alternative objective has a price: **it minimises a different divergence.** Its gradient at the
# optimal critic is that of $\mathbb{E}_{q_\theta}[-f'(r)]$; for KL, $-f'(r) = -1-\log r$, whose gradient is that of
# $\mathrm{KL}(q_\theta\|p^*)$, the *reverse* KL. We check this on $q_\theta = \mathcal{N}(\theta, 1.2^2)$, $p^* = \mathcal{N}(0,1)$ at
# $\theta = 0.7$, with the critic frozen at its optimum: the derivative of each generator loss (over 200,001
# quantiles of $\mathbf{z}$) against finite differences of the two exact KLs.

# %%
# NBVAL_CHECK_OUTPUT
theta0, scale = 0.7, 1.2
z = torch.tensor(norm.ppf((torch.arange(200_001, dtype=torch.float64) + 0.5) / 200_001))


def exact_kl_slopes(theta, step=1e-4):
    moved = [toy.Gaussian(t, std=scale) for t in (theta + step, theta - step)]
    forward = [fd.exact_divergence("kl", p_star, model) for model in moved]
    reverse = [fd.exact_divergence("kl", model, p_star) for model in moved]
    return (forward[0] - forward[1]) / (2 * step), (reverse[0] - reverse[1]) / (2 * step)


def generator_slope(loss_name, critic_f):
    entry = fd.get_f_divergence(critic_f)
    theta = torch.tensor(theta0, dtype=torch.float64, requires_grad=True)
    fakes = theta + scale * z
    frozen_q = toy.Gaussian(theta0, std=scale)
    log_ratio = toy.log_ratio(p_star, frozen_q, fakes.reshape(-1, 1))  # differentiable in the fakes
    logits = entry.optimal_logit(log_ratio)  # the critic at its optimum for the current q
    (slope,) = torch.autograd.grad(GAN_LOSSES[loss_name](logits.detach(), logits).generator, theta)
    return float(slope)


kl_slope, reverse_kl_slope = exact_kl_slopes(theta0)
print(f"d/dθ KL(p* ‖ q_θ) = {kl_slope:.4f},   d/dθ KL(q_θ ‖ p*) = {reverse_kl_slope:.4f}")
for loss_name, critic_f in [("fgan_kl", "kl"), ("fgan_kl_alternative", "kl"),
                            ("fgan_reverse_kl", "reverse_kl")]:
    print(f"  d/dθ of the {loss_name:<20} generator loss = {generator_slope(loss_name, critic_f):.4f}")

# %% [markdown]
# The KL "bound" objective follows $\mathrm{KL}(p^*\|q_\theta)$; its alternative follows the reverse KL, exactly as
# the reverse-KL objective does. That is why `GAN_LOSSES["fgan_<f>"]` minimises the bound: so that the
# $f$ you choose is the divergence you get. The next section shows what that choice does.
#
# ## 2D f-GANs: covering modes or seeking one
#
# The data is a mixture of two Gaussians (σ = 0.3): a heavy mode at the origin with 80% of the mass and a
# light one 4 units to the right with 20%. A fresh generator puts its samples near the origin. The two
# KLs judge "only the heavy mode" very differently:
#
# - $\mathrm{KL}(p^*\|q_\theta) = \mathbb{E}_{p^*}[\log r]$ is **infinite** if $q_\theta$ has no mass where $p^*$ has some: it must
#   cover the light mode (*mass covering*, zero-avoiding);
# - $\mathrm{KL}(q_\theta\|p^*) = \mathbb{E}_{q_\theta}[-\log r]$ only looks where the generator's samples are. Sitting exactly on the
#   heavy mode costs only $\log\frac{1}{0.8} \approx 0.22$ nats (*mode seeking*, zero-forcing);
# - Jensen–Shannon is bounded; it lies in between.
#
# We train each of the three f-GANs (bound objectives) from 4 seeds, 12 runs in one `train_batch`. Both
# networks are small MLPs (2 hidden layers of 32, tanh units), trained with Adam.

# %%
two_modes = toy.GaussianMixture([[0.0, 0.0], [4.0, 0.0]], 0.3, weights=[0.8, 0.2])
divergences_2d = ["kl", "reverse_kl", "js"]
seeds = [0, 1, 2, 3]
gan_steps = gan_course.budget(full=2000, quick=100)
small = dict(width=32, depth=2, activation="tanh", batch_size=256, lr_disc=1e-3, lr_gen=1e-3)
configs = [GANConfig(loss=f"fgan_{name}", seed=seed, **small) for name in divergences_2d for seed in seeds]
runs = train_batch(two_modes, configs, gan_steps)


def coverage_table(histories, labels, data, n=4000):
    print(f"{'run':<30} {'modes':>5} {'high quality':>13} {'heavy mode':>11} {'light mode':>11}")
    light_found = {}
    exact_samples = data.sample(n, rng=torch.Generator().manual_seed(0))
    rows = [(history.final_samples(n), label) for history, label in zip(histories, labels)]
    for samples, label in rows + [(exact_samples, "(exact samples of the data)")]:
        covered, high_quality = metrics.mode_coverage(samples, data.modes, data.mode_std)
        heavy, light = metrics.mode_shares(samples, data.modes, data.mode_std).tolist()
        light_found.setdefault(label.split(",")[0], []).append(light >= 0.05)
        print(f"{label:<30} {covered:>5} {high_quality:>13.2f} {heavy:>11.2f} {light:>11.2f}")
    del light_found["(exact samples of the data)"]
    return light_found


labels = [f"{c.loss}, seed {c.seed}" for c in configs]
found = coverage_table(runs, labels, two_modes)
print()
for name, hits in found.items():
    print(f"{name:<20} reaches the light mode (≥ 5% of samples there) in {sum(hits)} of {len(hits)} runs")

# %% [markdown]
# The last row is what exact samples of the mixture score (a 2D Gaussian sample lies within 3σ of its
# mode with probability 0.989). The player shows seed 0 of each $f$: the critic's output $v$ as
# the background (blue: "real"), the data in blue, the generator's samples in orange, arrows where the
# generator pushes them, and below the losses and the mode metrics.

# %%
first_seed = [runs[divergences_2d.index(name) * len(seeds)] for name in divergences_2d]
player = Player(first_seed, labels=[f"f-GAN, {fd.get_f_divergence(name).title}" for name in divergences_2d], dpi=72)
player.set_step(len(first_seed[0].steps) - 1)
player

# %% [markdown]
# **What the numbers say.** With KL every run moves a share close to the light mode's 20% onto it: the
# generator stretches out to cover both modes, and pays for it with a thin bridge of samples between
# them (a high-quality share of 0.94–0.96 instead of 0.99; the orange line in the player). With reverse
# KL no run puts any samples on the light mode: it *seeks* the heavy mode and ignores the other.
# Jensen–Shannon lies in between: some seeds find the light mode and some do not. (These are the full-mode numbers; in quick mode the runs are far too
# short to tell.) Note what is *not* different: every $f$ here can represent both modes, since the
# generators are the same networks. The $f$ decides which solution the training finds.
#
# KL against reverse KL as an animation that plays without a kernel:

# %%
export_animation(first_seed[:2], frames=6, dpi=40, labels=[f"f-GAN, {fd.get_f_divergence(name).title}" for name in divergences_2d[:2]])

# %% [markdown]
# ## One f for the critic, another for the generator
#
# The critic and the generator do not have to use the same $f$ (Mohamed & Lakshminarayanan, 2016). The
# critic's job is to estimate the ratio; the generator's loss decides which divergence it minimises.
# The GAN critic is lesson 01's Bernoulli classifier, whose logit estimates $v^* = \log r$; the reverse-KL
# and Jensen–Shannon critics learn the same $v^* = \log r$ (the table's activations make it so), and the KL
# critic learns $v^* = 1 + \log r$:

# %%
# NBVAL_CHECK_OUTPUT
log_r_values = torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64)
for name in ["gan", "js", "reverse_kl", "kl", "hellinger"]:
    v_star = fd.get_f_divergence(name).optimal_logit(log_r_values)
    print(f"{name:<11} optimal v at log r = -2, 0, 2:  {[round(float(v), 3) for v in v_star]}")

# %% [markdown]
# So we keep the GAN's classifier as the critic (`GANConfig(loss="fgan_gan")`) and give the generator the
# KL or the reverse-KL objective (`gen_loss_name=...`). With $v \approx \log r$, the reverse-KL objective
# $1 - \mathbb{E}_{q_\theta}[v]$ is exactly $\mathrm{KL}(q_\theta\|p^*)$'s, and the KL objective $-\mathbb{E}_{q_\theta}[e^{v-1}] = -\mathbb{E}_{q_\theta}[r]/e$ has
# $\mathrm{KL}(p^*\|q_\theta)$'s gradient divided by $e$. Same critic, same data, same seeds:

# %%
mixed_configs = [GANConfig(loss="fgan_gan", gen_loss_name=f"fgan_{generator_f}", seed=seed, **small)
                 for generator_f in ["kl", "reverse_kl"] for seed in seeds]
mixed_runs = train_batch(two_modes, mixed_configs, gan_steps)
mixed_labels = [f"D gan / G {c.gen_loss_name.removeprefix('fgan_')}, seed {c.seed}" for c in mixed_configs]
found = coverage_table(mixed_runs, mixed_labels, two_modes)
print()
for name, hits in found.items():
    print(f"{name:<20} reaches the light mode in {sum(hits)} of {len(hits)} runs")

# %%
fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
real_show = two_modes.sample(1000, rng=torch.Generator().manual_seed(1))
for ax, index, title in ((axes[0], 0, "D gan / G kl"), (axes[1], len(seeds), "D gan / G reverse_kl")):
    samples = mixed_runs[index].final_samples(1000)
    ax.scatter(real_show[:, 0], real_show[:, 1], s=3, color=REAL_COLOUR, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=3, color=FAKE_COLOUR, label="generator")
    ax.set_title(f"{title}, seed 0, step {gan_steps}", fontsize=9)
    ax.set_xlim(-1.5, 5.5)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
axes[0].legend(loc="upper right", fontsize=7)
plt.show()

# %% [markdown]
# With one and the same critic, the KL generator covers the light mode in most seeds and the reverse-KL
# generator stays on the heavy one in all of them: the generator's objective, not the critic, decides
# mode covering versus mode seeking.
#
# ## Summary
#
# - An $f$-divergence $D_f = \mathbb{E}_{q_\theta}[f(r)]$ has the variational lower bound
#   $\mathbb{E}_{p^*}[t] - \mathbb{E}_{q_\theta}[f^\dagger(t)]$, tight at $t^* = f'(r)$. A critic trained on samples approaches it from
#   below; evaluate it on samples it has not seen.
# - The table gives each $f$ its conjugate $f^\dagger$ and an output activation $g_f$ that maps a logit into
#   $\operatorname{dom} f^\dagger$. Writing everything in the logit keeps the losses finite.
# - The generator's objective decides which divergence is minimised. Minimising the bound gives
#   $\nabla_\theta D_f$ but saturates for KL, JS and GAN when $r \ll 1$; the alternative objective does not
#   saturate there, but minimises another divergence (for KL: the reverse KL).
# - KL covers modes, reverse KL seeks one, JS lies in between, and the critic can use one $f$ while the
#   generator uses another.
#
# Next: **exercises/02_f_gan_exercises.ipynb** has you write conjugates, activations and the bound.
# Lesson 03 estimates the ratio directly (ratio matching) and compares distributions by their
# moments (MMD).
