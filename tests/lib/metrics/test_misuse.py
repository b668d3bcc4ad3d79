"""Misuse of the metrics: every case raises the exact exception type with a message that
names the problem."""
import numpy as np
import pytest

from mlpbook.metrics import (accuracy, confusion_matrix, f1_macro, mae, precision_recall_f1,
                             r2_score, rmse, top_k_accuracy)


# --- shapes that used to give silent wrong answers ---------------------------------
def test_binary_scores_n_by_1_are_thresholded_not_argmaxed():
    y = np.array([0, 1, 1, 0])
    probs = np.array([[0.2], [0.9], [0.6], [0.4]])
    assert accuracy(y, probs) == 1.0                    # was: fraction of zeros (0.5)
    logits = np.array([[-2.0], [3.0], [0.5], [-0.1]])
    assert accuracy(y, logits) == 1.0
    assert accuracy(y, np.array([[0.2], [0.9], [0.6], [0.4]]), threshold=0.7) == 0.75
    assert accuracy(y, np.array([0.2, 0.9, 0.6, 0.4])) == 1.0    # (N,) probabilities
    assert accuracy(y[:, None].astype(np.float32), probs) == 1.0  # BCE-style float targets


def test_labels_n_by_1_and_one_hot_targets():
    y = np.array([0, 2, 1])
    assert accuracy(y[:, None], np.array([0, 2, 2])) == pytest.approx(2 / 3)
    scores = np.array([[0.9, 0.05, 0.05], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    assert accuracy(np.eye(3)[y], scores) == pytest.approx(2 / 3)     # N == C
    assert accuracy(np.eye(4)[[0, 1]], np.eye(4)[[0, 2]]) == 0.5      # N != C
    with pytest.raises(ValueError, match=r"one-hot y_true has 4 classes but y_pred scores 3"):
        accuracy(np.eye(4)[[0, 1, 2]], scores)


@pytest.mark.parametrize("y_true,y_pred,match", [
    (np.zeros((3, 3)), np.zeros(3), r"one-hot \(N, C\).*got shape \(3, 3\)"),
    (np.array([[0.5, 0.5], [1, 0]]), np.zeros(2), r"one-hot"),
    (np.zeros((2, 2, 2)), np.zeros(2), r"got shape \(2, 2, 2\)"),
    (np.zeros(3), np.zeros((3, 2, 2)), r"y_pred must be .*got shape \(3, 2, 2\)"),
    (np.array([0.5, 1.0]), np.array([0, 1]), r"integer class labels"),
    (np.array([0, -1]), np.array([0, 1]), r"labels must be >= 0, got -1 in y_true"),
    (np.array([0, 1]), np.array([0, -3]), r">= 0, got -3 in y_pred"),
    (np.array([0, np.nan]), np.array([0, 1]), r"y_true contains NaN"),
    (np.array([0, 1]), np.array([[0.2, np.inf], [1, 0]]), r"y_pred contains NaN or inf"),
    (np.zeros(3), np.zeros(2), r"3 targets but 2 predictions"),
    (np.array([0, 3]), np.eye(3)[[0, 1]], r"y_true holds class 3, outside the 3 classes"),
    (np.array(["a", "b"]), np.array([0, 1]), r"must be numeric"),
])
def test_accuracy_rejects(y_true, y_pred, match):
    exc = TypeError if "numeric" in match else ValueError
    with pytest.raises(exc, match=match):
        accuracy(y_true, y_pred)


def test_confusion_matrix_refuses_predictions_outside_num_classes():
    with pytest.raises(ValueError, match=r"y_pred holds class 5, outside the 2 classes 0..1"):
        confusion_matrix([0, 1, 1], [0, 1, 5], num_classes=2)
    with pytest.raises(ValueError, match=r"y_true holds class 2"):
        precision_recall_f1([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer"):
        confusion_matrix([0, 1], [0, 1], num_classes=2.5)
    with pytest.raises(ValueError, match=r"precision_recall_f1: average must be one of 'macro', None; got 'micro'"):
        precision_recall_f1([0, 1], [0, 1], average="micro")


def test_top_k_refuses_negative_labels_and_bad_k():
    scores = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    with pytest.raises(ValueError, match=r"labels must be >= 0, got -1"):
        top_k_accuracy([-1, 0], scores, k=1)                # was: read as the last class
    with pytest.raises(ValueError, match=r"outside the 3 classes"):
        top_k_accuracy([3, 0], scores, k=1)
    for k in (0, 4, 1.5, True):
        with pytest.raises(ValueError, match=r"1 <= k <= C = 3"):
            top_k_accuracy([2, 0], scores, k=k)
    with pytest.raises(ValueError, match=r"scores must have shape \(N, C\) with C >= 2"):
        top_k_accuracy([0, 1], np.array([0.3, 0.8]), k=1)


@pytest.mark.parametrize("fn", [mae, rmse, r2_score])
def test_regression_metrics_reject_nan_inf_and_shape_mismatch(fn):
    with pytest.raises(ValueError, match=r"y_true contains NaN or inf"):
        fn(np.array([1.0, np.nan]), np.array([1.0, 2.0]))    # r2 was 0.0
    with pytest.raises(ValueError, match=r"y_pred contains NaN or inf"):
        fn(np.array([1.0, 2.0]), np.array([1.0, np.inf]))
    with pytest.raises(ValueError, match=r"\(3, 1\) and predictions \(3,\) differ in shape"):
        fn(np.zeros((3, 1)), np.zeros(3))
    with pytest.raises(ValueError, match=r"empty"):
        fn(np.zeros(0), np.zeros(0))


def test_f1_macro_uses_same_checks():
    with pytest.raises(ValueError, match=r"outside"):
        f1_macro(np.eye(2)[[0, 1]], np.array([0, 5]))


def test_integral_logits_read_as_labels_get_a_hint():
    with pytest.raises(ValueError, match=r"got -2 in y_pred \(for binary logits pass "
                                         r"threshold=0.0\)"):
        accuracy([0, 1], np.array([-2.0, 3.0]))
    assert accuracy([0, 1], np.array([-2.0, 3.0]), threshold=0.0) == 1.0


def test_confusion_matrix_num_classes_checked():
    y = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        confusion_matrix(y, y, num_classes=0)   # was: ignored, a 3x3 matrix
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        confusion_matrix(y, y, num_classes=3.0)
    assert confusion_matrix(y, y, num_classes=4).shape == (4, 4)
