"""A synthetic results table with known structure, for report tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_table(seed: int = 0) -> pd.DataFrame:
    """Two data sets x (beta_vae, factor_vae, ada_gvae) x 4 strengths x 5 seeds, mean and sampled rows.

    ``mig`` rises with the strength; ``dci`` is exp(mig) (rank correlation 1 with mig); ``sap`` is -mig
    (rank correlation -1); ``beta_vae`` is noise; downstream accuracy rises with the number of samples.
    Model 7 failed.
    """
    rng = np.random.default_rng(seed)
    sweeps = {
        "beta_vae": ("beta", [1, 2, 4, 8]),
        "factor_vae": ("gamma", [10, 20, 50, 100]),
        "ada_gvae": ("beta", [1, 2, 4, 8]),
    }
    rows = []
    num = 0
    for dataset in ("shapes_a", "shapes_b"):
        for method, (param, values) in sweeps.items():
            for hp_idx, value in enumerate(values):
                for seed_ in range(5):
                    mig = 0.1 * hp_idx + 0.02 * seed_ + rng.normal(0, 0.01) + (0.2 if method == "ada_gvae" else 0)
                    for rep in ("mean", "sampled"):
                        row = {
                            "study": "synthetic",
                            "run_id": f"r{num:04d}",
                            "model_num": num,
                            "dataset": dataset,
                            "method": method,
                            "seed": seed_,
                            "representation": rep,
                            "regularization_param": param,
                            "regularization": value,
                            f"hparam.{param}": value,
                            "status": "ok",
                            "error": None,
                            "mig.discrete_mig": mig,
                            "dci.disentanglement": float(np.exp(mig)),
                            "sap.SAP_score": -mig,
                            "beta_vae.eval_accuracy": rng.uniform(0.5, 1.0),
                        }
                        for n, acc in ((10, 0.3), (100, 0.5), (1000, 0.8)):
                            row[f"downstream_logistic_regression.{n}:mean_test_accuracy"] = acc + 0.01 * hp_idx
                        if num == 7:
                            row.update(
                                {
                                    "status": "failed",
                                    "error": "RuntimeError: loss became NaN | step 3",
                                    "mig.discrete_mig": None,
                                    "dci.disentanglement": None,
                                    "sap.SAP_score": None,
                                    "beta_vae.eval_accuracy": None,
                                }
                            )
                        rows.append(row)
                    num += 1
    return pd.DataFrame(rows)
