"""Scoring rules for class-probability estimation (Table 1 of the talk).

A discriminator D(x; φ) = σ(l(x)) outputs a logit l for "x is real". Trained
on real samples x ~ p* (label y = +1) and simulated samples x ~ q_θ (label
y = -1) with class prior π = p(y = +1), every rule has the form

    L(φ) = π E_p*[ℓ₊(l(x))] + (1 - π) E_q[ℓ₋(l(x))].

A *strictly proper* rule is minimised, for each x, only at the true posterior
D = p(y = +1 | x) = π p*(x) / (π p*(x) + (1 - π) q(x)), so its logit estimates

    l(x) = log r(x) + log(π / (1 - π)),   r(x) = p*(x) / q(x),

which is the density-ratio trick (Sugiyama et al. 2012; Mohamed &
Lakshminarayanan 2016). Bernoulli, Brier, exponential and spherical are
strictly proper; hinge and misclassification are not: they recover the
decision sign(log r + log(π/(1-π))) but not the ratio.

Every rule takes the logits on real samples, the logits on simulated samples
and the prior π, and returns a :class:`Loss`. Rules are written in terms of
logits, never through log σ(l) or log(1 - σ(l)), so that |l| in the hundreds
gives finite losses (except the exponential rule, whose loss genuinely grows
as e^{|l|/2}).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from gan_course.validation import check_logits, from_registry

Tensor = torch.Tensor


class Loss(NamedTuple):
    """What every loss returns.

    discriminator: the loss the discriminator (or classifier) minimises.
    generator: the loss the generator minimises. For a scoring rule this is the
        minimax choice -(1 - π) E_q[ℓ₋], because the generator maximises the
        classifier's loss and only the simulated term depends on θ.
    parts: the separate averages, e.g. {"real": E_p*[ℓ₊], "fake": E_q[ℓ₋]}.
    """

    discriminator: Tensor
    generator: Tensor
    parts: dict


def _check_prior(prior) -> float:
    prior = float(prior)
    if not 0.0 < prior < 1.0:
        raise ValueError(f"the class prior π must lie strictly between 0 and 1, got {prior}.")
    return prior


def _scoring_rule_loss(real_scores: Tensor, fake_scores: Tensor, prior: float) -> Loss:
    """π E_p*[ℓ₊] + (1 - π) E_q[ℓ₋], with the minimax generator loss -(1 - π) E_q[ℓ₋]."""
    real, fake = real_scores.mean(), fake_scores.mean()
    return Loss(
        discriminator=prior * real + (1.0 - prior) * fake,
        generator=-(1.0 - prior) * fake,
        parts={"real": real, "fake": fake},
    )


def _inputs(logits_real, logits_fake, prior):
    return (check_logits(logits_real, "logits_real", check_nan=True),
            check_logits(logits_fake, "logits_fake", check_nan=True),
            _check_prior(prior))


def bernoulli(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Bernoulli (log) loss, the original GAN discriminator's (Goodfellow et al. 2014).

    L = π E_p*[-log D] + (1 - π) E_q[-log(1 - D)]
      = π E_p*[softplus(-l)] + (1 - π) E_q[softplus(l)]
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    return _scoring_rule_loss(F.softplus(-logits_real), F.softplus(logits_fake), prior)


def brier(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Brier score, the squared error of the probability.

    (LSGAN, ``gan_losses.least_squares``, is a squared error too, but on the raw
    output l, not on the probability σ(l).)

    L = π E_p*[(1 - D)²] + (1 - π) E_q[D²],  with 1 - D = σ(-l) computed directly.
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    return _scoring_rule_loss(torch.sigmoid(-logits_real) ** 2, torch.sigmoid(logits_fake) ** 2, prior)


def exponential(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Exponential loss (as in boosting).

    L = π E_p*[((1 - D)/D)^½] + (1 - π) E_q[(D/(1 - D))^½]
      = π E_p*[e^{-l/2}] + (1 - π) E_q[e^{l/2}]
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    return _scoring_rule_loss(torch.exp(-0.5 * logits_real), torch.exp(0.5 * logits_fake), prior)


def misclassification(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Misclassification (0-1) loss: the share of wrong decisions.

    L = π E_p*[1[D ≤ ½]] + (1 - π) E_q[1[D > ½]] = π E_p*[1[l ≤ 0]] + (1 - π) E_q[1[l > 0]]

    The indicator is piecewise constant in l: its derivative is zero wherever it
    exists, so this loss gives no gradient to learn from. Use it as a metric.
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    return _scoring_rule_loss((logits_real <= 0).to(logits_real.dtype),
                              (logits_fake > 0).to(logits_fake.dtype), prior)


def hinge(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Hinge loss (as in support vector machines and hinge GANs).

    L = π E_p*[max(0, 1 - l)] + (1 - π) E_q[max(0, 1 + l)],  l = log(D / (1 - D))

    Its minimiser is l = sign(2η - 1) with η = p(y=+1|x): the decision, not the ratio.
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    return _scoring_rule_loss(F.relu(1.0 - logits_real), F.relu(1.0 + logits_fake), prior)


def spherical(logits_real: Tensor, logits_fake: Tensor, prior: float = 0.5) -> Loss:
    """Spherical score.

    L = π E_p*[-α D] + (1 - π) E_q[-α (1 - D)],  α = (1 - 2D + 2D²)^{-½} = (D² + (1 - D)²)^{-½}
    """
    logits_real, logits_fake, prior = _inputs(logits_real, logits_fake, prior)
    real_scores = -_spherical_alpha_times(torch.sigmoid(logits_real), torch.sigmoid(-logits_real))
    fake_scores = -_spherical_alpha_times(torch.sigmoid(-logits_fake), torch.sigmoid(logits_fake))
    return _scoring_rule_loss(real_scores, fake_scores, prior)


def _spherical_alpha_times(prob: Tensor, other: Tensor) -> Tensor:
    """α · prob with α = (prob² + other²)^{-½}, where other = 1 - prob."""
    return prob / torch.sqrt(prob**2 + other**2)


ScoringRule = Callable[[Tensor, Tensor, float], Loss]

SCORING_RULES: dict[str, ScoringRule] = {
    "bernoulli": bernoulli,
    "brier": brier,
    "exponential": exponential,
    "misclassification": misclassification,
    "hinge": hinge,
    "spherical": spherical,
}

STRICTLY_PROPER = ("bernoulli", "brier", "exponential", "spherical")


def get_scoring_rule(rule: str | ScoringRule) -> ScoringRule:
    """A scoring rule by name, or the callable itself."""
    return from_registry(SCORING_RULES, rule, "scoring rule")


def prior_log_odds(prior: float) -> float:
    """log(π / (1 - π)), the shift a prior π adds to the Bayes-optimal logit."""
    prior = _check_prior(prior)
    return math.log(prior / (1.0 - prior))


def ratio_from_logits(logits: Tensor, prior: float = 0.5) -> Tensor:
    """The log density ratio from a classifier trained with class prior π.

    D = π p* / (π p* + (1 - π) q)  ⇒  l = log(D / (1 - D)) = log r + log(π / (1 - π)),
    so  log r(x) = l(x) - log(π / (1 - π)).
    """
    return check_logits(logits, "logits", check_nan=True) - prior_log_odds(prior)


def pointwise_risk(rule: str | ScoringRule, logits: Tensor, posterior: float) -> Tensor:
    """The expected loss at one x as a function of the logit, for a given posterior η.

    R(l) = η ℓ₊(l) + (1 - η) ℓ₋(l). A strictly proper rule is minimised at
    l = log(η / (1 - η)). Evaluated element by element over ``logits``.
    """
    rule = get_scoring_rule(rule)
    return torch.stack([rule(logit.reshape(1), logit.reshape(1), posterior).discriminator
                        for logit in logits])
