"""Small multilayer perceptrons for 1D and 2D toy problems.

``mlp`` builds one network (``gan_course.batched.BatchedMLP`` stacks K of them).
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "softplus": nn.Softplus,
}


def mlp(in_dim: int, out_dim: int, width: int = 64, depth: int = 2,
        activation: str = "relu", seed: int | None = None) -> nn.Sequential:
    """in_dim → [Linear(width) → activation] × depth → Linear(out_dim).

    seed: if given, the initial weights are those drawn right after
    torch.manual_seed(seed), and the global random state is left as it was
    (seeding one network must not change what the rest of a notebook draws).
    """
    if seed is not None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return mlp(in_dim, out_dim, width, depth, activation)
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
