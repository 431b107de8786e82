# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python (gan-course)
#     language: python
#     name: gan-course
# ---

# %% [markdown]
# # 04 · Learning the generator
#
# Lessons 01–03 trained the *comparison*: a discriminator $\mathcal{D}_\phi$ that tells $p^*$ from
# $q_\theta$ and so estimates the ratio $r = p^*/q_\theta$ or a divergence. This lesson trains the
# other player. The generator $G_\theta$ is an *implicit* model: it can sample,
# $\mathbf{x} = G_\theta(\mathbf{z})$ with $\mathbf{z}\sim\mathcal{N}(0, I)$, but it has no density
# $q_\theta(\mathbf{x})$ to differentiate. It learns only through the discriminator.
#
# **Claim.** The generator's gradient is the discriminator's gradient carried back through
# $G_\theta$ (the reparameterisation trick). With the original, *saturating* objective that
# gradient vanishes exactly when the generator is poor, $\mathcal{D}(G(\mathbf{z})) \approx 0$,
# i.e. $r \ll 1$ at the fakes; the *non-saturating* objective keeps it alive. A generator trained
# this way can still cover only part of the data: mode collapse.
#
# **You will see:** the pathwise (reparameterised) gradient against the score-function
# estimator; the two generator objectives and their gradients as functions of
# $\mathcal{D}(G(\mathbf{z}))$; gradient norms measured at initialisation on the ring of 8
# Gaussians as the discriminator gets better; what a generator does against a frozen
# discriminator with each objective; GANs on the ring of 8, animated, with mode coverage
# numbers; and a lab to explore on your own.

# %%
import inspect

import matplotlib.pyplot as plt
import torch

import gan_course
from gan_course import metrics, ratio
from gan_course.data import toy
from gan_course.gan_losses import generator_loss_curve, minimax, non_saturating
from gan_course.models import mlp
from gan_course.plotting import FAKE_COLOUR, REAL_COLOUR, row_of_axes
from gan_course.batched import train_batch
from gan_course.toy_training import GANConfig
from gan_course.train import discriminator_step, generator_gradient_norm, generator_step, train
from gan_course.widgets import Lab, Player, export_animation

device = gan_course.setup(seed=0)

# %% [markdown]
# ## The generator is a reparameterised sampler
#
# Whatever the generator minimises is an expectation over its own samples,
# $\mathbb{E}_{q_\theta}[h(\mathbf{x})]$: for a GAN, $h$ is the generator's loss through the
# discriminator. We cannot differentiate $q_\theta$, but we can write the sample as a
# function of $\theta$ and fixed noise and move the gradient inside:
#
# $$
# \nabla_\theta\,\mathbb{E}_{q_\theta}[h(\mathbf{x})]
# = \nabla_\theta\,\mathbb{E}_{\mathbf{z}}[h(G_\theta(\mathbf{z}))]
# = \mathbb{E}_{\mathbf{z}}\big[\nabla_\mathbf{x} h(\mathbf{x})\big|_{\mathbf{x}=G_\theta(\mathbf{z})}\;
#   \partial_\theta G_\theta(\mathbf{z})\big].
# $$
#
# This is the **pathwise** or reparameterisation gradient (Kingma & Welling 2014; Rezende et al.
# 2014). It needs $\nabla_\mathbf{x} h$, which the discriminator provides. The alternative, the
# **score-function** estimator $\mathbb{E}_{q_\theta}[h(\mathbf{x})\,\nabla_\theta\log q_\theta(\mathbf{x})]$
# (REINFORCE), needs the density, which an implicit model does not have.
#
# Where both exist we can compare them. Take $x = \mu + \sigma z$, so $q_\theta = \mathcal{N}(\mu, \sigma^2)$,
# and $h(x) = x^2$: the exact gradient is $\partial_\mu\mathbb{E}[x^2] = 2\mu$. Both estimators are
# unbiased; their spread over repeated batches of 16 samples differs:

# %%
# NBVAL_CHECK_OUTPUT
mu, sigma, batch, repeats = 1.0, 0.5, 16, 2000
z = torch.randn(repeats, batch, generator=torch.Generator().manual_seed(0))
x = mu + sigma * z
estimates = {
    "pathwise      E[h'(x) ∂x/∂μ] = E[2x]": (2 * x).mean(dim=1),
    "score function E[h(x) ∂log q/∂μ]": (x**2 * (x - mu) / sigma**2).mean(dim=1),
}
print(f"exact ∂E[x²]/∂μ = 2μ = {2 * mu:.2f}; {repeats} batches of {batch} samples")
for name, values in estimates.items():
    print(f"  {name:36s} mean {values.mean():.3f}   std {values.std():.3f}")
stds = [values.std() for values in estimates.values()]
print(f"the score-function estimate is {stds[1] / stds[0]:.1f} times noisier")

# %% [markdown]
# Both are centred on the exact value, but the score-function estimate is several times
# noisier, and the pathwise one is the only one a GAN can use. In code the trick is invisible: `fake = generator(noise)` is differentiable in the
# generator's weights, and `loss.backward()` carries $\nabla_\mathbf{x} h$ through it.
#
# ## Two objectives for the generator
#
# The discriminator outputs a logit $l(\mathbf{x})$ with $\mathcal{D} = \sigma(l)$, trained with
# the Bernoulli loss of lesson 01. The minimax game (Goodfellow et al. 2014) gives the generator
# the other side of that loss; the *non-saturating* variant from the same paper flips which label
# it fights:
#
# | objective | the generator minimises | in logits | $\partial/\partial l$ per sample |
# |---|---|---|---|
# | saturating (minimax) | $\mathbb{E}_\mathbf{z}[\log(1-\mathcal{D}(G(\mathbf{z})))]$ | $-\mathbb{E}[\operatorname{softplus}(l)]$ | $-\sigma(l) = -\mathcal{D}$ |
# | non-saturating | $-\mathbb{E}_\mathbf{z}[\log\mathcal{D}(G(\mathbf{z}))]$ | $\mathbb{E}[\operatorname{softplus}(-l)]$ | $-(1-\sigma(l)) = -(1-\mathcal{D})$ |
#
# Both push $l$ up at the fakes and have the same fixed point. Their sizes differ. At an optimal
# discriminator $\mathcal{D} = r/(1+r)$ (lesson 01), so at a fake that the discriminator
# confidently rejects, $r \ll 1$, the saturating gradient is $\approx r$ and vanishes, while the
# non-saturating one is $\approx 1$. Early in training every fake is such a fake.
#
# The table below takes these derivatives with autograd through the package's loss functions:

# %%
# NBVAL_CHECK_OUTPUT
print(" r = p*/q    D = r/(1+r)    |∂ℓ/∂l| saturating    |∂ℓ/∂l| non-saturating")
for r in (1.0, 1e-1, 1e-2, 1e-3, 1e-4):
    logit = torch.tensor(r).log()  # the optimal discriminator's logit l = log r at π = ½
    slopes = [generator_loss_curve(loss, logit)[1].abs().item() for loss in ("minimax", "non_saturating")]
    print(f" {r:8.0e}    {r / (1 + r):11.2e}    {slopes[0]:20.2e}    {slopes[1]:22.3f}")

# %%
d_values = torch.logspace(-5, 0, 400)[:-1]
logits_grid = torch.log(d_values / (1 - d_values))
fig, (ax_loss, ax_slope) = row_of_axes(2, width=4.4, height=3.2)
for loss, label, colour in (("minimax", "saturating: log(1 − D)", "tab:red"),
                            ("non_saturating", "non-saturating: −log D", "tab:green")):
    per_sample, slope = generator_loss_curve(loss, logits_grid)
    ax_loss.plot(d_values, per_sample, color=colour, label=label)
    ax_slope.loglog(d_values, slope.abs(), color=colour, label=label)
for ax in (ax_loss, ax_slope):
    ax.axvspan(1e-5, 1e-2, color="0.9", zorder=0)
    ax.set_xlabel("D(G(z))")
ax_loss.set_xscale("log")
ax_loss.set_ylabel("generator's loss ℓ")
ax_loss.set_title("the two objectives")
ax_slope.set_ylabel("|∂ℓ/∂l|")
ax_slope.set_title("their gradient at the logit")
ax_slope.text(2e-5, 2e-4, "early training:\nD(G(z)) ≪ 1", fontsize=8)
ax_loss.legend(fontsize=8)
plt.show()

# %% [markdown]
# Left: both objectives decrease as $\mathcal{D}(G(\mathbf{z}))$ rises, but the saturating one is
# flat where the fakes start (shaded). Right: its slope falls in proportion to
# $\mathcal{D}(G(\mathbf{z}))$, while the non-saturating slope stays near 1.
#
# ## Measured: gradient norms at initialisation
#
# The slopes above are per logit. What the generator's optimiser sees is
# $\lVert\nabla_\theta L_G\rVert$, which also contains the discriminator's gradient
# $\nabla_\mathbf{x} l$ and the generator's Jacobian. We measure it on the ring of 8 Gaussians.
# A fresh generator (an MLP with 2 hidden layers of 64 units) puts its samples in a small blob near
# the origin, far from the ring. We train the discriminator against those fixed samples for
# more and more steps: it is lesson 01's ratio classifier with the Bernoulli rule. Then we
# measure the generator's gradient norm under each objective (`generator_gradient_norm`).
# Each row averages 3 seeds for the generator's initialisation.

# %%
ring = toy.ring_of_gaussians()
# the discriminator's training lengths: 0, 30, 100, 300, ... up to 3,000 steps (300 in quick mode)
disc_steps = [0] + [s for s in (30, 100, 300, 1000, 3000) if s <= gan_course.budget(full=3000, quick=300)]
seeds = range(gan_course.budget(full=3, quick=2))
n_samples = 2000


def fresh_generator(seed):
    return mlp(2, 2, width=64, depth=2, seed=seed)


rows = []
for steps in disc_steps:
    measured = []
    for seed in seeds:
        generator = fresh_generator(seed)
        noise = torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(seed))
        fakes = generator(noise).detach()
        real = ring.sample(n_samples, rng=torch.Generator().manual_seed(100 + seed))
        if steps == 0:
            discriminator = mlp(2, 1, width=64, depth=2, seed=1000 + seed)
        else:
            discriminator = ratio.fit_ratio_classifier(real, fakes, "bernoulli", steps=steps,
                                                       seed=seed).network
        with torch.no_grad():
            d_fake = torch.sigmoid(discriminator(fakes)).mean().item()
        measured.append([d_fake] + [generator_gradient_norm(generator, discriminator, loss, noise)
                                    for loss in ("minimax", "non_saturating")])
    rows.append([steps] + torch.tensor(measured).mean(dim=0).tolist())

print("D steps   mean D(G(z))   ‖∇θ‖ saturating   ‖∇θ‖ non-saturating   ratio")
for steps, d_fake, saturating, non_sat in rows:
    print(f"{steps:7d}   {d_fake:12.2e}   {saturating:15.2e}   {non_sat:19.3f}   {non_sat / saturating:7.0f}×")

# %%
table = torch.tensor(rows)
fig, (ax,) = row_of_axes(1, width=4.6, height=3.2)
ax.loglog(table[:, 1], table[:, 2], "o-", color="tab:red", label="saturating")
ax.loglog(table[:, 1], table[:, 3], "o-", color="tab:green", label="non-saturating")
for steps, d_fake, _, non_sat in rows:
    ax.annotate(f"{steps}", (d_fake, non_sat), textcoords="offset points", xytext=(0, 5),
                fontsize=7, ha="center")
ax.invert_xaxis()
ax.set_xlabel("mean D(G(z))  (the discriminator improves →)")
ax.set_ylabel("‖∇θ L_G‖ at initialisation")
ax.set_title("labels: discriminator training steps", fontsize=9)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# With an untrained discriminator ($\mathcal{D}\approx 0.5$) the two norms are alike. As the
# discriminator learns to reject the blob, $\mathcal{D}(G(\mathbf{z}))$ falls by orders of
# magnitude and the saturating gradient falls with it, while the non-saturating gradient *grows*:
# a confident discriminator has steep logits, and $1-\mathcal{D}\approx 1$ passes that
# steepness on. This is the situation at the start of every GAN run, and the reason practical
# GANs use the non-saturating loss.
#
# ## What a vanishing gradient does
#
# Freeze the best discriminator from the table and let only the generator move, 300 steps of
# plain gradient descent and of Adam with each objective, from the same initial weights.
# We track $\mathcal{D}(G(\mathbf{z}))$ and how far the samples travel from the origin (the ring
# has radius 2). A frozen discriminator is not a GAN: it knows only where the *initial* fakes
# were, so it can say "away from here", not "to the ring". The point is whether the generator
# moves at all.

# %%
frozen = ratio.fit_ratio_classifier(
    ring.sample(n_samples, rng=torch.Generator().manual_seed(100)),
    fresh_generator(0)(torch.randn(n_samples, 2, generator=torch.Generator().manual_seed(0))).detach(),
    "bernoulli", steps=disc_steps[-1], seed=0).network.requires_grad_(False)
generator_steps = 300
noise = torch.randn(256, 2, generator=torch.Generator().manual_seed(1))


def generator_only(loss, optimizer_name, lr):
    generator = fresh_generator(0)
    optimizer = (torch.optim.SGD(generator.parameters(), lr=lr) if optimizer_name == "SGD"
                 else torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999)))
    for _ in range(generator_steps):
        logits_fake = frozen(generator(noise)).squeeze(-1)
        objective = loss(logits_fake, logits_fake).generator
        optimizer.zero_grad()
        objective.backward()
        optimizer.step()
    return generator


print(f"{generator_steps} generator steps against a frozen discriminator")
print("optimiser   objective         mean D(G(z))   mean ‖G(z)‖ (start → end)")
start_radius = fresh_generator(0)(noise).norm(dim=1).mean().item()
moved = {}
for optimizer_name, lr in (("SGD", 0.05), ("Adam", 1e-3)):
    for loss, label in ((minimax, "saturating"), (non_saturating, "non-saturating")):
        trained = generator_only(loss, optimizer_name, lr)
        with torch.no_grad():
            fakes = trained(noise)
            d_fake = torch.sigmoid(frozen(fakes)).mean().item()
        moved[(optimizer_name, label)] = fakes
        print(f"{optimizer_name:9s}   {label:15s}   {d_fake:12.2e}   "
              f"{start_radius:.2f} → {fakes.norm(dim=1).mean():.2f}")

# %%
fig, axes = row_of_axes(4, width=2.5, height=2.5)
ring_sample = ring.sample(1000, rng=torch.Generator().manual_seed(3))
start = fresh_generator(0)(noise).detach()
for ax, ((optimizer_name, label), fakes) in zip(axes, moved.items()):
    ax.scatter(*ring_sample.T, s=2, color=REAL_COLOUR)
    ax.scatter(*start.T, s=2, color="0.6")
    ax.scatter(*fakes.T, s=2, color=FAKE_COLOUR)
    ax.set_title(f"{optimizer_name}, {label}", fontsize=9)
    ax.set(xlim=(-4, 4), ylim=(-4, 4), xticks=[], yticks=[], aspect="equal")
    radius = fakes.norm(dim=1).mean()
    if radius > 4:
        ax.text(0, -3.6, f"fakes out of view\n(mean ‖G(z)‖ = {radius:.0f})", ha="center", fontsize=7)
axes[0].legend(["data", "start", "after"], fontsize=7, markerscale=4, loc="lower left")
plt.show()

# %% [markdown]
# With plain gradient descent the saturating generator does not move: against this discriminator
# (3,000 steps, the last row of the table above) its gradient is about $6 \times 10^{4}$ times
# smaller than the non-saturating one. The non-saturating generator leaves the blob until the frozen
# discriminator calls its samples real, $\mathcal{D}\approx 1$, where its slope $1-\mathcal{D}$
# vanishes and it stops.
#
# Adam hides the difference in size. It divides each update by a running root-mean-square of the
# gradient, so a uniformly tiny gradient still gives steps of about the learning rate. This is one
# reason the saturating loss sometimes trains anyway with Adam, and why the full GANs below both
# learn. It also shows the other side of the saturating objective. Its slope $\mathcal{D}$
# *grows* as the fakes are accepted, so nothing stops it, and it follows this ReLU
# discriminator's ever-growing logit far out of the picture. The non-saturating generator stops
# where its slope vanishes.

# %% [markdown]
# ## The training loop
#
# Both players now learn. Every GAN of the course, here and in the later lessons, trains with
# one loop, `gan_course.train.train`. Each training step alternates
#
# $$n_D \text{ times: } \phi \leftarrow \phi - \eta_D\, \text{opt}\big(\nabla_\phi \mathcal{L}_D(\phi, \theta)\big),
# \qquad n_G \text{ times: } \theta \leftarrow \theta - \eta_G\, \text{opt}\big(\nabla_\theta \mathcal{L}_G(\phi, \theta)\big),$$
#
# each player's update holding the other fixed, with $\mathcal{L}_D$ and $\mathcal{L}_G$ from a GAN
# loss such as `non_saturating`. These are the two steps, as the package has them:

# %%
print(inspect.getsource(discriminator_step))
print(inspect.getsource(generator_step))

# %% [markdown]
# The loop calls them in turn, `n_disc` and `n_gen` times per step, with batches from any object
# that has `real()` and `noise()`, and calls a `hook(step, disc_loss, gen_loss)` after every step:
# that is how the recordings below are made, and how you can log anything else. The networks
# are plain `nn.Module`s and the optimisers `torch.optim`'s. One run by hand, on the ring of 8:

# %%
class RingBatches:
    """Fresh batches x ~ p* (the ring) and z ~ N(0, I), from one seeded random stream."""

    def __init__(self, batch_size: int, seed: int):
        self.batch_size, self.rng = batch_size, torch.Generator().manual_seed(seed)

    def real(self):
        return ring.sample(self.batch_size, rng=self.rng)

    def noise(self):
        return torch.randn(self.batch_size, 2, generator=self.rng)


generator, discriminator = mlp(2, 2, seed=0), mlp(2, 1, seed=1)
losses = []
by_hand_steps = gan_course.budget(full=3000, quick=200)
train(generator, discriminator, RingBatches(256, seed=0), by_hand_steps, loss="non_saturating",
      gen_optimizer=torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.999)),
      disc_optimizer=torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.999)),
      hook=lambda step, disc_loss, gen_loss: losses.append((float(disc_loss), float(gen_loss))))

with torch.no_grad():
    samples = generator(torch.randn(2000, 2, generator=torch.Generator().manual_seed(9)))
covered, high_quality = metrics.mode_coverage(samples, ring.modes, ring.mode_std)
print(f"after {by_hand_steps} steps: {covered} of 8 modes covered, high-quality share "
      f"{high_quality:.2f} (2,000 samples)")
fig, (ax_losses, ax_samples) = row_of_axes(2, width=4.2)
ax_losses.plot(torch.tensor(losses), lw=0.6, label=[r"$\mathcal{L}_D$", r"$\mathcal{L}_G$"])
ax_losses.set(xlabel="step", title="the loss of each step's last updates")
ax_losses.legend()
ax_samples.scatter(*ring_sample.T, s=2, color=REAL_COLOUR, label="data")
ax_samples.scatter(*samples[:1000].T, s=2, color=FAKE_COLOUR, label="G(z)")
ax_samples.set(aspect="equal", title=f"samples after {by_hand_steps} steps")
ax_samples.legend(markerscale=4)
plt.show()

# %% [markdown]
# ## GANs on the ring of 8: mode collapse and mode hopping
#
# Now five runs of the same loop, recorded for the player. `train_toy` builds a run from a
# `GANConfig` (networks, Adam, batches, seed) and records it with a hook; `train_batch` trains
# several configurations at once, as `train_toy` vectorised over runs (a test holds each run of a
# batch to the run trained alone, to float32 rounding). Five runs in one batched call: the non-saturating GAN with three seeds
# and the saturating one with the first seed, all with learning rates $10^{-3}$; and the
# non-saturating GAN with a discriminator that learns 100 times faster than the generator
# ($10^{-2}$ against $10^{-4}$). All have the same networks, Adam and batches of 256. Every recorded step stores the samples, the discriminator's
# heat map, the generator's manifold (a grid of noise pushed through $G$), the arrows
# $-\nabla_\mathbf{x}\ell_G$ that show where each sample is pushed, and two metrics (Srivastava et
# al. 2017). **Modes covered** counts the modes with at least one sample within 3 standard
# deviations. The **high-quality share** is the fraction of samples within 3 standard deviations
# of some mode.

# %%
ring_steps = gan_course.budget(full=6000, quick=300)
ring_configs = [GANConfig(loss="non_saturating", seed=seed, width=64, depth=2) for seed in (0, 1, 2)]
ring_configs.append(GANConfig(loss="minimax", seed=0, width=64, depth=2))
ring_configs.append(GANConfig(loss="non_saturating", seed=0, width=64, depth=2, lr_disc=1e-2,
                              lr_gen=1e-4))
ring_runs = train_batch(ring, ring_configs, ring_steps, record_every=ring_steps // 30)
labels = ["non-saturating, seed 0", "non-saturating, seed 1", "non-saturating, seed 2",
          "saturating, seed 0", "non-saturating, fast D"]
print(f"{ring_steps} steps in {ring_runs[0].wall_time:.0f} s for the {len(ring_runs)} runs together")

# %%
print(f"ring of 8 after {ring_steps} steps (2,000 samples per run)")
print("run                        modes covered   high-quality share")
for label, run in zip(labels, ring_runs):
    print(f"{label:26s} {int(run.metrics['modes_covered'][-1]):7d} / 8   "
          f"{run.metrics['high_quality'][-1]:14.2f}")

# %% [markdown]
# The player below replays the first non-saturating run, the saturating one and the run with
# the fast discriminator side by side. Press Play, drag the slider, and switch layers on and off. The stored image is the last frame.
# Under the panels, the loss curves and the two metrics have a cursor at the current step.

# %%
shown = [0, 3, 4]
player = Player([ring_runs[i] for i in shown], labels=[labels[i] for i in shown])
player.set_step(len(ring_runs[0].steps) - 1)
player

# %% [markdown]
# Coverage counts a mode as soon as *one* sample reaches it. Mode collapse shows better in how
# the samples *share* the modes over time. Below, each row is a mode and each column a recorded
# step. The colour is the share of the run's 512 displayed samples that are high-quality at that
# mode; a perfect generator gives 1/8 to every mode.


# %%
def mode_shares_over_time(run, data):
    """(records, modes): metrics.mode_shares of the run's shown samples at every record."""
    return torch.stack([metrics.mode_shares(fakes, data.modes, data.mode_std) for fakes in run.fake])


fig, axes = row_of_axes(len(ring_runs), width=2.5, height=2.2)
for ax, label, run in zip(axes, labels, ring_runs):
    shares = mode_shares_over_time(run, ring)
    image = ax.imshow(shares.T, aspect="auto", cmap="magma", vmin=0, vmax=0.5, origin="lower",
                      extent=(0, ring_steps, -0.5, 7.5), interpolation="nearest")
    ax.set_title(label, fontsize=8)
    ax.set_xlabel("step")
axes[0].set_ylabel("mode")
fig.colorbar(image, ax=axes, shrink=0.8, label="share of samples (≥ 0.5: yellow)")
plt.show()

# %%
print("run                        modes empty in the   times a mode emptied   times a mode")
print("                           whole second half    (share < 2%)           was found again")
for label, run in zip(labels, ring_runs):
    present = mode_shares_over_time(run, ring) >= 0.02  # (records, modes): the mode holds ≥ 2% of samples
    second_half = present[len(present) // 2:]
    emptied = int((present[:-1] & ~present[1:]).sum())
    found_again = int((~present[:-1] & present[1:] & (present.cummax(dim=0).values[:-1])).sum())
    print(f"{label:26s} {int((~second_half.any(dim=0)).sum()):10d}   {emptied:19d}   "
          f"{found_again:22d}")

# %% [markdown]
# Two forms of mode collapse show here. With the fast discriminator the generator collapses:
# most of its samples sit on one mode, a single bright row, and coverage stays at one or two modes.
# With equal learning rates no run collapses that far. The generator spreads over the ring within
# a thousand steps, but modes keep emptying out and being found again as its mass hops between
# neighbouring modes, and a run can end with modes it has lost (see the coverage table above).
# Metz et al. (2017, figure 1) show a generator that holds one mode at a time and hops round the
# whole ring, with other networks and learning rates. You can look for it in the lab below.
#
# A moving picture of the same runs, which plays without a running kernel:

# %%
export_animation([ring_runs[i] for i in shown], frames=8, dpi=40, labels=[labels[i] for i in shown])

# %% [markdown]
# ## The lab
#
# Choose the data, the loss, the learning rates, the number of discriminator and generator
# updates per step, the noise dimension and the networks' size, then press **Train**. The figure
# updates while it trains; then a player replays the run. Things to try:
#
# - the saturating loss (`minimax`) with 5 discriminator steps per generator step;
# - the ring with a noise dimension of 1: the generator must draw the ring as one curve;
# - the grid of 25 Gaussians, or the two moons, with a noise dimension of 1;
# - `least_squares` and `hinge`, which lessons 01 and 05 explain.
#
# (In a static rendering of this notebook the lab shows as text: it needs a running kernel.)

# %%
Lab()

# %% [markdown]
# ## Summary
#
# - The generator learns through the discriminator: its gradient is
#   $\mathbb{E}_\mathbf{z}[\nabla_\mathbf{x}\ell\;\partial_\theta G_\theta(\mathbf{z})]$, the
#   reparameterisation trick, and it needs no density.
# - The saturating objective $\log(1-\mathcal{D})$ has slope $\mathcal{D}\approx r$ at the fakes:
#   its gradient vanishes when the discriminator wins, which is the start of training. The
#   non-saturating $-\log\mathcal{D}$ has slope $1-\mathcal{D}\approx 1$. The measured norms above
#   differ by orders of magnitude.
# - Adam's steps do not scale with the gradient's size, so with Adam the difference can vanish in
#   practice: on the ring of 8 above, the saturating run ends much like the non-saturating one with
#   the same seed (compare their rows of the table). The gradients differ by orders of magnitude;
#   what the optimiser does with them is another matter.
# - Even with the non-saturating loss, the generator can concentrate on a few modes and move
#   between them (mode collapse and mode hopping). The discriminator only says where the fakes
#   are *now* too many, not where data is missing.
#
# Next: **exercises/04_generator_exercises.ipynb**, where you write both objectives, the
# reparameterised sample and one generator step. Lesson 05 replaces the classifier with a
# critic whose gradient does not vanish even when the supports are disjoint.
