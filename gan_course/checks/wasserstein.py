"""Checks for lesson 05 (the Wasserstein distance): W in 1D and 2D, WGAN-GP interpolates, rankings."""

from __future__ import annotations

import torch

from gan_course import metrics
from gan_course.checks.core import as_number, call, close, failed

Tensor = torch.Tensor


def _rng(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- W in 1D

_VISIBLE_1D = [
    (torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.4, 1.4, 2.4])),       # a shift by 0.4
    (torch.tensor([3.0, -1.0, 0.5, 2.0]), torch.tensor([0.0, 0.0, 4.0, 1.0])),
]


def _hidden_1d():
    rng = _rng(11)
    return [(torch.randn(200, generator=rng), 2.0 * torch.randn(200, generator=rng) + 1.0),
            (torch.rand(50, generator=rng), torch.rand(50, generator=rng) - 3.0)]


def _hint_1d(got: float, x: Tensor, y: Tensor) -> str:
    if close(got, float((x - y).abs().mean())):
        return ("you paired the points in the order given; sort both samples first: in 1D the "
                "optimal plan matches the i-th smallest x with the i-th smallest y")
    if close(got, abs(float(x.mean() - y.mean()))):
        return ("that is the distance between the means, only a lower bound on W; average the "
                "gaps |x_(i) - y_(i)| between the sorted samples instead")
    if close(got, float(((x.sort().values - y.sort().values) ** 2).mean())):
        return "average the absolute gaps, not their squares (squares give W₂², another distance)"
    if close(got, float((x.sort().values - y.sort(descending=True).values).abs().mean())):
        return ("sort both samples the same way: the plan pairs the smallest x with the smallest y, "
                "not with the largest")
    if close(got, float((x.sort().values - y.sort().values).abs().sum())):
        return "take the mean of the gaps, not their sum: each point carries mass 1/n"
    one_sorted = [(x.sort().values - y).abs().mean(), (x - y.sort().values).abs().mean()]
    if any(close(got, float(value)) for value in one_sorted):
        return "sort both samples, not just one: the plan pairs the points of equal rank"
    return ("in 1D the optimal plan pairs the points in order of size, the smallest with the "
            "smallest; W is the average distance they travel")


def check_wasserstein_1d(function, hidden: bool = False) -> None:
    """Compare ``function(x, y)`` with W₁ between two equal-size 1D samples."""
    name = getattr(function, "__name__", "wasserstein_1d")
    cases = _hidden_1d() if hidden else _VISIBLE_1D
    for x, y in cases:
        got = as_number(call(function, name, x.clone(), y.clone()), name)
        expected = metrics.wasserstein_1d(x, y)
        if not close(got, expected, 1e-5):
            raise failed(f"`{name}` gives {got:.6g} but W₁ is {expected:.6g} for two samples of "
                         f"{len(x)} points (x = {x[:4].tolist()}...). Hint: {_hint_1d(got, x, y)}.")
    print(f"✓ `{name}` matches W₁ on {len(cases)} {'hidden ' if hidden else ''}pairs of samples.")


# --------------------------------------------------------------------------- W in 2D


def _visible_2d():
    square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    shuffled_shift = (square + torch.tensor([0.3, -0.4]))[[2, 0, 3, 1]]  # W = 0.5
    rng = _rng(5)
    return [(square, shuffled_shift),
            (torch.randn(30, 2, generator=rng), torch.randn(30, 2, generator=rng) + 1.0)]


def _hidden_2d():
    rng = _rng(13)
    return [(torch.randn(120, 2, generator=rng) * torch.tensor([2.0, 0.5]),
             torch.rand(120, 2, generator=rng) * 3.0),
            (torch.randn(7, 2, generator=rng), torch.randn(7, 2, generator=rng))]


def _hint_2d(got: float, x: Tensor, y: Tensor) -> str:
    x64, y64 = x.double(), y.double()
    if close(got, float((x64 - y64).norm(dim=1).mean())):
        return ("you paired x_i with y_i in the order given; find the best pairing with "
                "linear_sum_assignment on the cost matrix torch.cdist(x, y)")
    squared = torch.cdist(x64, y64) ** 2
    from scipy.optimize import linear_sum_assignment

    rows, columns = linear_sum_assignment(squared.numpy())
    if close(got, float(squared.numpy()[rows, columns].mean())):
        return "use the Euclidean distance ‖x - y‖ as the cost, not its square"
    per_axis = float((x64.sort(dim=0).values - y64.sort(dim=0).values).norm(dim=1).mean())
    if close(got, per_axis):
        return ("sorting each coordinate separately is not a transport plan in 2D; solve the "
                "assignment problem on the matrix of distances")
    if close(got, metrics.exact_wasserstein(x, y) * len(x)):
        return "take the mean cost of the assigned pairs, not their sum"
    distances = torch.cdist(x64, y64)
    nearest = [distances.min(dim=1).values.mean(), distances.min(dim=0).values.mean()]
    if any(close(got, float(value)) for value in nearest):
        return ("sending every point to its nearest neighbour is not a transport plan: several points "
                "may share one partner; each point of y must receive exactly one point of x")
    return ("an optimal plan is a one-to-one pairing of the two samples that makes the average "
            "distance as small as possible; linear_sum_assignment finds it")


def check_exact_wasserstein(function, hidden: bool = False) -> None:
    """Compare ``function(x, y)`` with the exact W₁ between two equal-size 2D samples."""
    name = getattr(function, "__name__", "exact_wasserstein")
    cases = _hidden_2d() if hidden else _visible_2d()
    for x, y in cases:
        got = as_number(call(function, name, x.clone(), y.clone()), name)
        expected = metrics.exact_wasserstein(x, y)
        if not close(got, expected, 1e-5):
            raise failed(f"`{name}` gives {got:.6g} but the exact W₁ is {expected:.6g} for two "
                         f"samples of {len(x)} points in 2D. Hint: {_hint_2d(got, x, y)}.")
    print(f"✓ `{name}` matches the exact W₁ on {len(cases)} {'hidden ' if hidden else ''}"
          "pairs of 2D samples.")


# --------------------------------------------------------------------------- interpolates


def _interpolation_weights(points: Tensor, real: Tensor, fake: Tensor) -> tuple[Tensor, float]:
    """ε_i such that points ≈ fake + ε (real − fake), and the largest distance off that line."""
    direction = real - fake
    epsilon = ((points - fake) * direction).sum(dim=1) / (direction**2).sum(dim=1)
    off_line = float((points - fake - epsilon[:, None] * direction).norm(dim=1).max())
    return epsilon, off_line


def check_interpolates(function, hidden: bool = False) -> None:
    """Check ``function(real, fake, rng)``: one random point per pair, on its segment."""
    name = getattr(function, "__name__", "interpolates")
    seeds = (21, 22) if hidden else (1, 2)
    data_rng = _rng(seeds[0])
    real = torch.randn(256, 2, generator=data_rng) + torch.tensor([2.0, 1.0])
    fake = torch.randn(256, 2, generator=data_rng) * 0.5
    points = call(function, name, real, fake, _rng(seeds[1]))
    if not torch.is_tensor(points) or points.shape != real.shape:
        raise failed(f"`{name}` should return a tensor of shape {tuple(real.shape)} (one point per "
                     f"pair), got {getattr(points, 'shape', type(points).__name__)}.")
    points = points.detach().float()
    epsilon, off_line = _interpolation_weights(points, real, fake)
    if off_line > 1e-4:
        raise failed(f"`{name}`'s points are not on the segments between real_i and fake_i (one is "
                     f"{off_line:.3g} off its line). Hint: draw ONE ε per pair, shape (B, 1), not "
                     "one per coordinate, so that x̂ = ε x + (1 - ε) x̃ stays on the segment.")
    if float(epsilon.min()) < -1e-4 or float(epsilon.max()) > 1 + 1e-4:
        raise failed(f"`{name}`'s points leave the segments (ε ranges over [{float(epsilon.min()):.2f}, "
                     f"{float(epsilon.max()):.2f}]). Hint: each ε is a mixing weight between 0 and 1, "
                     "drawn uniformly.")
    if float(epsilon.std()) < 0.1:
        raise failed(f"`{name}` uses (almost) the same ε for every pair (std {float(epsilon.std()):.3f}). "
                     "Hint: draw a fresh ε for every pair, from the rng you are given.")
    if abs(float(epsilon.mean()) - 0.5) > 0.1:
        raise failed(f"`{name}`'s ε average {float(epsilon.mean()):.2f}, not about 0.5: they do not "
                     "look uniform on [0, 1]. Hint: use torch.rand, not torch.randn.")
    again = call(function, name, real, fake, _rng(seeds[1]))
    other = call(function, name, real, fake, _rng(seeds[1] + 100))
    if not torch.equal(torch.as_tensor(again).detach().float(), points):
        raise failed(f"`{name}` gave different points for the same seeded rng. Hint: draw ε "
                     "with generator=rng, not from torch's global random state.")
    if torch.equal(torch.as_tensor(other).detach().float(), points):
        raise failed(f"`{name}` gave the same points for differently seeded rngs. Hint: draw "
                     "ε with generator=rng.")
    print(f"✓ `{name}` puts one uniform point on each real-fake segment, drawn from the given "
          "rng.")


# --------------------------------------------------------------------------- rankings


def check_same_ranking(yours: dict, reference: dict, what: str = "the independent critic") -> None:
    """Check that two {model name: distance} dicts order the models the same way."""
    if set(yours) != set(reference):
        raise failed(f"your distances name the models {sorted(yours)} but the reference names "
                     f"{sorted(reference)}; compute one distance per model.")
    values = {name: as_number(value, f"the distance of {name}") for name, value in yours.items()}
    your_order = sorted(values, key=values.get)
    reference_order = sorted(reference, key=reference.get)
    if your_order != reference_order:
        raise failed(f"your distances rank the models {your_order}, but {what} ranks them "
                     f"{reference_order}. Hint: revisit Task 2 (`exact_wasserstein`): the mean distance "
                     "between the points of an optimal one-to-one pairing of the two samples.")
    print(f"✓ your exact W ranks the {len(values)} models in the same order as {what}: "
          f"{', '.join(your_order)}.")
