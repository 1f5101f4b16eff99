"""Named splits of a factor grid: Schott et al.'s out-of-distribution protocols (:mod:`gtdata.splits.ood`)."""

from .ood import KINDS, OODSplit, OODSplitError, OODSubset, load_ood_split, ood_split

__all__ = ["KINDS", "OODSplit", "OODSplitError", "OODSubset", "load_ood_split", "ood_split"]
