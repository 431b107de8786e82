"""Toy distributions with exact densities where they exist.

Every distribution has ``dim``, ``sample(n, rng=None)`` returning an
``(n, dim)`` float32 tensor (``rng``: a seeded ``torch.Generator``, or None for
torch's global random state), and, where the density is known in closed form,
``log_prob(x)`` returning an ``(n,)`` tensor. The mixtures also expose
``modes`` and ``mode_std`` so that mode coverage can be measured.

Conventions (chosen to match the papers the course reproduces):

- ``ring_of_gaussians``: 8 modes evenly spaced on a circle of radius 2, each an
  isotropic Gaussian with standard deviation 0.02 (Metz et al. 2017, Unrolled GANs).
- ``grid_of_gaussians``: 25 modes on the 5×5 grid {-4, -2, 0, 2, 4}², spacing 2,
  standard deviation 0.05 (Srivastava et al. 2017, VEEGAN).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from gan_course.validation import check_int, check_points, check_rng, from_registry

Tensor = torch.Tensor


def _as_matrix(values, name: str) -> Tensor:
    tensor = torch.as_tensor(values, dtype=torch.float64)
    if tensor.ndim == 0:
        tensor = tensor.reshape(1)
    if tensor.ndim == 1:
        tensor = tensor.reshape(1, -1)
    if tensor.ndim != 2:
        raise ValueError(f"{name} must be a number, a vector or a matrix, got shape {tuple(tensor.shape)}.")
    return tensor


class Gaussian:
    """A Gaussian N(mean, cov) in any dimension.

    Give either ``std`` (a number: isotropic, or a vector: diagonal) or a full
    ``cov`` matrix. In 1D, ``Gaussian(0.0, std=1.0)`` is N(0, 1).

    log N(x; μ, Σ) = -½ (x-μ)ᵀ Σ⁻¹ (x-μ) - ½ log det(2π Σ)
    """

    def __init__(self, mean, std=None, cov=None):
        self.mean = _as_matrix(mean, "mean").reshape(-1)
        self.dim = self.mean.numel()
        if (std is None) == (cov is None):
            raise ValueError("give exactly one of std= (a number or a vector) or cov= (a matrix).")
        if std is not None:
            std = torch.as_tensor(std, dtype=torch.float64).reshape(-1)
            if std.numel() == 1:
                std = std.expand(self.dim)
            if std.numel() != self.dim:
                raise ValueError(f"std has {std.numel()} entries but the mean has {self.dim}.")
            if not bool((std > 0).all()):
                raise ValueError(f"std must be positive, got {std.tolist()}.")
            cov = torch.diag(std**2)
        cov = torch.as_tensor(cov, dtype=torch.float64)
        if cov.ndim == 0:
            cov = cov.reshape(1, 1)
        if cov.shape != (self.dim, self.dim):
            raise ValueError(f"cov must have shape ({self.dim}, {self.dim}), got {tuple(cov.shape)}.")
        if not torch.allclose(cov, cov.T):
            raise ValueError("cov must be symmetric.")
        try:
            self._scale_tril = torch.linalg.cholesky(cov)
        except RuntimeError as error:
            raise ValueError("cov must be positive definite (all eigenvalues > 0).") from error
        self.cov = cov

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """x = μ + L ε with ε ~ N(0, I) and Σ = L Lᵀ."""
        n, rng = check_int(n, "the sample size n"), check_rng(rng)
        noise = torch.randn(n, self.dim, generator=rng, dtype=torch.float64)
        return (self.mean + noise @ self._scale_tril.T).float()

    def log_prob(self, x) -> Tensor:
        x = check_points(x, "x", dim=self.dim)
        out_dtype = x.dtype if x.is_floating_point() else torch.float32
        centred = (x.to(torch.float64) - self.mean).T
        whitened = torch.linalg.solve_triangular(self._scale_tril, centred, upper=False)
        log_det = 2.0 * torch.log(torch.diagonal(self._scale_tril)).sum()
        quadratic = (whitened**2).sum(0)
        return (-0.5 * (quadratic + log_det + self.dim * math.log(2 * math.pi))).to(out_dtype)

    def __repr__(self) -> str:
        return f"Gaussian(mean={self.mean.tolist()}, cov={self.cov.tolist()})"


class GaussianMixture:
    """A mixture Σ_k w_k N(μ_k, σ_k² I) of isotropic Gaussians.

    log p(x) = logsumexp_k [log w_k + log N(x; μ_k, σ_k² I)]
    """

    def __init__(self, means, stds, weights=None):
        self.means = _as_matrix(means, "means")
        if self.means.shape[0] == 1 and torch.as_tensor(means).ndim == 1:
            # a 1D mixture given as a list of centres
            self.means = self.means.T
        n_modes, self.dim = self.means.shape
        stds = torch.as_tensor(stds, dtype=torch.float64).reshape(-1)
        if stds.numel() == 1:
            stds = stds.expand(n_modes)
        if stds.numel() != n_modes or not bool((stds > 0).all()):
            raise ValueError(f"stds must be one positive number or {n_modes} positive numbers, "
                             f"got {stds.tolist()}.")
        weights = torch.full((n_modes,), 1.0 / n_modes) if weights is None else weights
        weights = torch.as_tensor(weights, dtype=torch.float64).reshape(-1)
        if weights.numel() != n_modes or not bool((weights > 0).all()):
            raise ValueError(f"weights must be {n_modes} positive numbers, got {weights.tolist()}.")
        if abs(float(weights.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, they sum to {float(weights.sum()):.6g}; "
                             "divide them by their sum.")
        self.stds, self.weights = stds, weights
        self.components = [Gaussian(m, std=float(s)) for m, s in zip(self.means, stds)]

    @property
    def modes(self) -> Tensor:
        """The component means, shape (K, dim)."""
        return self.means.float()

    @property
    def mode_std(self) -> Tensor:
        """The component standard deviations, shape (K,)."""
        return self.stds.float()

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        n, rng = check_int(n, "the sample size n"), check_rng(rng)
        which = torch.multinomial(self.weights, n, replacement=True, generator=rng)
        noise = torch.randn(n, self.dim, generator=rng, dtype=torch.float64)
        return (self.means[which] + self.stds[which, None] * noise).float()

    def log_prob(self, x) -> Tensor:
        x = check_points(x, "x", dim=self.dim)
        out_dtype = x.dtype if x.is_floating_point() else torch.float32
        per_component = torch.stack([c.log_prob(x.to(torch.float64)) for c in self.components], dim=1)
        return torch.logsumexp(per_component + self.weights.log(), dim=1).to(out_dtype)

    def __repr__(self) -> str:
        return f"GaussianMixture({len(self.components)} modes in {self.dim}D)"


def ring_of_gaussians(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> GaussianMixture:
    """``n_modes`` equal Gaussians evenly spaced on a circle of ``radius``."""
    if n_modes < 1 or radius <= 0:
        raise ValueError(f"need n_modes >= 1 and radius > 0, got {n_modes}, {radius}.")
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    means = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    return GaussianMixture(means, std)


def grid_of_gaussians(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """``side``² equal Gaussians on a square grid centred at the origin."""
    if side < 1 or spacing <= 0:
        raise ValueError(f"need side >= 1 and spacing > 0, got {side}, {spacing}.")
    ticks = (torch.arange(side, dtype=torch.float64) - (side - 1) / 2) * spacing
    means = torch.cartesian_prod(ticks, ticks)
    return GaussianMixture(means, std)


class _NoisyCurve:
    """Points on a curve plus isotropic Gaussian noise of standard deviation ``noise``; no
    closed-form density. A subclass draws the curve's points in ``curve``."""

    dim = 2

    def __init__(self, noise: float = 0.05):
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}.")
        self.noise = noise

    def curve(self, n: int, rng: torch.Generator | None) -> Tensor:
        raise NotImplementedError

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        n, rng = check_int(n, "the sample size n"), check_rng(rng)
        points = self.curve(n, rng)
        return points + self.noise * torch.randn(n, 2, generator=rng)

    def log_prob(self, x):
        raise NotImplementedError(f"{type(self).__name__} has no closed-form density; "
                                  "use a mixture for exact values.")


class TwoMoons(_NoisyCurve):
    """Two interleaved half circles (radius 1) with Gaussian noise; no closed-form density."""

    def curve(self, n: int, rng: torch.Generator | None) -> Tensor:
        upper = torch.rand(n, generator=rng) < 0.5
        angle = math.pi * torch.rand(n, generator=rng)
        x = torch.where(upper, torch.cos(angle), 1.0 - torch.cos(angle))
        y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
        return torch.stack([x, y], dim=1)


class SwissRoll(_NoisyCurve):
    """A 2D swiss roll: angle t ~ U(1.5π, 4.5π), point (t cos t, t sin t) / 5 plus noise."""

    def curve(self, n: int, rng: torch.Generator | None) -> Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=rng))
        return torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1) / 5.0


class Line:
    """A segment from ``start`` to ``end`` blurred by Gaussian noise (GAN Lab's "line").

    x = a + u (b − a) + σ ε with u ~ U(0, 1) and ε ~ N(0, I). With s the position
    along the segment (length L) and d the distance across it, the density is

        p(x) = [Φ((L − s)/σ) − Φ(−s/σ)] / L · N(d; 0, σ²).
    """

    dim = 2

    def __init__(self, start=(-1.5, -1.5), end=(1.5, 1.5), noise: float = 0.05):
        self.start = torch.as_tensor(start, dtype=torch.float64)
        self.end = torch.as_tensor(end, dtype=torch.float64)
        self.length = float((self.end - self.start).norm())
        if self.length == 0 or noise <= 0:
            raise ValueError(f"need start != end and noise > 0, got {start}, {end}, {noise}.")
        self.noise = noise

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        n, rng = check_int(n, "the sample size n"), check_rng(rng)
        along = torch.rand(n, 1, generator=rng, dtype=torch.float64)
        blur = torch.randn(n, 2, generator=rng, dtype=torch.float64)
        return (self.start + along * (self.end - self.start) + self.noise * blur).float()

    def log_prob(self, x) -> Tensor:
        x = check_points(x, "x", dim=self.dim)
        direction = (self.end - self.start) / self.length
        offset = x.to(torch.float64) - self.start
        along = offset @ direction
        across = offset[:, 0] * direction[1] - offset[:, 1] * direction[0]
        sigma = self.noise
        inside = (torch.special.ndtr((self.length - along) / sigma)
                  - torch.special.ndtr(-along / sigma))
        log_across = -0.5 * (across / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))
        return (inside.log() - math.log(self.length) + log_across).float()


class DisjointRegions:
    """Uniform on two separated squares of side ``side`` (GAN Lab's "disjoint").

    p(x) = 1 / (2 side²) inside either square and 0 outside: the supports of p*
    and of a generator that starts between them do not overlap.
    """

    dim = 2

    def __init__(self, centres=((-1.5, 0.0), (1.5, 0.0)), side: float = 1.0):
        self.centres = torch.as_tensor(centres, dtype=torch.float64)
        distance = float((self.centres[0] - self.centres[1]).abs().max())
        if side <= 0 or distance < side:
            raise ValueError(f"need side > 0 and squares that do not overlap, got {centres}, "
                             f"side={side}.")
        self.side = side

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        n, rng = check_int(n, "the sample size n"), check_rng(rng)
        which = torch.randint(0, 2, (n,), generator=rng)
        within = torch.rand(n, 2, generator=rng, dtype=torch.float64) - 0.5
        return (self.centres[which] + self.side * within).float()

    def log_prob(self, x) -> Tensor:
        x = check_points(x, "x", dim=self.dim).to(torch.float64)
        inside = ((x[:, None, :] - self.centres).abs() <= self.side / 2).all(-1).any(-1)
        density = torch.where(inside, 1 / (2 * self.side**2), 0.0)
        return density.log().float()


def log_ratio(p, q, x) -> Tensor:
    """The true log density ratio log r(x) = log p*(x) - log q(x)."""
    return p.log_prob(x) - q.log_prob(x)


def single_gaussian() -> Gaussian:
    """One Gaussian away from the origin, where a fresh generator puts its samples."""
    return Gaussian([1.0, 1.0], std=0.4)


NAMED = {
    "ring": ring_of_gaussians,
    "grid": grid_of_gaussians,
    "moons": TwoMoons,
    "swiss_roll": SwissRoll,
    "gaussian": single_gaussian,
    "line": Line,
    "disjoint": DisjointRegions,
}
"""The toy distributions by name, with their default settings (the lab's data sets)."""


def named(name: str, **kwargs):
    """A toy distribution by its name in ``NAMED``; keyword arguments go to its constructor."""
    return from_registry(NAMED, name, "toy distribution")(**kwargs)


__all__: Sequence[str] = [
    "Gaussian",
    "GaussianMixture",
    "ring_of_gaussians",
    "grid_of_gaussians",
    "TwoMoons",
    "SwissRoll",
    "Line",
    "DisjointRegions",
    "NAMED",
    "log_ratio",
    "named",
]
