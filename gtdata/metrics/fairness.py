"""Fairness (Locatello et al., NeurIPS 2019), as disentanglement_lib's `fairness`: for every target factor a
boosted-trees predictor on the code; for every other (sensitive) factor, the total-variation distance between
the prediction distribution within each intervened value of the sensitive factor and overall."""

from __future__ import annotations

import numpy as np

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_positive_int
from gtdata.metrics._fitting import make_classifier, quiet_fit
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, encode_factors, prepare, resample_outside, sample_latents


def inter_group_fairness(counts: np.ndarray) -> tuple[float, float]:
    """Mean (weighted by group size) and max over groups c of TV(p(pred | c), p(pred)), for counts[pred, c]."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or np.any(counts < 0) or np.any(counts.sum(axis=0) == 0):
        raise InvalidValueError(
            "counts must be a (num_predictions, num_groups) array of nonnegative counts, every group non-empty"
        )
    overall = counts.sum(axis=1) / counts.sum()
    per_group = counts.sum(axis=0)
    tv = np.abs(counts / per_group - overall[:, None]).sum(axis=0) / 2.0
    return float(np.sum(tv * per_group) / per_group.sum()), float(np.max(tv))


def aggregate_fairness(matrix: np.ndarray, prefix: str) -> dict[str, float]:
    """Reference aggregation of a (target i x sensitive j) score matrix (diagonal ignored) into named keys:
    "{prefix}:pred{i}:sens{j}", per-row "{prefix}:pred{i}:{mean,max}_sens", per-column "{prefix}:sens{j}:{mean,max}_pred",
    and the eight combinations "{prefix}:{mean,max}_sens:{mean,max}_pred" / "{prefix}:{mean,max}_pred:{mean,max}_sens"
    (the outer statistic first). The paper's score is "mean_fairness:mean_pred:mean_sens"."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 2:
        raise InvalidValueError(f"matrix must be square with at least 2 factors; got shape {m.shape}")
    k = m.shape[0]
    off = ~np.eye(k, dtype=bool)
    out: dict[str, float] = {}
    for i in range(k):
        for j in range(k):
            if i != j:
                out[f"{prefix}:pred{i}:sens{j}"] = float(m[i, j])
    rows = [m[i, off[i]] for i in range(k)]
    cols = [m[off[:, j], j] for j in range(k)]
    for i, r in enumerate(rows):
        out[f"{prefix}:pred{i}:mean_sens"] = float(np.mean(r))
        out[f"{prefix}:pred{i}:max_sens"] = float(np.max(r))
    for j, c in enumerate(cols):
        out[f"{prefix}:sens{j}:mean_pred"] = float(np.mean(c))
        out[f"{prefix}:sens{j}:max_pred"] = float(np.max(c))
    col_mean, col_max = [np.mean(c) for c in cols], [np.max(c) for c in cols]
    row_mean, row_max = [np.mean(r) for r in rows], [np.max(r) for r in rows]
    for outer, stat in (("mean", np.mean), ("max", np.max)):
        out[f"{prefix}:{outer}_sens:mean_pred"] = float(stat(col_mean))
        out[f"{prefix}:{outer}_sens:max_pred"] = float(stat(col_max))
        out[f"{prefix}:{outer}_pred:mean_sens"] = float(stat(row_mean))
        out[f"{prefix}:{outer}_pred:max_sens"] = float(stat(row_max))
    return out


def compute_fairness(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    num_test_points_per_class: int = 100,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """Fairness scores (reference config: 10,000 training points, 100 test points per sensitive value,
    boosted trees). Keys from `aggregate_fairness` with prefixes `mean_fairness` and `max_fairness`.

    Parameters
    ----------
    data : GroundTruthData
        The data set to draw from: any object with disentanglement_lib's interface (``num_factors``,
        ``factors_num_values``, ``sample_factors``, ``sample_observations_from_factors``, ``sample``); every
        factor must take at least two values.
    representation : callable or torch.nn.Module
        The representation to score: observations (N, H, W, C) float32 in [0, 1] -> latents (N, L). A torch
        module gets NCHW tensors on its device; of a tuple output (a Gaussian encoder's ``(mean, logvar)``) the
        first element is used (:func:`as_representation`).
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None, default None
        Seed of the draws and of the fits (disentanglement_lib's name); the same seed gives the same scores.
        None draws fresh entropy.
    num_train : int, default 10000
        Points the boosted-trees predictor of each target factor is trained on.
    num_test_points_per_class : int, default 100
        Points per value of a sensitive factor, each set to that value by intervention.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.

    Returns
    -------
    dict of str to float
        With prefix ``mean_fairness`` (total-variation distance averaged over the sensitive factor's values, weighted
        by their size) and ``max_fairness`` (the largest distance): ``"<prefix>:pred<i>:sens<j>"`` for target i and
        sensitive factor j, and their means and maxima over targets and sensitive factors. The paper's score is
        ``"mean_fairness:mean_pred:mean_sens"``; 0 is fair (predictions do not depend on the sensitive factor).

    Raises
    ------
    InvalidValueError
        If the data set has fewer than 2 factors (a target and a sensitive one), or a size is not a positive
        integer.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_fairness
    >>> scores = compute_fairness(data, encode, random_state=0, num_train=100, num_test_points_per_class=10)
    >>> scores["mean_fairness:mean_pred:mean_sens"], scores["max_fairness:pred0:sens1"]
    (0.0, 0.0)
    """
    rep, rng = prepare(data, representation, random_state)
    per_class = check_positive_int(num_test_points_per_class, "num_test_points_per_class")
    sizes = [int(s) for s in data.factors_num_values]
    k = len(sizes)
    if k < 2:
        raise InvalidValueError("fairness needs at least 2 factors (a target and a sensitive one)")
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    mean_f = np.zeros((k, k))
    max_f = np.zeros((k, k))
    seeds = draw_seeds(rng, k)
    for i in range(k):
        model = make_classifier("gbt", seeds[i])
        with quiet_fit():
            model.fit(latents, factors[:, i])
        for j in range(k):
            if i == j:
                continue
            base = np.asarray(data.sample_factors(per_class, rng), dtype=np.int64)
            # every value c of factor j applied to the same base points, all values in one batched pass
            grid = np.repeat(base[None], sizes[j], axis=0)
            grid[:, :, j] = np.arange(sizes[j])[:, None]
            grid = grid.reshape(-1, k)
            pinned = np.zeros_like(grid, dtype=bool)
            pinned[:, j] = True
            grid = resample_outside(data, grid, pinned, rng)
            preds = model.predict(encode_factors(data, rep, grid, rng, encode_batch_size)).astype(np.int64)
            groups = np.repeat(np.arange(sizes[j]), per_class)
            counts = np.zeros((sizes[i], sizes[j]), dtype=np.int64)
            np.add.at(counts, (preds, groups), 1)
            mean_f[i, j], max_f[i, j] = inter_group_fairness(counts)
    out = aggregate_fairness(mean_f, "mean_fairness")
    out.update(aggregate_fairness(max_f, "max_fairness"))
    return out
