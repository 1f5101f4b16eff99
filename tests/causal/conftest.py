import numpy as np
import pytest

import gtdata
from gtdata.causal import SCM, AdditiveNoise, Table, TruncatedNormal


@pytest.fixture(scope="module")
def toy():
    return gtdata.load("toy")  # factors 3, 4, 5, 6: 360 grid points


@pytest.fixture(scope="module")
def chain(toy):
    """factor0 -> factor1 -> factor2, factor3 a truncated-normal root: every mechanism kind on the grid."""
    table = np.random.default_rng(0).random((4, 5)) + 0.05
    table[1, 2] = 0.0  # a zero-probability cell
    return SCM(
        toy.factor_space,
        {
            "factor1": AdditiveNoise({"factor0": 2.0}, bias=0.1, scale=0.3),
            "factor2": Table(["factor1"], table),
            "factor3": TruncatedNormal(0.4, 0.25),
        },
        name="chain",
    )
