"""The GPU data path's logic, run on the CPU: same codes, same batches bit for bit, pinned-memory fallback."""

import numpy as np
import pytest
import torch

from gtdata import Factor, FactorSpace, PreparedData, PreparedWriter
from gtdata.training import train
from gtdata.training.data import BatchSource
from gtdata.training.device_data import (
    DeviceBatchSource,
    DeviceStore,
    device_store,
    make_batch_source,
    supports_device_path,
)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    space = FactorSpace([Factor("a", [0, 1, 2]), Factor("b", [0.0, 0.5, 1.0, 1.5]), Factor("c", list(range(5)))])
    images = np.random.default_rng(0).integers(0, 256, size=(60, 64, 64, 1), dtype=np.uint8)
    path = tmp_path_factory.mktemp("prepared") / "set"
    with PreparedWriter(path, space, (64, 64, 1), name="random64") as writer:
        writer.write(images)
        writer.commit()
    return PreparedData(path)


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(weak=True, k=1, pair_mode="exact"),
        dict(weak=True, k=2, pair_mode="reference", label_mode="last"),
    ],
    ids=["uniform", "pairs", "reference-pairs-last-label"],
)
def test_device_batches_equal_cpu_batches_bit_for_bit(prepared, options):
    cpu = BatchSource(prepared, 16, 3, torch.device("cpu"), **options)
    dev = DeviceBatchSource(prepared, 16, 3, torch.device("cpu"), **options)
    for step in (0, 1, 7, 1000):
        a, b = cpu.batch(step), dev.batch(step)
        assert a.keys() == b.keys()
        for key in a:
            assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), (step, key)
    # Independent check of the arithmetic: bytes / 255 of the stored rows of the stream's codes.
    if not options:
        codes = cpu.stream.batch(1)[1].numpy()
        expected = prepared.images[prepared.stored_index(codes, None)].astype(np.float32) * np.float32(1 / 255)
        np.testing.assert_array_equal(dev.batch(1)["x"].permute(0, 2, 3, 1).numpy(), expected)


def test_store_too_large_for_the_device_falls_back_to_host_memory(prepared):
    with pytest.warns(RuntimeWarning, match="does not fit in 50% of cpu's free memory.*pinned host memory"):
        store = DeviceStore(prepared.images, torch.device("cpu"), budget=1000)
    assert not store.on_device
    full = DeviceStore(prepared.images, torch.device("cpu"))
    assert full.on_device
    rows = np.array([5, 0, 59, 5])
    assert torch.equal(store.gather(rows), full.gather(rows))
    # One store per data set and device, shared by every source (all members of a pack).
    assert device_store(prepared, torch.device("cpu")) is device_store(prepared, torch.device("cpu"))


def test_which_source_serves_which_data(prepared):
    import gtdata

    toy = gtdata.ToyData(factor_sizes=(3, 4))
    assert supports_device_path(prepared) and not supports_device_path(toy)
    assert not supports_device_path(prepared, sampler={"name": "pairs"})
    assert type(make_batch_source(prepared, 8, 0, torch.device("cpu"))) is BatchSource  # CPU default
    assert type(make_batch_source(prepared, 8, 0, torch.device("cpu"), device_data=True)) is DeviceBatchSource
    assert type(make_batch_source(toy, 8, 0, torch.device("cpu"), device_data=True)) is BatchSource
    with pytest.raises(ValueError, match="needs a prepared data set"):
        DeviceBatchSource(toy, 8, 0, torch.device("cpu"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run by scripts/device_check.sh)")
def test_cuda_batches_equal_cpu_batches(prepared):
    for options in (dict(), dict(weak=True, k=1, label_mode="last")):
        cpu = BatchSource(prepared, 64, 5, torch.device("cpu"), **options)
        dev = DeviceBatchSource(prepared, 64, 5, torch.device("cuda"), **options)
        assert dev.store.on_device and dev.store.images.device.type == "cuda"
        for step in (0, 3):
            a, b = cpu.batch(step), dev.batch(step)
            for key in a:
                assert b[key].device.type == "cuda" and torch.equal(a[key], b[key].cpu()), (step, key)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run by scripts/device_check.sh)")
def test_cuda_training_on_a_prepared_store_matches_cpu(prepared, tmp_path):
    kwargs = dict(method="beta_vae", steps=5, log_every=1, batch_size=32, progress=False, figures=False)
    on_gpu = train(prepared, out=tmp_path / "gpu", device="cuda", **kwargs)
    on_cpu = train(prepared, out=tmp_path / "cpu", device="cpu", threads=1, **kwargs)
    # Same batches, same init; the noise comes from the CUDA generator on the GPU, so only the first loss,
    # before any update, shares its inputs: the reconstruction term of step 1 agrees closely.
    assert on_gpu.log()[0]["reconstruction"] == pytest.approx(on_cpu.log()[0]["reconstruction"], rel=1e-2)
    assert on_gpu.provenance["device"].startswith("cuda")
