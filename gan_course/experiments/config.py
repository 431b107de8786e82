"""Named experiments: the settings of one full-scale image run, read from a TOML file.

    experiment = load_experiment("dcgan_mnist", settings=["lr_gen=1e-4"], quick=False)

Every experiment the course ships is a TOML file in ``gan_course/experiments/configs/``, and
every file names all the settings of its run, so that the file is the whole truth about it
(readable, and copyable: ``gan-course train my_copy.toml --out runs/mine`` trains from a copy).
A file holds

- ``reproduces``: what the run reproduces, and ``expected_gpu_hours``: how long it takes on one GPU;
- the settings: every other field of ``Experiment`` (the generator and how it is trained, data,
  loss, penalty, networks, optimiser, steps, outputs, speed);
- a ``[quick]`` table: the settings that ``--quick`` (or ``GAN_COURSE_QUICK=1``) replaces for a
  CPU smoke run of the same code: an offline data set, few steps, narrow networks.

``--set key=value`` then replaces one setting; the value is read as the field's type.
"""

import dataclasses
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gan_course.data.images import CELEBA_RESOLUTIONS, IMAGE_SETS, NATIVE_RESOLUTION
from gan_course.gan_losses import get_gan_loss
from gan_course.models.dcgan import NORMS
from gan_course.validation import check_int, check_number

GENERATORS = ("dcgan", "realnvp")
"""dcgan: the conv net of gan_course.models.dcgan (Radford et al. 2016); realnvp: the flow of
gan_course.models.realnvp (Dinh et al. 2017), a generator whose density q_θ(x) can be computed."""

OBJECTIVES = ("gan", "mle", "alpha_gan")
"""gan: G_θ against D_φ with ``loss`` (gan_course.train.train); mle: maximum likelihood, no D_φ
(gan_course.flow_training.flow_step), only for a generator with a density; alpha_gan: α-GAN
(Rosca et al. 2017), G_θ with an encoder E_η, D_φ and a code discriminator C_ω
(gan_course.alpha_gan.train_hybrid), only for a dcgan generator."""

IMAGE_CHANNELS = {"mnist5k": 1, "digits8": 1, "mnist": 1, "stacked_mnist": 3, "cifar10": 3, "celeba": 3}

PENALTIES = ("none", "wgan_gp", "dragan")
"""none; wgan_gp: λ E[(‖∇D(x̂)‖ − 1)²] between real and fake images (Gulrajani et al. 2017);
dragan: the same near the real images (Kodali et al. 2017). See gan_course.penalties."""

PRECISIONS = ("float32", "bfloat16")

ABOUT_FIELDS = ("name", "reproduces", "expected_gpu_hours")
"""The fields that describe an experiment rather than set it: ``--set`` cannot change them."""


@dataclass(frozen=True)
class Experiment:
    """Everything that defines one image run.

    name, reproduces, expected_gpu_hours: the experiment's name, what it reproduces, and its
        wall-clock hours on one A100/H100-class GPU in bfloat16, estimated: these nets are so
        small that a step costs about the time to launch its kernels (taken as 1.5 × the step
        time of the same ops at a tiny size on a CPU) plus its FLOPs at 100 TFLOP/s.
        metrics.csv's steps_per_s gives the real rate; ``benchmarks/dcgan_speed.py --hours``
        measures every experiment's on the machine it runs on.
    generator: "dcgan" (``gan_course.models.dcgan``) or "realnvp" (``RealNVPImage``, a flow:
        x = G_θ(z) with an exact density q_θ). A Real NVP's noise has one number per pixel
        value, so its noise_dim must be C·H·W of the data (784 for MNIST, 3,072 for 3×32×32).
    objective: "gan" trains G_θ against D_φ with ``loss`` (``gan_course.train.train``);
        "mle" trains a realnvp by maximum likelihood on dequantised images
        (``gan_course.flow_training.flow_step``): no D_φ, so loss, penalty, penalty_weight,
        disc_norm, n_disc and lr_disc are not used; "alpha_gan" trains a dcgan generator as
        α-GAN (``gan_course.alpha_gan.train_hybrid`` with ``HYBRIDS["α-GAN"]``): four networks,
        G_θ, an encoder E_η (D_φ's body with noise_dim outputs), D_φ and a code discriminator
        C_ω, each with its own Adam, each updated once per step with Algorithm 1's
        non-saturating losses, so loss must be "non_saturating", penalty "none" and n_disc 1.
    data: an image set of ``gan_course.data.images`` (mnist, cifar10 and celeba are read
        through torchvision from ``data_root``; mnist5k, digits8 and stacked_mnist are offline).
    resolution: the images' side in pixels: 0 for the data set's own (28 for the MNIST sets,
        32 for CIFAR-10, 8 for digits8); celeba is cropped and resized to 32 or 64, its two sizes.
    loss: a GAN loss of ``gan_course.gan_losses`` (both players use it).
    penalty, penalty_weight: a gradient penalty added to D's loss ("none", "wgan_gp", "dragan")
        and its weight λ.
    disc_norm: the discriminator's normalisation ("batch", "spectral", "none").
    n_disc: discriminator updates per generator update.
    steps: training steps (generator updates).
    batch_size: images per update, over all processes (each of N processes takes batch_size / N).
    noise_dim, width: z ~ N(0, I) of noise_dim numbers; ``width`` channels next to the image
        (``gan_course.models.dcgan``), also the hidden channels of a Real NVP's couplings.
    flow_scales: a Real NVP's scales (Dinh et al.'s multi-scale architecture; the side must be
        divisible by 2^(flow_scales − 1)); a DCGAN ignores it.
    lambda_rec: α-GAN's λ, the weight of the reconstruction λ‖x − G(E(x))‖₁, a sum over the
        C·H·W pixel values of each image (``gan_course.alpha_gan.reconstruction_loss``);
        only objective "alpha_gan" uses it.
    code_width: the hidden units of α-GAN's code discriminator C_ω, an MLP of two hidden
        layers without batch norm; only objective "alpha_gan" uses it.
    lr_gen, lr_disc, beta1, beta2: Adam's step sizes η_G, η_D and its (β₁, β₂); with
        objective "mle", lr_gen is the flow's step size; with "alpha_gan", lr_gen is G_θ's and
        E_η's (the auto-encoder), lr_disc D_φ's and C_ω's (the two discriminators).
    ema_decay: 0 for none, else the generator's weights are also averaged,
        θ_EMA ← decay · θ_EMA + (1 − decay) · θ, and samples come from θ_EMA (Yazıcı et al. 2019).
    seed: seeds the weights, the batches, the penalty's draws and the sample grids' noise.
    log_every, sample_every, checkpoint_every: steps between rows of metrics.csv, sample
        grids, and checkpoints (a killed run loses at most checkpoint_every steps).
    precision: "bfloat16" runs the networks' forward passes under torch.autocast on CUDA
        (float32 elsewhere: most CPUs are slower in bfloat16); "float32" everywhere, and always
        for a realnvp (its log-determinants sum thousands of terms).
    channels_last: store conv weights and activations as N×H×W×C, faster on GPUs and CPUs alike.
    compile: torch.compile the generator, and the discriminator unless a gradient penalty
        needs its second derivative (torch.compile cannot differentiate twice); not with
        objective "mle", which trains through the flow's encode, not its forward pass.
    """

    name: str
    reproduces: str
    expected_gpu_hours: float
    generator: str
    objective: str
    data: str
    data_root: str
    resolution: int
    loss: str
    penalty: str
    penalty_weight: float
    disc_norm: str
    n_disc: int
    steps: int
    batch_size: int
    noise_dim: int
    width: int
    flow_scales: int
    lambda_rec: float
    code_width: int
    lr_gen: float
    lr_disc: float
    beta1: float
    beta2: float
    ema_decay: float
    seed: int
    log_every: int
    sample_every: int
    checkpoint_every: int
    precision: str
    channels_last: bool
    compile: bool

    def __post_init__(self):
        for name, kind in FIELD_TYPES.items():
            value = getattr(self, name)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))  # TOML writes 10 for 10.0
            check_type(name, getattr(self, name))
        self._check_choices()
        self._check_numbers()
        self._check_resolution()
        self._check_alpha_gan()
        self._check_generator()

    def _check_choices(self) -> None:
        for name, choices in (("generator", GENERATORS), ("objective", OBJECTIVES), ("data", IMAGE_SETS),
                              ("penalty", PENALTIES), ("disc_norm", NORMS), ("precision", PRECISIONS)):
            if getattr(self, name) not in choices:
                raise ValueError(f"unknown {name} {getattr(self, name)!r}; choose one of "
                                 f"{', '.join(choices)}.")
        get_gan_loss(self.loss)  # an unknown name gets an error that lists the losses

    def _check_numbers(self) -> None:
        for name in ("n_disc", "steps", "batch_size", "noise_dim", "width", "flow_scales", "code_width",
                     "log_every", "sample_every", "checkpoint_every"):
            check_int(getattr(self, name), name)
        check_int(self.resolution, "resolution", minimum=0)
        check_int(self.seed, "seed", minimum=0)
        for name in ("lr_gen", "lr_disc", "lambda_rec", "expected_gpu_hours"):
            check_number(getattr(self, name), name)
        check_number(self.penalty_weight, "penalty_weight", strict=False)
        for name in ("beta1", "beta2", "ema_decay"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)}.")

    def _check_resolution(self) -> None:
        if self.data == "celeba":
            if self.resolution not in CELEBA_RESOLUTIONS:
                raise ValueError(f"celeba is resized to 32 or 64 pixels, got resolution={self.resolution}; "
                                 "set resolution=32 or resolution=64.")
        elif self.resolution not in (0, NATIVE_RESOLUTION[self.data]):
            raise ValueError(f"{self.data} images are {NATIVE_RESOLUTION[self.data]} pixels wide, got "
                             f"resolution={self.resolution}; set resolution=0 (only celeba is resized).")

    def _check_alpha_gan(self) -> None:
        if self.objective != "alpha_gan":
            return
        if self.generator != "dcgan":
            raise ValueError(f"objective 'alpha_gan' trains a dcgan generator beside a dcgan encoder, got "
                             f"generator={self.generator}; set generator=dcgan.")
        # alpha_gan_step has its own losses, one update per network and no penalty: a setting
        # that asked for anything else would be silently ignored
        if self.loss != "non_saturating":
            raise ValueError(f"objective 'alpha_gan' trains its four networks with Algorithm 1's "
                             f"non-saturating losses (Rosca et al. 2017), got loss={self.loss}; set "
                             "loss=non_saturating.")
        if self.penalty != "none":
            raise ValueError(f"objective 'alpha_gan' adds no gradient penalty, got penalty={self.penalty}; "
                             "set penalty=none.")
        if self.n_disc != 1:
            raise ValueError(f"objective 'alpha_gan' updates each of its four networks once per step, got "
                             f"n_disc={self.n_disc}; set n_disc=1.")

    def _check_generator(self) -> None:
        if self.objective == "mle" and self.generator != "realnvp":
            raise ValueError(f"objective 'mle' needs a generator with a density, and a {self.generator} "
                             "has none; set generator=realnvp, or objective=gan.")
        if self.generator != "realnvp":
            return
        channels, size, _ = self.image_shape
        if self.noise_dim != channels * size * size:
            raise ValueError(f"a realnvp generator has one noise number per pixel value, so on {self.data} "
                             f"({channels}×{size}×{size}) noise_dim must be {channels * size * size}, got "
                             f"{self.noise_dim}; set noise_dim={channels * size * size}.")
        if size % 2 ** (self.flow_scales - 1):
            raise ValueError(f"{size}-pixel images cannot be squeezed {self.flow_scales - 1} times, as "
                             f"flow_scales={self.flow_scales} needs (the side must be divisible by "
                             f"{2 ** (self.flow_scales - 1)}); set a smaller flow_scales.")
        if self.precision != "float32":
            raise ValueError("a realnvp trains in float32 (its log-determinants sum thousands of terms, "
                             "which bfloat16 would round to 3 digits); set precision=float32.")
        if self.objective == "mle" and self.compile:
            raise ValueError("compile speeds up a generator's forward pass, which objective 'mle' does not "
                             "train through (it trains the flow's encode); set compile=false.")

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the experiment's images."""
        size = self.resolution or NATIVE_RESOLUTION[self.data]
        return IMAGE_CHANNELS[self.data], size, size

    @property
    def settings(self) -> dict:
        """The fields that ``--set`` may change, with their values."""
        return {name: getattr(self, name) for name in SETTINGS}


FIELD_TYPES = {field.name: field.type for field in dataclasses.fields(Experiment)}
SETTINGS = tuple(name for name in FIELD_TYPES if name not in ABOUT_FIELDS)
TYPE_WORDS = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
BOOL_WORDS = {"true": True, "1": True, "yes": True, "on": True,
              "false": False, "0": False, "no": False, "off": False}


def check_type(name: str, value) -> None:
    kind = FIELD_TYPES[name]
    # a bool is an int to Python, not to a setting
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise ValueError(f"{name} must be {TYPE_WORDS[kind]}, got {value!r}.")


# --------------------------------------------------------------------------- the files


def configs_folder():
    """The folder of the shipped TOML files (inside the installed package)."""
    return resources.files("gan_course.experiments") / "configs"


def experiment_names() -> list[str]:
    """The names of the shipped experiments, sorted."""
    return sorted(entry.name[:-len(".toml")] for entry in configs_folder().iterdir()
                  if entry.name.endswith(".toml"))


def read_toml(name_or_path) -> tuple[dict, str]:
    """The table of a shipped experiment's TOML file (by name) or of any TOML file (by path),
    and the experiment's name."""
    text = str(name_or_path)
    if text.endswith(".toml"):
        path = Path(text)
        if not path.is_file():
            raise FileNotFoundError(f"there is no file {path}; give the path of a TOML file or "
                                    f"one of the experiments: {', '.join(experiment_names())}.")
        try:
            table, name = tomllib.loads(path.read_text()), path.stem
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path} is not valid TOML ({error}); correct that line, or copy a "
                             "shipped experiment (gan-course list) and edit it.") from None
    elif text in experiment_names():
        table, name = tomllib.loads((configs_folder() / f"{text}.toml").read_text()), text
    else:
        raise ValueError(f"unknown experiment {text!r}; choose one of {', '.join(experiment_names())} "
                         "(gan-course list describes them), or give the path of a TOML file.")
    return table, table.pop("name", name)


def experiment_from_table(table: dict, name: str) -> Experiment:
    unknown = sorted(set(table) - set(FIELD_TYPES))
    if unknown:
        raise ValueError(f"{name} has unknown keys {', '.join(unknown)}; the valid keys are "
                         f"{', '.join(FIELD_TYPES)}.")
    if missing := missing_keys(table):
        raise ValueError(f"{name} lacks {', '.join(missing)}; copy a shipped experiment "
                         "(gan-course list) and edit it, so that every setting is named.")
    return Experiment(name=name, **table)


def missing_keys(table: dict) -> list[str]:
    """The fields of Experiment that the TOML table does not name (its name is the file's)."""
    return [key for key in FIELD_TYPES if key not in table and key != "name"]


def load_started_experiment(config: Path) -> Experiment:
    """The experiment a run folder's ``config.toml`` says its run was started with.

    A setting added to Experiment after the run started is missing from the file: the
    run cannot be rebuilt as it was, so it is refused with a sentence that says so, not
    with the advice for a hand-written TOML file."""
    if not Path(config).is_file():
        raise FileNotFoundError(f"{Path(config).parent} has no config.toml, which gan-course train "
                                "writes into every run's folder and which rebuilds the run's networks; "
                                "give the folder of a run.")
    table, name = read_toml(config)
    if missing := missing_keys(table):
        raise ValueError(f"{config} lacks {', '.join(missing)}: the run was started by an older "
                         "gan_course, which this one cannot resume or evaluate; train the "
                         "experiment again into a new --out.")
    table.pop("quick", None)  # a run folder's file holds the settings the run used, quick or not
    return experiment_from_table(table, name)


def load_experiment(name_or_path, settings=(), quick: bool = False) -> Experiment:
    """The experiment ``name_or_path`` (a shipped name or a TOML file), with its [quick] table
    applied when ``quick``, then the ``settings`` ("key=value" strings, as given to --set)."""
    table, name = read_toml(name_or_path)
    quick_table = table.pop("quick", None)
    experiment = experiment_from_table(table, name)
    if quick:
        if quick_table is None:
            raise ValueError(f"{name} has no [quick] table, so --quick cannot shrink it; add one "
                             "(see a shipped experiment) or leave out --quick.")
        experiment = replace_settings(experiment, quick_table, "[quick]")
    return replace_settings(experiment, dict(parse_setting(text) for text in settings), "--set")


def quick_changes(name_or_path) -> dict:
    """What ``--quick`` changes in an experiment: its [quick] table."""
    return read_toml(name_or_path)[0].get("quick", {})


# --------------------------------------------------------------------------- --set


def parse_setting(text: str) -> tuple[str, object]:
    """``"key=value"`` as (key, value), the value read as the type of the field ``key``."""
    key, equals, value = (part.strip() for part in text.partition("="))
    if not equals or not key:
        raise ValueError(f"--set takes key=value, got {text!r}; for example --set lr_gen=1e-4.")
    if key not in SETTINGS:
        raise ValueError(f"unknown setting {key!r}; the valid keys are {', '.join(SETTINGS)}.")
    kind = FIELD_TYPES[key]
    try:
        if kind is bool:
            return key, BOOL_WORDS[value.lower()]
        if kind is int:
            number = float(value.replace("_", ""))  # 1e5 and 100_000 are integers too
            if not number.is_integer():
                raise ValueError
            return key, int(number)
        return key, float(value) if kind is float else value
    except (KeyError, ValueError):
        raise ValueError(f"--set {key}={value} is not valid: {key} must be {TYPE_WORDS[kind]}, "
                         f"e.g. --set {key}={EXAMPLES[kind]}.") from None


EXAMPLES = {int: "1000", float: "0.0002", bool: "true", str: "mnist5k"}


def replace_settings(experiment: Experiment, changes: dict, source: str) -> Experiment:
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise ValueError(f"{source} sets unknown keys {', '.join(unknown)}; the valid keys are "
                         f"{', '.join(SETTINGS)}.")
    return dataclasses.replace(experiment, **changes)


# --------------------------------------------------------------------------- the resolved file


def toml_value(value) -> str:
    """One TOML value: strings quoted (JSON's escapes are TOML's), numbers and booleans as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def experiment_toml(experiment: Experiment, header: str = "") -> str:
    """The experiment as a flat TOML file that ``load_experiment`` reads back to the same values."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [f"{name} = {toml_value(getattr(experiment, name))}" for name in FIELD_TYPES]
    return "\n".join(lines) + "\n"


__all__ = ["Experiment", "load_experiment", "experiment_names", "parse_setting", "quick_changes",
           "experiment_toml", "SETTINGS", "PENALTIES", "PRECISIONS", "GENERATORS", "OBJECTIVES"]
