"""Quick mode, device choice, seeding and notebook defaults.

Every notebook starts with ``gan_course.setup(seed=0)``. Loops size themselves
with ``budget(full=..., quick=...)``: the same code runs in both modes, only the
number of steps changes. ``GAN_COURSE_QUICK=1`` (set by ``make test`` and CI)
selects quick mode.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import os
import platform
import random
import sys

import numpy as np
import torch

from gan_course.validation import check_int

QUICK_ENV_VAR = "GAN_COURSE_QUICK"
PROGRESS_ENV_VAR = "GAN_COURSE_PROGRESS"
_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"", "0", "false", "no", "off"}


def is_quick() -> bool:
    """True when ``GAN_COURSE_QUICK`` asks for quick mode (read at every call)."""
    value = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    if value in _TRUE_WORDS:
        return True
    if value in _FALSE_WORDS:
        return False
    raise ValueError(
        f"{QUICK_ENV_VAR}={value!r} is not understood: set it to 1 for quick mode "
        "or 0 (or leave it unset) for full mode."
    )


def budget(full: int, quick: int) -> int:
    """The size of a loop: ``full`` normally, ``quick`` in quick mode.

    >>> steps = budget(full=20_000, quick=200)
    """
    full, quick = check_int(full, "full"), check_int(quick, "quick")
    if quick > full:
        raise ValueError(f"quick={quick} exceeds full={full}: quick mode should do less work.")
    return quick if is_quick() else full


class _FinishedLineOnly(io.TextIOBase):
    """A file for tqdm that passes on only the bar's last state, once the bar closes.

    tqdm redraws a text bar by writing "\r" and the new state, and ends a bar that
    is kept (``leave=True``) with "\n"; a bar that is not kept writes no "\n", and
    so leaves nothing here, as it leaves nothing on screen.
    """

    def __init__(self):
        self.pending = ""

    def write(self, text: str) -> int:
        self.pending = (self.pending + text).rsplit("\r", 1)[-1] if "\r" in text \
            else self.pending + text  # keep only the latest state
        if "\n" in self.pending:
            finished, self.pending = self.pending.split("\n", 1)
            sys.stdout.write(finished.split("\r")[-1].strip() + "\n")
        return len(text)


def progress_bar(iterable, desc: str | None = None, disable: bool = False, leave: bool = True):
    """A progress bar over ``iterable`` (tqdm): a live bar in Jupyter or a terminal.

    With ``GAN_COURSE_PROGRESS=final`` (which ``gan_course.authoring`` sets when it
    executes the notebooks whose outputs are stored), only the finished bar is
    printed, as one line of text: a stored notebook then shows "100% 3000/3000
    [00:12, 250 it/s]" rather than a widget that a reader without a kernel sees
    at 0%.
    """
    if os.environ.get(PROGRESS_ENV_VAR, "").strip().lower() == "final":
        from tqdm.std import tqdm

        return tqdm(iterable, desc=desc, disable=disable, leave=leave, file=_FinishedLineOnly(),
                    ascii=False, ncols=80, mininterval=3600)
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, disable=disable, leave=leave)


def device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _matplotlib_defaults() -> None:
    # Moderate DPI keeps stored notebooks small; larger fonts keep them readable.
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "figure.figsize": (6.0, 4.0),
            "font.size": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


# glibc's mallopt parameters (malloc.h) and the values keep_freed_memory sets
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_BYTES = 32 * 2**20  # the largest value glibc accepts on 64-bit machines
_TRIM_THRESHOLD_BYTES = 256 * 2**20


def keep_freed_memory() -> bool:
    """Let the C library keep freed memory for the next training step (glibc only).

    Every training step allocates and frees the same few megabytes of
    activations and gradients. By default glibc hands freed blocks above a
    threshold back to the operating system (munmap, or trimming the top of the
    heap), and the next step faults the same pages back in, zero-filled. glibc
    also moves that threshold by itself, to the largest block freed so far, so
    the same training code ran fast or up to 20% slower depending on what the
    process had allocated before it (3-5x more page faults; measured in
    benchmarks/RESULTS.md). Fixing both thresholds removes the dependence: blocks
    up to 32 MiB come from the heap, and up to 256 MiB of free heap is kept.

    Returns whether the setting was applied (False where the C library is not glibc).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(None)  # the C library this process already uses
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
                and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES))


def setup(seed: int = 0, threads: int | None = 1, verbose: bool = True) -> torch.device:
    """Seed everything, set plotting defaults, and say which device and mode run.

    ``threads`` sets PyTorch's CPU threads. The lessons' toy networks are too
    small to gain from several, and spinning threads slow them down many times
    over as soon as another process shares the cores (measured in
    benchmarks/RESULTS.md). ``threads=None`` leaves PyTorch's default.
    On Linux, freed memory is kept for reuse (``keep_freed_memory``).

    Returns the device so that a notebook can write ``device = setup()``.
    """
    seed_everything(seed)
    if threads is not None:
        torch.set_num_threads(check_int(threads, "threads"))
    keep_freed_memory()
    _matplotlib_defaults()
    chosen = device()
    if verbose:
        mode = "quick" if is_quick() else "full"
        print(f"gan_course: device={chosen.type}, mode={mode}, seed={seed}, "
              f"torch {torch.__version__} on {torch.get_num_threads()} thread(s)")
    return chosen


@contextlib.contextmanager
def denormals_flushed_to_zero():
    """Numbers below 1.2e-38 (float32) count as 0 on the CPU inside this block.

    Adam's second moments and small activations underflow into such denormal numbers, which
    x86 CPUs process many times slower: the DCGANs of the experiments ran up to 5x slower
    without this on a 2-core CPU (the image critics of ``metrics`` gain about 20%); no GAN can
    tell the difference. torch has no getter for the
    setting, so the default, off, is restored after the block.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
