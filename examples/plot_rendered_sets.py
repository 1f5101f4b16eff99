"""
Every built-in rendered data set
================================

The rendered sets need no download: each is a render spec drawn on demand. For every built-in set this
example draws a grid of random samples and then one traversal per factor — a single code with one factor
moved through all its values (at most 12 of them, evenly spaced), the others held fixed.
"""

import matplotlib.pyplot as plt
import numpy as np

import gtdata


def show_set(name: str, seed: int = 0, max_steps: int = 12) -> None:
    data = gtdata.load(name)
    codes, images = data.sample(16, seed)
    names = data.factor_names
    fig, axes = plt.subplots(1 + len(names), max_steps, figsize=(max_steps * 0.9, (1 + len(names)) * 0.95),
                             squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for j in range(max_steps):
        axes[0, j].imshow(images[j].squeeze(), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].set_title("random samples", loc="left", fontsize=8)
    for i, factor in enumerate(names, start=1):
        trav_codes, trav_images = data.traverse(codes[0], factor)
        steps = np.unique(np.linspace(0, len(trav_codes) - 1, min(max_steps, len(trav_codes))).round().astype(int))
        values = data.factor_space.codes_to_values(trav_codes[steps])[factor]
        unit = data.factor_space.factors[i - 1].unit
        for j, (k, value) in enumerate(zip(steps, values)):
            axes[i, j].imshow(trav_images[k].squeeze(), cmap="gray", vmin=0, vmax=1)
            text = value if isinstance(value, str) else f"{float(value):.3g}"
            axes[i, j].text(0.5, -0.06, text, transform=axes[i, j].transAxes, ha="center", va="top", fontsize=6)
        label = f"{factor}" + (f" [{unit}]" if unit else "")
        axes[i, 0].text(-0.1, 0.5, label, transform=axes[i, 0].transAxes, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{name}: {len(data.factor_space):,} grid points, {data.observation_shape[0]}×"
                 f"{data.observation_shape[1]}×{data.observation_shape[2]}", fontsize=10)
    fig.subplots_adjust(left=0.16, right=0.99, top=0.92, bottom=0.03, hspace=0.45, wspace=0.08)


# %%
# The registry lists every rendered set; each gets the same figure.
rendered = [info.name for info in gtdata.list_datasets("rendered")]
print(rendered)

# %%
for name in rendered:
    show_set(name)
plt.show()
