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
# # 00 · Welcome to *Understanding GANs*
#
# This course follows the talk *Understanding Generative Adversarial Networks*
# (Balaji Lakshminarayanan) and its four papers. It starts from one idea, that
# **a classifier between real and simulated data estimates a density ratio**, and
# builds GANs from it: f-GANs, moment matching, Wasserstein GANs, Real NVP trained by
# likelihood and by a critic, α-GAN, and gradient penalties.
#
# ## How the course works
#
# | folder | what it holds | what you do with it |
# |---|---|---|
# | `notebooks/` | one **lecture** per lesson: the math, experiments, figures | read and run; change things |
# | `exercises/` | one **exercise** notebook per lesson, with blanks | fill in each `raise NotImplementedError()`, run the check cell below it |
# | `solutions/` | the same exercises, answered | compare after you have tried |
#
# Every notebook is also stored as a plain `.py` script beside it (paired by jupytext), which is
# what to read in a code review or a diff.
#
# **Check cells.** After each task an exercise calls `gan_course.checks`. A right answer prints
# a ✓ line. A wrong one prints one sentence: what differs, on which input, and a hint.
#
# **Quick and full mode.** Each experiment sizes its loops with
# `gan_course.budget(full=..., quick=...)`. Normally you run in full mode. With the environment
# variable `GAN_COURSE_QUICK=1` (which `make test` and CI set) every loop shrinks, so that a
# notebook runs in under a minute. It is the same code either way; only the step counts change.
#
# **CPU or GPU.** Every lesson teaches its point on a laptop CPU. `gan_course.setup()` picks a
# CUDA GPU, then Apple's MPS, then the CPU. The full-scale image experiments of lessons 05–09 are
# command-line runs meant for a GPU; their lessons show the results and how to reproduce them.

# %%
import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display

import gan_course
from gan_course.data import toy

device = gan_course.setup(seed=0)

# %% [markdown]
# ## The course map
#
# | # | lesson | the claim it demonstrates |
# |---|---|---|
# | 00 | welcome | — |
# | 01 | density ratio | a classifier trained with a strictly proper rule is a ratio estimator, $\mathcal{D} = r/(r+1)$ |
# | 02 | f-GAN | different $f$ give different generators; the variational bound is tight at the optimal critic |
# | 03 | ratio and moments | the ratio-matching loss is an f-divergence loss; matching moments is another comparison |
# | 04 | learning the generator | the non-saturating loss keeps gradients alive; mode collapse |
# | 05 | Wasserstein | $W$ is informative where JS is constant |
# | 06 | Real NVP | WGAN-trained flows give nice samples but far worse log-likelihood |
# | 07 | α-GAN | auto-encoding fights mode collapse |
# | 08 | many paths | gradient penalties stabilise non-Wasserstein GANs too |
# | 09 | evaluation | each metric sees a different failure |
# | 10 | beyond GANs | a discriminator learns what is realistic |
#
# The README lists which lessons are ready and how long each takes.
#
# ## Your setup
#
# The line printed above says which device and mode this kernel uses. Here is how a loop
# size depends on the mode:

# %%
steps = gan_course.budget(full=20_000, quick=200)
print(f"quick mode is {'on' if gan_course.is_quick() else 'off'}: a 20,000-step experiment runs {steps:,} steps")

# %% [markdown]
# ## Do widgets work here?
#
# The lessons animate training with ipywidgets. Run the cell below and move its slider. The
# plot should follow, showing samples from a ring of 8 Gaussians (the data of lesson 04) with
# the chosen number of points. (A slider needs a running kernel, so the stored copy of this
# notebook shows nothing under that cell until you run it.)
#
# If you see text such as `interactive(children=(IntSlider(...` instead of a slider, widgets
# are not rendering. Check that this notebook runs on the **Python (gan-course)** kernel (top
# right of JupyterLab), and see *Troubleshooting* in the README.

# %%
ring = toy.ring_of_gaussians()


def show_ring(points=500):
    sample = ring.sample(points, torch.Generator().manual_seed(0))
    fig, ax = plt.subplots(figsize=(3.5, 3.5))
    ax.scatter(sample[:, 0], sample[:, 1], s=4, alpha=0.5)
    ax.scatter(ring.modes[:, 0], ring.modes[:, 1], s=150, facecolors="none", edgecolors="black")
    ax.set(xlim=(-2.6, 2.6), ylim=(-2.6, 2.6), aspect="equal", title=f"{points} samples from 8 modes")
    plt.show()


slider = widgets.IntSlider(value=500, min=50, max=2000, step=50, description="points")
display(widgets.interactive(show_ring, points=slider))

# %% [markdown]
# The slider is a real widget object, so code can read it as well as you. This cell checks the
# kernel side, which is everything except the drawing in your browser:

# %%
# NBVAL_CHECK_OUTPUT
print(f"ipywidgets {widgets.__version__.split('.')[0]}.x in this kernel; "
      f"slider range {slider.min}-{slider.max}, step {slider.step}")

# %% [markdown]
# ## Next
#
# Open **notebooks/01_density_ratio.ipynb**. Then try **exercises/01_density_ratio_exercises.ipynb**.
