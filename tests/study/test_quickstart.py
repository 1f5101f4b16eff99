import pytest

from gtdata.cli.main import main
from gtdata.study import quickstart as qs
from gtdata.study.presets import PRESETS, preset
from gtdata.study.runs import expand
from gtdata.study.spec import StudySpec


def test_presets_and_quickstart_validate_against_this_installation():
    # The real catalog: registry names, the trainer's methods and hyper-parameter values, metric options.
    assert preset("reference").num_runs == 14_400
    assert preset("weak").num_runs == 1_200
    assert preset("quick").num_runs == 6
    spec = StudySpec.from_dict(qs.QUICKSTART_SPEC)
    runs = expand(spec)
    assert [r.method for r in runs] == ["beta_vae", "ada_gvae"]
    assert spec.datasets == ("dsprites_like",) and 200 <= spec.steps <= 2000 and spec.device == "cpu"
    assert set(spec.metric_options) == set(spec.metrics)  # every metric runs with reduced sizes
    assert PRESETS["quick"]["metric_options"] is qs.QUICKSTART_SPEC["metric_options"]


@pytest.mark.slow
def test_quickstart_end_to_end_with_fewer_steps(tmp_path, monkeypatch, capsys):
    small = dict(
        qs.QUICKSTART_SPEC,
        steps=10,
        metrics=["mig", "downstream_logistic_regression"],
        metric_options={
            "mig": {"num_train": 300},
            "downstream_logistic_regression": {"num_train": [10, 100], "num_test": 100},
        },
    )
    monkeypatch.setattr(qs, "QUICKSTART_SPEC", small)
    out = tmp_path / "qs"
    assert main(["quickstart", "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "beta_vae    ok" in printed and "ada_gvae    ok" in printed and "report:" in printed
    report = (out / "report" / "report.md").read_text()
    assert "runs (trained models): 2; finished: 2; failed: 0" in report
    assert "### ada_gvae: latent traversals (one row per latent, -2 to 2)" in report
    assert "](../runs/" in report and "/train/figures/traversals.png)" in report
    assert (out / "report" / "downstream_samples.png").is_file()
    # One strength per method: no curve to draw, so no regularization figure.
    assert not (out / "report" / "regularization.png").exists()
