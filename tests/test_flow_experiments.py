"""Lesson 06 at full scale from the command line: a Real NVP trained by maximum likelihood and
as the generator of a WGAN-GP (``generator = "realnvp"``, ``objective = "mle" | "gan"``), their
evaluation (held-out bits/dim, the independent critic), exact resume of a maximum-likelihood run,
and the settings they refuse. Runs train a tiny flow on scikit-learn's 8×8 digits: about 20 s."""

import json
import re

import pytest
import torch
from run_checks import assert_same, assert_same_training, is_one_sentence, read_metrics

from gan_course.experiments import run as run_module
from gan_course.experiments.cli import main
from gan_course.experiments.config import load_experiment
from gan_course.experiments.outputs import load_checkpoint
from gan_course.experiments.run import Process, prepare_run
from gan_course.models.realnvp import RealNVPImage

FLOW_EXPERIMENTS = ["realnvp_mle_mnist", "realnvp_wgan_gp_mnist", "realnvp_mle_celeba32",
                    "realnvp_wgan_gp_celeba32", "realnvp_mle_cifar10", "realnvp_wgan_gp_cifar10"]
# what the two objectives share: the flow, its data and its start
SAME_FLOW = ("generator", "data", "resolution", "noise_dim", "width", "flow_scales", "batch_size", "steps",
             "seed", "precision")

# a tiny flow on 1×8×8 digits: 2 scales (8 → 4), 8 hidden channels
TINY_FLOW = ["data=digits8", "noise_dim=64", "flow_scales=2", "width=8", "batch_size=16"]


# evaluate trains its digit classifiers once per session, in a fresh cache (conftest.py)
pytestmark = pytest.mark.usefixtures("classifier_cache")


# --------------------------------------------------------------------------- the shipped configs


@pytest.mark.parametrize("name", FLOW_EXPERIMENTS)
def test_every_flow_experiment_is_a_realnvp_whose_quick_version_runs_offline(name):
    experiment, quick = load_experiment(name), load_experiment(name, quick=True)
    assert experiment.generator == "realnvp" and experiment.precision == "float32"
    channels, size, _ = experiment.image_shape
    assert experiment.noise_dim == channels * size * size
    assert quick.data in ("mnist5k", "stacked_mnist") and quick.steps < experiment.steps
    assert quick.width < experiment.width and quick.objective == experiment.objective


@pytest.mark.parametrize("data", ["mnist", "celeba32", "cifar10"])
def test_maximum_likelihood_and_wgan_gp_train_the_same_flow_on_the_same_data(data):
    mle, wgan = load_experiment(f"realnvp_mle_{data}"), load_experiment(f"realnvp_wgan_gp_{data}")
    assert (mle.objective, wgan.objective) == ("mle", "gan")
    assert all(getattr(mle, key) == getattr(wgan, key) for key in SAME_FLOW)
    # the critic is Gulrajani et al.'s; maximum likelihood uses Adam's defaults, as Dinh et al.
    assert (wgan.loss, wgan.penalty, wgan.penalty_weight, wgan.n_disc) == ("wasserstein", "wgan_gp", 10.0, 5)
    assert (wgan.lr_gen, wgan.beta1, wgan.beta2, wgan.disc_norm) == (1e-4, 0.5, 0.9, "none")
    assert (mle.lr_gen, mle.beta1, mle.beta2) == (1e-3, 0.9, 0.999)
    if data == "celeba32":
        assert (mle.data, mle.resolution, mle.image_shape) == ("celeba", 32, (3, 32, 32))


def test_both_objectives_start_from_the_same_flow(tmp_path):
    started = {}
    for objective in ("mle", "gan"):
        experiment = load_experiment("realnvp_mle_mnist", [*TINY_FLOW, f"objective={objective}"], quick=True)
        run = prepare_run(experiment, tmp_path / objective, process=Process(torch.device("cpu")))
        assert isinstance(run.generator, RealNVPImage)
        assert (run.discriminator is None) == (objective == "mle")
        started[objective] = run.generator.state_dict()
    assert_same(started["mle"], started["gan"], "generator")
    # the ActNorm layers start from real digits, not as the identity
    log_scales = [value for key, value in started["mle"].items() if key.endswith("log_scale")]
    assert log_scales and not all(torch.all(value == 0) for value in log_scales)


# --------------------------------------------------------------------------- bad settings


@pytest.mark.parametrize("settings, message", [
    (["generator=glow"], "unknown generator 'glow'; choose one of dcgan, realnvp."),
    (["objective=mle", "generator=dcgan", "noise_dim=100", "precision=bfloat16"],
     "objective 'mle' needs a generator with a density, and a dcgan has none; set generator=realnvp"),
    (["noise_dim=100"], "a realnvp generator has one noise number per pixel value, so on mnist (1×28×28) "
                        "noise_dim must be 784, got 100; set noise_dim=784."),
    (["data=digits8"], "a realnvp generator has one noise number per pixel value, so on digits8 (1×8×8) "
                       "noise_dim must be 64, got 784; set noise_dim=64."),
    (["flow_scales=4"], "28-pixel images cannot be squeezed 3 times, as flow_scales=4 needs"),
    (["precision=bfloat16"], "a realnvp trains in float32"),
    (["compile=true"], "compile speeds up a generator's forward pass, which objective 'mle' does not train"),
    (["resolution=32"], "mnist images are 28 pixels wide, got resolution=32; set resolution=0"),
    (["data=celeba", "resolution=48", "noise_dim=3072"],
     "celeba is resized to 32 or 64 pixels, got resolution=48; set resolution=32 or resolution=64."),
])
def test_a_setting_a_flow_cannot_take_gets_one_sentence(settings, message):
    with pytest.raises(ValueError) as error:
        load_experiment("realnvp_mle_mnist", settings)
    assert str(error.value).startswith(message), str(error.value)
    assert is_one_sentence(str(error.value))


def test_maximum_likelihood_refuses_several_processes(tmp_path):
    experiment = load_experiment("realnvp_mle_mnist", TINY_FLOW, quick=True)
    with pytest.raises(ValueError, match="^objective 'mle' trains in one process .*; run it without torch"):
        prepare_run(experiment, tmp_path / "run", process=Process(torch.device("cpu"), 0, 2))


def test_the_command_line_names_a_bad_flow_setting_and_trains_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "realnvp_mle_mnist", "--quick", "--out", str(out), "--set", "data=digits8"]) == 2
    assert "set noise_dim=64." in capsys.readouterr().err and not out.exists()


# --------------------------------------------------------------------------- quick runs and evaluate


def test_a_quick_maximum_likelihood_run_logs_bits_per_dim_and_evaluate_reports_them(tmp_path, capsys):
    out = tmp_path / "mle"
    assert main(["train", "realnvp_mle_mnist", "--quick", "--out", str(out), "--set", *TINY_FLOW,
                 "steps=40", "log_every=10", "sample_every=20", "checkpoint_every=20"]) == 0
    rows = read_metrics(out)
    assert list(rows[0]) == ["step", "nll", "bits_per_dim", "steps_per_s", "images_per_s", "elapsed_s"]
    assert [row["step"] for row in rows] == ["10", "20", "30", "40"]
    # measured: 7.6 → 7.1 bits/dim in 40 steps (a tiny flow; uniform pixels score 8)
    assert float(rows[-1]["bits_per_dim"]) < float(rows[0]["bits_per_dim"]) < 8
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert "discriminator" not in checkpoint and "dequantisation_rng" in checkpoint["random_streams"][0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bits_per_dim"] == rows[-1]["bits_per_dim"] and "disc_loss" not in summary
    capsys.readouterr()

    assert main(["evaluate", str(out), "--n", "100", "--critic-steps", "30"]) == 0
    printed = capsys.readouterr().out
    evaluation = json.loads((out / "evaluation.json").read_text())
    bits = evaluation["bits_per_dim"]
    assert bits["uniform"] == 8.0 and bits["images"] == 355  # every held-out 8×8 digit
    assert 2 < bits["held_out"] < 8
    assert f"bits/dim of 355 held-out images: {bits['held_out']:.4g} (uniform: 8" in printed
    critic = evaluation["metrics"]["independent_critic"]
    assert set(critic) == {"samples", "real"} and critic["samples"] > critic["real"]
    assert re.search(r"^  independent_critic +\S+ +\S+ +W₁ to held-out images", printed, re.MULTILINE)
    assert any("30 steps" in note for note in evaluation["notes"])


def test_a_quick_wgan_gp_run_trains_the_flow_as_a_generator_and_evaluate_scores_its_density(tmp_path):
    out = tmp_path / "wgan"
    assert main(["train", "realnvp_wgan_gp_mnist", "--quick", "--out", str(out), "--set", *TINY_FLOW,
                 "steps=6", "log_every=3", "sample_every=6", "checkpoint_every=6"]) == 0
    rows = read_metrics(out)
    assert list(rows[0])[:3] == ["step", "disc_loss", "gen_loss"] and len(rows) == 2
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert {"discriminator", "disc_optimizer"} <= set(checkpoint)
    assert "penalty_rng" in checkpoint["random_streams"][0]
    # a step shows the critic n_disc = 5 batches of 16 images
    summary = json.loads((out / "summary.json").read_text())
    # summary.json rounds seconds to 0.01 s, which is more than 1% of a run this short
    seconds = summary["seconds"]
    images = 6 * 5 * 16
    assert images / (seconds + 0.005) - 0.1 <= summary["images_per_s"] <= images / (seconds - 0.005) + 0.1

    assert main(["evaluate", str(out), "--n", "100", "--critic-steps", "30"]) == 0
    evaluation = json.loads((out / "evaluation.json").read_text())
    assert evaluation["bits_per_dim"]["uniform"] == 8.0 and evaluation["bits_per_dim"]["held_out"] > 0
    assert set(evaluation["metrics"]["independent_critic"]) == {"samples", "real"}


# --------------------------------------------------------------------------- resume


RESUMABLE = ["realnvp_mle_mnist", "--quick", "--set", *TINY_FLOW, "steps=30", "log_every=5",
             "sample_every=30", "checkpoint_every=10", "ema_decay=0.9"]


def test_an_interrupted_maximum_likelihood_run_resumes_to_exactly_the_numbers_of_an_uninterrupted_one(
        tmp_path, monkeypatch, capsys):
    whole, interrupted = tmp_path / "whole", tmp_path / "interrupted"
    assert main(["train", *RESUMABLE, "--out", str(whole)]) == 0

    # Ctrl-C at step 17: the checkpoint of step 10 stays, and so do the rows up to step 15
    real_flow_step, calls = run_module.flow_step, []

    def flow_step_interrupted_at_step_17(*args, **kwargs):
        calls.append(1)
        if len(calls) == 17:
            raise KeyboardInterrupt
        return real_flow_step(*args, **kwargs)

    monkeypatch.setattr(run_module, "flow_step", flow_step_interrupted_at_step_17)
    assert main(["train", *RESUMABLE, "--out", str(interrupted)]) == 130
    assert "holds step 10: continue with gan-course train realnvp_mle_mnist" in capsys.readouterr().err
    assert load_checkpoint(interrupted / "checkpoint.pt")["step"] == 10
    monkeypatch.setattr(run_module, "flow_step", real_flow_step)

    assert main(["train", *RESUMABLE, "--out", str(interrupted), "--resume"]) == 0
    assert f"resuming {interrupted} from the checkpoint of step 10" in capsys.readouterr().out
    assert_same_training(interrupted / "checkpoint.pt", whole / "checkpoint.pt")
    losses = [[(row["step"], row["nll"], row["bits_per_dim"]) for row in read_metrics(folder)]
              for folder in (interrupted, whole)]
    assert losses[0] == losses[1] and len(losses[0]) == 6
    grids = [(folder / "samples" / "step_000030.png").read_bytes() for folder in (interrupted, whole)]
    assert grids[0] == grids[1]
