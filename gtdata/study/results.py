"""The results of a study on disk, and the tidy table built from them.

Layout of a study directory::

    DIR/study.yaml                 resolved spec + fingerprint (a different spec is refused)
    DIR/runs/<run_id>/result.json  one run's outcome (status, error, rows); the source of truth
    DIR/runs/<run_id>/train/       the trainer's run directory (checkpoints, log, model)
    DIR/results.csv, results.jsonl one row per (run, representation), rebuilt from the result files

Every file is written to a temporary name, read back, and renamed into place, so a killed study never
leaves a truncated result; a finished run is never trained again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from gtdata.core.errors import GtdataError, MissingFileError
from gtdata.core.kinds import register_kind
from gtdata.core.persist import atomic_write_text, to_plain
from gtdata.study.runs import RunConfig
from gtdata.study.spec import StudySpec

STUDY_FILE = "study.yaml"
#: The ``kind:`` of a study directory's ``study.yaml`` (its spec, fingerprint and versions).
KIND = "study_results"
CSV_FILE = "results.csv"
JSONL_FILE = "results.jsonl"
FIRST_COLUMNS = (
    "study",
    "run_id",
    "model_num",
    "dataset",
    "method",
    "seed",
    "steps",
    "batch_size",
    "representation",
    "regularization_param",
    "regularization",
    "status",
    "error",
)


class StudyDirError(GtdataError, ValueError):
    """The results directory cannot hold this study (it belongs to a different spec)."""


def build_rows(spec: StudySpec, run: RunConfig, outcome: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The table rows of one run: config columns, status, and each representation's columns."""
    per_rep = outcome.get("rows") or {}
    info = outcome.get("info") or {}
    rows = []
    for rep in spec.representations:
        row: dict[str, Any] = {
            "study": spec.name,
            **run.columns(),
            "representation": rep,
            "status": outcome["status"],
            "error": outcome.get("error"),
        }
        row.update(info)
        row.update(per_rep.get(rep, {}))
        row["elapsed_s"] = outcome.get("elapsed_s")
        rows.append(to_plain(row, json=True))
    return rows


def order_columns(columns: Iterable[str]) -> list[str]:
    """A fixed order: config and status, hyper-parameters, metrics, timing, provenance (each sorted)."""
    columns = list(dict.fromkeys(columns))
    first = [c for c in FIRST_COLUMNS if c in columns]
    hparams = sorted(c for c in columns if c.startswith("hparam."))
    rest = [c for c in columns if c not in first and c not in hparams]
    metric_like = sorted(c for c in rest if "." in c and not c.startswith("provenance."))
    provenance = sorted(c for c in rest if c.startswith("provenance."))
    other = sorted(c for c in rest if c not in metric_like and c not in provenance)
    return first + hparams + metric_like + other + provenance


class ResultStore:
    """Result files of one study directory; the single writer of the table."""

    def __init__(self, out: str | Path, spec: StudySpec) -> None:
        self.out = Path(out)
        self.spec = spec
        self._check_or_create()
        self._outcomes: dict[str, dict[str, Any]] = {}
        for path in sorted((self.out / "runs").glob("*/result.json")):
            try:
                outcome = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                continue  # unreadable => not finished; the run is done again
            self._outcomes[outcome["run_id"]] = outcome
        self._last_flush = 0.0

    def _check_or_create(self) -> None:
        study_file = self.out / STUDY_FILE
        fingerprint = self.spec.fingerprint()
        if study_file.exists():
            stored = yaml.safe_load(study_file.read_text()) or {}
            if stored.get("fingerprint") != fingerprint:
                old = stored.get("spec") or {}
                new = self.spec.to_dict()
                diff = [k for k in new if k not in ("kind", "name", "description") and old.get(k) != new[k]]
                raise StudyDirError(
                    f"results directory {self.out} holds a different study ({old.get('name')!r}, "
                    f"fingerprint {stored.get('fingerprint')}; this spec is {fingerprint}); differing: "
                    f"{', '.join(diff) or 'spec details'}. Use another --out directory."
                )
            return
        if self.out.exists() and any(p.name not in (".", "..") for p in self.out.iterdir()):
            raise StudyDirError(
                f"results directory {self.out} exists, is not empty and has no {STUDY_FILE}: "
                f"choose an empty or new directory"
            )
        from gtdata._version import __version__

        atomic_write_text(
            study_file,
            yaml.safe_dump(
                {
                    "kind": KIND,
                    "fingerprint": fingerprint,
                    "gtdata_version": __version__,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "spec": self.spec.to_dict(),
                },
                sort_keys=False,
            ),
        )

    def run_dir(self, run_id: str) -> Path:
        return self.out / "runs" / run_id

    def finished(self) -> set[str]:
        """Ids of runs that finished successfully (they are skipped on re-run)."""
        return {rid for rid, o in self._outcomes.items() if o.get("status") == "ok"}

    def record(self, run: RunConfig, outcome: Mapping[str, Any], flush_every_s: float = 5.0) -> None:
        """Save one run's outcome atomically, and rebuild the table at most every ``flush_every_s``."""
        outcome = dict(outcome)
        outcome["run_id"] = run.run_id
        outcome["rows_table"] = build_rows(self.spec, run, outcome)
        atomic_write_text(
            self.run_dir(run.run_id) / "result.json", json.dumps(to_plain(outcome, json=True), indent=1, sort_keys=True)
        )
        self._outcomes[run.run_id] = outcome
        if time.monotonic() - self._last_flush >= flush_every_s:
            self.write_table()

    def rows(self) -> list[dict[str, Any]]:
        rows = [row for o in self._outcomes.values() for row in o.get("rows_table", [])]
        return sorted(rows, key=lambda r: (r.get("model_num", 0), str(r.get("representation"))))

    def write_table(self) -> pd.DataFrame:
        """Rewrite results.csv and results.jsonl atomically from the result files; return the table."""
        rows = self.rows()
        columns = order_columns(c for row in rows for c in row)
        frame = pd.DataFrame(rows, columns=columns)
        atomic_write_text(
            self.out / JSONL_FILE, "".join(json.dumps({c: r.get(c) for c in columns}) + "\n" for r in rows)
        )
        atomic_write_text(self.out / CSV_FILE, frame.to_csv(index=False))
        self._last_flush = time.monotonic()
        return frame


def _load_results_kind(path: Path, content: Any) -> pd.DataFrame:
    """The loader of ``kind: study_results`` files: the results table of the study directory they record."""
    return load_results(path.parent)


register_kind(KIND, summary="a study's results record", load=_load_results_kind, is_data=False)


def load_results(out: str | Path) -> pd.DataFrame:
    """The results table of a study directory as a DataFrame (one row per run and representation).

    Read from ``results.jsonl`` unless a run finished after it was written (a killed study), in which
    case the table is rebuilt from the per-run result files, which are the source of truth.

    Parameters
    ----------
    out : str or path
        The study's results directory (the ``out`` of :func:`run_study`).

    Returns
    -------
    pandas.DataFrame
        One row per run and representation: config columns, ``status`` and ``error``, metric columns
        (``<metric>.<score>``), timing and provenance; as :func:`run_study` returned it.

    Raises
    ------
    MissingFileError
        If ``out`` holds neither a ``study.yaml`` nor a ``results.jsonl``.

    Examples
    --------
    >>> import gtdata
    >>> spec = {"name": "demo", "datasets": ["toy"], "methods": [{"method": "beta_vae", "beta": [1, 4]}],
    ...         "seeds": 1, "steps": 10, "metrics": ["mig"]}
    >>> def fake_run(task):  # stands in for training and evaluation
    ...     return {"rows": {"mean": {"mig.discrete_mig": task.run.hparams["beta"] / 10}}}
    >>> _ = gtdata.run_study(spec, "demo_study", run_fn=fake_run, progress=False)
    >>> table = gtdata.load_results("demo_study")
    >>> table[["run_id", "method", "hparam.beta", "status", "mig.discrete_mig"]]
                 run_id    method  hparam.beta status  mig.discrete_mig
    0  ab624182e75caf2c  beta_vae            1     ok               0.1
    1  dbb69b4e29f24630  beta_vae            4     ok               0.4
    >>> gtdata.load_results("no_study_here")
    Traceback (most recent call last):
    ...
    gtdata.core.errors.MissingFileError: no_study_here is not a study directory (no study.yaml, no results.jsonl)
    """
    out = Path(out)
    table = out / JSONL_FILE
    if not (out / STUDY_FILE).exists() and not table.exists():
        raise MissingFileError(f"{out} is not a study directory (no {STUDY_FILE}, no {JSONL_FILE})")
    results = sorted((out / "runs").glob("*/result.json"))
    if table.exists():
        written = table.stat().st_mtime_ns
        if all(r.stat().st_mtime_ns <= written for r in results):
            rows = [json.loads(line) for line in table.read_text().splitlines() if line.strip()]
            return pd.DataFrame(rows, columns=list(rows[0]) if rows else [])
    rows = []
    for result in results:
        rows.extend(json.loads(result.read_text()).get("rows_table", []))
    rows.sort(key=lambda r: (r.get("model_num", 0), str(r.get("representation"))))
    return pd.DataFrame(rows, columns=order_columns(c for r in rows for c in r))
