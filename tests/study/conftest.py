import pytest
from fakes import fixed_catalog

from gtdata.study.catalog import Catalog


@pytest.fixture
def catalog() -> Catalog:
    return fixed_catalog()


@pytest.fixture
def small_spec() -> dict:
    return {
        "name": "small",
        "datasets": ["dsprites_like"],
        "methods": [{"method": "beta_vae", "beta": [1, 4]}],
        "seeds": 3,
        "steps": 10,
        "representation": ["mean", "sampled"],
        "metrics": ["fake"],
    }
