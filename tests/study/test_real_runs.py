"""The study's own run function end to end: train -> evaluate, via the CLI, locally and on Ray."""

import json

import pandas as pd
import pytest
import yaml
from optional_deps import import_optional
from PIL import Image

from gtdata.cli.main import main
from gtdata.study import load_results, run_study

TINY = {
    "name": "tiny",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    "seeds": 1,
    "steps": 20,
    "representation": ["mean", "sampled"],
    "metrics": ["mig", "sap", "unsupervised", "downstream_logistic_regression"],
    "metric_options": {
        "mig": {"num_train": 300},
        "sap": {"num_train": 300, "num_test": 200},
        "unsupervised": {"num_train": 300},
        "downstream_logistic_regression": {"num_train": [10, 100], "num_test": 200},
    },
    "threads": 1,
    "device": "cpu",
}
METRIC_COLUMNS = [
    "run_id",
    "representation",
    "mig.discrete_mig",
    "sap.SAP_score",
    "unsupervised.gaussian_total_correlation",
    "downstream_logistic_regression.100:mean_test_accuracy",
    "train.loss",
]


@pytest.mark.slow
def test_cli_run_report_and_ray_give_identical_results(tmp_path, capsys):
    spec_path = tmp_path / "tiny.yaml"
    spec_path.write_text(yaml.safe_dump(TINY))
    local_dir = tmp_path / "local"
    assert main(["study", "run", str(spec_path), "--out", str(local_dir), "--no-progress"]) == 0
    assert "2 of 2 runs finished, 0 failed" in capsys.readouterr().out
    local = load_results(local_dir)
    assert len(local) == 4 and set(local.status) == {"ok"}
    assert (local["provenance.threads"] == 1).all()
    assert local["mig.discrete_mig"].between(0, 1).all()
    checksums = json.loads(local["provenance.data_checksums"].iloc[0])
    assert len(checksums["spec_sha256"]) == 64
    run_dir = local_dir / "runs" / local.run_id.iloc[0]
    saved = json.loads((run_dir / "metrics_mean.json").read_text())
    assert saved["scores"]["mig.discrete_mig"] == pytest.approx(local["mig.discrete_mig"].iloc[0])
    assert (run_dir / "train" / "model.pt").is_file()
    # Resume: nothing left to do, the table is unchanged.
    assert main(["study", "run", str(spec_path), "--out", str(local_dir), "--no-progress"]) == 0
    pd.testing.assert_frame_equal(load_results(local_dir), local)
    # A different spec into the same directory is refused with a clear message.
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({**TINY, "steps": 30}))
    assert main(["study", "run", str(other), "--out", str(local_dir)]) == 2
    assert "holds a different study" in capsys.readouterr().err

    assert main(["study", "report", str(local_dir)]) == 0
    assert (local_dir / "report" / "report.md").is_file()
    with Image.open(local_dir / "report" / "regularization.png") as image:
        assert image.format == "PNG"

    ray = import_optional("ray", extra="ray")  # skipped without Ray, except in CI, which installs it
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        on_ray = run_study(str(spec_path), tmp_path / "ray", executor="ray", progress=False)
    finally:
        ray.shutdown()
    assert set(on_ray.status) == {"ok"}
    pd.testing.assert_frame_equal(local[METRIC_COLUMNS], on_ray[METRIC_COLUMNS])


def test_dry_run_plan(capsys):
    assert main(["study", "run", "reference", "--out", "unused", "--dry-run", "--step-rate", "20"]) == 0
    text = capsys.readouterr().out
    assert "runs (trained models): 14,400 = 8 data sets x 36 method/hyper-parameter points x 50 seeds" in text
    assert "result rows: 28,800 (mean, sampled representation)" in text
    # FactorVAE's 2,400 runs train 150,000 iterations, the other 12,000 runs 300,000.
    assert "steps per run: 300,000, factor_vae: 150,000 (batch 64); total training steps: 3,960,000,000" in text
    # 3.96e9 steps at 20 steps/s = 198,000,000 s = 2,291.7 days.
    assert "estimated training time: 2,291.7 days (55,000 h) sequential" in text


def test_cli_errors(tmp_path, capsys):
    spec_path = tmp_path / "bad.yaml"
    spec_path.write_text(yaml.safe_dump({**TINY, "datasets": ["dsprites_lik"]}))
    assert main(["study", "run", str(spec_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown data set 'dsprites_lik'; valid data sets:" in err and "dsprites_like" in err
    assert not (tmp_path / "o").exists()
    spec_path.write_text(yaml.safe_dump({**TINY, "methods": [{"method": "beta_vae", "beta": -1}]}))
    assert main(["study", "run", str(spec_path), "--out", str(tmp_path / "o")]) == 2
    assert "invalid hyper-parameters for method 'beta_vae'" in capsys.readouterr().err
    spec_path.write_text(yaml.safe_dump({**TINY, "metric_options": {"mig": {"num_trian": 3}}}))
    assert main(["study", "run", str(spec_path), "--out", str(tmp_path / "o")]) == 2
    assert "unknown option 'num_trian' for metric 'mig'; valid: num_bins, num_train" in capsys.readouterr().err
    assert main(["study", "report", str(tmp_path / "nowhere")]) == 2
    assert "is not a study directory" in capsys.readouterr().err
