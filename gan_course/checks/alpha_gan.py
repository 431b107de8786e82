"""Checks for lesson 07 (α-GAN): the code discriminator's loss, the L1 reconstruction, one α-GAN step.

The references are ``gan_course.alpha_gan`` itself: ``code_discriminator_loss``,
``reconstruction_loss`` and ``alpha_gan_step`` with the α-GAN switches. A wrong answer is
compared with the common wrong ones, computed on the same inputs, to say which it is.

The step's check hands the learner's step the course's own two losses (not the learner's
Tasks 1 and 2), so that a bug there costs only that task. It runs the learner's step and the
reference on copies of the same seeded networks and batch, with gradients left over from an
"earlier step" in every parameter, and compares the four networks' weights afterwards.
"""

from __future__ import annotations

import copy
import itertools
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gan_course.alpha_gan import (
    HYBRIDS,
    alpha_gan_step,
    build_networks,
    code_discriminator_loss,
    encoder_code_loss,
    image_discriminator_loss,
    make_optimizers,
    reconstruction_loss,
    synthetic_likelihood_loss,
)
from gan_course.checks.core import close, failed, must_match_gradients, not_implemented
from gan_course.data import toy

Tensor = torch.Tensor


def _call(function, name: str, *args):
    """The learner's function, its crashes turned into one sentence (no tensor dump: the inputs
    of the step are networks)."""
    try:
        return function(*args)
    except NotImplementedError:
        raise not_implemented(name) from None
    except Exception as error:  # the learner's code, any failure
        hint = ""
        if "modified by an inplace operation" in str(error) or "backward through the graph" in str(error):
            hint = (" Hint: a backward() frees the graph it ran through, and an optimiser's step() "
                    "changes its network's weights in place: compute each network's loss with a "
                    "fresh forward pass, after the updates that come before it.")
        raise failed(f"`{name}` raised {type(error).__name__}: {str(error).splitlines()[0]}{hint}") from None


def _scalar_loss(value, name: str) -> Tensor:
    """The learner's loss as a 0-dim tensor that still carries gradients."""
    if not torch.is_tensor(value):
        raise failed(f"`{name}` returned {type(value).__name__}; it should return a tensor, so that "
                     "gradients flow back to the networks (no .item() or float()).")
    if value.numel() != 1:
        raise failed(f"`{name}` returned a tensor of shape {tuple(value.shape)}; it should return one "
                     "number: average over the batch with .mean().")
    if not value.requires_grad:
        raise failed(f"`{name}` returned a loss that carries no gradient. Hint: compute it with torch "
                     "operations on the inputs, without .detach(), .item() or torch.no_grad().")
    return value.detach().reshape(())


def _matching_hint(got: float, candidates: list[tuple[Tensor, str]], fallback: str) -> str:
    for wrong, hint in candidates:
        if close(got, float(wrong), 1e-5):
            return hint
    return fallback


# --------------------------------------------------------------------------- Task 1: C's loss


def _code_cases(hidden: bool) -> list[tuple[str, Tensor, Tensor]]:
    """(where, logits of C on prior samples, logits of C on codes); batches of different sizes."""
    rng = torch.Generator().manual_seed(79 if hidden else 73)
    if hidden:
        return [("7 prior samples and 5 codes, logits of shape (N,)",
                 1.5 * torch.randn(7, generator=rng) + 0.5, 1.5 * torch.randn(5, generator=rng) - 0.5),
                ("a confident code discriminator, logits up to ±300",
                 torch.tensor([300.0, -300.0, 2.0, -250.0]), torch.tensor([-300.0, 300.0, 0.5]))]
    return [("6 prior samples and 4 codes, logits of shape (N, 1)",
             2.0 * torch.randn(6, 1, generator=rng) + 1.0, 2.0 * torch.randn(4, 1, generator=rng) - 1.0),
            ("a confident code discriminator, logits ±200",
             torch.tensor([[200.0], [-200.0], [3.0]]), torch.tensor([[-200.0], [200.0]]))]


def _code_loss_hint(got: float, prior: Tensor, codes: Tensor) -> str:
    right = code_discriminator_loss(prior, codes)
    real_term, fake_term = F.softplus(-prior).mean(), F.softplus(codes).mean()
    swapped = (
        "prior samples and codes are swapped (as in eqs 16–17 of arXiv v1, a typo the authors "
        "confirmed): C/(1 − C) must estimate p(z)/q_η(z), the ratio inside −KL, and a classifier's "
        "odds estimate the density of its \"real\" class over that of its \"fake\" one")
    candidates = [
        (F.softplus(prior).mean() + F.softplus(-codes).mean(), swapped),
        (-right, "that is minus the loss: C minimises −log C(z) − log(1 − C(E(x))), a sum of "
                 "softplus terms, never negative"),
        (-(F.softplus(prior).mean() + F.softplus(-codes).mean()), swapped),
        (F.softplus(-prior).mean() + F.softplus(-codes).mean(),
         "the codes E(x) are C's \"fake\" class: their term is −log(1 − C(E(x))) = softplus(+l)"),
        (F.softplus(prior).mean() + F.softplus(codes).mean(),
         "the prior samples are C's \"real\" class: their term is −log C(z) = softplus(−l)"),
        (F.softplus(torch.cat([-prior.flatten(), codes.flatten()])).mean(),
         "average each term over its own batch, then add the two averages (there are "
         f"{prior.numel()} prior samples and {codes.numel()} codes here)"),
        (right / 2, "add the two averages: do not average them"),
        (F.softplus(-prior).sum() + F.softplus(codes).sum(),
         "average each term over its samples (.mean()), not a sum"),
        (F.softplus(-codes).mean(), "that is the encoder's loss −log C(E(x)); C's own loss has a term for "
                                    "prior samples and calls the codes \"fake\""),
        (real_term, "the codes' term −log(1 − C(E(x))) = softplus(l) is missing"),
        (fake_term, "the prior samples' term −log C(z) = softplus(−l) is missing"),
    ]
    return _matching_hint(got, candidates,
                          "C is lesson 01's Bernoulli classifier, its odds estimating p(z)/q_η(z): each "
                          "class's term averaged over its own batch, written from the logits without "
                          "forming σ(l)")


def check_code_discriminator_loss(function, hidden: bool = False) -> None:
    """``function(logits_prior, logits_codes)`` → E[softplus(−l_prior)] + E[softplus(l_codes)]:
    C_ω's loss E_p(z)[−log C(z)] + E_x[−log(1 − C(E(x)))] with prior samples "real" and codes
    "fake", finite for confident logits, with gradients."""
    name = getattr(function, "__name__", "code_discriminator_loss")
    for where, prior, codes in _code_cases(hidden):
        prior_in, codes_in = prior.clone().requires_grad_(), codes.clone().requires_grad_()
        value = _call(function, name, prior_in, codes_in)
        got = float(_scalar_loss(value, name))
        expected = float(code_discriminator_loss(prior, codes))
        if not torch.isfinite(torch.tensor(got)):
            raise failed(f"`{name}` gives {got} for {where}, where C's loss is {expected:.4f}. Hint: "
                         "σ(l) rounds to 0 or 1 for large |l|, and its log is infinite: write the loss "
                         "with logits, −log σ(l) = softplus(−l) and −log(1 − σ(l)) = softplus(l).")
        if not close(got, expected, 1e-5):
            raise failed(f"`{name}` gives {got:.4f} where C's loss is {expected:.4f} for {where}. "
                         f"Hint: {_code_loss_hint(got, prior, codes)}.")
        must_match_gradients(value, code_discriminator_loss(prior_in, codes_in),
                             {"logits_prior": prior_in, "logits_codes": codes_in}, name,
                             "C trained with it would not learn from those samples")
    print(f"✓ `{name}` is C's loss: prior samples \"real\", codes \"fake\", written with logits"
          f"{' (hidden inputs)' if hidden else ''}.")


# --------------------------------------------------------------------------- Task 2: reconstruction


def _reconstruction_cases(hidden: bool) -> list[tuple[str, Tensor, Tensor, float]]:
    """(where, x, G(E(x)), λ): points and images of several shapes; λ ≠ 1 and λ differs from the
    batch size and from the coordinates per example, so that each mistake gives its own value."""
    rng = torch.Generator().manual_seed(89 if hidden else 83)
    shapes = ([("7 points in 3D, λ = 1.5", (7, 3), 1.5),
               ("grey images (N, C, H, W) = (3, 1, 6, 6), λ = 0.1", (3, 1, 6, 6), 0.1),
               ("colour images (2, 3, 5, 5), λ = 10", (2, 3, 5, 5), 10.0)] if hidden else
              [("5 points in 2D, λ = 3", (5, 2), 3.0),
               ("grey images (N, C, H, W) = (4, 1, 8, 8), λ = 0.5", (4, 1, 8, 8), 0.5),
               ("colour images (3, 3, 4, 4), λ = 4", (3, 3, 4, 4), 4.0)])
    cases = []
    for where, shape, lambda_rec in shapes:
        real = torch.rand(shape, generator=rng) * 2 - 1
        cases.append((where, real, real + 0.5 * torch.randn(shape, generator=rng), lambda_rec))
    return cases


def _reconstruction_hint(got: float, real: Tensor, reconstructions: Tensor, lambda_rec: float) -> str:
    right = reconstruction_loss(real, reconstructions, lambda_rec)
    error = (real - reconstructions).flatten(1)
    dims, batch = error.shape[1], error.shape[0]
    l2 = "α-GAN's likelihood is a Laplace one, −log p(x|z) = λ‖x − G(z)‖₁ + const: the L1 norm Σ|x − x̂|"
    candidates = [
        (lambda_rec * error.abs().mean(),
         f"‖·‖₁ sums over every coordinate (here {dims} per example) and then averages over the batch; "
         "a mean over the coordinates makes it that many times too small"),
        (right / lambda_rec, f"multiply by λ = {lambda_rec:g}: it weighs the reconstruction against the "
                             "adversarial terms (a Laplace decoder with scale 1/λ)"),
        (right / lambda_rec**2, f"multiply by λ = {lambda_rec:g}, do not divide by it"),
        (right * batch, "average over the batch (the expectation over x), do not sum over it"),
        (lambda_rec * error.pow(2).sum(1).mean(),
         f"that is the squared L2 error of a Gaussian decoder; {l2}"),
        (lambda_rec * error.pow(2).mean(), f"that is the mean squared error of a Gaussian decoder; {l2}"),
        (lambda_rec * error.norm(dim=1).mean(), f"that is the L2 norm; {l2}"),
        (lambda_rec * (real - reconstructions).abs().sum(-1).mean(),
         "for images (N, C, H, W), sum over all of C, H and W, not only the last dimension: flatten "
         "each example first, then average over the batch"),
        (lambda_rec * error.sum(1).mean(), "take absolute values: errors of opposite signs must not cancel"),
        (lambda_rec * error.sum(1).abs().mean(),
         "take the absolute value of each coordinate's error before summing them"),
    ]
    return _matching_hint(got, candidates,
                          "λ E_x ‖x − G(E(x))‖₁: absolute errors summed over each example's coordinates, "
                          "averaged over the batch, times λ")


def check_reconstruction_loss(function, hidden: bool = False) -> None:
    """``function(real, reconstructions, lambda_rec)`` → λ E_x ‖x − G(E(x))‖₁: the L1 norm summed
    over every coordinate of an example (points (N, d) or images (N, C, H, W)), averaged over the
    batch, with gradients."""
    name = getattr(function, "__name__", "reconstruction_loss")
    for where, real, reconstructions, lambda_rec in _reconstruction_cases(hidden):
        value = _call(function, name, real.clone(), reconstructions.clone().requires_grad_(), lambda_rec)
        if torch.is_tensor(value) and value.shape == (len(real),):
            raise failed(f"`{name}` returns one value per example, shape {tuple(value.shape)} ({where}). "
                         "Hint: the loss is one number, the average over the batch of λ‖x − G(E(x))‖₁.")
        if torch.is_tensor(value) and value.shape == real.shape:
            raise failed(f"`{name}` returns one value per coordinate, shape {tuple(value.shape)} ({where}). "
                         "Hint: sum the absolute errors over each example's coordinates, then average "
                         "over the batch.")
        got = float(_scalar_loss(value, name))
        expected = float(reconstruction_loss(real, reconstructions, lambda_rec))
        if not close(got, expected, 1e-5):
            raise failed(f"`{name}` gives {got:.4f} where λ E_x ‖x − G(E(x))‖₁ is {expected:.4f} for "
                         f"{where}. Hint: {_reconstruction_hint(got, real, reconstructions, lambda_rec)}.")
    print(f"✓ `{name}` is λ E_x ‖x − G(E(x))‖₁, for points and images"
          f"{' (hidden inputs)' if hidden else ''}.")


# --------------------------------------------------------------------------- Task 3: one step


UPDATE_ORDER = ("discriminator", "code_discriminator", "encoder", "generator")
LETTERS = {"D": "discriminator", "C": "code_discriminator", "E": "encoder", "G": "generator"}
SYMBOLS = {name: letter for letter, name in LETTERS.items()}


@dataclass(frozen=True)
class StepCase:
    """One seeded setting of the step's check: networks, optimisers, batch, λ."""

    where: str
    seed: int
    data_dim: int
    noise_dim: int
    lambda_rec: float
    optimizer: str  # "sgd": weights move by lr·gradient, so every mistake shows; "adam": the course's


STEP_CASES = [StepCase("points on the ring of 8, 2D codes, λ = 2.5, SGD", 5, 2, 2, 2.5, "sgd")]
HIDDEN_STEP_CASES = [StepCase("3D points, 4D codes, λ = 0.5, SGD", 17, 3, 4, 0.5, "sgd"),
                     StepCase("points on the ring of 8, 2D codes, λ = 1, Adam", 23, 2, 2, 1.0, "adam")]


def step_fixture(case: StepCase):
    """(networks, optimizers, real, noise): small α-GAN MLPs in float64, each parameter holding a
    stale gradient of ones (as an earlier step would leave it), and one batch of 32 points and
    noise. Float64, so that a tight tolerance separates orders of updates whose weights differ by
    a second-order effect (D seeing E before or after E's update) from rounding.

    D and C start biased towards "fake" (last bias −1), as after some training: at logits near
    0, σ(l) ≈ σ(−l) and a minimax encoder would move almost as a non-saturating one does."""
    networks = build_networks(HYBRIDS["α-GAN"], data_dim=case.data_dim, noise_dim=case.noise_dim,
                              width=16, depth=2, seed=case.seed)
    for network in networks.present().values():
        network.double()
    with torch.no_grad():
        networks.discriminator[-1].bias.fill_(-1.0)
        networks.code_discriminator[-1].bias.fill_(-1.0)
    if case.optimizer == "sgd":
        optimizers = {name: torch.optim.SGD(network.parameters(), lr=0.05)
                      for name, network in networks.present().items()}
    else:
        optimizers = make_optimizers(networks, lr=1e-3)
    for parameter in (p for network in networks.present().values() for p in network.parameters()):
        parameter.grad = torch.ones_like(parameter)
    rng = torch.Generator().manual_seed(case.seed + 1000)
    real = (toy.ring_of_gaussians().sample(32, rng) if case.data_dim == 2
            else torch.randn(32, case.data_dim, generator=rng) + 1.0)
    return networks, optimizers, real.double(), torch.randn(32, case.noise_dim, generator=rng).double()


@dataclass(frozen=True)
class StepVariant:
    """One way to write the step, right or wrong; the defaults are the right one."""

    order: str = "DCEG"
    zero_grad: str = "before_each"  # or "after_each", "at_start" (every optimiser, once), "never"
    own_gradients_only: bool = True  # backward(inputs=own parameters) vs a plain backward()
    detach_for_d: bool = True  # G(z), G(E(x)) as constants in D's loss
    detach_for_c: bool = True  # E(x) as a constant in C's loss
    detach_for_g: bool = True  # E(x) as a constant in G's loss
    fresh_codes_for_g: bool = True  # E(x) of the encoder after its update
    d_sees_reconstructions: bool = True
    g_fools_with_reconstructions: bool = True
    g_reconstructs: bool = True
    encoder_code_term: str = "non_saturating"  # or "minimax" or "none"
    uses_lambda: bool = True
    one_summed_loss: bool = False
    simultaneous: bool = False  # every gradient at the weights the step starts from


def _no_grad_if(flag: bool):
    return torch.no_grad() if flag else nullcontext()


def _variant_loss(variant: StepVariant, name: str, networks, real, noise, lambda_rec, start_codes):
    G, E = networks.generator, networks.encoder
    D, C = networks.discriminator, networks.code_discriminator
    if name == "discriminator":
        with _no_grad_if(variant.detach_for_d):
            fakes = [G(noise)] + ([G(E(real))] if variant.d_sees_reconstructions else [])
        return image_discriminator_loss(D(real), [D(fake) for fake in fakes])
    if name == "code_discriminator":
        with _no_grad_if(variant.detach_for_c):
            codes = E(real)
        return code_discriminator_loss(C(noise), C(codes))
    if name == "encoder":
        codes = E(real)
        loss = reconstruction_loss(real, G(codes), lambda_rec)
        if variant.encoder_code_term == "non_saturating":
            loss = loss + encoder_code_loss(C(codes))
        elif variant.encoder_code_term == "minimax":
            loss = loss - F.softplus(C(codes)).mean()
        return loss
    with _no_grad_if(variant.detach_for_g):
        codes = E(real) if variant.fresh_codes_for_g else start_codes
    reconstructions = G(codes)
    fakes = [G(noise)] + ([reconstructions] if variant.g_fools_with_reconstructions else [])
    loss = synthetic_likelihood_loss([D(fake) for fake in fakes])
    if variant.g_reconstructs:
        loss = loss + reconstruction_loss(real, reconstructions, lambda_rec)
    return loss


def run_variant(variant: StepVariant, case: StepCase):
    """The networks after one step written as ``variant`` says, from ``step_fixture(case)``."""
    networks, optimizers, real, noise = step_fixture(case)
    lambda_rec = case.lambda_rec if variant.uses_lambda else 1.0
    names = [LETTERS[letter] for letter in variant.order]
    with torch.no_grad():
        start_codes = networks.encoder(real)

    def loss(name):
        return _variant_loss(variant, name, networks, real, noise, lambda_rec, start_codes)

    def own(name):
        return list(getattr(networks, name).parameters())

    if variant.one_summed_loss:
        for optimizer in optimizers.values():
            optimizer.zero_grad()
        sum(loss(name) for name in names).backward()
        for name in names:
            optimizers[name].step()
        return networks
    if variant.simultaneous:
        for name in names:
            optimizers[name].zero_grad()
            loss(name).backward(inputs=own(name))
        for name in names:
            optimizers[name].step()
        return networks
    if variant.zero_grad == "at_start":
        for optimizer in optimizers.values():
            optimizer.zero_grad()
    for name in names:
        if variant.zero_grad == "before_each":
            optimizers[name].zero_grad()
        if variant.own_gradients_only:
            loss(name).backward(inputs=own(name))
        else:
            loss(name).backward()
        optimizers[name].step()
        if variant.zero_grad == "after_each":
            optimizers[name].zero_grad()
    return networks


def reference_step(case: StepCase):
    """The networks after ``gan_course.alpha_gan.alpha_gan_step`` from ``step_fixture(case)``."""
    networks, optimizers, real, noise = step_fixture(case)
    alpha_gan_step(networks, optimizers, HYBRIDS["α-GAN"], real, noise, case.lambda_rec)
    return networks


LEAK = ("a backward() adds gradients to every network its loss passes through, and an optimiser steps "
        "with whatever gradients its weights hold")
CLEAR = "clear each optimiser's gradients right before its own network's backward"


# the pairs whose losses involve each other: only their relative order changes the weights
INTERACTING = (("D", "G"), ("D", "E"), ("C", "E"), ("E", "G"))


def _order_key(order: str) -> tuple[bool, ...]:
    return tuple(order.index(first) < order.index(second) for first, second in INTERACTING)


def _order_variants() -> list[tuple[StepVariant, str]]:
    """One order per set of orders that give the same weights (C may swap with D or G: their
    losses do not involve each other), Algorithm 1's listing E, G, D, C first, the course's left out."""
    seen, variants = {_order_key("DCEG")}, []
    for order in ["EGDC"] + ["".join(order) for order in itertools.permutations("DCEG")]:
        if _order_key(order) in seen:
            continue
        seen.add(_order_key(order))
        listed = " (Algorithm 1 lists them so)" if order == "EGDC" else ""
        variants.append((StepVariant(order=order),
                         f"your step gives the weights of the order {', '.join(order)}{listed}; update D "
                         "and C first, then E, then G, each seeing the networks already updated in this "
                         "step (D before G, so that G follows a discriminator that has seen its latest "
                         "samples; C before E; E before G, whose reconstructions use the updated encoder)"))
    return variants


STEP_VARIANTS: list[tuple[StepVariant, str]] = [
    (StepVariant(one_summed_loss=True, detach_for_d=False, detach_for_c=False, detach_for_g=False),
     "you update all four networks with one summed loss; each network minimises its own loss with "
     "the others fixed (D would otherwise also minimise G's loss, helping G fool it)"),
    (StepVariant(simultaneous=True),
     "every gradient is taken at the weights the step started from; update the networks one after "
     "another, computing each loss after the updates before it (the same x and z throughout)"),
    (StepVariant(zero_grad="never", own_gradients_only=False),
     f"PyTorch adds new gradients to old ones (every parameter here starts with gradients left from an "
     f"earlier step, and {LEAK}): {CLEAR}"),
    (StepVariant(zero_grad="after_each", own_gradients_only=False),
     f"PyTorch adds new gradients to old ones (every parameter here starts with gradients left from an "
     f"earlier step, and {LEAK}): {CLEAR}"),
    (StepVariant(zero_grad="at_start", own_gradients_only=False),
     f"gradients leak between networks: {LEAK}; compute the fixed networks' outputs under "
     f"torch.no_grad() (or .detach()), and {CLEAR}"),
    (StepVariant(zero_grad="at_start", own_gradients_only=False, detach_for_d=False, detach_for_c=False,
                 detach_for_g=False),
     f"gradients leak between networks: {LEAK}; compute the fixed networks' outputs under "
     f"torch.no_grad() (or .detach()), and {CLEAR}"),
    (StepVariant(zero_grad="at_start", own_gradients_only=False, detach_for_c=False),
     f"C's loss reaches E through the codes: compute E(x) for C's update under torch.no_grad() (or "
     f".detach()), and {CLEAR}"),
    (StepVariant(zero_grad="at_start", own_gradients_only=False, detach_for_d=False),
     f"D's loss reaches G and E through the fakes: compute G(z) and G(E(x)) for D's update under "
     f"torch.no_grad() (or .detach()), and {CLEAR}"),
    (StepVariant(fresh_codes_for_g=False),
     "G's reconstructions use the codes from before E's update; recompute E(x), without gradient, "
     "after the encoder's step"),
    (StepVariant(d_sees_reconstructions=False),
     "D's fakes are both the samples G(z) and the reconstructions G(E(x))"),
    (StepVariant(g_fools_with_reconstructions=False),
     "G's synthetic likelihood covers both fakes, the samples G(z) and the reconstructions G(E(x))"),
    (StepVariant(g_reconstructs=False),
     "G also minimises the reconstruction λ‖x − G(E(x))‖₁, the auto-encoder's term"),
    (StepVariant(encoder_code_term="none"),
     "E also makes its codes look like prior samples to C: add encoder_code_loss(C(E(x)))"),
    (StepVariant(encoder_code_term="minimax"),
     "E minimises the non-saturating encoder_code_loss(C(E(x))) = E[−log C(E(x))], not minus C's loss"),
    (StepVariant(uses_lambda=False), "pass lambda_rec to both reconstruction terms, E's and G's"),
    *_order_variants(),
]
"""The common wrong steps, each with its hint; the first whose weights match the learner's wins."""

NETWORK_HINTS = {
    "discriminator": "D goes first and minimises image_discriminator_loss(D(x), [D(G(z)), D(G(E(x)))]) "
                     "with G and E fixed, stepping its own optimiser",
    "code_discriminator": "C minimises code_discriminator_loss(C(z), C(E(x))) with E fixed, stepping its "
                          "own optimiser",
    "encoder": "E minimises reconstruction_loss(x, G(E(x)), λ) + encoder_code_loss(C(E(x))) with the C "
               "just updated and G fixed, stepping its own optimiser",
    "generator": "G goes last and minimises reconstruction_loss(x, G(c), λ) + synthetic_likelihood_loss("
                 "[D(G(z)), D(G(c))]) with the codes c = E(x) of the updated encoder and the updated D "
                 "fixed, stepping its own optimiser",
}


def _same_weights(ours, theirs, name: str) -> bool:
    return all(torch.allclose(p, q, rtol=1e-7, atol=1e-10)
               for p, q in zip(getattr(ours, name).parameters(), getattr(theirs, name).parameters()))


def _differing(networks, expected) -> list[str]:
    return [name for name in UPDATE_ORDER if not _same_weights(networks, expected, name)]


def _step_hint(networks, case: StepCase, first_differing: str) -> str:
    for variant, hint in STEP_VARIANTS:
        if not _differing(networks, run_variant(variant, case)):
            return hint
    return NETWORK_HINTS[first_differing]


def check_alpha_gan_step(function, hidden: bool = False) -> None:
    """``function(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
    reconstruction_loss)`` must update D, C, E and G, in that order, each with its own optimiser
    and its own loss: the weights after it equal those after ``gan_course.alpha_gan.alpha_gan_step``
    on the same networks and batch. The course's own two losses are passed in."""
    name = getattr(function, "__name__", "alpha_gan_step")
    for case in HIDDEN_STEP_CASES if hidden else STEP_CASES:
        networks, optimizers, real, noise = step_fixture(case)
        before = copy.deepcopy(networks)
        _call(function, name, networks, optimizers, real, noise, case.lambda_rec,
              code_discriminator_loss, reconstruction_loss)
        unchanged = [n for n in UPDATE_ORDER if _same_weights(networks, before, n)]
        if unchanged:
            raise failed(f"after `{name}`, the weights of {', '.join(SYMBOLS[n] for n in unchanged)} are "
                         f"unchanged ({case.where}). Hint: update each of D, C, E and G: backward on its "
                         "loss, then its optimiser's step().")
        differing = _differing(networks, reference_step(case))
        if differing:
            symbols = ", ".join(SYMBOLS[n] for n in differing)
            raise failed(f"after `{name}`, the weights of {symbols} differ from one α-GAN step "
                         f"({case.where}). Hint: {_step_hint(networks, case, differing[0])}.")
    print(f"✓ `{name}` updates D, C, E and G, each with its own loss and optimiser, exactly as "
          f"gan_course.alpha_gan.alpha_gan_step does{' (hidden cases)' if hidden else ''}.")


__all__ = ["check_code_discriminator_loss", "check_reconstruction_loss", "check_alpha_gan_step"]
