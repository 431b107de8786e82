"""The ``gan-course`` command line for full-scale image runs (also ``python -m gan_course``).

    gan-course list
    gan-course train NAME --out DIR [--set key=value ...] [--quick] [--resume]
    gan-course sample DIR [--n 64] [--seed 0]
    gan-course evaluate DIR [--n 1000] [--critic-steps 500]
    torchrun --nproc_per_node=N -m gan_course train NAME --out DIR     (N GPUs, DDP)

Bad input (an unknown experiment or setting, a missing data set, an occupied folder) gets one
sentence and exit status 2; a run whose loss becomes NaN or infinite stops with one sentence
and exit status 1, keeping its last good checkpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

from gan_course.config import is_quick, keep_freed_memory
from gan_course.data.images import TITLES
from gan_course.experiments.config import experiment_names, load_experiment, quick_changes
from gan_course.experiments.evaluation import (
    CRITIC_STEPS,
    EVALUATION_SAMPLES,
    MINIMUM_SAMPLES,
    evaluate_run,
    sample_grid,
)
from gan_course.experiments.run import (
    Run,
    TrainingDiverged,
    prepare_run,
    start_process,
    stop_process,
    train_run,
    uses_bfloat16,
)

USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, ImportError)
BAD_INPUT_STATUS, DIVERGED_STATUS, INTERRUPTED_STATUS = 2, 1, 130


class BadInput(Exception):
    """An error in what the user asked for: printed as one sentence, without a traceback."""


@contextlib.contextmanager
def user_input():
    """Errors raised in this block come from what the user asked for (not from a bug)."""
    try:
        yield
    except USER_ERRORS as error:
        raise BadInput(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gan-course", description="Full-scale image runs of the Understanding GANs course.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("list", help="the experiments, their time on one GPU, what they reproduce")
    train = commands.add_parser("train", help="train an experiment into a folder")
    # optional here only so that `train --set k=v NAME`, where --set takes NAME for a setting,
    # can be read as meant (see settings_before_name)
    train.add_argument("experiment", metavar="NAME", nargs="?",
                       help="an experiment of `gan-course list`, or a TOML file")
    train.add_argument("--out", required=True, metavar="DIR", help="the run's folder")
    train.add_argument("--set", dest="settings", action="extend", nargs="+", default=[],
                       metavar="KEY=VALUE", help="change a setting, e.g. --set lr_gen=1e-4 steps=5000")
    train.add_argument("--quick", action="store_true",
                       help="a CPU smoke run: the experiment's [quick] settings (offline data, few steps)")
    train.add_argument("--resume", action="store_true", help="continue the run in DIR from its checkpoint")
    sample = commands.add_parser("sample", help="a grid of samples from a run's latest checkpoint")
    sample.add_argument("run", metavar="DIR")
    sample.add_argument("--n", type=int, default=64, help="how many samples (default 64)")
    sample.add_argument("--seed", type=int, default=0, help="another seed gives other samples")
    evaluate = commands.add_parser("evaluate", help="classifier score, FID, KID, precision/recall, "
                                   "modes, diversity and nearest-neighbour distances of a run's samples "
                                   "(and an α-GAN's held-out reconstructions)")
    evaluate.add_argument("run", metavar="DIR")
    evaluate.add_argument("--n", type=int, default=EVALUATION_SAMPLES,
                          help=f"how many samples (default {EVALUATION_SAMPLES}; at most the size of "
                               "the data set's held-out split)")
    evaluate.add_argument("--critic-steps", type=int, default=CRITIC_STEPS,
                          help=f"training steps of the independent critic of a Real NVP run (default "
                               f"{CRITIC_STEPS}; more give a tighter estimate)")
    return parser


def settings_before_name(args, parser: argparse.ArgumentParser) -> None:
    """`train --set a=1 NAME`: --set takes every word after it, NAME too; give NAME back."""
    if args.command != "train" or args.experiment is not None:
        return
    if args.settings and "=" not in args.settings[-1]:
        args.experiment = args.settings.pop()
    else:
        parser.error("train needs the experiment's NAME (gan-course list shows them) or a TOML file.")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings_before_name(args, parser)
    commands = {"list": list_command, "train": train_command, "sample": sample_command,
                "evaluate": evaluate_command}
    try:
        return commands[args.command](args)
    except BadInput as error:
        print(f"gan-course: error: {error}", file=sys.stderr)
        return BAD_INPUT_STATUS


# --------------------------------------------------------------------------- list


def gpu_time(hours: float) -> str:
    return f"{hours * 60:.0f} min" if hours < 1 else f"{hours:.1f} h"


def list_command(args) -> int:
    experiments = [load_experiment(name) for name in experiment_names()]
    width = max(len(experiment.name) for experiment in experiments)
    print(f"{'NAME':<{width}}  {'1 GPU':>7}  REPRODUCES")
    for experiment in experiments:
        print(f"{experiment.name:<{width}}  {gpu_time(experiment.expected_gpu_hours):>7}  "
              f"{experiment.reproduces}")
    return 0


# --------------------------------------------------------------------------- train


def train_command(args) -> int:
    args.quick = quick = args.quick or is_quick()  # GAN_COURSE_QUICK=1 too: the resume command says --quick
    keep_freed_memory()  # every step frees and reallocates the same buffers (see its docstring)
    with user_input():
        experiment = load_experiment(args.experiment, args.settings, quick)
    process = start_process()
    try:
        with user_input():
            run = prepare_run(experiment, args.out, args.resume, process)
        if run.start_step >= experiment.steps:
            if process.is_main:
                print(f"{run.folder.root} has finished all {experiment.steps} steps; nothing to train "
                      f"(add --set steps=N, with N above {experiment.steps}, to train it further).")
            return 0
        if process.is_main:
            print(introduction(run, args, quick))
        return train_and_report(run, args)
    finally:
        stop_process(process)


def resume_command(args, processes: int = 1) -> str:
    command = ("gan-course" if processes == 1
               else f"torchrun --nproc_per_node={processes} -m gan_course")
    settings = f" --set {' '.join(args.settings)}" if args.settings else ""
    quick = " --quick" if args.quick else ""
    return f"{command} train {args.experiment} --out {args.out}{settings}{quick} --resume"


def introduction(run: Run, args, quick: bool) -> str:
    experiment, process = run.experiment, run.process
    lines = [f"gan-course: {experiment.name}: {experiment.reproduces}"]
    if quick:
        changed = ", ".join(f"{key}={getattr(experiment, key)}" for key in quick_changes(args.experiment))
        lines.append(f"quick: {changed} (a smoke run of the same code, not the paper's run)")
    if run.start_step:
        lines.append(f"resuming {run.folder.root} from the checkpoint of step {run.start_step}")
    elif args.resume:
        lines.append(f"nothing to resume in {run.folder.root} (no checkpoint yet): starting at step 0")
    precision = "bfloat16" if uses_bfloat16(experiment, process) else "float32"
    processes = "1 process" if process.world_size == 1 else f"{process.world_size} processes"
    lines.append(f"{experiment.steps} steps on {process.device.type} ({processes}, {precision}) into "
                 f"{run.folder.root}; if interrupted, continue with: "
                 f"{resume_command(args, process.world_size)}")
    return "\n".join(lines)


def train_and_report(run: Run, args) -> int:
    try:
        summary = train_run(run)
    except TrainingDiverged as error:
        if run.process.is_main:
            print(f"gan-course: {error}", file=sys.stderr)
        return DIVERGED_STATUS
    except KeyboardInterrupt:
        if run.process.is_main:
            kept = (f"{run.folder.checkpoint} holds step {run.last_checkpoint_step}"
                    if run.last_checkpoint_step is not None else "no checkpoint was written yet")
            print(f"gan-course: interrupted; {kept}: continue with "
                  f"{resume_command(args, run.process.world_size)}", file=sys.stderr)
        return INTERRUPTED_STATUS
    if run.process.is_main:
        grids = sorted(run.folder.samples.glob("step_*.png"))
        count = "1 grid" if len(grids) == 1 else f"{len(grids)} grids"
        print(f"{summary['images_per_s']:.0f} images/s; wrote {run.folder.root}/: config.toml, "
              f"metrics.csv, samples/ ({count}, the last {grids[-1].name}), "
              f"checkpoint.pt (step {summary['checkpoint_step']}), summary.json")
    return 0


# --------------------------------------------------------------------------- sample, evaluate


def sample_command(args) -> int:
    with user_input():
        if args.n < 1:
            raise ValueError(f"--n must be a positive number of samples, got {args.n}.")
        path = sample_grid(args.run, args.n, args.seed)
    print(f"wrote {path}")
    return 0


# the rows of evaluate's table, in order, with what each measures
SCORE_LINES = {
    "sample_to_held_out": "sample → nearest held-out image (fidelity: lower is closer to real images)",
    "held_out_to_sample": "held-out image → nearest sample (coverage: lower leaves fewer images unmatched)",
    "sample_to_train": "sample → nearest training image (far below `real`: copies training images)",
}
METRIC_LINES = {
    "classifier_score": "Inception score with the data's classifier (higher: confident, balanced classes)",
    "fid": "Fréchet distance to held-out features (lower is closer)",
    "kid": "kernel distance to held-out features, ± its spread over subsets (lower is closer)",
    "precision": "share of samples on the held-out images' manifold (fidelity)",
    "recall": "share of held-out images on the samples' manifold (coverage)",
    "modes_covered": "modes with at least one sample",
    "mode_kl_to_uniform": "KL(mode histogram ‖ uniform) in nats (0: every mode equally often)",
    "ms_ssim_diversity": "mean MS-SSIM of random pairs (lower: more diverse)",
    "independent_critic": "W₁ to held-out images, estimated by a fresh critic (lower is closer)",
}


def table_cells(entry: dict) -> tuple[str, str]:
    """The samples and real cells of one metric: 0.4123, 12/1000 or 4.5 ± 0.3."""
    if "out_of" in entry:
        return tuple(f"{entry[column]}/{entry['out_of']}" for column in ("samples", "real"))
    if "std" in entry:
        return tuple(f"{entry[column]:.4g} ± {entry['std'][column]:.2g}" for column in ("samples", "real"))
    return tuple(f"{entry[column]:.4g}" for column in ("samples", "real"))


def evaluation_table(table: dict) -> list[str]:
    """evaluate's printed table: metric, samples, real and what the metric measures."""
    rows = [(name, *table_cells(table["scores"][name]), line) for name, line in SCORE_LINES.items()]
    rows += [(name, *table_cells(table["metrics"][name]), line)
             for name, line in METRIC_LINES.items() if name in table["metrics"]]
    widths = [max(len(row[column]) for row in rows + [("metric", "samples", "real")]) for column in range(3)]
    header = f"  {'metric':<{widths[0]}}  {'samples':>{widths[1]}}  {'real':>{widths[2]}}"
    return [header] + [f"  {name:<{widths[0]}}  {samples:>{widths[1]}}  {real:>{widths[2]}}   {line}"
                       for name, samples, real, line in rows]


def reconstruction_line(scores: dict) -> str:
    line = (f"  reconstruction |x − G(E(x))| per pixel value: {scores['held_out']:.4g} on {scores['images']} "
            f"held-out images, {scores['train']:.4g} on as many training images (lower is closer)")
    return line + (f"; drawn in {scores['grid']}" if "grid" in scores else "")


def classifier_line(classifier: dict, n: int) -> str:
    """Which classifier judged the images, how often it is right, and the score of real held-out images."""
    title = TITLES.get(classifier["trained_on"], classifier["trained_on"])
    accuracy = classifier["held_out_accuracy"]
    line = f"  classifier: the course's {title} classifier, {accuracy:.1%} accurate on its held-out split"
    if "held_out_classifier_score" in classifier:
        line += f"; classifier score of {n} held-out images: {classifier['held_out_classifier_score']:.4g}"
    return line


def evaluate_command(args) -> int:
    with user_input():
        if args.n < MINIMUM_SAMPLES:
            raise ValueError(f"--n must be at least {MINIMUM_SAMPLES} samples (precision and recall need "
                             f"more than {MINIMUM_SAMPLES - 1}), got {args.n}.")
        if args.critic_steps < 1:
            raise ValueError(f"--critic-steps must be a positive number of steps, got {args.critic_steps}.")
        table = evaluate_run(args.run, args.n, args.critic_steps)
    print(f"{args.run}: {table['experiment']} at step {table['step']}, {table['n']} samples vs "
          f"{table['n']} real images of {table['data']} (distances: {table['distance']}):")
    if "bits_per_dim" in table:
        bits = table["bits_per_dim"]
        print(f"  bits/dim of {bits['images']} held-out images: {bits['held_out']:.4g} (uniform: "
              f"{bits['uniform']:g}; lower is better)")
    if "reconstruction" in table:
        print(reconstruction_line(table["reconstruction"]))
    if "classifier" in table:
        print(classifier_line(table["classifier"], table["n"]))
    print("\n".join(evaluation_table(table)))
    for note in table["notes"]:
        print(f"  note: {note}")
    if "not_reported" in table:
        print(f"  not reported: {table['not_reported']}")
    if "bits_per_dim" not in table and args.critic_steps != CRITIC_STEPS:
        print("  note: --critic-steps was not used: only a Real NVP run's evaluation trains a critic")
    print(f"wrote {args.run}/evaluation.json")
    return 0


__all__ = ["main", "build_parser"]
