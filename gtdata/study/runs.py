"""Expansion of a study spec into runs with stable ids and the reference's model numbering."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping

from gtdata.study.catalog import REGULARIZATION_PARAM
from gtdata.study.spec import StudySpec, StudySpecError, stable_hash


@dataclass(frozen=True)
class RunConfig:
    """One trained model of a study.

    ``run_id`` hashes the resolved training config (data set, method, hyper-parameters, seed, steps,
    batch size), so the same model has the same id in every study that contains it. ``model_num``
    is the position in the expansion order — data sets, then methods, then grid points, then seeds —
    which for the ``reference`` preset equals disentanglement_lib's
    ``dataset_idx*1800 + (method_idx*6 + hp_idx)*50 + seed``.
    """

    run_id: str
    model_num: int
    dataset: str
    method: str
    hparams: Mapping[str, Any]
    seed: int
    steps: int
    batch_size: int

    def training_config(self) -> dict[str, Any]:
        """The config the id is the hash of."""
        return {
            "dataset": self.dataset,
            "method": self.method,
            "hparams": dict(self.hparams),
            "seed": self.seed,
            "steps": self.steps,
            "batch_size": self.batch_size,
        }

    def columns(self) -> dict[str, Any]:
        """Config columns of this run's rows in the results table."""
        reg = REGULARIZATION_PARAM.get(self.method)
        return {
            "run_id": self.run_id,
            "model_num": self.model_num,
            "dataset": self.dataset,
            "method": self.method,
            "seed": self.seed,
            "steps": self.steps,
            "batch_size": self.batch_size,
            **{f"hparam.{k}": v for k, v in self.hparams.items()},
            "regularization_param": reg,
            "regularization": self.hparams.get(reg) if reg else None,
        }


def expand(spec: StudySpec) -> list[RunConfig]:
    """All runs of ``spec`` in model_num order; raises if two grid points resolve to the same run."""
    runs: list[RunConfig] = []
    seen: dict[str, int] = {}
    num = 0
    for dataset in spec.datasets:
        for sweep in spec.methods:
            keys = [k for k, _ in sweep.grid]
            for values in itertools.product(*(v for _, v in sweep.grid)):
                hparams = dict(zip(keys, values))
                for seed in spec.seeds:
                    config = {
                        "dataset": dataset, "method": sweep.method, "hparams": hparams,
                        "seed": seed, "steps": spec.steps, "batch_size": spec.batch_size,
                    }
                    run_id = stable_hash(config)
                    if run_id in seen:
                        raise StudySpecError(
                            f"the grid contains the same run twice (model_num {seen[run_id]} and {num}: "
                            f"{sweep.method} {hparams} seed {seed} on {dataset}); remove the overlap"
                        )
                    seen[run_id] = num
                    runs.append(RunConfig(run_id, num, dataset, sweep.method, hparams, seed,
                                          spec.steps, spec.batch_size))
                    num += 1
    return runs
