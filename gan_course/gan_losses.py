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
gradients. The registry ``GAN_LOSSES`` maps names to functions, including one
f-GAN loss per row of the f-divergence table (``f_gan``; lesson 02).

In the papers' notation (Goodfellow et al. 2014), with D = σ(l):

    -log D(x)     = softplus(-l(x))
    -log(1 - D(x)) = softplus(l(x))
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from gan_course.divergences.f_divergences import F_DIVERGENCES, bound_terms, get_f_divergence
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


F_GAN_GENERATORS = ("bound", "alternative")


def f_gan(divergence: str, generator: str = "bound") -> GANLoss:
    """The f-GAN loss of one row of the f-divergence table (Nowozin et al. 2016).

    The critic's raw output v (the logit) goes through the row's output
    activation, T = g_f(v) ∈ dom f*, and the critic maximises the variational
    lower bound of D_f[p* ‖ q_θ]:

        D_φ minimises  −(E_p*[g_f(v)] − E_z[f*(g_f(v))])

    For the generator there are two choices (``generator``):

    "bound" (the registry's ``fgan_<name>``): G_θ minimises the same bound, of
        which only the fake term depends on θ:
            G_θ minimises  −E_z[f*(g_f(v))]
        This is the saddle-point game of the paper's eq. (7). At the optimal
        critic T* = f'(r) its gradient is exactly ∇_θ D_f[p* ‖ q_θ]
        (since ∂/∂q [q f(p*/q)] = f(r) − r f'(r) = −f*(f'(r))), so the
        generator minimises the divergence that f names. That is why the
        registry uses it: lesson 02 compares what different f do to the
        generator. Its price is saturation for some f: for KL, GAN and JS,
        f*(g_f(v)) is flat where the critic is sure a fake is fake (v ≪ 0, r ≪ 1),
        as for the minimax GAN; ``fgan_gan`` *is* ``minimax``.
    "alternative" (``fgan_<name>_alternative``): G_θ maximises E_z[g_f(v)],
            G_θ minimises  −E_z[g_f(v)]
        the heuristic of Nowozin et al. (section 3.2) and of the non-saturating
        GAN (``fgan_gan_alternative`` *is* ``non_saturating``). It has strong
        gradients where r ≪ 1 for KL, GAN and JS, but it minimises another
        divergence: its gradient at the optimal critic is that of E_q[−f'(r)],
        e.g. for KL −E_q[1 + log r], whose gradient is that of KL(q_θ ‖ p*),
        the *reverse* KL.

    The losses are finite for any finite v: the terms are written with
    softplus and expm1, and where they grow exponentially in v (KL, reverse KL,
    Neyman χ², squared Hellinger) v is first clipped to ±``LOGIT_CLIP`` (50).
    """
    entry = get_f_divergence(divergence)
    if generator not in F_GAN_GENERATORS:
        raise ValueError(f"unknown f-GAN generator objective {generator!r}; choose 'bound' "
                         "(minimise the bound) or 'alternative' (maximise E_q[g_f(v)]).")

    def loss(logits_real: Tensor, logits_fake: Tensor) -> Loss:
        _check_logits(logits_real, logits_fake)
        real, fake = bound_terms(entry, logits_real, logits_fake)  # E_p*[T], E_q[f*(T)]
        if generator == "bound":
            generator_loss = -fake
        else:
            generator_loss = -entry.critic(logits_fake).mean()
        return Loss(discriminator=fake - real, generator=generator_loss,
                    parts={"real": real, "fake": fake})

    suffix = "" if generator == "bound" else "_alternative"
    loss.__name__ = loss.__qualname__ = f"fgan_{entry.name}{suffix}"
    loss.__doc__ = (f"f-GAN loss for {entry.title} (D_f = {entry.equals}), generator objective "
                    f"{generator!r}; see ``f_gan``.")
    return loss


GAN_LOSSES: dict[str, GANLoss] = {
    "minimax": minimax,
    "non_saturating": non_saturating,
    "least_squares": least_squares,
    "hinge": hinge,
    "wasserstein": wasserstein,
}
for _name in F_DIVERGENCES:
    for _generator in F_GAN_GENERATORS:
        _loss = f_gan(_name, _generator)
        GAN_LOSSES[_loss.__name__] = _loss

# Losses whose discriminator is a classifier, D = σ(l): plots show σ(l) in [0, 1].
# The others show the raw output l (a regression target or a critic's score).
# The GAN and JS f-GAN critics minimise the Bernoulli loss (up to a constant), so
# their v is a classifier's logit too.
PROBABILISTIC_DISCRIMINATOR = ("minimax", "non_saturating", "fgan_gan", "fgan_gan_alternative",
                               "fgan_js", "fgan_js_alternative")


def generator_loss_curve(loss: str | GANLoss, logits: Tensor) -> tuple[Tensor, Tensor]:
    """The generator's loss ℓ_G(l) of a single fake with logit l, and its slope dℓ_G/dl.

    A batch's generator loss is the mean of these per-fake losses, so the curves
    show where an objective saturates: e.g. for ``minimax`` dℓ_G/dl = −σ(l) = −D,
    which vanishes where the discriminator rejects the fake (l ≪ 0), and for
    ``non_saturating`` dℓ_G/dl = −(1 − D). Returns two tensors shaped like ``logits``.
    """
    loss_fn = get_gan_loss(loss)
    logits = torch.as_tensor(logits)
    values, slopes = [], []
    for logit in logits.reshape(-1):
        logit = logit.reshape(1).detach().requires_grad_(True)
        value = loss_fn(logit.detach(), logit).generator  # only the fake's logit matters
        (slope,) = torch.autograd.grad(value, logit)
        values.append(value.detach())
        slopes.append(slope[0])
    return torch.stack(values).reshape(logits.shape), torch.stack(slopes).reshape(logits.shape)


def get_gan_loss(loss: str | GANLoss) -> GANLoss:
    """A GAN loss by name, or the callable itself."""
    return from_registry(GAN_LOSSES, loss, "GAN loss")
