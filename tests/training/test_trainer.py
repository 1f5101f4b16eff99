import numpy as np
import pytest
import torch
import yaml

import gtdata
from gtdata.training import TrainingDiverged, load_run, train
from gtdata.training import trainer as trainer_mod
from gtdata.training.trainer import resolve_device

SMALL = dict(batch_size=8, threads=1, progress=False)


def losses(run):
    return [(e["step"], e["loss"]) for e in run.log()]


def test_run_directory_contents(tmp_path, toy):
    run = train(
        toy, "beta_vae", steps=12, seed=1, out=tmp_path / "run", log_every=4, checkpoint_every=6, beta=4, **SMALL
    )
    names = {p.name for p in run.path.iterdir()}
    assert {"config.yaml", "provenance.json", "checkpoint.pt", "log.jsonl", "model.pt", "figures", "data.pkl"} <= names
    config = yaml.safe_load((run.path / "config.yaml").read_text())
    assert config["method"] == "beta_vae" and config["hparams"] == {"beta": 4.0} and config["seed"] == 1
    log = run.log()
    assert [e["step"] for e in log] == [4, 8, 12]
    assert {"loss", "reconstruction", "kl", "regularizer", "elbo", "images_per_s"} <= set(log[0])
    assert all(e["images_per_s"] > 0 for e in log)
    prov = run.provenance
    assert prov["seed"] == 1 and prov["torch"] == torch.__version__ and prov["numpy"] == np.__version__
    assert prov["gtdata"] == gtdata.__version__ and prov["device"] == "cpu" and prov["threads"] == 1
    assert prov["data"]["name"] == "toy" and "finished" in prov
    ckpt = torch.load(run.path / "checkpoint.pt", weights_only=True)
    assert ckpt["step"] == 12
    model = torch.load(run.path / "model.pt", weights_only=True)
    assert model["architecture"] == "conv" and model["observation_shape"] == [64, 64, 1]
    assert run.data.factor_space.sizes.tolist() == [3, 4, 5]


def test_threads_apply_to_the_run_only(tmp_path, toy):
    torch.set_num_threads(2)
    run = train(toy, "beta_vae", steps=2, out=tmp_path / "r", batch_size=4, threads=1, progress=False, figures=False)
    assert run.provenance["threads"] == 1
    assert torch.get_num_threads() == 2


def test_same_seed_same_losses_other_seed_differs(tmp_path, toy):
    a = train(toy, "beta_vae", steps=6, seed=0, out=tmp_path / "a", log_every=1, figures=False, **SMALL)
    b = train(toy, "beta_vae", steps=6, seed=0, out=tmp_path / "b", log_every=1, figures=False, **SMALL)
    c = train(toy, "beta_vae", steps=6, seed=1, out=tmp_path / "c", log_every=1, figures=False, **SMALL)
    assert losses(a) == losses(b)
    assert losses(a) != losses(c)


@pytest.mark.parametrize("method", ["beta_vae", "factor_vae", "ada_gvae"])
def test_resume_after_interruption_repeats_the_loss_sequence(tmp_path, toy, monkeypatch, method):
    kwargs = dict(steps=10, seed=2, log_every=1, checkpoint_every=4, figures=False, **SMALL)
    full = train(toy, method, out=tmp_path / "full", **kwargs)

    original = trainer_mod.Trainer.step

    def dies_at_7(self, step):
        if step == 7:
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(trainer_mod.Trainer, "step", dies_at_7)
    with pytest.raises(KeyboardInterrupt):
        train(toy, method, out=tmp_path / "cut", **kwargs)
    cut = tmp_path / "cut"
    assert torch.load(cut / "checkpoint.pt", weights_only=True)["step"] == 4
    assert not (cut / "model.pt").exists()
    assert len((cut / "log.jsonl").read_text().splitlines()) == 7  # steps 1..7 logged, 5..7 after the checkpoint

    monkeypatch.setattr(trainer_mod.Trainer, "step", original)
    resumed = train(toy, method, out=cut, **kwargs)
    assert resumed.finished
    assert losses(resumed) == losses(full)
    assert len(resumed.provenance["sessions"]) == 2 and resumed.provenance["sessions"][1]["from_step"] == 4


def test_finished_run_is_returned_not_retrained(tmp_path, toy):
    run = train(toy, "beta_vae", steps=3, out=tmp_path / "r", figures=False, **SMALL)
    stamp = (run.path / "model.pt").stat().st_mtime_ns
    again = train(toy, "beta_vae", steps=3, out=tmp_path / "r", figures=False, **SMALL)
    assert again.finished and (again.path / "model.pt").stat().st_mtime_ns == stamp


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, toy, monkeypatch):
    original = trainer_mod.Trainer.step

    def nan_at_6(self, step):
        terms = original(self, step)
        if step == 6:
            terms["loss"] = torch.tensor(float("nan"))
        return terms

    monkeypatch.setattr(trainer_mod.Trainer, "step", nan_at_6)
    with pytest.raises(
        TrainingDiverged, match=r"NaN or infinite between steps 5 and 10.*last good checkpoint \(step 5\)"
    ):
        train(toy, "beta_vae", steps=20, out=tmp_path / "r", log_every=5, checkpoint_every=5, figures=False, **SMALL)
    assert torch.load(tmp_path / "r" / "checkpoint.pt", weights_only=True)["step"] == 5
    assert not (tmp_path / "r" / "model.pt").exists()
    assert [e["step"] for e in load_run(tmp_path / "r").log()] == [5]


def test_existing_run_with_other_config_is_refused(tmp_path, toy):
    out = tmp_path / "r"
    train(toy, "beta_vae", steps=3, out=out, figures=False, **SMALL)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    with pytest.raises(
        ValueError, match=r"another config \(hparams: \{'beta': 1.0\} in the run, \{'beta': 2.0\} now\)"
    ):
        train(toy, "beta_vae", steps=3, out=out, beta=2, figures=False, **SMALL)
    with pytest.raises(FileExistsError, match="pass resume=True"):
        train(toy, "beta_vae", steps=3, out=out, resume=False, figures=False, **SMALL)
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_non_run_directory_is_refused(tmp_path, toy):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty and holds no gtdata run"):
        train(toy, "beta_vae", steps=3, out=tmp_path, **SMALL)


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, toy, monkeypatch):
    out = tmp_path / "r"
    original = trainer_mod.Trainer.step

    def dies_at_3(self, step):
        if step == 3:
            raise KeyboardInterrupt
        return original(self, step)

    monkeypatch.setattr(trainer_mod.Trainer, "step", dies_at_3)
    with pytest.raises(KeyboardInterrupt):
        train(toy, "beta_vae", steps=6, out=out, checkpoint_every=2, figures=False, **SMALL)
    monkeypatch.setattr(trainer_mod.Trainer, "step", original)
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"checkpoint .*checkpoint.pt is corrupt"):
        train(toy, "beta_vae", steps=6, out=out, checkpoint_every=2, figures=False, **SMALL)
    assert (out / "checkpoint.pt").read_bytes() == b"not a checkpoint"


def test_bad_inputs_touch_nothing(tmp_path, toy):
    out = tmp_path / "r"
    with pytest.raises(ValueError, match="unknown method 'vae'; valid: beta_vae"):
        train(toy, "vae", steps=3, out=out, **SMALL)
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) lambda_od; valid: beta"):
        train(toy, "beta_vae", steps=3, out=out, lambda_od=3, **SMALL)
    with pytest.raises(ValueError, match=r"conv architecture takes 64×64×C.*32×32×1"):
        train(gtdata.ToyData(image_size=32), "beta_vae", steps=3, out=out, **SMALL)
    with pytest.raises(ValueError, match="intervention pairs need at least 2 factors"):
        train(gtdata.ToyData(factor_sizes=(5,)), "ada_gvae", steps=3, out=out, **SMALL)
    with pytest.raises(ValueError, match=r"k must lie in 1..2"):
        train(toy, "group_vae", steps=3, out=out, k=3, **SMALL)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no CUDA device"):
            train(toy, "beta_vae", steps=3, out=out, device="cuda", **SMALL)
    with pytest.raises(ValueError, match="out is required"):
        train(toy, "beta_vae", steps=3, **SMALL)
    assert not out.exists()


def test_fc_architecture_takes_other_image_sizes(tmp_path):
    data = gtdata.ToyData(factor_sizes=(3, 4), image_size=16)
    run = train(data, "beta_vae", steps=3, out=tmp_path / "r", architecture="fc", figures=False, **SMALL)
    assert run.representation()(data.sample(5, 0)[1]).shape == (5, 10)


def test_data_by_name_and_mapping(tmp_path):
    run = train(
        {"name": "toy", "factor_sizes": [2, 3]}, "beta_vae", steps=2, out=tmp_path / "r", figures=False, **SMALL
    )
    assert run.config.data == {"name": "toy", "factor_sizes": [2, 3]}
    assert run.data.factor_space.sizes.tolist() == [2, 3]
    assert not (run.path / "data.pkl").exists()


def test_device_auto(monkeypatch):
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        resolve_device("cuda")


@pytest.mark.slow
def test_compiled_run_writes_plain_weights(tmp_path, toy):
    plain = train(toy, "beta_vae", steps=2, out=tmp_path / "plain", figures=False, **SMALL)
    compiled = train(toy, "beta_vae", steps=2, out=tmp_path / "compiled", compile=True, figures=False, **SMALL)
    keys = torch.load(plain.path / "model.pt", weights_only=True)["model"].keys()
    assert torch.load(compiled.path / "model.pt", weights_only=True)["model"].keys() == keys
    _, obs = toy.sample(3, 0)
    assert compiled.representation()(obs).shape == (3, 10)


def test_channels_last_does_not_change_the_math(tmp_path, toy):
    a = train(toy, "beta_vae", steps=3, out=tmp_path / "a", log_every=1, channels_last=True, figures=False, **SMALL)
    b = train(toy, "beta_vae", steps=3, out=tmp_path / "b", log_every=1, channels_last=False, figures=False, **SMALL)
    np.testing.assert_allclose([v for _, v in losses(a)], [v for _, v in losses(b)], rtol=1e-4)


@pytest.mark.slow
def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    # 200 steps: the child must still be running when the parent, descheduled on a loaded machine, kills it
    kwargs = dict(steps=200, seed=4, log_every=1, checkpoint_every=5, figures=False, batch_size=8, threads=1)
    cut = tmp_path / "cut"
    script = (
        "import gtdata\nfrom gtdata.training import train\n"
        f"train(gtdata.ToyData(factor_sizes=(3, 4, 5)), 'beta_vae', out={str(cut)!r}, "
        f"progress=False, **{kwargs!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    log = cut / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= 12:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "training finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (cut / "model.pt").exists()

    toy = gtdata.ToyData(factor_sizes=(3, 4, 5))
    resumed = train(toy, "beta_vae", out=cut, progress=False, **kwargs)
    full = train(toy, "beta_vae", out=tmp_path / "full", progress=False, **kwargs)
    assert resumed.provenance["sessions"][1]["from_step"] >= 10
    assert losses(resumed) == losses(full)


def test_tuple_options_in_data_mapping_survive_resume(tmp_path):
    kwargs = dict(steps=2, out=tmp_path / "r", figures=False, **SMALL)
    first = train({"name": "toy", "factor_sizes": (2, 3)}, "beta_vae", **kwargs)
    again = train({"name": "toy", "factor_sizes": [2, 3]}, "beta_vae", **kwargs)
    assert first.path == again.path and again.config.data == {"name": "toy", "factor_sizes": [2, 3]}
