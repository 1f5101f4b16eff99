"""Expansion of a study spec into runs with stable ids and the reference's model numbering."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from typing import Any, Mapping

from gtdata.study.catalog import REGULARIZATION_PARAM
from gtdata.study.spec import DEFAULT_LABEL_MODE, DEFAULT_PAIR_MODE, StudySpec, StudySpecError, stable_hash


@dataclass(frozen=True)
class RunConfig:
    """One trained model of a study.

    ``run_id`` hashes the resolved training config (data set, method, hyper-parameters, seed, steps,
    batch size, and a pair or label mode other than the default), so the same model has the same id in
    every study that contains it. ``steps`` counts training iterations (a FactorVAE iteration updates the
    VAE and the discriminator once each). ``pair_mode`` is None for methods that train on single images,
    ``label_mode`` None for methods that are not told which factors changed. ``model_num`` is the position
    in the expansion order — data sets, then methods, then grid points, then seeds — which for the
    ``reference`` preset equals disentanglement_lib's ``dataset_idx*1800 + (method_idx*6 + hp_idx)*50 + seed``.
    """

    run_id: str
    model_num: int
    dataset: str
    method: str
    hparams: Mapping[str, Any]
    seed: int
    steps: int
    batch_size: int
    pair_mode: str | None = None
    label_mode: str | None = None

    def training_config(self) -> dict[str, Any]:
        """The config the id is the hash of (default modes left out, so ids from before they existed hold)."""
        config: dict[str, Any] = {
            "dataset": self.dataset,
            "method": self.method,
            "hparams": dict(self.hparams),
            "seed": self.seed,
            "steps": self.steps,
            "batch_size": self.batch_size,
        }
        if self.pair_mode not in (None, DEFAULT_PAIR_MODE):
            config["pair_mode"] = self.pair_mode
        if self.label_mode not in (None, DEFAULT_LABEL_MODE):
            config["label_mode"] = self.label_mode
        return config

    def train_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`gtdata.training.train` besides data, method and hyper-parameters."""
        modes = {k: v for k, v in (("pair_mode", self.pair_mode), ("label_mode", self.label_mode)) if v is not None}
        return {"steps": self.steps, "seed": self.seed, "batch_size": self.batch_size, **modes}

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
            **{k: v for k, v in (("pair_mode", self.pair_mode), ("label_mode", self.label_mode)) if v is not None},
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
            options = spec.run_options(sweep)
            keys = [k for k, _ in sweep.grid]
            for values in itertools.product(*(v for _, v in sweep.grid)):
                hparams = dict(zip(keys, values))
                for seed in spec.seeds:
                    run = RunConfig("", num, dataset, sweep.method, hparams, seed, options["steps"],
                                    spec.batch_size, options["pair_mode"], options["label_mode"])
                    run_id = stable_hash(run.training_config())
                    if run_id in seen:
                        raise StudySpecError(
                            f"the grid contains the same run twice (model_num {seen[run_id]} and {num}: "
                            f"{sweep.method} {hparams} seed {seed} on {dataset}); remove the overlap"
                        )
                    seen[run_id] = num
                    runs.append(dataclasses.replace(run, run_id=run_id))
                    num += 1
    return runs
