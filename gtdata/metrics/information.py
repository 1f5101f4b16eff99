"""Discretisation and plug-in information measures (nats) used by MIG, modularity, IRS and the unsupervised scores.

Values equal disentanglement_lib's `_histogram_discretize`, `discrete_mutual_info` and `discrete_entropy`
(scikit-learn `mutual_info_score`), computed with one `bincount` per pair instead of a contingency table per call.
"""

from __future__ import annotations

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.metrics._checks import check_positive_int


def histogram_discretize(values: np.ndarray, num_bins: int = 20) -> np.ndarray:
    """Bin every column of `values` (N, D) into `num_bins` equal-width bins over its own range.

    Returns int64 (N, D) labels in 1..num_bins (the column maximum falls in bin `num_bins`), exactly as
    `np.digitize(x, np.histogram(x, num_bins)[1][:-1])` per column. A constant column lands in one bin.
    """
    num_bins = check_positive_int(num_bins, "num_bins")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise InvalidValueError(f"values must have shape (N, D); got shape {values.shape}")
    out = np.empty(values.shape, dtype=np.int64)
    for j in range(values.shape[1]):  # one vectorised pass per column; edges differ per column
        edges = np.histogram_bin_edges(values[:, j], bins=num_bins)
        out[:, j] = np.searchsorted(edges[:-1], values[:, j], side="right")
    return out


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map every column to dense labels 0..k-1; return (dense (N, D), k per column)."""
    dense = np.empty(labels.shape, dtype=np.int64)
    sizes = np.empty(labels.shape[1], dtype=np.int64)
    for j in range(labels.shape[1]):
        uniq, inv = np.unique(labels[:, j], return_inverse=True)
        dense[:, j] = inv.reshape(-1)
        sizes[j] = uniq.size
    return dense, sizes


def discrete_mutual_info(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plug-in mutual information (nats) between every column of `a` (N, D) and every column of `b` (N, F).

    Columns are discrete labels (any integers). Returns float64 (D, F); equals scikit-learn's
    `mutual_info_score(b[:, j], a[:, i])` for each pair.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
        raise InvalidValueError(f"a and b must be (N, D) and (N, F) with the same N; got {a.shape} and {b.shape}")
    n = a.shape[0]
    da, ka = _relabel(a)
    db, kb = _relabel(b)
    pa = [np.bincount(da[:, i], minlength=ka[i]) / n for i in range(a.shape[1])]
    pb = [np.bincount(db[:, j], minlength=kb[j]) / n for j in range(b.shape[1])]
    out = np.zeros((a.shape[1], b.shape[1]))
    for i in range(a.shape[1]):
        for j in range(b.shape[1]):
            joint = np.bincount(da[:, i] * kb[j] + db[:, j], minlength=ka[i] * kb[j]) / n
            nz = np.nonzero(joint)[0]
            pj = joint[nz]
            outer = pa[i][nz // kb[j]] * pb[j][nz % kb[j]]
            out[i, j] = max(float(np.sum(pj * (np.log(pj) - np.log(outer)))), 0.0)
    return out


def discrete_entropy(labels: np.ndarray) -> np.ndarray:
    """Plug-in entropy (nats) of every column of `labels` (N, F); float64 (F,)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise InvalidValueError(f"labels must have shape (N, F); got shape {labels.shape}")
    dense, sizes = _relabel(labels)
    out = np.empty(labels.shape[1])
    for j in range(labels.shape[1]):
        p = np.bincount(dense[:, j], minlength=sizes[j]) / labels.shape[0]
        p = p[p > 0]
        out[j] = float(-np.sum(p * np.log(p)))
    return out


def discretize(values: np.ndarray, num_bins: int | None) -> np.ndarray:
    """Histogram-discretise the columns of `values` with `num_bins`, or use them as labels when `num_bins` is None."""
    if num_bins is None:
        return np.asarray(values)
    return histogram_discretize(values, num_bins)
