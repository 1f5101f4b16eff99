import numpy as np
import pytest
from PIL import Image

from gtdata.study.report import headline_columns, rank_correlations, write_report

from synthetic import synthetic_table


def test_rank_correlations_per_dataset():
    table = synthetic_table()
    corrs = rank_correlations(table)
    assert list(corrs) == ["shapes_a", "shapes_b"]
    corr = corrs["shapes_a"]
    assert corr.loc["MIG", "DCI Dis."] == pytest.approx(1.0)
    assert corr.loc["MIG", "SAP"] == pytest.approx(-1.0)
    assert abs(corr.loc["MIG", "BetaVAE"]) < 0.5
    # Failed model 7 is left out: 59 finished mean-representation models on shapes_a.
    ok = table[(table.status == "ok") & (table.representation == "mean") & (table.dataset == "shapes_a")]
    assert len(ok) == 59
    expected = ok[["mig.discrete_mig", "beta_vae.eval_accuracy"]].rank().corr().iloc[0, 1]
    assert corr.loc["MIG", "BetaVAE"] == pytest.approx(expected)


def test_constant_metric_and_small_groups():
    table = synthetic_table()
    table["mig.discrete_mig"] = 0.0
    corr = rank_correlations(table)["shapes_a"]
    assert np.isnan(corr.loc["MIG", "SAP"])
    assert rank_correlations(table[table.model_num < 2]) == {}


def test_headline_columns_include_largest_downstream_size():
    cols = headline_columns(synthetic_table())
    assert cols["downstream_logistic_regression.1000:mean_test_accuracy"] == "LR acc. (1000)"
    assert "factor_vae.eval_accuracy" not in cols


def test_report_writes_figures_and_summary(tmp_path):
    path = write_report(synthetic_table(), out=tmp_path, progress=False)
    expected = ["rank_correlation.png", "distributions_shapes_a.png", "distributions_shapes_b.png",
                "regularization.png", "downstream_samples.png", "weak_vs_unsupervised.png"]
    for name in expected:
        with Image.open(tmp_path / name) as image:
            assert image.format == "PNG" and image.size[0] > 300 and image.size[1] > 200
    text = path.read_text()
    assert text.startswith("# Study report: synthetic")
    assert "runs (trained models): 120; finished: 119; failed: 1" in text
    assert "representation in the figures and tables: `mean` (table has: mean, sampled)" in text
    for name in expected:
        assert f"]({name})" in text
    # Median MIG of beta_vae on shapes_a, from the table, appears in the summary.
    ok = synthetic_table().query("status == 'ok' and representation == 'mean' and dataset == 'shapes_a' "
                                 "and method == 'beta_vae'")
    assert f"| shapes_a | beta_vae | {len(ok)} | {ok['beta_vae.eval_accuracy'].median():.3f} | " \
           f"{ok['mig.discrete_mig'].median():.3f} |" in text
    assert "RuntimeError: loss became NaN \\| step 3" in text
    assert not list(tmp_path.glob(".*"))  # no temp files left


def test_report_errors(tmp_path):
    with pytest.raises(ValueError, match="representation 'median' is not in the table; it has: mean, sampled"):
        write_report(synthetic_table(), out=tmp_path, representation="median", progress=False)
    with pytest.raises(ValueError, match="the results table is empty"):
        write_report(synthetic_table().iloc[:0], out=tmp_path, progress=False)
    with pytest.raises(FileNotFoundError, match="is not a study directory"):
        write_report(tmp_path / "nothing", progress=False)
