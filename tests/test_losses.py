"""gan_course.losses: the scoring rules of Table 1, their minimisers, stability and checks.

The reference values are computed here with NumPy from the probability form of
each rule (D = σ(l)), not from the package's logit form.
"""

import math

import numpy as np
import pytest
import torch

from gan_course import losses
from gan_course.losses import (
    SCORING_RULES,
    STRICTLY_PROPER,
    Loss,
    get_scoring_rule,
    pointwise_risk,
    prior_log_odds,
    ratio_from_logits,
)

LOGITS_REAL = [-2.0, 0.0, 1.5]
LOGITS_FAKE = [-1.0, 0.5, 3.0]
PRIORS = [0.5, 0.3]
RTOL = 1e-5


# --------------------------------------------------------------------------- NumPy references


def _d(logits):
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def _spherical_alpha(d):
    return (1.0 - 2.0 * d + 2.0 * d**2) ** -0.5


# Per-sample scores ℓ₊ (real, label +1) and ℓ₋ (fake, label -1) written with D.
REFERENCE_SCORES = {
    "bernoulli": (lambda d: -np.log(d), lambda d: -np.log(1 - d)),
    "brier": (lambda d: (1 - d) ** 2, lambda d: d**2),
    "exponential": (lambda d: np.sqrt((1 - d) / d), lambda d: np.sqrt(d / (1 - d))),
    "misclassification": (lambda d: (d <= 0.5).astype(float), lambda d: (d > 0.5).astype(float)),
    "hinge": (
        lambda d: np.maximum(0.0, 1 - np.log(d / (1 - d))),
        lambda d: np.maximum(0.0, 1 + np.log(d / (1 - d))),
    ),
    "spherical": (lambda d: -_spherical_alpha(d) * d, lambda d: -_spherical_alpha(d) * (1 - d)),
}


def reference(rule, logits_real, logits_fake, prior):
    """(discriminator loss, E_p*[ℓ₊], E_q[ℓ₋]) from Table 1's probability formulas."""
    plus, minus = REFERENCE_SCORES[rule]
    real = plus(_d(logits_real)).mean()
    fake = minus(_d(logits_fake)).mean()
    return prior * real + (1 - prior) * fake, real, fake


def test_reference_covers_every_rule():
    assert set(REFERENCE_SCORES) == set(SCORING_RULES)


# --------------------------------------------------------------------------- golden values


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_golden_values_against_table_1(rule, prior):
    out = SCORING_RULES[rule](torch.tensor(LOGITS_REAL), torch.tensor(LOGITS_FAKE), prior)
    expected_loss, expected_real, expected_fake = reference(rule, LOGITS_REAL, LOGITS_FAKE, prior)
    assert isinstance(out, Loss)
    assert out.discriminator.item() == pytest.approx(expected_loss, rel=RTOL)
    assert out.parts["real"].item() == pytest.approx(expected_real, rel=RTOL)
    assert out.parts["fake"].item() == pytest.approx(expected_fake, rel=RTOL)
    assert out.generator.item() == pytest.approx(-(1 - prior) * expected_fake, rel=RTOL)


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_golden_values_unequal_batch_sizes(rule):
    real, fake = [0.3, -4.0], [2.0, -0.7, 0.1, 5.0]
    out = SCORING_RULES[rule](torch.tensor(real, dtype=torch.float64),
                              torch.tensor(fake, dtype=torch.float64), 0.6)
    expected_loss, _, _ = reference(rule, real, fake, 0.6)
    assert out.discriminator.item() == pytest.approx(expected_loss, rel=1e-12)


@pytest.mark.parametrize(
    "rule, expected",
    [
        ("bernoulli", math.log(2.0)),  # -log ½
        ("brier", 0.25),  # (½)²
        ("exponential", 1.0),  # (½ / ½)^½
        ("hinge", 1.0),  # max(0, 1 ∓ 0)
        ("spherical", -math.sqrt(0.5)),  # -α ½ with α = (1 - 1 + ½)^{-½} = √2
    ],
)
@pytest.mark.parametrize("prior", PRIORS)
def test_literal_values_at_zero_logits(rule, expected, prior):
    out = SCORING_RULES[rule](torch.zeros(3), torch.zeros(3), prior)
    assert out.discriminator.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("prior", PRIORS)
def test_misclassification_literal_at_zero_logits(prior):
    # D = ½ counts as "fake" (1[D ≤ ½]), so every real sample is wrong and no fake one.
    out = losses.misclassification(torch.zeros(3), torch.zeros(3), prior)
    assert out.discriminator.item() == pytest.approx(prior, rel=1e-6)


@pytest.mark.parametrize(
    "rule, prior, expected",
    [
        # softplus values: real (2.126928 + 0.693147 + 0.201413) / 3 = 1.007163,
        # fake (0.313262 + 0.974077 + 3.048587) / 3 = 1.445309
        ("bernoulli", 0.5, 1.2262357488),
        ("bernoulli", 0.3, 1.3138649191),
        # real (3 + 1 + 0) / 3, fake (0 + 1.5 + 4) / 3
        ("hinge", 0.5, 0.5 * 4 / 3 + 0.5 * 5.5 / 3),
        ("hinge", 0.3, 0.3 * 4 / 3 + 0.7 * 5.5 / 3),
        # two of three wrong on each side
        ("misclassification", 0.5, 2 / 3),
        ("misclassification", 0.3, 2 / 3),
    ],
)
def test_literal_values_on_fixed_logits(rule, prior, expected):
    out = SCORING_RULES[rule](torch.tensor(LOGITS_REAL), torch.tensor(LOGITS_FAKE), prior)
    assert out.discriminator.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_loss_fields_are_consistent(rule, prior):
    out = SCORING_RULES[rule](torch.tensor(LOGITS_REAL), torch.tensor(LOGITS_FAKE), prior)
    assert set(out.parts) == {"real", "fake"}
    torch.testing.assert_close(
        out.discriminator, prior * out.parts["real"] + (1 - prior) * out.parts["fake"]
    )
    torch.testing.assert_close(out.generator, -(1 - prior) * out.parts["fake"])


def test_default_prior_is_one_half():
    real, fake = torch.tensor(LOGITS_REAL), torch.tensor(LOGITS_FAKE)
    for rule in SCORING_RULES.values():
        torch.testing.assert_close(
            rule(real, fake).discriminator, rule(real, fake, 0.5).discriminator
        )


# --------------------------------------------------------------------------- minimisers

GRID = torch.linspace(-6.0, 6.0, 2401, dtype=torch.float64)  # spacing 0.005
POSTERIORS = (0.1, 0.3, 0.5, 0.8, 0.95)


@pytest.mark.parametrize("eta", POSTERIORS)
@pytest.mark.parametrize("rule", STRICTLY_PROPER)
def test_strictly_proper_rules_are_minimised_at_the_log_odds(rule, eta):
    risk = pointwise_risk(rule, GRID, eta)
    assert risk.shape == GRID.shape
    best = GRID[risk.argmin()].item()
    assert best == pytest.approx(math.log(eta / (1 - eta)), abs=0.01)


def test_strictly_proper_list():
    assert set(STRICTLY_PROPER) == {"bernoulli", "brier", "exponential", "spherical"}


@pytest.mark.parametrize("eta", [0.1, 0.3, 0.8, 0.95])
def test_hinge_is_minimised_at_the_decision(eta):
    risk = pointwise_risk("hinge", GRID, eta)
    best = GRID[risk.argmin()].item()
    assert best == pytest.approx(math.copysign(1.0, 2 * eta - 1), abs=1e-3)
    # and not at the log odds (|log(η/(1-η))| ≥ 0.84 for these η)
    assert abs(best - math.log(eta / (1 - eta))) > 0.1


@pytest.mark.parametrize("eta", [0.1, 0.3, 0.8])
def test_misclassification_risk_is_piecewise_constant(eta):
    risk = pointwise_risk("misclassification", GRID, eta)
    values = torch.unique(risk)
    assert len(values) == 2
    # η on l ≤ 0 (a real point called fake), 1 - η on l > 0
    torch.testing.assert_close(risk[GRID <= 0], torch.full_like(risk[GRID <= 0], eta))
    torch.testing.assert_close(risk[GRID > 0], torch.full_like(risk[GRID > 0], 1 - eta))


def test_pointwise_risk_golden():
    # R(l) = η ℓ₊(l) + (1 - η) ℓ₋(l); Bernoulli at l = 0 is log 2 for every η
    risk = pointwise_risk("brier", torch.tensor([0.0, 2.0], dtype=torch.float64), 0.3)
    d = _d([0.0, 2.0])
    np.testing.assert_allclose(risk.numpy(), 0.3 * (1 - d) ** 2 + 0.7 * d**2, rtol=1e-12)
    assert pointwise_risk("bernoulli", torch.zeros(1), 0.8).item() == pytest.approx(math.log(2))


# --------------------------------------------------------------------------- stability

EXTREME = [-100.0, 100.0]
DIFFERENTIABLE = [r for r in sorted(SCORING_RULES) if r != "misclassification"]


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_finite_losses_at_extreme_logits(rule):
    out = SCORING_RULES[rule](torch.tensor(EXTREME), torch.tensor(EXTREME), 0.3)
    assert torch.isfinite(out.discriminator) and torch.isfinite(out.generator)


@pytest.mark.parametrize("rule", DIFFERENTIABLE)
def test_finite_gradients_at_extreme_logits(rule):
    real = torch.tensor(EXTREME, requires_grad=True)
    fake = torch.tensor(EXTREME, requires_grad=True)
    out = SCORING_RULES[rule](real, fake, 0.3)
    grads = torch.autograd.grad(out.discriminator, (real, fake))
    assert all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("rule", [r for r in DIFFERENTIABLE if r != "exponential"])
def test_finite_at_very_extreme_logits(rule):
    # only the exponential rule genuinely overflows (e^{5000}); the others stay finite
    real = torch.tensor([-1e4, 1e4], requires_grad=True)
    fake = torch.tensor([-1e4, 1e4], requires_grad=True)
    out = SCORING_RULES[rule](real, fake, 0.3)
    grads = torch.autograd.grad(out.discriminator, (real, fake))
    assert torch.isfinite(out.discriminator)
    assert all(torch.isfinite(g).all() for g in grads)


def test_bernoulli_is_computed_from_logits():
    # -log(1 - σ(100)) is inf in float32 if computed naively; the exact value is ≈ 100
    naive = -torch.log(1 - torch.sigmoid(torch.tensor(100.0)))
    assert torch.isinf(naive)  # the trap the package must avoid
    out = losses.bernoulli(torch.tensor([100.0]), torch.tensor([100.0]))
    assert out.parts["fake"].item() == pytest.approx(100.0, abs=1e-4)
    assert out.parts["real"].item() == pytest.approx(0.0, abs=1e-4)
    out = losses.bernoulli(torch.tensor([-100.0]), torch.tensor([-100.0]))
    assert out.parts["real"].item() == pytest.approx(100.0, abs=1e-4)


def test_exponential_literal_at_extreme_logits():
    out = losses.exponential(torch.tensor([-100.0]), torch.tensor([100.0]), 0.5)
    assert torch.isfinite(out.discriminator)
    assert out.discriminator.item() == pytest.approx(math.exp(50.0), rel=1e-5)


def test_misclassification_gives_no_gradient():
    real = torch.tensor(LOGITS_REAL, requires_grad=True)
    fake = torch.tensor(LOGITS_FAKE, requires_grad=True)
    out = losses.misclassification(real, fake, 0.5)
    assert out.discriminator.requires_grad is False
    assert out.generator.requires_grad is False


@pytest.mark.parametrize("rule", DIFFERENTIABLE)
def test_differentiable_rules_keep_the_graph(rule):
    real = torch.tensor(LOGITS_REAL, requires_grad=True)
    out = SCORING_RULES[rule](real, torch.tensor(LOGITS_FAKE), 0.5)
    assert out.discriminator.requires_grad


def test_bernoulli_gradient_golden():
    # d/dl softplus(-l) = -σ(-l); the real term is weighted π / n
    real = torch.tensor(LOGITS_REAL, dtype=torch.float64, requires_grad=True)
    out = losses.bernoulli(real, torch.tensor(LOGITS_FAKE, dtype=torch.float64), 0.3)
    (grad,) = torch.autograd.grad(out.discriminator, real)
    expected = -0.3 / 3 * (1 - _d(LOGITS_REAL))
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)


# --------------------------------------------------------------------------- prior and ratio


def test_prior_log_odds_values():
    assert prior_log_odds(0.5) == 0.0
    assert prior_log_odds(0.8) == pytest.approx(math.log(4.0))
    assert prior_log_odds(0.2) == pytest.approx(-math.log(4.0))


@pytest.mark.parametrize("prior", [0.5, 0.8, 0.3])
def test_ratio_from_logits_subtracts_prior_log_odds(prior):
    logits = torch.tensor([-2.0, 0.0, 1.5, 7.0])
    expected = logits - math.log(prior / (1 - prior))
    torch.testing.assert_close(ratio_from_logits(logits, prior), expected)


def test_ratio_from_logits_golden():
    # prior 0.8: log(0.8 / 0.2) = log 4
    got = ratio_from_logits(torch.tensor([0.0, math.log(4.0)]), 0.8)
    torch.testing.assert_close(got, torch.tensor([-math.log(4.0), 0.0]))
    torch.testing.assert_close(ratio_from_logits(torch.tensor([1.5])), torch.tensor([1.5]))


# --------------------------------------------------------------------------- errors


def test_get_scoring_rule_by_name_and_callable():
    assert get_scoring_rule("brier") is losses.brier
    assert get_scoring_rule(losses.hinge) is losses.hinge


def test_get_scoring_rule_unknown_lists_names():
    with pytest.raises(ValueError) as info:
        get_scoring_rule("nope")
    for name in SCORING_RULES:
        assert name in str(info.value)


@pytest.mark.parametrize("prior", [0.0, 1.0, 1.5, -0.2, float("nan")])
@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_rules_reject_bad_priors(rule, prior):
    with pytest.raises(ValueError, match="prior"):
        SCORING_RULES[rule](torch.tensor(LOGITS_REAL), torch.tensor(LOGITS_FAKE), prior)


@pytest.mark.parametrize("prior", [0.0, 1.0, 1.5])
def test_prior_log_odds_and_ratio_reject_bad_priors(prior):
    with pytest.raises(ValueError, match="prior"):
        prior_log_odds(prior)
    with pytest.raises(ValueError, match="prior"):
        ratio_from_logits(torch.zeros(2), prior)


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
@pytest.mark.parametrize("side", ["real", "fake"])
def test_rules_reject_nan(rule, side):
    good, bad = torch.tensor(LOGITS_REAL), torch.tensor([0.0, float("nan"), 1.0])
    args = (bad, good) if side == "real" else (good, bad)
    with pytest.raises(ValueError, match="NaN"):
        SCORING_RULES[rule](*args, 0.5)


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_rules_reject_numpy_arrays(rule):
    with pytest.raises(TypeError, match="torch tensor"):
        SCORING_RULES[rule](np.array(LOGITS_REAL), torch.tensor(LOGITS_FAKE), 0.5)
    with pytest.raises(TypeError, match="torch tensor"):
        SCORING_RULES[rule](torch.tensor(LOGITS_REAL), [0.0, 1.0], 0.5)


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_rules_reject_integer_tensors(rule):
    with pytest.raises(TypeError, match="floating point"):
        SCORING_RULES[rule](torch.tensor([0, 1]), torch.tensor(LOGITS_FAKE), 0.5)


@pytest.mark.parametrize("rule", sorted(SCORING_RULES))
def test_rules_reject_empty_tensors(rule):
    with pytest.raises(ValueError, match="empty"):
        SCORING_RULES[rule](torch.tensor(LOGITS_REAL), torch.zeros(0), 0.5)


def test_ratio_from_logits_rejects_nan_and_arrays():
    with pytest.raises(ValueError, match="NaN"):
        ratio_from_logits(torch.tensor([float("nan")]))
    with pytest.raises(TypeError):
        ratio_from_logits(np.zeros(3))


def test_pointwise_risk_rejects_unknown_rule():
    with pytest.raises(ValueError, match="unknown scoring rule"):
        pointwise_risk("nope", GRID[:3], 0.5)
