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
    """Random samples (first row), then one traversal per factor with its values under the images."""
    data = gtdata.load(name)
    codes, images = data.sample(max_steps, seed)
    names = data.factor_names
    rows = 1 + len(names)
    fig, axes = plt.subplots(rows, max_steps, figsize=(max_steps * 0.8, rows * 0.95), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for j in range(max_steps):
        axes[0, j].imshow(images[j].squeeze(), cmap="gray", vmin=0, vmax=1)
    axes[0, 0].text(-0.1, 0.5, "random samples", transform=axes[0, 0].transAxes, ha="right", va="center", fontsize=8)
    for i, factor in enumerate(names, start=1):
        trav_codes, trav_images = data.traverse(codes[0], factor)
        # At most max_steps values, evenly spaced over the factor's grid.
        picks = np.linspace(0, len(trav_codes) - 1, min(max_steps, len(trav_codes)))
        steps = np.unique(picks.round().astype(int))
        values = data.factor_space.codes_to_values(trav_codes[steps])[factor]
        unit = data.factor_space.factors[i - 1].unit
        for j, (k, value) in enumerate(zip(steps, values)):
            axes[i, j].imshow(trav_images[k].squeeze(), cmap="gray", vmin=0, vmax=1)
            text = value if isinstance(value, str) else f"{float(value):.3g}"
            axes[i, j].text(0.5, -0.04, text, transform=axes[i, j].transAxes, ha="center", va="top", fontsize=6)
        label = factor + (f" [{unit}]" if unit else "")
        axes[i, 0].text(-0.1, 0.5, label, transform=axes[i, 0].transAxes, ha="right", va="center", fontsize=8)
    shape = "×".join(map(str, data.observation_shape))
    fig.suptitle(f"{name}: {len(data.factor_space):,} grid points, {shape}", fontsize=10)
    fig.subplots_adjust(left=0.17, right=0.99, top=1 - 0.45 / rows, bottom=0.02, hspace=0.5, wspace=0.06)


# %%
# The registry lists every rendered set.
rendered = [info.name for info in gtdata.list_datasets("rendered")]
print(rendered)

# %%
# ``dsprites_like``: the dSprites factor grid, rendered anti-aliased.
show_set("dsprites_like")

# %%
# ``multi_sprites``: three coloured objects with position and hue per object.
show_set("multi_sprites")

# %%
# ``textured_sprites``: one object with shape, texture, hue, scale, orientation and position.
show_set("textured_sprites")

# %%
# ``shapes3d_like``: a ray-traced room with the factor grid of Shapes3D.
show_set("shapes3d_like")

# %%
# ``objects3d``: three objects in a room, seen from a moving camera.
show_set("objects3d")

# %%
# ``light3d``: one scene under a moving light, so shadows move.
show_set("light3d")

# %%
# Any other rendered set registered in this installation.
for name in rendered:
    if name not in ("dsprites_like", "multi_sprites", "textured_sprites", "shapes3d_like", "objects3d", "light3d"):
        show_set(name)
plt.show()
