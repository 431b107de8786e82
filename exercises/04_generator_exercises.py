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
# # 04 · Exercises: learning the generator
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Work in order: later tasks use earlier answers.
#
# Notation as in the lecture: the discriminator outputs a logit $l$ with
# $\mathcal{D} = \sigma(l)$; the generator maps noise $\mathbf{z}\sim\mathcal{N}(0, I)$ to fakes
# $\mathbf{x} = G_\theta(\mathbf{z})$. A generator loss takes `logits_fake`, the discriminator's
# logits on a batch of fakes, and returns **one number**, the mean over the batch.

# %%
import torch
import torch.nn.functional as F

import gan_course
from gan_course import checks, ratio
from gan_course.data import toy
from gan_course.gan_losses import minimax, non_saturating
from gan_course.models import mlp

device = gan_course.setup(seed=0)


# %% [markdown]
# ## Task 1 · The saturating generator loss
#
# The minimax game gives the generator $\mathbb{E}_\mathbf{z}[\log(1 - \mathcal{D}(G(\mathbf{z})))]$
# to minimise. Write it from the logits without forming $\log(1-\sigma(l))$ directly: for
# $l = 100$ that is $\log 0$ in float32 (the check tries it). Which identity from lesson 01 helps?

# %% nbgrader={"grade": false, "grade_id": "saturating_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def saturating_generator_loss(logits_fake):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_saturating_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_generator_loss(saturating_generator_loss, "saturating")


# %% [markdown]
# ## Task 2 · The non-saturating generator loss
#
# $$-\mathbb{E}_\mathbf{z}[\log\mathcal{D}(G(\mathbf{z}))]$$
#
# As in Task 1, it must stay finite for large $|l|$ (the check tries $l = -100$).

# %% nbgrader={"grade": false, "grade_id": "non_saturating_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def non_saturating_generator_loss(logits_fake):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_non_saturating_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_generator_loss(non_saturating_generator_loss, "non_saturating")

# %% [markdown]
# ## Task 3 · Slopes at the logit
#
# Use autograd to measure $|\partial\ell/\partial l|$ of each loss for a single fake whose logit is
# $l = \log r$ with $r = 10^{-3}$ (a fake that an optimal discriminator confidently rejects). Store
# the two numbers in `slope_saturating` and `slope_non_saturating`. The lecture predicts
# $\mathcal{D} = r/(1+r)$ and $1 - \mathcal{D}$.
#
# Measure the course's own losses, `minimax` and `non_saturating` (imported above; they take the
# logits on real and on fake samples, pass `None` for the real ones, and their `.generator` is the
# generator's loss, the one you wrote in Tasks 1 and 2), so that this task stands on its own.

# %% nbgrader={"grade": false, "grade_id": "slopes", "locked": false, "schema_version": 3, "solution": true, "task": false}
r = 1e-3
slope_saturating = slope_non_saturating = None  # your two measurements
# YOUR CODE HERE
raise NotImplementedError()
print(f"saturating {slope_saturating:.2e}, non-saturating {slope_non_saturating:.4f}")

# %% nbgrader={"grade": true, "grade_id": "check_slopes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_slopes(slope_saturating, slope_non_saturating, r)


# %% [markdown]
# ## Task 4 · A reparameterised sample
#
# A Gaussian generator with parameters `mean` and `log_std` (tensors of shape `(d,)`) turns noise of
# shape `(n, d)` into samples $\mathbf{x} = \boldsymbol\mu + \exp(\log\boldsymbol\sigma)\odot\mathbf{z}$. Write it so
# that gradients flow from the samples back to `mean` and `log_std`.

# %% nbgrader={"grade": false, "grade_id": "reparameterised_sample", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reparameterised_sample(mean, log_std, noise):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_reparameterised_sample", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_reparameterised_sample(reparameterised_sample)


# %% [markdown]
# ## Task 5 · One generator step
#
# Write one update of the generator with the discriminator held fixed, with the signature of the
# course's training loop (`gan_course.train.generator_step`):
#
# $$\theta \leftarrow \theta - \eta \cdot \text{opt}\big(\nabla_\theta \mathcal{L}_G(\phi, \theta)\big).$$
#
# `loss` is a GAN loss from `gan_course.gan_losses` (for example `non_saturating`): it takes the
# logits on real and on fake samples and returns a `Loss` whose `.generator` is $\mathcal{L}_G$. The
# generator's objective depends on the fakes alone, so pass `None` for the real logits. Push the
# noise through the generator, score the fakes with the discriminator, take one step of `optimizer`
# (it holds the generator's parameters only), and return $\mathcal{L}_G$. Remember that PyTorch
# *accumulates* gradients.

# %% nbgrader={"grade": false, "grade_id": "generator_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def generator_step(generator, discriminator, optimizer, loss, noise):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_generator_step", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_generator_step(generator_step)

# %% [markdown]
# ## Task 6 · Your step against a confident discriminator
#
# The cell below trains a discriminator to reject a fresh generator's samples (lesson 01's ratio
# classifier), freezes it, and runs 200 of **your** generator steps with plain gradient descent,
# once with the saturating loss (`minimax`, whose generator objective is your Task 1) and once with
# the non-saturating one (your Task 2). Run it and read the numbers.

# %%
ring = toy.ring_of_gaussians()
start_generator = mlp(2, 2, width=64, depth=2, seed=0)
noise = torch.randn(256, 2, generator=torch.Generator().manual_seed(1))
discriminator = ratio.fit_ratio_classifier(
    ring.sample(2000, rng=torch.Generator().manual_seed(2)),
    start_generator(torch.randn(2000, 2, generator=torch.Generator().manual_seed(3))).detach(),
    "bernoulli", steps=gan_course.budget(full=1000, quick=300), seed=0).network.requires_grad_(False)

for loss in (minimax, non_saturating):
    generator = mlp(2, 2, width=64, depth=2)
    generator.load_state_dict(start_generator.state_dict())
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.05)
    for _ in range(200):
        generator_step(generator, discriminator, optimizer, loss, noise)
    with torch.no_grad():
        fakes = generator(noise)
        d_fake = torch.sigmoid(discriminator(fakes)).mean()
    print(f"{loss.__name__:16s} mean D(G(z)) {d_fake:.1e}, mean distance from the origin "
          f"{fakes.norm(dim=1).mean():.2f} (the ring has radius 2)")

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_saturation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ## Task 7 · Explain
#
# In two or three sentences: why did one generator move and the other stay put, and why would
# Adam instead of plain gradient descent make the difference smaller?
#
# YOUR ANSWER HERE
