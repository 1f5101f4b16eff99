"""A config's ``data`` mapping is a render spec when the dispatcher says so (``kind: scene2d | scene3d``, or a
2-D spec written without ``kind:``); any other mapping names a data set and its options."""

import pytest
import yaml

from gtdata.core.kinds import KindError
from gtdata.render import RenderedData
from gtdata.render.builtin import builtin_spec_path
from gtdata.training.data import resolve_data

SPRITES = {
    "canvas": {"height": 16, "width": 16, "channels": 1},
    "factors": [{"name": "size", "linspace": [0.4, 0.8, 3]}],
    "objects": [{"shape": "circle", "scale": {"factor": "size"}}],
}


def test_render_spec_mappings_with_and_without_kind():
    for spec in (SPRITES, {"kind": "scene2d", **SPRITES}):
        data = resolve_data(spec)
        assert isinstance(data, RenderedData) and data.factor_space.sizes.tolist() == [3]
    scene = yaml.safe_load(builtin_spec_path("light3d").read_text())
    assert resolve_data(scene).spec.kind == "scene3d"


def test_other_mappings_name_a_data_set():
    data = resolve_data({"name": "toy", "factor_sizes": (2, 3), "image_size": 8})
    assert data.factor_space.sizes.tolist() == [2, 3]
    with pytest.raises(KindError, match=r"data: unknown kind 'recipe'; known kinds"):
        resolve_data({"kind": "recipe", "name": "toy"})
