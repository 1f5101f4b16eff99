"""Fixture builder: small files in each benchmark set's exact raw format, on reduced factor grids, plus
manifests (same names as the built-in ones) that point at the local test server with their checksums.

Formats written: dSprites npz (imgs 0/1, latents_values, latents_classes, a protocol-2 pickled metadata
dict) and HDF5; the Scream JPEG; small NORB gzipped binary matrices (shuffled rows, stereo pairs);
Cars3D tar.gz of MATLAB v5 files with list.txt; Shapes3D h5 with float labels; MPI3D npz (stored and
deflated).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import scipy.io
import yaml
from dsserver import FixtureServer
from PIL import Image

DSPRITES_SIZES = (3, 2, 2, 3, 4)
SMALLNORB = {"category": 2, "instance": 4, "elevation": 2, "azimuth": 3, "lighting": 2}
TRAIN_INSTANCES = (1, 3)
CARS_SIZES = (2, 3, 3)  # elevation, azimuth, object
CARS_ORDER = ["car_003_mesh", "car_001_mesh", "car_002_mesh"]  # list.txt order, deliberately unsorted
SHAPES_SIZES = (2, 2, 2, 2, 2, 3)
MPI_SIZES = (2, 2, 1, 1, 2, 2, 3)
MPI_2019_SIZES = (1, 2, 1, 1, 2, 2, 3)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _images(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """Distinct random uint8 images (smooth enough that resizing keeps them distinct)."""
    base = rng.integers(0, 256, size=(n, *[max(1, s // 8) for s in shape[:2]], *shape[2:]), dtype=np.uint8)
    return np.repeat(np.repeat(base, 8, axis=1), 8, axis=2)[:, : shape[0], : shape[1]] ^ rng.integers(
        0, 16, size=(n, *shape), dtype=np.uint8
    )


def _norb_matrix(array: np.ndarray, magic: int) -> bytes:
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    return (
        struct.pack(f"<ii{len(dims)}i", magic - (1 << 32) if magic >= 1 << 31 else magic, array.ndim, *dims)
        + np.ascontiguousarray(array).tobytes()
    )


def _file_entry(name: str, path: Path, urls: list[str], published: bool = True) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "sources": [{"url": u} for u in urls]}
    if published:
        entry["size"] = path.stat().st_size
        entry["checksums"] = {"sha256": sha256(path), "md5": md5(path)}
    return entry


def _manifest(name: str, fmt: str, shape: list[int], factors: list[dict], files: list[dict], **extra) -> dict:
    return {
        "schema": 1,
        "name": name,
        "title": f"{name} (test fixture)",
        "format": fmt,
        "license": "test",
        "citation": "test fixture",
        "observation_shape": shape,
        "factors": factors,
        "files": files,
        **extra,
    }


@dataclass
class Fixtures:
    """Everything the tests compare against: raw arrays, file paths and the manifests directory."""

    root: Path
    manifests: Path
    files: dict[str, Path] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def build(root: Path, server: FixtureServer) -> Fixtures:
    """Write every fixture under ``root`` and serve it from ``server``."""
    files_dir, mdir = root / "files", root / "manifests"
    files_dir.mkdir(parents=True)
    mdir.mkdir()
    fx = Fixtures(root, mdir)
    rng = np.random.default_rng(1234)

    def serve(dataset: str, name: str, path: Path) -> str:
        fx.files[f"{dataset}/{name}"] = path
        return server.add(f"/primary/{dataset}/{name}", path)

    manifests = {}

    # --- dSprites: npz (python-2 style pickled metadata) and HDF5 --------------------------------------
    n = int(np.prod(DSPRITES_SIZES))
    classes6 = np.concatenate(
        [np.zeros((n, 1), np.int64), np.stack(np.unravel_index(np.arange(n), DSPRITES_SIZES), axis=1)], axis=1
    )
    grids = [
        [1.0],
        [1.0, 2.0, 3.0],
        [0.5, 0.6],
        [0.0, 6.283185307179586],
        np.linspace(0, 1, 3).tolist(),
        np.linspace(0, 1, 4).tolist(),
    ]
    values6 = np.stack([np.asarray(g)[classes6[:, j]] for j, g in enumerate(grids)], axis=1)
    imgs = (rng.random((n, 64, 64)) < 0.3).astype(np.uint8)
    fx.raw["dsprites"] = imgs
    npz = files_dir / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz"
    metadata = np.empty((), dtype=object)
    metadata[()] = {
        "description": "test",
        "latents_sizes": np.array([1, *DSPRITES_SIZES]),
        "latents_names": ("color", "shape", "scale", "orientation", "posX", "posY"),
        "date": "April 2017",
        "version": 1,
        "title": "dSprites fixture",
        "author": "tests",
    }
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, arr in (
            ("imgs", imgs),
            ("latents_classes", classes6),
            ("latents_values", values6),
            ("metadata", metadata),
        ):
            with zf.open(f"{key}.npy", "w") as fh:
                if arr.dtype.hasobject:  # numpy itself would pickle with protocol 4; the file uses 2
                    np.lib.format.write_array_header_1_0(fh, {"descr": "|O", "fortran_order": False, "shape": ()})
                    pickle.dump(arr, fh, protocol=2)
                else:
                    np.lib.format.write_array(fh, arr)
    h5 = files_dir / "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.hdf5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("imgs", data=imgs, chunks=(8, 64, 64), compression="gzip")
        f.create_dataset("latents/classes", data=classes6)
        f.create_dataset("latents/values", data=values6)
    dsprites_factors = [
        {"name": "shape", "values": ["square", "ellipse", "heart"]},
        {"name": "scale", "values": [0.5, 0.6]},
        {"name": "orientation", "values": [0.0, 6.283185307179586], "unit": "rad"},
        {"name": "posX", "linspace": {"start": 0.0, "stop": 1.0, "num": 3}},
        {"name": "posY", "linspace": {"start": 0.0, "stop": 1.0, "num": 4}},
    ]
    manifests["dsprites"] = _manifest(
        "dsprites",
        "dsprites",
        [64, 64, 1],
        dsprites_factors,
        [_file_entry(npz.name, npz, [serve("dsprites", npz.name, npz)])],
        aliases=["dsprites_full"],
        editions={"hdf5": {"files": [_file_entry(h5.name, h5, [serve("dsprites", h5.name, h5)])]}},
    )

    # --- The Scream: a JPEG larger than the 350x274 box; no checksum published --------------------------
    yy, xx = np.mgrid[0:300, 0:400]
    scream = np.stack([(xx * 255 // 399), (yy * 255 // 299), ((xx + yy) * 255 // 698)], axis=2).astype(np.uint8)
    jpg = files_dir / "scream.jpg"
    Image.fromarray(scream).save(jpg, quality=90)
    manifests["scream"] = _manifest(
        "scream",
        "image",
        [64, 64, 3],
        [],
        [_file_entry("scream.jpg", jpg, [serve("scream", "scream.jpg", jpg)], False)],
    )

    # --- small NORB: gzipped binary matrices, rows shuffled ----------------------------------------------
    norb_files = []
    norb_raw = {}
    for split, instances, tag in (
        ("training", TRAIN_INSTANCES, "5x46789"),
        ("testing", tuple(i for i in range(SMALLNORB["instance"]) if i not in TRAIN_INSTANCES), "5x01235"),
    ):
        grid = (
            np.array(
                np.meshgrid(
                    np.arange(SMALLNORB["category"]),
                    np.array(instances),
                    np.arange(SMALLNORB["elevation"]),
                    np.arange(SMALLNORB["azimuth"]) * 2,
                    np.arange(SMALLNORB["lighting"]),
                    indexing="ij",
                )
            )
            .reshape(5, -1)
            .T
        )
        grid = grid[rng.permutation(len(grid))]
        cat = grid[:, 0].astype(np.int32)
        info = grid[:, 1:].astype(np.int32)
        dat = _images(rng, len(grid) * 2, (96, 96)).reshape(len(grid), 2, 96, 96)
        norb_raw[split] = (dat, cat, info)
        for kind, arr, magic in (("dat", dat, 0x1E3D4C55), ("cat", cat, 0x1E3D4C54), ("info", info, 0x1E3D4C54)):
            name = f"smallnorb-{tag}x9x18x6x2x96x96-{split}-{kind}.mat.gz"
            path = files_dir / name
            path.write_bytes(gzip.compress(_norb_matrix(arr, magic)))
            norb_files.append(dict(_file_entry(name, path, [serve("smallnorb", name, path)]), role=f"{split}-{kind}"))
    fx.raw["smallnorb"] = norb_raw
    manifests["smallnorb"] = _manifest(
        "smallnorb",
        "smallnorb",
        [64, 64, 1],
        [
            {"name": "category", "values": ["animal", "human"]},
            {"name": "instance", "range": SMALLNORB["instance"], "nuisance": True},
            {"name": "elevation", "values": [30, 35], "raw": [0, 1], "unit": "deg"},
            {"name": "azimuth", "values": [0, 20, 40], "raw": [0, 2, 4], "unit": "deg"},
            {"name": "lighting", "range": SMALLNORB["lighting"]},
        ],
        norb_files,
    )

    # --- Cars3D: tar.gz of MATLAB v5 files + list.txt ----------------------------------------------------
    n_elev, n_azim, n_obj = CARS_SIZES
    cars = {}
    tgz = files_dir / "nips2015-analogy-data.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:

        def add(name: str, payload: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))

        add("data/cars/list.txt", ("\n".join(CARS_ORDER) + "\n").encode())
        for name in sorted(CARS_ORDER):
            im = _images(rng, n_azim * n_elev, (128, 128, 3)).reshape(n_azim, n_elev, 128, 128, 3)
            im = np.ascontiguousarray(im.transpose(2, 3, 4, 0, 1))
            cars[name] = im
            buf = io.BytesIO()
            scipy.io.savemat(buf, {"im": im, "mask": np.ones((128, 128, n_azim, n_elev), np.uint8)})
            add(f"data/cars/{name}.mat", buf.getvalue())
        add("data/shapes48.mat", b"unused")
        add("data/sprites/readme.txt", b"unused")
    fx.raw["cars3d"] = cars
    manifests["cars3d"] = _manifest(
        "cars3d",
        "cars3d",
        [64, 64, 3],
        [
            {"name": "elevation", "range": n_elev},
            {"name": "azimuth", "range": n_azim},
            {"name": "object_type", "range": n_obj},
        ],
        [_file_entry(tgz.name, tgz, [serve("cars3d", tgz.name, tgz)])],
    )

    # --- Shapes3D: h5 with float labels ------------------------------------------------------------------
    n = int(np.prod(SHAPES_SIZES))
    shape_values = [
        [0.0, 0.1],
        [0.0, 0.1],
        [0.0, 0.1],
        np.linspace(0.75, 1.25, 8)[:2].tolist(),
        [0, 1],
        [-30.0, 0.0, 30.0],
    ]
    codes = np.stack(np.unravel_index(np.arange(n), SHAPES_SIZES), axis=1)
    labels = np.stack([np.asarray(v, np.float64)[codes[:, j]] for j, v in enumerate(shape_values)], axis=1)
    labels = labels.astype(np.float32).astype(np.float64)  # stored floats are not exact decimals
    images = _images(rng, n, (64, 64, 3))
    fx.raw["shapes3d"] = images
    h5s = files_dir / "3dshapes.h5"
    with h5py.File(h5s, "w") as f:
        f.create_dataset("images", data=images)
        f.create_dataset("labels", data=labels)
    manifests["shapes3d"] = _manifest(
        "shapes3d",
        "shapes3d",
        [64, 64, 3],
        [
            {"name": "floor_hue", "values": shape_values[0]},
            {"name": "wall_hue", "values": shape_values[1]},
            {"name": "object_hue", "values": shape_values[2]},
            {"name": "scale", "values": shape_values[3]},
            {"name": "shape", "values": ["cube", "cylinder"], "raw": [0, 1]},
            {"name": "orientation", "values": shape_values[5], "unit": "deg"},
        ],
        [_file_entry(h5s.name, h5s, [serve("shapes3d", h5s.name, h5s)])],
        aliases=["3dshapes"],
    )

    # --- MPI3D: npz with one images member; no checksum published (recorded on first download) ----------
    tail = [
        {"name": "object_size", "values": ["small"]},
        {"name": "camera_height", "values": ["top"]},
        {"name": "background_color", "values": ["purple", "salmon"]},
        {"name": "horizontal_axis", "range": 2},
        {"name": "vertical_axis", "range": 3},
    ]
    for variant, compress in (("toy", False), ("realistic", True), ("real", False), ("complex", False)):
        imgs_m = _images(rng, int(np.prod(MPI_SIZES)), (64, 64, 3))
        fx.raw[f"mpi3d_{variant}"] = imgs_m
        name = f"mpi3d_{variant}.npz" if variant != "complex" else "real3d_complicated_shapes_ordered.npz"
        path = files_dir / name
        (np.savez_compressed if compress else np.savez)(path, images=imgs_m)
        entry = _file_entry(name, path, [serve(f"mpi3d_{variant}", name, path)], published=False)
        m = _manifest(
            f"mpi3d_{variant}",
            "mpi3d",
            [64, 64, 3],
            [
                {"name": "object_color", "values": ["white", "green"]},
                {"name": "object_shape", "values": ["cone", "cube"]},
                *tail,
            ],
            [entry],
        )
        if variant in ("toy", "realistic"):
            imgs_o = _images(rng, int(np.prod(MPI_2019_SIZES)), (64, 64, 3))
            fx.raw[f"mpi3d_{variant}-2019"] = imgs_o
            oname = f"mpi3d_{variant}_2019.npz"
            opath = files_dir / oname
            np.savez(opath, images=imgs_o)
            m["editions"] = {
                "2019": {
                    "aliases": [f"mpi3d_{variant}_2019"],
                    "factors": [
                        {"name": "object_color", "values": ["green"]},
                        {"name": "object_shape", "values": ["cone", "cube"]},
                        *tail,
                    ],
                    "files": [_file_entry(oname, opath, [serve(f"mpi3d_{variant}", oname, opath)], published=False)],
                }
            }
        manifests[f"mpi3d_{variant}"] = m

    for name, m in manifests.items():
        (mdir / f"{name}.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    return fx
