"""Lesson 09's metrics of one set of images in one table: what ``gan-course evaluate`` reports and
what lesson 09 compares across broken generators.

    image_metrics(samples, classifier, reference)     # digits: every metric below
    image_metrics(samples, classifier, count_modes=stacked_mnist_modes)   # modes and diversity
    image_metrics(samples)                            # any images: MS-SSIM diversity only

Each metric is defined (formula and paper) in its own module and only called here:

- through a digit classifier (``gan_course.metrics.features``) and against ``reference`` real
  images: the classifier score, FID and KID (``gan_course.metrics.scores``), precision and
  recall (``gan_course.metrics.diversity``);
- through the classifier: the modes covered and their KL to uniform (``digit_modes``, or
  ``stacked_mnist_modes`` for the 1,000 modes of stacked MNIST);
- always: the MS-SSIM diversity of random pairs of images.
"""

from __future__ import annotations

from typing import Callable

import torch

from gan_course.metrics.diversity import digit_modes, ms_ssim_diversity, precision_recall
from gan_course.metrics.features import ImageClassifier, classifier_features, classifier_probabilities
from gan_course.metrics.scores import classifier_score, fid, kid

Tensor = torch.Tensor

# KID's subsets: Bińkowski et al.'s 1,000 images, but at most n/2 by default: subsets of all n
# samples would all be the same set, and the spread over them a meaningless 0.
KID_SUBSET_SIZE = 1000
KID_SUBSETS = 100
# Random pairs of images for the MS-SSIM diversity. A pair of 28-pixel digits costs about 6 ms on
# a 2-core CPU; one pair's score spreads by 0.18 on real digits, so the mean of 1,000 pairs is
# good to about ±0.006.
DIVERSITY_PAIRS = 1000


def image_metrics(images: Tensor, classifier: ImageClassifier | None = None, reference: Tensor | None = None,
                  count_modes: Callable | None = digit_modes, *, reference_features: Tensor | None = None,
                  kid_subsets: int = KID_SUBSETS, kid_subset_size: int | None = None,
                  pairs: int = DIVERSITY_PAIRS) -> dict[str, float]:
    """The metrics of ``images`` (N, C, H, W), pixels in [-1, 1], as {name: value}:

    - with a ``classifier`` and real ``reference`` images (or their ``reference_features``):
      "classifier_score", "fid", "kid" and "kid_std" (the spread over ``kid_subsets`` subsets of
      ``kid_subset_size`` images, by default min(1,000, N/2)), "precision", "recall";
    - with a ``classifier`` and ``count_modes``: "modes_covered" out of "modes_total", and
      "mode_kl_to_uniform";
    - always: "ms_ssim_diversity" over min(N, ``pairs``) random pairs.
    """
    table = {}
    if classifier is not None and (reference is not None or reference_features is not None):
        table.update(_classifier_metrics(images, classifier, reference, reference_features,
                                         kid_subsets, kid_subset_size))
    if classifier is not None and count_modes is not None:
        modes = count_modes(images, classifier)
        table.update(modes_covered=modes.covered, modes_total=len(modes.counts),
                     mode_kl_to_uniform=modes.kl_to_uniform)
    table["ms_ssim_diversity"] = ms_ssim_diversity(images, pairs=min(pairs, len(images)))
    return table


def _classifier_metrics(images, classifier, reference, reference_features, kid_subsets,
                        kid_subset_size) -> dict[str, float]:
    if reference_features is None:
        reference_features = classifier_features(classifier, reference)
    features = classifier_features(classifier, images)
    if kid_subset_size is None:
        kid_subset_size = min(KID_SUBSET_SIZE, len(images) // 2)
    kid_mean, kid_std = kid(reference_features, features, subsets=kid_subsets, subset_size=kid_subset_size)
    precision, recall = precision_recall(reference_features, features)
    return {"classifier_score": classifier_score(classifier_probabilities(classifier, images)),
            "fid": fid(reference_features, features), "kid": kid_mean, "kid_std": kid_std,
            "precision": precision, "recall": recall}


__all__ = ["image_metrics", "DIVERSITY_PAIRS", "KID_SUBSET_SIZE", "KID_SUBSETS"]
