"""Gradient penalties in the batched engine: K runs' penalties in one pass against run by run.

    .venv/bin/python benchmarks/batched_penalties.py [--steps 100] [--repeats 3] [--threads 1 2]

``gan_course.batched.penalty_terms`` stacks the K runs' penalty points, takes every
∇ₓD_φk in one forward and one backward pass through the stacked critics, and turns the
gradients of all the runs whose penalties share ``unweighted`` into their terms in one vmap
call, each times its own λ. Before it, the engine called each
run's penalty on its own critic, K forward and K double-backward passes
(``run_by_run`` below is that code). Both are timed inside whole ``train_batch`` runs
of K = 16 GAN-GP configurations (non-saturating loss, WGAN-GP penalty λ = 10, one
critic step per step) and K = 16 WGAN-GP ones (five critic steps, Adam (0.5, 0.9)),
default networks (64×2), batch 256, recorded at the first and last step. The two
versions alternate; medians are reported. Writes the section below of RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import torch
from machine import load_average, measured_on, write_results_section

from gan_course import batched
from gan_course.config import keep_freed_memory
from gan_course.data import toy
from gan_course.penalties import WGANGradientPenalty
from gan_course.toy_training import GANConfig

SECTION = "## Gradient penalties in the batched engine"
DATA = toy.ring_of_gaussians()
K = 16
BATCHED = batched.penalty_terms


def run_by_run(discriminator, penalties, real, fake):
    """The engine's penalties before: each run's penalty on its own critic, one at a time."""
    return torch.stack([
        penalty(partial(discriminator.run, k), real[k], fake[k]) if penalty is not None
        else real.new_zeros(()) for k, penalty in enumerate(penalties)])


SETTINGS = {
    "GAN-GP (n_disc = 1)": dict(loss="non_saturating"),
    "WGAN-GP (n_disc = 5, Adam (0.5, 0.9))": dict(loss="wasserstein", n_disc=5, betas=(0.5, 0.9)),
}


def seconds(setting: dict, steps: int, penalty_terms) -> float:
    configs = [GANConfig(seed=s, batch_size=256, penalty=WGANGradientPenalty(10.0, seed=s),
                         **setting) for s in range(K)]
    batched.penalty_terms = penalty_terms
    try:
        start = time.perf_counter()
        batched.train_batch(DATA, configs, steps, record_every=steps, progress=False)
        return time.perf_counter() - start
    finally:
        batched.penalty_terms = BATCHED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    keep_freed_memory()
    load_before = load_average()
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for label, setting in SETTINGS.items():
            seconds(setting, 5, BATCHED)  # warm up
            before, after = [], []
            for _ in range(args.repeats):
                before.append(seconds(setting, args.steps, run_by_run))
                after.append(seconds(setting, args.steps, BATCHED))
            row = dict(threads=threads, label=label, before=statistics.median(before),
                       after=statistics.median(after))
            rows.append(row)
            print(f"{threads} thread(s), {label}: run by run {row['before']:.2f} s, "
                  f"one pass {row['after']:.2f} s ({row['before'] / row['after']:.2f}x)",
                  flush=True)
    write_section(rows, args, load_before)


def write_section(rows, args, load_before: float) -> None:
    lines = [
        SECTION,
        "",
        measured_on("python benchmarks/batched_penalties.py", load_before)
        + f", freed memory kept (`keep_freed_memory`). K = {K} runs with the "
        f"WGAN-GP penalty (λ = 10), 64×2 networks, batch 256, {args.steps} steps, median of "
        f"{args.repeats}. Seconds per whole `train_batch` call (critic and generator steps "
        "included); per step = seconds / steps.",
        "",
        "| torch threads | runs | run by run (s) | one pass (s) | speed-up |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['label']} | {r['before']:.2f} | {r['after']:.2f} | "
                     f"{r['before'] / r['after']:.2f}× |")
    write_results_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
