import numpy as np
import pytest
from metric_fixtures import NoiseData, flat_rep

from gtdata.metrics import arrays, compute_fairness


def test_inter_group_fairness_reference_example():
    mean, maximum = arrays.inter_group_fairness(np.array([[0, 100], [100, 100]]))
    assert mean == pytest.approx(2.0 / 9.0)
    assert maximum == pytest.approx(1.0 / 3.0)


def test_aggregate_fairness_example():
    m = np.array([[0.0, 2.0, 4.0], [4.0, 0.0, 8.0], [2.0, 10.0, 0.0]])
    out = arrays.aggregate_fairness(m, "t")
    assert out["t:pred0:sens1"] == 2.0 and out["t:pred2:sens1"] == 10.0
    assert out["t:pred1:mean_sens"] == 6.0 and out["t:pred1:max_sens"] == 8.0
    assert out["t:sens1:mean_pred"] == 6.0 and out["t:sens1:max_pred"] == 10.0
    # column means 3, 6, 6; column maxima 4, 10, 8; row means 3, 6, 6; row maxima 4, 8, 10
    assert out["t:mean_sens:mean_pred"] == pytest.approx(5.0)
    assert out["t:mean_sens:max_pred"] == pytest.approx(22.0 / 3.0)
    assert out["t:max_sens:mean_pred"] == 6.0 and out["t:max_sens:max_pred"] == 10.0
    assert out["t:mean_pred:mean_sens"] == pytest.approx(5.0)
    assert out["t:mean_pred:max_sens"] == pytest.approx(22.0 / 3.0)
    assert out["t:max_pred:mean_sens"] == 6.0 and out["t:max_pred:max_sens"] == 10.0
    assert len(out) == 6 + 6 + 6 + 8


def test_fairness_smoke_on_noise_data():
    data = NoiseData(sizes=(2, 3))
    out = compute_fairness(data, flat_rep, random_state=0, num_train=100, num_test_points_per_class=20)
    assert set(out) >= {
        "mean_fairness:mean_pred:mean_sens",
        "max_fairness:max_pred:max_sens",
        "mean_fairness:pred0:sens1",
    }
    assert all(0.0 <= v <= 1.0 for v in out.values())
    again = compute_fairness(data, flat_rep, random_state=0, num_train=100, num_test_points_per_class=20)
    assert again == out


def test_fairness_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-empty"):
        arrays.inter_group_fairness(np.array([[0, 1], [0, 2]]))
