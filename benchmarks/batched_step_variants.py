"""Two ways that might lower the kernels' floor of batching target (a), measured.

    .venv/bin/python benchmarks/batched_step_variants.py [--steps 200] [--repeats 5] [--threads 2]

``batched_floor.py`` finds that the matrix products and activations of a K = 16 step
(64×2 networks, batch 256) take most of its time, so removing Python and dispatch overhead
alone cannot reach target (a). Two changes could make those kernels themselves cheaper:

- chunks: run the stacked networks 8 runs at a time, so that an activation of
  8 × 512 × 64 floats (1 MiB) fits in a core's L2 cache, where 16 × 512 × 64 (2 MiB) does not;
- a compiler: ``torch.compile`` both stacked networks, which fuses each layer's bias, activation
  and their backward passes into fewer kernels (the batched matrix products stay library calls).

Each contender runs the engine's own ``discriminator_update`` and ``generator_update`` (non-
saturating loss, Adam) on the same draws; only the networks' forward pass differs. Seconds per
step are medians of alternating repeats; the compiler's one-off compile time is reported
apart. Writes the section below of RESULTS.md.
"""

from __future__ import annotations

import statistics
import time

import torch
from machine import measured_on, start_timing, write_results_section

from gan_course import batched
from gan_course.data import toy
from gan_course.gan_losses import get_gan_loss
from gan_course.toy_training import GANConfig, toy_networks

SECTION = "## Lowering the kernels' floor: chunks of runs, a compiler"
DATA = toy.ring_of_gaussians()
K = 16
CHUNK = 8


class ChunkedMLP(batched.BatchedMLP):
    """A BatchedMLP that applies its networks ``CHUNK`` at a time (the same arithmetic)."""

    def forward(self, x):
        last = len(self.weights) - 1
        outputs = []
        for start in range(0, self.k, CHUNK):
            runs = slice(start, start + CHUNK)
            h = x[runs]
            for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
                h = torch.baddbmm(bias[runs], h, weight[runs])
                if i < last:
                    h = self.activation(h)
            outputs.append(h)
        return torch.cat(outputs)


def engine_step(variant: str):
    """One training step of K = 16 runs as ``train_batch`` takes it, networks as ``variant``."""
    configs = [GANConfig(seed=s, batch_size=256) for s in range(K)]
    networks = [toy_networks(c) for c in configs]
    generator = batched.BatchedMLP.from_mlps([g for g, _ in networks])
    discriminator = batched.BatchedMLP.from_mlps([d for _, d in networks])
    gen_optimizer = batched.stacked_optimizer(configs, generator, "gen")
    disc_optimizer = batched.stacked_optimizer(configs, discriminator, "disc")
    if variant == "chunks":
        generator.__class__ = discriminator.__class__ = ChunkedMLP
    if variant == "compiled":
        generator, discriminator = torch.compile(generator), torch.compile(discriminator)
    loss = get_gan_loss("non_saturating")
    disc_losses = batched.PerRunLosses([loss] * K, "discriminator")
    gen_losses = batched.PerRunLosses([loss] * K, "generator")
    rngs = [torch.Generator().manual_seed(c.seed) for c in configs]
    batches = batched.StackedBatches(DATA, configs, rngs)

    def step():
        batched.discriminator_update(generator, discriminator, disc_optimizer, disc_losses,
                                     [None] * K, batches.real(), batches.noise())
        batched.generator_update(generator, discriminator, gen_optimizer, gen_losses,
                                 batches.noise())
    return step


def seconds_per_step(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


VARIANTS = {"engine": "the engine as it is (one stacked pass)",
            "chunks": f"chunks of {CHUNK} runs (activations of 1 MiB)",
            "compiled": "`torch.compile` on both stacked networks"}


def main() -> None:
    args, load_before = start_timing(__doc__, steps=200, repeats=5, threads=2)
    steps, first_call = {}, {}
    for variant in VARIANTS:
        steps[variant] = engine_step(variant)
        start = time.perf_counter()
        steps[variant]()  # the compiler compiles here
        steps[variant]()  # and here again: the generator runs without gradients in D's step
        first_call[variant] = time.perf_counter() - start
    times = {variant: [] for variant in VARIANTS}
    for _ in range(args.repeats):
        for variant, step in steps.items():
            times[variant].append(seconds_per_step(step, args.steps))
    medians = {variant: statistics.median(values) for variant, values in times.items()}
    for variant in VARIANTS:
        print(f"{variant}: {1e3 * medians[variant]:.2f} ms per step "
              f"(first two steps {first_call[variant]:.1f} s)", flush=True)
    write_section(medians, first_call, args, load_before)


def write_section(medians: dict, first_call: dict, args, load_before: float) -> None:
    engine = medians["engine"]
    lines = [
        SECTION,
        "",
        measured_on("python benchmarks/batched_step_variants.py", load_before)
        + f", {args.threads} torch threads, freed memory kept. K = {K} non-saturating GANs, "
        f"default networks (64×2), batch 256, Adam; the engine's own update functions; "
        f"{args.steps} steps per repeat, median of {args.repeats} alternating repeats.",
        "",
        "| networks | ms per step | against the engine | first two steps (s) |",
        "|---|---:|---:|---:|",
    ]
    for variant, label in VARIANTS.items():
        lines.append(f"| {label} | {1e3 * medians[variant]:.2f} | "
                     f"{engine / medians[variant]:.2f}× | {first_call[variant]:.1f} |")
    best = max((v for v in VARIANTS if v != "engine"), key=lambda variant: engine / medians[variant])
    gain = engine / medians[best]
    lines += ["", (f"Neither change makes the step more than 5% faster (best: {VARIANTS[best]}, "
                   f"{gain:.2f}×), so neither moves target (a) within reach."
                   if gain < 1.05 else
                   f"The best change ({VARIANTS[best]}) makes the step {gain:.2f}× faster.")]
    write_results_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
