"""Lipschitz constraints and gradient penalties for discriminators and critics.

The training loop (``gan_course.train``) accepts a ``penalty`` in ``GANConfig``:
it calls ``penalty(discriminator, real, fake)`` at every discriminator update
and adds the returned scalar to D_φ's loss; ``discriminator`` maps samples to
outputs (B, 1), ``real`` holds x ~ p* and ``fake`` holds x̃ = G_θ(z) (detached).
The samples may be points (B, d) or images (B, C, H, W): every function here
treats all axes after the first as the coordinates of one sample, so ‖∇D(x)‖ is
the norm over all of them.
If the penalty also has ``project(parameters)``, the loop calls it under
``torch.no_grad()`` after every discriminator update with that run's parameters.

    config = GANConfig(loss="wasserstein", penalty=WGANGradientPenalty(weight=10.0, seed=0))

The penalties, in the talk's notation (D_φ the critic, λ the weight):

- ``WeightClipping(c)``: clamps every weight to [−c, c] after each update
  (Arjovsky et al. 2017, WGAN).
- ``WGANGradientPenalty``: λ E[(‖∇D(x̂)‖ − 1)²] at x̂ between real and fake points
  (Gulrajani et al. 2017, WGAN-GP).
- ``DRAGANPenalty``: λ E[(‖∇D(x̂)‖ − 1)²] at x̂ near the real data
  (Kodali et al. 2017; Fedus et al. 2018).
- ``ZeroCentredGradientPenalty``: λ E[‖∇D(x)‖²] at real points (R1), fakes (R2)
  or interpolates (Mescheder et al. 2018; Thanh-Tung et al. 2019).

Randomness. The interpolation weights ε and the perturbations δ are drawn from
the penalty's own ``torch.Generator`` (``rng``), seeded in ``__init__`` (``seed``), never
from torch's global random state: each run of a batch (``train_batch``) then
has its own stream and gives the same result as when it is trained alone. A
penalty object's stream advances as it is used, so give each run a fresh object.

The plain functions (``interpolates``, ``perturbed_real``, ``input_gradients``,
``gradient_norms``, ``unit_norm_penalty``, ``squared_norm_penalty``,
``gradient_penalty``, ``zero_centred_penalty``, ``clip_parameters``) are what
the classes are made of; use them to compute a penalty by hand.
"""

from __future__ import annotations

from typing import Callable

import torch

from gan_course.validation import check_int, check_number, check_samples

Tensor = torch.Tensor
Discriminator = Callable[[Tensor], Tensor]


# --------------------------------------------------------------------------- the pieces


def _uniform_per_sample(like: Tensor, rng: torch.Generator | None) -> Tensor:
    """One U[0, 1] number per sample, shaped (B, 1, ..., 1) to broadcast over the sample's axes."""
    shape = (like.shape[0],) + (1,) * (like.ndim - 1)
    # drawn on the CPU (where rng lives), then moved next to the data
    return torch.rand(shape, generator=rng).to(like)


def interpolates(real: Tensor, fake: Tensor, rng: torch.Generator | None = None) -> Tensor:
    """Random points on the segments between paired real and fake samples (WGAN-GP).

        x̂_i = ε_i x_i + (1 − ε_i) x̃_i,   ε_i ~ U[0, 1], one ε per sample pair

    (Gulrajani et al. 2017, Algorithm 1). The optimal critic of the Wasserstein
    dual has gradient norm 1 on the lines joining the points that the optimal
    transport plan couples, so the penalty looks there. ``rng`` seeds ε.
    """
    real, fake = check_samples(real, "real"), check_samples(fake, "fake")
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must pair up sample by sample, got shapes "
                         f"{tuple(real.shape)} and {tuple(fake.shape)}; use equal batch sizes.")
    epsilon = _uniform_per_sample(real, rng)
    return epsilon * real + (1 - epsilon) * fake


def perturbed_real(real: Tensor, noise_scale: float = 0.5,
                   rng: torch.Generator | None = None) -> Tensor:
    """Random points in a neighbourhood of the real data (DRAGAN).

        δ_i = noise_scale · σ ⊙ u_i,   u_i ~ N(0, I),   σ = per-coordinate std of the batch
        x̂_i = x_i + α_i δ_i,            α_i ~ U[0, 1], one α per sample

    Which perturbation, and why. Kodali et al. (2017, eq. 9) penalise at
    x + δ with δ ~ N(0, cI); their reference code instead draws
    0.5 · std(x) · U[0, 1) per coordinate (always positive: in 2D every point
    moves up and to the right) and then takes a random point α on the segment
    from x to that perturbed point. Fedus et al. (2018, section 3) write the
    same two steps: x̃ = x + x_noise, x̂ = αx + (1 − α)x̃. We keep
    both steps of that recipe and the scale 0.5 · std, but draw the noise from
    a centred Gaussian as in Kodali et al.'s equation, so the neighbourhood is
    symmetric around each data point. The std is taken per coordinate (over the
    batch), so a 2D data set that is wide in x and narrow in y is perturbed in
    proportion on each axis; for images, each pixel of each channel has its own σ.
    ``rng`` seeds u and α.
    """
    real = check_samples(real, "real")
    check_number(noise_scale, "noise_scale", strict=False)
    scale = real.std(dim=0, keepdim=True) if real.shape[0] > 1 else torch.ones_like(real[:1])
    noise = torch.randn(real.shape, generator=rng).to(real)
    alpha = _uniform_per_sample(real, rng)
    return real + alpha * noise_scale * scale.detach() * noise


def input_gradients(discriminator: Discriminator, points: Tensor) -> Tensor:
    """∇ₓ D(x) at every sample, shaped like ``points``, differentiable with respect to D's weights.

    The outputs are summed before differentiating; no layer of D mixes samples,
    so the gradient of the sum at x_i is the gradient of D(x_i) alone. (For K
    stacked networks, points of shape (K, B, d), the same argument gives each
    network's own gradients in one pass: ``gan_course.batched`` relies on it.)
    ``create_graph=True`` keeps the graph so that a penalty on these gradients
    can itself be minimised over φ (a second-order gradient).
    """
    points = check_samples(points, "points").detach().requires_grad_(True)
    (gradients,) = torch.autograd.grad(discriminator(points).sum(), points, create_graph=True)
    return gradients


def gradient_norms(discriminator: Discriminator, points: Tensor) -> Tensor:
    """‖∇ₓ D(x)‖₂ at every sample: (B,), differentiable with respect to D's weights.

    The norm runs over all of a sample's coordinates (all axes after the first),
    so an image's gradient is measured as one long vector.
    """
    return input_gradients(discriminator, points).flatten(1).norm(dim=1)


def unit_norm_penalty(gradients: Tensor, one_sided: bool = False) -> Tensor:
    """E[(‖g‖ − 1)²] (or E[max(0, ‖g‖ − 1)²]) over the samples' gradients g, (B, ...)."""
    excess = gradients.flatten(1).norm(dim=1) - 1.0
    if one_sided:
        excess = excess.clamp(min=0.0)
    return (excess**2).mean()


def squared_norm_penalty(gradients: Tensor) -> Tensor:
    """E[‖g‖²] over the samples' gradients g, (B, ...): no square root, so it stays
    differentiable where g = 0."""
    return (gradients**2).flatten(1).sum(dim=1).mean()


def gradient_penalty(discriminator: Discriminator, points: Tensor, one_sided: bool = False) -> Tensor:
    """The two-sided or one-sided gradient penalty at ``points`` (λ not included).

        two-sided:  E_x̂[(‖∇D(x̂)‖ − 1)²]              (Gulrajani et al. 2017, eq. 3)
        one-sided:  E_x̂[max(0, ‖∇D(x̂)‖ − 1)²]        (their section 4; Petzka et al. 2018)

    The two-sided form pushes the gradient norm to exactly 1; the one-sided form
    only forbids norms above 1, which is all that a 1-Lipschitz critic needs.
    """
    return unit_norm_penalty(input_gradients(discriminator, points), one_sided)


def zero_centred_penalty(discriminator: Discriminator, points: Tensor) -> Tensor:
    """E_x[‖∇D(x)‖²] at ``points`` (λ not included): zero only where D is flat.

    At real points this is R1 of Mescheder et al. (2018), who write it with a
    factor ½ (γ/2 E_p*[‖∇D‖²]); our λ absorbs it.
    """
    return squared_norm_penalty(input_gradients(discriminator, points))


@torch.no_grad()
def clip_parameters(parameters, c: float) -> None:
    """Clamp every entry of every parameter to [−c, c], in place (WGAN weight clipping)."""
    for parameter in parameters:
        parameter.clamp_(-c, c)


# --------------------------------------------------------------------------- the penalty objects


def _number(value: float) -> str:
    return f"{value:g}"


class _GradientPenalty:
    """A penalty on ∇ₓD at points it draws from its own seeded ``rng``.

    Each one says where it looks, ``points(real, fake)``, and what it makes of
    the gradients there, ``from_gradients(gradients)``, which is λ times
    ``unweighted(gradients)``; calling it does both:

        penalty(D, real, fake) = λ · unweighted(∇ₓD(x̂)),   x̂ = points(real, fake).

    The split lets ``gan_course.batched`` take the gradients of K runs' critics
    in one pass, and evaluate ``unweighted`` once for all the runs whose penalties
    share it (``unweighted_kind``), while each run keeps its own points and its own λ.
    """

    def __init__(self, seed: int):
        self.seed = check_int(seed, "seed", minimum=0)
        self.rng = torch.Generator().manual_seed(seed)

    def __call__(self, discriminator: Discriminator, real: Tensor, fake: Tensor) -> Tensor:
        return self.from_gradients(input_gradients(discriminator, self.points(real, fake)))

    def from_gradients(self, gradients: Tensor) -> Tensor:
        return self.weight * self.unweighted(gradients)


class WeightClipping:
    """WGAN's weight clipping (Arjovsky et al. 2017, Algorithm 1).

    After every update of the critic, every weight and bias is clamped to
    [−c, c]. A network with bounded weights is K-Lipschitz for some K that
    depends on c and on the architecture, so the critic estimates K · W rather
    than W. The penalty term itself is zero. Arjovsky et al. used c = 0.01, and
    note that c too large slows training while c too small makes gradients vanish;
    the clipped weights tend to pile up at ±c (lesson 05 shows the histogram).
    """

    def __init__(self, c: float = 0.01):
        self.c = check_number(c, "the clipping bound c")

    def __call__(self, discriminator: Discriminator, real: Tensor, fake: Tensor) -> Tensor:
        return torch.zeros((), device=real.device)

    def project(self, parameters) -> None:
        clip_parameters(parameters, self.c)

    def __repr__(self) -> str:
        return f"WeightClipping(c={_number(self.c)})"

    def __str__(self) -> str:
        return f"weight clipping c={_number(self.c)}"


class _UnitNormPenalty(_GradientPenalty):
    """The penalties centred at norm 1 (WGAN-GP, DRAGAN): unweighted(g) = E[(‖g‖ − 1)²], or
    E[max(0, ‖g‖ − 1)²] when ``one_sided``; the subclasses say where they look."""

    def __init__(self, weight: float, one_sided: bool, seed: int):
        super().__init__(seed)
        self.weight = check_number(weight, "the penalty weight λ", strict=False)
        self.one_sided = bool(one_sided)

    def unweighted(self, gradients: Tensor) -> Tensor:
        return unit_norm_penalty(gradients, self.one_sided)

    @property
    def unweighted_kind(self) -> tuple:
        return ("unit norm", self.one_sided)


class WGANGradientPenalty(_UnitNormPenalty):
    """The WGAN-GP penalty (Gulrajani et al. 2017), added to the critic's loss:

        λ E_x̂[(‖∇D(x̂)‖ − 1)²],   x̂ = εx + (1 − ε)x̃,   ε ~ U[0, 1],

    with x ~ p* and x̃ ~ q_θ paired sample by sample. With ``one_sided=True``:
    λ E_x̂[max(0, ‖∇D(x̂)‖ − 1)²]. Gulrajani et al. use λ = 10.
    """

    def __init__(self, weight: float = 10.0, one_sided: bool = False, seed: int = 0):
        super().__init__(weight, one_sided, seed)

    def points(self, real: Tensor, fake: Tensor) -> Tensor:
        return interpolates(real, fake, self.rng)

    def __repr__(self) -> str:
        return (f"WGANGradientPenalty(weight={_number(self.weight)}, one_sided={self.one_sided}, "
                f"seed={self.seed})")

    def __str__(self) -> str:
        return f"WGAN-GP{' one-sided' if self.one_sided else ''} λ={_number(self.weight)}"


class DRAGANPenalty(_UnitNormPenalty):
    """The DRAGAN penalty (Kodali et al. 2017), as in Fedus et al. (2018):

        λ E_x̂[(‖∇D(x̂)‖ − 1)²],   x̂ = x + α δ,   δ = noise_scale · σ ⊙ u,
        u ~ N(0, I),   α ~ U[0, 1],   x ~ p*,

    where σ is the per-coordinate std of the real batch (see ``perturbed_real``
    for why this perturbation). It keeps D's gradients moderate in a
    neighbourhood of the real data only, whatever the generator does, which is
    meant to stop D from growing sharp spikes around real points (mode collapse).
    With ``one_sided=True``: λ E[max(0, ‖∇D(x̂)‖ − 1)²]. The fakes are not used.
    Kodali et al. use noise_scale = 0.5 (half the data's std).
    """

    def __init__(self, weight: float = 10.0, noise_scale: float = 0.5, one_sided: bool = False,
                 seed: int = 0):
        super().__init__(weight, one_sided, seed)
        self.noise_scale = check_number(noise_scale, "noise_scale")

    def points(self, real: Tensor, fake: Tensor) -> Tensor:
        return perturbed_real(real, self.noise_scale, self.rng)

    def __repr__(self) -> str:
        return (f"DRAGANPenalty(weight={_number(self.weight)}, noise_scale="
                f"{_number(self.noise_scale)}, one_sided={self.one_sided}, seed={self.seed})")

    def __str__(self) -> str:
        return f"DRAGAN{' one-sided' if self.one_sided else ''} λ={_number(self.weight)}"


class ZeroCentredGradientPenalty(_GradientPenalty):
    """A zero-centred gradient penalty, λ E_x[‖∇D(x)‖²], at one of three places:

    - ``at="real"``: x ~ p*, the R1 penalty of Mescheder et al. (2018), who prove
      that it makes the GAN game locally convergent where the unregularised one
      is not (they write γ/2; here λ = γ/2);
    - ``at="fake"``: x ~ q_θ, their R2 penalty;
    - ``at="interpolates"``: x̂ = εx + (1 − ε)x̃ as in WGAN-GP, but pulled to norm 0
      instead of 1 (the zero-centred penalty of Thanh-Tung et al. 2019).

    Unlike the penalties centred at 1, it is zero only where D is flat: at the
    Nash equilibrium p* = q_θ, the optimal discriminator is constant.
    """

    PLACES = ("real", "fake", "interpolates")

    def __init__(self, weight: float = 10.0, at: str = "real", seed: int = 0):
        super().__init__(seed)
        if at not in self.PLACES:
            raise ValueError(f"unknown place at={at!r}; choose one of {', '.join(self.PLACES)} "
                             "('real' is R1 of Mescheder et al. 2018).")
        self.weight = check_number(weight, "the penalty weight λ", strict=False)
        self.at = at

    def points(self, real: Tensor, fake: Tensor) -> Tensor:
        if self.at == "interpolates":
            return interpolates(real, fake, self.rng)
        return real if self.at == "real" else fake

    def unweighted(self, gradients: Tensor) -> Tensor:
        return squared_norm_penalty(gradients)

    @property
    def unweighted_kind(self) -> tuple:
        return ("squared norm",)

    def __repr__(self) -> str:
        return f"ZeroCentredGradientPenalty(weight={_number(self.weight)}, at={self.at!r}, seed={self.seed})"

    def __str__(self) -> str:
        name = {"real": "R1", "fake": "R2", "interpolates": "zero-centred GP"}[self.at]
        return f"{name} λ={_number(self.weight)}"


__all__ = [
    "interpolates", "perturbed_real", "input_gradients", "gradient_norms", "unit_norm_penalty",
    "squared_norm_penalty", "gradient_penalty", "zero_centred_penalty",
    "clip_parameters", "WeightClipping", "WGANGradientPenalty", "DRAGANPenalty",
    "ZeroCentredGradientPenalty",
]
