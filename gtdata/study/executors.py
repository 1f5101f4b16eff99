"""Executors: run a study's tasks locally (sequentially or in worker processes) or on a Ray cluster.

An executor calls a *run function* ``run_fn(task) -> {"rows": {representation: {column: value}},
"info": {column: value}}`` once per run and hands each outcome to a callback in the driver process,
which is the only writer of results. ``run_fn`` is injectable (tests use cheap ones); the study's is
:func:`gtdata.study.runner.train_and_evaluate`. Every run pins torch's thread count first, so a run gives
the same numbers whichever executor or process runs it.

Packing (``pack=K`` or ``"auto"``): compatible runs -- same data set, method, steps and batch size, which
differ only in seed and hyper-parameters -- are grouped, in model_num order, into jobs of up to K runs. A
run function with a ``run_pack`` attribute (the study's has one: :func:`gtdata.study.runner.
train_and_evaluate_pack`) trains each job as one pack (:func:`gtdata.train_pack`); others are called run by
run inside the job. Each run still gets its own outcome, so results, ids and the table do not depend on
packing.
"""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from gtdata.core.errors import GtdataError, InvalidValueError
from gtdata.core.progress import progress_bar
from gtdata.study.runs import RunConfig

RunFunction = Callable[["RunTask"], Mapping[str, Any]]
PackFunction = Callable[[Sequence["RunTask"]], Sequence[Any]]
OutcomeCallback = Callable[[RunConfig, dict], None]
PrepareFunction = Callable[[Sequence[str]], None]


class StudyExecutionError(GtdataError, RuntimeError):
    """The executor cannot start (missing Ray, no cluster) or lost its workers."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; picklable.

    :func:`run_study` makes one per unfinished run and hands them to an executor, which calls the run function
    on each.

    Parameters
    ----------
    run : RunConfig
        The model to train.
    representations : tuple of {"mean", "sampled"}
        Representations to evaluate the trained model on.
    metrics : tuple of str
        Metric names of the suite.
    metric_options : mapping, default {}
        Metric name -> its options (sample sizes, bins).
    threads : int, default 1
        CPU threads the run may use; torch, BLAS and OpenMP are pinned to it.
    device : str, default "auto"
        Training device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    run_dir : str, default ""
        Absolute path of the run's directory in the study (the trainer writes into ``<run_dir>/train``).

    Examples
    --------
    >>> from gtdata.study import RunConfig, RunTask
    >>> run = RunConfig("run0", 0, "toy", "beta_vae", {"beta": 4}, seed=0, steps=10, batch_size=64)
    >>> task = RunTask(run, representations=("mean",), metrics=("mig",), metric_options={"mig": {"num_train": 100}})
    >>> def run_fn(task):  # the shape of a run function's result: rows per representation, info per run
    ...     return {"rows": {rep: {"mig.discrete_mig": 0.1} for rep in task.representations}, "info": {}}
    >>> run_fn(task)["rows"]
    {'mean': {'mig.discrete_mig': 0.1}}
    """

    run: RunConfig
    representations: tuple[str, ...]
    metrics: tuple[str, ...]
    metric_options: Mapping[str, Any] = field(default_factory=dict)
    threads: int = 1
    device: str = "auto"
    run_dir: str = ""


def execute(run_fn: RunFunction, task: RunTask) -> dict[str, Any]:
    """Run one task with torch, BLAS and OpenMP pinned to ``task.threads``; an exception becomes a failed
    outcome. Pinning every pool makes a run's numbers independent of the process that runs it (Ray sets
    ``OMP_NUM_THREADS=1``, a plain process uses all cores)."""
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(task.threads)
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=task.threads):
            result = dict(run_fn(task))
        outcome = {"status": "ok", "error": None, "rows": result.get("rows", {}), "info": result.get("info", {})}
    except Exception as exc:  # the sweep goes on; the error is recorded with the run
        outcome = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "rows": {},
            "info": {},
        }
    finally:
        torch.set_num_threads(previous)
    outcome["elapsed_s"] = time.perf_counter() - start
    return outcome


def resolve_pack(pack: int | str, device: str = "auto") -> int:
    """The pack size of ``pack``: a positive integer as given, or ``"auto"``, chosen from ``device`` by
    :func:`gtdata.training.pack.auto_pack_size` (1 on the CPU, more on a CUDA device)."""
    if pack == "auto":
        from gtdata.training.pack import auto_pack_size

        return auto_pack_size(device)
    if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
        raise InvalidValueError(f"pack must be a positive integer or 'auto', got {pack!r}")
    return pack


def pack_key(task: RunTask) -> str:
    """What runs of one pack share: the training config without seed, hyper-parameters and pair/label modes."""
    config = {
        k: v for k, v in task.run.training_config().items() if k not in ("seed", "hparams", "pair_mode", "label_mode")
    }
    return json.dumps({**config, "device": task.device, "threads": task.threads}, sort_keys=True, default=str)


def group_tasks(tasks: Sequence[RunTask], pack: int) -> list[list[RunTask]]:
    """``tasks`` cut into jobs of up to ``pack`` compatible runs (see :func:`pack_key`), in the order of their
    first run; ``pack=1`` gives one job per run.

    Examples
    --------
    >>> from gtdata.study.runs import RunConfig
    >>> runs = [RunConfig(f"id{i}", i, "toy", m, {}, i, 10, 64) for i, m in enumerate("aabab")]
    >>> [[t.run.model_num for t in job] for job in group_tasks([RunTask(r, (), ()) for r in runs], 2)]
    [[0, 1], [2, 4], [3]]
    """
    jobs: list[list[RunTask]] = []
    open_jobs: dict[str, list[RunTask]] = {}
    for task in tasks:
        key = pack_key(task)
        job = open_jobs.get(key)
        if job is None or len(job) >= pack:
            job = open_jobs[key] = []
            jobs.append(job)
        job.append(task)
    return jobs


def execute_pack(run_fn: RunFunction, tasks: Sequence[RunTask]) -> list[dict[str, Any]]:
    """Run one job of compatible tasks: as one pack through ``run_fn.run_pack`` when it has one (its results
    per task: a result mapping or an exception), else task by task with :func:`execute`."""
    run_pack: PackFunction | None = getattr(run_fn, "run_pack", None)
    if run_pack is None or len(tasks) == 1:
        return [execute(run_fn, task) for task in tasks]
    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    torch.set_num_threads(tasks[0].threads)
    start = time.perf_counter()
    try:
        with threadpool_limits(limits=tasks[0].threads):
            results = list(run_pack(tasks))
    except Exception as exc:  # the pack could not train: every run of it fails with that error
        trace = traceback.format_exc()
        results = [exc] * len(tasks)
        traces = [trace] * len(tasks)
    else:
        traces = ["".join(traceback.format_exception(r)) if isinstance(r, BaseException) else None for r in results]
    finally:
        torch.set_num_threads(previous)
    elapsed = (time.perf_counter() - start) / len(tasks)
    outcomes = []
    for result, trace in zip(results, traces, strict=True):
        if isinstance(result, BaseException):
            outcome = {
                "status": "failed",
                "error": f"{type(result).__name__}: {result}",
                "traceback": trace,
                "rows": {},
                "info": {},
            }
        else:
            result = dict(result)
            outcome = {"status": "ok", "error": None, "rows": result.get("rows", {}), "info": result.get("info", {})}
        outcome["elapsed_s"] = elapsed
        outcomes.append(outcome)
    return outcomes


class LocalExecutor:
    """Runs tasks in this process (``workers=1``) or in ``workers`` spawned processes; ``pack`` runs up to
    that many compatible runs as one pack (an integer, or ``"auto"``: chosen from the runs' device).

    ``run(tasks, run_fn, on_outcome, prepare=None, datasets=(), progress=None, desc="study")`` prepares the
    data sets once, then calls ``run_fn`` on every task and ``on_outcome(run, outcome)`` in this process as
    each finishes. An exception in ``run_fn`` becomes a ``"failed"`` outcome with its error, and the other runs
    go on; a worker process that dies raises :class:`StudyExecutionError` (finished runs are kept).

    Parameters
    ----------
    workers : int, default 1
        1 runs the tasks one after another in this process; more spawns that many worker processes (a run
        function must then be picklable: a top-level function of a module or script, not one defined in a
        notebook or an interactive session).
    pack : int or "auto", default 1
        Up to this many runs that differ only in seed and hyper-parameters train together as one pack
        (:func:`gtdata.train_pack`), with the same results; ``"auto"`` picks the size from the runs' device.

    Raises
    ------
    InvalidValueError
        If ``workers`` is not a positive integer or ``pack`` is neither a positive integer nor ``"auto"``.

    See Also
    --------
    RayExecutor : the same on a Ray cluster.

    Examples
    --------
    >>> from gtdata.study import LocalExecutor, RunConfig, RunTask
    >>> runs = [RunConfig(f"run{i}", i, "toy", "beta_vae", {"beta": b}, 0, 10, 64) for i, b in enumerate([1, 4])]
    >>> tasks = [RunTask(run, representations=("mean",), metrics=("mig",)) for run in runs]
    >>> def fake_run(task):  # stands in for training and evaluation (gtdata.study.runner.train_and_evaluate)
    ...     if task.run.hparams["beta"] > 2:
    ...         raise RuntimeError("diverged")
    ...     return {"rows": {"mean": {"mig.discrete_mig": 0.1}}}
    >>> outcomes = {}
    >>> LocalExecutor(workers=1).run(tasks, fake_run, lambda run, outcome: outcomes.update({run.run_id: outcome}),
    ...                              progress=False)
    >>> {run_id: (outcome["status"], outcome["error"]) for run_id, outcome in outcomes.items()}
    {'run0': ('ok', None), 'run1': ('failed', 'RuntimeError: diverged')}
    """

    name = "local"

    def __init__(self, workers: int = 1, pack: int | str = 1) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidValueError(f"workers must be a positive integer, got {workers!r}")
        if pack != "auto":
            resolve_pack(pack)
        self.workers = workers
        self.pack = pack

    def check(self) -> None:
        """Nothing to check locally; present for symmetry with :class:`RayExecutor`."""

    def run(
        self,
        tasks: Sequence[RunTask],
        run_fn: RunFunction,
        on_outcome: OutcomeCallback,
        prepare: PrepareFunction | None = None,
        datasets: Sequence[str] = (),
        progress: bool | None = None,
        desc: str = "study",
    ) -> None:
        if prepare is not None and tasks:
            prepare(datasets)
        bar = progress_bar(total=len(tasks), desc=desc, unit="run", progress=progress, dynamic_ncols=True)
        failed = 0
        jobs = group_tasks(tasks, resolve_pack(self.pack, tasks[0].device)) if tasks else []
        try:
            if self.workers == 1:
                for job in jobs:
                    for task, outcome in zip(job, execute_pack(run_fn, job)):
                        failed += outcome["status"] != "ok"
                        on_outcome(task.run, outcome)
                        bar.update(1)
                    bar.set_postfix(failed=failed)
                return
            # spawn, not fork: a forked child of a process that already ran torch can deadlock in OpenMP.
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            try:
                pending = {pool.submit(execute_pack, run_fn, job): job for job in jobs}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        job = pending.pop(future)
                        try:
                            outcomes = future.result()
                        except BrokenProcessPool:
                            raise StudyExecutionError(
                                "a worker process died (killed or out of memory); finished runs are "
                                "saved -- run the study again to resume"
                            ) from None
                        for task, outcome in zip(job, outcomes):
                            failed += outcome["status"] != "ok"
                            on_outcome(task.run, outcome)
                            bar.update(1)
                        bar.set_postfix(failed=failed)
            finally:
                # On an interrupt, do not wait for the queued runs: drop them, finished results are saved.
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            bar.close()


def _ray_execute(run_fn: RunFunction, tasks: list[RunTask]) -> list[dict[str, Any]]:
    return execute_pack(run_fn, tasks)


def _ray_prepare(prepare: PrepareFunction, datasets: Sequence[str]) -> str:
    import ray

    prepare(datasets)
    return ray.get_runtime_context().get_node_id()


class RayExecutor:
    """Runs each job (one run, or a pack of up to ``pack`` runs) as a Ray task (``num_cpus=threads``,
    ``num_gpus=1`` per job when the cluster has GPUs).

    ``address=None`` starts a local Ray instance (or uses the one this process already joined);
    ``"auto"`` or ``"ray://host:port"`` joins an existing cluster. The results directory must be on
    storage the workers share, since each run writes its training directory there. ``pack="auto"`` is
    resolved on the driver from the runs' device (for ``"auto"``: a GPU when the cluster has one).

    ``run`` takes the same arguments as :meth:`LocalExecutor.run`; ``check()`` imports Ray and connects, and
    raises :class:`StudyExecutionError` (Ray not installed, no cluster at ``address``) before any run starts.
    A job whose worker dies is recorded as failed and the study goes on.

    Parameters
    ----------
    address : str, optional
        None (a local Ray instance), ``"auto"`` (the cluster this machine belongs to) or ``"host:port"`` /
        ``"ray://host:port"``.
    num_cpus : int, optional
        CPUs of the local Ray instance started when ``address`` is None (default: all of them).
    pack : int or "auto", default 1
        Runs per job trained together as one pack, as in :class:`LocalExecutor`.

    Raises
    ------
    InvalidValueError
        If ``pack`` is neither a positive integer nor ``"auto"``.

    Examples
    --------
    >>> from gtdata.study import RayExecutor
    >>> executor = RayExecutor(address="auto", pack=4)
    >>> executor.name, executor.address, executor.pack
    ('ray', 'auto', 4)
    >>> import gtdata
    >>> table = gtdata.run_study("quick", "quick_study", executor=executor)  # doctest: +SKIP
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, pack: int | str = 1) -> None:
        if pack != "auto":
            resolve_pack(pack)
        self.address = address
        self.num_cpus = num_cpus
        self.pack = pack

    def check(self) -> None:
        """Import Ray and connect, with a clear error, before any run starts."""
        try:
            import ray
        except ImportError:
            raise StudyExecutionError(
                "the ray executor needs Ray, which is not installed: pip install 'gtdata[ray]' "
                "(or run with --executor local)"
            ) from None
        if ray.is_initialized():
            return
        if self.address not in (None, "auto", "local"):
            _check_reachable(self.address)
        try:
            if self.address is None:
                ray.init(num_cpus=self.num_cpus, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=self.address, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise StudyExecutionError(
                f"no Ray cluster at address {self.address!r}: {exc}. Start one with "
                f"`ray start --head` or omit --address to run a local Ray instance"
            ) from None

    def run(
        self,
        tasks: Sequence[RunTask],
        run_fn: RunFunction,
        on_outcome: OutcomeCallback,
        prepare: PrepareFunction | None = None,
        datasets: Sequence[str] = (),
        progress: bool | None = None,
        desc: str = "study",
    ) -> None:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.check()
        if not tasks:
            return
        if prepare is not None:
            # Data is prepared once per node before any run, so concurrent runs never race to prepare. The
            # affinity is soft: a node that died but is still listed alive (Ray notices a lost node only after
            # missed heartbeats) must not fail the study; its task then runs, harmlessly, on a live node.
            nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
            remote_prepare = ray.remote(_ray_prepare)
            ray.get(
                [
                    remote_prepare.options(
                        scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=True),
                        num_cpus=0,
                    ).remote(prepare, list(datasets))
                    for node in nodes
                ]
            )
        options = ray_job_options(tasks, ray.cluster_resources().get("GPU", 0))
        wants_gpu = options["num_gpus"] > 0
        remote = ray.remote(_ray_execute).options(**options)
        if self.pack == "auto":
            # The driver may have no GPU: "auto" sizes packs for a GPU worker whenever the cluster has one.
            pack = _ray_auto_pack(wants_gpu)
        else:
            pack = self.pack
        run_fn_ref = ray.put(run_fn)
        pending = {remote.remote(run_fn_ref, job): job for job in group_tasks(tasks, pack)}
        bar = progress_bar(total=len(tasks), desc=desc, unit="run", progress=progress, dynamic_ncols=True)
        failed = 0
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    job = pending.pop(ref)
                    try:
                        outcomes = ray.get(ref)
                    except Exception as exc:  # worker crash: recorded, the sweep goes on
                        outcomes = [
                            {
                                "status": "failed",
                                "error": f"{type(exc).__name__}: {exc}",
                                "rows": {},
                                "info": {},
                                "elapsed_s": None,
                            }
                            for _ in job
                        ]
                    for task, outcome in zip(job, outcomes):
                        failed += outcome["status"] != "ok"
                        on_outcome(task.run, outcome)
                        bar.update(1)
                    bar.set_postfix(failed=failed)
        finally:
            bar.close()


def ray_job_options(tasks: Sequence[RunTask], cluster_gpus: float) -> dict[str, Any]:
    """The Ray task options of each job (one run, or one pack of runs) of ``tasks``.

    A job takes its runs' CPU threads (``num_cpus``, which Ray pins for it) and, where the cluster has GPUs
    and the runs do not ask for the CPU, one whole GPU (``num_gpus=1``): a pack of K models shares that GPU,
    so a cluster of G GPUs trains G packs at a time. A job whose worker dies is not retried (``max_retries=0``):
    it is recorded as failed and runs again on the next invocation.

    Parameters
    ----------
    tasks : sequence of RunTask
        The study's runs; they share ``threads`` and ``device`` (one spec).
    cluster_gpus : float
        GPUs of the Ray cluster (``ray.cluster_resources().get("GPU", 0)``).

    Returns
    -------
    dict
        ``{"num_cpus": int, "num_gpus": 0 or 1, "max_retries": 0}``.

    Examples
    --------
    >>> pack = [RunTask(None, ("mean",), ("mig",), threads=2, device="auto") for _ in range(8)]
    >>> ray_job_options(pack, cluster_gpus=4)
    {'num_cpus': 2, 'num_gpus': 1, 'max_retries': 0}
    """
    wants_gpu = cluster_gpus > 0 and tasks[0].device != "cpu"
    return {"num_cpus": tasks[0].threads, "num_gpus": 1 if wants_gpu else 0, "max_retries": 0}


def _ray_auto_pack(wants_gpu: bool) -> int:
    """``pack="auto"`` on Ray: measured on a GPU worker when the jobs get one, else the CPU's size (1)."""
    if not wants_gpu:
        return resolve_pack("auto", "cpu")
    import ray

    return int(ray.get(ray.remote(resolve_pack).options(num_gpus=1, num_cpus=0).remote("auto", "cuda")))


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a host:port nobody listens on (ray.init would retry for minutes)."""
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        raise StudyExecutionError(
            f"Ray address {address!r} is not of the form 'auto', 'host:port' or 'ray://host:port'"
        )
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise StudyExecutionError(
            f"no Ray cluster at address {address!r} ({exc}). Start one with `ray start --head` "
            f"or omit --address to run a local Ray instance"
        ) from None


def make_executor(
    kind: str, workers: int = 1, address: str | None = None, pack: int | str = 1
) -> LocalExecutor | RayExecutor:
    """``"local"`` or ``"ray"``; other names are refused with the valid ones."""
    if kind == "local":
        if address is not None:
            raise InvalidValueError("--address is only used with --executor ray")
        return LocalExecutor(workers, pack=pack)
    if kind == "ray":
        return RayExecutor(address=address, num_cpus=None if workers == 1 else workers, pack=pack)
    raise InvalidValueError(f"unknown executor {kind!r}; valid executors: local, ray")
