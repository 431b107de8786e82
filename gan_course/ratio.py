"""Density-ratio estimation by class-probability estimation.

Train a classifier D(x; φ) = σ(l_φ(x)) to tell samples of p* (label +1) from
samples of q (label -1) with a scoring rule from :mod:`gan_course.losses`.
With a strictly proper rule and enough capacity and data, the logit converges
to log r(x) + log(π / (1 - π)), so ``log_ratio`` subtracts the prior term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gan_course.config import progress_bar
from gan_course.losses import Loss, ScoringRule, get_scoring_rule, ratio_from_logits
from gan_course.models import mlp
from gan_course.validation import check_int, check_number

Tensor = torch.Tensor


@dataclass
class RatioClassifier:
    """A trained classifier and what it needs to turn logits into log ratios."""

    network: torch.nn.Module
    prior: float
    rule_name: str
    losses: list = field(default_factory=list)

    @torch.no_grad()
    def logits(self, x: Tensor) -> Tensor:
        """l_φ(x), shape (n,)."""
        return self.network(as_points(x).float()).squeeze(-1)

    def log_ratio(self, x: Tensor) -> Tensor:
        """log r̂(x) = l_φ(x) - log(π / (1 - π))."""
        return ratio_from_logits(self.logits(x), self.prior)


def as_points(x, name: str = "x") -> Tensor:
    """Samples as an (n, d) float tensor; a 1D tensor is n points in 1D.

    Floating-point inputs keep their precision; others become float32.
    """
    x = torch.as_tensor(x)
    if not x.is_floating_point():
        x = x.float()
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be n points as a tensor of shape (n, d) or (n,), "
                         f"got shape {tuple(x.shape)}.")
    return x


def fit_ratio_classifier(
    real: Tensor,
    fake: Tensor,
    rule: str | ScoringRule = "bernoulli",
    prior: float = 0.5,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 3e-3,
    width: int = 64,
    depth: int = 2,
    seed: int = 0,
    progress: bool = False,
) -> RatioClassifier:
    """Fit D(x; φ) = σ(l_φ(x)) to separate ``real`` ~ p* from ``fake`` ~ q.

    ``rule`` is a name from ``losses.SCORING_RULES`` or a function
    (logits_real, logits_fake, prior) → Loss or scalar tensor, such as one
    written in an exercise. Each step draws ``batch_size`` points from each sample and minimises
    π E_p*[ℓ₊(l)] + (1 - π) E_q[ℓ₋(l)] with Adam; the learning rate decays to
    zero on a cosine schedule so the final estimate settles.
    """
    real, fake = as_points(real, "real").float(), as_points(fake, "fake").float()
    check_int(steps, "steps")
    check_int(batch_size, "batch_size")
    check_number(lr, "lr")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake samples differ in dimension: {real.shape[1]} vs {fake.shape[1]}.")
    rule_fn = get_scoring_rule(rule)
    rule_name = rule if isinstance(rule, str) else getattr(rule, "__name__", "custom")
    rng = torch.Generator().manual_seed(seed)
    network = mlp(real.shape[1], 1, width=width, depth=depth, seed=seed)
    optimizer = torch.optim.Adam(network.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    classifier = RatioClassifier(network, prior, rule_name)
    for _ in progress_bar(range(steps), desc=f"{rule_name} classifier", disable=not progress, leave=False):
        real_batch = real[torch.randint(len(real), (batch_size,), generator=rng)]
        fake_batch = fake[torch.randint(len(fake), (batch_size,), generator=rng)]
        loss = rule_fn(network(real_batch).squeeze(-1), network(fake_batch).squeeze(-1), prior)
        loss = loss.discriminator if isinstance(loss, Loss) else loss
        if not loss.requires_grad:
            raise ValueError(f"the {rule_name} loss gives no gradient (it is piecewise constant in the "
                             "logits), so a classifier cannot be trained on it; use it as a metric instead.")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        classifier.losses.append(loss.item())
    network.eval()
    return classifier


BULK_THRESHOLD = 3.0
"""The bulk: points where |log r| ≤ 3, i.e. where both classes have posterior
between about 5% and 95%, so a classifier sees samples of both."""


BULK_TOLERANCE = 0.15
"""Nats: the mean |log r̂ - log r| over the bulk that a ratio estimator must reach
in lesson 01 (a strictly proper rule reaches about 0.06 there)."""


def in_bulk(true_log_ratio: Tensor, threshold: float = BULK_THRESHOLD) -> Tensor:
    """Boolean mask of the points in the bulk, |log r(x)| ≤ threshold."""
    return true_log_ratio.abs() <= threshold


def check_same_shape(estimated, true) -> None:
    """A clear error unless both are tensors of one shape: an (n, 1) estimate against (n,) true
    values would broadcast to (n, n) and give a meaningless number."""
    if not (torch.is_tensor(estimated) and torch.is_tensor(true)):
        raise TypeError("estimated and true must be torch tensors of log ratios, got "
                        f"{type(estimated).__name__} and {type(true).__name__}; wrap them with "
                        "torch.as_tensor(...).")
    if estimated.shape != true.shape:
        raise ValueError("estimated and true must be log ratios at the same points, of one shape, "
                         f"got {tuple(estimated.shape)} and {tuple(true.shape)}; use .squeeze(-1) on an "
                         "(n, 1) one.")


def bulk_error(estimated: Tensor, true: Tensor, threshold: float = BULK_THRESHOLD) -> float:
    """Mean absolute error of log r̂ over the bulk: mean_{|log r| ≤ t} |log r̂(x) - log r(x)|."""
    check_same_shape(estimated, true)
    bulk = in_bulk(true, threshold)
    if not bool(bulk.any()):
        raise ValueError(f"no point has |log r| ≤ {threshold}: evaluate on samples where p* and q overlap.")
    return float((estimated - true)[bulk].abs().mean())


def sign_agreement(estimated: Tensor, true: Tensor, threshold: float = BULK_THRESHOLD) -> float:
    """Share of bulk points where the estimate takes the Bayes decision: sign(log r̂) = sign(log r)."""
    check_same_shape(estimated, true)
    bulk = in_bulk(true, threshold)
    return float(((estimated > 0) == (true > 0))[bulk].float().mean())
