"""Checks for lesson 01 (the density-ratio trick): scoring rules, log ratios, bulk error."""

from __future__ import annotations

import math

import torch

from gan_course import losses
from gan_course.checks.core import as_number, call, close, describe, failed
from gan_course.ratio import BULK_TOLERANCE, bulk_error

Tensor = torch.Tensor


_VISIBLE_CASES = [
    (torch.tensor([0.0, 0.0]), torch.tensor([0.0, 0.0]), 0.5),
    (torch.tensor([-2.0, 0.5, 1.5]), torch.tensor([-1.0, 0.5, 3.0]), 0.5),
    (torch.tensor([2.0, -0.5]), torch.tensor([1.0, -3.0]), 0.8),
]
_HIDDEN_CASES = [
    (torch.linspace(-4.0, 4.0, 9), torch.linspace(-3.0, 5.0, 7), 0.2),
    (torch.tensor([100.0, -100.0]), torch.tensor([-100.0, 100.0]), 0.5),
]

_SCORING_RULE_HINTS = {
    "bernoulli": "use -log σ(l) = softplus(-l) for real samples and -log(1-σ(l)) = softplus(l) "
                 "for simulated ones, weighted by π and 1-π",
    "brier": "use (1-D)² for real samples and D² for simulated ones, with D = σ(l) and 1-D = σ(-l)",
    "hinge": "use max(0, 1-l) for real samples and max(0, 1+l) for simulated ones",
    "exponential": "use e^{-l/2} for real samples and e^{l/2} for simulated ones",
    "spherical": "use -αD for real samples and -α(1-D) for simulated ones, α = (D² + (1-D)²)^{-1/2}",
}


def check_scoring_rule(function, rule: str, hidden: bool = False) -> None:
    """Compare ``function(logits_real, logits_fake, prior)`` with the reference ``rule``."""
    reference = losses.get_scoring_rule(rule)
    name = getattr(function, "__name__", rule)
    cases = _HIDDEN_CASES if hidden else _VISIBLE_CASES
    for logits_real, logits_fake, prior in cases:
        got = as_number(call(function, name, logits_real, logits_fake, prior), name)
        expected = float(reference(logits_real, logits_fake, prior).discriminator)
        if not close(got, expected):
            where = "large logits (overflow?)" if logits_real.abs().max() > 50 else "these logits"
            raise failed(
                f"`{name}` gives {got:.6g} but the {rule} loss is {expected:.6g} on {where}: "
                f"logits_real={describe([logits_real])}, logits_fake={describe([logits_fake])}, "
                f"prior={prior}. Hint: {_SCORING_RULE_HINTS.get(rule, 'compare with Table 1')}.")
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
                f"logits {describe([logits])} with prior π={prior}. Hint: the Bayes-optimal logit "
                "is log r + log(π/(1-π)), so subtract the prior's log odds.")
    print(f"✓ `{name}` removes the prior's log odds correctly for π in {priors}.")


def check_bulk_error(function, hidden: bool = False) -> None:
    """Compare ``function(estimated, true, threshold)`` with the bulk mean absolute error."""
    name = getattr(function, "__name__", "bulk_error")
    rng = torch.Generator().manual_seed(7 if hidden else 3)
    true = 4.0 * torch.randn(50, generator=rng)
    estimated = true + torch.randn(50, generator=rng)
    for threshold in ((1.0, 5.0) if hidden else (3.0,)):
        got = as_number(call(function, name, estimated, true, threshold), name)
        expected = bulk_error(estimated, true, threshold)
        if not close(got, expected):
            all_points = float((estimated - true).abs().mean())
            hint = ("you averaged over every point; keep only those with |log r| ≤ threshold"
                    if close(got, all_points) else
                    "select the bulk with true.abs() <= threshold, then average |estimated - true| there")
            raise failed(f"`{name}` gives {got:.4g} but the bulk error is {expected:.4g} "
                          f"(threshold {threshold}). Hint: {hint}.")
    print(f"✓ `{name}` computes the error in the bulk correctly.")


def check_ratio_estimate(estimated: Tensor, true: Tensor, tolerance: float = BULK_TOLERANCE) -> None:
    """Check that a trained classifier's log-ratio estimate is within ``tolerance`` in the bulk."""
    error = bulk_error(estimated, true)
    if not math.isfinite(error) or error > tolerance:
        raise failed(f"your classifier's log-ratio error in the bulk is {error:.3f} nats, above "
                      f"{tolerance}. Hint: train longer, or check that your loss pushes l up on real "
                      "samples and down on simulated ones.")
    print(f"✓ your classifier recovers log r to {error:.3f} nats in the bulk (tolerance {tolerance}).")
