"""Checks that the exercise notebooks call after each task, one module per lesson.

    from gan_course import checks
    checks.check_scoring_rule(bernoulli_loss, "bernoulli")

A right answer prints one line; a wrong one raises :class:`CheckFailed` with
one plain sentence and a hint; a blank task raises ``NotImplementedError``.
Each lesson's module builds on the helpers of ``checks.core``.
"""

from gan_course.checks import core
from gan_course.checks.core import CheckFailed
from gan_course.checks.density_ratio import (
    check_bulk_error,
    check_log_ratio_from_logits,
    check_ratio_estimate,
    check_scoring_rule,
)

core.install_plain_display()

__all__ = ["CheckFailed", "check_scoring_rule", "check_log_ratio_from_logits", "check_bulk_error",
           "check_ratio_estimate"]
