"""Networks: small MLPs for toy data (``toy``)."""

from gan_course.models.toy import mlp

__all__ = ["mlp"]
