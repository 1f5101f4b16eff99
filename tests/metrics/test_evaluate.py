import json

import numpy as np
import pytest
from metric_fixtures import identity_data, identity_rep

from gtdata.metrics import METRIC_NAMES, STUDY_METRICS, arrays, evaluate, run_suite
from gtdata.metrics.evaluate import metric_seeds
from gtdata.metrics.sampling import sample_latents

SMALL = {
    "beta_vae": {"num_train": 200, "num_eval": 100, "batch_size": 8},
    "factor_vae": {"num_train": 200, "num_eval": 100, "num_variance_estimate": 300, "batch_size": 8},
    "mig": {"num_train": 400},
    "dci": {"num_train": 200, "num_test": 100},
    "sap": {"num_train": 400, "num_test": 200},
    "modularity_explicitness": {"num_train": 400, "num_test": 200},
    "unsupervised": {"num_train": 400},
    "downstream_logistic_regression": {"num_train": [10, 100], "num_test": 100},
    "downstream_boosted_trees": {"num_train": [10, 50], "num_test": 100},
}


def test_names():
    assert set(STUDY_METRICS) <= set(METRIC_NAMES)
    assert set(METRIC_NAMES) == {
        "beta_vae",
        "factor_vae",
        "mig",
        "dci",
        "dci_fast",
        "sap",
        "modularity_explicitness",
        "irs",
        "unsupervised",
        "downstream_logistic_regression",
        "downstream_boosted_trees",
        "fairness",
        "strong_downstream",
        "reduced_downstream",
        "mcc",
        "r2",
        "infomec",
        "pair_sharing",
    }


@pytest.mark.slow
def test_study_suite_keys_values_and_determinism(tmp_path):
    data = identity_data(3, 4)
    path = tmp_path / "metrics.json"
    scores = evaluate(data, identity_rep, seed=1, options=SMALL, path=path)
    assert scores["beta_vae.eval_accuracy"] >= 0.9 and scores["factor_vae.eval_accuracy"] >= 0.9
    assert scores["mig.discrete_mig"] >= 0.9 and scores["dci.disentanglement"] >= 0.9
    assert "downstream_logistic_regression.100:mean_test_accuracy" in scores
    assert "downstream_boosted_trees.50:mean_test_accuracy" in scores
    assert all(k.split(".")[0] in STUDY_METRICS for k in scores)
    assert evaluate(data, identity_rep, seed=1, options=SMALL) == scores
    payload = json.loads(path.read_text())
    assert payload["format"] == "gtdata-metrics/1" and payload["scores"] == scores
    prov = payload["provenance"]
    assert {"gtdata", "numpy", "scikit-learn", "scipy"} <= set(prov["versions"])
    assert prov["seed"] == 1 and set(prov["metric_seeds"]) == set(STUDY_METRICS) | {"shared"}
    assert prov["sizes"]["dci"] == {"num_train": 200, "num_test": 100}
    assert prov["shared_sample"]["num_train"] == 400 and prov["data"]["factors_num_values"] == [4, 4, 4]
    assert not list(tmp_path.glob(".*tmp"))  # no temp file left behind


def test_shared_sample_is_used_by_point_metrics():
    data = identity_data(3, 4)
    scores = evaluate(
        data,
        identity_rep,
        ["mig", "unsupervised"],
        seed=2,
        options={"mig": {"num_train": 300}, "unsupervised": {"num_train": 500}},
    )
    codes, factors = sample_latents(data, identity_rep, 500, np.random.RandomState(metric_seeds(2)["shared"]))
    assert scores["mig.discrete_mig"] == arrays.mig(codes[:300], factors[:300])["discrete_mig"]
    assert scores["unsupervised.mutual_info_score"] == arrays.unsupervised(codes)["mutual_info_score"]


def test_metric_seed_does_not_depend_on_selection():
    data = identity_data(3, 4)
    opts = {"beta_vae": SMALL["beta_vae"]}
    alone = evaluate(data, identity_rep, ["beta_vae"], seed=4, options=opts)
    with_mig = evaluate(data, identity_rep, ["mig", "beta_vae"], seed=4, options={**opts, "mig": {"num_train": 100}})
    assert alone["beta_vae.eval_accuracy"] == with_mig["beta_vae.eval_accuracy"]


def test_all_other_metrics_run_through_evaluate():
    data = identity_data(2, 3)
    opts = {
        "irs": {"num_train": 300},
        "dci_fast": {"num_train": 100, "num_test": 50},
        "fairness": {"num_train": 60, "num_test_points_per_class": 10},
        "strong_downstream": {"num_train": [60], "num_test": 40, "n_experiment": 1},
        "reduced_downstream": {"num_train": [40], "num_test": 30},
    }
    result = run_suite(data, identity_rep, list(opts), seed=0, options=opts)
    for name in opts:
        assert any(k.startswith(name + ".") for k in result.scores)
    assert result.scores["irs.IRS"] >= 0.9
    assert set(result.provenance["elapsed_s"]) == set(opts) | {"shared_sample"}


def test_bad_names_and_options():
    data = identity_data(3, 4)
    with pytest.raises(ValueError, match="unknown metric.*valid: beta_vae"):
        evaluate(data, identity_rep, ["mig", "nope"])
    with pytest.raises(ValueError, match="unknown option.*'mig'"):
        evaluate(data, identity_rep, ["mig"], options={"mig": {"num_tests": 3}})
    with pytest.raises(ValueError, match="not being evaluated"):
        evaluate(data, identity_rep, ["mig"], options={"dci": {"num_train": 3}})
    with pytest.raises(ValueError, match="seed"):
        evaluate(data, identity_rep, ["mig"], seed=-1)


@pytest.mark.slow
def test_evaluate_trained_model_on_rendered_set(tmp_path):
    from gtdata.training import train

    run = train(
        "dsprites_like",
        "beta_vae",
        steps=2,
        out=tmp_path / "run",
        batch_size=8,
        device="cpu",
        progress=False,
        figures=False,
        log_every=1,
        checkpoint_every=2,
    )
    opts = {
        "mig": {"num_train": 300},
        "factor_vae": {"num_train": 50, "num_eval": 20, "num_variance_estimate": 200, "threshold": 0.0},
    }
    scores = evaluate(
        run.data, run.representation("mean"), ["mig", "factor_vae"], seed=0, options=opts, path=tmp_path / "m.json"
    )
    assert 0.0 <= scores["mig.discrete_mig"] <= 1.0 and 0.0 <= scores["factor_vae.eval_accuracy"] <= 1.0
    prov = json.loads((tmp_path / "m.json").read_text())["provenance"]
    assert prov["data"]["name"] == "dsprites_like" and prov["data"]["factors_num_values"] == [3, 6, 40, 32, 32]
