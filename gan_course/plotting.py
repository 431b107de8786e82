"""Figures shared by the lessons."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

REAL_COLOUR = "tab:blue"   # p*, the data
FAKE_COLOUR = "tab:orange"  # q, the model or the simulator


def shade_densities(ax, x: torch.Tensor, p, q, labels=("p*(x)", "q(x)")) -> None:
    """Shade the densities of p* and q under the current plot, on a second y axis."""
    densities = ax.twinx()
    x_flat = x.reshape(-1)
    for dist, colour, label in ((p, REAL_COLOUR, labels[0]), (q, FAKE_COLOUR, labels[1])):
        densities.fill_between(x_flat, dist.log_prob(x).exp(), color=colour, alpha=0.15, label=label)
    densities.set_ylim(bottom=0)
    densities.set_yticks([])
    densities.grid(False)
    densities.legend(loc="upper left", fontsize=8, frameon=False)


def plot_log_ratio_1d(ax, x: torch.Tensor, true: torch.Tensor, estimated: torch.Tensor | None = None,
                      p=None, q=None, title: str = "", bulk_threshold: float | None = None) -> None:
    """log r(x) (black) and an estimate (red) on a grid, with p* and q shaded behind."""
    x_flat = x.reshape(-1)
    ax.plot(x_flat, true, color="black", lw=2, label="true log r")
    if estimated is not None:
        ax.plot(x_flat, estimated, color="tab:red", lw=1.5, ls="--", label="estimate")
    if bulk_threshold is not None:
        outside = true.abs() > bulk_threshold
        ax.fill_between(x_flat, 0, 1, where=outside, transform=ax.get_xaxis_transform(),
                        color="grey", alpha=0.12, lw=0, label="outside the bulk")
    if p is not None and q is not None:
        shade_densities(ax, x, p, q)
    ax.set_xlabel("x")
    ax.set_ylabel("log r(x)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)


def grid_2d(low: float, high: float, points: int = 100) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A square grid: returns (X, Y, xy) with xy of shape (points², 2) for evaluating functions."""
    ticks = torch.linspace(low, high, points)
    grid_x, grid_y = torch.meshgrid(ticks, ticks, indexing="xy")
    return grid_x, grid_y, torch.stack([grid_x.reshape(-1), grid_y.reshape(-1)], dim=1)


def contour_2d(ax, grid_x, grid_y, values: torch.Tensor, levels, title: str = "", real=None, fake=None):
    """Filled contours of ``values`` on the grid, with optional real and simulated samples on top."""
    filled = ax.contourf(grid_x, grid_y, values.reshape(grid_x.shape), levels=levels,
                         cmap="RdBu_r", extend="both")
    ax.contour(grid_x, grid_y, values.reshape(grid_x.shape), levels=[0.0], colors="black", linewidths=1)
    for sample, colour in ((real, REAL_COLOUR), (fake, FAKE_COLOUR)):
        if sample is not None:
            ax.scatter(sample[:, 0], sample[:, 1], s=2, color=colour, alpha=0.4)
    ax.set_title(title)
    ax.set_aspect("equal")
    return filled


def row_of_axes(n: int, width: float = 3.6, height: float = 3.2):
    """n side-by-side axes."""
    fig, axes = plt.subplots(1, n, figsize=(width * n, height), squeeze=False)
    return fig, list(axes[0])
