import pytest
import yaml

from gtdata.study.spec import StudySpec, StudySpecError, load_spec, stable_hash


def test_yaml_spec_round_trip(tmp_path, catalog, small_spec):
    path = tmp_path / "my_study.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in small_spec.items() if k != "name"}))
    spec = load_spec(path, catalog)
    assert spec.name == "my_study"
    assert spec.seeds == (0, 1, 2)
    assert spec.representations == ("mean", "sampled")
    assert spec.num_runs == 6
    again = StudySpec.from_dict(spec.to_dict(), catalog)
    assert again == spec and again.fingerprint() == spec.fingerprint()


def test_methods_as_mapping_and_scalar_values(catalog, small_spec):
    spec = StudySpec.from_dict({**small_spec, "methods": {"annealed_vae": {"c_max": [5, 10], "gamma": 1000}}}, catalog)
    (sweep,) = spec.methods
    assert sweep.grid == (("c_max", (5, 10)), ("gamma", (1000,)))
    assert sweep.size == 2


def test_fingerprint_ignores_name_and_scalar_vs_list(catalog, small_spec):
    a = StudySpec.from_dict({**small_spec, "methods": [{"method": "beta_vae", "beta": 4}]}, catalog)
    b = StudySpec.from_dict(
        {**small_spec, "name": "other", "methods": [{"method": "beta_vae", "beta": [4.0]}]}, catalog
    )
    c = StudySpec.from_dict({**small_spec, "methods": [{"method": "beta_vae", "beta": 4}], "steps": 11}, catalog)
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_stable_hash_is_order_independent_and_fixed():
    assert stable_hash({"a": 1, "b": [1.0, "x"]}) == stable_hash({"b": [1, "x"], "a": 1.0})
    # The id must not change between versions: it names run directories on disk.
    assert stable_hash({"a": 1}) == "015abd7f5cc57a2d"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"datasets": ["dsprites_like", "mnist"]}, "unknown data set 'mnist'; valid data sets: cars3d, color_dsprites"),
        (
            {"methods": [{"method": "vae", "beta": [1]}]},
            "unknown method 'vae'; valid methods: ada_gvae, ada_ml_vae, annealed_vae",
        ),
        (
            {"methods": [{"method": "beta_vae", "gamma": [1]}]},
            "unknown hyper-parameter 'gamma' for method 'beta_vae'; valid: beta",
        ),
        ({"metrics": ["mig", "mig2"]}, "unknown metric 'mig2'; valid metrics: beta_vae, dci, dci_fast"),
        ({"representation": ["median"]}, "unknown representation 'median'; valid representations: mean, sampled"),
        ({"methods": [{"method": "beta_vae", "beta": []}]}, "empty grid: hyper-parameter 'beta' of method 'beta_vae'"),
        ({"seeds": []}, "empty grid: 'seeds' is empty"),
        ({"seeds": 0}, "empty grid: 'seeds' is empty"),
        ({"datasets": []}, "empty grid: 'datasets' is empty"),
        ({"methods": []}, "empty grid: 'methods' is empty"),
        ({"metrics": []}, "empty grid: 'metrics' is empty"),
        ({"stepz": 3}, "unknown study spec key(s) 'stepz'; valid keys: name, description, datasets"),
        ({"steps": 0}, "'steps' must be a positive integer, got 0"),
        ({"seeds": [0, 0]}, "'seeds' has duplicates"),
        ({"device": "tpu"}, "'device' must be one of auto, cpu, cuda"),
        ({"metrics": ["mig", "mig"]}, "metric listed more than once: mig"),
    ],
)
def test_bad_spec_names_the_problem(catalog, small_spec, change, message):
    with pytest.raises(StudySpecError) as info:
        StudySpec.from_dict({**small_spec, **change}, catalog)
    assert message in str(info.value)


def test_missing_steps_and_unknown_preset(catalog, small_spec):
    raw = dict(small_spec)
    del raw["steps"]
    with pytest.raises(StudySpecError, match="missing 'steps'"):
        StudySpec.from_dict(raw, catalog)
    with pytest.raises(StudySpecError, match="neither a preset .*quick.*reference.* nor a YAML file"):
        load_spec("no_such_study", catalog)


def test_invalid_yaml_file(tmp_path, catalog):
    path = tmp_path / "bad.yaml"
    path.write_text("datasets: [a\n")
    with pytest.raises(StudySpecError, match="not valid YAML"):
        load_spec(path, catalog)
    path.write_text("- just a list\n")
    with pytest.raises(StudySpecError, match="must be a YAML mapping"):
        load_spec(path, catalog)


def test_dataset_path_is_accepted(tmp_path, catalog, small_spec):
    spec = StudySpec.from_dict({**small_spec, "datasets": [str(tmp_path)]}, catalog)
    assert spec.datasets == (str(tmp_path),)
