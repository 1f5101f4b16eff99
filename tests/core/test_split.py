import numpy as np
import pytest

from gtdata import Factor, FactorSpace, SplitError, ToyData
from gtdata.core.split import split_mask


@pytest.fixture
def space():
    return FactorSpace(
        [
            Factor("shape", ["square", "ellipse", "heart"]),
            Factor("scale", np.linspace(0.5, 1.0, 6)),
            Factor("posX", np.linspace(0, 1, 5)),
        ]
    )


def test_mask_matches_predicate_on_values(space):
    mask = split_mask('shape == "heart" and posX > 0.5', space)
    codes = space.index_to_codes(np.arange(space.size))
    expected = (codes[:, 0] == 2) & (np.linspace(0, 1, 5)[codes[:, 2]] > 0.5)
    assert np.array_equal(mask, expected)
    assert mask.sum() == 6 * 2


def test_chained_in_not_or_and_pi(space):
    mask = split_mask('0.6 <= scale < 0.9 or not shape in ["square", "ellipse"]', space)
    codes = space.index_to_codes(np.arange(space.size))
    scale = np.linspace(0.5, 1.0, 6)[codes[:, 1]]
    assert np.array_equal(mask, ((scale >= 0.6) & (scale < 0.9)) | (codes[:, 0] == 2))
    assert split_mask("posX < pi", space).all()
    assert not split_mask('shape not in ["square", "ellipse", "heart"]', space).any()


@pytest.mark.parametrize(
    "expr, message",
    [
        ("shape == 'circle'", "factor 'shape' has no value 'circle'"),
        ("size > 1", "unknown factor 'size'"),
        ("shape > 'heart'", "categorical; use == or != or in"),
        ("scale == 'big'", "numeric, compared with the string 'big'"),
        ("__import__('os').system('true')", "Call is not allowed"),
        ("scale >", "is not valid"),
        ("", "non-empty string"),
    ],
)
def test_bad_expressions_are_refused_with_reason(space, expr, message):
    with pytest.raises(SplitError, match=message):
        split_mask(expr, space)


def test_split_view_keeps_sampling_pairs_and_traversals_inside():
    data = ToyData((3, 4, 5))
    part = data.split("factor0 < 0.9 and factor2 >= 0.5")
    values = part.factor_space.factors
    assert len(part) == 2 * 4 * 3
    codes = part.sample_codes(2000, 0)
    assert (values[0].values[codes[:, 0]] < 0.9).all() and (values[2].values[codes[:, 2]] >= 0.5).all()
    pairs = part.sample_pairs(500, k=1, rng=1)
    for c in (pairs.codes1, pairs.codes2):
        assert (values[0].values[c[:, 0]] < 0.9).all() and (values[2].values[c[:, 2]] >= 0.5).all()
    assert (pairs.changed.sum(1) == 1).all()
    trav_codes, images = part.traverse([0, 0, 4], "factor2")
    assert trav_codes[:, 2].tolist() == [2, 3, 4] and images.shape[0] == 3
    rest = part.complement()
    assert len(rest) + len(part) == len(data)
    assert not np.isin(rest.grid_points, part.grid_points).any()


def test_empty_split_is_an_error():
    with pytest.raises(ValueError, match="selects no grid point"):
        ToyData((3, 4)).split("factor0 > 2")
