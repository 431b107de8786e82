"""gan_course.checks.wasserstein: right answers pass, typical mistakes get their own hint."""

import pytest
import torch
from scipy.optimize import linear_sum_assignment

from gan_course import checks, metrics
from gan_course.checks import CheckFailed


def right_1d(x, y):
    return (x.sort().values - y.sort().values).abs().mean()


def right_2d(x, y):
    return metrics.exact_wasserstein(x, y)


def right_interpolates(real, fake, rng):
    epsilon = torch.rand(real.shape[0], 1, generator=rng)
    return epsilon * real + (1 - epsilon) * fake


def blank(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("hidden", [False, True])
def test_right_answers_pass(hidden, capsys):
    checks.check_wasserstein_1d(right_1d, hidden=hidden)
    checks.check_exact_wasserstein(right_2d, hidden=hidden)
    checks.check_interpolates(right_interpolates, hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 3


def test_blanks_say_not_implemented():
    for check in (checks.check_wasserstein_1d, checks.check_exact_wasserstein, checks.check_interpolates):
        with pytest.raises(NotImplementedError, match="not implemented yet"):
            check(blank)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, y: (x - y).abs().mean(), "sort both samples first"),
    (lambda x, y: (x.mean() - y.mean()).abs(), "distance between the means"),
    (lambda x, y: ((x.sort().values - y.sort().values) ** 2).mean(), "not their squares"),
    (lambda x, y: (x.sort().values - y.sort().values).abs().sum(), "mean of the gaps, not their sum"),
    (lambda x, y: torch.ones(3), "one number"),
])
def test_1d_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_wasserstein_1d(wrong)


def squared_cost(x, y):
    cost = (torch.cdist(x.double(), y.double()) ** 2).numpy()
    rows, columns = linear_sum_assignment(cost)
    return float(cost[rows, columns].mean())


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, y: (x - y).norm(dim=1).mean(), "in the order given"),
    (squared_cost, "not its square"),
    (lambda x, y: (x.sort(dim=0).values - y.sort(dim=0).values).norm(dim=1).mean(),
     "sorting each coordinate separately"),
    (lambda x, y: metrics.exact_wasserstein(x, y) * len(x), "not their sum"),
])
def test_2d_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_exact_wasserstein(wrong)


def per_coordinate(real, fake, rng):
    epsilon = torch.rand(real.shape, generator=rng)
    return epsilon * real + (1 - epsilon) * fake


def one_epsilon(real, fake, rng):
    epsilon = torch.rand(1, generator=rng)
    return epsilon * real + (1 - epsilon) * fake


def global_rng(real, fake, rng):
    epsilon = torch.rand(real.shape[0], 1)
    return epsilon * real + (1 - epsilon) * fake


def gaussian_epsilon(real, fake, rng):
    epsilon = torch.randn(real.shape[0], 1, generator=rng)
    return epsilon * real + (1 - epsilon) * fake


def ignores_the_seed(real, fake, rng):
    epsilon = torch.rand(real.shape[0], 1, generator=torch.Generator().manual_seed(0))
    return epsilon * real + (1 - epsilon) * fake


@pytest.mark.parametrize("wrong, hint", [
    (per_coordinate, "ONE ε per pair"),
    (one_epsilon, "same ε for every pair"),
    (gaussian_epsilon, "leave the segments"),
    (global_rng, "different points for the same seeded rng"),
    (ignores_the_seed, "same points for differently seeded rngs"),
    (lambda real, fake, rng: real[:5], "shape"),
])
def test_interpolate_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_interpolates(wrong)


def test_rankings(capsys):
    reference = {"a": 0.1, "b": 0.5, "c": 1.0}
    checks.check_same_ranking({"a": 0.2, "b": 0.6, "c": torch.tensor(2.0)}, reference)
    assert "✓" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match=r"rank the models \['b', 'a', 'c'\]"):
        checks.check_same_ranking({"a": 0.7, "b": 0.6, "c": 2.0}, reference)
    with pytest.raises(CheckFailed, match="one distance per model"):
        checks.check_same_ranking({"a": 0.1}, reference)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, y: (x.sort().values - y).abs().mean(), "not just one"),
    (lambda x, y: (x - y.sort().values).abs().mean(), "not just one"),
    (lambda x, y: (x.sort().values - y.sort().values).abs(), "one number"),
])
def test_more_1d_mistakes_fail_the_visible_check(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_wasserstein_1d(wrong)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, y: torch.cdist(x, y).min(dim=1).values.mean(), "nearest neighbour"),
    (lambda x, y: torch.cdist(x, y).min(dim=0).values.mean(), "nearest neighbour"),
])
def test_nearest_neighbours_are_not_a_plan(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_exact_wasserstein(wrong)
