"""The gan-course command line: list, train (quick, resume after SIGKILL, NaN, two processes),
sample and evaluate (with lesson 09's metrics). Runs train on scikit-learn's 8×8 digits or a few
steps of mnist5k, so that the file takes about two minutes on two cores."""

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image
from run_checks import (
    assert_same,
    assert_same_training,
    command,
    is_one_sentence,
    kill_then_resume,
    read_metrics,
)

from gan_course.data.images import ImageBatches, load_images
from gan_course.experiments import evaluation
from gan_course.experiments.cli import gpu_time, main
from gan_course.experiments.config import experiment_names, load_experiment
from gan_course.experiments.evaluation import compare_with_real, evaluate_generator, evaluate_run
from gan_course.experiments.outputs import load_checkpoint, save_checkpoint
from gan_course.experiments.run import build_networks
from gan_course.metrics.features import CACHE_ENV_VAR

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# a few milliseconds per step: an 8×8 DCGAN with 8 channels
TINY = ["data=digits8", "width=8", "batch_size=16"]


def subprocess_environment() -> dict:
    # one thread each: runs compared number for number must use the same reductions, and two
    # processes share the two cores
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


# evaluate trains its digit classifiers once per session, in a fresh cache (conftest.py)
pytestmark = pytest.mark.usefixtures("classifier_cache")


# --------------------------------------------------------------------------- list and bad input


def test_list_shows_every_experiment_with_its_gpu_time_and_what_it_reproduces(capsys):
    assert main(["list"]) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split() == ["NAME", "1", "GPU", "REPRODUCES"]
    assert [line.split()[0] for line in lines] == experiment_names()
    for line in lines:
        experiment = load_experiment(line.split()[0])
        assert gpu_time(experiment.expected_gpu_hours) in line and line.endswith(experiment.reproduces)


def test_the_console_script_and_python_m_run_the_same_command_line():
    script = subprocess.run([BIN / "gan-course", "list"], capture_output=True, text=True, timeout=120)
    module = subprocess.run(command("list"), capture_output=True, text=True, timeout=120)
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout and "wgan_gp_cifar10" in script.stdout


def test_bad_input_gets_one_line_and_status_2_without_a_traceback(tmp_path):
    result = subprocess.run(command("train", "dcgan", "--out", tmp_path / "run"), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "gan-course: error: unknown experiment 'dcgan'; choose one of alpha_gan_celeba64, alpha_gan_cifar10, "
        "dcgan_cifar10, dcgan_mnist, dcgan_stacked_mnist, dragan_ns_cifar10, gan_gp_cifar10, ns_gan_cifar10, "
        "realnvp_mle_celeba32, realnvp_mle_cifar10, realnvp_mle_mnist, realnvp_wgan_gp_celeba32, "
        "realnvp_wgan_gp_cifar10, realnvp_wgan_gp_mnist, wgan_gp_cifar10 (gan-course list describes them), "
        "or give the path of a TOML file."]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, start", [
    (["train", "nope", "--out", "{out}"], "unknown experiment 'nope'"),
    (["train", "dcgan_mnist", "--out", "{out}", "--set", "lr=0.1"],
     "unknown setting 'lr'; the valid keys are generator, objective, data, data_root, resolution, loss"),
    (["train", "dcgan_mnist", "--out", "{out}", "--set", "steps=many"],
     "--set steps=many is not valid: steps must be an integer, e.g. --set steps=1000."),
    (["train", "dcgan_mnist", "--out", "{out}", "--set", "disc_norm=layer"],
     "unknown disc_norm 'layer'; choose one of batch, spectral, none."),
    (["train", "dcgan_cifar10", "--out", "{out}"],
     "dcgan_cifar10 trains on CIFAR-10, which is read from a folder: add --set data_root=DIR"),
    # without torchvision: how to install it; with it: how to download CIFAR-10 there
    (["train", "wgan_gp_cifar10", "--out", "{out}", "--set", "data_root={tmp}"], "CIFAR-10 "),
    (["sample", "{tmp}"], "{tmp} holds no checkpoint.pt; train into it first"),
    (["evaluate", "{tmp}"], "{tmp} holds no checkpoint.pt; train into it first"),
    (["sample", "{tmp}", "--n", "0"], "--n must be a positive number of samples, got 0."),
    (["evaluate", "{tmp}", "--n", "3"], "--n must be at least 4 samples (precision and recall need more "
                                        "than 3), got 3."),
])
def test_bad_input_is_one_sentence_that_names_the_fix(args, start, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)  # quick mode would train on offline images
    fill = {"out": tmp_path / "run", "tmp": tmp_path}
    assert main([arg.format(**fill) for arg in args]) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("gan-course: error: " + start.format(**fill)), message
    assert is_one_sentence(message.removeprefix("gan-course: error: "))
    assert not (tmp_path / "run").exists()


def test_a_folder_holding_a_run_is_neither_overwritten_nor_resumed_with_other_settings(tmp_path, capsys):
    out = str(tmp_path / "run")
    settings = ["--set", *TINY, "steps=4", "checkpoint_every=2"]
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings]) == 0
    written = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings]) == 2
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings, "lr_gen=1e-3", "--resume"]) == 2
    errors = capsys.readouterr().err
    assert f"{out} already holds a run; add --resume to continue it, or give another --out." in errors
    assert f"{out} was started with lr_gen=0.0002; resume it with the settings it started with" in errors
    # resuming a finished run trains no further
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings, "--resume"]) == 0
    assert capsys.readouterr().out.endswith(f"{out} has finished all 4 steps; nothing to train (add "
                                            "--set steps=N, with N above 4, to train it further).\n")
    assert_same(load_checkpoint(tmp_path / "run" / "checkpoint.pt"), written)
    # a run started before a setting existed: its config.toml lacks it
    config = tmp_path / "run" / "config.toml"
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True)
                              if not line.startswith("beta2")))
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings, "--resume"]) == 2
    assert main(["sample", out]) == 2
    errors = capsys.readouterr().err.splitlines()
    sentence = (f"{config} lacks beta2: the run was started by an older gan_course, which this one "
                "cannot resume or evaluate; train the experiment again into a new --out.")
    assert errors == [f"gan-course: error: {sentence}"] * 2
    assert is_one_sentence(sentence)


def test_folders_and_files_that_cannot_be_used_get_one_sentence(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)
    a_file, bad_toml = tmp_path / "a_file", tmp_path / "bad.toml"
    a_file.write_text("")
    bad_toml.write_text("steps = \n")
    no_config, damaged, truncated = (tmp_path / name for name in ("no_config", "damaged", "truncated"))
    for folder in (no_config, damaged, truncated):
        folder.mkdir()
    torch.save({"step": 1}, no_config / "checkpoint.pt")  # readable, but no config.toml beside it
    (damaged / "checkpoint.pt").write_bytes(b"not a checkpoint")
    torch.save({"weights": torch.zeros(1000)}, truncated / "checkpoint.pt")
    whole = (truncated / "checkpoint.pt").read_bytes()
    (truncated / "checkpoint.pt").write_bytes(whole[:len(whole) // 2])
    cases = [
        (["train", "dcgan_mnist", "--quick", "--out", a_file],
         f"--out {a_file} is a file, not a folder; give the path of a folder."),
        (["train", "dcgan_mnist", "--quick", "--out", a_file / "run"],
         f"cannot make the run's folder {a_file / 'run'}: {a_file} is not a folder you can write in; "
         "give another --out."),
        (["train", bad_toml, "--out", tmp_path / "run"], f"{bad_toml} is not valid TOML ("),
        (["evaluate", no_config], f"{no_config} has no config.toml, which gan-course train writes"),
        (["sample", damaged], f"{damaged / 'checkpoint.pt'} is damaged and cannot be read as a "
                              "checkpoint (UnpicklingError); train again into a new --out, or put back "
                              "a copy of the file."),
        (["sample", truncated], f"{truncated / 'checkpoint.pt'} is damaged and cannot be read as a "
                                "checkpoint (RuntimeError)"),
    ]
    for args, start in cases:
        assert main([str(arg) for arg in args]) == 2
        message = capsys.readouterr().err.strip()
        assert message.startswith("gan-course: error: " + start), message
        assert is_one_sentence(message.removeprefix("gan-course: error: ")), message
    assert not (tmp_path / "run").exists()


def test_what_a_run_prints_works_as_printed(tmp_path, capsys, monkeypatch):
    """Quick mode from the environment, --set before NAME, --resume with nothing to resume."""
    monkeypatch.setenv("GAN_COURSE_QUICK", "1")
    out = str(tmp_path / "run")
    assert main(["train", "--set", *TINY, "steps=2", "dcgan_mnist", "--out", out, "--resume"]) == 0
    printed = capsys.readouterr().out
    assert f"nothing to resume in {out} (no checkpoint yet): starting at step 0" in printed
    # the printed command carries --quick, which came from GAN_COURSE_QUICK=1
    resume = (f"continue with: gan-course train dcgan_mnist --out {out} --set {' '.join(TINY)} steps=2 "
              "--quick --resume")
    assert resume in printed, printed
    monkeypatch.delenv("GAN_COURSE_QUICK")
    assert main(resume.removeprefix("continue with: gan-course ").split()) == 0
    assert f"{out} has finished all 2 steps; nothing to train" in capsys.readouterr().out
    assert main(["sample", out, "--n", "4", "--seed", "3"]) == 0  # beside the seed-0 grid, not over it
    assert (tmp_path / "run" / "sample_step_000002_seed3.png").is_file()


# --------------------------------------------------------------------------- a quick run, sample, evaluate


def test_a_quick_run_writes_its_folder_and_sample_and_evaluate_read_it(tmp_path, capsys):
    out = tmp_path / "quick"
    assert main(["train", "dcgan_mnist", "--quick", "--out", str(out), "--set", "steps=40",
                 "log_every=10", "sample_every=20", "checkpoint_every=20"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1].startswith("quick: data=mnist5k, steps=40, width=32, log_every=10, sample_every=20")
    assert printed[-1].endswith(f"wrote {out}/: config.toml, metrics.csv, samples/ (2 grids, the last "
                                "step_000040.png), checkpoint.pt (step 40), summary.json")

    config = load_experiment(out / "config.toml")
    assert (config.name, config.data, config.steps, config.width) == ("dcgan_mnist", "mnist5k", 40, 32)
    rows = read_metrics(out)
    assert [row["step"] for row in rows] == ["10", "20", "30", "40"]
    assert list(rows[0]) == ["step", "disc_loss", "gen_loss", "steps_per_s", "images_per_s", "elapsed_s"]
    assert all(float(row["images_per_s"]) > 0 for row in rows)
    grids = sorted(path.name for path in (out / "samples").iterdir())
    assert grids == ["step_000020.png", "step_000040.png"]
    assert Image.open(out / "samples" / grids[-1]).size == (8 * 30 + 2, 8 * 30 + 2)  # 64 digits
    checkpoint = torch.load(out / "checkpoint.pt", weights_only=True)
    assert checkpoint["step"] == 40 and checkpoint["image_shape"] == [1, 28, 28]
    parts = {"generator", "discriminator", "gen_optimizer", "disc_optimizer", "random_streams"}
    assert parts <= set(checkpoint)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["status"], summary["step"], summary["processes"]) == ("finished", 40, 1)

    assert main(["sample", str(out), "--n", "16"]) == 0
    assert Image.open(out / "sample_step_000040.png").size == (4 * 30 + 2, 4 * 30 + 2)
    assert main(["evaluate", str(out), "--n", "200"]) == 0
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["n"] == 200 and set(evaluation["scores"]) == {
        "sample_to_held_out", "held_out_to_sample", "sample_to_train"}
    printed = capsys.readouterr().out
    assert "sample → nearest held-out image" in printed
    assert_digit_metrics(evaluation["metrics"], n_modes=10)
    assert evaluation["classifier"]["trained_on"] == "mnist5k"
    assert any("FID is biased upward at n = 200" in note for note in evaluation["notes"])
    # 40 steps make blobs, far from real digits on every metric that has a direction
    metrics = evaluation["metrics"]
    assert metrics["fid"]["samples"] > 5 * metrics["fid"]["real"]
    assert metrics["classifier_score"]["samples"] < metrics["classifier_score"]["real"]
    assert metrics["modes_covered"]["samples"] < metrics["modes_covered"]["real"] == 10
    assert re.search(r"^  metric +samples +real$", printed, re.MULTILINE)
    assert re.search(r"^  modes_covered +\d+/10 +10/10 ", printed, re.MULTILINE)
    assert re.search(r"^  kid +\S+ ± \S+ +\S+ ± \S+ ", printed, re.MULTILINE)


def test_a_quick_dcgan_on_the_8x8_digits_draws_samples_closer_to_unseen_digits(tmp_path):
    settings = ["data=digits8", "width=16", "batch_size=32", "steps=300", "sample_every=300",
                "checkpoint_every=300"]
    experiment = load_experiment("dcgan_mnist", settings, quick=True)
    initial, _ = build_networks(experiment, (1, 8, 8))
    before = evaluate_generator(initial, experiment)["scores"]
    assert main(["train", "dcgan_mnist", "--quick", "--out", str(tmp_path / "run"), "--set", *settings]) == 0
    after = evaluate_run(tmp_path / "run")["scores"]
    # measured: 0.76 → 0.46 and 0.84 → 0.52; real training digits score 0.31
    for score in ("sample_to_held_out", "held_out_to_sample"):
        assert after[score]["samples"] < 0.75 * before[score]["samples"], (score, before, after)


# --------------------------------------------------------------------------- lesson 09's metrics


DIGIT_METRICS = {"classifier_score", "fid", "kid", "precision", "recall", "modes_covered",
                 "mode_kl_to_uniform", "ms_ssim_diversity"}


def assert_digit_metrics(metrics: dict, n_modes: int) -> None:
    """Every metric of a digit set, each a finite number for the samples and for the real images."""
    assert set(metrics) == DIGIT_METRICS
    for name, entry in metrics.items():
        numbers = [entry["samples"], entry["real"], *entry.get("std", {}).values()]
        assert all(isinstance(number, (int, float)) and number == number and abs(number) != float("inf")
                   for number in numbers), (name, entry)
    assert metrics["modes_covered"]["out_of"] == n_modes
    assert set(metrics["kid"]["std"]) == {"samples", "real"}


def digits8(n: int) -> dict:
    """n training digits in shuffled order (as evaluate draws them), and the first n held-out ones."""
    train = load_images("digits8", "train").images
    chosen = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:2 * n]
    return {"other_train": train[chosen[:n]], "real": train[chosen[n:]],
            "reference": load_images("digits8", "held_out").images[:n]}


def test_real_digits_in_place_of_the_samples_score_like_real_digits_and_a_collapse_does_not():
    images = digits8(300)
    # samples drawn from p* itself (other training digits) and samples that are one digit repeated
    good = compare_with_real(images["other_train"], images["reference"], images["real"], "digits8")
    collapsed = compare_with_real(images["other_train"][:1].repeat(300, 1, 1, 1), images["reference"],
                              images["real"], "digits8")
    for table in (good, collapsed):
        assert_digit_metrics(table["metrics"], n_modes=10)
        assert table["classifier"]["trained_on"] == "digits8" and "not_reported" not in table
    real = {name: entry["real"] for name, entry in good["metrics"].items()}
    assert real["precision"] > 0.5 and real["recall"] > 0.5 and real["modes_covered"] == 10
    assert real["classifier_score"] > 7 and real["mode_kl_to_uniform"] < 0.05
    assert good["metrics"]["fid"]["samples"] < 2 * real["fid"] + 1
    # the same real images give the same "real" column whatever the samples
    assert all(collapsed["metrics"][name]["real"] == real[name] for name in real)
    collapse = {name: entry["samples"] for name, entry in collapsed["metrics"].items()}
    assert collapse["modes_covered"] == 1 and collapse["ms_ssim_diversity"] == 1.0
    assert collapse["recall"] < 0.05 and collapse["classifier_score"] < 1.01
    assert collapse["fid"] > 10 * real["fid"] and collapse["kid"] > 10 * max(real["kid"], 1.0)
    assert any("FID is biased upward at n = 300" in note for note in good["notes"])


def test_stacked_mnist_reports_modes_out_of_1000_and_why_fid_is_absent():
    real = load_images("stacked_mnist", "train", n_images=100).images
    reference = load_images("stacked_mnist", "held_out", n_images=100).images
    table = compare_with_real(real[:1].repeat(100, 1, 1, 1), reference, real, "stacked_mnist")
    metrics = table["metrics"]
    assert set(metrics) == {"modes_covered", "mode_kl_to_uniform", "ms_ssim_diversity"}
    assert metrics["modes_covered"]["out_of"] == 1000
    # 100 random digit triples fall on about 100 · (1 − e^(−0.1)) ≈ 95 distinct modes
    assert metrics["modes_covered"]["samples"] == 1 and 85 <= metrics["modes_covered"]["real"] <= 100
    assert metrics["mode_kl_to_uniform"]["samples"] == pytest.approx(6.908, abs=1e-3)  # log 1000
    assert "FID" in table["not_reported"] and table["classifier"]["trained_on"] == "mnist5k"


def test_evaluate_generator_runs_the_stacked_mnist_metrics_on_an_untrained_generator():
    experiment = load_experiment("dcgan_stacked_mnist", ["width=8"], quick=True)
    generator, _ = build_networks(experiment, (3, 28, 28))
    table = evaluate_generator(generator, experiment, n_samples=40)
    assert table["n"] == 40 and set(table["scores"]) == {
        "sample_to_held_out", "held_out_to_sample", "sample_to_train"}
    assert table["metrics"]["modes_covered"]["out_of"] == 1000
    assert 1 <= table["metrics"]["modes_covered"]["samples"] <= 40


def test_celeba_gets_only_the_diversity_and_a_note_that_no_classifier_exists(monkeypatch):
    def no_classifier(*args):
        raise AssertionError(f"asked for a classifier {args} for celeba")

    monkeypatch.setattr(evaluation, "digit_classifier", no_classifier)
    monkeypatch.setattr(evaluation, "cifar10_classifier", no_classifier)
    images = torch.rand(3, 20, 3, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    table = compare_with_real(images[0], images[1], images[2], "celeba")
    assert set(table["metrics"]) == {"ms_ssim_diversity"} and "classifier" not in table
    assert 0 <= table["metrics"]["ms_ssim_diversity"]["samples"] < 0.2  # independent noise
    assert "no offline classifier for CelebA" in table["not_reported"]
    assert not any("FID" in note for note in table["notes"])


def test_cifar10_without_its_classifier_or_its_images_gets_the_diversity_and_the_fix(monkeypatch, tmp_path):
    # the CIFAR-10 classifier is neither cached nor trainable here: no CIFAR-10 in data_root
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path))
    images = torch.rand(3, 20, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    table = compare_with_real(images[0], images[1], images[2], "cifar10", data_root=str(tmp_path / "none"))
    assert set(table["metrics"]) == {"ms_ssim_diversity"} and "classifier" not in table
    assert table["not_reported"].startswith("classifier score, FID, KID, precision, recall and modes: "
                                            "the CIFAR-10 classifier is trained once on CIFAR-10's training")
    assert "download" in table["not_reported"] and "\n" not in table["not_reported"]


# --------------------------------------------------------------------------- resume after SIGKILL


def test_a_resumed_run_may_train_further_and_log_at_other_intervals_but_not_shorten(tmp_path, capsys):
    out = str(tmp_path / "run")
    settings = ["--set", *TINY, "steps=4", "log_every=2", "checkpoint_every=2"]
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings]) == 0
    # the first session as if it had taken 1,000 s, so that the clock's going on shows
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    save_checkpoint(tmp_path / "run" / "checkpoint.pt", {**checkpoint, "elapsed_s": 1000.0})
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings, "steps=9", "log_every=3",
                 "--resume"]) == 0
    assert "resuming" in capsys.readouterr().out
    rows = read_metrics(tmp_path / "run")
    assert [int(row["step"]) for row in rows] == [2, 4, 6, 9]
    elapsed = [float(row["elapsed_s"]) for row in rows]
    assert elapsed[1] < 1000 <= elapsed[2] <= elapsed[3]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert (summary["step"], summary["resumed_from_step"], summary["checkpoint_step"]) == (9, 4, 9)
    assert summary["elapsed_s"] >= elapsed[3] - 0.05 and summary["seconds"] < 1000  # metrics.csv: 0.1 s
    assert "steps = 9" in (tmp_path / "run" / "config.toml").read_text()
    # extended, it holds what a run of 9 steps from the start holds
    straight = str(tmp_path / "straight")
    assert main(["train", "dcgan_mnist", "--quick", "--out", straight, *settings, "steps=9",
                 "log_every=3"]) == 0
    assert_same_training(tmp_path / "run" / "checkpoint.pt", tmp_path / "straight" / "checkpoint.pt")
    capsys.readouterr()
    assert main(["train", "dcgan_mnist", "--quick", "--out", out, *settings, "--resume"]) == 2
    message = capsys.readouterr().err.strip().removeprefix("gan-course: error: ")
    assert message == (f"{out} has trained 9 steps already, more than steps=4; resume it with steps of at "
                       "least 9.")
    assert is_one_sentence(message)


RESUMABLE = ["dragan_ns_cifar10", "--quick", "--set", *TINY, "steps=1000", "log_every=25",
             "sample_every=500", "checkpoint_every=50", "ema_decay=0.9"]


def test_a_run_killed_by_sigkill_resumes_to_exactly_the_numbers_of_an_uninterrupted_one(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    environment = subprocess_environment()
    uninterrupted = subprocess.Popen(command("train", *RESUMABLE, "--out", whole), env=environment,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_at = kill_then_resume(RESUMABLE, killed, environment, steps=1000)
    assert uninterrupted.wait(timeout=300) == 0

    assert_same_training(killed / "checkpoint.pt", whole / "checkpoint.pt")
    losses = [[(row["step"], row["disc_loss"], row["gen_loss"]) for row in read_metrics(folder)]
              for folder in (killed, whole)]
    assert losses[0] == losses[1] and len(losses[0]) == 40
    grids = [(folder / "samples" / "step_001000.png").read_bytes() for folder in (killed, whole)]
    assert grids[0] == grids[1]
    assert json.loads((killed / "summary.json").read_text())["resumed_from_step"] == killed_at


# --------------------------------------------------------------------------- NaN


def test_a_huge_learning_rate_stops_the_run_with_one_sentence(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "dcgan_mnist", "--quick", "--out", str(out), "--set", *TINY,
                 "lr_gen=1e30", "lr_disc=1e30"]) == 1
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message == ("gan-course: a loss became NaN or infinite at step 1, so training stopped and no "
                       "checkpoint had been written yet; lower the learning rates (e.g. --set "
                       "lr_gen=5e+29 lr_disc=5e+29) and train into a new --out.")
    assert json.loads((out / "summary.json").read_text())["status"] == "diverged at step 1"


def test_a_nan_stops_the_run_at_its_step_and_keeps_the_last_good_checkpoint(tmp_path, capsys, monkeypatch):
    real_batch = ImageBatches.real
    calls = itertools.count(1)

    def real_batch_turning_nan_at_step_7(batches):
        batch = real_batch(batches)
        return batch * float("nan") if next(calls) >= 7 else batch

    monkeypatch.setattr(ImageBatches, "real", real_batch_turning_nan_at_step_7)
    out = tmp_path / "run"
    assert main(["train", "dcgan_mnist", "--quick", "--out", str(out), "--set", *TINY, "steps=20",
                 "checkpoint_every=2"]) == 1
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert message.startswith(f"gan-course: a loss became NaN or infinite at step 7, so training stopped "
                              f"and the checkpoint of step 6 is kept in {out}/checkpoint.pt; lower the "
                              "learning rates (e.g. --set lr_gen=0.0001 lr_disc=0.0001)")
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint["step"] == 6
    assert all(torch.isfinite(value).all() for value in checkpoint["generator"].values())
    assert json.loads((out / "summary.json").read_text())["status"] == "diverged at step 7"


# --------------------------------------------------------------------------- several processes


TWO_PROCESSES = [BIN / "torchrun", "--standalone", "--nproc_per_node=2", "-m", "gan_course", "train",
                 "dragan_ns_cifar10", "--quick", "--set", "data=digits8", "width=8", "batch_size=32",
                 "steps=400", "log_every=20", "sample_every=400", "checkpoint_every=40", "ema_decay=0.9"]


def kill_with_children(process: subprocess.Popen) -> None:
    """SIGKILL a process and every process it started (torchrun's workers), as a crash would."""
    import psutil  # ipykernel's dependency

    family = psutil.Process(process.pid).children(recursive=True) + [psutil.Process(process.pid)]
    for member in family:
        member.kill()
    process.wait(timeout=60)


def test_torchrun_trains_two_processes_with_ddp_that_resume_exactly_after_sigkill(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    environment = subprocess_environment()
    result = subprocess.run([*TWO_PROCESSES, "--out", whole], env=environment, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("images/s; wrote") == 1  # one process prints
    assert "(2 processes, float32)" in result.stdout
    summary = json.loads((whole / "summary.json").read_text())
    assert (summary["status"], summary["processes"]) == ("finished", 2)
    streams = load_checkpoint(whole / "checkpoint.pt")["random_streams"]
    assert len(streams) == 2  # each process's own random streams, to resume each
    assert not torch.equal(streams[0]["batches_rng"], streams[1]["batches_rng"])

    victim = subprocess.Popen([*TWO_PROCESSES, "--out", killed], env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (killed / "checkpoint.pt").exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    kill_with_children(victim)
    killed_at = load_checkpoint(killed / "checkpoint.pt")["step"]
    assert 40 <= killed_at < 400 and not (killed / "summary.json").exists()
    resumed = subprocess.run([*TWO_PROCESSES, "--out", killed, "--resume"], env=environment,
                             capture_output=True, text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_training(killed / "checkpoint.pt", whole / "checkpoint.pt")
    losses = [[(row["step"], row["disc_loss"], row["gen_loss"]) for row in read_metrics(folder)]
              for folder in (killed, whole)]
    assert losses[0] == losses[1] and len(losses[0]) == 20
