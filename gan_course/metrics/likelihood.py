"""Likelihood in bits per dimension, with the bookkeeping that makes models comparable.

Models with a density (Real NVP, a VAE's bound) are compared in bits per dimension: the
negative log-likelihood of an image divided by its number of pixel values D = C·H·W, in
base 2. Published tables score the *discrete* images (bytes 0..255), while a flow has a
*continuous* density over dequantised, rescaled pixels; ``bits_per_dim`` converts one into
the other with the Jacobian of the rescaling (``bin_width``), so a number computed here can
stand beside Dinh et al.'s (2017) or Theis et al.'s (2016).
"""

from __future__ import annotations

import math

import torch

from gan_course.validation import check_int, check_number

Tensor = torch.Tensor

BYTE_LEVELS = 256
"""The pixel values of an 8-bit image, 0..255."""

UNIT_BIN_WIDTH = 1 / BYTE_LEVELS
"""The width of one pixel level when the dequantised pixels are y = (x + u)/256 ∈ [0, 1)."""


def bits_per_dim(log_likelihood, dims: int, bin_width: float = 1.0):
    """−log₂ P(x) / D for images x of D pixel values, from a log-likelihood in nats per image.

        bits/dim = −(log p(y) + D log Δ) / (D ln 2) = −log p(y) / (D ln 2) − log₂ Δ

    ``log_likelihood`` is log p(y) in nats, one number per image (a tensor (N,) gives (N,)
    bits/dim, a number gives a float); ``dims`` is D; ``bin_width`` is Δ, the width of one
    of the 256 pixel levels in the units of y. Where the terms come from:

    - The data are bytes x ∈ {0, …, 255}^D. A continuous density would put infinite density
      on them, so they are *dequantised*: z = x + u with u ~ U[0, 1)^D fills each level's
      unit cube, and the model's density is over a rescaled y = Δ z + c (Δ = 1/256: y ∈ [0, 1)
      as in Real NVP, Dinh et al. 2017; Δ = 2/256: y ∈ [−1, 1)).
    - Change of variables: the density of z is p_Z(z) = p(Δ z + c) · Δ^D, so
      log p_Z(z) = log p(y) + D log Δ (the shift c adds nothing).
    - P(x) = ∫_{[0,1)^D} p_Z(x + u) du is a probability over the bytes (the cubes tile
      [0, 256)^D), and by Jensen's inequality log P(x) ≥ E_u[log p(y)] + D log Δ
      (Theis, van den Oord & Bethge 2016, "A note on the evaluation of generative models").

    So the bits/dim of a dequantised density, with y drawn once per image (an estimate of
    E_u), is an *upper* bound on the discrete model's −log₂ P(x)/D. For Δ = 1/256 the
    Jacobian term is −log₂ Δ = +8 bits/dim: the uniform density on [0, 1)^D (log p = 0)
    scores exactly 8, the score of a model that knows nothing about images, which a model
    worse than uniform exceeds. Use Δ = 1 for a density over z = x + u ∈ [0, 256)^D, and for a
    discrete model's log P(x) itself (a probability is a density over unit cubes). A flow that
    first applies its own transform to y (e.g. Real NVP's logit) includes that transform's
    log-Jacobian in log p(y): it is part of the model.
    """
    dims = check_int(dims, "dims")
    bin_width = check_number(bin_width, "bin_width")
    if torch.is_tensor(log_likelihood):
        # summed in float64, which Apple's MPS lacks: such tensors are scored on the CPU
        if log_likelihood.device.type == "mps":
            log_likelihood = log_likelihood.cpu()
        return -(log_likelihood.double() + dims * math.log(bin_width)) / (dims * math.log(2.0))
    log_likelihood = check_number(log_likelihood, "log_likelihood", minimum=-math.inf)
    return -(log_likelihood + dims * math.log(bin_width)) / (dims * math.log(2.0))


__all__ = ["bits_per_dim", "BYTE_LEVELS", "UNIT_BIN_WIDTH"]
