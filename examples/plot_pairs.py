"""
Intervention pairs: k = 1, k = 2 and k random
=============================================

Weakly-supervised methods learn from pairs of images that differ in ``k`` factors. Each column below is
one pair from ``dsprites_like`` (top: first image, bottom: second); the factors that changed are written
under it. In the default ``mode="exact"`` every pair differs in exactly ``k`` factors and each changed
factor takes a *different* value; ``mode="reference"`` reproduces disentanglement_lib's generator, where a
pair may differ in fewer (see the user guide's page on pairs).
"""

import matplotlib.pyplot as plt
import numpy as np

import gtdata

data = gtdata.load("dsprites_like")
names = np.array(data.factor_names)


def show_pairs(k, mode="exact", n=8, seed=0):
    pairs = data.sample_pairs(n, k=k, rng=seed, mode=mode)
    fig, axes = plt.subplots(2, n, figsize=(n * 1.05, 2.9))
    for j in range(n):
        for row, image in enumerate((pairs.x1[j], pairs.x2[j])):
            axes[row, j].imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
            axes[row, j].set_xticks([])
            axes[row, j].set_yticks([])
        really = pairs.codes1[j] != pairs.codes2[j]
        label = "\n".join(names[pairs.changed[j]]) or "—"
        if mode == "reference" and (pairs.changed[j] != really).any():
            label += "\n(same value\ndrawn)"
        axes[1, j].set_xlabel(label, fontsize=7)
    axes[0, 0].set_ylabel("x1", fontsize=8)
    axes[1, 0].set_ylabel("x2", fontsize=8)
    fig.suptitle(f"k = {k!r}, mode = {mode!r}: changed factors under each pair", fontsize=10)
    fig.subplots_adjust(bottom=0.3, top=0.86, wspace=0.1)
    return pairs


# %%
# Exactly one factor changes.
pairs = show_pairs(1)
print("changed factors per pair:", pairs.changed.sum(axis=1))

# %%
# Exactly two.
pairs = show_pairs(2)
print("changed factors per pair:", pairs.changed.sum(axis=1))

# %%
# A number drawn uniformly in 1 … d − 1 = 4 for each pair (the paper's "k = Rnd").
pairs = show_pairs("random")
print("changed factors per pair:", pairs.changed.sum(axis=1))

# %%
# disentanglement_lib's generator: with probability ½ a single factor is resampled, and a resampled factor
# may draw its old value again, so pairs differ in *at most* k factors.
pairs = show_pairs(2, mode="reference", seed=3)
print("factors that really differ:", (pairs.codes1 != pairs.codes2).sum(axis=1))
plt.show()
