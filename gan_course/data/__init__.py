"""Data: toy distributions with exact densities (``toy``) and image sets (``images``)."""

from gan_course.data import images, toy
from gan_course.data.images import ImageBatches, ImageSet, load_images

__all__ = ["toy", "images", "load_images", "ImageSet", "ImageBatches"]
