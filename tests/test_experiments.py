"""gan_course.experiments without training: the shipped configs, --set, and the run folder's files."""

import dataclasses

import numpy as np
import pytest
import torch
from run_checks import is_one_sentence

from gan_course.data.images import OFFLINE_SETS
from gan_course.experiments.config import (
    FIELD_TYPES,
    SETTINGS,
    experiment_names,
    experiment_toml,
    load_experiment,
    parse_setting,
    read_toml,
)
from gan_course.experiments.evaluation import nearest_distances
from gan_course.experiments.outputs import (
    MetricsFile,
    image_grid,
    load_checkpoint,
    save_checkpoint,
    save_image_grid,
)
from gan_course.experiments.run import Process, build_networks, for_training

SHIPPED = ["alpha_gan_celeba64", "alpha_gan_cifar10", "dcgan_cifar10", "dcgan_mnist", "dcgan_stacked_mnist",
           "dragan_ns_cifar10", "gan_gp_cifar10", "ns_gan_cifar10", "realnvp_mle_celeba32",
           "realnvp_mle_cifar10", "realnvp_mle_mnist", "realnvp_wgan_gp_celeba32", "realnvp_wgan_gp_cifar10",
           "realnvp_wgan_gp_mnist", "wgan_gp_cifar10"]
LESSON_08 = ["ns_gan_cifar10", "gan_gp_cifar10", "dragan_ns_cifar10"]


# --------------------------------------------------------------------------- the shipped configs


def test_the_shipped_experiments_are_the_full_scale_runs_the_course_cites():
    assert experiment_names() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_experiment_loads_and_its_quick_version_trains_on_offline_images(name):
    experiment = load_experiment(name)
    assert experiment.name == name and experiment.reproduces and experiment.expected_gpu_hours > 0
    assert experiment.data in ("mnist", "cifar10", "stacked_mnist", "celeba")
    quick = load_experiment(name, quick=True)
    assert quick.data in OFFLINE_SETS
    assert quick.steps < experiment.steps and quick.width < experiment.width
    # --quick shrinks the run; the algorithm stays the same
    same = ("generator", "objective", "loss", "penalty", "penalty_weight", "disc_norm", "n_disc", "lr_gen",
            "lr_disc", "beta1", "beta2")
    assert all(getattr(quick, key) == getattr(experiment, key) for key in same)


def test_wgan_gp_has_the_settings_of_gulrajani_et_al():
    experiment = load_experiment("wgan_gp_cifar10")
    assert (experiment.loss, experiment.penalty) == ("wasserstein", "wgan_gp")
    assert experiment.penalty_weight == 10.0
    assert (experiment.n_disc, experiment.lr_gen, experiment.lr_disc) == (5, 1e-4, 1e-4)
    assert (experiment.beta1, experiment.beta2, experiment.batch_size) == (0.5, 0.9, 64)
    assert experiment.disc_norm == "none"  # batch norm would break the per-image penalty


def test_lesson_08s_three_non_saturating_gans_differ_only_in_their_penalty():
    experiments = [load_experiment(name) for name in LESSON_08]
    assert [experiment.penalty for experiment in experiments] == ["none", "wgan_gp", "dragan"]
    varying = {"name", "reproduces", "expected_gpu_hours", "penalty"}
    settings = [{key: value for key, value in dataclasses.asdict(experiment).items() if key not in varying}
                for experiment in experiments]
    assert settings[0] == settings[1] == settings[2]
    assert experiments[0].loss == "non_saturating" and experiments[0].disc_norm == "none"


def test_every_shipped_file_names_every_setting():
    for name in SHIPPED:
        table, _ = read_toml(name)
        table.pop("quick", None)
        assert set(table) == set(FIELD_TYPES) - {"name"}, name


def test_dcgan_cifar10_is_ns_gan_with_the_papers_batch_norm_in_d():
    dcgan, ns_gan = load_experiment("dcgan_cifar10"), load_experiment("ns_gan_cifar10")
    assert (dcgan.disc_norm, ns_gan.disc_norm) == ("batch", "none")
    assert (dcgan.loss, dcgan.lr_gen, dcgan.beta1) == (ns_gan.loss, ns_gan.lr_gen, ns_gan.beta1)


# --------------------------------------------------------------------------- --set


@pytest.mark.parametrize("text, expected", [
    ("steps=1000", ("steps", 1000)),
    ("steps=1e3", ("steps", 1000)),
    ("steps=100_000", ("steps", 100_000)),
    ("lr_gen=1e-4", ("lr_gen", 1e-4)),
    ("penalty_weight=5", ("penalty_weight", 5.0)),
    ("compile=true", ("compile", True)),
    ("channels_last=no", ("channels_last", False)),
    ("data=digits8", ("data", "digits8")),
    ("generator=realnvp", ("generator", "realnvp")),
    ("resolution=32", ("resolution", 32)),
    (" width = 16 ", ("width", 16)),
])
def test_set_reads_each_value_as_its_fields_type(text, expected):
    key, value = parse_setting(text)
    assert (key, value) == expected and type(value) is type(expected[1])


def test_set_changes_the_experiment_after_quick():
    experiment = load_experiment("dcgan_mnist", ["width=8", "lr_gen=1e-3"], quick=True)
    assert (experiment.width, experiment.lr_gen, experiment.data) == (8, 1e-3, "mnist5k")


@pytest.mark.parametrize("text, message", [
    ("lr=0.1", "unknown setting 'lr'; the valid keys are generator, objective, data, data_root, resolution"),
    ("name=other", "unknown setting 'name'"),
    ("lr_gen", "--set takes key=value, got 'lr_gen'"),
    ("steps=1.5", "--set steps=1.5 is not valid: steps must be an integer, e.g. --set steps=1000."),
    ("lr_gen=fast", "--set lr_gen=fast is not valid: lr_gen must be a number, e.g. --set lr_gen=0.0002."),
    ("compile=maybe", "--set compile=maybe is not valid: compile must be true or false"),
])
def test_a_bad_setting_gets_one_sentence(text, message):
    with pytest.raises(ValueError) as error:
        parse_setting(text)
    assert str(error.value).startswith(message)
    assert is_one_sentence(str(error.value))


def test_the_bad_key_sentence_lists_every_setting():
    with pytest.raises(ValueError) as error:
        parse_setting("lr=0.1")
    assert all(key in str(error.value) for key in SETTINGS)


@pytest.mark.parametrize("setting, message", [
    ("penalty=r3", "unknown penalty 'r3'; choose one of none, wgan_gp, dragan."),
    ("data=imagenet", "unknown data 'imagenet'; choose one of mnist5k"),
    ("loss=nonsaturating", "unknown GAN loss 'nonsaturating'"),
    ("beta2=1", "beta2 must lie in [0, 1), got 1.0."),
    ("steps=0", "steps must be a positive integer, got 0."),
    ("lr_disc=-1", "lr_disc must be a positive number, got -1.0."),
])
def test_a_setting_out_of_range_names_the_choices(setting, message):
    with pytest.raises(ValueError) as error:
        load_experiment("dcgan_mnist", [setting])
    assert str(error.value).startswith(message)


def test_an_unknown_experiment_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="^unknown experiment 'dcgan'; choose one of alpha_gan_celeba64, "
                                         "alpha_gan_cifar10, dcgan_cifar10, dcgan_"):
        load_experiment("dcgan")


# --------------------------------------------------------------------------- TOML files


def test_the_resolved_toml_reads_back_to_the_same_experiment(tmp_path):
    experiment = load_experiment("wgan_gp_cifar10", ["lr_gen=3e-5", "data_root=/data/a \"b\""], quick=True)
    path = tmp_path / "copy.toml"
    path.write_text(experiment_toml(experiment, "a header\nof two lines"))
    assert load_experiment(path) == experiment
    assert path.read_text().startswith("# a header\n# of two lines\nname = \"wgan_gp_cifar10\"\n")


def test_a_copied_toml_that_lacks_a_setting_says_which(tmp_path):
    text = experiment_toml(load_experiment("dcgan_mnist"))
    path = tmp_path / "mine.toml"
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("beta2")))
    with pytest.raises(ValueError, match="^dcgan_mnist lacks beta2; copy a shipped experiment"):
        load_experiment(path)
    path.write_text(text + "learning_rate = 0.1\n")
    with pytest.raises(ValueError, match="^dcgan_mnist has unknown keys learning_rate; the valid keys are"):
        load_experiment(path)
    resolved = tmp_path / "resolved.toml"
    resolved.write_text(text)
    with pytest.raises(ValueError, match="^dcgan_mnist has no \\[quick\\] table, so --quick cannot"):
        load_experiment(resolved, quick=True)


def test_a_missing_toml_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"^there is no file {tmp_path}/none.toml;"):
        load_experiment(tmp_path / "none.toml")


# --------------------------------------------------------------------------- the run folder's files


def test_image_grid_lays_images_out_row_by_row_between_grey_lines():
    images = torch.full((3, 1, 8, 8), -1.0)
    images[1] = 1.0
    grid = image_grid(images, columns=2)
    # 8-pixel images are drawn 4× larger; 2 pixels of grey around each
    assert grid.shape == (2 * 34 + 2, 2 * 34 + 2) and grid.dtype == np.uint8
    assert grid[2, 2] == 0 and grid[2, 36] == 255 and grid[36, 2] == 0 and grid[0, 0] == 128
    colour = image_grid(torch.zeros(4, 3, 32, 32))
    assert colour.shape == (2 * 34 + 2, 2 * 34 + 2, 3) and colour[2, 2, 0] == 128


def test_files_are_written_whole_or_not_at_all(tmp_path):
    save_image_grid(torch.zeros(4, 1, 28, 28), tmp_path / "grid.png")
    state = {"step": 3, "weights": torch.arange(4.0), "rng": torch.Generator().get_state(),
             "streams": [{"left": torch.zeros(0, dtype=torch.long)}], "name": "x"}
    save_checkpoint(tmp_path / "checkpoint.pt", state)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["checkpoint.pt", "grid.png"]  # no temporaries
    loaded = load_checkpoint(tmp_path / "checkpoint.pt")
    assert loaded["step"] == 3 and torch.equal(loaded["weights"], state["weights"])


def test_metrics_file_drops_the_rows_after_the_checkpoint_a_resumed_run_starts_from(tmp_path):
    metrics = MetricsFile(tmp_path / "metrics.csv")
    for step in (10, 20, 30):
        metrics.append({"step": step, "disc_loss": 1, "gen_loss": 2, "steps_per_s": 3, "images_per_s": 4,
                        "elapsed_s": 5})
    resumed = MetricsFile(tmp_path / "metrics.csv", keep_until_step=20)
    assert [row["step"] for row in resumed.rows()] == ["10", "20"]


def test_nearest_distances_are_root_mean_square_pixel_differences():
    references = torch.tensor([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]).reshape(2, 1, 2, 2)
    queries = torch.tensor([[0.0, 0.0, 0.0, 0.5], [1.0, 1.0, -1.0, 1.0]]).reshape(2, 1, 2, 2)
    # (0.5² / 4)^½ = 0.25 to the first; (2² / 4)^½ = 1 to the second, 3^½ to the first
    assert torch.allclose(nearest_distances(queries, references), torch.tensor([0.25, 1.0]))


# torch.compile's first use imports torch._dynamo, which warns about torch's own deprecations
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_compile_leaves_a_discriminator_under_a_gradient_penalty_uncompiled():
    # torch.compile cannot differentiate twice, which the penalty needs
    experiment = load_experiment("gan_gp_cifar10", ["compile=true"], quick=True)
    generator, discriminator = build_networks(experiment, (3, 28, 28))
    cpu = Process(torch.device("cpu"))
    # compiled in place (the state_dict keeps its names); no bfloat16 wrapper off CUDA
    assert for_training(generator, experiment, cpu) is generator
    assert generator._compiled_call_impl is not None
    assert for_training(discriminator, experiment, cpu, differentiated_twice=True) is discriminator
    assert discriminator._compiled_call_impl is None
