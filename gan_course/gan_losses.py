"""GAN losses: what the discriminator and the generator each minimise.

The discriminator D_φ outputs a logit l(x) (for the probabilistic losses
D_φ(x) = σ(l(x)) is the probability that x is real). On a batch of real
samples x ~ p* and fakes x = G_θ(z), z ~ N(0, I), a GAN loss returns the two
objectives as a :class:`gan_course.losses.Loss`:

    loss = non_saturating(logits_real, logits_fake)
    loss.discriminator   # minimised over φ
    loss.generator       # minimised over θ (only the fake term depends on θ)

Every loss here is written in terms of logits (softplus(l) = log(1 + e^l)
instead of log σ(l)), so logits in the hundreds give finite losses and
gradients. The registry ``GAN_LOSSES`` maps names to functions; later lessons
add the f-GAN losses to it.

In the papers' notation (Goodfellow et al. 2014), with D = σ(l):

    -log D(x)     = softplus(-l(x))
    -log(1 - D(x)) = softplus(l(x))
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from gan_course.losses import Loss, from_registry

Tensor = torch.Tensor
GANLoss = Callable[[Tensor, Tensor], Loss]


def _check_logits(logits_real, logits_fake) -> None:
    # Cheap checks only: these functions run at every training step, and the
    # training loop looks for NaN itself (with the step number in its message).
    for name, logits in (("logits_real", logits_real), ("logits_fake", logits_fake)):
        if not torch.is_tensor(logits):
            raise TypeError(f"{name} must be a torch tensor of logits, got "
                            f"{type(logits).__name__}; wrap it with torch.as_tensor(...).")
        if not logits.is_floating_point():
            raise TypeError(f"{name} must be floating point, got {logits.dtype}; "
                            "call .float() first.")
        if logits.numel() == 0:
            raise ValueError(f"{name} is empty: pass at least one sample.")


def minimax(logits_real: Tensor, logits_fake: Tensor) -> Loss:
    """The original, saturating GAN (Goodfellow et al. 2014).

    D_φ minimises the Bernoulli loss (π = ½, up to the factor ½):
        E_p*[-log D(x)] + E_z[-log(1 - D(G(z)))] = E_p*[softplus(-l)] + E_z[softplus(l)]
    G_θ minimises the other side of the same game:
        E_z[log(1 - D(G(z)))] = -E_z[softplus(l)]
    Early in training D(G(z)) ≈ 0 (r ≪ 1), where log(1 - D) is flat: the
    generator's gradient vanishes ("saturates").
    """
    _check_logits(logits_real, logits_fake)
    real = F.softplus(-logits_real).mean()
    fake = F.softplus(logits_fake).mean()
    return Loss(discriminator=real + fake, generator=-fake, parts={"real": real, "fake": fake})


def non_saturating(logits_real: Tensor, logits_fake: Tensor) -> Loss:
    """The non-saturating GAN (Goodfellow et al. 2014, section 3).

    D_φ minimises the same Bernoulli loss as ``minimax``:
        E_p*[softplus(-l)] + E_z[softplus(l)]
    G_θ minimises -log D instead of log(1 - D):
        E_z[-log D(G(z))] = E_z[softplus(-l)]
    which has the same fixed point but strong gradients where D(G(z)) ≈ 0.
    """
    _check_logits(logits_real, logits_fake)
    real = F.softplus(-logits_real).mean()
    fake = F.softplus(logits_fake).mean()
    generator = F.softplus(-logits_fake).mean()
    return Loss(discriminator=real + fake, generator=generator, parts={"real": real, "fake": fake})


def least_squares(logits_real: Tensor, logits_fake: Tensor) -> Loss:
    """Least-squares GAN, LSGAN (Mao et al. 2017) with targets a-b-c = 0-1-1.

    The discriminator's raw output l (no sigmoid) regresses onto 1 for real
    samples and 0 for fakes; the generator pushes its fakes' output towards 1:
        D_φ: ½ E_p*[(l - 1)²] + ½ E_z[l²]
        G_θ: ½ E_z[(l - 1)²]
    The optimal output is l* = p* / (p* + q_θ), so it is a probability at the
    optimum but not constrained to [0, 1] during training.
    """
    _check_logits(logits_real, logits_fake)
    real = 0.5 * ((logits_real - 1.0) ** 2).mean()
    fake = 0.5 * (logits_fake**2).mean()
    generator = 0.5 * ((logits_fake - 1.0) ** 2).mean()
    return Loss(discriminator=real + fake, generator=generator, parts={"real": real, "fake": fake})


def hinge(logits_real: Tensor, logits_fake: Tensor) -> Loss:
    """Hinge GAN (Lim & Ye 2017; Miyato et al. 2018).

    D_φ minimises the hinge scoring rule (π = ½, up to the factor ½):
        E_p*[max(0, 1 - l)] + E_z[max(0, 1 + l)]
    G_θ raises the critic's output on its fakes:
        -E_z[l]
    """
    _check_logits(logits_real, logits_fake)
    real = F.relu(1.0 - logits_real).mean()
    fake = F.relu(1.0 + logits_fake).mean()
    return Loss(discriminator=real + fake, generator=-logits_fake.mean(),
                parts={"real": real, "fake": fake})


def wasserstein(logits_real: Tensor, logits_fake: Tensor) -> Loss:
    """Wasserstein GAN (Arjovsky et al. 2017).

    The critic f_φ (here the raw output l) maximises E_p*[f] - E_q[f], which
    for a 1-Lipschitz f is the Wasserstein-1 distance W(p*, q_θ):
        D_φ: E_z[l] - E_p*[l]
        G_θ: -E_z[l]
    Without a Lipschitz constraint (weight clipping, a gradient penalty) the
    critic's loss is unbounded below: pass a ``penalty`` to the training loop.
    """
    _check_logits(logits_real, logits_fake)
    real = logits_real.mean()
    fake = logits_fake.mean()
    return Loss(discriminator=fake - real, generator=-fake, parts={"real": real, "fake": fake})


GAN_LOSSES: dict[str, GANLoss] = {
    "minimax": minimax,
    "non_saturating": non_saturating,
    "least_squares": least_squares,
    "hinge": hinge,
    "wasserstein": wasserstein,
}

# Losses whose discriminator is a classifier, D = σ(l): plots show σ(l) in [0, 1].
# The others show the raw output l (a regression target or a critic's score).
PROBABILISTIC_DISCRIMINATOR = ("minimax", "non_saturating")


def get_gan_loss(loss: str | GANLoss) -> GANLoss:
    """A GAN loss by name, or the callable itself."""
    return from_registry(GAN_LOSSES, loss, "GAN loss")
