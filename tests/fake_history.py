"""A fake training History for testing the widgets without training anything.

It has exactly the fields of ``gan_course.history.History`` that the widgets read,
filled with synthetic data: the fake samples start as a small blob at the origin
and spiral outwards onto the ring of radius 2 on which the real samples lie.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from gan_course.data import toy

RING_RADIUS = 2.0


@dataclass
class FakeGANConfig:
    loss: str = "non_saturating"
    lr_disc: float = 1e-3
    lr_gen: float = 1e-3
    n_disc: int = 1
    n_gen: int = 1
    noise_dim: int = 2
    width: int = 64
    depth: int = 2
    seed: int = 0


@dataclass
class FakeHistory:
    config: FakeGANConfig
    steps: torch.Tensor
    real: torch.Tensor
    fake: torch.Tensor
    fake_push: torch.Tensor
    grid_x: torch.Tensor
    grid_y: torch.Tensor
    disc: torch.Tensor
    disc_is_probability: bool
    critic_up_to_constant: bool
    manifold: torch.Tensor | None
    manifold_shape: tuple
    losses: dict
    metrics: dict
    wall_time: float


def fake_generator(noise: torch.Tensor, progress: float) -> torch.Tensor:
    """Noise (n, 2) → points: the blob 0.4·z at progress 0, turned onto the ring at progress 1."""
    angle = torch.atan2(noise[:, 1], noise[:, 0]) + math.pi * progress
    radius = (1 - progress) * 0.4 * noise.norm(dim=1) + progress * RING_RADIUS
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)


def make_fake_history(
    frames: int = 21,
    total_steps: int = 1000,
    n_show: int = 256,
    grid_points: int = 40,
    config: FakeGANConfig | None = None,
    with_manifold: bool = True,
    metric_names: tuple = ("modes_covered", "high_quality"),
    disc_is_probability: bool = True,
    critic_up_to_constant: bool = False,
    speed: float = 1.0,
) -> FakeHistory:
    """A History with ``frames`` recorded steps from 0 to ``total_steps``.

    ``speed`` changes how fast the fakes reach the ring, so that two fake runs differ.
    ``critic_up_to_constant``: True for a Wasserstein-type critic, which the heatmap centres.
    """
    config = config or FakeGANConfig()
    generator = torch.Generator().manual_seed(config.seed)
    steps = torch.linspace(0, total_steps, frames).round().long()
    progress = [min(1.0, speed * float(s) / total_steps) for s in steps]
    noise = torch.randn(n_show, 2, generator=generator)
    real = toy.ring_of_gaussians(radius=RING_RADIUS, std=0.05).sample(n_show, rng=generator)

    fake = torch.stack([fake_generator(noise, p) for p in progress])
    # The push on each fake is the direction it moves next: a finite difference in progress.
    fake_push = torch.stack([fake_generator(noise, min(1.0, p + 0.05)) - fake_generator(noise, p)
                             for p in progress]) * 20

    ticks = torch.linspace(-3, 3, grid_points)
    grid_x, grid_y = torch.meshgrid(ticks, ticks, indexing="xy")
    radius = (grid_x**2 + grid_y**2).sqrt()
    disc = []
    for p in progress:
        fake_radius = (1 - p) * 0.4 + p * RING_RADIUS
        real_bump = torch.exp(-((radius - RING_RADIUS) ** 2) / 0.3)
        fake_bump = torch.exp(-((radius - fake_radius) ** 2) / 0.3)
        logit = 4 * (real_bump - fake_bump)
        disc.append(torch.sigmoid(logit) if disc_is_probability else 3 * logit)
    disc = torch.stack(disc)

    manifold, manifold_shape = None, ()
    if with_manifold:
        side = torch.linspace(-2, 2, 12)
        noise_grid = torch.stack(torch.meshgrid(side, side, indexing="xy"), dim=-1).reshape(-1, 2)
        manifold = torch.stack([fake_generator(noise_grid, p) for p in progress])
        manifold_shape = (12, 12)

    # One loss value per training step, as the real History stores them: entry i is step i + 1.
    step_axis = torch.arange(total_steps, dtype=torch.float32)
    wiggle = 0.05 * torch.randn(total_steps, generator=generator)
    losses = {
        "disc": 1.386 - 0.3 * torch.exp(-step_axis / total_steps * 3) + wiggle,
        "gen": 0.693 + 0.5 * torch.exp(-step_axis / total_steps * 3) + wiggle,
    }
    available_metrics = {
        "modes_covered": torch.tensor([round(8 * p) for p in progress], dtype=torch.float32),
        "high_quality": torch.tensor(progress, dtype=torch.float32) * 0.9,
        "kl": torch.tensor([2.0 * (1 - p) + 0.05 for p in progress]),
        "js": torch.tensor([0.69 * (1 - p) + 0.01 for p in progress]),
    }
    metrics = {name: available_metrics[name] for name in metric_names}
    return FakeHistory(config=config, steps=steps, real=real, fake=fake, fake_push=fake_push,
                       grid_x=grid_x, grid_y=grid_y, disc=disc,
                       disc_is_probability=disc_is_probability,
                       critic_up_to_constant=critic_up_to_constant, manifold=manifold,
                       manifold_shape=manifold_shape, losses=losses, metrics=metrics,
                       wall_time=1.5)


def first_frames(history: FakeHistory, count: int) -> FakeHistory:
    """The history as it looked after its first ``count`` records (what a callback sees)."""
    last_step = int(history.steps[count - 1])
    return dataclasses.replace(
        history,
        steps=history.steps[:count],
        fake=history.fake[:count],
        fake_push=history.fake_push[:count],
        disc=history.disc[:count],
        manifold=None if history.manifold is None else history.manifold[:count],
        losses={name: values[:last_step] for name, values in history.losses.items()},
        metrics={name: values[:count] for name, values in history.metrics.items()},
    )


def fake_train_fn(record: list | None = None, frames: int = 11):
    """A stand-in for ``gan_course.toy_training.train_toy``; appends each call's arguments to
    ``record``."""

    def train(data, config, steps, callback=None, progress=True):
        if record is not None:
            record.append({"data": data, "config": config, "steps": steps, "progress": progress})
        history = make_fake_history(frames=frames, total_steps=steps, config=config)
        for count in range(1, frames + 1):
            if callback is not None:
                callback(int(history.steps[count - 1]), first_frames(history, count))
        return history

    return train
