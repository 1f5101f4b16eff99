import json

import pandas as pd
import pytest
from fakes import failing_run, fake_run

from gtdata.study.driver import run_study
from gtdata.study.executors import LocalExecutor, StudyExecutionError, make_executor
from gtdata.study.results import StudyDirError, load_results
from gtdata.study.spec import StudySpecError


def test_sequential_run_writes_tidy_table(tmp_path, catalog, small_spec):
    table = run_study(small_spec, tmp_path / "s", run_fn=fake_run, catalog=catalog, progress=False)
    assert len(table) == 6 * 2  # runs x representations
    assert list(table.columns[:9]) == [
        "study",
        "run_id",
        "model_num",
        "dataset",
        "method",
        "seed",
        "steps",
        "batch_size",
        "representation",
    ]
    assert set(table["status"]) == {"ok"}
    assert (table["fake.threads"] == 1).all()  # the spec's thread count was pinned
    row = table[(table.model_num == 4) & (table.representation == "sampled")].iloc[0]
    assert row["hparam.beta"] == 4 and row["seed"] == 1 and row["fake.score"] == pytest.approx(2.4)
    csv = pd.read_csv(tmp_path / "s" / "results.csv")
    assert len(csv) == 12 and "fake.score" in csv.columns
    loaded = load_results(tmp_path / "s")
    pd.testing.assert_frame_equal(loaded.reset_index(drop=True), table.reset_index(drop=True), check_dtype=False)
    lines = (tmp_path / "s" / "results.jsonl").read_text().splitlines()
    assert len(lines) == 12 and json.loads(lines[0])["model_num"] == 0


def test_failed_run_is_recorded_and_sweep_goes_on(tmp_path, catalog, small_spec):
    table = run_study(small_spec, tmp_path / "s", run_fn=failing_run, catalog=catalog, progress=False)
    failed = table[table.status == "failed"]
    assert sorted(set(failed.seed)) == [1] and len(failed) == 4
    assert (failed.error == "RuntimeError: loss became NaN at step 12").all()
    assert failed["fake.score"].isna().all()
    assert (table[table.status == "ok"].seed != 1).all() and len(table) == 12
    run_id = failed.run_id.iloc[0]
    saved = json.loads((tmp_path / "s" / "runs" / run_id / "result.json").read_text())
    assert "Traceback" in saved["traceback"] and "loss became NaN" in saved["traceback"]
    # Re-running tries the failed runs again and keeps the finished ones.
    calls = []

    def counting(task):
        calls.append(task.run.seed)
        return fake_run(task)

    table = run_study(small_spec, tmp_path / "s", run_fn=counting, catalog=catalog, progress=False)
    assert sorted(calls) == [1, 1] and set(table.status) == {"ok"}


def test_killed_study_resumes_without_losing_results(tmp_path, catalog, small_spec):
    done = []

    def killed_after_two(task):
        if len(done) == 2:
            raise KeyboardInterrupt  # not an error of the run: the whole study stops
        done.append(task.run.model_num)
        return fake_run(task)

    with pytest.raises(KeyboardInterrupt):
        run_study(small_spec, tmp_path / "s", run_fn=killed_after_two, catalog=catalog, progress=False)
    partial = load_results(tmp_path / "s")
    assert sorted(set(partial.model_num)) == [0, 1]
    # A temp file left by a crash mid-write is ignored.
    (tmp_path / "s" / "runs" / partial.run_id.iloc[0] / ".result.json.x.tmp").write_text("{trunc")
    seen = []

    def resumed(task):
        seen.append(task.run.model_num)
        return fake_run(task)

    table = run_study(small_spec, tmp_path / "s", run_fn=resumed, catalog=catalog, progress=False)
    assert seen == [2, 3, 4, 5]
    assert len(table) == 12 and set(table.status) == {"ok"}
    assert run_study(small_spec, tmp_path / "s", run_fn=resumed, catalog=catalog, progress=False).shape == table.shape
    assert seen == [2, 3, 4, 5]  # nothing left to do


def test_results_dir_of_another_spec_is_refused_before_running(tmp_path, catalog, small_spec):
    run_study({**small_spec, "seeds": 1}, tmp_path / "s", run_fn=fake_run, catalog=catalog, progress=False)
    calls = []
    with pytest.raises(StudyDirError, match=r"holds a different study .*differing: seeds, steps\. Use another --out"):
        run_study({**small_spec, "steps": 99}, tmp_path / "s", run_fn=calls.append, catalog=catalog, progress=False)
    assert calls == []
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StudyDirError, match="exists, is not empty and has no study.yaml"):
        run_study(small_spec, tmp_path / "other", run_fn=fake_run, catalog=catalog, progress=False)


def test_bad_spec_fails_before_creating_the_directory(tmp_path, catalog, small_spec):
    with pytest.raises(StudySpecError, match="unknown method"):
        run_study({**small_spec, "methods": ["nope"]}, tmp_path / "s", run_fn=fake_run, catalog=catalog)
    assert not (tmp_path / "s").exists()


def test_two_worker_processes_give_identical_results(tmp_path, catalog, small_spec):
    seq = run_study(small_spec, tmp_path / "a", run_fn=fake_run, catalog=catalog, progress=False)
    par = run_study(
        small_spec, tmp_path / "b", executor=LocalExecutor(2), run_fn=failing_run, catalog=catalog, progress=False
    )
    ok = par.status == "ok"
    metric_cols = ["run_id", "representation", "fake.score", "fake.matmul", "fake.threads"]
    pd.testing.assert_frame_equal(
        seq[ok.values][metric_cols].reset_index(drop=True),
        par[ok][metric_cols].reset_index(drop=True),
        check_dtype=False,
    )
    assert set(par[~ok].seed) == {1}


def test_executor_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown executor 'spark'; valid executors: local, ray"):
        make_executor("spark")
    with pytest.raises(ValueError, match="--address is only used with --executor ray"):
        make_executor("local", address="auto")
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        LocalExecutor(0)


def test_ray_missing_is_a_clear_error(tmp_path, catalog, small_spec, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    calls = []
    with pytest.raises(StudyExecutionError, match=r"needs Ray, which is not installed: pip install 'gtdata\[ray\]'"):
        run_study(small_spec, tmp_path / "s", executor="ray", run_fn=calls.append, catalog=catalog)
    assert calls == [] and not (tmp_path / "s").exists()
