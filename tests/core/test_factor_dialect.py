"""The one factor dialect: every accepted form gives the same Factor wherever it is written, every malformed
form an error naming its exact place, in the core and in the manifest, render spec, SCM and prepared-set
errors that wrap it."""

import re

import numpy as np
import pytest
import yaml

from gtdata.causal import SCMError, load_scm
from gtdata.core.errors import GtdataError
from gtdata.core.factors import Factor, FactorSpace, FactorSpecError, parse_factors
from gtdata.datasets.manifest import ManifestError, read_manifest
from gtdata.render.spec import FactorDecl, RenderSpec, SpecError


def same(a: Factor, b: Factor) -> bool:
    """Equal in name, unit, range and values *and* dtype (Factor.__eq__ compares the dtype kind only)."""
    return a == b and a.values.dtype == b.values.dtype and a.is_continuous == b.is_continuous


@pytest.mark.parametrize(
    "entry, expected",
    [
        ({"name": "scale", "values": [0.5, 0.75, 1.0]}, Factor("scale", np.array([0.5, 0.75, 1.0]))),
        ({"name": "scale", "linspace": [0.5, 1.0, 3]}, Factor("scale", np.array([0.5, 0.75, 1.0]))),
        (
            {"name": "scale", "linspace": {"start": 0.5, "stop": 1.0, "num": 3}},
            Factor("scale", np.array([0.5, 0.75, 1.0])),
        ),
        ({"name": "shape", "values": [0, 1, 2]}, Factor("shape", np.arange(3))),
        ({"name": "shape", "range": 3}, Factor("shape", np.arange(3))),
        ({"name": "shape", "values": ["square", "heart"], "unit": None}, Factor("shape", ["square", "heart"])),
        ({"name": "x", "continuous": [0.0, 2.0], "num": 5, "unit": "m"}, Factor.continuous("x", 0.0, 2.0, 5, "m")),
        ({"name": "x", "low": 0, "high": 2, "num": 5, "unit": "m"}, Factor.continuous("x", 0.0, 2.0, 5, "m")),
        ({"name": "x", "continuous": [0, 1]}, Factor.continuous("x", 0.0, 1.0, 16)),
    ],
)
def test_every_form_gives_the_same_factor(entry, expected):
    got = Factor.from_spec(entry, place="factors[0]")
    assert same(got, expected), (got, expected)
    # the same entry through the list parser, FactorSpace.from_dict and back through to_dict
    assert same(parse_factors([entry])[0], expected)
    space = FactorSpace.from_dict([entry])
    assert same(space[0], expected)
    assert same(FactorSpace.from_dict(space.to_dict())[0], expected)


def test_linspace_values_are_numpys_and_integers_stay_integers():
    f = Factor.from_spec({"name": "orientation", "linspace": {"start": 0.0, "stop": 6.283185307179586, "num": 40}})
    np.testing.assert_array_equal(f.values, np.linspace(0.0, 6.283185307179586, 40))
    assert Factor.from_spec({"name": "a", "values": [1, 2]}).values.dtype == np.int64
    assert Factor.from_spec({"name": "a", "values": [1, 2.5]}).values.dtype == np.float64


@pytest.mark.parametrize(
    "entry, place, message",
    [
        ("scale", "factors[2]", "must be a mapping with name and one of values, linspace"),
        (
            {"name": "scale"},
            "factors[2]",
            ("needs exactly one of values, linspace, continuous, range, low/high/num \\(got none\\)"),
        ),
        (
            {"name": "s", "values": [1], "range": 2},
            "factors[2]",
            "needs exactly one of .* \\(got \\['values', 'range'\\]\\)",
        ),
        ({"name": "2d", "range": 2}, "factors[2].name", "must be a Python identifier such as 'posX' \\(got '2d'\\)"),
        ({"name": "lambda", "range": 2}, "factors[2].name", "must be a Python identifier"),
        ({"range": 2}, "factors[2].name", "must be a Python identifier .*got None"),
        ({"name": "s", "values": []}, "factors[2].values", "must be a non-empty list of numbers or of names"),
        ({"name": "s", "values": "oops"}, "factors[2].values", "must be a non-empty list"),
        ({"name": "s", "values": [1, "a"]}, "factors[2].values", "must be all numbers or all names, finite"),
        ({"name": "s", "values": [1, float("nan")]}, "factors[2].values", "must be all numbers or all names, finite"),
        ({"name": "s", "values": [True, False]}, "factors[2].values", "must be all numbers or all names"),
        ({"name": "s", "values": [1, 2, 1.0]}, "factors[2].values", "value 1.0 appears twice; values must be distinct"),
        (
            {"name": "s", "linspace": [0.5, 1.0]},
            "factors[2].linspace",
            ("must be \\[start, stop, num\\] or \\{start, stop, num\\}"),
        ),
        ({"name": "s", "linspace": {"start": 0, "stop": 1}}, "factors[2].linspace", "must be \\[start, stop, num\\]"),
        ({"name": "s", "linspace": [0, 1, 0]}, "factors[2].linspace", "must be .*num an integer >= 1"),
        ({"name": "s", "linspace": [1, 1, 3]}, "factors[2].linspace", "start equals stop, so the values repeat"),
        ({"name": "s", "range": 0}, "factors[2].range", "must be a positive integer N"),
        ({"name": "s", "range": True}, "factors[2].range", "must be a positive integer N"),
        (
            {"name": "s", "continuous": [1, 0]},
            "factors[2].continuous",
            ("must be \\[low, high\\] with low < high \\(got \\[1, 0\\]\\)"),
        ),
        ({"name": "s", "continuous": [0, 1], "num": 1}, "factors[2].num", "grid resolution must be an integer >= 2"),
        ({"name": "s", "values": [1, 2], "num": 4}, "factors[2].num", "is only allowed with continuous or low/high"),
        ({"name": "s", "low": 0, "high": 1}, "factors[2].num", "is missing: a continuous factor written as low/high"),
        ({"name": "s", "low": 1, "high": 0, "num": 3}, "factors[2]", "low must be below high"),
        ({"name": "s", "low": "a", "high": 1, "num": 3}, "factors[2].low", "must be a finite number"),
        ({"name": "s", "range": 2, "unit": 3}, "factors[2].unit", "must be a string \\(got 3\\)"),
        (
            {"name": "s", "range": 2, "colour": "red"},
            "factors[2].colour",
            "unknown key 'colour'; allowed: name, values",
        ),
    ],
)
def test_malformed_forms_name_the_place(entry, place, message):
    with pytest.raises(FactorSpecError, match="^" + re.escape(place) + ": " + message) as err:
        Factor.from_spec(entry, place="factors[2]")
    assert err.value.place == place
    assert isinstance(err.value, GtdataError) and isinstance(err.value, ValueError)


def test_list_errors_name_the_entry():
    with pytest.raises(FactorSpecError, match=r"^factors\[1\]\.name: factor 'a' is declared twice"):
        parse_factors([{"name": "a", "range": 2}, {"name": "a", "range": 3}])
    with pytest.raises(FactorSpecError, match=r"^editions\.2019\.factors\[1\]\.range: must be a positive"):
        parse_factors([{"name": "a", "range": 2}, {"name": "b", "range": -1}], place="editions.2019.factors")
    with pytest.raises(FactorSpecError, match=r"^factors: must be a non-empty list of factors"):
        parse_factors([])
    assert parse_factors([], allow_empty=True) == []
    with pytest.raises(FactorSpecError, match=r"^factors\[0\]\.raw: unknown key 'raw'"):
        parse_factors([{"name": "a", "range": 2, "raw": [5, 6]}])
    assert parse_factors([{"name": "a", "range": 2, "raw": [5, 6]}], extra_keys=("raw",))[0].size == 2


def test_manifests_render_specs_and_scms_read_the_same_factor(tmp_path):
    """One entry in each file kind gives one Factor (render specs make numbers floats: properties are real)."""
    entry = {"name": "scale", "linspace": [0.5, 1.0, 6], "unit": "frac"}
    expected = Factor("scale", np.linspace(0.5, 1.0, 6), "frac")
    manifest = {
        "schema": 1,
        "name": "x",
        "title": "X",
        "format": "mpi3d",
        "license": "l",
        "citation": "c",
        "observation_shape": [64, 64, 3],
        "factors": [entry],
        "files": [{"name": "x.npz", "sources": [{"url": "https://example.org/x.npz"}]}],
    }
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(manifest))
    (m_factor,) = read_manifest(tmp_path / "x.yaml").factors
    assert same(Factor(m_factor.name, list(m_factor.values), m_factor.unit), expected)
    spec = RenderSpec.from_dict({"factors": [entry], "objects": [{"shape": "circle", "scale": {"factor": "scale"}}]})
    assert same(spec.factors[0], expected) and same(spec.factor_space()[0], expected)
    assert isinstance(spec.factors[0], FactorDecl) and FactorDecl is Factor
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"kind": "scm", "factors": [entry], "nodes": {}}))
    assert same(load_scm(tmp_path / "s.yaml").factor_space[0], expected)


def test_render_specs_keep_numbers_as_floats_and_continuous_ranges():
    spec = RenderSpec.from_dict(
        {
            "factors": [{"name": "a", "values": [1, 2]}, {"name": "x", "continuous": [0.2, 0.8], "num": 4}],
            "objects": [{"shape": "circle", "scale": {"factor": "a", "scale": 0.2}, "x": {"factor": "x"}}],
        }
    )
    a, x = spec.factors
    assert a.values.dtype == np.float64 and a.values.tolist() == [1.0, 2.0] and not a.is_continuous
    assert x.is_continuous and (x.low, x.high) == (0.2, 0.8) and x.size == 4


def test_wrapping_errors_keep_their_class_and_place(tmp_path):
    bad = {"name": "scale", "linspace": [0.5, 1.0]}
    with pytest.raises(SpecError, match=r"^factors\[1\]\.linspace: must be \[start, stop, num\]") as err:
        RenderSpec.from_dict(
            {"factors": [{"name": "a", "range": 2}, bad], "objects": [{"shape": "circle", "scale": {"factor": "a"}}]}
        )
    assert err.value.place == "factors[1].linspace"
    manifest = {
        "schema": 1,
        "name": "x",
        "title": "X",
        "format": "mpi3d",
        "license": "l",
        "citation": "c",
        "observation_shape": [64, 64, 3],
        "factors": [{"name": "a", "range": 2}, bad],
        "files": [{"name": "x.npz", "sources": [{"url": "https://example.org/x.npz"}]}],
    }
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(manifest))
    with pytest.raises(ManifestError, match=r"manifest .*x\.yaml: field 'factors\[1\]\.linspace': must be \[start"):
        read_manifest(tmp_path / "x.yaml")
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"kind": "scm", "factors": [bad], "nodes": {}}))
    with pytest.raises(SCMError, match=r"s\.yaml: factors\[0\]\.linspace: must be \[start, stop, num\]"):
        load_scm(tmp_path / "s.yaml")


def test_error_pickles_with_its_place():
    import pickle

    err = pickle.loads(pickle.dumps(FactorSpecError("factors[0].values", "must be a list")))
    assert err.place == "factors[0].values" and str(err) == "factors[0].values: must be a list"
