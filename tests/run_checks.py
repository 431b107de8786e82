"""What the command-line tests share: reading a run folder and comparing two of them."""

import csv
import re
import sys
from pathlib import Path

import torch


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
