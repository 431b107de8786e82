"""DCGAN-style convolutional networks for images (Radford et al. 2016).

    G = DCGANGenerator(noise_dim=100, channels=1, size=28, width=64)     z (B, 100) → x (B, 1, 28, 28)
    D = DCGANDiscriminator(channels=1, size=28, width=64, norm="batch")  x → one logit (B, 1)
    E = DCGANEncoder(channels=1, size=28, code_dim=32, width=64)         x → a code (B, 32)

The generator starts from a small square (4×4, or 7×7 for 28-pixel images) and doubles
the resolution with transposed convolutions (kernel 4, stride 2) until it reaches ``size``,
halving the channels each time; the discriminator and the encoder mirror it with strided
convolutions. ``width`` is the number of channels next to the image; the layer after it
has 2·width, and so on. Per size (w = width, C = channels):

    size 64:  4×4·8w → 8×8·4w → 16×16·2w → 32×32·w → 64×64·C     (the DCGAN of the paper)
    size 32:  4×4·4w → 8×8·2w → 16×16·w → 32×32·C
    size 28:  7×7·2w → 14×14·w → 28×28·C
    size 8:   4×4·w  → 8×8·C                                      (scikit-learn's 8×8 digits)

Radford et al.'s guidelines, kept here: no pooling (strided convolutions learn their own
down- and up-sampling), batch norm in G except at its output, ReLU in G and tanh at its
output (so samples lie in [-1, 1], the "gan" pixels of ``gan_course.data.images``),
LeakyReLU(0.2) in D, no normalisation at D's input, weights initialised N(0, 0.02)
(``dcgan_init``).

The discriminator's normalisation, ``norm``:

- ``"batch"``: batch norm after each hidden convolution (the paper's D).
- ``"spectral"``: every convolution's weight W divided by its largest singular value σ(W),
  estimated by one power iteration per training step (Miyato et al. 2018), so each layer
  is about 1-Lipschitz, with W reshaped to (out_channels, in_channels·k·k) as in the paper.
- ``"none"``: no normalisation. Use it for a WGAN-GP critic: the gradient penalty constrains
  ‖∇_x D(x)‖ for each sample on its own, but batch norm makes D(x) depend on the other
  images of the batch, so the penalised function is not the critic (Gulrajani et al. 2017,
  who recommend no normalisation or layer norm in the critic).
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_course.validation import check_int, check_points

Tensor = torch.Tensor

SIZES = (8, 28, 32, 64)
"""The image sizes the networks are built for."""

NORMS = ("batch", "spectral", "none")

INIT_STD = 0.02


def dcgan_init(module: nn.Module) -> None:
    """DCGAN's initialisation (Radford et al. 2016): every convolution's weights ~ N(0, 0.02²),
    batch norm's scale ~ N(1, 0.02²) and shift 0. Use it as ``network.apply(dcgan_init)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, INIT_STD)
        nn.init.zeros_(module.bias)


def start_size(size: int) -> int:
    """The side of the smallest square of the network: 7 for 28-pixel images, else 4."""
    if size not in SIZES:
        raise ValueError(f"DCGAN networks are built for images of size {', '.join(map(str, SIZES))}, "
                         f"got size={size!r}; resize the images or pick one of those sizes.")
    return 7 if size == 28 else 4


def doublings(size: int) -> int:
    """How many times the resolution doubles between the smallest square and the image."""
    return int(math.log2(size // start_size(size)))


@contextlib.contextmanager
def _seeded(seed: int | None):
    """Draw the initial weights right after torch.manual_seed(seed) when a seed is given, and
    leave the global random state as it was (seeding one network must not change what the
    rest of a notebook draws), as ``gan_course.models.toy.mlp`` does."""
    if seed is None:
        yield
        return
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(seed, "seed", minimum=0))
        yield


def _check_sizes(channels: int, size: int, width: int) -> None:
    check_int(channels, "channels")
    check_int(width, "width")
    start_size(size)


def _check_images(images: Tensor, channels: int, size: int) -> Tensor:
    if not torch.is_tensor(images) or tuple(images.shape[1:]) != (channels, size, size):
        shape = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
        raise ValueError(f"images must have shape (B, {channels}, {size}, {size}), got {shape}; "
                         f"reshape them with .reshape(-1, {channels}, {size}, {size}).")
    return images


# --------------------------------------------------------------------------- the generator


def _upsampling(noise_dim: int, channels: int, size: int, width: int) -> nn.Sequential:
    """z (B, noise_dim, 1, 1) → (B, channels, size, size): a transposed convolution onto the
    smallest square, then blocks that double the resolution and halve the channels."""
    hidden = width * 2 ** (doublings(size) - 1)
    layers = [nn.ConvTranspose2d(noise_dim, hidden, start_size(size), 1, 0, bias=False),
              nn.BatchNorm2d(hidden), nn.ReLU()]
    while hidden > width:
        # no bias before batch norm: its shift takes the bias's place
        layers += [nn.ConvTranspose2d(hidden, hidden // 2, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(hidden // 2), nn.ReLU()]
        hidden //= 2
    layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]
    return nn.Sequential(*layers)


class DCGANGenerator(nn.Module):
    """G_θ: z ~ N(0, I) of shape (B, noise_dim) → images (B, channels, size, size) in [-1, 1].

    z is read as a 1×1 image with noise_dim channels; a transposed convolution spreads it
    onto the smallest square, then each block doubles the resolution and halves the channels:

        ConvTranspose(k=4, stride=2, padding=1) → BatchNorm → ReLU,

    and the last one maps ``width`` channels to ``channels`` followed by tanh.
    seed: if given, the initial weights are those drawn right after torch.manual_seed(seed).
    """

    def __init__(self, noise_dim: int = 100, channels: int = 1, size: int = 28, width: int = 64,
                 seed: int | None = None):
        super().__init__()
        _check_sizes(channels, size, width)
        self.noise_dim, self.channels, self.size = check_int(noise_dim, "noise_dim"), channels, size
        with _seeded(seed):
            self.net = _upsampling(noise_dim, channels, size, width)
            self.net.apply(dcgan_init)

    def forward(self, noise: Tensor) -> Tensor:
        noise = check_points(noise, "noise", dim=self.noise_dim)
        return self.net(noise[:, :, None, None])


# --------------------------------------------------------------------------- discriminator and encoder


def _downsampling(channels: int, size: int, width: int, outputs: int, norm: str) -> nn.Sequential:
    """x (B, C, size, size) → (B, outputs, 1, 1): strided convolutions (k=4, stride=2, padding=1)
    with LeakyReLU(0.2), doubling the channels each time, then one convolution that covers
    the smallest square. Batch norm ("batch") after each hidden convolution but the first."""
    layers = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
    hidden = width
    for _ in range(doublings(size) - 1):
        # no bias before batch norm: its shift takes the bias's place
        layers += [nn.Conv2d(hidden, 2 * hidden, 4, 2, 1, bias=norm != "batch")]
        if norm == "batch":
            layers.append(nn.BatchNorm2d(2 * hidden))
        layers.append(nn.LeakyReLU(0.2))
        hidden *= 2
    layers.append(nn.Conv2d(hidden, outputs, start_size(size), 1, 0))
    return nn.Sequential(*layers)


def _normalised_downsampling(channels, size, width, outputs, norm, seed) -> nn.Sequential:
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose 'batch', 'spectral' or 'none' "
                         "('none' for a WGAN-GP critic).")
    _check_sizes(channels, size, width)
    check_int(outputs, "the number of outputs")
    with _seeded(seed):
        net = _downsampling(channels, size, width, outputs, norm)
        net.apply(dcgan_init)
        if norm == "spectral":
            # after the initialisation: spectral_norm keeps the raw weight and divides it by σ(W)
            for index, layer in enumerate(net):
                if isinstance(layer, nn.Conv2d):
                    net[index] = spectral_norm(layer)
    return net


class DCGANDiscriminator(nn.Module):
    """D_φ: images (B, channels, size, size) → one logit per image, shape (B, 1).

    The generator mirrored: Conv(k=4, stride=2, padding=1) → [norm] → LeakyReLU(0.2) blocks
    that halve the resolution and double the channels, then a convolution over the smallest
    square gives the logit (no sigmoid: the losses of ``gan_course.gan_losses`` take logits,
    and a critic's value is the same number).
    norm: "batch", "spectral" (Miyato et al. 2018) or "none" (for WGAN-GP; see the module).
    seed: if given, the initial weights are those drawn right after torch.manual_seed(seed).
    """

    def __init__(self, channels: int = 1, size: int = 28, width: int = 64, norm: str = "batch",
                 seed: int | None = None):
        super().__init__()
        self.channels, self.size, self.norm = channels, size, norm
        self.net = _normalised_downsampling(channels, size, width, 1, norm, seed)

    def forward(self, images: Tensor) -> Tensor:
        return self.net(_check_images(images, self.channels, self.size)).flatten(1)


class DCGANEncoder(nn.Module):
    """E: images (B, channels, size, size) → codes (B, code_dim), the discriminator's body with
    code_dim outputs (the encoder of α-GAN, Rosca et al. 2017, and of the VAE hybrids).

    norm: as for the discriminator; batch norm by default, as in the DCGAN family.
    seed: if given, the initial weights are those drawn right after torch.manual_seed(seed).
    """

    def __init__(self, channels: int = 1, size: int = 28, code_dim: int = 32, width: int = 64,
                 norm: str = "batch", seed: int | None = None):
        super().__init__()
        self.channels, self.size, self.code_dim = channels, size, check_int(code_dim, "code_dim")
        self.net = _normalised_downsampling(channels, size, width, code_dim, norm, seed)

    def forward(self, images: Tensor) -> Tensor:
        return self.net(_check_images(images, self.channels, self.size)).flatten(1)


def count_parameters(network: nn.Module) -> int:
    """The number of trained numbers in ``network``."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


__all__ = ["DCGANGenerator", "DCGANDiscriminator", "DCGANEncoder", "dcgan_init", "count_parameters",
           "start_size", "doublings", "SIZES", "NORMS"]
