"""One image run: an ``Experiment`` trained by ``gan_course.train.train`` into a folder.

    run = prepare_run(load_experiment("dcgan_mnist", quick=True), "runs/quick")
    summary = train_run(run)

``prepare_run`` builds what ``train`` needs, as ``train_toy`` does for toy runs: the generator
(a DCGAN net of ``gan_course.models.dcgan`` or a Real NVP of ``gan_course.models.realnvp``), the
discriminator, their Adam optimisers, the penalty, the ``ImageBatches``; with ``resume=True`` it
restores all of them from the folder's checkpoint. ``train_run`` calls ``train`` with a
``RunRecorder`` as its hook, which keeps the EMA of the generator, logs, draws sample grids and
writes checkpoints. The training step is ``train``'s: there is no second GAN loop.

Lesson 06 trains the same Real NVP two ways (Danihelka et al. 2017). With objective "gan" the
flow is simply the generator that ``train`` trains against a critic. With objective "mle" there is
no discriminator: ``train_by_likelihood`` calls ``gan_course.flow_training.flow_step`` once per
step, on batches dequantised from the run's own random stream, with the same recorder. Both
start from the same flow: its ActNorm layers are initialised from the same real images.

Lesson 07 at full scale: objective "alpha_gan" trains α-GAN (Rosca et al. 2017) with
``gan_course.alpha_gan.train_hybrid``, the lesson's own loop, and ``HYBRIDS["α-GAN"]``: four
networks (G_θ, the encoder E_η, D_φ and the code discriminator C_ω of ``build_image_networks``),
four Adam optimisers, one ``alpha_gan_step`` per step on one batch of images and one of noise,
with the same recorder, EMA, checkpoints and exact resume.

Speed is set up around the loop, not in it (``for_training``): the networks' weights and
activations in channels_last order; their forward passes under bfloat16 autocast on CUDA;
optionally torch.compile; and DistributedDataParallel when several processes train.

Resuming. A checkpoint holds everything that decides the rest of the run: both networks (an
α-GAN's four) with their batch-norm statistics, their optimisers, the EMA, the step, and each
process's random streams (its batches' rng and the images left in the current epoch, its
penalty's rng or its dequantisation noise's rng). So a resumed run repeats what the killed run
would have done, number for number on a CPU (some GPU kernels are not deterministic).

Several processes. Under ``torchrun --nproc_per_node=N`` the same command trains a GAN (not a
run of objective "mle" or "alpha_gan") with torch's DistributedDataParallel: NCCL between GPUs,
gloo between CPU processes. Process r trains on
every N-th training image from the r-th (as DistributedSampler would share them out), draws its
batches and its penalty's points from its own seeds, and takes batch_size / N images per update;
DDP averages the gradients, so every process holds the same weights. Only process 0 prints
and writes files. Batch norm normalises over each process's own images.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from gan_course.alpha_gan import HYBRIDS, HybridNetworks, build_image_networks, train_hybrid
from gan_course.config import denormals_flushed_to_zero, progress_bar
from gan_course.config import device as default_device
from gan_course.data.images import DOWNLOAD_HINTS, TITLES, TORCHVISION_SETS, ImageBatches, load_images
from gan_course.experiments.config import Experiment, experiment_toml, load_started_experiment
from gan_course.experiments.outputs import (
    ALPHA_GAN_METRICS_COLUMNS,
    METRICS_COLUMNS,
    MLE_METRICS_COLUMNS,
    MetricsFile,
    RunFolder,
    load_checkpoint,
    save_checkpoint,
    save_image_grid,
    write_json,
    write_text,
)
from gan_course.flow_training import flow_step, raise_if_not_finite
from gan_course.metrics.likelihood import bits_per_dim
from gan_course.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_course.models.realnvp import BIN_WIDTH, RealNVPImage, dequantise
from gan_course.penalties import DRAGANPenalty, WGANGradientPenalty
from gan_course.train import train

Tensor = torch.Tensor

PENALTY_CLASSES = {"wgan_gp": WGANGradientPenalty, "dragan": DRAGANPenalty}

# Each random stream of a run has its own seed, so that no two streams draw the same numbers:
# process r's batches come from seed + r, its penalty's points from seed + PENALTY_STREAM + r,
# the sample grids' noise from seed + SAMPLE_STREAM, and a maximum-likelihood run's
# dequantisation noise from seed + DEQUANTISATION_STREAM.
PENALTY_STREAM = 1_000_000
SAMPLE_STREAM = 2_000_000
DEQUANTISATION_STREAM = 3_000_000
GRID_SAMPLES = 64

ALPHA_GAN = HYBRIDS["α-GAN"]
"""The switches of α-GAN: L1 reconstruction, D_φ on samples and reconstructions, a code
discriminator, a deterministic encoder."""
# alpha_gan_step's names for its losses → metrics.csv's columns
ALPHA_GAN_LOSSES = {"discriminator": "disc_loss", "code_discriminator": "code_disc_loss",
                    "encoder": "enc_loss", "generator": "gen_loss"}

# A Real NVP's ActNorm layers start from the first training images (Kingma & Dhariwal 2018).
FLOW_INITIALISATION_IMAGES = 256
# flow_step rescales a longer gradient to this norm (train_flow's default): a batch that lands
# where q_θ is tiny would otherwise throw θ far in one step.
FLOW_MAX_GRAD_NORM = 100.0


# --------------------------------------------------------------------------- processes


@dataclass
class Process:
    """Where this process trains, and its place among the processes of a torchrun job."""

    device: torch.device
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        """Only the main process (rank 0) prints and writes files."""
        return self.rank == 0


def start_process() -> Process:
    """This process: alone on the best device, or one of torchrun's WORLD_SIZE processes."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Process(default_device())
    local_rank = int(os.environ["LOCAL_RANK"])
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Process(device, dist.get_rank(), world_size)


def stop_process(process: Process) -> None:
    if process.world_size > 1 and dist.is_initialized():
        dist.destroy_process_group()


# --------------------------------------------------------------------------- the pieces


def training_images(experiment: Experiment, process: Process) -> Tensor:
    """This process's share of the training images, (N, C, H, W) with pixels in [-1, 1]."""
    if experiment.data in TORCHVISION_SETS and not experiment.data_root:
        hint = DOWNLOAD_HINTS[experiment.data].replace("ROOT", "DIR")
        raise ValueError(f"{experiment.name} trains on {TITLES[experiment.data]}, which is read from "
                         f"a folder: add --set data_root=DIR, a folder you downloaded it into once "
                         f"with {hint}, or add --quick for a smoke run on offline images.")
    images = experiment_images(experiment, "train")
    return images[process.rank::process.world_size]


def experiment_images(experiment: Experiment, split: str) -> Tensor:
    """The experiment's images of ``split`` ("train" or "held_out"), (N, C, H, W) in [-1, 1]."""
    return load_images(experiment.data, split, "gan", root=data_root(experiment),
                       resolution=experiment.resolution or None).images


def data_root(experiment: Experiment) -> str | None:
    # "~/data" reaches us unexpanded when the shell leaves a tilde inside --set data_root=~/data
    return os.path.expanduser(experiment.data_root) if experiment.data_root else None


def build_networks(experiment: Experiment, image_shape) -> tuple[nn.Module, DCGANDiscriminator | None]:
    """G_θ and D_φ for images of ``image_shape`` (C, H, W), seeded with the experiment's seed;
    D_φ is None for a maximum-likelihood run, which has no discriminator. An α-GAN's are those
    of ``build_alpha_gan_networks`` (its encoder and code discriminator come from there too)."""
    channels, size, _ = image_shape
    if experiment.objective == "alpha_gan":
        networks = build_alpha_gan_networks(experiment, image_shape)
        return networks.generator, networks.discriminator
    if experiment.generator == "realnvp":
        generator = RealNVPImage(channels, size, experiment.flow_scales, experiment.width,
                                 seed=experiment.seed)
        if generator.noise_dim != experiment.noise_dim:
            raise ValueError(f"a realnvp on {channels}×{size}×{size} images has noise_dim "
                             f"{generator.noise_dim}, got noise_dim={experiment.noise_dim}; set "
                             f"noise_dim={generator.noise_dim}.")
    else:
        generator = DCGANGenerator(experiment.noise_dim, channels, size, experiment.width,
                                   seed=experiment.seed)
    if experiment.objective == "mle":
        return generator, None
    discriminator = DCGANDiscriminator(channels, size, experiment.width, experiment.disc_norm,
                                       seed=experiment.seed + 1)
    return generator, discriminator


def build_alpha_gan_networks(experiment: Experiment, image_shape) -> HybridNetworks:
    """α-GAN's G_θ, E_η, D_φ and C_ω for images of ``image_shape`` (C, H, W): lesson 07's
    ``build_image_networks`` (G and D are dcgan_* runs' nets for the same seed), with D_φ
    normalised as ``disc_norm`` says and C_ω of ``code_width`` units."""
    channels, size, _ = image_shape
    networks = build_image_networks(ALPHA_GAN, channels, size, experiment.noise_dim, experiment.width,
                                    experiment.code_width, seed=experiment.seed)
    if experiment.disc_norm != "batch":  # build_image_networks's D has batch norm; the same seed
        networks.discriminator = DCGANDiscriminator(channels, size, experiment.width, experiment.disc_norm,
                                                    seed=experiment.seed + 1)
    return networks


def adam(network: nn.Module, lr: float, experiment: Experiment) -> torch.optim.Adam:
    return torch.optim.Adam(network.parameters(), lr=lr, betas=(experiment.beta1, experiment.beta2))


def build_penalty(experiment: Experiment, process: Process):
    if experiment.penalty == "none":
        return None
    return PENALTY_CLASSES[experiment.penalty](weight=experiment.penalty_weight,
                                              seed=experiment.seed + PENALTY_STREAM + process.rank)


def uses_bfloat16(experiment: Experiment, process: Process) -> bool:
    # bfloat16 autocast on a CPU is slower than float32 on most processors
    return experiment.precision == "bfloat16" and process.device.type == "cuda"


class BFloat16Forward(nn.Module):
    """``network``'s forward pass under ``torch.autocast(bfloat16)`` on CUDA, its output in float32.

    Autocast runs the convolutions in bfloat16 and keeps reductions such as batch norm in
    float32; the output is cast back, so losses and penalties are computed in float32. Only the
    forward pass is wrapped: autograd runs each backward op in its forward op's precision, as
    PyTorch's automatic mixed precision guide advises (bfloat16 needs no loss scaling).
    """

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, inputs: Tensor) -> Tensor:
        with torch.autocast("cuda", dtype=torch.bfloat16):
            return self.network(inputs).float()


def for_training(network: nn.Module, experiment: Experiment, process: Process,
                 differentiated_twice: bool = False) -> nn.Module:
    """``network`` as ``train`` calls it: compiled, under bfloat16 autocast, in DDP, as asked.

    The weights stay ``network``'s own (compiling in place keeps its state_dict's names), so
    checkpoints and samples use ``network`` itself. torch.compile cannot differentiate twice,
    so a discriminator under a gradient penalty (``differentiated_twice``) is not compiled.
    """
    if experiment.compile and not differentiated_twice:
        network.compile()
    if uses_bfloat16(experiment, process):
        network = BFloat16Forward(network)
    if process.world_size > 1:
        device_ids = [process.device.index] if process.device.type == "cuda" else None
        network = DistributedDataParallel(network, device_ids=device_ids)
    return network


@torch.no_grad()
def generate(generator: nn.Module, noise: Tensor) -> Tensor:
    """G_θ(z) with batch norm in eval mode: its running statistics, so a sample depends on its
    own noise only, and drawing samples leaves the state that training continues from."""
    was_training = generator.training
    generator.eval()
    try:
        return generator(noise).float()
    finally:
        generator.train(was_training)


# --------------------------------------------------------------------------- the run


@dataclass(eq=False)
class Run:
    """Everything ``train`` needs for one image run, and where the run writes."""

    experiment: Experiment
    folder: RunFolder
    process: Process
    generator: nn.Module               # the networks themselves: checkpoints save their weights
    discriminator: DCGANDiscriminator | None           # None when trained by maximum likelihood
    gen_optimizer: torch.optim.Optimizer
    disc_optimizer: torch.optim.Optimizer | None
    penalty: object
    batches: ImageBatches
    ema: AveragedModel | None
    image_shape: tuple
    dequantisation_rng: torch.Generator | None = None  # the noise of a maximum-likelihood run
    encoder: nn.Module | None = None                   # α-GAN's E_η and C_ω, with their optimisers
    code_discriminator: nn.Module | None = None
    enc_optimizer: torch.optim.Optimizer | None = None
    code_optimizer: torch.optim.Optimizer | None = None
    start_step: int = 0
    last_checkpoint_step: int | None = None
    elapsed_before: float = 0.0        # seconds that earlier sessions took to train to start_step
    trained_generator: nn.Module = field(init=False)   # what train calls (see for_training)
    trained_discriminator: nn.Module | None = field(init=False)
    trained_networks: HybridNetworks | None = field(init=False, default=None)  # what train_hybrid calls
    sample_noise: Tensor = field(init=False)

    def __post_init__(self):
        rng = torch.Generator().manual_seed(self.experiment.seed + SAMPLE_STREAM)
        self.sample_noise = torch.randn(GRID_SAMPLES, self.experiment.noise_dim, generator=rng)

    @property
    def alpha_gan_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """{network name: optimiser}, as ``alpha_gan_step`` takes them."""
        return {"generator": self.gen_optimizer, "encoder": self.enc_optimizer,
                "discriminator": self.disc_optimizer, "code_discriminator": self.code_optimizer}

    @property
    def sampler(self) -> nn.Module:
        """The generator that samples: the EMA of G_θ when the run keeps one."""
        return self.generator if self.ema is None else self.ema.module

    def save_samples(self, step: int) -> None:
        if self.process.is_main:
            noise = self.sample_noise.to(self.process.device)
            save_image_grid(generate(self.sampler, noise), self.folder.sample_grid(step))

    def save_checkpoint(self, step: int, elapsed_s: float) -> None:
        """Write the checkpoint of ``step``, reached after ``elapsed_s`` seconds of training
        (every process takes part: each sends its streams)."""
        streams = gather(random_streams(self), self.process)
        if self.process.is_main:
            save_checkpoint(self.folder.checkpoint, self.checkpoint_state(step, elapsed_s, streams))
        self.last_checkpoint_step = step

    def checkpoint_state(self, step: int, elapsed_s: float, streams: list[dict]) -> dict:
        state = {"step": step, "elapsed_s": elapsed_s, "experiment": self.experiment.settings,
                 "image_shape": list(self.image_shape),
                 "generator": self.generator.state_dict(),
                 "gen_optimizer": self.gen_optimizer.state_dict(),
                 "random_streams": streams}
        if self.discriminator is not None:
            state["discriminator"] = self.discriminator.state_dict()
            state["disc_optimizer"] = self.disc_optimizer.state_dict()
        if self.encoder is not None:
            state["encoder"] = self.encoder.state_dict()
            state["enc_optimizer"] = self.enc_optimizer.state_dict()
            state["code_discriminator"] = self.code_discriminator.state_dict()
            state["code_optimizer"] = self.code_optimizer.state_dict()
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        return state


def random_streams(run: Run) -> dict:
    """This process's random state: its batches' rng, the images left in the current epoch (in
    their shuffled order), and its penalty's rng or its dequantisation noise's rng."""
    batches = run.batches.state_dict()
    streams = {"batches_rng": batches["rng"], "epoch_left": batches["epoch_left"]}
    if run.penalty is not None:
        streams["penalty_rng"] = run.penalty.rng.get_state()
    if run.dequantisation_rng is not None:
        streams["dequantisation_rng"] = run.dequantisation_rng.get_state()
    return streams


def restore_random_streams(run: Run, streams: dict) -> None:
    run.batches.load_state_dict({"rng": streams["batches_rng"], "epoch_left": streams["epoch_left"]})
    if run.penalty is not None:
        run.penalty.rng.set_state(streams["penalty_rng"])
    if run.dequantisation_rng is not None:
        run.dequantisation_rng.set_state(streams["dequantisation_rng"])


def gather(streams: dict, process: Process) -> list[dict]:
    """Every process's streams, in the order of their ranks."""
    if process.world_size == 1:
        return [streams]
    gathered = [None] * process.world_size
    dist.all_gather_object(gathered, streams)
    return gathered


CHANGEABLE_ON_RESUME = ("steps", "log_every", "sample_every", "checkpoint_every", "data_root")
"""The settings a resumed run may change: how long it trains (more steps extend a finished run),
how often it writes, and where its data lives. Every other setting changes the arithmetic that
the checkpoint continues, so changing it makes a new run."""


def check_folder(folder: RunFolder, experiment: Experiment, resume: bool) -> None:
    """Refuse a folder that cannot be made, to overwrite a run, and to resume one with other
    settings than it started with (but for ``CHANGEABLE_ON_RESUME``)."""
    if folder.root.exists() and not folder.root.is_dir():
        raise FileExistsError(f"--out {folder.root} is a file, not a folder; give the path of a folder.")
    nearest = folder.root
    while not nearest.exists():  # the folder that would hold the new ones
        nearest = nearest.parent
    if not nearest.is_dir() or not os.access(nearest, os.W_OK | os.X_OK):
        raise ValueError(f"cannot make the run's folder {folder.root}: {nearest} is not a folder "
                         "you can write in; give another --out.")
    if not folder.config.is_file():
        return
    if not resume:
        raise FileExistsError(f"{folder.root} already holds a run; add --resume to continue it, "
                              "or give another --out.")
    started = load_started_experiment(folder.config)
    changed = [f"{key}={value!r}" for key, value in started.settings.items()
               if getattr(experiment, key) != value and key not in CHANGEABLE_ON_RESUME]
    if changed:
        *others, last = CHANGEABLE_ON_RESUME
        raise ValueError(f"{folder.root} was started with {', '.join(changed)}; resume it with the "
                         f"settings it started with (only {', '.join(others)} and {last} may change), "
                         "or give another --out for the new ones.")


def restore(run: Run, checkpoint: dict) -> None:
    streams = checkpoint["random_streams"]
    if len(streams) != run.process.world_size:
        how = ("without torchrun" if len(streams) == 1
               else f"with torchrun --nproc_per_node={len(streams)}")
        raise ValueError(f"{run.folder.root} was trained by {len(streams)} process(es); resume it "
                         f"{how}, so that each process gets its random streams back.")
    run.generator.load_state_dict(checkpoint["generator"])
    run.gen_optimizer.load_state_dict(checkpoint["gen_optimizer"])
    if run.discriminator is not None:
        run.discriminator.load_state_dict(checkpoint["discriminator"])
        run.disc_optimizer.load_state_dict(checkpoint["disc_optimizer"])
    if run.encoder is not None:
        run.encoder.load_state_dict(checkpoint["encoder"])
        run.enc_optimizer.load_state_dict(checkpoint["enc_optimizer"])
        run.code_discriminator.load_state_dict(checkpoint["code_discriminator"])
        run.code_optimizer.load_state_dict(checkpoint["code_optimizer"])
    if run.ema is not None:
        run.ema.load_state_dict(checkpoint["ema"])
    restore_random_streams(run, streams[run.process.rank])
    run.start_step = run.last_checkpoint_step = checkpoint["step"]
    run.elapsed_before = checkpoint.get("elapsed_s", 0.0)  # absent from checkpoints of older versions


def prepare_run(experiment: Experiment, out, resume: bool = False, process: Process | None = None,
                images: Tensor | None = None) -> Run:
    """The run of ``experiment`` into the folder ``out``, ready for ``train_run``.

    resume: continue from the folder's checkpoint (from the start if it has none yet).
    process: this process (default: alone on the best device).
    images: this process's training images, (N, C, H, W) in [-1, 1] (default: the experiment's
        data set, this process's share); benchmarks pass their own.
    """
    process = process or Process(default_device())
    folder = RunFolder(out)
    check_folder(folder, experiment, resume)
    if experiment.objective == "mle" and process.world_size > 1:
        raise ValueError("objective 'mle' trains in one process (DDP synchronises a network's forward "
                         "pass, and maximum likelihood trains the flow's encode); run it without torchrun.")
    if experiment.objective == "alpha_gan" and process.world_size > 1:
        raise ValueError("objective 'alpha_gan' trains in one process (each of its four updates "
                         "differentiates through networks it does not update, which DDP's gradient "
                         "averaging does not follow); run it without torchrun.")
    images = training_images(experiment, process) if images is None else images
    if experiment.batch_size % process.world_size:
        raise ValueError(f"batch_size={experiment.batch_size} does not split evenly over "
                         f"{process.world_size} processes; use a multiple of {process.world_size}.")
    if experiment.objective == "alpha_gan":
        hybrid = build_alpha_gan_networks(experiment, tuple(images.shape[1:]))
        generator, discriminator = hybrid.generator, hybrid.discriminator
        encoder, code_discriminator = hybrid.encoder, hybrid.code_discriminator
    else:
        generator, discriminator = build_networks(experiment, tuple(images.shape[1:]))
        encoder = code_discriminator = None
    for network in (generator, discriminator, encoder, code_discriminator):
        if network is None:
            continue
        network.to(process.device)
        if experiment.channels_last:
            network.to(memory_format=torch.channels_last)
    if experiment.generator == "realnvp":
        # the same start for both objectives (a flow trained as a generator never encodes data)
        generator.initialise(images[:FLOW_INITIALISATION_IMAGES].to(process.device))
    # use_buffers: batch norm's running statistics are averaged along with the weights
    ema = (AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(experiment.ema_decay),
                         use_buffers=True) if experiment.ema_decay else None)
    by_likelihood = experiment.objective == "mle"
    run = Run(experiment, folder, process, generator, discriminator,
              adam(generator, experiment.lr_gen, experiment),
              None if by_likelihood else adam(discriminator, experiment.lr_disc, experiment),
              None if by_likelihood else build_penalty(experiment, process),
              ImageBatches(images, experiment.batch_size // process.world_size, experiment.noise_dim,
                           seed=experiment.seed + process.rank, device=process.device),
              ema, tuple(images.shape[1:]))
    if by_likelihood:
        run.dequantisation_rng = torch.Generator().manual_seed(experiment.seed + DEQUANTISATION_STREAM)
    if encoder is not None:  # the auto-encoder learns at G's rate, the code discriminator at D's
        run.encoder, run.code_discriminator = encoder, code_discriminator
        run.enc_optimizer = adam(encoder, experiment.lr_gen, experiment)
        run.code_optimizer = adam(code_discriminator, experiment.lr_disc, experiment)
    if resume and folder.checkpoint.is_file():
        restore(run, load_checkpoint(folder.checkpoint))
    if run.start_step > experiment.steps:
        raise ValueError(f"{folder.root} has trained {run.start_step} steps already, more than "
                         f"steps={experiment.steps}; resume it with steps of at least {run.start_step}.")
    if by_likelihood:  # flow_step trains the flow itself (see Experiment.compile)
        run.trained_generator, run.trained_discriminator = generator, None
    elif encoder is not None:
        run.trained_networks = HybridNetworks(*(for_training(network, experiment, process) for network in
                                                (generator, encoder, discriminator, code_discriminator)))
        run.trained_generator, run.trained_discriminator = (run.trained_networks.generator,
                                                            run.trained_networks.discriminator)
    else:
        run.trained_generator = for_training(generator, experiment, process)
        run.trained_discriminator = for_training(discriminator, experiment, process,
                                                 differentiated_twice=run.penalty is not None)
    if process.is_main:
        write_text(folder.config, experiment_toml(
            experiment, f"gan-course experiment {experiment.name}, as trained into {folder.root}.\n"
                        f"Train it again: gan-course train {folder.config} --out NEW_DIR"))
    return run


# --------------------------------------------------------------------------- training


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the message says at which step and what to do."""


def images_per_step(experiment: Experiment) -> int:
    """Real images a step uses, over all processes: the discriminator's n_disc batches, or the
    one batch of a maximum-likelihood or α-GAN step (all four α-GAN updates see the same batch)."""
    return experiment.batch_size * (experiment.n_disc if experiment.objective == "gan" else 1)


def loss_columns(experiment: Experiment) -> tuple[str, ...]:
    """The numbers metrics.csv and summary.json give for each logged step."""
    columns = {"gan": METRICS_COLUMNS, "mle": MLE_METRICS_COLUMNS, "alpha_gan": ALPHA_GAN_METRICS_COLUMNS}
    return columns[experiment.objective][1:-3]


class RunRecorder:
    """``train``'s hook for an image run, called as recorder(step, disc_loss, gen_loss); a
    maximum-likelihood run calls ``recorder.record(step, {"nll": nll})``, an α-GAN run
    ``recorder.record(step, {"disc_loss": ..., "code_disc_loss": ..., ...})``.

    After every step it updates the EMA of G_θ; every log_every steps it writes a row of
    metrics.csv, every sample_every steps a sample grid, every checkpoint_every steps a
    checkpoint, and at the last step all three.
    """

    def __init__(self, run: Run):
        self.run = run
        self.step = run.start_step
        columns = ("step", *loss_columns(run.experiment)) + METRICS_COLUMNS[3:]
        self.metrics = (MetricsFile(run.folder.metrics, run.start_step, columns) if run.process.is_main
                        else None)
        self.started = self.logged_time = time.perf_counter()
        self.logged_step = run.start_step
        self.last_row: dict = {}

    def __call__(self, step: int, disc_loss: Tensor, gen_loss: Tensor) -> None:
        self.record(step, {"disc_loss": disc_loss, "gen_loss": gen_loss})

    def record(self, step: int, losses: dict[str, Tensor]) -> None:
        run, experiment = self.run, self.run.experiment
        step += run.start_step  # train counts from 1 at every call; a resumed run goes on
        self.step = step
        if run.ema is not None:
            run.ema.update_parameters(run.generator)
        last = step == experiment.steps
        if step % experiment.log_every == 0 or last:
            self.log(step, losses)
        if step % experiment.sample_every == 0 or last:
            run.save_samples(step)
        if step % experiment.checkpoint_every == 0 or last:
            run.save_checkpoint(step, self.elapsed_s())

    def elapsed_s(self, now: float | None = None) -> float:
        """Seconds of training from step 0 to ``now`` (a perf_counter reading; default: now), over
        every session of a resumed run (the steps a killed session trained after its last
        checkpoint are not counted: they are trained again)."""
        return self.run.elapsed_before + (time.perf_counter() if now is None else now) - self.started

    def log(self, step: int, losses: dict[str, Tensor]) -> None:
        experiment = self.run.experiment
        # float() waits for the GPU to finish the step, so the clock is read after it
        values = {name: float(value) for name, value in losses.items()}
        if "nll" in values:  # −log q_θ(x) in nats per image, and in bits/dim as flow papers report it
            dims = math.prod(self.run.image_shape)
            values["bits_per_dim"] = bits_per_dim(-values["nll"], dims, BIN_WIDTH)
        row = {"step": step, **{name: f"{value:.6g}" for name, value in values.items()}}
        now = time.perf_counter()
        steps_per_s = (step - self.logged_step) / max(now - self.logged_time, 1e-9)
        images_per_s = steps_per_s * images_per_step(experiment)
        row.update(steps_per_s=f"{steps_per_s:.4g}", images_per_s=f"{images_per_s:.4g}",
                   elapsed_s=f"{self.elapsed_s(now):.1f}")
        if self.metrics is not None:
            self.metrics.append(row)
        self.last_row, self.logged_step, self.logged_time = row, step, now


def train_by_likelihood(run: Run, recorder: RunRecorder, progress: bool = True) -> None:
    """Train the run's flow by maximum likelihood to its last step, one ``flow_step`` per step:

        θ ← θ − η · Adam(∇_θ [−(1/B) Σ_b log q_θ(x_b)]),   x = dequantise(a batch of images)

    (``gan_course.flow_training``). Each batch is dequantised afresh, x = bytes + uniform noise
    rescaled to [−1, 1), with noise from the run's own stream, which checkpoints keep, so a
    resumed run draws what the killed one would have (``train_flow`` is the same loop for a
    notebook, with a stream that starts afresh at every call).
    """
    steps = range(1, run.experiment.steps - run.start_step + 1)
    for step in progress_bar(steps, desc="maximum likelihood", disable=not progress):
        x = dequantise(run.batches.real(), run.dequantisation_rng)
        nll = flow_step(run.generator, run.gen_optimizer, x, FLOW_MAX_GRAD_NORM)
        raise_if_not_finite(run.start_step + step, nll)
        recorder.record(step, {"nll": nll})


def alpha_gan_row(losses: dict[str, Tensor], lambda_rec: float, image_shape) -> dict[str, Tensor]:
    """metrics.csv's numbers from ``alpha_gan_step``'s losses: each network's loss, and the
    reconstruction error per pixel value, (1/(C·H·W)) ‖x − G(E(x))‖₁ = reconstruction / (λ C·H·W),
    which does not depend on λ (evaluate reports the same number for held-out images)."""
    row = {column: losses[name] for name, column in ALPHA_GAN_LOSSES.items()}
    row["reconstruction_l1"] = losses["reconstruction"] / (lambda_rec * math.prod(image_shape))
    return row


def train_alpha_gan(run: Run, recorder: RunRecorder, progress: bool = True) -> None:
    """Train the run's α-GAN to its last step with lesson 07's loop, ``train_hybrid``: per step
    one batch x ~ p* and one z ~ N(0, I) from the run's batches, and one ``alpha_gan_step``,

        D_φ: E[−log D(x)] + E[−log(1 − D(G(E(x))))] + E[−log(1 − D(G(z)))]
        C_ω: E[−log C(z)] + E[−log(1 − C(E(x)))]
        E_η: λ‖x − G(E(x))‖₁ − log C(E(x))
        G_θ: λ‖x − G(E(x))‖₁ − log D(G(E(x))) − log D(G(z))

    each minimised by its own Adam with the other networks fixed (Rosca et al. 2017, Algorithm 1).
    The encoder is deterministic, so the batches' stream is the run's only randomness.
    """
    experiment = run.experiment

    def record(step: int, losses: dict[str, Tensor]) -> None:
        recorder.record(step, alpha_gan_row(losses, experiment.lambda_rec, run.image_shape))

    train_hybrid(run.trained_networks, ALPHA_GAN, run.batches, experiment.steps - run.start_step,
                 optimizers=run.alpha_gan_optimizers, lambda_rec=experiment.lambda_rec, hook=record,
                 progress=progress)


def train_run(run: Run, progress: bool = True) -> dict:
    """Train ``run`` to its last step with ``gan_course.train.train`` (objective "gan"),
    ``train_by_likelihood`` (objective "mle") or ``train_alpha_gan`` (objective "alpha_gan");
    return its summary.

    A NaN or infinite loss raises ``TrainingDiverged``, leaving the last good checkpoint.
    """
    experiment = run.experiment
    recorder = RunRecorder(run)
    progress = progress and run.process.is_main
    try:
        with denormals_flushed_to_zero():
            if experiment.objective == "mle":
                train_by_likelihood(run, recorder, progress)
            elif experiment.objective == "alpha_gan":
                train_alpha_gan(run, recorder, progress)
            else:
                train(run.trained_generator, run.trained_discriminator, run.batches,
                      experiment.steps - run.start_step, gen_optimizer=run.gen_optimizer,
                      disc_optimizer=run.disc_optimizer, loss=experiment.loss, n_disc=experiment.n_disc,
                      penalty=run.penalty, hook=recorder, progress=progress)
    except FloatingPointError as error:
        step = recorder.step + 1
        write_summary(run, recorder, f"diverged at step {step}")
        kept = (f"the checkpoint of step {run.last_checkpoint_step} is kept in {run.folder.checkpoint}"
                if run.last_checkpoint_step is not None else "no checkpoint had been written yet")
        lower = (f"the learning rate (e.g. --set lr_gen={experiment.lr_gen / 2:g})"
                 if experiment.objective == "mle" else
                 f"the learning rates (e.g. --set lr_gen={experiment.lr_gen / 2:g} "
                 f"lr_disc={experiment.lr_disc / 2:g})")
        raise TrainingDiverged(
            f"a loss became NaN or infinite at step {step}, so training stopped and {kept}; lower "
            f"{lower} and train into a new --out.") from error
    return write_summary(run, recorder, "finished")


def write_summary(run: Run, recorder: RunRecorder, status: str) -> dict:
    """summary.json: how this session ended, its seconds and images/s, and elapsed_s, the seconds
    of training since step 0 over every session (as in metrics.csv)."""
    experiment, folder = run.experiment, run.folder
    seconds = time.perf_counter() - recorder.started
    steps_done = recorder.step - run.start_step
    images = steps_done * images_per_step(experiment)
    summary = {
        "experiment": experiment.name, "status": status, "step": recorder.step,
        "steps": experiment.steps, "resumed_from_step": run.start_step,
        "seconds": round(seconds, 2), "images_per_s": round(images / max(seconds, 1e-9), 1),
        "elapsed_s": round(recorder.elapsed_s(), 2),
        **{column: recorder.last_row.get(column) for column in loss_columns(experiment)},
        "device": str(run.process.device), "processes": run.process.world_size,
        "precision": "bfloat16" if uses_bfloat16(experiment, run.process) else "float32",
        "checkpoint_step": run.last_checkpoint_step,
        "files": {"config": str(folder.config), "metrics": str(folder.metrics),
                  "samples": str(folder.samples), "checkpoint": str(folder.checkpoint),
                  "summary": str(folder.summary)},
    }
    if run.process.is_main:
        write_json(folder.summary, summary)
    return summary


__all__ = ["Run", "Process", "prepare_run", "train_run", "RunRecorder", "TrainingDiverged",
           "start_process", "stop_process", "build_networks", "training_images", "experiment_images",
           "generate", "BFloat16Forward", "for_training", "train_by_likelihood", "train_alpha_gan",
           "build_alpha_gan_networks", "ALPHA_GAN"]
