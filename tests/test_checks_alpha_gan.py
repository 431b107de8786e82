"""Lesson 07's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import math

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks
from gan_course.alpha_gan import (
    encoder_code_loss,
    image_discriminator_loss,
    synthetic_likelihood_loss,
)
from gan_course.checks.alpha_gan import (
    HIDDEN_STEP_CASES,
    STEP_CASES,
    STEP_VARIANTS,
    reference_step,
    run_variant,
    step_fixture,
)

# --------------------------------------------------------------------------- Task 1: C's loss


def code_discriminator_loss(logits_prior, logits_codes):
    return F.softplus(-logits_prior).mean() + F.softplus(logits_codes).mean()


def softplus(value: float) -> float:
    return math.log1p(math.exp(value))


def test_code_discriminator_loss_golden_value():
    prior, codes = torch.tensor([[2.0], [-1.0]]), torch.tensor([[0.5], [-3.0], [1.0]])
    expected = (softplus(-2.0) + softplus(1.0)) / 2 + (softplus(0.5) + softplus(-3.0) + softplus(1.0)) / 3
    assert float(code_discriminator_loss(prior, codes)) == pytest.approx(expected, rel=1e-6)


def test_code_discriminator_loss_passes(capsys):
    checks.check_code_discriminator_loss(code_discriminator_loss)
    checks.check_code_discriminator_loss(code_discriminator_loss, hidden=True)
    assert "✓" in capsys.readouterr().out


def swapped_as_in_arxiv_v1(logits_prior, logits_codes):
    return F.softplus(logits_prior).mean() + F.softplus(-logits_codes).mean()


def with_probabilities(logits_prior, logits_codes):
    return (-torch.log(torch.sigmoid(logits_prior)).mean()
            - torch.log(1 - torch.sigmoid(logits_codes)).mean())


def binary_cross_entropy_with_labels_swapped(logits_prior, logits_codes):
    bce = F.binary_cross_entropy_with_logits
    return (bce(logits_prior, torch.zeros_like(logits_prior))
            + bce(logits_codes, torch.ones_like(logits_codes)))


def mean_over_both_batches(logits_prior, logits_codes):
    return F.softplus(torch.cat([-logits_prior, logits_codes])).mean()


def summed_over_the_batch(logits_prior, logits_codes):
    return F.softplus(-logits_prior).sum() + F.softplus(logits_codes).sum()


def the_encoders_loss(logits_prior, logits_codes):
    return F.softplus(-logits_codes).mean()


def both_called_real(logits_prior, logits_codes):
    return F.softplus(-logits_prior).mean() + F.softplus(-logits_codes).mean()


def log_likelihood_not_loss(logits_prior, logits_codes):
    return -code_discriminator_loss(logits_prior, logits_codes)


def as_a_float(logits_prior, logits_codes):
    return code_discriminator_loss(logits_prior, logits_codes).item()


@pytest.mark.parametrize("wrong, words", [
    (swapped_as_in_arxiv_v1, "swapped \\(as in eqs 16–17 of arXiv v1"),
    (binary_cross_entropy_with_labels_swapped, "swapped"),
    (with_probabilities, "write the loss with logits"),
    (mean_over_both_batches, "average each term over its own batch"),
    (summed_over_the_batch, "not a sum"),
    (the_encoders_loss, "that is the encoder's loss"),
    (both_called_real, "the codes E\\(x\\) are C's \"fake\" class"),
    (log_likelihood_not_loss, "minus the loss"),
    (as_a_float, "no .item\\(\\)"),
    (lambda prior, codes: code_discriminator_loss(prior, codes.detach()),
     "no gradient reaches logits_codes"),
])
def test_code_discriminator_loss_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_code_discriminator_loss(wrong)


def test_a_blank_task_says_it_is_not_implemented():
    def blank(logits_prior, logits_codes):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        checks.check_code_discriminator_loss(blank)


# --------------------------------------------------------------------------- Task 2: reconstruction


def reconstruction_loss(real, reconstructions, lambda_rec):
    return lambda_rec * (real - reconstructions).abs().flatten(1).sum(1).mean()


def test_reconstruction_loss_golden_value_on_images():
    real = torch.zeros(2, 1, 2, 2)
    reconstructions = torch.tensor([[[[1.0, -1.0], [0.5, 0.0]]], [[[0.0, 0.0], [0.0, -2.0]]]])
    # ‖·‖₁ = 2.5 and 2: mean 2.25, times λ = 2
    assert float(reconstruction_loss(real, reconstructions, 2.0)) == pytest.approx(4.5)


def test_reconstruction_loss_passes(capsys):
    checks.check_reconstruction_loss(reconstruction_loss)
    checks.check_reconstruction_loss(reconstruction_loss, hidden=True)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (lambda x, r, lam: lam * F.l1_loss(r, x), "a mean over the coordinates"),
    (lambda x, r, lam: lam * (x - r).pow(2).flatten(1).sum(1).mean(), "squared L2 error"),
    (lambda x, r, lam: lam * F.mse_loss(r, x), "mean squared error"),
    (lambda x, r, lam: lam * (x - r).flatten(1).norm(dim=1).mean(), "the L2 norm"),
    (lambda x, r, lam: (x - r).abs().flatten(1).sum(1).mean(), "multiply by λ = 3"),
    (lambda x, r, lam: (x - r).abs().flatten(1).sum(1).mean() / lam, "do not divide"),
    (lambda x, r, lam: lam * F.l1_loss(r, x, reduction="sum"), "do not sum over it"),
    (lambda x, r, lam: lam * (x - r).abs().sum(-1).mean(), "not only the last dimension"),
    (lambda x, r, lam: lam * (x - r).flatten(1).sum(1).mean(), "take absolute values"),
    (lambda x, r, lam: lam * (x - r).abs().flatten(1).sum(1), "one value per example"),
    (lambda x, r, lam: lam * (x - r).abs(), "one value per coordinate"),
])
def test_reconstruction_loss_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_reconstruction_loss(wrong)


# --------------------------------------------------------------------------- Task 3: one step


def update(optimizer, loss):
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def alpha_gan_step(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss):
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    with torch.no_grad():
        codes = E(real)
        fakes = [G(noise), G(codes)]
    update(optimizers["discriminator"], image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))
    codes = E(real)
    update(optimizers["encoder"],
           reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    with torch.no_grad():
        codes = E(real)
    reconstructions = G(codes)
    update(optimizers["generator"], reconstruction_loss(real, reconstructions, lambda_rec)
           + synthetic_likelihood_loss([D(G(noise)), D(reconstructions)]))


def test_alpha_gan_step_passes(capsys):
    checks.check_alpha_gan_step(alpha_gan_step)
    checks.check_alpha_gan_step(alpha_gan_step, hidden=True)
    assert "✓" in capsys.readouterr().out


def test_every_wrong_variant_changes_the_weights_and_gets_its_own_hint():
    """Each listed mistake is visible in the visible case, and no earlier variant shadows it."""
    from gan_course.checks.alpha_gan import _differing

    case = STEP_CASES[0]
    expected = reference_step(case)
    results = [run_variant(variant, case) for variant, _ in STEP_VARIANTS]
    for index, (networks, (variant, hint)) in enumerate(zip(results, STEP_VARIANTS)):
        assert _differing(networks, expected), variant
        for earlier, (other, other_hint) in zip(results[:index], STEP_VARIANTS):
            assert _differing(networks, earlier) or hint == other_hint, (variant, other)


def test_the_right_variant_is_the_reference_in_every_case():
    from gan_course.checks.alpha_gan import StepVariant, _differing

    for case in STEP_CASES + HIDDEN_STEP_CASES:
        assert not _differing(run_variant(StepVariant(), case), reference_step(case)), case.where


def one_summed_loss(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                    reconstruction_loss):
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    codes = E(real)
    reconstructions, samples = G(codes), G(noise)
    total = (image_discriminator_loss(D(real), [D(samples), D(reconstructions)])
             + code_discriminator_loss(C(noise), C(codes))
             + reconstruction_loss(real, reconstructions, lambda_rec) + encoder_code_loss(C(codes))
             + reconstruction_loss(real, reconstructions, lambda_rec)
             + synthetic_likelihood_loss([D(samples), D(reconstructions)]))
    for optimizer in optimizers.values():
        optimizer.zero_grad()
    total.backward()
    for optimizer in optimizers.values():
        optimizer.step()


def zero_once_and_leak(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                       reconstruction_loss):
    """Gradients cleared once at the start, codes not detached for C: C's loss reaches E."""
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    for optimizer in optimizers.values():
        optimizer.zero_grad()
    with torch.no_grad():
        fakes = [G(noise), G(E(real))]
    image_discriminator_loss(D(real), [D(fake) for fake in fakes]).backward()
    optimizers["discriminator"].step()
    code_discriminator_loss(C(noise), C(E(real))).backward()
    optimizers["code_discriminator"].step()
    codes = E(real)
    (reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes))).backward()
    optimizers["encoder"].step()
    reconstructions = G(E(real).detach())
    (reconstruction_loss(real, reconstructions, lambda_rec)
     + synthetic_likelihood_loss([D(G(noise)), D(reconstructions)])).backward()
    optimizers["generator"].step()


def step_then_zero(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss):
    """zero_grad after step: the first backward of each network adds to stale gradients."""
    def update_then_clear(optimizer, loss):
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    with torch.no_grad():
        codes = E(real)
        fakes = [G(noise), G(codes)]
    update_then_clear(optimizers["discriminator"], image_discriminator_loss(D(real), [D(f) for f in fakes]))
    update_then_clear(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))
    codes = E(real)
    update_then_clear(optimizers["encoder"],
                      reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    with torch.no_grad():
        codes = E(real)
    update_then_clear(optimizers["generator"], reconstruction_loss(real, G(codes), lambda_rec)
                      + synthetic_likelihood_loss([D(G(noise)), D(G(codes))]))


def algorithm_1_order(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                      reconstruction_loss):
    """E, G, D, C as Algorithm 1 lists them, each update otherwise right."""
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    codes = E(real)
    update(optimizers["encoder"],
           reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    with torch.no_grad():
        codes = E(real)
    update(optimizers["generator"], reconstruction_loss(real, G(codes), lambda_rec)
           + synthetic_likelihood_loss([D(G(noise)), D(G(codes))]))
    with torch.no_grad():
        fakes = [G(noise), G(codes)]
    update(optimizers["discriminator"], image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))


def stale_codes_for_g(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                      reconstruction_loss):
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    with torch.no_grad():
        fixed_codes = E(real)
        fakes = [G(noise), G(fixed_codes)]
    update(optimizers["discriminator"], image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(fixed_codes)))
    codes = E(real)
    update(optimizers["encoder"],
           reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    update(optimizers["generator"], reconstruction_loss(real, G(fixed_codes), lambda_rec)
           + synthetic_likelihood_loss([D(G(noise)), D(G(fixed_codes))]))


def one_forward_pass(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                     reconstruction_loss):
    """The graph of the first forward pass reused after the networks changed in place."""
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    codes = E(real)
    reconstructions, samples = G(codes), G(noise)
    update(optimizers["discriminator"], image_discriminator_loss(
        D(real), [D(samples.detach()), D(reconstructions.detach())]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes.detach())))
    update(optimizers["encoder"], reconstruction_loss(real, reconstructions, lambda_rec)
           + encoder_code_loss(C(codes)))
    update(optimizers["generator"], reconstruction_loss(real, reconstructions, lambda_rec)
           + synthetic_likelihood_loss([D(samples), D(reconstructions)]))


def without_lambda(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss):
    alpha_gan_step(networks, optimizers, real, noise, 1.0, code_discriminator_loss, reconstruction_loss)


def encoder_without_code_term(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                              reconstruction_loss):
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    with torch.no_grad():
        codes = E(real)
        fakes = [G(noise), G(codes)]
    update(optimizers["discriminator"], image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))
    update(optimizers["encoder"], reconstruction_loss(real, G(E(real)), lambda_rec))
    with torch.no_grad():
        codes = E(real)
    update(optimizers["generator"], reconstruction_loss(real, G(codes), lambda_rec)
           + synthetic_likelihood_loss([D(G(noise)), D(G(codes))]))


def only_samples_fool_d(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                        reconstruction_loss):
    G, E, D, C = networks.generator, networks.encoder, networks.discriminator, networks.code_discriminator
    with torch.no_grad():
        codes = E(real)
        fakes = [G(noise), G(codes)]
    update(optimizers["discriminator"], image_discriminator_loss(D(real), [D(fake) for fake in fakes]))
    update(optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))
    codes = E(real)
    update(optimizers["encoder"],
           reconstruction_loss(real, G(codes), lambda_rec) + encoder_code_loss(C(codes)))
    with torch.no_grad():
        codes = E(real)
    update(optimizers["generator"], reconstruction_loss(real, G(codes), lambda_rec)
           + synthetic_likelihood_loss([D(G(noise))]))


def no_update_of_c(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss):
    C = networks.code_discriminator
    state = {key: value.clone() for key, value in C.state_dict().items()}
    alpha_gan_step(networks, optimizers, real, noise, lambda_rec, code_discriminator_loss,
                   reconstruction_loss)
    C.load_state_dict(state)


@pytest.mark.parametrize("wrong, words", [
    (one_summed_loss, "one summed loss"),
    (zero_once_and_leak, "C's loss reaches E through the codes"),
    (step_then_zero, "PyTorch adds new gradients to old ones"),
    (algorithm_1_order, "the order E, G, D, C \\(Algorithm 1"),
    (stale_codes_for_g, "codes from before E's update"),
    (one_forward_pass, "backward through the graph.*fresh forward pass"),
    (without_lambda, "pass lambda_rec to both"),
    (encoder_without_code_term, "add encoder_code_loss"),
    (only_samples_fool_d, "G's synthetic likelihood covers both fakes"),
    (no_update_of_c, "the weights of C are unchanged"),
])
def test_alpha_gan_step_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_alpha_gan_step(wrong)


def test_the_step_fixture_holds_stale_gradients_and_is_reproducible():
    first, second = step_fixture(STEP_CASES[0]), step_fixture(STEP_CASES[0])
    for p, q in zip(first[0].generator.parameters(), second[0].generator.parameters()):
        assert torch.equal(p, q) and torch.equal(p.grad, torch.ones_like(p))
    assert torch.equal(first[2], second[2]) and torch.equal(first[3], second[3])
