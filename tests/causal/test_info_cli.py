import subprocess
import sys

import yaml


def run_info(path):
    return subprocess.run([sys.executable, "-m", "gtdata", "info", str(path)], capture_output=True, text=True)


def test_info_describes_an_scm_file(tmp_path):
    path = tmp_path / "scm.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "kind": "scm",
                "name": "demo",
                "data": "toy",
                "nodes": {
                    "factor1": {"mechanism": "additive_noise", "parents": {"factor0": 2.0}, "scale": 0.2},
                    "factor2": {"mechanism": "categorical", "weights": [1, 0, 0, 0, 1]},
                },
            }
        )
    )
    out = run_info(path)
    assert out.returncode == 0, out.stderr
    assert "SCM 'demo' over data set 'toy'" in out.stdout
    assert "factor1                4  additive_noise <- factor0" in out.stdout
    # factor2 has 2 of 5 values with positive weight: the support is 2/5 of the 360 grid points
    assert "support 144 of 360 grid points" in out.stdout


def test_info_bad_scm_is_one_line(tmp_path):
    path = tmp_path / "scm.yaml"
    path.write_text(
        "kind: scm\ndata: toy\nnodes:\n  factor1: {mechanism: table, parents: [factor0], probs: [[0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]]}\n"
    )
    out = run_info(path)
    assert out.returncode != 0
    assert "zero total probability" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
