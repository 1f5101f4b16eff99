import os
import pickle
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import yaml

import gtdata
from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter


def _space():
    return FactorSpace(
        [
            Factor("category", ["a", "b", "c"]),
            Factor("instance", np.arange(4)),
            Factor("angle", np.linspace(0, 90, 5), unit="degrees"),
        ]
    )


def _images(space):
    n = space.size
    base = np.arange(n, dtype=np.uint32)
    return (
        ((base[:, None, None, None] * 7 + np.arange(8)[None, :, None, None]) % 251).astype(np.uint8).repeat(8, axis=2)
    )


def _write(path, chunk=7, nuisance=("instance",)):
    space = _space()
    images = _images(space)
    with PreparedWriter(
        path,
        space,
        (8, 8, 1),
        metadata={"sources": [{"file": "x.bin", "sha256": "00"}]},
        nuisance=nuisance,
        name="demo",
    ) as w:
        for start in range(w.position, space.size, chunk):
            w.write(images[start : start + chunk])
        w.commit()
    return space, images


def test_write_then_memory_map_with_nuisance(tmp_path):
    space, images = _write(tmp_path / "demo")
    meta = yaml.safe_load((tmp_path / "demo" / "dataset.yaml").read_text())
    assert meta["num_images"] == 60 and meta["factors"][1]["nuisance"] is True
    assert not (tmp_path / "demo.partial").exists()
    data = PreparedData(tmp_path / "demo")
    assert isinstance(data.images, np.memmap) and not data.images.flags.writeable
    assert data.factor_space.names == ("category", "angle")
    assert data.factors_num_values == [3, 5]
    assert data.verify()
    codes = np.array([[2, 4]] * 400)
    x = data.observations(codes, rng=0, dtype=np.uint8)
    stored = images[[2 * 20 + i * 5 + 4 for i in range(4)]]
    hits = {next(i for i in range(4) if np.array_equal(img, stored[i])) for img in x}
    assert hits == {0, 1, 2, 3}
    assert data.metadata["sources"][0]["file"] == "x.bin"
    assert data.metadata["nuisance_factors"] == ["instance"]


def test_float_observations_are_bytes_over_255(tmp_path):
    _, images = _write(tmp_path / "d", nuisance=())
    data = gtdata.load(tmp_path / "d")
    codes = data.factor_space.index_to_codes(np.arange(60))
    assert np.allclose(data.observations(codes), images / 255.0, atol=1e-7)


def test_pickle_reopens_memmap_instead_of_copying(tmp_path):
    _write(tmp_path / "d")
    data = PreparedData(tmp_path / "d")
    blob = pickle.dumps(data)
    assert len(blob) < 5000
    clone = pickle.loads(blob)
    assert isinstance(clone.images, np.memmap)
    assert np.array_equal(clone.observations([[1, 1]], rng=3), data.observations([[1, 1]], rng=3))


def test_resume_after_interrupt(tmp_path):
    space, images = _space(), _images(_space())
    path = tmp_path / "d"
    with pytest.raises(KeyboardInterrupt):
        with PreparedWriter(path, space, (8, 8, 1)) as w:
            w.write(images[:25])
            raise KeyboardInterrupt
    assert not path.exists() and (tmp_path / "d.partial").exists()
    with pytest.raises(FileNotFoundError, match="interrupted preparation"):
        PreparedData(path)
    with PreparedWriter(path, space, (8, 8, 1)) as w:
        assert w.position == 25
        w.write(images[25:])
        w.commit()
    data = PreparedData(path)
    assert np.array_equal(np.asarray(data.images), images) and data.verify()


def test_killed_writer_leaves_nothing_that_looks_complete(tmp_path):
    script = textwrap.dedent(f"""
        import numpy as np, time
        from gtdata import Factor, FactorSpace, PreparedWriter
        space = FactorSpace([Factor("a", np.arange(1000)), Factor("b", np.arange(100))])
        w = PreparedWriter({str(tmp_path / "big")!r}, space, (16, 16, 1))
        block = np.zeros((1000, 16, 16, 1), np.uint8)
        print("started", flush=True)
        while True:
            w.write(block[: min(1000, w.remaining)])
            time.sleep(0.01)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "big").exists()
    with pytest.raises(FileNotFoundError):
        PreparedData(tmp_path / "big")


def test_writer_bad_input(tmp_path):
    space = _space()
    with PreparedWriter(tmp_path / "d", space, (8, 8, 1)) as w:
        with pytest.raises(ValueError, match="chunks must be uint8"):
            w.write(np.zeros((2, 8, 8, 1), np.float32))
        with pytest.raises(ValueError, match=r"shape \(8, 8, 1\), got \(4, 4, 1\)"):
            w.write(np.zeros((2, 4, 4, 1), np.uint8))
        with pytest.raises(ValueError, match="written past the end"):
            w.write(np.zeros((61, 8, 8, 1), np.uint8))
        with pytest.raises(ValueError, match="0 of 60 images written; cannot commit"):
            w.commit()
    with pytest.raises(ValueError, match=r"nuisance factors \['colour'\]"):
        PreparedWriter(tmp_path / "e", space, (8, 8, 1), nuisance=["colour"])
    _write(tmp_path / "f")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        PreparedWriter(tmp_path / "f", space, (8, 8, 1))


def test_disk_full_is_checked_before_writing(tmp_path):
    huge = FactorSpace([Factor("a", np.arange(10**6)), Factor("b", np.arange(10**6))])
    with pytest.raises(OSError, match="GiB are free"):
        PreparedWriter(tmp_path / "huge", huge, (64, 64, 3))
    assert not (tmp_path / "huge.partial").exists()


def test_corrupt_store_is_reported(tmp_path):
    _write(tmp_path / "d")
    with open(tmp_path / "d" / "images.npy", "r+b") as fh:
        fh.truncate(200)
    with pytest.raises(ValueError, match="prepare it again"):
        PreparedData(tmp_path / "d")
