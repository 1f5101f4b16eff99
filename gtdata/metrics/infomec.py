"""InfoMEC: information-theoretic modularity (InfoM), explicitness (InfoE) and compactness (InfoC) of Hsu et al.
(NeurIPS 2023), as `kylehkhsu/latent_quantization`'s `disentangle/metrics/infomec.py`.

NMI_ij = I(factor_i; latent_j) / H(factor_i) in nats, with H the plug-in entropy. Continuous latents are
standardised and I is the k-nearest-neighbour estimate of `mutual_info_classif` (10 neighbours); discrete latents
are label-encoded and I is the plug-in `mutual_info_score`. Latents whose range is at most 1/20 of the largest
range (continuous) or zero (discrete) are pruned before InfoM and InfoC:

    InfoM = (mean over active j of max_i NMI_ij / sum_i NMI_ij - 1/F) / (1 - 1/F)
    InfoC = (mean over i of max_active j NMI_ij / sum_active j NMI_ij - 1/L_a) / (1 - 1/L_a)

InfoE = mean over factors of (H0 - H1) / H0: H1 is the log loss of a multinomial `LogisticRegression` (no
penalty, balanced class weights, lbfgs, 100 iterations) predicting the factor from all latents (standardised, or
one-hot when discrete), fitted and scored on the same points; H0 is the same with an all-zero input.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_selection import mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, mutual_info_score
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from gtdata.core.rng import RNGLike, as_rng
from gtdata.metrics._checks import check_factors, check_latents
from gtdata.metrics._fitting import quiet_fit
from gtdata.metrics._random import draw_seeds
from gtdata.metrics.sampling import DEFAULT_ENCODE_BATCH_SIZE, prepare, sample_latents

N_NEIGHBORS = 10
PRUNE_RATIO = 20.0
"""A continuous latent is active when its range exceeds the largest range divided by this."""


def _label_encode(x: np.ndarray) -> np.ndarray:
    """Each column mapped to 0..k-1 in sorted order of its distinct values (sklearn's `LabelEncoder`)."""
    return np.stack([np.unique(col, return_inverse=True)[1].ravel() for col in x.T], axis=1)


def _check_inputs(latents: object, factors: object) -> tuple[np.ndarray, np.ndarray]:
    latents = check_latents(latents, "latents", min_rows=N_NEIGHBORS + 1)
    return latents, check_factors(factors, latents.shape[0], "factors")


def nmi_matrix(
    latents: np.ndarray, factors: np.ndarray, *, discrete_latents: bool = False, rng: RNGLike = None
) -> np.ndarray:
    """Normalised mutual information between every factor and every latent, shape (F, L).

    Parameters
    ----------
    latents : array of shape (N, L)
        Learned representation (N >= 11, the k-NN estimator's 10 neighbours plus one).
    factors : array of shape (N, F)
        Integer factor codes; every factor must take at least two values.
    discrete_latents : bool
        Treat every latent column as discrete (plug-in estimate) instead of continuous (k-NN estimate).
    rng : int, Generator, RandomState or None
        Seeds the 1e-10-scale jitter `mutual_info_classif` adds to continuous latents to break ties.

    Returns
    -------
    ndarray of shape (F, L), float64
        I(factor_i; latent_j) / H(factor_i). The plug-in values lie in [0, 1]; the k-NN estimates are clipped
        below at 0 and can exceed 1 by their estimation error.

    Examples
    --------
    >>> import numpy as np
    >>> factors = np.array([[a, b] for a in range(3) for b in range(2)] * 4)
    >>> nmi_matrix(factors, factors, discrete_latents=True).round(6)
    array([[1., 0.],
           [0., 1.]])
    """
    latents, factors = _check_inputs(latents, factors)
    return _nmi(latents, _label_encode(factors), bool(discrete_latents), as_rng(rng))


def _nmi(latents: np.ndarray, sources: np.ndarray, discrete: bool, rng) -> np.ndarray:
    if discrete:
        z = _label_encode(latents)
    else:
        z = StandardScaler().fit_transform(latents)
    seeds = draw_seeds(rng, sources.shape[1])
    out = np.empty((sources.shape[1], latents.shape[1]))
    for i, s in enumerate(sources.T):
        if discrete:
            out[i] = [mutual_info_score(s, z[:, j]) for j in range(z.shape[1])]
        else:
            # One call per factor estimates each latent column separately (as one call per pair would); only the
            # tie-breaking jitter is drawn for all columns at once.
            out[i] = mutual_info_classif(z, s, discrete_features=False, n_neighbors=N_NEIGHBORS, random_state=seeds[i])
        out[i] /= mutual_info_score(s, s)
    return out


def _log_loss(x, y: np.ndarray) -> float:
    # penalty=None of the reference, spelled C=inf in scikit-learn >= 1.8; always multinomial for >2 classes.
    model = LogisticRegression(C=np.inf, tol=1e-4, class_weight="balanced", solver="lbfgs", max_iter=100)
    model.fit(x, y)
    return float(log_loss(y, model.predict_proba(x), labels=model.classes_))


def _normalised_mean_max(nmi: np.ndarray, axis: int) -> float:
    """(mean of max/sum along `axis`, minus 1/n) / (1 - 1/n), n the length of that axis; NaN when n == 1.

    A slice with no information at all (sum 0; the reference divides 0 by 0 and returns NaN) counts as uniform:
    it scores 1/n, which contributes 0 after normalisation.
    """
    n = nmi.shape[axis]
    if n < 2:
        return float("nan")
    total = nmi.sum(axis=axis)
    ratio = np.full(total.shape, 1.0 / n)
    np.divide(nmi.max(axis=axis), total, out=ratio, where=total > 0)
    return float((ratio.mean() - 1.0 / n) / (1.0 - 1.0 / n))


def infomec(
    latents: np.ndarray,
    factors: np.ndarray,
    *,
    discrete_latents: bool = False,
    rng: RNGLike = None,
) -> dict[str, object]:
    """InfoM, InfoC and InfoE of `latents` against integer `factors`, with the NMI matrix they come from.

    Parameters
    ----------
    latents : array of shape (N, L)
        Learned representation, finite (N >= 11).
    factors : array of shape (N, F)
        Integer factor codes; every factor must take at least two values.
    discrete_latents : bool
        The latents are discrete (e.g. quantised): plug-in mutual information, prune only constant latents,
        one-hot inputs for InfoE.
    rng : int, Generator, RandomState or None
        Seeds the k-NN estimator's jitter (continuous latents only).

    Cost: F × L k-NN mutual-information estimates and 2F logistic regressions; 4 to 11 s at N = 10,000, L = 10,
    F = 5 on a busy 2-core machine (``scripts/bench_identifiability.py``), mostly the k-NN estimates.

    Returns
    -------
    dict
        ``"infom"``, ``"infoc"``, ``"infoe"`` (floats, 1 is best; InfoM is NaN with a single factor and InfoC with
        a single active latent, where their normalisation divides by 0; both are NaN with no active latent);
        ``"infoe_per_factor"`` (F,); ``"nmi"`` (F, L) over all latents; ``"active_latents"`` (L,) bool.

    Raises
    ------
    ValueError
        Bad shapes, fewer than 11 points, NaN or infinite values, non-integer factor codes, or a factor that takes
        a single value (its entropy is 0).

    Examples
    --------
    >>> import numpy as np
    >>> factors = np.array([[a, b] for a in range(3) for b in range(4)] * 5)
    >>> result = infomec(factors, factors, discrete_latents=True)
    >>> result["infom"], result["infoc"], result["active_latents"].tolist()
    (1.0, 1.0, [True, True])
    """
    latents, factors = _check_inputs(latents, factors)
    discrete = bool(discrete_latents)
    sources = _label_encode(factors)
    nmi = _nmi(latents, sources, discrete, as_rng(rng))

    ranges = latents.max(axis=0) - latents.min(axis=0)
    active = ranges > 0 if discrete else ranges > ranges.max() / PRUNE_RATIO
    pruned = nmi[:, active]
    if active.any():
        infom = _normalised_mean_max(pruned, axis=0)
        infoc = _normalised_mean_max(pruned, axis=1)
    else:
        infom = infoc = float("nan")

    if discrete:
        inputs = OneHotEncoder().fit_transform(latents)
    else:
        inputs = StandardScaler().fit_transform(latents)
    zeros = np.zeros_like(latents)
    infoe = np.empty(sources.shape[1])
    with quiet_fit():  # the reference's 100 lbfgs iterations often stop before convergence
        for i, s in enumerate(sources.T):
            conditional, marginal = _log_loss(inputs, s), _log_loss(zeros, s)
            infoe[i] = (marginal - conditional) / marginal
    return {
        "infom": infom,
        "infoc": infoc,
        "infoe": float(infoe.mean()),
        "infoe_per_factor": infoe,
        "nmi": nmi,
        "active_latents": active,
    }


def infomec_scores(result: dict[str, object]) -> dict[str, float]:
    """The scalar scores of an `infomec` result, as `evaluate` reports them: ``infom``, ``infoc``, ``infoe``,
    ``num_active_latents`` and ``infoe_factor_i``."""
    out = {k: result[k] for k in ("infom", "infoc", "infoe")}
    out["num_active_latents"] = int(np.sum(result["active_latents"]))
    out.update({f"infoe_factor_{i}": float(v) for i, v in enumerate(result["infoe_per_factor"])})
    return out


def compute_infomec(
    data: object,
    representation: object,
    random_state: RNGLike = None,
    num_train: int = 10000,
    discrete_latents: bool = False,
    encode_batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> dict[str, float]:
    """InfoMEC on `num_train` fresh draws from `data`. Returns the scalar scores of `infomec_scores`."""
    rep, rng = prepare(data, representation, random_state)
    latents, factors = sample_latents(data, rep, num_train, rng, encode_batch_size)
    return infomec_scores(infomec(latents, factors, discrete_latents=discrete_latents, rng=rng))
