"""Real NVP (Dinh, Sohl-Dickstein & Bengio 2017): a generator whose density can be computed.

A flow is an invertible generator x = G_θ(z), z ~ N(0, I). Writing f = G_θ⁻¹ for the map
back from data to noise, the change of variables gives the density q_θ exactly:

    log q_θ(x) = log N(f(x); 0, I) + log |det ∂f/∂x|

(the talk's log P(z₁) = log P(z₀) − log |det dz₁/dz₀|, with z₁ = x and z₀ = z). Real NVP builds
f from layers whose Jacobian is triangular, so that each log-determinant is a sum, and whose
inverse is exact, so the same network can be trained by maximum likelihood
(``gan_course.flow_training.train_flow``) or as the generator of a GAN (``gan_course.train.train``),
the comparison of Danihelka, Lakshminarayanan et al. (2017) that lesson 06 repeats.

    flow = RealNVP2D(dim=2, layers=8, width=64, seed=0)                  toy points (B, 2)
    flow = RealNVPImage(channels=1, size=28, scales=3, width=32, seed=0)  digits (B, 1, 28, 28)

Directions. Every layer and both models have

    forward(z) → x             noise → data: the generator direction, so flow(z) is G_θ(z)
    encode(x) → (z, log_det)   data → noise: z = f(x) and log |det ∂z/∂x|, one number per example

and the models add ``log_prob(x)`` (nats per example), ``sample(n, rng)`` and ``noise_dim``.

Pixels. The image model's data space is the course's "gan" pixels, x ∈ [−1, 1] (as a DCGAN
generator's, so one critic can judge both). Its first layers map them to the logit space
where the flow works, counting both Jacobians. The logit is a symmetric variant of Dinh et
al.'s logit(α + (1 − α) y) (Sec. 4.1): it keeps p away from 1 as well as from 0:

    x ∈ [−1, 1] → y = (x + 1)/2 ∈ [0, 1]                 log|det| = −D log 2
    y → v = logit(α + (1 − 2α) y),  α = 0.05             log|det| = Σ [log(1 − 2α) − log p − log(1 − p)]

In the generator direction x = 2 (σ(v) − α)/(1 − 2α) − 1 lies in (−1.11, 1.11) for α = 0.05:
samples may overshoot [−1, 1] a little (clamp them to show them, not to score them).
Bytes are dequantised and scored in bits/dim by ``dequantise`` and ``flow_bits_per_dim``.

Start. Each coupling's network ends with a zero-initialised layer, so s = t = 0 and the layer
starts as the identity: RealNVP2D starts as z = x, log q_θ = log N(x; 0, I). The image model's
ActNorm layers are initialised from the first batch of data they encode (Kingma & Dhariwal
2018); see ``ActNorm`` for a flow trained as a generator, which never encodes data.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.data.images import PIXEL_RANGES, check_pixels, rescale_pixels
from gan_course.metrics.likelihood import BYTE_LEVELS, bits_per_dim
from gan_course.models.dcgan import _seeded
from gan_course.models.toy import mlp
from gan_course.validation import (
    check_int,
    check_number,
    check_points,
    check_samples,
    refuse_byte_pixels,
    refuse_holder,
)

Tensor = torch.Tensor

DATA_PIXELS = "gan"
"""The pixel range of the image model's data space: [−1, 1], as a DCGAN generator's samples."""

LOGIT_ALPHA = 0.05
"""Dinh et al.'s α = 0.05, in a symmetric logit: it sees α + (1 − 2α) y ∈ [0.05, 0.95], never 0 or 1."""

# ---------------------------------------------------------------------------- masks


def _check_parity(parity) -> int:
    if parity not in (0, 1) or isinstance(parity, bool):
        raise ValueError(f"parity must be 0 or 1, got {parity!r}; alternate 0 and 1 between couplings.")
    return int(parity)


def checkerboard_mask(size: int, parity: int) -> Tensor:
    """b of shape (1, size, size): b[i, j] = 1 where (i + j) mod 2 = parity, else 0.

    The pixels where b = 1 pass through a coupling unchanged and condition the others; the
    next coupling takes the other parity so that every pixel gets transformed (Dinh et al. Fig. 3).
    """
    size, parity = check_int(size, "size"), _check_parity(parity)
    rows, columns = torch.arange(size)[:, None], torch.arange(size)[None, :]
    return ((rows + columns) % 2 == parity).float()[None]


def channel_mask(channels: int, parity: int) -> Tensor:
    """b of shape (channels,): 1 on the first ⌈channels/2⌉ entries for parity 0, on the rest for 1.

    For images, b[:, None, None] masks whole channels (after a squeeze, Dinh et al. Fig. 3);
    for points (B, d), b masks coordinates (RealNVP2D alternates the two halves).
    """
    channels, parity = check_int(channels, "channels"), _check_parity(parity)
    first_half = (torch.arange(channels) < (channels + 1) // 2).float()
    return first_half if parity == 0 else 1.0 - first_half


# ---------------------------------------------------------------------------- layers


class AffineCoupling(nn.Module):
    """The affine coupling layer of Dinh et al. (2017, eq. 9), with a binary mask b:

        encode:   y = b⊙x + (1 − b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))
        forward:  x = b⊙y + (1 − b)⊙((y − t(b⊙y))⊙exp(−s(b⊙y)))       (b⊙y = b⊙x)
        log |det ∂y/∂x| = Σ (1 − b)⊙s(b⊙x)

    ∂y/∂x is triangular (the b-half is copied, and the other half depends on itself only through
    exp(s)), so its log-determinant is the sum of s over the transformed half, and s and t can
    be any network: they are never inverted. ``net`` maps b⊙x (B, channels, …) to 2·channels
    outputs along axis 1, read as (raw s, t). s = scale · tanh(raw s), with a learned scale per
    channel, as Dinh et al.: an unbounded s can make exp(s) overflow early in training.
    ``mask``: (d,) for points, (1, H, W) or (C, 1, 1) for images (see the mask functions).
    """

    def __init__(self, mask: Tensor, net: nn.Module, channels: int):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net = net
        self.scale = nn.Parameter(torch.ones((check_int(channels, "channels"),) + (1,) * (mask.ndim - 1)))

    def scale_and_shift(self, masked: Tensor) -> tuple[Tensor, Tensor]:
        raw_scale, shift = self.net(masked).chunk(2, dim=1)
        return self.scale * torch.tanh(raw_scale), shift

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        b = self.mask
        s, t = self.scale_and_shift(b * x)
        y = b * x + (1 - b) * (x * torch.exp(s) + t)
        return y, ((1 - b) * s).flatten(1).sum(1)

    def forward(self, y: Tensor) -> Tensor:
        b = self.mask
        s, t = self.scale_and_shift(b * y)
        return b * y + (1 - b) * (y - t) * torch.exp(-s)


class ActNorm(nn.Module):
    """Activation normalisation (Kingma & Dhariwal 2018, Glow): an affine map per channel,

        encode:  y = (x + bias)⊙exp(log_scale)        forward:  x = y⊙exp(−log_scale) − bias
        log |det ∂y/∂x| = H·W·Σ_c log|s_c|,  s = exp(log_scale)   (H·W = 1 for points (B, C))

    Data-dependent start: the first batch it encodes sets bias = −mean and s = 1/std per
    channel, so that batch leaves with zero mean and unit variance; from then on bias and
    log_scale are ordinary parameters. It takes the place of Dinh et al.'s batch norm because it
    computes the same function in training and in evaluation, and one example's output never
    depends on the rest of its batch (which a WGAN-GP critic's gradient penalty also assumes).

    A flow trained as a generator never encodes data: the first ``forward`` call marks the
    layer started as it is (the identity), so that a later ``encode`` (for bits/dim) does not
    overwrite parameters that training has moved. ``Flow.initialise(x)`` starts every ActNorm
    from a batch of data explicitly, e.g. before GAN training, for a like-for-like comparison.
    """

    def __init__(self, channels: int):
        super().__init__()
        channels = check_int(channels, "channels")
        self.bias = nn.Parameter(torch.zeros(channels))
        self.log_scale = nn.Parameter(torch.zeros(channels))
        self.register_buffer("initialised", torch.tensor(False))

    def _per_channel(self, values: Tensor, like: Tensor) -> Tensor:
        return values.reshape((1, -1) + (1,) * (like.ndim - 2))

    @torch.no_grad()
    def initialise(self, x: Tensor) -> None:
        """bias = −mean and log_scale = −log std per channel of the batch x."""
        other_axes = [0] + list(range(2, x.ndim))
        self.bias.copy_(-x.mean(other_axes))
        # 1e-6 keeps a constant channel (a blank border) from dividing by zero
        self.log_scale.copy_(-torch.log(x.std(other_axes) + 1e-6))
        self.initialised.fill_(True)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if not self.initialised:
            self.initialise(x)
        y = (x + self._per_channel(self.bias, x)) * torch.exp(self._per_channel(self.log_scale, x))
        positions = x[0, 0].numel()  # H·W: each channel's scale acts on every position
        return y, (positions * self.log_scale.sum()).expand(len(x))

    def forward(self, y: Tensor) -> Tensor:
        self.initialised.fill_(True)
        return y * torch.exp(-self._per_channel(self.log_scale, y)) - self._per_channel(self.bias, y)


def squeeze(images: Tensor) -> Tensor:
    """Space to depth: (B, C, H, W) → (B, 4C, H/2, W/2), each 2×2 square of pixels becoming
    four channels (Dinh et al. Fig. 3). A permutation, so log |det| = 0."""
    if images.ndim != 4 or images.shape[-1] % 2 or images.shape[-2] % 2:
        raise ValueError(f"squeeze needs images (B, C, H, W) with even H and W, got {tuple(images.shape)}; "
                         "pick a size divisible by 2^(scales − 1).")
    return F.pixel_unshuffle(images, 2)


def unsqueeze(images: Tensor) -> Tensor:
    """Depth to space, the inverse of ``squeeze``: (B, 4C, H, W) → (B, C, 2H, 2W)."""
    if images.ndim != 4 or images.shape[1] % 4:
        raise ValueError(f"unsqueeze needs images (B, 4C, H, W), got {tuple(images.shape)}; "
                         "pass what squeeze returned.")
    return F.pixel_shuffle(images, 2)


class Squeeze(nn.Module):
    """``squeeze`` as a flow layer: encode squeezes (log |det| = 0), forward unsqueezes."""

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return squeeze(x), x.new_zeros(len(x))

    def forward(self, y: Tensor) -> Tensor:
        return unsqueeze(y)


class PixelsToUnit(nn.Module):
    """Pixels in the range ``pixels`` ("gan": [−1, 1]) to y ∈ [0, 1], linearly:

        encode:  y = (x − low)/(high − low)      log |det ∂y/∂x| = −D log(high − low)
    """

    def __init__(self, pixels: str = DATA_PIXELS):
        super().__init__()
        self.low, high = PIXEL_RANGES[check_pixels(pixels)]
        self.width = high - self.low

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        dims = x[0].numel()
        return (x - self.low) / self.width, x.new_full((len(x),), -dims * math.log(self.width))

    def forward(self, y: Tensor) -> Tensor:
        return self.low + self.width * y


class LogitTransform(nn.Module):
    """A symmetric variant of Dinh et al.'s logit(α + (1 − α) y) (Sec. 4.1): y ∈ [0, 1] → v ∈ ℝ,
    with p = α + (1 − 2α) y,

        encode:   v = logit(p) = log p − log(1 − p)
        forward:  y = (σ(v) − α)/(1 − 2α)
        log |det ∂v/∂y| = Σ [log(1 − 2α) − log p − log(1 − p)]

    The flow's Gaussian lives on ℝ^D, the pixels on a box: the logit stretches the box to ℝ^D,
    and α keeps p away from 0 and 1, where the logit and its Jacobian are infinite.
    """

    def __init__(self, alpha: float = LOGIT_ALPHA):
        super().__init__()
        self.alpha = check_number(alpha, "alpha")
        if self.alpha >= 0.5:
            raise ValueError(f"alpha must be in (0, 0.5), got {alpha!r}; Dinh et al. use 0.05.")

    def encode(self, y: Tensor) -> tuple[Tensor, Tensor]:
        p = self.alpha + (1 - 2 * self.alpha) * y
        v = torch.log(p) - torch.log1p(-p)
        log_det = (math.log(1 - 2 * self.alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
        return v, log_det

    def forward(self, v: Tensor) -> Tensor:
        return (torch.sigmoid(v) - self.alpha) / (1 - 2 * self.alpha)


class FlowSequence(nn.ModuleList):
    """Layers applied one after another: encode runs them in order, summing the log-determinants
    (the chain rule: det of a product is the product of dets); forward runs them in reverse."""

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        log_det = x.new_zeros(len(x))
        for layer in self:
            x, layer_log_det = layer.encode(x)
            log_det = log_det + layer_log_det
        return x, log_det

    def forward(self, z: Tensor) -> Tensor:
        for layer in reversed(self):
            z = layer(z)
        return z


# ---------------------------------------------------------------------------- the s and t networks


def _zero_last_layer(net: nn.Sequential) -> nn.Sequential:
    # s = t = 0 at the start: every coupling begins as the identity, and the flow as N(0, I)
    nn.init.zeros_(net[-1].weight)
    nn.init.zeros_(net[-1].bias)
    return net


def coupling_mlp(dim: int, width: int, depth: int = 2) -> nn.Sequential:
    """s and t for points: ``mlp(dim, 2·dim, width, depth)`` with its last layer zeroed."""
    return _zero_last_layer(mlp(dim, 2 * dim, width, depth))


def coupling_convnet(channels: int, width: int) -> nn.Sequential:
    """s and t for images: conv 3×3 → ReLU → conv 1×1 → ReLU → conv 3×3 (zeroed), channels →
    width → width → 2·channels, Glow's network (Kingma & Dhariwal 2018); the middle 1×1
    convolution costs a ninth of a 3×3 one, which a CPU notices."""
    return _zero_last_layer(nn.Sequential(
        nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(),
        nn.Conv2d(width, width, 1), nn.ReLU(),
        nn.Conv2d(width, 2 * channels, 3, padding=1)))


def _image_couplings(masks: list[Tensor], channels: int, width: int) -> list[nn.Module]:
    """One coupling per mask, each followed by an ActNorm (where Dinh et al. put batch norm)."""
    layers = []
    for mask in masks:
        layers += [AffineCoupling(mask, coupling_convnet(channels, width), channels), ActNorm(channels)]
    return layers


# ---------------------------------------------------------------------------- the models


def standard_normal_log_prob(z: Tensor) -> Tensor:
    """log N(z; 0, I) = −½‖z‖² − (D/2) log 2π, one number per row of z (B, D)."""
    return -0.5 * (z**2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


class Flow(nn.Module):
    """What both Real NVP models share: the density and sampling, given forward and encode."""

    noise_dim: int

    def log_prob(self, x: Tensor) -> Tensor:
        """log q_θ(x) = log N(z; 0, I) + log |det ∂z/∂x|, z = f(x), in nats per example (B,)."""
        z, log_det = self.encode(x)
        return standard_normal_log_prob(z) + log_det

    @torch.no_grad()
    def sample(self, n: int, rng: torch.Generator | None = None) -> Tensor:
        """n samples x = G_θ(z), z ~ N(0, I) drawn from ``rng`` (on the CPU), without gradients."""
        parameter = next(self.parameters())
        z = torch.randn(check_int(n, "the sample size n"), self.noise_dim, generator=rng,
                        dtype=parameter.dtype)
        return self(z.to(parameter.device))

    @torch.no_grad()
    def initialise(self, x: Tensor) -> None:
        """Start every ActNorm from the batch of data x (Kingma & Dhariwal 2018), even one already
        started; ``encode`` does this by itself on the first batch a fresh flow sees."""
        for module in self.modules():
            if isinstance(module, ActNorm):
                module.initialised.fill_(False)
        self.encode(x)


class RealNVP2D(Flow):
    """Real NVP for points in ℝ^dim (the toy data of lessons 02–08): ``layers`` affine couplings
    that alternate the two halves of the coordinates (for dim = 2: y₂ = x₂e^{s(x₁)} + t(x₁), then
    y₁ = x₁e^{s(y₂)} + t(y₂), …), s and t ``mlp``s of ``depth`` hidden layers of ``width``.

    No normalisation layers: it starts as the identity, log q_θ(x) = log N(x; 0, I).
    The defaults have 8 couplings of 2 hidden layers of 64 units: 36,912 parameters.
    seed: if given, the initial weights are those drawn right after torch.manual_seed(seed).
    """

    def __init__(self, dim: int = 2, layers: int = 8, width: int = 64, depth: int = 2,
                 seed: int | None = None):
        super().__init__()
        self.noise_dim = check_int(dim, "dim")
        if self.noise_dim < 2:
            raise ValueError(f"a coupling needs dim >= 2 (one half conditions the other), got dim={dim}.")
        check_int(layers, "layers")
        with _seeded(seed):
            self.flow = FlowSequence([
                AffineCoupling(channel_mask(dim, layer % 2), coupling_mlp(dim, width, depth), dim)
                for layer in range(layers)])

    def forward(self, z: Tensor) -> Tensor:
        return self.flow(self._check_points(z, "noise"))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return self.flow.encode(self._check_points(x, "points"))

    def _check_points(self, points, name: str) -> Tensor:
        points = check_points(points, name, dim=self.noise_dim)
        dtype = next(self.parameters()).dtype
        if points.dtype != dtype:
            raise TypeError(f"the flow's weights are {dtype}, got {name} of {points.dtype}; convert "
                            f"them with .to({dtype}).")
        return points


class RealNVPImage(Flow):
    """Real NVP for images (B, channels, size, size) in [−1, 1], with Dinh et al.'s multi-scale
    architecture (Sec. 3.6). After the pixels → logit layers, each of the ``scales − 1`` first scales is

        3 couplings with checkerboard masks → squeeze → 3 couplings with channel masks
        → factor out half the channels (they are part of z already; the rest go on)

    and the last scale is 4 couplings with checkerboard masks. Each coupling is followed by an
    ActNorm (Dinh et al. used batch norm there). Factoring out halves the work at each scale and
    lets the first layers model local structure and the later ones global structure.

    z is flat, (B, channels·size²), like a DCGAN generator's noise: the factored-out parts in
    order, then the last scale's output, each flattened (``latent_shapes``).
    The defaults (1×28×28, scales=3, width=32): 16 couplings, on 1×28×28 and 4×14×14, then
    2×14×14 and 8×7×7, then 4×7×7; z = (2×14×14, 4×7×7, 4×7×7) flattened; 70,417 parameters.
    A maximum-likelihood step at batch 64 took 0.37–0.41 s on a 2-core CPU (one thread, as
    ``setup`` sets): 300 steps (2 minutes) took mnist5k's held-out digits from 6.86 to 2.19
    bits/dim. width=64 is twice as slow for a better fit; the third scale costs little (7×7).
    seed: if given, the initial weights are those drawn right after torch.manual_seed(seed).
    """

    def __init__(self, channels: int = 1, size: int = 28, scales: int = 3, width: int = 32,
                 seed: int | None = None, alpha: float = LOGIT_ALPHA):
        super().__init__()
        self.channels, self.size = check_int(channels, "channels"), check_int(size, "size")
        check_int(scales, "scales")
        check_int(width, "width")
        if size % 2 ** (scales - 1):
            raise ValueError(f"size={size} cannot be squeezed {scales - 1} times (it must be divisible "
                             f"by 2^(scales − 1) = {2 ** (scales - 1)}); use fewer scales.")
        self.noise_dim = channels * size * size
        self.pixels = FlowSequence([PixelsToUnit(DATA_PIXELS), LogitTransform(alpha)])
        with _seeded(seed):
            self.scales, self.latent_shapes = nn.ModuleList(), []
            for _ in range(scales - 1):
                self.scales.append(FlowSequence(
                    _image_couplings([checkerboard_mask(size, p) for p in (0, 1, 0)], channels, width)
                    + [Squeeze()]
                    + _image_couplings([channel_mask(4 * channels, p)[:, None, None] for p in (0, 1, 0)],
                                       4 * channels, width)))
                channels, size = 2 * channels, size // 2  # of the 4C squeezed channels, half go on
                self.latent_shapes.append((channels, size, size))
            self.final = FlowSequence(
                _image_couplings([checkerboard_mask(size, p) for p in (0, 1, 0, 1)], channels, width))
            self.latent_shapes.append((channels, size, size))

    def _check_images(self, images) -> Tensor:
        refuse_holder(images, "images")
        shape = (self.channels, self.size, self.size)
        if not torch.is_tensor(images) or tuple(images.shape[1:]) != shape or images.ndim != 4:
            got = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
            raise ValueError(f"images must have shape (B, {', '.join(map(str, shape))}), got {got}; "
                             f"reshape them with .reshape(-1, {', '.join(map(str, shape))}).")
        refuse_byte_pixels(images, "the image flow")
        return images

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h, log_det = self.pixels.encode(self._check_images(x))
        latents = []
        for scale in self.scales:
            h, scale_log_det = scale.encode(h)
            log_det = log_det + scale_log_det
            h, factored_out = h.chunk(2, dim=1)
            latents.append(factored_out)
        h, final_log_det = self.final.encode(h)
        latents.append(h)
        return torch.cat([latent.flatten(1) for latent in latents], dim=1), log_det + final_log_det

    def forward(self, z: Tensor) -> Tensor:
        z = check_points(z, "noise", dim=self.noise_dim)
        sizes = [math.prod(shape) for shape in self.latent_shapes]
        latents = [part.reshape((-1,) + shape) for part, shape in zip(z.split(sizes, dim=1),
                                                                      self.latent_shapes)]
        h = self.final(latents[-1])
        for scale, factored_out in zip(reversed(self.scales), reversed(latents[:-1])):
            h = scale(torch.cat([h, factored_out], dim=1))
        return self.pixels(h)


# ---------------------------------------------------------------------------- bits per dimension

BIN_WIDTH = (PIXEL_RANGES[DATA_PIXELS][1] - PIXEL_RANGES[DATA_PIXELS][0]) / BYTE_LEVELS
"""Δ = 2/256: the width of one of the 256 byte levels in the flow's [−1, 1) pixels."""


def dequantise(images: Tensor, rng: torch.Generator | None = None, pixels: str = DATA_PIXELS) -> Tensor:
    """8-bit images in the range ``pixels`` → dequantised pixels in [−1, 1), the flow's data space:

        bytes b ∈ {0, …, 255},  u ~ U[0, 1)^D,  x = −1 + (b + u)·Δ,  Δ = 2/256

    so each byte level fills its own cube of side Δ and a density can be fitted to them
    (Theis et al. 2016; see ``gan_course.metrics.likelihood.bits_per_dim``). u comes from ``rng``,
    on the CPU. Images that are not on the byte grid (a generator's samples) are refused.
    """
    images = check_samples(images, "images")
    levels = rescale_pixels(images.detach(), pixels, "bytes")
    rounded = levels.round()
    if bool((levels - rounded).abs().max() > 1e-3) or bool(rounded.min() < 0) or bool(rounded.max() > 255):
        raise ValueError(f"images are not 8-bit pixels in the {pixels!r} range {PIXEL_RANGES[pixels]}; "
                         "dequantise real images (load_images) and name their range with pixels=...")
    noise = torch.rand(images.shape, generator=rng).to(rounded)
    return (PIXEL_RANGES[DATA_PIXELS][0] + (rounded + noise) * BIN_WIDTH).to(images.dtype)


@torch.no_grad()
def flow_bits_per_dim(flow: nn.Module, images: Tensor, rng: torch.Generator | None = None,
                      pixels: str = DATA_PIXELS, batch_size: int = 256) -> float:
    """The mean bits/dim of 8-bit ``images`` (range ``pixels``) under the flow's density q_θ:

        bits/dim = −(log q_θ(x) + D log Δ)/(D ln 2),   x = dequantise(images),  Δ = 2/256

    averaged over the images. Every Jacobian is counted: those of the flow, of its logit and of
    [0, 1] → [−1, 1] are inside log q_θ (``RealNVPImage.encode``), and D log Δ turns the density
    over [−1, 1)^D into a probability of the bytes (``bits_per_dim``): a flow uniform on the pixel
    cube scores exactly 8, and a dequantised score is an upper bound on the discrete one.
    One dequantisation per image, from ``rng``.
    """
    images = check_samples(images, "images")
    batch_size = check_int(batch_size, "batch_size")
    total = 0.0
    for chunk in images.split(batch_size):
        log_likelihood = flow.log_prob(dequantise(chunk, rng, pixels))
        total += float(bits_per_dim(log_likelihood, chunk[0].numel(), BIN_WIDTH).sum())
    return total / len(images)


__all__ = ["AffineCoupling", "ActNorm", "Squeeze", "PixelsToUnit", "LogitTransform", "FlowSequence",
           "Flow", "RealNVP2D", "RealNVPImage", "checkerboard_mask", "channel_mask", "squeeze",
           "unsqueeze", "coupling_mlp", "coupling_convnet", "standard_normal_log_prob", "dequantise",
           "flow_bits_per_dim", "BIN_WIDTH", "LOGIT_ALPHA", "DATA_PIXELS"]
