"""
Correlated factors and counterfactual pairs
===========================================

Instead of uniform codes, any data set can be sampled from a structural causal model (SCM) over its
factors. First a correlated pair of factors (Träuble et al. 2021): orientation and horizontal position of
``dsprites_like`` are coupled, which the joint histogram of sampled codes shows. Then a small causal graph
— scale → orientation → posX — and counterfactual pairs: the same exogenous noise, an intervention on
``scale``, and the descendants move with it.
"""

import matplotlib.pyplot as plt
import numpy as np

import gtdata
from gtdata.causal import SCM, AdditiveNoise, Table, correlated, counterfactual_pairs

data = gtdata.load("dsprites_like")
space = data.factor_space
i_orient, i_x = space.index("orientation"), space.index("posX")

# %%
# Codes of 20,000 draws: uniform, and from the correlated SCM (smaller sigma, stronger coupling).
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
for ax, sigma in zip(axes, (None, 0.4, 0.1)):
    view = data if sigma is None else data.with_distribution(correlated(space, ("orientation", "posX"), sigma=sigma))
    codes = view.sample_codes(20000, 0)
    counts = np.zeros((space.factors[i_orient].size, space.factors[i_x].size))
    np.add.at(counts, (codes[:, i_orient], codes[:, i_x]), 1)
    image = ax.imshow(counts, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xlabel("posX code")
    ax.set_ylabel("orientation code")
    ax.set_title("uniform" if sigma is None else f"correlated, sigma = {sigma}", fontsize=9)
    fig.colorbar(image, ax=ax, label="draws per cell")
fig.tight_layout()

# %%
# A causal graph and counterfactual pairs with an intervention on scale: top row factual, bottom row the
# counterfactual; under each pair, the factors whose value changed.
causal = SCM(
    space,
    {
        "orientation": AdditiveNoise({"scale": 4.0}, scale=0.5),
        "posX": Table(["orientation"], np.random.default_rng(0).random((40, 32))),
    },
)
pairs = counterfactual_pairs(data, causal, 8, targets="scale", rng=0)
names = np.array(data.factor_names)
fig, axes = plt.subplots(2, 8, figsize=(8.5, 2.9))
for j in range(8):
    for row, image in enumerate((pairs.x1[j], pairs.x2[j])):
        axes[row, j].imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
        axes[row, j].set_xticks([])
        axes[row, j].set_yticks([])
    axes[1, j].set_xlabel("\n".join(names[pairs.changed[j]]) or "—", fontsize=7)
axes[0, 0].set_ylabel("factual", fontsize=8)
axes[1, 0].set_ylabel("do(scale)", fontsize=8)
fig.suptitle("Counterfactual pairs: intervention on scale; changed factors under each pair", fontsize=9)
fig.subplots_adjust(bottom=0.3, top=0.86, wspace=0.1)
print("intervened:", names[pairs.intervened.any(axis=0)], "changed per pair:", pairs.changed.sum(axis=1))
plt.show()
