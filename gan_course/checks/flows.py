"""Checks for lesson 06 (Real NVP): the affine coupling layer in both directions, and bits/dim.

The learner's coupling is compared with ``gan_course.models.realnvp.AffineCoupling`` itself:
each case is a coupling with random weights (its zero-initialised last layer would make s = t = 0
and test nothing), and the learner gets its s(·) and t(·) as plain functions of b⊙x. Bits/dim is
compared with ``gan_course.metrics.likelihood.bits_per_dim``.
"""

from __future__ import annotations

import math

import torch

from gan_course.checks.core import call, failed
from gan_course.metrics.likelihood import BYTE_LEVELS, bits_per_dim
from gan_course.models.realnvp import AffineCoupling, coupling_mlp

Tensor = torch.Tensor


def _same(got: Tensor, expected: Tensor) -> bool:
    return bool(got.shape == expected.shape and torch.isfinite(got).all()
                and torch.allclose(got.double(), expected.double(), rtol=1e-6, atol=1e-9))


def _as_tensor(value, name: str, what: str) -> Tensor:
    if not torch.is_tensor(value):
        raise failed(f"`{name}` returned {type(value).__name__} for {what}; it should be a tensor.")
    return value.detach()


# --------------------------------------------------------------------------- the coupling layer


def _random_coupling(mask: Tensor, seed: int) -> AffineCoupling:
    """An AffineCoupling over points (B, d) with every weight drawn from N(0, 0.5²), in float64."""
    dim = mask.numel()
    coupling = AffineCoupling(mask, coupling_mlp(dim, 8, 2), dim).double()
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in coupling.parameters():
            parameter.copy_(0.5 * torch.randn(parameter.shape, generator=rng, dtype=torch.float64))
    return coupling


def _s_and_t(coupling: AffineCoupling):
    """The coupling's s(·) and t(·) as functions the learner calls, (B, d) → (B, d)."""

    @torch.no_grad()
    def s(masked: Tensor) -> Tensor:
        return coupling.scale_and_shift(masked)[0]

    @torch.no_grad()
    def t(masked: Tensor) -> Tensor:
        return coupling.scale_and_shift(masked)[1]

    return s, t


def _coupling_cases(hidden: bool) -> list[tuple[str, Tensor, Tensor, AffineCoupling]]:
    """(where, points (B, d), mask b (d,), coupling): a half mask and an alternating one."""
    rng = torch.Generator().manual_seed(61 if hidden else 53)
    masks = ([("5 coordinates, b = (0, 0, 0, 1, 1)", torch.tensor([0.0, 0, 0, 1, 1])),
              ("5 coordinates, b = (1, 0, 1, 0, 1)", torch.tensor([1.0, 0, 1, 0, 1]))] if hidden else
             [("4 coordinates, b = (1, 1, 0, 0)", torch.tensor([1.0, 1, 0, 0])),
              ("4 coordinates, b = (0, 1, 0, 1)", torch.tensor([0.0, 1, 0, 1]))])
    cases = []
    for index, (where, mask) in enumerate(masks):
        points = torch.randn(6, mask.numel(), generator=rng, dtype=torch.float64)
        cases.append((where, points, mask.double(), _random_coupling(mask, 100 * (index + 1) + int(hidden))))
    return cases


def _encode_y_hint(y: Tensor, x: Tensor, b: Tensor, s, t) -> str:
    kept = b * x
    candidates = [
        (b * x + (1 - b) * (x * torch.exp(-s(kept)) + t(kept)),
         "encode stretches by exp(+s): y = b⊙x + (1 − b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x)); exp(−s) belongs "
         "to the inverse, the generator direction"),
        (b * x + (1 - b) * (x * torch.exp(s(x)) + t(x)),
         "s and t must see only b⊙x, the coordinates that pass through unchanged; computed from all "
         "of x, the layer could not be inverted (the generator would need the x it is computing)"),
        (b * x + (1 - b) * ((x + t(kept)) * torch.exp(s(kept))),
         "scale first, then shift: x⊙exp(s) + t, not (x + t)⊙exp(s)"),
        ((1 - b) * x + b * (x * torch.exp(s((1 - b) * x)) + t((1 - b) * x)),
         "the coordinates where b = 1 pass through unchanged and condition s and t; those where "
         "b = 0 are transformed"),
        ((1 - b) * (x * torch.exp(s(kept)) + t(kept)),
         "y keeps b⊙x: the coordinates where b = 1 are copied, not set to 0"),
    ]
    for wrong, hint in candidates:
        if _same(y, wrong):
            return hint
    return ("work elementwise: the coordinates where b = 1 are copied, and the others are scaled by "
            "exp(s) and then shifted by t, both computed from the copied part only")


def _log_det_hint(log_det: Tensor, x: Tensor, b: Tensor, s) -> str:
    scale = s(b * x)
    expected = ((1 - b) * scale).sum(1)
    candidates = [
        (scale.sum(1),
         "only the coordinates where b = 0 are scaled; the copied ones have Jacobian entries 1 and "
         "add nothing, so multiply s by (1 − b) before summing"),
        (-expected,
         "the sign: encode multiplies by exp(s), so log |det ∂y/∂x| = +Σ (1 − b)⊙s"),
        (((1 - b) * scale).mean(1),
         "the log-determinant is a sum over the coordinates, not a mean"),
        (((1 - b) * torch.exp(scale)).sum(1),
         "each scaled coordinate contributes the log of its factor exp(s), which is s itself"),
        ((b * scale).sum(1),
         "the log-determinant sums s over the transformed coordinates, where b = 0: use (1 − b)"),
    ]
    for wrong, hint in candidates:
        if _same(log_det, wrong):
            return hint
    return "log |det ∂y/∂x| = Σ (1 − b)⊙s(b⊙x), one number per example (sum over the coordinates)"


def check_coupling_encode(function, hidden: bool = False) -> None:
    """``function(x, b, s, t)`` → (y, log_det): y = b⊙x + (1 − b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x)) and
    log_det = Σ (1 − b)⊙s(b⊙x), one number per row of x (B, d)."""
    name = getattr(function, "__name__", "coupling_encode")
    for where, x, b, coupling in _coupling_cases(hidden):
        s, t = _s_and_t(coupling)
        result = call(function, name, x.clone(), b.clone(), s, t)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise failed(f"`{name}` should return a pair (y, log_det), got {type(result).__name__}.")
        y, log_det = _as_tensor(result[0], name, "y"), _as_tensor(result[1], name, "log_det")
        with torch.no_grad():
            expected_y, expected_log_det = coupling.encode(x)
        if y.shape != x.shape:
            raise failed(f"`{name}` returns y of shape {tuple(y.shape)} for x of shape {tuple(x.shape)} "
                         f"({where}). Hint: the coupling maps each point to a point of the same size.")
        if not _same(y, expected_y):
            raise failed(f"`{name}` gives the wrong y for {where}. Hint: {_encode_y_hint(y, x, b, s, t)}.")
        if log_det.shape == x.shape:
            raise failed(f"`{name}` returns log_det of shape {tuple(log_det.shape)}, one value per "
                         f"coordinate ({where}). Hint: the log-determinant is one number per example: "
                         "sum (1 − b)⊙s over the coordinates, giving shape (B,).")
        if log_det.shape != expected_log_det.shape:
            raise failed(f"`{name}` returns log_det of shape {tuple(log_det.shape)}; it should have shape "
                         f"{tuple(expected_log_det.shape)}, one number per example ({where}).")
        if not _same(log_det, expected_log_det):
            raise failed(f"`{name}` gives y right but log_det {_first(log_det)} where it is "
                         f"{_first(expected_log_det)} for the first point ({where}). "
                         f"Hint: {_log_det_hint(log_det, x, b, s)}.")
    print(f"✓ `{name}` matches Real NVP's affine coupling, y and log|det|"
          f"{' (hidden inputs)' if hidden else ''}.")


def _first(values: Tensor) -> str:
    return f"{float(values.flatten()[0]):.4f}"


def _inverse_hint(x: Tensor, y: Tensor, b: Tensor, s, t) -> str:
    kept = b * y
    candidates = [
        (b * y + (1 - b) * (y * torch.exp(-s(kept)) - t(kept)),
         "subtract t before undoing the scale: encode scaled, then shifted, so the inverse "
         "shifts back first, (y − t)⊙exp(−s)"),
        (b * y + (1 - b) * (y - t(kept)) * torch.exp(s(kept)),
         "undoing the scale divides by exp(s): multiply by exp(−s), not exp(+s)"),
        (b * y + (1 - b) * (y - t(y)) * torch.exp(-s(y)),
         "s and t must be computed from b⊙y, which equals b⊙x, the part the generator already "
         "knows; from all of y they are not the s and t that encode used"),
        (b * y + (1 - b) * (y + t(kept)) * torch.exp(-s(kept)),
         "the inverse subtracts the shift t that encode added"),
        ((1 - b) * y + b * (y - t((1 - b) * y)) * torch.exp(-s((1 - b) * y)),
         "the coordinates where b = 1 pass through unchanged and condition s and t; those where "
         "b = 0 are transformed back"),
        ((1 - b) * (y - t(kept)) * torch.exp(-s(kept)),
         "x keeps b⊙y: the coordinates where b = 1 are copied, not set to 0"),
    ]
    for wrong, hint in candidates:
        if _same(x, wrong):
            return hint
    return ("undo encode's steps in reverse order: the copied part b⊙y equals b⊙x, so it gives the "
            "same s and t; then undo the shift, then the scaling, on the other coordinates")


def check_coupling_inverse(function, hidden: bool = False) -> None:
    """``function(y, b, s, t)`` → x = b⊙y + (1 − b)⊙((y − t(b⊙y))⊙exp(−s(b⊙y))), the generator
    direction, which undoes the encode direction exactly."""
    name = getattr(function, "__name__", "coupling_inverse")
    for where, y, b, coupling in _coupling_cases(hidden):
        s, t = _s_and_t(coupling)
        x = _as_tensor(call(function, name, y.clone(), b.clone(), s, t), name, "x")
        with torch.no_grad():
            expected = coupling(y)
        if x.shape != y.shape:
            raise failed(f"`{name}` returns x of shape {tuple(x.shape)} for y of shape {tuple(y.shape)} "
                         f"({where}). Hint: the coupling maps each point to a point of the same size.")
        if not _same(x, expected):
            raise failed(f"`{name}` does not undo the coupling for {where}: encoding its x does not give "
                         f"back y. Hint: {_inverse_hint(x, y, b, s, t)}.")
    print(f"✓ `{name}` inverts Real NVP's affine coupling exactly{' (hidden inputs)' if hidden else ''}.")


# --------------------------------------------------------------------------- bits per dimension


def _bits_cases(hidden: bool) -> list[tuple[str, Tensor, int, float]]:
    """(where, log p(y) in nats (N,), D, Δ), built from chosen bits/dim so that they are sensible."""
    rng = torch.Generator().manual_seed(71 if hidden else 67)
    settings = ([("32×32 grey images in [0, 1)", 1024, 1 / BYTE_LEVELS, 1.5, 4.0),
                 ("64×64 colour images in [−1, 1)", 12288, 2 / BYTE_LEVELS, 3.0, 5.0),
                 ("bytes themselves (Δ = 1)", 16, 1.0, 2.0, 7.0)] if hidden else
                [("28×28 digits in [0, 1)", 784, 1 / BYTE_LEVELS, 1.0, 3.0),
                 ("32×32 colour images in [−1, 1)", 3072, 2 / BYTE_LEVELS, 3.0, 5.0),
                 ("8×8 digits in [−1, 1), a model worse than uniform", 64, 2 / BYTE_LEVELS, 9.0, 12.0)])
    cases = []
    for where, dims, bin_width, low, high in settings:
        bits = low + (high - low) * torch.rand(5, generator=rng, dtype=torch.float64)
        log_likelihood = -(bits * dims * math.log(2.0) + dims * math.log(bin_width))
        cases.append((where, log_likelihood, dims, bin_width))
    return cases


def _bits_hint(got: Tensor, log_likelihood: Tensor, dims: int, bin_width: float) -> str:
    right = bits_per_dim(log_likelihood, dims, bin_width)
    jacobian = dims * math.log(bin_width)
    candidates = [
        (-log_likelihood / (dims * math.log(2.0)),
         f"the D log Δ term is missing (yours are {-math.log2(bin_width):.0f} bits/dim too low): "
         "log p(y) is a density over the rescaled pixels y, and D log Δ turns it into the "
         "probability of the bytes"),
        (-(log_likelihood - jacobian) / (dims * math.log(2.0)),
         "the D log Δ term has the wrong sign: the bytes' probability is about p(y)·Δ^D, so "
         "log P = log p(y) + D log Δ"),
        (-(log_likelihood + math.log(bin_width)) / (dims * math.log(2.0)),
         "every one of the D dimensions is rescaled by Δ, so the term is D log Δ, not log Δ"),
        (right * math.log(2.0),
         "that is nats per dimension: the log-likelihood is in nats, so divide by ln 2 for bits"),
        (-right, "the sign: bits/dim is a negative log-likelihood, so a likelier image costs fewer bits"),
        (right * dims,
         "that is bits per image: divide by D, the number of pixel values, for bits per dimension"),
        (right / dims, "you divide by D twice: divide the whole −(log p(y) + D log Δ)/ln 2 by D once"),
    ]
    for wrong, hint in candidates:
        if _same(got, wrong):
            return hint
    return "bits/dim = −(log p(y) + D log Δ)/(D ln 2), computed for each image"


def _width(bin_width: float) -> str:
    levels = bin_width * BYTE_LEVELS
    return f"{round(levels)}/{BYTE_LEVELS}" if abs(levels - round(levels)) < 1e-9 else f"{bin_width:.4g}"


def check_bits_per_dim(function, hidden: bool = False) -> None:
    """``function(log_likelihood, dims, bin_width)`` → −(log p(y) + D log Δ)/(D ln 2) per image,
    for log-likelihoods (N,) in nats of dequantised images of D pixel values, Δ the width of one
    of the 256 byte levels in the units of y."""
    name = getattr(function, "__name__", "bits_per_dim")
    for where, log_likelihood, dims, bin_width in _bits_cases(hidden):
        value = call(function, name, log_likelihood.clone(), dims, bin_width)
        if isinstance(value, (list, tuple, float, int)):
            value = torch.as_tensor(value, dtype=torch.float64)
        got = _as_tensor(value, name, "bits/dim")
        expected = bits_per_dim(log_likelihood, dims, bin_width)
        if got.shape != expected.shape:
            raise failed(f"`{name}` returns shape {tuple(got.shape)} for {len(log_likelihood)} "
                         f"log-likelihoods ({where}). Hint: give one bits/dim per image, shape "
                         f"{tuple(expected.shape)}; do not average over the images.")
        if not _same(got, expected):
            raise failed(f"`{name}` gives {_first(got)} bits/dim where the answer is {_first(expected)} "
                         f"for {where} (D = {dims}, Δ = {_width(bin_width)}). "
                         f"Hint: {_bits_hint(got.double(), log_likelihood, dims, bin_width)}.")
    print(f"✓ `{name}` matches the course's bits/dim, Jacobian term included"
          f"{' (hidden inputs)' if hidden else ''}.")


__all__ = ["check_coupling_encode", "check_coupling_inverse", "check_bits_per_dim"]
