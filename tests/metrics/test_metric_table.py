"""The metric table: one typed list that every metric name, the study's suite and the CLI's choices come from."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from metric_fixtures import identity_data, identity_rep

from gtdata.cli import cmd_evaluate
from gtdata.metrics.evaluate import (
    METRIC_NAMES,
    METRIC_TABLE,
    METRICS,
    REPRESENTATIONS,
    STUDY_METRICS,
    MetricSpec,
    SharedDraws,
)
from gtdata.metrics.sampling import sample_latents


def test_names_come_from_the_table():
    assert METRIC_NAMES == tuple(spec.name for spec in METRIC_TABLE) and len(set(METRIC_NAMES)) == len(METRIC_NAMES)
    assert STUDY_METRICS == (
        "beta_vae",
        "factor_vae",
        "mig",
        "dci",
        "sap",
        "modularity_explicitness",
        "unsupervised",
        "downstream_logistic_regression",
        "downstream_boosted_trees",
    )
    assert cmd_evaluate.METRIC_NAMES is METRIC_NAMES and cmd_evaluate.STUDY_METRICS is STUDY_METRICS
    assert cmd_evaluate.REPRESENTATIONS is REPRESENTATIONS
    from gtdata.study import presets, spec
    from gtdata.training import run

    assert spec.REPRESENTATIONS is REPRESENTATIONS and run.REPRESENTATIONS is REPRESENTATIONS
    assert tuple(presets.STUDY_METRICS) == STUDY_METRICS


def test_entries_are_typed_and_complete():
    for spec in METRIC_TABLE:
        assert isinstance(spec, MetricSpec) and callable(spec.compute) and spec.name in repr(spec.compute)
        if spec.from_latents is not None:
            train, test = spec.sizes(spec.defaults)
            assert train > 0 and test >= 0
    with pytest.raises(ValueError, match="from_latents and sizes go together"):
        MetricSpec("broken", METRIC_TABLE[0].compute, {}, from_latents=METRIC_TABLE[2].from_latents)


def test_shared_entry_equals_its_compute_function():
    # The shared-sample path and the metric's own sampling-level function agree on the same draws.
    data = identity_data(3, 4)
    spec = METRICS["mig"]
    options = dict(spec.defaults, num_train=300)
    latents, factors = sample_latents(data, identity_rep, 300, np.random.RandomState(5))
    shared = spec.from_latents(SharedDraws(latents, factors, None, None), options, np.random.RandomState(0), None)
    own = spec.compute(data, identity_rep, np.random.RandomState(5), **options)
    assert shared == pytest.approx(own)


def test_the_cli_parser_loads_no_scikit_learn():
    code = "import sys, gtdata.cli.main; print('sklearn' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_sample_codes_is_a_deprecated_alias():
    from gtdata.metrics.sampling import sample_codes

    data = identity_data(3, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = sample_codes(data, identity_rep, 50, np.random.RandomState(1))
    assert [type(w.message) for w in caught] == [FutureWarning] and "use sample_latents" in str(caught[0].message)
    new = sample_latents(data, identity_rep, 50, np.random.RandomState(1))
    np.testing.assert_array_equal(old[0], new[0])
    np.testing.assert_array_equal(old[1], new[1])
