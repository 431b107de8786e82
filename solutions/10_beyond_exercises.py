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
# # 10 · Exercises: the density-ratio trick for likelihood-free inference
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Each task is checked on its own.
#
# Notation as in the lecture: parameters $\boldsymbol\theta$ with prior $p(\boldsymbol\theta)$, a
# simulator $\mathbf{x} \sim p(\mathbf{x}\mid\boldsymbol\theta)$, and a classifier with logit
# $l_\phi(\boldsymbol\theta, \mathbf{x})$ trained to tell pairs from the joint $p(\boldsymbol\theta,
# \mathbf{x})$ (class 1) from pairs from the product $p(\boldsymbol\theta)\,p(\mathbf{x})$ (class 0).
# Tensors hold one simulation per row: `theta` is (n, d_θ), `x` is (n, d_x).

# %%
import torch
import torch.nn.functional as F

import gan_course
from gan_course import checks
from gan_course import likelihood_free as lf
from gan_course.models import mlp

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Task 1 · Pairs from the product of the marginals
#
# From $n$ simulations $(\boldsymbol\theta_i, \mathbf{x}_i)$ make $n$ pairs whose $\boldsymbol\theta$
# and $\mathbf{x}$ look as if they came from two independent sources: each keeps its own marginal
# distribution, but knowing one says nothing about the other. Return `(theta_shuffled, x)`. Use
# `rng` for every random draw.

# %% nbgrader={"grade": false, "grade_id": "marginal_pairs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def marginal_pairs(theta, x, rng):
    ### BEGIN SOLUTION
    # one permutation for whole rows: θ keeps its joint distribution over coordinates
    return theta[torch.randperm(theta.shape[0], generator=rng)], x
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_marginal_pairs", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_marginal_pairs(marginal_pairs)
### BEGIN HIDDEN TESTS
checks.check_marginal_pairs(marginal_pairs, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2 · The ratio-estimation loss
#
# The classifier takes a pair as one row, `torch.cat([theta, x], dim=1)`, and returns its logit
# (shape (n, 1)). Write the loss that makes its logit converge to
# $\log r(\boldsymbol\theta, \mathbf{x}) = \log \frac{p(\boldsymbol\theta, \mathbf{x})}{p(\boldsymbol\theta)\,p(\mathbf{x})}$:
# lesson 01's loss for a classifier of two balanced classes, the simulations $(\boldsymbol\theta_i,
# \mathbf{x}_i)$ against the pairs $(\boldsymbol\theta'_i, \mathbf{x}_i)$ with the shuffled
# `theta_shuffled`. It must stay finite for logits in the hundreds.

# %% nbgrader={"grade": false, "grade_id": "ratio_estimation_loss", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ratio_estimation_loss(classifier, theta, x, theta_shuffled):
    ### BEGIN SOLUTION
    logits_joint = classifier(torch.cat([theta, x], dim=1)).squeeze(-1)
    logits_marginal = classifier(torch.cat([theta_shuffled, x], dim=1)).squeeze(-1)
    # -log σ(l) = softplus(-l), -log(1 - σ(l)) = softplus(l); π = ½ for balanced classes
    return 0.5 * F.softplus(-logits_joint).mean() + 0.5 * F.softplus(logits_marginal).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_ratio_estimation_loss", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_ratio_estimation_loss(ratio_estimation_loss)
### BEGIN HIDDEN TESTS
checks.check_ratio_estimation_loss(ratio_estimation_loss, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3 · The posterior from the logits
#
# On a grid of cells of equal `cell_volume` with centres $\boldsymbol\theta_c$, you have the log
# prior $\log p(\boldsymbol\theta_c)$ and the classifier's logits $l_c = l_\phi(\boldsymbol\theta_c,
# \mathbf{x}_o)$ for one observation $\mathbf{x}_o$ (1D tensors, one value per cell). Return the
# posterior **density** at each cell, normalised so that it integrates to 1 over the grid. The
# logits can be large (a confident classifier); the answer must stay finite.

# %% nbgrader={"grade": false, "grade_id": "posterior_from_logits", "locked": false, "schema_version": 3, "solution": true, "task": false}
def posterior_from_logits(log_prior, logits, cell_volume):
    ### BEGIN SOLUTION
    # softmax subtracts the largest value before exponentiating: no overflow
    return torch.softmax(log_prior + logits, dim=0) / cell_volume
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_posterior_from_logits", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_posterior_from_logits(posterior_from_logits)
### BEGIN HIDDEN TESTS
checks.check_posterior_from_logits(posterior_from_logits, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 4 · Coverage
#
# For many test pairs $(\boldsymbol\theta^*, \mathbf{x}^*)$ you know where the truth falls in its
# estimated posterior: $u = \hat F(\theta^* \mid \mathbf{x}^*)$, the posterior's CDF at the truth
# (a 1D tensor of values in $[0, 1]$). Return the share of test pairs whose **central** credible
# interval of the given `level` (e.g. 0.8) holds the truth.

# %% nbgrader={"grade": false, "grade_id": "expected_coverage", "locked": false, "schema_version": 3, "solution": true, "task": false}
def expected_coverage(where_truth_falls, level):
    ### BEGIN SOLUTION
    # inside [F⁻¹((1 − c)/2), F⁻¹((1 + c)/2)] ⇔ |2u − 1| ≤ c
    return ((2 * where_truth_falls - 1).abs() <= level).double().mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_expected_coverage", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_expected_coverage(expected_coverage)
### BEGIN HIDDEN TESTS
checks.check_expected_coverage(expected_coverage, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Your ratio estimator at work (no points)
#
# This cell trains a classifier with **your** pairs and **your** loss on the lecture's Gaussian
# model, turns its logits into a posterior with **your** `posterior_from_logits`, and measures its
# distance to the exact posterior and the coverage of its 80% intervals with **your**
# `expected_coverage`. With correct answers the distance is a few hundredths and the coverage
# near 0.8.

# %%
gaussian = lf.ConjugateGaussian()
rng = torch.Generator().manual_seed(0)
theta, x = lf.simulate_from_prior(gaussian, gan_course.budget(full=4000, quick=500), rng)
classifier = mlp(2, 1, width=64, depth=2, seed=0)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-3)
for step in range(gan_course.budget(full=2000, quick=200)):
    batch = torch.randperm(len(theta), generator=rng)[:256]
    theta_shuffled, x_batch = marginal_pairs(theta[batch], x[batch], rng)
    loss = ratio_estimation_loss(classifier, theta[batch], x_batch, theta_shuffled)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

grid = gaussian.theta_grid()


def your_posterior(observed):
    with torch.no_grad():
        logits = classifier(torch.cat([grid.points.float(), observed.expand(len(grid.points), 1)], 1))
    density = posterior_from_logits(gaussian.log_prior(grid.points), logits.squeeze(-1).double(),
                                    grid.cell_volume)
    return lf.GridPosterior(grid, density * grid.cell_volume)


observed = torch.tensor([1.0])
exact = lf.posterior_on_grid(grid, gaussian.exact_posterior(observed).log_prob)
print(f"distance to the exact posterior at x̄ = 1: "
      f"TV = {lf.total_variation(your_posterior(observed), exact):.3f}")
test_theta = gaussian.sample_prior(200, rng)
test_x = gaussian.simulate(test_theta, rng)
where = torch.stack([your_posterior(test_x[i]).marginal_cdf(test_theta[i])[0] for i in range(200)])
print(f"coverage of your 80% intervals over 200 test pairs: {float(expected_coverage(where, 0.8)):.2f}")

# %% [markdown]
# ## Task 5 · In your own words
#
# In the lecture, rejection ABC's 80% intervals held the truth 87–89% of the time, and its
# posteriors were wider than the classifier's at the same number of simulations. In three or four
# sentences: why does rejection ABC with a tolerance $\epsilon > 0$ give posteriors that are too
# wide, what happens when $\epsilon$ shrinks while the number of simulations stays fixed, and why
# does the classifier not face the same trade-off?

# %% [markdown] nbgrader={"grade": true, "grade_id": "abc_tolerance_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# ABC keeps the $\boldsymbol\theta$ whose simulations land within $\epsilon$ of the observation, so
# it samples $p(\boldsymbol\theta \mid \rho(\mathbf{x}, \mathbf{x}_o) \le \epsilon)$: the posterior given
# that the data fell *somewhere in a ball* around $\mathbf{x}_o$. That is a mixture of the posteriors
# of all the observations in the ball, wider than the posterior of $\mathbf{x}_o$ itself, so its
# intervals cover the truth too often. Shrinking $\epsilon$ removes this bias, but at a fixed budget
# it keeps ever fewer simulations (a share that falls like $\epsilon^{d}$ for $d$ summaries), so the
# accepted sample becomes small and noisy: a bias–variance trade-off. The classifier learns
# $\log r(\boldsymbol\theta, \mathbf{x})$ from *all* the simulations as a smooth function of
# $\mathbf{x}$, so it can evaluate the posterior at exactly $\mathbf{x}_o$; its errors come from
# the fit (capacity, data, training), not from a tolerance.
# ### END SOLUTION
