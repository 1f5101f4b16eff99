"""The one persistence module: atomic writes (unique temp, fsync, verify, rename, directory fsync) and to_plain."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
import yaml

from gtdata.core import persist
from gtdata.core.persist import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    atomic_write_yaml,
    move_into_place,
    to_plain,
)


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "results.csv"
    atomic_write_text(target, "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(persist.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_an_exception_inside_atomic_path_leaves_the_old_file(tmp_path):
    target = tmp_path / "model.pt"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_the_file_and_its_directory_are_flushed_before_and_after_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name if os.path.exists("/proc") else fd))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(persist.os, "fsync", fsync)
    monkeypatch.setattr(persist.os, "replace", replace)
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    kinds = [e[0] for e in events]
    assert kinds == ["fsync", "replace", "fsync"]  # the temp file, the rename, the directory
    if os.path.exists("/proc"):
        assert events[0][1].startswith(".a.bin.") and events[0][1].endswith(".tmp")
        assert events[2][1] == tmp_path.name


def test_concurrent_writers_of_one_path_never_share_a_temporary(tmp_path):
    target = tmp_path / "progress.json"
    payloads = [bytes([i]) * 100_000 for i in range(8)]
    errors = []

    def write(data):
        try:
            for _ in range(5):
                atomic_write_bytes(target, data)
        except Exception as exc:  # a shared temp name shows up as a failed verification
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert target.read_bytes() in payloads  # one writer's complete content, never a mixture
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


def test_json_and_yaml_writers_round_trip_numpy_values(tmp_path):
    obj = {"shape": (64, 64, np.int64(3)), "scale": np.float32(0.5), "values": np.arange(3), "bad": float("nan")}
    back = json.loads(atomic_write_json(tmp_path / "m.json", obj).read_text())
    assert back == {"shape": [64, 64, 3], "scale": 0.5, "values": [0, 1, 2], "bad": None}
    text = atomic_write_yaml(tmp_path / "d.yaml", {"kind": "prepared", "shape": (1, 2)}).read_text()
    assert text.splitlines()[0] == "kind: prepared"  # keys keep their order
    assert yaml.safe_load(text) == {"kind": "prepared", "shape": [1, 2]}


def test_to_plain_converts_recursively_and_keeps_plain_values():
    value = {1: (np.bool_(True), Path("a/b")), "x": [np.float64(2.5), {"y": np.int8(-1)}], "s": "text", "n": None}
    assert to_plain(value) == {"1": [True, "a/b"], "x": [2.5, {"y": -1}], "s": "text", "n": None}
    assert type(to_plain(np.int64(3))) is int
    assert to_plain(float("inf")) == float("inf")  # YAML keeps infinities
    assert to_plain(float("inf"), json=True) is None
    assert to_plain({"o": object}, json=True) == {"o": str(object)}


def test_move_into_place_replaces_the_destination(tmp_path):
    (tmp_path / "part").write_bytes(b"done")
    (tmp_path / "final").write_bytes(b"stale")
    assert move_into_place(tmp_path / "part", tmp_path / "final").read_bytes() == b"done"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["final"]
