"""Maximum mean discrepancy: compare p* and q_θ by the moments a kernel sees.

The talk's moment matching, L = (E_p*[s(x)] − E_q[s(x)])², with the statistics
s(x) = k(x, ·) of a kernel k: the MMD (Gretton, Borgwardt, Rasch, Schölkopf &
Smola 2012) is the largest difference of means over the functions of unit norm
in k's feature space, and its square has the closed form

    MMD²(p*, q) = E[k(x, x')] + E[k(y, y')] − 2 E[k(x, y)],   x, x' ~ p*,  y, y' ~ q.

For a characteristic kernel such as the Gaussian, MMD² = 0 only when p* = q.
The function that attains the largest difference, up to scale, is the witness

    f(t) = E_p*[k(t, x)] − E_q[k(t, y)],

positive where p* has more mass than q, negative where q has more.

Here k is a Gaussian kernel or a sum of them over several bandwidths,
k(x, y) = Σ_s exp(−‖x − y‖² / (2σ_s²)), which sees differences at several scales
(``kernels.gaussian_kernel``; bandwidths None use the median heuristic). From
samples x_1..x_m ~ p* and y_1..y_n ~ q:

- ``mmd2_biased``: the V-statistic, every pair including i = j; always ≥ 0, biased up.
- ``mmd2_unbiased``: the U-statistic, pairs i ≠ j only; mean exactly MMD², can be < 0.
- ``permutation_test``: the p-value of H₀: p* = q by relabelling the pooled samples.
- ``MMDLoss``: MMD² as a generator's loss (GMMN, Li, Swersky & Zemel 2015), with its
  witness for the training loop's heatmap.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch

from gan_course.divergences.kernels import as_bandwidths, gaussian_kernel
from gan_course.ratio import as_points
from gan_course.validation import check_int

Tensor = torch.Tensor


# --------------------------------------------------------------------------- the samples


def _two_samples(x, y) -> tuple[Tensor, Tensor]:
    x, y = as_points(x, "x"), as_points(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y differ in dimension: {x.shape[1]} vs {y.shape[1]}.")
    return x, y


# --------------------------------------------------------------------------- the estimators


def mmd2_biased(x, y, bandwidths=None) -> Tensor:
    """The V-statistic (Gretton et al. 2012, eq. 5), every pair included:

        MMD²_b = 1/m² Σ_{i,j} k(x_i, x_j) + 1/n² Σ_{i,j} k(y_i, y_j) − 2/(mn) Σ_{i,j} k(x_i, y_j)

    It is the squared distance between the two samples' mean embeddings, so it is
    never negative; its mean exceeds MMD² by exactly (k(x, x) − E k(x, x'))/m + (k(y, y) − E k(y, y'))/n
    (k(x, x) is the same for every x with a Gaussian kernel).
    """
    x, y = _two_samples(x, y)
    bandwidths = as_bandwidths(bandwidths, x, y)
    return (gaussian_kernel(x, x, bandwidths).mean() + gaussian_kernel(y, y, bandwidths).mean()
            - 2.0 * gaussian_kernel(x, y, bandwidths).mean())


def _off_diagonal_mean(kernel: Tensor) -> Tensor:
    n = kernel.shape[0]
    if n < 2:
        raise ValueError("the unbiased MMD² needs at least two samples from each distribution.")
    return (kernel.sum() - kernel.diagonal().sum()) / (n * (n - 1))


def mmd2_unbiased(x, y, bandwidths=None) -> Tensor:
    """The U-statistic (Gretton et al. 2012, eq. 3), pairs i ≠ j only:

        MMD²_u = 1/(m(m−1)) Σ_{i≠j} k(x_i, x_j) + 1/(n(n−1)) Σ_{i≠j} k(y_i, y_j)
                 − 2/(mn) Σ_{i,j} k(x_i, y_j)

    Its expectation is exactly MMD²(p*, q), so when p* = q it averages 0 and is
    negative more often than not (its null distribution is skewed: mean 0, median
    below 0). Needs m, n ≥ 2.
    """
    x, y = _two_samples(x, y)
    bandwidths = as_bandwidths(bandwidths, x, y)
    return (_off_diagonal_mean(gaussian_kernel(x, x, bandwidths))
            + _off_diagonal_mean(gaussian_kernel(y, y, bandwidths))
            - 2.0 * gaussian_kernel(x, y, bandwidths).mean())


ESTIMATORS = {"biased": mmd2_biased, "unbiased": mmd2_unbiased}


def _estimator_name(estimator: str) -> str:
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown MMD² estimator {estimator!r}; choose 'biased' or 'unbiased'.")
    return estimator


def witness(x, y, points, bandwidths=None) -> Tensor:
    """The (unnormalised) witness function at ``points``:

        f(t) = 1/m Σ_i k(t, x_i) − 1/n Σ_j k(t, y_j)

    Positive where the x sample (p*) is denser than the y sample (q). Its mean over
    x minus its mean over y is the biased MMD².
    """
    x, y = _two_samples(x, y)
    points = as_points(points, "points")
    bandwidths = as_bandwidths(bandwidths, x, y)
    return (gaussian_kernel(points, x, bandwidths).mean(dim=1)
            - gaussian_kernel(points, y, bandwidths).mean(dim=1))


# --------------------------------------------------------------------------- the two-sample test


class TwoSampleTest(NamedTuple):
    """The outcome of ``permutation_test``.

    statistic: MMD² of the samples as given; null: (permutations,) MMD² of relabelled
    samples; p_value: (1 + #{null ≥ statistic}) / (1 + permutations); bandwidths used.
    """

    statistic: float
    p_value: float
    null: Tensor
    bandwidths: tuple


def permutation_statistics(kernel: Tensor, is_x: Tensor, estimator: str = "unbiased") -> Tensor:
    """MMD² for many labellings of one pooled sample at once.

    kernel: (N, N) k between all pooled points; is_x: (P, N) booleans, True for the
    points labelled as x in each of P labellings (each with m x's and n = N − m y's).
    With u the indicator of the x's and v = 1 − u, and K₀ the kernel with a zero
    diagonal for the unbiased estimator (K itself for the biased one),

        Σ_xx = uᵀK₀u,  Σ_xy = uᵀK₀v,  Σ_yy = 1ᵀK₀1 − Σ_xx − 2Σ_xy,

    so one matrix product gives every labelling's statistic.
    """
    _estimator_name(estimator)
    u = is_x.to(kernel.dtype)
    m = int(is_x[0].sum())
    n = kernel.shape[0] - m
    if estimator == "unbiased":
        kernel = kernel - torch.diag(kernel.diagonal())
        pairs_x, pairs_y = m * (m - 1), n * (n - 1)
    else:
        pairs_x, pairs_y = m * m, n * n
    weighted = u @ kernel  # (P, N)
    sum_xx = (weighted * u).sum(dim=1)
    sum_xy = (weighted * (1.0 - u)).sum(dim=1)
    sum_yy = kernel.sum() - sum_xx - 2.0 * sum_xy
    return sum_xx / pairs_x + sum_yy / pairs_y - 2.0 * sum_xy / (m * n)


def permutation_test(x, y, bandwidths=None, permutations: int = 200, estimator: str = "unbiased",
                     seed: int = 0) -> TwoSampleTest:
    """Test H₀: p* = q from x ~ p* and y ~ q by permutation (Gretton et al. 2012, section 5).

    Under H₀ the labels "x" and "y" are exchangeable, so the statistic of the
    samples as given is one draw among the statistics of random relabellings of
    the pooled sample. The p-value (1 + #{null ≥ observed}) / (1 + permutations)
    counts the observed labelling among them, which makes P(p ≤ α) ≤ α exactly
    under H₀: reject at level α when p ≤ α. Bandwidths None: the median heuristic.
    """
    x, y = _two_samples(x, y)
    check_int(permutations, "permutations")
    bandwidths = as_bandwidths(bandwidths, x, y)
    pooled = torch.cat([x, y]).double()
    kernel = gaussian_kernel(pooled, pooled, bandwidths)
    m, total = x.shape[0], pooled.shape[0]
    rng = torch.Generator().manual_seed(seed)
    orders = torch.argsort(torch.rand(permutations, total, generator=rng), dim=1)
    relabelled = orders < m  # each row: m points chosen at random as the x's
    observed = torch.zeros(1, total, dtype=torch.bool)
    observed[0, :m] = True
    statistic = float(permutation_statistics(kernel, observed, estimator)[0])
    null = permutation_statistics(kernel, relabelled, estimator).float()
    p_value = (1 + int((null >= statistic).sum())) / (1 + permutations)
    return TwoSampleTest(statistic, p_value, null, bandwidths)


# --------------------------------------------------------------------------- the GMMN loss


class MMDLoss:
    """MMD² between a batch of data and a batch of generated points, as a generator's loss.

    A generative moment-matching network (Li, Swersky & Zemel 2015) trains G_θ by
    minimising MMD²(p*, q_θ) directly, with no discriminator: the kernel's moments
    are fixed, so there is no adversary to train.

        loss = MMDLoss(bandwidths=(0.1, 0.3, 1.0))
        GANConfig(sample_loss=loss, n_disc=0)   # gan_course.toy_training

    ``loss(real, fake)`` is the MMD² estimate ("biased", the V-statistic GMMN used, or
    "unbiased"); ``loss.witness(real, fake, points)`` is the witness function, which
    the training loop draws as the heatmap. −∇ of the loss at a fake moves it up the
    witness: towards where the data outweighs the fakes.
    """

    def __init__(self, bandwidths: Sequence[float] | float = (0.1, 0.3, 1.0, 3.0),
                 estimator: str = "biased"):
        self.bandwidths = as_bandwidths(bandwidths)
        self.estimator = _estimator_name(estimator)
        self.__name__ = f"MMD² ({estimator})"

    def __call__(self, real: Tensor, fake: Tensor) -> Tensor:
        return ESTIMATORS[self.estimator](real, fake, self.bandwidths)

    def witness(self, real: Tensor, fake: Tensor, points: Tensor) -> Tensor:
        """f(t) = mean_i k(t, real_i) − mean_j k(t, fake_j) at each point: (P,)."""
        return witness(real, fake, points, self.bandwidths)

    def __repr__(self) -> str:
        return f"MMDLoss(bandwidths={self.bandwidths}, estimator={self.estimator!r})"


__all__ = [
    "mmd2_biased", "mmd2_unbiased", "ESTIMATORS", "witness",
    "TwoSampleTest", "permutation_statistics", "permutation_test", "MMDLoss",
]
