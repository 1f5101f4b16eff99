import pytest
import torch

from gtdata.models import ConvEncoder, DeconvDecoder, FcDecoder, FcDiscriminator, FcEncoder, build_encoder
from gtdata.models.methods import VAE


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def dense(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def conv(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def conv_encoder_params(c: int, latent: int) -> int:
    # Reference table §3: conv32 k4, conv32 k4, conv64 k2, conv64 k2, dense 256, two heads.
    return (
        conv(4, c, 32) + conv(4, 32, 32) + conv(2, 32, 64) + conv(2, 64, 64) + dense(1024, 256) + 2 * dense(256, latent)
    )


def deconv_decoder_params(c: int, latent: int) -> int:
    return dense(latent, 256) + dense(256, 1024) + conv(4, 64, 64) + conv(4, 64, 32) + conv(4, 32, 32) + conv(4, 32, c)


@pytest.mark.parametrize("channels", [1, 3])
def test_conv_parameter_counts_match_reference_table(channels):
    assert count(ConvEncoder(channels, 10)) == conv_encoder_params(channels, 10)
    assert count(DeconvDecoder(channels, 10)) == deconv_decoder_params(channels, 10)


def test_conv_parameter_counts_literal():
    # Worked out by hand for 64x64x1, 10 latents.
    assert count(ConvEncoder(1, 10)) == 309_204
    assert count(DeconvDecoder(1, 10)) == 381_313


def test_fc_and_discriminator_parameter_counts():
    pixels = 64 * 64 * 3
    assert count(FcEncoder((3, 64, 64), 10)) == dense(pixels, 1200) + dense(1200, 1200) + 2 * dense(1200, 10)
    assert count(FcDecoder((3, 64, 64), 10)) == (dense(10, 1200) + 2 * dense(1200, 1200) + dense(1200, pixels))
    assert count(FcDiscriminator(10)) == dense(10, 1000) + 5 * dense(1000, 1000) + dense(1000, 2)


@pytest.mark.parametrize("architecture", ["conv", "fc"])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_round_trip(architecture, channels):
    vae = VAE(architecture, (64, 64, channels), num_latent=7)
    x = torch.rand(5, channels, 64, 64)
    mean, logvar = vae.encode(x)
    assert mean.shape == logvar.shape == (5, 7)
    assert vae.decode(mean).shape == (5, channels, 64, 64)


def test_glorot_init_and_zero_bias():
    enc = ConvEncoder(1, 10)
    first = enc.features[0]
    assert torch.all(first.bias == 0)
    bound = (6.0 / (16 * 1 + 16 * 32)) ** 0.5
    assert first.weight.abs().max() <= bound
    assert first.weight.abs().max() > 0.8 * bound


def test_conv_rejects_other_image_sizes():
    with pytest.raises(ValueError, match=r"64×64×C.*32×32×1.*fc"):
        build_encoder("conv", (32, 32, 1), 10)
    with pytest.raises(ValueError, match="unknown architecture 'resnet'; valid: conv, fc"):
        build_encoder("resnet", (64, 64, 1), 10)
    # The fc variant takes any image size.
    assert build_encoder("fc", (32, 32, 1), 10)(torch.rand(2, 1, 32, 32))[0].shape == (2, 10)
