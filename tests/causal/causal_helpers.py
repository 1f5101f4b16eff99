"""Exact-probability helpers shared by the causal tests."""

import numpy as np


def grid_probs(scm):
    space = scm.factor_space
    return np.exp(scm.log_prob(space.index_to_codes(np.arange(space.size))))


def assert_frequencies(codes, space, probs, sigmas=6.0):
    """Sampled frequencies within `sigmas` binomial standard deviations of the exact probabilities, per cell.

    With a few hundred cells, a 6-sigma bound is exceeded by chance with probability ~1e-7, while a wrong
    inverse CDF or a mechanism off by one code moves whole cells by many sigmas. Cells with tiny probability
    (expected count below one) are Poisson, not normal: they may hold up to 10 draws.
    """
    n = codes.shape[0]
    freq = np.bincount(space.codes_to_index(codes), minlength=space.size) / n
    bound = sigmas * np.sqrt(probs * (1 - probs) / n) + 10.0 / n
    worst = np.argmax(np.abs(freq - probs) / bound)
    assert np.all(np.abs(freq - probs) <= bound), (worst, freq[worst], probs[worst])
    assert np.all(freq[probs == 0] == 0)
