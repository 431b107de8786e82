"""Understanding GANs: the course's package.

Start every notebook with::

    import gan_course
    device = gan_course.setup(seed=0)
"""

from gan_course.config import budget, device, is_quick, setup

__version__ = "0.1.0"
__all__ = ["budget", "device", "is_quick", "setup", "__version__"]
