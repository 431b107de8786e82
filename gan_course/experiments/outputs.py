"""The folder of one run, and how each of its files is written.

    DIR/config.toml       the resolved experiment (``gan-course train DIR/config.toml`` trains it again)
    DIR/metrics.csv       step, disc_loss, gen_loss, steps_per_s, images_per_s, elapsed_s
                          (a maximum-likelihood run: step, nll, bits_per_dim, ...; an α-GAN run:
                          step, disc_loss, code_disc_loss, enc_loss, gen_loss, reconstruction_l1, ...);
                          elapsed_s counts the seconds of training since step 0, over every
                          session of a resumed run
    DIR/samples/          sample grids, step_000200.png, ... (the same noise at every step)
    DIR/checkpoint.pt     the latest checkpoint (``torch.load(path, weights_only=True)`` reads it)
    DIR/summary.json      how the run ended, its speed and where everything is
    DIR/evaluation.json   written by ``gan-course evaluate``
    DIR/reconstructions.png  an α-GAN run's held-out images and their reconstructions, row by row
                          (written by ``gan-course evaluate``)

Every file is written atomically: to a temporary file in the same folder, then renamed over
the old one with ``os.replace`` (atomic on POSIX and Windows). A run killed at any moment, even
by SIGKILL, leaves the previous checkpoint whole, never half of a new one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gan_course.data.images import rescale_pixels

Tensor = torch.Tensor

METRICS_COLUMNS = ("step", "disc_loss", "gen_loss", "steps_per_s", "images_per_s", "elapsed_s")
MLE_METRICS_COLUMNS = ("step", "nll", "bits_per_dim", "steps_per_s", "images_per_s", "elapsed_s")
"""A maximum-likelihood run has no discriminator: it logs −log q_θ(x) of its batch in nats per
image (nll) and in bits/dim, the unit the flow papers report."""
ALPHA_GAN_METRICS_COLUMNS = ("step", "disc_loss", "code_disc_loss", "enc_loss", "gen_loss",
                             "reconstruction_l1", "steps_per_s", "images_per_s", "elapsed_s")
"""An α-GAN run logs the loss of each of its four networks (D_φ, C_ω, E_η, G_θ: see
``gan_course.alpha_gan.alpha_gan_step``) and the mean |x − G(E(x))| per pixel value of its batch."""

# 8-pixel digits are drawn 4 pixels per pixel, so that a grid of them can be seen.
SMALLEST_SHOWN_SIDE = 32
GRID_PADDING = 2
GRID_BACKGROUND = 128  # mid grey: separates black and white images alike


class RunFolder:
    """The paths of a run's files, under ``root``."""

    def __init__(self, root):
        self.root = Path(root)
        self.config = self.root / "config.toml"
        self.metrics = self.root / "metrics.csv"
        self.samples = self.root / "samples"
        self.checkpoint = self.root / "checkpoint.pt"
        self.summary = self.root / "summary.json"
        self.evaluation = self.root / "evaluation.json"
        self.reconstructions = self.root / "reconstructions.png"

    def sample_grid(self, step: int) -> Path:
        return self.samples / f"step_{step:06d}.png"

    def require_checkpoint(self) -> Path:
        if not self.checkpoint.is_file():
            raise FileNotFoundError(f"{self.root} holds no checkpoint.pt; train into it first with "
                                    f"gan-course train NAME --out {self.root}.")
        return self.checkpoint


# --------------------------------------------------------------------------- atomic writes


def write_atomically(path: Path, write: Callable[[io.BufferedWriter], None]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # in the same folder: os.replace is atomic only within one file system
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())  # the data reach the disk before the name points at them
    os.replace(temporary, path)
    return path


def write_text(path: Path, text: str) -> Path:
    return write_atomically(path, lambda file: file.write(text.encode()))


def write_json(path: Path, table: dict) -> Path:
    return write_text(path, json.dumps(table, indent=2) + "\n")


def save_checkpoint(path: Path, state: dict) -> Path:
    """``torch.save(state)``, atomically. ``state`` holds only tensors, dicts, lists, numbers
    and strings, so that ``load_checkpoint`` can read it with ``weights_only=True``."""
    return write_atomically(path, lambda file: torch.save(state, file))


def load_checkpoint(path: Path) -> dict:
    """A checkpoint, on the CPU, read without running any pickled code (``weights_only=True``)."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as error:
        # checkpoints are written whole (write_atomically), so this one was changed afterwards;
        # torch's own message (a zip reader's, or advice on weights_only) would mislead here
        raise ValueError(f"{path} is damaged and cannot be read as a checkpoint ({type(error).__name__}); "
                         "train again into a new --out, or put back a copy of the file.") from None


# --------------------------------------------------------------------------- metrics.csv


class MetricsFile:
    """metrics.csv, one row per logged step, flushed at once (so that it can be watched)."""

    def __init__(self, path: Path, keep_until_step: int = 0, columns: tuple = METRICS_COLUMNS):
        """Open ``path`` for appending; rows after ``keep_until_step`` (from a run that was
        killed after its last checkpoint) are dropped, as the resumed run writes them again."""
        self.path, self.columns = Path(path), columns
        rows = self.rows() if self.path.is_file() else []
        kept = [row for row in rows if int(row["step"]) <= keep_until_step]
        write_text(self.path, _csv_text(kept, columns))

    def rows(self) -> list[dict]:
        with open(self.path, newline="") as file:
            return list(csv.DictReader(file))

    def append(self, row: dict) -> None:
        with open(self.path, "a", newline="") as file:
            csv.DictWriter(file, self.columns).writerow(row)


def _csv_text(rows: list[dict], columns: tuple) -> str:
    text = io.StringIO()
    writer = csv.DictWriter(text, columns)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


# --------------------------------------------------------------------------- sample grids


def image_grid(images: Tensor, columns: int | None = None) -> np.ndarray:
    """Images (N, C, H, W) with "gan" pixels in [-1, 1] as one picture of bytes, row by row:
    (rows·(H + p) + p, columns·(W + p) + p) for grey images, with a last axis of 3 for colour."""
    images = rescale_pixels(images.detach().float().cpu(), "gan", "unit").clamp(0, 1)
    count, channels, height, width = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    scale = max(1, SMALLEST_SHOWN_SIDE // height)
    tiles = (images * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
    tiles = tiles.repeat(scale, axis=1).repeat(scale, axis=2)
    side_h, side_w = height * scale + GRID_PADDING, width * scale + GRID_PADDING
    grid = np.full((rows * side_h + GRID_PADDING, columns * side_w + GRID_PADDING, channels),
                   GRID_BACKGROUND, dtype=np.uint8)
    for index, tile in enumerate(tiles):
        top, left = (index // columns) * side_h + GRID_PADDING, (index % columns) * side_w + GRID_PADDING
        grid[top:top + height * scale, left:left + width * scale] = tile
    return grid[..., 0] if channels == 1 else grid


def save_image_grid(images: Tensor, path: Path, columns: int | None = None) -> Path:
    """The images as one PNG picture (see ``image_grid``)."""
    from PIL import Image  # Pillow comes with matplotlib

    picture = Image.fromarray(image_grid(images, columns))
    return write_atomically(path, lambda file: picture.save(file, format="PNG"))


__all__ = ["RunFolder", "MetricsFile", "write_atomically", "write_text", "write_json",
           "save_checkpoint", "load_checkpoint", "image_grid", "save_image_grid", "METRICS_COLUMNS",
           "MLE_METRICS_COLUMNS", "ALPHA_GAN_METRICS_COLUMNS"]
