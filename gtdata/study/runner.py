"""The study's run function: train one model, then evaluate each representation with the metric suite."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gtdata.study.executors import RunTask
from gtdata.study.spec import stable_hash


def eval_seed(run_id: str, representation: str) -> int:
    """The metric suite's seed for one run and representation (stable, independent of other runs)."""
    return int(stable_hash({"run_id": run_id, "representation": representation}), 16) % 2**31


def prepare_datasets(names: Sequence[str]) -> None:
    """Open each data set once, so benchmark sets are downloaded and prepared before the runs start."""
    from gtdata.registry import load

    for name in names:
        load(name)


def _data_checksums(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The checksums a data set records about itself (source files or render spec)."""
    found: dict[str, Any] = {}
    for key, value in metadata.items():
        if any(tag in key.lower() for tag in ("sha256", "md5", "checksum")):
            found[key] = value
        elif isinstance(value, Mapping):
            for sub, inner in _data_checksums(value).items():
                found[f"{key}.{sub}"] = inner
    return found


def train_and_evaluate(task: RunTask) -> dict[str, Any]:
    """Train ``task.run`` into ``<run_dir>/train`` (resuming if a previous attempt was cut short), then run
    the metric suite on each representation; the metrics.json of each lands in the run directory."""
    from gtdata.training import train

    run = task.run
    run_dir = Path(task.run_dir)
    start = time.perf_counter()
    trained = train(
        data=run.train_data(),
        method=run.method,
        out=run_dir / "train",
        **run.train_options(),
        device=task.device,
        threads=task.threads,
        progress=False,
        figures=False,
        **dict(run.hparams),
    )
    return _evaluate(task, trained, time.perf_counter() - start)


def train_and_evaluate_pack(tasks: Sequence[RunTask]) -> list[dict[str, Any] | Exception]:
    """:func:`train_and_evaluate` for compatible runs trained as one pack (:func:`gtdata.train_pack`): the
    same run directories and configs, so the same results; per task its result or the exception that
    stopped it (a diverged member fails alone). ``train_time_s`` is the pack's training time per member."""
    from gtdata.training import TrainConfig, load_run
    from gtdata.training.pack import train_configs_packed

    start = time.perf_counter()
    configs = [
        TrainConfig(
            data=t.run.train_data(),
            method=t.run.method,
            hparams=dict(t.run.hparams),
            **t.run.train_options(),
            device=t.device,
            threads=t.threads,
        )
        for t in tasks
    ]
    trained = train_configs_packed(configs, [Path(t.run_dir) / "train" for t in tasks], progress=False, figures=False)
    train_time = (time.perf_counter() - start) / len(tasks)
    results: list[dict[str, Any] | Exception] = []
    for task, outcome in zip(tasks, trained):
        if isinstance(outcome, Exception):
            results.append(outcome)
            continue
        try:
            results.append(_evaluate(task, load_run(outcome, device=task.device), train_time))
        except Exception as exc:  # one member's evaluation failing does not fail the others
            results.append(exc)
    return results


train_and_evaluate.run_pack = train_and_evaluate_pack  # type: ignore[attr-defined]  # executors pack with it


def _evaluate(task: RunTask, trained: Any, train_time: float) -> dict[str, Any]:
    """The metric suite on each representation of a trained run, and the run's info columns."""
    import json

    import sklearn
    import torch

    from gtdata._version import __version__
    from gtdata.metrics.evaluate import run_suite, write_metrics_json

    run = task.run
    run_dir = Path(task.run_dir)
    data = trained.data
    if run.eval_data() is not None:
        from gtdata.training.data import resolve_data

        data = resolve_data(run.eval_data())
    log = trained.log()
    last = log[-1] if log else {}
    info: dict[str, Any] = {
        "train_time_s": train_time,
        **{f"train.{k}": v for k, v in last.items() if k in ("loss", "reconstruction", "kl", "elbo", "regularizer")},
        "provenance.gtdata": __version__,
        "provenance.torch": torch.__version__,
        "provenance.numpy": __import__("numpy").__version__,
        "provenance.scikit_learn": sklearn.__version__,
        "provenance.device": str(trained.device),
        "provenance.threads": torch.get_num_threads(),
        "provenance.train_seed": run.seed,
        "provenance.data_checksums": json.dumps(_data_checksums(getattr(data, "metadata", {}) or {}), sort_keys=True),
        "run_dir": str(run_dir / "train"),
    }
    rows: dict[str, dict[str, Any]] = {}
    for rep in task.representations:
        seed = eval_seed(run.run_id, rep)
        t0 = time.perf_counter()
        evaluation = run_suite(
            data,
            trained.representation(rep, seed=seed),
            task.metrics,
            seed=seed,
            options={m: dict(o) for m, o in task.metric_options.items()},
            n_jobs=task.threads,
        )
        write_metrics_json(run_dir / f"metrics_{rep}.json", evaluation)
        rows[rep] = {**evaluation.scores, "eval_time_s": time.perf_counter() - t0, "provenance.eval_seed": seed}
    return {"rows": rows, "info": info}
