import pytest

from gtdata.study.catalog import Catalog


@pytest.fixture
def catalog() -> Catalog:
    """A fixed vocabulary so spec tests do not depend on which data sets are registered."""
    return Catalog(
        datasets=frozenset({"dsprites_like", "dsprites_full", "color_dsprites", "noisy_dsprites",
                            "scream_dsprites", "smallnorb", "cars3d", "shapes3d", "mpi3d_real"}),
        methods={
            "beta_vae": frozenset({"beta"}),
            "annealed_vae": frozenset({"c_max", "gamma", "iteration_threshold"}),
            "factor_vae": frozenset({"gamma"}),
            "dip_vae_i": frozenset({"lambda_od", "lambda_d_factor"}),
            "dip_vae_ii": frozenset({"lambda_od", "lambda_d_factor"}),
            "beta_tc_vae": frozenset({"beta"}),
            "ada_gvae": frozenset({"beta", "k"}),
            "ada_ml_vae": frozenset({"beta", "k"}),
        },
        metrics=frozenset({"beta_vae", "factor_vae", "mig", "dci", "dci_fast", "sap",
                           "modularity_explicitness", "unsupervised", "downstream_logistic_regression",
                           "downstream_boosted_trees", "fake"}),
    )


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
