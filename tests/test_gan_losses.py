"""gan_course.gan_losses: golden values, stability at extreme logits, gradients, the registry.

The golden values were computed with NumPy from each loss's probability form
(D = σ(l), e.g. -log D and log(1 - D)), not from the package's logit form; the
NumPy reference below recomputes them so that a wrong literal would show too.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gan_course.gan_losses import (
    GAN_LOSSES,
    generator_loss_curve,
    get_gan_loss,
    minimax,
    non_saturating,
)
from gan_course.losses import Loss

LOGITS_REAL = [-2.0, 0.0, 1.5]
LOGITS_FAKE = [-1.0, 0.5, 3.0]

# (discriminator loss, generator loss) on LOGITS_REAL, LOGITS_FAKE
GOLDEN = {
    "minimax": (2.4524714976, -1.4453086744),
    "non_saturating": (2.4524714976, 0.6119753411),
    "least_squares": (3.4166666667, 1.3750000000),
    "hinge": (3.1666666667, -0.8333333333),
    "wasserstein": (1.0000000000, -0.8333333333),
}


def _d(logits):
    return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def reference(name, logits_real, logits_fake):
    """(D loss, G loss) from the papers' formulas, in NumPy."""
    real, fake = np.asarray(logits_real, float), np.asarray(logits_fake, float)
    bernoulli = np.mean(-np.log(_d(real))) + np.mean(-np.log(1 - _d(fake)))
    return {
        "minimax": (bernoulli, np.mean(np.log(1 - _d(fake)))),
        "non_saturating": (bernoulli, np.mean(-np.log(_d(fake)))),
        "least_squares": (0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake**2),
                          0.5 * np.mean((fake - 1) ** 2)),
        "hinge": (np.mean(np.maximum(0, 1 - real)) + np.mean(np.maximum(0, 1 + fake)), -np.mean(fake)),
        "wasserstein": (np.mean(fake) - np.mean(real), -np.mean(fake)),
    }[name]


def call(name, real=LOGITS_REAL, fake=LOGITS_FAKE, requires_grad=False):
    logits_real = torch.tensor(real, dtype=torch.float64, requires_grad=requires_grad)
    logits_fake = torch.tensor(fake, dtype=torch.float64, requires_grad=requires_grad)
    return GAN_LOSSES[name](logits_real, logits_fake), logits_real, logits_fake


def test_registry_has_the_five_losses_and_the_f_gan_family():
    # lesson 02 adds one "fgan_<f>" loss (and its "_alternative") per row of the f table
    assert {name for name in GAN_LOSSES if not name.startswith("fgan_")} == set(GOLDEN)


@pytest.mark.parametrize("name", GOLDEN)
def test_the_generator_objective_needs_no_real_logits(name):
    loss, _, _ = call(name)
    alone = GAN_LOSSES[name](None, torch.tensor(LOGITS_FAKE, dtype=torch.float64))
    assert alone.discriminator is None
    assert float(alone.generator) == float(loss.generator)
    assert float(alone.parts["fake"]) == float(loss.parts["fake"])


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_values(name):
    loss, _, _ = call(name)
    assert isinstance(loss, Loss)
    expected_disc, expected_gen = GOLDEN[name]
    assert float(loss.discriminator) == pytest.approx(expected_disc, rel=1e-9)
    assert float(loss.generator) == pytest.approx(expected_gen, rel=1e-9)


@pytest.mark.parametrize("name", GOLDEN)
def test_golden_values_match_the_numpy_reference(name):
    assert reference(name, LOGITS_REAL, LOGITS_FAKE) == pytest.approx(GOLDEN[name], rel=1e-9)


@pytest.mark.parametrize("name", GOLDEN)
def test_float32_column_logits_as_a_discriminator_returns_them(name):
    # an mlp discriminator returns logits of shape (B, 1) in float32
    real = torch.tensor(LOGITS_REAL).reshape(-1, 1)
    fake = torch.tensor(LOGITS_FAKE).reshape(-1, 1)
    loss = GAN_LOSSES[name](real, fake)
    assert loss.discriminator.shape == () and loss.generator.shape == ()
    assert float(loss.discriminator) == pytest.approx(GOLDEN[name][0], rel=1e-6)
    assert float(loss.generator) == pytest.approx(GOLDEN[name][1], rel=1e-6)


@pytest.mark.parametrize("name", GOLDEN)
def test_parts_are_the_real_and_fake_terms(name):
    loss, _, _ = call(name)
    assert set(loss.parts) == {"real", "fake"}
    if name == "wasserstein":
        assert float(loss.discriminator) == pytest.approx(float(loss.parts["fake"] - loss.parts["real"]))
    else:
        assert float(loss.discriminator) == pytest.approx(float(loss.parts["real"] + loss.parts["fake"]))


@pytest.mark.parametrize("name", GOLDEN)
@pytest.mark.parametrize("size", [100.0, -100.0])
def test_finite_losses_and_gradients_at_extreme_logits(name, size):
    loss, logits_real, logits_fake = call(name, [size, -size], [size, -size], requires_grad=True)
    assert math.isfinite(loss.discriminator.item()) and math.isfinite(loss.generator.item())
    grads = torch.autograd.grad(loss.discriminator + loss.generator, (logits_real, logits_fake))
    assert all(bool(torch.isfinite(g).all()) for g in grads)


def test_bernoulli_losses_at_extreme_logits_keep_their_value():
    # log(1 + e^100) = 100 to double precision: a log σ(l) form would give inf
    loss, _, _ = call("non_saturating", [-100.0], [100.0])
    assert float(loss.discriminator) == pytest.approx(200.0)  # softplus(100) + softplus(100)
    loss, _, _ = call("non_saturating", [0.0], [-100.0])
    assert float(loss.generator) == pytest.approx(100.0)  # -log D(G(z)) = softplus(100)
    loss, _, _ = call("minimax", [0.0], [100.0])
    assert float(loss.generator) == pytest.approx(-100.0)  # log(1 - D(G(z))) = -softplus(100)


def test_minimax_generator_saturates_where_non_saturating_does_not():
    # Early in training D(G(z)) ≈ 0: log(1 - D) is flat there, -log D is steep.
    fake = torch.tensor([-8.0], requires_grad=True)
    real = torch.tensor([0.0])
    (saturating,) = torch.autograd.grad(minimax(real, fake).generator, fake)
    (non_sat,) = torch.autograd.grad(non_saturating(real, fake).generator, fake)
    assert abs(float(saturating)) < 1e-3  # -σ(l) = -3.4e-4
    assert float(non_sat) == pytest.approx(-1.0, abs=1e-3)  # -(1 - σ(l))


@pytest.mark.parametrize("name", GOLDEN)
def test_generator_loss_does_not_depend_on_the_real_logits(name):
    base, _, _ = call(name)
    moved, _, _ = call(name, real=[5.0, -3.0, 0.2])
    assert float(moved.generator) == pytest.approx(float(base.generator))


def test_get_gan_loss_by_name_and_callable():
    assert get_gan_loss("hinge") is GAN_LOSSES["hinge"]
    assert get_gan_loss(minimax) is minimax


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown GAN loss 'nonsaturating'") as error:
        get_gan_loss("nonsaturating")
    for name in GAN_LOSSES:
        assert name in str(error.value)


@pytest.mark.parametrize("bad, error", [([1.0, 2.0], TypeError),
                                        (torch.tensor([1, 2]), TypeError),
                                        (torch.zeros(0), ValueError)])
def test_bad_logits_get_a_clear_error(bad, error):
    with pytest.raises(error, match="logits_real"):
        non_saturating(bad, torch.zeros(3))


def test_generator_loss_curve_gives_each_fakes_loss_and_slope():
    logits = torch.tensor([-30.0, -2.0, 0.0, 3.0], dtype=torch.float64)
    values, slopes = generator_loss_curve("minimax", logits)
    assert torch.allclose(values, -F.softplus(logits))
    assert torch.allclose(slopes, -torch.sigmoid(logits))  # −D: vanishes at l = −30
    values, slopes = generator_loss_curve("non_saturating", logits)
    assert torch.allclose(values, F.softplus(-logits))
    assert torch.allclose(slopes, -(1 - torch.sigmoid(logits)))
    assert values.dtype == torch.float64 and values.shape == logits.shape
