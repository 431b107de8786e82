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
# # 06 · Exercises: Real NVP, a generator with a density
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Each task is checked on its own.
#
# Notation as in the lecture: a flow is an invertible generator $\mathbf{x} = G_\theta(\mathbf{z})$,
# $\mathbf{z} \sim \mathcal{N}(0, I)$. Its inverse $f = G_\theta^{-1}$ maps data back to noise, and
# the change of variables gives the model's density $q_\theta$ exactly:
#
# $$\log q_\theta(\mathbf{x}) = \log \mathcal{N}\big(f(\mathbf{x}); 0, I\big) +
#   \log\Big|\det \frac{\partial f}{\partial \mathbf{x}}\Big|.$$
#
# So the same network can be trained by maximum likelihood on data $\mathbf{x} \sim p^*$, or as
# the generator of a WGAN. Real NVP (Dinh et al. 2017) builds $f$ from **affine coupling layers**,
# each cheap to invert and with a log-determinant that is a plain sum. Tensors hold one point per
# row, $\odot$ is the elementwise product.

# %%
import math

import matplotlib.pyplot as plt
import torch

import gan_course
from gan_course import checks
from gan_course.config import budget, progress_bar
from gan_course.data import toy
from gan_course.data.images import load_images
from gan_course.experiments.outputs import image_grid
from gan_course.models.realnvp import BIN_WIDTH, RealNVP2D, dequantise, standard_normal_log_prob

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Task 1 · The affine coupling layer, data → noise
#
# A coupling layer splits the coordinates of $\mathbf{x} \in \mathbb{R}^d$ with a binary mask
# $\mathbf{b} \in \{0, 1\}^d$. Where $b_i = 1$ the coordinate passes through unchanged; the others
# are scaled and shifted by amounts computed from the unchanged part $\mathbf{b} \odot \mathbf{x}$
# alone, by two networks $s, t: \mathbb{R}^d \to \mathbb{R}^d$:
#
# $$\mathbf{y} = \mathbf{b} \odot \mathbf{x} +
#   (1 - \mathbf{b}) \odot \Big(\mathbf{x} \odot \exp\big(s(\mathbf{b} \odot \mathbf{x})\big) +
#   t(\mathbf{b} \odot \mathbf{x})\Big),
# \qquad \log\Big|\det \frac{\partial \mathbf{y}}{\partial \mathbf{x}}\Big|
#   = \sum_{i=1}^d (1 - b_i)\, s_i(\mathbf{b} \odot \mathbf{x}).$$
#
# Write `coupling_encode(x, b, s, t)`: `x` is (B, d), `b` is (d,) of 0s and 1s, and `s`, `t` are
# functions that take a (B, d) tensor and return one. Return the pair `(y, log_det)`: `y` of shape
# (B, d) and `log_det` of shape (B,), one log-determinant per point.
#
# Hints: write down the Jacobian $\partial \mathbf{y}/\partial \mathbf{x}$ with the unchanged
# coordinates first. It is triangular, so its determinant is the product of its diagonal: what is
# the diagonal entry of a coordinate that is copied, and of one that is scaled?

# %% nbgrader={"grade": false, "grade_id": "coupling_encode", "locked": false, "schema_version": 3, "solution": true, "task": false}
def coupling_encode(x, b, s, t):
    ### BEGIN SOLUTION
    kept = b * x  # the only input of s and t, so that the inverse can recompute them
    scale, shift = s(kept), t(kept)
    y = kept + (1 - b) * (x * torch.exp(scale) + shift)
    # a copied coordinate has Jacobian diagonal entry 1 (log 1 = 0), a scaled one exp(s_i) (log: s_i)
    return y, ((1 - b) * scale).sum(dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_coupling_encode", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_coupling_encode(coupling_encode)
### BEGIN HIDDEN TESTS
checks.check_coupling_encode(coupling_encode, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2 · Its inverse, noise → data: the generator direction
#
# Sampling runs the layers backwards. The coordinates where $b_i = 1$ are the same on both sides,
# $\mathbf{b} \odot \mathbf{y} = \mathbf{b} \odot \mathbf{x}$, so the inverse can recompute
# $s$ and $t$ from $\mathbf{y}$ and solve for the rest:
#
# $$\mathbf{x} = \mathbf{b} \odot \mathbf{y} +
#   (1 - \mathbf{b}) \odot \Big(\big(\mathbf{y} - t(\mathbf{b} \odot \mathbf{y})\big)
#   \odot \exp\big(-s(\mathbf{b} \odot \mathbf{y})\big)\Big).$$
#
# Write `coupling_inverse(y, b, s, t)`: the same arguments as Task 1 with `y` (B, d) in place of
# `x`; return `x` (B, d). Notice that neither direction ever inverts the networks $s$ and $t$:
# they can be as complex as we like.
#
# Hint: undo the operations of the encode direction one at a time, the last one first.

# %% nbgrader={"grade": false, "grade_id": "coupling_inverse", "locked": false, "schema_version": 3, "solution": true, "task": false}
def coupling_inverse(y, b, s, t):
    ### BEGIN SOLUTION
    kept = b * y  # equals b ⊙ x: what the generator already knows
    # encode scaled, then shifted; undo the shift first, then the scale
    return kept + (1 - b) * ((y - t(kept)) * torch.exp(-s(kept)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_coupling_inverse", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_coupling_inverse(coupling_inverse)
### BEGIN HIDDEN TESTS
checks.check_coupling_inverse(coupling_inverse, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3 · Bits per dimension
#
# Images are bytes, $\{0, \dots, 255\}^D$ for $D = C \cdot H \cdot W$ pixel values. A density needs
# continuous data, so each byte level is **dequantised**: uniform noise fills its cell, and the
# result is rescaled to the model's pixels $\mathbf{y}$, where one level is $\Delta$ wide
# ($\Delta = 1/256$ for pixels in $[0, 1)$, $\Delta = 2/256$ for $[-1, 1)$). A model scores the
# images with $\log q_\theta(\mathbf{y})$ in nats, and the course reports it in bits per
# dimension:
#
# $$\text{bits/dim} = -\frac{\log q_\theta(\mathbf{y}) + D \log \Delta}{D \ln 2}.$$
#
# $q_\theta(\mathbf{y})\,\Delta^D$ is (about) the probability of the cell of the bytes, so
# bits/dim is the cost of the bytes in bits, per pixel value: a model that knows nothing, uniform
# on the pixel cube, scores exactly 8, and a model's score does not depend on which pixel scale it
# works in.
#
# Write `bits_per_dim(log_likelihood, dims, bin_width)`: `log_likelihood` is a tensor (N,) of
# $\log q_\theta(\mathbf{y})$ in nats, one per image; `dims` is $D$ and `bin_width` is $\Delta$.
# Return a tensor (N,), one bits/dim per image.
#
# Hint: check your function on the uniform density over $[0, 1)^D$, whose log-density is 0, and
# over $[-1, 1)^D$, whose density is $2^{-D}$.

# %% nbgrader={"grade": false, "grade_id": "bits_per_dim", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bits_per_dim(log_likelihood, dims, bin_width):
    ### BEGIN SOLUTION
    # log q(y) + D log Δ: the log-probability of the bytes' cell; / (D ln 2): nats → bits per value
    return -(log_likelihood + dims * math.log(bin_width)) / (dims * math.log(2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_bits_per_dim", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_bits_per_dim(bits_per_dim)
### BEGIN HIDDEN TESTS
checks.check_bits_per_dim(bits_per_dim, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Your functions at work (no points)
#
# A Real NVP for points, `RealNVP2D`, is a stack of the course's own coupling layers, each with
# its mask `layer.mask` and its networks $s$ and $t$. The cells below compute the flow's density
# with **your** `coupling_encode` (summing the log-determinants of the layers, the chain rule) and
# train it by maximum likelihood on two moons, minimising $-\frac{1}{B}\sum_b \log q_\theta(\mathbf{x}_b)$.
# Then they draw samples with **your** `coupling_inverse`, running the layers backwards from
# $\mathbf{z} \sim \mathcal{N}(0, I)$. With correct answers your density agrees with the package's
# `flow.log_prob`, and the samples trace the two moons (about 30 seconds of training in full mode
# on a 2-core CPU).

# %%
def s_and_t(layer):
    """The layer's s(·) and t(·) as two functions of b ⊙ x."""
    return (lambda kept: layer.scale_and_shift(kept)[0]), (lambda kept: layer.scale_and_shift(kept)[1])


def your_log_prob(flow, x):
    """log q_θ(x) = log N(f(x); 0, I) + Σ over layers of log |det|, with your coupling_encode."""
    log_det = torch.zeros(len(x))
    for layer in flow.flow:
        x, layer_log_det = coupling_encode(x, layer.mask, *s_and_t(layer))
        log_det = log_det + layer_log_det
    return standard_normal_log_prob(x) + log_det


def your_samples(flow, n, rng):
    """x = G_θ(z): your coupling_inverse through the layers in reverse order."""
    x = torch.randn(n, 2, generator=rng)
    for layer in reversed(flow.flow):
        x = coupling_inverse(x, layer.mask, *s_and_t(layer))
    return x


moons = toy.TwoMoons()
flow = RealNVP2D(layers=6, width=32, seed=0)
optimizer = torch.optim.Adam(flow.parameters(), lr=2e-3)
rng = torch.Generator().manual_seed(0)
for step in progress_bar(range(budget(full=1500, quick=40)), desc="maximum likelihood"):
    loss = -your_log_prob(flow, moons.sample(256, rng)).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

# %% [markdown]
# The density on held-out points, with your function and with the package's (and, as a check of
# your inverse, encoding your samples gives back the noise they came from):

# %%
# NBVAL_CHECK_OUTPUT
held_out = moons.sample(2000, torch.Generator().manual_seed(1))
with torch.no_grad():
    yours, package = your_log_prob(flow, held_out), flow.log_prob(held_out)
    samples = your_samples(flow, 2000, torch.Generator().manual_seed(2))
    noise = torch.randn(2000, 2, generator=torch.Generator().manual_seed(2))
print("your log q_θ agrees with flow.log_prob:", torch.allclose(yours, package, atol=1e-4))
print("your samples encode back to their noise:", torch.allclose(flow.encode(samples)[0], noise, atol=1e-3))

# %%
print(f"mean log q_θ of held-out points: {float(yours.mean()):.2f} nats "
      f"(the untrained flow, N(0, I): {float(standard_normal_log_prob(held_out).mean()):.2f})")
fig, axes = plt.subplots(1, 2, figsize=(7.2, 3.2), sharex=True, sharey=True)
axes[0].scatter(*held_out.T, s=2, alpha=0.4, color="tab:blue")
axes[0].set_title("data $p^*$")
axes[1].scatter(*samples.T, s=2, alpha=0.4, color="tab:orange")
axes[1].set_title("your samples $G_\\theta(\\mathbf{z})$")
for ax in axes:
    ax.set_aspect("equal")
plt.show()

# %% [markdown]
# Then bits/dim with **your** function, on scikit-learn's 8×8 digits ($D = 64$) held out from
# training and dequantised into $[-1, 1)$ ($\Delta = 2/256$). Three simple models, each with an
# exact density, and a few of their samples:
#
# - **uniform** on $[-1, 1)^{64}$: the model that knows nothing;
# - **a Gaussian** fitted to the training digits (mean and covariance): blurry, noisy samples;
# - **a sharp mixture**: $\frac{1}{K}\sum_k \mathcal{N}(\mathbf{x}_k, \sigma^2 I)$ over the $K$
#   training digits with $\sigma = 0.02$, a hundredth of the pixel range. Its samples are training
#   digits with invisible noise: they look perfect.
#
# With a correct answer the uniform model scores exactly 8.00, the Gaussian about 6.8, and the
# sharp mixture, whose samples look best, about 130.

# %%
train_digits = load_images("digits8", "train", "gan").images
held_out_digits = load_images("digits8", "held_out", "gan").images
rng = torch.Generator().manual_seed(0)
train_y = dequantise(train_digits, rng).flatten(1).double()
held_out_y = dequantise(held_out_digits, rng).flatten(1).double()
dims, sigma = train_y.shape[1], 0.02

gaussian = torch.distributions.MultivariateNormal(
    train_y.mean(0), torch.cov(train_y.T) + 1e-3 * torch.eye(dims))  # a small ridge: some pixels never vary


def sharp_mixture_log_prob(y):
    squared_distances = torch.cdist(y, train_y) ** 2
    return (torch.logsumexp(-squared_distances / (2 * sigma**2), dim=1) - math.log(len(train_y))
            - dims * math.log(sigma) - 0.5 * dims * math.log(2 * math.pi))


models = {
    "uniform": (torch.full((len(held_out_y),), -dims * math.log(2.0), dtype=torch.float64),
                2 * torch.rand(8, dims, generator=rng, dtype=torch.float64) - 1),
    "Gaussian": (gaussian.log_prob(held_out_y), gaussian.sample((8,))),
    "sharp mixture": (sharp_mixture_log_prob(held_out_y),
                      train_y[torch.randint(len(train_y), (8,), generator=rng)]
                      + sigma * torch.randn(8, dims, generator=rng, dtype=torch.float64)),
}
fig, axes = plt.subplots(len(models), 1, figsize=(6, 3.2))
for ax, (model, (log_likelihood, model_samples)) in zip(axes, models.items()):
    score = float(bits_per_dim(log_likelihood, dims, BIN_WIDTH).mean())
    print(f"{model:14} {score:7.2f} bits/dim on {len(held_out_y)} held-out digits")
    ax.imshow(image_grid(model_samples.float().clamp(-1, 1).reshape(-1, 1, 8, 8), columns=8),
              cmap="gray", vmin=0, vmax=255)
    ax.set_title(f"{model}: {score:.2f} bits/dim", fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Task 4 · In your own words
#
# Danihelka, Lakshminarayanan et al. (2017) trained the same Real NVP twice, by maximum likelihood
# and as the generator of a WGAN-GP. The WGAN-trained flow gave the nicer samples, yet on held-out
# CelebA 32×32 its bits/dim was worse than 8, worse than the uniform model, which knows nothing
# about faces. In three or four sentences: how can both be true? Say what bits/dim measures, what
# the WGAN objective asks of the generator (and what it never looks at), and what the generator can
# do to its density to make its samples sharp.

# %% [markdown] nbgrader={"grade": true, "grade_id": "wgan_flow_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Bits/dim is the average of $-\log_2 q_\theta$ over **held-out real images** (per pixel value):
# it asks whether the model gives *every* real image a reasonable density, and one image in a
# region where $q_\theta$ is tiny costs a huge number of bits. Maximum likelihood minimises exactly
# this (it is $\mathrm{KL}(p^* \| q_\theta)$ up to a constant). The uniform model never gives any
# image less than $2^{-8}$ per pixel value, so it scores 8, whatever the images look like. The WGAN
# objective only compares *samples* with data through the critic, by how far the samples would
# have to move (the Wasserstein distance): it never evaluates $q_\theta$ at a real image. Sharp,
# clean samples come from a generator that concentrates its mass near a thin set of smooth images
# (the flow contracts volume, a large negative log-determinant), and W barely penalises samples
# that are a small distance from the data. But real held-out images, with their noise and fine
# detail, lie a little off that set, where a concentrated density is exponentially small, so they
# cost far more than 8 bits per value. Looking at samples measures their quality (precision);
# likelihood measures coverage of the data, including details the eye ignores. The sharp mixture
# above is the extreme case: perfect samples, 130 bits/dim.
# ### END SOLUTION
