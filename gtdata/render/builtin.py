"""Built-in render specs, registered next to the benchmark sets (``gtdata.load("dsprites_like")``).

Also registers the loader of render spec files (``kind: scene2d`` and ``kind: scene3d``), so
``gtdata.load("my_scene.yaml")`` opens any render spec file as a RenderedData.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import yaml

from gtdata.core.errors import InvalidValueError
from gtdata.core.kinds import register_kind
from gtdata.registry import register
from gtdata.render.scene3d.spec import KIND as SCENE3D
from gtdata.render.spec import KIND as SCENE2D

__all__ = ["BUILTIN_SPECS", "builtin_spec_path"]

_SPEC_DIR = Path(__file__).resolve().parent / "specs"
BUILTIN_SPECS = ("dsprites_like", "multi_sprites", "textured_sprites", "shapes3d_like", "objects3d", "light3d")


def builtin_spec_path(name: str) -> Path:
    """Path of the YAML file of a built-in spec (one of ``BUILTIN_SPECS``)."""
    if name not in BUILTIN_SPECS:
        raise InvalidValueError(f"unknown built-in spec {name!r}; built-in specs: {', '.join(BUILTIN_SPECS)}")
    return _SPEC_DIR / f"{name}.yaml"


def _open_builtin(name: str, **kwargs: Any):
    from gtdata.render.data import RenderedData

    return RenderedData(builtin_spec_path(name), **kwargs)


def _open_spec_file(path: Path, content: Any = None, **kwargs: Any):
    """A RenderedData for a render spec file (``kind: scene2d`` or ``scene3d``)."""
    from gtdata.render.data import RenderedData

    return RenderedData(path, **kwargs)


for _name in BUILTIN_SPECS:
    _raw = yaml.safe_load(builtin_spec_path(_name).read_text(encoding="utf-8"))
    register(
        _name,
        partial(_open_builtin, _name),
        kind="rendered",
        description=f"{_raw.get('description', '')} (rendered on demand, no download)",
    )
register_kind(SCENE2D, summary="a 2-D sprite render spec", load=_open_spec_file)
register_kind(SCENE3D, summary="a 3-D scene render spec", load=_open_spec_file)
