"""gan_course.config: quick mode, loop budgets, device choice and seeding."""

import pytest
import torch

from gan_course import config
from gan_course.config import QUICK_ENV_VAR, budget, device, is_quick, setup


@pytest.fixture
def only_cpu(monkeypatch):
    """Pretend that neither CUDA nor MPS is available, whatever the machine has."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_env_var_name():
    assert QUICK_ENV_VAR == "GAN_COURSE_QUICK"


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " 1 ", "yes", "on"])
def test_is_quick_true_words(monkeypatch, value):
    monkeypatch.setenv("GAN_COURSE_QUICK", value)
    assert is_quick() is True


@pytest.mark.parametrize("value", ["0", "", "false", "no", "off"])
def test_is_quick_false_words(monkeypatch, value):
    monkeypatch.setenv("GAN_COURSE_QUICK", value)
    assert is_quick() is False


def test_is_quick_unset_is_full(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)
    assert is_quick() is False


def test_is_quick_reads_the_environment_at_call_time(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_QUICK", "1")
    assert is_quick() is True
    monkeypatch.setenv("GAN_COURSE_QUICK", "0")
    assert is_quick() is False
    monkeypatch.setenv("GAN_COURSE_QUICK", "true")
    assert is_quick() is True
    monkeypatch.delenv("GAN_COURSE_QUICK")
    assert is_quick() is False


@pytest.mark.parametrize("value", ["maybe", "2", "quick"])
def test_is_quick_rejects_garbage(monkeypatch, value):
    monkeypatch.setenv("GAN_COURSE_QUICK", value)
    with pytest.raises(ValueError, match="GAN_COURSE_QUICK"):
        is_quick()


def test_budget_full_mode(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)
    assert budget(full=20_000, quick=200) == 20_000


def test_budget_quick_mode(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_QUICK", "1")
    assert budget(full=20_000, quick=200) == 200


def test_budget_equal_values_allowed(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_QUICK", "1")
    assert budget(full=5, quick=5) == 5


@pytest.mark.parametrize(
    "full, quick",
    [
        (100, 200),  # quick exceeds full
        (0, 0),
        (100, 0),
        (0, 1),
        (-5, 1),
        (100, -1),
        (100.0, 10),
        (100, 10.5),
        ("100", 10),
        (None, 10),
    ],
)
def test_budget_rejects_bad_values(monkeypatch, full, quick):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)
    with pytest.raises(ValueError):
        budget(full=full, quick=quick)


def test_budget_quick_greater_than_full_message(monkeypatch):
    monkeypatch.delenv("GAN_COURSE_QUICK", raising=False)
    with pytest.raises(ValueError, match="quick"):
        budget(full=10, quick=20)


def test_budget_propagates_bad_env(monkeypatch):
    monkeypatch.setenv("GAN_COURSE_QUICK", "maybe")
    with pytest.raises(ValueError, match="GAN_COURSE_QUICK"):
        budget(full=10, quick=1)


def test_device_is_cpu_without_accelerators(only_cpu):
    assert device() == torch.device("cpu")


def test_device_prefers_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device() == torch.device("cuda")


def test_device_on_this_machine_is_available():
    chosen = device()
    assert isinstance(chosen, torch.device)
    if not torch.cuda.is_available():
        assert chosen.type in ("cpu", "mps")
    else:
        assert chosen.type == "cuda"


def test_setup_makes_torch_rand_reproducible(only_cpu):
    setup(seed=0, verbose=False)
    first = torch.rand(3)
    setup(seed=0, verbose=False)
    second = torch.rand(3)
    assert torch.equal(first, second)


def test_setup_different_seeds_differ(only_cpu):
    setup(seed=0, verbose=False)
    first = torch.rand(3)
    setup(seed=1, verbose=False)
    second = torch.rand(3)
    assert not torch.equal(first, second)


def test_setup_seeds_numpy_and_random(only_cpu):
    import random

    import numpy as np

    setup(seed=3, verbose=False)
    a = (random.random(), np.random.rand())
    setup(seed=3, verbose=False)
    b = (random.random(), np.random.rand())
    assert a == b


def test_setup_returns_device(only_cpu):
    assert setup(seed=0, verbose=False) == torch.device("cpu")


@pytest.mark.parametrize("env, mode", [("1", "quick"), ("0", "full")])
def test_setup_prints_one_line(monkeypatch, capsys, only_cpu, env, mode):
    monkeypatch.setenv("GAN_COURSE_QUICK", env)
    setup(seed=0)
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1
    assert "device=cpu" in lines[0]
    assert f"mode={mode}" in lines[0]


def test_setup_quiet(capsys, only_cpu):
    setup(seed=0, verbose=False)
    assert capsys.readouterr().out == ""


def test_setup_sets_matplotlib_defaults(only_cpu):
    import matplotlib as mpl

    with mpl.rc_context():  # restore the global settings afterwards
        mpl.rcParams["figure.dpi"] = 123
        config.setup(seed=0, verbose=False)
        assert mpl.rcParams["figure.dpi"] == 80


def test_keep_freed_memory_is_accepted_by_glibc():
    """glibc accepts both thresholds (mallopt returns 1); the effect on speed and page
    faults is measured in benchmarks/engine_before_after.py, not asserted here."""
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    assert config.keep_freed_memory() is True

def test_keep_freed_memory_is_a_no_op_without_glibc(monkeypatch):
    import platform

    monkeypatch.setattr(platform, "libc_ver", lambda: ("", ""))
    assert config.keep_freed_memory() is False


def test_progress_bar_prints_only_the_finished_bar_when_outputs_are_stored(monkeypatch, capsys):
    monkeypatch.setenv(config.PROGRESS_ENV_VAR, "final")
    bar = config.progress_bar(range(300), desc="training")
    for step in bar:
        bar.set_postfix(loss=f"{step:.1f}")
    for _ in config.progress_bar(range(5), desc="inner", leave=False):  # vanishes, as on screen
        pass
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "\r" not in printed
    assert printed.startswith("training: 100%") and "300/300" in printed and "loss=299.0" in printed


def test_progress_bar_is_tqdm_auto_otherwise(monkeypatch):
    from tqdm.auto import tqdm

    monkeypatch.delenv(config.PROGRESS_ENV_VAR, raising=False)
    assert isinstance(config.progress_bar(range(3), disable=True), tqdm)
