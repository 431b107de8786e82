"""Scores of an implicit model's samples through a classifier: the classifier score, FID and KID.

A GAN's density q_θ is unknown, so these compare samples x = G_θ(z) with real images x ~ p*
through a classifier trained on the data (``features.digit_classifier``): its class
probabilities p(y|x), or its penultimate features φ(x) ∈ ℝ^d.

- ``classifier_score``: exp(E_x KL(p(y|x) ‖ p(y))), p(y) = E_x p(y|x): the Inception score
  of Salimans et al. (2016), "Improved techniques for training GANs", with our digit
  classifier in place of Inception v3. From 1 (every prediction alike) to the number of
  classes K (each prediction confident, the classes balanced); ``classifier_score_over_splits``
  gives its mean and spread over parts of the sample.
- ``fid``: the Fréchet distance between Gaussians fitted to the real and fake features,

      FID = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^{1/2})

  (Heusel et al. 2017, "GANs trained by a two time-scale update rule converge to a local
  Nash equilibrium"; the distance itself: Dowson & Landau 1982). ``feature_statistics``
  and ``frechet_distance`` are its two steps. Biased upwards at finite n: compare FIDs
  only at equal sample sizes.
- ``kid``: the unbiased MMD² between the real and fake features with the cubic polynomial
  kernel k(φ, φ') = (φᵀφ'/d + 1)³, averaged over random subsets (Bińkowski, Sutherland,
  Arbel & Gretton 2018, "Demystifying MMD GANs"). Unbiased, so it can be compared across
  sample sizes and is ≈ 0 (sometimes below) for two samples of one distribution.

Computed with the course's digit classifier these numbers are comparable with each other,
not with published Inception-based FIDs or Inception scores.
"""

from __future__ import annotations

import math

import torch

from gan_course.divergences.mmd import permutation_statistics
from gan_course.validation import check_int, check_points

Tensor = torch.Tensor


# --------------------------------------------------------------------------- the classifier score


def _check_probabilities(probabilities) -> Tensor:
    probabilities = check_points(probabilities, "probabilities").double()
    if probabilities.min() < 0 or not torch.allclose(probabilities.sum(dim=1),
                                                     torch.ones(()).double(), atol=1e-4):
        raise ValueError("probabilities must be non-negative with rows that sum to 1; if these are "
                         "logits, take .softmax(dim=1), or use features.classifier_probabilities.")
    return probabilities


def _score_of(probabilities: Tensor) -> float:
    marginal = probabilities.mean(dim=0, keepdim=True)  # p(y) = E_x p(y|x)
    # xlogy makes 0 · log 0 = 0: a confident prediction has zeros
    kl_per_image = (torch.xlogy(probabilities, probabilities)
                    - torch.xlogy(probabilities, marginal)).sum(dim=1)
    return math.exp(float(kl_per_image.mean()))


def classifier_score(probabilities) -> float:
    """The classifier score of N samples from their predicted class probabilities p(y|x): (N, K),

        CS = exp( E_x KL(p(y|x) ‖ p(y)) ),   p(y) = E_x p(y|x),

    the Inception score of Salimans et al. (2016) with the course's digit classifier in place
    of Inception v3. It is 1 when every sample gets the same prediction (uniform or not), and
    K when each prediction is one-hot and the K classes are equally frequent: high for samples
    that are each clearly one class and together cover all the classes. It never looks at
    real images, so it cannot see whether a digit looks real beyond what the classifier uses,
    nor variety within a class.
    """
    return _score_of(_check_probabilities(probabilities))


def classifier_score_over_splits(probabilities, splits: int = 10) -> tuple[float, float]:
    """(mean, standard deviation) of ``classifier_score`` over ``splits`` consecutive parts of the
    sample (as Salimans et al. 2016 report it, with 10 splits of 50,000 images; the standard
    deviation is NumPy's default, over the splits, not divided by splits − 1). Shuffle the
    samples first if their order follows the classes.
    """
    probabilities = _check_probabilities(probabilities)
    splits = check_int(splits, "splits")
    if splits > probabilities.shape[0]:
        raise ValueError(f"cannot split {probabilities.shape[0]} samples into {splits} parts; "
                         "pass splits of at most the number of samples.")
    scores = torch.tensor([_score_of(part) for part in probabilities.chunk(splits)], dtype=torch.float64)
    return float(scores.mean()), float(scores.std(correction=0))


# --------------------------------------------------------------------------- the Fréchet distance


def feature_statistics(features) -> tuple[Tensor, Tensor]:
    """(μ, Σ) of (N, d) features, in float64: the mean and the unbiased covariance,

        μ = 1/N Σ_i φ_i,   Σ = 1/(N − 1) Σ_i (φ_i − μ)(φ_i − μ)ᵀ,

    as pytorch-fid and torchmetrics compute them. Needs N ≥ 2.
    """
    features = check_points(features, "features").double()
    if features.shape[0] < 2:
        raise ValueError(f"feature statistics need at least 2 samples, got {features.shape[0]}; "
                         "pass more images.")
    return features.mean(dim=0), torch.cov(features.T, correction=1).reshape(features.shape[1], -1)


def _symmetric_square_root(matrix: Tensor) -> Tensor:
    """A^{1/2} of a symmetric positive semi-definite A, through its eigendecomposition V diag(λ) Vᵀ."""
    eigenvalues, eigenvectors = torch.linalg.eigh(matrix)
    return eigenvectors @ torch.diag(eigenvalues.clamp(min=0).sqrt()) @ eigenvectors.T


def frechet_distance(mean_1, covariance_1, mean_2, covariance_2) -> float:
    """The Fréchet (2-Wasserstein²) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂) (Dowson & Landau 1982),

        d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}),

    FID's formula (Heusel et al. 2017). Σ₁Σ₂ is not symmetric, so a general matrix square
    root (scipy.linalg.sqrtm, as pytorch-fid uses) can return complex parts from rounding and
    fails on singular covariances, which N < d samples give. But Σ₁Σ₂ is similar to the
    symmetric positive semi-definite M = Σ₁^{1/2} Σ₂ Σ₁^{1/2} (conjugate by Σ₁^{1/2}), so the
    two have the same eigenvalues λ_i ≥ 0 and

        Tr(Σ₁Σ₂)^{1/2} = Σ_i √λ_i(M),

    computed here with the symmetric eigensolver in float64, rounding's tiny negative λ set
    to 0. The result is clamped at 0, which rounding can cross for identical statistics.
    """
    mean_1, mean_2 = (torch.as_tensor(mean, dtype=torch.float64) for mean in (mean_1, mean_2))
    covariance_1, covariance_2 = (torch.as_tensor(cov, dtype=torch.float64)
                                  for cov in (covariance_1, covariance_2))
    d = mean_1.numel()
    if mean_1.shape != (d,) or mean_2.shape != (d,) or covariance_1.shape != (d, d) \
            or covariance_2.shape != (d, d):
        raise ValueError(f"frechet_distance takes two means of shape (d,) and two covariances of shape "
                         f"(d, d), got {tuple(mean_1.shape)}, {tuple(covariance_1.shape)}, "
                         f"{tuple(mean_2.shape)}, {tuple(covariance_2.shape)}; compute them with "
                         "feature_statistics from features of the same classifier.")
    root_1 = _symmetric_square_root(covariance_1)
    middle = root_1 @ covariance_2 @ root_1
    middle = (middle + middle.T) / 2  # symmetric up to rounding; eigvalsh reads one triangle
    trace_of_root = torch.linalg.eigvalsh(middle).clamp(min=0).sqrt().sum()
    distance = ((mean_1 - mean_2).square().sum() + covariance_1.trace() + covariance_2.trace()
                - 2 * trace_of_root)
    return max(float(distance), 0.0)


def fid(real_features, fake_features) -> float:
    """The Fréchet distance between Gaussians fitted to real and fake features (Heusel et al. 2017),

        FID = ‖μ_r − μ_g‖² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^{1/2}),

    (μ, Σ) = ``feature_statistics`` of each (N, d) sample. It sees only the first two moments
    of φ, and its estimate is biased upwards at finite N (Bińkowski et al. 2018): compare FIDs
    at equal sample sizes only.
    """
    real_features, fake_features = _two_feature_sets(real_features, fake_features)
    return frechet_distance(*feature_statistics(real_features), *feature_statistics(fake_features))


# --------------------------------------------------------------------------- the kernel distance


def _two_feature_sets(real_features, fake_features) -> tuple[Tensor, Tensor]:
    real_features = check_points(real_features, "real_features").double()
    fake_features = check_points(fake_features, "fake_features").double()
    if real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(f"real and fake features differ in dimension ({real_features.shape[1]} vs "
                         f"{fake_features.shape[1]}); compute both with the same classifier.")
    return real_features, fake_features


def polynomial_kernel(x: Tensor, y: Tensor) -> Tensor:
    """KID's kernel between every row of x (m, d) and of y (n, d): k(x, y) = (xᵀy/d + 1)³, (m, n)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def polynomial_mmd2_unbiased(x: Tensor, y: Tensor) -> Tensor:
    """The unbiased MMD² (Gretton et al. 2012, eq. 3) of samples x (m, d) and y (n, d) under
    ``polynomial_kernel``: pairs i ≠ j only within each sample,

        MMD²_u = Σ_{i≠j} k(x_i, x_j)/(m(m−1)) + Σ_{i≠j} k(y_i, y_j)/(n(n−1)) − 2 Σ_{i,j} k(x_i, y_j)/(mn).
    """
    pooled = torch.cat([x, y])
    is_x = (torch.arange(pooled.shape[0]) < x.shape[0]).unsqueeze(0)  # the one labelling: x first
    return permutation_statistics(polynomial_kernel(pooled, pooled), is_x, "unbiased")[0]


def kid(real_features, fake_features, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """The kernel inception distance (Bińkowski et al. 2018): (mean, standard deviation) over
    ``subsets`` random subsets of

        MMD²_u(φ_real, φ_fake),   k(φ, φ') = (φᵀφ'/d + 1)³,

    the unbiased MMD² of the features under the cubic polynomial kernel, each subset drawn
    without replacement, ``subset_size`` from each sample (fewer when a sample is smaller),
    from a generator seeded with ``seed``. Unlike FID it is an unbiased estimate of a distance
    between the distributions, so it can be compared across sample sizes; it averages 0 for
    two samples of one distribution, so a single value can be slightly negative. The standard
    deviation is over the subsets (divided by ``subsets``, as Bińkowski et al.'s code and
    torchmetrics), a measure of the spread of one subset's estimate, not the mean's error.
    """
    real_features, fake_features = _two_feature_sets(real_features, fake_features)
    subsets = check_int(subsets, "subsets")
    size = min(check_int(subset_size, "subset_size", minimum=2), len(real_features), len(fake_features))
    if size < 2:
        raise ValueError("KID needs at least 2 real and 2 fake samples; pass more images.")
    generator = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    estimates = []
    for _ in range(subsets):
        real = real_features[torch.randperm(len(real_features), generator=generator)[:size]]
        fake = fake_features[torch.randperm(len(fake_features), generator=generator)[:size]]
        estimates.append(polynomial_mmd2_unbiased(real, fake))
    estimates = torch.stack(estimates)
    return float(estimates.mean()), float(estimates.std(correction=0))


__all__ = [
    "classifier_score", "classifier_score_over_splits", "feature_statistics", "frechet_distance",
    "fid", "polynomial_kernel", "polynomial_mmd2_unbiased", "kid",
]
