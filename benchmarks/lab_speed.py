"""The lab's live training against training alone, and the player's frame changes.

    .venv/bin/python benchmarks/lab_speed.py [--steps 2000] [--repeats 3] [--player-only]

(a) ``Lab().train()`` with its default settings (ring of 8, non-saturating loss,
    64×2 networks) and ``--steps`` steps, live redraws included, against
    ``train_toy`` with the same configuration and steps (which records the same
    History but draws nothing). Target: the lab within 1.5× of training alone.
(b) A player frame change: ``Player.set_step`` to a frame not drawn before (render
    and PNG encoding) and to one already drawn (from the player's cache), for one
    run and for three runs side by side. Target: within 150 ms.

Repeats alternate and the median is reported. Both are measured in the kernel,
as the lesson runs them; what the browser adds to show a PNG is not included.
Writes the section "Lab and player" of benchmarks/RESULTS.md; with ``--player-only``,
measures (b) alone and only prints it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from machine import load_average, measured_on, write_results_section

from gan_course.config import keep_freed_memory
from gan_course.data import toy
from gan_course.toy_training import GANConfig, train_toy
from gan_course.widgets import Lab, Player

SECTION = "## Lab and player"


def lab_seconds(steps: int) -> tuple[float, float]:
    lab = Lab()
    lab.controls["steps"].value = steps
    config = GANConfig(**lab.config_settings())
    start = time.perf_counter()
    lab.train()
    lab_time = time.perf_counter() - start
    start = time.perf_counter()
    train_toy(toy.named(lab.controls["dataset"].value), config, steps, progress=False)
    return lab_time, time.perf_counter() - start


def frame_change_ms(runs: int) -> tuple[float, float]:
    histories = [train_toy(toy.named("ring"), GANConfig(seed=seed), 300, progress=False)
                 for seed in range(runs)]
    player = Player(histories)
    fresh, cached = [], []
    for index in range(1, 11):
        start = time.perf_counter()
        player.set_step(index)
        fresh.append(time.perf_counter() - start)
    for index in range(1, 11):
        start = time.perf_counter()
        player.set_step(index)
        cached.append(time.perf_counter() - start)
    return 1000 * statistics.median(fresh), 1000 * statistics.median(cached)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--player-only", action="store_true",
                        help="measure the player's frame changes alone; print, write nothing")
    args = parser.parse_args()
    torch.set_num_threads(1)
    keep_freed_memory()  # as gan_course.setup() does in every lesson
    load_before = load_average()
    train_toy(toy.named("ring"), GANConfig(), 20, progress=False)  # warm up (imports, first steps)
    if args.player_only:
        print(f"1-minute load {load_before:.1f} before the run; a player frame change "
              "(median of 10, ms): not drawn before / drawn before")
        for runs in (1, 3):
            fresh, cached = frame_change_ms(runs)
            print(f"{runs} run(s): {fresh:.0f} / {cached:.1f}  (load now {load_average():.1f})")
        return
    lab, alone = zip(*(lab_seconds(args.steps) for _ in range(args.repeats)))
    lab, alone = statistics.median(lab), statistics.median(alone)
    frames = {runs: frame_change_ms(runs) for runs in (1, 3)}
    lines = [
        SECTION,
        "",
        measured_on("python benchmarks/lab_speed.py", load_before)
        + f", 1 thread, median of {args.repeats}.",
        "",
        f"(a) The lab's default settings, {args.steps:,} steps: `Lab().train()` with its live "
        f"figure {lab:.2f} s, `train_toy` alone {alone:.2f} s: **{lab / alone:.2f}×** "
        "(target ≤ 1.5×). The lab redraws at most every 0.5 s and spends at most a fifth of "
        "its time drawing (`Lab.MAX_DRAWING_SHARE`).",
        "",
        "(b) A player frame change (`Player.set_step`), median of 10 (target ≤ 150 ms):",
        "",
        "| runs side by side | a frame not drawn before (ms) | a frame drawn before (ms) |",
        "|---:|---:|---:|",
    ]
    lines += [f"| {runs} | {fresh:.0f} | {cached:.1f} |" for runs, (fresh, cached) in frames.items()]
    print("\n".join(lines))
    write_results_section(SECTION, "\n".join(lines))


if __name__ == "__main__":
    main()
