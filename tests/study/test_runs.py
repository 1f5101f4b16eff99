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
    b = expand(StudySpec.from_dict({**small_spec, "name": "x", "metrics": ["mig"], "representation": "mean"},
                                   catalog))
    assert [r.run_id for r in a] == [r.run_id for r in b]
    c = expand(StudySpec.from_dict({**small_spec, "steps": 20}, catalog))
    assert not {r.run_id for r in a} & {r.run_id for r in c}


def test_overlapping_grid_is_refused(catalog, small_spec):
    spec = StudySpec.from_dict({**small_spec, "methods": [{"method": "beta_vae", "beta": [1, 2]},
                                                          {"method": "beta_vae", "beta": [2.0]}]}, catalog)
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
    assert describe(1799) == ("dsprites_full", "annealed_vae",
                              {"c_max": 100, "gamma": 1000, "iteration_threshold": 100000}, 49)
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
    with pytest.raises(StudySpecError, match="unknown preset 'full'; valid presets: quick, reference, weak"):
        preset("full", catalog=catalog)
