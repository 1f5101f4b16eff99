"""One dispatcher for every kind of gtdata file: each kind loads, files written before ``kind:`` existed still
load, an unknown kind is an error listing the known ones, and every file gtdata writes carries its kind and
reads back equal."""

import shutil

import numpy as np
import pytest
import yaml

import gtdata
from gtdata.causal import SCM, load_scm
from gtdata.core import kinds
from gtdata.core.errors import GtdataError
from gtdata.core.factors import Factor, FactorSpace
from gtdata.core.kinds import KindError, identify, infer_kind, known_kinds, load_file
from gtdata.datasets.manifest import ManifestError, builtin_manifest_dir
from gtdata.render import RenderedData, RenderSpec
from gtdata.render.builtin import builtin_spec_path
from gtdata.store.prepared import PreparedData, PreparedWriter

SPRITES = {
    "name": "tiny",
    "canvas": {"height": 16, "width": 16, "channels": 1},
    "factors": [{"name": "size", "linspace": [0.4, 0.8, 3]}, {"name": "posX", "values": [0.3, 0.7]}],
    "objects": [{"shape": "circle", "scale": {"factor": "size"}, "x": {"factor": "posX"}}],
}
SCM_SPEC = {
    "kind": "scm",
    "name": "pair",
    "factors": [{"name": "a", "range": 3}, {"name": "b", "range": 3}],
    "nodes": {"b": {"mechanism": "additive_noise", "parents": {"a": 1.0}, "scale": 0.5}},
}
STUDY = {
    "name": "s",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    "seeds": 2,
    "steps": 10,
    "metrics": ["mig"],
}


def write(path, content):
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def prepared(path):
    space = FactorSpace([Factor("a", [0, 1, 2]), Factor("b", [0.5, 1.5])])
    with PreparedWriter(path, space, (4, 4, 1), name="demo") as w:
        w.write(np.arange(6 * 16, dtype=np.uint8).reshape(6, 4, 4, 1))
        w.commit()
    return path


def test_known_kinds():
    assert known_kinds() == [
        "hdf5",
        "manifest",
        "prepared",
        "run_config",
        "scene2d",
        "scene3d",
        "scm",
        "study",
        "study_results",
    ]


def test_render_specs_load_with_and_without_kind(tmp_path):
    old = write(tmp_path / "old.yaml", SPRITES)  # a 2-D spec written before kind: existed
    new = write(tmp_path / "new.yaml", {"kind": "scene2d", **SPRITES})
    assert identify(old).kind == identify(new).kind == "scene2d"
    a, b = gtdata.load(old), gtdata.load(new)
    assert isinstance(a, RenderedData) and a.factor_space == b.factor_space
    assert a.spec.sha256 == b.spec.sha256  # the kind is the file's: the spec hash does not see it
    np.testing.assert_array_equal(a.observations([[1, 0], [2, 1]]), b.observations([[1, 0], [2, 1]]))
    scene = shutil.copy(builtin_spec_path("light3d"), tmp_path / "scene.yaml")
    assert identify(scene).kind == "scene3d"
    assert gtdata.load(scene).spec.kind == "scene3d"


def test_render_spec_round_trip_carries_kind(tmp_path):
    spec = RenderSpec.from_dict(SPRITES)
    text = spec.to_yaml()
    assert text.startswith("kind: scene2d\n")
    again = RenderSpec.from_yaml(write(tmp_path / "again.yaml", yaml.safe_load(text)))
    assert again.sha256 == spec.sha256 and again.factor_space() == spec.factor_space()


def test_manifests_are_told_by_kind_or_by_their_keys(tmp_path):
    shipped = builtin_manifest_dir() / "scream.yaml"
    assert yaml.safe_load(shipped.read_text())["kind"] == "manifest"
    raw = yaml.safe_load(shipped.read_text())
    raw.pop("kind")
    old = write(tmp_path / "scream.yaml", raw)
    assert identify(shipped).kind == identify(old).kind == "manifest"
    # the manifest loader runs: an image manifest is not a data set by itself
    for path in (shipped, old):
        with pytest.raises(ManifestError, match=r"field 'format': manifests of format 'image' are not a data set"):
            gtdata.load(path)


def test_scm_files_load_and_round_trip(tmp_path):
    scm = load_file(write(tmp_path / "pair.yaml", SCM_SPEC))
    assert isinstance(scm, SCM) and scm.factor_space.names == ("a", "b")
    written = write(tmp_path / "again.yaml", scm.to_dict())
    assert yaml.safe_load(written.read_text())["kind"] == "scm"
    assert load_scm(written) == scm
    old = write(tmp_path / "old.yaml", {k: v for k, v in SCM_SPEC.items() if k != "kind"})
    assert identify(old).kind == "scm" and load_file(old) == scm
    with pytest.raises(KindError, match=r"is a structural causal model \(kind: scm\), not a data set"):
        gtdata.load(written)


def test_study_specs_load_round_trip_and_keep_their_fingerprint(tmp_path):
    from gtdata.study.spec import StudySpec, load_spec

    old = write(tmp_path / "old.yaml", STUDY)
    spec = load_file(old)
    assert isinstance(spec, StudySpec) and identify(old).kind == "study"
    assert spec.to_dict()["kind"] == "study"
    written = write(tmp_path / "new.yaml", spec.to_dict())
    again = load_file(written)
    assert again == spec and again.fingerprint() == spec.fingerprint() == load_spec(STUDY).fingerprint()
    with pytest.raises(KindError, match=r"is a study spec \(kind: study\), not a data set"):
        gtdata.load(written)
    with pytest.raises(GtdataError, match=r"kind: a study spec has kind 'study', got 'scm'"):
        StudySpec.from_dict({**STUDY, "kind": "scm"})


def test_study_directories_record_their_kind(tmp_path):
    from gtdata.study.results import ResultStore
    from gtdata.study.spec import load_spec

    spec = load_spec(STUDY)
    ResultStore(tmp_path / "out", spec)
    record = tmp_path / "out" / "study.yaml"
    content = yaml.safe_load(record.read_text())
    assert content["kind"] == "study_results" and content["spec"]["kind"] == "study"
    assert identify(record).kind == "study_results"
    assert len(load_file(record)) == 0  # the results table: no run has finished
    content.pop("kind")
    content["spec"].pop("kind")  # as gtdata 0.1 wrote it: the same study, reopened
    write(record, content)
    assert identify(record).kind == "study_results"
    ResultStore(tmp_path / "out", spec)


def test_run_configs_round_trip_with_kind_and_the_same_identity(tmp_path):
    from gtdata.training.config import TrainConfig

    config = TrainConfig.from_dict({"data": "toy", "method": "beta_vae", "steps": 5, "seed": 3})
    text = config.to_yaml()
    assert text.startswith("kind: run_config\n") and "kind" not in config.to_dict()
    written = tmp_path / "config.yaml"
    written.write_text(text)
    again = load_file(written)
    assert again == config and again.identity() == config.identity()
    old = write(tmp_path / "old.yaml", config.to_dict())  # a run directory of gtdata 0.1
    assert identify(old).kind == "run_config" and load_file(old) == config
    with pytest.raises(ValueError, match=r"kind: a training config has kind 'run_config', got 'study'"):
        TrainConfig.from_dict({"kind": "study", "data": "toy"})


def test_prepared_sets_carry_kind_and_old_ones_still_load(tmp_path):
    path = prepared(tmp_path / "d")
    meta_file = path / "dataset.yaml"
    meta = yaml.safe_load(meta_file.read_text())
    assert next(iter(meta)) == "kind" and meta["kind"] == "prepared"
    for target in (path, meta_file):
        found = identify(target)
        assert (found.kind, found.path) == ("prepared", path)
    data = gtdata.load(meta_file)
    assert isinstance(data, PreparedData) and data.factor_space.sizes.tolist() == [3, 2]
    meta.pop("kind")  # as gtdata 0.1 wrote it
    write(meta_file, meta)
    old = gtdata.load(meta_file)
    np.testing.assert_array_equal(old.observations([[2, 1]]), data.observations([[2, 1]]))
    write(meta_file, {**meta, "kind": "scm"})
    with pytest.raises(KindError, match=r"is a structural causal model \(kind: scm\), not a data set"):
        gtdata.load(meta_file)


def test_hdf5_files_are_a_kind(tmp_path):
    data = gtdata.load(prepared(tmp_path / "d"))
    h5 = gtdata.export_hdf5(data, tmp_path / "d.h5")
    assert identify(h5).kind == "hdf5"
    assert gtdata.load(h5).factor_space == data.factor_space


def test_unknown_and_unclear_kinds_are_clear_errors(tmp_path):
    unknown = write(tmp_path / "cake.yaml", {"kind": "recipe", "eggs": 2})
    with pytest.raises(
        KindError,
        match=r"cake\.yaml: unknown kind 'recipe'; known kinds: hdf5, manifest, "
        r"prepared, run_config, scene2d, scene3d, scm, study",
    ):
        gtdata.load(unknown)
    unclear = write(tmp_path / "what.yaml", {"eggs": 2})
    with pytest.raises(
        KindError,
        match=r"what\.yaml: cannot tell what kind of file this is \(no 'kind:' and "
        r"keys \['eggs'\]\); add a first line 'kind: KIND'",
    ):
        load_file(unclear)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(KindError, match=r"notes\.txt: not a YAML file"):
        identify(tmp_path / "notes.txt")
    with pytest.raises(FileNotFoundError, match="nothing at"):
        identify(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1,\n")
    with pytest.raises(KindError, match=r"bad\.yaml is not valid YAML .*line"):
        identify(bad)


def test_infer_kind_of_mappings():
    assert infer_kind({"kind": "scene3d"}) == "scene3d"
    assert infer_kind({"objects": [], "factors": []}) == "scene2d"
    assert infer_kind({"name": "dsprites", "transform": None}, default="options") == "options"
    assert infer_kind({"format_version": 1, "images": {}, "factors": []}) == "prepared"
    with pytest.raises(KindError, match=r"data: unknown kind 7"):
        infer_kind({"kind": 7}, source="data", default="options")


def test_a_kind_module_that_registers_nothing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(kinds._PROVIDERS, "scm", "gtdata.core.errors")
    monkeypatch.delitem(kinds._KINDS, "scm", raising=False)
    with pytest.raises(KindError, match=r"kind 'scm': its module gtdata.core.errors registers no loader"):
        kinds._kind("scm")
