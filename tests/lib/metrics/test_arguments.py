"""Metric arguments that gave a raw NumPy/Python error, or an error only once a whole epoch
had trained: each is now refused by the metric, naming it and the argument."""
import numpy as np
import pytest

from mlpbook.metrics import (METRICS, accuracy, confusion_matrix, get_metric,
                             plot_confusion_matrix, top5_accuracy, top_k_accuracy)

SCORES3 = np.random.default_rng(0).standard_normal((4, 3))
LABELS = np.array([0, 1, 2, 0])


def test_top5_accuracy_with_three_classes_names_itself_and_what_to_use():
    with pytest.raises(ValueError, match=r"top5_accuracy: needs scores for at least k = 5 "
                                         r"classes \(top-5 accuracy\), got scores of 3 "
                                         r"classes \(shape \(4, 3\)\); use 'accuracy', or "
                                         r"top_k_accuracy with 1 <= k <= C = 3"):
        top5_accuracy(LABELS, SCORES3)            # was: "top_k_accuracy: need ... k=5"


def test_a_metric_says_how_many_classes_it_needs():
    "`k` on a metric: the classes of scores it needs, readable before any training."
    assert top5_accuracy.k == 5 and get_metric("top5_accuracy")[1].k == 5
    assert all(getattr(fn, "k", 1) <= 5 for fn in METRICS.values())
    scores = np.random.default_rng(1).standard_normal((50, 7))
    y = np.arange(50) % 7
    assert top5_accuracy(y, scores) == top_k_accuracy(y, scores, k=5)


@pytest.mark.parametrize("k", ["2", "a", None, 2.0, np.nan])
def test_top_k_refuses_k_that_is_not_an_integer(k):
    with pytest.raises(ValueError, match=r"top_k_accuracy: need an integer 1 <= k <= C = 3"):
        top_k_accuracy(LABELS, SCORES3, k=k)     # was: int("a") raised its own ValueError


@pytest.mark.parametrize("threshold, exc", [("0.5", TypeError), (np.nan, ValueError),
                                            (np.inf, ValueError), ([0.5], TypeError)])
def test_threshold_is_checked(threshold, exc):
    probs = np.array([[0.2], [0.9], [0.6], [0.4]])
    with pytest.raises(exc, match=r"accuracy: threshold must be"):
        accuracy([0, 1, 1, 0], probs, threshold=threshold)   # nan: every prediction class 0
    with pytest.raises(exc, match=r"confusion_matrix: threshold must be"):
        confusion_matrix([0, 1, 1, 0], probs, threshold=threshold)


def test_num_classes_numpy_integer_accepted_and_bool_refused():
    assert confusion_matrix([0, 1], [0, 1], num_classes=np.int64(3)).shape == (3, 3)
    with pytest.raises(ValueError, match=r"num_classes must be a positive integer, got True"):
        confusion_matrix([0, 1], [0, 1], num_classes=True)


def test_get_metric_names_itself():
    with pytest.raises(ValueError, match=r"get_metric: unknown metric 'auc'"):
        get_metric("auc")


@pytest.mark.parametrize("M, names, match", [
    (np.ones((2, 3)), None, r"plot_confusion_matrix: M must be a square matrix of counts"),
    (np.array([[1, -1], [0, 2]]), None, r"square matrix of counts >= 0"),
    (np.ones(4), None, r"plot_confusion_matrix: M must have 2 dimensions"),
    (np.eye(3), ["a", "b"], r"plot_confusion_matrix: 2 class_names for 3 classes"),
])
def test_plot_confusion_matrix_checks_its_matrix(M, names, match):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=match):
        plot_confusion_matrix(M, names)           # was: a plot of nonsense, or an IndexError
