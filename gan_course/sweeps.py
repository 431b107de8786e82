"""Hyper-parameter sweeps of 2D GANs, run as batched runs, and their success rates.

A GAN variant is judged here the way Fedus et al. (2018, "Many paths to
equilibrium") judge them: not by its best run, but by how often a run succeeds
over a grid of hyper-parameters and seeds. A sweep is

    methods × learning rates η × Adam β₁ × discriminator updates n_disc × seeds,

every point one GAN run (η_D = η_G = η, β₂ = 0.999). The runs are trained with
``gan_course.batched.train_batch``, one call per group of configurations that
share ``SHARED_FIELDS`` (here: one group per n_disc), since one batched call
trains many small runs several times faster than one after the other.

After training, each run is evaluated on ``n_eval`` fresh samples x = G_θ(z):

- mode coverage and the high-quality share (``metrics.mode_coverage``);
- the exact Wasserstein-1 distance to ``n_eval`` fresh data samples
  (``metrics.exact_wasserstein``, an optimal assignment).

A :class:`SuccessCriterion` turns these into success or failure, and
``success_rates`` counts successes per method (or per any hyper-parameter).

    points = sweep_grid(["NS-GAN", "GAN-GP"], lrs=[1e-3], beta1s=[0.5], n_discs=[1], seeds=[0, 1])
    results = run_sweep(data, MANY_PATHS_METHODS, points, steps=2000, width=64, depth=2)
    print(format_success_table(success_rates(results, criterion)))
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import torch

from gan_course import metrics, penalties
from gan_course.batched import SHARED_FIELDS, train_batch
from gan_course.data import toy
from gan_course.toy_training import GANConfig

Tensor = torch.Tensor
# A method maps a run's seed to the GANConfig fields that define the method
# (loss, penalty, ...). It is a function, not a dict, because a penalty object
# carries its own random stream: every run needs a fresh one, seeded by its seed.
Method = Callable[[int], dict]

ADAM_BETA2 = 0.999


# --------------------------------------------------------------------------- the four methods


def ns_gan(seed: int) -> dict:
    """NS-GAN (Goodfellow et al. 2014): Bernoulli loss for D, −log D(G(z)) for G, no penalty."""
    return dict(loss="non_saturating")


def gan_gp(seed: int, weight: float = 10.0) -> dict:
    """GAN-GP (Fedus et al. 2018): NS-GAN plus WGAN-GP's penalty at interpolates,
    λ E[(‖∇D(x̂)‖ − 1)²], x̂ = εx + (1 − ε)x̃, applied to D's logit."""
    return dict(loss="non_saturating", penalty=penalties.WGANGradientPenalty(weight=weight, seed=seed))


def dragan_ns(seed: int, weight: float = 10.0) -> dict:
    """DRAGAN-NS (Kodali et al. 2017; Fedus et al. 2018): NS-GAN plus the DRAGAN penalty,
    λ E[(‖∇D(x̂)‖ − 1)²] at x̂ = x + αδ near the real data."""
    return dict(loss="non_saturating", penalty=penalties.DRAGANPenalty(weight=weight, seed=seed))


def wgan_gp(seed: int, weight: float = 10.0) -> dict:
    """WGAN-GP (Gulrajani et al. 2017): the Wasserstein critic loss plus its gradient penalty."""
    return dict(loss="wasserstein", penalty=penalties.WGANGradientPenalty(weight=weight, seed=seed))


MANY_PATHS_METHODS: dict[str, Method] = {
    "NS-GAN": ns_gan,
    "GAN-GP": gan_gp,
    "DRAGAN-NS": dragan_ns,
    "WGAN-GP": wgan_gp,
}
"""The four GANs that Fedus et al. (2018) compare, by the names of their paper."""


# --------------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: a method and its hyper-parameters."""

    method: str
    lr: float
    beta1: float
    n_disc: int
    seed: int

    def config(self, methods: Mapping[str, Method], **shared) -> GANConfig:
        """The run's GANConfig: the method's fields, η_D = η_G = lr, betas (β₁, 0.999),
        and the ``shared`` fields (width, depth, batch_size, ...) common to the sweep."""
        if self.method not in methods:
            raise ValueError(f"unknown method {self.method!r}; the sweep's methods are "
                             f"{sorted(methods)}.")
        fields = methods[self.method](self.seed)
        return GANConfig(lr_disc=self.lr, lr_gen=self.lr, betas=(self.beta1, ADAM_BETA2),
                         n_disc=self.n_disc, seed=self.seed, **fields, **shared)


def sweep_grid(methods: Sequence[str], lrs: Sequence[float], beta1s: Sequence[float],
               n_discs: Sequence[int], seeds: Sequence[int]) -> list[SweepPoint]:
    """Every combination of method × lr × β₁ × n_disc × seed, in that nesting order."""
    axes = {"methods": methods, "lrs": lrs, "beta1s": beta1s, "n_discs": n_discs, "seeds": seeds}
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or len(values) == 0:
            raise ValueError(f"{name} must be a non-empty list, got {values!r}.")
        if len(set(values)) != len(values):
            raise ValueError(f"{name} lists a value twice ({list(values)}); each run would be "
                             "repeated exactly.")
    return [SweepPoint(*combination)
            for combination in itertools.product(methods, lrs, beta1s, n_discs, seeds)]


def group_for_batches(configs: Sequence[GANConfig]) -> list[list[int]]:
    """Indices of the configurations grouped by their ``SHARED_FIELDS`` (one train_batch
    call per group), in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for index, config in enumerate(configs):
        key = tuple(getattr(config, field) for field in SHARED_FIELDS)
        groups.setdefault(key, []).append(index)
    return list(groups.values())


# --------------------------------------------------------------------------- running and judging


@dataclass
class RunResult:
    """What one run of a sweep achieved, measured on ``n_eval`` fresh samples.

    modes_covered, high_quality: ``metrics.mode_coverage`` of the generator's samples.
    wasserstein: exact W₁ between the generator's samples and as many fresh data samples.
    diverged: the run's loss became NaN or infinite (its metrics are then 0, 0, inf).
    samples: the (n_eval, 2) generator samples, for figures (None if diverged).
    """

    point: SweepPoint
    modes_covered: int
    high_quality: float
    wasserstein: float
    diverged: bool = False
    samples: Tensor | None = None


@dataclass(frozen=True)
class SuccessCriterion:
    """A run succeeds when it covers at least ``min_modes`` modes, at least
    ``min_high_quality`` of its samples are high quality, and the exact W₁ between
    its samples and the data's is at most ``max_wasserstein``. A diverged run fails."""

    min_modes: int
    min_high_quality: float
    max_wasserstein: float
    n_eval: int = 1000

    def parts(self, result: RunResult) -> dict[str, bool]:
        """Which of the three conditions the run meets (all False for a diverged run)."""
        finite = not result.diverged
        return {"modes": finite and result.modes_covered >= self.min_modes,
                "high_quality": finite and result.high_quality >= self.min_high_quality,
                "wasserstein": finite and result.wasserstein <= self.max_wasserstein}

    def __call__(self, result: RunResult) -> bool:
        return all(self.parts(result).values())

    def __str__(self) -> str:
        return (f"modes covered ≥ {self.min_modes}, high-quality share ≥ {self.min_high_quality:.0%} "
                f"and exact W₁ ≤ {self.max_wasserstein:g} ({self.n_eval:,} vs {self.n_eval:,} points)")


def evaluate(generator, data, point: SweepPoint, n_eval: int, eval_seed: int) -> RunResult:
    """Mode coverage and exact W₁ of a trained generator on n_eval fresh samples each."""
    noise_dim = next(generator.parameters()).shape[1]
    rng = torch.Generator().manual_seed(eval_seed)
    with torch.no_grad():
        samples = generator(torch.randn(n_eval, noise_dim, generator=rng))
    real = data.sample(n_eval, rng=rng)
    if not torch.isfinite(samples).all():
        return RunResult(point, 0, 0.0, math.inf, diverged=True)
    covered, high_quality = metrics.mode_coverage(samples, data.modes, data.mode_std)
    return RunResult(point, covered, high_quality, metrics.exact_wasserstein(samples, real),
                     samples=samples)


def _train_group(data, points, methods, steps, shared, progress) -> list:
    """Trained generators for ``points`` (one train_batch call), or None for runs that
    diverged. A NaN in one run stops the whole call, so the group is split in halves
    until the runs that diverge are alone; the others are trained again (their
    results do not depend on their batch mates, see ``train_batch``)."""
    configs = [point.config(methods, **shared) for point in points]
    try:
        histories = train_batch(data, configs, steps, record_every=steps, progress=progress)
    except FloatingPointError:  # a loss became NaN or infinite
        if len(points) == 1:
            return [None]
        half = len(points) // 2
        return (_train_group(data, points[:half], methods, steps, shared, progress)
                + _train_group(data, points[half:], methods, steps, shared, progress))
    return [history.generator for history in histories]


def run_sweep(data, methods: Mapping[str, Method], points: Sequence[SweepPoint], steps: int,
              n_eval: int = 1000, eval_seed: int = 12345, progress: bool = True,
              **shared) -> list[RunResult]:
    """Train every point of the sweep and evaluate it; one RunResult per point, in order.

    data: a toy mixture with ``modes`` and ``mode_std`` (ring or grid of Gaussians).
    methods: name → Method (see ``MANY_PATHS_METHODS``).
    steps: training steps of every run.
    n_eval: samples of the generator and of the data for the metrics (at most
        ``metrics.MAX_ASSIGNMENT_POINTS`` for the exact W₁); the same ``eval_seed``
        for every run, so that all runs are compared with the same data sample.
    shared: GANConfig fields common to all runs (width, depth, batch_size, ...).
    """
    if not hasattr(data, "modes") or not hasattr(data, "mode_std"):
        raise ValueError("run_sweep measures mode coverage, so the data must be a mixture with "
                         "modes, e.g. toy.ring_of_gaussians() or toy.grid_of_gaussians().")
    points = list(points)
    if not points:
        raise ValueError("the sweep has no points; build them with sweep_grid(...).")
    clashes = {"lr_disc", "lr_gen", "betas", "n_disc", "seed"} & set(shared)
    if clashes:
        raise ValueError(f"{sorted(clashes)} are set by each sweep point; do not pass them as "
                         "shared fields.")
    configs = [point.config(methods, **shared) for point in points]  # validates every run first
    results: list[RunResult | None] = [None] * len(points)
    for group in group_for_batches(configs):
        group_points = [points[i] for i in group]
        generators = _train_group(data, group_points, methods, steps, shared, progress)
        for index, point, generator in zip(group, group_points, generators):
            results[index] = (RunResult(point, 0, 0.0, math.inf, diverged=True)
                              if generator is None else evaluate(generator, data, point, n_eval,
                                                                 eval_seed))
    return results


# --------------------------------------------------------------------------- lesson 08's sweep


@dataclass(frozen=True)
class SweepSettings:
    """Everything that fixes one sweep: the data, the grid, the training length, the
    networks and the success criterion (the notebook and benchmarks/sweep_time.py share it)."""

    ring_std: float
    lrs: tuple[float, ...]
    beta1s: tuple[float, ...]
    n_discs: tuple[int, ...]
    seeds: tuple[int, ...]
    steps: int
    networks: dict
    criterion: SuccessCriterion

    def data(self):
        """The ring of 8 Gaussians (radius 2) with standard deviation ``ring_std``."""
        return toy.ring_of_gaussians(std=self.ring_std)

    def describe(self) -> str:
        def values(items):
            return ", ".join(f"{v:g}" for v in items)
        return (f"learning rate ∈ {{{values(self.lrs)}}} × Adam β₁ ∈ {{{values(self.beta1s)}}} × "
                f"n_disc ∈ {{{values(self.n_discs)}}} × {len(self.seeds)} seeds per method")


MANY_PATHS_SWEEP = SweepSettings(
    ring_std=0.05,
    lrs=(5e-4, 2e-3),
    beta1s=(0.5, 0.9),
    n_discs=(1, 2),
    seeds=(0, 1),
    steps=3000,
    networks=dict(width=64, depth=2, batch_size=128),
    # W₁ between two 1,000-point samples of the ring itself is about 0.12: the threshold
    # allows about 2.5 times that, 15% of the ring's radius.
    criterion=SuccessCriterion(min_modes=8, min_high_quality=0.5, max_wasserstein=0.3, n_eval=1000),
)
"""Lesson 08's full-mode sweep: 4 methods × 2 × 2 × 2 × 2 = 64 runs of 3,000 steps, sized to
take at most 10 minutes on a 2-core CPU (benchmarks/sweep_time.md)."""


# --------------------------------------------------------------------------- success rates


@dataclass(frozen=True)
class SuccessRate:
    """How many runs of one group (a method, or a method and a hyper-parameter value) succeeded."""

    key: tuple
    runs: int
    successes: int
    diverged: int

    @property
    def rate(self) -> float:
        return self.successes / self.runs

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """The Wilson score interval for the success probability (95% for z = 1.96):

            (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n),   p̂ = successes / n

        (Wilson 1927). Unlike p̂ ± z √(p̂(1 − p̂)/n) it stays inside [0, 1] and is not
        empty when there are 0 or n successes, which matters for a handful of runs.
        """
        n, p = self.runs, self.rate
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half_width = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
        return max(0.0, centre - half_width), min(1.0, centre + half_width)


def success_rates(results: Sequence[RunResult], criterion: SuccessCriterion,
                  by: Sequence[str] = ("method",)) -> list[SuccessRate]:
    """Successes per group of runs, grouped by the SweepPoint fields ``by``, in order of
    first appearance (e.g. by=("method", "n_disc") for a row per method and n_disc)."""
    fields = SweepPoint.__dataclass_fields__
    unknown = [name for name in by if name not in fields]
    if unknown or not by:
        raise ValueError(f"group by one or more of {list(fields)}, got {list(by)}.")
    groups: dict[tuple, list[RunResult]] = {}
    for result in results:
        groups.setdefault(tuple(getattr(result.point, name) for name in by), []).append(result)
    return [SuccessRate(key, len(members), sum(criterion(r) for r in members),
                        sum(r.diverged for r in members))
            for key, members in groups.items()]


def format_success_table(rates: Sequence[SuccessRate], by: Sequence[str] = ("method",)) -> str:
    """A plain-text table: the group, the number of runs, successes, the rate with its 95%
    Wilson interval, and the runs that diverged."""
    headers = list(by) + ["runs", "successes", "success rate", "95% interval", "diverged"]
    rows = [[_cell(value) for value in rate.key]
            + [str(rate.runs), str(rate.successes), f"{rate.rate:.0%}",
               "{:.0%}–{:.0%}".format(*rate.interval()), str(rate.diverged)]
            for rate in rates]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) if i < len(by) else h.rjust(w)
                       for i, (h, w) in enumerate(zip(headers, widths)))]
    for row in rows:
        lines.append("  ".join(v.ljust(w) if i < len(by) else v.rjust(w)
                               for i, (v, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["Method", "MANY_PATHS_METHODS", "ns_gan", "gan_gp", "dragan_ns", "wgan_gp", "SweepPoint",
           "sweep_grid", "group_for_batches", "SweepSettings", "MANY_PATHS_SWEEP", "RunResult",
           "SuccessCriterion", "evaluate", "run_sweep", "SuccessRate", "success_rates",
           "format_success_table"]
