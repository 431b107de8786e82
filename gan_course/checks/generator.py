"""Checks for lesson 04 (learning the generator): generator losses, reparameterisation, one step."""

from __future__ import annotations

import copy
import math

import torch

from gan_course import gan_losses
from gan_course.checks.core import (
    as_number,
    call,
    close,
    describe,
    failed,
    must_carry_gradients,
    not_implemented,
)
from gan_course.models import mlp

Tensor = torch.Tensor

_GENERATOR_LOSSES = {
    # the generator's objective of each GAN loss, and a hint that points to the idea
    "saturating": ("minimax", "the generator minimises the log-probability that D calls its samples "
                              "fake, log(1 − D); write it from the logit with lesson 01's softplus "
                              "identities, never forming σ(l)"),
    "non_saturating": ("non_saturating", "the generator minimises minus the log-probability that D "
                                         "calls its samples real, −log D; write it from the logit "
                                         "with lesson 01's softplus identities, never forming σ(l)"),
}
# Batches of different sizes (so that a sum shows), and large logits in the visible cases too: at
# l = ±100, σ(l) rounds to 0 or 1 in float32, so log(1 − σ(l)), log σ(l) and log(1 + e^{−l}) are ±inf;
# at l = -150, F.binary_cross_entropy on σ(l) gives 100, not 150: it clamps its logs at -100.
_VISIBLE_LOGITS = [torch.tensor([0.5, -1.0]), torch.tensor([-3.0, -0.5, 2.0]),
                   torch.tensor([-100.0, 100.0, 1.0, -2.0, -150.0])]
_HIDDEN_LOGITS = [torch.linspace(-8.0, 8.0, 9), torch.tensor([-100.0, 100.0, -60.0])]
LARGE_LOGIT = 20.0


def _generator_loss_hint(kind: str, got: float, expected: float, logits: Tensor) -> str:
    other = "non_saturating" if kind == "saturating" else "saturating"
    other_value = float(gan_losses.get_gan_loss(_GENERATOR_LOSSES[other][0])(logits, logits).generator)
    per_sample = float(gan_losses.get_gan_loss(_GENERATOR_LOSSES[kind][0])(logits, logits).generator)
    if close(got, -expected):
        return "the sign is flipped: the generator *minimises* this loss"
    if close(got, per_sample * len(logits)):
        return "average over the batch with .mean(), not .sum()"
    if close(got, other_value) or close(got, -other_value):
        return (f"that is the {other.replace('_', '-')} loss; the {kind.replace('_', '-')} one "
                "comes from the other way of writing the generator's goal")
    if not math.isfinite(got) or logits.abs().max() > LARGE_LOGIT:
        return ("the logits include ±100 and −150, where σ(l) rounds to 0 or 1 in float32, so that "
                "its log overflows (or is clamped, as in F.binary_cross_entropy); write the loss from "
                "l with F.softplus")
    return _GENERATOR_LOSSES[kind][1]


def check_generator_loss(function, kind: str, hidden: bool = False) -> None:
    """Compare ``function(logits_fake)`` with the saturating or non-saturating generator loss,
    which must stay differentiable in the logits (the generator is trained through it)."""
    if kind not in _GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {sorted(_GENERATOR_LOSSES)}, got {kind!r}.")
    reference = gan_losses.get_gan_loss(_GENERATOR_LOSSES[kind][0])
    name = getattr(function, "__name__", f"{kind}_generator_loss")
    cases = _HIDDEN_LOGITS if hidden else _VISIBLE_LOGITS
    for logits in cases:
        value = call(function, name, logits.clone().requires_grad_(True))
        got = as_number(value, name)
        expected = float(reference(logits, logits).generator)
        if not close(got, expected):
            raise failed(f"`{name}` gives {got:.6g} but the {kind.replace('_', '-')} generator loss is "
                         f"{expected:.6g} for logits_fake={describe([logits])}. "
                         f"Hint: {_generator_loss_hint(kind, got, expected, logits)}.")
        must_carry_gradients(value, name, "the logits", "the generator could not be trained with it")
    print(f"✓ `{name}` matches the {kind.replace('_', '-')} generator loss on {len(cases)} "
          f"{'hidden ' if hidden else ''}inputs.")


def check_slopes(slope_saturating, slope_non_saturating, r: float) -> None:
    """The two generator losses' slopes at the logit l = log r: D = r/(1+r) and 1 − D."""
    expected = {"slope_saturating": r / (1 + r), "slope_non_saturating": 1 / (1 + r)}
    for name, got in (("slope_saturating", slope_saturating),
                      ("slope_non_saturating", slope_non_saturating)):
        if got is None:  # the task's cell sets both to None until the learner measures them
            raise not_implemented(name)
        got = as_number(got, name)
        # relative: at r = 1e-3 the saturating slope is itself about 1e-3
        if not math.isclose(abs(got), expected[name], rel_tol=1e-5):
            at_r = {"slope_saturating": torch.sigmoid(torch.tensor(r)),
                    "slope_non_saturating": torch.sigmoid(torch.tensor(-r))}[name]
            d_is_r = {"slope_saturating": r, "slope_non_saturating": 1 - r}[name]
            if math.isclose(abs(got), float(at_r), rel_tol=1e-4):
                hint = "the logit of a fake with ratio r is log r, not r"
            elif math.isclose(abs(got), d_is_r, rel_tol=1e-4):
                hint = "D is not r: with the logit l = log r, D = σ(l) = r/(1 + r)"
            else:
                hint = ("make the logit a tensor with requires_grad=True, then ask autograd for the "
                        "loss's derivative with respect to it")
            raise failed(f"`{name}` is {got:.4g} but |∂ℓ/∂l| at l = log r = {math.log(r):.3f} is "
                         f"{expected[name]:.4g}. Hint: {hint}.")
    print(f"✓ the slopes are D = {expected['slope_saturating']:.2e} and 1 − D = "
          f"{expected['slope_non_saturating']:.4f}: the saturating one vanishes with r.")


def check_reparameterised_sample(function, hidden: bool = False) -> None:
    """``function(mean, log_std, noise)`` must return mean + exp(log_std)·noise, differentiably."""
    name = getattr(function, "__name__", "reparameterised_sample")
    rng = torch.Generator().manual_seed(5 if hidden else 2)
    mean = torch.tensor([1.0, -2.0], requires_grad=True)
    log_std = torch.tensor([0.0, -1.0], requires_grad=True)
    noise = torch.randn(1000, 2, generator=rng)
    sample = call(function, name, mean, log_std, noise)
    if not torch.is_tensor(sample) or sample.shape != noise.shape:
        raise failed(f"`{name}` should return a tensor of the noise's shape {tuple(noise.shape)}, "
                     f"got {sample!r:.80}.")
    expected = mean + log_std.exp() * noise
    if not torch.allclose(sample, expected, atol=1e-5):
        raise failed(f"`{name}` gives {describe([sample[0]])} for the first noise "
                     f"{describe([noise[0]])} with mean {describe([mean])} and log_std "
                     f"{describe([log_std])}, expected {describe([expected[0]])}. "
                     "Hint: shift the noise by the mean after scaling it by the standard deviation, "
                     "and remember that log_std is the standard deviation's logarithm.")
    if not sample.requires_grad:
        raise failed(f"`{name}` returns a sample that does not depend on mean and log_std for "
                     "autograd, while the point of the trick is that gradients flow through the "
                     "sample. Hint: no .detach(), .item() or torch.no_grad() on the way.")
    # ∂/∂μ E[x²] = 2μ and ∂/∂σ E[x²] = 2σ, so ∂/∂ log σ = 2σ²: the pathwise estimate is close
    (sample**2).mean(dim=0).sum().backward()
    for parameter, what in ((mean, "mean"), (log_std, "log_std")):
        if parameter.grad is None:
            raise failed(f"no gradient reaches `{what}` through `{name}` (was it used through .data, "
                         "a copy, or torch.no_grad()?). Hint: build the sample from the tensors you "
                         "are given, so that autograd can follow it back to them.")
    sigma = log_std.detach().exp()
    if not (torch.allclose(mean.grad, 2 * mean.detach(), atol=0.25)
            and torch.allclose(log_std.grad, 2 * sigma**2, atol=0.25)):
        raise failed(f"the gradients through `{name}` are off: ∂E[x²]/∂μ ≈ {describe([mean.grad])} "
                     f"(expected ≈ {describe([2 * mean.detach()])}). Hint: return the sample as a "
                     "differentiable function of mean and log_std.")
    print(f"✓ `{name}` is x = μ + exp(log σ)·z, and gradients flow through it to μ and log σ.")


def _step_fixture(seed: int):
    """A small generator and discriminator, an SGD optimiser for G, and noise."""
    torch.manual_seed(seed)
    generator, discriminator = mlp(2, 2, width=8, depth=1), mlp(2, 1, width=8, depth=1)
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    noise = torch.randn(32, 2, generator=torch.Generator().manual_seed(seed + 100))
    for parameter in generator.parameters():  # stale gradients from an earlier step
        parameter.grad = torch.ones_like(parameter)
    return generator, discriminator, optimizer, noise


def check_generator_step(function, hidden: bool = False) -> None:
    """``function(generator, discriminator, optimizer, loss, noise)`` must be one step on θ only.

    Its reference is the training loop's own ``gan_course.train.generator_step``: it
    must return L_G before the step, change G's parameters exactly as one optimiser
    step on ``loss(None, D(G(z))).generator`` does, and leave D's parameters alone.
    The losses come from the registry (never from an earlier task), so a bug there
    costs only that task.
    """
    from gan_course.train import generator_step  # the loop's step is the reference

    name = getattr(function, "__name__", "generator_step")
    cases = [(11, "minimax"), (12, "least_squares")] if hidden else [(3, "non_saturating")]
    for seed, loss_name in cases:
        loss = gan_losses.get_gan_loss(loss_name)
        generator, discriminator, optimizer, noise = _step_fixture(seed)
        expected = _step_fixture(seed)
        disc_before = copy.deepcopy(discriminator.state_dict())
        got_loss = as_number(call(function, name, generator, discriminator, optimizer, loss, noise),
                             name)
        expected_loss = float(generator_step(*expected[:3], loss, expected[3]))
        if not close(got_loss, expected_loss, 1e-4):
            raise failed(f"`{name}` returned {got_loss:.6g} with the {loss_name!r} loss, but the "
                         f"generator's loss before the step is {expected_loss:.6g}. Hint: return "
                         "the generator's objective of the loss, the one you called .backward() on.")
        for key, value in discriminator.state_dict().items():
            if not torch.equal(value, disc_before[key]):
                raise failed(f"`{name}` changed the discriminator's parameters ({key}); the generator's "
                             "step must update θ only. Hint: step only the optimiser you were given.")
        for (key, got), want in zip(generator.state_dict().items(), expected[0].state_dict().values()):
            if torch.equal(got, _step_fixture(seed)[0].state_dict()[key]):
                raise failed(f"`{name}` left the generator's parameters unchanged. Hint: a gradient "
                             "reaches θ only through G(z) kept in the graph (no .detach() on the "
                             "samples), and then optimizer.zero_grad(), backward and optimizer.step() "
                             "apply it.")
            if not torch.allclose(got, want, atol=1e-6):
                raise failed(f"after `{name}`, the generator's {key} differs from one optimiser step "
                             f"on the {loss_name!r} loss. Hint: PyTorch adds new gradients to old "
                             "ones, so clear them first; and take exactly one step.")
    print(f"✓ `{name}` takes one step on the generator's parameters and leaves the discriminator "
          "alone.")


__all__ = ["check_generator_loss", "check_slopes", "check_reparameterised_sample", "check_generator_step"]
