"""Opt-in bf16 mixed precision: float32 runs keep their identity; bf16 runs are close to them, packs equal singles."""

import pytest
import torch

import gtdata
from gtdata.core.errors import GtdataError
from gtdata.training import TrainConfig, train, train_pack
from gtdata.training.trainer import autocast_forward


def test_default_precision_leaves_identity_and_config_file_unchanged():
    fp32 = TrainConfig(data="toy", seed=3)
    assert fp32.precision == "fp32"
    assert "precision" not in fp32.identity() and "precision" not in fp32.to_dict()
    assert "precision" not in fp32.to_yaml()
    bf16 = TrainConfig(data="toy", seed=3, precision="bf16")
    assert bf16.identity() == {**fp32.identity(), "precision": "bf16"}
    assert TrainConfig.from_dict(bf16.to_dict()) == bf16
    with pytest.raises(GtdataError, match=r"precision must be one of fp32, bf16, got 'fp16'"):
        TrainConfig(data="toy", precision="fp16")


def test_autocast_forward_runs_bf16_and_returns_float32():
    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 4)
    x = torch.randn(5, 8)
    reference = layer(x)
    autocast_forward(layer, torch.device("cpu"))
    out = layer(x)
    assert out.dtype == torch.float32 and layer.weight.dtype == torch.float32
    expected = torch.nn.functional.linear(x.bfloat16(), layer.weight.bfloat16(), layer.bias.bfloat16()).float()
    assert torch.equal(out, expected) and not torch.equal(out, reference)
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_bf16_run_is_close_to_fp32_and_a_bf16_pack_equals_bf16_runs(tmp_path):
    data = gtdata.ToyData(factor_sizes=(3, 4, 5))
    kwargs = dict(
        method="beta_vae",
        steps=20,
        log_every=5,
        checkpoint_every=10,
        batch_size=16,
        threads=1,
        device="cpu",
        progress=False,
        figures=False,
    )
    fp32 = train(data, seed=0, out=tmp_path / "fp32", **kwargs)
    bf16 = train(data, seed=0, out=tmp_path / "bf16", precision="bf16", **kwargs)
    assert bf16.config.precision == "bf16" and "precision: bf16" in (bf16.path / "config.yaml").read_text()
    model = torch.load(bf16.path / "model.pt", weights_only=True)["model"]
    assert all(v.dtype == torch.float32 for v in model.values())
    losses32, losses16 = ([e["loss"] for e in r.log()] for r in (fp32, bf16))
    assert losses16 != losses32  # bf16 arithmetic really ran
    assert losses16 == pytest.approx(losses32, rel=2e-2)
    # A bf16 directory is not resumed by an fp32 config (the precision is part of the run's identity).
    with pytest.raises(GtdataError, match="precision: 'bf16' in the run, 'fp32' now"):
        train(data, seed=0, out=tmp_path / "bf16", **kwargs)
    packed = train_pack(
        [dict(data=data, seed=s, out=tmp_path / f"p{s}", precision="bf16", **kwargs) for s in (0, 1)],
        progress=False,
        figures=False,
    )
    single = torch.load(bf16.path / "model.pt", weights_only=True)["model"]
    member = torch.load(packed[0].path / "model.pt", weights_only=True)["model"]
    assert all(torch.equal(member[k], single[k]) for k in single)
    assert [e["loss"] for e in packed[0].log()] == losses16


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run by scripts/device_check.sh)")
def test_cuda_bf16_pack_trains_close_to_fp32(tmp_path):
    data = gtdata.ToyData(factor_sizes=(3, 4, 5))
    kwargs = dict(
        method="beta_vae",
        steps=20,
        log_every=5,
        checkpoint_every=20,
        batch_size=32,
        device="cuda",
        progress=False,
        figures=False,
    )
    fp32 = train(data, seed=0, out=tmp_path / "fp32", **kwargs)
    packed = train_pack(
        [dict(data=data, seed=s, out=tmp_path / f"p{s}", precision="bf16", **kwargs) for s in range(4)],
        progress=False,
        figures=False,
    )
    assert packed[0].provenance["device"].startswith("cuda")
    losses = [e["loss"] for e in packed[0].log()]
    assert losses == pytest.approx([e["loss"] for e in fp32.log()], rel=2e-2)
