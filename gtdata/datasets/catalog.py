"""Registers the benchmark sets (and disentanglement_lib's names for them) with the gtdata registry, and
lets ``gtdata.load`` open a manifest file by path."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from gtdata.datasets.cars3d import Cars3D
from gtdata.datasets.dsprites import ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites
from gtdata.datasets.manifest import Manifest, load_manifest, read_manifest
from gtdata.datasets.mpi3d import MPI3D
from gtdata.datasets.shapes3d import Shapes3D
from gtdata.datasets.smallnorb import SmallNORB
from gtdata.registry import get_info, is_path, register, register_path_opener

#: The class that opens a manifest of each format.
CLASSES = {"dsprites": DSprites, "smallnorb": SmallNORB, "cars3d": Cars3D, "shapes3d": Shapes3D, "mpi3d": MPI3D}

#: The manifests (name, edition) each registered set reads; the first one is the set's own.
NEEDS: dict[str, list[tuple[str, str | None]]] = {
    "dsprites": [("dsprites", None)], "color_dsprites": [("dsprites", None)],
    "noisy_dsprites": [("dsprites", None)], "scream_dsprites": [("dsprites", None), ("scream", None)],
    "smallnorb": [("smallnorb", None)], "cars3d": [("cars3d", None)], "shapes3d": [("shapes3d", None)],
    **{f"mpi3d_{v}": [(f"mpi3d_{v}", None)] for v in ("toy", "realistic", "real", "complex")},
    **{f"mpi3d_{v}_2019": [(f"mpi3d_{v}", "2019")] for v in ("toy", "realistic")},
}

register("dsprites", DSprites, "benchmark", "dSprites: 737,280 2D shapes, 5 factors (64x64x1)",
         aliases=("dsprites_full",))
register("color_dsprites", ColorDSprites, "benchmark", "dSprites with a random colour per draw (64x64x3)")
register("noisy_dsprites", NoisyDSprites, "benchmark", "dSprites on uniform noise drawn per draw (64x64x3)")
register("scream_dsprites", ScreamDSprites, "benchmark",
         "dSprites inverted on a random patch of The Scream per draw (64x64x3)")
register("smallnorb", SmallNORB, "benchmark",
         "small NORB: 48,600 toy photos, 4 factors + instance as nuisance (64x64x1)")
register("cars3d", Cars3D, "benchmark", "Cars3D: 17,568 renderings, 183 cars x 24 azimuths x 4 elevations (64x64x3)")
register("shapes3d", Shapes3D, "benchmark", "3D Shapes: 480,000 images, 6 factors (64x64x3)", aliases=("3dshapes",))
for _variant in ("toy", "realistic", "real", "complex"):
    register(f"mpi3d_{_variant}", functools.partial(MPI3D, variant=_variant), "benchmark",
             f"MPI3D-{_variant}: robot-arm object, 7 factors (64x64x3)",
             aliases=("mpi3d",) if _variant == "real" else ())
for _variant in ("toy", "realistic"):
    register(f"mpi3d_{_variant}_2019", functools.partial(MPI3D, variant=_variant, edition="2019"), "benchmark",
             f"MPI3D-{_variant}, 2019 file: 460,800 images, the 4x4 grid disentanglement_lib expects (64x64x3)")


def manifests_for(name_or_path: str, edition: str | None = None) -> list[Manifest]:
    """The manifests behind a registered set, a manifest name or alias, or a manifest path.

    ``edition`` applies to the set's own manifest. Raises ValueError naming the closest known names.
    """
    if is_path(name_or_path):
        return [load_manifest(name_or_path, edition)]
    try:
        key = get_info(name_or_path).name
    except ValueError:
        return [load_manifest(name_or_path, edition)]
    if key not in NEEDS:
        raise ValueError(f"{name_or_path!r} is not a downloadable benchmark set (it is computed, not fetched)")
    return [load_manifest(m, edition if i == 0 and edition is not None else ed)
            for i, (m, ed) in enumerate(NEEDS[key])]


def open_manifest(path: Path, **kwargs: Any):
    """``gtdata.load("my/shapes3d.yaml")``: open a data set from a user manifest; None for other YAML files."""
    if path.suffix not in (".yaml", ".yml"):
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(data, dict) or "files" not in data or "schema" not in data:
        return None
    fmt = read_manifest(path).format
    if fmt not in CLASSES:
        raise ValueError(f"{path}: manifests of format {fmt!r} are not a data set by themselves")
    return CLASSES[fmt](manifest=path, **kwargs)


register_path_opener(open_manifest)
