"""Every benchmark set through the real path (local HTTP server -> download -> verify -> prepare -> load):
the observation at codes c equals the raw image at c's raw index after the documented preprocessing."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml
from dsfixtures import CARS_ORDER, CARS_SIZES, DSPRITES_SIZES, MPI_2019_SIZES, MPI_SIZES, SHAPES_SIZES, TRAIN_INSTANCES
from PIL import Image

import gtdata.registry as registry
from gtdata.datasets import MPI3D, Cars3D, ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites, Shapes3D, SmallNORB
from gtdata.datasets.manifest import load_manifest
from gtdata.datasets.prepare import prepare, prepared_path
from gtdata.store.prepared import PreparedData


def _all_codes(sizes) -> np.ndarray:
    return np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)


def _raw_index(codes: np.ndarray, sizes) -> np.ndarray:
    return np.ravel_multi_index(codes.T, sizes)


def test_dsprites_codes_map_to_raw_images_as_0_255(env, fixtures):
    data = DSprites(progress=False)
    codes = _all_codes(DSPRITES_SIZES)
    got = data.observations(codes, dtype=np.uint8)
    # colour column has one value, so the raw index is the index over the five kept factors
    want = fixtures.raw["dsprites"][_raw_index(codes, DSPRITES_SIZES)] * 255
    assert got.shape == (len(codes), 64, 64, 1)
    np.testing.assert_array_equal(got[..., 0], want)
    assert set(np.unique(got)) <= {0, 255}
    np.testing.assert_array_equal(data.observations(codes[:3]), want[:3, ..., None] / np.float32(255))
    meta = yaml.safe_load((prepared_path(data.manifest) / "dataset.yaml").read_text())
    assert meta["metadata"]["sources"][0]["file"].endswith(".npz")
    assert len(meta["metadata"]["sources"][0]["sha256"]) == 64


def test_dsprites_hdf5_edition_gives_the_same_images(env, fixtures):
    npz = DSprites(progress=False)
    h5 = DSprites(edition="hdf5", progress=False)
    codes = _all_codes(DSPRITES_SIZES)
    np.testing.assert_array_equal(npz.observations(codes, dtype=np.uint8), h5.observations(codes, dtype=np.uint8))
    assert h5.path.name == "dsprites-hdf5"


def test_dsprites_alias_and_dlib_sampling_order(env):
    data = registry.load("dsprites_full", progress=False)
    assert data.factors_num_values == list(DSPRITES_SIZES)
    codes, _ = data.sample(6, np.random.RandomState(5))
    rs = np.random.RandomState(5)
    np.testing.assert_array_equal(codes, np.stack([rs.randint(n, size=6) for n in DSPRITES_SIZES], axis=1))


def _gray3(fixtures, codes):
    return np.repeat(fixtures.raw["dsprites"][_raw_index(codes, DSPRITES_SIZES)][..., None], 3, axis=3).astype(
        np.float64
    )


def test_color_dsprites_is_dlib_colour_per_draw(env, fixtures):
    data = ColorDSprites(progress=False)
    assert data.observation_shape == (64, 64, 3)
    codes = _all_codes(DSPRITES_SIZES)[[0, 7, 50]]
    got = data.sample_observations_from_factors(codes, np.random.RandomState(3))
    rs = np.random.RandomState(3)
    want = _gray3(fixtures, codes) * rs.uniform(0.5, 1, [3, 1, 1, 3])
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert got.dtype == np.float32


def test_noisy_dsprites_is_dlib_noise_per_draw(env, fixtures):
    data = NoisyDSprites(progress=False)
    codes = _all_codes(DSPRITES_SIZES)[[1, 2]]
    got = data.sample_observations_from_factors(codes, np.random.RandomState(9))
    rs = np.random.RandomState(9)
    want = np.minimum(_gray3(fixtures, codes) + rs.uniform(0, 1, [2, 64, 64, 3]), 1.0)
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_scream_dsprites_is_dlib_patch_and_inversion(env, fixtures):
    data = ScreamDSprites(progress=False)
    with Image.open(fixtures.files["scream/scream.jpg"]) as img:
        img.thumbnail((350, 274))
        scream = np.asarray(img, dtype=np.float64) / 255
    assert data.scream.shape == scream.shape
    codes = _all_codes(DSPRITES_SIZES)[[4, 30]]
    got = data.sample_observations_from_factors(codes, np.random.RandomState(11))
    rs = np.random.RandomState(11)
    mask = _gray3(fixtures, codes) == 1
    for i in range(2):
        x = rs.randint(0, scream.shape[0] - 64)
        y = rs.randint(0, scream.shape[1] - 64)
        background = (scream[x : x + 64, y : y + 64] + rs.uniform(0, 1, size=3)) / 2
        background[mask[i]] = 1 - background[mask[i]]
        np.testing.assert_allclose(got[i], background, atol=1e-6)
    # the painting has no published checksum: its sha256 is recorded in the cache on first download
    records = (env / "raw" / "scream" / "recorded_checksums.json").read_text()
    assert data.scream_sha256 in records


def _norb_expected(fixtures, cat, inst, elev, azim, light):
    split = "training" if inst in TRAIN_INSTANCES else "testing"
    dat, c, info = fixtures.raw["smallnorb"][split]
    row = np.flatnonzero(
        (c == cat) & (info[:, 0] == inst) & (info[:, 1] == elev) & (info[:, 2] == 2 * azim) & (info[:, 3] == light)
    )
    assert row.size == 1
    img = Image.fromarray(dat[row[0], 0]).resize((64, 64), Image.Resampling.LANCZOS)
    return np.asarray(img)


def test_smallnorb_merged_first_camera_lanczos_instance_nuisance(env, fixtures):
    data = SmallNORB(instance_as_factor=True, progress=False)
    codes = _all_codes((2, 4, 2, 3, 2))
    got = data.observations(codes, dtype=np.uint8)
    for c, img in zip(codes, got):
        np.testing.assert_array_equal(img[..., 0], _norb_expected(fixtures, *c))

    default = SmallNORB(progress=False)
    assert default.factor_names == ("category", "elevation", "azimuth", "lighting")
    assert len(default) == 2 * 2 * 3 * 2
    latent = np.array([[1, 0, 2, 1]] * 40)
    imgs = default.observations(latent, rng=0, dtype=np.uint8)
    candidates = [_norb_expected(fixtures, 1, inst, 0, 2, 1) for inst in range(4)]
    seen = {next(k for k, cand in enumerate(candidates) if np.array_equal(im[..., 0], cand)) for im in imgs}
    assert seen == {0, 1, 2, 3}  # instance drawn at random, from both halves
    # dlib order: latent factors first, then the instance, from one RandomState
    rs = np.random.RandomState(2)
    codes, obs = default.sample(3, np.random.RandomState(2))
    lat = np.stack([rs.randint(n, size=3) for n in (2, 2, 3, 2)], axis=1)
    inst = rs.randint(4, size=3)
    np.testing.assert_array_equal(codes, lat)
    for i in range(3):
        np.testing.assert_allclose(
            obs[i, ..., 0], _norb_expected(fixtures, lat[i, 0], inst[i], *lat[i, 1:]) / 255, atol=1e-6
        )


def test_smallnorb_train_test_split_switch(env):
    train = SmallNORB(instance_as_factor=True, split="train", progress=False)
    test = SmallNORB(instance_as_factor=True, split="test", progress=False)
    assert len(train) == len(test) == 2 * 2 * 2 * 3 * 2
    inst_values = train.factor_space["instance"].values
    assert set(inst_values[train.sample_codes(200, 0)[:, 1]]) == set(TRAIN_INSTANCES)
    assert not set(inst_values[test.sample_codes(200, 0)[:, 1]]) & set(TRAIN_INSTANCES)
    with pytest.raises(ValueError, match="instance_as_factor=True"):
        SmallNORB(split="train", progress=False)
    with pytest.raises(ValueError, match="'train' or 'test'"):
        SmallNORB(instance_as_factor=True, split="val", progress=False)


def test_cars3d_list_order_and_lanczos(env, fixtures):
    data = Cars3D(progress=False)
    codes = _all_codes(CARS_SIZES)
    got = data.observations(codes, dtype=np.uint8)
    for (elev, azim, obj), img in zip(codes, got):
        im = fixtures.raw["cars3d"][CARS_ORDER[obj]][:, :, :, azim, elev]
        want = np.asarray(Image.fromarray(im).resize((64, 64), Image.Resampling.LANCZOS))
        np.testing.assert_array_equal(img, want)
    assert [p.name for p in (env / "raw" / "cars3d").iterdir()] == [
        "nips2015-analogy-data.tar.gz"
    ]  # extraction removed


def test_shapes3d_float_labels_to_grid(env, fixtures):
    data = registry.load("3dshapes", progress=False)
    assert isinstance(data, Shapes3D)
    codes = _all_codes(SHAPES_SIZES)
    np.testing.assert_array_equal(
        data.observations(codes, dtype=np.uint8), fixtures.raw["shapes3d"][_raw_index(codes, SHAPES_SIZES)]
    )
    assert data.factor_space["orientation"].values.tolist() == [-30.0, 0.0, 30.0]


@pytest.mark.parametrize("variant", ["toy", "realistic", "real", "complex"])
def test_mpi3d_variants(env, fixtures, variant):
    data = MPI3D(variant=variant, progress=False)
    codes = _all_codes(MPI_SIZES)
    np.testing.assert_array_equal(
        data.observations(codes, dtype=np.uint8), fixtures.raw[f"mpi3d_{variant}"][_raw_index(codes, MPI_SIZES)]
    )


def test_mpi3d_2019_edition_is_one_argument_away(env, fixtures):
    data = MPI3D(variant="toy", edition="2019", progress=False)
    assert data.factors_num_values == list(MPI_2019_SIZES)
    codes = _all_codes(MPI_2019_SIZES)
    np.testing.assert_array_equal(
        data.observations(codes, dtype=np.uint8), fixtures.raw["mpi3d_toy-2019"][_raw_index(codes, MPI_2019_SIZES)]
    )
    same = registry.load("mpi3d_toy_2019", progress=False)
    assert same.path == data.path
    with pytest.raises(ValueError, match="variant must be one of"):
        MPI3D(variant="toys")
    with pytest.raises(ValueError, match="no edition '2018'"):
        MPI3D(variant="toy", edition="2018")


def test_mpi3d_file_of_another_grid_is_refused(env, fixtures, tmp_path):
    m = yaml.safe_load((fixtures.manifests / "mpi3d_toy.yaml").read_text())
    m["factors"][0]["values"] = ["white", "green", "red"]
    path = tmp_path / "mpi3d_toy.yaml"
    path.write_text(yaml.safe_dump(m))
    with pytest.raises(ValueError, match=r"holds 48 images but the grid .* has 72"):
        MPI3D(variant="toy", manifest=path, progress=False)
    assert not prepared_path(load_manifest(path)).exists()


def test_unknown_name_suggests_closest(env):
    with pytest.raises(ValueError, match="did you mean 'shapes3d'"):
        registry.load("shapes3", progress=False)


def test_pickles_as_arguments_not_pixels(env):
    data = ColorDSprites(progress=False)
    blob = pickle.dumps(data)
    assert len(blob) < 20_000
    back = pickle.loads(blob)
    codes = np.array([[0, 1, 1, 2, 3]])
    np.testing.assert_array_equal(back.observations(codes, rng=4), data.observations(codes, rng=4))
    norb = SmallNORB(instance_as_factor=True, split="test", progress=False)
    assert len(pickle.loads(pickle.dumps(norb))) == len(norb)


def test_missing_raw_file_without_download_says_where(env):
    with pytest.raises(FileNotFoundError, match=r"raw file .*3dshapes\.h5 is missing; pass download=True"):
        Shapes3D(download=False, progress=False)


def test_manually_placed_file_is_verified_and_used(env, fixtures, server):
    raw = env / "raw" / "shapes3d"
    raw.mkdir(parents=True)
    (raw / "3dshapes.h5").write_bytes(fixtures.files["shapes3d/3dshapes.h5"].read_bytes())
    data = Shapes3D(download=False, progress=False)
    assert len(data) == int(np.prod(SHAPES_SIZES))
    assert not server.log  # nothing was downloaded


def test_interrupted_preparation_leaves_no_complete_set_and_resumes(env, fixtures):
    manifest = load_manifest("mpi3d_real")

    def interrupt(done, total):
        if done >= 16:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        prepare(manifest, progress=False, chunk_images=8, on_chunk=interrupt)
    target = prepared_path(manifest)
    assert not (target / "dataset.yaml").exists()
    with pytest.raises(FileNotFoundError, match="interrupted preparation"):
        PreparedData(target)
    data = MPI3D(variant="real", progress=False)
    codes = _all_codes(MPI_SIZES)
    np.testing.assert_array_equal(
        data.observations(codes, dtype=np.uint8), fixtures.raw["mpi3d_real"][_raw_index(codes, MPI_SIZES)]
    )
    assert data.verify()


_CHILD = textwrap.dedent("""
    import os, sys
    import numpy as np
    from gtdata.datasets.manifest import load_manifest
    from gtdata.datasets.prepare import prepare
    mode = sys.argv[1]
    def hook(done, total):
        if mode == "kill" and done >= 16:
            os.kill(os.getpid(), 9)
    path = prepare(load_manifest("mpi3d_toy"), progress=False, chunk_images=8, on_chunk=hook)
    import gtdata.registry as registry
    data = registry.load("mpi3d_toy", progress=False)
    print(path, data.observations(np.zeros((1, 7), int), dtype=np.uint8).sum())
""")


def _child_env(env: Path) -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), out.get("PYTHONPATH", "")])
    return out


@pytest.mark.slow
def test_killed_preparation_process_leaves_no_complete_set(env, fixtures):
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "kill"], env=_child_env(env), capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL
    target = prepared_path(load_manifest("mpi3d_toy"))
    assert not (target / "dataset.yaml").exists()
    assert target.with_name(target.name + ".partial").exists()
    data = MPI3D(variant="toy", progress=False)  # resumes and completes
    assert data.verify()


@pytest.mark.slow
def test_two_processes_loading_at_once_both_succeed(env, fixtures):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, "ok"],
            env=_child_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    want = int(fixtures.raw["mpi3d_toy"][0].sum())
    assert [o[0].split()[-1] for o in outs] == [str(want)] * 2
    assert len({o[0].split()[0] for o in outs}) == 1


def test_variant_export_goes_through_the_transform(env, fixtures, tmp_path):
    import h5py

    from gtdata.store.hdf5 import export_hdf5

    data = ColorDSprites(progress=False)
    out = export_hdf5(data, tmp_path / "color.h5", progress=False, seed=1)
    with h5py.File(out) as h5:
        images = h5["images"][:]
    gray = fixtures.raw["dsprites"][: len(images)]
    assert images.shape == (int(np.prod(DSPRITES_SIZES)), 64, 64, 3)
    assert np.all(images[gray == 0] == 0)
    lit = images[gray == 1]
    assert lit.min() >= 126 and len(np.unique(lit)) > 10  # coloured in [0.5, 1), not white


def test_load_accepts_a_manifest_path(env, fixtures):
    data = registry.load(fixtures.manifests / "shapes3d.yaml", progress=False)
    assert isinstance(data, Shapes3D) and len(data) == int(np.prod(SHAPES_SIZES))


def test_corrupt_raw_file_is_a_clear_error(env):
    raw = env / "raw" / "mpi3d_real"
    raw.mkdir(parents=True)
    (raw / "mpi3d_real.npz").write_bytes(b"PK\x03\x04 this is not a zip file at all")
    with pytest.raises(ValueError, match=r"mpi3d_real\.npz is not a readable npz file .*download it again"):
        MPI3D(variant="real", download=False, progress=False)


def test_splits_of_benchmark_sets_and_variants(env):
    data = DSprites(progress=False)
    hearts = data.split('shape == "heart" and posX > 0.4')
    assert hearts.images is data.images  # a view, not a reloaded copy
    codes = hearts.sample_codes(50, 0)
    assert np.all(codes[:, 0] == 2) and np.all(codes[:, 3] >= 1)
    noisy = NoisyDSprites(progress=False).split("scale == 0.5")
    assert np.all(noisy.sample(20, 1)[0][:, 1] == 0)
    back = pickle.loads(pickle.dumps(noisy))
    assert len(back) == len(noisy) == 3 * 2 * 3 * 4


_FULL_DISK_PREPARE = """
import resource, signal
from gtdata.datasets.manifest import load_manifest
from gtdata.datasets.prepare import fetch_all, prepare
m = load_manifest("mpi3d_toy")
fetch_all(m, progress=False)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))  # room for the raw file, not for the output
try:
    prepare(m, progress=False, chunk_images=8)
except OSError as exc:
    print(exc)
"""


def test_disk_filling_up_during_preparation_is_a_clear_error(env, fixtures):
    proc = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_PREPARE], env=_child_env(env), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "no space left while preparing mpi3d_toy" in proc.stdout and "it resumes" in proc.stdout
    assert not (prepared_path(load_manifest("mpi3d_toy")) / "dataset.yaml").exists()
