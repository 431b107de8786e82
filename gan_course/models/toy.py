"""Small multilayer perceptrons for 1D and 2D toy problems."""

from __future__ import annotations

from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}


def mlp(in_dim: int, out_dim: int, width: int = 64, depth: int = 2, activation: str = "relu") -> nn.Sequential:
    """in_dim → [Linear(width) → activation] × depth → Linear(out_dim)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    if min(in_dim, out_dim, width) < 1 or depth < 0:
        raise ValueError(f"need positive dimensions and depth >= 0, got in_dim={in_dim}, "
                         f"out_dim={out_dim}, width={width}, depth={depth}.")
    layers, previous = [], in_dim
    for _ in range(depth):
        layers += [nn.Linear(previous, width), ACTIVATIONS[activation]()]
        previous = width
    layers.append(nn.Linear(previous, out_dim))
    return nn.Sequential(*layers)
