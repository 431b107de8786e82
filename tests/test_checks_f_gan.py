"""Lesson 02's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import pytest
import torch
import torch.nn.functional as F

from gan_course import checks


def one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


def kl_conjugate(t):
    return torch.exp(t - 1)


def gan_conjugate(t):
    return -torch.log(-torch.expm1(t))


def reverse_kl_optimal_critic(log_r):
    return -torch.exp(-log_r)


def variational_bound(activation, conjugate, real, fake):
    return activation(real).mean() - conjugate(activation(fake)).mean()


def blank(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("hidden", [False, True])
def test_right_answers_pass(hidden, capsys):
    checks.check_conjugate(kl_conjugate, "kl", hidden=hidden)
    checks.check_conjugate(gan_conjugate, "gan", hidden=hidden)
    checks.check_activation(F.logsigmoid, "gan", hidden=hidden)
    checks.check_activation(lambda v: -F.softplus(-v), "gan", hidden=hidden)
    checks.check_optimal_critic(reverse_kl_optimal_critic, "reverse_kl", hidden=hidden)
    checks.check_variational_bound(variational_bound, hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 6


def test_trained_bound_check():
    checks.check_trained_bound(0.34, 0.35)
    with pytest.raises(checks.CheckFailed, match="exceeds"):
        checks.check_trained_bound(0.36, 0.35)
    with pytest.raises(checks.CheckFailed, match="more than"):
        checks.check_trained_bound(0.2, 0.35)


@pytest.mark.parametrize("check", [
    lambda f: checks.check_conjugate(f, "kl"), lambda f: checks.check_activation(f, "gan"),
    lambda f: checks.check_optimal_critic(f, "reverse_kl"), checks.check_variational_bound])
def test_blank_answers_say_not_implemented(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(blank)


# --------------------------------------------------------------------------- conjugates


@pytest.mark.parametrize("wrong, divergence, words", [
    (lambda t: torch.exp(t), "kl", "not log u alone"),
    (lambda t: torch.exp(t + 1), "kl", "the sign of the constant"),
    (lambda t: -torch.exp(t - 1), "kl", "the sign"),
    (lambda t: torch.exp(t - 1).mean(), "kl", "elementwise"),
    (lambda t: torch.exp(t - 1).tolist(), "kl", "returned list"),
    (lambda t: torch.log(-torch.expm1(t)), "gan", "the sign"),
    (lambda t: torch.exp(t) / -torch.expm1(t), "gan", "that is the maximiser u"),
    # the plain formula the task warns against: 1 − e^t cancels near t = 0 in float32
    (lambda t: -torch.log(1 - torch.exp(t)), "gan", "cancels when t is near 0"),
    (lambda t: -torch.log1p(-torch.exp(t)), "gan", "cancels when t is near 0"),
])
def test_conjugate_mistakes_fail_the_visible_check(wrong, divergence, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_conjugate(wrong, divergence)
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- the GAN activation


@pytest.mark.parametrize("wrong, words", [
    (lambda v: -torch.log(1 + torch.exp(-v)), "not for large |v|"),  # e^{200} overflows
    (lambda v: torch.log(torch.sigmoid(v)), "not for large |v|"),  # σ(−200) underflows to 0
    (lambda v: F.logsigmoid(-v), "must increase with v"),
    (lambda v: F.softplus(-v), "the sign"),
    (torch.sigmoid, "that is D = σ(v) itself"),
    (lambda v: F.logsigmoid(v).sum(), "elementwise"),
])
def test_activation_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_activation(wrong, "gan")
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- the optimal critic


@pytest.mark.parametrize("wrong, words", [
    (lambda log_r: torch.exp(-log_r), "the sign"),
    (lambda log_r: -torch.exp(log_r), "which way up the ratio is"),
    (lambda log_r: torch.exp(log_r), "that is r itself"),
    (lambda log_r: -1 / log_r, "exponentiate it first"),
    (lambda log_r: -torch.exp(-log_r).mean(), "elementwise"),
])
def test_optimal_critic_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_optimal_critic(wrong, "reverse_kl")
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- the bound


@pytest.mark.parametrize("wrong, words", [
    (lambda g, c, r, f: c(g(f)).mean() - g(r).mean(), "the sign"),
    (lambda g, c, r, f: r.mean() - c(f).mean(), "must pass through the activation"),
    (lambda g, c, r, f: g(r).mean() - c(f).mean(), "must pass through the activation"),
    (lambda g, c, r, f: r.mean() - c(g(f)).mean(), "the real outputs, too"),
    (lambda g, c, r, f: g(r).sum() - c(g(f)).sum(), "not a sum"),
    (lambda g, c, r, f: g(f).mean() - c(g(r)).mean(), "swapped"),
    (lambda g, c, r, f: (g(r) - c(g(f))).mean(), "raised RuntimeError"),  # pairs batches of 5 and 3
    (lambda g, c, r, f: g(r) - c(g(f)).mean(), "one number"),
    (lambda g, c, r, f: variational_bound(g, c, r, f).item(), "detached"),
    (lambda g, c, r, f: variational_bound(g, c, r, f).detach(), "detached"),
    (lambda g, c, r, f: variational_bound(g, c, r, f.detach()), "no gradient reaches v_fake"),
])
def test_bound_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_variational_bound(wrong)
    assert words in one_sentence(failed.value)
