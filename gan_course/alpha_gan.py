"""α-GAN and the VAE–GAN hybrids as switches of one model (lesson 07).

Rosca, Lakshminarayanan, Warde-Farley & Mohamed (2017), "Variational approaches for
auto-encoding generative adversarial networks", start from the ELBO of a latent variable
model p_θ(x) = ∫ p_θ(x|z) p(z) dz with z ~ p(z) = N(0, I) and an encoder q_η(z|x):

    log p_θ(x) ≥ E_q_η(z|x)[log p_θ(x|z)] − KL[q_η(z|x) ‖ p(z)]

and replace each term they cannot compute by something they can learn:

    likelihood  log p_θ(x|z) ≈ −λ ‖x − G_θ(z)‖₁               (reconstruction, an "observer")
                and/or log D_φ/(1 − D_φ) ≈ log p*(x)/p_θ(x)    ("synthetic likelihood": the
                                                               density-ratio trick on images)
    prior       −KL = E_q[log p(z)/q_η(z|x)]: analytic for a Gaussian q_η, or
                ≈ E_q[log C_ω/(1 − C_ω)], a code discriminator C_ω that tells prior
                samples z ~ p(z) from codes E_η(x), so that q_η can be implicit.

Four networks, each with its own optimiser and its own update (``alpha_gan_step``):

    G_θ(z)   generator        E_η(x)   encoder (deterministic, or Gaussian for a VAE)
    D_φ(x)   image discriminator       C_ω(z)   code discriminator (no batch norm)

Which terms a model uses are the switches of a ``HybridConfig``; ``HYBRIDS`` holds the
rows of the talk's Table 1 (VAE, DCGAN, VAE-GAN, Adversarial VB, AGE, α-GAN) and
``hybrids_table()`` prints that table from the configurations themselves.

    networks = build_networks(HYBRIDS["α-GAN"], data_dim=2, noise_dim=2, seed=0)
    train_hybrid(networks, HYBRIDS["α-GAN"], batches, steps=2000,
                 optimizers=make_optimizers(networks))

Every loss is written with logits (−log σ(l) = softplus(−l), −log(1 − σ(l)) = softplus(l)),
as in ``gan_course.gan_losses``, so confident discriminators give finite losses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gan_course.config import progress_bar
from gan_course.models.dcgan import DCGANDiscriminator, DCGANEncoder, DCGANGenerator
from gan_course.models.toy import mlp
from gan_course.validation import check_int, check_number

Tensor = torch.Tensor

CODE_TERMS = ("none", "analytic_kl", "approximate_kl", "code_discriminator")
IMAGE_TERMS = ("none", "samples", "samples_and_reconstructions")
ENCODERS = ("none", "gaussian", "deterministic")
NETWORK_NAMES = ("generator", "encoder", "discriminator", "code_discriminator")


# --------------------------------------------------------------------------- the switches


@dataclass(frozen=True)
class HybridConfig:
    """Which terms of the ELBO a model keeps, and how it estimates them (defaults: α-GAN).

    reconstruction: the observer likelihood λ‖x − G(E(x))‖₁, minimised by E and G.
    code_term: how the codes are pulled towards the prior p(z) = N(0, I):
        "none";
        "analytic_kl": KL[N(μ, σ²) ‖ N(0, I)] in closed form (needs encoder="gaussian");
        "approximate_kl": KL between a Gaussian fitted to the batch's codes and N(0, I)
            (AGE, Ulyanov et al. 2018: Table 1's "KL (approximate)");
        "code_discriminator": a classifier C_ω of prior samples vs codes (a ratio estimator).
    image_term: what the image discriminator D_φ sees as fakes, and so which synthetic
        likelihood G minimises: "none", "samples" G(z), or "samples_and_reconstructions".
    encoder: "none", "gaussian" (μ and log σ², reparameterised: a VAE's q_η(z|x)) or
        "deterministic" (z = E(x): an implicit q_η, a point mass per x).
    """

    reconstruction: bool = True
    code_term: str = "code_discriminator"
    image_term: str = "samples_and_reconstructions"
    encoder: str = "deterministic"

    def __post_init__(self):
        _check_choice(self.code_term, CODE_TERMS, "code_term")
        _check_choice(self.image_term, IMAGE_TERMS, "image_term")
        _check_choice(self.encoder, ENCODERS, "encoder")
        if not isinstance(self.reconstruction, bool):
            raise ValueError(f"reconstruction must be True or False, got {self.reconstruction!r}.")
        self._check_consistent()

    def _check_consistent(self) -> None:
        has_encoder = self.encoder != "none"
        if self.code_term == "analytic_kl" and self.encoder != "gaussian":
            raise ValueError("code_term='analytic_kl' needs the closed-form KL of a Gaussian q(z|x): "
                             "set encoder='gaussian', or use code_term='code_discriminator' for an "
                             "implicit encoder.")
        if not has_encoder and (self.reconstruction or self.code_term != "none"
                                or self.image_term == "samples_and_reconstructions"):
            raise ValueError("reconstructions and code terms need an encoder: set encoder='gaussian' "
                             "or 'deterministic', or turn them off (reconstruction=False, "
                             "code_term='none', image_term='samples').")
        if has_encoder and not self.reconstruction:
            raise ValueError("an encoder without reconstruction learns nothing about the data: set "
                             "reconstruction=True, or encoder='none' with code_term='none'.")
        if not self.reconstruction and self.image_term == "none":
            raise ValueError("nothing would train the generator: set reconstruction=True or "
                             "image_term='samples'.")

    @property
    def used_networks(self) -> tuple[str, ...]:
        """The networks this model trains, in ``NETWORK_NAMES`` order."""
        used = {"generator": True, "encoder": self.encoder != "none",
                "discriminator": self.image_term != "none",
                "code_discriminator": self.code_term == "code_discriminator"}
        return tuple(name for name in NETWORK_NAMES if used[name])

    def parts(self) -> tuple[str, ...]:
        """The terms this model uses, named as the columns of ``hybrids_table``."""
        parts = ["reconstruction"] if self.reconstruction else []
        if self.image_term != "none":
            parts.append(f"synthetic likelihood: {self.image_term.replace('_', ' ')}")
        if self.code_term != "none":
            parts.append(self.code_term.replace("_kl", " KL").replace("_", " "))
        if self.encoder != "none":
            parts.append(f"{self.encoder} encoder")
        return tuple(parts)


def _check_choice(value, choices: tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}.")


HYBRIDS: dict[str, HybridConfig] = {
    # Kingma & Welling 2014, with a Laplace decoder (λ‖·‖₁, scale 1/λ) instead of a Gaussian one
    "VAE": HybridConfig(reconstruction=True, code_term="analytic_kl", image_term="none",
                        encoder="gaussian"),
    # Radford et al. 2016: train.py's non-saturating GAN, no encoder
    "DCGAN": HybridConfig(reconstruction=False, code_term="none", image_term="samples",
                          encoder="none"),
    # Larsen et al. 2016; they measure the reconstruction in D's hidden features, not in pixels
    "VAE-GAN": HybridConfig(reconstruction=True, code_term="analytic_kl",
                            image_term="samples_and_reconstructions", encoder="gaussian"),
    # Mescheder et al. 2017, approximately: see ``HYBRIDS_DIFFERENCES``
    "Adversarial VB": HybridConfig(reconstruction=True, code_term="code_discriminator",
                                   image_term="none", encoder="deterministic"),
    # Ulyanov et al. 2018, approximately: see ``HYBRIDS_DIFFERENCES``
    "AGE": HybridConfig(reconstruction=True, code_term="approximate_kl", image_term="none",
                        encoder="deterministic"),
    "α-GAN": HybridConfig(reconstruction=True, code_term="code_discriminator",
                          image_term="samples_and_reconstructions", encoder="deterministic"),
}

HYBRIDS_DIFFERENCES: dict[str, str] = {
    "VAE": "the decoder's likelihood is Laplace (λ‖x − G(z)‖₁), and E and G take one update each "
           "in turn rather than one joint update.",
    "DCGAN": "none: with these switches one step is train()'s non-saturating step.",
    "VAE-GAN": "Larsen et al. reconstruct in the features of D's hidden layer; here in pixels.",
    "Adversarial VB": "AVB's encoder takes noise, z = E(x, ε), and its adversary T(x, z) sees (x, z) "
                      "pairs, estimating log q(z|x)/p(z) per x; here C(z) sees codes only and "
                      "estimates the aggregate ratio q(z)/p(z), as an adversarial autoencoder does.",
    "AGE": "AGE has no image discriminator but plays its game in code space: E also maximises the "
           "approximate KL of the samples' codes E(G(z)), G minimises it and reconstructs codes "
           "‖z − E(G(z))‖², and codes lie on the unit sphere; here only the data's codes are "
           "pulled to the prior, so G learns from reconstructions alone.",
    "α-GAN": "none: Algorithm 1 of Rosca et al. (2017), with its non-saturating form.",
}
"""What each row of ``HYBRIDS`` leaves out of its paper: the switches span Table 1's columns,
not every detail of each model."""


TABLE_COLUMNS = ("reconstruction", "synthetic likelihood", "analytic KL", "approximate KL",
                 "code discriminator", "encoder")


def hybrids_table() -> list[tuple[str, tuple[str, ...]]]:
    """The talk's Table 1, read off ``HYBRIDS``: one row (name, the parts it uses) per model."""
    return [(name, config.parts()) for name, config in HYBRIDS.items()]


def format_hybrids_table() -> str:
    """``hybrids_table()`` as text, one ✓ (or the variant used) per column of Table 1."""
    def cell(parts: tuple[str, ...], column: str) -> str:
        for part in parts:
            if part == column:
                return "✓"
            if part.startswith(f"{column}: "):
                return part.split(": ")[1].replace("samples and reconstructions", "samples + recs")
            if column == "encoder" and part.endswith(" encoder"):
                return part.split()[0]
        return ""
    rows = [("", *TABLE_COLUMNS)] + [(name, *(cell(parts, c) for c in TABLE_COLUMNS))
                                     for name, parts in hybrids_table()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(text.ljust(w) for text, w in zip(row, widths)).rstrip() for row in rows)


# --------------------------------------------------------------------------- networks


@dataclass
class HybridNetworks:
    """G_θ, E_η, D_φ, C_ω; a network a model does not use is None."""

    generator: nn.Module
    encoder: nn.Module | None = None
    discriminator: nn.Module | None = None
    code_discriminator: nn.Module | None = None

    def __post_init__(self):
        if self.code_discriminator is not None and _has_batch_norm(self.code_discriminator):
            # C_ω must score each code on its own: with batch norm it could tell a batch of
            # prior samples from a batch of codes by their statistics, and its logit would not
            # estimate log p(z)/q_η(z) per code
            raise ValueError("the code discriminator must not use batch norm: build it without "
                             "normalisation, e.g. gan_course.models.toy.mlp(noise_dim, 1).")

    def present(self) -> dict[str, nn.Module]:
        """{name: network} for the networks that are not None."""
        return {name: getattr(self, name) for name in NETWORK_NAMES if getattr(self, name) is not None}


def _has_batch_norm(network: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in network.modules())


def _encoder_outputs(config: HybridConfig, noise_dim: int) -> int:
    # a Gaussian encoder outputs a mean and a log-variance per code dimension
    return 2 * noise_dim if config.encoder == "gaussian" else noise_dim


def build_networks(config: HybridConfig, data_dim: int = 2, noise_dim: int = 2, width: int = 64,
                   depth: int = 2, seed: int = 0) -> HybridNetworks:
    """The MLPs (``gan_course.models.toy.mlp``) of the networks ``config`` uses, for points.

    They are drawn right after torch.manual_seed(seed) in the order G, D, E, C (the global
    random state is left as it was), so G and D are those of ``toy_networks`` for the same
    seed and sizes: the DCGAN row starts from the weights of a ``train_toy`` run.
    """
    used, sizes = config.used_networks, dict(width=width, depth=depth)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int(seed, "seed", minimum=0))
        generator = mlp(noise_dim, data_dim, **sizes)
        discriminator = mlp(data_dim, 1, **sizes) if "discriminator" in used else None
        encoder = (mlp(data_dim, _encoder_outputs(config, noise_dim), **sizes)
                   if "encoder" in used else None)
        code_discriminator = mlp(noise_dim, 1, **sizes) if "code_discriminator" in used else None
    return HybridNetworks(generator, encoder, discriminator, code_discriminator)


def build_image_networks(config: HybridConfig, channels: int = 1, size: int = 28, noise_dim: int = 32,
                         width: int = 64, code_width: int = 256, seed: int = 0) -> HybridNetworks:
    """DCGAN-style conv nets (``gan_course.models.dcgan``) for images, and an MLP of
    ``code_width`` units as the code discriminator (codes are vectors; no batch norm)."""
    used = config.used_networks
    generator = DCGANGenerator(noise_dim, channels, size, width, seed=seed)
    discriminator = (DCGANDiscriminator(channels, size, width, seed=seed + 1)
                     if "discriminator" in used else None)
    encoder = (DCGANEncoder(channels, size, _encoder_outputs(config, noise_dim), width, seed=seed + 2)
               if "encoder" in used else None)
    code_discriminator = (mlp(noise_dim, 1, code_width, 2, activation="leaky_relu", seed=seed + 3)
                          if "code_discriminator" in used else None)
    return HybridNetworks(generator, encoder, discriminator, code_discriminator)


def make_optimizers(networks: HybridNetworks, lr: float = 1e-3,
                    betas: tuple[float, float] = (0.5, 0.999)) -> dict[str, torch.optim.Optimizer]:
    """One Adam per network, {name: optimiser}: each player updates only its own weights."""
    check_number(lr, "lr")
    return {name: torch.optim.Adam(network.parameters(), lr=lr, betas=betas)
            for name, network in networks.present().items()}


# --------------------------------------------------------------------------- the terms


def reconstruction_loss(real: Tensor, reconstructions: Tensor, lambda_rec: float) -> Tensor:
    """λ E_x ‖x − G(E(x))‖₁: the negative log-likelihood of a Laplace decoder with scale 1/λ,
    up to a constant (Rosca et al. 2017, eq. 13). The norm sums over every coordinate."""
    return lambda_rec * (real - reconstructions).abs().flatten(1).sum(1).mean()


def analytic_kl(mean: Tensor, log_var: Tensor) -> Tensor:
    """E_x KL[N(μ, diag σ²) ‖ N(0, I)] = E_x ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²)
    (Kingma & Welling 2014, appendix B)."""
    return 0.5 * (mean**2 + log_var.exp() - 1.0 - log_var).sum(1).mean()


def approximate_kl(codes: Tensor) -> Tensor:
    """KL[N(m, diag s²) ‖ N(0, I)] = ½ Σ_j (m_j² + s_j² − 1 − log s_j²), with m and s² the
    mean and (biased) variance of the batch's codes per dimension: the divergence of the
    codes from the prior that AGE estimates by fitting a Gaussian (Ulyanov et al. 2018)."""
    mean, var = codes.mean(0), codes.var(0, unbiased=False)
    return 0.5 * (mean**2 + var - 1.0 - var.log()).sum()


def encoder_code_loss(logits_codes: Tensor) -> Tensor:
    """E_x[−log C_ω(E(x))] = E_x[softplus(−l)]: the encoder makes its codes look like prior
    samples, the ones C_ω calls "real" (the non-saturating form of −log C/(1 − C))."""
    return F.softplus(-logits_codes).mean()


def code_discriminator_loss(logits_prior: Tensor, logits_codes: Tensor) -> Tensor:
    """E_p(z)[−log C_ω(z)] + E_x[−log(1 − C_ω(E(x)))] = E[softplus(−l_prior)] + E[softplus(l_codes)]:
    prior samples are "real", codes "fake", so C/(1 − C) estimates p(z)/q_η(z)."""
    return F.softplus(-logits_prior).mean() + F.softplus(logits_codes).mean()


def synthetic_likelihood_loss(logits_fakes: list[Tensor]) -> Tensor:
    """Σ_fakes E[−log D_φ(x̃)] = Σ E[softplus(−l)] over reconstructions and/or samples: the
    non-saturating form of the synthetic likelihood −log D/(1 − D) (Rosca et al. 2017, eq. 12)."""
    return sum(F.softplus(-logits).mean() for logits in logits_fakes)


def image_discriminator_loss(logits_real: Tensor, logits_fakes: list[Tensor]) -> Tensor:
    """E_p*[−log D(x)] + Σ_fakes E[−log(1 − D(x̃))] = E[softplus(−l_real)] + Σ E[softplus(l_fake)]:
    real images vs each kind of fake (reconstructions G(E(x)), samples G(z))."""
    return F.softplus(-logits_real).mean() + sum(F.softplus(logits).mean() for logits in logits_fakes)


# --------------------------------------------------------------------------- one step


class Encoding(NamedTuple):
    """codes z = E(x); for a Gaussian encoder also its mean μ and log-variance log σ²."""

    codes: Tensor
    mean: Tensor | None = None
    log_var: Tensor | None = None


def encode(networks: HybridNetworks, config: HybridConfig, real: Tensor) -> Encoding:
    """z = E_η(x), or for a Gaussian encoder z = μ + σ ε with ε ~ N(0, I) (reparameterised, so
    gradients reach η through the sample; ε comes from torch's global random state)."""
    outputs = networks.encoder(real)
    if config.encoder == "deterministic":
        return Encoding(outputs)
    mean, log_var = outputs.chunk(2, dim=1)
    return Encoding(mean + (0.5 * log_var).exp() * torch.randn_like(mean), mean, log_var)


def _update(network: nn.Module, optimizer: torch.optim.Optimizer, loss: Tensor) -> Tensor:
    """One step of ``optimizer`` on ∇ loss for this network's weights only (the others are fixed)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=[p for p in network.parameters() if p.requires_grad])
    optimizer.step()
    return loss.detach()


def _fakes(networks: HybridNetworks, config: HybridConfig, codes: Tensor | None,
           noise: Tensor) -> list[Tensor]:
    """The images D_φ sees as fake: samples G(z), and reconstructions G(E(x)) if the config says."""
    fakes = [networks.generator(noise)]
    if config.image_term == "samples_and_reconstructions":
        fakes.append(networks.generator(codes))
    return fakes


def _fixed_codes(networks: HybridNetworks, config: HybridConfig, real: Tensor) -> Tensor | None:
    """E(x) as a constant (η fixed), or None for a model without an encoder."""
    if config.encoder == "none":
        return None
    with torch.no_grad():
        return encode(networks, config, real).codes


def discriminator_update(networks, optimizers, config, real, noise) -> Tensor:
    """φ ← φ − opt(∇_φ [E[softplus(−l(x))] + Σ_fakes E[softplus(l(x̃))]]), with θ, η fixed."""
    codes = _fixed_codes(networks, config, real)
    with torch.no_grad():
        fakes = _fakes(networks, config, codes, noise)
    D = networks.discriminator
    loss = image_discriminator_loss(D(real), [D(fake) for fake in fakes])
    return _update(D, optimizers["discriminator"], loss)


def code_discriminator_update(networks, optimizers, config, real, noise) -> Tensor:
    """ω ← ω − opt(∇_ω [E[softplus(−l(z))] + E[softplus(l(E(x)))]]), with η fixed."""
    codes = _fixed_codes(networks, config, real)
    C = networks.code_discriminator
    return _update(C, optimizers["code_discriminator"], code_discriminator_loss(C(noise), C(codes)))


def encoder_update(networks, optimizers, config, real, lambda_rec) -> tuple[Tensor, Tensor]:
    """η ← η − opt(∇_η [λ‖x − G(E(x))‖₁ + code term]), with θ, ω fixed.
    Returns (the encoder's loss, its reconstruction part)."""
    encoding = encode(networks, config, real)
    reconstruction = reconstruction_loss(real, networks.generator(encoding.codes), lambda_rec)
    loss = reconstruction
    if config.code_term == "analytic_kl":
        loss = loss + analytic_kl(encoding.mean, encoding.log_var)
    elif config.code_term == "approximate_kl":
        loss = loss + approximate_kl(encoding.codes)
    elif config.code_term == "code_discriminator":
        loss = loss + encoder_code_loss(networks.code_discriminator(encoding.codes))
    return _update(networks.encoder, optimizers["encoder"], loss), reconstruction.detach()


def generator_update(networks, optimizers, config, real, noise, lambda_rec) -> Tensor:
    """θ ← θ − opt(∇_θ [λ‖x − G(E(x))‖₁ + Σ_fakes E[softplus(−l(x̃))]]), with η, φ fixed."""
    # one draw of the codes for both terms (a Gaussian encoder would otherwise draw twice)
    codes = _fixed_codes(networks, config, real)
    loss = torch.zeros((), device=noise.device)
    if config.reconstruction:
        loss = loss + reconstruction_loss(real, networks.generator(codes), lambda_rec)
    if config.image_term != "none":
        fakes = _fakes(networks, config, codes, noise)
        loss = loss + synthetic_likelihood_loss([networks.discriminator(fake) for fake in fakes])
    return _update(networks.generator, optimizers["generator"], loss)


def check_networks(networks: HybridNetworks, optimizers: dict, config: HybridConfig) -> None:
    """A clear error if a network or an optimiser that ``config`` needs is missing."""
    for name in config.used_networks:
        if getattr(networks, name) is None:
            raise ValueError(f"this model needs the {name.replace('_', ' ')}: build the networks with "
                             "build_networks(config, ...) for the same config.")
        if name not in optimizers:
            raise ValueError(f"no optimiser for the {name.replace('_', ' ')}: make them with "
                             "make_optimizers(networks).")


def alpha_gan_step(networks: HybridNetworks, optimizers: dict[str, torch.optim.Optimizer],
                   config: HybridConfig, real: Tensor, noise: Tensor,
                   lambda_rec: float = 1.0) -> dict[str, Tensor]:
    """One training step: an update of each network ``config`` uses, each minimising its own
    loss with the others fixed (Rosca et al. 2017, Algorithm 1), on one batch x ~ p* and one
    batch z ~ N(0, I):

        D_φ: E[−log D(x)] + E[−log(1 − D(G(E(x))))] + E[−log(1 − D(G(z))]
        C_ω: E[−log C(z)] + E[−log(1 − C(E(x)))]
        E_η: λ‖x − G(E(x))‖₁ − log C(E(x))                 (or the analytic/approximate KL)
        G_θ: λ‖x − G(E(x))‖₁ − log D(G(E(x))) − log D(G(z))

    with D = σ(l) and the non-saturating −log D in place of the paper's −log D/(1 − D).
    Switched-off terms drop out, and so do the networks no term uses.

    arXiv v1 of the paper swaps the prior and posterior terms of its equations 16–17 (the
    authors confirmed the typo): here, as in later versions, C_ω calls prior samples "real"
    and codes "fake", and the encoder makes its codes look like prior samples.

    The order: the discriminators first, then E and G, as in ``gan_course.train.train``, so
    that E and G follow discriminators that have seen their latest outputs (Algorithm 1 lists
    E, G, D, C; over many steps the two orders differ by half a step of the discriminators).
    With the DCGAN switches this step *is* train()'s step with loss "non_saturating".

    Returns {name: loss} for each network updated, and "reconstruction" (λ‖x − G(E(x))‖₁,
    measured in the encoder's update) when the model reconstructs.
    """
    check_networks(networks, optimizers, config)
    losses = {}
    if config.image_term != "none":
        losses["discriminator"] = discriminator_update(networks, optimizers, config, real, noise)
    if config.code_term == "code_discriminator":
        losses["code_discriminator"] = code_discriminator_update(networks, optimizers, config, real, noise)
    if config.encoder != "none":
        losses["encoder"], losses["reconstruction"] = encoder_update(networks, optimizers, config, real,
                                                                     lambda_rec)
    losses["generator"] = generator_update(networks, optimizers, config, real, noise, lambda_rec)
    return losses


# --------------------------------------------------------------------------- the loop


def raise_if_any_diverged(step: int, losses: dict[str, Tensor]) -> None:
    """A clear error if a loss of this step is NaN or infinite (as ``train.raise_if_diverged``)."""
    for name, value in losses.items():
        if not bool(torch.isfinite(value)):
            raise FloatingPointError(
                f"the {name.replace('_', ' ')} loss became {float(value)} at step {step}: training "
                "diverged. Lower the learning rates or the reconstruction weight lambda_rec.")


def train_hybrid(networks: HybridNetworks, config: HybridConfig, batches, steps: int, *,
                 optimizers: dict[str, torch.optim.Optimizer], lambda_rec: float = 1.0,
                 hook: Callable | None = None, progress: bool = True) -> None:
    """Train a hybrid of ``HYBRIDS`` (or any ``HybridConfig``) for ``steps`` steps of
    ``alpha_gan_step``.

    This is ``gan_course.train.train`` with four players instead of two. There, D_φ and
    G_θ each minimise their own loss with the other fixed; here the encoder E_η and the code
    discriminator C_ω join them, each with its own loss and optimiser, and the ELBO says what
    each minimises. Switching terms off removes players: the DCGAN switches leave exactly
    train()'s discriminator and generator steps with the non-saturating loss.

    batches: as for ``train``, an object whose .real() gives x ~ p* and .noise() z ~ N(0, I);
        each step draws one of each (every update of a step sees the same x and z, as in
        Algorithm 1).
    optimizers: {name: optimiser} for each network used (``make_optimizers``).
    lambda_rec: λ, the weight of the L1 reconstruction.
    hook: called as hook(step, losses) after every step, with the dict ``alpha_gan_step`` returns.
    The networks and optimisers are updated in place; a non-finite loss raises.
    """
    check_int(steps, "steps")
    check_number(lambda_rec, "lambda_rec")
    check_networks(networks, optimizers, config)
    device = next(networks.generator.parameters()).device
    bar = progress_bar(range(1, steps + 1), desc="training", disable=not progress)
    for step in bar:
        real, noise = batches.real().to(device), batches.noise().to(device)
        losses = alpha_gan_step(networks, optimizers, config, real, noise, lambda_rec)
        # a NaN spreads through every weight within a step: stop here, saying when
        raise_if_any_diverged(step, losses)
        if hook is not None:
            hook(step, losses)
        if progress and step % 100 == 0:
            bar.set_postfix({name: f"{float(value):.3f}" for name, value in losses.items()})


__all__ = ["HybridConfig", "HYBRIDS", "HYBRIDS_DIFFERENCES", "hybrids_table", "format_hybrids_table",
           "HybridNetworks", "build_networks", "build_image_networks", "make_optimizers",
           "reconstruction_loss", "analytic_kl", "approximate_kl", "encoder_code_loss",
           "code_discriminator_loss", "synthetic_likelihood_loss", "image_discriminator_loss",
           "Encoding", "encode", "alpha_gan_step", "train_hybrid", "check_networks",
           "raise_if_any_diverged", "CODE_TERMS", "IMAGE_TERMS", "ENCODERS", "NETWORK_NAMES"]
