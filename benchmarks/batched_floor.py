"""Issue 16's batching targets, and where a K = 16 batched step spends its time.

    .venv/bin/python benchmarks/batched_floor.py [--steps 200] [--repeats 3] [--threads 2]

Two targets, at the default 64×2 networks, batch 256, K = 16:

(a) unpenalised: one ``train_batch`` call at least 6× faster than 16 sequential
    ``train_toy`` calls;
(b) penalised (WGAN-GP penalty, λ = 10): one ``train_batch`` call at least 4× faster than
    the engine with the penalties taken run by run (``batched_penalties.run_by_run``).

Both are timed as medians of alternating repeats. Then one batched call of each kind runs
under ``torch.profiler``, which splits its time into the kernels that do the arithmetic
(matrix products, activations and their backward passes) and everything else (the optimiser's
elementwise updates, losses, Python and dispatch). The kernels' time is a floor for an engine
that calls one PyTorch kernel per operation, as ``train_batch`` does: no change of Python code
can make the step faster than its kernels, only fusing them (a compiler) could. So
sequential seconds / kernel seconds bounds the speed-up such an engine can reach on this
machine. Part of the rest cannot shrink either: each run draws its data and noise from its
own seeded stream, as ``train_toy`` does, and those draws are timed alone. Writes the
section of RESULTS.md for this machine's CPU (the others stay).
"""

from __future__ import annotations

import statistics
import time

import torch
from batched_penalties import run_by_run
from machine import cpu_name, measured_on, start_timing, write_results_section
from torch.profiler import ProfilerActivity, profile

from gan_course import batched
from gan_course.data import toy
from gan_course.penalties import WGANGradientPenalty
from gan_course.toy_training import GANConfig, train_toy

# one section per kind of CPU: the speed-ups differ between machines of the same size
SECTION = "## Batching targets and the kernels' floor on {cpu}"
DATA = toy.ring_of_gaussians()
K = 16
# the operators that carry the arithmetic of the stacked MLPs, forward and backward; none
# calls another, so their times (children included: baddbmm copies the bias into its output
# first) add up without counting anything twice
KERNELS = ("aten::bmm", "aten::baddbmm", "aten::addmm", "aten::mm", "aten::threshold_backward",
           "aten::relu", "aten::relu_", "aten::leaky_relu", "aten::leaky_relu_",
           "aten::leaky_relu_backward")


def configs(penalised: bool) -> list[GANConfig]:
    return [GANConfig(seed=s, batch_size=256,
                      penalty=WGANGradientPenalty(10.0, seed=s) if penalised else None)
            for s in range(K)]


def batched_seconds(penalised: bool, steps: int, penalty_terms=batched.penalty_terms) -> float:
    engine_terms = batched.penalty_terms
    batched.penalty_terms = penalty_terms
    try:
        start = time.perf_counter()
        batched.train_batch(DATA, configs(penalised), steps, record_every=steps, progress=False)
        return time.perf_counter() - start
    finally:
        batched.penalty_terms = engine_terms


def sequential_seconds(steps: int) -> float:
    start = time.perf_counter()
    for config in configs(False):
        train_toy(DATA, config, steps, record_every=steps, progress=False)
    return time.perf_counter() - start


def draw_seconds(steps: int) -> float:
    """The K runs' data and noise draws of one batched call alone, in the loop's order (the same
    with a penalty or without). Each run draws from its own seeded stream (the same numbers as
    ``train_toy``), so batching cannot share this work."""
    runs = configs(False)
    start = time.perf_counter()
    batches = batched.StackedBatches(DATA, runs, [torch.Generator().manual_seed(c.seed)
                                                  for c in runs])
    for _ in range(steps):
        batches.real(), batches.noise(), batches.noise()  # D's update, then G's (n_disc = 1)
    return time.perf_counter() - start


def kernel_share(penalised: bool, steps: int) -> tuple[float, float]:
    """(kernel seconds, all seconds) of one batched call, from the profiler's times."""
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        batched_seconds(penalised, steps)
    events = profiler.key_averages()
    total = sum(e.self_cpu_time_total for e in events) / 1e6
    kernels = sum(e.cpu_time_total for e in events if e.key in KERNELS) / 1e6
    return kernels, total


def median_pair(first, second, repeats: int) -> tuple[float, float]:
    """Medians of ``repeats`` alternating calls of two timed functions."""
    a, b = [], []
    for _ in range(repeats):
        a.append(first())
        b.append(second())
    return statistics.median(a), statistics.median(b)


def main() -> None:
    args, load_before = start_timing(__doc__, steps=200, repeats=3, threads=2)
    batched_seconds(True, 5)  # warm up
    steps = args.steps
    rows = []
    draws = statistics.median(draw_seconds(steps) for _ in range(args.repeats))
    sequential, together = median_pair(lambda: sequential_seconds(steps),
                                       lambda: batched_seconds(False, steps), args.repeats)
    kernels, profiled = kernel_share(False, steps)
    rows.append(("(a) unpenalised: 16 sequential `train_toy`", sequential, together, 6.0,
                 kernels, profiled, draws))
    before, together = median_pair(lambda: batched_seconds(True, steps, run_by_run),
                                   lambda: batched_seconds(True, steps), args.repeats)
    kernels, profiled = kernel_share(True, steps)
    rows.append(("(b) WGAN-GP penalty: penalties run by run", before, together, 4.0,
                 kernels, profiled, draws))
    for row in rows:
        print(row, flush=True)
    write_section(rows, args, load_before)


def write_section(rows, args, load_before: float) -> None:
    heading = SECTION.format(cpu=cpu_name())
    lines = [
        heading,
        "",
        measured_on("python benchmarks/batched_floor.py", load_before)
        + f", {args.threads} torch threads, freed memory kept. K = {K}, default "
        f"networks (64×2), batch 256, {args.steps} steps, median of {args.repeats} alternating "
        "repeats; the kernels' share from one further batched call under `torch.profiler`.",
        "",
        "| target | baseline (s) | `train_batch` (s) | speed-up | target | kernels' share of the "
        "batched call | the runs' random draws' share | bound: baseline / kernel seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for label, baseline, together, target, kernels, profiled, draws in rows:
        share = kernels / profiled
        kernel_seconds = together * share  # the profiler slows the call; its share carries over
        bound = baseline / kernel_seconds
        lines.append(f"| {label} | {baseline:.2f} | {together:.2f} | {baseline / together:.2f}× | "
                     f"≥ {target:g}× | {share:.0%} | {draws / together:.0%} | {bound:.1f}× |")
        if baseline / together >= target:
            verdict = "met"
        elif bound >= target:  # the other work would have to shrink to this share of today's call
            allowed = (baseline / target - kernel_seconds) / together
            verdict = (f"missed: reaching it would take cutting the work outside the kernels from "
                       f"{1 - share:.0%} to {allowed:.0%} of today's call, while the runs' own "
                       f"random draws, which batching cannot share, take {draws / together:.0%} "
                       "of it")
        else:
            verdict = "missed, and out of reach for an engine that calls one kernel per operation"
        verdicts.append(f"{label.split(':')[0]} {verdict}")
    lines += [
        "",
        f"Targets: {'; '.join(verdicts)}. The kernels here are the matrix products and the "
        "activations, forward and backward (for the penalty, twice: its gradient's own "
        "backward pass). Everything else in the batched call is the optimisers' elementwise "
        "updates, the losses, the data and noise draws, Python and dispatch. Writing the ReLU "
        "into its own input (`BatchedMLP` does) saves one stacked activation (16 × 512 × 64 "
        "floats, 2 MiB) per layer. Two ways to make the kernels themselves cheaper, chunks of "
        "runs whose activations fit in a core's L2 cache and `torch.compile`, are measured in "
        "the section \"Lowering the kernels' floor\" (`batched_step_variants.py`); "
        "`torch.compile` does not support the double backward that a gradient penalty needs.",
    ]
    write_results_section(heading, "\n".join(lines))


if __name__ == "__main__":
    main()
