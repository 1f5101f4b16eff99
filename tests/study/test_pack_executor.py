"""Executors pack compatible runs (same data set, method, steps): same results, ids and table as unpacked."""

import pandas as pd
import pytest
from fakes import fake_run

from gtdata.cli.main import main
from gtdata.study.driver import run_study
from gtdata.study.executors import LocalExecutor, RayExecutor, group_tasks, resolve_pack

SPEC = {
    "name": "packs",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": [1, 4]}, {"method": "factor_vae", "gamma": [10]}],
    "seeds": 3,
    "steps": 10,
    "representation": ["mean", "sampled"],
    "metrics": ["fake"],
}
COLS = ["run_id", "model_num", "representation", "status", "fake.score", "fake.matmul", "fake.threads"]


class PackRecorder:
    """A run function with ``run_pack``: records each job's model numbers; seed 1 of factor_vae (model 7) "diverges"."""

    def __init__(self):
        self.jobs = []

    def __call__(self, task):
        return fake_run(task)

    def run_pack(self, tasks):
        self.jobs.append([t.run.model_num for t in tasks])
        return [
            RuntimeError("diverged") if (t.run.method, t.run.seed) == ("factor_vae", 1) else fake_run(t) for t in tasks
        ]


def test_packs_group_compatible_runs_and_keep_results(tmp_path, catalog):
    plain = run_study(SPEC, tmp_path / "plain", run_fn=fake_run, catalog=catalog, progress=False)
    recorder = PackRecorder()
    packed = run_study(
        SPEC, tmp_path / "packed", executor=LocalExecutor(pack=2), run_fn=recorder, catalog=catalog, progress=False
    )
    # beta_vae runs are model_num 0-5 (β 1: seeds 0-2, β 4: seeds 0-2), factor_vae 6-8: packs never mix methods.
    assert recorder.jobs == [[0, 1], [2, 3], [4, 5], [6, 7]]  # model 8 alone: a job of one runs unpacked
    failed = packed.status != "ok"
    assert set(packed[failed].model_num) == {7} and (packed[failed].error == "RuntimeError: diverged").all()
    ok = ~failed.values
    pd.testing.assert_frame_equal(
        plain[ok][COLS].reset_index(drop=True), packed[ok][COLS].reset_index(drop=True), check_dtype=False
    )
    # Resume: only the failed run is run again, and the table is then the unpacked one.
    again = run_study(
        SPEC, tmp_path / "packed", executor=LocalExecutor(pack=2), run_fn=fake_run, catalog=catalog, progress=False
    )
    pd.testing.assert_frame_equal(plain[COLS], again[COLS])


def test_group_tasks_and_pack_sizes():
    assert resolve_pack(3) == 3 and resolve_pack("auto", "cpu") == 1
    for bad in (0, -2, 1.5, "4", True):
        with pytest.raises(ValueError, match="pack must be a positive integer or 'auto'"):
            LocalExecutor(pack=bad)
    assert group_tasks([], 4) == []


def test_ray_jobs_request_one_gpu_per_pack_where_the_cluster_has_gpus():
    from gtdata.study.executors import RunTask, ray_job_options

    def tasks(device, threads=2):
        return [RunTask(None, ("mean",), ("mig",), threads=threads, device=device) for _ in range(8)]

    # A pack of 8 runs is one Ray task: its threads as CPUs, one GPU for the whole pack, no retries.
    assert ray_job_options(tasks("auto"), cluster_gpus=4) == {"num_cpus": 2, "num_gpus": 1, "max_retries": 0}
    assert ray_job_options(tasks("cuda:0", threads=1), cluster_gpus=1)["num_gpus"] == 1
    assert ray_job_options(tasks("cpu"), cluster_gpus=4)["num_gpus"] == 0  # the spec asked for the CPU
    assert ray_job_options(tasks("auto", threads=3), cluster_gpus=0) == {"num_cpus": 3, "num_gpus": 0, "max_retries": 0}


def test_cli_pack_option(tmp_path, capsys):
    assert main(["study", "run", "quick", "--out", str(tmp_path / "s"), "--pack", "zero"]) == 2
    assert "--pack must be a positive integer or 'auto', got 'zero'" in capsys.readouterr().err


TINY = {
    "name": "tiny-pack",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    "seeds": 1,
    "steps": 8,
    "batch_size": 16,
    "representation": ["mean"],
    "metrics": ["mig", "unsupervised"],
    "metric_options": {"mig": {"num_train": 200}, "unsupervised": {"num_train": 200}},
    "threads": 1,
    "device": "cpu",
}


def test_real_study_with_and_without_packs_gives_identical_rows(tmp_path):
    plain = run_study(TINY, tmp_path / "plain", progress=False)
    packed = run_study(TINY, tmp_path / "packed", progress=False, pack=2)
    assert set(packed.status) == {"ok"} and len(packed) == 2
    cols = [
        "run_id",
        "model_num",
        "representation",
        "mig.discrete_mig",
        "unsupervised.gaussian_total_correlation",
        "train.loss",
        "train.kl",
    ]
    pd.testing.assert_frame_equal(plain[cols], packed[cols])
    sessions = [pd.read_json(f"{d}/provenance.json", typ="series")["sessions"] for d in packed.run_dir]
    assert [s[0]["pack"] for s in sessions] == [2, 2]


@pytest.mark.slow
def test_ray_executor_packs(tmp_path, catalog):
    from optional_deps import import_optional

    ray = import_optional("ray", extra="ray")
    import sys

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
        ray.cloudpickle.register_pickle_by_value(sys.modules["fakes"])
        plain = run_study(SPEC, tmp_path / "plain", run_fn=fake_run, catalog=catalog, progress=False)
        packed = run_study(
            SPEC, tmp_path / "ray", executor=RayExecutor(pack=3), run_fn=PackRecorder(), catalog=catalog, progress=False
        )
    finally:
        ray.shutdown()
    failed = packed.status != "ok"
    assert set(packed[failed].model_num) == {7}
    ok = ~failed.values
    pd.testing.assert_frame_equal(
        plain[ok][COLS].reset_index(drop=True), packed[ok][COLS].reset_index(drop=True), check_dtype=False
    )


def test_dry_run_measures_the_pack_rate(monkeypatch):
    from gtdata.study import plan as plan_mod
    from gtdata.study.spec import load_spec

    calls = []

    def fake_measure(method, threads=1, device="cpu", batch_size=64, pack=1, **_):
        calls.append((method, pack))
        return 10.0 * pack  # model-steps/s: a pack of K is K times faster here

    monkeypatch.setattr(plan_mod, "measure_step_rate", fake_measure)
    spec = load_spec({**TINY, "steps": 1000})
    one, four = plan_mod.make_plan(spec), plan_mod.make_plan(spec, pack=4)
    assert calls == [("beta_vae", 1), ("beta_vae", 4)]
    assert one.training_s == pytest.approx(2 * 1000 / 10.0) and four.training_s == pytest.approx(one.training_s / 4)
    assert "packs of 4" in four.render() and "40.0 steps/s per model" in four.render()
    assert plan_mod.make_plan(spec, pack="auto").pack == 1  # the spec's device is the CPU


def test_measured_pack_rate_is_per_model():
    from gtdata.study.plan import measure_step_rate

    rate = measure_step_rate("beta_vae", threads=1, device="cpu", batch_size=8, steps=6, window=2, pack=2)
    assert rate > 0
