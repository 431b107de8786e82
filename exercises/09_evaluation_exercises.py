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
# # 09 · Exercises: evaluating implicit models
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Each task is checked on its own.
#
# Notation as in the lecture: data $p^*$, a generator's samples $\mathbf{x} = G_\theta(\mathbf{z})
# \sim q_\theta$, whose density we cannot evaluate, so every metric here works from samples. A
# classifier trained on the data gives each image its class probabilities $p(y \mid \mathbf{x})$
# and its penultimate features $\varphi(\mathbf{x}) \in \mathbb{R}^d$. Tensors hold one sample per
# row.

# %%
import torch

import gan_course
from gan_course import checks
from gan_course.data import toy
from gan_course.data.images import load_images
from gan_course.metrics.failures import gaussian_blur
from gan_course.metrics.features import classifier_features, classifier_probabilities, digit_classifier

device = gan_course.setup(seed=0)


# %% [markdown]
# ## Task 1 · The Fréchet distance
#
# FID fits a Gaussian to the real features $\varphi(\mathbf{x})$, $\mathbf{x} \sim p^*$, and one to
# the generated features, $\mathbf{x} \sim q_\theta$ (the lecture's $(\mu_r, \Sigma_r)$ and
# $(\mu_g, \Sigma_g)$), and reports the Fréchet (2-Wasserstein²) distance between two Gaussians
# $\mathcal{N}(\boldsymbol\mu_1, \Sigma_1)$ and $\mathcal{N}(\boldsymbol\mu_2, \Sigma_2)$:
#
# $$d^2 = \|\boldsymbol\mu_1 - \boldsymbol\mu_2\|^2 + \operatorname{Tr}\big(\Sigma_1 + \Sigma_2 - 2\,(\Sigma_1\Sigma_2)^{1/2}\big).$$
#
# Write `frechet_distance(mean_1, cov_1, mean_2, cov_2)`: two means of shape (d,) and two
# covariances of shape (d, d), float64 tensors; return one number. It must work for covariances
# estimated from fewer samples than features: they are singular, and rounding makes some of their
# zero eigenvalues slightly negative.
#
# Hints: $\Sigma_1\Sigma_2$ is not symmetric, and its square root is not the product of the two
# square roots unless they commute. You need only the *trace* of $(\Sigma_1\Sigma_2)^{1/2}$: the sum
# of the square roots of the eigenvalues of $\Sigma_1\Sigma_2$. Find a **symmetric** matrix with the
# same eigenvalues, built from $\Sigma_1^{1/2}$ and $\Sigma_2$; for symmetric matrices
# `torch.linalg.eigh` and `torch.linalg.eigvalsh` give real eigenvalues (and orthonormal
# eigenvectors), which is also one way to compute $\Sigma_1^{1/2}$.

# %% nbgrader={"grade": false, "grade_id": "frechet_distance", "locked": false, "schema_version": 3, "solution": true, "task": false}
def frechet_distance(mean_1, cov_1, mean_2, cov_2):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_frechet_distance", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
checks.check_frechet_distance(frechet_distance)


# %% [markdown]
# ## Task 2 · Counting modes by the 3σ rule
#
# On a mixture of $K$ Gaussians with means $\boldsymbol\mu_k$ and standard deviation $\sigma$ (the
# ring of 8), VEEGAN and Unrolled GAN count modes this way: each sample $\mathbf{x}$ belongs to its
# nearest mode, and it is a **high-quality** sample if it lies within $3\sigma$ of that mode. A mode
# is **covered** if at least one high-quality sample belongs to it.
#
# Write `count_modes(samples, modes, std)`: `samples` (n, 2), `modes` (K, 2), `std` the number
# $\sigma$. Return a tuple `(covered, share)`: the number of modes covered and the share of the n
# samples that are of high quality (a number between 0 and 1).

# %% nbgrader={"grade": false, "grade_id": "count_modes", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_modes(samples, modes, std):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_mode_count", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_mode_count(count_modes)


# %% [markdown]
# ## Task 3 · The classifier score
#
# The classifier score (the Inception score of Salimans et al. 2016, with a classifier trained on
# the data) rewards samples that are each clearly one class and together cover all the classes:
#
# $$\mathrm{CS} = \exp\Big(\mathbb{E}_{\mathbf{x} \sim q_\theta}\, \mathrm{KL}\big(p(y \mid \mathbf{x}) \,\big\|\, p(y)\big)\Big),
# \qquad p(y) = \mathbb{E}_{\mathbf{x} \sim q_\theta}\, p(y \mid \mathbf{x}).$$
#
# Write `classifier_score(probabilities)`: `probabilities` is (N, K), row $i$ holding
# $p(y \mid \mathbf{x}_i)$ of sample $i$ (non-negative, summing to 1); the expectations over
# $q_\theta$ become averages over the N samples. Return one number. Confident predictions contain
# probabilities of exactly 0, and the answer must stay finite.

# %% nbgrader={"grade": false, "grade_id": "classifier_score", "locked": false, "schema_version": 3, "solution": true, "task": false}
def classifier_score(probabilities):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_classifier_score", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_classifier_score(classifier_score)

# %% [markdown]
# ## Your metrics at work (no points)
#
# These cells use **your** three functions. First on scikit-learn's 8×8 digits, through the
# course's digit classifier trained on their train split (a few seconds the first time, then
# cached). FID compares the held-out digits with the train digits (two real samples: FID near 0)
# and with the same train digits slightly blurred (σ = ½ pixel); both comparisons use equally many
# images, since FID's estimate depends on the sample size. The classifier score is computed on
# real digits, on one digit repeated, and on one digit of each class, each repeated. With correct
# answers: FID about 0.6 against about 22, and scores of about 9.4, 1 and 8.7.

# %%
train = load_images("digits8", "train", "gan")
held_out = load_images("digits8", "held_out", "gan")
classifier = digit_classifier("digits8")


def your_fid(images_1, images_2):
    statistics = []
    for images in (images_1, images_2):
        features = classifier_features(classifier, images).double()
        statistics += [features.mean(dim=0), torch.cov(features.T)]
    return float(frechet_distance(*statistics))


print(f"FID, held-out vs train digits:          {your_fid(held_out.images, train.images):6.1f}")
print(f"FID, held-out vs blurred train digits:  "
      f"{your_fid(held_out.images, gaussian_blur(train.images, sigma=0.5)):6.1f}")

n = len(held_out)
one_of_each = torch.stack([held_out.images[held_out.labels == digit][0] for digit in range(10)])
for name, images in [("real held-out digits", held_out.images),
                     ("one digit, repeated", held_out.images[:1].expand(n, -1, -1, -1)),
                     ("one digit per class, repeated", one_of_each[torch.arange(n) % 10])]:
    probabilities = classifier_probabilities(classifier, images).double()
    print(f"classifier score of {n} images, {name + ':':31} {float(classifier_score(probabilities)):.1f}")

# %% [markdown]
# Then the mode count on the ring of 8 Gaussians (σ = 0.05): 1,000 samples of the ring itself and
# 1,000 of a generator that has collapsed onto 3 of its modes. Both sets of samples are of high
# quality (about 99% within 3σ, as for any 2D Gaussian), so only the number of modes covered
# tells the collapse. The classifier score in the cell above made the same point for digits: one
# digit of each class scores nearly as high as real digits, for it sees classes, not the variety
# within a class.

# %%
ring = toy.ring_of_gaussians(n_modes=8, radius=2.0, std=0.05)
collapsed = toy.GaussianMixture(ring.means[:3], 0.05)
rng = torch.Generator().manual_seed(0)
for name, mixture in [("the ring itself", ring), ("collapsed onto 3 modes", collapsed)]:
    covered, share = count_modes(mixture.sample(1000, rng).double(), ring.means, 0.05)
    print(f"{name + ':':24} {int(covered)} of 8 modes covered, {float(share):.0%} high quality")

# %% [markdown]
# ## Task 4 · In your own words
#
# A generator that has memorised a small training set (say 100 images) outputs copies of them.
# Its FID against the training set is near 0, better than that of a perfect generator, whose
# samples are new draws from $p^*$. In three or four sentences: which of this notebook's metrics (FID, the mode
# count, the classifier score) could tell the copying generator from a good one, with what data,
# and what would you compare? Why can the others not?

# %% [markdown] nbgrader={"grade": true, "grade_id": "memorisation_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE
