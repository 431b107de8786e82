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
# # 07 · Exercises: α-GAN, an auto-encoder inside a GAN
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Each task is checked on its own.
#
# Notation as in the lecture: a latent variable model $p_\theta(\mathbf{x}) = \int
# p_\theta(\mathbf{x}|\mathbf{z})\, p(\mathbf{z})\, d\mathbf{z}$ with prior $p(\mathbf{z}) =
# \mathcal{N}(0, I)$, and an encoder $q_\eta(\mathbf{z}|\mathbf{x})$. The ELBO
#
# $$\log p_\theta(\mathbf{x}) \ge \mathbb{E}_{q_\eta(\mathbf{z}|\mathbf{x})}\big[\log
#   p_\theta(\mathbf{x}|\mathbf{z})\big] - \mathrm{KL}\big[q_\eta(\mathbf{z}|\mathbf{x}) \,\|\,
#   p(\mathbf{z})\big]$$
#
# has two terms that α-GAN (Rosca, Lakshminarayanan, Warde-Farley & Mohamed 2017) replaces by
# things it can learn from samples:
#
# - the **likelihood** by a reconstruction, $\log p_\theta(\mathbf{x}|\mathbf{z}) \approx
#   -\lambda \|\mathbf{x} - G_\theta(\mathbf{z})\|_1$, and a "synthetic likelihood" from an image
#   discriminator $D_\phi$ (the density-ratio trick on images);
# - the **KL** by a density ratio in code space, estimated by a **code discriminator** $C_\omega$
#   that tells prior samples from codes, so that the encoder can be implicit: here a
#   deterministic network $\mathbf{z} = E_\eta(\mathbf{x})$.
#
# Four networks, each with its own loss and its own optimiser: the generator $G_\theta$, the
# encoder $E_\eta$, the image discriminator $D_\phi$ and the code discriminator $C_\omega$.
# Discriminators output logits $l$, with $D = \sigma(l)$ and $C = \sigma(l)$.

# %%
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import gan_course
from gan_course import alpha_gan, checks
from gan_course.alpha_gan import (
    HYBRIDS,
    build_networks,
    encoder_code_loss,
    image_discriminator_loss,
    make_optimizers,
    synthetic_likelihood_loss,
)
from gan_course.config import budget, progress_bar
from gan_course.data import toy
from gan_course.metrics import mode_coverage

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Task 1 · The code discriminator's loss
#
# The KL term is an expectation of a log density ratio,
#
# $$-\mathrm{KL}\big[q_\eta(\mathbf{z}|\mathbf{x}) \,\|\, p(\mathbf{z})\big] =
#   \mathbb{E}_{q_\eta(\mathbf{z}|\mathbf{x})}\Big[\log \frac{p(\mathbf{z})}{q_\eta(\mathbf{z}|\mathbf{x})}\Big],$$
#
# and lesson 01's trick estimates a ratio with a classifier: trained with the Bernoulli loss to
# call samples of one distribution "real" (label 1) and of the other "fake" (label 0), its
# $C/(1 - C)$ estimates $p_{\text{real}}/p_{\text{fake}}$. The code discriminator $C_\omega$ sees
# prior samples $\mathbf{z} \sim p(\mathbf{z})$ and codes $E_\eta(\mathbf{x})$, $\mathbf{x} \sim p^*$.
#
# Write `code_discriminator_loss(logits_prior, logits_codes)`: the logits of $C_\omega$ on a batch
# of prior samples and on a batch of codes (tensors of shape (N, 1) or (N,); the two batches may
# differ in size). Return $C_\omega$'s loss, one number, each expectation estimated by the mean
# over its own batch. Write it with logits, so that it stays finite for a confident $C_\omega$
# ($\sigma(l)$ rounds to exactly 0 or 1 for large $|l|$).
#
# Careful with the direction: arXiv v1 of the paper swaps the prior and posterior terms in
# equations 16–17 of Algorithm 1 (a typo the authors confirmed). Decide which distribution
# must be C's "real" class from the ratio the KL term needs.
#
# Hints: which ratio appears inside $-\mathrm{KL}$, and on top of which fraction does a
# classifier's $C/(1 - C)$ put its "real" class? Lesson 01's first task wrote $-\log \sigma(l)$ and
# $-\log(1 - \sigma(l))$ without ever computing $\sigma(l)$.

# %% nbgrader={"grade": false, "grade_id": "code_discriminator_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def code_discriminator_loss(logits_prior, logits_codes):
    ### BEGIN SOLUTION
    # prior samples are "real": C/(1 − C) then estimates p(z)/q_η(z), the ratio inside −KL.
    # −log σ(l) = softplus(−l) and −log(1 − σ(l)) = softplus(l): finite for any logit
    return F.softplus(-logits_prior).mean() + F.softplus(logits_codes).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_code_discriminator_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_code_discriminator_loss(code_discriminator_loss)
### BEGIN HIDDEN TESTS
checks.check_code_discriminator_loss(code_discriminator_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# The encoder plays against $C_\omega$: it makes its codes look like prior samples by minimising
# $\mathbb{E}_{\mathbf{x}}[-\log C_\omega(E_\eta(\mathbf{x}))]$, the package's
# `encoder_code_loss` (the non-saturating form of $-\log C/(1 - C)$, as for generators in
# lesson 04).
#
# ## Task 2 · The reconstruction term
#
# The likelihood term becomes a reconstruction: with a Laplace decoder of scale $1/\lambda$,
#
# $$-\log p_\theta(\mathbf{x}|\mathbf{z}) = \lambda \|\mathbf{x} - G_\theta(\mathbf{z})\|_1 +
#   \text{const}, \qquad \text{so E and G minimise} \quad
#   \lambda\, \mathbb{E}_{\mathbf{x} \sim p^*} \big\|\mathbf{x} - G_\theta(E_\eta(\mathbf{x}))\big\|_1 .$$
#
# Write `reconstruction_loss(real, reconstructions, lambda_rec)`: `real` holds a batch of data
# $\mathbf{x}$ and `reconstructions` the batch $G_\theta(E_\eta(\mathbf{x}))$, both of the same
# shape, either points (N, d) or images (N, C, H, W); `lambda_rec` is $\lambda$. Return one number.
#
# Hint: the decoder's density is a product over every coordinate of an example (every pixel of
# every channel), so its log is a sum over them; the expectation over $\mathbf{x}$ is an average
# over the batch.

# %% nbgrader={"grade": false, "grade_id": "reconstruction_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def reconstruction_loss(real, reconstructions, lambda_rec):
    ### BEGIN SOLUTION
    # ‖·‖₁ of each example, over all its coordinates (flatten: points and images alike)
    l1_norms = (real - reconstructions).abs().flatten(1).sum(dim=1)
    return lambda_rec * l1_norms.mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_reconstruction_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_reconstruction_loss(reconstruction_loss)
### BEGIN HIDDEN TESTS
checks.check_reconstruction_loss(reconstruction_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3 · One α-GAN step
#
# One step takes one batch $\mathbf{x} \sim p^*$ and one batch $\mathbf{z} \sim \mathcal{N}(0, I)$
# and updates the four networks **one after another**, each minimising its own loss with the
# other three fixed (non-saturating forms throughout):
#
# | order | network | minimises | fixed |
# |---|---|---|---|
# | 1 | $D_\phi$ | $\mathbb{E}[-\log D(\mathbf{x})] + \mathbb{E}[-\log(1 - D(G(\mathbf{z})))] + \mathbb{E}[-\log(1 - D(G(E(\mathbf{x}))))]$ | $G, E$ |
# | 2 | $C_\omega$ | $\mathbb{E}[-\log C(\mathbf{z})] + \mathbb{E}[-\log(1 - C(E(\mathbf{x})))]$ (Task 1) | $E$ |
# | 3 | $E_\eta$ | $\lambda\|\mathbf{x} - G(E(\mathbf{x}))\|_1 + \mathbb{E}[-\log C(E(\mathbf{x}))]$ | $G, C$ |
# | 4 | $G_\theta$ | $\lambda\|\mathbf{x} - G(E(\mathbf{x}))\|_1 + \mathbb{E}[-\log D(G(\mathbf{z}))] + \mathbb{E}[-\log D(G(E(\mathbf{x})))]$ | $E, D$ |
#
# The discriminators go first, as in the course's loop `gan_course.train.train`, so that $E$ and
# $G$ play against discriminators that have seen their latest outputs (Algorithm 1 of the paper
# lists E, G, D, C; over many steps the two orders differ by half a step). Each update computes
# what it needs with the current weights, so it sees the networks already updated in this step:
# $G$'s reconstructions use the codes of the updated encoder.
#
# Write `alpha_gan_step(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
# reconstruction_loss)`: `networks` has the attributes `generator`, `encoder`, `discriminator`
# and `code_discriminator` (MLPs; the discriminators output logits of shape (N, 1)), and
# `optimizers` is a dict with one optimiser per network under the same names. `real` and
# `noise` are the two batches, `lambda_rec` is $\lambda$. The last two arguments are the
# functions of Tasks 1 and 2: the check passes the course's own, so a mistake there costs you
# only that task; the run at the end passes yours. For the other terms, use the package's
# `image_discriminator_loss(logits_real, [logits_fake, ...])`,
# `synthetic_likelihood_loss([logits_fake, ...])` and `encoder_code_loss(logits_codes)`, imported
# above. Return nothing: the check compares the four networks' weights after your step with those
# after the course's `alpha_gan_step` on the same networks and batch.
#
# Hints: PyTorch's `backward()` *adds* gradients to every parameter the loss depends on, whichever
# network it belongs to, and an optimiser steps with whatever gradients its parameters hold. So
# think about which outputs each update should treat as constants, and what may already sit in
# a network's gradients when its turn comes.

# %% nbgrader={"grade": false, "grade_id": "alpha_gan_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def alpha_gan_step(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss):
    G, E = networks.generator, networks.encoder
    D, C = networks.discriminator, networks.code_discriminator
    ### BEGIN SOLUTION
    def update(name, loss):
        optimizers[name].zero_grad()  # stale gradients: the last step's, or another network's loss
        loss.backward()
        optimizers[name].step()

    # D: G and E fixed, so the fakes are constants
    with torch.no_grad():
        codes = E(real)
        fakes = [G(noise), G(codes)]
    update("discriminator", image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    # C: E fixed; E has not moved yet, so these are still its codes
    update("code_discriminator", code_discriminator_loss(C(noise), C(codes)))
    # E: through G (fixed) for the reconstruction, through the updated C for the code term
    codes = E(real)
    update("encoder", reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    # G: the updated encoder's codes as constants, the updated D as the judge of both fakes
    with torch.no_grad():
        codes = E(real)
    reconstructions = G(codes)
    update("generator", reconstruction_loss(real, reconstructions, lambda_rec)
           + synthetic_likelihood_loss([D(G(noise)), D(reconstructions)]))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_alpha_gan_step", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_alpha_gan_step(alpha_gan_step)
### BEGIN HIDDEN TESTS
checks.check_alpha_gan_step(alpha_gan_step, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Your functions at work (no points)
#
# The cell below trains an α-GAN on the ring of 8 Gaussians of lesson 04 with **your** step and
# **your** losses of Tasks 1 and 2: small MLPs from `build_networks`, one Adam per network,
# $\lambda = 1$ (a few seconds in full mode).

# %%
ring = toy.ring_of_gaussians()
networks = build_networks(HYBRIDS["α-GAN"], data_dim=2, noise_dim=2, width=64, depth=2, seed=0)
optimizers = make_optimizers(networks, lr=1e-3)
rng = torch.Generator().manual_seed(0)
for step in progress_bar(range(budget(full=2000, quick=100)), desc="α-GAN, your step"):
    real, noise = ring.sample(128, rng), torch.randn(128, 2, generator=rng)
    alpha_gan_step(networks, optimizers, real, noise, 1.0, code_discriminator_loss, reconstruction_loss)

# %% [markdown]
# Your two losses on a batch of the trained networks, beside the package's:

# %%
# NBVAL_CHECK_OUTPUT
real, noise = ring.sample(512, torch.Generator().manual_seed(1)), torch.randn(512, 2)
with torch.no_grad():
    codes = networks.encoder(real)
    reconstructions = networks.generator(codes)
    C = networks.code_discriminator
    yours_c = code_discriminator_loss(C(noise), C(codes))
    package_c = alpha_gan.code_discriminator_loss(C(noise), C(codes))
    yours_r = reconstruction_loss(real, reconstructions, 1.0)
    package_r = alpha_gan.reconstruction_loss(real, reconstructions, 1.0)
print("your code discriminator loss agrees with the package:", torch.allclose(yours_c, package_c))
print("your reconstruction loss agrees with the package:", torch.allclose(yours_r, package_r))

# %% [markdown]
# Data and reconstructions $G(E(\mathbf{x}))$, samples $G(\mathbf{z})$, and the code space: prior
# samples against the codes $E(\mathbf{x})$ of each mode. With correct answers (full mode) the
# reconstructions land on all eight modes, and so do the samples. The samples also trace arcs
# between the modes: $G$ is continuous, and the prior puts mass between the clusters of codes, so
# some $\mathbf{z}$ decode between two modes. The codes form one tight cluster per mode, spread over
# the bulk of the prior by the code discriminator, though not yet in the prior's shape.

# %%
data = ring.sample(2000, torch.Generator().manual_seed(2))
with torch.no_grad():
    samples = networks.generator(torch.randn(2000, 2, generator=torch.Generator().manual_seed(3)))
    codes = networks.encoder(data)
    reconstructions = networks.generator(codes)
covered, high_quality = mode_coverage(samples, ring.modes, ring.mode_std)
mode_of_point = torch.cdist(data, ring.modes).argmin(dim=1)
l1_error = float((data - reconstructions).abs().sum(1).mean())
print(f"samples: {covered} of 8 modes covered, {high_quality:.0%} high-quality "
      f"(within 3σ of a mode); mean ‖x − G(E(x))‖₁ = {l1_error:.3f}")

fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
axes[0].scatter(*data.T, s=2, alpha=0.4, color="tab:blue", label="data $p^*$")
axes[0].scatter(*reconstructions.T, s=2, alpha=0.4, color="tab:orange", label="$G(E(\\mathbf{x}))$")
axes[0].set_title("reconstructions")
axes[0].legend(loc="center", fontsize=8, markerscale=4)
axes[1].scatter(*data.T, s=2, alpha=0.2, color="tab:blue")
axes[1].scatter(*samples.T, s=2, alpha=0.4, color="tab:orange")
axes[1].set_title("samples $G(\\mathbf{z})$, $\\mathbf{z} \\sim \\mathcal{N}(0, I)$")
axes[2].scatter(*torch.randn(2000, 2).T, s=2, alpha=0.3, color="lightgrey", label="prior $p(\\mathbf{z})$")
axes[2].scatter(*codes.T, s=2, alpha=0.6, c=mode_of_point, cmap="tab10", vmax=9)
axes[2].set_title("codes $E(\\mathbf{x})$, coloured by mode")
axes[2].legend(loc="upper right", fontsize=8, markerscale=4)
for ax in axes:
    ax.set_aspect("equal")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Task 4 · In your own words
#
# The lecture's claim is that auto-encoding fights mode collapse. In three or four sentences:
# why does the reconstruction term $\lambda\,\mathbb{E}_{\mathbf{x}}\|\mathbf{x} - G(E(\mathbf{x}))\|_1$
# stop $G$ from dropping a mode, and why is it not enough on its own to make the *samples*
# $G(\mathbf{z})$, $\mathbf{z} \sim \mathcal{N}(0, I)$, cover every mode? Say what the code
# discriminator adds.

# %% [markdown] nbgrader={"grade": true, "grade_id": "reconstruction_and_modes", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# The reconstruction loss is an average over the **data**: every training point $\mathbf{x}$,
# from every mode, asks that $G(E(\mathbf{x})) \approx \mathbf{x}$, and a mode that $G$ cannot
# produce costs $\lambda\|\mathbf{x} - G(E(\mathbf{x}))\|_1$ for all of its points. So $G$'s range
# must contain every mode: like maximum likelihood ($\mathrm{KL}(p^* \| q_\theta)$) it is
# mode-covering, whereas the adversarial loss only judges $G$'s own samples, and a generator whose
# samples all sit on one mode can still fool $D$. But $G$'s range covering the modes says nothing
# about *which* $\mathbf{z}$ reach them: the encoder could send one mode's points to codes far in
# the prior's tail (or to a tiny region), so samples $G(\mathbf{z})$ with $\mathbf{z} \sim
# \mathcal{N}(0, I)$ would almost never land there. The code discriminator pulls the distribution
# of codes $E(\mathbf{x})$ towards the prior (its logit estimates the log ratio inside the KL
# term), so the codes of every mode move into the region where prior samples fall, ideally in
# the data's proportions: then decoding prior samples gives every mode (in the plot above, eight
# clusters of codes inside the prior's bulk, and samples on all eight modes).
# ### END SOLUTION
