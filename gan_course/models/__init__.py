"""Networks: small MLPs for toy data (``toy``) and DCGAN-style conv nets (``dcgan``)."""

from gan_course.models.dcgan import DCGANDiscriminator, DCGANEncoder, DCGANGenerator, dcgan_init
from gan_course.models.toy import mlp

__all__ = ["mlp", "DCGANGenerator", "DCGANDiscriminator", "DCGANEncoder", "dcgan_init"]

# Real NVP (Dinh et al. 2017), the flow of lesson 06
from gan_course.models.realnvp import RealNVP2D, RealNVPImage

__all__ += ["RealNVP2D", "RealNVPImage"]
