"""Input checks shared by the whole package: one place, one wording.

Every public function that takes logits, points or a count calls one of these,
so a learner who passes the wrong thing reads one sentence that names the fix.
They are cheap (no pass over the data unless ``check_nan`` asks for one), because
some run at every training step.
"""

from __future__ import annotations

import math
import numbers

import torch

Tensor = torch.Tensor


def check_logits(logits, name: str = "logits", check_nan: bool = False) -> Tensor:
    """``logits`` itself if it is a non-empty floating-point tensor, else a clear error.

    check_nan: also refuse NaN entries (one pass over the values; the training loops
    check their losses instead, with the step number in the message).
    """
    if not torch.is_tensor(logits):
        raise TypeError(f"{name} must be a torch tensor of logits, got {type(logits).__name__}; "
                        "wrap it with torch.as_tensor(...).")
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be floating point, got {logits.dtype}; call .float() first.")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty: pass at least one sample.")
    if check_nan and torch.isnan(logits).any():
        raise ValueError(f"{name} contain NaN: training diverged or the inputs hold NaN; "
                         "lower the learning rate and check the data.")
    return logits


def refuse_holder(values, name: str) -> None:
    """A clear error for what a learner passes instead of a tensor by mistake: a distribution
    instead of its samples, an ImageSet instead of its images."""
    if torch.is_tensor(values):
        return
    if hasattr(values, "sample"):
        raise TypeError(f"{name}: got the distribution {type(values).__name__}, not samples; draw "
                        "them with .sample(n).")
    if hasattr(values, "images"):
        raise TypeError(f"{name}: got an {type(values).__name__}, not a tensor; pass its tensor, "
                        ".images.")


def as_tensor(values, name: str, dtype: torch.dtype | None = None) -> Tensor:
    """``torch.as_tensor(values, dtype)``, with one sentence for what is not numbers."""
    refuse_holder(values, name)
    try:
        return torch.as_tensor(values, dtype=dtype)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a tensor of numbers, got {type(values).__name__} "
                        f"({error}).") from None


def check_points(points, name: str = "points", dim: int | None = None) -> Tensor:
    """``points`` as an (n, d) tensor (d = ``dim`` when given), or a clear error naming the reshape.

    Lists and arrays are converted with torch.as_tensor; with dim=1 a flat vector of
    n numbers is read as n points.
    """
    points = as_tensor(points, name)
    if points.ndim == 1 and dim == 1:
        points = points.reshape(-1, 1)
    if points.ndim != 2 or (dim is not None and points.shape[1] != dim):
        width = "d" if dim is None else dim
        raise ValueError(f"{name} must have shape (n, {width}), got {tuple(points.shape)}; "
                         f"reshape with .reshape(-1, {width}).")
    return points


def check_samples(samples, name: str = "samples") -> Tensor:
    """``samples`` if it is a floating-point tensor with a batch axis first: (B, d) points
    or (B, C, H, W) images. Gradient penalties use this: they work on either."""
    refuse_holder(samples, name)
    if not torch.is_tensor(samples) or samples.ndim < 2 or not samples.is_floating_point():
        shape = tuple(samples.shape) if torch.is_tensor(samples) else type(samples).__name__
        raise ValueError(f"{name} must be a float tensor with the batch first, (B, d) points or "
                         f"(B, C, H, W) images, got {shape}; call .float() and add a batch axis.")
    return samples


def refuse_byte_pixels(images: Tensor, who: str) -> None:
    """A clear error for 8-bit pixels, [0, 255] (whole numbers past 1), given to ``who``, which
    takes floats in [-1, 1]: they would give numbers, all wrong, with no error."""
    if not images.is_floating_point():
        raise TypeError(f"{who} takes float pixels in [-1, 1], got {images.dtype}; load them with "
                        "load_images(..., pixels='gan').")
    if images.numel() and images.max() > 1 and torch.equal(images, images.round()):
        raise ValueError(f"{who} takes pixels in [-1, 1], got whole numbers up to "
                         f"{float(images.max()):g}, pixels in [0, 255]; load them with "
                         "load_images(..., pixels='gan').")


def check_rng(rng) -> torch.Generator | None:
    """``rng`` if it is a torch.Generator or None (the global generator)."""
    if rng is not None and not isinstance(rng, torch.Generator):
        raise TypeError(f"rng must be a torch.Generator or None, got {type(rng).__name__}; for a "
                        "seed, pass torch.Generator().manual_seed(seed).")
    return rng


def check_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int if it is an integer >= ``minimum`` (a bool is not an integer here;
    NumPy integers are)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value!r}.")
    return int(value)


def check_number(value, name: str, minimum: float = 0.0, strict: bool = True) -> float:
    """``value`` as a float if it is a finite number > ``minimum`` (>= when strict=False)."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value > minimum if strict else value >= minimum))
    if not ok:
        relation = ">" if strict else ">="
        wanted = "a positive number" if (strict and minimum == 0) else f"a number {relation} {minimum}"
        raise ValueError(f"{name} must be {wanted}, got {value!r}.")
    return float(value)


def from_registry(registry: dict, choice, kind: str):
    """``choice`` itself if it is a function, else ``registry[choice]``; an unknown name
    gets an error that lists the choices. Losses, scoring rules, f-divergences and
    penalties are all chosen by name through this one lookup."""
    if callable(choice):
        return choice
    if choice not in registry:
        raise ValueError(f"unknown {kind} {choice!r}; choose one of {', '.join(registry)}.")
    return registry[choice]
