"""Reduced downstream task, as disentanglement_lib's `reduced_downstream_task`: for each factor, delete the code
dimension(s) most important for it (GBT importances, recomputed after every deletion) and measure how well all
factors can still be predicted by boosted trees from the rest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gtdata.core.deprecation import renamed_keywords
from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_pair, check_positive_int
from gtdata.metrics._fitting import fit_one
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.downstream import check_sizes, factor_accuracies
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_train_test


@renamed_keywords(codes_train="latents_train", codes_test="latents_test", random_state="rng")
def reduced_downstream(
    latents_train: np.ndarray,
    factors_train: np.ndarray,
    latents_test: np.ndarray,
    factors_test: np.ndarray,
    num_factors_to_remove: int = 1,
    rng: RNGLike = None,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Reduced downstream scores, with the reference's keys prefixed with the number n of training points:
    "n:reduced_factor_f:mean_{train,test}_accuracy_factor_i" (the accuracy of factor i once factor f's codes are
    removed), "n:reduced_factor_f:mean_{train,test}_accuracy_reduced_factor",
    "n:reduced_factor_f:mean_{train,test}_accuracy_non_reduced_factor", and the means over f
    "n:mean_{train,test}_accuracy_reduced_factor", "n:mean_{train,test}_accuracy_other_factors".

    Each removal needs only factor f's importances, so only f's model is fitted for it (the reference fits one
    per factor and reads column f); the seeds are drawn as for all factors, so the scores are the same."""
    ctr, ftr, cte, fte = check_pair(latents_train, factors_train, latents_test, factors_test)
    num_remove = check_positive_int(num_factors_to_remove, "num_factors_to_remove")
    num_latents, num_factors = ctr.shape[1], ftr.shape[1]
    if num_factors < 2:
        raise InvalidValueError(
            "reduced_downstream compares the reduced factor with the others; it needs at least 2 factors"
        )
    if num_remove >= num_latents:
        raise InvalidValueError(
            f"num_factors_to_remove={num_remove} must leave at least one of the {num_latents} code dimensions"
        )
    rng = as_rng(rng)
    n = ctr.shape[0]
    out: dict[str, float] = {}
    reduced = {"train": [], "test": []}
    others = {"train": [], "test": []}
    for f in range(num_factors):
        keep = np.arange(num_latents)
        for _ in range(num_remove):
            # One seed per factor, as a fit of every factor would take, so the rng stays where it did.
            seed = draw_seeds(rng, num_factors)[f]
            fit = fit_one("gbt", ctr[:, keep], ftr[:, f], cte[:, keep], fte[:, f], seed, want_importances=True)
            keep = np.delete(keep, int(np.argmax(fit.importances)))
        train, test = factor_accuracies("gbt", ctr[:, keep], ftr, cte[:, keep], fte, rng, n_jobs)
        prefix = f"{n}:reduced_factor_{f}:"
        for split, acc in (("train", train), ("test", test)):
            out[f"{prefix}mean_{split}_accuracy_reduced_factor"] = float(acc[f])
            out[f"{prefix}mean_{split}_accuracy_non_reduced_factor"] = float(np.mean(np.delete(acc, f)))
            reduced[split].append(acc[f])
            others[split].append(out[f"{prefix}mean_{split}_accuracy_non_reduced_factor"])
            for i in range(num_factors):
                out[f"{prefix}mean_{split}_accuracy_factor_{i}"] = float(acc[i])
    for split in ("train", "test"):
        out[f"{n}:mean_{split}_accuracy_reduced_factor"] = float(np.mean(reduced[split]))
        out[f"{n}:mean_{split}_accuracy_other_factors"] = float(np.mean(others[split]))
    return out


def compute_reduced_downstream(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: Sequence[int] | int = (100,),
    num_test: int = 100,
    num_factors_to_remove: int = 1,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
    n_jobs: int | None = None,
) -> dict[str, float]:
    """Reduced downstream task at every size in `num_train` (defaults: the reference's test configuration, as the
    study sets no values: 100 training and 100 test points, one dimension removed).

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
    num_train : int or sequence of int, default (100,)
        Training sizes; each gets its own training and test draw and its own keys.
    num_test : int, default 100
        Test points per training size.
    num_factors_to_remove : int, default 1
        Latent dimensions removed per factor (the most important for it, recomputed after each removal); must
        leave at least one.
    encode_batch_size : int, default 512
        Observations per call of ``representation``; bounds the memory of a draw.
    n_jobs : int or None, default None
        Processes for the per-factor fits (None: all cores; small fits stay in this process). The scores do not
        depend on it.

    Returns
    -------
    dict of str to float
        Per training size n and removed factor f, ``"n:reduced_factor_f:mean_{train,test}_accuracy_factor_i"``
        (the accuracy of boosted trees for factor i on the remaining latents), ``..._reduced_factor`` (for f itself)
        and ``..._non_reduced_factor`` (mean over the others); and over all f,
        ``"n:mean_{train,test}_accuracy_reduced_factor"`` and ``"n:mean_{train,test}_accuracy_other_factors"``.
        A disentangled representation loses the removed factor and keeps the others.

    Examples
    --------
    >>> import gtdata
    >>> data = gtdata.ToyData(factor_sizes=(2, 3), image_size=8)  # factor f sets the brightness of rows 4f to 4f+3
    >>> def encode(x):  # (N, 8, 8, 1) -> (N, 2): one latent per factor, a disentangled representation
    ...     return x[:, ::4, 0, 0]
    >>> from gtdata.metrics import compute_reduced_downstream
    >>> scores = compute_reduced_downstream(data, encode, random_state=0, num_train=100, num_test=100, n_jobs=1)
    >>> round(scores["100:reduced_factor_0:mean_test_accuracy_factor_0"], 2)  # factor 0 (2 values): chance
    0.52
    >>> scores["100:reduced_factor_0:mean_test_accuracy_factor_1"]
    1.0
    """
    sizes = check_sizes(num_train)
    rep, rng = prepare(data, representation, random_state)
    out: dict[str, float] = {}
    for n in sizes:
        ctr, ftr, cte, fte = sample_train_test(data, rep, rng, n, num_test, encode_batch_size)
        out.update(reduced_downstream(ctr, ftr, cte, fte, num_factors_to_remove, rng, n_jobs))
    return out
