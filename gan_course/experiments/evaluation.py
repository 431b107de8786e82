"""Samples and a first, honest evaluation of a trained run, read from its folder.

    generator, experiment, step = load_generator("runs/quick")    # the EMA of G_θ if the run kept one
    sample_grid("runs/quick", n=64)                              # runs/quick/sample_step_000600.png
    evaluate_run("runs/quick")                                   # runs/quick/evaluation.json

The evaluation measures nearest-neighbour distances in pixel space, with nothing trained for
it, so it runs offline on any data set. With pixels in [-1, 1], the distance between two images
is the root mean square difference of their pixels, d(x, y) = ‖x − y‖₂ / √(C·H·W), and

    sample_to_held_out  = mean over n samples x̃ of     min_y d(x̃, y)   (y: the held-out images)
    held_out_to_sample  = mean over held-out images y of min_x̃ d(x̃, y)
    sample_to_train     = mean over n samples x̃ of     min_x d(x̃, x)   (x: the training images)

The first is small when every sample lies close to some real image (fidelity); the second when
every held-out image has a sample close to it (coverage: a collapsed generator leaves most of
them far away); the third, compared with the same number for held-out images, shows copying
(samples much closer to the training images than unseen real images are). Each is reported
beside the score of n real images in place of the samples: training images for the first two
(what a generator drawing from p* itself would get), held-out images for the third.

These are crude: pixel distances favour smooth, average-looking images over sharp ones, and
they say nothing about what a classifier sees. Lesson 09 adds FID, KID and precision/recall.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from gan_course.config import device as default_device
from gan_course.data.images import load_images
from gan_course.experiments.config import Experiment, load_experiment
from gan_course.experiments.outputs import RunFolder, load_checkpoint, save_image_grid, write_json
from gan_course.experiments.run import SAMPLE_STREAM, build_networks, data_root, generate

Tensor = torch.Tensor

EVALUATION_SAMPLES = 1000
# pairs of images compared at once: (chunk × reference count) distances in memory
DISTANCE_CHUNK = 256


def load_generator(run_folder) -> tuple[nn.Module, Experiment, int]:
    """The generator of the run's latest checkpoint (its EMA if the run kept one), in eval mode
    on the CPU, with the run's experiment and the checkpoint's step."""
    folder = RunFolder(run_folder)
    checkpoint = load_checkpoint(folder.require_checkpoint())
    experiment = load_experiment(folder.config)
    generator, _ = build_networks(experiment, checkpoint["image_shape"])
    if "ema" in checkpoint:
        averaged = AveragedModel(generator, use_buffers=True)
        averaged.load_state_dict(checkpoint["ema"])
        generator = averaged.module
    else:
        generator.load_state_dict(checkpoint["generator"])
    return generator.eval(), experiment, checkpoint["step"]


def draw_samples(generator: nn.Module, n: int, noise_dim: int, seed: int) -> Tensor:
    rng = torch.Generator().manual_seed(seed)
    return generate(generator, torch.randn(n, noise_dim, generator=rng))


def sample_grid(run_folder, n: int = 64, seed: int = 0):
    """Write a grid of n samples from the latest checkpoint; return its path."""
    generator, experiment, step = load_generator(run_folder)
    samples = draw_samples(generator, n, experiment.noise_dim, experiment.seed + SAMPLE_STREAM + seed)
    return save_image_grid(samples, RunFolder(run_folder).root / f"sample_step_{step:06d}.png")


def nearest_distances(queries: Tensor, references: Tensor) -> Tensor:
    """min_y d(q, y) over the references y for each query q, with d(x, y) = ‖x − y‖₂ / √(pixels)."""
    device = default_device()
    queries, references = queries.flatten(1).to(device), references.flatten(1).to(device)
    nearest = [torch.cdist(chunk, references).min(dim=1).values
               for chunk in queries.split(DISTANCE_CHUNK)]
    return torch.cat(nearest).cpu() / queries.shape[1] ** 0.5


def nearest_neighbour_scores(samples: Tensor, train: Tensor, held_out: Tensor,
                             real: Tensor) -> dict[str, dict[str, float]]:
    """The three distances of the module, for ``samples`` and for ``real`` images (as many, in
    their place), e.g. {"sample_to_held_out": {"samples": 0.41, "real": 0.38}, ...}."""
    def mean(queries, references):
        return round(float(nearest_distances(queries, references).mean()), 4)

    unseen = held_out[:len(samples)]
    return {"sample_to_held_out": {"samples": mean(samples, held_out), "real": mean(real, held_out)},
            "held_out_to_sample": {"samples": mean(held_out, samples), "real": mean(held_out, real)},
            "sample_to_train": {"samples": mean(samples, train), "real": mean(unseen, train)}}


def evaluate_generator(generator: nn.Module, experiment: Experiment,
                       n_samples: int = EVALUATION_SAMPLES) -> dict:
    """``nearest_neighbour_scores`` of ``generator`` on the experiment's data set, with n, the
    number of samples (n_samples, or fewer when a split of the data set is smaller)."""
    root = data_root(experiment)
    train = load_images(experiment.data, "train", "gan", root).images
    held_out = load_images(experiment.data, "held_out", "gan", root).images
    n = min(n_samples, len(train), len(held_out))
    samples = draw_samples(generator, n, experiment.noise_dim, experiment.seed + SAMPLE_STREAM)
    # the real images in the samples' place: a fixed random choice of n training images
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(experiment.seed))[:n]
    return {"n": n, "scores": nearest_neighbour_scores(samples, train, held_out, train[chosen])}


def evaluate_run(run_folder, n_samples: int = EVALUATION_SAMPLES) -> dict:
    """Evaluate the run's latest checkpoint; write and return evaluation.json's table."""
    generator, experiment, step = load_generator(run_folder)
    table = {"experiment": experiment.name, "step": step, "data": experiment.data,
             "distance": "root mean square pixel difference, pixels in [-1, 1]",
             **evaluate_generator(generator, experiment, n_samples)}
    write_json(RunFolder(run_folder).evaluation, table)
    return table


__all__ = ["load_generator", "sample_grid", "evaluate_run", "evaluate_generator",
           "nearest_distances", "nearest_neighbour_scores", "draw_samples"]
