import numpy as np
import pytest
from PIL import Image

from gtdata.training import load_run, train
from gtdata.training.figures import FIGURE_FILES

SMALL = dict(batch_size=8, threads=1, progress=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import torch

    import gtdata

    before = torch.get_num_threads()
    out = tmp_path_factory.mktemp("runs") / "r"
    trained = train(gtdata.ToyData(factor_sizes=(3, 4, 5)), "beta_vae", steps=8, out=out, num_latent=6, **SMALL)
    torch.set_num_threads(before)
    return trained


def test_mean_representation_is_batched_and_deterministic(run):
    _, obs = run.data.sample(37, np.random.default_rng(0))
    rep = run.representation("mean", batch_size=10)
    codes = rep(obs)
    assert codes.shape == (37, 6) and codes.dtype == np.float32
    np.testing.assert_array_equal(codes, rep(obs))
    # Chunking does not change the result.
    np.testing.assert_allclose(run.representation("mean", batch_size=64)(obs), codes, rtol=1e-5, atol=1e-6)
    # uint8 observations are read as bytes / 255.
    as_bytes = np.rint(obs * 255).astype(np.uint8)
    np.testing.assert_allclose(rep(as_bytes), rep(as_bytes.astype(np.float32) / 255), atol=1e-6)


def test_sampled_representation_adds_fresh_noise(run):
    _, obs = run.data.sample(20, np.random.default_rng(1))
    mean = run.representation("mean")(obs)
    rep = run.representation("sampled", seed=5)
    first, second = rep(obs), rep(obs)
    assert first.shape == mean.shape
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(run.representation("sampled", seed=5)(obs), first)
    # Noise scale is the posterior std, about 1 for an almost untrained encoder.
    assert 0.3 < np.std(first - mean) < 3.0


def test_representation_bad_input(run):
    rep = run.representation()
    with pytest.raises(ValueError, match=r"observations must be a batch \(N, 64, 64, 1\); got one image"):
        rep(np.zeros((64, 64, 1), np.float32))
    with pytest.raises(ValueError, match=r"must have shape \(N, 64, 64, 1\).*got \(2, 64, 64, 3\)"):
        rep(np.zeros((2, 64, 64, 3), np.float32))
    with pytest.raises(ValueError, match="uint8 or float"):
        rep(np.zeros((2, 64, 64, 1), np.int32))
    with pytest.raises(ValueError, match="unknown representation 'median'; valid: mean, sampled"):
        run.representation("median")


def test_load_run_round_trip(run):
    again = load_run(run.path, device="cpu")
    assert again.finished and again.config == run.config
    _, obs = run.data.sample(4, np.random.default_rng(2))
    np.testing.assert_array_equal(again.representation()(obs), run.representation()(obs))
    with pytest.raises(FileNotFoundError, match="not a gtdata run directory"):
        load_run(run.path / "figures")


def test_figures_are_written(run):
    figures = run.path / "figures"
    assert sorted(p.name for p in figures.iterdir()) == sorted(FIGURE_FILES)
    with Image.open(figures / "traversals.png") as img:
        # 6 latents x 10 steps of 64-pixel tiles with 2-pixel gaps, plus row labels, value ticks and a title.
        assert img.size[0] > 10 * 66 + 2 and img.size[1] > 6 * 66 + 2
    with Image.open(figures / "reconstructions.png") as img:
        assert img.size == (10 * 66 + 2, 2 * 66 + 2)
    with Image.open(figures / "samples.png") as img:
        assert img.size == (8 * 66 + 2, 8 * 66 + 2)
    with Image.open(figures / "traversals.gif") as gif:
        assert gif.n_frames == 24
        assert gif.size == (5 * 66 + 2, 2 * 66 + 2)


def test_traversal_rows_follow_the_mean_kl(run):
    import torch

    from gtdata.training.data import observations_to_tensor
    from gtdata.training.figures import latent_kl, traversal_order

    _, obs = run.data.sample(32, np.random.default_rng(5))
    x = observations_to_tensor(obs, tuple(run.data.observation_shape), "cpu")
    kl = latent_kl(run.model, x)
    # Independent computation of the per-latent KL from the encoder's outputs.
    with torch.no_grad():
        mean, logvar = (t.double().numpy() for t in run.model.encode(x))
    expected = (0.5 * (mean**2 + np.exp(logvar) - logvar - 1.0)).mean(axis=0)
    np.testing.assert_allclose(kl, expected, rtol=1e-5, atol=1e-7)
    assert kl.shape == (run.model.num_latent,) and (kl >= -1e-6).all()
    order = traversal_order(kl)
    assert sorted(order.tolist()) == list(range(kl.size))
    assert (np.diff(kl[order]) <= 0).all()
    # Ties keep the lower latent index first.
    np.testing.assert_array_equal(traversal_order(np.array([0.5, 2.0, 0.5, 2.0])), [1, 3, 0, 2])


def test_unfinished_run_has_no_model(tmp_path, toy):
    from gtdata.training import rundir
    from gtdata.training.config import TrainConfig

    config = TrainConfig(data="toy", steps=5)
    rundir.claim_run_dir(tmp_path / "r", config, resume=True)
    with pytest.raises(ValueError, match="is not finished"):
        load_run(tmp_path / "r").representation()


def test_representation_encodes_in_bounded_chunks_on_the_device(run):
    import torch

    _, obs = run.data.sample(23, np.random.default_rng(1))
    obs = np.rint(obs * 255).astype(np.uint8)
    rep = run.representation("mean", batch_size=7)
    seen = []
    hook = run.model.encoder.register_forward_hook(lambda m, inp, out: seen.append(tuple(inp[0].shape)))
    try:
        codes = rep(obs)
    finally:
        hook.remove()
    assert [s[0] for s in seen] == [7, 7, 7, 2] and all(s[1:] == (1, 64, 64) for s in seen)
    # Each chunk is exactly the encoder's pass over those rows; the whole equals one unchunked pass up to the
    # float rounding of batch-size dependent kernels.
    with torch.no_grad():
        x = torch.from_numpy(obs).float().div_(255).permute(0, 3, 1, 2)
        chunks = [run.model.encode(x[lo : lo + 7])[0].numpy() for lo in range(0, 23, 7)]
        whole = run.model.encode(x)[0].numpy()
    np.testing.assert_array_equal(codes, np.concatenate(chunks))
    np.testing.assert_allclose(codes, whole, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(
    not __import__("torch").cuda.is_available(), reason="needs a CUDA device (run by scripts/device_check.sh)"
)
def test_representation_on_cuda_matches_cpu(run):
    _, obs = run.data.sample(300, np.random.default_rng(2))
    on_gpu = load_run(run.path, device="cuda")
    assert on_gpu.device.type == "cuda"
    np.testing.assert_allclose(
        on_gpu.representation("mean", batch_size=64)(obs),
        run.representation("mean", batch_size=64)(obs),
        rtol=1e-3,
        atol=1e-4,
    )
