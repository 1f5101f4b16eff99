import numpy as np
import pytest

import gtdata
from gtdata.models import METHODS
from gtdata.training import train


@pytest.fixture(scope="module")
def dsprites_like():
    return gtdata.load("dsprites_like")


@pytest.mark.slow
@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_learns_on_the_rendered_set(tmp_path, dsprites_like, method):
    # Small sizes: batch 8, 100 steps. The Bernoulli loss starts at 4096·ln 2 ≈ 2839 and drops as soon as
    # the decoder places the sprite.
    run = train(
        dsprites_like,
        method,
        steps=100,
        batch_size=8,
        out=tmp_path / method,
        log_every=10,
        threads=1,
        progress=False,
        figures=False,
    )
    log = run.log()
    assert [e["step"] for e in log] == list(range(10, 101, 10))
    first, last = log[0]["loss"], np.mean([e["loss"] for e in log[-3:]])
    assert np.isfinite([e["loss"] for e in log]).all()
    assert last < 0.6 * first, [round(e["loss"]) for e in log]


def test_render_spec_mapping_as_data(tmp_path, dsprites_like):
    spec = dict(dsprites_like.spec.raw)
    run = train(spec, "beta_vae", steps=2, batch_size=4, out=tmp_path / "r", threads=1, progress=False, figures=False)
    assert run.data.factor_space.sizes.tolist() == [3, 6, 40, 32, 32]
    assert run.config.data == spec
