"""Lesson 03's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import pytest
import torch

from gan_course import checks
from gan_course.divergences import kernels, mmd
from gan_course.divergences import ratio_matching as rm


def one_sentence(error: BaseException) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    return message


def lsif_loss(log_ratio_real, log_ratio_fake):
    return 0.5 * torch.exp(2 * log_ratio_fake).mean() - torch.exp(log_ratio_real).mean() + 0.5


def ulsif_weights(kernel_real, kernel_fake, regularisation):
    h_matrix = kernel_fake.T @ kernel_fake / kernel_fake.shape[0]
    identity = torch.eye(h_matrix.shape[0], dtype=h_matrix.dtype)
    return torch.linalg.solve(h_matrix + regularisation * identity, kernel_real.mean(dim=0))


def gaussian_kernel(x, y, bandwidth):
    return torch.exp(-torch.cdist(x, y) ** 2 / (2 * bandwidth**2))


def unbiased_mmd2(kernel, x, y, bandwidth):
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy = kernel(x, x, bandwidth), kernel(y, y, bandwidth)
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
    return within_x + within_y - 2 * kernel(x, y, bandwidth).mean()


def blank(*args):
    raise NotImplementedError()


@pytest.mark.parametrize("hidden", [False, True])
def test_right_answers_and_the_package_pass(hidden, capsys):
    checks.check_lsif_loss(lsif_loss, hidden=hidden)
    checks.check_lsif_loss(rm.lsif_loss, hidden=hidden)
    checks.check_ulsif_weights(ulsif_weights, hidden=hidden)
    checks.check_ulsif_weights(rm.ulsif_weights, hidden=hidden)
    checks.check_gaussian_kernel(gaussian_kernel, hidden=hidden)
    checks.check_gaussian_kernel(kernels.gaussian_kernel, hidden=hidden)
    checks.check_unbiased_mmd2(unbiased_mmd2, hidden=hidden)
    checks.check_unbiased_mmd2(lambda kernel, x, y, s: mmd.mmd2_unbiased(x, y, s) + 0 * kernel(x, y, s).sum(),
                               hidden=hidden)
    assert capsys.readouterr().out.count("✓") == 8


@pytest.mark.parametrize("check", [checks.check_lsif_loss, checks.check_ulsif_weights,
                                   checks.check_gaussian_kernel, checks.check_unbiased_mmd2])
def test_blank_answers_say_not_implemented(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(blank)


# --------------------------------------------------------------------------- LSIF


@pytest.mark.parametrize("wrong, words", [
    (lambda real, fake: lsif_loss(real, fake) - 0.5, "constant ½"),
    (lambda real, fake: 0.5 * fake.pow(2).mean() - real.mean() + 0.5, "r = exp(l)"),
    (lambda real, fake: lsif_loss(fake, real), "swapped"),
    (lambda real, fake: 0.5 * torch.exp(2 * fake).sum() - torch.exp(real).sum() + 0.5, "not a sum"),
    (lambda real, fake: -lsif_loss(real, fake), "the sign"),
    (lambda real, fake: 0.5 * torch.exp(fake).mean() - torch.exp(real).mean() + 0.5, "square of the ratio"),
    (lambda real, fake: 0.5 * torch.exp(2 * fake) - torch.exp(real).mean() + 0.5, "one number"),
])
def test_lsif_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_lsif_loss(wrong)
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- uLSIF


def summed_h(kernel_real, kernel_fake, regularisation):
    h_matrix = kernel_fake.T @ kernel_fake
    identity = torch.eye(h_matrix.shape[0], dtype=h_matrix.dtype)
    return torch.linalg.solve(h_matrix + regularisation * identity, kernel_real.mean(dim=0))


def summed_vector(kernel_real, kernel_fake, regularisation):
    h_matrix = kernel_fake.T @ kernel_fake / kernel_fake.shape[0]
    identity = torch.eye(h_matrix.shape[0], dtype=h_matrix.dtype)
    return torch.linalg.solve(h_matrix + regularisation * identity, kernel_real.sum(dim=0))


@pytest.mark.parametrize("wrong, words", [
    (lambda kr, kf, lam: ulsif_weights(kr, kf, lam).clamp_min(0.0), "unconstrained solution"),
    (lambda kr, kf, lam: ulsif_weights(kf, kr, lam), "simulated samples"),
    (lambda kr, kf, lam: ulsif_weights(kr, kf, 0.0), "add λ times the identity"),
    (summed_h, "Ĥ is an average"),
    (summed_vector, "ĥ is an average"),
    (lambda kr, kf, lam: ulsif_weights(kr, kf, lam)[:, None], "a column"),
    (lambda kr, kf, lam: ulsif_weights(kr, kf, lam).tolist(), "got list"),
])
def test_ulsif_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_ulsif_weights(wrong)
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- the Gaussian kernel


@pytest.mark.parametrize("wrong, words", [
    (lambda x, y, s: torch.exp(-torch.cdist(x, y) ** 2 / s**2), "2σ², not σ²"),
    (lambda x, y, s: torch.exp(-torch.cdist(x, y) / (2 * s**2)), "square the distances"),
    (lambda x, y, s: torch.exp(-torch.cdist(x, y) ** 2 / (2 * s)), "needs its square"),
    (lambda x, y, s: torch.exp(torch.cdist(x, y) ** 2 / (2 * s**2)), "the sign"),
    (lambda x, y, s: gaussian_kernel(y, x, s), "rows and columns are swapped"),
    (lambda x, y, s: gaussian_kernel(x, y, s).mean(), "matrix"),
])
def test_kernel_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_gaussian_kernel(wrong)
    assert words in one_sentence(failed.value)


# --------------------------------------------------------------------------- the unbiased MMD²


def with_diagonal(kernel, x, y, s):
    m, n = x.shape[0], y.shape[0]
    return (kernel(x, x, s).sum() / (m * (m - 1)) + kernel(y, y, s).sum() / (n * (n - 1))
            - 2 * kernel(x, y, s).mean())


def over_all_pairs(kernel, x, y, s):
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy = kernel(x, x, s), kernel(y, y, s)
    return ((k_xx.sum() - k_xx.diagonal().sum()) / m**2 + (k_yy.sum() - k_yy.diagonal().sum()) / n**2
            - 2 * kernel(x, y, s).mean())


def one_cross_term(kernel, x, y, s):
    return unbiased_mmd2(kernel, x, y, s) + kernel(x, y, s).mean()


def its_own_wrong_kernel(kernel, x, y, s):
    """Ignores the kernel it is given and uses a wrong one of its own."""
    return unbiased_mmd2(lambda a, b, s: torch.exp(-torch.cdist(a, b) ** 2 / s**2), x, y, s)


@pytest.mark.parametrize("wrong, words", [
    (lambda kernel, x, y, s: mmd.mmd2_biased(x, y, s) + 0 * kernel(x, y, s).sum(), "biased estimate"),
    (with_diagonal, "must leave out i = j too"),
    (over_all_pairs, "average over the pairs that are left"),
    (one_cross_term, "appears twice"),
    (lambda kernel, x, y, s: unbiased_mmd2(kernel, x, y, s).sqrt(), "no square root"),
    (lambda kernel, x, y, s: unbiased_mmd2(kernel, x, y, s).clamp_min(0).sqrt(), "MMD² compares"),
    (its_own_wrong_kernel, "never calls the kernel it is given"),
    (lambda kernel, x, y, s: unbiased_mmd2(gaussian_kernel, x, y, s), "never calls the kernel"),
])
def test_mmd2_mistakes_fail_the_visible_check(wrong, words):
    with pytest.raises(checks.CheckFailed) as failed:
        checks.check_unbiased_mmd2(wrong)
    assert words in one_sentence(failed.value)


def test_the_mmd2_check_does_not_depend_on_the_learners_kernel(capsys):
    """A right MMD² passes even where the learner's own kernel (the task before) is wrong."""
    checks.check_unbiased_mmd2(unbiased_mmd2, hidden=True)
    assert "✓" in capsys.readouterr().out
