"""Divergences between p* and q_θ, and the estimators that compare them from samples.

- ``f_divergences``: the f-divergence table (f, its conjugate f†, the critic's
  output activation), exact values for Gaussians, the variational lower bound
  (Nowozin et al. 2016, f-GAN). Lesson 02.
- ``ratio_matching``: Bregman-divergence losses for density-ratio matching (LSIF,
  KLIEP, logistic) and the closed-form kernel uLSIF fit (Sugiyama et al. 2012). Lesson 03.
- ``mmd``: maximum mean discrepancy with Gaussian kernels, its estimators and a
  permutation two-sample test (Gretton et al. 2012); the GMMN loss (Li et al. 2015). Lesson 03.
- ``kernels``: the Gaussian kernel k(x, y) = exp(−‖x − y‖² / (2σ²)) and the median
  heuristic for σ, shared by uLSIF and the MMD. Lesson 03.
"""

# --- f_divergences (lesson 02) ---
from gan_course.divergences import f_divergences  # noqa: E402, F401
from gan_course.divergences.f_divergences import (  # noqa: E402, F401
    CLOSED_FORMS,
    F_DIVERGENCES,
    LOGIT_CLIP,
    Critic,
    FDivergence,
    exact_divergence,
    fit_f_divergence_critic,
    get_f_divergence,
    optimal_bound,
    quadrature_bound,
    quadrature_divergence,
    variational_bound,
)

# isort: split
# --- ratio_matching and mmd (lesson 03) ---
from gan_course.divergences import kernels, mmd, ratio_matching  # noqa: E402, F401
from gan_course.divergences.kernels import gaussian_kernel  # noqa: E402, F401
from gan_course.divergences.mmd import (  # noqa: E402, F401
    MMDLoss,
    mmd2_biased,
    mmd2_unbiased,
    permutation_test,
    witness,
)
from gan_course.divergences.ratio_matching import (  # noqa: E402, F401
    BREGMAN_FUNCTIONS,
    RATIO_LOSSES,
    KernelRatio,
    bregman_divergence,
    bregman_loss,
    fit_neural_ratio,
    fit_ulsif,
    kliep_loss,
    logistic_loss,
    lsif_loss,
    ulsif_weights,
)
