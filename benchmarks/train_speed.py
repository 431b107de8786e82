"""Speed of the GAN training loop (gan_course.train) and of the batched engine (gan_course.batched).

    .venv/bin/python benchmarks/train_speed.py [--steps 1000] [--batch-steps 200] [--threads 1 2]

(a) Steps per second of ``train(...)`` against a plain hand-written PyTorch loop
    with the same networks (``mlp``), the same data source (a fresh batch of the
    ring and of noise at every update), the same non-saturating loss and
    torch.optim.Adam. Target: ``train`` ≥ 0.95× the hand-written loop. Also shown:
    ``train_toy``, which adds drawing batches 64 steps at a time and recording a
    History at the first and last step.
(b) K = 16 configurations (seeds 0-15) in one ``train_batch`` call against 16
    sequential ``train_toy`` calls.

Both are measured for wide networks (width 128, depth 3), for the default ones
that the lessons and the lab use (width 64, depth 2) and for small ones (width 32,
depth 2), all with batches of 256. Repeats alternate between the contenders and
the median is reported, so that other processes on the machine hit both alike.
Freed memory is kept for reuse (``keep_freed_memory``), as ``gan_course.setup()``
does in every lesson; ``--default-allocator`` measures with glibc's defaults.
Writes the section "2D training loop" of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import torch
from machine import cpu_name, write_results_section
from machine import load_average as machine_load

from gan_course.batched import train_batch
from gan_course.config import keep_freed_memory
from gan_course.data import toy
from gan_course.gan_losses import non_saturating
from gan_course.models.toy import mlp
from gan_course.toy_training import GANConfig, train_toy
from gan_course.train import train

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SECTION = "## 2D training loop"
DATA = toy.ring_of_gaussians()
SIZES = {"wide (width 128, depth 3)": dict(width=128, depth=3),
         "default, as in the lessons and the lab (width 64, depth 2)": dict(width=64, depth=2),
         "small (width 32, depth 2)": dict(width=32, depth=2)}
K = 16


def load_average() -> str:
    # the 1-minute load before measuring: other processes slow every number here
    return "%.1f" % machine_load()


def machine(load_before: str) -> str:
    return (f"{platform.system()} {platform.machine()} ({cpu_name()}), {os.cpu_count()} cores, "
            f"1-minute load average {load_before} before the run, "
            f"Python {platform.python_version()}, torch {torch.__version__}")


class FreshBatches:
    """A fresh batch of the data and of noise at every call: what a tutorial's loop draws."""

    def __init__(self, config: GANConfig):
        self.config, self.rng = config, torch.Generator().manual_seed(config.seed)

    def real(self):
        return DATA.sample(self.config.batch_size, rng=self.rng).float()

    def noise(self):
        return torch.randn(self.config.batch_size, self.config.noise_dim, generator=self.rng)


def networks_and_optimisers(config: GANConfig):
    generator = mlp(config.noise_dim, 2, config.width, config.depth, seed=config.seed)
    discriminator = mlp(2, 1, config.width, config.depth, seed=config.seed + 1)
    return (generator, discriminator,
            torch.optim.Adam(generator.parameters(), lr=config.lr_gen, betas=config.betas),
            torch.optim.Adam(discriminator.parameters(), lr=config.lr_disc, betas=config.betas))


def hand_written_loop(config: GANConfig, steps: int) -> float:
    """The loop a reader would write from a tutorial; returns steps per second."""
    generator, discriminator, gen_optimizer, disc_optimizer = networks_and_optimisers(config)
    batches = FreshBatches(config)
    start = time.perf_counter()
    for _ in range(steps):
        real, fake = batches.real(), generator(batches.noise()).detach()
        disc_loss = non_saturating(discriminator(real), discriminator(fake)).discriminator
        disc_optimizer.zero_grad()
        disc_loss.backward()
        disc_optimizer.step()

        gen_loss = non_saturating(None, discriminator(generator(batches.noise()))).generator
        gen_optimizer.zero_grad()
        gen_loss.backward()
        gen_optimizer.step()
    return steps / (time.perf_counter() - start)


def our_loop(config: GANConfig, steps: int) -> float:
    generator, discriminator, gen_optimizer, disc_optimizer = networks_and_optimisers(config)
    start = time.perf_counter()
    train(generator, discriminator, FreshBatches(config), steps, gen_optimizer=gen_optimizer,
          disc_optimizer=disc_optimizer, loss="non_saturating", progress=False)
    return steps / (time.perf_counter() - start)


def toy_run(config: GANConfig, steps: int) -> float:
    start = time.perf_counter()
    train_toy(DATA, config, steps, record_every=steps, progress=False)
    return steps / (time.perf_counter() - start)


def batched_seconds(configs: list[GANConfig], steps: int) -> float:
    start = time.perf_counter()
    train_batch(DATA, configs, steps, record_every=steps, progress=False)
    return time.perf_counter() - start


def sequential_seconds(configs: list[GANConfig], steps: int) -> float:
    start = time.perf_counter()
    for config in configs:
        train_toy(DATA, config, steps, record_every=steps, progress=False)
    return time.perf_counter() - start


def measure(threads: int, steps: int, batch_steps: int, repeats: int) -> list[dict]:
    torch.set_num_threads(threads)
    rows = []
    for label, sizes in SIZES.items():
        config = GANConfig(loss="non_saturating", batch_size=256, **sizes)
        # warm up: the first torch.optim step imports torch._dynamo (seconds)
        hand_written_loop(config, 5)
        our_loop(config, 5)
        toy_run(config, 5)
        hand, ours, toy_runs = [], [], []
        for _ in range(repeats):
            hand.append(hand_written_loop(config, steps))
            ours.append(our_loop(config, steps))
            toy_runs.append(toy_run(config, steps))
        configs = [GANConfig(loss="non_saturating", batch_size=256, seed=s, **sizes)
                   for s in range(K)]
        batched, sequential = [], []
        for _ in range(repeats):
            batched.append(batched_seconds(configs, batch_steps))
            sequential.append(sequential_seconds(configs, batch_steps))
        row = dict(threads=threads, size=label, hand=statistics.median(hand),
                   ours=statistics.median(ours), toy=statistics.median(toy_runs),
                   batched=statistics.median(batched), sequential=statistics.median(sequential))
        rows.append(row)
        print(f"{threads} thread(s), {label}: hand-written {row['hand']:.0f} steps/s, "
              f"train {row['ours']:.0f} steps/s ({row['ours'] / row['hand']:.2f}x), "
              f"train_toy {row['toy']:.0f} steps/s; K={K}: batched {row['batched']:.2f} s, "
              f"sequential {row['sequential']:.2f} s "
              f"({row['sequential'] / row['batched']:.2f}x)", flush=True)
    return rows


def verdicts(rows: list[dict]) -> str:
    """Which rows meet the target of (a), in words."""
    def listed(keep) -> str:
        chosen = [f"{r['size']} on {r['threads']} thread(s)" for r in rows if keep(r)]
        return "; ".join(chosen) or "none"

    return (f"(a) ≥ 0.95× met for {listed(lambda r: r['ours'] / r['hand'] >= 0.95)}; missed for "
            f"{listed(lambda r: r['ours'] / r['hand'] < 0.95)}.")


def section(rows: list[dict], steps: int, batch_steps: int, repeats: int, load_before: str,
            allocator: str) -> str:
    lines = [
        SECTION,
        "",
        f"Measured {date.today()} with `python benchmarks/train_speed.py` on "
        f"{machine(load_before)}.",
        f"Memory allocator: {allocator}. "
        f"Data: ring of 8 Gaussians; batch 256; non-saturating loss; Adam. Median of {repeats} "
        "alternating repeats.",
        "",
        f"(a) `train` ({steps} steps) against a hand-written loop with the same `mlp` networks, "
        "the same data source (a fresh batch per update) and torch.optim.Adam. Target ≥ 0.95×. "
        "`train_toy` runs the same loop from a `GANConfig`, with batches drawn 64 steps at a "
        "time and a History recorded at the first and last step (setup included).",
        "",
        "| torch threads | networks | hand-written (steps/s) | `train` (steps/s) | ratio | "
        "`train_toy` (steps/s) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['size']} | {r['hand']:.0f} | {r['ours']:.0f} | "
                     f"{r['ours'] / r['hand']:.2f}× | {r['toy']:.0f} |")
    lines += [
        "",
        f"(b) {K} configurations (seeds 0–{K - 1}) for {batch_steps} steps, recorded at the "
        f"first and last step: one `train_batch` call against {K} sequential `train_toy` calls.",
        "",
        "| torch threads | networks | batched (s) | sequential (s) | speed-up |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['size']} | {r['batched']:.2f} | "
                     f"{r['sequential']:.2f} | {r['sequential'] / r['batched']:.2f}× |")
    lines += [
        "",
        "`train` does what the hand-written loop does, plus a finiteness check and a hook "
        "call per step, and minus the discriminator's weight gradients in the generator's "
        "step (`backward(inputs=θ)`). Batching removes the per-step Python, dispatch and "
        f"autograd overhead of {K - 1} runs but not their arithmetic, which stays K times one "
        "run's: the speed-up is large where the overhead dominates (small networks) and small "
        "where the matrix products do (width 128, depth 3).",
        "",
        "Targets: " + verdicts(rows),
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000, help="steps per run in (a)")
    parser.add_argument("--batch-steps", type=int, default=200, help="steps per run in (b)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[torch.get_num_threads()])
    parser.add_argument("--default-allocator", action="store_true",
                        help="leave glibc's malloc thresholds as they are")
    args = parser.parse_args()
    allocator = "glibc's defaults" if args.default_allocator or not keep_freed_memory() \
        else "freed memory kept (keep_freed_memory)"
    load_before = load_average()
    rows = []
    for threads in args.threads:
        rows += measure(threads, args.steps, args.batch_steps, args.repeats)
    write_results_section(SECTION, section(rows, args.steps, args.batch_steps, args.repeats, load_before,
                          allocator))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
