"""Checks that the exercise notebooks call after each task, one module per lesson.

    from gan_course import checks
    checks.check_scoring_rule(bernoulli_loss, "bernoulli")

A right answer prints one line; a wrong one raises :class:`CheckFailed` with
one plain sentence and a hint; a blank task raises ``NotImplementedError``.
Each lesson's module builds on the helpers of ``checks.core``.
"""

from gan_course.checks import core
from gan_course.checks.alpha_gan import (
    check_alpha_gan_step,
    check_code_discriminator_loss,
    check_reconstruction_loss,
)
from gan_course.checks.beyond import (
    check_expected_coverage,
    check_marginal_pairs,
    check_posterior_from_logits,
    check_ratio_estimation_loss,
)
from gan_course.checks.core import CheckFailed
from gan_course.checks.density_ratio import (
    check_bulk_error,
    check_log_ratio_from_logits,
    check_ratio_estimate,
    check_scoring_rule,
)
from gan_course.checks.evaluation import (
    check_classifier_score,
    check_frechet_distance,
    check_mode_count,
)
from gan_course.checks.f_gan import (
    check_activation,
    check_conjugate,
    check_optimal_critic,
    check_trained_bound,
    check_variational_bound,
)
from gan_course.checks.flows import (
    check_bits_per_dim,
    check_coupling_encode,
    check_coupling_inverse,
)
from gan_course.checks.generator import (
    check_generator_loss,
    check_generator_step,
    check_reparameterised_sample,
    check_slopes,
)
from gan_course.checks.many_paths import (
    check_clip_weights,
    check_dragan_penalty,
    check_penalised_training,
    check_wgan_gp_penalty,
)
from gan_course.checks.ratio_moments import (
    check_gaussian_kernel,
    check_lsif_loss,
    check_mean_near_zero,
    check_ratio_fit,
    check_ulsif_weights,
    check_unbiased_mmd2,
)
from gan_course.checks.wasserstein import (
    check_exact_wasserstein,
    check_interpolates,
    check_same_ranking,
    check_wasserstein_1d,
)

core.install_plain_display()

__all__ = [
    "CheckFailed",
    # lesson 01
    "check_scoring_rule", "check_log_ratio_from_logits", "check_bulk_error", "check_ratio_estimate",
    # lesson 02
    "check_conjugate", "check_activation", "check_variational_bound", "check_optimal_critic",
    "check_trained_bound",
    # lesson 03
    "check_lsif_loss", "check_ulsif_weights", "check_ratio_fit", "check_gaussian_kernel",
    "check_unbiased_mmd2", "check_mean_near_zero",
    # lesson 04
    "check_generator_loss", "check_slopes", "check_reparameterised_sample", "check_generator_step",
    # lesson 05
    "check_wasserstein_1d", "check_exact_wasserstein", "check_interpolates", "check_same_ranking",
    # lesson 06
    "check_coupling_encode", "check_coupling_inverse", "check_bits_per_dim",
    # lesson 07
    "check_code_discriminator_loss", "check_reconstruction_loss", "check_alpha_gan_step",
    # lesson 08
    "check_clip_weights", "check_wgan_gp_penalty", "check_dragan_penalty", "check_penalised_training",
    # lesson 09
    "check_frechet_distance", "check_mode_count", "check_classifier_score",
    # lesson 10
    "check_marginal_pairs", "check_ratio_estimation_loss", "check_posterior_from_logits",
    "check_expected_coverage",
]
