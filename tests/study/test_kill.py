import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from fakes import fake_run

from gtdata.study.driver import run_study
from gtdata.study.results import load_results

SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from fakes import fixed_catalog, slow_run
from gtdata.study.driver import run_study
from gtdata.study.results import load_results
spec = {spec!r}
run_study(spec, {out!r}, run_fn=slow_run, catalog=fixed_catalog(), progress=False)
"""


def test_sigkill_mid_study_loses_no_finished_run(tmp_path, small_spec, catalog):
    spec = {**small_spec, "seeds": 8}  # 16 runs of 0.4 s
    out = tmp_path / "study"
    code = SCRIPT.format(tests=str(Path(__file__).parent), spec=spec, out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 120
    while len(list(out.glob("runs/*/result.json"))) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, "study ended before it could be killed"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    saved = {p.parent.name for p in out.glob("runs/*/result.json")}
    assert 3 <= len(saved) < 16
    # The table API sees every saved run even if the kill came before the table was rewritten.
    assert set(load_results(out).run_id) == saved
    seen = []

    def resumed(task):
        seen.append(task.run.run_id)
        return fake_run(task)

    table = run_study(spec, out, run_fn=resumed, catalog=catalog, progress=False)
    assert not set(seen) & saved and len(seen) == 16 - len(saved)
    assert len(table) == 32 and set(table.status) == {"ok"}
    assert len(pd.read_csv(out / "results.csv")) == 32
