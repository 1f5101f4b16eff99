import pytest

from gtdata.study.presets import PRESETS, preset
from gtdata.study.runs import expand
from gtdata.study.spec import StudySpec, StudySpecError


def test_expansion_order_ids_and_columns(catalog, small_spec):
    spec = StudySpec.from_dict(small_spec, catalog)
    runs = expand(spec)
    assert [(r.hparams["beta"], r.seed) for r in runs] == [(1, 0), (1, 1), (1, 2), (4, 0), (4, 1), (4, 2)]
    assert [r.model_num for r in runs] == list(range(6))
    assert len({r.run_id for r in runs}) == 6
    cols = runs[3].columns()
    assert cols["hparam.beta"] == 4 and cols["regularization_param"] == "beta" and cols["regularization"] == 4


def test_run_id_depends_on_training_config_only(catalog, small_spec):
    a = expand(StudySpec.from_dict(small_spec, catalog))
    # Other metrics, representations or name: same models, same ids.
    b = expand(StudySpec.from_dict({**small_spec, "name": "x", "metrics": ["mig"], "representation": "mean"}, catalog))
    assert [r.run_id for r in a] == [r.run_id for r in b]
    c = expand(StudySpec.from_dict({**small_spec, "steps": 20}, catalog))
    assert not {r.run_id for r in a} & {r.run_id for r in c}


def test_overlapping_grid_is_refused(catalog, small_spec):
    spec = StudySpec.from_dict(
        {**small_spec, "methods": [{"method": "beta_vae", "beta": [1, 2]}, {"method": "beta_vae", "beta": [2.0]}]},
        catalog,
    )
    with pytest.raises(StudySpecError, match="the grid contains the same run twice"):
        expand(spec)


def test_reference_preset_numbering_matches_disentanglement_lib(catalog):
    spec = preset("reference", catalog=catalog)
    runs = expand(spec)
    assert spec.num_runs == len(runs) == 14_400
    assert spec.steps == 300_000 and spec.batch_size == 64
    by_num = {r.model_num: r for r in runs}

    def describe(num):
        r = by_num[num]
        return r.dataset, r.method, dict(r.hparams), r.seed

    assert describe(0) == ("dsprites_full", "beta_vae", {"beta": 1}, 0)
    assert describe(50) == ("dsprites_full", "beta_vae", {"beta": 2}, 0)
    assert describe(300) == ("dsprites_full", "factor_vae", {"gamma": 10}, 0)
    assert describe(1800) == ("color_dsprites", "beta_vae", {"beta": 1}, 0)
    assert describe(10800) == ("shapes3d", "beta_vae", {"beta": 1}, 0)
    assert describe(1799) == (
        "dsprites_full",
        "annealed_vae",
        {"c_max": 100, "gamma": 1000, "iteration_threshold": 100000},
        49,
    )
    assert describe(12599)[0] == "shapes3d"
    assert describe(12600)[0] == "mpi3d_real"
    # model_num = dataset_idx*1800 + (method_idx*6 + hp_idx)*50 + seed for every run.
    methods = [m["method"] for m in PRESETS["reference"]["methods"]]
    for r in runs[::97]:
        sweep = PRESETS["reference"]["methods"][methods.index(r.method)]
        swept = next(k for k, v in sweep.items() if isinstance(v, list))
        hp_idx = sweep[swept].index(r.hparams[swept])
        dataset_idx = spec.datasets.index(r.dataset)
        assert r.model_num == dataset_idx * 1800 + (methods.index(r.method) * 6 + hp_idx) * 50 + r.seed
    assert {r.hparams.get("lambda_d_factor") for r in runs if r.method == "dip_vae_i"} == {10}
    assert {r.hparams.get("lambda_d_factor") for r in runs if r.method == "dip_vae_ii"} == {1}


def test_weak_and_quick_presets(catalog):
    weak = preset("weak", catalog=catalog)
    runs = expand(weak)
    assert len(runs) == 5 * 2 * 2 * 6 * 10
    assert {r.hparams["k"] for r in runs} == {1, "random"}
    assert {r.hparams["beta"] for r in runs} == {1, 2, 4, 6, 8, 16}
    quick = preset("quick", catalog=catalog)
    assert quick.datasets == ("dsprites_like",) and quick.num_runs == 6 and quick.steps <= 500
    assert preset("quick", catalog=catalog, seeds=1).num_runs == 3
    with pytest.raises(
        StudySpecError, match="unknown preset .full.; valid presets: correlated, quick, reference, weak, weak_reference"
    ):
        preset("full", catalog=catalog)


# --- disentanglement_lib's unsupervised_study_v1 sweep, rebuilt with its own combinators -------------------------
# (disentanglement_lib/utils/hyperparams.py and config/unsupervised_study_v1/sweep.py), as an independent
# source for the reference preset's expansion.


def _dl_sweep(name, values):
    return [{name: v} for v in values]


def _dl_fixed(name, value):
    return [{name: value}]


def _dl_zipit(items):
    if len(items) == 1:
        return items[0]
    main, other = list(items[0]), _dl_zipit(items[1:])
    if len(main) != len(other):
        main, other = (main * len(other), other) if len(main) == 1 else (main, other * len(main))
    return [{**a, **b} for a, b in zip(main, other)]


def _dl_product(items):
    if len(items) == 1:
        return items[0]
    rest = _dl_product(items[1:])
    return [{**a, **b} for a in items[0] for b in rest]


def _dl_unsupervised_study_v1():
    datasets = _dl_sweep(
        "dataset.name",
        ["dsprites_full", "color_dsprites", "noisy_dsprites", "scream_dsprites", "smallnorb", "cars3d", "shapes3d"],
    )
    models = (
        _dl_zipit([_dl_fixed("model.name", "beta_vae"), _dl_sweep("vae.beta", [1.0, 2.0, 4.0, 6.0, 8.0, 16.0])])
        + _dl_zipit(
            [
                _dl_fixed("model.name", "factor_vae"),
                _dl_sweep("factor_vae.gamma", [10.0, 20.0, 30.0, 40.0, 50.0, 100.0]),
            ]
        )
        + _dl_zipit(
            [
                _dl_fixed("model.name", "dip_vae_i"),
                _dl_sweep("dip_vae.lambda_od", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]),
                _dl_fixed("dip_vae.lambda_d_factor", 10.0),
            ]
        )
        + _dl_zipit(
            [
                _dl_fixed("model.name", "dip_vae_ii"),
                _dl_sweep("dip_vae.lambda_od", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]),
                _dl_fixed("dip_vae.lambda_d_factor", 1.0),
            ]
        )
        + _dl_zipit(
            [_dl_fixed("model.name", "beta_tc_vae"), _dl_sweep("beta_tc_vae.beta", [1.0, 2.0, 4.0, 6.0, 8.0, 10.0])]
        )
        + _dl_zipit(
            [
                _dl_fixed("model.name", "annealed_vae"),
                _dl_sweep("annealed_vae.c_max", [5.0, 10.0, 25.0, 50.0, 75.0, 100.0]),
                _dl_fixed("annealed_vae.iteration_threshold", 100000),
                _dl_fixed("annealed_vae.gamma", 1000),
            ]
        )
    )
    # shared.gin: model.training_steps = 300000, batch 64.
    return _dl_product([datasets, models, _dl_sweep("model.random_seed", list(range(50)))])


def _dl_iterations(config):
    """Training iterations the reference runs: Estimator.train stops at training_steps global steps, and
    FactorVAE's two minimize(global_step=...) calls advance the global step twice per iteration."""
    optimiser_steps_per_iteration = 2 if config["model.name"] == "factor_vae" else 1
    return 300000 // optimiser_steps_per_iteration


def test_reference_preset_expands_to_disentanglement_libs_sweep_run_for_run(catalog):
    runs = expand(preset("reference", catalog=catalog))
    reference = _dl_unsupervised_study_v1()
    assert len(reference) == 12_600
    ours = [r for r in runs if r.dataset != "mpi3d_real"]
    assert len(ours) == len(reference)
    for model_num, (run, config) in enumerate(zip(ours, reference)):
        hparams = {
            key.split(".", 1)[1]: value
            for key, value in config.items()
            if key.split(".")[0] not in ("dataset", "model")
        }
        assert (run.model_num, run.dataset, run.method, dict(run.hparams), run.seed, run.steps, run.batch_size) == (
            model_num,
            config["dataset.name"],
            config["model.name"],
            hparams,
            config["model.random_seed"],
            _dl_iterations(config),
            64,
        ), model_num
    # The eighth data set repeats the 1,800 configurations of one data set, after them.
    mpi3d = [r for r in runs if r.dataset == "mpi3d_real"]
    assert [r.model_num for r in mpi3d] == list(range(12_600, 14_400))
    assert [(r.method, dict(r.hparams), r.seed, r.steps) for r in mpi3d] == [
        (r.method, dict(r.hparams), r.seed, r.steps) for r in ours[:1800]
    ]


def test_run_ids_of_methods_with_unchanged_configs_are_stable(catalog):
    # Run ids name run directories on disk: values computed before per-method steps and pair/label modes existed.
    reference = expand(preset("reference", catalog=catalog))
    assert (reference[0].method, reference[0].run_id) == ("beta_vae", "5744cba51e0eb1da")
    assert (reference[-1].method, reference[-1].run_id) == ("annealed_vae", "b08f084d5e915e03")
    weak = expand(preset("weak", catalog=catalog))
    assert [(r.method, r.run_id) for r in (weak[0], weak[-1])] == [
        ("ada_gvae", "3c7779ec2324679e"),
        ("ada_ml_vae", "31b18a67ec52580e"),
    ]
    assert preset("weak", catalog=catalog).fingerprint() == "be783053876741f1"
    assert preset("quick", catalog=catalog).fingerprint() == "7f6852d0c72dcad4"
    # FactorVAE's runs are other models now (150,000 iterations), so they get other ids.
    factor = next(r for r in reference if r.method == "factor_vae")
    assert factor.steps == 150_000 and factor.run_id != "3b58d38a610b5bce"


def test_per_method_steps_override_the_studys(catalog, small_spec):
    spec = StudySpec.from_dict(
        {
            **small_spec,
            "methods": [
                {"method": "beta_vae", "beta": [1, 4]},
                {"method": "factor_vae", "gamma": 10, "steps": 5},
            ],
        },
        catalog,
    )
    runs = expand(spec)
    assert [(r.method, r.steps) for r in runs] == [("beta_vae", 10)] * 6 + [("factor_vae", 5)] * 3
    assert runs[-1].columns()["steps"] == 5 and runs[-1].train_options()["steps"] == 5
    # The override is part of the spec's YAML form and of its fingerprint.
    assert spec.to_dict()["methods"][1] == {"method": "factor_vae", "gamma": 10, "steps": 5}
    assert StudySpec.from_dict(spec.to_dict(), catalog) == spec
    longer = StudySpec.from_dict(
        {**spec.to_dict(), "methods": [spec.to_dict()["methods"][0], {"method": "factor_vae", "gamma": 10}]}, catalog
    )
    assert longer.fingerprint() != spec.fingerprint()
    assert [r.run_id for r in expand(longer)][:6] == [r.run_id for r in runs][:6]
    with pytest.raises(StudySpecError, match=r"methods\[0\] \(beta_vae\): 'steps' must be a positive integer, got 0"):
        StudySpec.from_dict({**small_spec, "methods": [{"method": "beta_vae", "steps": 0}]}, catalog)


def test_pair_and_label_modes(catalog, small_spec):
    raw = {
        **small_spec,
        "pair_mode": "reference",
        "label_mode": "last",
        "methods": [
            {"method": "beta_vae", "beta": 1},
            {"method": "ada_gvae", "k": 1},
            {"method": "group_vae", "k": 1},
            {"method": "ml_vae", "k": 1, "pair_mode": "exact", "label_mode": "all"},
        ],
    }
    spec = StudySpec.from_dict(raw, catalog)
    runs = expand(spec)
    modes = {r.method: (r.pair_mode, r.label_mode) for r in runs}
    assert modes == {
        "beta_vae": (None, None),
        "ada_gvae": ("reference", None),
        "group_vae": ("reference", "last"),
        "ml_vae": ("exact", "all"),
    }
    by_method = {r.method: r for r in runs if r.seed == 0}
    assert by_method["group_vae"].train_options() == {
        "steps": 10,
        "seed": 0,
        "batch_size": 64,
        "pair_mode": "reference",
        "label_mode": "last",
    }
    assert "pair_mode" not in by_method["beta_vae"].train_options()
    assert by_method["group_vae"].columns()["label_mode"] == "last"
    # Default modes add nothing to the id; others make another model.
    default = expand(StudySpec.from_dict({**raw, "pair_mode": "exact", "label_mode": "all"}, catalog))
    same = [a.run_id == b.run_id for a, b in zip(runs, default)]
    assert same == [True] * 3 + [False] * 6 + [True] * 3
    assert StudySpec.from_dict(spec.to_dict(), catalog) == spec
    assert "pair_mode" not in StudySpec.from_dict(small_spec, catalog).to_dict()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"pair_mode": "loose"}, "study: unknown pair_mode 'loose'; valid: exact, reference"),
        (
            {"methods": [{"method": "ada_gvae", "label_mode": "last"}]},
            "methods[0] (ada_gvae): 'label_mode' applies only to label methods (group_vae, ml_vae)",
        ),
        (
            {"methods": [{"method": "group_vae", "label_mode": "first"}]},
            "methods[0] (group_vae): unknown label_mode 'first'; valid: all, last",
        ),
        (
            {"methods": [{"method": "beta_vae", "pair_mode": "reference"}]},
            "methods[0] (beta_vae): 'pair_mode' applies only to weakly supervised methods (ada_gvae, ada_ml_vae",
        ),
        ({"pair_mode": "reference"}, "pair_mode='reference' would change nothing: the study has no weakly supervised"),
        (
            {"methods": [{"method": "ada_gvae"}], "label_mode": "last"},
            "label_mode='last' would change nothing: the study has no label method (group_vae, ml_vae)",
        ),
        ({"pair_mode": 1}, "'pair_mode' must be a string, got 1"),
    ],
)
def test_bad_modes_name_the_problem(catalog, small_spec, change, message):
    with pytest.raises(StudySpecError) as info:
        StudySpec.from_dict({**small_spec, **change}, catalog)
    assert message in str(info.value)


def test_weak_reference_preset_uses_the_references_pairs_and_labels(catalog):
    spec = preset("weak_reference", catalog=catalog)
    runs = expand(spec)
    assert len(runs) == 5 * 4 * 2 * 6 * 10
    assert {r.pair_mode for r in runs} == {"reference"}
    assert {(r.method, r.label_mode) for r in runs} == {
        ("ada_gvae", None),
        ("ada_ml_vae", None),
        ("group_vae", "last"),
        ("ml_vae", "last"),
    }
    # Same grid as `weak` for the adaptive methods, on other pairs: other models.
    weak = {
        (r.dataset, r.method, r.hparams["k"], r.hparams["beta"], r.seed): r.run_id
        for r in expand(preset("weak", catalog=catalog))
    }
    ada = [r for r in runs if r.method.startswith("ada")]
    assert {(r.dataset, r.method, r.hparams["k"], r.hparams["beta"], r.seed) for r in ada} == set(weak)
    assert not {r.run_id for r in ada} & set(weak.values())
