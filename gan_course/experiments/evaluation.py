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
they say nothing about what a classifier sees. So ``compare_with_real`` adds lesson 09's metrics
(``gan_course.metrics.summary.image_metrics``), for the samples and
for the same n real training images in their place:

- digits (mnist5k, mnist, digits8), through the course's digit classifier of that set, and
  CIFAR-10, through the course's CIFAR-10 classifier (``gan_course.metrics.features``; the
  "classifier trained on CIFAR-10" of α-GAN's Inception-style score, Rosca et al. 2017): the
  classifier score, FID and KID (``gan_course.metrics.scores``), precision and recall, the
  classes covered and their KL to uniform (``gan_course.metrics.diversity``); FID, KID and
  precision/recall take n held-out images as the real reference. Beside them the table gives
  the classifier's accuracy on the whole held-out split and the classifier score of the n
  held-out images: the fair real reference for the score, since the classifier has seen the
  training images of the "real" column. The CIFAR-10 classifier is trained once (minutes on a
  GPU) from the run's data_root, then cached; if it must train and CIFAR-10 cannot be read,
  "not_reported" says how to fix that and the rest of the evaluation runs;
- stacked MNIST: the modes covered out of 1,000 and their KL to uniform, each channel's digit
  read by the mnist5k classifier;
- every data set: the MS-SSIM diversity of random pairs of images. CelebA gets nothing else:
  the course has no offline network for faces, and nothing is downloaded.

A generator with a density (a Real NVP, lesson 06) gets two more numbers (``density_scores``),
the comparison of Danihelka et al. (2017):

- "bits_per_dim": −log₂ q_θ(x)/D of every held-out image, dequantised once
  (``flow_bits_per_dim``), beside the uniform model's 8; lower is better, and above 8 the
  model gives real images less probability than knowing nothing about images would;
- "independent_critic" among the metrics: Ŵ₁ between held-out images and the samples from a
  fresh WGAN-GP critic (``gan_course.metrics.independent_critic``), trained on half of each and
  scored on the other half, beside the same estimate for n training images in the samples' place
  (about 0: the estimate's noise floor).

An α-GAN (lesson 07) has an encoder E_η, so it also gets ``reconstruction_scores``: the mean
|x − G(E(x))| per pixel value of n held-out images, beside the same for n training images (a
much lower training number shows an auto-encoder that memorised), through G_θ itself (not its
EMA: E_η was trained with G_θ); ``evaluate_run`` also draws the first held-out images and their
reconstructions, row by row, into reconstructions.png.

The table names what it leaves out ("not_reported") and how far to trust it ("notes").
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel

from gan_course.config import device as default_device
from gan_course.data.images import TITLES
from gan_course.experiments.config import Experiment, load_started_experiment
from gan_course.experiments.outputs import RunFolder, load_checkpoint, save_image_grid, write_json
from gan_course.experiments.run import (
    SAMPLE_STREAM,
    build_alpha_gan_networks,
    build_networks,
    data_root,
    experiment_images,
    generate,
)
from gan_course.metrics import independent_critic
from gan_course.metrics.diversity import stacked_mnist_modes
from gan_course.metrics.features import (
    ClassifierDataMissing,
    cifar10_classifier,
    classifier_features,
    classifier_probabilities,
    digit_classifier,
)
from gan_course.metrics.likelihood import BYTE_LEVELS
from gan_course.metrics.scores import classifier_score
from gan_course.metrics.summary import image_metrics
from gan_course.models.realnvp import Flow, flow_bits_per_dim

Tensor = torch.Tensor

EVALUATION_SAMPLES = 1000
# images encoded and decoded at once when measuring reconstructions
RECONSTRUCTION_CHUNK = 500
# reconstructions.png: this many held-out images, each row of them followed by a row of their
# reconstructions
GRID_IMAGES, GRID_COLUMNS = 32, 8
# pairs of images compared at once: (chunk × reference count) distances in memory
DISTANCE_CHUNK = 256

CLASSIFIERS = {"mnist5k": "mnist5k", "mnist": "mnist5k", "digits8": "digits8", "stacked_mnist": "mnist5k",
               "cifar10": "cifar10"}
"""The classifier that judges each data set: a digit classifier (``features.digit_classifier``) for
the digit sets (stacked MNIST's channels are mnist5k digits, read one at a time), the CIFAR-10
classifier (``features.cifar10_classifier``) for CIFAR-10. CelebA has none."""

CLASSIFIER_METRICS = "classifier score, FID, KID, precision, recall and modes"

STACKED_MNIST = "stacked_mnist"

# precision_recall's k (Kynkäänniemi et al.'s 3): each set needs more than k images
MINIMUM_SAMPLES = 4
# Below this many samples FID's upward bias is large (2,048: Inception's feature dimension,
# pytorch-fid's advice on the least sample size).
FID_SAMPLES = 2048
SIGNIFICANT_PLACES = 4

# The independent critic's training steps: about 7 s for 28×28 digits on a 2-core CPU (see
# gan_course.metrics), seconds on a GPU, where --critic-steps 5000 gives a tighter estimate.
CRITIC_STEPS = 500
UNIFORM_BITS_PER_DIM = math.log2(BYTE_LEVELS)
"""8: the bits/dim of the uniform distribution over 8-bit pixels, whatever the images."""


def load_generator(run_folder) -> tuple[nn.Module, Experiment, int]:
    """The generator of the run's latest checkpoint (its EMA if the run kept one), in eval mode
    on the CPU, with the run's experiment and the checkpoint's step."""
    folder = RunFolder(run_folder)
    checkpoint = load_checkpoint(folder.require_checkpoint())
    experiment = load_started_experiment(folder.config)
    generator, _ = build_networks(experiment, checkpoint["image_shape"])
    if "ema" in checkpoint:
        averaged = AveragedModel(generator, use_buffers=True)
        averaged.load_state_dict(checkpoint["ema"])
        generator = averaged.module
    else:
        generator.load_state_dict(checkpoint["generator"])
    return generator.eval(), experiment, checkpoint["step"]


def load_autoencoder(run_folder) -> tuple[nn.Module, nn.Module]:
    """An α-GAN run's encoder E_η and generator G_θ (its own weights, not the EMA: the encoder
    was trained to invert these), from the latest checkpoint, in eval mode on the CPU."""
    folder = RunFolder(run_folder)
    checkpoint = load_checkpoint(folder.require_checkpoint())
    experiment = load_started_experiment(folder.config)
    if "encoder" not in checkpoint:
        raise ValueError(f"{folder.root} holds a run of objective {experiment.objective!r}, which has no "
                         "encoder to reconstruct with; only objective 'alpha_gan' trains one.")
    networks = build_alpha_gan_networks(experiment, checkpoint["image_shape"])
    networks.encoder.load_state_dict(checkpoint["encoder"])
    networks.generator.load_state_dict(checkpoint["generator"])
    return networks.encoder.eval(), networks.generator.eval()


@torch.no_grad()
def reconstruct(encoder: nn.Module, generator: nn.Module, images: Tensor) -> Tensor:
    """G(E(x)) of each image, in chunks, on the best device, with batch norm in eval mode (its
    running statistics, so a reconstruction depends on its own image only); returned on the CPU."""
    device = default_device()
    encoder, generator = copy.deepcopy(encoder).to(device).eval(), copy.deepcopy(generator).to(device).eval()
    return torch.cat([generator(encoder(chunk.to(device))).float().cpu()
                      for chunk in images.split(RECONSTRUCTION_CHUNK)])


def reconstruction_error(encoder: nn.Module, generator: nn.Module, images: Tensor) -> float:
    """(1/(N·C·H·W)) Σ |x − G(E(x))|: the mean absolute pixel difference, pixels in [-1, 1]."""
    return float((images - reconstruct(encoder, generator, images)).abs().mean())


def reconstruction_scores(encoder: nn.Module, generator: nn.Module, held_out: Tensor, real: Tensor) -> dict:
    """The reconstruction error of the ``held_out`` images and of as many training images
    (``real``): {"held_out": ..., "train": ..., "images": n}."""
    return {"held_out": significant(reconstruction_error(encoder, generator, held_out)),
            "train": significant(reconstruction_error(encoder, generator, real)),
            "images": len(held_out)}


def save_reconstruction_grid(encoder: nn.Module, generator: nn.Module, images: Tensor, path):
    """The first ``GRID_IMAGES`` images and their reconstructions as one PNG: a row of images,
    then a row of their reconstructions, and so on."""
    images = images[:GRID_IMAGES]
    originals = images.split(GRID_COLUMNS)
    copies = reconstruct(encoder, generator, images).split(GRID_COLUMNS)
    interleaved = torch.cat([part for pair in zip(originals, copies) for part in pair])
    return save_image_grid(interleaved, path, columns=GRID_COLUMNS)


def draw_samples(generator: nn.Module, n: int, noise_dim: int, seed: int) -> Tensor:
    rng = torch.Generator().manual_seed(seed)
    return generate(generator, torch.randn(n, noise_dim, generator=rng))


def sample_grid(run_folder, n: int = 64, seed: int = 0):
    """Write a grid of n samples from the latest checkpoint; return its path
    (sample_step_NNNNNN.png, or sample_step_NNNNNN_seedS.png for another seed S than 0)."""
    generator, experiment, step = load_generator(run_folder)
    samples = draw_samples(generator, n, experiment.noise_dim, experiment.seed + SAMPLE_STREAM + seed)
    name = f"sample_step_{step:06d}" + (f"_seed{seed}" if seed else "")
    return save_image_grid(samples, RunFolder(run_folder).root / f"{name}.png")


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


def side_by_side(tables: dict[str, dict[str, float]]) -> dict[str, dict]:
    """{"fid": {"samples": x, "real": y}, ...} from {"samples": {"fid": x, ...}, "real": {...}}:
    each metric of ``summary.image_metrics`` for every image set, rounded; KID's spread goes under
    "kid"'s "std", the number of modes under "modes_covered"'s "out_of"."""
    first = next(iter(tables.values()))
    rows = {}
    for metric in first:
        if metric in ("kid_std", "modes_total"):
            continue
        rows[metric] = {name: table[metric] if metric == "modes_covered" else significant(table[metric])
                        for name, table in tables.items()}
    if "kid_std" in first:
        rows["kid"]["std"] = {name: significant(table["kid_std"]) for name, table in tables.items()}
    if "modes_total" in first:
        rows["modes_covered"]["out_of"] = first["modes_total"]
    return rows


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


def data_classifier(data: str, root=None) -> nn.Module:
    """The classifier that judges images of ``data`` (``CLASSIFIERS``); CIFAR-10's is trained from
    the folder ``root`` the first time (``features.cifar10_classifier``)."""
    if CLASSIFIERS[data] == "cifar10":
        return cifar10_classifier(root)
    return digit_classifier(CLASSIFIERS[data])


def classifier_notes(data: str, n: int) -> list[str]:
    """How far to compare the classifier metrics, and with which real images."""
    return [f"The classifier metrics use the course's {TITLES.get(data, data)} classifier: compare them with "
            "numbers from the same classifier, not with published Inception scores or FIDs.",
            f"The classifier was trained on the training images, so their classifier score in the 'real' "
            f"column flatters them; the score of {n} held-out images is the fair real reference."]


def _classifier_or_reason(data: str, root) -> tuple[nn.Module | None, str | None]:
    """(the classifier of ``data``, None), or (None, why lesson 09's classifier metrics are missing)."""
    if data not in CLASSIFIERS:
        title = TITLES.get(data, data)
        return None, (f"{CLASSIFIER_METRICS}: the course has no offline classifier for {title} images (FID "
                      "needs a network trained on such images, and nothing is downloaded at run time).")
    try:
        return data_classifier(data, root), None
    except ClassifierDataMissing as error:  # the rest of the evaluation runs without it
        return None, f"{CLASSIFIER_METRICS}: {error}"


def compare_with_real(samples: Tensor, reference: Tensor, real: Tensor, data: str, data_root=None) -> dict:
    """Lesson 09's metrics of ``samples`` beside the same metrics of ``real`` images (as many, in
    their place), with ``reference`` (held-out images) as the real distribution for FID, KID and
    precision/recall; which metrics depends on ``data`` (see the module's docstring). CIFAR-10's
    classifier is read from the cache, or trained from the folder ``data_root``.

    Returns {"metrics": {"fid": {"samples": x, "real": y}, ...}, "notes": [...]}, with
    "classifier" (its data set, held-out accuracy and, but for stacked MNIST, the classifier
    score of the ``reference`` images) when a classifier judged the images and "not_reported"
    (why) when lesson 09's classifier metrics are missing.
    """
    images = {"samples": samples, "real": real}
    classifier, reason = _classifier_or_reason(data, data_root)
    table = {}
    if classifier is None:
        tables = {name: image_metrics(batch) for name, batch in images.items()}
        table["not_reported"] = reason
    elif data == STACKED_MNIST:
        table["classifier"] = {"trained_on": classifier.data,
                               "held_out_accuracy": significant(classifier.held_out_accuracy)}
        # the classifier reads one channel: no features for a stacked image, modes per channel
        tables = {name: image_metrics(batch, classifier, count_modes=stacked_mnist_modes)
                  for name, batch in images.items()}
        table["not_reported"] = ("classifier score, FID, KID, precision and recall: the digit "
                                 "classifier reads one channel, so it has no features for a stacked "
                                 "image; the modes classify each channel instead.")
    else:
        held_out_score = classifier_score(classifier_probabilities(classifier, reference))
        table["classifier"] = {"trained_on": classifier.data,
                               "held_out_accuracy": significant(classifier.held_out_accuracy),
                               "held_out_classifier_score": significant(held_out_score)}
        reference_features = classifier_features(classifier, reference)
        tables = {name: image_metrics(batch, classifier, reference_features=reference_features)
                  for name, batch in images.items()}
    table["metrics"] = side_by_side(tables)
    table["notes"] = sample_size_notes(len(samples), table["metrics"])
    if "held_out_classifier_score" in table.get("classifier", {}):
        table["notes"] += classifier_notes(classifier.data, len(reference))
    return table


# --------------------------------------------------------------------------- a generator with a density


def density_scores(flow: Flow, held_out: Tensor, samples: Tensor, real: Tensor, seed: int,
                   critic_steps: int = CRITIC_STEPS) -> dict:
    """Lesson 06's two numbers for a generator with a density q_θ (Danihelka et al. 2017):

        bits/dim = −(1/N) Σ log₂ P(x_i)/D over all N ``held_out`` images (``flow_bits_per_dim``)
        Ŵ₁(held-out, samples) from an independent critic (``metrics.independent_critic``)

    with Ŵ₁ also for ``real`` (training images as many as the samples) in the samples' place.
    The critic sees the first len(samples) held-out images in a seeded random order. Runs on
    the best device. Returns {"bits_per_dim": {...}, "independent_critic": {"samples", "real"}}.
    """
    device = default_device()
    flow = copy.deepcopy(flow).to(device).eval()  # the caller's flow stays where it is
    rng = torch.Generator().manual_seed(seed)
    bits = flow_bits_per_dim(flow, held_out.to(device), rng)
    order = torch.randperm(len(held_out), generator=rng)[:len(samples)]
    reference = held_out[order].to(device)
    critic = {name: independent_critic(reference, batch.to(device), steps=critic_steps, seed=seed)
              for name, batch in (("samples", samples), ("real", real))}
    return {"bits_per_dim": {"held_out": significant(bits), "uniform": UNIFORM_BITS_PER_DIM,
                             "images": len(held_out)},
            "independent_critic": {name: significant(value) for name, value in critic.items()}}


def density_notes(n: int, held_out_images: int, critic_steps: int) -> list[str]:
    return [f"bits_per_dim: all {held_out_images} held-out images, each dequantised once (an upper bound "
            "on the bits/dim of the bytes); the uniform model scores 8, and Dinh et al. (2017) report "
            "3.49 on CIFAR-10 and 3.02 on CelebA with larger flows.",
            f"independent_critic: a fresh WGAN-GP critic trained for {critic_steps} steps on half of "
            f"{n} held-out images and half the images in its column, scored on the other halves "
            "(Danihelka et al. 2017); the 'real' column shows the estimate's noise floor."]


def evaluate_generator(generator: nn.Module, experiment: Experiment,
                       n_samples: int = EVALUATION_SAMPLES, critic_steps: int = CRITIC_STEPS,
                       autoencoder: tuple[nn.Module, nn.Module] | None = None,
                       reconstruction_grid=None) -> dict:
    """``nearest_neighbour_scores`` and ``compare_with_real`` of ``generator`` on the experiment's data
    set, with n, the number of samples (n_samples, or fewer when a split of the data set is
    smaller); n held-out images are the metrics' reference. A generator with a density (a
    ``Flow``) also gets ``density_scores``, its critic trained for ``critic_steps`` steps.
    With an ``autoencoder`` (E_η, G_θ) the table also gets ``reconstruction_scores`` of the n
    held-out images, and with a ``reconstruction_grid`` path their first reconstructions are drawn
    there."""
    if n_samples < MINIMUM_SAMPLES:
        raise ValueError(f"evaluating needs at least {MINIMUM_SAMPLES} samples (precision and recall "
                         f"compare each with its {MINIMUM_SAMPLES - 1} nearest neighbours), got {n_samples}.")
    train = experiment_images(experiment, "train")
    held_out = experiment_images(experiment, "held_out")
    n = min(n_samples, len(train), len(held_out))
    samples = draw_samples(generator, n, experiment.noise_dim, experiment.seed + SAMPLE_STREAM)
    # the real images in the samples' place: a fixed random choice of n training images
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(experiment.seed))[:n]
    real = train[chosen]
    table = {"n": n, "scores": nearest_neighbour_scores(samples, train, held_out, real),
             **compare_with_real(samples, held_out[:n], real, experiment.data, data_root(experiment))}
    if isinstance(generator, Flow):
        density = density_scores(generator, held_out, samples, real, experiment.seed, critic_steps)
        table["bits_per_dim"] = density["bits_per_dim"]
        table["metrics"]["independent_critic"] = density["independent_critic"]
        table["notes"] += density_notes(n, len(held_out), critic_steps)
    if autoencoder is not None:
        table["reconstruction"] = reconstruction_scores(*autoencoder, held_out[:n], real)
        table["notes"].append(f"reconstruction: mean |x − G(E(x))| per pixel value (pixels in [-1, 1]) of "
                              f"{n} held-out and {n} training images, through G itself (not its EMA).")
        if reconstruction_grid is not None:
            path = save_reconstruction_grid(*autoencoder, held_out, reconstruction_grid)
            table["reconstruction"]["grid"] = str(path)
    return table


def evaluate_run(run_folder, n_samples: int = EVALUATION_SAMPLES, critic_steps: int = CRITIC_STEPS) -> dict:
    """Evaluate the run's latest checkpoint; write and return evaluation.json's table."""
    generator, experiment, step = load_generator(run_folder)
    autoencoder = load_autoencoder(run_folder) if experiment.objective == "alpha_gan" else None
    table = {"experiment": experiment.name, "step": step, "data": experiment.data,
             "distance": "root mean square pixel difference, pixels in [-1, 1]",
             **evaluate_generator(generator, experiment, n_samples, critic_steps, autoencoder,
                                  RunFolder(run_folder).reconstructions)}
    write_json(RunFolder(run_folder).evaluation, table)
    return table


__all__ = ["load_generator", "sample_grid", "evaluate_run", "evaluate_generator", "compare_with_real",
           "data_classifier",
           "nearest_distances", "nearest_neighbour_scores", "draw_samples", "density_scores",
           "load_autoencoder", "reconstruct", "reconstruction_scores", "MINIMUM_SAMPLES", "CRITIC_STEPS"]
