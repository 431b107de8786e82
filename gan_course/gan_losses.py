"""GAN losses: what the discriminator and the generator each minimise.

The discriminator D_φ outputs a logit l(x) (for the probabilistic losses
D_φ(x) = σ(l(x)) is the probability that x is real). Every GAN loss has the
same signature and returns a :class:`gan_course.losses.Loss`:

    loss = non_saturating(logits_real, logits_fake)
    loss.discriminator   # minimised over φ
    loss.generator       # minimised over θ (only the fake term depends on θ)

The generator's objective depends on the fakes alone, so its step passes no
real logits: ``non_saturating(None, logits_fake).generator`` (then
``.discriminator`` is None).

Every loss is written in terms of logits (softplus(l) = log(1 + e^l) instead of
log σ(l)), so logits in the hundreds give finite losses and gradients. In the
papers' notation (Goodfellow et al. 2014), with D = σ(l):

    -log D(x)      = softplus(-l(x))
    -log(1 - D(x)) = softplus(l(x))

What a plot or a metric needs to know about a loss is an attribute of the
loss function, set by ``gan_loss``:

    discriminator_is_probability: D_φ = σ(l) is a classifier's probability, so
        plots show σ(l) in [0, 1] (otherwise the raw output l: a regression target
        or a critic's score);
    critic_up_to_constant: the loss is unchanged when a constant is added to the
        critic (Wasserstein), so plots centre it.

The registry ``GAN_LOSSES`` maps every name to its function: the five classic
losses and, for each row of the f-divergence table (lesson 02), two f-GAN losses
``fgan_<f>`` and ``fgan_<f>_alternative`` (see ``f_gan_loss``).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from gan_course.divergences.f_divergences import get_f_divergence
from gan_course.losses import Loss
from gan_course.validation import check_logits, from_registry

Tensor = torch.Tensor
GANLoss = Callable[[Tensor | None, Tensor], Loss]


def gan_loss(discriminator_is_probability: bool = False, critic_up_to_constant: bool = False):
    """Mark a function (logits_real, logits_fake) -> Loss with the loss's properties."""
    def mark(loss: GANLoss) -> GANLoss:
        loss.discriminator_is_probability = discriminator_is_probability
        loss.critic_up_to_constant = critic_up_to_constant
        return loss
    return mark


def _checked(logits_real: Tensor | None, logits_fake: Tensor) -> None:
    # Cheap checks only: these functions run at every training step, and the
    # training loop looks for NaN itself (with the step number in its message).
    if logits_real is not None:
        check_logits(logits_real, "logits_real")
    check_logits(logits_fake, "logits_fake")


@gan_loss(discriminator_is_probability=True)
def minimax(logits_real: Tensor | None, logits_fake: Tensor) -> Loss:
    """The original, saturating GAN (Goodfellow et al. 2014).

    D_φ minimises the Bernoulli loss (π = ½, up to the factor ½):
        E_p*[-log D(x)] + E_z[-log(1 - D(G(z)))] = E_p*[softplus(-l)] + E_z[softplus(l)]
    G_θ minimises the other side of the same game:
        E_z[log(1 - D(G(z)))] = -E_z[softplus(l)]
    Early in training D(G(z)) ≈ 0 (r ≪ 1), where log(1 - D) is flat: the
    generator's gradient vanishes ("saturates").
    """
    _checked(logits_real, logits_fake)
    fake = F.softplus(logits_fake).mean()
    if logits_real is None:
        return Loss(discriminator=None, generator=-fake, parts={"fake": fake})
    real = F.softplus(-logits_real).mean()
    return Loss(discriminator=real + fake, generator=-fake, parts={"real": real, "fake": fake})


@gan_loss(discriminator_is_probability=True)
def non_saturating(logits_real: Tensor | None, logits_fake: Tensor) -> Loss:
    """The non-saturating GAN (Goodfellow et al. 2014, section 3).

    D_φ minimises the same Bernoulli loss as ``minimax``:
        E_p*[softplus(-l)] + E_z[softplus(l)]
    G_θ minimises -log D instead of log(1 - D):
        E_z[-log D(G(z))] = E_z[softplus(-l)]
    which has the same fixed point but strong gradients where D(G(z)) ≈ 0.
    No label smoothing (TF-GAN's ``modified_discriminator_loss`` defaults to a
    one-sided smoothing of 0.25, which changes the optimal discriminator).
    """
    _checked(logits_real, logits_fake)
    fake = F.softplus(logits_fake).mean()
    gen_loss = F.softplus(-logits_fake).mean()
    if logits_real is None:
        return Loss(discriminator=None, generator=gen_loss, parts={"fake": fake})
    real = F.softplus(-logits_real).mean()
    return Loss(discriminator=real + fake, generator=gen_loss, parts={"real": real, "fake": fake})


@gan_loss()
def least_squares(logits_real: Tensor | None, logits_fake: Tensor) -> Loss:
    """Least-squares GAN, LSGAN (Mao et al. 2017) with targets a-b-c = 0-1-1.

    The discriminator's raw output l (no sigmoid) regresses onto 1 for real
    samples and 0 for fakes; the generator pushes its fakes' output towards 1:
        D_φ: ½ E_p*[(l - 1)²] + ½ E_z[l²]
        G_θ: ½ E_z[(l - 1)²]
    The optimal output is l* = p* / (p* + q_θ), so it is a probability at the
    optimum but not constrained to [0, 1] during training.
    """
    _checked(logits_real, logits_fake)
    fake = 0.5 * (logits_fake**2).mean()
    gen_loss = 0.5 * ((logits_fake - 1.0) ** 2).mean()
    if logits_real is None:
        return Loss(discriminator=None, generator=gen_loss, parts={"fake": fake})
    real = 0.5 * ((logits_real - 1.0) ** 2).mean()
    return Loss(discriminator=real + fake, generator=gen_loss, parts={"real": real, "fake": fake})


@gan_loss()
def hinge(logits_real: Tensor | None, logits_fake: Tensor) -> Loss:
    """Hinge GAN (Lim & Ye 2017; Miyato et al. 2018).

    D_φ minimises the hinge scoring rule (π = ½, up to the factor ½):
        E_p*[max(0, 1 - l)] + E_z[max(0, 1 + l)]
    G_θ raises the critic's output on its fakes:
        -E_z[l]
    """
    _checked(logits_real, logits_fake)
    fake = F.relu(1.0 + logits_fake).mean()
    gen_loss = -logits_fake.mean()
    if logits_real is None:
        return Loss(discriminator=None, generator=gen_loss, parts={"fake": fake})
    real = F.relu(1.0 - logits_real).mean()
    return Loss(discriminator=real + fake, generator=gen_loss, parts={"real": real, "fake": fake})


@gan_loss(critic_up_to_constant=True)
def wasserstein(logits_real: Tensor | None, logits_fake: Tensor) -> Loss:
    """Wasserstein GAN (Arjovsky et al. 2017).

    The critic f_φ (here the raw output l) maximises E_p*[f] - E_q[f], which
    for a 1-Lipschitz f is the Wasserstein-1 distance W(p*, q_θ):
        D_φ: E_z[l] - E_p*[l]
        G_θ: -E_z[l]
    Without a Lipschitz constraint (weight clipping, a gradient penalty) the
    critic's loss is unbounded below: pass a ``penalty`` to the training loop.
    Adding a constant to f changes neither objective's gradient.
    """
    _checked(logits_real, logits_fake)
    fake = logits_fake.mean()
    if logits_real is None:
        return Loss(discriminator=None, generator=-fake, parts={"fake": fake})
    real = logits_real.mean()
    return Loss(discriminator=fake - real, generator=-fake, parts={"real": real, "fake": fake})


# --------------------------------------------------------------------------- f-GAN

F_GAN_GENERATORS = ("bound", "alternative")


def f_gan_loss(divergence: str, generator_objective: str, logits_real: Tensor | None,
               logits_fake: Tensor) -> Loss:
    """The f-GAN loss of one row of the f-divergence table (Nowozin et al. 2016).

    The critic's raw output v (the logit) goes through the row's output
    activation, T = g_f(v) ∈ dom f†, and the critic maximises the variational
    lower bound of D_f[p* ‖ q_θ]:

        D_φ minimises  −(E_p*[g_f(v)] − E_z[f†(g_f(v))])

    For the generator there are two choices (``generator_objective``):

    "bound" (the registry's ``fgan_<name>``): G_θ minimises the same bound, of
        which only the fake term depends on θ:
            G_θ minimises  −E_z[f†(g_f(v))]
        This is the saddle-point game of the paper's eq. (7). At the optimal
        critic T* = f'(r) its gradient is exactly ∇_θ D_f[p* ‖ q_θ]
        (since ∂/∂q [q f(p*/q)] = f(r) − r f'(r) = −f†(f'(r))), so the
        generator minimises the divergence that f names. That is why lesson 02
        uses it to compare what different f do to the generator. Its price is
        saturation for some f: for KL, GAN and JS, f†(g_f(v)) is flat where the
        critic is sure a fake is fake (v ≪ 0, r ≪ 1), as for the minimax GAN;
        ``fgan_gan`` *is* ``minimax``.
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
    if generator_objective not in F_GAN_GENERATORS:
        raise ValueError(f"unknown f-GAN generator objective {generator_objective!r}; choose "
                         "'bound' (minimise the bound) or 'alternative' (maximise E_q[g_f(v)]).")
    _checked(logits_real, logits_fake)
    fake = entry.fake_term(logits_fake).mean()  # E_q[f†(g_f(v))]
    if generator_objective == "bound":
        gen_loss = -fake
    else:
        gen_loss = -entry.critic(logits_fake).mean()  # −E_q[g_f(v)]
    if logits_real is None:
        return Loss(discriminator=None, generator=gen_loss, parts={"fake": fake})
    real = entry.critic(logits_real).mean()  # E_p*[g_f(v)]
    return Loss(discriminator=fake - real, generator=gen_loss, parts={"real": real, "fake": fake})


@gan_loss()
def fgan_kl(logits_real, logits_fake):
    """f-GAN for KL(p* ‖ q_θ); the generator minimises the bound (see ``f_gan_loss``)."""
    return f_gan_loss("kl", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_kl_alternative(logits_real, logits_fake):
    """f-GAN for KL(p* ‖ q_θ); the generator maximises E_q[g_f(v)] (see ``f_gan_loss``)."""
    return f_gan_loss("kl", "alternative", logits_real, logits_fake)


@gan_loss()
def fgan_reverse_kl(logits_real, logits_fake):
    """f-GAN for KL(q_θ ‖ p*); the generator minimises the bound (see ``f_gan_loss``)."""
    return f_gan_loss("reverse_kl", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_reverse_kl_alternative(logits_real, logits_fake):
    """f-GAN for KL(q_θ ‖ p*); the generator maximises E_q[g_f(v)] (see ``f_gan_loss``)."""
    return f_gan_loss("reverse_kl", "alternative", logits_real, logits_fake)


@gan_loss()
def fgan_pearson(logits_real, logits_fake):
    """f-GAN for Pearson χ²(p* ‖ q_θ); the generator minimises the bound (see ``f_gan_loss``)."""
    return f_gan_loss("pearson", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_pearson_alternative(logits_real, logits_fake):
    """f-GAN for Pearson χ²(p* ‖ q_θ); the generator maximises E_q[g_f(v)] (see ``f_gan_loss``)."""
    return f_gan_loss("pearson", "alternative", logits_real, logits_fake)


@gan_loss()
def fgan_neyman(logits_real, logits_fake):
    """f-GAN for Neyman χ²(q_θ ‖ p*); the generator minimises the bound (see ``f_gan_loss``)."""
    return f_gan_loss("neyman", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_neyman_alternative(logits_real, logits_fake):
    """f-GAN for Neyman χ²(q_θ ‖ p*); the generator maximises E_q[g_f(v)] (see ``f_gan_loss``)."""
    return f_gan_loss("neyman", "alternative", logits_real, logits_fake)


@gan_loss()
def fgan_hellinger(logits_real, logits_fake):
    """f-GAN for the squared Hellinger distance; the generator minimises the bound."""
    return f_gan_loss("hellinger", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_hellinger_alternative(logits_real, logits_fake):
    """f-GAN for the squared Hellinger distance; the generator maximises E_q[g_f(v)]."""
    return f_gan_loss("hellinger", "alternative", logits_real, logits_fake)


# The JS and GAN critics minimise the Bernoulli loss (up to a constant), so their v
# is a classifier's logit and σ(v) the probability that x is real.
@gan_loss(discriminator_is_probability=True)
def fgan_js(logits_real, logits_fake):
    """f-GAN for 2 JS(p* ‖ q_θ); the generator minimises the bound (see ``f_gan_loss``)."""
    return f_gan_loss("js", "bound", logits_real, logits_fake)


@gan_loss(discriminator_is_probability=True)
def fgan_js_alternative(logits_real, logits_fake):
    """f-GAN for 2 JS(p* ‖ q_θ); the generator maximises E_q[g_f(v)] (see ``f_gan_loss``)."""
    return f_gan_loss("js", "alternative", logits_real, logits_fake)


@gan_loss(discriminator_is_probability=True)
def fgan_gan(logits_real, logits_fake):
    """f-GAN for 2 JS − log 4, which is ``minimax`` (see ``f_gan_loss``)."""
    return f_gan_loss("gan", "bound", logits_real, logits_fake)


@gan_loss(discriminator_is_probability=True)
def fgan_gan_alternative(logits_real, logits_fake):
    """f-GAN for 2 JS − log 4 with E_q[g_f(v)], which is ``non_saturating`` (see ``f_gan_loss``)."""
    return f_gan_loss("gan", "alternative", logits_real, logits_fake)


@gan_loss()
def fgan_total_variation(logits_real, logits_fake):
    """f-GAN for the total variation distance; the generator minimises the bound."""
    return f_gan_loss("total_variation", "bound", logits_real, logits_fake)


@gan_loss()
def fgan_total_variation_alternative(logits_real, logits_fake):
    """f-GAN for the total variation distance; the generator maximises E_q[g_f(v)]."""
    return f_gan_loss("total_variation", "alternative", logits_real, logits_fake)


GAN_LOSSES: dict[str, GANLoss] = {
    "minimax": minimax,
    "non_saturating": non_saturating,
    "least_squares": least_squares,
    "hinge": hinge,
    "wasserstein": wasserstein,
    "fgan_kl": fgan_kl,
    "fgan_kl_alternative": fgan_kl_alternative,
    "fgan_reverse_kl": fgan_reverse_kl,
    "fgan_reverse_kl_alternative": fgan_reverse_kl_alternative,
    "fgan_pearson": fgan_pearson,
    "fgan_pearson_alternative": fgan_pearson_alternative,
    "fgan_neyman": fgan_neyman,
    "fgan_neyman_alternative": fgan_neyman_alternative,
    "fgan_hellinger": fgan_hellinger,
    "fgan_hellinger_alternative": fgan_hellinger_alternative,
    "fgan_js": fgan_js,
    "fgan_js_alternative": fgan_js_alternative,
    "fgan_gan": fgan_gan,
    "fgan_gan_alternative": fgan_gan_alternative,
    "fgan_total_variation": fgan_total_variation,
    "fgan_total_variation_alternative": fgan_total_variation_alternative,
}


def f_gan(divergence: str, generator: str = "bound") -> GANLoss:
    """The registered f-GAN loss for a row of the f table: ``f_gan("kl")`` is ``fgan_kl``,
    ``f_gan("kl", "alternative")`` is ``fgan_kl_alternative`` (see ``f_gan_loss``)."""
    entry = get_f_divergence(divergence)
    if generator not in F_GAN_GENERATORS:
        raise ValueError(f"unknown f-GAN generator objective {generator!r}; choose 'bound' "
                         "(minimise the bound) or 'alternative' (maximise E_q[g_f(v)]).")
    suffix = "" if generator == "bound" else "_alternative"
    return GAN_LOSSES[f"fgan_{entry.name}{suffix}"]


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
        value = loss_fn(None, logit).generator
        (slope,) = torch.autograd.grad(value, logit)
        values.append(value.detach())
        slopes.append(slope[0])
    return torch.stack(values).reshape(logits.shape), torch.stack(slopes).reshape(logits.shape)


def get_gan_loss(loss: str | GANLoss) -> GANLoss:
    """A GAN loss by name, or the callable itself."""
    return from_registry(GAN_LOSSES, loss, "GAN loss")
