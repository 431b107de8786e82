"""Likelihood-free inference with the density-ratio trick (lesson 10).

A simulator draws x ~ p(x|θ) but cannot evaluate p(x|θ). Bayes' rule still holds,

    p(θ|x) = p(θ) p(x|θ) / p(x) = p(θ) r(θ, x),   r(θ, x) = p(x|θ) / p(x) = p(θ, x) / (p(θ) p(x)),

so it is enough to know the ratio r between the joint p(θ, x) and the product of its
marginals p(θ) p(x) — and both can be *sampled*: simulate (θ_i, x_i) ~ p(θ) p(x|θ)
(label y = 1), then shuffle the θ_i across the batch to get pairs from p(θ) p(x)
(label y = 0). A classifier d_φ(θ, x) = σ(l_φ(θ, x)) trained on them with the
Bernoulli loss is lesson 01's ratio estimator: d = r / (r + 1), and with balanced
classes (π = ½, prior correction log π/(1 − π) = 0) its logit converges to
l_φ(θ, x) = log r(θ, x). Hence p̂(θ|x) ∝ p(θ) exp(l_φ(θ, x)), amortised over x: one
classifier gives the posterior for any observation (Hermans, Begy & Louppe 2020;
Durkan, Murray & Papamakarios 2020). The classical baseline is rejection ABC,
which keeps the θ whose simulations land closest to the observation.

Contents: two simulators with priors (``ConjugateGaussian``, exact posterior in
closed form; ``SIREpidemic``, no tractable likelihood); ``simulate_from_prior``;
the pairs and the classifier (``joint_and_marginal_pairs``, ``fit_ratio_estimator``);
posteriors on a θ grid (``theta_grid``, ``posterior_on_grid``, ``GridPosterior``);
``rejection_abc``; calibration (``sbc_ranks``, ``expected_coverage``); and distances
between posteriors (``total_variation``, ``marginal_wasserstein``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Protocol, Sequence

import torch
from scipy import stats

from gan_course import losses
from gan_course.config import progress_bar
from gan_course.models import mlp
from gan_course.validation import check_int, check_number, check_points

Tensor = torch.Tensor


class Simulator(Protocol):
    """What inference needs from a simulator: a prior to sample and a way to simulate.

    theta_dim, x_dim: the sizes of θ and of the (summarised) data x.
    sample_prior(n, rng) → θ of shape (n, theta_dim).
    simulate(theta, rng) → x of shape (n, x_dim), one simulation per row of θ.
    log_prior(theta) → log p(θ) of shape (n,).
    theta_grid(bins) → a ``ThetaGrid`` covering the prior's mass.
    """

    theta_dim: int
    x_dim: int

    def sample_prior(self, n: int, rng: torch.Generator | None = None) -> Tensor: ...

    def simulate(self, theta: Tensor, rng: torch.Generator | None = None) -> Tensor: ...

    def log_prior(self, theta: Tensor) -> Tensor: ...

    def theta_grid(self, bins: int) -> ThetaGrid: ...


def simulate_from_prior(simulator: Simulator, simulations: int,
                        rng: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """The simulation budget spent once: θ_i ~ p(θ), x_i ~ p(x|θ_i) for i = 1..``simulations``.

    Returns (θ, x) of shapes (n, theta_dim) and (n, x_dim): samples of the joint p(θ, x).
    NRE and ABC can then share the same table, so they get exactly the same budget.
    """
    simulations = check_int(simulations, "simulations")
    theta = simulator.sample_prior(simulations, rng)
    return theta, simulator.simulate(theta, rng)


# --------------------------------------------------------------------------- posteriors in closed form


def _diagonal_gaussian_log_prob(theta: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Σ_k log N(θ_k; μ_k, σ_k²), broadcasting the rows of θ, μ and σ against each other."""
    std = torch.as_tensor(std, dtype=torch.float64)
    z = (theta - mean) / std
    return (-0.5 * z**2 - std.log() - 0.5 * math.log(2 * math.pi)).sum(-1)


@dataclass
class GaussianPosterior:
    """A Gaussian with independent coordinates, N(mean, diag(std²)): the exact posterior
    of ``ConjugateGaussian``. mean and std are float64 tensors of shape (d,)."""

    mean: Tensor
    std: Tensor

    def log_prob(self, theta) -> Tensor:
        """log N(θ; μ, diag σ²) = Σ_k [-½ ((θ_k - μ_k)/σ_k)² - log σ_k - ½ log 2π], shape (n,)."""
        theta = check_points(theta, "theta", dim=self.mean.numel()).to(torch.float64)
        return _diagonal_gaussian_log_prob(theta, self.mean, self.std)

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """θ = μ + σ ε, ε ~ N(0, I); shape (n, d), float64."""
        n = check_int(n, "the sample size n")
        return self.mean + self.std * torch.randn(n, self.mean.numel(), generator=rng, dtype=torch.float64)

    def marginal_cdf(self, theta) -> Tensor:
        """F_k(θ_k) = Φ((θ_k - μ_k) / σ_k) for each coordinate of one θ of shape (d,)."""
        theta = torch.as_tensor(theta, dtype=torch.float64).reshape(-1)
        if theta.numel() != self.mean.numel():
            raise ValueError(f"θ must have {self.mean.numel()} coordinates, got {theta.numel()}.")
        return torch.special.ndtr((theta - self.mean) / self.std)


# --------------------------------------------------------------------------- simulator 1: conjugate Gaussian


def _vector(value, name: str) -> Tensor:
    vector = torch.as_tensor(value, dtype=torch.float64).reshape(-1)
    if vector.numel() not in (1, 2) or not bool(torch.isfinite(vector).all()):
        raise ValueError(f"{name} must be one or two finite numbers (θ is 1D or 2D), got {value!r}.")
    return vector


@dataclass
class ConjugateGaussian:
    """θ ~ N(μ₀, σ₀² I), then n_obs observations y_j ~ N(θ, σ² I); x = ȳ, their mean.

    θ is 1D or 2D (``prior_mean`` a number or a pair). With ``keep_observations``, x is
    the whole vector (y_1, ..., y_n) instead, of size n_obs · d; the posterior is the
    same because ȳ is sufficient. Each coordinate has the conjugate posterior

        p(θ|x) = N(μ_n, σ_n²),   1/σ_n² = 1/σ₀² + n/σ²,   μ_n = σ_n² (μ₀/σ₀² + n ȳ/σ²),

    and the evidence is ȳ ~ N(μ₀, σ₀² + σ²/n), so the true log ratio is known too.
    """

    prior_mean: float | Sequence[float] = 0.0
    prior_std: float = 2.0
    noise_std: float = 1.0
    n_obs: int = 5
    keep_observations: bool = False

    def __post_init__(self):
        self.prior_mean = _vector(self.prior_mean, "prior_mean")
        self.prior_std = check_number(self.prior_std, "prior_std")
        self.noise_std = check_number(self.noise_std, "noise_std")
        self.n_obs = check_int(self.n_obs, "n_obs")
        self.theta_dim = self.prior_mean.numel()
        self.x_dim = self.theta_dim * (self.n_obs if self.keep_observations else 1)

    def sample_prior(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """θ = μ₀ + σ₀ ε, shape (n, d), float32."""
        n = check_int(n, "the number of prior samples n")
        noise = torch.randn(n, self.theta_dim, generator=rng, dtype=torch.float64)
        return (self.prior_mean + self.prior_std * noise).float()

    def log_prior(self, theta) -> Tensor:
        """log N(θ; μ₀, σ₀² I), shape (n,), float64."""
        prior = GaussianPosterior(self.prior_mean, torch.full_like(self.prior_mean, self.prior_std))
        return prior.log_prob(theta)

    def simulate(self, theta, rng: torch.Generator | None = None) -> Tensor:
        """x = ȳ (or the n_obs observations), y_j = θ + σ ε_j; shape (n, x_dim), float32."""
        theta = check_points(theta, "theta", dim=self.theta_dim).to(torch.float64)
        noise = torch.randn(theta.shape[0], self.n_obs, self.theta_dim, generator=rng, dtype=torch.float64)
        observations = theta[:, None, :] + self.noise_std * noise
        if self.keep_observations:
            return observations.reshape(theta.shape[0], -1).float()
        return observations.mean(1).float()

    def observed_mean(self, x) -> Tensor:
        """ȳ from x, shape (m, d): x itself, or the mean of the kept observations."""
        x = torch.as_tensor(x, dtype=torch.float64)
        row_size = x.shape[-1] if x.ndim else 1
        if x.ndim > 2 or row_size != self.x_dim or x.numel() == 0:
            raise ValueError(f"x must be one observation of shape ({self.x_dim},) or m of shape (m, "
                             f"{self.x_dim}), got {tuple(x.shape)}.")
        return x.reshape(-1, self.n_obs if self.keep_observations else 1, self.theta_dim).mean(1)

    def log_likelihood(self, theta, x) -> Tensor:
        """log p(ȳ|θ) = log N(ȳ; θ, σ²/n I), shape (n,); x is one observation (used for
        every θ) or one per θ.

        (For kept observations this drops a factor that does not depend on θ, so
        posteriors and ratios are unchanged.)
        """
        theta = check_points(theta, "theta", dim=self.theta_dim).to(torch.float64)
        noise_of_mean = self.noise_std / math.sqrt(self.n_obs)
        return _diagonal_gaussian_log_prob(theta, self.observed_mean(x), noise_of_mean)

    def log_evidence(self, x) -> Tensor:
        """log p(ȳ) = log N(ȳ; μ₀, (σ₀² + σ²/n) I), shape (m,)."""
        std = math.sqrt(self.prior_std**2 + self.noise_std**2 / self.n_obs)
        return _diagonal_gaussian_log_prob(self.observed_mean(x), self.prior_mean, std)

    def exact_log_ratio(self, theta, x) -> Tensor:
        """log r(θ, x) = log p(x|θ) - log p(x): what a perfect NRE classifier's logit is."""
        return self.log_likelihood(theta, x) - self.log_evidence(x)

    def exact_posterior(self, x) -> GaussianPosterior:
        """N(μ_n, σ_n²) per coordinate for one observation x (shape (x_dim,) or (1, x_dim)).

        1/σ_n² = 1/σ₀² + n/σ²,   μ_n = σ_n² (μ₀/σ₀² + n ȳ/σ²).
        """
        mean_of_observations = self.observed_mean(x)
        if mean_of_observations.shape[0] != 1:
            raise ValueError(f"exact_posterior takes one observation, got {mean_of_observations.shape[0]}; "
                             "call it once per row of x.")
        precision = 1 / self.prior_std**2 + self.n_obs / self.noise_std**2
        variance = 1 / precision
        mean = variance * (self.prior_mean / self.prior_std**2
                           + self.n_obs * mean_of_observations[0] / self.noise_std**2)
        return GaussianPosterior(mean, torch.full_like(mean, math.sqrt(variance)))

    def theta_grid(self, bins: int = 400, width_in_prior_stds: float = 5.0) -> ThetaGrid:
        """μ₀ ± 5 σ₀ in each coordinate: the prior's mass, hence every posterior's."""
        half = check_number(width_in_prior_stds, "width_in_prior_stds") * self.prior_std
        return theta_grid(self.prior_mean - half, self.prior_mean + half, bins)


# --------------------------------------------------------------------------- simulator 2: SIR epidemic

SIR_SUMMARY_NAMES = ("attack rate", "log peak", "peak day", "log I(day 10)", "log I(day 20)",
                     "log I(day 30)", "log I(day 40)")


@dataclass
class SIREpidemic:
    """A stochastic SIR epidemic (chain binomial, discrete days): no tractable likelihood.

    θ = (β, γ): infection and recovery rates, prior uniform on the box
    [β_low, β_high] × [γ_low, γ_high]. From S₀ = N - I₀, I₀, R₀ = 0, each day t

        new infections ~ Binomial(S_t, 1 - exp(-β I_t / N)),   recoveries ~ Binomial(I_t, γ),

    (every susceptible escapes each infectious contact independently; every
    infectious person recovers with probability γ). p(x|θ) would be a sum over all
    the paths the epidemic can take, but simulating one path is cheap, and is
    vectorised here over a batch of θ. The data x are 7 summaries of the infectious
    curve I_t, each scaled to roughly [0, 1] (``SIR_SUMMARY_NAMES``): the attack rate
    (N - S_T)/N, log(1 + max I)/log(1 + N), the peak day / T, and log(1 + I_t)/log(1 + N)
    on days 10, 20, 30, 40.
    """

    population: int = 1000
    initial_infected: int = 10
    days: int = 50
    prior_low: tuple[float, float] = (0.1, 0.05)
    prior_high: tuple[float, float] = (1.0, 0.5)
    theta_dim: int = field(default=2, init=False)
    x_dim: int = field(default=len(SIR_SUMMARY_NAMES), init=False)

    def __post_init__(self):
        self.population = check_int(self.population, "population")
        self.initial_infected = check_int(self.initial_infected, "initial_infected")
        if self.initial_infected > self.population:
            raise ValueError(f"initial_infected ({self.initial_infected}) cannot exceed the population "
                             f"({self.population}); lower it.")
        self.days = check_int(self.days, "days", minimum=40)
        self.low = torch.as_tensor(self.prior_low, dtype=torch.float32)
        self.high = torch.as_tensor(self.prior_high, dtype=torch.float32)
        if self.low.shape != (2,) or self.high.shape != (2,) or not bool((self.low < self.high).all()):
            raise ValueError(f"the prior box needs prior_low < prior_high for (β, γ), got {self.prior_low} "
                             f"and {self.prior_high}.")
        if self.low.min() < 0 or self.high[1] > 1:
            raise ValueError("the prior box must have β >= 0 and 0 <= γ <= 1 (γ is a daily probability).")

    def sample_prior(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """θ ~ Uniform(box), shape (n, 2), float32."""
        n = check_int(n, "the number of prior samples n")
        return self.low + (self.high - self.low) * torch.rand(n, 2, generator=rng)

    def log_prior(self, theta) -> Tensor:
        """-log(box area) inside the box, -inf outside; shape (n,)."""
        theta = check_points(theta, "theta", dim=2).float()
        inside = ((theta >= self.low) & (theta <= self.high)).all(-1)
        log_density = -torch.log(self.high - self.low).sum()
        return torch.where(inside, log_density, torch.tensor(-math.inf)).to(torch.float64)

    def simulate_counts(self, theta, rng: torch.Generator | None = None) -> Tensor:
        """(S_t, I_t, R_t) for t = 0..days, shape (n, days + 1, 3), float32 counts."""
        theta = check_points(theta, "theta", dim=2).float()
        beta, gamma = theta[:, 0], theta[:, 1]
        if bool((beta < 0).any()) or bool(((gamma < 0) | (gamma > 1)).any()):
            raise ValueError("θ = (β, γ) needs β >= 0 and 0 <= γ <= 1; clip θ to the prior box.")
        n = theta.shape[0]
        susceptible = torch.full((n,), float(self.population - self.initial_infected))
        infected = torch.full((n,), float(self.initial_infected))
        recovered = torch.zeros(n)
        counts = [torch.stack([susceptible, infected, recovered], -1)]
        for _ in range(self.days):
            infection_probability = 1 - torch.exp(-beta * infected / self.population)
            # torch.binomial takes a generator; torch.distributions.Binomial does not
            new_infections = torch.binomial(susceptible, infection_probability, generator=rng)
            recoveries = torch.binomial(infected, gamma, generator=rng)
            susceptible = susceptible - new_infections
            infected = infected + new_infections - recoveries
            recovered = recovered + recoveries
            counts.append(torch.stack([susceptible, infected, recovered], -1))
        return torch.stack(counts, 1)

    def summaries(self, counts: Tensor) -> Tensor:
        """The 7 summaries of ``SIR_SUMMARY_NAMES`` from counts of shape (n, days + 1, 3)."""
        infected = counts[:, :, 1]
        log_scale = math.log1p(self.population)
        peak, peak_day = infected.max(1)
        attack_rate = 1 - counts[:, -1, 0] / self.population
        sampled = torch.log1p(infected[:, [10, 20, 30, 40]]) / log_scale
        return torch.cat([attack_rate[:, None], (torch.log1p(peak) / log_scale)[:, None],
                          (peak_day.float() / self.days)[:, None], sampled], 1)

    def simulate(self, theta, rng: torch.Generator | None = None) -> Tensor:
        """x = summaries of one simulated epidemic per row of θ, shape (n, 7), float32."""
        return self.summaries(self.simulate_counts(theta, rng))

    def theta_grid(self, bins: int = 60) -> ThetaGrid:
        """The prior box, ``bins`` cells per side."""
        return theta_grid(self.low, self.high, bins)


# --------------------------------------------------------------------------- neural ratio estimation


class Pairs(NamedTuple):
    """Classifier inputs: θ (2n, d_θ), x (2n, d_x), labels (2n,) — first the n joint
    pairs (label 1), then the n marginal pairs (label 0)."""

    theta: Tensor
    x: Tensor
    labels: Tensor


def joint_and_marginal_pairs(theta, x, rng: torch.Generator | None = None) -> Pairs:
    """Pairs from p(θ, x) (label 1) and from p(θ) p(x) (label 0) out of n simulations.

    The joint pairs are the simulations (θ_i, x_i) unchanged. The marginal pairs keep
    x_i and take θ_π(i) for a random cyclic shift π of the batch (π(i) ≠ i, so no pair
    keeps its own θ): the θ and the x each keep their marginal, but their dependence is
    broken. Classes are balanced, so π = ½ and the logit needs no prior correction.
    """
    theta, x = _simulations(theta, x)
    if theta.shape[0] < 2:
        raise ValueError("need at least 2 simulations to shuffle θ across the batch; simulate more.")
    order = torch.randperm(theta.shape[0], generator=rng)
    shuffled = torch.empty_like(order)
    shuffled[order] = order.roll(1)  # x_order[k] gets θ_order[k-1]
    labels = torch.cat([torch.ones(theta.shape[0]), torch.zeros(theta.shape[0])])
    return Pairs(torch.cat([theta, theta[shuffled]]), torch.cat([x, x]), labels)


def _simulations(theta, x) -> tuple[Tensor, Tensor]:
    theta, x = check_points(theta, "theta"), check_points(x, "x")
    if theta.shape[0] != x.shape[0]:
        raise ValueError(f"theta and x must hold the same simulations, got {theta.shape[0]} θ and "
                         f"{x.shape[0]} x; pass the pairs simulate_from_prior returns.")
    return theta.float(), x.float()


def _standardisation(values: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and std per column; constant columns get std 1 so they pass through unchanged."""
    std = values.std(0)
    return values.mean(0), torch.where(std > 0, std, torch.ones_like(std))


@dataclass
class RatioEstimator:
    """A trained classifier d_φ(θ, x) = σ(l_φ(θ, x)) on standardised [θ, x].

    Its logit estimates log r(θ, x) = log p(x|θ)/p(x) = log p(θ|x)/p(θ) (balanced
    classes: nothing to subtract).
    """

    network: torch.nn.Module
    theta_mean: Tensor
    theta_std: Tensor
    x_mean: Tensor
    x_std: Tensor
    losses: list = field(default_factory=list)

    def inputs(self, theta: Tensor, x: Tensor) -> Tensor:
        """The network's input: [(θ - mean)/std, (x - mean)/std], from the simulations' moments."""
        return torch.cat([(theta - self.theta_mean) / self.theta_std, (x - self.x_mean) / self.x_std], -1)

    @torch.no_grad()
    def log_ratio(self, theta, x) -> Tensor:
        """log r̂(θ, x) = l_φ(θ, x), shape (n,); one x (shape (x_dim,)) is used for every θ."""
        theta = check_points(theta, "theta", dim=self.theta_mean.numel()).float()
        x = torch.as_tensor(x).float()
        x = check_points(x.reshape(1, -1) if x.ndim == 1 else x, "x", dim=self.x_mean.numel())
        if x.shape[0] == 1:
            x = x.expand(theta.shape[0], -1)
        elif x.shape[0] != theta.shape[0]:
            raise ValueError(f"give one x or one x per θ, got {x.shape[0]} x for {theta.shape[0]} θ.")
        return self.network(self.inputs(theta, x)).squeeze(-1)

    def posterior_on_grid(self, x_observed, grid: ThetaGrid,
                          log_prior: Callable[[Tensor], Tensor]) -> GridPosterior:
        """p̂(θ|x_o) ∝ p(θ) exp(l_φ(θ, x_o)), normalised over the cells of ``grid``."""
        return posterior_on_grid(grid, lambda theta: log_prior(theta) + self.log_ratio(theta, x_observed))


def fit_ratio_estimator(theta, x, steps: int = 2000, batch_size: int = 256, lr: float = 1e-3,
                        width: int = 64, depth: int = 2, seed: int = 0,
                        progress: bool = False) -> RatioEstimator:
    """Neural ratio estimation (NRE; Hermans, Begy & Louppe 2020, "AALR"): train
    d_φ(θ, x) = σ(l_φ(θ, x)) on the simulations (θ_i, x_i) ~ p(θ) p(x|θ) only.

    Each Adam step draws ``batch_size`` distinct simulations (with a ``seed``-ed rng),
    builds the joint and marginal pairs with ``joint_and_marginal_pairs`` (a fresh
    shuffle each step costs no simulation), and minimises lesson 01's Bernoulli loss

        L(φ) = ½ E_{p(θ,x)}[softplus(-l_φ)] + ½ E_{p(θ)p(x)}[softplus(l_φ)],

    whose minimiser is d = r/(r + 1), i.e. l_φ = log r(θ, x) (Durkan, Murray &
    Papamakarios 2020 put it in the family of contrastive estimators that pick the
    true θ out of K candidates for an x). The budget is the number of simulations,
    len(θ); the learning rate decays to zero on a cosine schedule. The network is
    ``models.mlp`` on [θ, x], each standardised by the simulations' mean and std.
    """
    theta, x = _simulations(theta, x)
    steps, batch_size = check_int(steps, "steps"), check_int(batch_size, "batch_size", minimum=2)
    lr = check_number(lr, "lr")
    rng = torch.Generator().manual_seed(seed)
    network = mlp(theta.shape[1] + x.shape[1], 1, width=width, depth=depth, seed=seed)
    estimator = RatioEstimator(network, *_standardisation(theta), *_standardisation(x))
    optimizer = torch.optim.Adam(network.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for step in progress_bar(range(steps), desc="ratio estimator", disable=not progress, leave=False):
        batch = torch.randperm(theta.shape[0], generator=rng)[:batch_size]
        pairs = joint_and_marginal_pairs(theta[batch], x[batch], rng)
        logits = network(estimator.inputs(pairs.theta, pairs.x)).squeeze(-1)
        joint, marginal = logits[pairs.labels == 1], logits[pairs.labels == 0]
        loss = losses.bernoulli(joint, marginal, prior=0.5).discriminator
        if not torch.isfinite(loss):
            raise ValueError(f"the classifier's loss is {loss.item()} at step {step}: lower the learning "
                             "rate or check the simulations for NaN or infinite values.")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        estimator.losses.append(loss.item())
    network.eval()
    return estimator


# --------------------------------------------------------------------------- posteriors on a grid


@dataclass
class ThetaGrid:
    """Equal cells over a box in θ-space (1D or 2D).

    axes: the cell centres along each coordinate, (bins,) each.
    points: every cell centre, (bins^d, d); in 2D, point [i · bins + j] = (axes[0][i], axes[1][j]),
        so values over ``points`` reshape to (bins, bins) indexed [θ₀ cell, θ₁ cell].
    low, high: the box's corners; widths: the cell widths, (d,).
    """

    low: Tensor
    high: Tensor
    bins: int

    def __post_init__(self):
        self.widths = (self.high - self.low) / self.bins
        self.axes = tuple(self.low[k] + (torch.arange(self.bins, dtype=torch.float64) + 0.5) * self.widths[k]
                          for k in range(self.dim))
        self.points = torch.cartesian_prod(*self.axes).reshape(-1, self.dim)

    @property
    def dim(self) -> int:
        return self.low.numel()

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.bins,) * self.dim

    @property
    def cell_volume(self) -> float:
        return float(self.widths.prod())


def theta_grid(low, high, bins: int) -> ThetaGrid:
    """A ``ThetaGrid`` of ``bins`` cells per coordinate over [low, high] (numbers or pairs)."""
    low, high = _vector(low, "low"), _vector(high, "high")
    if low.shape != high.shape or not bool((low < high).all()):
        raise ValueError(f"the grid needs low < high in every coordinate, got low={low.tolist()} and "
                         f"high={high.tolist()}.")
    return ThetaGrid(low, high, check_int(bins, "bins", minimum=2))


@dataclass
class GridPosterior:
    """A posterior as probability masses on the cells of a ``ThetaGrid``, uniform inside each cell.

    masses: (bins^d,) float64, non-negative, summing to 1, in the order of grid.points.
    """

    grid: ThetaGrid
    masses: Tensor

    def density(self) -> Tensor:
        """p(θ) at the cell centres, shaped like the grid: masses / cell volume."""
        return (self.masses / self.grid.cell_volume).reshape(self.grid.shape)

    def marginal(self, coordinate: int) -> Tensor:
        """The masses of θ_k's cells, (bins,)."""
        masses = self.masses.reshape(self.grid.shape)
        return masses if self.grid.dim == 1 else masses.sum(1 - coordinate)

    def mean(self) -> Tensor:
        """E[θ] = Σ_c p_c θ_c, (d,)."""
        return self.masses @ self.grid.points

    def std(self) -> Tensor:
        """sqrt(Σ_c p_c (θ_c,k - E[θ_k])²) per coordinate, (d,): the midpoint rule, accurate
        when the cells are small next to the posterior's width."""
        return (self.masses @ (self.grid.points - self.mean()) ** 2).sqrt()

    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """Pick cells with probability p_c, then a uniform point in each: (n, d) float64."""
        n = check_int(n, "the sample size n")
        cells = torch.multinomial(self.masses, n, replacement=True, generator=rng)
        jitter = torch.rand(n, self.grid.dim, generator=rng, dtype=torch.float64) - 0.5
        return self.grid.points[cells] + jitter * self.grid.widths

    def marginal_cdf(self, theta) -> Tensor:
        """F_k(θ_k) = P(Θ_k ≤ θ_k) for each coordinate of one θ of shape (d,), exact for
        masses spread uniformly within cells (the CDF is linear inside a cell)."""
        theta = torch.as_tensor(theta, dtype=torch.float64).reshape(-1)
        if theta.numel() != self.grid.dim:
            raise ValueError(f"θ must have {self.grid.dim} coordinates, got {theta.numel()}.")
        values = []
        for k in range(self.grid.dim):
            masses = self.marginal(k)
            cumulative = torch.cat([masses.new_zeros(1), masses.cumsum(0)])
            position = ((theta[k] - self.grid.low[k]) / self.grid.widths[k]).clamp(0, self.grid.bins)
            cell = position.floor().long().clamp(max=self.grid.bins - 1)
            values.append(cumulative[cell] + masses[cell] * (position - cell))
        return torch.stack(values).clamp(0, 1)


def posterior_on_grid(grid: ThetaGrid, log_density: Callable[[Tensor], Tensor]) -> GridPosterior:
    """Normalise an unnormalised log density numerically over the grid's cells:

        p_c = exp(f(θ_c)) / Σ_c' exp(f(θ_c'))   (a softmax; the cell volume cancels).

    f = log p(θ) + l(θ, x_o) gives the NRE posterior; f = log p(θ) + log p(x_o|θ) the
    brute-force one. Mass outside the grid is lost, so the grid must cover the posterior.
    """
    values = torch.as_tensor(log_density(grid.points)).to(torch.float64).reshape(-1)
    if values.numel() != grid.points.shape[0]:
        raise ValueError(f"log_density must give one value per grid point ({grid.points.shape[0]}), got "
                         f"{values.numel()}; it takes θ of shape (n, d) and returns shape (n,).")
    if torch.isnan(values).any() or not torch.isfinite(values).any():
        raise ValueError("log_density is NaN somewhere or -inf everywhere on the grid; check that the grid "
                         "lies inside the prior's support.")
    return GridPosterior(grid, torch.softmax(values, 0))


def histogram_on_grid(samples, grid: ThetaGrid) -> GridPosterior:
    """Posterior samples (e.g. ABC's accepted θ) as cell masses: the share in each cell.

    Samples outside the grid count in the nearest edge cell.
    """
    samples = check_points(samples, "samples", dim=grid.dim).to(torch.float64)
    cells = ((samples - grid.low) / grid.widths).floor().long().clamp(0, grid.bins - 1)
    index = cells[:, 0] if grid.dim == 1 else cells[:, 0] * grid.bins + cells[:, 1]
    counts = torch.bincount(index, minlength=grid.points.shape[0]).to(torch.float64)
    return GridPosterior(grid, counts / counts.sum())


# --------------------------------------------------------------------------- rejection ABC


class AbcSample(NamedTuple):
    """Rejection ABC's output: the accepted θ (k, d), their distances (k,), and the
    tolerance ε (the largest accepted distance)."""

    theta: Tensor
    distances: Tensor
    tolerance: float


def rejection_abc(theta, x, x_observed, quantile: float = 0.01) -> AbcSample:
    """Rejection ABC (Pritchard et al. 1999; Beaumont, Zhang & Balding 2002) on a table of
    simulations (θ_i, x_i) ~ p(θ) p(x|θ), e.g. from ``simulate_from_prior``.

    Keep the k = ⌈quantile · n⌉ θ_i with the smallest standardised distance

        ρ(x_i, x_o) = ‖(x_i - x_o) / s‖₂,   s = the std of each summary over the table,

    a sample from p(θ | ρ(x, x_o) ≤ ε) with ε the k-th smallest distance; it tends to
    p(θ|x_o) as ε → 0, but then keeps ever fewer of the n simulations.
    """
    theta, x = _simulations(theta, x)
    x_observed = torch.as_tensor(x_observed).float().reshape(-1)
    if x_observed.numel() != x.shape[1]:
        raise ValueError(f"x_observed must have the {x.shape[1]} summaries of x, got {x_observed.numel()}.")
    quantile = check_number(quantile, "quantile")
    if quantile > 1:
        raise ValueError(f"quantile is the share of simulations to keep, in (0, 1], got {quantile}.")
    _, scale = _standardisation(x)
    distances = ((x - x_observed) / scale).norm(dim=1)
    kept = math.ceil(quantile * x.shape[0])
    accepted_distances, accepted = torch.topk(distances, kept, largest=False)
    return AbcSample(theta[accepted], accepted_distances, float(accepted_distances.max()))


# --------------------------------------------------------------------------- calibration


def sbc_ranks(true_theta, posterior_samples) -> Tensor:
    """Simulation-based calibration ranks (Talts et al. 2018).

    For pairs θ*_i ~ p(θ), x*_i ~ p(x|θ*_i) and L posterior samples θ_i,1..L ~ q(θ|x*_i),
    the rank of θ*_i,k among the θ_i,l,k is r_i,k = Σ_l 1[θ_i,l,k < θ*_i,k] ∈ {0, ..., L}.
    If q is the true posterior, θ* is just one more draw from it, so each r is uniform
    on {0, ..., L}. A ∪-shaped histogram means q is too narrow, a ∩ too wide, a slope biased.

    true_theta: (m, d); posterior_samples: (m, L, d). Returns (m, d) integer ranks.
    """
    true_theta = check_points(true_theta, "true_theta")
    samples = torch.as_tensor(posterior_samples)
    (m, d), shape = true_theta.shape, tuple(samples.shape)
    if samples.ndim != 3 or shape[0] != m or shape[2] != d:
        raise ValueError(f"posterior_samples must have shape (m, L, d) = ({m}, L, {d}), one row of L "
                         f"samples per true θ, got {shape}.")
    return (samples < true_theta[:, None, :].to(samples.dtype)).sum(1)


def rank_histogram(ranks, n_samples: int, bins: int = 10) -> Tensor:
    """Counts of the ranks in ``bins`` equal groups of {0, ..., L}, shape (bins, d).

    Each group holds (L + 1)/bins rank values, so choose L with L + 1 divisible by bins
    (e.g. L = 99 for 10 bins): then a calibrated posterior has m/bins expected counts.
    """
    n_samples, bins = check_int(n_samples, "n_samples"), check_int(bins, "bins")
    if (n_samples + 1) % bins:
        raise ValueError(f"n_samples + 1 = {n_samples + 1} must be divisible by bins = {bins}, so that "
                         "every bin holds as many rank values; e.g. use L = 99 with 10 bins.")
    ranks = torch.as_tensor(ranks).long()
    ranks = ranks.reshape(-1, 1) if ranks.ndim == 1 else ranks
    groups = ranks * bins // (n_samples + 1)
    return torch.stack([torch.bincount(groups[:, k], minlength=bins) for k in range(ranks.shape[1])], 1)


def rank_uniformity_p_value(ranks, n_samples: int, bins: int = 10) -> Tensor:
    """The χ² test's p-value that each coordinate's ranks are uniform, (d,) (Talts et al. 2018):
    χ² = Σ_b (c_b - m/B)² / (m/B) on the ``rank_histogram`` counts, B - 1 degrees of freedom."""
    counts = rank_histogram(ranks, n_samples, bins).double().numpy()
    return torch.as_tensor(stats.chisquare(counts, axis=0).pvalue)


def expected_coverage(truth_quantiles, levels: Sequence[float] = (0.5, 0.8, 0.95)) -> Tensor:
    """Expected coverage of central credible intervals, shape (len(levels), d).

    u_i,k = F_i,k(θ*_i,k) is where the truth falls in its posterior's marginal CDF —
    ``posterior.marginal_cdf(θ*)`` for a grid or Gaussian posterior, ``sbc_ranks / L``
    for samples. The central interval of level c is [F⁻¹((1 - c)/2), F⁻¹((1 + c)/2)], so
    it holds θ* when |2u - 1| ≤ c, and

        coverage(c) = (1/m) Σ_i 1[|2 u_i - 1| ≤ c],

    which equals c for a calibrated posterior, up to the binomial error
    sqrt(c (1 - c) / m) (``coverage_standard_error``). Below c: overconfident.
    """
    quantiles = torch.as_tensor(truth_quantiles, dtype=torch.float64)
    quantiles = quantiles.reshape(-1, 1) if quantiles.ndim == 1 else quantiles
    if quantiles.ndim != 2 or bool(((quantiles < 0) | (quantiles > 1)).any()):
        raise ValueError("truth_quantiles must be CDF values in [0, 1] of shape (m, d); "
                         "from ranks, divide by the number of posterior samples L.")
    credible_level = (2 * quantiles - 1).abs()
    return torch.stack([(credible_level <= _level(level)).double().mean(0) for level in levels])


def _level(level) -> float:
    level = check_number(level, "a credible level")
    if level > 1:
        raise ValueError(f"credible levels lie in (0, 1], got {level}; write 95% as 0.95.")
    return level


def coverage_standard_error(level: float, pairs: int) -> float:
    """sqrt(c (1 - c) / m): the spread of a calibrated posterior's coverage over m pairs."""
    level, pairs = _level(level), check_int(pairs, "pairs")
    return math.sqrt(level * (1 - level) / pairs)


# --------------------------------------------------------------------------- distances between posteriors


def _same_grid(p: GridPosterior, q: GridPosterior) -> None:
    g, h = p.grid, q.grid
    if g.bins != h.bins or not (torch.equal(g.low, h.low) and torch.equal(g.high, h.high)):
        raise ValueError("the two posteriors lie on different grids; evaluate both on the same ThetaGrid.")


def total_variation(p: GridPosterior, q: GridPosterior) -> float:
    """TV(p, q) = ½ Σ_c |p_c - q_c| ∈ [0, 1] on the same grid.

    The largest difference in probability that p and q give one event (a set of θ).
    It needs no smoothing (unlike KL, infinite where q_c = 0 < p_c) and does not depend
    on θ's units; from a histogram of k samples it is biased upwards by the empty and
    noisy cells, so compare samples with ``marginal_wasserstein`` instead.
    """
    _same_grid(p, q)
    return float(0.5 * (p.masses - q.masses).abs().sum())


def marginal_wasserstein(p: GridPosterior, q: GridPosterior) -> Tensor:
    """W₁ between each coordinate's marginals, (d,), in θ's units:

        W₁(p_k, q_k) = ∫ |F_p,k(t) - F_q,k(t)| dt ≈ Σ_j |F_p,k(e_j) - F_q,k(e_j)| w_k

    over the cell edges e_j. Unlike TV it says how far apart the masses are, so it
    stays informative between a histogram of samples and a smooth posterior.
    """
    _same_grid(p, q)
    return torch.stack([(p.marginal(k).cumsum(0) - q.marginal(k).cumsum(0)).abs().sum() * p.grid.widths[k]
                        for k in range(p.grid.dim)])
