"""Data: toy distributions with exact densities (``toy``)."""

from gan_course.data import toy

__all__ = ["toy"]
