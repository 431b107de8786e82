"""Metrics for generators on 2D toy data: mode coverage and grid divergences.

The model density q_θ of a GAN is unknown (G_θ only samples), so these
metrics work from samples x = G_θ(z):

- ``mode_coverage``: for mixtures with known modes (ring of 8, grid of 25),
  how many modes the samples reach and how many samples are good.
- ``grid_divergences``: KL and JS between the data density p* and a histogram
  of the samples, both as masses on the same square grid of cells.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

Tensor = torch.Tensor


def _check_samples(samples, dim: int = 2) -> Tensor:
    samples = torch.as_tensor(samples)
    if samples.ndim != 2 or samples.shape[1] != dim:
        raise ValueError(f"expected samples of shape (n, {dim}), got {tuple(samples.shape)}; "
                         f"reshape with .reshape(-1, {dim}).")
    return samples


def mode_coverage(samples: Tensor, modes: Tensor, mode_std,
                  threshold: float = 3.0) -> tuple[int, float]:
    """(modes covered, share of high-quality samples), the rule of VEEGAN and Unrolled GAN.

    Each sample x is assigned to its nearest mode k(x) = argmin_k ‖x − μ_k‖. It is
    *high quality* if it lies within ``threshold`` standard deviations of that mode,

        ‖x − μ_k(x)‖ ≤ threshold · σ_k(x),

    and a mode is *covered* if at least one high-quality sample is assigned to it
    (Srivastava et al. 2017, VEEGAN; the ring and grid of Metz et al. 2017).
    Note that even exact samples of a 2D Gaussian fall within 3σ only with
    probability 1 − e^{−9/2} ≈ 0.989, so a perfect generator scores ≈ 0.99.

    samples: (n, d); modes: (K, d); mode_std: a number or (K,) standard deviations.
    """
    modes = torch.as_tensor(modes, dtype=torch.float32)
    samples = _check_samples(samples, modes.shape[1]).to(torch.float32)
    mode_std = torch.as_tensor(mode_std, dtype=torch.float32).reshape(-1).expand(modes.shape[0])
    distances = torch.cdist(samples, modes)  # (n, K)
    nearest_distance, nearest = distances.min(dim=1)
    high_quality = nearest_distance <= threshold * mode_std[nearest]
    covered = torch.unique(nearest[high_quality]).numel()
    return int(covered), float(high_quality.float().mean())


def as_extent(extent) -> tuple[float, float, float, float]:
    """(low, high) for a square, or (x_low, x_high, y_low, y_high)."""
    extent = tuple(float(v) for v in extent)
    if len(extent) == 2:
        extent = extent + extent
    if len(extent) != 4 or extent[0] >= extent[1] or extent[2] >= extent[3]:
        raise ValueError(f"extent must be (low, high) or (x_low, x_high, y_low, y_high) with "
                         f"low < high, got {extent}.")
    return extent


def cell_centres(extent, bins: int, subdivisions: int = 1) -> tuple[Tensor, Tensor]:
    """The centres of a bins×bins grid of cells over ``extent``, as (x, y) meshgrids.

    With ``subdivisions`` s > 1 every cell is split into s×s smaller cells, giving
    (bins·s)×(bins·s) centres. Row i holds one y value ('xy' indexing).
    """
    x_low, x_high, y_low, y_high = as_extent(extent)
    n = bins * subdivisions
    xs = x_low + (torch.arange(n, dtype=torch.float64) + 0.5) * (x_high - x_low) / n
    ys = y_low + (torch.arange(n, dtype=torch.float64) + 0.5) * (y_high - y_low) / n
    return torch.meshgrid(xs, ys, indexing="xy")


def density_on_cells(log_prob: Callable[[Tensor], Tensor], extent, bins: int,
                     subdivisions: int = 5) -> Tensor:
    """The masses p_c that a density puts on each of bins×bins cells, summing to 1.

    p_c ∝ ∫_cell p*(x) dx, approximated by the mean density over s×s points per
    cell (s = ``subdivisions``). Point values at the cell centres alone would
    miss narrow modes (the ring's σ = 0.02 is smaller than a cell); the sum of a
    Gaussian over a lattice of spacing h ≲ 2σ is accurate to about e^{−2π²σ²/h²}.
    The masses are renormalised over the grid: mass outside ``extent`` is dropped.
    Returns a (bins, bins) tensor indexed [y cell, x cell].
    """
    grid_x, grid_y = cell_centres(extent, bins, subdivisions)
    points = torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)
    log_density = torch.as_tensor(log_prob(points), dtype=torch.float64).reshape(grid_x.shape)
    # subtracting the maximum before exp keeps narrow, tall densities finite
    density = torch.exp(log_density - log_density.max())
    masses = density.reshape(bins, subdivisions, bins, subdivisions).sum(dim=(1, 3))
    return masses / masses.sum()


def histogram_on_cells(samples: Tensor, extent, bins: int) -> Tensor:
    """The share of samples in each of bins×bins cells over ``extent``, summing to 1.

    Samples outside ``extent`` are counted in the nearest border cell, so a
    generator that throws samples far away still has all its mass on the grid
    (where p* has almost none). Returns a (bins, bins) tensor indexed [y cell, x cell].
    """
    samples = _check_samples(samples).to(torch.float64)
    x_low, x_high, y_low, y_high = as_extent(extent)
    column = ((samples[:, 0] - x_low) / (x_high - x_low) * bins).floor().clamp(0, bins - 1).long()
    row = ((samples[:, 1] - y_low) / (y_high - y_low) * bins).floor().clamp(0, bins - 1).long()
    counts = torch.bincount(row * bins + column, minlength=bins * bins).to(torch.float64)
    return (counts / samples.shape[0]).reshape(bins, bins)


def _kl(p: Tensor, q: Tensor) -> float:
    """Σ_c p_c log(p_c / q_c), with 0 · log 0 = 0."""
    inside = p > 0
    return float((p[inside] * (p[inside].log() - q[inside].log())).sum())


def grid_divergences(p_cells: Tensor, q_cells: Tensor, smoothing: float = 1e-3) -> dict[str, float]:
    """KL(p* ‖ q_θ) and JS(p*, q_θ) between two sets of cell masses on the same grid.

    These are *grid estimates*: p* and q_θ are replaced by their masses on
    cells, p_c (from the data density, ``density_on_cells``) and q_c (from a
    histogram of generator samples, ``histogram_on_cells``). A histogram has
    empty cells where q_θ is merely small, which would make KL infinite, so
    q is first mixed with a little of the uniform distribution u over the C cells:

        q̂ = (1 − ε) q + ε u,   ε = ``smoothing``
        KL(p ‖ q̂) = Σ_c p_c log(p_c / q̂_c)
        JS(p, q̂) = ½ KL(p ‖ m) + ½ KL(q̂ ‖ m),   m = ½ (p + q̂),   0 ≤ JS ≤ log 2

    With n samples the estimates do not reach 0 for a perfect generator (empty
    and noisy cells), so compare them between runs and over training rather
    than reading them as the exact divergences.
    """
    p = torch.as_tensor(p_cells, dtype=torch.float64)
    q = torch.as_tensor(q_cells, dtype=torch.float64)
    if p.shape != q.shape:
        raise ValueError(f"p_cells and q_cells must be masses on the same grid, got shapes "
                         f"{tuple(p.shape)} and {tuple(q.shape)}.")
    if not 0.0 < smoothing < 1.0:
        raise ValueError(f"smoothing must lie strictly between 0 and 1, got {smoothing}.")
    p, q = p / p.sum(), q / q.sum()
    q = (1.0 - smoothing) * q + smoothing / q.numel()
    m = 0.5 * (p + q)
    js = 0.5 * _kl(p, m) + 0.5 * _kl(q, m)
    # rounding can push JS a hair past its bounds
    return {"kl": _kl(p, q), "js": min(max(js, 0.0), math.log(2.0))}
