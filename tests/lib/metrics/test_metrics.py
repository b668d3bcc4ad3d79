import numpy as np
import pytest

from mlpbook.metrics import (METRICS, accuracy, confusion_matrix, get_metric, mae, precision_recall_f1, r2_score,
                             rmse, top_k_accuracy)


def test_hand_computed_classification():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert confusion_matrix(y_true, y_pred).tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    P, R, F = precision_recall_f1(y_true, y_pred, average=None)
    np.testing.assert_allclose(P, [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(R, [0.5, 1.0, 0.5])
    np.testing.assert_allclose(F, [0.5, 0.8, 2 / 3])
    assert precision_recall_f1(y_true, y_pred)[2] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_scores_are_argmaxed_and_top_k():
    scores = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    y = np.array([2, 0, 1])
    assert accuracy(y, scores) == pytest.approx(1 / 3)
    assert top_k_accuracy(y, scores, k=1) == pytest.approx(1 / 3)
    assert top_k_accuracy(y, scores, k=2) == 1.0
    assert top_k_accuracy(y, scores, k=3) == 1.0
    with pytest.raises(ValueError, match="k <= C"):
        top_k_accuracy(y, scores, k=4)


def test_class_never_predicted_gives_zero_not_nan():
    P, R, F = precision_recall_f1(np.array([0, 1, 2]), np.array([0, 0, 0]), num_classes=4, average=None)
    assert np.isfinite(P).all() and P.tolist() == [1 / 3, 0, 0, 0] and F[3] == 0


def test_regression_hand_computed():
    t, p = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.0, 4.0])
    assert mae(t, p) == 0.375
    assert rmse(t, p) == pytest.approx(np.sqrt(1.25 / 4))
    assert r2_score(t, p) == pytest.approx(1 - 1.25 / 5)
    assert r2_score(t, np.full(4, 2.5)) == 0.0
    assert r2_score(np.ones(3), np.ones(3)) == 1.0


def test_errors():
    with pytest.raises(ValueError, match="3 targets but 2 predictions"):
        accuracy(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="differ in shape"):
        rmse(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("auc")
    with pytest.raises(ValueError, match="empty"):
        mae(np.zeros(0), np.zeros(0))
    assert get_metric("accuracy") == ("accuracy", accuracy)
    assert set(METRICS) >= {"accuracy", "mae", "rmse", "r2", "f1_macro"}


@pytest.mark.parametrize("seed", range(5))
def test_against_scikit_learn(seed):
    sk = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
    rng = np.random.default_rng(seed)
    C, N = 5, 300
    y_true = rng.integers(0, C, N)
    scores = rng.standard_normal((N, C)) + 2 * np.eye(C)[y_true] * rng.random((N, 1))
    y_pred = scores.argmax(1)
    assert accuracy(y_true, scores) == pytest.approx(sk.accuracy_score(y_true, y_pred))
    assert top_k_accuracy(y_true, scores, k=2) == pytest.approx(sk.top_k_accuracy_score(y_true, scores, k=2))
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, C), sk.confusion_matrix(y_true, y_pred, labels=range(C)))
    P, R, F = precision_recall_f1(y_true, y_pred, C, average=None)
    sP, sR, sF, _ = sk.precision_recall_fscore_support(y_true, y_pred, labels=range(C), zero_division=0)
    np.testing.assert_allclose(P, sP)
    np.testing.assert_allclose(R, sR)
    np.testing.assert_allclose(F, sF)
    assert precision_recall_f1(y_true, y_pred, C)[2] == pytest.approx(sk.f1_score(y_true, y_pred, average="macro"))
    t, p = rng.standard_normal((N, 2)), rng.standard_normal((N, 2))
    assert mae(t, p) == pytest.approx(sk.mean_absolute_error(t, p))
    assert rmse(t, p) == pytest.approx(np.sqrt(sk.mean_squared_error(t, p)))
    assert r2_score(t, p) == pytest.approx(sk.r2_score(t, p))
    assert r2_score(t[:, 0], t[:, 0] + 0.1 * p[:, 0]) == pytest.approx(sk.r2_score(t[:, 0], t[:, 0] + 0.1 * p[:, 0]))
