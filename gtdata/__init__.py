"""gtdata: ground-truth data for disentangled and causal representation learning.

Factor-indexed benchmark sets (downloaded, checksummed, memory-mapped), sampling by factor and intervention
pairs, procedurally rendered data sets, the reference VAEs, the metric suite and the study on top.
"""

__version__ = "0.1.0"

from .core.data import GroundTruthData, PairBatch, TripletBatch
from .core.factors import Code, Factor, FactorSpace
from .core.memory import ArrayData, ToyData, from_arrays
from .core.split import SplitError
from .registry import DatasetInfo, list_datasets, load, register
from .store.cache import cache_root
from .store.hdf5 import export_hdf5, import_hdf5
from .store.prepared import PreparedData, PreparedWriter

__all__ = [
    "__version__",
    "ArrayData",
    "Code",
    "DatasetInfo",
    "Factor",
    "FactorSpace",
    "GroundTruthData",
    "PairBatch",
    "PreparedData",
    "PreparedWriter",
    "SplitError",
    "ToyData",
    "TripletBatch",
    "cache_root",
    "export_hdf5",
    "from_arrays",
    "import_hdf5",
    "list_datasets",
    "load",
    "register",
]
