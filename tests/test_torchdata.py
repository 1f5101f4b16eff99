import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import gtdata
from gtdata.torchdata import BatchStream, GroundTruthDataset


def test_map_style_dataset_gives_nchw_and_codes():
    data = gtdata.ToyData((2, 3), image_size=16, channels=3)
    ds = GroundTruthDataset(data, transform=lambda t: t * 2)
    assert len(ds) == 6
    image, codes = ds[5]
    assert image.shape == (3, 16, 16) and image.dtype == torch.float32
    assert codes.tolist() == [1, 2]
    assert torch.allclose(image, torch.from_numpy(data.observations([[1, 2]])[0]).permute(2, 0, 1) * 2)
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3, 16, 16)


def test_stream_uniform_matches_data_stream():
    data = gtdata.ToyData((3, 4, 5), image_size=16)
    stream = BatchStream(data, batch_size=32, seed=3, num_batches=2)
    x, codes = list(stream)[1]
    ref_codes, ref_images = data.stream(32, rng=3, start=32)
    assert x.shape == (32, 1, 16, 16) and x.dtype == torch.float32
    assert np.array_equal(codes.numpy(), ref_codes)
    assert torch.allclose(x, torch.from_numpy(ref_images).permute(0, 3, 1, 2))


def _collect(data, workers, **kw):
    stream = BatchStream(data, batch_size=16, seed=7, num_batches=6, **kw)
    loader = DataLoader(
        stream, batch_size=None, num_workers=workers, multiprocessing_context="spawn" if workers else None
    )
    return [tuple(t.clone() for t in batch) for batch in loader]


@pytest.mark.slow
def test_batches_do_not_depend_on_worker_count():
    data = gtdata.ToyData((3, 4, 5), image_size=16, noise=0.2)
    single = _collect(data, 0, kind="pairs", k="random")
    double = _collect(data, 2, kind="pairs", k="random")
    assert len(single) == len(double) == 6
    for a, b in zip(single, double):
        assert all(torch.equal(u, v) for u, v in zip(a, b))
    firsts = [b[2][0].tolist() for b in single]
    assert len({tuple(f) for f in firsts}) > 1


def test_pairs_stream_uint8_and_channels_last_view():
    data = gtdata.ToyData((3, 4), image_size=8, channels=3)
    x1, x2, c1, c2, changed = BatchStream(data, 10, kind="pairs", k=1, num_batches=1, dtype=torch.uint8).batch(0)
    assert x1.dtype == torch.uint8 and x1.shape == (10, 3, 8, 8)
    assert x1.is_contiguous(memory_format=torch.channels_last)
    assert changed.sum(1).tolist() == [1] * 10
    triplet = BatchStream(data, 4, kind="triplets", num_batches=1).batch(0)
    assert len(triplet) == 6


def test_stream_bad_input():
    data = gtdata.ToyData((3, 4))
    with pytest.raises(ValueError, match="kind must be one of"):
        BatchStream(data, 4, kind="quads")
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        BatchStream(data, 0)
    with pytest.raises(ValueError, match=r"k must lie in 1..1"):
        BatchStream(data, 4, kind="pairs", k=2)
    with pytest.raises(TypeError, match="no length"):
        len(BatchStream(data, 4))
