"""Expansion of a study spec into runs with stable ids and the reference's model numbering."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    Runs are made by :func:`expand`; build one by hand only to call the trainer or an executor directly.

    Parameters
    ----------
    run_id : str
        Stable id: 16 hex digits of the hash of :meth:`training_config` (``expand`` computes it).
    model_num : int
        Position in the study's expansion order, from 0.
    dataset : str
        Registered data set name or alias, or a path to a prepared data set.
    method : str
        Method name (:func:`gtdata.models.method_names`).
    hparams : mapping of str to value
        The method's hyper-parameters at this grid point.
    seed : int
        Training seed.
    steps : int
        Training iterations.
    batch_size : int
        Observations (or pairs) per training step.
    pair_mode : str, optional
        How a weakly supervised method's pairs are drawn (``"exact"`` or ``"reference"``); None for the others.
    label_mode : str, optional
        Which changed factors a label method is told (``"all"`` or ``"last"``); None for the others.
    distribution : None, str or mapping, optional
        The training distribution: None (the data set's uniform draws), a path to an SCM file, a
        ``{"correlated": {...}}`` entry or an SCM mapping, as in the spec's ``distributions``.
    ood_split : mapping, optional
        The spec's ``ood_split`` (``{"kind": ..., "ratio": ...}``): train on its train side, evaluate on its test side.
    evaluate_on : {"training", "uniform"}, default "training"
        What the metrics draw from: the training distribution, or the uncorrelated / uniform one.
    sampler : mapping, optional
        A weak method's pair sampler, ``{"name": "pairs" | "counterfactual", **options}``.

    See Also
    --------
    expand : the runs of a spec.

    Examples
    --------
    >>> from gtdata.study import RunConfig
    >>> run = RunConfig("manual", 0, "toy", "beta_vae", {"beta": 4}, seed=0, steps=100, batch_size=64)
    >>> run.training_config()
    {'dataset': 'toy', 'method': 'beta_vae', 'hparams': {'beta': 4}, 'seed': 0, 'steps': 100, 'batch_size': 64}
    >>> run.train_options()
    {'steps': 100, 'seed': 0, 'batch_size': 64}
    >>> run.columns()["regularization_param"], run.columns()["regularization"]
    ('beta', 4)
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
    distribution: Any = None
    ood_split: Mapping[str, Any] | None = None
    evaluate_on: str = "training"
    sampler: Mapping[str, Any] | None = None

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
        if self.distribution is not None:
            config["distribution"] = self.distribution
        if self.ood_split is not None:
            config["ood_split"] = dict(self.ood_split)
        if self.evaluate_on != "training":
            config["evaluate_on"] = self.evaluate_on
        if self.sampler is not None:
            config["sampler"] = dict(self.sampler)
        return config

    def train_data(self) -> Any:
        """The ``data`` of the run's training config: the data set's name, or a mapping with its regime."""
        if self.distribution is None and self.ood_split is None:
            return self.dataset
        data: dict[str, Any] = {"name": self.dataset}
        if self.ood_split is not None:
            data["ood"] = {**self.ood_split, "side": "train"}
        if self.distribution is not None:
            data["distribution"] = self.distribution
        return data

    def eval_data(self) -> Any:
        """What the metrics draw from: the training data, or uniform draws (on the OOD test side, if any)."""
        if self.evaluate_on == "training" and self.ood_split is None:
            return None  # the trained model's own data
        data: dict[str, Any] = {"name": self.dataset}
        if self.ood_split is not None:
            data["ood"] = {**self.ood_split, "side": "test"}
        if self.evaluate_on == "training" and self.distribution is not None:
            data["distribution"] = self.distribution
        elif isinstance(self.distribution, Mapping) and "correlated" in self.distribution:
            # uncorrelated: the same pairs decoupled (σ = ∞), factors held by ``fixed`` kept where they were
            data["distribution"] = {"correlated": {**self.distribution["correlated"], "sigma": "inf"}}
        return data

    def train_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`gtdata.training.train` besides data, method and hyper-parameters."""
        modes = {k: v for k, v in (("pair_mode", self.pair_mode), ("label_mode", self.label_mode)) if v is not None}
        if self.sampler is not None:
            sampler = dict(self.sampler)
            if sampler["name"] == "counterfactual" and "scm" not in sampler:
                # intervene on the run's own distribution; "uniform" is the model of independent uniform roots
                sampler["scm"] = self.distribution if self.distribution is not None else {"kind": "scm", "nodes": {}}
            modes["sampler"] = sampler
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
            **self.regime_columns(),
        }

    def regime_columns(self) -> dict[str, Any]:
        """``distribution`` (a label), ``distribution.sigma`` (a correlated pair's strength), ``ood_split`` and
        ``evaluate_on`` — only for studies that set a data regime, so older tables keep their columns."""
        if self.distribution is None and self.ood_split is None and self.evaluate_on == "training":
            return {}
        out: dict[str, Any] = {"distribution": distribution_label(self.distribution), "evaluate_on": self.evaluate_on}
        if isinstance(self.distribution, Mapping) and "correlated" in self.distribution:
            sigma = self.distribution["correlated"]["sigma"]
            out["distribution.sigma"] = float(sigma if not isinstance(sigma, list) else sigma[0])
        elif self.distribution is None:
            out["distribution.sigma"] = float("inf")
        if self.ood_split is not None:
            out["ood_split"] = self.ood_split["kind"]
        return out


def distribution_label(distribution: Any) -> str:
    """A short label of a study distribution entry: uniform, correlated(a~b σ=s), a file name or an SCM's name."""
    if distribution is None:
        return "uniform"
    if isinstance(distribution, str):
        return Path(distribution).name
    if "correlated" in distribution:
        c = distribution["correlated"]
        pairs = c["pairs"] if c["pairs"] and isinstance(c["pairs"][0], list) else [c["pairs"]]
        sigma = c["sigma"] if isinstance(c["sigma"], list) else [c["sigma"]] * len(pairs)
        method = "" if c.get("method", "gaussian") == "gaussian" else f"{c['method']} "
        return "correlated(" + method + ", ".join(f"{a}~{b} σ={s}" for (a, b), s in zip(pairs, sigma)) + ")"
    return str(distribution.get("name", "scm"))


def expand(spec: StudySpec) -> list[RunConfig]:
    """All runs of ``spec`` in model_num order; raises if two grid points resolve to the same run.

    The order is data sets, then distributions, then method entries, then grid points (the first
    hyper-parameter slowest), then seeds.

    Parameters
    ----------
    spec : StudySpec
        A validated spec (:func:`load_spec`, :func:`preset` or :meth:`StudySpec.from_dict`).

    Returns
    -------
    list of RunConfig
        ``spec.num_runs`` runs, ``model_num`` 0, 1, 2, ...; each ``run_id`` depends only on the run's
        training config, so the same model has the same id in every study.

    Raises
    ------
    StudySpecError
        If two grid points give the same run (e.g. the same method entry twice); the message names both.

    Examples
    --------
    >>> from gtdata.study import expand, load_spec
    >>> spec = load_spec({"datasets": ["toy"], "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    ...                   "seeds": 2, "steps": 10, "metrics": ["mig"]})
    >>> for run in expand(spec):
    ...     print(run.model_num, run.run_id, run.method, dict(run.hparams), run.seed)
    0 ab624182e75caf2c beta_vae {'beta': 1} 0
    1 70bf14b093111c76 beta_vae {'beta': 1} 1
    2 dbb69b4e29f24630 beta_vae {'beta': 4} 0
    3 80227eefc96893fb beta_vae {'beta': 4} 1
    """
    runs: list[RunConfig] = []
    seen: dict[str, int] = {}
    num = 0
    for dataset, distribution in itertools.product(spec.datasets, spec.distributions):
        for sweep in spec.methods:
            options = spec.run_options(sweep)
            keys = [k for k, _ in sweep.grid]
            for values in itertools.product(*(v for _, v in sweep.grid)):
                hparams = dict(zip(keys, values))
                for seed in spec.seeds:
                    run = RunConfig(
                        "",
                        num,
                        dataset,
                        sweep.method,
                        hparams,
                        seed,
                        options["steps"],
                        spec.batch_size,
                        options["pair_mode"],
                        options["label_mode"],
                        distribution,
                        spec.ood_split,
                        spec.evaluate_on,
                        options["sampler"],
                    )
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
