"""Sample diversity and coverage for image generators: MS-SSIM, precision and recall, mode counts.

A GAN's q_θ has no density to evaluate, so these metrics compare samples x = G_θ(z):

- ``ms_ssim``, ``ms_ssim_diversity``: how alike random pairs of samples are (Wang, Simoncelli
  & Bovik 2003; used for sample diversity by Odena et al. 2017 and the α-GAN paper).
- ``precision_recall``: the share of samples on the data's manifold (precision) and of the data
  on the samples' manifold (recall), in a feature space (Kynkäänniemi et al. 2019).
- ``mode_histogram``, ``mode_count``, ``digit_modes``, ``stacked_mnist_modes``: how many of
  the known modes a classifier finds among the samples (10 digits; 1,000 stacked-MNIST modes)
  and how far their histogram is from uniform (VEEGAN, PacGAN).

Modes of the 2D ring and grid are counted by ``gan_course.metrics.mode_coverage`` (the 3σ rule).
Images are (N, C, H, W) with pixels in [-1, 1] (``pixels="gan"`` of ``gan_course.data.images``).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from gan_course.validation import check_int, check_points, refuse_holder

Tensor = torch.Tensor

# --------------------------------------------------------------------------- MS-SSIM

WANG_SCALE_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
"""β₁..β₅ of Wang et al. (2003) for their five scales, finest first; they sum to 1."""

LIBRARY_SCALES = 5  # pytorch_msssim's assertion assumes 5 scales: side > (window − 1) · 2⁴
WINDOW_SIGMA = 1.5  # Wang et al.'s Gaussian window: σ = 1.5 pixels


def ms_ssim_settings(size: int) -> tuple[int, int]:
    """(scales, window) for images whose smaller side is ``size`` pixels.

    Each scale halves the image (2×2 averages), and the Gaussian window must fit inside the
    coarsest scale, so M scales with a w×w window need size / 2^(M−1) ≥ w:

    - size ≥ 176: Wang et al.'s own setting, 5 scales, window 11 (176 / 16 = 11);
    - size ≥ 14: window 7, as many scales (≤ 5) as keep the coarsest ≥ 7 pixels: 28 → 28, 14, 7
      and 32 → 32, 16, 8 (3 scales); 64 → 4 scales; 14 → 2 scales;
    - smaller: window 3, as many scales as keep the coarsest ≥ 3 pixels: the 8×8 digits get 2
      (8 → 8, 4), 13 pixels get 3 (13 → 13, 6, 3).
    """
    size = check_int(size, "the image size", minimum=3)
    if size >= 176:
        return 5, 11
    window = 7 if size >= 14 else 3
    scales = 1
    while scales < LIBRARY_SCALES and size // 2**scales >= window:
        scales += 1
    return scales, window


def _check_images(images, name: str) -> Tensor:
    refuse_holder(images, name)
    if not torch.is_tensor(images) or images.ndim != 4 or not images.is_floating_point():
        shape = tuple(images.shape) if torch.is_tensor(images) else type(images).__name__
        raise ValueError(f"{name} must be a float tensor of images (N, C, H, W) with pixels in "
                         f"[-1, 1], got {shape}; add the batch and channel axes and call .float().")
    return images


def ms_ssim(x: Tensor, y: Tensor, scales: int | None = None, window: int | None = None) -> Tensor:
    """MS-SSIM of each pair (x_i, y_i) of images: (N,) numbers in [0, 1], 1 for identical images.

    Wang, Simoncelli & Bovik (2003), "Multi-scale structural similarity for image quality
    assessment". At scale j (the images averaged down j − 1 times by 2×2), with local means μ,
    variances σ² and covariance σ_xy under a Gaussian window (σ = 1.5 px) at each pixel,

        l = (2 μ_x μ_y + C₁) / (μ_x² + μ_y² + C₁)          luminance
        cs = (2 σ_xy + C₂) / (σ_x² + σ_y² + C₂)            contrast · structure
        MS-SSIM = mean(l · cs)_M^{β_M} · Π_{j=1}^{M−1} mean(cs)_j^{β_j}

    with means over the pixels of scale j, C₁ = (0.01 L)², C₂ = (0.03 L)², and L = 1: pixels
    are mapped from [-1, 1] to [0, 1]. Luminance enters only at the coarsest scale M, as in
    Wang et al. The weights β are the first M of their five, renormalised to sum to 1
    (``WANG_SCALE_WEIGHTS``). A negative mean(cs)_j (anti-correlated images) or mean(l·cs)_M is
    clipped to 0 by ``pytorch_msssim`` (a ReLU), so such a pair scores exactly 0. Colour images:
    the score is computed per channel and averaged over the channels.

    Small images. ``scales`` and ``window`` default to ``ms_ssim_settings`` of the image size
    (3 scales, window 7 for 28 and 32 px; 2 scales, window 3 for 8 px). ``pytorch_msssim.ms_ssim``
    asserts side > (window − 1) · 16, the condition for 5 scales, whatever the weights; so the
    images are first upsampled by 2^(5 − M), repeating each pixel (nearest neighbour), and the
    first 5 − M scales get weight 0. Averaging 2×2 blocks of a pixel-repeated image returns
    the original exactly, so the last M scales *are* the original image's M scales: the result
    is MS-SSIM with M scales (checked against a direct computation to 1e-7). The upsampling
    only costs time: 1,000 pairs of 28-pixel digits take about 6 s on a 2-core CPU, against
    1 s for the same three scales computed directly.
    """
    from pytorch_msssim import ms_ssim as library_ms_ssim

    x, y = _check_images(x, "x"), _check_images(y, "y")
    if x.shape != y.shape:
        raise ValueError(f"x and y must pair up image by image, got shapes {tuple(x.shape)} and "
                         f"{tuple(y.shape)}; pass equally many images of one size.")
    default_scales, default_window = ms_ssim_settings(min(x.shape[-2:]))
    scales = default_scales if scales is None else check_int(scales, "scales")
    window = default_window if window is None else check_int(window, "window")
    if scales > LIBRARY_SCALES or window % 2 == 0:
        raise ValueError(f"choose at most {LIBRARY_SCALES} scales and an odd window, got "
                         f"scales={scales}, window={window}.")
    if min(x.shape[-2:]) // 2 ** (scales - 1) < window:
        raise ValueError(f"a {window}×{window} window does not fit the coarsest of {scales} scales "
                         f"of {x.shape[-2]}×{x.shape[-1]} images; use fewer scales or a smaller "
                         "window (ms_ssim_settings gives ones that fit).")
    weights = torch.tensor(WANG_SCALE_WEIGHTS[:scales], dtype=torch.float64)
    weights = [0.0] * (LIBRARY_SCALES - scales) + (weights / weights.sum()).tolist()
    upsampling = 2 ** (LIBRARY_SCALES - scales)
    # [-1, 1] → [0, 1], so that the library's zero padding (odd sizes) is black
    x, y = (x.float() + 1) / 2, (y.float() + 1) / 2
    if upsampling > 1:
        x = F.interpolate(x, scale_factor=upsampling, mode="nearest")
        y = F.interpolate(y, scale_factor=upsampling, mode="nearest")
    return library_ms_ssim(x, y, data_range=1.0, size_average=False, win_size=window,
                           win_sigma=WINDOW_SIGMA, weights=weights)


def ms_ssim_diversity(images: Tensor, pairs: int = 1000, seed: int = 0, scales: int | None = None,
                      window: int | None = None, batch_size: int = 250) -> float:
    """The mean MS-SSIM over random pairs of distinct samples: lower means more diverse.

        diversity score = E_{i ≠ j} MS-SSIM(x_i, x_j),   x_i, x_j ~ q_θ

    A generator that collapses onto a few images scores near 1; real data sets the level a good
    generator should reach (not 0: real digits share a black background and strokes). Odena
    et al. (2017, AC-GAN) compared it per class with the real data's; the α-GAN paper (Rosca
    et al. 2017) and the talk's "CelebA – sample diversity" slide report it for whole sample sets.
    ``pairs`` pairs (i, j), i ≠ j, are drawn with a ``rng`` seeded by ``seed``; ``scales`` and
    ``window`` as in ``ms_ssim``; ``batch_size`` pairs at a time bounds the memory. Measured:
    0.23 for 1,000 pairs of real MNIST digits (mnist5k), 0.47 for the 8×8 digits, 1 for one
    image repeated; pairs of independent uniform-noise images score about 0.
    """
    images = _check_images(images, "images")
    if images.shape[0] < 2:
        raise ValueError(f"diversity needs at least 2 images to pair, got {images.shape[0]}.")
    pairs = check_int(pairs, "pairs")
    rng = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
    n = images.shape[0]
    first = torch.randint(n, (pairs,), generator=rng)
    # j = i + an offset in 1..n−1 (mod n) is uniform over the other n − 1 images
    second = (first + torch.randint(1, n, (pairs,), generator=rng)) % n
    scores = [ms_ssim(images[i.to(images.device)], images[j.to(images.device)], scales, window)
              for i, j in zip(first.split(batch_size), second.split(batch_size))]
    return float(torch.cat(scores).mean())


# --------------------------------------------------------------------------- precision and recall

DISTANCE_CHUNK = 1024  # rows of the distance matrix at a time: 1,024 × 5,000 float64 = 41 MB


def _kth_neighbour_radii(features: Tensor, k: int) -> Tensor:
    """(n,): the distance from each feature vector to its k-th nearest other one."""
    radii = []
    for chunk in features.split(DISTANCE_CHUNK):
        # the k + 1 smallest distances include the point itself (distance 0), so the
        # (k + 1)-th of them is the k-th nearest *other* point, duplicates included
        radii.append(torch.cdist(chunk, features).topk(k + 1, dim=1, largest=False).values[:, k])
    return torch.cat(radii)


def _share_inside(points: Tensor, centres: Tensor, radii: Tensor) -> float:
    """The share of ``points`` inside at least one ball B(centre_i, radius_i)."""
    inside = [(torch.cdist(chunk, centres) <= radii).any(dim=1) for chunk in points.split(DISTANCE_CHUNK)]
    return float(torch.cat(inside).double().mean())


def precision_recall(real_features: Tensor, fake_features: Tensor, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of generated samples, in a feature space (Kynkäänniemi et al. 2019,
    "Improved precision and recall metric for assessing generative models").

    Each sample set estimates its manifold as the union of balls around its points, each ball
    reaching the point's k-th nearest neighbour in the same set (itself excluded):

        manifold(Φ) = ∪_{φ ∈ Φ} B(φ, ‖φ − NN_k(φ, Φ)‖)
        precision = (1/|Φ_q|) Σ_{φ ∈ Φ_q} 1[φ ∈ manifold(Φ_p*)]     fakes on the real manifold
        recall    = (1/|Φ_p*|) Σ_{φ ∈ Φ_p*} 1[φ ∈ manifold(Φ_q)]    reals on the fake manifold

    with Φ_p* the real features and Φ_q the fake ones ((n, d) each; ``features`` of a
    classifier for images, or the points themselves in 2D). Precision measures fidelity (are the
    samples realistic?), recall coverage (is every kind of real sample produced?): a generator
    collapsed onto a few real images has precision 1 and a low recall. The paper uses k = 3 and
    equal set sizes (their estimates depend on both). Distances are computed in float64, a block
    of rows at a time, so 5,000 × 5,000 sets need about 40 MB at once (and took 5 s on a 2-core
    CPU with 128 features).
    """
    real = check_points(real_features, "real_features").double()
    fake = check_points(fake_features, "fake_features").double()
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and fake_features must have the same dimension, got "
                         f"{real.shape[1]} and {fake.shape[1]}; compute both with one feature network.")
    k = check_int(k, "k")
    for name, features in (("real", real), ("fake", fake)):
        if k >= features.shape[0]:
            raise ValueError(f"k={k} needs more than {k} {name} features (the k-th nearest "
                             f"neighbour excludes the point itself), got {features.shape[0]}; "
                             "lower k or pass more samples.")
    precision = _share_inside(fake, real, _kth_neighbour_radii(real, k))
    recall = _share_inside(real, fake, _kth_neighbour_radii(fake, k))
    return precision, recall


# --------------------------------------------------------------------------- mode counts


class ModeCount(NamedTuple):
    """How a classifier sorts n samples into known modes.

    covered: modes with at least one sample (VEEGAN's and PacGAN's "modes" column).
    kl_to_uniform: KL(p̂ ‖ u) in nats, p̂ the samples' mode histogram, u uniform over the modes.
    n_samples: how many samples were counted.
    counts: (n_modes,) samples per mode.
    """

    covered: int
    kl_to_uniform: float
    n_samples: int
    counts: Tensor


def mode_histogram(labels: Tensor, n_modes: int) -> Tensor:
    """(n_modes,) counts: how many of the integer ``labels`` fall on each mode 0..n_modes − 1."""
    n_modes = check_int(n_modes, "n_modes")
    labels = torch.as_tensor(labels)
    if labels.is_floating_point() or labels.ndim != 1:
        raise ValueError(f"labels must be a 1D tensor of integer mode labels, got "
                         f"{labels.dtype} of shape {tuple(labels.shape)}; take .argmax(dim=1) of logits.")
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_modes):
        raise ValueError(f"labels must lie in 0..{n_modes - 1}, got {int(labels.min())}.."
                         f"{int(labels.max())}; check n_modes.")
    return torch.bincount(labels.long().cpu(), minlength=n_modes)


def mode_count(labels: Tensor, n_modes: int) -> ModeCount:
    """The modes covered and KL(p̂ ‖ uniform) of a set of mode labels (VEEGAN, PacGAN).

        p̂_k = n_k / n,   KL(p̂ ‖ u) = Σ_k p̂_k log(p̂_k · K) = log K − H(p̂),   0 · log 0 = 0

    The direction is that of PacGAN's code (Lin et al. 2018, their stacked-MNIST tables): the
    generated histogram p̂ against the uniform u_k = 1/K. In this direction an empty mode adds
    nothing (0 · log 0 = 0), so no smoothing is needed: KL is 0 for a perfectly even histogram
    and log K for a generator that puts everything on one mode (log 1000 = 6.91 for stacked
    MNIST). It is a histogram estimate: n samples over K modes give KL ≈ (K − 1)/(2n) even
    for a perfect generator, so compare generators with the same n (PacGAN uses n = 26,000).
    """
    counts = mode_histogram(labels, n_modes)
    n = int(counts.sum())
    if n == 0:
        raise ValueError("labels are empty: classify at least one sample.")
    shares = counts[counts > 0].double() / n
    kl = float((shares * (shares * n_modes).log()).sum())
    return ModeCount(int((counts > 0).sum()), max(kl, 0.0), n, counts)


Classifier = Callable[[Tensor], Tensor]
CLASSIFIER_BATCH = 500


@torch.no_grad()
def predicted_classes(images: Tensor, classifier: Classifier, batch_size: int = CLASSIFIER_BATCH) -> Tensor:
    """(N,) argmax_k of the classifier's logits (N, K) for each image, computed in batches.

    A ``torch.nn.Module`` is evaluated in eval mode (dropout off, batch norm with its running
    statistics) and put back in the mode it was in, on the device of its parameters.
    """
    images, batch_size = _check_images(images, "images"), check_int(batch_size, "batch_size")
    module = classifier if isinstance(classifier, torch.nn.Module) else None
    was_training = module.training if module is not None else False
    parameter = next(module.parameters(), None) if module is not None else None
    device = parameter.device if parameter is not None else images.device
    if module is not None:
        module.eval()
    try:
        classes = [classifier(batch.to(device)).argmax(dim=1).cpu() for batch in images.split(batch_size)]
    finally:
        if module is not None:
            module.train(was_training)
    return torch.cat(classes)


def digit_modes(images: Tensor, classifier: Classifier) -> ModeCount:
    """The 10 digit classes as modes: which digits a generator of (N, 1, H, W) digits draws.

    ``classifier`` maps images to logits (N, 10) (e.g. ``gan_course.metrics.features.
    digit_classifier("mnist5k")``); each sample counts for its most likely digit. A generator
    that drops classes covers fewer than 10 modes, and its KL(p̂ ‖ u) grows (log 2 = 0.69 when
    it draws 5 classes evenly).
    """
    return mode_count(predicted_classes(images, classifier), 10)


def stacked_mnist_modes(images: Tensor, classifier: Classifier) -> ModeCount:
    """The 1,000 modes of stacked MNIST (Srivastava et al. 2017, VEEGAN; Metz et al. 2017).

    Each of the 3 channels of an image (N, 3, 28, 28) is classified on its own by a one-channel
    digit classifier (logits (N, 10) for images (N, 1, 28, 28)), giving digits (d₀, d₁, d₂), and
    the image's mode is

        mode = 100 · d₀ + 10 · d₁ + d₂  ∈ 0..999,

    the encoding of the labels of ``load_images("stacked_mnist")`` (channel 0 = R the hundreds).
    """
    images = _check_images(images, "images")
    if images.shape[1] != 3:
        raise ValueError(f"stacked MNIST images have 3 channels, one digit each, got "
                         f"{images.shape[1]}; pass (N, 3, 28, 28) images.")
    # (N, 3, H, W) → (3N, 1, H, W): the channels of image i are rows 3i, 3i + 1, 3i + 2
    digits = predicted_classes(images.reshape(-1, 1, *images.shape[2:]), classifier).reshape(-1, 3)
    modes = (digits * torch.tensor([100, 10, 1])).sum(dim=1)
    return mode_count(modes, 1000)


__all__ = [
    "ms_ssim", "ms_ssim_diversity", "ms_ssim_settings", "precision_recall", "ModeCount",
    "mode_histogram", "mode_count", "predicted_classes", "digit_modes", "stacked_mnist_modes",
    "WANG_SCALE_WEIGHTS",
]
