"""Studies over data regimes: correlation strengths, OOD splits, evaluation on uncorrelated data."""

import math

import numpy as np
import pytest

from gtdata.study import load_spec
from gtdata.study.driver import run_study
from gtdata.study.report import write_report
from gtdata.study.runs import expand
from gtdata.study.spec import StudySpecError
from gtdata.training.data import resolve_data

BASE = {
    "name": "regimes",
    "datasets": ["dsprites_like"],
    "methods": [{"method": "beta_vae", "beta": 4}],
    "seeds": 1,
    "steps": 3,
    "metrics": ["pair_sharing"],
    "metric_options": {"pair_sharing": {"pair": [3, 4], "num_train": 300}},
    "device": "cpu",
}
CORR = {"correlated": {"pairs": [["posX", "posY"]], "sigma": 0.1}}


def test_specs_without_regimes_keep_their_ids_and_fingerprints():
    # recorded before data regimes existed (gtdata 0.1 + per-method run options)
    for name, fingerprint, first, last in [
        ("quick", "7f6852d0c72dcad4", "6f03ca941af5da01", "ec8e9a6c551ff366"),
        ("weak", "be783053876741f1", "3c7779ec2324679e", "31b18a67ec52580e"),
    ]:
        spec = load_spec(name)
        runs = expand(spec)
        assert (spec.fingerprint(), runs[0].run_id, runs[-1].run_id) == (fingerprint, first, last)
        assert "distributions" not in spec.to_dict() and "distribution" not in runs[0].columns()


def test_distributions_are_a_grid_axis():
    spec = load_spec(
        {
            **BASE,
            "seeds": 2,
            "distributions": [CORR, "uniform", {"correlated": {"pairs": [["posX", "posY"]], "sigma": math.inf}}],
            "evaluate_on": "uniform",
        }
    )
    runs = expand(spec)
    assert spec.num_runs == len(runs) == 6 and [r.model_num for r in runs] == list(range(6))
    assert len({r.run_id for r in runs}) == 6
    assert [r.columns()["distribution.sigma"] for r in runs] == [0.1, 0.1, math.inf, math.inf, math.inf, math.inf]
    assert runs[0].columns()["distribution"] == "correlated(posX~posY σ=0.1)"
    assert runs[2].columns()["distribution"] == "uniform"
    assert runs[0].train_data() == {"name": "dsprites_like", "distribution": CORR}
    # evaluate_on: uniform — a correlated entry's pair decoupled (σ = ∞), other entries the data set's own draws
    assert runs[0].eval_data() == {
        "name": "dsprites_like",
        "distribution": {"correlated": {"pairs": [["posX", "posY"]], "sigma": "inf"}},
    }
    assert runs[2].eval_data() == {"name": "dsprites_like"}
    fixed = {"correlated": {"pairs": [["posX", "posY"]], "sigma": 0.1, "fixed": {"shape": "ellipse"}}}
    held = expand(load_spec({**BASE, "distributions": [fixed], "evaluate_on": "uniform"}))[0]
    evaluation = resolve_data(held.eval_data())
    codes = evaluation.sample_codes(5000, 0)
    assert (codes[:, 0] == 1).all() and abs(np.corrcoef(codes[:, 3], codes[:, 4])[0, 1]) < 0.05
    view = resolve_data(runs[0].train_data())
    codes = view.sample_codes(5000, 0)
    assert np.corrcoef(codes[:, 3], codes[:, 4])[0, 1] > 0.8
    assert load_spec(spec.to_dict()).fingerprint() == spec.fingerprint()  # round trip (inf survives JSON)


def test_ood_split_trains_on_train_side_and_evaluates_on_test_side():
    spec = load_spec({**BASE, "ood_split": {"kind": "extrapolation"}})
    run = expand(spec)[0]
    train, test = resolve_data(run.train_data()), resolve_data(run.eval_data())
    assert len(train) == 240_000 and len(test) == 497_280  # Schott et al.'s dSprites extrapolation split
    assert run.columns()["ood_split"] == "extrapolation"


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"distributions": []}, "non-empty list"),
        ({"distributions": ["nowhere.yaml"]}, r"distributions\[0\]: 'nowhere.yaml' is neither"),
        ({"distributions": [{"correlated": {"pairs": [["posX", "posY"]]}}]}, "needs 'pairs' and 'sigma'"),
        ({"distributions": [{"correlated": {"pairs": [["posX", "posY"]], "sigma": 0}}]}, "sigma must be > 0"),
        ({"distributions": [CORR, CORR]}, "listed more than once"),
        ({"distributions": [{"corelated": {}}]}, r"distributions\[0\] must be uniform"),
        ({"ood_split": {"kind": "sideways"}}, "ood_split.kind must be one of"),
        ({"ood_split": {"kind": "random", "fraction": 0.5}}, "unknown key"),
        ({"evaluate_on": "test"}, "'evaluate_on' must be one of training, uniform"),
    ],
)
def test_bad_regimes(extra, message):
    with pytest.raises(StudySpecError, match=message):
        load_spec({**BASE, **extra})


def test_tiny_correlated_study_runs_and_reports(tmp_path):
    spec = load_spec({**BASE, "distributions": [CORR, "uniform"], "evaluate_on": "uniform"})
    table = run_study(spec, tmp_path / "s", progress=False)
    assert set(table["status"]) == {"ok"} and len(table) == 2
    assert set(table["distribution"]) == {"correlated(posX~posY σ=0.1)", "uniform"}
    assert table["pair_sharing.pair_sharing"].between(0, 1).all()
    report = write_report(tmp_path / "s", progress=False)
    text = report.read_text()
    assert "## Correlated training data" in text and "pair_sharing.png" in text
    assert (report.parent / "pair_sharing.png").stat().st_size > 10_000


def test_correlated_preset():
    spec = load_spec("correlated")
    runs = expand(spec)
    assert len(runs) == 6 and spec.evaluate_on == "uniform"
    assert sorted({r.columns()["distribution.sigma"] for r in runs}) == [0.1, 0.3, math.inf]
    assert all(r.method == "beta_vae" and r.steps == 1000 for r in runs)
    train, evaluation = resolve_data(runs[0].train_data()), resolve_data(runs[0].eval_data())
    codes, eval_codes = train.sample_codes(5000, 0), evaluation.sample_codes(5000, 0)
    assert (codes[:, :3] == [1, 5, 0]).all() and (eval_codes[:, :3] == [1, 5, 0]).all()  # one object throughout
    assert np.corrcoef(codes[:, 3], codes[:, 4])[0, 1] > 0.8 > 0.05 > abs(np.corrcoef(*eval_codes[:, 3:].T)[0, 1])


def test_weak_methods_train_on_counterfactual_pairs_of_the_runs_distribution(tmp_path):
    spec = load_spec(
        {
            **BASE,
            "methods": [
                {"method": "ada_gvae", "beta": 1, "sampler": "counterfactual"},
                {"method": "beta_vae", "beta": 1},
            ],
            "distributions": [CORR],
            "metrics": ["mig"],
            "metric_options": {"mig": {"num_train": 300}},
        }
    )
    runs = expand(spec)
    weak, unsup = runs
    assert weak.train_options()["sampler"] == {"name": "counterfactual", "scm": CORR}
    assert "sampler" not in unsup.train_options()
    table = run_study(spec, tmp_path / "s", progress=False)
    assert set(table["status"]) == {"ok"}
    from gtdata.training import load_run

    run = load_run(table[table.method == "ada_gvae"]["run_dir"].iloc[0])
    assert run.config.sampler == {"name": "counterfactual", "scm": CORR}


@pytest.mark.parametrize(
    "methods, extra, message",
    [
        ([{"method": "beta_vae", "sampler": "counterfactual"}], {}, r"'sampler' draws the pairs of weakly supervised"),
        ([{"method": "beta_vae"}], {"sampler": "pairs"}, "would change nothing"),
        ([{"method": "ada_gvae", "sampler": "uniform"}], {}, "sampler must be one of"),
        ([{"method": "ada_gvae", "sampler": {"name": "counterfactual", "k": 1}}], {}, r"has no option\(s\) \['k'\]"),
    ],
)
def test_bad_samplers(methods, extra, message):
    with pytest.raises(StudySpecError, match=message):
        load_spec({**BASE, "methods": methods, **extra})
