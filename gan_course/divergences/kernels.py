"""Gaussian kernels, shared by the uLSIF ratio fit and the MMD (lesson 03).

The Gaussian (radial basis function) kernel of bandwidth σ compares two points by
their distance:

    k(x, y) = exp(−‖x − y‖² / (2σ²)),

1 when x = y and falling towards 0 as they move apart, on the scale σ. A sum over
several bandwidths, k(x, y) = Σ_s exp(−‖x − y‖² / (2σ_s²)), sees differences at
several scales at once.

- ``gaussian_kernel_matrix``: one σ, every point against every centre; uLSIF's basis.
- ``gaussian_kernel``: a sum over bandwidths, every pair of two samples; the MMD's kernel.
- ``median_distance``, ``as_bandwidths``: the median heuristic, σ = the median
  distance between the points, for when no bandwidth is given.
"""

from __future__ import annotations

from typing import Sequence

import torch

from gan_course.ratio import as_points
from gan_course.validation import check_number

Tensor = torch.Tensor


def squared_distances(x: Tensor, y: Tensor) -> Tensor:
    """‖x_i − y_j‖² for every pair: (n, m), clamped at 0 against rounding."""
    return (x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1) - 2.0 * x @ y.T).clamp_min(0.0)


# exp(−80) ≈ 2e−35 is still a normal float32. Without this floor, far pairs give
# subnormal results, which the CPU computes up to 40 times more slowly.
LARGEST_EXPONENT = 80.0


def gaussian_of_distances(squared: Tensor, bandwidth: float) -> Tensor:
    """exp(−d² / (2σ²)) elementwise, with the exponent capped at ``LARGEST_EXPONENT``."""
    return torch.exp(-(squared / (2.0 * bandwidth**2)).clamp(max=LARGEST_EXPONENT))


def gaussian_kernel_matrix(x: Tensor, centres: Tensor, bandwidth: float) -> Tensor:
    """K_il = exp(−‖x_i − c_l‖² / (2σ²)): (n, b)."""
    check_number(bandwidth, "the kernel bandwidth σ")
    return gaussian_of_distances(squared_distances(x, centres), bandwidth)


def median_distance(x: Tensor, max_points: int = 1000) -> float:
    """The median of ‖x_i − x_j‖ over pairs i < j (of at most ``max_points`` points, evenly
    spaced in x): the median heuristic for a Gaussian kernel's bandwidth."""
    x = as_points(x)
    if x.shape[0] < 2:
        raise ValueError("the median heuristic needs at least two points.")
    if x.shape[0] > max_points:
        x = x[torch.linspace(0, x.shape[0] - 1, max_points).long()]
    distances = squared_distances(x, x).sqrt()
    upper = torch.triu_indices(x.shape[0], x.shape[0], offset=1)
    median = float(distances[upper[0], upper[1]].median())
    if median <= 0:
        raise ValueError("the points coincide (median distance 0); give the bandwidth yourself.")
    return median


def as_bandwidths(bandwidths, x: Tensor | None = None, y: Tensor | None = None) -> tuple[float, ...]:
    """Bandwidths as a tuple of positive numbers; None gives the median heuristic,
    σ = the median distance between the pooled points of x and y."""
    if bandwidths is None:
        if x is None or y is None:
            raise ValueError("give the bandwidths, or the samples for the median heuristic.")
        return (median_distance(torch.cat([x.detach(), y.detach()])),)
    if isinstance(bandwidths, (int, float)):
        bandwidths = (bandwidths,)
    if isinstance(bandwidths, str):
        raise ValueError(f"bandwidths must be a number, a list of numbers, or None for the median "
                         f"heuristic, got {bandwidths!r}.")
    bandwidths = tuple(check_number(s, "every bandwidth σ") for s in bandwidths)
    if not bandwidths:
        raise ValueError("give at least one bandwidth, or None for the median heuristic.")
    return bandwidths


def gaussian_kernel(x: Tensor, y: Tensor, bandwidths: Sequence[float] | float) -> Tensor:
    """k(x_i, y_j) = Σ_s exp(−‖x_i − y_j‖² / (2σ_s²)) for every pair: (m, n)."""
    distances = squared_distances(x, y)
    return sum(gaussian_of_distances(distances, s) for s in as_bandwidths(bandwidths))


__all__ = [
    "squared_distances", "LARGEST_EXPONENT", "gaussian_of_distances", "gaussian_kernel_matrix",
    "median_distance", "as_bandwidths", "gaussian_kernel",
]
