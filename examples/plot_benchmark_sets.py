"""
The benchmark sets (when downloaded)
====================================

The eight benchmark sets are downloaded, checked and prepared once (``gtdata download NAME``, or the first
``gtdata.load(NAME)``). When the site is built, this example shows samples of every set that is already in
the cache and says plainly which ones are not — it never downloads and never shows substitute pictures.
"""

import matplotlib.pyplot as plt

import gtdata
from gtdata.datasets.manifest import UnknownDatasetError, resolve_name
from gtdata.store.cache import prepared_dir


def prepared_key(name: str) -> str:
    """The prepared set a registered name reads (the dSprites variants read dSprites' images)."""
    try:
        manifest, edition = resolve_name(name)
    except UnknownDatasetError:
        return "dsprites"
    return manifest.with_edition(edition).key


# %%
# Which sets are prepared in this machine's cache (``$GTDATA_HOME``)? Preparing takes minutes per set, so
# the example only opens sets that are already prepared.
ready, missing = [], []
for info in gtdata.list_datasets("benchmark"):
    if not (prepared_dir(prepared_key(info.name)) / "images.npy").exists():
        missing.append(info.name)
        continue
    try:
        ready.append((info.name, gtdata.load(info.name, download=False)))
    except (FileNotFoundError, OSError) as exc:  # e.g. Scream-dSprites without its painting
        print(f"{info.name}: {exc}")
        missing.append(info.name)

print(f"cache: {gtdata.cache_root()}")
for name in missing:
    print(f"{name:22s} not in the cache: download first with `gtdata download {name} && gtdata prepare {name}`")

# %%
# Samples of every prepared set (none when the site was built without downloads).
for name, data in ready:
    codes, images = data.sample(10, 0)
    fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
    for ax, image in zip(axes, images):
        ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
    fig.suptitle(f"{name}: random samples", fontsize=9)
if not ready:
    print(
        "No benchmark set was in the cache when this page was built, so there are no pictures here. "
        "Run `gtdata download NAME && gtdata preview NAME` to see one."
    )
plt.show()
