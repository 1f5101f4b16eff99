"""Figures of a trained VAE, as disentanglement_lib's ``visualize_model`` draws them.

``reconstructions.png`` (odd rows: inputs, even rows: reconstructions), ``samples.png`` (decoded draws from
the prior N(0, I)), ``traversals.png`` (one row per latent, each row moving that latent from −2 to 2 around
the posterior mean of one input; rows sorted by the latent's mean KL over a batch of inputs, most informative
first, and labelled with the latent index and that KL in nats) and ``traversals.gif`` (all latents at once,
sweeping −2 → 2 → −2, in latent-index order). Decoder logits are turned into pixels with a sigmoid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gtdata.core.data import GroundTruthData
from gtdata.core.errors import InvalidValueError
from gtdata.core.persist import atomic_path
from gtdata.models.methods import VAE

__all__ = ["FIGURE_FILES", "image_grid", "latent_kl", "traversal_order", "write_figures"]

FIGURE_FILES = ("reconstructions.png", "samples.png", "traversals.png", "traversals.gif")
_PAD = 2
_TRAVERSAL_STEPS = 10
_TRAVERSAL_RANGE = 2.0
_GIF_FRAMES = 24
_KL_BATCH = 256


def image_grid(images: np.ndarray, rows: int, cols: int) -> Image.Image:
    """Tile (rows·cols, H, W, C) images in [0, 1] row-major into one PIL image with a white 2-pixel gap."""
    n, h, w, c = images.shape
    if n != rows * cols:
        raise InvalidValueError(f"image_grid needs rows·cols = {rows * cols} images, got {n}")
    grid = np.ones((rows * (h + _PAD) + _PAD, cols * (w + _PAD) + _PAD, c), dtype=np.float32)
    for i in range(n):
        r, q = divmod(i, cols)
        y, x = _PAD + r * (h + _PAD), _PAD + q * (w + _PAD)
        grid[y : y + h, x : x + w] = images[i]
    pixels = np.clip(np.rint(grid * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels[..., 0] if c == 1 else pixels, mode="L" if c == 1 else "RGB")


@torch.no_grad()
def latent_kl(vae: VAE, x: torch.Tensor) -> np.ndarray:
    """Mean over the batch ``x`` (N, C, H, W) of each latent's KL(q(z_l | x) ‖ N(0, 1)), in nats; shape (L,).

    KL_l = ½ (μ_l² + σ_l² − log σ_l² − 1), the per-latent term of the VAEs' KL. A latent the model does not
    use (posterior = prior) has KL ≈ 0.
    """
    mean, logvar = vae.encode(x)
    kl = 0.5 * (mean.square() + logvar.exp() - logvar - 1.0)
    return kl.mean(dim=0).double().cpu().numpy()


def traversal_order(kl: np.ndarray) -> np.ndarray:
    """Latent indices sorted by decreasing mean KL (ties: lower index first), the row order of the traversal."""
    kl = np.asarray(kl, dtype=np.float64)
    return np.lexsort((np.arange(kl.size), -kl))


def _labelled_traversals(images: np.ndarray, order: np.ndarray, kl: np.ndarray, values: np.ndarray, path: Path) -> None:
    """The traversal grid with each row labelled ``z<index>`` and its mean KL, columns with the latent value."""
    from matplotlib.figure import Figure

    rows, cols = len(order), len(values)
    grid = np.asarray(image_grid(images, rows, cols), dtype=np.float32) / 255.0
    h, w = images.shape[1:3]
    fig = Figure(figsize=(1.9 + cols * 0.62, 0.9 + rows * 0.62), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    centres_y = _PAD + np.arange(rows) * (h + _PAD) + h / 2.0
    centres_x = _PAD + np.arange(cols) * (w + _PAD) + w / 2.0
    ax.set_yticks(centres_y, [f"z{int(z)}  KL {kl[z]:.2f}" for z in order], fontsize=8, family="monospace")
    ax.set_xticks(centres_x, [f"{v:+.1f}" for v in values], fontsize=7)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xlabel("value of the traversed latent (posterior mean of one input elsewhere)", fontsize=8)
    ax.set_ylabel("latent, mean KL to the prior (nats)", fontsize=8)
    ax.set_title("Latent traversals, rows sorted by mean KL", fontsize=9)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


@torch.no_grad()
def _decode(vae: VAE, z: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(vae.decode(z)).permute(0, 2, 3, 1).float().cpu().numpy()


def _save_png(image: Image.Image, path: Path) -> None:
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG")


@torch.no_grad()
def write_figures(
    vae: VAE, data: GroundTruthData, out_dir: Path, seed: int = 0, num_images: int = 10
) -> dict[str, Path]:
    """Write the four figures into ``out_dir`` (created); returns name → path. Deterministic for a seed."""
    from gtdata.training.data import observations_to_tensor

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    was_training = vae.training
    vae.eval()
    device = next(vae.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    _, obs = data.sample(num_images, np.random.default_rng(seed))
    x = observations_to_tensor(obs, tuple(data.observation_shape), device)
    mean, _ = vae.encode(x)
    paths = {name: out_dir / name for name in FIGURE_FILES}

    recon = _decode(vae, mean)
    pairs = np.stack([obs.astype(np.float32), recon], axis=0).reshape(-1, *recon.shape[1:])
    _save_png(image_grid(pairs, 2, num_images), paths["reconstructions.png"])

    prior = torch.randn(64, vae.num_latent, generator=gen).to(device)
    _save_png(image_grid(_decode(vae, prior), 8, 8), paths["samples.png"])

    # Row order from a separate batch, so the reconstructions' inputs stay the seed's first draw.
    _, kl_obs = data.sample(_KL_BATCH, np.random.default_rng([seed, 1]))
    kl = latent_kl(vae, observations_to_tensor(kl_obs, tuple(data.observation_shape), device))
    order = traversal_order(kl)
    base = mean[:1]
    values = torch.linspace(-_TRAVERSAL_RANGE, _TRAVERSAL_RANGE, _TRAVERSAL_STEPS, device=device)
    codes = base.repeat(vae.num_latent * _TRAVERSAL_STEPS, 1)
    dims = torch.as_tensor(order, device=device).repeat_interleave(_TRAVERSAL_STEPS)
    codes[torch.arange(codes.shape[0], device=device), dims] = values.repeat(vae.num_latent)
    _labelled_traversals(_decode(vae, codes), order, kl, values.cpu().numpy(), paths["traversals.png"])

    # GIF: frame t sets every latent (one panel each) to the same point of a −2 → 2 → −2 sweep.
    phase = np.sin(np.linspace(0.0, 2.0 * np.pi, _GIF_FRAMES, endpoint=False) - np.pi / 2.0)
    sweep = torch.tensor(-_TRAVERSAL_RANGE * phase, dtype=base.dtype, device=device)
    cols = min(vae.num_latent, 5)
    rows = -(-vae.num_latent // cols)
    frames = []
    eye = torch.eye(vae.num_latent, device=device, dtype=base.dtype)
    for value in sweep:
        frame_codes = base * (1 - eye) + eye * value
        images = _decode(vae, frame_codes)
        filler = np.ones((rows * cols - vae.num_latent, *images.shape[1:]), dtype=np.float32)
        frames.append(image_grid(np.concatenate([images, filler]), rows, cols))
    with atomic_path(paths["traversals.gif"]) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    vae.train(was_training)
    return paths
