"""Study report: the figures of the reference study's kinds (PNG) and a Markdown summary.

Figures (drawn from the results table, one representation at a time):

- ``rank_correlation.png`` -- Spearman rank correlation between the metrics over all models, per data set;
- ``distributions_<dataset>.png`` -- each metric's distribution per method and hyper-parameter value;
- ``regularization.png`` -- each metric against the method's regularization strength (median and
  inter-quartile range over seeds), one column per method, one line per data set;
- ``downstream_samples.png`` -- downstream accuracy against the number of training samples;
- ``weak_vs_unsupervised.png`` -- weakly-supervised against unsupervised methods (when both are present).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gtdata.core.errors import InvalidValueError
from gtdata.core.persist import DiskWriteError, atomic_path, atomic_write_text
from gtdata.core.progress import progress_bar
from gtdata.study.catalog import WEAK_METHODS
from gtdata.study.results import load_results

# The scores the reference study compares, with short labels (first match per label is used).
HEADLINE_METRICS: dict[str, str] = {
    "beta_vae.eval_accuracy": "BetaVAE",
    "factor_vae.eval_accuracy": "FactorVAE",
    "mig.discrete_mig": "MIG",
    "dci.disentanglement": "DCI Dis.",
    "dci_fast.disentanglement": "DCI Dis. (fast)",
    "sap.SAP_score": "SAP",
    "modularity_explicitness.modularity_score": "Modularity",
    "irs.IRS": "IRS",
    "unsupervised.gaussian_total_correlation": "Gauss. TC",
    "unsupervised.gaussian_wasserstein_correlation": "Gauss. WC",
    "unsupervised.mutual_info_score": "Mutual info",
}
DOWNSTREAM = {"downstream_logistic_regression": "logistic regression", "downstream_boosted_trees": "boosted trees"}
DOWNSTREAM_SHORT = {"downstream_logistic_regression": "LR", "downstream_boosted_trees": "GBT"}
MIN_MODELS_FOR_CORRELATION = 3
# Below this many models a box says nothing a reader can check: draw the models as points only.
MIN_MODELS_FOR_BOX = 5
MEDIAN_STYLE = {"color": "black", "linewidth": 1.2}
# What each headline score measures, for the y axes (scores without a unit are fractions or 0–1 indices).
METRIC_UNITS: dict[str, str] = {
    "BetaVAE": "accuracy (fraction)",
    "FactorVAE": "accuracy (fraction)",
    "MIG": "MI gap / H(factor), 0–1",
    "DCI Dis.": "score, 0–1",
    "DCI Dis. (fast)": "score, 0–1",
    "SAP": "accuracy gap, 0–1",
    "Modularity": "score, 0–1",
    "IRS": "score, 0–1",
    "Gauss. TC": "nats",
    "Gauss. WC": "squared latent units",
    "Mutual info": "nats",
}


def metric_axis_label(label: str) -> str:
    """Y-axis text for a headline metric label: the label and its unit (downstream accuracies: a fraction)."""
    unit = METRIC_UNITS.get(label, "accuracy (fraction)" if "acc." in label else "score")
    return f"{label}\n[{unit}]"


def _models_as_points(ax: Any, data: list[np.ndarray], positions: list[float], colors: list[str], width: float) -> None:
    """Each model as a dot; a box (quartiles, whiskers, median) behind the groups with enough models."""
    big = [i for i, values in enumerate(data) if len(values) >= MIN_MODELS_FOR_BOX]
    if big:
        boxes = ax.boxplot(
            [data[i] for i in big],
            positions=[positions[i] for i in big],
            widths=width,
            patch_artist=True,
            showfliers=False,
            medianprops=MEDIAN_STYLE,
        )
        for patch, i in zip(boxes["boxes"], big):
            patch.set_facecolor(colors[i])
            patch.set_alpha(0.35)
    jitter = np.random.default_rng(0)
    for pos, values, color in zip(positions, data, colors):
        spread = 0.3 * width if len(values) > 1 else 0.0
        ax.scatter(
            pos + jitter.uniform(-spread, spread, len(values)),
            values,
            s=16 if len(values) < 5 else 9,
            color=color,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
        )


def headline_columns(table: pd.DataFrame) -> dict[str, str]:
    """Headline metric columns present in ``table`` with at least one finite value, plus the downstream
    test accuracy at the largest number of samples; column -> label."""
    found = {
        c: label
        for c, label in HEADLINE_METRICS.items()
        if c in table.columns and pd.to_numeric(table[c], errors="coerce").notna().any()
    }
    for metric in DOWNSTREAM:
        sizes = downstream_sizes(table, metric)
        if sizes:
            found[f"{metric}.{sizes[-1]}:mean_test_accuracy"] = f"{DOWNSTREAM_SHORT[metric]} acc. ({sizes[-1]})"
    return found


def downstream_sizes(table: pd.DataFrame, metric: str) -> list[int]:
    """Numbers of training samples with a mean test accuracy column for ``metric``, ascending."""
    prefix, suffix = f"{metric}.", ":mean_test_accuracy"
    sizes = [
        int(c[len(prefix) : -len(suffix)])
        for c in table.columns
        if c.startswith(prefix) and c.endswith(suffix) and c[len(prefix) : -len(suffix)].isdigit()
    ]
    return sorted(sizes)


def pick_representation(table: pd.DataFrame, representation: str | None = None) -> str | None:
    """``representation`` if the table has it (else a ValueError); by default ``mean``, else the first."""
    reps = list(dict.fromkeys(table["representation"])) if "representation" in table.columns else []
    if representation is None:
        return "mean" if "mean" in reps else (reps[0] if reps else None)
    if representation not in reps:
        raise InvalidValueError(f"representation {representation!r} is not in the table; it has: {', '.join(reps)}")
    return representation


def _finished(table: pd.DataFrame, representation: str | None) -> pd.DataFrame:
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    representation = pick_representation(table, representation)
    if representation is not None and "representation" in ok.columns:
        ok = ok[ok["representation"] == representation]
    return ok


def rank_correlations(table: pd.DataFrame, representation: str | None = None) -> dict[str, pd.DataFrame]:
    """Spearman rank correlation between headline metrics over the finished models, per data set.

    ``representation`` as in :func:`pick_representation`. A metric that is constant (or missing) on a data set gets NaN rows/columns; a data set with fewer
    than 3 finished models is left out.
    """
    ok = _finished(table, representation)
    columns = headline_columns(ok)
    out = {}
    for dataset, group in ok.groupby("dataset", sort=False):
        if len(group) < MIN_MODELS_FOR_CORRELATION:
            continue
        values = group[list(columns)].apply(pd.to_numeric, errors="coerce").rename(columns=columns)
        out[str(dataset)] = values.corr(method="spearman", min_periods=MIN_MODELS_FOR_CORRELATION)
    return out


def _save(fig: Figure, path: Path) -> Path:
    """PNG to a temp file, checked to be a PNG, then renamed into place."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        with open(tmp, "rb") as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                raise DiskWriteError(f"{tmp} is not a PNG")
    return path


def _grid(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = min(n, max_cols)
    return math.ceil(n / cols), cols


def _legend_below(fig: Figure, ax: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 6), fontsize=8)


def _plot_rank_correlation(corrs: dict[str, pd.DataFrame], path: Path) -> Path:
    rows, cols = _grid(len(corrs), 3)
    size = max(len(c) for c in corrs.values())
    fig = Figure(figsize=(cols * (1.6 + 0.55 * size), rows * (1.2 + 0.5 * size)), layout="constrained")
    for i, (dataset, corr) in enumerate(corrs.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        image = ax.imshow(corr.to_numpy(dtype=float), vmin=-1, vmax=1, cmap="RdBu_r")
        labels = list(corr.columns)
        ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        for (r, c), value in np.ndenumerate(corr.to_numpy(dtype=float)):
            text = "–" if np.isnan(value) else f"{value * 100:.0f}"
            ax.text(
                c,
                r,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if not np.isnan(value) and abs(value) > 0.6 else "black",
            )
        ax.set_title(dataset, fontsize=10)
    fig.colorbar(image, ax=fig.axes, shrink=0.6, label="Spearman rank correlation")
    fig.suptitle("Rank correlation between metrics (values x100; – = constant metric)")
    return _save(fig, path)


def _sweep_label(row: pd.Series) -> str:
    value = row.get("regularization")
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return str(row["method"])
    value = float(value)
    text = f"{value:g}"
    return f"{row['method']} {row.get('regularization_param')}={text}"


def _plot_distributions(group: pd.DataFrame, columns: dict[str, str], dataset: str, path: Path) -> Path:
    group = group.assign(
        _label=group.apply(_sweep_label, axis=1), _reg=pd.to_numeric(group.get("regularization"), errors="coerce")
    )
    methods = list(dict.fromkeys(group["method"]))
    order = (
        group[["method", "_reg", "_label"]]
        .drop_duplicates("_label")
        .assign(_m=lambda f: f["method"].map(methods.index))
        .sort_values(["_m", "_reg"])
    )
    labels = list(order["_label"])
    colors = {m: f"C{i % 10}" for i, m in enumerate(methods)}
    rows, cols = _grid(len(columns), 2)
    fig = Figure(figsize=(cols * max(5.0, 0.45 * len(labels) + 1.5), rows * 3.6), layout="constrained")
    for i, (column, name) in enumerate(columns.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        data, positions, box_colors = [], [], []
        for pos, label in enumerate(labels):
            values = pd.to_numeric(group.loc[group["_label"] == label, column], errors="coerce").dropna()
            if len(values):
                data.append(values.to_numpy())
                positions.append(pos)
                box_colors.append(colors[group.loc[group["_label"] == label, "method"].iloc[0]])
        if data:
            _models_as_points(ax, data, positions, box_colors, 0.6)
        ax.set_xticks(range(len(labels)), labels, rotation=70, ha="right", fontsize=7)
        ax.set_xlim(-0.7, len(labels) - 0.3)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(metric_axis_label(name), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        f"{dataset}: metric distributions per method and hyper-parameter\n"
        f"(dots: models; boxes: quartiles where a setting has at least {MIN_MODELS_FOR_BOX} models)"
    )
    return _save(fig, path)


def _swept(ok: pd.DataFrame) -> pd.DataFrame:
    """Rows of methods whose regularization strength takes at least two values (a curve to draw)."""
    if "regularization" not in ok.columns:
        return ok.iloc[:0]
    rows = ok[pd.to_numeric(ok["regularization"], errors="coerce").notna()]
    values = rows.groupby("method")["regularization"].nunique()
    return rows[rows["method"].isin(values[values >= 2].index)]


def _plot_regularization(ok: pd.DataFrame, columns: dict[str, str], path: Path) -> Path:
    swept = _swept(ok)
    methods = list(dict.fromkeys(swept["method"]))
    datasets = list(dict.fromkeys(swept["dataset"]))
    fig = Figure(figsize=(max(6.5, 3.2 * len(methods) + 1.0), 2.5 * len(columns) + 1.0), layout="constrained")
    axes = fig.subplots(len(columns), len(methods), squeeze=False)
    for j, method in enumerate(methods):
        mgroup = swept[swept["method"] == method]
        param = mgroup["regularization_param"].iloc[0]
        for i, (column, name) in enumerate(columns.items()):
            ax = axes[i, j]
            for d, dataset in enumerate(datasets):
                sub = mgroup[mgroup["dataset"] == dataset]
                values = pd.to_numeric(sub[column], errors="coerce")
                stats = values.groupby(pd.to_numeric(sub["regularization"])).quantile([0.25, 0.5, 0.75]).unstack()
                stats = stats.dropna()
                if stats.empty:
                    continue
                x = stats.index.to_numpy(dtype=float)
                ax.plot(x, stats[0.5], color=f"C{d % 10}", label=dataset, lw=1.2)
                ax.fill_between(x, stats[0.25], stats[0.75], color=f"C{d % 10}", alpha=0.2)
                # The models themselves: with a few seeds per value they are the evidence.
                ax.scatter(
                    pd.to_numeric(sub["regularization"]),
                    values,
                    s=9,
                    color=f"C{d % 10}",
                    edgecolors="black",
                    linewidths=0.3,
                    zorder=3,
                )
            values = np.sort(pd.to_numeric(mgroup["regularization"]).unique())
            if (values > 0).all():
                ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(values, [f"{v:g}" for v in values], fontsize=8)
            if i == 0:
                ax.set_title(method, fontsize=10)
            if i == len(columns) - 1:
                ax.set_xlabel(f"{param} (log scale)" if (values > 0).all() else str(param))
            if j == 0:
                ax.set_ylabel(metric_axis_label(name), fontsize=8)
            ax.grid(alpha=0.3)
    _legend_below(fig, axes[0, 0])
    fig.suptitle(
        "Metrics against regularization strength\n(dots: models; line and band: median and "
        "inter-quartile range over seeds)"
    )
    return _save(fig, path)


def _plot_downstream(ok: pd.DataFrame, path: Path) -> Path | None:
    panels = [(m, label, downstream_sizes(ok, m)) for m, label in DOWNSTREAM.items()]
    panels = [p for p in panels if p[2]]
    datasets = list(dict.fromkeys(ok["dataset"]))
    methods = list(dict.fromkeys(ok["method"]))
    fig = Figure(figsize=(max(6.5, 3.6 * len(datasets) + 1.2), 3.0 * len(panels) + 0.8), layout="constrained")
    axes = fig.subplots(len(panels), len(datasets), squeeze=False)
    for i, (metric, label, sizes) in enumerate(panels):
        for j, dataset in enumerate(datasets):
            ax = axes[i, j]
            sub = ok[ok["dataset"] == dataset]
            for k, method in enumerate(methods):
                msub = sub[sub["method"] == method]
                cols = [f"{metric}.{n}:mean_test_accuracy" for n in sizes]
                values = msub[cols].apply(pd.to_numeric, errors="coerce")
                if values.notna().sum().sum() == 0:
                    continue
                q = values.quantile([0.25, 0.5, 0.75])
                ax.plot(sizes, q.loc[0.5], color=f"C{k % 10}", label=method, lw=1.2)
                ax.fill_between(sizes, q.loc[0.25], q.loc[0.75], color=f"C{k % 10}", alpha=0.2)
                # Each model at each size, so a group of a few models is seen as what it is.
                grid = np.broadcast_to(np.asarray(sizes, dtype=float), values.shape)
                ax.scatter(
                    grid.ravel(),
                    values.to_numpy(dtype=float).ravel(),
                    s=8,
                    color=f"C{k % 10}",
                    edgecolors="black",
                    linewidths=0.3,
                    zorder=3,
                )
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.set_xlabel("training samples (log scale)")
            if j == 0:
                ax.set_ylabel(f"mean test accuracy, {label}\n[fraction]", fontsize=8)
            if i == 0:
                ax.set_title(dataset, fontsize=10)
            ax.grid(alpha=0.3)
    _legend_below(fig, axes[0, 0])
    fig.suptitle(
        "Downstream accuracy against number of training samples\n(dots: models; line and band: median "
        "and inter-quartile range over models)"
    )
    return _save(fig, path)


def _plot_weak_vs_unsupervised(ok: pd.DataFrame, columns: dict[str, str], path: Path) -> Path:
    kind = np.where(ok["method"].isin(WEAK_METHODS), "weak", "unsupervised")
    ok = ok.assign(_kind=kind)
    datasets = list(dict.fromkeys(ok["dataset"]))
    rows, cols = _grid(len(columns), 3)
    fig = Figure(figsize=(cols * max(3.5, 1.1 * len(datasets) + 1.5), rows * 3.4), layout="constrained")
    for i, (column, name) in enumerate(columns.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        for k, (group, offset) in enumerate((("unsupervised", -0.2), ("weak", 0.2))):
            data, positions = [], []
            for d, dataset in enumerate(datasets):
                values = pd.to_numeric(
                    ok.loc[(ok["dataset"] == dataset) & (ok["_kind"] == group), column], errors="coerce"
                ).dropna()
                if len(values):
                    data.append(values.to_numpy())
                    positions.append(d + offset)
            if data:
                _models_as_points(ax, data, positions, [f"C{k}"] * len(data), 0.35)
            # The legend entry is drawn exactly as the points are.
            ax.scatter([], [], s=16, color=f"C{k}", edgecolors="black", linewidths=0.4, label=group)
        ax.set_xticks(range(len(datasets)), datasets, rotation=30, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(datasets) - 0.4)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(metric_axis_label(name), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    _legend_below(fig, fig.axes[0])
    fig.suptitle(
        "Weakly-supervised against unsupervised methods, over seeds and hyper-parameters\n"
        f"(dots: models; boxes: quartiles where a group has at least {MIN_MODELS_FOR_BOX} models)"
    )
    return _save(fig, path)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown_table(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def write_report(
    source: str | Path | pd.DataFrame,
    out: str | Path | None = None,
    representation: str | None = None,
    progress: bool | None = None,
    extra_figures: dict[str, Path] | None = None,
) -> Path:
    """Write the study's figures and ``report.md``; returns the path of ``report.md``.

    ``source``: a study directory or a results table; ``out`` defaults to ``<study dir>/report``.
    ``representation`` defaults to ``mean`` when the table has it. ``extra_figures`` (title -> path) are
    linked at the end of the summary (the quickstart adds its models' traversals).

    The summary gives the median of each headline score per data set and method, the rank correlations
    between the scores, and links every figure drawn: each data set's score distributions, the rank
    correlations, and, where the table has what they need, scores against regularization strength,
    downstream accuracy against sample size, weak against unsupervised methods, and pair sharing against the
    training correlation.

    Parameters
    ----------
    source : str, path or pandas.DataFrame
        A study's results directory, or a results table (:func:`load_results`).
    out : str or path, optional
        Folder for ``report.md`` and the PNG figures; default ``<source>/report``; required for a DataFrame.
    representation : {"mean", "sampled"}, optional
        The representation whose scores are drawn; default ``"mean"`` when the table has it, else its first.
    progress : bool or None, default None
        Show a progress bar over the figures; None shows them only when stderr is a terminal.
    extra_figures : dict of str to path, optional
        Further figures (title -> image path) linked at the end of the report.

    Returns
    -------
    pathlib.Path
        The path of ``report.md``.

    Raises
    ------
    InvalidValueError
        If ``source`` is a DataFrame and ``out`` is None, the table is empty, or ``representation`` is not in it.
    MissingFileError
        If ``source`` is a path that is not a study directory.

    Examples
    --------
    >>> import pandas as pd
    >>> from gtdata.study import write_report
    >>> table = pd.DataFrame({"run_id": ["a", "b", "c"], "dataset": "toy", "method": "beta_vae", "seed": [0, 1, 2],
    ...                       "representation": "mean", "status": "ok",
    ...                       "mig.discrete_mig": [0.12, 0.31, 0.2], "dci.disentanglement": [0.3, 0.5, 0.4]})
    >>> path = write_report(table, out="report", progress=False)
    >>> sorted(p.name for p in path.parent.iterdir())
    ['distributions_toy.png', 'rank_correlation.png', 'report.md']
    >>> print(path.read_text())  # doctest: +ELLIPSIS
    # Study report: study
    ...
    | dataset | method | runs | MIG | DCI Dis. |
    |---|---|---|---|---|
    | toy | beta_vae | 3 | 0.200 | 0.400 |
    ...
    """
    if isinstance(source, pd.DataFrame):
        if out is None:
            raise InvalidValueError("out is required when the report is drawn from a DataFrame")
        table = source
    else:
        table = load_results(source)
        out = Path(source) / "report" if out is None else out
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if table.empty:
        raise InvalidValueError("the results table is empty: run the study first (gtdata study run ...)")
    reps = list(dict.fromkeys(table["representation"])) if "representation" in table.columns else []
    representation = pick_representation(table, representation)
    ok = _finished(table, representation)
    columns = headline_columns(ok)
    figures: list[tuple[str, Path]] = []
    jobs: list[tuple[str, Any]] = []
    corrs = rank_correlations(table, representation)
    if corrs and columns:
        jobs.append(
            (
                "Rank correlation between metrics, per data set",
                lambda: _plot_rank_correlation(corrs, out / "rank_correlation.png"),
            )
        )
    for dataset, group in ok.groupby("dataset", sort=False):
        if columns:
            name = f"distributions_{_slug(dataset)}.png"
            jobs.append(
                (
                    f"Metric distributions per method and hyper-parameter: {dataset}",
                    lambda g=group, d=dataset, n=name: _plot_distributions(g, columns, d, out / n),
                )
            )
    if columns and not _swept(ok).empty:
        jobs.append(
            (
                "Metrics against regularization strength",
                lambda: _plot_regularization(ok, columns, out / "regularization.png"),
            )
        )
    if any(downstream_sizes(ok, m) for m in DOWNSTREAM):
        jobs.append(
            (
                "Downstream accuracy against number of samples",
                lambda: _plot_downstream(ok, out / "downstream_samples.png"),
            )
        )
    has_weak = ok["method"].isin(WEAK_METHODS)
    if columns and has_weak.any() and (~has_weak).any():
        jobs.append(
            (
                "Weakly-supervised against unsupervised methods",
                lambda: _plot_weak_vs_unsupervised(ok, columns, out / "weak_vs_unsupervised.png"),
            )
        )
    if PAIR_SHARING in ok.columns and "distribution.sigma" in ok.columns and ok[PAIR_SHARING].notna().any():
        jobs.append(
            (
                "Correlated training data: how much the correlated pair shares a latent",
                lambda: _plot_pair_sharing(ok, out / "pair_sharing.png"),
            )
        )
    for title, job in progress_bar(jobs, desc="report figures", unit="fig", progress=progress):
        figures.append((title, job()))
    for title, path in (extra_figures or {}).items():
        figures.append((title, Path(path)))
    text = _summary(table, ok, columns, corrs, representation, reps, figures, out)
    atomic_write_text(out / "report.md", text)
    return out / "report.md"


PAIR_SHARING = "pair_sharing.pair_sharing"


def _with_sigma(ok: pd.DataFrame) -> pd.DataFrame:
    """Rows with a pair-sharing score; σ = ∞ (uncorrelated) where the table holds none (JSON has no inf)."""
    frame = ok[ok[PAIR_SHARING].notna()]
    sigma = pd.to_numeric(frame["distribution.sigma"], errors="coerce").fillna(np.inf)
    return frame.assign(**{"distribution.sigma": sigma})


def pair_sharing_summary(ok: pd.DataFrame) -> pd.DataFrame:
    """Mean and count of the pair-sharing score per method and correlation strength σ (strongest first)."""
    frame = _with_sigma(ok)
    return (
        frame.groupby(["method", "distribution.sigma"])[PAIR_SHARING]
        .agg(["mean", "count"])
        .reset_index()
        .sort_values(["method", "distribution.sigma"])
    )


def _plot_pair_sharing(ok: pd.DataFrame, path: Path) -> Path:
    """Pair sharing against the training data's correlation strength σ: each model a point, the mean a line."""
    import matplotlib.pyplot as plt

    frame = _with_sigma(ok)
    sigmas = sorted(frame["distribution.sigma"].unique())
    positions = {s: i for i, s in enumerate(sigmas)}
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    methods = list(dict.fromkeys(frame["method"]))
    colors = plt.get_cmap("tab10").colors
    for m, (method, group) in enumerate(frame.groupby("method", sort=False)):
        offset = (m - (len(methods) - 1) / 2) * 0.12
        x = group["distribution.sigma"].map(positions).to_numpy(float) + offset
        ax.scatter(
            x,
            group[PAIR_SHARING],
            s=18,
            color=colors[m % 10],
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
            label=f"{method} (each point a model)",
        )
        means = group.groupby("distribution.sigma")[PAIR_SHARING].mean()
        ax.plot(
            [positions[s] + offset for s in means.index],
            means.to_numpy(),
            color=colors[m % 10],
            lw=1.5,
            label=f"{method}: mean",
        )
    ax.set_xticks(range(len(sigmas)))
    ax.set_xticklabels(["∞\n(uncorrelated)" if np.isinf(s) else f"{s:g}" for s in sigmas])
    ax.set_xlabel(
        "correlation strength of the training pair: σ [min-max-scaled factor units]\n(smaller σ = stronger correlation)"
    )
    ax.set_ylabel("pair sharing: max over latents of\nmin(|ρ| with each factor) [Spearman, 0–1]")
    ax.set_ylim(-0.02, 1.0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)  # inside: below the axes it would cover the two-line x label
    return _save(fig, path)


def _slug(name: Any) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(name))


def _summary(
    table: pd.DataFrame,
    ok: pd.DataFrame,
    columns: dict[str, str],
    corrs: dict[str, pd.DataFrame],
    representation: str | None,
    reps: list[str],
    figures: list[tuple[str, Path]],
    out: Path,
) -> str:
    study = table["study"].iloc[0] if "study" in table.columns else "study"
    per_run = table.drop_duplicates("run_id") if "run_id" in table.columns else table
    failed = per_run[per_run["status"] != "ok"] if "status" in per_run.columns else per_run.iloc[:0]
    lines = [f"# Study report: {study}", ""]
    lines.append(
        f"- runs (trained models): {len(per_run)}; finished: {len(per_run) - len(failed)}; failed: {len(failed)}"
    )
    lines.append(f"- data sets: {', '.join(map(str, dict.fromkeys(per_run['dataset'])))}")
    lines.append(f"- methods: {', '.join(map(str, dict.fromkeys(per_run['method'])))}")
    if representation is not None:
        lines.append(
            f"- representation in the figures and tables: `{representation}` (table has: {', '.join(map(str, reps))})"
        )
    for key in ("provenance.gtdata", "provenance.torch", "provenance.scikit_learn"):
        if key in table.columns:
            versions = sorted({str(v) for v in table[key].dropna()})
            lines.append(f"- {key.split('.', 1)[1]}: {', '.join(versions)}")
    lines.append("")
    if columns and not ok.empty:
        lines += [
            "## Median scores per data set and method",
            "",
            "Median over seeds and hyper-parameter values of the finished runs.",
            "",
        ]
        medians = (
            ok.assign(**{c: pd.to_numeric(ok[c], errors="coerce") for c in columns})
            .groupby(["dataset", "method"], sort=False)[list(columns)]
            .median()
            .rename(columns=columns)
            .reset_index()
        )
        counts = ok.groupby(["dataset", "method"], sort=False).size().rename("runs").reset_index()
        medians = counts.merge(medians, on=["dataset", "method"])
        lines += [_markdown_table(medians), ""]
    if PAIR_SHARING in ok.columns and "distribution.sigma" in ok.columns and ok[PAIR_SHARING].notna().any():
        summary = pair_sharing_summary(ok).rename(
            columns={"distribution.sigma": "σ", "mean": "mean pair sharing", "count": "models"}
        )
        summary["σ"] = ["∞ (uncorrelated)" if np.isinf(v) else f"{v:g}" for v in summary["σ"]]
        lines += [
            "## Correlated training data",
            "",
            "Pair sharing (0: each latent follows at most one factor of the correlated pair; about 0.7: one "
            "latent encodes both) of models trained with the pair correlated at strength σ, evaluated on "
            "uncorrelated data. Träuble et al. (ICML 2021): the stronger the correlation (smaller σ), the "
            "more the pair shares latents.",
            "",
            _markdown_table(summary),
            "",
        ]
    if corrs:
        lines += ["## Rank correlation between metrics", ""]
        for dataset, corr in corrs.items():
            lines += [f"### {dataset}", "", _markdown_table(corr.reset_index().rename(columns={"index": ""})), ""]
    if figures:
        lines += ["## Figures", ""]
        for title, path in figures:
            rel = os.path.relpath(path, out)
            lines += [f"### {title}", "", f"![{title}]({rel})", ""]
    if len(failed):
        lines += ["## Failed runs", "", "They are tried again when the study is run again.", ""]
        cols = [
            c
            for c in ("model_num", "run_id", "dataset", "method", "regularization", "seed", "error")
            if c in failed.columns
        ]
        lines += [_markdown_table(failed[cols]), ""]
    return "\n".join(lines)
