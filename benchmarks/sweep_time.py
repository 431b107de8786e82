"""Time of lesson 08's full-mode study, measured alone (no notebook, no kernel).

    .venv/bin/python benchmarks/sweep_time.py [--steps 20000] [--workers 2] [--repeats 1]

Trains exactly the runs of notebooks/08_many_paths (``sweeps.MANY_PATHS_STUDY``: 18 runs with
one D update per step and 3 WGAN-GP runs with five, on the ring) with the notebook's recording
(a record every 500 steps, the 60×60 discriminator grid for its player), and writes
benchmarks/sweep_time.md: the wall time of the whole study and of each ``train_batch`` group,
the 1-minute load average before and after (other processes on the machine slow every number
here), and the success-against-budget table, so that a reader can see the timing came from the
lesson's real runs. ``--workers 2`` (the default, as in the notebook) trains the two groups in
two processes at once; ``--workers 1`` one after the other. ``--steps`` shortens every run
(budgets scaled alike) for a quick look; the result file says which length was timed.
A "## Notes" section at the end of the result file (written by hand) is kept.
Target: the whole notebook within 15 minutes on a 2-core CPU.
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
STUDY = sweeps.MANY_PATHS_STUDY
NOTES = "## Notes"  # a section of the result file written by hand, kept when the script reruns


def time_study(steps: int, workers: int) -> tuple[float, list[tuple[str, int, float]], list]:
    """The lesson's study at ``steps`` steps per run: total seconds, (group, runs, seconds) per
    train_batch group, and the recorded runs. With one worker the groups are trained one
    call each, as ``run_recorded_sweep`` groups them, so that each can be timed; with more,
    in one call, as the notebook does (the groups' own times are then not known)."""
    data, points = STUDY.data(), STUDY.points()
    configs = [point.config(sweeps.MANY_PATHS_METHODS, **STUDY.networks) for point in points]
    record_every = STUDY.record_every * steps // STUDY.budgets[-1]
    groups, runs = [], []
    start = time.perf_counter()
    if workers > 1:
        runs = sweeps.run_recorded_sweep(data, sweeps.MANY_PATHS_METHODS, points, steps,
                                         record_every=record_every, n_eval=STUDY.criterion.n_eval,
                                         grid_size=60, progress=False, workers=workers,
                                         **STUDY.networks)
        seconds = time.perf_counter() - start
        return seconds, [(f"{workers} processes at once", len(runs), seconds)], runs
    for group in sweeps.group_for_batches(configs):
        group_points = [points[i] for i in group]
        group_start = time.perf_counter()
        runs += sweeps.run_recorded_sweep(data, sweeps.MANY_PATHS_METHODS, group_points, steps,
                                          record_every=record_every, n_eval=STUDY.criterion.n_eval,
                                          grid_size=60, progress=False, **STUDY.networks)
        n_disc = configs[group[0]].n_disc
        groups.append((f"n_disc = {n_disc}", len(group), time.perf_counter() - group_start))
    return time.perf_counter() - start, groups, runs


def kept_notes() -> str:
    """The hand-written "## Notes" section of the previous result file, kept across runs."""
    if not RESULT.exists():
        return ""
    text = RESULT.read_text()
    start = text.find(NOTES)
    return "" if start < 0 else "\n" + text[start:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STUDY.budgets[-1])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    gan_course.setup(seed=0, verbose=False)  # one torch thread, as in the notebook
    rows = []
    for repeat in range(args.repeats):
        load_before = load_average()
        total, groups, runs = time_study(args.steps, args.workers)
        rows.append((repeat + 1, load_before, load_average(), total, groups))
        print(f"repeat {repeat + 1}: {total:.0f} s (load {load_before:.1f} before)")
    budgets = [budget * args.steps // STUDY.budgets[-1] for budget in STUDY.budgets]
    outcomes = sweeps.outcomes_at_budgets(runs, STUDY.criterion, budgets, window=STUDY.window,
                                          needed=STUDY.needed)
    lines = [
        "# Lesson 08: time of the full-mode study",
        "",
        f"Measured {date.today()} with `python benchmarks/sweep_time.py --steps {args.steps} "
        f"--workers {args.workers}` on "
        f"{platform.system()} {platform.machine()} ({cpu_name()}), {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, torch {torch.__version__}, {torch.get_num_threads()} torch "
        "thread (as `gan_course.setup()` sets).",
        "",
        f"The study of `notebooks/08_many_paths`: {len(runs)} runs of {args.steps:,} steps "
        f"(the lesson's full mode trains {STUDY.budgets[-1]:,}), networks {STUDY.networks}, "
        "recorded as in the notebook, one `train_batch` call per group. The settings:",
        "",
        "```",
        STUDY.describe(),
        "```",
        "",
        "| repeat | load before | load after | whole study (s) | per group: runs, seconds |",
        "|---:|---:|---:|---:|---|",
    ]
    for repeat, before, after, total, groups in rows:
        per_group = "; ".join(f"{name}: {n} runs, {seconds:.0f} s" for name, n, seconds in groups)
        lines.append(f"| {repeat} | {before:.1f} | {after:.1f} | {total:.0f} | {per_group} |")
    lines += [
        "",
        "The machine may be shared with other processes (the 1-minute load average of a 2-core "
        "machine is shown before and after): with a load above 2 every number is slower than on an "
        "idle machine. Success against budget in this run (the notebook's numbers when "
        f"`--steps {STUDY.budgets[-1]}`, since every run is seeded):",
        "",
        "```",
        sweeps.format_budget_table(runs, outcomes, by=("method",)),
        "```",
        "",
    ]
    RESULT.write_text("\n".join(lines) + kept_notes())
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
