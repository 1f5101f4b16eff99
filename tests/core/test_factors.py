import numpy as np
import pytest

from gtdata import Code, Factor, FactorSpace


@pytest.fixture
def dsprites_space():
    return FactorSpace(
        [
            Factor("shape", ["square", "ellipse", "heart"]),
            Factor("scale", np.linspace(0.5, 1.0, 6)),
            Factor("orientation", np.linspace(0, 2 * np.pi, 40), unit="radians"),
            Factor("posX", np.linspace(0, 1, 32)),
            Factor("posY", np.linspace(0, 1, 32)),
        ]
    )


def test_index_codes_round_trip_last_factor_fastest(dsprites_space):
    s = dsprites_space
    assert s.size == 737280
    assert s.strides.tolist() == [245760, 40960, 1024, 32, 1]
    assert s.index_to_codes(np.array([1])).tolist() == [[0, 0, 0, 0, 1]]
    assert s.index_to_codes(np.array([32])).tolist() == [[0, 0, 0, 1, 0]]
    idx = np.random.default_rng(0).integers(0, s.size, 1000)
    assert np.array_equal(s.codes_to_index(s.index_to_codes(idx)), idx)


def test_codes_to_values_gives_actual_values(dsprites_space):
    values = dsprites_space.codes_to_values([[2, 5, 39, 0, 31]])
    assert values["shape"].tolist() == ["heart"]
    assert values["scale"][0] == pytest.approx(1.0)
    assert values["orientation"][0] == pytest.approx(2 * np.pi)
    assert values["posY"][0] == pytest.approx(1.0)
    codes = dsprites_space.values_to_codes(
        {"shape": ["heart"], "scale": [1.0], "orientation": [0.0], "posX": [0.0], "posY": [1.0]}
    )
    assert codes.tolist() == [[2, 5, 0, 0, 31]]


def test_out_of_range_code_names_factor_and_allowed_values(dsprites_space):
    with pytest.raises(ValueError, match=r"factor 'scale' has 6 values \(codes 0..5\), got 6"):
        dsprites_space.validate_codes([[0, 6, 0, 0, 0]])
    with pytest.raises(ValueError, match=r"shape \(N, 5\)"):
        dsprites_space.validate_codes(np.zeros((3, 4), dtype=int))
    with pytest.raises(ValueError, match="integer value indices"):
        dsprites_space.validate_codes(np.full((1, 5), 0.5))
    with pytest.raises(IndexError, match=r"0..737279, got 737280"):
        dsprites_space.index_to_codes(np.array([737280]))


def test_unknown_factor_suggests_closest(dsprites_space):
    with pytest.raises(ValueError, match=r"unknown factor 'posx' \(did you mean 'posX'\?\)"):
        dsprites_space.index("posx")


def test_sample_codes_uniform_and_fixed(dsprites_space):
    codes = dsprites_space.sample_codes(20000, 0)
    assert codes.shape == (20000, 5) and codes.dtype == np.int64
    counts = np.bincount(codes[:, 0], minlength=3) / 20000
    assert np.allclose(counts, 1 / 3, atol=0.02)
    fixed = dsprites_space.sample_codes(100, 1, fixed={"shape": "heart", "scale": Code(0)})
    assert (fixed[:, 0] == 2).all() and (fixed[:, 1] == 0).all()
    with pytest.raises(ValueError, match="factor 'shape' has no value 'circle'"):
        dsprites_space.sample_codes(3, 0, fixed={"shape": "circle"})
    with pytest.raises(ValueError, match="n must be a positive integer, got 0"):
        dsprites_space.sample_codes(0, 0)


def test_sample_codes_follows_randomstate_order(dsprites_space):
    rs = np.random.RandomState(7)
    expected = np.stack([rs.randint(n, size=4) for n in [3, 6, 40, 32, 32]], axis=1)
    assert np.array_equal(dsprites_space.sample_codes(4, np.random.RandomState(7)), expected)


def test_traversal_varies_one_factor(dsprites_space):
    t = dsprites_space.traversal([1, 2, 3, 4, 5], "scale")
    assert t.shape == (6, 5)
    assert t[:, 1].tolist() == list(range(6))
    assert (t[:, [0, 2, 3, 4]] == [1, 3, 4, 5]).all()


def test_continuous_factor_and_dict_round_trip():
    f = Factor.continuous("angle", 0.0, 90.0, 10, unit="degrees")
    assert f.is_continuous and f.size == 10 and f.values[-1] == 90.0
    space = FactorSpace([f, Factor("colour", ["red", "blue"])])
    assert FactorSpace.from_dict(space.to_dict()) == space
    with pytest.raises(ValueError, match="low < high"):
        Factor.continuous("bad", 1.0, 1.0, 5)


def test_factor_validation_messages():
    with pytest.raises(ValueError, match="category names must be unique"):
        Factor("shape", ["a", "a"])
    with pytest.raises(ValueError, match="non-empty"):
        Factor("empty", [])
    with pytest.raises(ValueError, match="factor names must be unique"):
        FactorSpace([Factor("a", [1, 2]), Factor("a", [1])])
