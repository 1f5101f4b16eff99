"""The ``--dry-run`` plan: what a study would run, and how long its training would take here.

The time estimate multiplies each run's steps by a step rate measured on this machine: a short training
of each method of the spec on the rendered ``dsprites_like`` set (64x64x1) with the spec's thread count and
device -- with ``pack`` K > 1, of K models trained as one pack (:func:`gtdata.train_pack`), whose rate per
model is what a packed study gets. It covers training only (evaluation time depends on the metrics' sample sizes and is not
estimated) and ignores differences in channel count between data sets.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from gtdata.study.catalog import WEAK_METHODS
from gtdata.study.runs import expand
from gtdata.study.spec import StudySpec

MEASURE_DATA = "dsprites_like"


def measure_step_rate(
    method: str,
    threads: int = 1,
    device: str = "cpu",
    batch_size: int = 64,
    steps: int = 40,
    window: int = 10,
    pack: int = 1,
) -> float:
    """Training steps per second and model of ``method`` on ``dsprites_like`` here, after one warm-up window;
    with ``pack`` K > 1, K models trained as one pack (K times a member's rate)."""
    import torch

    from gtdata.training import train, train_pack

    previous = torch.get_num_threads()
    options = dict(
        data=MEASURE_DATA,
        method=method,
        steps=steps,
        batch_size=batch_size,
        device=device,
        threads=threads,
        log_every=window,
        checkpoint_every=steps,
        progress=False,
        figures=False,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="gtdata-rate-") as tmp:
            if pack == 1:
                run = train(seed=0, out=tmp, **options)
            else:
                run = train_pack(
                    [dict(seed=i, out=f"{tmp}/{i}", **options) for i in range(pack)], progress=False, figures=False
                )[0]
            per_step = batch_size * (2 if method in WEAK_METHODS else 1)
            rates = [pack * entry["images_per_s"] / per_step for entry in run.log()[1:]]
    finally:
        torch.set_num_threads(previous)
    return sorted(rates)[len(rates) // 2]


@dataclass(frozen=True)
class Plan:
    """Counts and the training-time estimate of a study."""

    spec: StudySpec
    num_runs: int
    num_rows: int
    counts: Mapping[tuple[str, str], int]
    total_steps: int
    step_rates: Mapping[str, float]
    training_s: float
    workers: int
    measured_s: float
    measured: bool
    pack: int = 1

    def render(self) -> str:
        """The plan as text (what ``gtdata study run --dry-run`` prints)."""
        spec = self.spec
        lines = [
            f"study {spec.name!r} (fingerprint {spec.fingerprint()})"
            + (f": {spec.description}" if spec.description else ""),
            f"  runs (trained models): {self.num_runs:,} = {len(spec.datasets)} data sets x "
            f"{sum(m.size for m in spec.methods)} method/hyper-parameter points x {len(spec.seeds)} seeds",
            f"  result rows: {self.num_rows:,} ({', '.join(spec.representations)} representation)",
            f"  steps per run: {spec.steps:,}{self._step_overrides()} (batch {spec.batch_size}); "
            f"total training steps: {self.total_steps:,}",
            f"  metrics: {', '.join(spec.metrics)}",
            "",
            "  runs per data set and method:",
        ]
        methods = list(dict.fromkeys(m.method for m in spec.methods))
        width = max(len(d) for d in spec.datasets)
        lines.append("    " + " " * width + "".join(f"{m:>14}" for m in methods))
        for dataset in spec.datasets:
            lines.append(
                "    " + dataset.ljust(width) + "".join(f"{self.counts.get((dataset, m), 0):>14,}" for m in methods)
            )
        packed = f", packs of {self.pack}" if self.pack > 1 else ""
        source = (
            f"measured here ({spec.threads} thread(s), device {spec.device}{packed}, {MEASURE_DATA}, "
            f"{self.measured_s:.0f} s to measure)"
            if self.measured
            else "as given"
        )
        lines += ["", f"  step rates, {source}:"]
        for method, rate in self.step_rates.items():
            lines.append(f"    {method:<14} {rate:8.1f} steps/s" + (" per model" if self.pack > 1 else ""))
        lines.append(
            f"  estimated training time: {_duration(self.training_s)} sequential"
            + (f", {_duration(self.training_s / self.workers)} with {self.workers} workers" if self.workers > 1 else "")
            + " (evaluation not included)"
        )
        return "\n".join(lines)

    def _step_overrides(self) -> str:
        """The method entries that train for another number of steps, as ", factor_vae: 150,000"."""
        other = {m.method: m.steps for m in self.spec.methods if m.steps not in (None, self.spec.steps)}
        return "".join(f", {method}: {steps:,}" for method, steps in other.items())


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:,.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:,.1f} h"
    return f"{seconds / 86400:,.1f} days ({seconds / 3600:,.0f} h)"


def make_plan(
    spec: StudySpec, workers: int = 1, step_rates: Mapping[str, float] | None = None, pack: int | str = 1
) -> Plan:
    """Count the runs of ``spec`` and estimate its training time (measuring step rates unless given; with
    ``pack`` K or ``"auto"``, the rate per model of K models trained as one pack on the spec's device)."""
    from gtdata.study.executors import resolve_pack

    pack = resolve_pack(pack, spec.device)
    runs = expand(spec)
    counts = Counter((r.dataset, r.method) for r in runs)
    methods = list(dict.fromkeys(r.method for r in runs))
    start = time.perf_counter()
    rates = dict(step_rates or {})
    for method in methods:
        if method not in rates:
            rates[method] = measure_step_rate(
                method, threads=spec.threads, device=spec.device, batch_size=spec.batch_size, pack=pack
            )
    measured_s = time.perf_counter() - start
    measured = any(m not in (step_rates or {}) for m in methods)
    training_s = sum(r.steps / rates[r.method] for r in runs)
    return Plan(
        spec,
        len(runs),
        len(runs) * len(spec.representations),
        dict(counts),
        sum(r.steps for r in runs),
        {m: rates[m] for m in methods},
        training_s,
        workers,
        measured_s,
        measured,
        pack,
    )
