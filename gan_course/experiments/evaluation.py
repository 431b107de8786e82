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
they say nothing about what a classifier sees. So ``image_metrics`` adds lesson 09's metrics,
each defined (formula and paper) in its own module and only called here, for the samples and
for the same n real training images in their place:

- digits (mnist5k, mnist, digits8), through the course's digit classifier of that set
  (``gan_course.metrics.features``): the classifier score, FID and KID
  (``gan_course.metrics.scores``), precision and recall, the digit classes covered and their
  KL to uniform (``gan_course.metrics.diversity``); FID, KID and precision/recall take n
  held-out images as the real reference;
- stacked MNIST: the modes covered out of 1,000 and their KL to uniform, each channel's digit
  read by the mnist5k classifier;
- every data set: the MS-SSIM diversity of random pairs of images. CIFAR-10 and CelebA get
  nothing else: the course has no offline network for such images, and nothing is downloaded.

The table names what it leaves out ("not_reported") and how far to trust it ("notes").
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from gan_course.config import device as default_device
from gan_course.data.images import TITLES, load_images
from gan_course.experiments.config import Experiment, load_experiment
from gan_course.experiments.outputs import RunFolder, load_checkpoint, save_image_grid, write_json
from gan_course.experiments.run import SAMPLE_STREAM, build_networks, data_root, generate
from gan_course.metrics.diversity import digit_modes, ms_ssim_diversity, precision_recall, stacked_mnist_modes
from gan_course.metrics.features import (
    DigitClassifier,
    classifier_features,
    classifier_probabilities,
    digit_classifier,
)
from gan_course.metrics.scores import classifier_score, fid, kid

Tensor = torch.Tensor

EVALUATION_SAMPLES = 1000
# pairs of images compared at once: (chunk × reference count) distances in memory
DISTANCE_CHUNK = 256

CLASSIFIERS = {"mnist5k": "mnist5k", "mnist": "mnist5k", "digits8": "digits8", "stacked_mnist": "mnist5k"}
"""The digit classifier (``features.digit_classifier``) that judges each data set: stacked MNIST's
channels are mnist5k digits, read one at a time. The other sets have none."""

STACKED_MNIST = "stacked_mnist"

# precision_recall's k (Kynkäänniemi et al.'s 3): each set needs more than k images
MINIMUM_SAMPLES = 4
# KID's subsets: Bińkowski et al.'s 1,000 images, but at most n/2: subsets of all n samples and n
# reference images would all be the same set, and the spread over them a meaningless 0.
KID_SUBSET_SIZE = 1000
# Random pairs of images for the MS-SSIM diversity: n, at most 1,000. A pair of 28-pixel digits
# costs about 6 ms on a 2-core CPU (three times that for stacked MNIST's three channels); one pair's
# score spreads by 0.18 on real digits, so the mean of 1,000 pairs is good to about ±0.006.
DIVERSITY_PAIRS = 1000
# Below this many samples FID's upward bias is large (2,048: Inception's feature dimension,
# pytorch-fid's advice on the least sample size).
FID_SAMPLES = 2048
SIGNIFICANT_PLACES = 4


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


def significant(value: float) -> float:
    """``value`` rounded to 4 significant places: KID's 0.0001234 keeps its digits, FID's 12.34 no more."""
    return float(f"{float(value):.{SIGNIFICANT_PLACES}g}")


def each(function: Callable, values: dict) -> dict:
    """{"samples": f(samples), "real": f(real)}: ``function`` of each set, rounded."""
    return {name: significant(function(value)) for name, value in values.items()}


def nearest_neighbour_scores(samples: Tensor, train: Tensor, held_out: Tensor,
                             real: Tensor) -> dict[str, dict[str, float]]:
    """The three distances of the module, for ``samples`` and for ``real`` images (as many, in
    their place), e.g. {"sample_to_held_out": {"samples": 0.41, "real": 0.38}, ...}."""
    def mean(queries, references):
        return significant(nearest_distances(queries, references).mean())

    unseen = held_out[:len(samples)]
    return {"sample_to_held_out": {"samples": mean(samples, held_out), "real": mean(real, held_out)},
            "held_out_to_sample": {"samples": mean(held_out, samples), "real": mean(held_out, real)},
            "sample_to_train": {"samples": mean(samples, train), "real": mean(unseen, train)}}


# --------------------------------------------------------------------------- lesson 09's metrics


def classifier_metrics(images: dict[str, Tensor], reference: Tensor,
                       classifier: DigitClassifier) -> dict[str, dict]:
    """The classifier score, FID, KID (mean, and its spread over subsets as "std"), precision and
    recall of each image set in ``images`` ({"samples": ..., "real": ...}), the last four against
    the ``reference`` images, all through ``classifier`` (see ``gan_course.metrics.scores`` and
    ``gan_course.metrics.diversity`` for their definitions)."""
    reference_features = classifier_features(classifier, reference)
    features = {name: classifier_features(classifier, batch) for name, batch in images.items()}
    kids = {name: kid(reference_features, batch, subset_size=min(KID_SUBSET_SIZE, len(batch) // 2))
            for name, batch in features.items()}
    precision_recalls = {name: precision_recall(reference_features, batch)
                         for name, batch in features.items()}
    return {
        "classifier_score": each(lambda batch: classifier_score(classifier_probabilities(classifier, batch)),
                                 images),
        "fid": each(lambda batch: fid(reference_features, batch), features),
        "kid": {**each(lambda pair: pair[0], kids), "std": each(lambda pair: pair[1], kids)},
        "precision": each(lambda pair: pair[0], precision_recalls),
        "recall": each(lambda pair: pair[1], precision_recalls),
    }


def mode_metrics(images: dict[str, Tensor], count_modes: Callable,
                 classifier: DigitClassifier) -> dict[str, dict]:
    """The modes covered (out of all the data's modes) and the KL of the mode histogram to uniform
    of each image set, with ``count_modes`` = ``digit_modes`` or ``stacked_mnist_modes``."""
    counts = {name: count_modes(batch, classifier) for name, batch in images.items()}
    return {"modes_covered": {**{name: count.covered for name, count in counts.items()},
                              "out_of": len(counts["samples"].counts)},
            "mode_kl_to_uniform": each(lambda count: count.kl_to_uniform, counts)}


def diversity_metrics(images: dict[str, Tensor]) -> dict[str, dict]:
    """The MS-SSIM diversity (``gan_course.metrics.diversity.ms_ssim_diversity``) of each image set,
    over min(n, ``DIVERSITY_PAIRS``) random pairs."""
    return {"ms_ssim_diversity": each(
        lambda batch: ms_ssim_diversity(batch, pairs=min(DIVERSITY_PAIRS, len(batch))), images)}


def sample_size_notes(n: int, metrics: dict) -> list[str]:
    """What a reader must know to compare these ``metrics`` of n samples with another evaluation's."""
    notes = [f"'real' is {n} training images in the samples' place."]
    if "modes_covered" in metrics:
        notes.append("Modes covered and KL to uniform are histogram estimates: compare them at equal n.")
    if "fid" in metrics:
        notes.append(f"FID, KID, precision and recall take {n} held-out images as the real distribution.")
    if "fid" in metrics and n < FID_SAMPLES:
        notes.append(f"FID is biased upward at n = {n} (below {FID_SAMPLES:,} samples): compare it at "
                     "equal n only; KID is unbiased.")
    return notes


def image_metrics(samples: Tensor, reference: Tensor, real: Tensor, data: str) -> dict:
    """Lesson 09's metrics of ``samples`` beside the same metrics of ``real`` images (as many, in
    their place), with ``reference`` (held-out images) as the real distribution for FID, KID and
    precision/recall; which metrics depends on ``data`` (see the module's docstring).

    Returns {"metrics": {"fid": {"samples": x, "real": y}, ...}, "notes": [...]}, with
    "classifier" (its data set and held-out accuracy) when a digit classifier judged the images
    and "not_reported" (why) when lesson 09's classifier metrics are missing.
    """
    images = {"samples": samples, "real": real}
    table = {"metrics": {}}
    if data in CLASSIFIERS:
        classifier = digit_classifier(CLASSIFIERS[data])
        table["classifier"] = {"trained_on": classifier.data,
                               "held_out_accuracy": significant(classifier.held_out_accuracy)}
        if data == STACKED_MNIST:
            table["metrics"] = mode_metrics(images, stacked_mnist_modes, classifier)
            table["not_reported"] = ("classifier score, FID, KID, precision and recall: the digit "
                                     "classifier reads one channel, so it has no features for a stacked "
                                     "image; the modes classify each channel instead.")
        else:
            table["metrics"] = {**classifier_metrics(images, reference, classifier),
                                **mode_metrics(images, digit_modes, classifier)}
    else:
        table["not_reported"] = (f"classifier score, FID, KID, precision, recall and modes: the course "
                                 f"has no offline classifier for {TITLES.get(data, data)} images (FID "
                                 "needs a network trained on such images, and nothing is downloaded "
                                 "at run time).")
    table["metrics"].update(diversity_metrics(images))
    table["notes"] = sample_size_notes(len(samples), table["metrics"])
    return table


def evaluate_generator(generator: nn.Module, experiment: Experiment,
                       n_samples: int = EVALUATION_SAMPLES) -> dict:
    """``nearest_neighbour_scores`` and ``image_metrics`` of ``generator`` on the experiment's data
    set, with n, the number of samples (n_samples, or fewer when a split of the data set is
    smaller); n held-out images are the metrics' reference."""
    if n_samples < MINIMUM_SAMPLES:
        raise ValueError(f"evaluating needs at least {MINIMUM_SAMPLES} samples (precision and recall "
                         f"compare each with its {MINIMUM_SAMPLES - 1} nearest neighbours), got {n_samples}.")
    root = data_root(experiment)
    train = load_images(experiment.data, "train", "gan", root).images
    held_out = load_images(experiment.data, "held_out", "gan", root).images
    n = min(n_samples, len(train), len(held_out))
    samples = draw_samples(generator, n, experiment.noise_dim, experiment.seed + SAMPLE_STREAM)
    # the real images in the samples' place: a fixed random choice of n training images
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(experiment.seed))[:n]
    real = train[chosen]
    return {"n": n, "scores": nearest_neighbour_scores(samples, train, held_out, real),
            **image_metrics(samples, held_out[:n], real, experiment.data)}


def evaluate_run(run_folder, n_samples: int = EVALUATION_SAMPLES) -> dict:
    """Evaluate the run's latest checkpoint; write and return evaluation.json's table."""
    generator, experiment, step = load_generator(run_folder)
    table = {"experiment": experiment.name, "step": step, "data": experiment.data,
             "distance": "root mean square pixel difference, pixels in [-1, 1]",
             **evaluate_generator(generator, experiment, n_samples)}
    write_json(RunFolder(run_folder).evaluation, table)
    return table


__all__ = ["load_generator", "sample_grid", "evaluate_run", "evaluate_generator", "image_metrics",
           "nearest_distances", "nearest_neighbour_scores", "draw_samples", "MINIMUM_SAMPLES"]
