"""Mean correlation coefficient (MCC) between learned latents and ground-truth factors (Khemakhem et al., iVAE,
AISTATS 2020; ICE-BeeM, NeurIPS 2020), as `ilkhem/icebeem`'s `metrics/mcc.py`.

The absolute Pearson (or Spearman) correlations between every latent and every factor form an (L, F) block; the
one-to-one matching of latents to factors that maximises the sum of ``|ρ|`` is found with the Hungarian method
(`scipy.optimize.linear_sum_assignment`), and MCC is the mean ``|ρ|`` over the matched pairs. With L ≠ F the block is
rectangular and min(L, F) pairs are matched (scipy's behaviour; no paper convention for the rest was found).
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import scipy.stats

from gtdata.core.errors import InvalidValueError
from gtdata.core.rng import RNGLike
from gtdata.metrics._checks import check_latents, check_positive_int, check_values
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents, sample_train_test

METHODS = ("pearson", "spearman")


def _unit_columns(x: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit Euclidean norm; a constant column (max == min) becomes all zeros.

    Testing max == min rather than a zero computed variance: the mean of a constant float column can differ from
    its entries by rounding, which would turn "constant" into noise of norm 1e-17 and a spurious ``|ρ|`` up to 1.
    """
    centred = x - x.mean(axis=0)
    constant = x.max(axis=0) == x.min(axis=0)
    centred[:, constant] = 0.0
    norm = np.sqrt(np.einsum("ij,ij->j", centred, centred))
    norm[constant] = 1.0
    return centred / norm


def correlation_matrix(latents: np.ndarray, factors: np.ndarray, method: str = "pearson") -> np.ndarray:
    """Signed correlations between every latent and every factor, shape (L, F).

    Parameters
    ----------
    latents : array of shape (N, L)
        Learned representation, one row per point.
    factors : array of shape (N, F)
        Integer factor codes, or any real ground-truth values, one row per point.
    method : {"pearson", "spearman"}
        Pearson's ρ (as ``np.corrcoef``), or Spearman's ρ: Pearson's ρ of the ranks, ties sharing their mean rank
        (as ``scipy.stats.spearmanr``).

    Returns
    -------
    ndarray of shape (L, F), float64
        ρ in [-1, 1]. A constant column (zero variance) has no defined correlation; its entries are 0 here
        (``np.corrcoef`` would give NaN), so it can only be matched with ``|ρ|`` = 0.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> correlation_matrix(z, np.array([[2], [1], [0]]))
    array([[-1.],
           [ 0.]])
    """
    latents = check_latents(latents, "latents")
    factors = check_values(factors, latents.shape[0], "factors")
    return _correlation(latents, factors, _check_method(method))


def _check_method(method: object) -> str:
    if method not in METHODS:
        raise InvalidValueError(f"method must be one of {METHODS}; got {method!r}")
    return method


def _correlation(latents: np.ndarray, factors: np.ndarray, method: str) -> np.ndarray:
    if method == "spearman":
        latents = scipy.stats.rankdata(latents, axis=0)
        factors = scipy.stats.rankdata(factors, axis=0)
    return np.clip(_unit_columns(latents).T @ _unit_columns(factors), -1.0, 1.0)


def mcc(
    latents: np.ndarray,
    factors: np.ndarray,
    method: str = "pearson",
    *,
    latents_test: np.ndarray | None = None,
    factors_test: np.ndarray | None = None,
) -> dict[str, object]:
    """Mean correlation coefficient of `latents` against `factors`, after the best one-to-one matching.

    Parameters
    ----------
    latents : array of shape (N, L)
        Learned representation, finite, one row per point (N >= 2).
    factors : array of shape (N, F)
        Integer factor codes (or any finite real ground-truth values) of the same points.
    method : {"pearson", "spearman"}
        Correlation measure (see `correlation_matrix`).
    latents_test, factors_test : arrays of shape (M, L) and (M, F), optional
        Held-out points (give both or neither). The out-of-sample variant of the reference
        (``mean_corr_coef_out_of_sample``): the matching is learned on (`latents`, `factors`) and the ``|ρ|`` of the
        matched pairs are read on the held-out points.

    Returns
    -------
    dict
        ``"mcc"`` (float): mean ``|ρ|`` over the min(L, F) matched pairs (on the held-out points when given);
        ``"per_factor"`` (F,) float: the matched ``|ρ|`` of each factor, NaN for a factor left unmatched (L < F);
        ``"matching"`` (F,) int64: the latent matched to each factor, -1 when unmatched;
        ``"correlation"`` (L, F): the signed ρ the matching was learned from; with held-out points also
        ``"correlation_test"`` (L, F), the signed ρ on them.

    Raises
    ------
    ValueError
        Bad shapes, fewer than 2 points, NaN or infinite values, an unknown `method`, or only one of
        `latents_test` / `factors_test`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.integers(0, 5, size=(200, 2))
    >>> latents = np.stack([-3.0 * factors[:, 1], 0.5 * factors[:, 0] + 1.0], axis=1)
    >>> result = mcc(latents, factors)
    >>> round(result["mcc"], 6), result["matching"].tolist()
    (1.0, [1, 0])
    """
    method = _check_method(method)
    latents = check_latents(latents, "latents")
    factors = check_values(factors, latents.shape[0], "factors")
    if (latents_test is None) != (factors_test is None):
        given = "latents_test" if latents_test is not None else "factors_test"
        raise InvalidValueError(
            f"the out-of-sample MCC needs both latents_test and factors_test; only {given} was given"
        )
    if latents_test is not None:
        lte = check_latents(latents_test, "latents_test")
        fte = check_values(factors_test, lte.shape[0], "factors_test")
        if lte.shape[1] != latents.shape[1]:
            raise InvalidValueError(
                f"latents_test has {lte.shape[1]} latent dimensions but latents has {latents.shape[1]}"
            )
        if fte.shape[1] != factors.shape[1]:
            raise InvalidValueError(f"factors_test has {fte.shape[1]} factors but factors has {factors.shape[1]}")
    corr = _correlation(latents, factors, method)
    rows, cols = scipy.optimize.linear_sum_assignment(-np.abs(corr))
    out: dict[str, object] = {"correlation": corr}
    read = corr
    if latents_test is not None:
        read = out["correlation_test"] = _correlation(lte, fte, method)
    matched = np.abs(read[rows, cols])
    per_factor = np.full(factors.shape[1], np.nan)
    per_factor[cols] = matched
    matching = np.full(factors.shape[1], -1, dtype=np.int64)
    matching[cols] = rows
    out.update({"mcc": float(matched.mean()), "per_factor": per_factor, "matching": matching})
    return out


def mcc_scores(result: dict[str, object]) -> dict[str, float]:
    """The scalar scores of an `mcc` result, as `evaluate` reports them: ``mcc``, ``mcc_factor_i`` (NaN when
    unmatched) and ``matched_latent_factor_i`` (-1 when unmatched)."""
    out: dict[str, float] = {"mcc": result["mcc"]}
    for i, (value, latent) in enumerate(zip(result["per_factor"], result["matching"])):
        out[f"mcc_factor_{i}"] = float(value)
        out[f"matched_latent_factor_{i}"] = int(latent)
    return out


def compute_mcc(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    method: str = "pearson",
    out_of_sample: bool = False,
    num_test: int = 5000,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """MCC on `num_train` fresh draws from `data` (with `out_of_sample`, the matching is learned on them and read
    on `num_test` further draws). Returns the scalar scores of `mcc_scores`."""
    rep, rng = prepare(data, representation, random_state)
    if out_of_sample:
        check_positive_int(num_test, "num_test", 2)
        ctr, ftr, cte, fte = sample_train_test(data, rep, rng, num_train, num_test, encode_batch_size)
        return mcc_scores(mcc(ctr, ftr, method, latents_test=cte, factors_test=fte))
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return mcc_scores(mcc(latents, factors, method))
