"""What a 2D training run records for the player: the History and its recorder.

``HistoryRecorder`` is a hook for ``gan_course.train.train``: the loop calls it
after every step, and at the steps it chose it records the generator's samples,
the discriminator on a grid, the pushes on the fakes and some metrics. The loop
itself knows nothing about any of this.

    recorder = HistoryRecorder(data, generator, discriminator, loss, rng, steps=2000)
    train(generator, discriminator, batches, 2000, ..., hook=recorder)
    history = recorder.history()
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from gan_course import metrics
from gan_course.gan_losses import GANLoss
from gan_course.validation import check_int

Tensor = torch.Tensor

# The generator's manifold is drawn for noise in [-2, 2] (±2 standard deviations).
MANIFOLD_RANGE = 2.0
MANIFOLD_POINTS = {1: (200,), 2: (20, 20)}
# Records per run when record_every is not given: enough for a smooth animation,
# few enough to keep stored notebooks small.
DEFAULT_FRAMES = 50


@dataclass
class History:
    """What one run recorded, at the steps ``steps`` (T records, 0 and the last step included).

    config: the run's configuration (a GANConfig for toy runs).
    steps: (T,) training steps of the records.
    real: (n_show, 2) a fixed sample of the data, for display.
    fake: (T, n_show, 2) G_θ(z) for one fixed batch of noise z.
    fake_push: (T, n_show, 2) −∇_x ℓ_G(x) at each shown fake x, where ℓ_G is the
        per-sample generator loss: the direction in which the generator's update
        pushes that sample (n_show times the gradient of the batch mean).
    grid_x, grid_y: (G, G) a meshgrid ('xy' indexing) over the plotting extent.
    disc: (T, G, G) the discriminator on the grid: σ(l) when ``disc_is_probability``,
        otherwise the raw output l (least squares, hinge, Wasserstein critics).
    critic_up_to_constant: True when the loss ignores a constant added to the critic
        (Wasserstein), so that a plot may centre it.
    manifold: (T, M, 2) G_θ applied to a line (noise_dim 1) or a square grid
        (noise_dim 2) of noise in [-2, 2]^d, or None for noise_dim > 2;
        ``manifold_shape`` is (M,) or (rows, columns) (() when there is none).
    losses: {"disc": (steps,), "gen": (steps,)}, the loss of the last D and G update
        of every training step (entry i is step i + 1).
    metrics: {name: (T,)} at the recorded steps, from 2,000 samples: for mixtures
        "modes_covered" and "high_quality" (``metrics.mode_coverage``); for data with a
        known density, "kl" and "js" (``metrics.grid_divergences``: grid estimates).
    wall_time: seconds the run took.
    generator, discriminator: the trained networks (None in the partial histories
        passed to a callback while training).
    """

    config: object
    steps: Tensor
    real: Tensor
    fake: Tensor
    fake_push: Tensor
    grid_x: Tensor
    grid_y: Tensor
    disc: Tensor
    disc_is_probability: bool
    critic_up_to_constant: bool
    manifold: Tensor | None
    manifold_shape: tuple
    losses: dict
    metrics: dict
    wall_time: float
    generator: nn.Module | None = None
    discriminator: nn.Module | None = None

    def final_samples(self, n: int, seed: int = 0) -> Tensor:
        """n fresh samples G_θ(z), z ~ N(0, I), from the trained generator."""
        if self.generator is None:
            raise ValueError("this history has no trained generator (it is a partial history "
                             "from a callback); use the History that training returns.")
        noise = torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            return self.generator(noise)


def record_steps_for(steps: int, record_every: int | None) -> list[int]:
    """0, record_every, 2·record_every, ..., and always the last step."""
    if record_every is None:
        record_every = max(1, steps // DEFAULT_FRAMES)
    check_int(record_every, "record_every")
    recorded = list(range(0, steps + 1, record_every))
    if recorded[-1] != steps:
        recorded.append(steps)
    return recorded


class HistoryRecorder:
    """Records one 2D run into a History; call it as the training loop's hook.

    It draws its display and metric samples from ``rng`` when it is built, before
    training draws anything, so that a run's data and noise batches do not depend
    on what is recorded.

    data: the toy distribution (for its modes or density, and the plotting extent).
    generator, discriminator: the run's G_θ and D_φ (any modules on 2D points).
    loss: the generator's GAN loss (for the pushes), or None with a ``sample_loss``.
    sample_loss: a moment-matching generator's loss (sample_loss(real, fake)); its
        ``witness(real, fake, points)``, if any, is drawn instead of D_φ.
    disc_is_probability, critic_up_to_constant: how to show D_φ (see History).
    callback: called as callback(step, partial_history) after every record.
    p_cells: the data's probabilities on the metric cells of ``extent``, when already
        computed (runs on the same data share them; computing them takes a while).
    """

    def __init__(self, data, generator: nn.Module, discriminator: nn.Module | None,
                 loss: GANLoss | None, rng: torch.Generator, steps: int, noise_dim: int,
                 record_every: int | None = None, n_show: int = 512, grid_size: int = 60,
                 extent=None, config=None, sample_loss: Callable | None = None,
                 disc_is_probability: bool = False, critic_up_to_constant: bool = False,
                 callback: Callable | None = None, p_cells: Tensor | None = None):
        check_int(n_show, "n_show")
        check_int(grid_size, "grid_size", minimum=2)
        self.generator, self.discriminator = generator, discriminator
        self.loss, self.sample_loss, self.config, self.callback = loss, sample_loss, config, callback
        self.disc_is_probability = disc_is_probability
        self.critic_up_to_constant = critic_up_to_constant
        self.record_steps = record_steps_for(steps, record_every)
        self.start_time = time.perf_counter()

        # display and metric samples first, from the run's own stream
        self.real = data.sample(n_show, rng).float()
        self.noise_show = torch.randn(n_show, noise_dim, generator=rng)
        self.noise_metric = torch.randn(metrics.METRIC_SAMPLES, noise_dim, generator=rng)
        self.extent = (metrics.as_extent(extent) if extent is not None
                       else metrics.default_extent(data))
        x_low, x_high, y_low, y_high = self.extent
        self.grid_x, self.grid_y = torch.meshgrid(torch.linspace(x_low, x_high, grid_size),
                                                  torch.linspace(y_low, y_high, grid_size),
                                                  indexing="xy")
        self.grid_points = torch.stack([self.grid_x.reshape(-1), self.grid_y.reshape(-1)], dim=1)
        self.manifold_noise, self.manifold_shape = manifold_noise(noise_dim)
        self.modes = getattr(data, "modes", None) if hasattr(data, "mode_std") else None
        self.mode_std = getattr(data, "mode_std", None)
        if p_cells is None and metrics.has_density(data):
            p_cells = metrics.density_on_cells(data.log_prob, self.extent, metrics.METRIC_BINS)
        self.p_cells = p_cells

        self.losses = {"disc": torch.zeros(steps), "gen": torch.zeros(steps)}
        self.frames: list[dict] = []
        self.record()  # step 0: the untrained networks

    def __call__(self, step: int, disc_loss: Tensor, gen_loss: Tensor) -> None:
        """The training loop's hook: keep the step's losses; record if this step is due."""
        self.losses["disc"][step - 1] = disc_loss
        self.losses["gen"][step - 1] = gen_loss
        if step == self.record_steps[len(self.frames)]:
            self.record()
            if self.callback is not None:
                self.callback(step, self.history(last_step=step))

    @torch.no_grad()
    def record(self) -> None:
        """Add one frame: the shown samples, D_φ on the grid, the pushes, the metrics."""
        fake = self.generator(self.noise_show)
        frame = {"fake": fake, "disc": self._disc_on_grid(fake), "metrics": {}}
        if self.manifold_noise is not None:
            frame["manifold"] = self.generator(self.manifold_noise)
        with torch.enable_grad():
            frame["fake_push"] = self._push(fake)
        frame["metrics"] = self._metrics(self.generator(self.noise_metric))
        self.frames.append(frame)

    def _disc_on_grid(self, fake: Tensor) -> Tensor:
        witness = getattr(self.sample_loss, "witness", None)
        if witness is not None:
            values = witness(self.real, fake, self.grid_points)
        elif self.discriminator is None:
            values = torch.zeros(len(self.grid_points))
        else:
            values = self.discriminator(self.grid_points)
            values = torch.sigmoid(values) if self.disc_is_probability else values
        return values.reshape(self.grid_x.shape)

    def _push(self, fake: Tensor) -> Tensor:
        """−∇_x ℓ_G(x) at every shown fake x.

        The generator's update moves G_θ(z) along −∇_x ℓ_G (the chain rule
        ∇_θ ℓ_G(G_θ(z)) = (∂G_θ/∂θ)ᵀ ∇_x ℓ_G), so these arrows show where the
        discriminator's landscape (or the sample loss) pushes each sample. The
        batch loss is a mean over the n fakes, so the per-sample gradient is n
        times the gradient of the mean.
        """
        fake = fake.detach().requires_grad_(True)
        if self.sample_loss is not None:
            objective = self.sample_loss(self.real, fake)
        else:
            objective = self.loss(None, self.discriminator(fake)).generator
        (gradient,) = torch.autograd.grad(objective, fake)
        return -gradient * fake.shape[0]

    def _metrics(self, samples: Tensor) -> dict[str, float]:
        values = {}
        if self.modes is not None:
            covered, high_quality = metrics.mode_coverage(samples, self.modes, self.mode_std)
            values.update(modes_covered=covered, high_quality=high_quality)
        if self.p_cells is not None:
            q_cells = metrics.histogram_on_cells(samples, self.extent, metrics.METRIC_BINS)
            values.update(metrics.grid_divergences(self.p_cells, q_cells))
        return values

    def history(self, last_step: int | None = None, generator: nn.Module | None = None,
                discriminator: nn.Module | None = None) -> History:
        """The History recorded so far (up to ``last_step``, default: the last record)."""
        frames = self.frames
        last_step = self.record_steps[len(frames) - 1] if last_step is None else last_step
        names = list(frames[0]["metrics"])
        return History(
            config=self.config,
            steps=torch.tensor(self.record_steps[:len(frames)], dtype=torch.long),
            real=self.real,
            fake=torch.stack([f["fake"] for f in frames]),
            fake_push=torch.stack([f["fake_push"] for f in frames]),
            grid_x=self.grid_x,
            grid_y=self.grid_y,
            disc=torch.stack([f["disc"] for f in frames]),
            disc_is_probability=self.disc_is_probability,
            critic_up_to_constant=self.critic_up_to_constant,
            manifold=(None if self.manifold_noise is None
                      else torch.stack([f["manifold"] for f in frames])),
            manifold_shape=self.manifold_shape,
            losses={name: values[:last_step] for name, values in self.losses.items()},
            metrics={name: torch.tensor([float(f["metrics"][name]) for f in frames])
                     for name in names},
            wall_time=time.perf_counter() - self.start_time,
            generator=generator,
            discriminator=discriminator,
        )


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
