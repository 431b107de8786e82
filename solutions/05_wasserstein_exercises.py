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
# # 05 · Exercises: the Wasserstein distance
#
# Fill in each `raise NotImplementedError()` (delete that line), run the cell, then run the
# check cell below it. A ✓ means your answer matches the reference. Otherwise the check says
# what differs and gives a hint. Work in order: later tasks use earlier answers.
#
# Notation as in the lecture: data $p^*$, model $q_\theta$, and the 1-Wasserstein distance
#
# $$W(p^*, q_\theta) = \inf_{\gamma \in \Pi(p^*, q_\theta)} \mathbb{E}_{(\mathbf{x}, \mathbf{y}) \sim \gamma}\,\|\mathbf{x} - \mathbf{y}\|
# = \sup_{\|f\|_L \le 1} \mathbb{E}_{p^*}[f] - \mathbb{E}_{q_\theta}[f].$$
#
# Every function takes torch tensors and returns **one number** (a Python float or a scalar tensor)
# unless the task says otherwise.

# %%
import torch
from scipy.optimize import linear_sum_assignment

import gan_course
from gan_course import checks, metrics
from gan_course.data import toy

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Task 1 · $W$ between two samples in 1D
#
# For two samples $x_1, \dots, x_n$ and $y_1, \dots, y_n$ of the same size, each point carries mass
# $1/n$. In 1D the optimal transport plan never crosses: it sends the $i$-th smallest $y$ to the
# $i$-th smallest $x$. So
#
# $$W = \frac{1}{n}\sum_{i=1}^n |x_{(i)} - y_{(i)}|,$$
#
# where $x_{(i)}$ is the $i$-th smallest value. (Equivalently, $W = \int |F_x(t) - F_y(t)|\,dt$, the area
# between the two empirical CDFs.) `x` and `y` are 1D tensors of equal length.

# %% nbgrader={"grade": false, "grade_id": "wasserstein_1d", "locked": false, "schema_version": 3, "solution": true, "task": false}
def wasserstein_1d(x, y):
    ### BEGIN SOLUTION
    return (x.sort().values - y.sort().values).abs().mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_wasserstein_1d", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_wasserstein_1d(wasserstein_1d)
### BEGIN HIDDEN TESTS
checks.check_wasserstein_1d(wasserstein_1d, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2 · $W$ between two samples in 2D, exactly
#
# In 2D there is no order to sort by, but for two samples of $n$ equally weighted points an optimal
# plan is still a one-to-one **assignment**: a permutation $\pi$ that pairs $\mathbf{x}_i$ with
# $\mathbf{y}_{\pi(i)}$, and
#
# $$W = \min_{\pi} \frac{1}{n} \sum_{i=1}^n \|\mathbf{x}_i - \mathbf{y}_{\pi(i)}\|_2 .$$
#
# `scipy.optimize.linear_sum_assignment(cost)` solves this exactly: given the $n \times n$ matrix
# $C_{ij} = \|\mathbf{x}_i - \mathbf{y}_j\|$ (as a NumPy array), it returns the row and column indices
# of the optimal pairs. `torch.cdist(x, y)` computes the matrix. `x` and `y` have shape $(n, 2)$.

# %% nbgrader={"grade": false, "grade_id": "exact_wasserstein", "locked": false, "schema_version": 3, "solution": true, "task": false}
def exact_wasserstein(x, y):
    ### BEGIN SOLUTION
    cost = torch.cdist(x.double(), y.double()).numpy()
    rows, columns = linear_sum_assignment(cost)
    return float(cost[rows, columns].mean())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_exact_wasserstein", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
checks.check_exact_wasserstein(exact_wasserstein)
### BEGIN HIDDEN TESTS
checks.check_exact_wasserstein(exact_wasserstein, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# A quick sanity check of your own: a point cloud moved by a vector $\mathbf{v}$ is at distance
# exactly $\|\mathbf{v}\|$ from itself (no plan can do better than moving every point by $\mathbf{v}$,
# since $\|\mathbb{E}\,\mathbf{x} - \mathbb{E}\,\mathbf{y}\| \le \mathbb{E}\,\|\mathbf{x} - \mathbf{y}\|$).

# %%
cloud = torch.randn(200, 2, generator=torch.Generator().manual_seed(0))
print(f"W(cloud, cloud + (0.3, 0.4)) = {float(exact_wasserstein(cloud, cloud + torch.tensor([0.3, 0.4]))):.4f}"
      " (expected 0.5)")

# %% [markdown]
# ## Task 3 · Where WGAN-GP penalises the critic
#
# The gradient penalty of WGAN-GP (Gulrajani et al., 2017) looks at random points on the segments
# between paired real and generated samples:
#
# $$\hat{\mathbf{x}}_i = \epsilon_i \mathbf{x}_i + (1 - \epsilon_i)\tilde{\mathbf{x}}_i, \qquad \epsilon_i \sim U[0, 1],$$
#
# with **one** $\epsilon_i$ per pair (so that $\hat{\mathbf{x}}_i$ stays on the segment). Draw the
# $\epsilon_i$ from the `rng` you are given (`torch.rand(..., generator=rng)`), never from
# torch's global random state: that way each run of a batch of GANs has its own stream. `real` and
# `fake` have shape $(B, 2)$; return the $(B, 2)$ points.

# %% nbgrader={"grade": false, "grade_id": "interpolates", "locked": false, "schema_version": 3, "solution": true, "task": false}
def interpolates(real, fake, rng):
    ### BEGIN SOLUTION
    epsilon = torch.rand(real.shape[0], 1, generator=rng)
    return epsilon * real + (1 - epsilon) * fake
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "check_interpolates", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
checks.check_interpolates(interpolates)
### BEGIN HIDDEN TESTS
checks.check_interpolates(interpolates, hidden=True)
### END HIDDEN TESTS

# %% [markdown]
# ## Task 4 · Compare four generators with your $W$ (not graded)
#
# Nothing to write here, and no points: an ungraded demonstration of your `exact_wasserstein`,
# which Task 2 grades on its own. If it fails, the message names the task to revisit.
# This cell builds four "generators" of the two-squares data of the
# lecture, each with a different fault, and measures each against held-out data twice: with
# **your** `exact_wasserstein`, and with the course's independent critic (a fresh WGAN-GP critic,
# `metrics.independent_critic`). The check compares the two rankings.

# %% nbgrader={"grade": false, "grade_id": "check_your_ranking", "locked": true, "schema_version": 3, "solution": false, "task": false}
data = toy.DisjointRegions()
n = 500
rng = torch.Generator().manual_seed(1)
heldout = data.sample(n, rng)
perfect = data.sample(n, rng)
one_square = perfect.clone()
one_square[one_square[:, 0] < 0, 0] += 3.0  # every point of the left square moved to the right one
centres = torch.where(perfect[:, :1] < 0, torch.tensor([-1.5, 0.0]), torch.tensor([1.5, 0.0]))
models = {
    "perfect": perfect,
    "too wide": centres + 2.0 * (perfect - centres),  # each square twice as wide
    "shifted up": perfect + torch.tensor([0.0, 0.9]),
    "one square only": one_square,
}
yours = {name: float(exact_wasserstein(heldout, fake)) for name, fake in models.items()}
critic = {name: metrics.independent_critic(heldout, fake, steps=gan_course.budget(full=400, quick=200))
          for name, fake in models.items()}
for name in models:
    print(f"{name:<16} your exact W {yours[name]:.3f}   independent critic {critic[name]:.3f}")
checks.check_same_ranking(yours, critic)

# %% [markdown]
# ## Task 5 · In your own words
#
# In the table above, the "perfect" generator (fresh samples of the data themselves) is at a
# clearly positive exact $W$ from the held-out data, while the independent critic puts it near $0$.
# Explain in three or four sentences why the exact $W$ between two samples of the *same*
# distribution is not $0$, how you expect it to change with the sample size $n$, and why the
# critic's held-out estimate does not show it. What does this mean when you compare generators
# with the exact $W$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "sample_bias_explanation", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Two independent samples of the same distribution are two different sets of points: to turn one
# into the other, every point has to move to a partner in the other sample, and the typical gap
# between a point and its assigned partner is of the order of the spacing between sample points.
# In 2D that spacing shrinks like $n^{-1/2}$, and matching adds a logarithmic factor (Ajtai, Komlós
# and Tusnády): the exact $W$ between two samples of $n$ points is biased upwards by a term of
# order $\sqrt{\log n / n}$, which decays slowly (4 times more points do not quite halve it).
# The independent critic is a smooth function trained on one half of the data and evaluated on
# the other half; it cannot exploit the particular positions of the evaluation points, so for two
# samples of one distribution its estimate $\mathbb{E}_{p^*}[f] - \mathbb{E}_q[f]$ averages to about
# $0$. Comparing generators with the exact $W$ is therefore fair only with the same sample size for
# all of them, and differences smaller than the bias (the "perfect" row) are not meaningful.
# ### END SOLUTION
