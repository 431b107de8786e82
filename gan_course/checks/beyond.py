"""Checks for lesson 10 (the density-ratio trick beyond GANs): the pairs, the loss, the
posterior from logits, calibration."""

from __future__ import annotations

import torch

from gan_course import likelihood_free as lf
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
from gan_course.models import mlp

Tensor = torch.Tensor


def _correlated_simulations(seed: int, n: int = 400) -> tuple[Tensor, Tensor]:
    """θ (n, 2) with correlated coordinates and x (n, 1) strongly dependent on θ."""
    rng = torch.Generator().manual_seed(seed)
    theta = torch.randn(n, 2, generator=rng)
    theta[:, 1] += theta[:, 0]  # θ's own coordinates belong together
    x = theta[:, :1] + 0.1 * torch.randn(n, 1, generator=rng)
    return theta, x


def _correlation(a: Tensor, b: Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def check_marginal_pairs(function, hidden: bool = False) -> None:
    """``function(theta, x, rng)`` → (θ', x') with x' = x, θ' made of θ's whole rows (a
    permutation, or draws with replacement: either keeps θ's marginal), most of them used, and
    the dependence between θ' and x' broken."""
    name = getattr(function, "__name__", "marginal_pairs")
    theta, x = _correlated_simulations(11 if hidden else 5)
    result = call(function, name, theta.clone(), x.clone(), torch.Generator().manual_seed(0))
    again = call(function, name, theta.clone(), x.clone(), torch.Generator().manual_seed(0))
    if not (isinstance(result, tuple) and len(result) == 2):
        raise failed(f"`{name}` should return a pair (theta_shuffled, x), got {type(result).__name__}.")
    shuffled, same_x = result
    if not torch.is_tensor(shuffled) or shuffled.shape != theta.shape:
        raise failed(f"`{name}`'s θ should keep the shape {tuple(theta.shape)}, got "
                     f"{getattr(shuffled, 'shape', shuffled)}.")
    if not torch.is_tensor(same_x) or not torch.equal(same_x, x):
        raise failed(f"`{name}` changed x. Hint: keep each x where it is and move the θ between "
                     "simulations; shuffling both together keeps every pair as it was.")
    rows = {tuple(row.tolist()) for row in theta}
    if not all(tuple(row.tolist()) in rows for row in shuffled):
        raise failed(f"`{name}`'s θ rows are not the simulations' θ rows. Hint: move whole rows (one "
                     "index for all coordinates of θ); shuffling each coordinate on its own changes "
                     "the prior p(θ) itself.")
    used = len({tuple(row.tolist()) for row in shuffled})
    if used < len(theta) / 3:  # draws with replacement use about 63% of them
        raise failed(f"`{name}` uses only {used} of the {len(theta)} simulations' θ. Hint: each pair's "
                     "θ should come from any of the simulations, at random, so that θ keeps its "
                     "marginal.")
    before, after = _correlation(theta[:, 0], x[:, 0]), _correlation(shuffled[:, 0], x[:, 0])
    if abs(after) > 0.25:
        raise failed(f"after `{name}`, θ and x are still correlated ({after:.2f}; the simulations "
                     f"had {before:.2f}). Hint: the pairs must look like draws of θ and x from "
                     "independent sources, so give each x the θ of a random other simulation.")
    if not torch.equal(shuffled, again[0]):
        raise failed(f"`{name}` gave two different shufflings for two generators seeded alike. Hint: "
                     "draw the permutation from `rng` (pass generator=rng), so that a run can be "
                     "repeated.")
    print(f"✓ `{name}` keeps both marginals and breaks the dependence (correlation "
          f"{before:.2f} → {after:.2f}).")


def _reference_ratio_loss(classifier, theta, x, theta_shuffled) -> Tensor:
    joint = classifier(torch.cat([theta, x], 1)).squeeze(-1)
    marginal = classifier(torch.cat([theta_shuffled, x], 1)).squeeze(-1)
    return losses.bernoulli(joint, marginal, prior=0.5).discriminator


def check_ratio_estimation_loss(function, hidden: bool = False) -> None:
    """``function(classifier, theta, x, theta_shuffled)`` → the balanced Bernoulli loss with the
    joint pairs as class 1 and the shuffled pairs as class 0."""
    name = getattr(function, "__name__", "ratio_estimation_loss")
    theta, x = _correlated_simulations(12 if hidden else 6, n=64)
    theta_shuffled = theta.roll(1, 0)
    # a non-linear classifier: for a linear one, swapping the classes would not change the loss
    for scale in (1.0, 200.0):  # 200: logits in the hundreds, where a naive log σ overflows
        classifier = mlp(3, 1, width=8, depth=1, seed=3 if hidden else 2)
        with torch.no_grad():
            classifier[-1].weight.mul_(scale)
        value = call(function, name, classifier, theta, x, theta_shuffled)
        got = as_number(value, name)
        expected = _reference_ratio_loss(classifier, theta, x, theta_shuffled).item()
        if not close(got, expected):
            swapped = _reference_ratio_loss(classifier, theta_shuffled, x, theta).item()
            hint = ("the classes are swapped: the simulations (θ_i, x_i) are class 1, the shuffled "
                    "pairs class 0" if close(got, swapped) else
                    "the logit of a pair is classifier(torch.cat([θ, x], dim=1)); the loss is lesson "
                    "01's Bernoulli loss with π = ½, computed from logits without forming σ(l)")
            where = "large logits" if scale > 1 else "ordinary logits"
            raise failed(f"`{name}` gives {got:.6g} but the ratio-estimation loss is {expected:.6g} on "
                         f"{where}. Hint: {hint}.")
        must_carry_gradients(value, name, "the classifier", "the classifier cannot be trained with it")
        must_match_gradients(value, _reference_ratio_loss(classifier, theta, x, theta_shuffled),
                             {"the classifier's weights": list(classifier.parameters())}, name,
                             "the classifier would not learn from every pair", exact=True)
    print(f"✓ `{name}` matches the ratio-estimation loss{' on hidden inputs' if hidden else ''}.")


def _reference_posterior(log_prior: Tensor, logits: Tensor, cell_volume: float) -> Tensor:
    return torch.softmax(log_prior + logits, 0) / cell_volume


def check_posterior_from_logits(function, hidden: bool = False) -> None:
    """``function(log_prior, logits, cell_volume)`` → the posterior density on the grid:
    p(θ_c) exp(l_c) / Σ_c' p(θ_c') exp(l_c') / volume."""
    name = getattr(function, "__name__", "posterior_from_logits")
    # float32, as a network's logits are: exp(l) overflows there beyond l ≈ 88
    centres = torch.linspace(-3, 3, 61)
    volume = float(centres[1] - centres[0])
    log_prior = -0.5 * (centres - (0.5 if hidden else 1.0)) ** 2  # not uniform: the prior counts
    cases = [1.5 * centres - 0.5, 120.0 + 2.0 * centres]
    for logits in cases:
        got = call(function, name, log_prior.clone(), logits.clone(), volume)
        expected = _reference_posterior(log_prior.double(), logits.double(), volume)
        if not torch.is_tensor(got) or got.shape != expected.shape:
            raise failed(f"`{name}` should return one density per grid cell, shape "
                         f"{tuple(expected.shape)}, got {getattr(got, 'shape', got)!r}.")
        got = got.double()
        if torch.allclose(got, expected, rtol=1e-4, atol=1e-8):
            continue
        if not bool(torch.isfinite(got).all()):
            hint = ("exp(l) overflows for large logits; subtract the largest log value before "
                    "exponentiating (or use torch.softmax / torch.logsumexp)")
        elif torch.allclose(got, torch.softmax(logits.double(), 0) / volume, rtol=1e-4):
            hint = "the prior is missing: the posterior is prior × exp(logit), normalised"
        elif close(float(got.sum()), 1.0):
            hint = ("your values sum to 1: those are the cells' probabilities; divide by the cell "
                    "volume to get a density, which integrates (sums × volume) to 1")
        else:
            hint = "normalise p(θ) exp(l) so that it integrates to 1 over the grid"
        raise failed(f"`{name}` does not give the posterior density for logits "
                     f"{describe([logits[:3]])}…. Hint: {hint}.")
    print(f"✓ `{name}` turns logits into a normalised posterior density, large logits included.")


def check_expected_coverage(function, hidden: bool = False) -> None:
    """``function(where_truth_falls, level)`` → the share of central ``level`` intervals that
    hold the truth, |2u − 1| ≤ level."""
    name = getattr(function, "__name__", "expected_coverage")
    rng = torch.Generator().manual_seed(13 if hidden else 7)
    where = torch.rand(500, generator=rng) ** (1.5 if hidden else 2.0)  # not uniform on purpose
    for level in (0.5, 0.8, 0.95):
        got = as_number(call(function, name, where.clone(), level), name)
        expected = float(lf.expected_coverage(where[:, None], (level,))[0, 0])
        if not close(got, expected, tolerance=1e-6):
            one_sided = float((where <= level).double().mean())
            counted = float((where - 0.5).abs().le(level / 2).double().sum())
            if close(got, one_sided, 1e-6):
                hint = ("that is a one-sided interval (u ≤ level); the central interval leaves "
                        "(1 − level)/2 out on each side")
            elif close(got, counted, 1e-6):
                hint = "that is a count: the coverage is the share of test pairs, a number in [0, 1]"
            else:
                hint = ("u is where the truth falls in the posterior, from 0 to 1; a central interval "
                        "of the given level leaves the same share out on each side")
            raise failed(f"`{name}` gives {got:.4f} at level {level} but the coverage is "
                         f"{expected:.4f}. Hint: {hint}.")
    print(f"✓ `{name}` computes the coverage of central intervals.")
