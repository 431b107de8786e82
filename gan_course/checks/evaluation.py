"""Checks for lesson 09 (evaluating implicit models): the Fréchet distance, the 3σ mode count
and the classifier score."""

from __future__ import annotations

import math

import torch

from gan_course.checks.core import as_number, call, close, failed
from gan_course.data.toy import ring_of_gaussians
from gan_course.metrics import mode_coverage
from gan_course.metrics.scores import classifier_score, frechet_distance

Tensor = torch.Tensor


# --------------------------------------------------------------------------- the Fréchet distance


def _covariance(rng: torch.Generator, dim: int, rank: int) -> Tensor:
    """A random covariance of the given rank (rank < dim: singular, as with fewer samples than
    features)."""
    factor = torch.randn(dim, rank, generator=rng, dtype=torch.float64)
    return factor @ factor.T / rank


def _frechet_cases(hidden: bool) -> list[tuple[str, tuple[Tensor, Tensor, Tensor, Tensor]]]:
    rng = torch.Generator().manual_seed(23 if hidden else 17)
    dim = 6
    mean_1, mean_2 = torch.randn(dim, generator=rng, dtype=torch.float64), torch.randn(
        dim, generator=rng, dtype=torch.float64)
    diagonal_1 = torch.diag(torch.rand(dim, generator=rng, dtype=torch.float64) + 0.5)
    diagonal_2 = torch.diag(torch.rand(dim, generator=rng, dtype=torch.float64) + 0.5)
    full_1, full_2 = _covariance(rng, dim, 2 * dim), _covariance(rng, dim, 2 * dim)
    return [
        ("two diagonal covariances", (mean_1, diagonal_1, mean_2, diagonal_2)),
        ("two covariances that do not commute", (mean_1, full_1, mean_2, full_2)),
        ("a singular covariance (fewer samples than features)",
         (mean_1, _covariance(rng, dim, 3), mean_2, full_2)),
    ]


def _frechet_hint(got: float, args) -> str:
    mean_1, cov_1, mean_2, cov_2 = args
    right = frechet_distance(*args)
    mean_term = float(((mean_1 - mean_2) ** 2).sum())
    if not math.isfinite(got):
        return ("the answer is not finite: a covariance estimated from few samples has eigenvalues "
                "that are 0, or slightly negative after rounding, and a matrix square root of such a "
                "matrix must not produce NaN or complex parts")
    if close(got, right - mean_term + math.sqrt(mean_term), 1e-6):
        return "the mean term is the squared distance between the means, not the distance"
    if close(got, right - mean_term, 1e-6):
        return "the distance between the means is missing"
    trace_root = (float(torch.trace(cov_1) + torch.trace(cov_2)) + mean_term - right) / 2
    if close(got, right + trace_root, 1e-6):
        return "the cross term Tr((Σ₁Σ₂)^{1/2}) counts twice"
    if close(got, right, 1e-3):
        return ("the answer is right to about 3 digits only: compute in the inputs' float64 and add "
                "nothing to the covariances, since rounding or an offset is large against the tiny "
                "eigenvalues of a singular covariance")
    return ("Σ₁Σ₂ is not symmetric and its square root is not the product of the square roots "
            "unless the two commute; go through a symmetric matrix built from Σ₁^{1/2} and Σ₂, "
            "which has the same eigenvalues as Σ₁Σ₂")


def check_frechet_distance(function, hidden: bool = False) -> None:
    """``function(mean_1, cov_1, mean_2, cov_2)`` → ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2})."""
    name = getattr(function, "__name__", "frechet_distance")
    for where, args in _frechet_cases(hidden):
        try:
            value = function(*[arg.clone() for arg in args])
        except torch.linalg.LinAlgError:
            # a NaN from the square root of a slightly negative eigenvalue, fed to the next eigh
            value = math.nan
        except Exception:
            value = call(function, name, *[arg.clone() for arg in args])
        got = as_number(value, name)
        expected = frechet_distance(*args)
        if not close(got, expected, 1e-5):
            raise failed(f"`{name}` gives {got:.6g} but the Fréchet distance is {expected:.6g} for "
                         f"{where}. Hint: {_frechet_hint(got, args)}.")
    mean, cov = args[2], args[3]
    same = as_number(call(function, name, mean.clone(), cov.clone(), mean.clone(), cov.clone()), name)
    if not abs(same) < 1e-6:
        raise failed(f"`{name}` gives {same:.3g} between a Gaussian and itself; it should give 0. "
                     "Hint: with Σ₁ = Σ₂ = Σ the trace term is Tr(2Σ − 2Σ) = 0.")
    print(f"✓ `{name}` matches the Fréchet distance, singular covariances included"
          f"{' (hidden inputs)' if hidden else ''}.")


# --------------------------------------------------------------------------- the 3σ mode count


def _mode_count_cases(hidden: bool) -> list[tuple[str, Tensor, Tensor, float]]:
    """Samples on a ring of 8 modes (σ = 0.05): some modes hit, some only by far samples."""
    ring = ring_of_gaussians(n_modes=8, radius=2.0, std=0.05)
    modes = ring.means.double()
    rng = torch.Generator().manual_seed(31 if hidden else 29)
    covered = [0, 3, 5] if hidden else [1, 2, 6]
    good = torch.cat([modes[k] + 0.05 * torch.randn(40 + 10 * i, 2, generator=rng, dtype=torch.float64)
                      for i, k in enumerate(covered)])
    # samples between the modes: each is nearest to some mode but far outside its 3σ
    between = 0.6 * modes[[4, 7]] + 0.4 * modes[[3, 0]]
    # two samples 4σ from a covered mode: outside 3σ = 0.15, but their squared distance (0.04) is
    # inside, so comparing d² with 3σ counts them
    outside = modes[covered[:2]] * (1 + 0.2 / 2.0)
    return [("a collapsed ring", torch.cat([good, between, outside]), modes, 0.05),
            ("a wider threshold", torch.cat([good, between]), modes, 0.5)]


def _share_at_variance(samples: Tensor, modes: Tensor, std: float) -> float:
    """The high-quality share of the common mistake: 3σ² in place of 3σ."""
    return float(mode_coverage(samples, modes, std ** 2)[1])


def _share_of_squared_distances(samples: Tensor, modes: Tensor, std: float) -> float:
    """The high-quality share of another: the squared distance d² compared with 3σ."""
    squared = torch.cdist(samples, modes).min(dim=1).values ** 2
    return float((squared <= 3 * std).double().mean())


def check_mode_count(function, hidden: bool = False) -> None:
    """``function(samples, modes, std)`` → (modes covered, share of high-quality samples)."""
    name = getattr(function, "__name__", "count_modes")
    for where, samples, modes, std in _mode_count_cases(hidden):
        result = call(function, name, samples.clone(), modes.clone(), std)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise failed(f"`{name}` should return a pair (modes covered, high-quality share), got "
                         f"{type(result).__name__}.")
        covered, share = int(as_number(result[0], name)), as_number(result[1], name)
        expected_covered, expected_share = mode_coverage(samples, modes, std)
        if covered == expected_covered and close(share, expected_share, 1e-6):
            continue
        nearest = torch.cdist(samples.float(), modes.float()).min(dim=1).indices
        if covered == int(nearest.unique().numel()) and covered != expected_covered:
            hint = ("a mode counts as covered only when a sample assigned to it is also of high "
                    "quality, within 3σ of it; being the nearest mode of a stray sample is not enough")
        elif close(share, expected_share, 1e-6):  # the share is right: only the count is wrong
            hint = ("the share is right; a high-quality sample covers only its nearest mode, so count "
                    "the modes that are the nearest mode of at least one high-quality sample")
        elif close(share, expected_share * samples.shape[0], 1e-6):
            hint = "the share is a fraction of all the samples, not a count"
        elif close(share, _share_at_variance(samples, modes, std), 1e-6):
            hint = "the threshold is 3 standard deviations; σ is the standard deviation, not the variance"
        elif close(share, _share_of_squared_distances(samples, modes, std), 1e-6):
            hint = "compare the distance itself with 3σ, not its square"
        else:
            hint = ("a sample is of high quality when it lies within 3σ (a distance) of its nearest "
                    "mode; a mode is covered when at least one high-quality sample is nearest to it")
        raise failed(f"`{name}` gives ({covered}, {share:.4f}) but the answer is ({expected_covered}, "
                     f"{expected_share:.4f}) for {where}. Hint: {hint}.")
    print(f"✓ `{name}` counts modes and high-quality samples by the 3σ rule"
          f"{' (hidden inputs)' if hidden else ''}.")


# --------------------------------------------------------------------------- the classifier score


def _probability_cases(hidden: bool) -> list[tuple[str, Tensor]]:
    rng = torch.Generator().manual_seed(41 if hidden else 37)
    soft = torch.softmax(3 * torch.randn(200, 10, generator=rng, dtype=torch.float64), dim=1)
    # confident predictions of only some classes, with exact zeros elsewhere (as a float32 softmax
    # of large logits gives): 0 · log 0 must count as 0
    labels = torch.randint(0, 6 if hidden else 4, (200,), generator=rng)
    one_hot = torch.nn.functional.one_hot(labels, 10).double()
    return [("soft predictions", soft), ("confident predictions with exact zeros", one_hot)]


def check_classifier_score(function, hidden: bool = False) -> None:
    """``function(probabilities)`` → exp(E_x KL(p(y|x) ‖ p(y))) for probabilities (N, K)."""
    name = getattr(function, "__name__", "classifier_score")
    for where, probabilities in _probability_cases(hidden):
        got = as_number(call(function, name, probabilities.clone()), name)
        expected = classifier_score(probabilities)
        if close(got, expected, 1e-6):
            continue
        if not math.isfinite(got):
            hint = ("a probability of exactly 0 gives 0 · log 0 = NaN in floating point; its "
                    "contribution to a KL divergence is 0 (the limit of p log p as p → 0)")
        elif close(got, math.log(expected), 1e-6):
            hint = "that is the mean KL divergence; the score is its exponential"
        else:
            marginal = probabilities.mean(0)
            swapped = math.exp(float(torch.special.xlogy(marginal, marginal).sum()
                                     - (marginal * torch.log(probabilities.clamp_min(1e-300))).sum(1).mean()))
            hint = ("the KL divergence is taken from p(y|x) to p(y), each image's prediction against "
                    "the average prediction; yours is the other direction" if close(got, swapped, 1e-6)
                    else "p(y) is the average of p(y|x) over the images, and the KL divergence is "
                         "computed for each image, then averaged, then exponentiated")
        raise failed(f"`{name}` gives {got:.6g} but the classifier score is {expected:.6g} for "
                     f"{where}. Hint: {hint}.")
    print(f"✓ `{name}` matches the classifier score, exact zeros included"
          f"{' (hidden inputs)' if hidden else ''}.")


__all__ = ["check_frechet_distance", "check_mode_count", "check_classifier_score"]
