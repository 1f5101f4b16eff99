"""Registers the benchmark sets (and disentanglement_lib's names for them) with the gtdata registry, lets
``gtdata.load`` open a manifest file by path (the loader of ``kind: manifest``), and makes the user manifests
in ``$GTDATA_MANIFESTS`` registry entries (by name and alias), as the command line sees them."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from gtdata.core.errors import InvalidValueError
from gtdata.core.kinds import register_kind
from gtdata.datasets.cars3d import Cars3D
from gtdata.datasets.dsprites import ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites
from gtdata.datasets.manifest import KIND as MANIFEST_KIND
from gtdata.datasets.manifest import (
    Manifest,
    ManifestError,
    all_manifests,
    builtin_manifest_dir,
    load_manifest,
    read_manifest,
)
from gtdata.datasets.mpi3d import MPI3D
from gtdata.datasets.shapes3d import Shapes3D
from gtdata.datasets.smallnorb import SmallNORB
from gtdata.registry import DatasetInfo, get_info, is_path, register, register_discoverer

#: The class that opens a manifest of each format.
CLASSES = {"dsprites": DSprites, "smallnorb": SmallNORB, "cars3d": Cars3D, "shapes3d": Shapes3D, "mpi3d": MPI3D}

#: The manifests (name, edition) each registered set reads; the first one is the set's own.
NEEDS: dict[str, list[tuple[str, str | None]]] = {
    "dsprites": [("dsprites", None)],
    "color_dsprites": [("dsprites", None)],
    "noisy_dsprites": [("dsprites", None)],
    "scream_dsprites": [("dsprites", None), ("scream", None)],
    "smallnorb": [("smallnorb", None)],
    "cars3d": [("cars3d", None)],
    "shapes3d": [("shapes3d", None)],
    **{f"mpi3d_{v}": [(f"mpi3d_{v}", None)] for v in ("toy", "realistic", "real", "complex")},
    **{f"mpi3d_{v}_2019": [(f"mpi3d_{v}", "2019")] for v in ("toy", "realistic")},
}

register(
    "dsprites", DSprites, "benchmark", "dSprites: 737,280 2D shapes, 5 factors (64x64x1)", aliases=("dsprites_full",)
)
register("color_dsprites", ColorDSprites, "benchmark", "dSprites with a random colour per draw (64x64x3)")
register("noisy_dsprites", NoisyDSprites, "benchmark", "dSprites on uniform noise drawn per draw (64x64x3)")
register(
    "scream_dsprites",
    ScreamDSprites,
    "benchmark",
    "dSprites inverted on a random patch of The Scream per draw (64x64x3)",
)
register(
    "smallnorb", SmallNORB, "benchmark", "small NORB: 48,600 toy photos, 4 factors + instance as nuisance (64x64x1)"
)
register("cars3d", Cars3D, "benchmark", "Cars3D: 17,568 renderings, 183 cars x 24 azimuths x 4 elevations (64x64x3)")
register("shapes3d", Shapes3D, "benchmark", "3D Shapes: 480,000 images, 6 factors (64x64x3)", aliases=("3dshapes",))
for _variant in ("toy", "realistic", "real", "complex"):
    register(
        f"mpi3d_{_variant}",
        functools.partial(MPI3D, variant=_variant),
        "benchmark",
        f"MPI3D-{_variant}: robot-arm object, 7 factors (64x64x3)",
        aliases=("mpi3d",) if _variant == "real" else (),
    )
for _variant in ("toy", "realistic"):
    register(
        f"mpi3d_{_variant}_2019",
        functools.partial(MPI3D, variant=_variant, edition="2019"),
        "benchmark",
        f"MPI3D-{_variant}, 2019 file: 460,800 images, the 4x4 grid disentanglement_lib expects (64x64x3)",
    )


def manifests_for(name_or_path: str, edition: str | None = None) -> list[Manifest]:
    """The manifests behind a registered set, a manifest name or alias, or a manifest path.

    ``edition`` applies to the set's own manifest. Raises ValueError naming the closest known names.
    """
    if is_path(name_or_path):
        return [load_manifest(name_or_path, edition)]
    try:
        info = get_info(name_or_path)
    except ValueError:
        return [load_manifest(name_or_path, edition)]
    # A set of a user manifest (not in NEEDS) reads its own manifest only.
    needs = NEEDS.get(info.name, [(info.name, None)] if info.kind == "benchmark" else None)
    if needs is None:
        raise InvalidValueError(f"{name_or_path!r} is not a downloadable benchmark set (it is computed, not fetched)")
    return [load_manifest(m, edition if i == 0 and edition is not None else ed) for i, (m, ed) in enumerate(needs)]


def user_manifest_sets() -> list[DatasetInfo]:
    """Registry entries for the data sets of the user manifests in ``$GTDATA_MANIFESTS``.

    A manifest of a set format (not e.g. the Scream image) outside gtdata's own manifests becomes an entry
    of kind ``benchmark`` under its name and aliases; ``gtdata.load(name, **kwargs)`` opens it with the
    class of its format. A user manifest with a built-in set's name already changes that set's files
    (it shadows the built-in manifest), so the registry skips it.
    """
    if not os.environ.get("GTDATA_MANIFESTS"):
        return []
    builtin = builtin_manifest_dir().resolve()
    out = []
    for m in all_manifests().values():
        if m.format not in CLASSES or m.path.resolve().parent == builtin:
            continue
        out.append(
            DatasetInfo(
                m.name,
                "benchmark",
                f"{m.title} (user manifest {m.path})",
                functools.partial(_open_manifest_file, m.path),
                m.aliases,
            )
        )
    return out


def _open_manifest_file(path: Path, **kwargs: Any):
    return CLASSES[read_manifest(path).format](manifest=path, **kwargs)


def open_manifest(path: Path, content: Any = None, **kwargs: Any):
    """``gtdata.load("my/shapes3d.yaml")``: open the data set of a user manifest (``kind: manifest``).

    Parameters
    ----------
    path : Path
        The manifest file.
    content : Any
        Its parsed YAML (unused: the manifest is read and validated by :func:`read_manifest`).
    **kwargs
        Options of the data set's class (e.g. ``transform``).

    Returns
    -------
    GroundTruthData
        The set, opened with the class of the manifest's format.

    Raises
    ------
    ManifestError
        The manifest does not validate, or its format is not a data set by itself (e.g. an image).
    """
    fmt = read_manifest(path).format
    if fmt not in CLASSES:
        raise ManifestError(
            f"manifest {path}: field 'format': manifests of format {fmt!r} are not a data set by "
            f"themselves; data set formats: {', '.join(CLASSES)}"
        )
    return _open_manifest_file(path, **kwargs)


register_kind(MANIFEST_KIND, summary="a data set manifest", load=open_manifest)
register_discoverer(user_manifest_sets)
