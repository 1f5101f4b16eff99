"""``gtdata info PATH`` tells every kind of file by its ``kind:`` (old files by their keys), through the one
dispatcher, and says so in one line when it cannot."""

import shutil

import yaml

from gtdata.cli.main import main
from gtdata.datasets.manifest import builtin_manifest_dir
from gtdata.render.builtin import builtin_spec_path


def write(path, content):
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def info(capsys, path):
    code = main(["info", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_info_study_spec(tmp_path, capsys):
    study = {
        "kind": "study",
        "name": "sweep",
        "datasets": ["dsprites_like"],
        "methods": [{"method": "beta_vae", "beta": [1, 4]}],
        "seeds": 2,
        "steps": 10,
        "metrics": ["mig"],
    }
    code, out, _ = info(capsys, write(tmp_path / "sweep.yaml", study))
    assert code == 0
    assert "study spec 'sweep', 4 runs" in out and "data sets: dsprites_like" in out and "methods: beta_vae" in out


def test_info_study_results(tmp_path, capsys):
    from gtdata.study.results import ResultStore
    from gtdata.study.spec import load_spec

    spec = load_spec(
        {
            "name": "sweep",
            "datasets": ["dsprites_like"],
            "methods": [{"method": "beta_vae"}],
            "seeds": 3,
            "steps": 10,
            "metrics": ["mig"],
        }
    )
    ResultStore(tmp_path / "out", spec)
    code, out, _ = info(capsys, tmp_path / "out" / "study.yaml")
    assert code == 0 and f"results of study 'sweep' (fingerprint {spec.fingerprint()}), 0 of 3 runs finished" in out


def test_info_run_config_with_and_without_kind(tmp_path, capsys):
    config = {"data": "toy", "method": "beta_vae", "steps": 7, "seed": 2}
    for path in (write(tmp_path / "old.yaml", config), write(tmp_path / "new.yaml", {"kind": "run_config", **config})):
        code, out, _ = info(capsys, path)
        assert code == 0
        assert "training config, method beta_vae on data 'toy'" in out and "7 steps" in out and "seed 2" in out


def test_info_render_specs_and_manifests(tmp_path, capsys):
    scene = shutil.copy(builtin_spec_path("dsprites_like"), tmp_path / "sprites.yaml")
    code, out, _ = info(capsys, scene)
    assert code == 0 and "RenderedData 'dsprites_like'" in out and "posX" in out
    raw = yaml.safe_load((builtin_manifest_dir() / "dsprites.yaml").read_text())
    raw.pop("kind")  # a manifest written before kind: existed
    for path in (builtin_manifest_dir() / "dsprites.yaml", write(tmp_path / "dsprites.yaml", raw)):
        code, out, _ = info(capsys, path)
        assert code == 0 and out.startswith("dsprites: dSprites") and "files:" in out


def test_info_unknown_kind_is_one_line(tmp_path, capsys):
    code, _, err = info(capsys, write(tmp_path / "cake.yaml", {"kind": "recipe"}))
    assert code == 2
    assert "unknown kind 'recipe'; known kinds: hdf5, manifest" in err and len(err.strip().splitlines()) == 1
