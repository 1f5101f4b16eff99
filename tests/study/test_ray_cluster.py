"""A real two-node Ray cluster started with the ``ray`` CLI on this machine: ``gtdata study run --executor ray
--address`` spreads a small study over both nodes, one node is killed mid-study, the finished runs are kept
and the rest complete on the next invocation."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import yaml
from optional_deps import import_optional

from gtdata.study import load_results

import_optional("ray", extra="ray")  # skipped without Ray, except in CI, which installs it

SPEC = {
    "name": "two_nodes",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    "seeds": 3,
    "steps": 10,
    "batch_size": 8,
    "representation": ["mean"],
    "metrics": ["mig"],
    "metric_options": {"mig": {"num_train": 200}},
    "threads": 1,
    "device": "cpu",
}
TIMEOUT_S = 240  # generous: the machine may be shared; the test takes about a minute on an idle one


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_cli() -> list[str]:
    """The ``ray`` command of this interpreter's Ray (its console script may live in another bin directory,
    e.g. in a virtual environment that sees the system's site-packages)."""
    return [sys.executable, "-m", "ray.scripts.scripts"]


class Node:
    """One ``ray start --block`` in its own process group: killing the group kills the node (raylet, workers)."""

    def __init__(self, args: list[str], log, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*ray_cli(), "start", "--block", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)


def node_usage(address: str, env: dict[str, str]) -> dict[str, float]:
    """Per node (named by its custom resource), the CPUs in use, from ``ray status -v``."""
    out = subprocess.run(
        [*ray_cli(), "status", "-v", f"--address={address}"], capture_output=True, text=True, env=env, timeout=60
    ).stdout
    usage = {}
    for block in out.split("\nNode: ")[1:]:
        cpu = re.search(r"([\d.]+)/[\d.]+ CPU", block)
        name = re.search(r"[\d.]+/[\d.]+ (head|node2)\b", block)
        if cpu and name:
            usage[name.group(1)] = float(cpu.group(1))
    return usage


def alive(nodes: list[Node], tmp_path) -> bool:
    """True while every node's ``ray start`` runs; its log in the error otherwise."""
    for node in nodes:
        if node.proc.poll() is not None:
            raise AssertionError(
                f"ray start exited with {node.proc.returncode}:\n{(tmp_path / 'ray.log').read_text()[-3000:]}"
            )
    return True


def wait_for(condition, what: str, timeout_s: float = TIMEOUT_S, every_s: float = 0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.mark.slow
def test_cli_study_across_two_ray_nodes_survives_losing_one(tmp_path):
    ray_tmp = tempfile.mkdtemp(prefix="gtdata-ray-", dir="/tmp")  # its unix socket paths must stay < 108 bytes
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    port = free_port()
    address = f"127.0.0.1:{port}"
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "study"
    study = [
        sys.executable,
        "-m",
        "gtdata",
        "study",
        "run",
        str(spec_path),
        "--out",
        str(out),
        "--executor",
        "ray",
        "--address",
        address,
        "--no-progress",
    ]
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    nodes = []
    with open(tmp_path / "ray.log", "w") as log:
        try:
            nodes.append(
                Node(
                    [
                        "--head",
                        f"--port={port}",
                        f"--temp-dir={ray_tmp}/head",
                        "--include-dashboard=false",
                        '--resources={"head": 1}',
                        *common,
                    ],
                    log,
                    env,
                )
            )
            wait_for(lambda: alive(nodes, tmp_path) and "head" in node_usage(address, env), "the head node")
            second = Node(
                [f"--address={address}", f"--temp-dir={ray_tmp}/node2", '--resources={"node2": 1}', *common], log, env
            )
            nodes.append(second)
            wait_for(
                lambda: alive(nodes, tmp_path) and set(node_usage(address, env)) == {"head", "node2"}, "the second node"
            )

            first = subprocess.Popen(study, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            # Kill the second node while it trains a run, once some runs have finished.
            wait_for(
                lambda: list(out.glob("runs/*/result.json")) and node_usage(address, env).get("node2") == 1.0,
                "a finished run and a run on the second node",
                every_s=0.2,
            )
            second.kill()
            first_out, _ = first.communicate(timeout=TIMEOUT_S)
            assert first.returncode in (0, 1), first_out
            table = load_results(out)
            ok = table[table.status == "ok"]
            assert ok.run_id.nunique() >= 1, first_out
            kept = {  # the finished runs' records (a failed run's record is replaced when it runs again)
                run_id: ((p := out / "runs" / run_id / "result.json").stat().st_mtime_ns, p.read_text())
                for run_id in set(ok.run_id)
            }
            # The runs in flight on the lost node either failed (recorded with the error; the next invocation
            # runs them) or were rescheduled by Ray on the head node: timing decides, both keep every result.
            if first.returncode == 1:
                assert re.search(r"\d of 6 runs finished, [1-9]\d* failed", first_out), first_out

            again = subprocess.run(study, capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
            assert again.returncode == 0, again.stdout + again.stderr
            assert "6 of 6 runs finished, 0 failed" in again.stdout
            final = load_results(out)
            assert set(final.status) == {"ok"} and final.run_id.nunique() == 6
            assert final["mig.discrete_mig"].between(0, 1).all()
            for run_id, (stamp, text) in kept.items():  # finished runs were kept as they were, not run again
                path = out / "runs" / run_id / "result.json"
                assert path.stat().st_mtime_ns == stamp and path.read_text() == text
            before = ok.set_index("run_id")["mig.discrete_mig"]
            after = final.set_index("run_id").loc[before.index, "mig.discrete_mig"]
            assert (before == after).all()
        finally:
            for node in reversed(nodes):
                node.kill()
            shutil.rmtree(ray_tmp, ignore_errors=True)
