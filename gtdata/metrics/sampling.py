"""Sampling side of the metrics: representation functions, batched encoding, and draws from GroundTruthData.

Only disentanglement_lib's interface of the data object is used (`num_factors`, `factors_num_values`,
`sample_factors`, `sample_observations_from_factors`, `sample`), so any object with it works. Protocols that
pin factors (BetaVAE, FactorVAE, fairness, strong downstream) additionally consult a gtdata set's `grid_mask`
so that pinned draws stay inside a split or an incomplete grid.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from gtdata.core.deprecation import deprecated_alias, renamed_keywords
from gtdata.core.errors import InvalidTypeError, InvalidValueError
from gtdata.core.rng import as_rng
from gtdata.metrics._checks import check_positive_int

Representation = Callable[[np.ndarray], np.ndarray]

DEFAULT_ENCODE_BATCH_SIZE = 512
# Protocols that pin factors draw the integer codes of this many rows at once (a few hundred kB), then render and
# encode them in chunks of the encode batch size.
SAMPLING_ROWS = 8192


def as_representation(representation: object) -> Representation:
    """Return a numpy (N, H, W, C) float32 -> (N, L) function for a callable or a torch `nn.Module`.

    A module gets NCHW float32 tensors on its own device, runs under `torch.no_grad()` in eval mode (its
    training flag is restored afterwards); when it returns a tuple or list (a Gaussian encoder's
    `(mean, logvar)`), the first element, the mean, is the representation.

    Parameters
    ----------
    representation : callable or torch.nn.Module
        A function from observations (N, H, W, C) float32 in [0, 1] to latents (N, L), returned as it is, or a
        torch module taking (N, C, H, W) tensors.

    Returns
    -------
    callable
        numpy (N, H, W, C) -> numpy (N, L). A module is called on chunks of at most 512 observations, each
        converted and moved to its device on its own, so the memory of a call is bounded for any N.

    Raises
    ------
    InvalidTypeError
        If ``representation`` is neither callable nor a torch module.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from gtdata.metrics import as_representation
    >>> encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 3))
    >>> encode = as_representation(encoder)
    >>> latents = encode(np.zeros((5, 8, 8, 1), dtype=np.float32))
    >>> type(latents).__name__, latents.shape
    ('ndarray', (5, 3))
    >>> as_representation(np.mean) is np.mean
    True
    """
    # A torch module can only exist if torch is already imported: importing it here would cost seconds.
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(representation, torch.nn.Module):
        return _TorchRepresentation(representation)
    if callable(representation):
        return representation
    raise InvalidTypeError(
        "representation must be a callable (numpy (N, H, W, C) float32 -> (N, L)) or a torch nn.Module; "
        f"got {type(representation).__name__}"
    )


class _TorchRepresentation:
    """numpy-in, numpy-out wrapper of a torch module (see `as_representation`).

    The module sees at most `chunk_size` observations per call, each chunk converted to float32 NCHW and moved
    to the module's device on its own, so the memory of a call is bounded for any N (on a GPU as on the CPU).
    """

    def __init__(self, module: object, chunk_size: int = DEFAULT_ENCODE_BATCH_SIZE):
        self.module = module
        self.chunk_size = check_positive_int(chunk_size, "chunk_size")

    def __call__(self, observations: np.ndarray) -> np.ndarray:
        import torch

        params = list(self.module.parameters())
        device = params[0].device if params else torch.device("cpu")
        observations = np.asarray(observations)
        parts = []
        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                # max(N, 1): an empty batch still goes through the module once, which gives the output's width.
                for lo in range(0, max(observations.shape[0], 1), self.chunk_size):
                    chunk = np.asarray(observations[lo : lo + self.chunk_size], dtype=np.float32)
                    x = torch.from_numpy(np.ascontiguousarray(chunk.transpose(0, 3, 1, 2)))
                    out = self.module(x.to(device))
                    if isinstance(out, (tuple, list)):
                        out = out[0]
                    parts.append(out.detach().cpu().numpy())
        finally:
            self.module.train(was_training)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


def check_output(out: object, num_rows: int) -> np.ndarray:
    """Validate one batch of representation output: (num_rows, L) finite numbers; float64."""
    try:
        arr = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"the representation must return a numeric array of shape (N, L); got {type(out).__name__}"
        ) from exc
    if arr.ndim != 2:
        raise InvalidValueError(f"the representation must return shape (N, L) = ({num_rows}, L); got shape {arr.shape}")
    if arr.shape[0] != num_rows:
        raise InvalidValueError(
            f"the representation returned {arr.shape[0]} rows for a batch of {num_rows} observations"
        )
    if arr.shape[1] == 0:
        raise InvalidValueError("the representation returned zero latent dimensions")
    if not np.all(np.isfinite(arr)):
        raise InvalidValueError(
            f"the representation returned {int(np.sum(~np.isfinite(arr)))} NaN or infinite values "
            f"in a batch of {num_rows} observations"
        )
    return arr


def check_data(data: object) -> list[int]:
    """Check that `data` has the disentanglement_lib interface and no single-valued factor; factor sizes."""
    missing = [
        a
        for a in ("num_factors", "factors_num_values", "sample_factors", "sample_observations_from_factors", "sample")
        if not hasattr(data, a)
    ]
    if missing:
        raise InvalidTypeError(
            f"data must be a GroundTruthData (or have disentanglement_lib's interface); missing {missing}"
        )
    sizes = [int(s) for s in data.factors_num_values]
    single = [i for i, s in enumerate(sizes) if s < 2]
    if single:
        names = getattr(data, "factor_names", None)
        label = [names[i] for i in single] if names is not None else single
        raise InvalidValueError(
            f"factor(s) {label} of the data set take a single value; the metrics need every factor to vary "
            "(use a data set without constant factors)"
        )
    return sizes


def sample_latents(
    data: object,
    representation: Representation,
    num: int,
    rng: np.random.Generator | np.random.RandomState,
    batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw `num` points, encode them chunk by chunk; (latents float64 (num, L), factors int64 (num, F)).

    The counterpart of disentanglement_lib's `generate_batch_factor_code` (rows are points here). Memory is
    bounded by `batch_size` images.
    """
    num = check_positive_int(num, "num")
    batch_size = check_positive_int(batch_size, "batch_size")
    latents, factors = [], []
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        f, x = data.sample(n, rng)
        latents.append(check_output(representation(x), n))
        factors.append(np.asarray(f, dtype=np.int64))
    return np.concatenate(latents, axis=0), np.concatenate(factors, axis=0)


# 0.1 called the learned representation "codes", the word the core uses for factor indices.
sample_codes = deprecated_alias(sample_latents, "sample_codes")


def resample_outside(
    data: object, factors: np.ndarray, pinned: np.ndarray, rng: np.random.Generator | np.random.RandomState
) -> np.ndarray:
    """Redraw rows of `factors` that fall outside the data's split, keeping the entries where `pinned` is True.

    `pinned` is a bool array like `factors`. The redrawn rows are uniform among the split's grid points that agree
    with the pinned entries (rejection sampling). Data without a split (or without `grid_mask`) is returned as is.
    """
    mask = getattr(data, "grid_mask", None)
    if mask is None:
        return factors
    strides = data.factor_space.strides
    for _ in range(1000):
        bad = np.nonzero(~mask[factors @ strides])[0]
        if bad.size == 0:
            return factors
        redraw = np.asarray(data.sample_factors(bad.size, rng), dtype=np.int64)
        keep = pinned[bad]
        redraw[keep] = factors[bad][keep]
        factors[bad] = redraw
    raise InvalidValueError(
        "could not draw factor combinations inside the data set's split that keep the pinned factor values "
        f"({int(bad.size)} rows left); the split {getattr(data, 'split_description', '')} excludes them"
    )


@renamed_keywords(random_state="rng")
def prepare(
    data: object, representation: object, rng: object
) -> tuple[Representation, np.random.Generator | np.random.RandomState]:
    """Validate `data`, wrap `representation` and normalise the seed: the first step of every sampling-level metric."""
    check_data(data)
    return as_representation(representation), as_rng(rng)


def sample_train_test(
    data: object,
    representation: Representation,
    rng: np.random.Generator | np.random.RandomState,
    num_train: int,
    num_test: int,
    batch_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A training draw of `num_train` points, then a test draw of `num_test`: (latents_train, factors_train,
    latents_test, factors_test)."""
    latents_train, factors_train = sample_latents(data, representation, num_train, rng, batch_size)
    latents_test, factors_test = sample_latents(data, representation, num_test, rng, batch_size)
    return latents_train, factors_train, latents_test, factors_test


def encode_factors(
    data: object,
    representation: Representation,
    factors: np.ndarray,
    rng: np.random.Generator | np.random.RandomState,
    batch_size: int = DEFAULT_ENCODE_BATCH_SIZE,
) -> np.ndarray:
    """Render observations of the given factor codes (N, F) chunk by chunk and encode them; float64 (N, L)."""
    batch_size = check_positive_int(batch_size, "batch_size")
    parts = []
    for start in range(0, factors.shape[0], batch_size):
        chunk = factors[start : start + batch_size]
        parts.append(check_output(representation(data.sample_observations_from_factors(chunk, rng)), chunk.shape[0]))
    return np.concatenate(parts, axis=0)
