"""Checks for lesson 08 (many paths to equilibrium): weight clipping, the WGAN-GP and
DRAGAN penalties, and a short training run with the learner's penalty.

The learner's penalties take their random numbers as arguments (ε for WGAN-GP, the
noise u and α for DRAGAN), so that a check can draw them exactly as
``gan_course.penalties`` does from a seeded ``rng`` and compare with the reference
penalty object on the same points.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from gan_course import penalties
from gan_course.checks.core import as_number, call, close, failed
from gan_course.models.toy import mlp

Tensor = torch.Tensor

# Relative tolerance between the learner's penalty and the reference's (float32 gradients).
TOLERANCE = 1e-4


def linear_critic(weights, bias: float = 0.0) -> nn.Linear:
    """D(x) = wᵀx + b: its gradient is w everywhere, so ‖∇D‖ = ‖w‖ at every point."""
    weights = torch.as_tensor(weights, dtype=torch.float32).reshape(1, -1)
    critic = nn.Linear(weights.shape[1], 1)
    with torch.no_grad():
        critic.weight.copy_(weights)
        critic.bias.fill_(bias)
    return critic


def _mlp_critic(seed: int) -> nn.Sequential:
    return mlp(2, 1, width=16, depth=2, seed=seed)


def _points(n: int, seed: int, shift: float = 0.0) -> Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed)) + shift


def wgan_gp_randomness(n: int, seed: int) -> Tensor:
    """ε ~ U[0, 1], shape (n, 1): what ``penalties.WGANGradientPenalty(seed=seed)`` draws first."""
    return torch.rand((n, 1), generator=torch.Generator().manual_seed(seed))


def dragan_randomness(n: int, seed: int, dim: int = 2) -> tuple[Tensor, Tensor]:
    """(u ~ N(0, I) of shape (n, dim), α ~ U[0, 1] of shape (n, 1)): what
    ``penalties.DRAGANPenalty(seed=seed)`` draws first, in that order."""
    rng = torch.Generator().manual_seed(seed)
    noise = torch.randn((n, dim), generator=rng)
    return noise, torch.rand((n, 1), generator=rng)


# --------------------------------------------------------------------------- weight clipping


def check_clip_weights(function, hidden: bool = False) -> None:
    """``function(parameters, c)`` must clamp every parameter to [−c, c] in place."""
    name = getattr(function, "__name__", "clip_weights")
    cases = (0.01, 0.5) if hidden else (0.1,)
    for c in cases:
        network = _mlp_critic(seed=3 if hidden else 1)
        with torch.no_grad():  # spread the weights so that many lie outside [−c, c]
            for parameter in network.parameters():
                parameter.mul_(4.0)
        parameters = list(network.parameters())
        expected = [p.detach().clone() for p in parameters]
        penalties.WeightClipping(c).project(expected)
        originals = [p.detach().clone() for p in parameters]
        call(function, name, parameters, c)
        changed = [not torch.equal(p.detach(), original) for p, original in zip(parameters, originals)]
        for index, (parameter, reference, original) in enumerate(zip(parameters, expected, originals)):
            if not changed[index] and not torch.equal(reference, original):
                if any(changed):  # it clamps in place, but skipped this parameter
                    kind = "a bias" if parameter.ndim == 1 else "a weight matrix"
                    raise failed(f"`{name}` left parameter {index} ({kind}) unchanged with c={c}, "
                                 "although some of its entries lie outside [−c, c]. Hint: the critic's "
                                 "Lipschitz bound needs every parameter clamped, weights and biases alike.")
                raise failed(f"`{name}` left parameter {index} unchanged with c={c}, although some of "
                             f"its entries lie outside [−c, c]. Hint: change the tensors in place "
                             "(PyTorch's methods whose names end in _ do, inside torch.no_grad()); "
                             "assigning to a local name does not change the network.")
            if not torch.allclose(parameter.detach(), reference):
                low, high = float(parameter.detach().min()), float(parameter.detach().max())
                raise failed(f"after `{name}` with c={c}, parameter {index} ranges over "
                             f"[{low:.3g}, {high:.3g}] but should be clamped to [−{c}, {c}] "
                             "entry by entry. Hint: clamp every entry, weights and biases alike; do "
                             "not rescale the whole tensor.")
    print(f"✓ `{name}` clamps every weight and bias to [−c, c] in place for c in {cases}.")


# --------------------------------------------------------------------------- WGAN-GP


def _penalty_value(function, name: str, *args) -> Tensor:
    value = call(function, name, *args)
    as_number(value, name)  # one number, with a plain message otherwise
    if not torch.is_tensor(value) or not value.requires_grad:
        raise failed(f"`{name}` returned a number that does not depend on the discriminator's "
                     "weights, so D's optimiser could not minimise it. Hint: compute the input "
                     "gradient with torch.autograd.grad(..., create_graph=True).")
    return value.reshape(())


def _check_weight_gradient(value: Tensor, critic: nn.Linear, weight: float, name: str) -> None:
    """For D(x) = wᵀx + b the penalty is λ(‖w‖ − 1)², with gradient 2λ(‖w‖ − 1) w/‖w‖."""
    (gradient,) = torch.autograd.grad(value, critic.weight, allow_unused=True)
    w = critic.weight.detach()
    gradient = torch.zeros_like(w) if gradient is None else gradient
    norm = float(w.norm())
    expected = 2 * weight * (norm - 1) * w / norm
    if not torch.allclose(gradient, expected, rtol=1e-3, atol=1e-5) and bool(gradient.abs().max() > 0):
        raise failed(f"`{name}` has the right value but the wrong gradient with respect to D's "
                     f"weights for the linear critic w={w.reshape(-1).tolist()}: got "
                     f"{gradient.reshape(-1).tolist()}, expected {expected.reshape(-1).tolist()}. "
                     "Hint: the value is right by coincidence at this ‖w‖; the penalty squares the "
                     "distance of each gradient norm from 1.")
    if not torch.allclose(gradient, expected, rtol=1e-3, atol=1e-5):
        raise failed(f"`{name}` has the right value but the wrong gradient with respect to D's "
                     f"weights for the linear critic w={w.reshape(-1).tolist()}: got "
                     f"{gradient.reshape(-1).tolist()}, expected {expected.reshape(-1).tolist()}. "
                     "Hint: pass create_graph=True to torch.autograd.grad so that the penalty "
                     "can be differentiated again.")


def _linear_hint(got: float, norm: float, weight: float, n: int) -> str:
    """A specific hint where ``got`` is a common wrong penalty for a linear critic with ‖w‖ = norm."""
    candidates = [
        (n * weight * (norm - 1) ** 2, "average over the points, not a sum"),
        ((norm - 1) ** 2, "multiply by the weight λ"),
        (weight * (norm**2 - 1) ** 2, "penalise the gradient's norm, not its squared norm"),
        (weight * abs(norm - 1), "square the distance of the norm from 1"),
        (weight * max(norm - 1, 0.0) ** 2, "the WGAN-GP penalty is two-sided: gradient norms below 1 "
                                           "are penalised too"),
        (weight * norm**2, "penalise the norm's distance from 1, not the gradient's size"),
    ]
    for wrong, hint in candidates:
        if close(got, wrong, TOLERANCE):
            return hint
    if norm == 1:
        return "a linear critic with ‖w‖ = 1 has gradient norm 1 everywhere, so its penalty is 0"
    return ("the gradient of wᵀx + b is w at every point, so every point's gradient has norm ‖w‖; "
            "the penalty measures how far that norm is from 1, on average over the points")


def _linear_cases(hidden: bool):
    """(weights of a linear critic, ‖w‖): unit norm gives a zero penalty."""
    if hidden:
        return [([0.6, -0.8], 1.0), ([3.0, 4.0], 5.0), ([0.1, 0.0], 0.1)]
    return [([0.6, 0.8], 1.0), ([0.3, -0.4], 0.5), ([2.0, 0.0], 2.0)]


def check_wgan_gp_penalty(function, hidden: bool = False) -> None:
    """``function(discriminator, real, fake, epsilon, weight)`` must equal
    λ E[(‖∇D(x̂)‖ − 1)²] at x̂ = εx + (1 − ε)x̃, as ``penalties.WGANGradientPenalty``."""
    name = getattr(function, "__name__", "wgan_gp_penalty")
    n, weight, seed = (64, 5.0, 11) if hidden else (32, 10.0, 4)
    real, fake = _points(n, seed, shift=2.0), _points(n, seed + 1)
    epsilon = wgan_gp_randomness(n, seed)
    for weights, norm in _linear_cases(hidden):
        critic = linear_critic(weights)
        value = _penalty_value(function, name, critic, real, fake, epsilon, weight)
        expected = weight * (norm - 1) ** 2
        if not close(float(value.detach()), expected, TOLERANCE):
            hint = _linear_hint(float(value.detach()), norm, weight, n)
            raise failed(f"`{name}` gives {float(value.detach()):.6g} for the linear critic D(x) = wᵀx with "
                         f"w={weights} (‖w‖ = {norm:g}), λ={weight:g}, but the penalty is "
                         f"λ(‖w‖ − 1)² = {expected:.6g}. Hint: {hint}.")
        if norm != 1:
            _check_weight_gradient(value, critic, weight, name)
    critic = _mlp_critic(seed)
    got = float(_penalty_value(function, name, critic, real, fake, epsilon, weight).detach())
    expected = float(penalties.WGANGradientPenalty(weight=weight, seed=seed)(critic, real, fake).detach())
    if not close(got, expected, TOLERANCE):
        swapped = penalties.gradient_penalty(critic, (1 - epsilon) * real + epsilon * fake)
        hint = ("you weighted the real points by 1 − ε; take x̂ = ε·real + (1 − ε)·fake"
                if close(got, weight * float(swapped.detach()), TOLERANCE) else
                "x̂ lies between each real point and its fake partner, one ε per pair; the norm is "
                "taken per point, over its coordinates")
        raise failed(f"`{name}` gives {got:.6g} for a small MLP discriminator, but the WGAN-GP "
                     f"penalty on the same ε is {expected:.6g} (λ={weight:g}, {n} pairs). "
                     f"Hint: {hint}.")
    print(f"✓ `{name}` matches the WGAN-GP penalty on {'hidden ' if hidden else ''}linear critics "
          "(0 at ‖w‖ = 1) and on an MLP, with gradients for D's weights.")


# --------------------------------------------------------------------------- DRAGAN


def check_dragan_penalty(function, hidden: bool = False) -> None:
    """``function(discriminator, real, noise, alpha, weight, noise_scale)`` must equal
    λ E[(‖∇D(x̂)‖ − 1)²] at x̂ = x + α · noise_scale · σ ⊙ u, as ``penalties.DRAGANPenalty``."""
    name = getattr(function, "__name__", "dragan_penalty")
    n, weight, noise_scale, seed = (64, 5.0, 1.0, 13) if hidden else (32, 10.0, 0.5, 6)
    real = _points(n, seed, shift=2.0) * torch.tensor([1.0, 0.3])  # wide in x, narrow in y
    fake = _points(n, seed + 1)
    noise, alpha = dragan_randomness(n, seed)
    for weights, norm in _linear_cases(hidden):
        critic = linear_critic(weights)
        value = _penalty_value(function, name, critic, real, noise, alpha, weight, noise_scale)
        expected = weight * (norm - 1) ** 2
        if not close(float(value.detach()), expected, TOLERANCE):
            raise failed(f"`{name}` gives {float(value.detach()):.6g} for the linear critic D(x) = wᵀx with "
                         f"w={weights} (‖w‖ = {norm:g}), λ={weight:g}, but the penalty is "
                         f"λ(‖w‖ − 1)² = {expected:.6g} wherever the points are. "
                         f"Hint: {_linear_hint(float(value.detach()), norm, weight, n)}.")
        if norm != 1:
            _check_weight_gradient(value, critic, weight, name)
    critic = _mlp_critic(seed)
    got = float(_penalty_value(function, name, critic, real, noise, alpha, weight, noise_scale).detach())
    reference = penalties.DRAGANPenalty(weight=weight, noise_scale=noise_scale, seed=seed)
    expected = float(reference(critic, real, fake).detach())
    if not close(got, expected, TOLERANCE):
        def penalty_at(std: Tensor) -> float:
            points = real + alpha * noise_scale * std * noise
            return weight * float(penalties.gradient_penalty(critic, points).detach())

        if close(got, penalty_at(real.std()), TOLERANCE):
            hint = ("scale the noise by the std of each coordinate, real.std(dim=0, keepdim=True), "
                    "not one std over all entries")
        elif close(got, penalty_at(real.std(dim=0, keepdim=True, correction=0)), TOLERANCE):
            hint = "σ is the std torch's std computes, which divides by B − 1, not by B"
        else:
            hint = ("DRAGAN looks at random points near the real ones: each real point moved by a "
                    "fraction α of noise that is scaled to the real batch's spread in each coordinate")
        raise failed(f"`{name}` gives {got:.6g} for a small MLP discriminator, but the DRAGAN "
                     f"penalty with the same noise and α is {expected:.6g} (λ={weight:g}, "
                     f"noise_scale={noise_scale:g}). Hint: {hint}.")
    print(f"✓ `{name}` matches the DRAGAN penalty on {'hidden ' if hidden else ''}linear critics "
          "(0 at ‖w‖ = 1) and on an MLP, with gradients for D's weights.")


# --------------------------------------------------------------------------- a training run


def slopes_between(history, seed: int = 0) -> Tensor:
    """‖∇ₓ D(x̂)‖ of a run's final discriminator at x̂ between its shown data and final samples
    (``penalties.interpolates`` with a fixed seed): where the WGAN-GP penalty looks."""
    points = penalties.interpolates(history.real, history.fake[-1], torch.Generator().manual_seed(seed))
    return penalties.gradient_norms(history.discriminator, points).detach()


def check_penalised_training(history, max_residual: float = 0.15) -> None:
    """A GAN trained with the learner's gradient penalty: finite losses, and a final
    discriminator that satisfies what the penalty asks, E_x̂[(‖∇D(x̂)‖ − 1)²] ≤ ``max_residual``
    at points x̂ between the data and the final samples (``slopes_between``).

    Measured on lesson 08's ring: about 0.09 after 300 steps and 0.004 after 3,000 with the
    penalty; 0.29 and 20 for the same runs without it.
    """
    losses = torch.cat([history.losses["disc"], history.losses["gen"]])
    if not torch.isfinite(losses).all():
        raise failed("the training run's losses became NaN or infinite. Hint: revisit Task 2 "
                     "(`wgan_gp_penalty`): it must be finite for every input and scaled by the given "
                     "positive weight.")
    slopes = slopes_between(history)
    residual = float(((slopes - 1) ** 2).mean())
    if not (math.isfinite(residual) and residual <= max_residual):
        raise failed(f"after training with your penalty, the discriminator's gradient norms between "
                     f"the data and the samples are far from 1: mean (‖∇D‖ − 1)² = {residual:.3g} "
                     f"(median norm {float(slopes.median()):.2f}), above {max_residual}. Hint: revisit "
                     "Task 2 (`wgan_gp_penalty`): penalise (‖∇D(x̂)‖ − 1)² with the given weight, and "
                     "keep create_graph=True so that D's optimiser sees the penalty.")
    print(f"✓ training with your penalty: losses stayed finite, and between data and samples the "
          f"discriminator's gradient norm is close to 1: mean (‖∇D‖ − 1)² = {residual:.3f} "
          f"(at most {max_residual}), median norm {float(slopes.median()):.2f}.")
