"""Names renamed after 0.1 still work: the old keyword or function warns (FutureWarning, naming the new one) and
gives the same result as the new name."""

import warnings

import numpy as np
import pytest

from gtdata.core.deprecation import KeywordConflictError
from gtdata.core.errors import GtdataError
from gtdata.core.memory import ToyData
from gtdata.metrics import arrays


def _call_warning(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    assert [w.category for w in caught] == [FutureWarning], [str(w.message) for w in caught]
    return result, str(caught[0].message)


def test_stream_seed_is_now_rng():
    data = ToyData(noise=0.1)
    (codes, images), message = _call_warning(lambda: data.stream(20, seed=3, start=5))
    assert "stream(seed=...) is deprecated" in message and "use GroundTruthData.stream(rng=...)" in message
    new_codes, new_images = data.stream(20, rng=3, start=5)
    np.testing.assert_array_equal(codes, new_codes)
    np.testing.assert_array_equal(images, new_images)
    with pytest.raises(KeywordConflictError, match="both seed= .* and rng=; pass only rng=") as info:
        data.stream(20, seed=3, rng=3)
    assert isinstance(info.value, GtdataError) and isinstance(info.value, TypeError)


def test_metrics_take_latents_and_rng():
    rng = np.random.default_rng(0)
    factors = rng.integers(0, 3, size=(300, 2))
    latents = factors + rng.normal(0, 0.1, size=factors.shape)
    new = arrays.dci(latents[:200], factors[:200], latents[200:], factors[200:], rng=4, n_jobs=1)
    old, message = _call_warning(
        lambda: arrays.dci(
            codes_train=latents[:200],
            factors_train=factors[:200],
            codes_test=latents[200:],
            factors_test=factors[200:],
            random_state=4,
            n_jobs=1,
        )
    )
    assert old == new and message.startswith("dci(codes_train=..., codes_test=..., random_state=...) is deprecated")
    assert message.endswith("use dci(latents_train=..., latents_test=..., rng=...)")
    old_mig, message = _call_warning(lambda: arrays.mig(codes=latents, factors=factors))
    assert old_mig == arrays.mig(latents, factors) and "use mig(latents=...)" in message


def test_disentanglement_lib_names_keep_random_state():
    # The disentanglement_lib-compatible methods keep that library's keyword, without a warning.
    data = ToyData()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes = data.sample_factors(5, random_state=1)
        data.sample_observations_from_factors(codes, random_state=1)
        data.sample(5, random_state=1)
