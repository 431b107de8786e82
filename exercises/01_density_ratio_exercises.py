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
# # 01 · Exercises: the density-ratio trick
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Work in order: later tasks use earlier answers.
#
# Notation as in the lecture: a classifier $\mathcal{D}(\mathbf{x};\phi) = \sigma(l)$ with logit $l$,
# real samples $\mathbf{x}\sim p^*$ (label $+1$), simulated samples $\mathbf{x}\sim q$ (label $-1$), class prior $\pi$.
# Every loss takes `logits_real` (a 1D tensor), `logits_fake` (a 1D tensor) and `prior` ($\pi$),
# and returns **one number** (a scalar tensor):
# $\pi\,\mathbb{E}_{p^*}[\ell_+(l)] + (1-\pi)\,\mathbb{E}_{q}[\ell_-(l)]$, with the expectations as means over the samples.

# %%
import torch
import torch.nn.functional as F

import gan_course
from gan_course import checks, ratio
from gan_course.data import toy

device = gan_course.setup(seed=0)


# %% [markdown]
# ## Task 1 · The Bernoulli loss
#
# $$\pi\,\mathbb{E}_{p^*}[-\log\mathcal{D}] + (1-\pi)\,\mathbb{E}_{q}[-\log(1-\mathcal{D})]$$
#
# Compute it from the logits without forming $\log\sigma(l)$: for $l = 100$, $1-\sigma(l)$ rounds to
# $0$ in float32 and its log is $-\infty$. Find an identity for $-\log\sigma(l)$ and
# $-\log(1-\sigma(l))$ that PyTorch computes stably (look at `F.softplus`).

# %% nbgrader={"grade": false, "grade_id": "bernoulli_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bernoulli_loss(logits_real, logits_fake, prior=0.5):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_bernoulli_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_scoring_rule(bernoulli_loss, "bernoulli")


# %% [markdown]
# ## Task 2 · The Brier score
#
# $$\pi\,\mathbb{E}_{p^*}[(1-\mathcal{D})^2] + (1-\pi)\,\mathbb{E}_{q}[\mathcal{D}^2]$$
#
# Hint: $1 - \sigma(l) = \sigma(-l)$.

# %% nbgrader={"grade": false, "grade_id": "brier_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def brier_loss(logits_real, logits_fake, prior=0.5):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_brier_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_scoring_rule(brier_loss, "brier")


# %% [markdown]
# ## Task 3 · The hinge loss
#
# $$\pi\,\mathbb{E}_{p^*}\Big[\max\Big(0, 1-\log\tfrac{\mathcal{D}}{1-\mathcal{D}}\Big)\Big] + (1-\pi)\,\mathbb{E}_{q}\Big[\max\Big(0, 1+\log\tfrac{\mathcal{D}}{1-\mathcal{D}}\Big)\Big]$$
#
# Hint: $\log\frac{\mathcal{D}}{1-\mathcal{D}}$ is the logit itself.

# %% nbgrader={"grade": false, "grade_id": "hinge_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hinge_loss(logits_real, logits_fake, prior=0.5):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_hinge_loss", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_scoring_rule(hinge_loss, "hinge")


# %% [markdown]
# ## Task 4 · From logits to the log ratio
#
# A classifier trained with prior $\pi$ has the Bayes-optimal logit
# $l(\mathbf{x}) = \log r(\mathbf{x}) + \log\frac{\pi}{1-\pi}$. Return $\log r$ for each logit.

# %% nbgrader={"grade": false, "grade_id": "log_ratio_from_logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def log_ratio_from_logits(logits, prior=0.5):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_log_ratio_from_logits", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_log_ratio_from_logits(log_ratio_from_logits)


# %% [markdown]
# ## Task 5 · Measuring an estimate in the bulk
#
# An estimate is only testable where both classes have samples. Write the mean absolute error
# $\frac{1}{|B|}\sum_{\mathbf{x}\in B} |\log\hat r(\mathbf{x}) - \log r(\mathbf{x})|$ over the bulk
# $B = \{\mathbf{x} : |\log r(\mathbf{x})| \le \text{threshold}\}$.

# %% nbgrader={"grade": false, "grade_id": "bulk_error", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bulk_error(estimated, true, threshold=3.0):
    # YOUR CODE HERE
    raise NotImplementedError()


# %% nbgrader={"grade": true, "grade_id": "check_bulk_error", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_bulk_error(bulk_error)

# %% [markdown]
# ## Task 6 · Your loss, your ratio estimator (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your earlier functions,
# which Tasks 1, 4 and 5 grade on their own. This cell trains a classifier with **your**
# `bernoulli_loss` on two Gaussians, turns its logits into $\log\hat r$ with **your**
# `log_ratio_from_logits`, and measures the result with **your** `bulk_error`. If it fails, the
# message names the task to revisit.

# %% nbgrader={"grade": false, "grade_id": "check_your_ratio_estimator", "locked": true, "schema_version": 3, "solution": false, "task": false}
p_star, q = toy.Gaussian(1.0, std=1.2), toy.Gaussian(0.0, std=0.8)
rng = torch.Generator().manual_seed(0)
real, fake = p_star.sample(4000, rng), q.sample(4000, rng)
test = torch.cat([p_star.sample(10_000, rng), q.sample(10_000, rng)])
true_log_ratio = toy.log_ratio(p_star, q, test)

classifier = ratio.fit_ratio_classifier(real, fake, rule=bernoulli_loss,
                                        steps=gan_course.budget(full=2000, quick=300))
estimate = log_ratio_from_logits(classifier.logits(test), prior=0.5)
print(f"your bulk error: {float(bulk_error(estimate, true_log_ratio)):.3f} nats")
checks.check_ratio_estimate(estimate, true_log_ratio)

# %% [markdown]
# ## Task 7 · In your own words
#
# Train with your `hinge_loss` instead, in a cell of your own. Its bulk error is much larger,
# yet its decisions are as good. Explain in two or three sentences why the hinge loss
# recovers the Bayes decision but not the ratio. Use the minimiser of
# $R(l) = \eta\max(0, 1-l) + (1-\eta)\max(0, 1+l)$.

# %% [markdown] nbgrader={"grade": true, "grade_id": "hinge_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# YOUR ANSWER HERE
