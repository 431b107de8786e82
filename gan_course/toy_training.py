"""Toy runs: a GAN on 2D data, described by a ``GANConfig``, trained by ``train`` and recorded.

    history = train_toy(toy.ring_of_gaussians(), GANConfig(loss="non_saturating"), steps=2000)

``train_toy`` builds what ``gan_course.train.train`` needs from the configuration
(two ``mlp``s, two ``torch.optim`` optimisers, the data and noise batches),
records a ``History`` through a hook, and returns it. Everything random in a run
comes from its seed: the weights (``torch.manual_seed(seed)``), and the display
samples, the data and the noise batches (a ``torch.Generator`` seeded with it).
``gan_course.batched.train_batch`` trains several configurations at once, and the
tests hold it to ``train_toy``.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from gan_course.gan_losses import GANLoss, get_gan_loss
from gan_course.history import History, HistoryRecorder
from gan_course.models.toy import ACTIVATIONS, mlp
from gan_course.train import train
from gan_course.validation import check_int, check_number

Tensor = torch.Tensor

# Steps whose data and noise batches ToyBatches draws at once.
CHUNK_STEPS = 64
# The optimisers a GANConfig can name (``toy_optimizer`` builds them).
OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass
class GANConfig:
    """Everything that defines one GAN run on 2D data.

    loss: a name in ``GAN_LOSSES`` or a function (logits_real, logits_fake) -> Loss.
        The discriminator minimises its ``.discriminator``, the generator its ``.generator``.
    gen_loss_name: another GAN loss (name or function) whose ``.generator`` the
        generator minimises instead, e.g. D trained with "minimax" and G with
        "non_saturating"'s -log D; None uses ``loss`` for both.
    lr_disc, lr_gen: the step sizes η_D, η_G.
    betas: Adam's (β₁, β₂); β₁ = 0.5 is the usual choice for GANs (Radford et al. 2016).
    optimizer: "adam", "rmsprop" or "sgd" (plain θ ← θ − η g). "rmsprop" is
        ``torch.optim.RMSprop(lr)`` with its defaults (v ← 0.99 v + 0.01 g², θ ← θ − η g / (√v + ε)),
        which is what Arjovsky et al.'s WGAN code uses; betas are Adam's alone.
    n_disc, n_gen: updates of D and of G per training step.
    noise_dim: dimension of z ~ N(0, I).
    width, depth, activation: both networks are ``mlp(in, out, width, depth, activation)``.
    batch_size: real samples and noise draws per update.
    seed: seeds the run's weights, its data and noise batches, and its display samples.
    penalty: None or a function penalty(discriminator, real, fake) -> scalar added to
        the discriminator's loss (gradient penalties; see ``gan_course.penalties``). If
        it also has ``project(parameters)``, that is applied to D's parameters after
        every discriminator update (weight clipping). Give each run its own object:
        a penalty draws from its own random stream.
    sample_loss: None, or a function sample_loss(real, fake) -> scalar that the generator
        minimises directly, with no discriminator (moment matching: a GMMN minimises an
        MMD², lesson 03). Use it with n_disc=0. If it has a method
        ``witness(real, fake, points)``, the History's ``disc`` records that witness.
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
        check_number(self.lr_disc, "lr_disc")
        check_number(self.lr_gen, "lr_gen")
        check_int(self.seed, "seed", minimum=0)
        betas = self.betas
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(isinstance(b, numbers.Real) and 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}; "
                             "the usual GAN choice is (0.5, 0.999).")
        self.betas = tuple(float(b) for b in betas)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose 'adam', 'rmsprop' or "
                             "'sgd'.")
        for name in ("n_gen", "noise_dim", "width", "batch_size"):
            check_int(getattr(self, name), name)
        check_int(self.n_disc, "n_disc", minimum=0)
        check_int(self.depth, "depth", minimum=0)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; "
                             f"choose one of {sorted(ACTIVATIONS)}.")
        if isinstance(self.penalty, type):
            raise ValueError(f"penalty is the class {self.penalty.__name__}, not a penalty; create "
                             f"one, e.g. penalty={self.penalty.__name__}(10.0).")
        if self.penalty is not None and not callable(self.penalty):
            raise ValueError("penalty must be None or a function "
                             "penalty(discriminator, real, fake) -> scalar.")
        self._check_sample_loss()

    def _check_sample_loss(self) -> None:
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
        """True when D_φ = σ(l) is a classifier's probability (e.g. minimax, non_saturating)."""
        return self.sample_loss is None and getattr(get_gan_loss(self.loss),
                                                    "discriminator_is_probability", False)

    @property
    def critic_up_to_constant(self) -> bool:
        """True when the loss ignores a constant added to the critic (Wasserstein)."""
        return self.sample_loss is None and getattr(get_gan_loss(self.loss),
                                                    "critic_up_to_constant", False)

    @property
    def real_per_step(self) -> int:
        """Real batches one training step uses: one per D update (per G update for a GMMN)."""
        return self.n_gen if self.sample_loss is not None else self.n_disc

    @property
    def noise_per_step(self) -> int:
        """Noise batches one training step uses: one per update of either network."""
        return self.n_disc + self.n_gen


class ToyBatches:
    """The data x ~ p* and noise z ~ N(0, I) batches of one toy run, in order, from ``rng``.

    Drawing one batch per update costs a sampling call that takes longer than the
    update of a small network, so the batches of ``CHUNK_STEPS`` training steps are
    drawn at once (data first, then noise) and handed out one by one. The order of
    the draws is fixed by the configuration, so every caller that asks for batches
    in the loop's order gets the same numbers.
    """

    def __init__(self, data, config: GANConfig, rng: torch.Generator):
        self.data, self.config, self.rng = data, config, rng
        self.real_batches: list[Tensor] = []
        self.noise_batches: list[Tensor] = []

    def real(self) -> Tensor:
        if not self.real_batches:
            self._draw()
        return self.real_batches.pop(0)

    def noise(self) -> Tensor:
        if not self.noise_batches:
            self._draw()
        return self.noise_batches.pop(0)

    def _draw(self) -> None:
        batch, noise_dim = self.config.batch_size, self.config.noise_dim
        if not self.real_batches:
            real = self.data.sample(CHUNK_STEPS * self.config.real_per_step * batch, self.rng)
            self.real_batches = list(real.float().split(batch))
        if not self.noise_batches:
            noise = torch.randn(CHUNK_STEPS * self.config.noise_per_step * batch, noise_dim,
                                generator=self.rng)
            self.noise_batches = list(noise.split(batch))


def toy_networks(config: GANConfig) -> tuple[nn.Sequential, nn.Sequential]:
    """G_θ: noise_dim → 2 and D_φ: 2 → 1, the MLPs that ``torch.manual_seed(config.seed)``
    gives when G is built first (the global random state is left as it was)."""
    sizes = dict(width=config.width, depth=config.depth, activation=config.activation)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return mlp(config.noise_dim, 2, **sizes), mlp(2, 1, **sizes)


def toy_optimizer(config: GANConfig, network: nn.Module, lr: float) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(network.parameters(), lr=lr)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(network.parameters(), lr=lr)
    return torch.optim.Adam(network.parameters(), lr=lr, betas=config.betas)


def check_config(config) -> None:
    """A clear error unless ``config`` is a GANConfig."""
    if not isinstance(config, GANConfig):
        raise ValueError(f"config must be a GANConfig, got {type(config).__name__}; write "
                         "GANConfig(loss=..., ...) or GANConfig(**settings).")


def check_toy_data(data) -> None:
    """A clear error unless ``data`` samples 2D points with .sample(n, rng)."""
    if isinstance(data, type):
        raise ValueError(f"data is the class {data.__name__}, not a distribution; create one, "
                         f"e.g. {data.__name__}().")
    if not hasattr(data, "sample"):
        raise ValueError(f"data must be a toy distribution with .sample(n, rng), got "
                         f"{type(data).__name__}; see gan_course.data.toy.")
    dim = data.sample(1, torch.Generator().manual_seed(0)).shape[-1]
    if dim != 2:
        raise ValueError(f"toy runs are on 2D data, got {dim}D samples; use a 2D distribution "
                         "such as toy.ring_of_gaussians() or toy.Gaussian([0, 0], std=1).")


def train_toy(data, config: GANConfig, steps: int, record_every: int | None = None,
              n_show: int = 512, grid_size: int = 60, extent=None, progress: bool = True,
              callback: Callable | None = None) -> History:
    """Train one GAN on 2D toy data with ``gan_course.train.train``; return its History.

    record_every: steps between records (default: about 50 records).
    n_show: shown samples per record; grid_size: the discriminator grid is grid_size².
    extent: (low, high) or (x_low, x_high, y_low, y_high) of the plotting grid
        (default: a square around the data, padded by 20%).
    callback: called as callback(step, history_so_far) after every record.
    """
    check_int(steps, "steps")
    check_toy_data(data)
    check_config(config)
    start = time.perf_counter()
    rng = torch.Generator().manual_seed(config.seed)
    generator, discriminator = toy_networks(config)
    if config.sample_loss is not None:
        discriminator = None
    # the recorder draws its display samples from rng before training draws any batch
    recorder = HistoryRecorder(
        data, generator, discriminator, get_gan_loss(config.gen_loss_name or config.loss), rng,
        steps, config.noise_dim, record_every=record_every, n_show=n_show, grid_size=grid_size,
        extent=extent, config=config, sample_loss=config.sample_loss,
        disc_is_probability=config.disc_is_probability,
        critic_up_to_constant=config.critic_up_to_constant, callback=callback)
    train(generator, discriminator, ToyBatches(data, config, rng), steps,
          gen_optimizer=toy_optimizer(config, generator, config.lr_gen),
          disc_optimizer=(None if discriminator is None
                          else toy_optimizer(config, discriminator, config.lr_disc)),
          loss=config.loss, gen_loss_name=config.gen_loss_name, n_disc=config.n_disc, n_gen=config.n_gen,
          penalty=config.penalty, sample_loss=config.sample_loss, hook=recorder,
          progress=progress)
    history = recorder.history(generator=generator, discriminator=discriminator)
    history.wall_time = time.perf_counter() - start
    return history


__all__ = ["GANConfig", "ToyBatches", "CHUNK_STEPS", "OPTIMIZERS", "train_toy", "toy_networks",
           "toy_optimizer", "check_toy_data"]
