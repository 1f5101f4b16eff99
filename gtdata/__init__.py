"""gtdata: ground-truth data for disentangled and causal representation learning.

Factor-indexed benchmark sets (downloaded, checksummed, memory-mapped), sampling by factor and intervention
pairs, procedurally rendered data sets, the reference VAEs, the metric suite and the study on top.
"""

import logging as _logging

from ._version import __version__
from .core.data import GroundTruthData, PairBatch, TripletBatch
from .core.deprecation import KeywordConflictError
from .core.errors import (
    GtdataError,
    InvalidTypeError,
    InvalidValueError,
    MissingFileError,
    NoAccessError,
    OutOfRangeError,
    UnknownNameError,
)
from .core.factors import Code, Factor, FactorSpace, FactorSpecError
from .core.kinds import KindError
from .core.memory import ArrayData, ToyData, from_arrays
from .core.persist import DiskWriteError, InsufficientSpaceError, OutputExistsError
from .core.split import SplitError
from .datasets import MPI3D, Cars3D, ColorDSprites, DSprites, NoisyDSprites, ScreamDSprites, Shapes3D, SmallNORB
from .datasets.archive import UnsafeArchiveError
from .datasets.checksums import ChecksumError
from .datasets.fetch import DownloadError
from .datasets.manifest import ManifestError, UnknownDatasetError
from .registry import DatasetInfo, list_datasets, load, register
from .render import RenderedData, RenderSpec, SpecError, export_rendered
from .render.shapes import ShapeParamError
from .splits import OODSplit, OODSplitError, load_ood_split, ood_split
from .store.cache import cache_root
from .store.hdf5 import export_hdf5, import_hdf5
from .store.prepared import PreparedData, PreparedWriter
from .store.yamlio import YAMLFileError

# torch and scikit-learn load only when the trainer or the metrics are first used, so `import gtdata`
# (and every DataLoader or Ray worker that unpickles a data set) stays fast.
_LAZY = {
    "train": "gtdata.training",
    "train_pack": "gtdata.training",
    "load_run": "gtdata.training",
    "Run": "gtdata.training",
    "TrainConfig": "gtdata.training",
    "TrainingDiverged": "gtdata.training",
    "evaluate": "gtdata.metrics",
    "metrics": None,
    "causal": None,
    "sampling": None,
    "run_study": "gtdata.study",
    "load_results": "gtdata.study",
    "write_report": "gtdata.study",
    "StudySpec": "gtdata.study",
    "load_spec": "gtdata.study",
    # the errors of the lazily loaded packages
    "PackError": "gtdata.training.pack",
    "RunDirError": "gtdata.training.rundir",
    "SCMError": "gtdata.causal",
    "MechanismError": "gtdata.causal.mechanisms",
    "StudyDirError": "gtdata.study.results",
    "StudyExecutionError": "gtdata.study.executors",
    "StudySpecError": "gtdata.study.spec",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'gtdata' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(_LAZY[name] or f"gtdata.{name}")
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value


__all__ = [
    "MPI3D",
    "ArrayData",
    "Cars3D",
    "ChecksumError",
    "Code",
    "ColorDSprites",
    "DSprites",
    "DatasetInfo",
    "DiskWriteError",
    "DownloadError",
    "Factor",
    "FactorSpace",
    "FactorSpecError",
    "GroundTruthData",
    "GtdataError",
    "InsufficientSpaceError",
    "InvalidTypeError",
    "InvalidValueError",
    "KeywordConflictError",
    "KindError",
    "ManifestError",
    "MechanismError",
    "MissingFileError",
    "NoAccessError",
    "NoisyDSprites",
    "OODSplit",
    "OODSplitError",
    "OutOfRangeError",
    "OutputExistsError",
    "PackError",
    "PairBatch",
    "PreparedData",
    "PreparedWriter",
    "RenderSpec",
    "RenderedData",
    "Run",
    "RunDirError",
    "SCMError",
    "ScreamDSprites",
    "ShapeParamError",
    "Shapes3D",
    "SmallNORB",
    "SpecError",
    "SplitError",
    "StudyDirError",
    "StudyExecutionError",
    "StudySpec",
    "StudySpecError",
    "ToyData",
    "TrainConfig",
    "TrainingDiverged",
    "TripletBatch",
    "UnknownDatasetError",
    "UnknownNameError",
    "UnsafeArchiveError",
    "YAMLFileError",
    "__version__",
    "cache_root",
    "causal",
    "evaluate",
    "export_hdf5",
    "export_rendered",
    "from_arrays",
    "import_hdf5",
    "list_datasets",
    "load",
    "load_ood_split",
    "load_results",
    "load_run",
    "load_spec",
    "metrics",
    "ood_split",
    "register",
    "run_study",
    "sampling",
    "train",
    "train_pack",
    "write_report",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


# A library logs and lets the application decide what to show (the CLI shows INFO on stderr).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
