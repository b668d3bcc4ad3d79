"""Misuse of the data, metrics, regularisation and normalisation APIs (issue 10):
each case raises the exact exception type with a message that names the problem."""
import numpy as np
import pytest

from mlpbook.data import ArrayDataset, DataLoader, Standardize, random_split
from mlpbook.metrics import (accuracy, confusion_matrix, f1_macro, mae, precision_recall_f1,
                             r2_score, rmse, top_k_accuracy)
from mlpbook.normalization import BatchNorm1d
from mlpbook.regularization import Dropout, RandomHorizontalFlip, RandomShift


def _ds(n=10):
    return ArrayDataset(np.zeros((n, 2), np.float32), np.arange(n))


# --- metrics: shapes that used to give silent wrong answers --------------------------
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
    with pytest.raises(ValueError, match=r"average must be 'macro' or None"):
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


# --- data -------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [2.7, "8", True, 0, -1, None, 3.0])
def test_dataloader_batch_size_like_torch(bad):
    with pytest.raises(ValueError, match=rf"positive integer value, but got batch_size={bad}"):
        DataLoader(_ds(), batch_size=bad)


def test_dataloader_keyword_only_after_shuffle():
    with pytest.raises(TypeError, match="positional"):
        DataLoader(_ds(), 4, True, True)                  # torch's 4th positional is sampler
    with pytest.raises(ValueError, match=r"drop_last should be a boolean value"):
        DataLoader(_ds(), 4, drop_last="yes")
    with pytest.raises(ValueError, match=r"shuffle should be a boolean value"):
        DataLoader(_ds(), 4, shuffle=1)


def test_dataloader_generator_keyword_and_conflicts():
    a = [yb.tolist() for _, yb in DataLoader(_ds(), 3, True, generator=5)]
    b = [yb.tolist() for _, yb in DataLoader(_ds(), 3, True, rng=5)]
    assert a == b
    with pytest.raises(TypeError, match=r"either rng= or generator="):
        DataLoader(_ds(), 3, True, rng=1, generator=1)
    with pytest.raises(TypeError, match=r"generator must be an np.random.Generator"):
        DataLoader(_ds(), 3, True, generator="seed")


def test_dataloader_rejects_tuple_and_empty_shuffle():
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(TypeError, match=r"wrap arrays .*ArrayDataset\(X, y\)"):
        DataLoader((X, y), batch_size=2)
    with pytest.raises(TypeError, match=r"__len__ and __getitem__"):
        DataLoader(42, batch_size=2)
    with pytest.raises(ValueError, match=r"cannot shuffle an empty dataset"):
        DataLoader(ArrayDataset(np.zeros((0, 2)), np.zeros(0)), batch_size=2, shuffle=True)


def test_array_dataset_errors():
    with pytest.raises(ValueError, match=r"array 0 has 4 examples but array 1 has 3"):
        ArrayDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"array 1 is a scalar"):
        ArrayDataset(np.zeros((4, 2)), 3.0)
    with pytest.raises(ValueError, match=r"at least one array"):
        ArrayDataset()


def test_random_split_generator_and_conflict():
    a = random_split(_ds(), [6, 4], generator=3)[0].indices
    np.testing.assert_array_equal(a, random_split(_ds(), [6, 4], rng=3)[0].indices)
    with pytest.raises(TypeError, match=r"either rng= or generator="):
        random_split(_ds(), [6, 4], rng=1, generator=1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_standardize_fit_refuses_non_finite(bad):
    X = np.ones((5, 3), np.float32)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"1 NaN or inf entries \(the first at index \(3, 1\)\)"):
        Standardize().fit(X)
    with pytest.raises(TypeError, match=r"numeric"):
        Standardize().fit(np.array([["a"], ["b"]]))


# --- dropout, augmentation, batch norm --------------------------------------------------
def test_dropout_positions_like_torch():
    with pytest.raises(TypeError, match=r"inplace must be True or False.*rng="):
        Dropout(0.5, 3)                                  # a seed where torch has inplace
    with pytest.raises(TypeError, match="positional"):
        Dropout(0.5, False, 3)
    with pytest.raises(ValueError, match=r"between 0 and 1, but got 1.5"):
        Dropout(1.5)
    with pytest.raises(TypeError, match=r"p must be a number"):
        Dropout(True)
    with pytest.raises(TypeError, match=r"either rng= or generator="):
        Dropout(0.5, rng=1, generator=1)
    assert Dropout(0.5, True).inplace and Dropout(0.5, generator=0).rng is not None


def test_dropout_p_one_and_inplace():
    x = np.ones((3, 4))
    np.testing.assert_array_equal(Dropout(1.0, rng=0)(x), 0)
    x = np.ones((50, 40), np.float32)
    d = Dropout(0.5, True, rng=0)
    y = d(x)
    assert y is x and y.dtype == np.float32 and set(np.unique(x)) == {0.0, 2.0}


def test_augmentation_arguments():
    with pytest.raises(ValueError, match=r"image_shape must be \(H, W\)"):
        RandomHorizontalFlip(image_shape=784)
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got \(28, 28\)"):
        RandomHorizontalFlip((28, 28))
    with pytest.raises(ValueError, match=r"max_shift must be an int >= 0"):
        RandomShift(-1)
    with pytest.raises(TypeError, match="positional"):
        RandomShift(2, (28, 28))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4", None])
def test_batchnorm_num_features(bad):
    with pytest.raises(ValueError, match=rf"num_features must be a positive int.*got {bad!r}"):
        BatchNorm1d(bad)


def test_batchnorm_other_arguments():
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\] or None"):
        BatchNorm1d(3, 1e-5, 1.5)
    with pytest.raises(ValueError, match=r"eps must be a positive number"):
        BatchNorm1d(3, eps=0)
    with pytest.raises(TypeError, match="positional"):
        BatchNorm1d(3, 1e-5, 0.1, np.float64)             # torch's 4th positional is affine


def test_integral_logits_read_as_labels_get_a_hint():
    with pytest.raises(ValueError, match=r"got -2 in y_pred \(for binary logits pass "
                                         r"threshold=0.0\)"):
        accuracy([0, 1], np.array([-2.0, 3.0]))
    assert accuracy([0, 1], np.array([-2.0, 3.0]), threshold=0.0) == 1.0


# --- review2: backward protocol, image shapes, num_classes ---------------------------
@pytest.mark.parametrize("make", [lambda: Dropout(0.5, rng=0), lambda: BatchNorm1d(3)])
def test_backward_before_forward_and_wrong_grad_shape(make):
    layer = make()
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((4, 3)))         # Dropout returned grad_out unchanged
    layer.forward(np.ones((4, 3)) + np.arange(4)[:, None])
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 3\)"):
        layer.backward(np.ones((1, 3)))         # used to broadcast silently
    assert layer.backward(np.ones((4, 3))).shape == (4, 3)   # the cache was kept
    with pytest.raises(RuntimeError, match="twice"):
        layer.backward(np.ones((4, 3)))


def test_augmentation_shapes_named():
    from mlpbook.regularization import random_horizontal_flip, random_shift
    with pytest.raises(ValueError, match=r"random_horizontal_flip: expected images of "
                                         r"shape \(N, 784\)"):
        random_horizontal_flip(np.ones((2, 10)), (28, 28))
    with pytest.raises(ValueError, match="max_shift=28 would move whole images"):
        random_shift(np.ones((2, 784)), (28, 28), max_shift=28)   # was: all blank
    assert random_shift(np.ones((2, 28, 28)), (28, 28), 1, rng=0).shape == (2, 28, 28)


def test_confusion_matrix_num_classes_checked():
    y = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        confusion_matrix(y, y, num_classes=0)   # was: ignored, a 3x3 matrix
    with pytest.raises(ValueError, match="num_classes must be a positive integer"):
        confusion_matrix(y, y, num_classes=3.0)
    assert confusion_matrix(y, y, num_classes=4).shape == (4, 4)
