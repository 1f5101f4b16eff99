"""
Metrics: a trained model against a random encoder
=================================================

The β-VAE of the training example (trained here if it is not already on disk) is scored with several
metrics of the study and two identifiability metrics, next to an untrained encoder of the same
architecture. A random encoder is the baseline every score should clearly beat. The sample sizes are
reduced (2,000 training and 1,000 test points instead of 10,000 and 5,000) to keep the example fast.
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import gtdata
from gtdata.models import VAE

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
# The same call as the training example: a finished run with this config is reopened, not retrained.
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
trained = run.representation("mean")

torch.manual_seed(0)
untrained = VAE("conv", run.data.observation_shape, num_latent=10).eval()

metrics = ["mig", "dci_fast", "sap", "modularity_explicitness", "mcc", "r2"]
small = {"num_train": 2000, "num_test": 1000}
options = {
    "mig": {"num_train": 2000},
    "dci_fast": small,
    "sap": small,
    "modularity_explicitness": small,
    "mcc": {"num_train": 2000},
    "r2": small,
}
scores = {
    "trained β-VAE": gtdata.evaluate(run.data, trained, metrics=metrics, seed=0, options=options, n_jobs=1),
    "random encoder": gtdata.evaluate(run.data, untrained.encoder, metrics=metrics, seed=0, options=options, n_jobs=1),
}

# %%
# One number per metric (all are fractions or 0–1 indices; higher is better).
shown = {
    "mig.discrete_mig": "MIG",
    "dci_fast.disentanglement": "DCI dis.\n(fast)",
    "dci_fast.completeness": "DCI comp.\n(fast)",
    "sap.SAP_score": "SAP",
    "modularity_explicitness.modularity_score": "modularity",
    "modularity_explicitness.explicitness_score_test": "explicitness",
    "mcc.mcc": "MCC",
    "r2.r2": "R² (linear)",
}
shown = {k: v for k, v in shown.items() if all(k in s for s in scores.values())}
print(f"{'metric':22s}" + "".join(f"{name:>16s}" for name in scores))
for key, label in shown.items():
    print(f"{label.replace(chr(10), ' '):22s}" + "".join(f"{s[key]:16.3f}" for s in scores.values()))

fig, ax = plt.subplots(figsize=(8, 3.4))
x = np.arange(len(shown))
for i, (name, s) in enumerate(scores.items()):
    ax.bar(x + (i - 0.5) * 0.38, [s[k] for k in shown], width=0.38, label=name, color=f"C{i}")
ax.set_xticks(x, list(shown.values()), fontsize=8)
ax.set_ylabel("score [0–1]")
ax.set_ylim(0, 1)
ax.legend(fontsize=8)
ax.set_title("Disentanglement and identifiability metrics (disc scene, reduced sample sizes)", fontsize=9)
fig.tight_layout()
plt.show()
