"""Cheap, deterministic run functions for executor and driver tests (importable by worker processes)."""

from __future__ import annotations

import torch

from gtdata.study.catalog import Catalog
from gtdata.study.executors import RunTask


def fake_run(task: RunTask) -> dict:
    """Scores that depend on the config and on a torch computation done with the pinned threads."""
    generator = torch.Generator().manual_seed(task.run.seed)
    x = torch.randn(64, 64, generator=generator, dtype=torch.float64)
    beta = float(task.run.hparams.get("beta", 1))
    rows = {
        rep: {
            "fake.score": beta * 0.1 + task.run.seed + (rep == "sampled"),
            "fake.matmul": float((x @ x.T).abs().sum()),
            "fake.threads": torch.get_num_threads(),
        }
        for rep in task.representations
    }
    return {"rows": rows, "info": {"train_time_s": 0.0}}


def failing_run(task: RunTask) -> dict:
    """Fails for seed 1, like a diverged training run."""
    if task.run.seed == 1:
        raise RuntimeError("loss became NaN at step 12")
    return fake_run(task)


def record_prepare(marker: str, datasets: list[str]) -> None:
    """A prepare function that leaves a trace of where and for what it ran."""
    import os

    with open(marker, "a") as fh:
        fh.write(f"{os.getpid()} {','.join(datasets)}\n")


def slow_run(task: RunTask) -> dict:
    """Like fake_run, but takes a while, so a test can kill the study in the middle."""
    import time

    time.sleep(0.4)
    return fake_run(task)


def fixed_catalog() -> Catalog:
    """A fixed vocabulary so spec tests do not depend on which data sets are registered."""
    return Catalog(
        datasets=frozenset(
            {
                "dsprites_like",
                "dsprites_full",
                "color_dsprites",
                "noisy_dsprites",
                "scream_dsprites",
                "smallnorb",
                "cars3d",
                "shapes3d",
                "mpi3d_real",
            }
        ),
        methods={
            "beta_vae": frozenset({"beta"}),
            "annealed_vae": frozenset({"c_max", "gamma", "iteration_threshold"}),
            "factor_vae": frozenset({"gamma"}),
            "dip_vae_i": frozenset({"lambda_od", "lambda_d_factor"}),
            "dip_vae_ii": frozenset({"lambda_od", "lambda_d_factor"}),
            "beta_tc_vae": frozenset({"beta"}),
            "ada_gvae": frozenset({"beta", "k"}),
            "ada_ml_vae": frozenset({"beta", "k"}),
            "group_vae": frozenset({"beta", "k"}),
            "ml_vae": frozenset({"beta", "k"}),
        },
        metrics=frozenset(
            {
                "beta_vae",
                "factor_vae",
                "mig",
                "dci",
                "dci_fast",
                "sap",
                "modularity_explicitness",
                "unsupervised",
                "downstream_logistic_regression",
                "downstream_boosted_trees",
                "fake",
            }
        ),
    )
