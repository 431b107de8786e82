"""What the benchmark scripts say about the machine they ran on."""

from __future__ import annotations

import argparse
import os
import platform
from datetime import date
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo, or what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> float:
    """The 1-minute load average: other processes slow every number measured."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def measured_on(command: str, load_before: float) -> str:
    """The opening of a result: when, with which command, on what machine, under what load."""
    import torch  # here, not at the top: the scripts that do not use torch import this module too

    return (f"Measured {date.today()} with `{command}` on {cpu_name()}, {os.cpu_count()} cores "
            f"(1-minute load {load_before:.1f} before the run), torch {torch.__version__}")


def start_timing(doc: str, steps: int, repeats: int, threads: int) -> tuple[argparse.Namespace, float]:
    """Read --steps, --repeats and --threads (these defaults), keep freed memory and set the torch
    threads as the lessons do; (the arguments, the load average before the run)."""
    import torch

    from gan_course.config import keep_freed_memory

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--threads", type=int, default=threads)
    args = parser.parse_args()
    keep_freed_memory()
    torch.set_num_threads(args.threads)
    return args, load_average()


RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_results_section(heading: str, text: str, results: Path = RESULTS) -> None:
    """Replace the section of ``results`` (RESULTS.md unless told) that starts at ``heading`` (a
    "## " line) and runs to the next "## " heading, or add it at the end; the other sections stay
    as they are."""
    old = results.read_text() if results.exists() else "# Benchmark results\n"
    start = old.find(heading)
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = old.find("\n## ", start + len(heading))
        new = old[:start] + text.rstrip("\n") + "\n" + ("" if end < 0 else old[end:])
    results.write_text(new)
