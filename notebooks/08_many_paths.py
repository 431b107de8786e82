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
# # 08 · Many paths to equilibrium
#
# One popular view of GANs says that training minimises a divergence between the data
# $p^*$ and the model $q_\theta$: the original GAN minimises the Jensen–Shannon divergence, WGAN the
# Wasserstein distance. Lesson 05 showed where this view leads. When $p^*$ and $q_\theta$ have disjoint
# supports, $\mathrm{JS}(p^*, q_\theta) = \log 2$ whatever $\theta$ is, so its gradient is zero. By this view
# a JS-based GAN should get no signal there and fail. And a gradient penalty that keeps a critic
# Lipschitz should help WGAN only, since only WGAN's theory asks for it.
#
# Fedus, Rosca, Lakshminarayanan, Dai, Mohamed and Goodfellow (2018) test both predictions. A
# GAN is a game between two players, each minimising its own loss. The generator follows the
# gradient of the *current* discriminator, not the gradient of a divergence.
#
# **Claim.** The non-saturating GAN learns data whose support does not overlap its initial
# samples, although JS gives no signal there. On the way, the divergence rises at many steps
# and training still reaches the data. Gradient penalties from WGAN-GP and DRAGAN can be added to the
# non-saturating GAN (GAN-GP, DRAGAN-NS); the paper finds that they make it succeed more often.
# We test that last point with our own hyper-parameter sweep, and report what we find.
#
# **You will see:**
# data where JS is stuck at $\log 2$ while $W_1$ still measures progress; NS-GAN, GAN-GP, DRAGAN-NS
# and WGAN-GP trained side by side, with snapshots at 0, 10,000 and 20,000 steps; the exact
# $W_1$ and the grid JS along one NS-GAN run, with every step where they rise; and a sweep over
# learning rate × Adam $\beta_1$ × discriminator updates × seeds, with the share of runs that succeed.

# %%
import math
import time

import matplotlib.pyplot as plt
import torch
from matplotlib.ticker import MaxNLocator

import gan_course
from gan_course import metrics, sweeps
from gan_course.models.toy import mlp
from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR, row_of_axes
from gan_course.batched import train_batch
from gan_course.toy_training import GANConfig
from gan_course.widgets import Player

device = gan_course.setup(seed=0)

# %% [markdown]
# ## Data where the Jensen–Shannon divergence gives no signal
#
# The data is a ring of 8 Gaussians of radius 2, each with standard deviation 0.05. Both players
# are small MLPs (two hidden layers of 64 units), and every run in this lesson starts from the
# same generator (seed 0). A freshly initialised generator puts its samples close to the origin,
# well inside the ring:

# %%
# NBVAL_CHECK_OUTPUT
SETTINGS = sweeps.MANY_PATHS_SWEEP  # the data, networks and sweep of this lesson
data = SETTINGS.data()
NETWORKS = SETTINGS.networks  # width 64, depth 2, batch 128

# the generator that train_batch builds for seed 0
initial_generator = mlp(2, 2, width=NETWORKS["width"], depth=NETWORKS["depth"], seed=0)
rng = torch.Generator().manual_seed(1)
real = data.sample(1000, rng=rng)
with torch.no_grad():
    fake = initial_generator(torch.randn(1000, 2, generator=rng))

extent = metrics.default_extent(data)  # the square on which the training loop measures KL and JS
p_cells = metrics.density_on_cells(data.log_prob, extent, metrics.METRIC_BINS)


def grid_js(samples):
    """JS between p* and a histogram of the samples, on the training loop's 30×30 cells."""
    return metrics.grid_divergences(p_cells, metrics.histogram_on_cells(samples, extent, metrics.METRIC_BINS))["js"]


print(f"generator's samples: radius at most {fake.norm(dim=1).max():.2f}; "
      f"data: radius at least {real.norm(dim=1).min():.2f}")
print(f"closest (generator sample, data sample) pair: {torch.cdist(fake, real).min():.2f} apart")
print(f"largest log p*(x) at any generator sample: {data.log_prob(fake).max():.0f}, "
      f"so p*(x) < 10^{math.floor(data.log_prob(fake).max() / math.log(10)) + 1} there")
print(f"grid JS(p*, q_θ) at initialisation: {grid_js(fake):.3f}   (log 2 = {math.log(2):.3f})")

# %% [markdown]
# The supports are disjoint for every practical purpose: no cell of the grid holds mass of both.
# Now move the generator's samples outwards, by scaling them by $s$. This imitates a generator
# that is learning: its samples approach the ring. JS stays at $\log 2$, so it cannot tell these
# generators apart. The exact Wasserstein distance $W_1$ between 1,000 samples of each (an optimal
# assignment, `metrics.exact_wasserstein`) falls steadily:

# %%
scales = [0.5, 1.0, 1.5, 2.0, 2.5]
print(f"{'scale s':>8} {'max radius':>11} {'grid JS':>8} {'exact W₁':>9}")
js_by_scale, w_by_scale = [], []
for scale in scales:
    moved = scale * fake
    js_by_scale.append(grid_js(moved))
    w_by_scale.append(metrics.exact_wasserstein(moved, real))
    print(f"{scale:>8.1f} {moved.norm(dim=1).max():>11.2f} {js_by_scale[-1]:>8.3f} {w_by_scale[-1]:>9.3f}")

fig, (ax_samples, ax_curves) = row_of_axes(2, width=3.6, height=3.3)
ax_samples.scatter(*real.T, s=3, color=REAL_COLOUR, label="data p*")
ax_samples.scatter(*fake.T, s=3, color=FAKE_COLOUR, label="G at step 0")
ax_samples.scatter(*(2.5 * fake).T, s=3, color=FAKE_COLOUR, alpha=0.3, label="2.5 × G")
ax_samples.set_aspect("equal")
ax_samples.legend(fontsize=7, loc="upper right")
ax_samples.set_title("disjoint supports", fontsize=9)
ax_curves.plot(scales, js_by_scale, "o-", color="tab:olive", label="grid JS")
ax_curves.axhline(math.log(2), color="black", ls=":", lw=1, label="log 2")
ax_curves.plot(scales, w_by_scale, "s-", color="tab:red", label="exact W₁")
ax_curves.set_xlabel("generator's samples scaled by s")
ax_curves.legend(fontsize=7)
ax_curves.set_title("JS is flat, W₁ falls", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Four ways to train
#
# All four use the same networks and Adam. The discriminator outputs a logit $l_\phi(\mathbf{x})$, with
# $D_\phi = \sigma(l_\phi)$; for WGAN-GP the same output is the critic's score $f_\phi(\mathbf{x})$. With
# $\mathbf{x} \sim p^*$ and $\tilde{\mathbf{x}} = G_\theta(\mathbf{z})$:
#
# | method | discriminator minimises | generator minimises |
# |---|---|---|
# | NS-GAN | $-\mathbb{E}_{p^*}[\log D_\phi(\mathbf{x})] - \mathbb{E}_{q_\theta}[\log(1 - D_\phi(\tilde{\mathbf{x}}))]$ | $-\mathbb{E}_{\mathbf{z}}[\log D_\phi(G_\theta(\mathbf{z}))]$ |
# | GAN-GP | NS-GAN's loss $+\ \lambda\,\mathbb{E}_{\hat{\mathbf{x}}}[(\lVert\nabla_{\hat{\mathbf{x}}} l_\phi(\hat{\mathbf{x}})\rVert - 1)^2]$, $\hat{\mathbf{x}} = \epsilon\mathbf{x} + (1-\epsilon)\tilde{\mathbf{x}}$ | as NS-GAN |
# | DRAGAN-NS | NS-GAN's loss $+\ \lambda\,\mathbb{E}_{\hat{\mathbf{x}}}[(\lVert\nabla_{\hat{\mathbf{x}}} l_\phi(\hat{\mathbf{x}})\rVert - 1)^2]$, $\hat{\mathbf{x}} = \mathbf{x} + \alpha\delta$ | as NS-GAN |
# | WGAN-GP | $\mathbb{E}_{q_\theta}[f_\phi(\tilde{\mathbf{x}})] - \mathbb{E}_{p^*}[f_\phi(\mathbf{x})] + \lambda\,\mathbb{E}_{\hat{\mathbf{x}}}[(\lVert\nabla_{\hat{\mathbf{x}}} f_\phi(\hat{\mathbf{x}})\rVert - 1)^2]$ | $-\mathbb{E}_{\mathbf{z}}[f_\phi(G_\theta(\mathbf{z}))]$ |
#
# Here $\epsilon, \alpha \sim U[0, 1]$, and the DRAGAN perturbation is $\delta = 0.5\,\boldsymbol{\sigma}\odot\mathbf{u}$ with
# $\mathbf{u} \sim \mathcal{N}(0, I)$ and $\boldsymbol{\sigma}$ the per-coordinate standard deviation of the real batch.
# All penalties use $\lambda = 10$, as in the paper. GAN-GP looks between the data and the samples,
# DRAGAN-NS only near the data. The penalties come from `gan_course.penalties`, and
# `sweeps.MANY_PATHS_METHODS` builds each method's configuration from a seed:

# %%
# NBVAL_CHECK_OUTPUT
METHODS = sweeps.MANY_PATHS_METHODS
for name, make in METHODS.items():
    fields = make(0)
    print(f"{name:<10} loss={fields['loss']!r:<17} penalty={fields.get('penalty')}")

# %% [markdown]
# ## Snapshots at 0, 10,000 and 20,000 steps
#
# One `train_batch` call trains the four runs side by side. They share everything the loop
# needs shared: one discriminator update per generator update, the learning rate
# $\eta_D = \eta_G = 10^{-3}$ and Adam's $(\beta_1, \beta_2) = (0.5, 0.999)$. Only the loss and the penalty differ.
# (WGAN-GP is usually run with several critic updates per generator update; the sweep below
# tries two.)

# %%
steps = gan_course.budget(full=20_000, quick=200)
record_every = steps // 40  # 41 records, the middle one at steps / 2
SNAPSHOT_LR = 1e-3
configs = [GANConfig(lr_disc=SNAPSHOT_LR, lr_gen=SNAPSHOT_LR, betas=(0.5, 0.999), n_disc=1, seed=0,
                     **NETWORKS, **make(0)) for make in METHODS.values()]
histories = dict(zip(METHODS, train_batch(data, configs, steps, record_every=record_every)))
snapshot_index = [0, len(histories["NS-GAN"].steps) // 2, len(histories["NS-GAN"].steps) - 1]
print(f"{len(configs)} runs × {steps:,} steps in one train_batch call: "
      f"{histories['NS-GAN'].wall_time:.0f} s")

# %%
fig, axes = plt.subplots(len(histories), 3, figsize=(7.2, 9.4), sharex=True, sharey=True)
for row, (name, history) in zip(axes, histories.items()):
    for ax, index in zip(row, snapshot_index):
        ax.scatter(*history.real.T, s=2, color=REAL_COLOUR)
        ax.scatter(*history.fake[index].T, s=2, color=FAKE_COLOUR)
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        ax.set_title(f"{name}, step {int(history.steps[index]):,}", fontsize=8)
        ax.tick_params(labelsize=7)
fig.suptitle("data (blue) and generator samples (orange)", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# The same snapshots in numbers: modes covered (of 8) and the share of high-quality samples
# (within $3\sigma$ of a mode; both from 2,000 samples), and the exact $W_1$ between the 512 samples
# shown and 512 data samples. Two samples of the ring itself are about 0.17 apart at this size.
# Then the first record at which a run covers all 8 modes with at least half of its samples of
# high quality (when it *arrives* on the ring), and the largest mean distance of its samples from
# the origin over all records: above 2, the radius of the ring, the cloud went past the ring.

# %%
print(f"{'method':<10}" + "".join(f"{'step ' + format(int(s), ','):>24}"
                                  for s in histories["NS-GAN"].steps[snapshot_index]))
print(f"{'':<10}" + f"{'modes  quality     W₁':>24}" * 3)
for name, history in histories.items():
    cells = []
    for index in snapshot_index:
        w = metrics.exact_wasserstein(history.fake[index], history.real)
        cells.append(f"{int(history.metrics['modes_covered'][index]):>5}  "
                     f"{history.metrics['high_quality'][index]:>7.0%}  {w:>5.2f}")
    arrived = (history.metrics["modes_covered"] == 8) & (history.metrics["high_quality"] >= 0.5)
    arrival = f"step {int(history.steps[arrived][0]):,}" if arrived.any() else "not yet"
    widest = float(history.fake.norm(dim=2).mean(dim=1).max())  # the ring's radius is 2
    print(f"{name:<10}" + "".join(f"{cell:>24}" for cell in cells)
          + f"   arrived: {arrival}, largest mean radius {widest:.1f}")

# %% [markdown]
# All four runs leave the origin and reach the ring, although JS gave them nothing to go on. Their paths
# differ: press Play to watch all 41 records, with each discriminator as a heatmap and the arrows
# $-\nabla_{\mathbf{x}}$ of the generator's loss at its samples. The three penalised discriminators are smooth
# surfaces, as the penalty holds their slope near 1; the NS-GAN's discriminator is free to grow
# sharp peaks and cliffs.

# %%
player = Player(list(histories.values()), labels=list(histories))
player.set_step(-1)
player

# %% [markdown]
# ## The generator does not need to decrease a divergence at every step
#
# Follow the NS-GAN run and measure three distances between $q_\theta$ and $p^*$ at each record: the
# exact $W_1$ between its 512 shown samples and 512 data samples, and the training loop's grid JS and
# grid KL$(p^* \Vert q_\theta)$ (2,000 samples, 30×30 cells). Each record uses the same noise $\mathbf{z}$ and the
# same data sample, so a change from one record to the next is a change of $\theta$, not fresh sampling
# noise. We mark every record at which a distance is higher than at the record before.
#
# The snapshot run was recorded every 500 steps, too coarse to see its approach to the ring. So we
# train the same four runs again for their first 3,000 steps, recorded every 50 steps, and follow the
# NS-GAN. Recording does not change training, so this is the same run: the cell prints the largest
# difference between the two at a step both recorded. (`train_batch` is `train_toy` vectorised over
# runs: a test holds each run of a batch to the same run trained alone, to float32 rounding after 20
# steps. Over thousands of steps GAN training amplifies such rounding, so the NS-GAN trained alone
# would follow another path, sample by sample, than in its batch of four.)

# %%
ns_gan = histories["NS-GAN"]
approach_steps = gan_course.budget(full=3000, quick=120)
approach = train_batch(data, configs, approach_steps, progress=False,
                       record_every=approach_steps // gan_course.budget(full=60, quick=20))[0]
shared_step = max(set(approach.steps.tolist()) & set(ns_gan.steps.tolist()))
difference = (approach.fake[approach.steps == shared_step]
              - ns_gan.fake[ns_gan.steps == shared_step]).abs().max()
print(f"same run: at step {shared_step:,} the two records differ by at most {float(difference):.1e}\n")


def distances_along(history):
    return {"exact W₁": torch.tensor([metrics.exact_wasserstein(f, history.real) for f in history.fake]),
            "grid JS": history.metrics["js"], "grid KL": history.metrics["kl"]}


views = {f"first {approach_steps:,} steps": approach, f"all {steps:,} steps": ns_gan}
fig, axes = plt.subplots(2, 3, figsize=(9.6, 5.6))
for row, (view, history) in zip(axes, views.items()):
    print(f"NS-GAN, {view} (a record every {int(history.steps[1]):,} steps):")
    for ax, (name, values) in zip(row, distances_along(history).items()):
        rises = torch.nonzero(values[1:] > values[:-1]).reshape(-1) + 1
        largest = float((values[1:] - values[:-1]).max())
        above_start = int((values[1:] > values[0]).sum())
        print(f"  {name}: rose at {len(rises)} of {len(values) - 1} records (largest rise {largest:.3f}), "
              f"above its step-0 value at {above_start}; {values[0]:.3f} at step 0, "
              f"{values.min():.3f} at its lowest, {values[-1]:.3f} at the end")
        ax.plot(history.steps, values, color="0.3", lw=1)
        ax.scatter(history.steps[rises], values[rises], color="tab:red", s=10, zorder=3, label="rose")
        if name == "grid JS":
            ax.axhline(math.log(2), color="black", ls=":", lw=1)
        ax.set_title(f"{name}, {view}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    row[0].legend(fontsize=7)
for ax in axes[1]:
    ax.set_xlabel("training step")
fig.tight_layout()
plt.show()
for view, history in views.items():
    print(f"after {view}: {int(history.metrics['modes_covered'][-1])} of 8 modes covered, "
          f"{history.metrics['high_quality'][-1]:.0%} high-quality samples")

# %% [markdown]
# In its first 3,000 steps the run goes from $W_1 \approx 1.9$ to about 0.3 and reaches all 8 modes, yet
# each distance rose at more than a third of the records. In the first few hundred steps, while JS
# is still pinned near $\log 2$, $W_1$ climbs *above* its starting value: the generator's first moves
# take it farther from the data. Over all 20,000 steps the pattern repeats at a coarser
# scale, and after its arrival the run does not settle: KL$(p^* \Vert q_\theta)$ grows again as it loses a mode.
#
# The generator follows its discriminator, and that discriminator is never the optimal one. Its
# steps need not decrease any divergence, and the path still leads to the data. For NS-GAN here, it
# then wanders near the data rather than settling on it.
#
# ## The sweep: how often does each method succeed?
#
# One run per method says little: with other hyper-parameters or another seed, the order can
# flip. Fedus et al. therefore compare methods by the share of runs that succeed over a grid of
# hyper-parameters. Ours, for each of the four methods:
#
# - learning rate $\eta_D = \eta_G \in \{5\cdot10^{-4}, 2\cdot10^{-3}\}$, Adam $\beta_1 \in \{0.5, 0.9\}$ ($\beta_2 = 0.999$),
#   discriminator updates per generator update $n_\text{disc} \in \{1, 2\}$, and 2 seeds: 16 runs per method,
#   64 in all, of 3,000 steps each;
# - **success** means, on 1,000 samples of the trained generator: all 8 modes covered, at least
#   50% high-quality samples, and an exact $W_1 \le 0.3$ to 1,000 fresh data samples. For scale, two
#   samples of the ring itself are about 0.12 apart.
#
# The runs that share $n_\text{disc}$ train in one `train_batch` call (32 runs at a time); the learning
# rates, betas, losses and penalties may differ within a batch. 3,000 steps is what the CPU
# allows for 64 runs in about ten minutes (`benchmarks/sweep_time.md`). So this sweep measures
# success within a fixed, short budget. The snapshots above show what happens much later.
# In quick mode the sweep shrinks to one seed and $n_\text{disc} = 1$, for 50 steps: its table is only a
# smoke test.

# %%
sweep_points = sweeps.sweep_grid(
    list(METHODS), lrs=SETTINGS.lrs, beta1s=SETTINGS.beta1s,
    n_discs=SETTINGS.n_discs[:gan_course.budget(full=2, quick=1)],
    seeds=SETTINGS.seeds[:gan_course.budget(full=2, quick=1)])
sweep_steps = gan_course.budget(full=SETTINGS.steps, quick=50)
criterion = sweeps.SuccessCriterion(
    min_modes=SETTINGS.criterion.min_modes, min_high_quality=SETTINGS.criterion.min_high_quality,
    max_wasserstein=SETTINGS.criterion.max_wasserstein,
    n_eval=gan_course.budget(full=SETTINGS.criterion.n_eval, quick=200))

start = time.perf_counter()
results = sweeps.run_sweep(data, METHODS, sweep_points, sweep_steps, n_eval=criterion.n_eval,
                           **NETWORKS)
print(f"{len(results)} runs of {sweep_steps:,} steps, trained and evaluated in "
      f"{time.perf_counter() - start:.0f} s")

# %%
print(f"success = {criterion}\n")
print(sweeps.format_success_table(sweeps.success_rates(results, criterion)))
for axis in ("beta1", "n_disc", "lr"):
    print()
    print(sweeps.format_success_table(sweeps.success_rates(results, criterion, by=("method", axis)),
                                      by=("method", axis)))

# %% [markdown]
# Where do the runs that fail end up? Each dot is one run at the end of its 3,000 steps: its
# exact $W_1$ against its share of high-quality samples. Successes lie in the shaded corner (and
# also cover all 8 modes).

# %%
fig, axes = row_of_axes(len(METHODS), width=2.5, height=2.6)
for ax, name in zip(axes, METHODS):
    runs = [r for r in results if r.point.method == name]
    ok = [criterion(r) for r in runs]
    wasserstein = [min(r.wasserstein, 3.0) for r in runs]  # W₁ above 3 (or diverged) drawn at 3
    quality = [r.high_quality for r in runs]
    ax.axvspan(criterion.min_high_quality, 1.0, ymax=criterion.max_wasserstein / 3.0,
               color="tab:green", alpha=0.12)
    ax.scatter([q for q, s in zip(quality, ok) if s], [w for w, s in zip(wasserstein, ok) if s],
               color="tab:green", s=16, label="success")
    ax.scatter([q for q, s in zip(quality, ok) if not s], [w for w, s in zip(wasserstein, ok) if not s],
               color="tab:red", marker="x", s=16, label="failure")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 3.0)
    ax.set_title(f"{name}: {sum(ok)} of {len(runs)}", fontsize=9)
    ax.set_xlabel("high-quality share")
axes[0].set_ylabel("exact W₁")
axes[0].legend(fontsize=7)
fig.tight_layout()
plt.show()

# %% [markdown]
# Which condition do the failures miss? For each method, the number of runs that meet each part
# of the criterion on its own:

# %%
quality_header = f"quality ≥ {criterion.min_high_quality:.0%}"
distance_header = f"W₁ ≤ {criterion.max_wasserstein:g}"
print(f"{'method':<10} {'runs':>5} {'8 modes':>8} {quality_header:>14} {distance_header:>9} "
      f"{'all three':>10}")
for name in METHODS:
    runs = [r for r in results if r.point.method == name]
    parts = [criterion.parts(r) for r in runs]
    counts = [sum(p[key] for p in parts) for key in ("modes", "high_quality", "wasserstein")]
    print(f"{name:<10} {len(runs):>5} {counts[0]:>8} {counts[1]:>14} {counts[2]:>9} "
          f"{sum(criterion(r) for r in runs):>10}")

# %% [markdown]
# What the paper predicts and what we measure, side by side:

# %%
by_method = {r.key[0]: r for r in sweeps.success_rates(results, criterion)}
ns = by_method["NS-GAN"]
penalised = sweeps.SuccessRate(("GAN-GP and DRAGAN-NS",),
                               by_method["GAN-GP"].runs + by_method["DRAGAN-NS"].runs,
                               by_method["GAN-GP"].successes + by_method["DRAGAN-NS"].successes, 0)
for rate in (ns, penalised, by_method["WGAN-GP"]):
    low, high = rate.interval()
    print(f"{rate.key[0]:<21} {rate.successes:>2} of {rate.runs} runs succeeded: {rate.rate:.0%} "
          f"(95% interval {low:.0%}–{high:.0%})")
overlap = penalised.interval()[0] <= ns.interval()[1] and ns.interval()[0] <= penalised.interval()[1]
if overlap:
    print("The intervals of NS-GAN and of the penalised NS-GANs overlap: this sweep neither confirms nor "
          "refutes the paper's finding that the penalties make NS-GAN succeed more often.")
elif penalised.rate > ns.rate:
    print("The penalised NS-GANs succeeded more often than NS-GAN, beyond the 95% intervals, "
          "as Fedus et al. report.")
else:
    print("The penalised NS-GANs succeeded LESS often than NS-GAN, beyond the 95% intervals: on this "
          "data our numbers disagree with the paper's finding.")

# %% [markdown]
# **Reading the results.** Within 3,000 steps few runs of any method succeed, and with 16 runs
# per method the 95% intervals overlap widely: this sweep cannot rank the methods. It does show
# *how* they fail, and that differs. Most NS-GAN runs reach the ring (half or more of their samples
# are of high quality) and then fail on $W_1$: they spread their mass unevenly over the modes or miss
# one. Most penalised runs have not reached the ring yet: their high-quality share is below 50%,
# for most of them near 0.
# The snapshots, one seed per method, tell the same story over 20,000 steps: the penalised runs
# arrive later. In those single runs they then end with all 8 modes covered and a lower $W_1$ than
# NS-GAN, which drops a mode; one seed per method cannot tell whether that is the method or the seed.
#
# So on this data, with the budget a CPU allows, our numbers **do not confirm** that gradient
# penalties make NS-GAN succeed more often. A penalty centred at slope 1 holds the discriminator's
# slope near 1 (exercise 4 measures it), and here the penalised generators crossed the gap more
# slowly. Whether they buy better coverage later, as the single long runs hint, would take many
# long runs per method to say. Fedus et al. trained for far longer, on more data sets and a broader grid. Testing
# their claim at that scale is a GPU job.
#
# ## Summary
#
# - Training does not follow the gradient of a divergence. Where JS is stuck at $\log 2$, the
#   non-saturating GAN still learns, because its generator follows the slope of the current
#   discriminator.
# - On the way to the equilibrium the divergence goes up at many steps. A path to the equilibrium
#   need not go downhill on the divergence at every step.
# - Gradient penalties derived for WGAN can be bolted onto NS-GAN (GAN-GP, DRAGAN-NS). Whether they
#   help is an empirical question, answered by counting successes over a sweep, with the number of
#   runs and the success threshold stated. In our short CPU sweep they did not help NS-GAN succeed
#   more often. In single long runs (one seed each) they ended with better mode coverage, which
#   one seed per method does not establish.
#
# Next: **exercises/08_many_paths_exercises.ipynb** has you implement weight clipping and both
# penalties. Lesson 09 asks how to measure a generator at all: each metric, including the ones
# used here, sees a different failure.
