import functools
import os
import socket

import pandas as pd
import pytest
from optional_deps import import_optional

from gtdata.study.driver import run_study
from gtdata.study.executors import RayExecutor, StudyExecutionError

ray = import_optional("ray", extra="ray")  # skipped without Ray, except in CI, which installs it

import fakes  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_cluster_at_address_is_a_clear_error(tmp_path, catalog, small_spec):
    if ray.is_initialized():
        ray.shutdown()  # a connection left by an earlier test would be used instead of the address
    address = f"127.0.0.1:{_free_port()}"
    calls = []
    with pytest.raises(StudyExecutionError, match=f"no Ray cluster at address '{address}'"):
        run_study(
            small_spec, tmp_path / "s", executor=RayExecutor(address=address), run_fn=calls.append, catalog=catalog
        )
    assert calls == []


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    # Workers cannot import the tests folder: ship the fake run functions by value.
    ray.cloudpickle.register_pickle_by_value(fakes)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_same_results_as_local(local_ray, tmp_path, catalog, small_spec):
    local = run_study(small_spec, tmp_path / "local", run_fn=fakes.fake_run, catalog=catalog, progress=False)
    marker = tmp_path / "prepared.txt"
    on_ray = run_study(
        small_spec,
        tmp_path / "ray",
        executor="ray",
        run_fn=fakes.failing_run,
        prepare=functools.partial(fakes.record_prepare, str(marker)),
        catalog=catalog,
        progress=False,
    )
    # Data was prepared once on the (single) node, in a worker, before the runs.
    (line,) = marker.read_text().splitlines()
    assert line.split()[1] == "dsprites_like" and int(line.split()[0]) != os.getpid()
    ok = on_ray.status == "ok"
    assert set(on_ray[~ok].seed) == {1}
    assert (on_ray[~ok].error == "RuntimeError: loss became NaN at step 12").all()
    cols = ["run_id", "representation", "fake.score", "fake.matmul", "fake.threads"]
    pd.testing.assert_frame_equal(
        local[ok.values][cols].reset_index(drop=True), on_ray[ok][cols].reset_index(drop=True), check_dtype=False
    )
    # Resume on Ray: only the failed runs are run again.
    again = run_study(
        small_spec, tmp_path / "ray", executor="ray", run_fn=fakes.fake_run, catalog=catalog, progress=False
    )
    assert set(again.status) == {"ok"}
    pd.testing.assert_frame_equal(local[cols], again[cols], check_dtype=False)
