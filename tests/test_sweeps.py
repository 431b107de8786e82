"""Hyper-parameter sweeps: the grid, batching by shared fields, evaluation, success rates."""

import math

import pytest
import torch
from torch import nn

from gan_course import metrics, penalties, sweeps
from gan_course.data import toy
from gan_course.toy_training import GANConfig, train_toy

RING = toy.ring_of_gaussians()
TINY = dict(width=8, depth=1, batch_size=16)


def point(method="NS-GAN", lr=1e-3, beta1=0.5, n_disc=1, seed=0):
    return sweeps.SweepPoint(method, lr, beta1, n_disc, seed)


def result(modes=8, high_quality=0.9, wasserstein=0.1, diverged=False, **fields):
    return sweeps.RunResult(point(**fields), modes, high_quality, wasserstein, diverged)


CRITERION = sweeps.SuccessCriterion(min_modes=8, min_high_quality=0.5, max_wasserstein=0.2)


# --------------------------------------------------------------------------- grid and configs


def test_grid_has_every_combination_in_nesting_order():
    points = sweeps.sweep_grid(["A", "B"], lrs=[1e-3, 1e-4], beta1s=[0.5], n_discs=[1, 2],
                               seeds=[0, 1, 2])
    assert len(points) == 2 * 2 * 1 * 2 * 3
    assert points[0] == sweeps.SweepPoint("A", 1e-3, 0.5, 1, 0)
    assert points[1] == sweeps.SweepPoint("A", 1e-3, 0.5, 1, 1)  # seeds vary fastest
    assert points[-1] == sweeps.SweepPoint("B", 1e-4, 0.5, 2, 2)
    assert len(set(points)) == len(points)


@pytest.mark.parametrize("bad", [dict(lrs=[]), dict(seeds=[0, 0]), dict(methods="NS-GAN")])
def test_grid_rejects_empty_repeated_or_string_axes(bad):
    axes = dict(methods=["NS-GAN"], lrs=[1e-3], beta1s=[0.5], n_discs=[1], seeds=[0])
    axes.update(bad)
    with pytest.raises(ValueError, match="non-empty list|twice"):
        sweeps.sweep_grid(**axes)


def test_point_config_sets_the_swept_fields_and_a_fresh_seeded_penalty():
    config = point("GAN-GP", lr=2e-4, beta1=0.9, n_disc=2, seed=7).config(
        sweeps.MANY_PATHS_METHODS, **TINY)
    assert (config.lr_disc, config.lr_gen, config.betas, config.n_disc, config.seed) == \
        (2e-4, 2e-4, (0.9, 0.999), 2, 7)
    assert config.loss == "non_saturating" and config.width == 8
    assert isinstance(config.penalty, penalties.WGANGradientPenalty) and config.penalty.seed == 7
    again = point("GAN-GP", seed=7).config(sweeps.MANY_PATHS_METHODS, **TINY)
    assert again.penalty is not config.penalty  # each run its own random stream


def test_the_four_methods_are_the_papers():
    methods = {name: make(3) for name, make in sweeps.MANY_PATHS_METHODS.items()}
    assert methods["NS-GAN"] == dict(loss="non_saturating")
    assert methods["GAN-GP"]["loss"] == "non_saturating"
    assert isinstance(methods["GAN-GP"]["penalty"], penalties.WGANGradientPenalty)
    assert methods["DRAGAN-NS"]["loss"] == "non_saturating"
    assert isinstance(methods["DRAGAN-NS"]["penalty"], penalties.DRAGANPenalty)
    assert methods["WGAN-GP"]["loss"] == "wasserstein"
    assert isinstance(methods["WGAN-GP"]["penalty"], penalties.WGANGradientPenalty)
    assert all(m["penalty"].weight == 10.0 for m in methods.values() if "penalty" in m)


def test_unknown_method_names_the_choices():
    with pytest.raises(ValueError, match="unknown method 'LSGAN'.*NS-GAN"):
        point("LSGAN").config(sweeps.MANY_PATHS_METHODS)


def test_groups_follow_the_shared_fields():
    configs = [GANConfig(n_disc=n, lr_disc=lr, **TINY) for n, lr in
               [(1, 1e-3), (2, 1e-3), (1, 1e-4), (2, 1e-4), (1, 5e-4)]]
    assert sweeps.group_for_batches(configs) == [[0, 2, 4], [1, 3]]


# --------------------------------------------------------------------------- evaluation


class Constant(nn.Module):
    """A 'generator' that maps all noise to one point."""

    def __init__(self, where):
        super().__init__()
        self.layer = nn.Linear(2, 2)
        self.where = torch.tensor(where)

    def forward(self, z):
        return self.where.expand(z.shape[0], 2) + 0 * self.layer(z)


def test_evaluate_a_point_mass_at_the_centre():
    # every assignment costs the same, so W₁ is the mean distance of the data to the origin
    evaluated = sweeps.evaluate(Constant([0.0, 0.0]), RING, point(), n_eval=300, eval_seed=5)
    rng = torch.Generator().manual_seed(5)
    torch.randn(300, 2, generator=rng)  # the noise is drawn first, then the data
    real = RING.sample(300, rng=rng)
    assert evaluated.wasserstein == pytest.approx(float(real.norm(dim=1).mean()), rel=1e-6)
    assert evaluated.wasserstein == pytest.approx(2.0, abs=0.01)
    assert (evaluated.modes_covered, evaluated.high_quality, evaluated.diverged) == (0, 0.0, False)


def test_evaluate_a_point_mass_on_one_mode():
    evaluated = sweeps.evaluate(Constant([2.0, 0.0]), RING, point(), n_eval=200, eval_seed=0)
    assert (evaluated.modes_covered, evaluated.high_quality) == (1, 1.0)


def test_evaluate_marks_non_finite_samples_as_diverged():
    evaluated = sweeps.evaluate(Constant([math.nan, 0.0]), RING, point(), n_eval=10, eval_seed=0)
    assert evaluated.diverged and evaluated.wasserstein == math.inf
    assert not CRITERION(evaluated)


# --------------------------------------------------------------------------- running a sweep


def test_batched_sweep_gives_each_run_its_solo_result():
    points = sweeps.sweep_grid(["NS-GAN", "WGAN-GP"], lrs=[1e-3], beta1s=[0.5, 0.9], n_discs=[1, 2],
                               seeds=[0])
    results = sweeps.run_sweep(RING, sweeps.MANY_PATHS_METHODS, points, steps=6, n_eval=100,
                               progress=False, **TINY)
    assert [r.point for r in results] == points
    for index in (0, 3, 5):  # runs from both groups (n_disc 1 and 2) and both methods
        alone = train_toy(RING, points[index].config(sweeps.MANY_PATHS_METHODS, **TINY), steps=6,
                          progress=False)
        expected = sweeps.evaluate(alone.generator, RING, points[index], 100, 12345)
        # a batch and a run alone round differently (see tests/test_batched.py)
        assert results[index].wasserstein == pytest.approx(expected.wasserstein, rel=1e-4)
        assert torch.allclose(results[index].samples, expected.samples, atol=1e-4)


class NaNPenalty:
    def __call__(self, discriminator, real, fake):
        return torch.tensor(math.nan)


def test_a_diverging_run_fails_alone_and_the_others_are_kept():
    methods = dict(sweeps.MANY_PATHS_METHODS, broken=lambda seed: dict(loss="non_saturating",
                                                                      penalty=NaNPenalty()))
    points = sweeps.sweep_grid(["NS-GAN", "broken"], lrs=[1e-3], beta1s=[0.5], n_discs=[1],
                               seeds=[0, 1])
    results = sweeps.run_sweep(RING, methods, points, steps=3, n_eval=50, progress=False, **TINY)
    assert [r.diverged for r in results] == [False, False, True, True]
    assert all(math.isfinite(r.wasserstein) for r in results[:2])
    assert [rate.diverged for rate in sweeps.success_rates(results, CRITERION)] == [0, 2]


def test_run_sweep_explains_bad_input():
    points = [point()]
    with pytest.raises(ValueError, match="mixture with modes"):
        sweeps.run_sweep(toy.TwoMoons(), sweeps.MANY_PATHS_METHODS, points, steps=2)
    with pytest.raises(ValueError, match="set by each sweep point"):
        sweeps.run_sweep(RING, sweeps.MANY_PATHS_METHODS, points, steps=2, n_disc=3)
    with pytest.raises(ValueError, match="no points"):
        sweeps.run_sweep(RING, sweeps.MANY_PATHS_METHODS, [], steps=2)


# --------------------------------------------------------------------------- success


def test_criterion_bounds_are_inclusive_and_each_is_required():
    assert CRITERION(result(modes=8, high_quality=0.5, wasserstein=0.2))
    assert not CRITERION(result(modes=7))
    assert not CRITERION(result(high_quality=0.49))
    assert not CRITERION(result(wasserstein=0.21))
    assert not CRITERION(result(diverged=True))
    described = str(CRITERION)
    assert "≥ 8" in described and "50%" in described and "≤ 0.2" in described and "1,000" in described


def test_success_rates_per_method_and_per_hyper_parameter():
    results = [result(method="A", n_disc=1), result(method="A", n_disc=2, modes=3),
               result(method="B", n_disc=1, wasserstein=1.0), result(method="A", n_disc=1),
               result(method="B", n_disc=2, diverged=True)]
    by_method = sweeps.success_rates(results, CRITERION)
    assert [(r.key, r.runs, r.successes, r.diverged) for r in by_method] == \
        [(("A",), 3, 2, 0), (("B",), 2, 0, 1)]
    assert by_method[0].rate == pytest.approx(2 / 3)
    by_both = sweeps.success_rates(results, CRITERION, by=("method", "n_disc"))
    assert [(r.key, r.runs, r.successes) for r in by_both] == \
        [(("A", 1), 2, 2), (("A", 2), 1, 0), (("B", 1), 1, 0), (("B", 2), 1, 0)]
    with pytest.raises(ValueError, match="group by"):
        sweeps.success_rates(results, CRITERION, by=("width",))


def test_criterion_parts_say_which_condition_failed():
    assert CRITERION.parts(result(modes=7, wasserstein=0.5)) == \
        {"modes": False, "high_quality": True, "wasserstein": False}
    assert CRITERION.parts(result(diverged=True)) == \
        {"modes": False, "high_quality": False, "wasserstein": False}


def test_wilson_interval_golden_values_and_properties():
    # 2 successes of 16: p̂ = 0.125, Wilson 95% interval (0.0350, 0.3604)
    low, high = sweeps.SuccessRate(("A",), 16, 2, 0).interval()
    assert (low, high) == (pytest.approx(0.03498, abs=1e-4), pytest.approx(0.36023, abs=1e-4))
    for runs in (1, 5, 40):
        for successes in range(runs + 1):
            low, high = sweeps.SuccessRate(("A",), runs, successes, 0).interval()
            assert 0.0 <= low <= successes / runs <= high <= 1.0 and high > low
    # more runs, narrower interval at the same rate
    narrow = sweeps.SuccessRate(("A",), 160, 20, 0).interval()
    assert narrow[1] - narrow[0] < 0.36023 - 0.03498


def test_table_lists_runs_successes_and_rates():
    rates = sweeps.success_rates([result(method="NS-GAN", lr=1e-3), result(method="NS-GAN", lr=1e-4,
                                                                           modes=2)],
                                 CRITERION, by=("method", "lr"))
    table = sweeps.format_success_table(rates, by=("method", "lr"))
    lines = table.splitlines()
    assert lines[0].split() == ["method", "lr", "runs", "successes", "success", "rate", "95%",
                                "interval", "diverged"]
    assert lines[1].split() == ["NS-GAN", "0.001", "1", "1", "100%", "21%–100%", "0"]
    assert lines[2].split() == ["NS-GAN", "0.0001", "1", "0", "0%", "0%–79%", "0"]
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_exact_wasserstein_is_what_the_sweep_measures():
    # the sweep's W is metrics.exact_wasserstein on n_eval vs n_eval points
    evaluated = sweeps.evaluate(Constant([1.0, 1.0]), RING, point(), n_eval=50, eval_seed=3)
    rng = torch.Generator().manual_seed(3)
    torch.randn(50, 2, generator=rng)
    real = RING.sample(50, rng=rng)
    assert evaluated.wasserstein == metrics.exact_wasserstein(evaluated.samples, real)


def test_lesson_sweep_settings_describe_the_grid():
    settings = sweeps.MANY_PATHS_SWEEP
    points = sweeps.sweep_grid(list(sweeps.MANY_PATHS_METHODS), settings.lrs, settings.beta1s,
                               settings.n_discs, settings.seeds)
    assert len(points) == 64
    assert "learning rate ∈ {0.0005, 0.002}" in settings.describe()
    assert "n_disc ∈ {1, 2}" in settings.describe() and "2 seeds" in settings.describe()
    ring = settings.data()
    assert ring.modes.shape == (8, 2) and torch.allclose(ring.mode_std, torch.tensor(0.05))
    # the threshold sits above the distance between two samples of the data itself
    rng = torch.Generator().manual_seed(0)
    n = settings.criterion.n_eval
    floor = metrics.exact_wasserstein(ring.sample(n, rng=rng), ring.sample(n, rng=rng))
    assert floor < settings.criterion.max_wasserstein / 2
