"""Speed of `gan-course train dcgan_mnist` against a hand-written DCGAN loop, on this machine.

    .venv/bin/python benchmarks/dcgan_speed.py [--steps 40] [--repeats 5] [--width 64] [--batch 64]

(a) The command line, in this process and on its own code path: ``gan_course.experiments.cli.main``
    with ``train dcgan_mnist --set data=mnist5k steps=...`` (MNIST's shapes, 1×28×28, from the
    offline digits; the experiment's nets, batch 64, Adam 2e-4 with β = (0.5, 0.999)). Its
    images/s is the summary's: from the first step to the last, with the hook, the metrics row,
    the final sample grid and checkpoint. The whole command's time (loading the data, building
    the nets) is shown beside it.
(b) A hand-written loop in the style of pytorch/examples/dcgan: the same nets, channels_last
    as the experiment stores them, the same optimisers and the same batches (``ImageBatches`` on
    the same images); D's loss as two backward passes (real, then fake), the losses read with
    ``.item()`` at every step; G's update draws fresh noise, as Algorithm 1 of Goodfellow et al.
    (2014) and ``train`` do. (b') is the example's loop as written, where G's update reuses the
    fakes D has just seen: one G forward less per step, a slightly different algorithm.

Target: (a) ≥ 0.95 × (b); (b') is shown for what the different algorithm saves. Repeats
alternate between the contenders and the medians are shown, so that other processes on the
machine slow them alike. Prints a table; the lead records it in benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/dcgan_speed.py --hours [--steps 300]      (meant for a GPU)

(c) Every experiment of `gan-course list` trained for a few steps on the best device, on random
    images of its data set's shape (speed does not depend on the pixels), with its own settings
    and objective (a GAN, a Real NVP by maximum likelihood, an α-GAN's four networks):
    the median steps/s of metrics.csv's rows after the first, and the hours its full run takes at
    that rate, beside the experiment's ``expected_gpu_hours``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import torch
from machine import cpu_name, load_average
from torch import nn

from gan_course.config import denormals_flushed_to_zero, keep_freed_memory
from gan_course.config import device as default_device
from gan_course.data.images import ImageBatches, load_images
from gan_course.experiments.cli import main
from gan_course.experiments.config import experiment_names, load_experiment
from gan_course.experiments.run import build_networks, prepare_run, train_run


def command_line(settings: list[str], folder: Path) -> tuple[float, float]:
    """images/s of the training and seconds of the whole `gan-course train` command."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        status = main(["train", "dcgan_mnist", "--out", str(folder), "--set", *settings])
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"gan-course train failed with status {status}")
    return json.loads((folder / "summary.json").read_text())["images_per_s"], seconds


def hand_written_loop(settings: list[str], images: torch.Tensor, reuse_fakes: bool) -> float:
    """images/s of a loop written as pytorch/examples/dcgan writes it; with ``reuse_fakes``
    G's update reuses the fakes D has just seen, as the example does, else G's update draws
    fresh noise, as Algorithm 1 of Goodfellow et al. (2014) and ``train`` do."""
    experiment = load_experiment("dcgan_mnist", settings)
    net_g, net_d = build_networks(experiment, tuple(images.shape[1:]))
    net_g.to(memory_format=torch.channels_last)
    net_d.to(memory_format=torch.channels_last)
    betas = (experiment.beta1, experiment.beta2)
    optimizer_d = torch.optim.Adam(net_d.parameters(), lr=experiment.lr_disc, betas=betas)
    optimizer_g = torch.optim.Adam(net_g.parameters(), lr=experiment.lr_gen, betas=betas)
    criterion = nn.BCEWithLogitsLoss()  # our D gives logits; the example's D ends in a sigmoid
    batches = ImageBatches(images, experiment.batch_size, experiment.noise_dim, seed=experiment.seed)
    with denormals_flushed_to_zero():  # as gan-course train does
        start = time.perf_counter()
        for _ in range(experiment.steps):
            # (1) update D: maximise log D(x) + log(1 − D(G(z)))
            net_d.zero_grad()
            real = batches.real()
            output = net_d(real)
            error_d_real = criterion(output, torch.ones_like(output))
            error_d_real.backward()
            with torch.set_grad_enabled(reuse_fakes):  # a graph through G only if G's update uses it
                fake = net_g(batches.noise())
            output = net_d(fake.detach())
            error_d_fake = criterion(output, torch.zeros_like(output))
            error_d_fake.backward()
            optimizer_d.step()
            # (2) update G: maximise log D(G(z))
            net_g.zero_grad()
            if not reuse_fakes:
                fake = net_g(batches.noise())
            output = net_d(fake)
            error_g = criterion(output, torch.ones_like(output))
            error_g.backward()
            optimizer_g.step()
            losses = (error_d_real + error_d_fake).item(), error_g.item()  # the example prints them
        seconds = time.perf_counter() - start
    assert all(loss == loss for loss in losses)
    return experiment.steps * experiment.batch_size / seconds


IMAGE_SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32), "stacked_mnist": (3, 28, 28),
                "celeba": (3, 64, 64)}


def stand_in_images(experiment, device) -> torch.Tensor:
    """4,096 random images of the experiment's shape, with byte values (k/127.5 − 1) so that a
    Real NVP trained by maximum likelihood can dequantise them."""
    channels, height, width = IMAGE_SHAPES[experiment.data]
    if experiment.resolution:
        height = width = experiment.resolution
    images = torch.randint(0, 256, (4096, channels, height, width), device=device)
    return images.float() / 127.5 - 1


def experiment_hours(steps: int) -> None:
    """(c): the rate of every experiment on this device, and the hours of its full run."""
    device = default_device()
    print(f"\n{steps} steps of each experiment on {device} ({torch.__version__})\n")
    print("| experiment | steps/s | hours at that rate | expected_gpu_hours |")
    print("|---|---|---|---|")
    for name in experiment_names():
        full = load_experiment(name)
        experiment = load_experiment(name, [f"steps={steps}", f"log_every={max(steps // 10, 1)}",
                                            f"sample_every={steps}", f"checkpoint_every={steps}"])
        images = stand_in_images(experiment, device)
        with tempfile.TemporaryDirectory() as folder:
            train_run(prepare_run(experiment, folder, images=images), progress=False)
            with open(Path(folder) / "metrics.csv", newline="") as file:
                rates = [float(row["steps_per_s"]) for row in csv.DictReader(file)][1:]  # after warm-up
        rate = statistics.median(rates)
        print(f"| {name} | {rate:.1f} | {full.steps / rate / 3600:.2f} | {full.expected_gpu_hours} |",
              flush=True)


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--hours", action="store_true", help="(c): every experiment's rate on this device")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    os.environ.pop("GAN_COURSE_QUICK", None)  # quick mode would swap the experiment's settings
    if args.hours:
        experiment_hours(args.steps)
        return
    keep_freed_memory()  # as gan-course train does
    settings = ["data=mnist5k", f"steps={args.steps}", f"width={args.width}", f"batch_size={args.batch}"]
    images = load_images("mnist5k").images
    rates = {name: [] for name in CONTENDERS}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            images_per_s, seconds = command_line(settings, Path(folder) / f"run{repeat}")
            rates["command"].append(images_per_s)
            rates["whole"].append(args.steps * args.batch / seconds)
            rates["fresh"].append(hand_written_loop(settings, images, reuse_fakes=False))
            rates["reused"].append(hand_written_loop(settings, images, reuse_fakes=True))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(f"\nDCGAN on 1×28×28 images, width {args.width}, batch {args.batch}, {args.steps} steps, "
          f"{args.repeats} alternating repeats, {torch.get_num_threads()} torch thread(s)")
    print(f"machine: {cpu_name()}, load average {load_average():.2f}, torch {torch.__version__}\n")
    print("| contender | images/s (median) | all repeats |")
    print("|---|---|---|")
    for name, title in CONTENDERS.items():
        print(f"| {title} | {medians[name]:.0f} | {', '.join(f'{value:.0f}' for value in rates[name])} |")
    print(f"\ngan-course train / the hand-written loop with fresh noise: "
          f"{medians['command'] / medians['fresh']:.3f} (target ≥ 0.95)")
    print(f"gan-course train / the example's loop as written: {medians['command'] / medians['reused']:.3f} "
          "(it saves one G forward per step by training G on the fakes D has just seen)")


CONTENDERS = {
    "command": "(a) gan-course train dcgan_mnist, training",
    "whole": "(a) gan-course train dcgan_mnist, the whole command",
    "fresh": "(b) hand-written loop, fresh noise for G's update (the same algorithm)",
    "reused": "(b') hand-written loop as pytorch/examples/dcgan writes it (G's update reuses the fakes)",
}


if __name__ == "__main__":
    main_benchmark()
