"""Why gan_course.setup() runs PyTorch on one thread: time a small fit with 1 and 2 threads.

    .venv/bin/python benchmarks/torch_threads.py

Fits lesson 01's ratio classifier (an MLP with 2 hidden layers of 64, batch 256, 300 steps)
with 1 and with 2 torch threads, first on an idle machine, then while another process keeps
one core busy (as a second kernel, a test runner or a browser does). Appends the table to
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import torch

from gan_course.data import toy
from gan_course.ratio import fit_ratio_classifier

RESULTS = Path(__file__).with_name("RESULTS.md")
REPEATS = 3


def time_fit(threads: int, real, fake) -> float:
    torch.set_num_threads(threads)
    started = time.perf_counter()
    fit_ratio_classifier(real, fake, "bernoulli", steps=300)
    return time.perf_counter() - started


def median_times(real, fake) -> dict[int, float]:
    times = {1: [], 2: []}
    for _ in range(REPEATS):  # alternate so that drifts in load hit both settings
        for threads in times:
            times[threads].append(time_fit(threads, real, fake))
    return {threads: statistics.median(values) for threads, values in times.items()}


def main() -> int:
    rng = torch.Generator().manual_seed(0)
    real = toy.Gaussian(1.0, std=1.2).sample(5000, rng)
    fake = toy.Gaussian(0.0, std=0.8).sample(5000, rng)
    time_fit(1, real, fake)  # warm up
    idle = median_times(real, fake)
    busy_loop = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = median_times(real, fake)
    finally:
        busy_loop.kill()
    lines = [
        "",
        "## Torch threads for the toy networks",
        "",
        f"Measured {date.today()} with `python benchmarks/torch_threads.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}: a 300-step fit of lesson 01's ratio "
        f"classifier (MLP 2×64, batch 256), median of {REPEATS}.",
        "",
        "| machine | 1 thread (s) | 2 threads (s) |",
        "|---|---:|---:|",
        f"| idle | {idle[1]:.2f} | {idle[2]:.2f} |",
        f"| one core busy with another process | {loaded[1]:.2f} | {loaded[2]:.2f} |",
        "",
        "Two threads gain little on networks this small, and lose badly as soon as another process",
        "shares the cores, so `gan_course.setup()` sets one thread",
        "(`setup(threads=None)` keeps torch's default).",
    ]
    with RESULTS.open("a") as results:
        results.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
