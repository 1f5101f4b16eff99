import pytest

from gtdata.training import TrainConfig


def test_defaults_follow_the_study():
    config = TrainConfig(data="toy")
    assert (config.batch_size, config.lr, config.num_latent, config.architecture, config.reconstruction) == (
        64,
        1e-4,
        10,
        "conv",
        "bernoulli",
    )
    assert config.method == "beta_vae" and config.hparams == {"beta": 1.0}
    assert config.device == "auto"


def test_hparams_are_resolved_with_defaults():
    config = TrainConfig(data="toy", method="annealed_vae", hparams={"c_max": 5})
    assert config.hparams == {"c_max": 5.0, "gamma": 1000.0, "iteration_threshold": 100000}
    config = TrainConfig(data="toy", method="ada_gvae", hparams={"k": -1})
    assert config.hparams == {"beta": 1.0, "k": "random"}


def test_yaml_round_trip(tmp_path):
    config = TrainConfig(
        data={"name": "toy", "factor_sizes": [2, 3]}, method="dip_vae_ii", hparams={"lambda_od": 2}, steps=50, seed=3
    )
    path = tmp_path / "c.yaml"
    path.write_text(config.to_yaml())
    back = TrainConfig.from_yaml(path)
    assert back == config


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "vae"}, r"unknown method 'vae'; valid: beta_vae, factor_vae"),
        ({"hparams": {"gamma": 1}}, r"unknown hyper-parameter\(s\) gamma; valid: beta"),
        ({"steps": 0}, "steps must be a positive integer"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer"),
        ({"lr": -1}, "lr must be a positive number"),
        ({"seed": -3}, "seed must be a non-negative integer"),
        ({"architecture": "resnet"}, "valid: conv, fc"),
        ({"reconstruction": "mse"}, "valid: bernoulli, l2"),
        ({"device": "tpu"}, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N'"),
        ({"pair_mode": "loose"}, "valid: exact, reference"),
        ({"channels_last": "yes"}, "channels_last must be true or false"),
    ],
)
def test_bad_values_name_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(data="toy", **kwargs)


def test_unknown_keys_and_bad_files(tmp_path):
    with pytest.raises(ValueError, match=r"unknown config key\(s\) epochs; valid: data, method"):
        TrainConfig.from_dict({"data": "toy", "epochs": 3})
    with pytest.raises(ValueError, match="needs 'data'"):
        TrainConfig.from_dict({"method": "beta_vae"})
    with pytest.raises(FileNotFoundError, match="no config file"):
        TrainConfig.from_yaml(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [toy\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        TrainConfig.from_yaml(bad)
    bad.write_text("- toy\n")
    with pytest.raises(ValueError, match="must be a YAML mapping"):
        TrainConfig.from_yaml(bad)
