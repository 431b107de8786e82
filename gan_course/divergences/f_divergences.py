"""f-divergences, their Fenchel conjugates and the variational lower bound (f-GAN).

An f-divergence compares the data p* with the model q_θ through the density
ratio r(x) = p*(x) / q_θ(x) (Ali & Silvey 1966; Csiszár 1967):

    D_f[p* ‖ q_θ] = ∫ q_θ(x) f(p*(x) / q_θ(x)) dx = E_q[f(r(x))],    f convex, f(1) = 0.

Every convex f equals the supremum of its tangents, f(u) = sup_t {t u − f†(t)},
where f†(t) = sup_u {t u − f(u)} is its Fenchel conjugate (the lessons' f†;
many papers write f*). Replacing the
pointwise sup by one function T(x) (a *critic*) can only lose, so for every T

    D_f[p* ‖ q_θ] ≥ E_p*[T(x)] − E_q[f†(T(x))],

with equality at T*(x) = f'(r(x)) (Nguyen, Wainwright & Jordan 2010). Both
expectations need only samples, so a network can maximise the bound over T
and a generator can minimise it over θ: the f-GAN (Nowozin, Cseke & Tomioka 2016).

The network outputs an unconstrained v(x) ∈ ℝ (a logit); an output activation
g_f maps it into dom f†, so T(x) = g_f(v(x)). ``F_DIVERGENCES`` holds the
table of Nowozin et al. (Tables 1 and 2): f, f†, g_f, dom f† and f'(1) for
KL, reverse KL, Pearson χ², Neyman χ², squared Hellinger, Jensen–Shannon, the
GAN divergence and total variation.

This module also gives the exact divergences to compare estimates against
(closed forms for Gaussians where they exist, 1D quadrature otherwise), the
bound as an estimator from samples and by quadrature, and ``fit_f_divergence_critic``,
which trains a critic on 1D or 2D samples by maximising the bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from scipy.integrate import simpson

from gan_course.ratio import as_points, fit_ratio_classifier
from gan_course.validation import check_logits, from_registry

Tensor = torch.Tensor

LOG_2 = math.log(2.0)

LOGIT_CLIP = 50.0
"""|v| at which the critic's output is clipped for the f whose activation or
conjugate is exponential in v (KL, reverse KL, Neyman χ², squared Hellinger).
e^50 ≈ 5·10²¹ is far beyond what a useful critic outputs, while float32's exp
overflows at v ≈ 88 and one such output would make the loss infinite. A clipped
critic is still a critic, so the clipped bound remains a lower bound."""


@dataclass(frozen=True)
class FDivergence:
    """One row of the f-GAN table (Nowozin et al. 2016, Tables 1 and 2).

    name: the registry key, e.g. "kl".
    title: the divergence's usual name.
    equals: what D_f[p* ‖ q] is for this f, in words (e.g. "KL(p* ‖ q)").
    f: the generator function f(u), u = p*/q ≥ 0, convex with f(1) = 0 (except the
        GAN row, whose f(1) = −log 4 makes D_f = 2 JS − log 4 ≤ 0).
    conjugate: the Fenchel conjugate f†(t) = sup_u {t u − f(u)} on dom f†.
    activation: the output activation g_f: ℝ → dom f†, monotone increasing, T = g_f(v).
    conjugate_of_activation: f†(g_f(v)) written directly in v, so that it stays
        finite where g_f(v) rounds to the edge of dom f† (e.g. the GAN's
        f†(g_f(v)) = softplus(v) rather than −log(1 − exp(−softplus(−v)))).
    optimal_logit: v*(log r) = g_f⁻¹(f'(r)), the logit of the optimal critic
        T* = f'(r) as a function of log r (±∞ for total variation, whose T* = ±½).
    domain: dom f† as (low, high); whether an end is included is in ``formulas``.
    f_prime_at_one: f'(1), the critic's output T where p* = q (nothing to tell apart).
    formulas: plain-text f, f†, g_f and dom f† for printed tables.
    logit_clip: clip v to [−logit_clip, logit_clip] before the activation (see
        ``LOGIT_CLIP``), or None where every term is at most quadratic in v.
    """

    name: str
    title: str
    equals: str
    f: Callable[[Tensor], Tensor]
    conjugate: Callable[[Tensor], Tensor]
    activation: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]
    optimal_logit: Callable[[Tensor], Tensor]
    domain: tuple[float, float]
    f_prime_at_one: float
    formulas: dict = field(default_factory=dict)
    logit_clip: float | None = None

    def clip(self, logits: Tensor) -> Tensor:
        """The critic's raw output v, clipped to ±``logit_clip`` where the terms are exponential."""
        if self.logit_clip is None:
            return logits
        return logits.clamp(-self.logit_clip, self.logit_clip)

    def critic(self, logits: Tensor) -> Tensor:
        """T = g_f(v): the critic's output in dom f†."""
        return self.activation(self.clip(logits))

    def fake_term(self, logits: Tensor) -> Tensor:
        """f†(T) = f†(g_f(v)), the term the bound subtracts on samples of q."""
        return self.conjugate_of_activation(self.clip(logits))

    def optimal_critic(self, log_ratio: Tensor) -> Tensor:
        """T*(x) = f'(r(x)), the critic at which the bound equals D_f."""
        return self.activation(self.optimal_logit(log_ratio))

    def __repr__(self) -> str:
        return f"FDivergence({self.name!r}: {self.equals})"


def _tv_optimal_logit(log_ratio: Tensor) -> Tensor:
    # T* = ½ sign(r - 1) needs v = ±∞ (tanh(±∞) = ±1 in floating point); v = 0 where r = 1.
    infinity = torch.full_like(log_ratio, math.inf)
    return torch.where(log_ratio > 0, infinity, torch.where(log_ratio < 0, -infinity, 0.0 * log_ratio))


F_DIVERGENCES: dict[str, FDivergence] = {
    "kl": FDivergence(
        name="kl", title="Kullback–Leibler", equals="KL(p* ‖ q)",
        f=lambda u: torch.xlogy(u, u),
        conjugate=lambda t: torch.exp(t - 1),
        activation=lambda v: v,
        conjugate_of_activation=lambda v: torch.exp(v - 1),
        optimal_logit=lambda log_r: 1 + log_r,
        domain=(-math.inf, math.inf), f_prime_at_one=1.0,
        formulas={"f": "u log u", "conjugate": "exp(t − 1)", "activation": "v", "domain": "ℝ"},
        logit_clip=LOGIT_CLIP),
    "reverse_kl": FDivergence(
        name="reverse_kl", title="reverse Kullback–Leibler", equals="KL(q ‖ p*)",
        f=lambda u: -torch.log(u),
        conjugate=lambda t: -1 - torch.log(-t),
        activation=lambda v: -torch.exp(-v),
        conjugate_of_activation=lambda v: v - 1,
        optimal_logit=lambda log_r: log_r,
        domain=(-math.inf, 0.0), f_prime_at_one=-1.0,
        formulas={"f": "−log u", "conjugate": "−1 − log(−t)", "activation": "−exp(−v)",
                  "domain": "t < 0"},
        logit_clip=LOGIT_CLIP),
    "pearson": FDivergence(
        name="pearson", title="Pearson χ²", equals="χ²(p* ‖ q) = ∫ (p* − q)²/q",
        f=lambda u: (u - 1) ** 2,
        conjugate=lambda t: t**2 / 4 + t,
        activation=lambda v: v,
        conjugate_of_activation=lambda v: v**2 / 4 + v,
        optimal_logit=lambda log_r: 2 * torch.expm1(log_r),
        domain=(-math.inf, math.inf), f_prime_at_one=0.0,
        formulas={"f": "(u − 1)²", "conjugate": "t²/4 + t", "activation": "v", "domain": "ℝ"}),
    "neyman": FDivergence(
        name="neyman", title="Neyman χ²", equals="χ²(q ‖ p*) = ∫ (q − p*)²/p*",
        f=lambda u: (1 - u) ** 2 / u,
        conjugate=lambda t: 2 - 2 * torch.sqrt(1 - t),
        activation=lambda v: -torch.expm1(-v),
        conjugate_of_activation=lambda v: 2 - 2 * torch.exp(-v / 2),
        optimal_logit=lambda log_r: 2 * log_r,
        domain=(-math.inf, 1.0), f_prime_at_one=0.0,
        formulas={"f": "(1 − u)²/u", "conjugate": "2 − 2√(1 − t)", "activation": "1 − exp(−v)",
                  "domain": "t < 1"},
        logit_clip=LOGIT_CLIP),
    "hellinger": FDivergence(
        name="hellinger", title="squared Hellinger", equals="∫ (√p* − √q)² = 2 − 2∫√(p* q)",
        f=lambda u: (torch.sqrt(u) - 1) ** 2,
        conjugate=lambda t: t / (1 - t),
        activation=lambda v: -torch.expm1(-v),
        conjugate_of_activation=lambda v: torch.expm1(v),
        optimal_logit=lambda log_r: log_r / 2,
        domain=(-math.inf, 1.0), f_prime_at_one=0.0,
        formulas={"f": "(√u − 1)²", "conjugate": "t/(1 − t)", "activation": "1 − exp(−v)",
                  "domain": "t < 1"},
        logit_clip=LOGIT_CLIP),
    "js": FDivergence(
        name="js", title="Jensen–Shannon", equals="2 JS(p* ‖ q) = KL(p* ‖ m) + KL(q ‖ m), m = (p* + q)/2",
        f=lambda u: torch.xlogy(u, u) - torch.xlogy(u + 1, (u + 1) / 2),
        conjugate=lambda t: -torch.log(2 - torch.exp(t)),
        activation=lambda v: LOG_2 - F.softplus(-v),
        conjugate_of_activation=lambda v: F.softplus(v) - LOG_2,
        optimal_logit=lambda log_r: log_r,
        domain=(-math.inf, LOG_2), f_prime_at_one=0.0,
        formulas={"f": "u log u − (u + 1) log((u + 1)/2)", "conjugate": "−log(2 − exp(t))",
                  "activation": "log 2 − log(1 + exp(−v))", "domain": "t < log 2"}),
    "gan": FDivergence(
        name="gan", title="GAN", equals="2 JS(p* ‖ q) − log 4",
        f=lambda u: torch.xlogy(u, u) - torch.xlogy(u + 1, u + 1),
        conjugate=lambda t: -torch.log(-torch.expm1(t)),
        activation=lambda v: -F.softplus(-v),
        conjugate_of_activation=lambda v: F.softplus(v),
        optimal_logit=lambda log_r: log_r,
        domain=(-math.inf, 0.0), f_prime_at_one=-LOG_2,
        formulas={"f": "u log u − (u + 1) log(u + 1)", "conjugate": "−log(1 − exp(t))",
                  "activation": "−log(1 + exp(−v))", "domain": "t < 0"}),
    "total_variation": FDivergence(
        name="total_variation", title="total variation", equals="½ ∫ |p* − q|",
        f=lambda u: 0.5 * (u - 1).abs(),
        conjugate=lambda t: t,
        activation=lambda v: 0.5 * torch.tanh(v),
        conjugate_of_activation=lambda v: 0.5 * torch.tanh(v),
        optimal_logit=_tv_optimal_logit,
        domain=(-0.5, 0.5), f_prime_at_one=0.0,
        formulas={"f": "½ |u − 1|", "conjugate": "t", "activation": "½ tanh(v)",
                  "domain": "|t| ≤ ½"}),
}
"""The f-GAN table, by name. Note the Jensen–Shannon row: Nowozin et al.'s f gives
D_f = 2 JS (between 0 and log 4), and the GAN row's f gives 2 JS − log 4."""


def get_f_divergence(divergence: str | FDivergence) -> FDivergence:
    """A row of the table by name (e.g. "kl", "reverse_kl", "js"), or the row itself."""
    if isinstance(divergence, FDivergence):
        return divergence
    return from_registry(F_DIVERGENCES, divergence, "f-divergence")


def table_rows() -> list[dict]:
    """The table as rows of plain text, keyed name, D_f, f(u), f*(t), g_f(v), dom f*, f'(1);
    the keys write the conjugate f† as f*, like lesson 02's printed table."""
    return [{"name": d.name, "D_f": d.equals, "f(u)": d.formulas["f"],
             "f*(t)": d.formulas["conjugate"], "g_f(v)": d.formulas["activation"],
             "dom f*": d.formulas["domain"], "f'(1)": round(d.f_prime_at_one, 4)}
            for d in F_DIVERGENCES.values()]


# --------------------------------------------------------------------------- the bound


def bound_terms(divergence: str | FDivergence, critic_outputs_real: Tensor,
                critic_outputs_fake: Tensor) -> tuple[Tensor, Tensor]:
    """(E_p*[T], E_q[f†(T)]) as sample means, with T = g_f(v) from the raw outputs v."""
    entry = get_f_divergence(divergence)
    real = check_logits(critic_outputs_real, "critic_outputs_real")
    fake = check_logits(critic_outputs_fake, "critic_outputs_fake")
    return entry.critic(real).mean(), entry.fake_term(fake).mean()


def variational_bound(divergence: str | FDivergence, critic_outputs_real: Tensor,
                      critic_outputs_fake: Tensor) -> Tensor:
    """The f-GAN lower bound estimated from samples (Nowozin et al. 2016, eq. 6):

        D_f[p* ‖ q] ≥ E_p*[T(x)] − E_q[f†(T(x))],   T = g_f(v),

    with the expectations as means over the critic's raw outputs v on samples
    of p* (``critic_outputs_real``) and of q (``critic_outputs_fake``). For a
    fixed critic the *expected* value of this estimate is a lower bound; the
    estimate itself fluctuates around it with sampling noise.
    """
    real, fake = bound_terms(divergence, critic_outputs_real, critic_outputs_fake)
    return real - fake


# --------------------------------------------------------------------------- exact values


def _is_gaussian(distribution) -> bool:
    return hasattr(distribution, "cov") and hasattr(distribution, "mean")


def _check_same_dimension(p, q) -> int:
    if p.dim != q.dim:
        raise ValueError(f"p* is {p.dim}D but q is {q.dim}D; compare distributions of the same dimension.")
    return p.dim


def _gaussian_pair(p, q):
    if not (_is_gaussian(p) and _is_gaussian(q)):
        raise ValueError("closed forms need two toy.Gaussian distributions; for mixtures use "
                         "quadrature_divergence (1D).")
    _check_same_dimension(p, q)
    return p.mean.double(), p.cov.double(), q.mean.double(), q.cov.double()


def kl_gaussians(p, q) -> float:
    """KL(p ‖ q) = ½ [tr(Σ_q⁻¹ Σ_p) + (μ_q − μ_p)ᵀ Σ_q⁻¹ (μ_q − μ_p) − d + log det Σ_q − log det Σ_p]."""
    mean_p, cov_p, mean_q, cov_q = _gaussian_pair(p, q)
    difference = mean_q - mean_p
    trace = torch.trace(torch.linalg.solve(cov_q, cov_p))
    mahalanobis = difference @ torch.linalg.solve(cov_q, difference)
    log_dets = torch.logdet(cov_q) - torch.logdet(cov_p)
    return float(0.5 * (trace + mahalanobis - mean_p.numel() + log_dets))


def pearson_chi2_gaussians(p, q) -> float:
    """χ²(p ‖ q) = ∫ p²/q − 1 for Gaussians, or ``math.inf`` where the integral diverges.

    ∫ p²/q = exp(D₂(p ‖ q)), the Rényi divergence of order 2, which for Gaussians is
        D₂ = Δᵀ Σ₂⁻¹ Δ − ½ [log det Σ₂ + log det Σ_p − 2 log det Σ_q],  Σ₂ = 2 Σ_q − Σ_p,  Δ = μ_p − μ_q
    (Gil, Alajaji & Linder 2013). It is finite only when Σ₂ is positive definite:
    in 1D, when σ_p² < 2 σ_q². Otherwise p²/q grows in the tails and χ² = ∞.
    """
    mean_p, cov_p, mean_q, cov_q = _gaussian_pair(p, q)
    sigma = 2 * cov_q - cov_p
    if float(torch.linalg.eigvalsh(sigma).min()) <= 0:
        return math.inf
    difference = mean_p - mean_q
    log_integral = (difference @ torch.linalg.solve(sigma, difference)
                    - 0.5 * (torch.logdet(sigma) + torch.logdet(cov_p) - 2 * torch.logdet(cov_q)))
    return float(torch.expm1(log_integral))


def squared_hellinger_gaussians(p, q) -> float:
    """∫ (√p − √q)² = 2 − 2 BC, with the Bhattacharyya coefficient of two Gaussians

        log BC = ¼ log det Σ_p + ¼ log det Σ_q − ½ log det Σ̄ − ⅛ Δᵀ Σ̄⁻¹ Δ,  Σ̄ = (Σ_p + Σ_q)/2.

    This is D_f for f(u) = (√u − 1)², Nowozin et al.'s squared Hellinger (twice the
    convention H² = 1 − BC).
    """
    mean_p, cov_p, mean_q, cov_q = _gaussian_pair(p, q)
    average = (cov_p + cov_q) / 2
    difference = mean_p - mean_q
    log_bc = (0.25 * torch.logdet(cov_p) + 0.25 * torch.logdet(cov_q) - 0.5 * torch.logdet(average)
              - 0.125 * difference @ torch.linalg.solve(average, difference))
    return float(-2 * torch.expm1(log_bc))


CLOSED_FORMS: dict[str, Callable] = {
    "kl": kl_gaussians,
    "reverse_kl": lambda p, q: kl_gaussians(q, p),
    "pearson": pearson_chi2_gaussians,
    "neyman": lambda p, q: pearson_chi2_gaussians(q, p),
    "hellinger": squared_hellinger_gaussians,
}
"""D_f[p* ‖ q] in closed form for two Gaussians (any dimension). Jensen–Shannon, GAN
and total variation have none: use ``quadrature_divergence`` in 1D."""


QUADRATURE_POINTS = 40_001
QUADRATURE_WIDTH = 20.0  # standard deviations beyond the outermost mean on each side


def integration_grid(p, q, points: int = QUADRATURE_POINTS, limits=None) -> Tensor:
    """A fine 1D grid covering both densities: ``limits`` (low, high), or for
    Gaussians and mixtures every mean ± 20 standard deviations."""
    dim = _check_same_dimension(p, q)
    if dim != 1:
        raise ValueError(f"quadrature is 1D only, got {dim}D distributions; use a closed form "
                         "(CLOSED_FORMS) or a sample estimate.")
    if limits is None:
        lows, highs = [], []
        for distribution in (p, q):
            if _is_gaussian(distribution):
                centres, spreads = distribution.mean.reshape(-1), distribution.cov.reshape(-1).sqrt()
            elif hasattr(distribution, "means") and hasattr(distribution, "stds"):
                centres, spreads = distribution.means.reshape(-1), distribution.stds.reshape(-1)
            else:
                raise ValueError(f"cannot tell where {type(distribution).__name__} has its mass; "
                                 "pass limits=(low, high).")
            lows.append(float((centres - QUADRATURE_WIDTH * spreads).min()))
            highs.append(float((centres + QUADRATURE_WIDTH * spreads).max()))
        limits = (min(lows), max(highs))
    low, high = float(limits[0]), float(limits[1])
    if not low < high:
        raise ValueError(f"limits must be (low, high) with low < high, got {limits}.")
    return torch.linspace(low, high, points, dtype=torch.float64)


def _integrate(values: Tensor, grid: Tensor) -> float:
    if not bool(torch.isfinite(values).all()):
        raise ValueError("the integrand is not finite on the integration grid: the densities are too "
                         "far apart for quadrature in floating point; use a closed form.")
    return float(simpson(values.numpy(), x=grid.numpy()))


def _log_densities(p, q, grid: Tensor) -> tuple[Tensor, Tensor]:
    points = grid.reshape(-1, 1)
    return p.log_prob(points).double(), q.log_prob(points).double()


def quadrature_divergence(divergence: str | FDivergence, p, q, limits=None) -> float:
    """D_f[p* ‖ q] = ∫ q(x) f(p*(x)/q(x)) dx by Simpson's rule on a fine 1D grid.

    p and q need ``log_prob`` (toy.Gaussian or toy.GaussianMixture in 1D).
    Accurate to about 1e-8 for the course's Gaussians; it cannot see a divergence
    that is infinite because of the far tails (Pearson χ² when σ_p² ≥ 2σ_q²):
    there it returns a large finite number, the closed form says ∞.
    """
    entry = get_f_divergence(divergence)
    grid = integration_grid(p, q, limits=limits)
    log_p, log_q = _log_densities(p, q, grid)
    integrand = log_q.exp() * entry.f((log_p - log_q).exp())
    return _integrate(integrand, grid)


def exact_divergence(divergence: str | FDivergence, p, q) -> float:
    """D_f[p* ‖ q]: the closed form for two Gaussians where there is one, else 1D quadrature."""
    entry = get_f_divergence(divergence)
    if entry.name in CLOSED_FORMS and _is_gaussian(p) and _is_gaussian(q):
        return CLOSED_FORMS[entry.name](p, q)
    if _check_same_dimension(p, q) != 1:
        raise ValueError(f"{entry.title} has no closed form for these {p.dim}D distributions and "
                         "quadrature is 1D only.")
    return quadrature_divergence(entry, p, q)


def quadrature_bound(divergence: str | FDivergence, critic_outputs: Callable[[Tensor], Tensor],
                     p, q, limits=None) -> float:
    """The bound of one fixed critic with exact expectations, by 1D quadrature:

        ∫ p*(x) T(x) dx − ∫ q(x) f†(T(x)) dx,   T = g_f(v(x)).

    ``critic_outputs`` maps points (n, 1) to raw outputs v, shape (n,) or (n, 1).
    Without sampling noise this never exceeds D_f[p* ‖ q], whatever the critic:
    the honest way to test a trained critic's bound.
    """
    entry = get_f_divergence(divergence)
    grid = integration_grid(p, q, limits=limits)
    log_p, log_q = _log_densities(p, q, grid)
    with torch.no_grad():
        logits = torch.as_tensor(critic_outputs(grid.reshape(-1, 1).float())).double().reshape(-1)
    integrand = log_p.exp() * entry.critic(logits) - log_q.exp() * entry.fake_term(logits)
    return _integrate(integrand, grid)


def optimal_bound(divergence: str | FDivergence, p, q, limits=None) -> float:
    """The bound at the optimal critic T* = f'(p*/q), by quadrature: equals D_f (the bound is tight)."""
    entry = get_f_divergence(divergence)
    grid = integration_grid(p, q, limits=limits)
    log_p, log_q = _log_densities(p, q, grid)
    critic = entry.optimal_critic(log_p - log_q)
    integrand = log_p.exp() * critic - log_q.exp() * entry.conjugate(critic)
    return _integrate(integrand, grid)


# --------------------------------------------------------------------------- a trained critic


@dataclass
class Critic:
    """A critic v(x) trained to maximise the variational bound of one f-divergence."""

    divergence: FDivergence
    network: torch.nn.Module
    losses: list = field(default_factory=list)

    @torch.no_grad()
    def outputs(self, x) -> Tensor:
        """The raw outputs v(x), shape (n,)."""
        return self.network(as_points(x).float()).squeeze(-1)

    def bound(self, real, fake) -> float:
        """The bound estimated on samples of p* (``real``) and of q (``fake``)."""
        return float(variational_bound(self.divergence, self.outputs(real), self.outputs(fake)))

    def quadrature_bound(self, p, q, limits=None) -> float:
        """The bound of this critic with exact expectations (1D)."""
        return quadrature_bound(self.divergence, self.outputs, p, q, limits)


def fit_f_divergence_critic(real, fake, divergence: str | FDivergence, steps: int = 2000,
                            batch_size: int = 256, lr: float = 3e-3, width: int = 64, depth: int = 2,
                            seed: int = 0, progress: bool = False) -> Critic:
    """Train a critic v(x) to maximise E_p*[g_f(v)] − E_q[f†(g_f(v))] on samples.

    The same small fit as lesson 01's ratio classifier (an MLP, Adam, a cosine
    learning-rate schedule; ``ratio.fit_ratio_classifier`` runs it): only the
    loss differs, here the negative bound −(E_p*[T] − E_q[f†(T)]) instead of a
    scoring rule. Not the GAN loop: q is fixed, only the critic learns.
    """
    entry = get_f_divergence(divergence)

    def negative_bound(logits_real, logits_fake, prior):  # prior: unused, the bound has none
        return -variational_bound(entry, logits_real, logits_fake)

    negative_bound.__name__ = f"{entry.name} bound"
    fitted = fit_ratio_classifier(real, fake, rule=negative_bound, steps=steps, batch_size=batch_size,
                                  lr=lr, width=width, depth=depth, seed=seed, progress=progress)
    return Critic(entry, fitted.network, fitted.losses)


__all__ = [
    "FDivergence", "F_DIVERGENCES", "get_f_divergence", "table_rows", "LOGIT_CLIP",
    "bound_terms", "variational_bound",
    "kl_gaussians", "pearson_chi2_gaussians", "squared_hellinger_gaussians", "CLOSED_FORMS",
    "integration_grid", "quadrature_divergence", "exact_divergence", "quadrature_bound", "optimal_bound",
    "Critic", "fit_f_divergence_critic",
]
