"""Run a study: validate, open the results directory, skip finished runs, execute the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from gtdata.study.catalog import Catalog
from gtdata.study.executors import (
    LocalExecutor, PrepareFunction, RayExecutor, RunFunction, RunTask, make_executor,
)
from gtdata.study.results import ResultStore
from gtdata.study.runs import expand
from gtdata.study.spec import StudySpec, load_spec


def run_study(
    spec: StudySpec | str | Path | Mapping[str, Any],
    out: str | Path,
    executor: str | LocalExecutor | RayExecutor = "local",
    workers: int = 1,
    address: str | None = None,
    run_fn: RunFunction | None = None,
    prepare: PrepareFunction | None = None,
    catalog: Catalog | None = None,
    progress: bool = True,
    pack: int | str = 1,
) -> pd.DataFrame:
    """Run every unfinished run of ``spec`` (a StudySpec, preset name, YAML path or dict) into ``out``.

    Spec errors, a results directory of a different study, and a missing or unreachable Ray are all
    reported before any run starts. Finished runs are skipped; failed runs are recorded with their
    error and tried again on the next call. Returns the results table (one row per run and
    representation). ``run_fn`` defaults to training and evaluating each model; with the default,
    the data sets are prepared once (per node on Ray) before the runs. ``pack`` (a positive integer or
    ``"auto"``) trains up to that many compatible runs as one pack (:func:`gtdata.train_pack`), with the
    same results; it applies when ``executor`` is given by name.
    """
    if not isinstance(spec, StudySpec):
        spec = load_spec(spec, catalog)
    runs = expand(spec)
    if isinstance(executor, str):
        executor = make_executor(executor, workers=workers, address=address, pack=pack)
    executor.check()
    store = ResultStore(out, spec)
    if run_fn is None:
        from gtdata.study.runner import prepare_datasets, train_and_evaluate

        run_fn = train_and_evaluate
        prepare = prepare if prepare is not None else prepare_datasets
    finished = store.finished()
    tasks = [
        RunTask(run=run, representations=spec.representations, metrics=spec.metrics,
                metric_options=dict(spec.metric_options), threads=spec.threads, device=spec.device,
                run_dir=str(store.run_dir(run.run_id).resolve()))
        for run in runs if run.run_id not in finished
    ]
    try:
        executor.run(tasks, run_fn, store.record, prepare=prepare, datasets=spec.datasets,
                     progress=progress, desc=f"study {spec.name}")
    finally:
        table = store.write_table()
    return table
