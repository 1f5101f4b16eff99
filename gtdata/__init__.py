"""gtdata: ground-truth data for disentangled and causal representation learning.

Factor-indexed benchmark sets (downloaded, checksummed, memory-mapped), sampling by factor and intervention
pairs, procedurally rendered data sets, the reference VAEs, the metric suite and the study on top.
"""

from ._version import __version__

from .core.data import GroundTruthData, PairBatch, TripletBatch
from .core.errors import GtdataError
from .core.factors import Code, Factor, FactorSpace
from .core.memory import ArrayData, ToyData, from_arrays
from .core.split import SplitError
from .registry import DatasetInfo, list_datasets, load, register
from .store.cache import cache_root
from .store.hdf5 import export_hdf5, import_hdf5
from .store.prepared import PreparedData, PreparedWriter
from .datasets import (Cars3D, ColorDSprites, DSprites, MPI3D, NoisyDSprites, ScreamDSprites, Shapes3D,
                       SmallNORB)
from .render import RenderedData, RenderSpec, SpecError, export_rendered
from .splits import OODSplit, load_ood_split, ood_split

# torch and scikit-learn load only when the trainer or the metrics are first used, so `import gtdata`
# (and every DataLoader or Ray worker that unpickles a data set) stays fast.
_LAZY = {"train": "gtdata.training", "train_pack": "gtdata.training", "load_run": "gtdata.training", "Run": "gtdata.training",
         "TrainConfig": "gtdata.training", "TrainingDiverged": "gtdata.training",
         "evaluate": "gtdata.metrics", "metrics": None, "causal": None, "sampling": None,
         "run_study": "gtdata.study", "load_results": "gtdata.study", "write_report": "gtdata.study",
         "StudySpec": "gtdata.study", "load_spec": "gtdata.study"}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'gtdata' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(_LAZY[name] or f"gtdata.{name}")
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value

__all__ = [
    "__version__",
    "ArrayData",
    "Cars3D",
    "ColorDSprites",
    "DSprites",
    "MPI3D",
    "NoisyDSprites",
    "OODSplit",
    "RenderSpec",
    "RenderedData",
    "Run",
    "ScreamDSprites",
    "Shapes3D",
    "TrainConfig",
    "TrainingDiverged",
    "SmallNORB",
    "SpecError",
    "Code",
    "DatasetInfo",
    "Factor",
    "FactorSpace",
    "GroundTruthData",
    "GtdataError",
    "PairBatch",
    "PreparedData",
    "PreparedWriter",
    "SplitError",
    "StudySpec",
    "ToyData",
    "TripletBatch",
    "cache_root",
    "causal",
    "evaluate",
    "export_rendered",
    "load_results",
    "load_run",
    "load_spec",
    "metrics",
    "train",
    "train_pack",
    "export_hdf5",
    "from_arrays",
    "import_hdf5",
    "list_datasets",
    "load",
    "load_ood_split",
    "ood_split",
    "register",
    "sampling",
    "run_study",
    "write_report",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
