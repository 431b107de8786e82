"""The GAN training loop: one run, any networks, any data.

A generator G_θ maps noise z ~ N(0, I) to samples x = G_θ(z) with density q_θ;
a discriminator D_φ scores samples with a logit l(x) (a classifier) or a value
f(x) (a critic). Each training step alternates

    n_disc times:  φ ← φ − η_D · opt(∇_φ [L_D(φ, θ) + penalty(φ)])     θ fixed
    n_gen  times:  θ ← θ − η_G · opt(∇_θ L_G(φ, θ))                    φ fixed

with L_D and L_G from a GAN loss of ``gan_course.gan_losses`` and opt a
``torch.optim`` optimiser (Adam, for nearly every GAN of the course).

The networks are plain ``nn.Module``s: the toy MLPs of lessons 02–08, conv nets
for images, a flow as the generator. The data come from ``batches``, any object
with two methods:

    batches.real()   a batch x ~ p*           (B, 2) points or (B, C, H, W) images
    batches.noise()  a batch z ~ N(0, I)      (B, noise_dim)

Anything else a run needs to watch (the History the player replays, logging,
checkpoints) is a ``hook(step, disc_loss, gen_loss)`` that the loop calls after
every step. ``gan_course.toy_training.train_toy`` builds a toy run from a
``GANConfig`` and records it; ``gan_course.batched`` runs K toy runs at once.

    for step in range(steps):
        disc_loss = discriminator_step(G, D, disc_optimizer, loss, batches.real(), batches.noise())
        gen_loss = generator_step(G, D, gen_optimizer, loss, batches.noise())
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from gan_course.config import progress_bar
from gan_course.gan_losses import GANLoss, get_gan_loss

Tensor = torch.Tensor


def discriminator_step(generator: nn.Module, discriminator: nn.Module,
                       optimizer: torch.optim.Optimizer, loss: GANLoss, real: Tensor,
                       noise: Tensor, penalty: Callable | None = None) -> Tensor:
    """One update of D_φ with θ fixed: φ ← φ − η_D · opt(∇_φ [L_D + penalty]).

    ``penalty(discriminator, real, fake)`` (``gan_course.penalties``) is added to
    L_D; if it has ``project(parameters)`` (weight clipping), that is applied to
    φ after the update. Returns the minimised value (detached).
    """
    with torch.no_grad():  # θ is fixed: no graph through G
        fake = generator(noise)
    disc_loss = loss(discriminator(real), discriminator(fake)).discriminator
    if penalty is not None:
        disc_loss = disc_loss + penalty(discriminator, real, fake)
    optimizer.zero_grad(set_to_none=True)
    disc_loss.backward()
    optimizer.step()
    if hasattr(penalty, "project"):
        with torch.no_grad():
            penalty.project(list(discriminator.parameters()))
    return disc_loss.detach()


def generator_step(generator: nn.Module, discriminator: nn.Module,
                   optimizer: torch.optim.Optimizer, loss: GANLoss, noise: Tensor) -> Tensor:
    """One update of G_θ with φ fixed: θ ← θ − η_G · opt(∇_θ L_G).

    L_G depends on the fakes' logits alone, so no real batch is needed.
    Returns L_G (detached).
    """
    gen_loss = loss(None, discriminator(generator(noise))).generator
    optimizer.zero_grad(set_to_none=True)
    # gradients for θ only: φ is fixed, so its gradients would be computed and thrown away
    gen_loss.backward(inputs=[p for p in generator.parameters() if p.requires_grad])
    optimizer.step()
    return gen_loss.detach()


def moment_matching_step(generator: nn.Module, optimizer: torch.optim.Optimizer,
                         sample_loss: Callable, real: Tensor, noise: Tensor) -> Tensor:
    """One update of G_θ on a distance between samples, with no discriminator:
    θ ← θ − η_G · opt(∇_θ sample_loss(x, G_θ(z))) (a GMMN minimises an MMD², lesson 03)."""
    gen_loss = sample_loss(real, generator(noise))
    optimizer.zero_grad(set_to_none=True)
    gen_loss.backward()
    optimizer.step()
    return gen_loss.detach()


def train(generator: nn.Module, discriminator: nn.Module | None, batches, steps: int, *,
          gen_optimizer: torch.optim.Optimizer, disc_optimizer: torch.optim.Optimizer | None,
          loss: str | GANLoss = "non_saturating", gen_loss_name: str | GANLoss | None = None,
          n_disc: int = 1, n_gen: int = 1, penalty: Callable | None = None,
          sample_loss: Callable | None = None, hook: Callable | None = None,
          progress: bool = True) -> None:
    """Train G_θ and D_φ for ``steps`` steps of n_disc discriminator and n_gen generator updates.

    loss: the GAN loss (a name in ``GAN_LOSSES`` or a function); the discriminator
        minimises its ``.discriminator``, the generator its ``.generator``.
    gen_loss_name: another loss whose ``.generator`` G minimises instead (e.g. D trained
        with "minimax", G with "non_saturating"'s −log D); None uses ``loss``.
    penalty: added to L_D at every discriminator step (see ``discriminator_step``).
    sample_loss: train G by ``moment_matching_step`` instead (needs n_disc=0).
    hook: called as hook(step, disc_loss, gen_loss) after every step.
    The networks and optimisers are updated in place; a non-finite loss raises.
    """
    disc_loss_fn = get_gan_loss(loss)
    gen_loss_fn = get_gan_loss(gen_loss_name or loss)
    device = next(generator.parameters()).device
    disc_loss = gen_loss = torch.zeros((), device=device)
    bar = progress_bar(range(1, steps + 1), desc="training", disable=not progress)
    for step in bar:
        # D first, so that G's update follows a discriminator that has seen G's latest samples.
        for _ in range(n_disc):
            real, noise = batches.real().to(device), batches.noise().to(device)
            disc_loss = discriminator_step(generator, discriminator, disc_optimizer, disc_loss_fn,
                                           real, noise, penalty)
        for _ in range(n_gen):
            if sample_loss is None:
                noise = batches.noise().to(device)
                gen_loss = generator_step(generator, discriminator, gen_optimizer, gen_loss_fn,
                                          noise)
            else:
                real, noise = batches.real().to(device), batches.noise().to(device)
                gen_loss = moment_matching_step(generator, gen_optimizer, sample_loss, real, noise)
        # a NaN spreads through every weight within a step: stop here, saying when
        raise_if_diverged(step, disc_loss, gen_loss)
        if hook is not None:
            hook(step, disc_loss, gen_loss)
        if progress and step % 100 == 0:
            bar.set_postfix(disc=f"{float(disc_loss):.3f}", gen=f"{float(gen_loss):.3f}")


def raise_if_diverged(step: int, disc_loss: Tensor, gen_loss: Tensor) -> None:
    """A clear error if a loss of this step is NaN or infinite."""
    if bool(torch.isfinite(disc_loss)) and bool(torch.isfinite(gen_loss)):
        return
    name, value = (("discriminator", disc_loss) if not torch.isfinite(disc_loss)
                   else ("generator", gen_loss))
    raise FloatingPointError(
        f"the {name} loss became {float(value)} at step {step}: training diverged. Lower the "
        "learning rates; with a Wasserstein loss, add a penalty that keeps the critic Lipschitz.")


def generator_gradient_norm(generator: nn.Module, discriminator: nn.Module, loss: str | GANLoss,
                            noise: Tensor) -> float:
    """‖∇_θ L_G(θ)‖₂, the norm of the generator's gradient over all its parameters.

    L_G is ``loss``'s generator objective on the fakes G_θ(z) for the given noise,
    with the discriminator held fixed. Lesson 04 compares the saturating
    (``"minimax"``, L_G = E_z[log(1 − D(G(z)))]) and the non-saturating
    (L_G = −E_z[log D(G(z))]) objectives when D(G(z)) ≪ 1.
    """
    parameters = [p for p in generator.parameters() if p.requires_grad]
    objective = get_gan_loss(loss)(None, discriminator(generator(noise)).squeeze(-1)).generator
    gradients = torch.autograd.grad(objective, parameters)
    return float(torch.sqrt(sum((g**2).sum() for g in gradients)))


__all__ = ["discriminator_step", "generator_step", "moment_matching_step", "train",
           "raise_if_diverged", "generator_gradient_norm"]
