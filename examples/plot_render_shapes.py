"""
Shapes, textures and backgrounds of the renderer
================================================

Every built-in shape, every texture and every background kind a render spec can use, each drawn by a
one-object spec. These are the building blocks of the rendering user guide.
"""

import matplotlib.pyplot as plt

import gtdata
from gtdata.render.shapes import BUILTIN_SHAPES
from gtdata.render.spec import TEXTURES


def one_object(obj, background=(0.12, 0.12, 0.15)):
    spec = {
        "name": "demo",
        "canvas": {"height": 64, "width": 64, "channels": 3},
        "background": list(background) if isinstance(background, tuple) else background,
        "factors": [{"name": "x", "values": [0.5]}],
        "objects": [{**obj, "x": {"factor": "x"}}],
    }
    data = gtdata.RenderedData(spec)
    return data.observations([[0]], 0)[0]


# %%
# Built-in shapes (``shape: NAME``), at scale 0.5 and the default orientation.
fig, axes = plt.subplots(1, len(BUILTIN_SHAPES), figsize=(len(BUILTIN_SHAPES) * 0.95, 1.4))
for ax, shape in zip(axes, BUILTIN_SHAPES):
    ax.imshow(one_object({"shape": shape, "scale": 0.5, "hue": 0.58}))
    ax.set_title(shape, fontsize=7)
    ax.set_axis_off()

# %%
# Textures (``texture: NAME`` with ``texture_period``, a fraction of the object size).
fig, axes = plt.subplots(1, len(TEXTURES), figsize=(len(TEXTURES) * 1.2, 1.5))
for ax, texture in zip(axes, TEXTURES):
    ax.imshow(one_object({"shape": "square", "scale": 0.6, "hue": 0.08, "texture": texture, "texture_period": 0.25}))
    ax.set_title(texture, fontsize=8)
    ax.set_axis_off()

# %%
# Backgrounds: a colour, a gradient and per-image noise (a nuisance drawn from the caller's rng). An
# ``{image: PATH}`` background cuts a random patch of an image file per observation the same way.
backgrounds = {
    "colour [0.1, 0.2, 0.3]": (0.1, 0.2, 0.3),
    "gradient, angle 45°": {"gradient": {"from": [0.9, 0.5, 0.2], "to": [0.1, 0.1, 0.4], "angle": 45}},
    "noise in [0, 0.5]": {"noise": {"low": 0.0, "high": 0.5}},
}
fig, axes = plt.subplots(1, len(backgrounds), figsize=(len(backgrounds) * 1.8, 2.0))
for ax, (title, background) in zip(axes, backgrounds.items()):
    ax.imshow(one_object({"shape": "heart", "scale": 0.45, "color": [1.0, 1.0, 1.0]}, background))
    ax.set_title(title, fontsize=8)
    ax.set_axis_off()

# %%
# Custom shapes declared under ``shapes:`` and used by name.
spec = {
    "name": "custom",
    "canvas": {"height": 64, "width": 64, "channels": 1},
    "background": 0.0,
    "shapes": {
        "seven_star": {"star": {"points": 7, "inner": 0.5}},
        "arrow": {
            "polygon": [[-0.5, -0.15], [0.1, -0.15], [0.1, -0.35], [0.5, 0.0], [0.1, 0.35], [0.1, 0.15], [-0.5, 0.15]]
        },
    },
    "factors": [
        {"name": "shape", "values": ["seven_star", "arrow"]},
        {"name": "rotation", "linspace": [0.0, 3.1416, 5], "unit": "rad"},
    ],
    "objects": [{"shape": {"factor": "shape"}, "scale": 0.6, "rotation": {"factor": "rotation"}}],
}
data = gtdata.RenderedData(spec)
codes = data.factor_space.index_to_codes(range(len(data)))
images = data.observations(codes, 0)
fig, axes = plt.subplots(2, 5, figsize=(6, 2.6))
for ax, image, code in zip(axes.ravel(), images, codes):
    ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"rotation {data.factor_space.factors[1].values[code[1]]:.2f} rad", fontsize=6)
    ax.set_axis_off()
plt.show()
