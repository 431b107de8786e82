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
# # 08 · Exercises: Lipschitz constraints and gradient penalties
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference in `gan_course.penalties`.
# Otherwise the check says what differs and gives a hint.
#
# Notation as in the lecture: a discriminator (or critic) $D_\phi$ maps points of shape `(B, 2)` to
# outputs of shape `(B, 1)` (a logit $l_\phi$ for NS-GAN, a score $f_\phi$ for WGAN); real samples
# $\mathbf{x}\sim p^*$, fakes $\tilde{\mathbf{x}} = G_\theta(\mathbf{z}) \sim q_\theta$, penalty weight $\lambda$.
# The penalties here are random (where they look is drawn afresh at every update). **Your
# functions take that randomness as an argument**, so that the checks can hand you exactly the
# numbers that the reference draws, and compare.

# %%
import torch

import gan_course
from gan_course import checks, metrics
from gan_course.data import toy
from gan_course.batched import train_batch
from gan_course.toy_training import GANConfig

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Task 1 · Weight clipping
#
# WGAN (Arjovsky et al. 2017) keeps its critic Lipschitz by clamping every weight and bias to
# $[-c, c]$ after each update of the critic. Write `clip_weights(parameters, c)`: it receives a list
# of parameter tensors and changes them **in place**. It returns nothing.
#
# Hints: PyTorch refuses in-place changes of leaf tensors that require gradients unless you
# work inside `torch.no_grad()`; tensor methods ending in `_` work in place.

# %% nbgrader={"grade": false, "grade_id": "clip_weights", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_weights(parameters, c):
    ### BEGIN SOLUTION
    with torch.no_grad():
        for parameter in parameters:
            parameter.clamp_(-c, c)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_clip_weights", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_clip_weights(clip_weights)
### BEGIN HIDDEN TESTS
checks.check_clip_weights(clip_weights, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2 · The WGAN-GP penalty
#
# Gulrajani et al. (2017) replace clipping by a penalty on the critic's input gradient at random
# points $\hat{\mathbf{x}}$ between paired real and fake samples:
#
# $$\lambda\, \mathbb{E}_{\hat{\mathbf{x}}}\big[(\|\nabla_{\hat{\mathbf{x}}} D_\phi(\hat{\mathbf{x}})\|_2 - 1)^2\big],
# \qquad \hat{\mathbf{x}}_i = \epsilon_i \mathbf{x}_i + (1-\epsilon_i)\,\tilde{\mathbf{x}}_i,\quad \epsilon_i \sim U[0, 1].$$
#
# Write `wgan_gp_penalty(discriminator, real, fake, epsilon, weight)`, where `epsilon` has shape
# `(B, 1)` (one $\epsilon_i$ per pair). Return one number, the mean over the $B$ points times $\lambda$.
#
# Two things matter:
# 1. The gradient is with respect to the **input** points, so $\hat{\mathbf{x}}$ must be a leaf of
#    its own that autograd differentiates with respect to (`torch.autograd.grad`). Taking the
#    gradient of the summed outputs is fine: no layer mixes samples, so its value at
#    $\hat{\mathbf{x}}_i$ is the gradient of $D_\phi(\hat{\mathbf{x}}_i)$.
# 2. The discriminator's optimiser must differentiate the penalty **again**, with respect to
#    $\phi$: the gradient you compute must itself be part of a graph.
#
# The check starts with linear critics $D(\mathbf{x}) = \mathbf{w}^\top\mathbf{x} + b$, whose gradient is $\mathbf{w}$
# everywhere: $\|\mathbf{w}\| = 1$ must give exactly 0.

# %% nbgrader={"grade": false, "grade_id": "wgan_gp_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def wgan_gp_penalty(discriminator, real, fake, epsilon, weight=10.0):
    ### BEGIN SOLUTION
    points = (epsilon * real + (1 - epsilon) * fake).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=True)
    return weight * ((gradients.norm(dim=1) - 1) ** 2).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_wgan_gp_penalty", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_wgan_gp_penalty(wgan_gp_penalty)
### BEGIN HIDDEN TESTS
checks.check_wgan_gp_penalty(wgan_gp_penalty, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3 · The DRAGAN penalty
#
# DRAGAN (Kodali et al. 2017) uses the same $(\|\nabla D\| - 1)^2$ but looks only **near the real
# data**, whatever the generator does. In the form of Fedus et al. (2018) and
# `gan_course.penalties.DRAGANPenalty`:
#
# $$\hat{\mathbf{x}}_i = \mathbf{x}_i + \alpha_i\,\delta_i,\qquad
# \delta_i = \texttt{noise\_scale}\cdot\boldsymbol{\sigma}\odot\mathbf{u}_i,\qquad
# \mathbf{u}_i \sim \mathcal{N}(0, I),\quad \alpha_i \sim U[0, 1],$$
#
# where $\boldsymbol{\sigma}$ is the standard deviation of the real batch **per coordinate** (shape
# `(1, 2)`), as torch's `std` computes it (dividing by $B - 1$).
# Write `dragan_penalty(discriminator, real, noise, alpha, weight, noise_scale)` with `noise`
# $=\mathbf{u}$ of shape `(B, 2)` and `alpha` of shape `(B, 1)`. The fakes do not appear at all.

# %% nbgrader={"grade": false, "grade_id": "dragan_penalty", "locked": false, "schema_version": 3, "solution": true, "task": false}
def dragan_penalty(discriminator, real, noise, alpha, weight=10.0, noise_scale=0.5):
    ### BEGIN SOLUTION
    sigma = real.std(dim=0, keepdim=True)
    points = (real + alpha * noise_scale * sigma * noise).detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=True)
    return weight * ((gradients.norm(dim=1) - 1) ** 2).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_dragan_penalty", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_dragan_penalty(dragan_penalty)
### BEGIN HIDDEN TESTS
checks.check_dragan_penalty(dragan_penalty, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 4 · Train a GAN-GP with your penalty (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your `wgan_gp_penalty`,
# which Task 2 grades on its own. If it fails, the message names the task to revisit.
# The training loop calls a penalty as `penalty(discriminator, real, fake)`,
# so the small class below draws $\epsilon$ from its own seeded random stream (as the reference
# does) and calls **your** `wgan_gp_penalty`. We train two NS-GANs side by side on the ring of
# the lecture, from the same seed: one with your penalty (GAN-GP) and one without. Then we
# measure the slope of each final discriminator, $\|\nabla_{\mathbf{x}} l_\phi\|$, at points $\hat{\mathbf{x}}$ between the
# data and the final samples. The penalty asks for slope 1 there, so $\mathbb{E}[(\|\nabla l_\phi(\hat{\mathbf{x}})\| - 1)^2]$
# should be small with it and much larger without it.

# %% nbgrader={"grade": false, "grade_id": "check_penalised_training", "locked": true, "schema_version": 3, "solution": false, "task": false}
class YourGradientPenalty:
    """ε ~ U[0, 1] from this penalty's own random stream, then your wgan_gp_penalty."""

    def __init__(self, weight=10.0, seed=0):
        self.weight = weight
        self.rng = torch.Generator().manual_seed(seed)

    def __call__(self, discriminator, real, fake):
        epsilon = torch.rand((real.shape[0], 1), generator=self.rng)
        return wgan_gp_penalty(discriminator, real, fake, epsilon, self.weight)


data = toy.ring_of_gaussians(std=0.05)
settings = dict(loss="non_saturating", lr_disc=2e-3, lr_gen=2e-3, width=64, depth=2, batch_size=128)
with_penalty, without_penalty = train_batch(
    data, [GANConfig(penalty=YourGradientPenalty(seed=0), **settings), GANConfig(**settings)],
    steps=gan_course.budget(full=3000, quick=300), record_every=100)
for label, run in (("GAN-GP (your penalty)", with_penalty), ("NS-GAN (no penalty)", without_penalty)):
    slopes = checks.many_paths.slopes_between(run)
    print(f"{label:<22} between data and samples: median ‖∇l‖ = {float(slopes.median()):.2f}, "
          f"mean (‖∇l‖ − 1)² = {float(((slopes - 1) ** 2).mean()):.3f}; "
          f"exact W₁ at the end: {metrics.exact_wasserstein(run.fake[-1], run.real):.2f}")
checks.check_penalised_training(with_penalty)

# %% [markdown]
# ## Task 5 · In your own words
#
# At initialisation the generator's samples and the ring do not overlap, so
# $\mathrm{JS}(p^*, q_\theta) = \log 2$ for every small change of $\theta$: the divergence has zero gradient.
# Yet the NS-GAN of the lecture learns the ring. In three to five sentences: (a) where does the
# generator's learning signal come from, if not from the gradient of the divergence? (b) At the
# equilibrium $q_\theta = p^*$, what is the optimal discriminator, and what is its gradient norm? What
# does the WGAN-GP penalty, centred at 1, ask of the discriminator there?

# %% [markdown] nbgrader={"grade": true, "grade_id": "many_paths_explanation", "locked": false, "points": 3, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# (a) The generator never sees the divergence. It follows the gradient of its own loss through
# the *current* discriminator, $-\nabla_{\mathbf{x}} \log D_\phi(\mathbf{x})$ at its samples. $D_\phi$ is a smooth
# network trained for a few steps, not the optimal discriminator: between the supports it is a
# ramp that rises towards the data, so its gradient points from the fakes to the data even where
# $\mathrm{JS}$ is flat. The non-saturating loss keeps that gradient large when $D(G(\mathbf{z})) \approx 0$.
# The divergence describes the optimal discriminator, which training never reaches, so it does not
# have to decrease at every step.
#
# (b) At $q_\theta = p^*$ the optimal discriminator is $D^* = \frac{1}{2}$ everywhere: its logit is the
# constant $0$ and its gradient norm is $0$. A two-sided penalty centred at 1 asks for
# $\|\nabla_{\hat{\mathbf{x}}} l_\phi\| = 1$ at the interpolates, which contradicts $D^*$. So the penalised
# discriminator keeps a slope and keeps pushing the generator, even at the equilibrium. This is why
# Mescheder et al. (2018) propose zero-centred penalties such as R1, which vanish at $D^*$.
# ### END SOLUTION
