"""Sample-size defaults that a metric's function and the suite's table (:mod:`gtdata.metrics.evaluate`) both
use, kept in a module that loads no scikit-learn so that the table stays cheap to import."""

DEFAULT_NUM_TRAIN = (10, 100, 1000, 10000)
"""Training sizes of the downstream tasks (one score per size, as in Locatello et al.)."""

DEFAULT_MAX_KERNEL_TRAIN = 2000
"""Fit points of the kernel ridge regression of R²: its cost grows as n³ (a dense solve per setting and fold)."""
