"""Divergences between p* and q_θ, and the estimators that compare them from samples.

- ``f_divergences``: the f-divergence table (f, its conjugate f*, the critic's
  output activation), exact values for Gaussians, the variational lower bound
  (Nowozin et al. 2016, f-GAN). Lesson 02.
- ``ratio_matching``: Bregman-divergence losses for density-ratio matching (LSIF,
  KLIEP, logistic) and the closed-form kernel uLSIF fit (Sugiyama et al. 2012). Lesson 03.
- ``mmd``: maximum mean discrepancy with Gaussian kernels, its estimators and a
  permutation two-sample test (Gretton et al. 2012); the GMMN loss (Li et al. 2015). Lesson 03.
"""

# --- f_divergences (lesson 02) ---

# --- ratio_matching and mmd (lesson 03) ---
