"""tune_allocator: freed buffers stay mapped for reuse (glibc), and the user's word is final."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's (CI runs Linux)"
)

# two threads allocate and free buffers of 8, 24 and 20 MiB (a training step's or a traced chunk's pattern)
CHURN = """
import resource, sys, threading
import numpy as np
from gtdata.core.allocator import tune_allocator
print(tune_allocator())
def work():
    for _ in range(50):
        a = np.ones(1 << 21, np.float32); b = np.ones(3 << 21, np.float32); del a
        c = np.ones(5 << 20, np.float32); del b, c
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
threads = [threading.Thread(target=work) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def churn(**env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GTDATA_TUNE_MALLOC"))}
    out = subprocess.run(
        [sys.executable, "-c", CHURN], env={**clean, **env}, capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


@glibc
def test_tuned_process_reuses_freed_buffers_instead_of_faulting_pages_in():
    tuned, faults = churn()
    off, faults_off = churn(GTDATA_TUNE_MALLOC="0")
    assert (tuned, off) == ("True", "False")
    # untuned: every 4 KiB page of every buffer is faulted in again (~150,000 here); tuned: only the first time
    assert faults * 5 < faults_off, (faults, faults_off)


@glibc
def test_glibc_variables_set_by_the_user_are_left_to_rule():
    assert churn(MALLOC_TRIM_THRESHOLD_="131072")[0] == "False"
    assert churn(MALLOC_MMAP_THRESHOLD_="131072")[0] == "False"


def test_tuning_is_done_once_per_process():
    from gtdata.core import allocator

    first = allocator.tune_allocator()
    assert allocator.tune_allocator() is first
    assert allocator._state == {"tuned": first}
