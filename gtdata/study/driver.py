"""Run a study: validate, open the results directory, skip finished runs, execute the rest."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from gtdata.study.catalog import Catalog
from gtdata.study.executors import (
    LocalExecutor,
    PrepareFunction,
    RayExecutor,
    RunFunction,
    RunTask,
    make_executor,
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
    progress: bool | None = None,
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

    Parameters
    ----------
    spec : StudySpec, str, path or mapping
        The study: a spec, a preset name (``"quick"``, ``"reference"``, ...), a YAML file or a dict.
    out : str or path
        The study's results directory: new or empty, or one this same study wrote before (then it resumes).
    executor : {"local", "ray"} or LocalExecutor or RayExecutor, default "local"
        Where the runs execute.
    workers : int, default 1
        ``"local"``: worker processes (1 runs in this process); ``"ray"``: CPUs of the local Ray instance it
        starts when ``address`` is None (1: all of them).
    address : str, optional
        The Ray cluster to join (``"auto"``, ``"host:port"`` or ``"ray://host:port"``); only with ``"ray"``.
    run_fn : callable, optional
        ``run_fn(task: RunTask) -> {"rows": {representation: {column: value}}, "info": {column: value}}``,
        called once per unfinished run; default: train the model and run the metric suite on it.
    prepare : callable, optional
        ``prepare(dataset_names)``, called once (per node on Ray) before the runs; with the default
        ``run_fn`` it defaults to opening each data set, so downloads and preparation happen before training.
    catalog : Catalog, optional
        The names a spec given by name, path or dict is validated against; default: this installation's.
    progress : bool or None, default None
        Show a progress bar over the runs; None shows them only when stderr is a terminal.
    pack : int or "auto", default 1
        Runs trained together as one pack (see above).

    Returns
    -------
    pandas.DataFrame
        The results table, also written to ``out/results.csv`` and ``out/results.jsonl``: one row per run and
        representation, with the config columns (``run_id``, ``model_num``, ``dataset``, ``method``, ``seed``,
        ``hparam.*``, ...), ``status`` and ``error``, the metric columns (``<metric>.<score>``), timing and
        provenance.

    Raises
    ------
    StudySpecError
        If the spec is invalid.
    StudyDirError
        If ``out`` holds a different study, or is a non-empty directory that is not a study's.
    StudyExecutionError
        If Ray is missing or unreachable, or a worker process dies.
    InvalidValueError
        If ``executor`` is not ``"local"`` or ``"ray"``, ``address`` is given with ``"local"``, or ``workers``
        or ``pack`` is not valid.

    See Also
    --------
    load_results : read the table back.
    write_report : draw the study's figures.

    Examples
    --------
    The quick study trains 6 small models on the rendered ``dsprites_like`` set (minutes on a CPU):

    >>> import gtdata
    >>> table = gtdata.run_study("quick", "quick_study")  # doctest: +SKIP

    Here a stand-in run function takes the place of training, to show what the driver does around it:

    >>> spec = {"name": "demo", "datasets": ["toy"], "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    ...         "seeds": 2, "steps": 10, "metrics": ["mig"]}
    >>> def fake_run(task):  # a score for each representation, as train-and-evaluate returns
    ...     score = task.run.hparams["beta"] / 10 + task.run.seed / 100
    ...     return {"rows": {"mean": {"mig.discrete_mig": score}}}
    >>> table = gtdata.run_study(spec, "demo_study", run_fn=fake_run, progress=False)
    >>> table[["method", "hparam.beta", "seed", "status", "mig.discrete_mig"]]
         method  hparam.beta  seed status  mig.discrete_mig
    0  beta_vae            1     0     ok              0.10
    1  beta_vae            1     1     ok              0.11
    2  beta_vae            4     0     ok              0.40
    3  beta_vae            4     1     ok              0.41

    Running it again skips the finished runs (this run function would fail every run it got):

    >>> def must_not_run(task):
    ...     raise RuntimeError("trained again")
    >>> again = gtdata.run_study(spec, "demo_study", run_fn=must_not_run, progress=False)
    >>> list(again["status"])
    ['ok', 'ok', 'ok', 'ok']
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
        RunTask(
            run=run,
            representations=spec.representations,
            metrics=spec.metrics,
            metric_options=dict(spec.metric_options),
            threads=spec.threads,
            device=spec.device,
            run_dir=str(store.run_dir(run.run_id).resolve()),
        )
        for run in runs
        if run.run_id not in finished
    ]
    try:
        executor.run(
            tasks,
            run_fn,
            store.record,
            prepare=prepare,
            datasets=spec.datasets,
            progress=progress,
            desc=f"study {spec.name}",
        )
    finally:
        table = store.write_table()
    return table
