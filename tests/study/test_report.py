import numpy as np
import pytest
from PIL import Image
from synthetic import synthetic_table

from gtdata.study.report import headline_columns, rank_correlations, write_report


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
    expected = [
        "rank_correlation.png",
        "distributions_shapes_a.png",
        "distributions_shapes_b.png",
        "regularization.png",
        "downstream_samples.png",
        "weak_vs_unsupervised.png",
    ]
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
    ok = synthetic_table().query(
        "status == 'ok' and representation == 'mean' and dataset == 'shapes_a' and method == 'beta_vae'"
    )
    assert (
        f"| shapes_a | beta_vae | {len(ok)} | {ok['beta_vae.eval_accuracy'].median():.3f} | "
        f"{ok['mig.discrete_mig'].median():.3f} |" in text
    )
    assert "RuntimeError: loss became NaN \\| step 3" in text
    assert not list(tmp_path.glob(".*"))  # no temp files left


def test_report_errors(tmp_path):
    with pytest.raises(ValueError, match="representation 'median' is not in the table; it has: mean, sampled"):
        write_report(synthetic_table(), out=tmp_path, representation="median", progress=False)
    with pytest.raises(ValueError, match="the results table is empty"):
        write_report(synthetic_table().iloc[:0], out=tmp_path, progress=False)
    with pytest.raises(FileNotFoundError, match="is not a study directory"):
        write_report(tmp_path / "nothing", progress=False)


def _drawn_figures(monkeypatch, table, tmp_path):
    """Every Figure the report draws, by file name (the PNGs are still written)."""
    from gtdata.study import report

    figures = {}
    original = report._save

    def keep(fig, path):
        figures[path.name] = fig
        return original(fig, path)

    monkeypatch.setattr(report, "_save", keep)
    write_report(table, out=tmp_path, progress=False)
    return figures


def _scatter_points(ax):
    from matplotlib.collections import PathCollection

    return [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]


def test_single_model_groups_are_drawn_as_points_with_matching_legend(monkeypatch, tmp_path):
    from matplotlib.colors import to_rgba

    table = synthetic_table()
    # One weak model per data set: a group a box cannot describe.
    first_weak = table[table.method == "ada_gvae"].groupby("dataset")["model_num"].min()
    table = table[(table.method != "ada_gvae") | table.model_num.isin(first_weak)]
    figures = _drawn_figures(monkeypatch, table, tmp_path)
    fig = figures["weak_vs_unsupervised.png"]
    ax = fig.axes[0]
    points = _scatter_points(ax)
    colours = {tuple(np.round(c.get_facecolors()[0], 3)) for c in points}
    # Every model is a point: 2 data sets x 1 weak model, and every unsupervised model of the panel's column.
    ok = table[(table.status == "ok") & (table.representation == "mean")]
    column = [c for c, label in headline_columns(ok).items() if label == ax.get_title()][0]
    assert sum(len(c.get_offsets()) for c in points) == ok[column].notna().sum()
    # The single-model weak groups get no box (no bare median line), only their point.
    weak_points = [c for c in points if np.allclose(c.get_facecolors()[0], to_rgba("C1"))]
    assert sum(len(c.get_offsets()) for c in weak_points) == 2
    assert len(ax.patches) == 2  # the unsupervised boxes only (20+ models per data set)
    # Legend entries use exactly the colours of the points.
    legend = fig.legends[0]
    legend_colours = {tuple(np.round(h.get_facecolors()[0], 3)) for h in legend.legend_handles}
    assert legend_colours == colours and [t.get_text() for t in legend.get_texts()] == ["unsupervised", "weak"]


def test_every_axis_says_what_and_in_which_unit(monkeypatch, tmp_path):
    figures = _drawn_figures(monkeypatch, synthetic_table(), tmp_path)
    for name in (
        "distributions_shapes_a.png",
        "weak_vs_unsupervised.png",
        "regularization.png",
        "downstream_samples.png",
    ):
        for ax in figures[name].axes:
            if not ax.has_data():
                continue
            label = ax.get_ylabel()
            if label:
                assert "[" in label and "]" in label, (name, label)
        first_column = [ax for ax in figures[name].axes if ax.has_data() and ax.get_ylabel()]
        assert first_column, name
    assert "MI gap" in figures["weak_vs_unsupervised.png"].axes[0].get_ylabel() or any(
        "MIG" in ax.get_ylabel() for ax in figures["weak_vs_unsupervised.png"].axes
    )
    assert all("log scale" in ax.get_xlabel() for ax in figures["downstream_samples.png"].axes if ax.get_xlabel())
