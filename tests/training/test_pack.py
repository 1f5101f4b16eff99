"""Pack training: K models in one batched computation equal K separate runs, in ordinary run directories."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import gtdata
from gtdata.training import PackError, TrainConfig, TrainingDiverged, load_run, train, train_pack
from gtdata.training.pack import PackTrainer, check_pack

TOY16 = dict(factor_sizes=(3, 4, 5), image_size=16)
COMMON = dict(batch_size=16, threads=1, device="cpu", progress=False, figures=False)

# (method, architecture, per-member hyper-parameters): every family of loss and both networks.
CASES = [
    ("beta_vae", "conv", [dict(beta=1.0), dict(beta=4.0)]),
    ("factor_vae", "fc", [dict(gamma=10.0), dict(gamma=30.0)]),
    ("ada_gvae", "fc", [dict(beta=1.0, k=1), dict(beta=2.0, k=2)]),
    ("ml_vae", "fc", [dict(beta=1.0), dict(beta=3.0, label_mode="last")]),
    ("dip_vae_ii", "fc", [dict(lambda_od=5.0), dict(lambda_od=20.0)]),
]


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm().clamp_min(1e-12))


def assert_same_run(packed, single, rtol=1e-4):
    """Parameters (each tensor), every logged loss term, the RNG state and the optimiser state agree."""
    pm = torch.load(packed.path / "model.pt", weights_only=True)
    sm = torch.load(single.path / "model.pt", weights_only=True)
    assert {k: v for k, v in pm.items() if k != "model"} == {k: v for k, v in sm.items() if k != "model"}
    assert pm["model"].keys() == sm["model"].keys()
    for name in sm["model"]:
        assert relative_error(pm["model"][name], sm["model"][name]) <= rtol, name
    plog, slog = packed.log(), single.log()
    assert [e["step"] for e in plog] == [e["step"] for e in slog]
    for pe, se in zip(plog, slog):
        assert pe.keys() == se.keys()
        for key in se:
            if key not in ("step", "images_per_s"):
                assert pe[key] == pytest.approx(se[key], rel=rtol, abs=1e-6), (pe["step"], key)
    pc = torch.load(packed.path / "checkpoint.pt", weights_only=True)
    sc = torch.load(single.path / "checkpoint.pt", weights_only=True)
    assert pc["step"] == sc["step"] and torch.equal(pc["torch_rng"], sc["torch_rng"])
    for popt, sopt in zip(pc["optimizers"], sc["optimizers"], strict=True):
        assert popt["param_groups"] == sopt["param_groups"]
        assert popt["state"].keys() == sopt["state"].keys()
        for index, entry in sopt["state"].items():
            for key, value in entry.items():
                assert relative_error(popt["state"][index][key].float(), value.float()) <= rtol


@pytest.mark.parametrize("method,architecture,members", CASES, ids=[c[0] for c in CASES])
def test_packed_members_equal_separate_runs_after_50_steps(tmp_path, method, architecture, members):
    data = gtdata.ToyData(**(TOY16 if architecture == "fc" else dict(factor_sizes=(3, 4, 5))))
    kwargs = dict(method=method, steps=50, architecture=architecture, log_every=10, checkpoint_every=25, **COMMON)
    runs = [dict(data=data, seed=7 + i, out=tmp_path / f"pack{i}", **kwargs, **hp) for i, hp in enumerate(members)]
    packed = train_pack(runs, progress=False, figures=False)
    singles = [train(data, seed=7 + i, out=tmp_path / f"single{i}", **kwargs, **hp) for i, hp in enumerate(members)]
    for p, s in zip(packed, singles):
        assert p.finished and p.config == s.config
        assert_same_run(p, s)
    # The members really differ (own seeds, own hyper-parameters): not one model trained twice.
    a, b = (torch.load(p.path / "model.pt", weights_only=True)["model"] for p in packed)
    assert any(not torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("method,architecture", [("beta_vae", "conv"), ("factor_vae", "fc")])
def test_members_on_worker_threads_equal_one_thread_runs_bit_for_bit(tmp_path, method, architecture):
    # threads=2 and K=3: the members step on 2 worker threads of 1 intra-op thread each, so each member is
    # a single run with threads=1 -- the same kernels, hence the same bytes.
    data = gtdata.ToyData(**(TOY16 if architecture == "fc" else dict(factor_sizes=(3, 4, 5))))
    kwargs = dict(
        method=method,
        steps=12,
        architecture=architecture,
        log_every=3,
        checkpoint_every=6,
        batch_size=16,
        device="cpu",
        progress=False,
        figures=False,
    )
    runs = [dict(data=data, seed=s, out=tmp_path / f"p{s}", threads=2, **kwargs) for s in range(3)]
    trainer_threads = []
    original = PackTrainer.__init__

    def spy(self, *args, **kw):
        original(self, *args, **kw)
        trainer_threads.append((self.workers, self.worker_threads))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(PackTrainer, "__init__", spy)
        packed = train_pack(runs, progress=False, figures=False)
    assert trainer_threads == [(2, 1)]
    assert torch.get_num_threads() == 1  # the caller's setting is restored
    for s, p in enumerate(packed):
        single = train(data, seed=s, out=tmp_path / f"s{s}", threads=1, **kwargs)
        pm = torch.load(p.path / "model.pt", weights_only=True)["model"]
        sm = torch.load(single.path / "model.pt", weights_only=True)["model"]
        assert all(torch.equal(pm[k], sm[k]) for k in sm)
        strip = lambda log: [{k: v for k, v in e.items() if k != "images_per_s"} for e in log]  # noqa: E731
        assert strip(p.log()) == strip(single.log())


def test_grouped_convolutions_match_separate_runs(tmp_path):
    # The CUDA layout (one grouped convolution for all members), run here on the CPU: same math, other rounding,
    # which Adam amplifies on near-zero gradients; 10 steps keep that well inside the tolerance.
    data = gtdata.ToyData(factor_sizes=(3, 4, 5))
    kwargs = dict(method="beta_vae", steps=10, log_every=2, checkpoint_every=10, **COMMON)
    runs = [dict(data=data, seed=i, beta=1.0 + 3 * i, out=tmp_path / f"p{i}", **kwargs) for i in range(3)]
    packed = train_pack(runs, progress=False, figures=False, conv_mode="grouped")
    for i, p in enumerate(packed):
        single = train(data, seed=i, beta=1.0 + 3 * i, out=tmp_path / f"s{i}", **kwargs)
        sm = torch.load(single.path / "model.pt", weights_only=True)["model"]
        pm = torch.load(p.path / "model.pt", weights_only=True)["model"]
        flat = lambda m: torch.cat([v.flatten() for v in m.values()])  # noqa: E731
        assert relative_error(flat(pm), flat(sm)) <= 1e-4
        np.testing.assert_allclose([e["loss"] for e in p.log()], [e["loss"] for e in single.log()], rtol=1e-4)


def test_packed_run_directories_are_ordinary_runs(tmp_path):
    data = gtdata.ToyData(**TOY16)
    kwargs = dict(method="beta_vae", steps=6, architecture="fc", log_every=3, batch_size=8, threads=1, device="cpu")
    packed = train_pack(
        [dict(data=data, seed=s, out=tmp_path / f"p{s}", progress=False, **kwargs) for s in (0, 1)], progress=False
    )
    single = train(data, seed=1, out=tmp_path / "single", progress=False, **kwargs)
    member = load_run(packed[1].path, device="cpu")
    assert {p.name for p in member.path.iterdir()} == {p.name for p in single.path.iterdir()}
    assert (member.path / "config.yaml").read_text() == (single.path / "config.yaml").read_text()
    assert sorted(p.name for p in (member.path / "figures").iterdir()) == sorted(
        p.name for p in (single.path / "figures").iterdir()
    )
    _, obs = data.sample(20, 3)
    np.testing.assert_array_equal(member.representation()(obs), single.representation()(obs))
    prov = member.provenance
    assert prov["seed"] == 1 and prov["sessions"][0]["pack"] == 2 and "finished" in prov
    # Trained again: finished members are returned as they are.
    stamp = (member.path / "model.pt").stat().st_mtime_ns
    again = train_pack([dict(data=data, seed=s, out=tmp_path / f"p{s}", **kwargs) for s in (0, 1)], progress=False)
    assert [r.finished for r in again] == [True, True] and (member.path / "model.pt").stat().st_mtime_ns == stamp
    # A single run can continue a packed directory (same config): the formats are the same.
    assert train(data, seed=1, out=tmp_path / "p1", progress=False, **kwargs).finished


def test_members_with_lagging_checkpoints_catch_up_first(tmp_path):
    # A pack killed while it wrote its members' checkpoints leaves them at different steps.
    data = gtdata.ToyData(**TOY16)
    kwargs = dict(method="beta_vae", steps=20, architecture="fc", log_every=1, checkpoint_every=5, **COMMON)
    configs = [
        TrainConfig(
            data={"name": "toy", "factor_sizes": [3, 4, 5], "image_size": 16},
            seed=s,
            **{k: v for k, v in kwargs.items() if k not in ("progress", "figures")},
        )
        for s in (0, 1)
    ]
    dirs = [tmp_path / f"p{s}" for s in (0, 1)]
    from gtdata.training.trainer import claim_run

    for config, d in zip(configs, dirs):
        claim_run(config, d, data)
    PackTrainer(configs[:1], dirs[:1], data, progress=False).run(stop=10)
    PackTrainer(configs[1:], dirs[1:], data, progress=False).run(stop=5)
    runs = [
        dict(data={"name": "toy", "factor_sizes": [3, 4, 5], "image_size": 16}, seed=s, out=d, **kwargs)
        for s, d in zip((0, 1), dirs)
    ]
    resumed = train_pack(runs, progress=False, figures=False)
    for s, r in zip((0, 1), resumed):
        single = train(
            data={"name": "toy", "factor_sizes": [3, 4, 5], "image_size": 16}, seed=s, out=tmp_path / f"s{s}", **kwargs
        )
        assert [(e["step"], e["loss"]) for e in r.log()] == [(e["step"], e["loss"]) for e in single.log()]
    assert [s["from_step"] for s in resumed[1].provenance["sessions"]] == [0, 5, 10]


@pytest.mark.slow
def test_pack_resumes_after_sigkill(tmp_path):
    kwargs = dict(
        method="beta_vae",
        steps=40,
        log_every=1,
        checkpoint_every=5,
        architecture="fc",
        batch_size=16,
        threads=1,
        device="cpu",
        figures=False,
    )
    data = {"name": "toy", "factor_sizes": [3, 4, 5], "image_size": 16}
    runs = [dict(data=data, seed=s, beta=1.0 + s, out=str(tmp_path / f"p{s}"), **kwargs) for s in range(3)]
    script = f"from gtdata.training import train_pack\ntrain_pack({runs!r}, progress=False)\n"
    proc = subprocess.Popen([sys.executable, "-c", script])
    log = tmp_path / "p2" / "log.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if log.is_file() and len(log.read_text().splitlines()) >= 12:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the pack finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not any((tmp_path / f"p{s}" / "model.pt").exists() for s in range(3))
    resumed = train_pack(runs, progress=False)
    for s, r in enumerate(resumed):
        single = train(data, seed=s, beta=1.0 + s, out=tmp_path / f"s{s}", progress=False, **kwargs)
        assert r.provenance["sessions"][-1]["from_step"] >= 10
        assert [(e["step"], e["loss"]) for e in r.log()] == [(e["step"], e["loss"]) for e in single.log()]


def test_a_diverged_member_stops_alone(tmp_path):
    data = gtdata.ToyData(**TOY16)
    kwargs = dict(method="dip_vae_i", steps=6, architecture="fc", log_every=2, checkpoint_every=2, **COMMON)
    runs = [
        dict(data=data, seed=0, out=tmp_path / "ok", **kwargs),
        # λ_d = 10·λ_od = 1e39 is inf in float32: the penalty on the diagonal is inf from the first step
        dict(data=data, seed=1, lambda_od=1e38, out=tmp_path / "bad", **kwargs),
    ]
    with pytest.raises(TrainingDiverged, match=r"runs\[1\].*bad.*diverged.*checkpoint \(step 0\)"):
        train_pack(runs, progress=False)
    assert (tmp_path / "ok" / "model.pt").is_file() and not (tmp_path / "bad" / "model.pt").exists()
    single = train(data, seed=0, out=tmp_path / "single", **kwargs)
    assert load_run(tmp_path / "ok").log() and [e["loss"] for e in load_run(tmp_path / "ok").log()] == [
        e["loss"] for e in single.log()
    ]


def test_incompatible_runs_are_refused_before_any_directory(tmp_path):
    small, large = gtdata.ToyData(**TOY16), gtdata.ToyData(factor_sizes=(3, 4, 5), image_size=32)
    base = dict(data=small, method="beta_vae", steps=5, architecture="fc", **COMMON)
    cases = [
        ({"method": "factor_vae"}, r"member 1 differs from member 0 in method \('factor_vae' vs 'beta_vae'\)"),
        ({"steps": 7}, r"member 1 differs from member 0 in steps \(7 vs 5\).*separate packs"),
        ({"data": large}, r"runs\[1\] passes another data set object"),
        ({"data": {"name": "toy", "image_size": 32}}, r"member 1 differs from member 0 in data"),
        ({"batch_size": 32}, r"in batch_size \(32 vs 16\)"),
    ]
    for change, message in cases:
        with pytest.raises(PackError, match=message):
            train_pack([dict(base, out=tmp_path / "a"), dict(base, out=tmp_path / "b", **change)], progress=False)
    with pytest.raises(PackError, match="has no 'out'"):
        train_pack([dict(base, out=tmp_path / "a"), base])
    with pytest.raises(PackError, match="the same out directory"):
        train_pack([dict(base, out=tmp_path / "a"), dict(base, out=tmp_path / "a", seed=1)])
    with pytest.raises(PackError, match="at least one run"):
        train_pack([])
    with pytest.raises(PackError, match="compile=True is not supported"):
        check_pack([TrainConfig(data="toy", compile=True)])
    with pytest.raises(PackError, match="conv_mode must be one of auto, grouped, loop"):
        train_pack([dict(base, out=tmp_path / "a")], conv_mode="vmap")
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised where torch sees no CUDA device")
def test_cuda_without_cuda_is_a_clear_error(tmp_path):
    runs = [dict(data="toy", steps=2, seed=s, device="cuda", out=tmp_path / f"r{s}") for s in (0, 1)]
    with pytest.raises(ValueError, match="device 'cuda' asked for, but torch sees no CUDA device"):
        train_pack(runs, progress=False)
    assert not any(tmp_path.iterdir())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run by scripts/device_check.sh)")
@pytest.mark.parametrize("conv_mode", ["grouped", "loop"])
def test_cuda_pack_matches_cuda_single_runs(tmp_path, conv_mode):
    data = gtdata.ToyData(factor_sizes=(3, 4, 5))
    kwargs = dict(
        method="factor_vae",
        steps=10,
        log_every=2,
        checkpoint_every=5,
        batch_size=32,
        device="cuda",
        progress=False,
        figures=False,
    )
    packed = train_pack(
        [dict(data=data, seed=s, out=tmp_path / f"p{s}", **kwargs) for s in range(4)],
        progress=False,
        figures=False,
        conv_mode=conv_mode,
    )
    for s, p in enumerate(packed):
        single = train(data, seed=s, out=tmp_path / f"s{s}", **kwargs)
        np.testing.assert_allclose([e["loss"] for e in p.log()], [e["loss"] for e in single.log()], rtol=1e-3)
        assert p.provenance["device"].startswith("cuda")
