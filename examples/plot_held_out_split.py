"""
A held-out split
================

A split is a view of a data set that only draws grid points inside a subset. Here the lower-right quarter
of the positions is held out with an expression over factor *values*; the rest of the grid is its
complement. Then one of Schott et al.'s out-of-distribution splits (``composition``) is drawn the same way.
"""

import matplotlib.pyplot as plt
import numpy as np

import gtdata
from gtdata.splits import ood_split

data = gtdata.load("dsprites_like")
test = data.split("posX > 0.5 and posY > 0.5")
train = test.complement()
print(f"train: {len(train):,} grid points, test: {len(test):,}")


def position_map(view):
    """Fraction of each (posX, posY) cell's grid points that lie in the view."""
    space = view.factor_space
    codes = space.index_to_codes(view.grid_points)
    counts = np.zeros((space.factors[4].size, space.factors[3].size))
    np.add.at(counts, (codes[:, 4], codes[:, 3]), 1)
    return counts / (len(data) / counts.size)


def show(train_view, test_view, title):
    fig = plt.figure(figsize=(9, 3.3))
    ax = fig.add_axes([0.05, 0.14, 0.26, 0.72])
    image = ax.imshow(position_map(test_view), origin="upper", cmap="magma", vmin=0, vmax=1, extent=(0, 1, 1, 0))
    ax.set_xlabel("posX (fraction of the canvas)")
    ax.set_ylabel("posY (fraction of the canvas)")
    ax.set_title("share of each position in test", fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.046)
    for row, (view, name) in enumerate(((train_view, "train"), (test_view, "test"))):
        _, images = view.sample(6, row)
        for j, img in enumerate(images):
            a = fig.add_axes([0.42 + j * 0.095, 0.52 - row * 0.42, 0.09, 0.36])
            a.imshow(img.squeeze(), cmap="gray", vmin=0, vmax=1)
            a.set_xticks([])
            a.set_yticks([])
            if j == 0:
                a.set_ylabel(name, fontsize=9)
    fig.suptitle(title, fontsize=10)


# %%
show(train, test, 'data.split("posX > 0.5 and posY > 0.5") and its complement')

# %%
# Schott et al.'s composition split: every value appears in training, only some combinations do not.
split = ood_split(data, "composition")
ood_train, ood_test = split.views(data)
print(split)
show(ood_train, ood_test, f"ood_split(data, 'composition'): {split.description}")
plt.show()
