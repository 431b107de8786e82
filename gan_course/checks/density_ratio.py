"""Checks for lesson 01 (the density-ratio trick): scoring rules, log ratios, bulk error."""

from __future__ import annotations

import math

import torch

from gan_course import losses
from gan_course.checks.core import (
    as_number,
    call,
    close,
    describe,
    failed,
    must_carry_gradients,
    must_match_gradients,
)
from gan_course.ratio import BULK_TOLERANCE, bulk_error

Tensor = torch.Tensor


# The visible cases catch the common wrong answers: swapped real and fake terms (the
# cases are not symmetric), π on the wrong term (π = 0.8), sums instead of means (batches
# of different sizes), and the log-loss formed naively: σ(100) rounds to 1 in float32, so
# -log(1 - σ(100)) is inf, and so is log(1 + e^100), while the loss is finite. At l = -150,
# F.binary_cross_entropy on σ(l) gives 100, not 150: it clamps its logs at -100.
_VISIBLE_CASES = [
    (torch.tensor([0.0, 0.0]), torch.tensor([0.0, 0.0]), 0.5),
    (torch.tensor([-2.0, 0.5, 1.5]), torch.tensor([-1.0, 0.5, 3.0, 0.0]), 0.5),
    (torch.tensor([2.0, -0.5]), torch.tensor([1.0, -3.0]), 0.8),
    (torch.tensor([-100.0, 3.0, -150.0]), torch.tensor([100.0, -2.0]), 0.5),
]
LARGE_LOGIT = 20.0  # beyond it, σ(l) is 1 or 0 to float32's precision
_HIDDEN_CASES = [
    (torch.linspace(-4.0, 4.0, 9), torch.linspace(-3.0, 5.0, 7), 0.2),
    (torch.tensor([100.0, -100.0]), torch.tensor([-100.0, 100.0]), 0.5),
]

# Hints point to the idea; the formula is the task's to find (Table 1 of the talk).
_SCORING_RULE_HINTS = {
    "bernoulli": "each term is minus the log of the probability D gives the sample's true class, "
                 "averaged over that class's samples and weighted by its prior; write both logs "
                 "as functions of l that never form σ(l) itself (look at what F.softplus computes)",
    "brier": "the Brier score is the squared gap between the probability D gives a class and 1 "
             "for samples of that class; 1 - σ(l) = σ(-l) avoids a cancellation",
    "hinge": "the hinge loss is zero once a sample's logit is on its class's side of 0 by a "
             "margin of 1, and grows linearly before",
    "exponential": "the exponential loss is a boosting loss in the half-logit, each class "
                   "pushed away from its side",
    "spherical": "the spherical score rewards the probability of the true class relative to the "
                 "length of the vector of both class probabilities",
}


def check_scoring_rule(function, rule: str, hidden: bool = False) -> None:
    """Compare ``function(logits_real, logits_fake, prior)`` with the reference ``rule``."""
    reference = losses.get_scoring_rule(rule)
    name = getattr(function, "__name__", rule)
    cases = _HIDDEN_CASES if hidden else _VISIBLE_CASES
    for logits_real, logits_fake, prior in cases:
        # the logits carry gradients, as a classifier's do: a loss detached from them cannot train it
        real_in, fake_in = logits_real.clone().requires_grad_(True), logits_fake.clone().requires_grad_(True)
        value = call(function, name, real_in, fake_in, prior)
        got = as_number(value, name)
        expected = float(reference(logits_real, logits_fake, prior).discriminator)
        if not close(got, expected):
            large = max(logits_real.abs().max(), logits_fake.abs().max()) > LARGE_LOGIT
            where = ("large logits, where σ(l) rounds to 0 or 1 in float32 and its log overflows "
                     "(or is clamped, as in F.binary_cross_entropy)"
                     if large else "these logits")
            raise failed(
                f"`{name}` gives {got:.6g} but the {rule} loss is {expected:.6g} on {where}: "
                f"logits_real={describe([logits_real])}, logits_fake={describe([logits_fake])}, "
                f"prior={prior}. Hint: {_SCORING_RULE_HINTS.get(rule, 'compare with Table 1')}.")
        if isinstance(value, losses.Loss):
            value = value.discriminator
        must_carry_gradients(value, name, "the logits", "a classifier cannot be trained with it")
        must_match_gradients(value, reference(real_in, fake_in, prior).discriminator,
                             {"logits_real": real_in, "logits_fake": fake_in}, name,
                             "a classifier trained with it would not learn from those samples")
    print(f"✓ `{name}` matches the {rule} loss on {len(cases)} {'hidden ' if hidden else ''}inputs.")


def check_log_ratio_from_logits(function, hidden: bool = False) -> None:
    """Compare ``function(logits, prior)`` with log r = l - log(π / (1 - π))."""
    name = getattr(function, "__name__", "log_ratio_from_logits")
    priors = (0.3, 0.9) if hidden else (0.5, 0.8)
    logits = torch.tensor([-1.0, 0.0, 2.5])
    for prior in priors:
        got = call(function, name, logits, prior)
        if not torch.is_tensor(got) or got.shape != logits.shape:
            raise failed(f"`{name}` should return a tensor of shape {tuple(logits.shape)} "
                          f"(one log ratio per logit), got {got!r}.")
        expected = losses.ratio_from_logits(logits, prior)
        if not torch.allclose(got.float(), expected, atol=1e-5):
            raise failed(
                f"`{name}` gives {describe([got])} but log r is {describe([expected])} for "
                f"logits {describe([logits])} with prior π={prior}. Hint: with class prior π the "
                "Bayes-optimal classifier's odds are the ratio times the prior odds; undo the "
                "second factor.")
    print(f"✓ `{name}` removes the prior's log odds correctly for π in {priors}.")


def check_bulk_error(function, hidden: bool = False) -> None:
    """Compare ``function(estimated, true, threshold)`` with the bulk mean absolute error."""
    name = getattr(function, "__name__", "bulk_error")
    rng = torch.Generator().manual_seed(7 if hidden else 3)
    true = 4.0 * torch.randn(50, generator=rng)
    estimated = true + torch.randn(50, generator=rng)
    for threshold in ((1.0, 5.0) if hidden else (3.0, 1.5)):
        got = as_number(call(function, name, estimated, true, threshold), name)
        expected = bulk_error(estimated, true, threshold)
        if not close(got, expected):
            all_points = float((estimated - true).abs().mean())
            hint = ("you averaged over every point; keep only those with |log r| ≤ threshold"
                    if close(got, all_points) else
                    "the bulk is where the true log ratio is small in magnitude; average the "
                    "absolute error over those points only")
            raise failed(f"`{name}` gives {got:.4g} but the bulk error is {expected:.4g} "
                          f"(threshold {threshold}). Hint: {hint}.")
    print(f"✓ `{name}` computes the error in the bulk correctly.")


def check_ratio_estimate(estimated: Tensor, true: Tensor, tolerance: float = BULK_TOLERANCE) -> None:
    """Check that a trained classifier's log-ratio estimate is within ``tolerance`` in the bulk."""
    error = bulk_error(estimated, true)
    if not math.isfinite(error) or error > tolerance:
        raise failed(f"your classifier's log-ratio error in the bulk is {error:.3f} nats, above "
                      f"{tolerance}. Hint: revisit Task 1 (`bernoulli_loss` must push l up on real samples "
                      "and down on simulated ones) and Task 4 (`log_ratio_from_logits`).")
    print(f"✓ your classifier recovers log r to {error:.3f} nats in the bulk (tolerance {tolerance}).")
