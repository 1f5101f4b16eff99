"""Executors: run a study's tasks locally (sequentially or in worker processes) or on a Ray cluster.

An executor calls a *run function* ``run_fn(task) -> {"rows": {representation: {column: value}},
"info": {column: value}}`` once per run and hands each outcome to a callback in the driver process,
which is the only writer of results. ``run_fn`` is injectable (tests use cheap ones); the study's is
:func:`gtdata.study.runner.train_and_evaluate`. Every run pins torch's thread count first, so a run gives
the same numbers whichever executor or process runs it.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from tqdm.auto import tqdm

from gtdata.study.runs import RunConfig

RunFunction = Callable[["RunTask"], Mapping[str, Any]]
OutcomeCallback = Callable[[RunConfig, dict], None]
PrepareFunction = Callable[[Sequence[str]], None]


class StudyExecutionError(RuntimeError):
    """The executor cannot start (missing Ray, no cluster) or lost its workers."""


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run; picklable."""

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
        outcome = {"status": "ok", "error": None, "rows": result.get("rows", {}),
                   "info": result.get("info", {})}
    except Exception as exc:  # the sweep goes on; the error is recorded with the run
        outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc(), "rows": {}, "info": {}}
    finally:
        torch.set_num_threads(previous)
    outcome["elapsed_s"] = time.perf_counter() - start
    return outcome


def _progress(total: int, desc: str, enabled: bool) -> tqdm:
    return tqdm(total=total, desc=desc, unit="run", disable=not enabled, dynamic_ncols=True)


class LocalExecutor:
    """Runs tasks in this process (``workers=1``) or in ``workers`` spawned processes."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be a positive integer, got {workers!r}")
        self.workers = workers

    def check(self) -> None:
        """Nothing to check locally; present for symmetry with :class:`RayExecutor`."""

    def run(self, tasks: Sequence[RunTask], run_fn: RunFunction, on_outcome: OutcomeCallback,
            prepare: PrepareFunction | None = None, datasets: Sequence[str] = (),
            progress: bool = True, desc: str = "study") -> None:
        if prepare is not None and tasks:
            prepare(datasets)
        bar = _progress(len(tasks), desc, progress)
        failed = 0
        try:
            if self.workers == 1:
                for task in tasks:
                    outcome = execute(run_fn, task)
                    failed += outcome["status"] != "ok"
                    on_outcome(task.run, outcome)
                    bar.update(1)
                    bar.set_postfix(failed=failed)
                return
            # spawn, not fork: a forked child of a process that already ran torch can deadlock in OpenMP.
            context = multiprocessing.get_context("spawn")
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
            try:
                pending = {pool.submit(execute, run_fn, task): task for task in tasks}
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        task = pending.pop(future)
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            raise StudyExecutionError(
                                "a worker process died (killed or out of memory); finished runs are "
                                "saved -- run the study again to resume"
                            ) from None
                        failed += outcome["status"] != "ok"
                        on_outcome(task.run, outcome)
                        bar.update(1)
                        bar.set_postfix(failed=failed)
            finally:
                # On an interrupt, do not wait for the queued runs: drop them, finished results are saved.
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            bar.close()


def _ray_execute(run_fn: RunFunction, task: RunTask) -> dict[str, Any]:
    return execute(run_fn, task)


def _ray_prepare(prepare: PrepareFunction, datasets: Sequence[str]) -> str:
    import ray

    prepare(datasets)
    return ray.get_runtime_context().get_node_id()


class RayExecutor:
    """Runs each task as a Ray task (``num_cpus=threads``, ``num_gpus=1`` when the cluster has GPUs).

    ``address=None`` starts a local Ray instance (or uses the one this process already joined);
    ``"auto"`` or ``"ray://host:port"`` joins an existing cluster. The results directory must be on
    storage the workers share, since each run writes its training directory there.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self.address = address
        self.num_cpus = num_cpus

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

    def run(self, tasks: Sequence[RunTask], run_fn: RunFunction, on_outcome: OutcomeCallback,
            prepare: PrepareFunction | None = None, datasets: Sequence[str] = (),
            progress: bool = True, desc: str = "study") -> None:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.check()
        if not tasks:
            return
        if prepare is not None:
            # Data is prepared once per node before any run, so concurrent runs never race to prepare.
            nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
            remote_prepare = ray.remote(_ray_prepare)
            ray.get([remote_prepare.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node, soft=False), num_cpus=0,
            ).remote(prepare, list(datasets)) for node in nodes])
        gpus = ray.cluster_resources().get("GPU", 0)
        wants_gpu = gpus > 0 and tasks[0].device != "cpu"
        remote = ray.remote(_ray_execute).options(
            num_cpus=tasks[0].threads, num_gpus=1 if wants_gpu else 0, max_retries=0)
        run_fn_ref = ray.put(run_fn)
        pending = {remote.remote(run_fn_ref, task): task for task in tasks}
        bar = _progress(len(tasks), desc, progress)
        failed = 0
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    task = pending.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except Exception as exc:  # worker crash: recorded, the sweep goes on
                        outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                                   "rows": {}, "info": {}, "elapsed_s": None}
                    failed += outcome["status"] != "ok"
                    on_outcome(task.run, outcome)
                    bar.update(1)
                    bar.set_postfix(failed=failed)
        finally:
            bar.close()


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


def make_executor(kind: str, workers: int = 1, address: str | None = None) -> LocalExecutor | RayExecutor:
    """``"local"`` or ``"ray"``; other names are refused with the valid ones."""
    if kind == "local":
        if address is not None:
            raise ValueError("--address is only used with --executor ray")
        return LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor(address=address, num_cpus=None if workers == 1 else workers)
    raise ValueError(f"unknown executor {kind!r}; valid executors: local, ray")
