"""Training on the causal regimes: SCM views as data, counterfactual pairs for the weak methods."""

import numpy as np
import pytest

import gtdata
from gtdata.causal import SCM, correlated
from gtdata.training import TrainConfig, load_run
from gtdata.training.data import BatchSource, resolve_data

FAST = dict(steps=2, batch_size=8, architecture="fc", progress=False, figures=False, device="cpu")


@pytest.fixture(scope="module")
def data():
    return gtdata.load("dsprites_like")


@pytest.fixture(scope="module")
def scm(data):
    return correlated(data.factor_space, ("orientation", "posX"), 0.1)


def test_train_on_a_distribution_view(data, scm, tmp_path):
    run = gtdata.train(data.with_distribution(scm), "beta_vae", out=tmp_path / "run", **FAST)
    reopened = load_run(tmp_path / "run")
    assert reopened.data.distribution == scm  # the view is pickled with the run
    codes = reopened.data.sample_codes(20_000, 0)
    assert np.corrcoef(codes[:, 2], codes[:, 3])[0, 1] > 0.8
    assert run.config.method == "beta_vae"


def test_config_mapping_names_a_distribution_and_split(data, scm):
    view = resolve_data(
        {
            "name": "dsprites_like",
            "split": "shape != 'heart'",
            "distribution": {"correlated": {"pairs": ["orientation", "posX"], "sigma": 0.1}},
        }
    )
    assert view.distribution == scm
    assert (view.sample_codes(1000, 0)[:, 0] != 2).all()
    with pytest.raises(ValueError, match="correlated: unknown key"):
        resolve_data(
            {
                "name": "dsprites_like",
                "distribution": {"correlated": {"pairs": ["orientation", "posX"], "sigma": 0.1, "strength": 2}},
            }
        )


def test_weak_method_on_counterfactual_pairs(data, scm, tmp_path):
    sampler = {"name": "counterfactual", "scm": scm, "targets": "orientation"}
    gtdata.train("dsprites_like", "ada_gvae", out=tmp_path / "run", sampler=sampler, **FAST)
    run = load_run(tmp_path / "run")
    assert run.config.sampler["name"] == "counterfactual" and run.config.sampler["scm"]["kind"] == "scm"
    # the batches are the sampler's: x1/x2 are counterfactual pairs whose intervened factor is orientation
    source = BatchSource(
        data, 8, seed=0, device=__import__("torch").device("cpu"), weak=True, sampler=run.config.sampler
    )
    batch = source.batch(0)
    assert batch["changed"][:, 2].all()  # the target always changes
    # resuming the same run with the same sampler is accepted (the identity includes the sampler)
    gtdata.train("dsprites_like", "ada_gvae", out=tmp_path / "run", sampler=sampler, **FAST)


def test_bad_samplers(tmp_path, scm):
    with pytest.raises(ValueError, match="sampler draws the pairs of weakly supervised methods; beta_vae"):
        TrainConfig(data="dsprites_like", method="beta_vae", sampler={"name": "counterfactual"})
    with pytest.raises(ValueError, match="sampler 'uniform' does not draw pairs"):
        gtdata.train("dsprites_like", "ada_gvae", out=tmp_path / "run", sampler="uniform", **FAST)
    assert not (tmp_path / "run").exists()  # refused before the run directory was made
    other = SCM(gtdata.load("toy").factor_space)
    with pytest.raises(ValueError, match="differ from the data set.s"):
        gtdata.train(
            "dsprites_like", "ada_gvae", out=tmp_path / "run2", sampler={"name": "counterfactual", "scm": other}, **FAST
        )
