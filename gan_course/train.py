"""One alternating-update loop for GANs on 2D toy data, and what it records.

A generator G_θ maps noise z ~ N(0, I) to points x = G_θ(z) with density q_θ;
a discriminator D_φ (a logit, or a critic's score) compares them with data
x ~ p*. Every training step alternates

    n_disc times:  φ ← φ − η_D · Adam(∇_φ L_D(φ, θ))     (θ fixed)
    n_gen  times:  θ ← θ − η_G · Adam(∇_θ L_G(φ, θ))     (φ fixed)

with L_D and L_G from a GAN loss of ``gan_course.gan_losses``. ``train`` runs
one configuration; ``train_batch`` runs K configurations at once by stacking
their networks' weights (``BatchedMLP``), which is several times faster on a
CPU than K separate runs and gives the same result: run k draws its data and
noise from its own random generator, its weights start from its own seed, and
its loss depends only on its own slice of the stack.

While it trains, the loop records a :class:`History` (the generator's samples,
the discriminator on a grid, the generator's pushes, losses and metrics) that
the widgets of ``gan_course.widgets`` replay.

    history = train(toy.ring_of_gaussians(), GANConfig(loss="non_saturating"), steps=2000)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from gan_course import metrics
from gan_course.gan_losses import GAN_LOSSES, PROBABILISTIC_DISCRIMINATOR, GANLoss, get_gan_loss
from gan_course.models.toy import ACTIVATIONS, BatchedMLP, mlp

Tensor = torch.Tensor

# Metrics use more samples than the display so that their curves are smooth.
METRIC_SAMPLES = 2000
# KL and JS are estimated on a coarser grid of cells than the display grid: with
# 2,000 samples, 30×30 cells keep the floor of a perfect generator's estimate
# small (KL ≈ 0.01 on the ring, ≈ 0.17 on a broad Gaussian; 60×60 gives 0.74).
METRIC_BINS = 30
# The generator's manifold is drawn for noise in [-2, 2] (±2 standard deviations).
MANIFOLD_RANGE = 2.0
MANIFOLD_POINTS = {1: (200,), 2: (20, 20)}
# Records per run when record_every is not given: enough for a smooth animation,
# few enough to keep stored notebooks small.
DEFAULT_FRAMES = 50
# Steps whose data and noise batches are drawn at once (see _Draws).
CHUNK_STEPS = 64

# Within one train_batch call these must be equal: they fix the shapes of the
# stacked tensors or the schedule of updates.
SHARED_FIELDS = ("optimizer", "n_disc", "n_gen", "noise_dim", "width", "depth", "activation",
                 "batch_size")


# --------------------------------------------------------------------------- configuration


@dataclass
class GANConfig:
    """Everything that defines one GAN run on 2D data.

    loss: a name in ``GAN_LOSSES`` or a function (logits_real, logits_fake) -> Loss.
        The discriminator minimises its ``.discriminator``, the generator its ``.generator``.
    gen_loss_name: another GAN loss (name or function) whose ``.generator`` the
        generator minimises instead, e.g. D trained with "minimax" and G with
        "non_saturating"'s -log D; None uses ``loss`` for both.
    lr_disc, lr_gen: Adam (or SGD) step sizes η_D, η_G.
    betas: Adam's (β₁, β₂); β₁ = 0.5 is the usual choice for GANs (Radford et al. 2016).
    optimizer: "adam" or "sgd" (plain θ ← θ − η g; betas unused).
    n_disc, n_gen: updates of D and of G per training step.
    noise_dim: dimension of z ~ N(0, I).
    width, depth, activation: both networks are ``mlp(in, out, width, depth, activation)``.
    batch_size: real samples and noise draws per update.
    seed: seeds the run's weights, its data and noise batches, and its display samples.
    penalty: None or a function penalty(discriminator, real, fake) -> scalar added to
        the discriminator's loss, where discriminator maps points (B, 2) to logits (B, 1)
        (gradient penalties; see ``gan_course.penalties`` and lessons 05 and 08). If the
        penalty also has a method ``project(parameters)``, the loop calls it on the
        discriminator's parameters after every discriminator update (weight clipping
        projects them onto [-c, c]).
    sample_loss: None, or a function sample_loss(real, fake) -> scalar that the generator
        minimises directly, with no discriminator (moment matching: a GMMN minimises an
        MMD², lesson 03). Use it with n_disc=0. If it has a method
        ``witness(real, fake, points)``, the History's ``disc`` records that witness
        function on the grid instead of the (unused) discriminator.
    """

    loss: str | GANLoss = "non_saturating"
    lr_disc: float = 1e-3
    lr_gen: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    optimizer: str = "adam"
    n_disc: int = 1
    n_gen: int = 1
    noise_dim: int = 2
    # 64 units in 2 hidden layers learn the toy data of the course, and batched runs of
    # this size are 4x faster than sequential ones on 2 cores (benchmarks/RESULTS.md)
    width: int = 64
    depth: int = 2
    activation: str = "relu"
    batch_size: int = 256
    seed: int = 0
    penalty: Callable | None = None
    gen_loss_name: str | GANLoss | None = None
    sample_loss: Callable | None = None

    def __post_init__(self):
        get_gan_loss(self.loss)  # raises for an unknown name, listing the choices
        if self.gen_loss_name is not None:
            get_gan_loss(self.gen_loss_name)
        for name in ("lr_disc", "lr_gen"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number, got {value!r}.")
        self.betas = tuple(float(b) for b in self.betas)
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}; "
                             "the usual GAN choice is (0.5, 0.999).")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose 'adam' or 'sgd'.")
        for name in ("n_gen", "noise_dim", "width", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        self._check_updates()
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 0:
            raise ValueError(f"depth must be an integer >= 0, got {self.depth!r}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; "
                             f"choose one of {sorted(ACTIVATIONS)}.")
        if self.penalty is not None and not callable(self.penalty):
            raise ValueError("penalty must be None or a function "
                             "penalty(discriminator, real, fake) -> scalar.")

    def _check_updates(self) -> None:
        if isinstance(self.n_disc, bool) or not isinstance(self.n_disc, int) or self.n_disc < 0:
            raise ValueError(f"n_disc must be an integer >= 0, got {self.n_disc!r}.")
        if self.sample_loss is None and self.n_disc == 0:
            raise ValueError("n_disc=0 trains no discriminator, so the generator would have no "
                             "loss; use n_disc >= 1, or give a sample_loss (moment matching).")
        if self.sample_loss is not None:
            if not callable(self.sample_loss):
                raise ValueError("sample_loss must be None or a function sample_loss(real, fake) "
                                 "-> scalar.")
            if self.n_disc != 0:
                raise ValueError("a generator with a sample_loss ignores the discriminator: "
                                 "set n_disc=0 so that none is trained.")

    @property
    def disc_is_probability(self) -> bool:
        """True when D_φ = σ(l) is a classifier's probability (minimax, non_saturating)."""
        if self.sample_loss is not None:
            return False
        probabilistic = [GAN_LOSSES[name] for name in PROBABILISTIC_DISCRIMINATOR]
        return get_gan_loss(self.loss) in probabilistic


def _check_batch(configs) -> list[GANConfig]:
    configs = list(configs)
    if not configs or not all(isinstance(c, GANConfig) for c in configs):
        raise ValueError("pass a non-empty list of GANConfig objects.")
    if len({c.sample_loss is None for c in configs}) > 1:
        raise ValueError("either every configuration of one batch has a sample_loss or none "
                         "has; train moment-matching generators in their own train_batch call.")
    for field in SHARED_FIELDS:
        values = [getattr(c, field) for c in configs]
        if len(set(values)) > 1:
            raise ValueError(f"the configurations of one batch must share {field}, got {values}; "
                             f"train them in separate train_batch calls (one per {field}).")
    return configs


# --------------------------------------------------------------------------- history


@dataclass
class History:
    """What one run recorded, at the steps ``steps`` (T records, 0 and the last step included).

    config: the run's GANConfig.
    steps: (T,) training steps of the records.
    real: (n_show, 2) a fixed sample of the data, for display.
    fake: (T, n_show, 2) G_θ(z) for one fixed batch of noise z.
    fake_grad: (T, n_show, 2) −∇_x ℓ_G(x) at each shown fake x, where ℓ_G is the
        per-sample generator loss: the direction in which the generator's update
        pushes that sample (n_show times the gradient of the batch mean).
    grid_x, grid_y: (G, G) a meshgrid ('xy' indexing) over the plotting extent.
    disc: (T, G, G) the discriminator on the grid: σ(l) when ``disc_is_probability``,
        otherwise the raw output l (least squares, hinge, Wasserstein critics).
    manifold: (T, M, 2) G_θ applied to a line (noise_dim 1) or a square grid
        (noise_dim 2) of noise in [-2, 2]^d, or None for noise_dim > 2;
        ``manifold_shape`` is (M,) or (rows, columns) (() when there is none).
    losses: {"disc": (steps,), "gen": (steps,)}, the loss of the last D and G update
        of every training step (entry i is step i + 1).
    metrics: {name: (T,)} at the recorded steps, from 2,000 samples: for mixtures
        "modes_covered" and "high_quality" (``metrics.mode_coverage``); for data with a
        known density, "kl" and "js" (``metrics.grid_divergences``: grid estimates).
    wall_time: seconds the whole train or train_batch call took.
    generator, discriminator: the trained networks as plain ``mlp``s (None in the
        partial histories passed to a callback).
    """

    config: GANConfig
    steps: Tensor
    real: Tensor
    fake: Tensor
    fake_grad: Tensor
    grid_x: Tensor
    grid_y: Tensor
    disc: Tensor
    disc_is_probability: bool
    manifold: Tensor | None
    manifold_shape: tuple
    losses: dict
    metrics: dict
    wall_time: float
    generator: nn.Sequential | None = None
    discriminator: nn.Sequential | None = None

    def frame(self, t: int) -> dict:
        """The record at index t (not step t): step, fake, fake_grad, disc, manifold, metrics."""
        return {
            "step": int(self.steps[t]),
            "real": self.real,
            "fake": self.fake[t],
            "fake_grad": self.fake_grad[t],
            "disc": self.disc[t],
            "manifold": None if self.manifold is None else self.manifold[t],
            "metrics": {name: float(values[t]) for name, values in self.metrics.items()},
        }

    def final_samples(self, n: int, seed: int = 0) -> Tensor:
        """n fresh samples G_θ(z), z ~ N(0, I), from the trained generator."""
        if self.generator is None:
            raise ValueError("this history has no trained generator (it is a partial history "
                             "from a callback); use the History that train returns.")
        noise = torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return self.generator(noise)


class _Recorder:
    """Preallocated record tensors for K runs, filled in at every recorded step."""

    def __init__(self, data, configs, steps, record_steps, real_show, noise_show, noise_metric,
                 grid_size, extent):
        k, frames, n_show = len(configs), len(record_steps), real_show.shape[1]
        self.configs, self.record_steps = configs, record_steps
        self.real_show, self.noise_show, self.noise_metric = real_show, noise_show, noise_metric
        self.extent = metrics.as_extent(extent) if extent is not None else default_extent(data)
        x_low, x_high, y_low, y_high = self.extent
        self.grid_x, self.grid_y = torch.meshgrid(torch.linspace(x_low, x_high, grid_size),
                                                  torch.linspace(y_low, y_high, grid_size),
                                                  indexing="xy")
        self.grid_points = torch.stack([self.grid_x.reshape(-1), self.grid_y.reshape(-1)], dim=1)
        self.manifold_noise, self.manifold_shape = manifold_noise(configs[0].noise_dim)

        self.fake = torch.zeros(k, frames, n_show, 2)
        self.fake_grad = torch.zeros(k, frames, n_show, 2)
        self.disc = torch.zeros(k, frames, grid_size, grid_size)
        self.manifold = (None if self.manifold_noise is None
                         else torch.zeros(k, frames, self.manifold_noise.shape[0], 2))
        self.loss_disc = torch.zeros(k, steps)
        self.loss_gen = torch.zeros(k, steps)

        self.metric_names = []
        self.modes = getattr(data, "modes", None)
        if self.modes is not None and hasattr(data, "mode_std"):
            self.mode_std = data.mode_std
            self.metric_names += ["modes_covered", "high_quality"]
        self.p_cells = None
        if has_density(data):
            self.p_cells = metrics.density_on_cells(data.log_prob, self.extent, METRIC_BINS)
            self.metric_names += ["kl", "js"]
        self.metrics = {name: torch.zeros(k, frames) for name in self.metric_names}

    def record(self, t: int, generator: BatchedMLP, discriminator: BatchedMLP,
               gen_loss_fns: list[GANLoss]) -> None:
        k = len(self.configs)
        with torch.no_grad():
            self.fake[:, t] = generator(self.noise_show)
            logits = discriminator(self.grid_points.expand(k, -1, -1))
            for run, config in enumerate(self.configs):
                values = torch.sigmoid(logits[run]) if config.disc_is_probability else logits[run]
                witness = getattr(config.sample_loss, "witness", None)
                if witness is not None:
                    values = witness(self.real_show[run], self.fake[run, t], self.grid_points)
                self.disc[run, t] = values.reshape(self.grid_x.shape)
            if self.manifold is not None:
                self.manifold[:, t] = generator(self.manifold_noise.expand(k, -1, -1))
            samples = generator(self.noise_metric)
        if self.configs[0].sample_loss is not None:
            self.fake_grad[:, t] = sample_loss_push(self.configs, self.real_show, self.fake[:, t])
        else:
            self.fake_grad[:, t] = generator_push(discriminator, self.real_show, self.fake[:, t],
                                                  gen_loss_fns)
        for run in range(k):
            for name, value in self._metrics(samples[run]).items():
                self.metrics[name][run, t] = value

    def _metrics(self, samples: Tensor) -> dict[str, float]:
        values = {}
        if "modes_covered" in self.metric_names:
            covered, high_quality = metrics.mode_coverage(samples, self.modes, self.mode_std)
            values.update(modes_covered=covered, high_quality=high_quality)
        if self.p_cells is not None:
            q_cells = metrics.histogram_on_cells(samples, self.extent, METRIC_BINS)
            values.update(metrics.grid_divergences(self.p_cells, q_cells))
        return values

    def history(self, run: int, frames: int, last_step: int, wall_time: float,
                generator=None, discriminator=None) -> History:
        """Run ``run``'s History with its first ``frames`` records (a view, not a copy)."""
        config = self.configs[run]
        return History(
            config=config,
            steps=torch.tensor(self.record_steps[:frames], dtype=torch.long),
            real=self.real_show[run],
            fake=self.fake[run, :frames],
            fake_grad=self.fake_grad[run, :frames],
            grid_x=self.grid_x,
            grid_y=self.grid_y,
            disc=self.disc[run, :frames],
            disc_is_probability=config.disc_is_probability,
            manifold=None if self.manifold is None else self.manifold[run, :frames],
            manifold_shape=self.manifold_shape,
            losses={"disc": self.loss_disc[run, :last_step], "gen": self.loss_gen[run, :last_step]},
            metrics={name: values[run, :frames] for name, values in self.metrics.items()},
            wall_time=wall_time,
            generator=generator,
            discriminator=discriminator,
        )


def default_extent(data, padding: float = 0.2) -> tuple[float, float, float, float]:
    """A square around 10,000 data samples, padded by ``padding`` of its side on each side.

    Returned as (x_low, x_high, y_low, y_high). The sample uses its own fixed seed,
    so every run on the same data gets the same plotting grid.
    """
    sample = data.sample(10_000, generator=torch.Generator().manual_seed(0))
    low, high = sample.min(dim=0).values, sample.max(dim=0).values
    centre = (low + high) / 2
    half = float((high - low).max()) / 2 * (1 + 2 * padding)
    return (float(centre[0]) - half, float(centre[0]) + half,
            float(centre[1]) - half, float(centre[1]) + half)


def manifold_noise(noise_dim: int) -> tuple[Tensor | None, tuple]:
    """Noise on a line (1D) or a square grid (2D) over [-2, 2]^d, and its shape."""
    if noise_dim not in MANIFOLD_POINTS:
        return None, ()
    shape = MANIFOLD_POINTS[noise_dim]
    ticks = torch.linspace(-MANIFOLD_RANGE, MANIFOLD_RANGE, shape[0])
    if noise_dim == 1:
        return ticks[:, None], shape
    grid_x, grid_y = torch.meshgrid(ticks, ticks, indexing="xy")
    return torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1), shape


def has_density(data) -> bool:
    """True when data.log_prob exists and works (TwoMoons and SwissRoll have none)."""
    log_prob = getattr(data, "log_prob", None)
    if log_prob is None:
        return False
    try:
        log_prob(torch.zeros(1, 2))
    except NotImplementedError:
        return False
    return True


def generator_push(discriminator: BatchedMLP, real: Tensor, fake: Tensor,
                   gen_loss_fns: list[GANLoss]) -> Tensor:
    """−∇_x ℓ_G(x) at every fake x, for K runs: (K, n, 2).

    The generator's update moves G_θ(z) along −∇_x ℓ_G (the chain rule
    ∇_θ ℓ_G(G_θ(z)) = (∂G_θ/∂θ)ᵀ ∇_x ℓ_G), so these arrows show where the
    discriminator's landscape pushes each sample. The batch loss is a mean over
    the n fakes, so the per-sample gradient is n times the gradient of the mean.
    """
    fake = fake.detach().requires_grad_(True)
    with torch.no_grad():
        logits_real = discriminator(real)
    logits_fake = discriminator(fake)
    total = sum(loss_fn(logits_real[k], logits_fake[k]).generator
                for k, loss_fn in enumerate(gen_loss_fns))
    (gradient,) = torch.autograd.grad(total, fake)
    return -gradient * fake.shape[1]


def generator_gradient_norm(generator: nn.Module, discriminator: nn.Module, loss: str | GANLoss,
                            noise: Tensor) -> float:
    """‖∇_θ L_G(θ)‖₂, the norm of the generator's gradient over all its parameters.

    L_G is ``loss``'s generator objective on the fakes G_θ(z) for the given noise,
    with the discriminator held fixed. Lesson 04 compares the saturating
    (``"minimax"``, L_G = E_z[log(1 − D(G(z)))]) and the non-saturating
    (L_G = −E_z[log D(G(z))]) objectives when D(G(z)) ≪ 1.
    """
    loss_fn = get_gan_loss(loss)
    parameters = [p for p in generator.parameters() if p.requires_grad]
    logits_fake = discriminator(generator(noise)).squeeze(-1)
    # generator losses use only the fakes; the real logits fill the signature
    objective = loss_fn(logits_fake.detach(), logits_fake).generator
    gradients = torch.autograd.grad(objective, parameters)
    return float(torch.sqrt(sum((g**2).sum() for g in gradients)))


def sample_loss_push(configs: list[GANConfig], real: Tensor, fake: Tensor) -> Tensor:
    """−∇_x ℓ(x) at every fake x for generators trained by a sample loss: (K, n, 2).

    Like ``generator_push``, n times the gradient of the batch loss, so that the
    arrows are per-sample pushes.
    """
    fake = fake.detach().requires_grad_(True)
    total = sum(config.sample_loss(real[k], fake[k]) for k, config in enumerate(configs))
    (gradient,) = torch.autograd.grad(total, fake)
    return -gradient * fake.shape[1]


# --------------------------------------------------------------------------- optimisers


class StackedAdam:
    """Adam (Kingma & Ba 2015) for K runs stacked along the first axis of every tensor.

    Run k has its own step size η_k and (β₁, β₂)_k. At update t, with gradient g:

        m ← β₁ m + (1 − β₁) g
        v ← β₂ v + (1 − β₂) g²
        θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)

    Every operation is elementwise, so slice k is updated as
    torch.optim.Adam(lr=η_k, betas=(β₁, β₂)_k) would update run k alone (the
    tests check this to rounding error).
    """

    def __init__(self, params, lrs, betas, eps: float = 1e-8):
        self.params = list(params)
        self.lr = _per_run(lrs)
        self.beta1 = _per_run([b[0] for b in betas])
        self.beta2 = _per_run([b[1] for b in betas])
        self.eps = eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self, grads) -> None:
        self.t += 1
        # the bias corrections in float64, as torch.optim.Adam computes them in Python floats
        step_size = (self.lr / (1 - self.beta1**self.t)).float()
        correction2_sqrt = (1 - self.beta2**self.t).sqrt().float()
        one_minus_beta1, beta2 = (1 - self.beta1).float(), self.beta2.float()
        one_minus_beta2 = (1 - self.beta2).float()
        for param, grad, m, v in zip(self.params, grads, self.m, self.v):
            m.lerp_(grad, one_minus_beta1)  # m + (1 − β₁)(g − m) = β₁ m + (1 − β₁) g
            v.mul_(beta2).addcmul_(grad * one_minus_beta2, grad)  # β₂ v + (1 − β₂) g²
            denominator = v.sqrt() / correction2_sqrt + self.eps  # √(v / (1 − β₂ᵗ)) + ε
            param.sub_(step_size * m / denominator)  # η / (1 − β₁ᵗ) · m / denominator


class StackedSGD:
    """Plain gradient descent for K stacked runs: θ ← θ − η_k g."""

    def __init__(self, params, lrs):
        self.params = list(params)
        self.lr = _per_run(lrs).float()

    @torch.no_grad()
    def step(self, grads) -> None:
        for param, grad in zip(self.params, grads):
            param.sub_(self.lr * grad)


def _per_run(values) -> Tensor:
    """Per-run hyper-parameters as a (K, 1, 1) float64 tensor, which broadcasts over
    stacked weights (K, in, out) and biases (K, 1, out)."""
    return torch.tensor(values, dtype=torch.float64).reshape(-1, 1, 1)


def _optimizer(configs: list[GANConfig], params, which: str):
    lrs = [getattr(c, f"lr_{which}") for c in configs]
    if configs[0].optimizer == "sgd":
        return StackedSGD(params, lrs)
    return StackedAdam(params, lrs, [c.betas for c in configs])


# --------------------------------------------------------------------------- the updates


def _networks(configs: list[GANConfig]) -> tuple[BatchedMLP, BatchedMLP]:
    """G_θ and D_φ for every run; run k's pair is what
    ``torch.manual_seed(seed); G = mlp(noise_dim, 2, ...); D = mlp(2, 1, ...)`` gives."""
    generators, discriminators = [], []
    for config in configs:
        sizes = dict(width=config.width, depth=config.depth, activation=config.activation)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            generators.append(mlp(config.noise_dim, 2, **sizes))
            discriminators.append(mlp(2, 1, **sizes))
    return BatchedMLP.from_mlps(generators), BatchedMLP.from_mlps(discriminators)


def _real_batch(data, rngs, n: int) -> Tensor:
    """(K, n, 2): run k's data batch from run k's own random generator."""
    return torch.stack([data.sample(n, generator=rng) for rng in rngs]).float()


def _noise_batch(rngs, n: int, noise_dim: int) -> Tensor:
    """(K, n, noise_dim): z ~ N(0, I) from each run's own random generator."""
    return torch.stack([torch.randn(n, noise_dim, generator=rng) for rng in rngs])


class _Draws:
    """The data and noise batches of the coming steps, drawn CHUNK_STEPS steps at a time.

    Drawing one batch per run per update costs K small sampling calls each time,
    which dominates the step of small networks; drawing a chunk of steps at once
    costs the same few calls per chunk. Run k still draws only from its own
    generator, in an order that does not depend on the other runs.
    """

    def __init__(self, data, rngs, config: GANConfig):
        self.data, self.rngs, self.config = data, rngs, config
        self.updates_per_step = config.n_disc + config.n_gen
        self.real_per_step = config.n_disc + (config.n_gen if config.sample_loss is not None else 0)
        self.position = CHUNK_STEPS  # empty: the first call draws

    def next_step(self) -> tuple[list[Tensor], list[Tensor]]:
        """The real batches and noise batches of one step, each (K, batch, ·)."""
        if self.position == CHUNK_STEPS:
            self._draw_chunk()
        step = self.position
        self.position += 1
        real = [self.real[:, step, i] for i in range(self.real_per_step)]
        noise = [self.noise[:, step, i] for i in range(self.updates_per_step)]
        return real, noise

    def _draw_chunk(self) -> None:
        batch, noise_dim = self.config.batch_size, self.config.noise_dim
        n_real = CHUNK_STEPS * self.real_per_step * batch
        real = _real_batch(self.data, self.rngs, n_real) if n_real else torch.zeros(
            len(self.rngs), 0, 2)
        noise = _noise_batch(self.rngs, CHUNK_STEPS * self.updates_per_step * batch, noise_dim)
        self.real = real.reshape(len(self.rngs), CHUNK_STEPS, self.real_per_step, batch, 2)
        self.noise = noise.reshape(len(self.rngs), CHUNK_STEPS, self.updates_per_step, batch,
                                   noise_dim)
        self.position = 0


def _per_run_losses(loss_fns, which: str, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
    """(K,): run k's ``loss_fns[k](logits_real[k], logits_fake[k]).<which>``.

    Runs that share a loss function are evaluated in one call, vectorised over
    the runs with torch.func.vmap, instead of one call per run. A loss that vmap
    cannot vectorise (Python control flow on values) is called run by run.
    """
    if len(loss_fns) == 1:  # one run: no vectorising to do
        return getattr(loss_fns[0](logits_real[0], logits_fake[0]), which)[None]
    groups = _runs_by_function(loss_fns)
    if len(groups) == 1:  # every run shares the loss: no regrouping either
        return _vectorised(loss_fns[0], which)(logits_real, logits_fake)
    losses = [None] * len(loss_fns)
    for loss_fn, runs in groups.items():
        index = torch.tensor(runs)
        values = _vectorised(loss_fn, which)(logits_real[index], logits_fake[index])
        for position, run in enumerate(runs):
            losses[run] = values[position]
    return torch.stack(losses)


def _runs_by_function(loss_fns) -> dict:
    groups: dict = {}
    for run, loss_fn in enumerate(loss_fns):
        groups.setdefault(loss_fn, []).append(run)
    return groups


_VECTORISED: dict = {}


def _vectorised(loss_fn, which: str) -> Callable:
    key = (loss_fn, which)
    if key not in _VECTORISED:
        def one_run(logits_real, logits_fake):
            return getattr(loss_fn(logits_real, logits_fake), which)

        vectorised = torch.func.vmap(one_run)

        def run_all(logits_real, logits_fake):
            try:
                return vectorised(logits_real, logits_fake)
            except Exception:  # not vmap-able: fall back to one call per run
                _VECTORISED[key] = run_one_by_one
                return run_one_by_one(logits_real, logits_fake)

        def run_one_by_one(logits_real, logits_fake):
            return torch.stack([one_run(real, fake) for real, fake in zip(logits_real, logits_fake)])

        _VECTORISED[key] = run_all
    return _VECTORISED[key]


def discriminator_update(generator, discriminator, optimizer, loss_fns, penalties, real, noise):
    """One update of every D_φk on Σ_k L_D^k; returns the per-run losses and real logits.

    Run k's loss depends only on slice k of the stack, so the gradient of the
    sum is each run's own gradient.
    """
    with torch.no_grad():  # θ is held fixed while D learns
        fake = generator(noise)
    batch = real.shape[1]
    # one forward pass over real and fake together: no layer mixes samples
    logits = discriminator(torch.cat([real, fake], dim=1))
    logits_real, logits_fake = logits[:, :batch], logits[:, batch:]
    per_run = _per_run_losses(loss_fns, "discriminator", logits_real, logits_fake)
    penalty_terms = [penalty(partial(discriminator.run, k), real[k], fake[k])
                     for k, penalty in enumerate(penalties) if penalty is not None]
    if penalty_terms:
        penalised = torch.tensor([penalty is not None for penalty in penalties])
        per_run = per_run.index_put((penalised.nonzero().squeeze(1),),
                                    per_run[penalised] + torch.stack(penalty_terms))
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    project_parameters(discriminator, penalties)
    return per_run.detach(), logits_real.detach()


@torch.no_grad()
def project_parameters(discriminator: BatchedMLP, penalties) -> None:
    """Let each run's penalty constrain its own slice of the weights (weight clipping)."""
    for k, penalty in enumerate(penalties):
        project = getattr(penalty, "project", None)
        if project is not None:
            project([parameter[k] for parameter in discriminator.parameters()])


def generator_update(generator, discriminator, optimizer, gen_loss_fns, logits_real, noise):
    """One update of every G_θk on Σ_k L_G^k; returns the per-run losses.

    Every generator loss depends on the fakes only; ``logits_real`` (from the
    discriminator's last batch) only fills the loss functions' signature.
    """
    logits_fake = discriminator(generator(noise))
    per_run = _per_run_losses(gen_loss_fns, "generator", logits_real, logits_fake)
    # gradients for θ only: autograd skips D's weight gradients, which G's update never uses
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    return per_run.detach()


def sample_loss_update(generator, optimizer, configs, real, noise):
    """One update of every G_θk on Σ_k sample_loss_k(real_k, G_θk(z)) (moment matching)."""
    fake = generator(noise)
    per_run = torch.stack([config.sample_loss(real[k], fake[k])
                           for k, config in enumerate(configs)])
    # gradients for θ only: autograd skips D's weight gradients, which G's update never uses
    optimizer.step(torch.autograd.grad(per_run.sum(), optimizer.params))
    return per_run.detach()


def _raise_if_diverged(recorder: _Recorder, start: int, stop: int) -> None:
    """A clear error if a loss of steps start+1..stop is NaN or infinite."""
    for name, losses in (("discriminator", recorder.loss_disc), ("generator", recorder.loss_gen)):
        bad = ~torch.isfinite(losses[:, start:stop])
        if bad.any():
            offset = int(bad.any(dim=0).nonzero()[0])
            run = int(bad[:, offset].nonzero()[0])
            config = recorder.configs[run]
            which = f" of run {run} (seed {config.seed})" if len(recorder.configs) > 1 else ""
            raise ValueError(
                f"the {name} loss{which} became {float(losses[run, start + offset])} at step "
                f"{start + offset + 1}: training diverged. Lower the learning rates (lr_disc="
                f"{config.lr_disc}, lr_gen={config.lr_gen}); with the 'wasserstein' loss, add a "
                "penalty that keeps the critic Lipschitz.")


# --------------------------------------------------------------------------- the loop


def record_steps_for(steps: int, record_every: int | None) -> list[int]:
    """0, record_every, 2·record_every, ..., and always the last step."""
    if record_every is None:
        record_every = max(1, steps // DEFAULT_FRAMES)
    if isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1:
        raise ValueError(f"record_every must be a positive integer, got {record_every!r}.")
    recorded = list(range(0, steps + 1, record_every))
    if recorded[-1] != steps:
        recorded.append(steps)
    return recorded


def _check_arguments(data, steps, n_show, grid_size) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    if not hasattr(data, "sample"):
        raise ValueError(f"data must be a toy distribution with .sample(n, generator), got "
                         f"{type(data).__name__}; see gan_course.data.toy.")
    dim = data.sample(1, generator=torch.Generator().manual_seed(0)).shape[-1]
    if dim != 2:
        raise ValueError(f"the training loop is for 2D data, got {dim}D samples; use a 2D "
                         "distribution such as toy.ring_of_gaussians() or "
                         "toy.Gaussian([0, 0], std=1).")
    if isinstance(n_show, bool) or not isinstance(n_show, int) or n_show < 1:
        raise ValueError(f"n_show must be a positive integer, got {n_show!r}.")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int) or grid_size < 2:
        raise ValueError(f"grid_size must be an integer >= 2, got {grid_size!r}.")


def train_batch(data, configs: list[GANConfig], steps: int, record_every: int | None = None,
                n_show: int = 512, grid_size: int = 60, extent=None, progress: bool = True,
                callback: Callable | None = None) -> list[History]:
    """Train K GANs at once on the same data; one History per configuration.

    The configurations may differ in seed, loss, gen_loss_name, learning rates,
    betas and penalty, and must share the fields in ``SHARED_FIELDS``. Run k's
    result is the same as ``train(data, configs[k], steps)``.

    record_every: steps between records (default: about 50 records).
    n_show: shown samples per record; grid_size: the discriminator grid is grid_size².
    extent: (low, high) or (x_low, x_high, y_low, y_high) of the plotting grid
        (default: a square around the data, padded by 20%).
    callback: called as callback(step, histories) after every record, with the
        partial Histories so far (the lab's widgets redraw from them).
    """
    start_time = time.perf_counter()
    configs = _check_batch(configs)
    _check_arguments(data, steps, n_show, grid_size)
    shared = configs[0]
    record_steps = record_steps_for(steps, record_every)
    loss_fns = [get_gan_loss(c.loss) for c in configs]
    gen_loss_fns = [get_gan_loss(c.gen_loss_name or c.loss) for c in configs]
    penalties = [c.penalty for c in configs]

    # Each run draws everything random from its own stream, display batches first,
    # so its result does not depend on the other runs of the batch.
    rngs = [torch.Generator().manual_seed(c.seed) for c in configs]
    real_show = _real_batch(data, rngs, n_show)
    noise_show = _noise_batch(rngs, n_show, shared.noise_dim)
    noise_metric = _noise_batch(rngs, METRIC_SAMPLES, shared.noise_dim)
    generator, discriminator = _networks(configs)
    gen_optimizer = _optimizer(configs, generator.parameters(), "gen")
    disc_optimizer = _optimizer(configs, discriminator.parameters(), "disc")
    recorder = _Recorder(data, configs, steps, record_steps, real_show, noise_show, noise_metric,
                         grid_size, extent)

    recorder.record(0, generator, discriminator, gen_loss_fns)
    frame, checked = 1, 0
    bar = tqdm(range(1, steps + 1), disable=not progress, desc=f"training {len(configs)} GAN(s)")
    draws = _Draws(data, rngs, shared)
    for step in bar:
        real_batches, noise_batches = draws.next_step()
        for update in range(shared.n_disc):
            recorder.loss_disc[:, step - 1], logits_real = discriminator_update(
                generator, discriminator, disc_optimizer, loss_fns, penalties,
                real_batches[update], noise_batches[update])
        for update in range(shared.n_gen):
            noise = noise_batches[shared.n_disc + update]
            if shared.sample_loss is not None:
                recorder.loss_gen[:, step - 1] = sample_loss_update(
                    generator, gen_optimizer, configs, real_batches[update], noise)
            else:
                recorder.loss_gen[:, step - 1] = generator_update(
                    generator, discriminator, gen_optimizer, gen_loss_fns, logits_real, noise)
        if step != record_steps[frame]:
            continue
        # checking for NaN only at records keeps the step itself free of extra work
        _raise_if_diverged(recorder, checked, step)
        checked = step
        recorder.record(frame, generator, discriminator, gen_loss_fns)
        frame += 1
        if len(configs) == 1:
            bar.set_postfix(disc=f"{float(recorder.loss_disc[0, step - 1]):.3f}",
                            gen=f"{float(recorder.loss_gen[0, step - 1]):.3f}")
        if callback is not None:
            elapsed = time.perf_counter() - start_time
            callback(step, [recorder.history(k, frame, step, elapsed) for k in range(len(configs))])
    wall_time = time.perf_counter() - start_time

    return [recorder.history(k, len(record_steps), steps, wall_time,
                             generator=generator.to_mlp(k), discriminator=discriminator.to_mlp(k))
            for k in range(len(configs))]


def train(data, config: GANConfig, steps: int, record_every: int | None = None, n_show: int = 512,
          grid_size: int = 60, extent=None, progress: bool = True,
          callback: Callable | None = None) -> History:
    """Train one GAN on 2D toy data and return its History.

    The same code as ``train_batch(data, [config], ...)[0]``; ``callback`` is
    called as callback(step, history) with the History recorded so far.
    """
    batch_callback = None
    if callback is not None:
        def batch_callback(step, histories):
            callback(step, histories[0])
    return train_batch(data, [config], steps, record_every=record_every, n_show=n_show,
                       grid_size=grid_size, extent=extent, progress=progress,
                       callback=batch_callback)[0]


__all__ = ["GANConfig", "History", "train", "train_batch", "generator_gradient_norm", "StackedAdam",
           "StackedSGD", "default_extent", "SHARED_FIELDS"]
