"""Studies: sweeps of data sets x methods x hyper-parameters x seeds, run locally or on Ray.

``run_study(spec, out)`` expands a spec (a preset name, YAML path or dict) into runs with stable ids,
trains and evaluates each, and gathers one tidy results table; ``load_results(out)`` reads it back as a
DataFrame and ``write_report(out)`` draws the study's figures.
"""

from gtdata.study.catalog import Catalog
from gtdata.study.driver import run_study
from gtdata.study.executors import LocalExecutor, RayExecutor, RunTask, StudyExecutionError
from gtdata.study.presets import PRESETS, preset
from gtdata.study.report import write_report
from gtdata.study.results import StudyDirError, load_results
from gtdata.study.runs import RunConfig, expand
from gtdata.study.spec import StudySpec, StudySpecError, load_spec

__all__ = [
    "PRESETS",
    "Catalog",
    "LocalExecutor",
    "RayExecutor",
    "RunConfig",
    "RunTask",
    "StudyDirError",
    "StudyExecutionError",
    "StudySpec",
    "StudySpecError",
    "expand",
    "load_results",
    "load_spec",
    "preset",
    "run_study",
    "write_report",
]
