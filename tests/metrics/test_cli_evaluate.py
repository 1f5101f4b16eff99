import json

import pytest

import gtdata
import gtdata.metrics
from gtdata.cli import cmd_evaluate
from gtdata.cli.main import main


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from gtdata.training import train

    out = tmp_path_factory.mktemp("runs") / "toy_run"
    train(
        gtdata.ToyData(factor_sizes=(3, 4)),
        "beta_vae",
        steps=2,
        out=out,
        batch_size=8,
        device="cpu",
        progress=False,
        figures=False,
        log_every=1,
        checkpoint_every=2,
    )
    return out


def test_cli_names_match_the_package():
    assert cmd_evaluate.METRIC_NAMES == gtdata.metrics.METRIC_NAMES
    assert cmd_evaluate.STUDY_METRICS == gtdata.metrics.STUDY_METRICS


def test_evaluate_run_writes_metrics_json_and_prints_table(run_dir, capsys):
    args = [
        "evaluate",
        str(run_dir),
        "--metrics",
        "mig",
        "unsupervised",
        "--set",
        "mig.num_train=300",
        "--set",
        "unsupervised.num_train=300",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "discrete_mig" in printed and "gaussian_total_correlation" in printed and "metrics.json" in printed
    payload = json.loads((run_dir / "metrics.json").read_text())
    assert set(payload["scores"]) == {
        "mig.discrete_mig",
        "unsupervised.gaussian_total_correlation",
        "unsupervised.gaussian_wasserstein_correlation",
        "unsupervised.gaussian_wasserstein_correlation_norm",
        "unsupervised.mutual_info_score",
    }
    prov = payload["provenance"]
    assert prov["representation"] == "mean" and prov["sizes"]["mig"]["num_train"] == 300
    assert prov["run_dir"] == str(run_dir.resolve())
    assert main(args) == 0  # same seed, same scores
    assert json.loads((run_dir / "metrics.json").read_text())["scores"] == payload["scores"]


def test_evaluate_sampled_representation_goes_to_its_own_file(run_dir):
    assert (
        main(
            ["evaluate", str(run_dir), "--metrics", "mig", "--representation", "sampled", "--set", "mig.num_train=200"]
        )
        == 0
    )
    assert (run_dir / "metrics_sampled.json").is_file()


def test_evaluate_errors(run_dir, tmp_path, capsys):
    assert main(["evaluate", str(run_dir), "--metrics", "nope"]) == 2
    assert "unknown metric" in capsys.readouterr().err
    assert main(["evaluate", str(run_dir), "--metrics", "mig", "--set", "mig.num_train"]) == 2
    assert "METRIC.OPTION=VALUE" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_format_table_hides_per_factor_keys():
    scores = {
        "dci.disentanglement": 0.5,
        "downstream_boosted_trees.10:test_accuracy_factor_0": 0.2,
        "downstream_boosted_trees.10:mean_test_accuracy": 0.3,
    }
    table = cmd_evaluate.format_table(scores)
    assert "factor_0" not in table and "mean_test_accuracy" in table and "0.5000" in table
    assert "factor_0" in cmd_evaluate.format_table(scores, all_keys=True)
