import yaml

from gtdata.cli.main import main
from gtdata.training import load_run


def test_train_with_flags(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "--data",
            "toy",
            "--method",
            "beta_vae",
            "--beta",
            "4",
            "--steps",
            "3",
            "--batch-size",
            "4",
            "--threads",
            "1",
            "--out",
            str(out),
            "--quiet",
            "--no-figures",
        ]
    )
    assert code == 0
    assert f"trained beta_vae on toy for 3 steps into {out}" in capsys.readouterr().out
    run = load_run(out)
    assert run.finished and run.config.hparams == {"beta": 4.0} and run.config.batch_size == 4


def test_train_from_yaml_with_flag_override(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data": {"name": "toy", "factor_sizes": [2, 3]},
                "method": "group_vae",
                "hparams": {"beta": 2},
                "steps": 2,
                "batch_size": 4,
                "threads": 1,
                "out": str(tmp_path / "from_file"),
            }
        )
    )
    assert main(["train", str(config), "--k", "1", "--c_max", "3", "--quiet"]) == 2  # c_max is not group_vae's
    assert main(["train", str(config), "--k", "2", "--seed", "7", "--quiet", "--no-figures"]) == 2  # k <= d-1 = 1
    assert main(["train", str(config), "--k", "1", "--seed", "7", "--quiet", "--no-figures"]) == 0
    run = load_run(tmp_path / "from_file")
    assert run.config.method == "group_vae" and run.config.seed == 7
    assert run.config.hparams == {"beta": 2.0, "k": 1}


def test_train_errors(tmp_path, capsys):
    assert main(["train", "--data", "toy", "--steps", "2", "--quiet"]) == 2
    assert "pass --out RUN_DIR" in capsys.readouterr().err
    assert main(["train", "--data", "toy", "--method", "vae", "--out", str(tmp_path / "r")]) == 2
    assert "unknown method 'vae'; valid: beta_vae" in capsys.readouterr().err
    assert main(["train", "--method", "beta_vae", "--out", str(tmp_path / "r")]) == 2
    assert "no data set" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()
