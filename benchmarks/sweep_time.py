"""Time of lesson 08's full-mode hyper-parameter sweep, measured alone (no notebook, no kernel).

    .venv/bin/python benchmarks/sweep_time.py [--repeats 1]

Runs exactly the sweep of notebooks/08_many_paths (``sweeps.MANY_PATHS_SWEEP`` on the
ring, in full mode) and writes benchmarks/sweep_time.md: the wall time of the whole
sweep, of each train_batch group (one per n_disc), the 1-minute load average before
and after (other processes on the machine slow every number here), and the success
table, so that a reader can see the timing came from the lesson's real sweep.
A "## Notes" section at the end of the result file (written by hand) is kept.
Target: at most 10 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import torch
from machine import cpu_name, load_average

import gan_course
from gan_course import sweeps

RESULT = Path(__file__).resolve().parent / "sweep_time.md"
TARGET_SECONDS = 600
NOTES = "## Notes"  # a section of the result file written by hand, kept when the script reruns


def time_sweep() -> tuple[float, list[tuple[int, int, float]], list]:
    """The lesson's full sweep: total seconds, (n_disc, runs, seconds) per group, results."""
    settings = sweeps.MANY_PATHS_SWEEP
    points = sweeps.sweep_grid(list(sweeps.MANY_PATHS_METHODS), settings.lrs, settings.beta1s,
                               settings.n_discs, settings.seeds)
    groups, results = [], []
    start = time.perf_counter()
    for n_disc in settings.n_discs:
        group = [p for p in points if p.n_disc == n_disc]
        group_start = time.perf_counter()
        results += sweeps.run_sweep(settings.data(), sweeps.MANY_PATHS_METHODS, group, settings.steps,
                                    n_eval=settings.criterion.n_eval, progress=False,
                                    **settings.networks)
        groups.append((n_disc, len(group), time.perf_counter() - group_start))
    return time.perf_counter() - start, groups, results


def kept_notes() -> str:
    """The hand-written "## Notes" section of the previous result file, kept across runs."""
    if not RESULT.exists():
        return ""
    text = RESULT.read_text()
    start = text.find(NOTES)
    return "" if start < 0 else "\n" + text[start:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    gan_course.setup(seed=0, verbose=False)  # one torch thread, as in the notebook
    settings = sweeps.MANY_PATHS_SWEEP
    rows = []
    for repeat in range(args.repeats):
        load_before = load_average()
        total, groups, results = time_sweep()
        rows.append((repeat + 1, load_before, load_average(), total, groups))
        print(f"repeat {repeat + 1}: {total:.0f} s (load {load_before:.1f} before)")
    rates = sweeps.success_rates(results, settings.criterion)

    lines = [
        "# Lesson 08: time of the full-mode sweep",
        "",
        f"Measured {date.today()} with `python benchmarks/sweep_time.py` on {platform.system()} "
        f"{platform.machine()} ({cpu_name()}), {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch "
        "thread (as `gan_course.setup()` sets).",
        "",
        f"The sweep of `notebooks/08_many_paths`: {len(results)} runs ({settings.describe()}), "
        f"{settings.steps:,} steps each, networks {settings.networks}, run as one `train_batch` "
        f"call per n_disc. Target: at most {TARGET_SECONDS // 60} minutes.",
        "",
        "| repeat | load before | load after | whole sweep (s) | per group: n_disc, runs, seconds |",
        "|---:|---:|---:|---:|---|",
    ]
    for repeat, before, after, total, groups in rows:
        per_group = "; ".join(f"n_disc={n}: {runs} runs, {seconds:.0f} s" for n, runs, seconds in groups)
        lines.append(f"| {repeat} | {before:.1f} | {after:.1f} | {total:.0f} | {per_group} |")
    lines += [
        "",
        "The machine is shared with other processes (the 1-minute load average of a 2-core machine "
        "is shown before and after): with a load above 2 every number is slower than on an idle "
        "machine. The success table of this run (the same numbers as the notebook's, since every "
        f"run is seeded), success = {settings.criterion}:",
        "",
        "```",
        sweeps.format_success_table(rates),
        "```",
        "",
    ]
    RESULT.write_text("\n".join(lines) + kept_notes())
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
