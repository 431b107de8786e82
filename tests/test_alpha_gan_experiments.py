"""Lesson 07 at full scale from the command line: α-GAN (``objective = "alpha_gan"``), its four
networks trained by ``gan_course.alpha_gan.train_hybrid``, checkpoints that resume exactly after
SIGKILL, sample and evaluate (with held-out reconstructions), and the settings it refuses. Runs
train tiny nets on scikit-learn's 8×8 digits: about half a minute in all on two cores."""

import json
import os
import re
import subprocess

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
from stand_in_cifar10 import use_stand_in_cifar10

from gan_course.alpha_gan import HybridNetworks
from gan_course.experiments import evaluation
from gan_course.experiments.cli import main
from gan_course.experiments.config import load_experiment
from gan_course.experiments.evaluation import evaluate_generator, load_autoencoder
from gan_course.experiments.outputs import ALPHA_GAN_METRICS_COLUMNS, load_checkpoint
from gan_course.experiments.run import Process, build_alpha_gan_networks, prepare_run
from gan_course.metrics import features
from gan_course.metrics.features import CACHE_ENV_VAR, CIFAR10Recipe

ALPHA_GAN_EXPERIMENTS = ["alpha_gan_cifar10", "alpha_gan_celeba64"]
FOUR_NETWORKS = ("generator", "encoder", "discriminator", "code_discriminator")
CHECKPOINTED = {"generator", "gen_optimizer", "discriminator", "disc_optimizer", "encoder", "enc_optimizer",
                "code_discriminator", "code_optimizer"}

# a few milliseconds per step: 8×8 digits, 8 channels, 8 code dimensions; λ·64 = 32 weighs the
# reconstruction per pixel value about as the shipped experiments do (λ·C·H·W ≈ 31)
TINY = ["data=digits8", "width=8", "batch_size=16", "noise_dim=8", "code_width=16", "lambda_rec=0.5"]


# evaluate trains its digit classifiers once per session, in a fresh cache (conftest.py)
pytestmark = pytest.mark.usefixtures("classifier_cache")


# --------------------------------------------------------------------------- the shipped configs


@pytest.mark.parametrize("name", ALPHA_GAN_EXPERIMENTS)
def test_every_alpha_gan_experiment_trains_a_dcgan_with_algorithm_1_and_its_quick_version_runs_offline(name):
    experiment, quick = load_experiment(name), load_experiment(name, quick=True)
    assert (experiment.generator, experiment.objective) == ("dcgan", "alpha_gan")
    assert (experiment.loss, experiment.penalty, experiment.n_disc) == ("non_saturating", "none", 1)
    assert quick.data == "stacked_mnist" and quick.steps < experiment.steps
    assert quick.width < experiment.width and quick.code_width < experiment.code_width
    assert quick.objective == experiment.objective and quick.lambda_rec == experiment.lambda_rec


def test_the_paper_data_sets_weigh_the_reconstruction_alike_per_pixel_value():
    cifar, celeba = load_experiment("alpha_gan_cifar10"), load_experiment("alpha_gan_celeba64")
    assert cifar.image_shape == (3, 32, 32) and celeba.image_shape == (3, 64, 64)
    weights = [experiment.lambda_rec * torch.tensor(experiment.image_shape).prod().item()
               for experiment in (cifar, celeba)]
    assert weights[0] == pytest.approx(weights[1]) == pytest.approx(30.72)


def test_an_alpha_gan_starts_from_the_generator_and_discriminator_of_the_dcgan_of_the_same_file(tmp_path):
    cpu = Process(torch.device("cpu"))
    alpha = prepare_run(load_experiment("alpha_gan_cifar10", TINY, quick=True), tmp_path / "alpha",
                        process=cpu)
    dcgan = prepare_run(load_experiment("alpha_gan_cifar10", [*TINY, "objective=gan"], quick=True),
                        tmp_path / "dcgan", process=cpu)
    assert_same(alpha.generator.state_dict(), dcgan.generator.state_dict(), "generator")
    assert_same(alpha.discriminator.state_dict(), dcgan.discriminator.state_dict(), "discriminator")
    assert dcgan.encoder is None and dcgan.trained_networks is None
    assert isinstance(alpha.trained_networks, HybridNetworks)
    assert set(alpha.alpha_gan_optimizers) == set(FOUR_NETWORKS)
    # G, E at lr_gen; D, C at lr_disc
    experiment = load_experiment("alpha_gan_cifar10", [*TINY, "lr_gen=1e-3", "lr_disc=3e-4"], quick=True)
    run = prepare_run(experiment, tmp_path / "rates", process=cpu)
    rates = {name: optimizer.param_groups[0]["lr"] for name, optimizer in run.alpha_gan_optimizers.items()}
    assert rates == {"generator": 1e-3, "encoder": 1e-3, "discriminator": 3e-4, "code_discriminator": 3e-4}


def test_disc_norm_reaches_the_discriminator_and_the_code_discriminator_has_no_batch_norm():
    experiment = load_experiment("alpha_gan_cifar10", [*TINY, "disc_norm=spectral"], quick=True)
    networks = build_alpha_gan_networks(experiment, (1, 8, 8))
    modules = [type(module).__name__ for module in networks.discriminator.modules()]
    assert "BatchNorm2d" not in modules
    assert any(hasattr(module, "parametrizations") for module in networks.discriminator.modules())
    assert not any(isinstance(module, torch.nn.modules.batchnorm._BatchNorm)
                   for module in networks.code_discriminator.modules())


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize("settings, message", [
    (["objective=vae"], "unknown objective 'vae'; choose one of gan, mle, alpha_gan."),
    (["generator=realnvp", "noise_dim=2352", "precision=float32"],
     "objective 'alpha_gan' trains a dcgan generator beside a dcgan encoder, got generator=realnvp; "
     "set generator=dcgan."),
    (["loss=wasserstein"], "objective 'alpha_gan' trains its four networks with Algorithm 1's non-saturating "
                           "losses (Rosca et al. 2017), got loss=wasserstein; set loss=non_saturating."),
    (["penalty=wgan_gp"], "objective 'alpha_gan' adds no gradient penalty, got penalty=wgan_gp; set "
                          "penalty=none."),
    (["n_disc=5"], "objective 'alpha_gan' updates each of its four networks once per step, got n_disc=5; "
                   "set n_disc=1."),
    (["lambda_rec=0"], "lambda_rec must be a positive number, got 0.0."),
    (["code_width=0"], "code_width must be a positive integer, got 0."),
])
def test_a_setting_an_alpha_gan_cannot_take_gets_one_sentence(settings, message):
    with pytest.raises(ValueError) as error:
        load_experiment("alpha_gan_cifar10", settings, quick=True)
    assert str(error.value) == message
    assert is_one_sentence(str(error.value))


def test_an_alpha_gan_refuses_several_processes(tmp_path):
    experiment = load_experiment("alpha_gan_cifar10", TINY, quick=True)
    with pytest.raises(ValueError, match="^objective 'alpha_gan' trains in one process .*; run it without"):
        prepare_run(experiment, tmp_path / "run", process=Process(torch.device("cpu"), 0, 2))


def test_the_command_line_names_a_bad_alpha_gan_setting_and_trains_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "alpha_gan_celeba64", "--quick", "--out", str(out), "--set", "n_disc=2"]) == 2
    assert "set n_disc=1." in capsys.readouterr().err and not out.exists()


def test_load_autoencoder_names_a_run_without_an_encoder(tmp_path):
    out = tmp_path / "dcgan"
    assert main(["train", "alpha_gan_cifar10", "--quick", "--out", str(out), "--set", *TINY, "objective=gan",
                 "steps=2", "log_every=1"]) == 0
    with pytest.raises(ValueError) as error:
        load_autoencoder(out)
    assert str(error.value) == (f"{out} holds a run of objective 'gan', which has no encoder to reconstruct "
                                "with; only objective 'alpha_gan' trains one.")


# --------------------------------------------------------------------------- a quick run, sample, evaluate


def test_a_quick_alpha_gan_run_logs_four_losses_and_sample_and_evaluate_read_it(tmp_path, capsys):
    out = tmp_path / "alpha"
    assert main(["train", "alpha_gan_cifar10", "--quick", "--out", str(out), "--set", *TINY, "steps=200",
                 "log_every=20", "sample_every=100", "checkpoint_every=100"]) == 0
    assert "200 steps on cpu (1 process, float32)" in capsys.readouterr().out
    rows = read_metrics(out)
    assert tuple(rows[0]) == ALPHA_GAN_METRICS_COLUMNS and len(rows) == 10
    # the auto-encoder learns: measured 0.77 → 0.53 per pixel value (pixels in [-1, 1])
    assert float(rows[-1]["reconstruction_l1"]) < float(rows[0]["reconstruction_l1"]) - 0.1
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert CHECKPOINTED <= set(checkpoint) and checkpoint["step"] == 200
    assert set(checkpoint["random_streams"][0]) == {"batches_rng", "epoch_left"}  # no other randomness
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "finished"
    assert all(summary[column] == rows[-1][column] for column in ALPHA_GAN_METRICS_COLUMNS[1:6])
    # all four updates of a step see the same batch of 16 images
    # summary.json rounds seconds to 0.01 s, which is more than 1% of a run this short
    seconds = summary["seconds"]
    images = 200 * 16
    assert images / (seconds + 0.005) - 0.1 <= summary["images_per_s"] <= images / (seconds - 0.005) + 0.1

    assert main(["sample", str(out), "--n", "16"]) == 0
    assert (out / "sample_step_000200.png").is_file()
    capsys.readouterr()

    assert main(["evaluate", str(out), "--n", "100"]) == 0
    printed = capsys.readouterr().out
    evaluation_table = json.loads((out / "evaluation.json").read_text())
    reconstruction = evaluation_table["reconstruction"]
    assert reconstruction["images"] == 100 and reconstruction["grid"] == str(out / "reconstructions.png")
    assert 0 < reconstruction["held_out"] < 1 and 0 < reconstruction["train"] < 1
    assert (f"reconstruction |x − G(E(x))| per pixel value: {reconstruction['held_out']:.4g} on 100 held-out "
            "images") in printed
    # digits get lesson 09's classifier metrics, the paper's Inception-style score among them
    assert {"classifier_score", "fid", "kid", "ms_ssim_diversity"} <= set(evaluation_table["metrics"])
    assert re.search(r"^  classifier_score +\S+ +\S+ +Inception score", printed, re.MULTILINE)
    # 4 pairs of rows (held-out digits, then their reconstructions) of 8 digits drawn 32 pixels wide
    assert Image.open(out / "reconstructions.png").size == (8 * 34 + 2, 8 * 34 + 2)


@pytest.mark.parametrize("name, size, why", [
    ("alpha_gan_cifar10", 32, "the CIFAR-10 classifier is trained once on CIFAR-10's training split"),
    ("alpha_gan_celeba64", 64, "the course has no offline classifier for CelebA images")])
def test_the_papers_data_sets_get_the_diversity_and_reconstructions_and_say_why_no_inception_score(
        name, size, why, monkeypatch, tmp_path):
    # stand-in colour images of the data set's size for the run, but no CIFAR-10 to train its classifier
    # on (and none in an empty cache): the classifier metrics are missing, the rest is evaluated
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path))
    images = {"train": torch.rand(40, 3, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1,
              "held_out": torch.rand(30, 3, size, size, generator=torch.Generator().manual_seed(1)) * 2 - 1}
    monkeypatch.setattr(evaluation, "experiment_images", lambda experiment, split: images[split])
    experiment = load_experiment(name, ["width=8", "noise_dim=8", "code_width=16"])
    networks = build_alpha_gan_networks(experiment, (3, size, size))
    table = evaluate_generator(networks.generator.eval(), experiment, n_samples=20,
                               autoencoder=(networks.encoder.eval(), networks.generator))
    assert set(table["metrics"]) == {"ms_ssim_diversity"} and "classifier" not in table
    assert table["not_reported"].startswith(f"classifier score, FID, KID, precision, recall and modes: {why}")
    assert is_one_sentence(table["not_reported"]), table["not_reported"]
    assert table["reconstruction"]["images"] == 20 and "grid" not in table["reconstruction"]
    assert any(note.startswith("reconstruction: mean |x − G(E(x))|") for note in table["notes"])


def test_evaluate_reports_the_cifar10_classifier_score_and_accuracy_of_a_cifar10_run(tmp_path, monkeypatch,
                                                                                       capsys):
    # a quick α-GAN on stand-in CIFAR-10 read through the course's loader; the classifier trains on
    # it with a tiny recipe (8 channels, 6 epochs: about 2 s) into an empty cache
    use_stand_in_cifar10(monkeypatch)
    monkeypatch.setenv(CACHE_ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(features, "_memo", {})
    monkeypatch.setattr(features, "CIFAR10_RECIPE", CIFAR10Recipe(width=8, epochs=6, batch_size=50))
    out = tmp_path / "run"
    settings = ["data=cifar10", f"data_root={tmp_path / 'cifar10'}", "width=8", "batch_size=16",
                "noise_dim=8", "code_width=16", "steps=20", "log_every=10", "sample_every=20",
                "checkpoint_every=20"]
    assert main(["train", "alpha_gan_cifar10", "--quick", "--out", str(out), "--set", *settings]) == 0
    capsys.readouterr()

    assert main(["evaluate", str(out), "--n", "100"]) == 0
    printed = capsys.readouterr().out
    assert "training the CIFAR-10 classifier" in printed
    table = json.loads((out / "evaluation.json").read_text())
    classifier = table["classifier"]
    assert classifier["trained_on"] == "cifar10" and "not_reported" not in table
    assert classifier["held_out_accuracy"] >= 0.95  # the stand-in's classes are separable
    # real held-out images: confident predictions of 10 balanced classes; 20 untrained steps: far less
    assert 8 < classifier["held_out_classifier_score"] <= 10
    assert table["metrics"]["classifier_score"]["samples"] < classifier["held_out_classifier_score"]
    assert {"classifier_score", "fid", "kid", "precision", "recall", "modes_covered"} <= set(table["metrics"])
    assert table["metrics"]["modes_covered"]["out_of"] == 10
    accuracy, score = classifier["held_out_accuracy"], classifier["held_out_classifier_score"]
    assert (f"  classifier: the course's CIFAR-10 classifier, {accuracy:.1%} accurate on its held-out split; "
            f"classifier score of 100 held-out images: {score:.4g}") in printed
    assert re.search(r"^  classifier_score +\S+ +\S+ +Inception score", printed, re.MULTILINE)
    assert any("not with published Inception scores" in note for note in table["notes"])
    assert table["reconstruction"]["images"] == 100

    # a second evaluation reads the classifier from the cache
    monkeypatch.setattr(features, "_memo", {})
    assert main(["evaluate", str(out), "--n", "100"]) == 0
    assert "training the CIFAR-10 classifier" not in capsys.readouterr().out
    assert json.loads((out / "evaluation.json").read_text())["classifier"] == classifier


# --------------------------------------------------------------------------- NaN and resume


def test_a_huge_learning_rate_stops_an_alpha_gan_with_one_sentence(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "alpha_gan_cifar10", "--quick", "--out", str(out), "--set", *TINY,
                 "lr_gen=1e30", "lr_disc=1e30"]) == 1
    message = capsys.readouterr().err.strip().splitlines()[-1]
    assert re.fullmatch(r"gan-course: a loss became NaN or infinite at step \d+, so training stopped and "
                        r".*; lower the learning rates \(e\.g\. --set lr_gen=5e\+29 lr_disc=5e\+29\) and "
                        r"train into a new --out\.", message), message
    assert json.loads((out / "summary.json").read_text())["status"].startswith("diverged at step")


RESUMABLE = ["alpha_gan_cifar10", "--quick", "--set", *TINY, "steps=300", "log_every=20",
             "sample_every=150", "checkpoint_every=50", "ema_decay=0.9"]


def test_an_alpha_gan_killed_by_sigkill_resumes_to_exactly_the_numbers_of_an_uninterrupted_one(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    # one thread: runs compared number for number must use the same reductions
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
    # the uninterrupted run beside the killed one: one core each
    uninterrupted = subprocess.Popen(command("train", *RESUMABLE, "--out", whole), env=environment,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed_at = kill_then_resume(RESUMABLE, killed, environment, steps=300)
    _, errors = uninterrupted.communicate(timeout=300)
    assert uninterrupted.returncode == 0, errors[-3000:]

    # all four networks, their optimisers, the EMA and the batches' stream, number for number
    assert_same_training(killed / "checkpoint.pt", whole / "checkpoint.pt")
    columns = ALPHA_GAN_METRICS_COLUMNS[:6]
    losses = [[tuple(row[column] for column in columns) for row in read_metrics(folder)]
              for folder in (killed, whole)]
    assert losses[0] == losses[1] and len(losses[0]) == 15
    grids = [(folder / "samples" / "step_000300.png").read_bytes() for folder in (killed, whole)]
    assert grids[0] == grids[1]
    assert json.loads((killed / "summary.json").read_text())["resumed_from_step"] == killed_at
