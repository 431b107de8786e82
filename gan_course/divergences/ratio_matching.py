"""Density-ratio matching: Bregman-divergence losses and the closed-form kernel uLSIF fit.

Instead of classifying real against simulated samples, fit the ratio
r_φ(x) ≈ r*(x) = p*(x) / q(x) directly by minimising an expected error between
the two (Sugiyama, Suzuki & Kanamori 2012). For a convex f, the Bregman
divergence between the true ratio and the model's, averaged over q, is

    BR_f(r* ‖ r_φ) = E_q[ f(r*) − f(r_φ) − f'(r_φ) (r* − r_φ) ]  ≥ 0,

with equality only at r_φ = r* (for strictly convex f). It needs r*, which we do
not know, but E_q[f'(r_φ) r*] = E_p*[f'(r_φ)] turns it into expectations that
samples give:

    BR_f(r* ‖ r_φ) = L_f(r_φ) + D_f(p* ‖ q),
    L_f(r_φ) = E_q[ f'(r_φ) r_φ − f(r_φ) ] − E_p*[ f'(r_φ) ],
    D_f(p* ‖ q) = E_q[ f(r*) ]   (the f-divergence, with this very f).

So minimising the ratio loss L_f minimises the Bregman divergence, its minimum
is L_f(r*) = −D_f(p* ‖ q), and since f'(r) r − f(r) = f†(f'(r)) (Fenchel), −L_f(r)
is the f-GAN lower bound E_p*[T] − E_q[f†(T)] at the critic T = f'(r): the ratio
loss *is* the f-divergence loss (the talk's "ratio loss ends up being identical
to that of f-divergence").

The losses here keep every constant of L_f, so the identities above hold
exactly. Adding an affine part a·t + b to f changes neither BR_f nor the
minimiser; it shifts L_f by −(a + b) and D_f by +(a + b). Against the
normalised divergence (f(1) = 0), D_f(p* ‖ q) = D_normalised + f(1):

    name        f(t)                          loss in l = log r                          D_f(p*‖q)
    "lsif"      (t − 1)² / 2                  ½ E_q[e^{2l}] − E_p*[e^l] + ½               ½ χ²(p*‖q)
    "kliep"     t log t − t                   E_q[e^l] − E_p*[l]                          KL(p*‖q) − 1
    "logistic"  t log t − (1 + t) log(1 + t)  E_q[softplus(l)] + E_p*[softplus(−l)]       2 JS(p*‖q) − log 4

Conventions: the losses ``lsif_loss``, ``kliep_loss`` and ``logistic_loss`` take
the model's **log-ratio** outputs l = log r_φ on real samples (x ~ p*) and on
simulated samples (x ~ q), like a classifier's logits, so a network's raw output
is a valid model and r = e^l > 0 always. ``bregman_loss`` is the general formula
on **ratio** values, for any f, and also serves linear models whose ratio can be
negative (uLSIF). Expectations are means over the samples.

``fit_ulsif`` is the closed-form kernel fit of Kanamori, Hido & Sugiyama (2009);
``fit_neural_ratio`` trains a network with one of the losses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from gan_course.divergences.kernels import gaussian_kernel_matrix, median_distance
from gan_course.ratio import RatioClassifier, as_points, fit_ratio_classifier
from gan_course.validation import check_int, check_logits, check_number, from_registry

Tensor = torch.Tensor


# --------------------------------------------------------------------------- the convex functions f


def _xlogx(t: Tensor) -> Tensor:
    """t log t with its limit 0 at t = 0."""
    return torch.xlogy(t, t)


class BregmanFunction(NamedTuple):
    """A convex f that defines a ratio-matching loss, with its derivative.

    f, derivative: functions of the ratio t (a tensor), elementwise.
    divergence: what D_f(p* ‖ q) = E_q[f(r*)] is for this f, in words.
    """

    name: str
    f: Callable[[Tensor], Tensor]
    derivative: Callable[[Tensor], Tensor]
    divergence: str


BREGMAN_FUNCTIONS: dict[str, BregmanFunction] = {
    "lsif": BregmanFunction(
        "lsif", lambda t: 0.5 * (t - 1.0) ** 2, lambda t: t - 1.0,
        "½ χ²(p*‖q), the Pearson divergence"),
    "kliep": BregmanFunction(
        "kliep", lambda t: _xlogx(t) - t, lambda t: torch.log(t),
        "KL(p*‖q) − 1"),
    "logistic": BregmanFunction(
        "logistic", lambda t: _xlogx(t) - _xlogx(1.0 + t), lambda t: torch.log(t / (1.0 + t)),
        "2 JS(p*‖q) − log 4"),
}
"""The three classic choices (Sugiyama et al. 2012, section 3): least-squares
importance fitting, the KL importance estimation procedure, and logistic
regression (the Bernoulli classifier of lesson 01)."""


def get_bregman_function(name: str | BregmanFunction) -> BregmanFunction:
    """A convex f by name ("lsif", "kliep", "logistic"), or the object itself."""
    if isinstance(name, BregmanFunction):
        return name
    if name not in BREGMAN_FUNCTIONS:
        raise ValueError(f"unknown Bregman function {name!r}; choose one of "
                         f"{', '.join(BREGMAN_FUNCTIONS)}, or build a BregmanFunction(name, f, "
                         "derivative, divergence).")
    return BREGMAN_FUNCTIONS[name]


# --------------------------------------------------------------------------- checking inputs


def _pair(real, fake, what: str) -> tuple[Tensor, Tensor]:
    return (check_logits(real, f"{what}_real", check_nan=True),
            check_logits(fake, f"{what}_fake", check_nan=True))


# --------------------------------------------------------------------------- the losses


def bregman_loss(function: str | BregmanFunction, ratio_real: Tensor, ratio_fake: Tensor) -> Tensor:
    """The ratio-matching loss of a convex f, on ratio values (Sugiyama et al. 2012, eq. 4):

        L_f(r) = E_q[f'(r) r − f(r)] − E_p*[f'(r)]

    ratio_real: r(x) at samples x ~ p*; ratio_fake: r(x) at samples x ~ q.
    L_f(r) = BR_f(r* ‖ r) − D_f(p* ‖ q), so it is minimised at r = r*, where it
    equals −D_f(p* ‖ q). This is the formula as written, for any f (the ratios
    must lie in f's domain, e.g. r > 0 for "kliep"); the named losses below are
    the same numbers computed stably from log ratios.
    """
    function = get_bregman_function(function)
    ratio_real, ratio_fake = _pair(ratio_real, ratio_fake, "ratio")
    f, derivative = function.f, function.derivative
    return (derivative(ratio_fake) * ratio_fake - f(ratio_fake)).mean() - derivative(ratio_real).mean()


def bregman_divergence(function: str | BregmanFunction, true_ratio_fake: Tensor,
                       ratio_fake: Tensor) -> Tensor:
    """BR_f(r* ‖ r) = E_q[f(r*) − f(r) − f'(r) (r* − r)] from the true ratio at samples x ~ q.

    Needs the true ratio, so it serves to check ``bregman_loss``: on the same
    expectations, BR_f(r* ‖ r) = L_f(r) + E_q[f(r*)].
    """
    function = get_bregman_function(function)
    true_ratio_fake, ratio_fake = _pair(true_ratio_fake, ratio_fake, "ratio")
    if true_ratio_fake.shape != ratio_fake.shape:
        raise ValueError(f"true_ratio_fake {tuple(true_ratio_fake.shape)} and ratio_fake "
                         f"{tuple(ratio_fake.shape)} must be the two ratios at the same samples of q.")
    f, derivative = function.f, function.derivative
    return (f(true_ratio_fake) - f(ratio_fake)
            - derivative(ratio_fake) * (true_ratio_fake - ratio_fake)).mean()


def lsif_loss(log_ratio_real: Tensor, log_ratio_fake: Tensor) -> Tensor:
    """Least-squares importance fitting, f(t) = (t − 1)²/2 (Kanamori et al. 2009):

        L(r) = ½ E_q[r²] − E_p*[r] + ½,   r = e^l

    = ½ E_q[(r − r*)²] − ½ χ²(p* ‖ q): a squared error to the true ratio, weighted by q.
    Its minimum −½ χ² is finite only if E_q[r*²] is, i.e. if q has heavier tails
    than p*; where q is narrower than p*, prefer "kliep" or "logistic".
    """
    log_ratio_real, log_ratio_fake = _pair(log_ratio_real, log_ratio_fake, "log_ratio")
    return 0.5 * torch.exp(2.0 * log_ratio_fake).mean() - torch.exp(log_ratio_real).mean() + 0.5


def kliep_loss(log_ratio_real: Tensor, log_ratio_fake: Tensor) -> Tensor:
    """The KL importance estimation procedure, f(t) = t log t − t (Sugiyama et al. 2008):

        L(r) = E_q[r] − E_p*[log r] = E_q[e^l] − E_p*[l]

    KLIEP maximises E_p*[log r] subject to E_q[r] = 1; this is its unconstrained
    form, whose minimiser satisfies the constraint by itself. Minimum: 1 − KL(p* ‖ q).
    E_q[e^l] is computed as exp(logsumexp(l) − log n), which overflows only when
    the mean itself does.
    """
    log_ratio_real, log_ratio_fake = _pair(log_ratio_real, log_ratio_fake, "log_ratio")
    log_mean_ratio = torch.logsumexp(log_ratio_fake.reshape(-1), dim=0) - math.log(log_ratio_fake.numel())
    return torch.exp(log_mean_ratio) - log_ratio_real.mean()


def logistic_loss(log_ratio_real: Tensor, log_ratio_fake: Tensor) -> Tensor:
    """Logistic regression, f(t) = t log t − (1 + t) log(1 + t) (the Bernoulli rule, lesson 01):

        L(r) = E_q[log(1 + r)] + E_p*[log(1 + 1/r)] = E_q[softplus(l)] + E_p*[softplus(−l)]

    with r = e^l, i.e. D = σ(l) = r/(r + 1). Twice the Bernoulli loss at π = ½;
    minimum log 4 − 2 JS(p* ‖ q), the original GAN's discriminator optimum.
    """
    log_ratio_real, log_ratio_fake = _pair(log_ratio_real, log_ratio_fake, "log_ratio")
    return F.softplus(log_ratio_fake).mean() + F.softplus(-log_ratio_real).mean()


RatioLoss = Callable[[Tensor, Tensor], Tensor]

RATIO_LOSSES: dict[str, RatioLoss] = {
    "lsif": lsif_loss,
    "kliep": kliep_loss,
    "logistic": logistic_loss,
}
"""The ratio-matching losses on log ratios, by the name of their convex f."""


def get_ratio_loss(loss: str | RatioLoss) -> RatioLoss:
    """A ratio-matching loss by name, or the function itself."""
    return from_registry(RATIO_LOSSES, loss, "ratio-matching loss")


# --------------------------------------------------------------------------- a neural ratio


def fit_neural_ratio(real: Tensor, fake: Tensor, loss: str | RatioLoss = "lsif", steps: int = 2000,
                     **training) -> RatioClassifier:
    """Fit a network's output l_φ(x) = log r_φ(x) by minimising a ratio-matching loss.

    The same trainer as lesson 01's classifiers (``ratio.fit_ratio_classifier``:
    an MLP, Adam, a cosine learning-rate decay, minibatches of both samples),
    with ``loss(log_ratio_real, log_ratio_fake)`` in place of a scoring rule;
    ``training`` passes batch_size, lr, width, depth, seed, progress on to it.
    The result's ``log_ratio(x)`` is l_φ(x) (the prior is ½, whose log odds are 0).
    """
    loss_fn = get_ratio_loss(loss)
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", "custom")

    def ratio_matching_rule(log_ratio_real, log_ratio_fake, prior):
        return loss_fn(log_ratio_real, log_ratio_fake)

    ratio_matching_rule.__name__ = f"{name} ratio matching"
    return fit_ratio_classifier(real, fake, rule=ratio_matching_rule, prior=0.5, steps=steps, **training)


# --------------------------------------------------------------------------- uLSIF


def ulsif_weights(kernel_real: Tensor, kernel_fake: Tensor, regularisation: float) -> Tensor:
    """The unconstrained LSIF solution α̃ = (Ĥ + λ I)⁻¹ ĥ (Kanamori, Hido & Sugiyama 2009).

    kernel_real: (n_p, b) basis functions K(x, c_l) at samples of p*;
    kernel_fake: (n_q, b) the same at samples of q.
    Ĥ = (1/n_q) Σ_j K(x_j) K(x_j)ᵀ over q's samples, ĥ = (1/n_p) Σ_i K(x_i) over p*'s.
    α̃ minimises ½ αᵀĤα − ĥᵀα + (λ/2) αᵀα, the LSIF loss of r = Kα plus a ridge,
    whose gradient Ĥα − ĥ + λα vanishes there. Solved in float64.
    """
    check_number(regularisation, "the regularisation λ", strict=False)
    if kernel_real.ndim != 2 or kernel_fake.ndim != 2 or kernel_real.shape[1] != kernel_fake.shape[1]:
        raise ValueError(f"kernel_real {tuple(kernel_real.shape)} and kernel_fake "
                         f"{tuple(kernel_fake.shape)} must be (n, b) with the same b basis functions.")
    kernel_real, kernel_fake = kernel_real.double(), kernel_fake.double()
    h_matrix = kernel_fake.T @ kernel_fake / kernel_fake.shape[0]
    h_vector = kernel_real.mean(dim=0)
    identity = torch.eye(h_matrix.shape[0], dtype=torch.float64)
    return torch.linalg.solve(h_matrix + regularisation * identity, h_vector)


@dataclass
class KernelRatio:
    """r(x) = Σ_l α_l exp(−‖x − c_l‖² / (2σ²)): a fitted uLSIF model.

    centres: (b, d) the c_l; bandwidth: σ; regularisation: λ;
    weights: α (clipped at 0 if ``clipped``); unclipped_weights: α̃, the closed form.
    validation: {(σ, λ): held-out LSIF loss} when they were chosen by cross-validation.
    """

    centres: Tensor
    bandwidth: float
    regularisation: float
    weights: Tensor
    unclipped_weights: Tensor
    clipped: bool
    validation: dict = field(default_factory=dict)

    def basis(self, x) -> Tensor:
        """K(x, c_l) for every point and centre: (n, b), float64."""
        x = as_points(x).double()
        if x.shape[1] != self.centres.shape[1]:
            raise ValueError(f"the model was fitted on {self.centres.shape[1]}D points, got {x.shape[1]}D.")
        return gaussian_kernel_matrix(x, self.centres, self.bandwidth)

    def ratio(self, x) -> Tensor:
        """r̂(x) = Σ_l α_l K(x, c_l): (n,), float32. Never negative when ``clipped``."""
        return (self.basis(x) @ self.weights).float()

    def log_ratio(self, x, floor: float = 1e-6) -> Tensor:
        """log max(r̂(x), floor): far from every centre r̂ → 0, whose log is −∞."""
        return torch.log(self.ratio(x).clamp_min(floor))


def fit_ulsif(real, fake, bandwidth: float | None = None, regularisation: float | None = None,
              n_centres: int = 100, clip: bool = True, folds: int = 5, seed: int = 0) -> KernelRatio:
    """Fit r̂ = Σ_l α_l K(x, c_l) to p*/q in closed form: unconstrained LSIF (uLSIF).

    real: samples of p* (n_p, d) or (n_p,); fake: samples of q.
    Centres: ``n_centres`` samples of p* drawn at random (where r is large, as in
    Kanamori et al. 2009). α̃ = (Ĥ + λI)⁻¹ ĥ (``ulsif_weights``); with ``clip``
    the weights are then rounded up to α = max(0, α̃), the paper's choice, so
    that r̂ ≥ 0 ("unconstrained" refers to solving without that constraint).
    If ``bandwidth`` or ``regularisation`` is None, it is chosen by ``folds``-fold
    cross-validation of the held-out LSIF loss ½ E_q[r̂²] − E_p*[r̂] over
    σ ∈ median distance × {¼, ½, 1, 2} and λ ∈ {10⁻³, 10⁻², 10⁻¹, 1}.
    """
    real, fake = as_points(real, "real").double(), as_points(fake, "fake").double()
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake samples differ in dimension: {real.shape[1]} vs {fake.shape[1]}.")
    check_int(n_centres, "n_centres")
    rng = torch.Generator().manual_seed(seed)
    centres = real[torch.randperm(real.shape[0], generator=rng)[:n_centres]]

    validation = {}
    if bandwidth is None or regularisation is None:
        median = median_distance(torch.cat([real, fake]))
        bandwidths = [bandwidth] if bandwidth is not None else [median * s for s in (0.25, 0.5, 1.0, 2.0)]
        lambdas = [regularisation] if regularisation is not None else [1e-3, 1e-2, 1e-1, 1.0]
        validation = _cross_validate(real, fake, centres, bandwidths, lambdas, clip, folds, rng)
        bandwidth, regularisation = min(validation, key=validation.get)

    weights = ulsif_weights(gaussian_kernel_matrix(real, centres, bandwidth),
                            gaussian_kernel_matrix(fake, centres, bandwidth), regularisation)
    return KernelRatio(centres, float(bandwidth), float(regularisation),
                       weights.clamp_min(0.0) if clip else weights, weights, clip, validation)


def _cross_validate(real, fake, centres, bandwidths, lambdas, clip, folds, rng) -> dict:
    """{(σ, λ): mean held-out LSIF loss over the folds} (the loss without its constant ½)."""
    check_int(folds, "folds", minimum=2)
    if min(real.shape[0], fake.shape[0]) < folds:
        raise ValueError(f"{folds}-fold cross-validation needs at least {folds} samples of each; "
                         "give bandwidth and regularisation yourself, or pass more samples.")
    fold_real = torch.randperm(real.shape[0], generator=rng) % folds
    fold_fake = torch.randperm(fake.shape[0], generator=rng) % folds
    scores = {}
    for bandwidth in bandwidths:
        kernel_real = gaussian_kernel_matrix(real, centres, bandwidth)
        kernel_fake = gaussian_kernel_matrix(fake, centres, bandwidth)
        for regularisation in lambdas:
            held_out = []
            for k in range(folds):
                weights = ulsif_weights(kernel_real[fold_real != k], kernel_fake[fold_fake != k],
                                        regularisation)
                weights = weights.clamp_min(0.0) if clip else weights
                ratio_real = kernel_real[fold_real == k] @ weights
                ratio_fake = kernel_fake[fold_fake == k] @ weights
                held_out.append(float(0.5 * ratio_fake.pow(2).mean() - ratio_real.mean()))
            scores[(float(bandwidth), float(regularisation))] = sum(held_out) / folds
    return scores


__all__ = [
    "BregmanFunction", "BREGMAN_FUNCTIONS", "get_bregman_function", "bregman_loss",
    "bregman_divergence", "lsif_loss", "kliep_loss", "logistic_loss", "RATIO_LOSSES", "get_ratio_loss",
    "fit_neural_ratio", "ulsif_weights", "KernelRatio", "fit_ulsif",
]
