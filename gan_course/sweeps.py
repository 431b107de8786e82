"""Hyper-parameter sweeps of 2D GANs, run as batched runs, their success rates and paired tests.

A GAN variant is judged here the way Fedus et al. (2018, "Many paths to
equilibrium") judge them: not by its best run, but by how often a run succeeds
over a grid of hyper-parameters and seeds. A sweep is a list of ``SweepPoint``s,

    method × learning rate η × Adam (β₁, β₂) × discriminator updates n_disc × λ × seed,

every point one GAN run (η_D = η_G = η). ``sweep_grid`` builds a full product;
``MANY_PATHS_STUDY.points()`` builds lesson 08's design. The runs are trained with
``gan_course.batched.train_batch``, one call per group of configurations that
share ``SHARED_FIELDS`` (here: one group per n_disc), since one batched call
trains many small runs several times faster than one after the other.

Each run is evaluated on ``n_eval`` samples x = G_θ(z):

- mode coverage and the high-quality share (``metrics.mode_coverage``);
- the exact Wasserstein-1 distance to ``n_eval`` data samples
  (``metrics.exact_wasserstein``, an optimal assignment).

A :class:`SuccessCriterion` turns these into success or failure. Two ways to run:

- ``run_sweep``: every run judged once, after ``steps`` steps; ``success_rates``
  counts successes per method (or per any hyper-parameter).
- ``run_recorded_sweep``: every run recorded every ``record_every`` steps, so that
  one long run is judged at several budgets (``RecordedRun.succeeded``: the
  criterion met at 2 of the last 3 records up to the budget); ``format_budget_table``
  prints success against budget, and ``paired_test`` compares two methods on runs
  paired by seed with McNemar's exact test.

    points = sweep_grid(["NS-GAN", "GAN-GP"], lrs=[1e-3], beta1s=[0.5], n_discs=[1], seeds=[0, 1])
    results = run_sweep(data, MANY_PATHS_METHODS, points, steps=2000, width=64, depth=2)
    print(format_success_table(success_rates(results, criterion)))
"""

from __future__ import annotations

import inspect
import itertools
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import torch

from gan_course import metrics, penalties
from gan_course.batched import SHARED_FIELDS, train_batch
from gan_course.config import keep_freed_memory
from gan_course.data import toy
from gan_course.history import record_steps_for
from gan_course.toy_training import GANConfig
from gan_course.validation import check_int

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
    """One run of a sweep: a method and its hyper-parameters.

    beta2: Adam's β₂ (0.999 unless a method's standard setting says otherwise, e.g.
        WGAN-GP's 0.9).
    weight: the penalty weight λ handed to the method (``methods[name](seed, weight=λ)``),
        or None for the method's default (and for a method without a penalty).
    """

    method: str
    lr: float
    beta1: float
    n_disc: int
    seed: int
    beta2: float = ADAM_BETA2
    weight: float | None = None

    def config(self, methods: Mapping[str, Method], **shared) -> GANConfig:
        """The run's GANConfig: the method's fields, η_D = η_G = lr, betas (β₁, β₂),
        and the ``shared`` fields (width, depth, batch_size, ...) common to the sweep."""
        if self.method not in methods:
            raise ValueError(f"unknown method {self.method!r}; the sweep's methods are "
                             f"{sorted(methods)}.")
        make = methods[self.method]
        if self.weight is None:
            fields = make(self.seed)
        else:
            if "weight" not in inspect.signature(make).parameters:
                raise ValueError(f"{self.method} has no penalty weight to set; give its points "
                                 "weight=None.")
            fields = make(self.seed, weight=self.weight)
        return GANConfig(lr_disc=self.lr, lr_gen=self.lr, betas=(self.beta1, self.beta2),
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
    return evaluate_samples(samples, data.sample(n_eval, rng=rng), data, point)


def evaluate_samples(samples: Tensor, real: Tensor, data, point: SweepPoint) -> RunResult:
    """Mode coverage of ``samples`` on the mixture ``data`` and their exact W₁ to ``real``
    (as many data samples); a run whose samples are not finite has diverged."""
    if not torch.isfinite(samples).all():
        return RunResult(point, 0, 0.0, math.inf, diverged=True)
    covered, high_quality = metrics.mode_coverage(samples, data.modes, data.mode_std)
    return RunResult(point, covered, high_quality, metrics.exact_wasserstein(samples, real),
                     samples=samples)


def _train_group(data, points, methods, steps, shared, progress, **recording) -> list:
    """Histories of the runs ``points`` (one train_batch call), or None for runs that
    diverged. A NaN in one run stops the whole call, so the group is split in halves
    until the runs that diverge are alone; the others are trained again (their
    results do not depend on their batch mates, see ``train_batch``)."""
    configs = [point.config(methods, **shared) for point in points]
    try:
        return train_batch(data, configs, steps, progress=progress, **recording)
    except FloatingPointError:  # a loss became NaN or infinite
        if len(points) == 1:
            return [None]
        half = len(points) // 2
        return (_train_group(data, points[:half], methods, steps, shared, progress, **recording)
                + _train_group(data, points[half:], methods, steps, shared, progress, **recording))


def _train_groups(data, groups: list[list[SweepPoint]], methods, steps, shared, progress,
                  workers: int, **recording) -> list[list]:
    """``_train_group`` for every group: one after the other, or with ``workers`` > 1 each
    group in a process of its own, with one torch thread, as ``gan_course.setup`` gives
    the lessons. A run depends only on its own configuration, so the results are the
    same bits either way; on a 2-core CPU two groups of similar cost take half the time."""
    workers = check_int(workers, "workers", minimum=1)
    if workers == 1 or len(groups) == 1:
        return [_train_group(data, points, methods, steps, shared, progress, **recording)
                for points in groups]
    _check_importable(methods, workers)
    # spawn, not fork: a forked child inherits torch's thread pools in an unknown state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_one_thread) as pool:
        futures = [pool.submit(_train_group, data, points, methods, steps, shared, False,
                               **recording) for points in groups]
        return [future.result() for future in futures]


def _check_importable(methods: Mapping[str, Method], workers: int) -> None:
    """A worker process receives each method by its module and name, so it must be able to
    import it: a lambda, or a function defined in a notebook, cannot be."""
    for name, method in methods.items():
        where = getattr(method, "__module__", None)
        if where in (None, "__main__") or "<" in getattr(method, "__qualname__", "<"):
            raise ValueError(f"workers={workers} trains in other processes, which can only use "
                             f"methods defined in a module; {name!r} is a lambda or is defined in "
                             "the notebook: pass workers=1, or define it in a .py file and import it.")


def _one_thread() -> None:
    """A worker process trains like a lesson: one torch thread, freed memory kept."""
    torch.set_num_threads(1)
    keep_freed_memory()


def _check_sweep(data, points, shared) -> list[SweepPoint]:
    if not hasattr(data, "modes") or not hasattr(data, "mode_std"):
        raise ValueError("a sweep measures mode coverage, so the data must be a mixture with "
                         "modes, e.g. toy.ring_of_gaussians() or toy.grid_of_gaussians().")
    points = list(points)
    if not points:
        raise ValueError("the sweep has no points; build them with sweep_grid(...).")
    clashes = {"lr_disc", "lr_gen", "betas", "n_disc", "seed"} & set(shared)
    if clashes:
        raise ValueError(f"{sorted(clashes)} are set by each sweep point; do not pass them as "
                         "shared fields.")
    return points


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
    points = _check_sweep(data, points, shared)
    configs = [point.config(methods, **shared) for point in points]  # validates every run first
    results: list[RunResult | None] = [None] * len(points)
    for group in group_for_batches(configs):
        group_points = [points[i] for i in group]
        histories = _train_group(data, group_points, methods, steps, shared, progress,
                                 record_every=steps)
        for index, point, history in zip(group, group_points, histories):
            results[index] = (RunResult(point, 0, 0.0, math.inf, diverged=True)
                              if history is None else evaluate(history.generator, data, point,
                                                               n_eval, eval_seed))
    return results


# --------------------------------------------------------------------------- success against budget


@dataclass
class RecordedRun:
    """One sweep run evaluated at every record of its training, so that one long run
    answers "has it succeeded by step b?" for every budget b.

    point: the run's SweepPoint.
    steps: the record steps (0 and the last step included).
    samples: (T, n_eval, 2) G_θ(z) at each record for one fixed batch of noise z (the
        History's ``fake``), or None if the run diverged.
    real: (n_eval, 2) the data sample every record is compared with (the same for every run).
    data: the mixture (its modes and mode_std).
    diverged: the run's loss became NaN or infinite; it then fails at every budget.
    history: the run's History (None if it diverged), for figures and the player.
    """

    point: SweepPoint
    steps: list[int]
    samples: Tensor | None
    real: Tensor
    data: object
    diverged: bool = False
    history: object = field(default=None, repr=False)
    _results: dict = field(default_factory=dict, repr=False)

    def result(self, index: int) -> RunResult:
        """The RunResult of record ``index`` (computed once: the exact W₁ is the slow part)."""
        if self.diverged:
            return RunResult(self.point, 0, 0.0, math.inf, diverged=True)
        if index not in self._results:
            self._results[index] = evaluate_samples(self.samples[index], self.real, self.data,
                                                    self.point)
        return self._results[index]

    def passes(self, index: int, criterion: SuccessCriterion) -> bool:
        """Whether record ``index`` meets the criterion. The exact W₁ is computed only for
        records that meet the two cheap conditions (modes and high-quality share) first."""
        if self.diverged:
            return False
        covered, high_quality = metrics.mode_coverage(self.samples[index], self.data.modes,
                                                      self.data.mode_std)
        if covered < criterion.min_modes or high_quality < criterion.min_high_quality:
            return False
        return criterion(self.result(index))

    def succeeded(self, criterion: SuccessCriterion, budget: int, window: int = 3,
                  needed: int = 2) -> bool:
        """Success at ``budget`` steps: the criterion holds at ``needed`` of the last ``window``
        records up to that step (2 of the last 3 by default). One good record of a run that
        oscillates does not count, nor does one bad record spoil a run that has arrived."""
        if budget not in self.steps:
            raise ValueError(f"budget {budget:,} is not a record step of this run; record every "
                             f"step that divides all budgets (records at {self.steps[:4]}...).")
        upto = [i for i, step in enumerate(self.steps) if 0 < step <= budget]
        if len(upto) < window or not 1 <= needed <= window:
            raise ValueError(f"'{needed} of the last {window} records' needs at least {window} "
                             f"records after step 0 up to step {budget:,}; there are {len(upto)}.")
        return sum(self.passes(i, criterion) for i in upto[-window:]) >= needed


def run_recorded_sweep(data, methods: Mapping[str, Method], points: Sequence[SweepPoint],
                       steps: int, record_every: int, n_eval: int = 500, eval_seed: int = 12345,
                       grid_size: int = 8, progress: bool = True, workers: int = 1,
                       **shared) -> list[RecordedRun]:
    """Train every point of the sweep for ``steps`` steps, recording its samples every
    ``record_every`` steps; one RecordedRun per point, in order.

    Each record holds ``n_eval`` samples G_θ(z) of one fixed noise batch (the History's
    display samples), compared with one data sample of ``n_eval`` points drawn with
    ``eval_seed`` (the same for every run and record). ``grid_size`` is the History's
    discriminator grid (coarse by default; 60 to watch the runs in a Player). ``workers``:
    processes that train the groups (one ``train_batch`` call each) at the same time; the
    results do not depend on it. The other arguments are ``run_sweep``'s. The runs are
    evaluated lazily, by ``RecordedRun.succeeded``.
    """
    points = _check_sweep(data, points, shared)
    configs = [point.config(methods, **shared) for point in points]  # validates every run first
    real = data.sample(n_eval, rng=torch.Generator().manual_seed(eval_seed))
    record_steps = [int(step) for step in record_steps_for(steps, record_every)]
    runs: list[RecordedRun | None] = [None] * len(points)
    groups = group_for_batches(configs)
    trained = _train_groups(data, [[points[i] for i in group] for group in groups], methods, steps,
                            shared, progress, workers, record_every=record_every, n_show=n_eval,
                            grid_size=grid_size)
    for group, histories in zip(groups, trained):
        for index, point, history in zip(group, [points[i] for i in group], histories):
            runs[index] = (RecordedRun(point, record_steps, None, real, data, diverged=True)
                           if history is None else
                           RecordedRun(point, [int(s) for s in history.steps], history.fake, real, data,
                                       history=history))
    return runs


def outcomes_at_budgets(runs: Sequence[RecordedRun], criterion: SuccessCriterion,
                        budgets: Sequence[int], window: int = 3, needed: int = 2) -> dict[int, list[bool]]:
    """budget → every run's success at that budget (``RecordedRun.succeeded``), in run order."""
    return {budget: [run.succeeded(criterion, budget, window, needed) for run in runs]
            for budget in budgets}


def format_budget_table(runs: Sequence[RecordedRun], outcomes: Mapping[int, Sequence[bool]],
                        by: Sequence[str] = ("method",)) -> str:
    """Successes against budget: a row per group of runs (grouped by the SweepPoint fields
    ``by``), a column per budget with "successes/runs (95% Wilson interval)"."""
    points = [run.point for run in runs]
    diverged = [run.diverged for run in runs]
    per_budget = {budget: rates_from_outcomes(points, successes, diverged, by)
                  for budget, successes in outcomes.items()}
    first = next(iter(per_budget.values()))
    headers = list(by) + ["runs"] + [f"{budget:,} steps" for budget in per_budget] + ["diverged"]
    rows = []
    for row, rate in enumerate(first):
        cells = [_cell(value) for value in rate.key] + [str(rate.runs)]
        for rates in per_budget.values():
            low, high = rates[row].interval()
            cells.append(f"{rates[row].successes}/{rates[row].runs} ({low:.0%}–{high:.0%})")
        rows.append(cells + [str(rate.diverged)])
    return _aligned(headers, rows, left=len(by))


def _aligned(headers: Sequence[str], rows: Sequence[Sequence[str]], left: int) -> str:
    """Columns padded to a common width: the first ``left`` to the left, the others to the right."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    return "\n".join("  ".join(v.ljust(w) if i < left else v.rjust(w)
                               for i, (v, w) in enumerate(zip(line, widths)))
                     for line in [headers, *rows])


# --------------------------------------------------------------------------- paired tests


@dataclass(frozen=True)
class PairedTest:
    """McNemar's exact test for two methods run on the same pairs (same seed, ...).

    Of ``pairs`` pairs, ``both`` succeeded with both methods, ``neither`` with neither;
    ``only_first`` with the first method only and ``only_second`` with the second only.
    Only these discordant pairs carry information about which method succeeds more
    often. Under the null hypothesis that both succeed equally often, each of the
    n = only_first + only_second discordant pairs falls either way with probability
    1/2, so the two-sided exact p-value is

        p = min(1, 2 · P(Bin(n, 1/2) ≤ min(only_first, only_second)))

    (McNemar 1947, in its exact binomial form; p = 1 when n = 0).
    """

    first: str
    second: str
    pairs: int
    both: int
    only_first: int
    only_second: int
    neither: int

    @property
    def p_value(self) -> float:
        n = self.only_first + self.only_second
        if n == 0:
            return 1.0
        tail = sum(math.comb(n, i) for i in range(min(self.only_first, self.only_second) + 1))
        return min(1.0, 2 * tail / 2**n)


def mcnemar_exact(first: Sequence[bool], second: Sequence[bool], names=("first", "second")) -> PairedTest:
    """McNemar's exact test on paired outcomes: first[i] and second[i] are pair i's successes."""
    if len(first) != len(second):
        raise ValueError(f"paired outcomes must have equal lengths, got {len(first)} and {len(second)}.")
    pairs = list(zip((bool(a) for a in first), (bool(b) for b in second)))
    return PairedTest(names[0], names[1], len(pairs),
                      both=sum(a and b for a, b in pairs), only_first=sum(a and not b for a, b in pairs),
                      only_second=sum(b and not a for a, b in pairs),
                      neither=sum(not a and not b for a, b in pairs))


def paired_test(points: Sequence[SweepPoint], successes: Sequence[bool], first: str, second: str,
                on: Sequence[str] = ("seed",)) -> PairedTest:
    """McNemar's exact test between the runs of method ``first`` and of method ``second``,
    each run of ``second`` paired with the run of ``first`` that has the same values of the
    SweepPoint fields ``on`` (by default the seed: the same initial networks and the same
    data and noise draws). Every run of ``second`` needs exactly one partner, and no run of
    ``first`` may serve twice (pairs must be independent)."""
    def key(point):
        return tuple(getattr(point, name) for name in on)

    partners: dict[tuple, bool] = {}
    for point, success in zip(points, successes, strict=True):
        if point.method == first:
            if key(point) in partners:
                raise ValueError(f"two runs of {first} share {dict(zip(on, key(point)))}; pair on "
                                 "more fields.")
            partners[key(point)] = success
    first_outcomes, second_outcomes, used = [], [], set()
    for point, success in zip(points, successes):
        if point.method != second:
            continue
        if key(point) not in partners:
            raise ValueError(f"the {second} run {point} has no {first} run with the same {list(on)}.")
        if key(point) in used:
            raise ValueError(f"two runs of {second} share {dict(zip(on, key(point)))}, so one {first} "
                             "run would serve in two pairs; give them different seeds.")
        used.add(key(point))
        first_outcomes.append(partners[key(point)])
        second_outcomes.append(success)
    if not first_outcomes:
        raise ValueError(f"no runs of {second} in the sweep.")
    return mcnemar_exact(first_outcomes, second_outcomes, names=(first, second))


def format_paired_tests(tests: Mapping[int, Sequence[PairedTest]]) -> str:
    """A table of paired tests: a row per budget and comparison, with the four counts
    (both succeeded, only the first, only the second, neither) and McNemar's exact p."""
    headers = ["budget", "first", "second", "pairs", "both", "only first", "only second", "neither",
               "exact p"]
    rows = [[f"{budget:,}", t.first, t.second, str(t.pairs), str(t.both), str(t.only_first),
             str(t.only_second), str(t.neither), f"{t.p_value:.3f}"]
            for budget, budget_tests in tests.items() for t in budget_tests]
    return _aligned(headers, rows, left=3)


# --------------------------------------------------------------------------- lesson 08's sweep


@dataclass(frozen=True)
class ManyPathsStudy:
    """Lesson 08's test of Fedus et al. (2018), fixed before any run: who runs, how long,
    how often it is recorded and what counts as a success.

    ring_std, networks: the data (ring of 8 Gaussians, radius 2) and the networks.
    lr, betas: Adam for NS-GAN, GAN-GP and DRAGAN-NS (one D update per G update).
    seeds_by_weight: penalty weight λ → the seeds of GAN-GP and DRAGAN-NS run with it.
        NS-GAN runs every one of these seeds, so each penalised run has its own NS-GAN
        partner with the same seed (same initial networks, same data and noise draws).
    wgan_gp: WGAN-GP's own settings (lr, betas, n_disc, weight, seeds).
    budgets: training steps at which success is judged, all from the same long runs.
    record_every: steps between records; success at budget b needs ``needed`` of the
        last ``window`` records up to b.
    criterion: what a record must meet.
    """

    ring_std: float
    networks: dict
    lr: float
    betas: tuple[float, float]
    seeds_by_weight: dict
    wgan_gp: dict
    budgets: tuple[int, ...]
    record_every: int
    window: int
    needed: int
    criterion: SuccessCriterion

    def data(self):
        """The ring of 8 Gaussians (radius 2) with standard deviation ``ring_std``."""
        return toy.ring_of_gaussians(std=self.ring_std)

    @property
    def ns_seeds(self) -> tuple[int, ...]:
        return tuple(seed for seeds in self.seeds_by_weight.values() for seed in seeds)

    def points(self) -> list[SweepPoint]:
        """Every run: NS-GAN on all seeds, GAN-GP and DRAGAN-NS on each λ's seeds, WGAN-GP
        with its own settings on its seeds."""
        beta1, beta2 = self.betas
        points = [SweepPoint("NS-GAN", self.lr, beta1, 1, seed, beta2) for seed in self.ns_seeds]
        for method in ("GAN-GP", "DRAGAN-NS"):
            points += [SweepPoint(method, self.lr, beta1, 1, seed, beta2, weight)
                       for weight, seeds in self.seeds_by_weight.items() for seed in seeds]
        w = self.wgan_gp
        points += [SweepPoint("WGAN-GP", w["lr"], w["betas"][0], w["n_disc"], seed, w["betas"][1],
                              w["weight"]) for seed in w["seeds"]]
        return points

    def describe(self) -> str:
        weights = "; ".join(f"λ = {weight:g} on seeds {', '.join(map(str, seeds))}"
                            for weight, seeds in self.seeds_by_weight.items())
        w = self.wgan_gp
        return "\n".join([
            f"NS-GAN, GAN-GP, DRAGAN-NS: η = {self.lr:g}, Adam β = {self.betas}, 1 D update per G "
            f"update; NS-GAN on seeds {', '.join(map(str, self.ns_seeds))}; GAN-GP and DRAGAN-NS "
            f"with {weights}",
            f"WGAN-GP: η = {w['lr']:g}, Adam β = {w['betas']}, {w['n_disc']} critic updates per G "
            f"update, λ = {w['weight']:g}, seeds {', '.join(map(str, w['seeds']))}",
            f"budgets: {', '.join(f'{b:,}' for b in self.budgets)} steps (G updates) of the same runs, "
            f"a record every {self.record_every:,} steps",
            f"success at a budget: {self.criterion}, at {self.needed} of the last {self.window} "
            "records up to that budget"])


MANY_PATHS_STUDY = ManyPathsStudy(
    ring_std=0.05,
    networks=dict(width=64, depth=2, batch_size=128),
    lr=1e-3,
    betas=(0.5, 0.999),
    # λ = 10 is the paper's; λ = 1 lets the discriminator be ten times less held to slope 1.
    # Three seeds per (method, λ) cell, disjoint across λ, so that every penalised run has
    # its own NS-GAN partner: 6 pairs per penalised method.
    seeds_by_weight={10.0: (0, 1, 2), 1.0: (3, 4, 5)},
    # Gulrajani et al.'s code (gan_toy.py, gan_cifar.py): Adam η = 1e-4, β = (0.5, 0.9), 5 critic
    # updates per generator update, λ = 10. Their Algorithm 1 prints β = (0, 0.9).
    wgan_gp=dict(lr=1e-4, betas=(0.5, 0.9), n_disc=5, weight=10.0, seeds=(0, 1, 2)),
    budgets=(3000, 6000, 12000, 20000),
    record_every=500,
    window=3,
    needed=2,
    # 500 vs 500 points: W₁ between two samples of the ring itself is 0.08-0.23 (median 0.16
    # over 20 pairs of samples), so the threshold allows about twice the typical value.
    criterion=SuccessCriterion(min_modes=8, min_high_quality=0.5, max_wasserstein=0.35, n_eval=500),
)
"""Lesson 08's study: 18 runs with one D update per step and 3 WGAN-GP runs with five, each
20,000 steps long. Sized from a pilot (about 0.65 ms per run and step for the 18, about 4 ms
for WGAN-GP's) to fit a 15-minute notebook on a 2-core CPU: training took 698–717 s of the
notebook's 720–742 s (two full runs) on a machine shared with two other notebook runs."""



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
    return rates_from_outcomes([r.point for r in results], [criterion(r) for r in results],
                               [r.diverged for r in results], by)


def rates_from_outcomes(points: Sequence[SweepPoint], successes: Sequence[bool],
                        diverged: Sequence[bool], by: Sequence[str] = ("method",)) -> list[SuccessRate]:
    """``success_rates`` for outcomes already decided (e.g. at one budget of recorded runs)."""
    fields = SweepPoint.__dataclass_fields__
    unknown = [name for name in by if name not in fields]
    if unknown or not by:
        raise ValueError(f"group by one or more of {list(fields)}, got {list(by)}.")
    groups: dict[tuple, list[tuple[bool, bool]]] = {}
    for point, success, failed in zip(points, successes, diverged, strict=True):
        groups.setdefault(tuple(getattr(point, name) for name in by), []).append((success, failed))
    return [SuccessRate(key, len(members), sum(s for s, _ in members), sum(d for _, d in members))
            for key, members in groups.items()]


def format_success_table(rates: Sequence[SuccessRate], by: Sequence[str] = ("method",)) -> str:
    """A plain-text table: the group, the number of runs, successes, the rate with its 95%
    Wilson interval, and the runs that diverged."""
    headers = list(by) + ["runs", "successes", "success rate", "95% interval", "diverged"]
    rows = [[_cell(value) for value in rate.key]
            + [str(rate.runs), str(rate.successes), f"{rate.rate:.0%}",
               "{:.0%}–{:.0%}".format(*rate.interval()), str(rate.diverged)]
            for rate in rates]
    return _aligned(headers, rows, left=len(by))


def _cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = ["Method", "MANY_PATHS_METHODS", "ns_gan", "gan_gp", "dragan_ns", "wgan_gp", "SweepPoint",
           "sweep_grid", "group_for_batches", "RunResult",
           "SuccessCriterion", "evaluate", "run_sweep", "SuccessRate", "success_rates",
           "format_success_table", "rates_from_outcomes", "evaluate_samples", "RecordedRun",
           "run_recorded_sweep", "outcomes_at_budgets", "format_budget_table", "PairedTest",
           "mcnemar_exact", "paired_test", "format_paired_tests", "ManyPathsStudy", "MANY_PATHS_STUDY"]
