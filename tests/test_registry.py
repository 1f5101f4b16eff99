import pytest

import gtdata
from gtdata import registry


def test_unknown_name_suggests_closest():
    with pytest.raises(ValueError, match=r"unknown data set 'tyo'; did you mean 'toy'"):
        gtdata.load("tyo")


def test_register_alias_and_list():
    registry.register(
        "toy_small_for_test",
        lambda **kw: gtdata.ToyData((2, 2), **kw),
        kind="toy",
        description="test entry",
        aliases=("toy_small_alias",),
    )
    data = gtdata.load("toy_small_alias", image_size=8)
    assert data.factors_num_values == [2, 2]
    names = [i.name for i in gtdata.list_datasets(kind="toy")]
    assert "toy_small_for_test" in names and "toy" in names
    with pytest.raises(ValueError, match="already registered"):
        registry.register("other", lambda: None, kind="toy", description="", aliases=("toy_small_alias",))
    with pytest.raises(ValueError, match="kind must be one of"):
        registry.register("x", lambda: None, kind="weird", description="")


@pytest.mark.parametrize(
    "arg, expected", [("dsprites", False), ("dir/set", True), ("spec.yaml", True), ("file.h5", True)]
)
def test_path_or_name_rule(arg, expected):
    assert registry.is_path(arg) is expected


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no data set at"):
        gtdata.load(tmp_path / "nothing")
