"""``gtdata quickstart``: the whole pipeline on the built-in rendered set, on a laptop CPU, no download.

Renders ``dsprites_like`` on the fly, trains a beta-VAE (beta = 4) and an Ada-GVAE (beta = 1, k = 1) for
1,200 steps each, evaluates the metric suite with the reduced sample sizes of the ``quick`` preset, and writes
the study report with each model's reconstructions and latent traversals. The models are far from
converged (the study trains 300,000 steps): the numbers show the pipeline works, not how good the methods are.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from gtdata.study.presets import QUICK_METRIC_OPTIONS, QUICK_METRICS

QUICKSTART_SPEC: dict[str, Any] = {
    "name": "quickstart",
    "description": "beta-VAE and Ada-GVAE on the rendered dsprites_like set, 1,200 steps, reduced metric sizes",
    "datasets": ["dsprites_like"],
    "methods": [
        {"method": "beta_vae", "beta": 4},
        {"method": "ada_gvae", "beta": 1, "k": 1},
    ],
    "seeds": [0],
    "steps": 1200,
    "batch_size": 64,
    "representation": ["mean"],
    "metrics": QUICK_METRICS,
    "metric_options": QUICK_METRIC_OPTIONS,
    "threads": 1,
    "device": "cpu",
}
SUMMARY_COLUMNS = {
    "beta_vae.eval_accuracy": "BetaVAE",
    "factor_vae.eval_accuracy": "FactorVAE",
    "mig.discrete_mig": "MIG",
    "dci_fast.disentanglement": "DCI(fast)",
    "sap.SAP_score": "SAP",
    "modularity_explicitness.modularity_score": "Modularity",
    "downstream_logistic_regression.1000:mean_test_accuracy": "LR acc(1000)",
}


def quickstart(
    out: str | Path = "gtdata-quickstart", workers: int | None = None, progress: bool | None = None
) -> tuple[pd.DataFrame, Path]:
    """Run the quickstart study into ``out`` and write its report; returns (results table, report.md path).

    ``workers`` defaults to two local processes when the machine has two cores or more (one model each).
    Running it again resumes: finished models are not trained again.
    """
    from gtdata.study.driver import run_study
    from gtdata.study.report import write_report
    from gtdata.training import load_run

    out = Path(out)
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) >= 2 else 1
    table = run_study(QUICKSTART_SPEC, out, workers=workers, progress=progress)
    extra: dict[str, Path] = {}
    for row in table[table["status"] == "ok"].drop_duplicates("run_id").itertuples():
        figures = load_run(row.run_dir, device="cpu").figures()
        extra[f"{row.method}: reconstructions (odd rows: inputs)"] = figures["reconstructions.png"]
        extra[f"{row.method}: latent traversals (one row per latent, -2 to 2)"] = figures["traversals.png"]
    report = write_report(out, progress=progress, extra_figures=extra)
    return table, report


def summary_text(table: pd.DataFrame) -> str:
    """A short fixed-width table of the main scores per model, for the terminal."""
    cols = {c: label for c, label in SUMMARY_COLUMNS.items() if c in table.columns}
    lines = ["method      status  " + "  ".join(f"{label:>12}" for label in cols.values())]
    for row in table.to_dict("records"):
        values = "  ".join(
            f"{row[c]:>12.3f}" if isinstance(row[c], float) and row[c] == row[c] else f"{'-':>12}" for c in cols
        )
        lines.append(f"{row['method']:<11} {row['status']:<6}  {values}")
    return "\n".join(lines)
