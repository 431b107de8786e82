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
# # 03 · Exercises: ratio matching and moment matching
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Work in order: later tasks use earlier answers.
#
# Notation as in the lecture: real samples $\mathbf{x} \sim p^*$, simulated samples $\mathbf{x} \sim q$,
# the true ratio $r^* = p^*/q$, and a model $r$ of it. Expectations are means over samples.

# %%
import torch

import gan_course
from gan_course import checks
from gan_course.data import toy
from gan_course.divergences import kernels

device = gan_course.setup(seed=0)


# %% [markdown]
# ## Task 1 · The LSIF loss
#
# Least-squares importance fitting uses $f(t) = \frac12(t-1)^2$ in the Bregman ratio loss
# $\mathcal{L}_f(r) = \mathbb{E}_q[f'(r)\,r - f(r)] - \mathbb{E}_{p^*}[f'(r)]$, which works out to
#
# $$\mathcal{L}_{\text{LSIF}}(r) = \tfrac12\,\mathbb{E}_q[r^2] - \mathbb{E}_{p^*}[r] + \tfrac12 .$$
#
# Your function gets the model's **log ratios** $l = \log r$ at the real samples (`log_ratio_real`,
# a 1D tensor) and at the simulated samples (`log_ratio_fake`), and returns one number. Keep the
# constant $\frac12$: with it, the loss at $r = r^*$ is exactly $-\frac12\chi^2(p^*\|q)$.

# %% nbgrader={"grade": false, "grade_id": "lsif_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def lsif_loss(log_ratio_real, log_ratio_fake):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_lsif_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_lsif_loss(lsif_loss)


# %% [markdown]
# ## Task 2 · The uLSIF solution
#
# With a linear model on $b$ basis functions, $r_\alpha(\mathbf{x}) = \sum_l \alpha_l K(\mathbf{x}, \mathbf{c}_l)$,
# the LSIF loss plus a ridge $\frac\lambda2\|\alpha\|^2$ is the quadratic
# $\frac12\alpha^\top\hat H\alpha - \hat h^\top\alpha + \frac\lambda2\alpha^\top\alpha + \frac12$ with
#
# $$\hat H = \frac{1}{n_q}\sum_{\mathbf{x}_j \sim q} K(\mathbf{x}_j)\,K(\mathbf{x}_j)^\top, \qquad
# \hat h = \frac{1}{n_p}\sum_{\mathbf{x}_i \sim p^*} K(\mathbf{x}_i).$$
#
# Set its gradient to zero and return the unconstrained minimiser $\tilde\alpha$, a tensor of
# shape $(b,)$. `kernel_real` is the
# $(n_p, b)$ matrix of $K(\mathbf{x}_i, \mathbf{c}_l)$ at the real samples, `kernel_fake` the $(n_q, b)$
# matrix at the simulated ones. Use `torch.linalg.solve` rather than an explicit inverse.

# %% nbgrader={"grade": false, "grade_id": "ulsif_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ulsif_weights(kernel_real, kernel_fake, regularisation):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_ulsif_weights", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_ulsif_weights(ulsif_weights)

# %% [markdown]
# ## Task 3 · Your uLSIF fit against the true ratio (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your earlier functions,
# which Tasks 1 and 2 grade on their own. If it fails, the message names the task to revisit.
# This cell fits a ratio with **your** `ulsif_weights` on two Gaussians,
# $p^* = \mathcal{N}(0.5, 0.7^2)$ and $q = \mathcal{N}(0, 1)$, whose ratio we know, and scores your fit with
# **your** `lsif_loss`. The basis: 100 Gaussian kernels of width $\sigma = 0.4$ centred at real
# samples, and $\lambda = 0.1$. Negative weights are clipped to $0$ afterwards, as uLSIF does.

# %% nbgrader={"grade": false, "grade_id": "check_your_ulsif_fit", "locked": true, "schema_version": 3, "solution": false, "task": false}
p_star, q = toy.Gaussian(0.5, std=0.7), toy.Gaussian(0.0, std=1.0)
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(1000, rng).double(), q.sample(1000, rng).double()
centres = real[:100]
kernel = lambda x: kernels.gaussian_kernel_matrix(x, centres, 0.4)  # noqa: E731

weights = ulsif_weights(kernel(real), kernel(fake), 0.1).clamp_min(0.0)
test = q.sample(20_000, rng).double()
estimate, truth = kernel(test) @ weights, toy.log_ratio(p_star, q, test).exp()
print(f"mean |r̂ - r*| under q: {float((estimate - truth).abs().mean()):.3f}")

held_out_real = p_star.sample(20_000, rng).double()
your_loss = float(lsif_loss(torch.log(kernel(held_out_real) @ weights), torch.log(estimate)))
best_loss = float(lsif_loss(toy.log_ratio(p_star, q, held_out_real), truth.log()))
print(f"your LSIF loss on held-out samples: {your_loss:.4f}; the true ratio's: {best_loss:.4f}, "
      "the lowest any ratio can reach (up to sampling error)")
checks.check_ratio_fit(estimate, truth)


# %% [markdown]
# ## Task 4 · A Gaussian kernel
#
# Return the matrix $k(\mathbf{x}_i, \mathbf{y}_j) = \exp\!\big(-\|\mathbf{x}_i - \mathbf{y}_j\|^2 / (2\sigma^2)\big)$
# for points `x` of shape $(m, d)$ and `y` of shape $(n, d)$: an $(m, n)$ tensor. `bandwidth` is $\sigma$.

# %% nbgrader={"grade": false, "grade_id": "gaussian_kernel", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gaussian_kernel(x, y, bandwidth):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_gaussian_kernel", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_gaussian_kernel(gaussian_kernel)


# %% [markdown]
# ## Task 5 · The unbiased MMD²
#
# Return the U-statistic for samples `x` ($m$ points) and `y` ($n$ points), computing every kernel
# matrix with the function `kernel` you are given (called as `kernel(a, b, bandwidth)`, like your
# `gaussian_kernel`; the check hands you the course's own, so that this task is tested on its own):
#
# $$\widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)}\sum_{i \ne j} k(\mathbf{x}_i, \mathbf{x}_j)
# + \frac{1}{n(n-1)}\sum_{i \ne j} k(\mathbf{y}_i, \mathbf{y}_j)
# - \frac{2}{mn}\sum_{i, j} k(\mathbf{x}_i, \mathbf{y}_j).$$
#
# The sums within a sample leave out the diagonal $i = j$, where $k = 1$ always.

# %% nbgrader={"grade": false, "grade_id": "unbiased_mmd2", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unbiased_mmd2(kernel, x, y, bandwidth):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_unbiased_mmd2", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_unbiased_mmd2(unbiased_mmd2)

# %% [markdown]
# ## Task 6 · Unbiased means mean zero (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your earlier functions,
# which Tasks 4 and 5 grade on their own. If it fails, the message names the task to revisit.
# This cell draws two samples of 20 points from the **same** distribution
# many times and averages **your** `unbiased_mmd2`, with your `gaussian_kernel`, over the draws.
# An unbiased estimate of $\mathrm{MMD}^2 = 0$ must average $0$ within a few standard errors,
# although each single value can be negative. The biased estimate (every pair, $i = j$ included) is shown for comparison.

# %% nbgrader={"grade": false, "grade_id": "check_mean_near_zero", "locked": true, "schema_version": 3, "solution": false, "task": false}
repeats = gan_course.budget(full=400, quick=100)
rng = torch.Generator().manual_seed(1)
values, biased = [], []
for _ in range(repeats):
    x, y = torch.randn(20, 2, generator=rng), torch.randn(20, 2, generator=rng)
    values.append(float(unbiased_mmd2(gaussian_kernel, x, y, 1.0)))
    biased.append(float((gaussian_kernel(x, x, 1.0).mean() + gaussian_kernel(y, y, 1.0).mean()
                         - 2 * gaussian_kernel(x, y, 1.0).mean())))
values = torch.tensor(values)
negative = float((values < 0).float().mean())
print(f"your unbiased MMD²: {float(values.mean()):+.4f} on average, negative in {negative:.0%} of "
      f"{repeats} draws; the biased one: {sum(biased) / repeats:+.4f}")
checks.check_mean_near_zero(values)

# %% [markdown]
# ## Task 7 · In your own words
#
# The lecture used $p^* = \mathcal{N}(0.5, 0.7^2)$ and $q = \mathcal{N}(0, 1)$, where $q$ has the heavier
# tails. Suppose instead that $q$ is the *narrower* one, $p^* = \mathcal{N}(0, 1.2^2)$ and
# $q = \mathcal{N}(0, 0.8^2)$, as in lesson 01. In two or three sentences: what happens to the LSIF loss
# $\frac12\mathbb{E}_q[r^2] - \mathbb{E}_{p^*}[r]$ and to its minimum $-\frac12\chi^2(p^*\|q)$, why, and which of
# the lecture's ratio losses you would use instead. (Hint: compare the tails of $p^{*2}/q$.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "lsif_tails_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE
