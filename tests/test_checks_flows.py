"""Lesson 06's checks: right answers pass, the common wrong ones fail the VISIBLE check with a
sentence that points at the mistake."""

import math

import pytest
import torch

from gan_course import checks
from gan_course.checks.flows import _coupling_cases, _s_and_t
from gan_course.metrics.likelihood import bits_per_dim as package_bits_per_dim

# --------------------------------------------------------------------------- the coupling, encode


def coupling_encode(x, b, s, t):
    scale, shift = s(b * x), t(b * x)
    return b * x + (1 - b) * (x * torch.exp(scale) + shift), ((1 - b) * scale).sum(1)


def log_det_over_all_coordinates(x, b, s, t):
    y, _ = coupling_encode(x, b, s, t)
    return y, s(b * x).sum(1)


def exp_of_minus_s(x, b, s, t):
    scale, shift = s(b * x), t(b * x)
    return b * x + (1 - b) * (x * torch.exp(-scale) + shift), -((1 - b) * scale).sum(1)


def s_and_t_of_x(x, b, s, t):
    scale, shift = s(x), t(x)
    return b * x + (1 - b) * (x * torch.exp(scale) + shift), ((1 - b) * scale).sum(1)


def log_det_per_coordinate(x, b, s, t):
    y, _ = coupling_encode(x, b, s, t)
    return y, (1 - b) * s(b * x)


def log_det_sign(x, b, s, t):
    y, log_det = coupling_encode(x, b, s, t)
    return y, -log_det


def mask_swapped(x, b, s, t):
    return coupling_encode(x, 1 - b, s, t)


def shift_before_scale(x, b, s, t):
    scale, shift = s(b * x), t(b * x)
    return b * x + (1 - b) * ((x + shift) * torch.exp(scale)), ((1 - b) * scale).sum(1)


def log_det_as_mean(x, b, s, t):
    y, _ = coupling_encode(x, b, s, t)
    return y, ((1 - b) * s(b * x)).mean(1)


def test_coupling_encode_passes_and_is_the_package_layer(capsys):
    checks.check_coupling_encode(coupling_encode)
    checks.check_coupling_encode(coupling_encode, hidden=True)
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, words", [
    (log_det_over_all_coordinates, "multiply s by \\(1 − b\\)"),
    (exp_of_minus_s, "exp\\(−s\\) belongs"),
    (s_and_t_of_x, "must see only b⊙x"),
    (log_det_per_coordinate, "one number per example"),
    (log_det_sign, "the sign"),
    (mask_swapped, "where b = 1 pass through unchanged"),
    (shift_before_scale, "scale first, then shift"),
    (log_det_as_mean, "not a mean"),
])
def test_coupling_encode_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_coupling_encode(wrong)


def test_coupling_encode_asks_for_a_pair():
    with pytest.raises(checks.CheckFailed, match="pair"):
        checks.check_coupling_encode(lambda x, b, s, t: x)


def test_a_blank_coupling_says_it_is_not_implemented():
    def blank(x, b, s, t):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError, match="not implemented yet"):
        checks.check_coupling_encode(blank)


def test_the_cases_test_something():
    """s and t are far from 0 and depend on every coordinate, so each mistake changes the answer."""
    for hidden in (False, True):
        for _, x, b, coupling in _coupling_cases(hidden):
            s, t = _s_and_t(coupling)
            assert s(b * x).abs().min() > 1e-3 and t(b * x).abs().min() > 1e-3
            assert not torch.allclose(s(b * x), s(x))


# --------------------------------------------------------------------------- the coupling, inverse


def coupling_inverse(y, b, s, t):
    return b * y + (1 - b) * ((y - t(b * y)) * torch.exp(-s(b * y)))


def divide_then_subtract(y, b, s, t):
    return b * y + (1 - b) * (y * torch.exp(-s(b * y)) - t(b * y))


def exp_of_plus_s(y, b, s, t):
    return b * y + (1 - b) * ((y - t(b * y)) * torch.exp(s(b * y)))


def s_and_t_of_y(y, b, s, t):
    return b * y + (1 - b) * ((y - t(y)) * torch.exp(-s(y)))


def test_coupling_inverse_passes_and_undoes_encode(capsys):
    checks.check_coupling_inverse(coupling_inverse)
    checks.check_coupling_inverse(coupling_inverse, hidden=True)
    assert "✓" in capsys.readouterr().out
    _, x, b, coupling = _coupling_cases(hidden=False)[1]
    s, t = _s_and_t(coupling)
    y, _ = coupling_encode(x, b, s, t)
    assert torch.allclose(coupling_inverse(y, b, s, t), x, atol=1e-12)


@pytest.mark.parametrize("wrong, words", [
    (divide_then_subtract, "subtract t before undoing the scale"),
    (exp_of_plus_s, "not exp\\(\\+s\\)"),
    (s_and_t_of_y, "computed from b⊙y"),
    (lambda y, b, s, t: coupling_inverse(y, 1 - b, s, t), "where b = 1 pass through unchanged"),
])
def test_coupling_inverse_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_coupling_inverse(wrong)


# --------------------------------------------------------------------------- bits per dimension


def bits_per_dim(log_likelihood, dims, bin_width):
    return -(log_likelihood + dims * math.log(bin_width)) / (dims * math.log(2))


def forgets_the_jacobian(log_likelihood, dims, bin_width):
    return -log_likelihood / (dims * math.log(2))


def in_nats(log_likelihood, dims, bin_width):
    return -(log_likelihood + dims * math.log(bin_width)) / dims


def divides_by_d_twice(log_likelihood, dims, bin_width):
    return bits_per_dim(log_likelihood, dims, bin_width) / dims


def per_image(log_likelihood, dims, bin_width):
    return -(log_likelihood + dims * math.log(bin_width)) / math.log(2)


def wrong_sign(log_likelihood, dims, bin_width):
    return (log_likelihood + dims * math.log(bin_width)) / (dims * math.log(2))


def jacobian_sign(log_likelihood, dims, bin_width):
    return -(log_likelihood - dims * math.log(bin_width)) / (dims * math.log(2))


def one_log_delta(log_likelihood, dims, bin_width):
    return -(log_likelihood + math.log(bin_width)) / (dims * math.log(2))


def averaged(log_likelihood, dims, bin_width):
    return bits_per_dim(log_likelihood, dims, bin_width).mean()


def test_bits_per_dim_passes_and_agrees_with_the_package(capsys):
    checks.check_bits_per_dim(bits_per_dim)
    checks.check_bits_per_dim(bits_per_dim, hidden=True)
    assert "✓" in capsys.readouterr().out
    log_likelihood = torch.randn(4, dtype=torch.float64) * 100
    assert torch.allclose(bits_per_dim(log_likelihood, 64, 2 / 256),
                          package_bits_per_dim(log_likelihood, 64, 2 / 256))


def test_a_uniform_model_scores_8_bits_per_dim():
    """The anchor the lesson's written question rests on: uniform on [0, 1)^D or [−1, 1)^D."""
    assert bits_per_dim(torch.tensor([0.0]), 784, 1 / 256).item() == pytest.approx(8.0)
    assert bits_per_dim(torch.tensor([-3072 * math.log(2)]), 3072, 2 / 256).item() == pytest.approx(8.0)


@pytest.mark.parametrize("wrong, words", [
    (forgets_the_jacobian, "D log Δ term is missing \\(yours are 8 bits/dim too low"),
    (in_nats, "nats per dimension"),
    (divides_by_d_twice, "divide by D twice"),
    (per_image, "bits per image"),
    (wrong_sign, "the sign"),
    (jacobian_sign, "wrong sign"),
    (one_log_delta, "D log Δ, not log Δ"),
    (averaged, "do not average"),
])
def test_bits_per_dim_catches_the_common_mistakes(wrong, words):
    with pytest.raises(checks.CheckFailed, match=words):
        checks.check_bits_per_dim(wrong)


def test_a_python_list_is_read_as_one_value_per_image(capsys):
    checks.check_bits_per_dim(lambda ll, dims, width: bits_per_dim(ll, dims, width).tolist())
    assert "✓" in capsys.readouterr().out
