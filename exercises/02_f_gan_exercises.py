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
# # 02 · Exercises: f-divergences and the f-GAN bound
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Work in order: later tasks use earlier answers.
#
# Notation as in the lecture: $D_f[p^*\|q] = \mathbb{E}_{q}[f(r)]$ with $r = p^*/q$; the convex conjugate
# $f^\dagger(t) = \sup_{u \ge 0}\{t u - f(u)\}$; a critic outputs a logit $v$, and the output activation gives
# $t = g_f(v)$. The variational bound is $D_f \ge \mathbb{E}_{p^*}[t] - \mathbb{E}_{q}[f^\dagger(t)]$. Every function
# works **elementwise** on a tensor, except the bound, which returns one number.

# %%
import torch
import torch.nn.functional as F

import gan_course
from gan_course import checks, ratio
from gan_course.data import toy
from gan_course.divergences import f_divergences as fd

device = gan_course.setup(seed=0)


# %% [markdown]
# ## Task 1 · The conjugate of KL
#
# For $f(u) = u\log u$ (so that $D_f = \mathrm{KL}(p^*\|q)$), find $f^\dagger(t) = \sup_u \{t u - u\log u\}$. Set the
# derivative with respect to $u$ to zero, solve for $u$, and put it back.

# %% nbgrader={"grade": false, "grade_id": "kl_conjugate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def kl_conjugate(t):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_kl_conjugate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_conjugate(kl_conjugate, "kl")


# %% [markdown]
# ## Task 2 · The conjugate of the GAN divergence
#
# For $f(u) = u\log u - (u+1)\log(u+1)$ (the original GAN's, $D_f = 2\,\mathrm{JS} - \log 4$), the conjugate is defined
# for $t < 0$. The maximiser satisfies $t = \log\frac{u}{u+1}$. Find $f^\dagger(t)$.
#
# Hint: write the answer so that it stays accurate for $t$ close to $0$, where $e^t$ rounds to $1$ in float32
# and $1 - e^t$ loses its digits (the check tries $t = -10^{-6}$). Which of PyTorch's functions is made for this?

# %% nbgrader={"grade": false, "grade_id": "gan_conjugate", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gan_conjugate(t):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_gan_conjugate", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_conjugate(gan_conjugate, "gan")


# %% [markdown]
# ## Task 3 · The GAN's output activation
#
# The GAN conjugate needs $t < 0$, but a network outputs any $v \in \mathbb{R}$. Nowozin et al. use
# $g_f(v) = -\log(1 + e^{-v})$. Implement it so that it is right for large $|v|$ in float32 (the check tries
# $v = -200$ and $v = 100$): $e^{200}$ overflows, and $\sigma(-200)$ rounds to $0$.
# What is $g_f(v)$ in terms of $\mathcal{D} = \sigma(v)$?

# %% nbgrader={"grade": false, "grade_id": "gan_activation", "locked": false, "schema_version": 3, "solution": true, "task": false}
def gan_activation(v):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_gan_activation", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_activation(gan_activation, "gan")


# %% [markdown]
# ## Task 4 · The optimal reverse-KL critic
#
# The bound is tight at $t^*(\mathbf{x}) = f'(r(\mathbf{x}))$. For reverse KL, $f(u) = -\log u$. Given `log_r`
# $= \log r(\mathbf{x})$, return $t^*$.

# %% nbgrader={"grade": false, "grade_id": "reverse_kl_optimal_critic", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reverse_kl_optimal_critic(log_r):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_reverse_kl_optimal_critic", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_optimal_critic(reverse_kl_optimal_critic, "reverse_kl")


# %% [markdown]
# ## Task 5 · The variational bound
#
# Given an output activation, a conjugate, and the critic's raw outputs on real samples
# ($\mathbf{x} \sim p^*$) and on simulated ones ($\mathbf{x} \sim q$), return the estimate
#
# $$\frac{1}{n}\sum_{i} g_f(v(\mathbf{x}^*_i)) \;-\; \frac{1}{m}\sum_{j} f^\dagger\big(g_f(v(\mathbf{x}_j))\big).$$
#
# The two batches may have different sizes ($n \ne m$). Return a scalar tensor that stays
# differentiable: Task 6 trains a critic by maximising it.

# %% nbgrader={"grade": false, "grade_id": "variational_bound", "locked": false, "schema_version": 3, "solution": true, "task": false}
def variational_bound(activation, conjugate, critic_outputs_real, critic_outputs_fake):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_variational_bound", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_variational_bound(variational_bound)

# %% [markdown]
# ## Task 6 · Your bound estimates KL (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your earlier functions,
# which Tasks 1 and 5 grade on their own. This cell trains a critic on samples of
# $p^* = \mathcal{N}(0, 1)$ and $q = \mathcal{N}(1, 1.5^2)$ by maximising **your** bound with **your** KL
# conjugate (the KL activation is $g_f(v) = v$), using lesson 01's small training loop. It prints your
# bound on fresh samples, then checks the critic's bound with exact expectations against the exact
# $\mathrm{KL}(p^*\|q)$. If it fails, the message names the task to revisit.

# %% nbgrader={"grade": false, "grade_id": "check_your_kl_estimate", "locked": true, "schema_version": 3, "solution": false, "task": false}
p_star, q = toy.Gaussian(0.0, std=1.0), toy.Gaussian(1.0, std=1.5)
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(10_000, rng), q.sample(10_000, rng)


def identity(v):
    return v


def negative_bound(logits_real, logits_fake, prior):  # the critic minimises minus the bound
    return -variational_bound(identity, kl_conjugate, logits_real, logits_fake)


critic = ratio.fit_ratio_classifier(real, fake, rule=negative_bound, steps=gan_course.budget(full=1500, quick=300))
fresh_real, fresh_fake = p_star.sample(100_000, rng), q.sample(100_000, rng)
your_estimate = variational_bound(identity, kl_conjugate, critic.logits(fresh_real), critic.logits(fresh_fake))
exact_kl = fd.exact_divergence("kl", p_star, q)
print(f"exact KL(p* || q) = {exact_kl:.4f}; your bound on fresh samples = {float(your_estimate):.4f}")
checks.check_trained_bound(fd.quadrature_bound("kl", critic.logits, p_star, q), exact_kl, tolerance=0.05)

# %% [markdown]
# ## Task 7 · In your own words
#
# In the lecture, on a target with a heavy mode (80%) and a light one (20%), the KL f-GAN moved samples
# onto the light mode and the reverse-KL f-GAN did not. Explain in two or three sentences why, using
# $\mathrm{KL}(p^*\|q) = \mathbb{E}_{p^*}[\log r]$ and $\mathrm{KL}(q\|p^*) = \mathbb{E}_{q}[-\log r]$: where does each one look, and what does a
# generator that ignores the light mode cost under each?

# %% [markdown] nbgrader={"grade": true, "grade_id": "mode_seeking_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE
