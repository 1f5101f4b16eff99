"""
A short training run and its traversals
=======================================

Trains a β-VAE (β = 2) for 300 steps on a small rendered set — one disc whose horizontal position,
vertical position and size are the factors. The study trains for 300,000 steps at a learning rate of
1e-4; to show structure after a few hundred steps on a CPU, this run uses a 10× larger learning rate and
batches of 32. The run directory holds the config, checkpoints, the JSONL loss log, the model and the
figures drawn below.

In the traversal, each row moves one latent from −2 to 2 around the posterior mean of one image; rows are
sorted by the latent's mean KL to the prior (nats), so the latents the model uses most come first.
"""

import json
import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

import gtdata

# The data set: a render spec given as a dict (a YAML file works the same).
DISC = {
    "name": "disc",
    "canvas": {"height": 64, "width": 64, "channels": 1},
    "background": 0.0,
    "factors": [
        {"name": "x", "linspace": [0.2, 0.8, 16]},
        {"name": "y", "linspace": [0.2, 0.8, 16]},
        {"name": "size", "linspace": [0.6, 1.0, 4]},
    ],
    "objects": [
        {"shape": "circle", "scale": {"factor": "size", "scale": 0.35}, "x": {"factor": "x"}, "y": {"factor": "y"}}
    ],
}
out = Path(tempfile.gettempdir()) / "gtdata-gallery" / "beta_vae_disc"
shutil.rmtree(out, ignore_errors=True)  # train from scratch, so the figures come from this gtdata
run = gtdata.train(
    data=DISC,
    method="beta_vae",
    beta=2,
    steps=300,
    seed=0,
    out=out,
    batch_size=32,
    lr=1e-3,
    log_every=10,
    progress=False,
)
print(run.path, sorted(p.name for p in run.path.iterdir()))

# %%
# The loss terms logged every 10 steps (nats per image).
log = [json.loads(line) for line in (run.path / "log.jsonl").read_text().splitlines()]
log = [r for r in log if "reconstruction" in r]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot([r["step"] for r in log], [r["reconstruction"] for r in log], label="reconstruction")
ax.plot([r["step"] for r in log], [r["kl"] for r in log], label="KL")
ax.set_xlabel("training step")
ax.set_ylabel("loss term [nats per image]")
ax.set_yscale("log")
ax.legend()
ax.set_title("β-VAE training log")
fig.tight_layout()

# %%
# The labelled traversal grid written to ``figures/traversals.png``.
traversal = Image.open(run.path / "figures" / "traversals.png")
fig, ax = plt.subplots(figsize=(traversal.width / 110, traversal.height / 110), dpi=110)
ax.imshow(traversal)
ax.set_axis_off()
fig.subplots_adjust(0, 0, 1, 1)

# %%
# Inputs (odd rows) and their reconstructions (even rows).
recon = Image.open(run.path / "figures" / "reconstructions.png")
fig, ax = plt.subplots(figsize=(8, 1.8))
ax.imshow(recon, cmap="gray")
ax.set_axis_off()
plt.show()
