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
# # 01 · The density-ratio trick
#
# A GAN never evaluates a density. It compares the data distribution $p^*(\mathbf{x})$ with
# the model $q_\theta(\mathbf{x})$ **using samples only**, by training a classifier. This
# lesson shows why that works. A classifier that separates real from simulated samples
# with a *strictly proper* scoring rule estimates the density ratio
#
# $$r(\mathbf{x}) = \frac{p^*(\mathbf{x})}{q_\theta(\mathbf{x})},$$
#
# and every later lesson builds on that ratio.
#
# **Claim.** $\mathcal{D} = r/(r+1)$: a classifier trained with a strictly proper rule
# (Bernoulli, Brier, exponential, spherical) is a ratio estimator. The hinge and
# misclassification (0–1) losses recover only the decision, not the ratio.
#
# **You will see:**
# classifiers trained with each rule of Table 1 on a pair with a known ratio; their
# estimates against the truth, with a table of errors; what the class prior
# $\pi$ does; and where ratio estimation breaks down.

# %%
import matplotlib.pyplot as plt
import torch

import gan_course
from gan_course import losses, ratio
from gan_course.data import toy
from gan_course.plotting import contour_2d, grid_2d, plot_log_ratio_1d, row_of_axes

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Density ratios are class probabilities
#
# Pool the real samples $\hat{\mathbf{x}}_1, \dots, \hat{\mathbf{x}}_{\hat n} \sim p^*$ with
# label $y=+1$ and the simulated samples $\tilde{\mathbf{x}}_1, \dots, \tilde{\mathbf{x}}_{\tilde n} \sim q_\theta$
# with label $y=-1$ (Sugiyama et al., 2012). Then $p^*(\mathbf{x}) = p(\mathbf{x}\mid y=+1)$ and
# $q_\theta(\mathbf{x}) = p(\mathbf{x}\mid y=-1)$, and Bayes' rule substitutes each:
#
# $$
# \frac{p^*(\mathbf{x})}{q_\theta(\mathbf{x})}
# = \frac{p(y=+1\mid\mathbf{x})\,p(\mathbf{x})}{p(y=+1)} \Big/ \frac{p(y=-1\mid\mathbf{x})\,p(\mathbf{x})}{p(y=-1)}
# = \frac{p(y=+1\mid\mathbf{x})}{p(y=-1\mid\mathbf{x})} \cdot \frac{1-\pi}{\pi},
# \qquad \pi = p(y=+1).
# $$
#
# The marginal $p(\mathbf{x})$, which nobody can evaluate, cancels. With equal classes
# ($\pi = \tfrac12$) and a classifier $\mathcal{D}(\mathbf{x};\phi) = p(y=+1\mid\mathbf{x})$:
#
# $$ r = \frac{\mathcal{D}}{1-\mathcal{D}} \iff \mathcal{D} = \frac{r}{r+1}. $$
#
# We parametrise $\mathcal{D} = \sigma(l_\phi(\mathbf{x}))$ by its **logit** $l_\phi$, so the
# estimate is simply $\log \hat r(\mathbf{x}) = l_\phi(\mathbf{x}) - \log\frac{\pi}{1-\pi}$.
# **Computing a density ratio is class-probability estimation.**

# %% [markdown]
# ## A pair with a known ratio
#
# To judge an estimate we need the truth. Take two 1D Gaussians,
# $p^* = \mathcal{N}(1, 1.2^2)$ and $q = \mathcal{N}(0, 0.8^2)$. Their log ratio is a quadratic,
#
# $$\log r(x) = \log\frac{0.8}{1.2} - \frac{(x-1)^2}{2\cdot 1.2^2} + \frac{x^2}{2\cdot 0.8^2}.$$
#
# The model $q$ is narrower than the data, so $r$ grows without bound in both tails.

# %%
p_star = toy.Gaussian(1.0, std=1.2)
q = toy.Gaussian(0.0, std=0.8)

n_train = 5000
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(n_train, rng), q.sample(n_train, rng)

# held-out points from the pooled data, where we measure errors
test = torch.cat([p_star.sample(20_000, rng), q.sample(20_000, rng)])
true_test = toy.log_ratio(p_star, q, test)

x_grid = torch.linspace(-3.5, 5.0, 400).reshape(-1, 1)
true_grid = toy.log_ratio(p_star, q, x_grid)

fig, ax = plt.subplots(figsize=(6.5, 3.5))
plot_log_ratio_1d(ax, x_grid, true_grid, p=p_star, q=q, bulk_threshold=ratio.BULK_THRESHOLD,
                  title="the true log ratio, with p* and q shaded")
ax.set_ylim(-4, 12)
plt.show()

# %% [markdown]
# We measure errors in **the bulk**, the held-out points with $|\log r(x)| \le 3$, where the
# true posterior $p(y=+1 \mid x)$ lies between about 5% and 95%. There the classifier sees plenty of
# both classes. The grey bands above lie outside it. We come back to them at the end.

# %% [markdown]
# ## Six scoring rules (Table 1)
#
# Each rule charges a loss $\ell_+$ for real samples and $\ell_-$ for simulated ones. Training
# minimises $\pi\,\mathbb{E}_{p^*}[\ell_+(\mathcal{D})] + (1-\pi)\,\mathbb{E}_{q_\theta}[\ell_-(\mathcal{D})]$.
#
# | rule | objective ($\mathcal{D} := \mathcal{D}(\mathbf{x};\phi)$) | in the logit $l$ |
# |---|---|---|
# | Bernoulli | $\pi\mathbb{E}_{p^*}[-\log\mathcal{D}] + (1-\pi)\mathbb{E}_{q_\theta}[-\log(1-\mathcal{D})]$ | softplus$(-l)$, softplus$(l)$ |
# | Brier | $\pi\mathbb{E}_{p^*}[(1-\mathcal{D})^2] + (1-\pi)\mathbb{E}_{q_\theta}[\mathcal{D}^2]$ | $\sigma(-l)^2$, $\sigma(l)^2$ |
# | exponential | $\pi\mathbb{E}_{p^*}[(\frac{1-\mathcal{D}}{\mathcal{D}})^{1/2}] + (1-\pi)\mathbb{E}_{q_\theta}[(\frac{\mathcal{D}}{1-\mathcal{D}})^{1/2}]$ | $e^{-l/2}$, $e^{l/2}$ |
# | misclassification | $\pi\mathbb{E}_{p^*}[\mathbb{I}[\mathcal{D}\le 0.5]] + (1-\pi)\mathbb{E}_{q_\theta}[\mathbb{I}[\mathcal{D}>0.5]]$ | $\mathbb{I}[l\le0]$, $\mathbb{I}[l>0]$ |
# | hinge | $\pi\mathbb{E}_{p^*}[\max(0, 1-\log\frac{\mathcal{D}}{1-\mathcal{D}})] + (1-\pi)\mathbb{E}_{q_\theta}[\max(0, 1+\log\frac{\mathcal{D}}{1-\mathcal{D}})]$ | $\max(0,1-l)$, $\max(0,1+l)$ |
# | spherical | $\pi\mathbb{E}_{p^*}[-\alpha\mathcal{D}] + (1-\pi)\mathbb{E}_{q_\theta}[-\alpha(1-\mathcal{D})]$, $\alpha = (1-2\mathcal{D}+2\mathcal{D}^2)^{-1/2}$ | |
#
# `gan_course.losses` implements all six, in terms of logits so that large logits cannot overflow.
#
# **What "strictly proper" means.** Look at a single point $\mathbf{x}$ whose true posterior is
# $\eta = p(y=+1\mid\mathbf{x})$. The expected loss there, as a function of the logit we predict, is
# $R(l) = \eta\,\ell_+(l) + (1-\eta)\,\ell_-(l)$. A rule is strictly proper when $R$ has its *only*
# minimum at the truth, $l^\star = \log\frac{\eta}{1-\eta}$. Here is $R$ for $\eta = 0.8$, so $l^\star = \log 4 \approx 1.386$:

# %%
# NBVAL_CHECK_OUTPUT
posterior = 0.8
logit_grid = torch.linspace(-4, 4, 801)
fig, axes = row_of_axes(6, width=2.4, height=2.4)
print(f"η = {posterior}: the true logit is log(η/(1-η)) = {torch.logit(torch.tensor(posterior)):.3f}")
for ax, name in zip(axes, losses.SCORING_RULES):
    risk = losses.pointwise_risk(name, logit_grid, posterior)
    best = logit_grid[risk.argmin()]
    minimisers = logit_grid[risk <= risk.min() + 1e-6]  # a flat bottom means many minimisers
    is_flat = minimisers.max() - minimisers.min() > 0.5
    where = f"anywhere in [{minimisers.min():.2f}, {minimisers.max():.2f}]" if is_flat else f"{best:.2f}"
    print(f"  {name:<18} minimised at l = {where}")
    ax.plot(logit_grid, risk)
    ax.axvline(torch.logit(torch.tensor(posterior)), color="black", ls=":", lw=1)
    ax.axvline(best, color="tab:red", lw=1)
    ax.set_title(name, fontsize=9)
    ax.set_xlabel("logit l")
axes[0].set_ylabel("expected loss R(l)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The four strictly proper rules are minimised at $\log 4$ (dotted line). The hinge loss is
# minimised at $l = 1$, its margin, whatever $\eta > \frac12$ is. The misclassification loss is flat on
# each side of $0$, so every positive logit is equally good. Both of these tell us only on which
# side of $\frac12$ the posterior lies: the *Bayes decision*.
#
# ### Why the misclassification loss cannot be trained by gradient
#
# $\mathbb{I}[l \le 0]$ is piecewise constant in $l$: its derivative is $0$ wherever it exists
# and undefined at $l=0$. Gradient descent gets no signal from it. PyTorch does not even build a gradient for it:

# %%
# NBVAL_CHECK_OUTPUT
logits = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
zero_one = losses.misclassification(logits, logits).discriminator
print(f"0-1 loss = {zero_one.item():.3f}, requires_grad = {zero_one.requires_grad}")
try:
    ratio.fit_ratio_classifier(real, fake, rule="misclassification", steps=1)
except ValueError as error:
    print("fit_ratio_classifier says:", error)

# %% [markdown]
# So we train with the other five rules and keep the misclassification loss as a **metric**,
# the share of wrong decisions. Its best possible value is the Bayes error, which we can
# compute exactly here because we know both densities.
#
# ## Training one classifier per rule
#
# Each classifier is the same small MLP (2 hidden layers of 64), trained with Adam on the
# same 5,000 + 5,000 samples. Only the scoring rule changes.

# %%
steps = gan_course.budget(full=3000, quick=300)
trainable = [*losses.STRICTLY_PROPER, "hinge"]  # hinge: to see what an improper rule learns
classifiers = {name: ratio.fit_ratio_classifier(real, fake, rule=name, steps=steps, progress=True)
               for name in trainable}
estimates_test = {name: c.log_ratio(test) for name, c in classifiers.items()}

# %%
TOLERANCE = ratio.BULK_TOLERANCE  # 0.15 nats: the mean |log r̂ - log r| to reach in the bulk
half = len(test) // 2  # first half of `test` is real, second half simulated
bayes_labels = true_test > 0  # the Bayes decision: say "real" where r > 1
bayes_error = losses.misclassification(true_test[:half], true_test[half:]).discriminator.item()

print(f"{'rule':<12} {'bulk error (nats)':>18} {'within ' + str(TOLERANCE):>12} "
      f"{'sign agrees':>12} {'0-1 error':>10}")
for name, estimate in estimates_test.items():
    error = ratio.bulk_error(estimate, true_test)
    zero_one = losses.misclassification(estimate[:half], estimate[half:]).discriminator.item()
    print(f"{name:<12} {error:>18.3f} {'yes' if error <= TOLERANCE else 'NO':>12} "
          f"{ratio.sign_agreement(estimate, true_test):>12.1%} {zero_one:>10.3f}")
print(f"{'Bayes':<12} {0.0:>18.3f} {'':>12} {1.0:>12.1%} {bayes_error:>10.3f}")

# %%
fig, axes = row_of_axes(len(trainable), width=3.3, height=3.0)
for ax, (name, classifier) in zip(axes, classifiers.items()):
    plot_log_ratio_1d(ax, x_grid, true_grid, classifier.log_ratio(x_grid), p=p_star, q=q,
                      title=name, bulk_threshold=ratio.BULK_THRESHOLD)
    ax.set_ylim(-4, 12)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Reading the table.** The four strictly proper rules recover $\log r$ to within the
# tolerance in the bulk: their curves lie on the truth wherever the grey bands leave off.
# The hinge classifier takes the Bayes decisions: its sign agrees with the Bayes rule's on 100.0%
# of the test samples, and its 0–1 error is the Bayes error (the proper rules agree on 98.6–98.7%,
# with the same error to within 0.001). But its *values* are off by more than twice the tolerance.
# It has learned where $r>1$, not how large $r$ is.
#
# The reason is the minimiser we saw above. For the hinge loss it is $l^\star = \operatorname{sign}(2\eta-1)$,
# so an ideal hinge classifier outputs $\pm 1$ and nothing else. Ours does, up to a smooth
# transition where the posterior crosses $\frac12$:

# %%
hinge_logits = classifiers["hinge"].logits(test)
in_margin = ((hinge_logits.abs() - 1).abs() < 0.1).float().mean()
print(f"hinge logits: {in_margin:.0%} of held-out points have |l| within 0.1 of 1; "
      f"range [{hinge_logits.min():.2f}, {hinge_logits.max():.2f}], "
      f"while the true log r ranges over [{true_test.min():.1f}, {true_test.max():.1f}]")

# %% [markdown]
# ## The class prior $\pi$
#
# Often the two samples differ in size: say 4 real samples for every simulated one, so
# $\pi = 0.8$. Weighting the rule by $\pi$ and $1 - \pi$ is the same as drawing the pooled data in that
# proportion. The Bayes-optimal logit then moves by the prior's log odds:
#
# $$ l^\star(\mathbf{x}) = \log\frac{\pi p^*(\mathbf{x})}{(1-\pi)\, q(\mathbf{x})} = \log r(\mathbf{x}) + \log\frac{\pi}{1-\pi}. $$
#
# `losses.ratio_from_logits(l, prior=π)` removes the shift. With $\pi=0.8$ we expect it to be
# $\log 4 \approx 1.386$:

# %%
prior = 0.8
tilted = ratio.fit_ratio_classifier(real, fake, rule="bernoulli", prior=prior, steps=steps)
raw_logits = tilted.logits(test)
bulk = ratio.in_bulk(true_test)
print(f"expected shift log(π/(1-π))           = {losses.prior_log_odds(prior):.3f}")
print(f"measured mean of (raw logit - log r)   = {(raw_logits - true_test)[bulk].mean():.3f}")
print(f"bulk error without the correction      = {ratio.bulk_error(raw_logits, true_test):.3f} nats")
print(f"bulk error with ratio_from_logits      = {ratio.bulk_error(tilted.log_ratio(test), true_test):.3f} nats")

# %% [markdown]
# ## Where ratio estimation fails
#
# The classifier learns $r$ only where it sees both classes. Far to the right, $q$ has almost no
# samples: $q(x > 3) \approx 10^{-4}$, so about *half a sample* out of 5,000 lands there, while
# $p^*$ still puts about 5% of its mass there. The classifier only learns that this region is
# "very real". Nothing tells it *how* real, so its estimate of a ratio that grows like $x^2$
# flattens out or wanders:

# %%
right_tail = x_grid.reshape(-1) > 3.0
for name, sample in (("p*", real), ("q", fake)):
    print(f"{name}: {(sample > 3.0).sum().item():>4} of {n_train} training samples have x > 3")
print(f"{'rule':<12} {'bulk error':>11} {'error for x in (3, 5]':>22}")
for name in ["bernoulli", "brier", "spherical"]:
    estimate_grid = classifiers[name].log_ratio(x_grid)
    tail_error = (estimate_grid - true_grid)[right_tail].abs().mean()
    print(f"{name:<12} {ratio.bulk_error(estimates_test[name], true_test):>11.3f} {tail_error:>22.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.5))
plot_log_ratio_1d(ax, x_grid, true_grid, classifiers["bernoulli"].log_ratio(x_grid), p=p_star, q=q,
                  title="Bernoulli estimate beyond the data", bulk_threshold=ratio.BULK_THRESHOLD)
ax.plot(fake[fake > 2.0], torch.full_like(fake[fake > 2.0], -3.5), "|", color="tab:orange", ms=10)
ax.set_ylim(-4, 12)
plt.show()

# %% [markdown]
# The orange ticks at the bottom are every simulated sample beyond $x = 2$. Past the last of
# them, the estimate is an extrapolation by the network, not a measurement. A GAN meets this
# constantly. Early in training $q_\theta$ and $p^*$ barely overlap, so $r \ll 1$ or $r \gg 1$
# almost everywhere, and the discriminator's ratio is exactly this kind of guess. Lessons 04 and
# 05 come back to it.
#
# ## The same in 2D
#
# Nothing above depended on the dimension. Here $p^*$ is a correlated Gaussian and $q$ an
# isotropic one, and the estimated log ratio is shown beside the truth:

# %%
p_star_2d = toy.Gaussian([1.0, 0.5], cov=[[1.0, 0.6], [0.6, 1.0]])
q_2d = toy.Gaussian([-0.5, 0.0], std=0.8)
real_2d, fake_2d = p_star_2d.sample(n_train, rng), q_2d.sample(n_train, rng)
test_2d = torch.cat([p_star_2d.sample(20_000, rng), q_2d.sample(20_000, rng)])
true_test_2d = toy.log_ratio(p_star_2d, q_2d, test_2d)

classifiers_2d = {name: ratio.fit_ratio_classifier(real_2d, fake_2d, rule=name, steps=steps)
                  for name in ["bernoulli", "hinge"]}
for name, classifier in classifiers_2d.items():
    estimate = classifier.log_ratio(test_2d)
    print(f"2D {name:<10} bulk error {ratio.bulk_error(estimate, true_test_2d):.3f} nats, "
          f"sign agrees {ratio.sign_agreement(estimate, true_test_2d):.1%}")

grid_x, grid_y, grid_points = grid_2d(-3.5, 4.0, 120)
panels = {"true log r": toy.log_ratio(p_star_2d, q_2d, grid_points)}
panels.update({f"{name} estimate": c.log_ratio(grid_points) for name, c in classifiers_2d.items()})
fig, axes = row_of_axes(3, width=3.4, height=3.4)
levels = torch.linspace(-6, 6, 25)
for ax, (title, values) in zip(axes, panels.items()):
    filled = contour_2d(ax, grid_x, grid_y, values, levels, title=title,
                        real=real_2d[:300], fake=fake_2d[:300])
fig.colorbar(filled, ax=axes, shrink=0.8, label="log r")
plt.show()

# %% [markdown]
# Where the samples are, the Bernoulli classifier reproduces the truth's contours. The hinge
# classifier finds the same black decision boundary ($\log r = 0$) there, but its surface is a
# plateau at $\pm 1$. At the lower left the truth has a second zero contour where almost no
# samples of either class go. Whatever the estimates draw there is extrapolation.
#
# ## Summary
#
# - A classifier between real and simulated samples is a density-ratio estimator:
#   $\log\hat r = l_\phi - \log\frac{\pi}{1-\pi}$.
# - This holds for **strictly proper** scoring rules: Bernoulli (the original GAN), Brier (the
#   squared error of the probability; LSGAN's squared error is on the raw output instead),
#   exponential, spherical. Hinge and 0–1 recover only the decision. The 0–1 loss also has no
#   gradient.
# - The estimate is trustworthy only where both distributions have samples.
#
# Next: **exercises/01_density_ratio_exercises.ipynb** has you implement the rules and the
# ratio yourself. Lesson 02 turns the classifier's ratio into a divergence that a generator
# can minimise.
