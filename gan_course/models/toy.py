"""Small multilayer perceptrons for 1D and 2D toy problems.

``mlp`` builds one network; ``BatchedMLP`` holds K of them with stacked weights,
so that ``gan_course.train.train_batch`` can train K runs in one pass.
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


class BatchedMLP(nn.Module):
    """K independent MLPs evaluated at once, with their weights stacked.

    Layer i of network k computes h ← h W_i[k] + b_i[k] (then the activation),
    with W_i of shape (K, in, out) and b_i of shape (K, 1, out), so the whole
    stack maps x of shape (K, B, in_dim) to (K, B, out_dim) with one batched
    matrix product per layer (torch.baddbmm). Network k never sees network j's
    inputs or weights, so the gradient of a sum of per-network losses is each
    network's own gradient.

    Network k starts as ``mlp(in_dim, out_dim, width, depth, activation)`` would
    after ``torch.manual_seed(seeds[k])``; with ``seeds=None`` the networks are
    initialised one after another from the global random state, like K calls
    of ``mlp``.
    """

    def __init__(self, k: int, in_dim: int, out_dim: int, width: int = 64, depth: int = 2,
                 activation: str = "relu", seeds=None):
        super().__init__()
        if k < 1:
            raise ValueError(f"need at least one network, got k={k}.")
        if seeds is not None and len(seeds) != k:
            raise ValueError(f"got {len(seeds)} seeds for k={k} networks; "
                             "pass one seed per network.")
        networks = [mlp(in_dim, out_dim, width, depth, activation,
                        seed=None if seeds is None else seeds[i]) for i in range(k)]
        self._take_weights(networks, activation)

    @classmethod
    def from_mlps(cls, networks: list[nn.Sequential]) -> "BatchedMLP":
        """Stack MLPs built by ``mlp`` (same sizes and activation) into one BatchedMLP."""
        if not networks:
            raise ValueError("pass at least one network to stack.")
        shapes = {tuple(tuple(p.shape) for p in net.parameters()) for net in networks}
        if len(shapes) != 1:
            raise ValueError("the networks to stack must have the same layer sizes; build them "
                             "with the same mlp(in_dim, out_dim, width, depth).")
        activations = {_activation_name(net) for net in networks}
        if len(activations) != 1:
            raise ValueError(f"the networks to stack use different activations "
                             f"{sorted(activations)}; build them with the same activation.")
        stacked = cls.__new__(cls)
        nn.Module.__init__(stacked)
        stacked._take_weights(networks, activations.pop())
        return stacked

    def _take_weights(self, networks: list[nn.Sequential], activation: str) -> None:
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in networks]
        # nn.Linear stores W as (out, in) and computes x Wᵀ; we store Wᵀ so that x W works.
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].weight.detach().T for layers in linears])
                         .contiguous())
            for i in range(len(linears[0])))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([layers[i].bias.detach()[None, :] for layers in linears]))
            for i in range(len(linears[0])))
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]()

    @property
    def k(self) -> int:
        """The number of stacked networks."""
        return self.weights[0].shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(K, B, in_dim) → (K, B, out_dim): network k applied to x[k]."""
        if x.ndim != 3 or x.shape[0] != self.k or x.shape[2] != self.weights[0].shape[1]:
            raise ValueError(f"expected inputs of shape (K={self.k}, B, "
                             f"{self.weights[0].shape[1]}), got {tuple(x.shape)}.")
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            if i < last:
                x = self.activation(x)
        return x

    def run(self, k: int, x: torch.Tensor) -> torch.Tensor:
        """Network k alone on x of shape (B, in_dim); gradients reach only its own weights."""
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.addmm(bias[k], x, weight[k])
            if i < last:
                x = self.activation(x)
        return x

    def to_mlp(self, k: int) -> nn.Sequential:
        """A copy of network k as a plain ``mlp`` (an nn.Sequential)."""
        depth = len(self.weights) - 1
        in_dim, width = self.weights[0].shape[1:]
        out_dim = self.weights[-1].shape[2]
        network = mlp(in_dim, out_dim, width, depth, self.activation_name)
        linears = [m for m in network if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for linear, weight, bias in zip(linears, self.weights, self.biases):
                linear.weight.copy_(weight[k].T)
                linear.bias.copy_(bias[k, 0])
        return network


def _activation_name(network: nn.Sequential) -> str:
    for module in network:
        if not isinstance(module, nn.Linear):
            for name, make in ACTIVATIONS.items():
                if type(make()) is type(module):
                    return name
    return "relu"  # a network without hidden layers has no activation to apply
