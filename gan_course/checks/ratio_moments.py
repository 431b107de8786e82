"""Checks for lesson 03 (ratio matching and moment matching): LSIF, uLSIF, kernels, MMD²."""

from __future__ import annotations

import math

import torch

from gan_course.checks.core import as_number, call, close, describe, failed
from gan_course.divergences import kernels, mmd
from gan_course.divergences import ratio_matching as rm

Tensor = torch.Tensor

# --------------------------------------------------------------------------- the LSIF loss

_LSIF_VISIBLE = [  # batches of different sizes, so that sums and swapped terms show; the
    # general case first, where each mistake of _lsif_hint gives its own value (at l = 0 several
    # give the same one, and the hint would name the wrong mistake)
    (torch.tensor([-1.0, 0.5, 1.5]), torch.tensor([-2.0, 0.3])),
    (torch.tensor([0.0, math.log(2.0)]), torch.tensor([0.0, math.log(3.0)])),
    (torch.tensor([0.0, 0.0, 0.0]), torch.tensor([0.0, 0.0])),
]
_LSIF_HIDDEN = [
    (torch.linspace(-3.0, 2.0, 7), torch.linspace(-2.0, 1.0, 5)),
    (torch.tensor([-60.0, 0.2]), torch.tensor([-80.0, 0.1, 1.0])),
]


def _lsif_hint(got: float, log_ratio_real: Tensor, log_ratio_fake: Tensor) -> str:
    real, fake = log_ratio_real.exp(), log_ratio_fake.exp()
    candidates = [
        (0.5 * fake.pow(2).mean() - real.mean(),
         "you left out the constant ½, which makes the minimum −½ χ²(p*‖q) exactly"),
        (0.5 * log_ratio_fake.pow(2).mean() - log_ratio_real.mean() + 0.5,
         "the inputs are log ratios l; the ratio is r = exp(l)"),
        (0.5 * real.pow(2).mean() - fake.mean() + 0.5,
         "real and simulated samples are swapped: the squared ratio is averaged under q"),
        (0.5 * fake.pow(2).sum() - real.sum() + 0.5,
         "each expectation is a mean over its own samples, not a sum"),
        (-(0.5 * fake.pow(2).mean() - real.mean() + 0.5),
         "the sign: the loss is minimised at the true ratio"),
        (0.5 * fake.mean() - real.mean() + 0.5,
         "the first term averages the square of the ratio"),
        (fake.pow(2).mean() - real.mean() + 0.5,
         "the squared ratio carries a factor ½, as in ½ E_q[(r̂ − r)²] that the loss comes from"),
    ]
    for wrong, hint in candidates:
        if close(got, float(wrong)):
            return hint
    return ("each expectation is a mean over that distribution's own samples, and the "
            "ratio is the exponential of the log ratio")


def check_lsif_loss(function, hidden: bool = False) -> None:
    """Compare ``function(log_ratio_real, log_ratio_fake)`` with ½ E_q[r²] − E_p*[r] + ½."""
    name = getattr(function, "__name__", "lsif_loss")
    for log_ratio_real, log_ratio_fake in (_LSIF_HIDDEN if hidden else _LSIF_VISIBLE):
        got = as_number(call(function, name, log_ratio_real, log_ratio_fake), name)
        expected = float(rm.lsif_loss(log_ratio_real, log_ratio_fake))
        if close(got, expected):
            continue
        hint = _lsif_hint(got, log_ratio_real, log_ratio_fake)
        raise failed(f"`{name}` gives {got:.6g} but the LSIF loss is {expected:.6g} on "
                     f"log_ratio_real={describe([log_ratio_real])}, "
                     f"log_ratio_fake={describe([log_ratio_fake])}. Hint: {hint}.")
    print(f"✓ `{name}` matches the LSIF loss on {len(_LSIF_HIDDEN if hidden else _LSIF_VISIBLE)} "
          f"{'hidden ' if hidden else ''}inputs.")


# --------------------------------------------------------------------------- the uLSIF weights


def _kernel_case(seed: int, n_real: int, n_fake: int, basis: int) -> tuple[Tensor, Tensor]:
    rng = torch.Generator().manual_seed(seed)
    centres = torch.randn(basis, 1, generator=rng, dtype=torch.float64)
    real = 0.5 + 0.7 * torch.randn(n_real, 1, generator=rng, dtype=torch.float64)
    fake = torch.randn(n_fake, 1, generator=rng, dtype=torch.float64)
    return (kernels.gaussian_kernel_matrix(real, centres, 0.5),
            kernels.gaussian_kernel_matrix(fake, centres, 0.5))


def check_ulsif_weights(function, hidden: bool = False) -> None:
    """Compare ``function(kernel_real, kernel_fake, regularisation)`` with α̃ = (Ĥ + λI)⁻¹ ĥ."""
    name = getattr(function, "__name__", "ulsif_weights")
    # the numbers of real and simulated samples differ, so that swapping them or summing shows
    # (and one of the visible weights is negative, so that clipping shows)
    cases = [(3, 40, 50, 5, 0.1), (4, 30, 20, 8, 0.01)] if hidden else [(2, 20, 30, 4, 0.1)]
    for seed, n_real, n_fake, basis, regularisation in cases:
        kernel_real, kernel_fake = _kernel_case(seed, n_real, n_fake, basis)
        got = call(function, name, kernel_real, kernel_fake, regularisation)
        expected = rm.ulsif_weights(kernel_real, kernel_fake, regularisation)
        if not torch.is_tensor(got) or got.shape != expected.shape:
            shape = tuple(got.shape) if torch.is_tensor(got) else type(got).__name__
            raise failed(f"`{name}` should return a tensor of shape ({basis},), one weight per basis "
                         f"function, for kernel matrices of shapes {tuple(kernel_real.shape)} and "
                         f"{tuple(kernel_fake.shape)}; got {shape}. Hint: a column ({basis}, 1) would "
                         "turn kernel @ weights into a column too, which broadcasts against a "
                         "vector of true ratios into a matrix.")
        got = got.double()
        if torch.allclose(got, expected, rtol=1e-4, atol=1e-6):
            continue
        swapped = rm.ulsif_weights(kernel_fake, kernel_real, regularisation)
        no_ridge = rm.ulsif_weights(kernel_real, kernel_fake, 0.0)
        n_fake, n_real = kernel_fake.shape[0], kernel_real.shape[0]
        summed_h = rm.ulsif_weights(kernel_real, kernel_fake * n_fake**0.5, regularisation)
        summed_vector = rm.ulsif_weights(kernel_real * n_real, kernel_fake, regularisation)
        if torch.allclose(got, expected.clamp_min(0.0), rtol=1e-4, atol=1e-6):
            hint = "return the unconstrained solution; clipping at 0 comes afterwards"
        elif torch.allclose(got, summed_h, rtol=1e-4, atol=1e-6):
            hint = "Ĥ is an average over the simulated samples, not a sum"
        elif torch.allclose(got, summed_vector, rtol=1e-4, atol=1e-6):
            hint = "ĥ is an average over the real samples, not a sum"
        elif torch.allclose(got, swapped, rtol=1e-4, atol=1e-6):
            hint = "Ĥ averages K Kᵀ over the simulated samples (q) and ĥ averages K over the real ones (p*)"
        elif torch.allclose(got, no_ridge, rtol=1e-3, atol=1e-5):
            hint = "add λ times the identity to Ĥ before solving"
        else:
            hint = ("Ĥ is the average outer product of the simulated samples' kernel rows, ĥ the "
                    "average kernel row of the real samples; the weights solve one linear system "
                    "with Ĥ and the ridge")
        raise failed(f"`{name}` gives weights {describe([got])} but the uLSIF solution is "
                     f"{describe([expected])} (kernel matrices {tuple(kernel_real.shape)} and "
                     f"{tuple(kernel_fake.shape)}, λ={regularisation}). Hint: {hint}.")
    problems = "problem" if len(cases) == 1 else "problems"
    print(f"✓ `{name}` solves the uLSIF system on {len(cases)} {'hidden ' if hidden else ''}{problems}.")


# --------------------------------------------------------------------------- kernel and MMD²


def _mmd_cases(hidden: bool) -> list[tuple[Tensor, Tensor, float]]:
    rng = torch.Generator().manual_seed(11 if hidden else 10)
    x = torch.randn(6, 2, generator=rng)
    y = torch.randn(5, 2, generator=rng) + 0.5
    cases = [(torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [2.0], [-1.0]]), 1.0), (x, y, 0.8)]
    if hidden:
        cases.append((x[:2] * 100.0, y[:3], 0.3))  # far-apart points: kernel values underflow to 0
    return cases


def check_gaussian_kernel(function, hidden: bool = False) -> None:
    """Compare ``function(x, y, bandwidth)`` with k(x_i, y_j) = exp(−‖x_i − y_j‖² / (2σ²))."""
    name = getattr(function, "__name__", "gaussian_kernel")
    cases = _mmd_cases(hidden)
    for x, y, bandwidth in cases:
        got = call(function, name, x, y, bandwidth)
        expected = kernels.gaussian_kernel(x, y, bandwidth)
        if torch.is_tensor(got) and got.shape == expected.shape[::-1] and got.shape != expected.shape:
            raise failed(f"`{name}` returns shape {tuple(got.shape)} for x of shape {tuple(x.shape)} and "
                         f"y of shape {tuple(y.shape)}: rows and columns are swapped. Hint: row i "
                         "belongs to the point x_i, column j to the point y_j.")
        if not torch.is_tensor(got) or got.shape != expected.shape:
            raise failed(f"`{name}` should return a ({x.shape[0]}, {y.shape[0]}) matrix for x of shape "
                         f"{tuple(x.shape)} and y of shape {tuple(y.shape)}, got "
                         f"{tuple(got.shape) if torch.is_tensor(got) else got!r}. Hint: one row per "
                         "point of x, one column per point of y.")
        if not torch.allclose(got.float(), expected, atol=1e-5):
            distances = torch.cdist(x.double(), y.double())
            if torch.allclose(got.double(), torch.exp(-distances**2 / bandwidth**2), atol=1e-5):
                hint = "divide the squared distance by 2σ², not σ²"
            elif torch.allclose(got.double(), torch.exp(-distances**2 / (2 * bandwidth)), atol=1e-5):
                hint = "the bandwidth is σ, a length; the kernel needs its square"
            elif torch.allclose(got.double(), torch.exp(distances**2 / (2 * bandwidth**2)), atol=1e-5):
                hint = "the sign: the kernel decays from 1 as points move apart"
            elif torch.allclose(got.double(), torch.exp(-distances / (2 * bandwidth**2)), atol=1e-5):
                hint = "square the distances: exp(−‖x_i − y_j‖² / (2σ²))"
            else:
                hint = ("the kernel decays with the squared distance between two points, on the "
                        "scale σ; torch.cdist gives every pairwise distance")
            raise failed(f"`{name}` differs from the Gaussian kernel on x={describe([x])}, "
                         f"y={describe([y])}, σ={bandwidth}: got {describe([got])}, expected "
                         f"{describe([expected])}. Hint: {hint}.")
    print(f"✓ `{name}` matches the Gaussian kernel on {len(cases)} {'hidden ' if hidden else ''}inputs.")


class _CountingKernel:
    """The course's Gaussian kernel, counting its calls: the learner's MMD² must use the kernel it
    is given, so that a bug in the kernel task cannot cost the MMD² task too."""

    __name__ = "kernel"

    def __init__(self):
        self.calls = 0

    def __call__(self, x, y, bandwidth):
        self.calls += 1
        return kernels.gaussian_kernel(x, y, bandwidth)


def _mmd2_hint(got: float, x: Tensor, y: Tensor, bandwidth: float) -> str:
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy = kernels.gaussian_kernel(x, x, bandwidth), kernels.gaussian_kernel(y, y, bandwidth)
    k_xy = kernels.gaussian_kernel(x, y, bandwidth)
    unbiased = float(mmd.mmd2_unbiased(x, y, bandwidth))
    if not math.isfinite(got):
        return ("the result is not a number: the unbiased MMD² can be negative (here it is "
                f"{unbiased:.3g}), so it has no square root; return MMD² itself")
    candidates = [
        (mmd.mmd2_biased(x, y, bandwidth),
         "that is the biased estimate: a point is never paired with itself, so the pairs i = j "
         "stay out of the within-sample averages, and the averages count only the pairs left"),
        (k_xx.sum() / (m * (m - 1)) + k_yy.sum() / (n * (n - 1)) - 2 * k_xy.mean(),
         "the normalisation counts only the pairs i ≠ j, so the sums must leave out i = j too"),
        ((k_xx.sum() - k_xx.diagonal().sum()) / m**2 + (k_yy.sum() - k_yy.diagonal().sum()) / n**2
         - 2 * k_xy.mean(),
         "after leaving out i = j, average over the pairs that are left"),
        ((k_xx.sum() - m) / (m * (m - 1)) + (k_yy.sum() - n) / (n * (n - 1)) - k_xy.mean(),
         "the cross term appears twice, once as (x, y) and once as (y, x)"),
        (math.sqrt(unbiased) if unbiased > 0 else math.nan,
         "that is MMD, the square root; return MMD² itself (it can be negative)"),
    ]
    for wrong, hint in candidates:
        if close(got, float(wrong), 1e-4):
            return hint
    return ("MMD² compares how alike points are within each sample with how alike they "
            "are across the two; the unbiased estimate never pairs a point with itself")


def check_unbiased_mmd2(function, hidden: bool = False) -> None:
    """Compare ``function(kernel, x, y, bandwidth)`` with the unbiased MMD² (the U-statistic).

    ``kernel`` is the course's Gaussian kernel (never the learner's own, from the task before):
    the check fails if it is not called.
    """
    name = getattr(function, "__name__", "unbiased_mmd2")
    cases = _mmd_cases(hidden)
    for x, y, bandwidth in cases:
        kernel = _CountingKernel()
        got = as_number(call(function, name, kernel, x, y, bandwidth), name)
        expected = float(mmd.mmd2_unbiased(x, y, bandwidth))
        if kernel.calls == 0:
            raise failed(f"`{name}` never calls the kernel it is given as its first argument. Hint: "
                         "compute every kernel matrix with kernel(a, b, bandwidth), so that the check "
                         "can test this task on its own.")
        if close(got, expected, 1e-4):
            continue
        raise failed(f"`{name}` gives {got:.6g} but the unbiased MMD² is {expected:.6g} on "
                     f"x={describe([x])}, y={describe([y])}, σ={bandwidth}. "
                     f"Hint: {_mmd2_hint(got, x, y, bandwidth)}.")
    print(f"✓ `{name}` matches the unbiased MMD² on {len(cases)} {'hidden ' if hidden else ''}inputs.")


# --------------------------------------------------------------------------- results of experiments


RATIO_FIT_TOLERANCE = 0.12
"""The mean |r̂(x) − r*(x)| under q a ratio fit must reach in the exercises (uLSIF
reaches about 0.05-0.07 on the exercises' Gaussian pair with 1,000 samples each)."""


def check_ratio_fit(estimated_ratio: Tensor, true_ratio: Tensor,
                    tolerance: float = RATIO_FIT_TOLERANCE) -> None:
    """Check that r̂ is within ``tolerance`` of r* on average over samples of q."""
    estimated_ratio = torch.as_tensor(estimated_ratio).reshape(-1).double()
    true_ratio = torch.as_tensor(true_ratio).reshape(-1).double()
    if estimated_ratio.shape != true_ratio.shape:
        raise failed(f"the estimate has {estimated_ratio.numel()} values but the truth "
                     f"{true_ratio.numel()}: evaluate both at the same test points.")
    error = float((estimated_ratio - true_ratio).abs().mean())
    if not math.isfinite(error) or error > tolerance:
        raise failed(f"your ratio fit is off by {error:.3f} on average under q, above {tolerance}. "
                     "Hint: revisit Task 2 (`ulsif_weights`): Ĥ averages over the simulated samples and ĥ "
                     "over the real ones.")
    print(f"✓ your fit recovers r to {error:.3f} on average under q (tolerance {tolerance}).")


def check_mean_near_zero(values: Tensor, what: str = "your unbiased MMD²") -> None:
    """Check that repeated estimates average 0 within 4 standard errors."""
    values = torch.as_tensor(values).reshape(-1).double()
    if values.numel() < 30:
        raise failed(f"got {values.numel()} estimates; give at least 30 so that the standard error "
                     "is meaningful.")
    mean, standard_error = float(values.mean()), float(values.std()) / math.sqrt(values.numel())
    if not math.isfinite(mean) or abs(mean) > 4 * standard_error:
        raise failed(f"{what} averages {mean:.4g} over {values.numel()} draws from identical "
                     f"distributions, {abs(mean) / standard_error:.1f} standard errors from 0. "
                     "Hint: revisit Task 5 (`unbiased_mmd2`): an unbiased estimate must leave out the "
                     "pairs i = j.")
    print(f"✓ {what} averages {mean:.2g} ± {standard_error:.2g} (one standard error): "
          "consistent with 0.")
