import doctest
import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import gtdata
from gtdata import FactorSpace, OODSplit, load_ood_split, ood_split
from gtdata.splits import KINDS, OODSplitError
from gtdata.splits import ood as ood_module

# Factor names from gtdata/manifests/{dsprites,shapes3d,mpi3d_real}.yaml, sizes from Schott et al. (crl.md §2).
DSPRITES = ([3, 6, 40, 32, 32], ["shape", "scale", "orientation", "posX", "posY"])
SHAPES3D = ([10, 10, 10, 8, 4, 15], ["floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"])
MPI3D = (
    [6, 6, 2, 3, 3, 40, 40],
    [
        "object_color",
        "object_shape",
        "object_size",
        "camera_height",
        "background_color",
        "horizontal_axis",
        "vertical_axis",
    ],
)

# The table of /work/shared/reference/crl.md §2, typed in from there.
XY_DS_IN = (2, 7, 11, 15, 20, 24, 29)
TABLE = {
    ("dsprites", "extrapolation"): (
        {
            "scale": (4, 5),
            "orientation": tuple(range(32, 40)),
            "posX": tuple(range(25, 32)),
            "posY": tuple(range(25, 32)),
        },
        240_000,
        497_280,
    ),
    ("dsprites", "interpolation"): (
        {"scale": (1, 4), "orientation": (2, 7, 12, 17, 22, 27, 32, 37), "posX": XY_DS_IN, "posY": XY_DS_IN},
        240_000,
        497_280,
    ),
    ("dsprites", "composition"): (
        {"scale": (), "orientation": (0, 1, 2, 3), "posX": (0, 1, 2), "posY": (0, 1, 2)},
        192_312,
        544_968,
    ),
    ("shapes3d", "extrapolation"): (
        {"floor_hue": (8, 9), "wall_hue": (8, 9), "object_hue": (8, 9), "scale": (6, 7), "orientation": (12, 13, 14)},
        147_456,
        332_544,
    ),
    ("shapes3d", "interpolation"): (
        {"floor_hue": (2, 7), "wall_hue": (2, 7), "object_hue": (2, 7), "scale": (2, 5), "orientation": (2, 7, 12)},
        147_456,
        332_544,
    ),
    ("shapes3d", "composition"): (
        {"floor_hue": (0,), "wall_hue": (0,), "object_hue": (0,), "scale": (), "orientation": (0,)},
        153_408,
        326_592,
    ),
    ("mpi3d_real", "extrapolation"): (
        {
            "object_color": (5,),
            "camera_height": (2,),
            "background_color": (2,),
            "horizontal_axis": (36, 37, 38, 39),
            "vertical_axis": (36, 37, 38, 39),
        },
        311_040,
        725_760,
    ),
    ("mpi3d_real", "interpolation"): (
        {
            "object_color": (3,),
            "camera_height": (1,),
            "background_color": (1,),
            "horizontal_axis": (5, 15, 24, 34),
            "vertical_axis": (5, 15, 24, 34),
        },
        311_040,
        725_760,
    ),
    ("mpi3d_real", "composition"): (
        {
            "object_color": (),
            "camera_height": (),
            "background_color": (),
            "horizontal_axis": tuple(range(6)),
            "vertical_axis": tuple(range(6)),
        },
        287_712,
        749_088,
    ),
}
GRIDS = {"dsprites": DSPRITES, "shapes3d": SHAPES3D, "mpi3d_real": MPI3D}
SCHOTT = {
    "dsprites": (0.2, ["shape"]),
    "shapes3d": (0.15, ["shape"]),
    "mpi3d_real": (0.1, ["object_shape", "object_size"]),
}


def bare(name):
    sizes, names = GRIDS[name]
    return FactorSpace.from_sizes(sizes, names)


def all_codes(space):
    return space.index_to_codes(np.arange(space.size))


def rule_mask(space, kind, values):
    """The rule of crl.md §2 evaluated point by point on the full (size, F) codes."""
    codes = all_codes(space)
    hits = [np.isin(codes[:, space.index(f)], list(v)) for f, v in values.items()]
    if kind == "composition":  # values are the low codes: train iff any split factor is low
        return ~np.any(hits, axis=0)
    return np.any(hits, axis=0)


@pytest.mark.parametrize("name, kind", sorted(TABLE))
def test_reproduces_the_published_table(name, kind):
    values, num_train, num_test = TABLE[name, kind]
    split = ood_split(bare(name), kind, dataset=name)
    ratio, keep = SCHOTT[name]
    assert split.parameters["ratio"] == ratio and split.parameters["keep"] == keep
    assert (split.num_train, split.num_test) == (num_train, num_test)
    shown = split.low_values if kind == "composition" else split.test_values
    assert shown == values
    # the mask follows the rule point by point, not only in its counts
    assert np.array_equal(split.test.mask(split_space := bare(name)), rule_mask(split_space, kind, values))
    # a bare grid with the same ratio and keep given explicitly is the same split
    explicit = ood_split(bare(name), kind, ratio=ratio, keep=keep)
    assert np.array_equal(explicit.test_index, split.test_index)


@pytest.mark.parametrize("name", sorted(GRIDS))
def test_random_holds_out_as_many_as_extrapolation_and_is_seeded(name):
    space = bare(name)
    extrapolation = ood_split(space, "extrapolation", dataset=name)
    split = ood_split(space, "random", dataset=name)
    assert split.num_test == extrapolation.num_test and split.test_values == {} and split.low_values is None
    assert np.array_equal(ood_split(space, "random", dataset=name, rng=0).test_index, split.test_index)
    other = ood_split(space, "random", dataset=name, rng=1)
    assert other.num_test == split.num_test and not np.array_equal(other.test_index, split.test_index)
    # the supplementary code's procedure: first k entries set, shuffled in place by RandomState(0)
    reference = np.zeros(space.size, dtype=bool)
    reference[: split.num_test] = True
    np.random.RandomState(0).shuffle(reference)
    legacy = ood_split(space, "random", dataset=name, rng=np.random.RandomState(0))
    assert np.array_equal(legacy.test.mask(space), reference)


def test_random_test_fraction_and_spread():
    space = bare("dsprites")
    split = ood_split(space, "random", test_fraction=0.3, dataset="dsprites")
    assert split.num_test == 221_184  # ⌊0.3 · 737,280⌋
    assert split.parameters["test_fraction"] == 0.3 and split.parameters["rng"] == 0
    assert split.test.description == "random(dsprites, test_fraction=0.3, rng=0).test"
    # a uniform draw: every posX value holds 0.3 of its 23,040 points in test, give or take 6 sd (≈ 417)
    codes = all_codes(space)[split.test.mask(space)]
    per_value = np.bincount(codes[:, 3], minlength=32)
    assert np.all(np.abs(per_value - 0.3 * 23_040) < 6 * np.sqrt(23_040 * 0.3 * 0.7))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(GRIDS))
def test_train_and_test_partition_the_grid_and_kept_factors_stay_whole(name, kind):
    space = bare(name)
    split = ood_split(space, kind, dataset=name)
    train, test = split.train.mask(space), split.test.mask(space)
    assert not np.any(train & test) and np.all(train | test)
    assert (train.sum(), test.sum()) == (split.num_train, split.num_test)
    if kind == "random":
        return
    codes = all_codes(space)
    for factor in split.parameters["keep"]:
        pos = space.index(factor)
        for side in (train, test):
            assert np.array_equal(np.unique(codes[side, pos]), np.arange(space[pos].size)), factor
    if kind == "composition":  # every value is seen in training; only combinations are new
        for pos in range(space.num_factors):
            assert np.unique(codes[train, pos]).size == space[pos].size
    else:  # a held-out value never appears in training
        for factor, held_out in split.test_values.items():
            assert not np.isin(codes[train, space.index(factor)], held_out).any()


def test_single_valued_factors_are_never_split_and_ratio_reads_as_a_decimal():
    space = FactorSpace.from_sizes([1, 25], ["constant", "x"])
    split = ood_split(space, "extrapolation", ratio=0.28)
    # ⌈0.28 · 25⌉ = 7 held out, although 0.28 * 25 == 7.000000000000001 in floating point
    assert split.test_values == {"x": tuple(range(18, 25))} and split.num_test == 7
    # m = 1: q = 1 − r, so ⌊q·n⌋ codes are low: 20 of 25 at r = 0.2, and 1 of 10 at r = 0.9 although the float
    # q · 10 is 0.9999999999999998 there
    composition = ood_split(space, "composition", ratio=0.2)
    assert composition.low_values == {"x": tuple(range(20))} and composition.num_test == 5
    ten = FactorSpace.from_sizes([1, 10], ["constant", "x"])
    assert ood_split(ten, "composition", ratio=0.9).low_values == {"x": (0,)}


@pytest.mark.parametrize(
    "name, profile, keep",
    [
        ("dsprites", "dsprites", ["shape"]),
        ("dsprites_full", "dsprites", ["shape"]),
        ("color_dsprites", "dsprites", ["shape"]),
        ("dsprites_like", "dsprites", ["shape"]),
        ("shapes3d", "shapes3d", ["shape"]),
        ("3dshapes", "shapes3d", ["shape"]),
        ("mpi3d", "mpi3d", ["object_shape", "object_size"]),
        ("mpi3d_toy", "mpi3d", ["object_shape", "object_size"]),
        ("mydsprites", "generic", []),
        (None, "generic", []),
    ],
)
def test_defaults_by_data_set_name(name, profile, keep):
    grid = {"dsprites": DSPRITES, "shapes3d": SHAPES3D, "mpi3d": MPI3D, "generic": DSPRITES}[profile]
    space = FactorSpace.from_sizes(*grid)
    split = ood_split(space, "extrapolation", dataset=name)
    assert split.parameters["defaults"] == profile and split.parameters["keep"] == keep
    # a dSprites-named set without a 'shape' factor gets the generic defaults, not a broken keep
    if profile == "dsprites":
        other = ood_split(FactorSpace.from_sizes([4, 5], ["a", "b"]), "extrapolation", dataset=name)
        assert other.parameters["defaults"] == "generic" and other.parameters["ratio"] == 0.2


def test_generic_keep_is_the_categorical_factors():
    data = gtdata.load("textured_sprites")
    split = ood_split(data, "interpolation")
    assert split.parameters == {"ratio": 0.2, "keep": ["shape", "texture"], "defaults": "generic"}
    assert sorted(split.test_values) == ["hue", "orientation", "posX", "posY", "scale"]


@pytest.mark.parametrize("kind", KINDS)
def test_views_of_a_rendered_dsprites_grid_stay_on_their_side(kind):
    data = gtdata.load("dsprites_like")
    split = ood_split(data, kind)
    assert split.dataset == "dsprites_like" and split.parameters["defaults"] == "dsprites"
    expected = {k: v[1:] for (n, k), v in TABLE.items() if n == "dsprites"}
    if kind != "random":
        assert (split.num_train, split.num_test) == expected[kind]
    train, test = split.views(data)
    assert (len(train), len(test)) == (split.num_train, split.num_test)
    for view, subset in ((train, split.train), (test, split.test)):
        mask = subset.mask(data.factor_space)
        codes = view.sample_codes(1000, 0)
        assert mask[data.factor_space.codes_to_index(codes)].all()
        assert view.split_description == [subset.description]
    assert np.array_equal(data.split(split.train).complement().grid_points, test.grid_points)
    assert np.array_equal(pickle.loads(pickle.dumps(test)).grid_points, test.grid_points)


def test_toy_set_with_generic_defaults():
    data = gtdata.load("toy")  # four numeric factors of sizes 3, 4, 5, 6
    split = ood_split(data, "extrapolation")
    assert split.parameters == {"ratio": 0.2, "keep": [], "defaults": "generic"}
    assert split.test_values == {"factor0": (2,), "factor1": (3,), "factor2": (4,), "factor3": (4, 5)}
    assert (split.num_train, split.num_test) == (2 * 3 * 4 * 4, 360 - 96)
    train, test = split.views(data)
    for view, mask in ((train, split.train.mask(data.factor_space)), (test, split.test.mask(data.factor_space))):
        assert mask[data.factor_space.codes_to_index(view.sample_codes(1000, 0))].all()
    # composition needs a ratio small enough that q gives some factor a low code: q = 0.344 at r = 0.05
    composition = ood_split(data, "composition", ratio=0.05)
    assert composition.low_values == {"factor0": (0,), "factor1": (0,), "factor2": (0,), "factor3": (0, 1)}
    assert composition.num_test == 2 * 3 * 4 * 4


def test_mask_refuses_another_grid():
    split = ood_split(bare("dsprites"), "extrapolation", dataset="dsprites")
    renamed = FactorSpace.from_sizes(DSPRITES[0], ["shape", "scale", "orientation", "x", "y"])
    resized = FactorSpace.from_sizes([3, 6, 40, 32, 31], DSPRITES[1])
    for space in (renamed, resized):
        with pytest.raises(
            OODSplitError,
            match=r"was made for the grid \(shape=3, scale=6, orientation=40, "
            r"posX=32, posY=32\)",
        ):
            split.test.mask(space)
    with pytest.raises(OODSplitError, match="this data set's grid is"):
        split.views(gtdata.load("toy"))


def test_save_load_round_trip(tmp_path):
    for kind in KINDS:
        split = ood_split(bare("mpi3d_real"), kind, dataset="mpi3d_real")
        path = tmp_path / f"{kind}.npz"
        digest = split.save(path)
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
        loaded = load_ood_split(path, sha256=digest)
        assert isinstance(loaded, OODSplit)
        space = bare("mpi3d_real")
        for side in ("train", "test"):
            assert np.array_equal(getattr(loaded, side).mask(space), getattr(split, side).mask(space))
        assert (loaded.kind, loaded.dataset, loaded.factor_names, loaded.factor_sizes) == (
            split.kind,
            split.dataset,
            split.factor_names,
            split.factor_sizes,
        )
        assert loaded.parameters == split.parameters and loaded.test_values == split.test_values
        assert loaded.low_values == split.low_values and loaded.test.description == split.test.description
        # the same split always makes the same bytes, so a recorded sha256 holds on any machine
        assert split.save(tmp_path / f"{kind}-again.npz") == digest
    with np.load(tmp_path / "extrapolation.npz") as npz:
        meta = json.loads(str(npz["metadata"][()]))
        assert npz["test_index"].dtype == np.dtype("<i8") and npz["test_index"].size == 725_760
    assert meta["kind"] == "extrapolation" and meta["num_train"] == 311_040
    assert meta["factors"][1] == {"name": "object_shape", "size": 6}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{k}.npz" for k in KINDS] + [f"{k}-again.npz" for k in KINDS]
    )  # no temporary file left behind


def test_save_refuses_to_overwrite(tmp_path):
    path = tmp_path / "split.npz"
    path.write_bytes(b"someone else's file")
    split = ood_split(gtdata.load("toy"), "interpolation")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        split.save(path)
    assert path.read_bytes() == b"someone else's file"
    split.save(path, overwrite=True)
    assert load_ood_split(path).num_test == split.num_test


def _npz_with(path, arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def test_load_detects_tampering(tmp_path):
    split = ood_split(bare("dsprites"), "interpolation", dataset="dsprites")
    path = tmp_path / "split.npz"
    digest = split.save(path)
    raw = bytearray(path.read_bytes())
    # flip one byte inside the index array (the archive stores it uncompressed)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("test_index.npy")
    raw[info.header_offset + 200 + len(info.filename) + 30] ^= 0x01
    flipped = tmp_path / "flipped.npz"
    flipped.write_bytes(bytes(raw))
    with pytest.raises(OODSplitError, match=f"{flipped}: file sha256 is [0-9a-f]{{64}}, expected {digest}"):
        load_ood_split(flipped, sha256=digest)
    with pytest.raises(OODSplitError, match=f"{flipped}: not a readable gtdata OOD split file"):
        load_ood_split(flipped)
    # a well-formed archive whose indices changed but whose metadata did not
    with np.load(path) as npz:
        meta, index = npz["metadata"], npz["test_index"].copy()
    index[0] += 1
    forged = tmp_path / "forged.npz"
    _npz_with(forged, {"metadata": meta, "test_index": index})
    with pytest.raises(OODSplitError, match=f"{forged}: test_index sha256 is [0-9a-f]{{64}}, but the file records"):
        load_ood_split(forged)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(OODSplitError, match="garbage.npz: not a readable gtdata OOD split file"):
        load_ood_split(garbage)
    other = tmp_path / "other.npz"
    _npz_with(other, {"x": np.arange(3)})
    with pytest.raises(OODSplitError, match=r"not a gtdata OOD split file \(arrays \['x'\]"):
        load_ood_split(other)
    with pytest.raises(FileNotFoundError, match="no OOD split file at"):
        load_ood_split(tmp_path / "missing.npz")
    with pytest.raises(OODSplitError, match="sha256 must be 64 hex digits"):
        load_ood_split(path, sha256="abc")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"kind": "extrapolate"},
            r"kind must be one of \['random', 'composition', 'interpolation', "
            r"'extrapolation'\], got 'extrapolate' \(did you mean 'extrapolation'\?\)",
        ),
        ({"kind": "interpolation", "ratio": 0}, "ratio must be a number strictly between 0 and 1, got 0"),
        ({"kind": "interpolation", "ratio": 1.0}, "ratio must be .* got 1.0"),
        ({"kind": "interpolation", "ratio": -0.1}, "ratio must be .* got -0.1"),
        ({"kind": "interpolation", "ratio": True}, "ratio must be .* got True"),
        ({"kind": "interpolation", "ratio": "0.2"}, "ratio must be .* got '0.2'"),
        ({"kind": "extrapolation", "keep": ["shap"]}, r"keep: unknown factor 'shap' \(did you mean 'shape'\?\)"),
        ({"kind": "extrapolation", "keep": [1.5]}, "keep: factors are given by name or position, got 1.5"),
        (
            {"kind": "extrapolation", "keep": ["shape", "scale", "orientation", "posX", "posY"]},
            "no factor left to split",
        ),
        (
            {"kind": "extrapolation", "ratio": 0.99},
            r"holds out every value of \['scale', 'orientation', 'posX', "
            r"'posY'\] .*train set is empty",
        ),
        ({"kind": "interpolation", "ratio": 0.9}, r"holds out every value of \['scale'\]"),
        ({"kind": "composition", "ratio": 0.9}, r"q = 2\.5e-05 gives no factor a low code .*a smaller ratio"),
        ({"kind": "random", "test_fraction": 1e-7}, "leaves the test set empty"),
        ({"kind": "random", "ratio": 0.99}, "leaves the train set empty"),
        ({"kind": "random", "test_fraction": 1.0}, "test_fraction must be a number strictly between 0 and 1"),
        ({"kind": "extrapolation", "test_fraction": 0.5}, "test_fraction applies only to kind='random'"),
        ({"kind": "extrapolation", "dataset": ""}, "dataset must be a non-empty string"),
    ],
)
def test_bad_input_is_refused_with_a_precise_message(kwargs, message):
    kwargs = dict(kwargs)
    kind = kwargs.pop("kind")
    with pytest.raises(OODSplitError, match=message):
        ood_split(bare("dsprites"), kind, **{"dataset": "dsprites", **kwargs})


def test_split_errors_are_value_errors_and_odd_inputs_are_named():
    assert issubclass(OODSplitError, gtdata.SplitError) and issubclass(OODSplitError, ValueError)
    with pytest.raises(OODSplitError, match="must be a GroundTruthData or a FactorSpace, got list"):
        ood_split([3, 4], "random")


def test_docstring_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples save a split to a relative path
    result = doctest.testmod(ood_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10 and result.failed == 0
