"""gan_course.models.realnvp and gan_course.flow_training: Real NVP's layers, its exact density,
bits/dim, and its two trainings (maximum likelihood, and as a GAN's generator)."""

import math

import pytest
import torch
from torch import nn
from torch.autograd.functional import jacobian

from gan_course.data import toy
from gan_course.data.images import ImageBatches, load_images, rescale_pixels
from gan_course.flow_training import train_flow
from gan_course.models.dcgan import DCGANDiscriminator
from gan_course.models.realnvp import (
    ActNorm,
    AffineCoupling,
    LogitTransform,
    PixelsToUnit,
    RealNVP2D,
    RealNVPImage,
    Squeeze,
    channel_mask,
    checkerboard_mask,
    coupling_convnet,
    coupling_mlp,
    dequantise,
    flow_bits_per_dim,
    squeeze,
    unsqueeze,
)
from gan_course.models.toy import mlp
from gan_course.penalties import WGANGradientPenalty
from gan_course.train import train


def moved_off_the_identity(module: nn.Module, seed: int = 0, scale: float = 0.3) -> nn.Module:
    """``module`` in float64 with noise added to every parameter: zero-initialised couplings
    are the identity, whose Jacobian would test nothing."""
    module = module.double()
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.add_(scale * torch.randn(parameter.shape, generator=rng, dtype=torch.float64))
    return module


def started_actnorm(channels, x):
    layer = ActNorm(channels).double()
    layer.initialise(x)
    return layer


def pixels_in_the_open_cube(shape, seed=0):
    """Points in (−0.9, 0.9): inside the image model's data space, away from its edges."""
    return (torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) - 0.5) * 1.8


def tiny_image_flow(size=4, scales=2, seed=0, scale=0.3):
    flow = RealNVPImage(channels=1, size=size, scales=scales, width=4, seed=seed).double()
    flow.initialise(pixels_in_the_open_cube((16, 1, size, size), seed=seed + 1))
    return moved_off_the_identity(flow, seed, scale)


POINTS = torch.randn(3, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
IMAGES = torch.randn(3, 2, 4, 4, generator=torch.Generator().manual_seed(2), dtype=torch.float64)

# (name, layer, inputs): every layer, in float64, on a batch of three small examples
LAYERS = {
    "coupling on points": lambda: (moved_off_the_identity(
        AffineCoupling(channel_mask(2, 0), coupling_mlp(2, 8), 2)), POINTS),
    "coupling on 3D points": lambda: (moved_off_the_identity(
        AffineCoupling(channel_mask(3, 1), coupling_mlp(3, 8), 3)), torch.randn(3, 3, dtype=torch.float64)),
    "checkerboard coupling": lambda: (moved_off_the_identity(
        AffineCoupling(checkerboard_mask(4, 1), coupling_convnet(2, 4), 2)), IMAGES),
    "channel coupling": lambda: (moved_off_the_identity(
        AffineCoupling(channel_mask(2, 0)[:, None, None], coupling_convnet(2, 4), 2)), IMAGES),
    "actnorm on images": lambda: (moved_off_the_identity(started_actnorm(2, IMAGES * 3 + 1)), IMAGES),
    "actnorm on points": lambda: (moved_off_the_identity(started_actnorm(2, POINTS * 3 + 1)), POINTS),
    "squeeze": lambda: (Squeeze(), IMAGES),
    "gan pixels to [0, 1]": lambda: (PixelsToUnit("gan"), pixels_in_the_open_cube((3, 1, 4, 4))),
    "logit": lambda: (LogitTransform(0.05), pixels_in_the_open_cube((3, 1, 4, 4)) / 2 + 0.5),
    "RealNVP2D": lambda: (moved_off_the_identity(RealNVP2D(layers=4, width=8, seed=0)), POINTS),
    "RealNVPImage 1×4×4": lambda: (tiny_image_flow(size=4, scales=2), pixels_in_the_open_cube((3, 1, 4, 4))),
    "RealNVPImage 1×8×8, 3 scales": lambda: (tiny_image_flow(size=8, scales=3),
                                             pixels_in_the_open_cube((2, 1, 8, 8))),
}


def autograd_log_det(layer, example):
    """log |det ∂encode/∂x| from autograd's full Jacobian, for one example (batch axis of 1)."""
    def flat_encode(flat):
        return layer.encode(flat.reshape(example.shape))[0].flatten()
    return torch.linalg.slogdet(jacobian(flat_encode, example.flatten())).logabsdet


# --------------------------------------------------------------------------- Jacobians and inverses


@pytest.mark.parametrize("name", LAYERS)
def test_every_layers_log_det_is_that_of_its_full_jacobian(name):
    layer, x = LAYERS[name]()
    _, log_det = layer.encode(x)
    assert log_det.shape == (len(x),)
    for index in range(len(x)):
        expected = autograd_log_det(layer, x[index:index + 1])
        assert float(log_det[index].detach()) == pytest.approx(float(expected), abs=1e-9), name


@pytest.mark.parametrize("name", LAYERS)
def test_every_layer_is_inverted_exactly(name):
    layer, x = LAYERS[name]()
    encoded, _ = layer.encode(x)
    assert torch.allclose(layer(encoded), x, atol=1e-10)


@pytest.mark.parametrize("flow", [lambda: moved_off_the_identity(RealNVP2D(layers=4, width=8, seed=0)),
                                  lambda: tiny_image_flow(size=8, scales=2, scale=0.1)], ids=["2D", "image"])
def test_encode_inverts_forward_and_forward_inverts_encode(flow):
    # a milder perturbation for the image flow: where its logits pass ±37, σ rounds to 1 even in
    # float64, and the pixels no longer tell the logits apart (the logit layer's limit, not a bug)
    flow = flow()
    z = torch.randn(5, flow.noise_dim, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    x = flow(z)
    assert torch.allclose(flow.encode(x)[0], z, atol=1e-5)
    assert torch.allclose(flow(flow.encode(x)[0]), x, atol=1e-5)


def test_the_image_flow_inverts_in_float32_too():
    flow = moved_off_the_identity(RealNVPImage(1, 8, 2, width=4, seed=0), scale=0.1).float()
    x = pixels_in_the_open_cube((4, 1, 8, 8)).float()
    assert torch.allclose(flow(flow.encode(x)[0]), x, atol=1e-5)


def test_the_image_flow_maps_flat_noise_to_images_and_samples_reproducibly():
    flow = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    assert flow.noise_dim == 64
    assert flow.latent_shapes == [(2, 4, 4), (2, 4, 4)]
    first = flow.sample(3, rng=torch.Generator().manual_seed(0))
    assert first.shape == (3, 1, 8, 8)
    assert torch.equal(first, flow.sample(3, rng=torch.Generator().manual_seed(0)))


# --------------------------------------------------------------------------- squeeze and masks


def test_squeeze_turns_each_2x2_square_into_four_channels_and_unsqueeze_undoes_it():
    image = torch.arange(32.0).reshape(1, 2, 4, 4)
    squeezed = squeeze(image)
    assert squeezed.shape == (1, 8, 2, 2)
    assert squeezed[0, :4, 0, 0].tolist() == [0.0, 1.0, 4.0, 5.0]  # the top-left square of channel 0
    assert torch.equal(unsqueeze(squeezed), image)


def test_masks_have_their_shapes_and_their_two_parities_complement_each_other():
    even, odd = checkerboard_mask(4, 0), checkerboard_mask(4, 1)
    assert even.shape == (1, 4, 4) and even[0, 0, 0] == 1 and even[0, 0, 1] == 0 and even.sum() == 8
    assert torch.equal(even + odd, torch.ones(1, 4, 4))
    assert channel_mask(4, 0).tolist() == [1, 1, 0, 0]
    assert channel_mask(4, 1).tolist() == [0, 0, 1, 1]
    assert channel_mask(3, 0).tolist() == [1, 1, 0]


# --------------------------------------------------------------------------- ActNorm


def test_actnorm_starts_from_the_first_batch_with_zero_mean_and_unit_variance_per_channel():
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, 5, 5, generator=rng) * torch.tensor([2.0, 0.5, 3.0])[:, None, None] \
        + torch.tensor([1.0, -2.0, 4.0])[:, None, None]
    layer = ActNorm(3)
    y, _ = layer.encode(x)
    assert torch.allclose(y.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.std((0, 2, 3)), torch.ones(3), atol=1e-4)
    started = [p.clone() for p in layer.parameters()]
    layer.encode(x * 10)  # a later batch does not start it again
    assert all(torch.equal(p, q) for p, q in zip(layer.parameters(), started))


def test_a_flow_used_as_a_generator_first_keeps_its_actnorms_when_it_later_encodes_data():
    flow = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    batch = pixels_in_the_open_cube((8, 1, 8, 8)).float()
    flow.sample(4)
    flow.encode(batch)
    actnorms = [m for m in flow.modules() if isinstance(m, ActNorm)]
    assert all(float(m.log_scale.detach().abs().sum()) == 0 for m in actnorms)
    flow.initialise(batch)  # asked for explicitly: started from data, as a fresh flow's first encode does
    fresh = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    fresh.encode(batch)
    assert float(actnorms[0].log_scale.detach().abs().sum()) > 0
    assert all(torch.equal(p, q) for p, q in zip(flow.state_dict().values(), fresh.state_dict().values()))


# --------------------------------------------------------------------------- densities and bits/dim


def test_the_identity_initialised_2d_flow_has_the_standard_normal_density():
    flow = RealNVP2D(seed=0)
    x = torch.randn(10, 2)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(x).sum(1)
    assert torch.allclose(flow.log_prob(x), expected, atol=1e-6)
    assert torch.allclose(flow(x), x)


class PiecewiseUniform(nn.Module):
    """A density on [−1, 1)^D that is, per pixel, ``dark`` on [−1, 0) and 2 − ``dark`` on [0, 1)
    (dark = 1: uniform); constant on each byte's cube, so bits/dim is exact, not a bound."""

    def __init__(self, dark: float = 1.0):
        super().__init__()
        self.dark = dark

    def log_prob(self, x):
        x = x.double()  # float32 logs would be off by 1e-8 bits
        per_pixel = torch.where(x < 0, torch.tensor(math.log(self.dark / 2), dtype=torch.float64),
                                torch.tensor(math.log(1 - self.dark / 2), dtype=torch.float64))
        return per_pixel.flatten(1).sum(1)


def byte_images(n=5, seed=0):
    return torch.randint(0, 256, (n, 1, 4, 4), generator=torch.Generator().manual_seed(seed)).float()


@pytest.mark.parametrize("pixels", ["gan", "unit", "bytes"])
def test_a_density_uniform_on_the_pixel_cube_scores_exactly_8_bits_per_dim(pixels):
    images = rescale_pixels(byte_images(), "bytes", pixels)
    bits = flow_bits_per_dim(PiecewiseUniform(), images, torch.Generator().manual_seed(0), pixels=pixels)
    assert bits == pytest.approx(8.0, abs=1e-12)


def test_bits_per_dim_of_a_piecewise_uniform_density_by_hand():
    # density 1.5/2 per pixel on dark bytes (0..127), 0.5/2 on bright ones: a dark byte has
    # probability 0.75·(2/256) = 1.5/256, a bright one 0.5/256
    images = torch.tensor([0.0, 100.0, 127.0, 200.0]).reshape(1, 1, 2, 2)
    by_hand = (3 * -math.log2(1.5 / 256) + -math.log2(0.5 / 256)) / 4
    bits = flow_bits_per_dim(PiecewiseUniform(dark=1.5), images, pixels="bytes")
    assert bits == pytest.approx(by_hand, abs=1e-12)
    assert by_hand == pytest.approx(8.0 - (3 * math.log2(1.5) - 1) / 4)  # 7.811


def test_dequantised_pixels_fill_the_cube_of_their_byte():
    images = byte_images(n=20)
    x = dequantise(rescale_pixels(images, "bytes", "gan"), torch.Generator().manual_seed(0))
    assert torch.equal(torch.floor((x + 1) * 128), images)
    assert float(x.min()) >= -1 and float(x.max()) < 1


# --------------------------------------------------------------------------- maximum likelihood


class ToyBatches:
    def __init__(self, data, batch_size=256, seed=0):
        self.data, self.batch_size, self.rng = data, batch_size, torch.Generator().manual_seed(seed)

    def real(self):
        return self.data.sample(self.batch_size, rng=self.rng).float()

    def noise(self):
        return torch.randn(self.batch_size, 2, generator=self.rng)


def test_maximum_likelihood_raises_the_held_out_log_likelihood_of_two_moons():
    data = toy.TwoMoons()
    flow = RealNVP2D(layers=4, width=32, seed=0)
    held_out = data.sample(2000, rng=torch.Generator().manual_seed(1)).float()
    before = float(flow.log_prob(held_out).mean().detach())
    steps_seen = []
    losses = train_flow(flow, ToyBatches(data), steps=150, lr=3e-3, progress=False,
                        hook=lambda step, loss: steps_seen.append(step))
    after = float(flow.log_prob(held_out).mean().detach())
    assert len(losses) == 150 and steps_seen == list(range(1, 151))
    assert after > before + 1.0  # -2.47 → about -0.9 nats
    assert losses[-1] < losses[0]


def test_maximum_likelihood_on_digits_lowers_their_held_out_bits_per_dim():
    train_images = load_images("digits8", "train", pixels="gan")
    held_out = load_images("digits8", "held_out", pixels="gan").images[:200]
    flow = RealNVPImage(channels=1, size=8, scales=2, width=8, seed=0)
    flow.initialise(dequantise(train_images.images[:256], torch.Generator().manual_seed(0)))
    before = flow_bits_per_dim(flow, held_out, torch.Generator().manual_seed(1))
    train_flow(flow, ImageBatches(train_images, batch_size=64, seed=0), steps=40, lr=3e-3, pixels="gan",
               progress=False)
    after = flow_bits_per_dim(flow, held_out, torch.Generator().manual_seed(1))
    assert after < before - 0.3


# --------------------------------------------------------------------------- as a GAN's generator


def test_the_2d_flow_trains_as_the_generator_of_a_wgan_gp():
    flow, critic = RealNVP2D(layers=4, width=16, seed=0), mlp(2, 1, 32, 2, seed=1)
    before = [p.clone() for p in flow.parameters()]
    train(flow, critic, ToyBatches(toy.ring_of_gaussians(), batch_size=64), steps=5,
          gen_optimizer=torch.optim.Adam(flow.parameters(), 1e-3, betas=(0.5, 0.9)),
          disc_optimizer=torch.optim.Adam(critic.parameters(), 1e-3, betas=(0.5, 0.9)),
          loss="wasserstein", penalty=WGANGradientPenalty(10.0, seed=0), n_disc=2, progress=False)
    assert any(not torch.equal(p, q) for p, q in zip(flow.parameters(), before))


def test_the_image_flow_trains_as_the_generator_of_a_wgan_gp():
    images = load_images("digits8", "train", pixels="gan")
    batches = ImageBatches(images, batch_size=16, noise_dim=64, seed=0)
    flow = RealNVPImage(channels=1, size=8, scales=2, width=4, seed=0)
    flow.initialise(dequantise(images.images[:64]))  # the same start as a maximum-likelihood run
    critic = DCGANDiscriminator(channels=1, size=8, width=8, norm="none", seed=1)
    before = [p.clone() for p in flow.parameters()]
    train(flow, critic, batches, steps=3, gen_optimizer=torch.optim.Adam(flow.parameters(), 1e-3),
          disc_optimizer=torch.optim.Adam(critic.parameters(), 1e-3), loss="wasserstein",
          penalty=WGANGradientPenalty(10.0, seed=0), progress=False)
    assert any(not torch.equal(p, q) for p, q in zip(flow.parameters(), before))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("make_the_mistake, words", [
    (lambda: RealNVP2D()(torch.randn(4, 3)), "reshape"),
    (lambda: RealNVP2D().encode(torch.randn(4)), "reshape"),
    (lambda: RealNVP2D(dim=1), "dim >= 2"),
    (lambda: RealNVPImage(size=8, width=4).encode(torch.zeros(2, 1, 28, 28)), "reshape"),
    (lambda: RealNVPImage(size=8, width=4)(torch.zeros(2, 1, 8, 8)), "reshape"),
    (lambda: RealNVPImage(size=28, scales=4), "fewer scales"),
    (lambda: checkerboard_mask(4, 2), "parity"),
    (lambda: squeeze(torch.zeros(1, 1, 3, 3)), "divisible"),
    (lambda: LogitTransform(alpha=0.6), "0.5"),
    (lambda: dequantise(torch.rand(2, 1, 4, 4)), "8-bit"),
    (lambda: RealNVP2D().sample(0), "positive"),
    (lambda: train_flow(RealNVPImage(size=8, width=4), ImageBatches(byte_images(8), 4), 1, progress=False),
     "pixels="),
])
def test_bad_input_gets_a_clear_value_error(make_the_mistake, words):
    with pytest.raises(ValueError, match=words):
        make_the_mistake()


def test_a_diverging_run_stops_with_the_step_it_diverged_at():
    class Broken(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(()))

        def log_prob(self, x):
            return self.weight * x.sum(1) * math.nan

    with pytest.raises(FloatingPointError, match="step 1"):
        train_flow(Broken(), ToyBatches(toy.TwoMoons()), steps=3, progress=False)
