"""The f-GAN losses of gan_course.gan_losses: registry, stability, and what the generator minimises.

The key property: with the critic held at its optimum for the current q_θ, the
"bound" generator objective −E_q[f*(T)] has the gradient of D_f[p* ‖ q_θ]
itself, while the "alternative" objective −E_q[g_f(v)] for KL has the gradient
of the reverse KL. We check this on q_θ = N(θ, s²) against finite differences of
the exact divergences, with the expectation over z taken on 200,001 quantiles of
N(0, 1) (an equally weighted quadrature, so the registry's means can be used).
"""

import math

import pytest
import torch
from scipy.stats import norm

from gan_course.data import toy
from gan_course.divergences import f_divergences as fd
from gan_course.divergences.f_divergences import F_DIVERGENCES
from gan_course.gan_losses import (
    F_GAN_GENERATORS,
    GAN_LOSSES,
    f_gan,
    get_gan_loss,
    minimax,
    non_saturating,
)
from gan_course.losses import Loss
from gan_course.toy_training import GANConfig, train_toy

F_GAN_NAMES = [f"fgan_{name}{suffix}" for name in F_DIVERGENCES for suffix in ("", "_alternative")]
LOGITS_REAL = torch.tensor([-2.0, 0.0, 1.5], dtype=torch.float64)
LOGITS_FAKE = torch.tensor([-1.0, 0.5, 3.0], dtype=torch.float64)


def test_every_registered_loss_is_defined_under_its_own_name():
    # `git grep "def fgan_kl"` finds it: no loss is made in a loop
    import inspect

    from gan_course import gan_losses
    source = inspect.getsource(gan_losses)
    for name in GAN_LOSSES:
        assert f"def {name}(" in source, name
    assert f_gan("kl") is GAN_LOSSES["fgan_kl"]
    assert f_gan("js", "alternative") is GAN_LOSSES["fgan_js_alternative"]


def test_every_row_of_the_table_is_registered_twice():
    assert set(F_GAN_NAMES) <= set(GAN_LOSSES)
    assert F_GAN_GENERATORS == ("bound", "alternative")
    for name in F_GAN_NAMES:
        assert get_gan_loss(name) is GAN_LOSSES[name]
        assert GAN_LOSSES[name].__name__ == name


def test_unknown_generator_objective_is_a_clear_error():
    with pytest.raises(ValueError, match="'bound'.*'alternative'"):
        f_gan("kl", generator="non_saturating")
    with pytest.raises(ValueError, match="unknown f-divergence"):
        f_gan("kullback")


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_discriminator_loss_is_the_negative_bound(name):
    divergence = name.removeprefix("fgan_").removesuffix("_alternative")
    loss = GAN_LOSSES[name](LOGITS_REAL, LOGITS_FAKE)
    assert isinstance(loss, Loss)
    bound = fd.variational_bound(divergence, LOGITS_REAL, LOGITS_FAKE)
    assert float(loss.discriminator) == pytest.approx(-float(bound), rel=1e-12)
    assert float(loss.parts["real"] - loss.parts["fake"]) == pytest.approx(float(bound), rel=1e-12)
    entry = F_DIVERGENCES[divergence]
    if name.endswith("_alternative"):
        expected = -entry.activation(entry.clip(LOGITS_FAKE)).mean()
    else:
        expected = -entry.conjugate(entry.activation(entry.clip(LOGITS_FAKE))).mean()
    assert float(loss.generator) == pytest.approx(float(expected), rel=1e-10)


def test_kl_golden_values():
    # D: −mean(v_real) + mean(exp(v_fake − 1)); G (bound): −mean(exp(v_fake − 1)); G (alt): −mean(v_fake)
    fake_term = (math.exp(-2) + math.exp(-0.5) + math.exp(2)) / 3
    loss = GAN_LOSSES["fgan_kl"](LOGITS_REAL, LOGITS_FAKE)
    assert float(loss.discriminator) == pytest.approx(-(-0.5 / 3) + fake_term, rel=1e-12)
    assert float(loss.generator) == pytest.approx(-fake_term, rel=1e-12)
    assert float(GAN_LOSSES["fgan_kl_alternative"](LOGITS_REAL, LOGITS_FAKE).generator) == \
        pytest.approx(-2.5 / 3, rel=1e-12)


@pytest.mark.parametrize("fgan, reference", [("fgan_gan", minimax), ("fgan_gan_alternative", non_saturating)])
def test_the_gan_row_is_the_original_gan(fgan, reference):
    ours, theirs = GAN_LOSSES[fgan](LOGITS_REAL, LOGITS_FAKE), reference(LOGITS_REAL, LOGITS_FAKE)
    assert float(ours.discriminator) == pytest.approx(float(theirs.discriminator), rel=1e-12)
    assert float(ours.generator) == pytest.approx(float(theirs.generator), rel=1e-12)


def test_the_js_critic_is_the_gan_critic_up_to_a_constant():
    js = GAN_LOSSES["fgan_js"](LOGITS_REAL, LOGITS_FAKE)
    gan = GAN_LOSSES["fgan_gan"](LOGITS_REAL, LOGITS_FAKE)
    assert float(js.discriminator - gan.discriminator) == pytest.approx(-2 * math.log(2), rel=1e-12)


@pytest.mark.parametrize("name", F_GAN_NAMES)
@pytest.mark.parametrize("size", [1e3, 100.0, 60.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_finite_losses_and_gradients_for_large_critic_outputs(name, size, dtype):
    real = torch.tensor([size, -size, 0.5], dtype=dtype, requires_grad=True)
    fake = torch.tensor([size, -size, -0.5], dtype=dtype, requires_grad=True)
    loss = GAN_LOSSES[name](real, fake)
    assert math.isfinite(loss.discriminator.item()) and math.isfinite(loss.generator.item())
    gradients = torch.autograd.grad(loss.discriminator + loss.generator, (real, fake))
    assert all(bool(torch.isfinite(g).all()) for g in gradients)


@pytest.mark.parametrize("name", F_GAN_NAMES)
def test_generator_loss_does_not_depend_on_the_real_outputs(name):
    base = GAN_LOSSES[name](LOGITS_REAL, LOGITS_FAKE)
    moved = GAN_LOSSES[name](torch.tensor([5.0, -3.0, 0.2], dtype=torch.float64), LOGITS_FAKE)
    alone = GAN_LOSSES[name](None, LOGITS_FAKE)  # the generator's step passes no real logits
    assert float(moved.generator) == pytest.approx(float(base.generator))
    assert float(alone.generator) == float(base.generator) and alone.discriminator is None


def test_probabilistic_discriminators_are_the_classifier_critics():
    probabilistic = {name for name, loss in GAN_LOSSES.items() if loss.discriminator_is_probability}
    assert probabilistic == {"minimax", "non_saturating", "fgan_gan", "fgan_gan_alternative",
                             "fgan_js", "fgan_js_alternative"}
    assert {name for name, loss in GAN_LOSSES.items() if loss.critic_up_to_constant} == {
        "wasserstein"}
    assert GANConfig(loss="fgan_gan").disc_is_probability
    assert GANConfig(loss="fgan_js_alternative").disc_is_probability
    assert not GANConfig(loss="fgan_kl").disc_is_probability


# --------------------------------------------------------------------------- what G minimises

P_STAR = toy.Gaussian(0.0, std=1.0)
SCALE, THETA = 1.2, 0.7
# z at the (i - ½)/n quantiles of N(0, 1): their plain mean approximates E_z[h(z)]
QUANTILES = torch.tensor(norm.ppf((torch.arange(200_001, dtype=torch.float64) + 0.5) / 200_001))


def model(theta: float) -> toy.Gaussian:
    return toy.Gaussian(theta, std=SCALE)


def generator_gradient(loss_name: str, divergence: str) -> float:
    """d/dθ of the registry's generator loss at θ, with the critic fixed at its optimum for q_θ."""
    entry = F_DIVERGENCES[divergence]
    theta = torch.tensor(THETA, dtype=torch.float64, requires_grad=True)
    fakes = theta + SCALE * QUANTILES
    with torch.no_grad():
        frozen = model(THETA)

    def optimal_logits(x):  # v*(x) = g_f⁻¹(f'(r(x))), r from the frozen q_θ
        return entry.optimal_logit(P_STAR.log_prob(x.reshape(-1, 1)).double()
                                   - frozen.log_prob(x.reshape(-1, 1)).double())

    logits_fake = optimal_logits(fakes)
    loss = GAN_LOSSES[loss_name](logits_fake.detach(), logits_fake)
    (gradient,) = torch.autograd.grad(loss.generator, theta)
    return float(gradient)


def divergence_gradient(divergence: str, reverse: bool = False, step: float = 1e-4) -> float:
    """d/dθ D_f[p* ‖ q_θ] (or D_f[q_θ ‖ p*]) by central differences of the exact value."""
    def value(theta):
        pair = (model(theta), P_STAR) if reverse else (P_STAR, model(theta))
        return fd.exact_divergence(divergence, *pair)
    return (value(THETA + step) - value(THETA - step)) / (2 * step)


@pytest.mark.parametrize("divergence", ["kl", "reverse_kl", "pearson", "hellinger", "js", "gan"])
def test_bound_generator_follows_the_gradient_of_its_divergence(divergence):
    got = generator_gradient(f"fgan_{divergence}", divergence)
    assert got == pytest.approx(divergence_gradient(divergence), rel=1e-3)


def test_alternative_kl_generator_follows_the_reverse_kl():
    got = generator_gradient("fgan_kl_alternative", "kl")
    assert got == pytest.approx(divergence_gradient("kl", reverse=True), rel=1e-3)
    assert got != pytest.approx(divergence_gradient("kl"), rel=0.1)


def test_f_gan_losses_train_in_the_loop():
    config = GANConfig(loss="fgan_reverse_kl", gen_loss_name="fgan_kl", width=16, depth=1, batch_size=64)
    history = train_toy(toy.Gaussian([1.0, 1.0], std=0.4), config, steps=20, progress=False)
    assert bool(torch.isfinite(history.losses["disc"]).all())
    assert bool(torch.isfinite(history.losses["gen"]).all())
    assert not history.disc_is_probability
