"""What the command-line tests share: running the command, reading a run folder and comparing two
of them."""

import csv
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from gan_course.experiments.outputs import load_checkpoint


def is_one_sentence(text: str) -> bool:
    return text.endswith(".") and not re.search(r"[.;:] [A-Z]", text) and "\n" not in text


def command(*args) -> list[str]:
    return [sys.executable, "-m", "gan_course", *map(str, args)]


def read_metrics(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv", newline="") as file:
        return list(csv.DictReader(file))


def assert_same(a, b, where="checkpoint"):
    """Equal, tensor for tensor, through dicts and lists."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{index}]")
    elif torch.is_tensor(a):
        assert torch.equal(a, b), where
    else:
        assert a == b, where


def assert_same_training(checkpoint_a: Path, checkpoint_b: Path) -> None:
    """The two checkpoint files hold the same training state: equal but for the seconds each run's
    clock read (``elapsed_s``)."""
    a, b = load_checkpoint(checkpoint_a), load_checkpoint(checkpoint_b)
    assert a.pop("elapsed_s") >= 0 and b.pop("elapsed_s") >= 0
    assert_same(a, b)


def kill_then_resume(arguments: list, out: Path, environment: dict, steps: int) -> int:
    """Train ``arguments`` into ``out``, SIGKILL the process once its first checkpoint is on disk,
    then ``--resume`` it to the end; the step the run resumed from (checked to be a mid-run one)."""
    victim = subprocess.Popen(command("train", *arguments, "--out", out), env=environment,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists() and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    killed_at = load_checkpoint(out / "checkpoint.pt")["step"]
    assert 0 < killed_at < steps and not (out / "summary.json").exists()

    resumed = subprocess.run(command("train", *arguments, "--out", out, "--resume"), env=environment,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming {out} from the checkpoint of step {killed_at}" in resumed.stdout
    return killed_at
