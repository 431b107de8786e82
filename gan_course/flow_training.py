"""The maximum-likelihood loop for flows: the other way to train the generator of lesson 06.

A flow (``gan_course.models.realnvp``) has an exact density q_θ, so it can be trained without a
discriminator, by maximum likelihood on data x ~ p*:

    θ ← θ − η · opt(∇_θ L(θ)),   L(θ) = −(1/B) Σ_b log q_θ(x_b)

which minimises KL(p* ‖ q_θ) up to a constant (the entropy of p*). Images are 8-bit, so each
batch is dequantised afresh (x = bytes + uniform noise, rescaled; ``dequantise``): a density
fitted to the bytes themselves could grow without bound on them. The data come from ``batches``
as in ``gan_course.train.train``:

    batches.real()   a batch x ~ p*           (B, 2) points or (B, C, H, W) images

    losses = train_flow(flow, batches, steps=2000, lr=1e-3)                  toy points
    losses = train_flow(flow, image_batches, steps=500, pixels="gan")        8-bit images

Anything else a run needs to watch is a ``hook(step, loss)`` that the loop calls after every step.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from gan_course.config import progress_bar
from gan_course.metrics.likelihood import bits_per_dim
from gan_course.models.realnvp import BIN_WIDTH, dequantise
from gan_course.validation import check_int, check_number

Tensor = torch.Tensor


def flow_step(flow: nn.Module, optimizer: torch.optim.Optimizer, x: Tensor,
              max_grad_norm: float | None = None) -> Tensor:
    """One maximum-likelihood update: θ ← θ − η · opt(∇_θ [−(1/B) Σ_b log q_θ(x_b)]).

    With ``max_grad_norm``, the gradient is rescaled to that norm when it is longer: a batch
    that lands where q_θ is tiny has a huge gradient, which would throw θ far in one step.
    Returns the loss, −mean log q_θ(x) in nats (detached).
    """
    loss = -flow.log_prob(x).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if max_grad_norm is not None:
        nn.utils.clip_grad_norm_(flow.parameters(), max_grad_norm)
    optimizer.step()
    return loss.detach()


def train_flow(flow: nn.Module, batches, steps: int, lr: float = 1e-3, *, pixels: str | None = None,
               max_grad_norm: float | None = 100.0, optimizer: torch.optim.Optimizer | None = None,
               seed: int = 0, hook: Callable | None = None, progress: bool = True) -> list[float]:
    """Train ``flow`` by maximum likelihood for ``steps`` steps; returns the loss of every step.

    pixels: None for continuous data (toy points), used as they are; for 8-bit images, the name
        of their range ("gan" [−1, 1], "unit" [0, 1] or "bytes"), and each batch is dequantised
        with fresh noise into the flow's [−1, 1) (``gan_course.models.realnvp.dequantise``).
    optimizer: None for Adam(lr) (Dinh et al. 2017 trained with Adam); pass one to resume a run.
    max_grad_norm: the gradient's norm is clipped to it (None: no clipping).
    seed: seeds the dequantisation noise (the batches have their own random stream).
    hook: called as hook(step, loss) after every step.
    The flow and the optimiser are updated in place; a non-finite loss raises.
    """
    steps = check_int(steps, "steps")
    if not callable(getattr(batches, "real", None)):
        raise TypeError(f"batches must have a .real() that returns the next batch, got "
                        f"{type(batches).__name__}; for images ImageBatches(images, batch_size), "
                        "for points a class like lesson 06's PointBatches.")
    if max_grad_norm is not None:
        check_number(max_grad_norm, "max_grad_norm")
    optimizer = optimizer or torch.optim.Adam(flow.parameters(), lr=check_number(lr, "lr"))
    noise_rng = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    parameter = next(flow.parameters())
    losses = []
    bar = progress_bar(range(1, steps + 1), desc="maximum likelihood", disable=not progress)
    for step in bar:
        x = batches.real()
        if pixels is not None:
            x = dequantise(x, noise_rng, pixels)  # fresh noise at every step: the density must fill each cube
        elif x.ndim == 4:
            raise ValueError("images must be dequantised before a density is fitted to them: pass their "
                             "range, pixels='gan' (or 'unit', 'bytes').")
        loss = flow_step(flow, optimizer, x.to(parameter), max_grad_norm)
        raise_if_not_finite(step, loss)
        losses.append(float(loss))
        if hook is not None:
            hook(step, loss)
        if progress and step % 100 == 0:
            bar.set_postfix(_progress_numbers(loss, x, pixels))
    return losses


def _progress_numbers(loss: Tensor, x: Tensor, pixels: str | None) -> dict:
    """The loss in nats, and for images also in bits/dim: the unit their papers report."""
    numbers = {"nll": f"{float(loss):.3f}"}
    if pixels is not None:
        numbers["bits/dim"] = f"{float(bits_per_dim(-float(loss), x[0].numel(), BIN_WIDTH)):.3f}"
    return numbers


def raise_if_not_finite(step: int, loss: Tensor) -> None:
    """A clear error if the loss of this step is NaN or infinite."""
    if not bool(torch.isfinite(loss)):
        raise FloatingPointError(
            f"the negative log-likelihood became {float(loss)} at step {step}: training diverged. "
            "Lower the learning rate or clip the gradients harder (max_grad_norm).")


__all__ = ["flow_step", "train_flow", "raise_if_not_finite"]
