"""The loss contract (backward() can be called again and returns a new array shaped and
typed like the prediction) and bad arguments answered with the loss's name."""
import numpy as np
import pytest

from mlpbook.activations import softmax
from mlpbook.losses import BCEWithLogits, CategoricalCrossEntropy, MSELoss, SoftmaxCrossEntropy

rng = np.random.default_rng(0)
Z = rng.standard_normal((5, 4)).astype(np.float32)
LABELS = np.array([0, 3, 1, 1, 2])
CASES = [(MSELoss, Z, rng.standard_normal((5, 4))),
         (BCEWithLogits, Z, rng.random((5, 4))),
         (SoftmaxCrossEntropy, Z, LABELS),
         (SoftmaxCrossEntropy, Z, softmax(rng.standard_normal((5, 4)))),
         (CategoricalCrossEntropy, softmax(Z), LABELS)]


@pytest.mark.parametrize("make,pred,target", CASES)
def test_backward_is_repeatable_and_returns_a_new_array(make, pred, target):
    pred, target = pred.copy(), np.array(target, copy=True)
    pred_kept, target_kept = pred.copy(), target.copy()
    loss_fn = make()
    loss_fn(pred, target)
    first = loss_fn.backward()
    assert first.dtype == pred.dtype and first.shape == pred.shape
    kept = first.copy()
    first[...] = 123.0                       # the caller owns the returned array
    np.testing.assert_array_equal(loss_fn.backward(), kept)
    np.testing.assert_array_equal(pred, pred_kept)
    np.testing.assert_array_equal(target, target_kept)


def test_bce_refuses_nan_targets():
    # before: a NaN target passed the range check (NaN < 0 and NaN > 1 are False) and
    # the loss was silently NaN
    with pytest.raises(ValueError, match=r"BCEWithLogits: targets must lie in \[0, 1\], "
                                         r"got nan \(1 entries outside\)"):
        BCEWithLogits()(np.zeros(3), np.array([0.0, np.nan, 1.0]))


@pytest.mark.parametrize("value, error", [("0.1", TypeError), (None, TypeError),
                                          (float("nan"), ValueError), (-0.1, ValueError),
                                          (True, ValueError)])
def test_label_smoothing_names_the_argument(value, error):
    # before: a string gave Python's "'<=' not supported between instances of ..."
    with pytest.raises(error, match="SoftmaxCrossEntropy: label_smoothing must be"):
        SoftmaxCrossEntropy(label_smoothing=value)


def test_predictions_with_no_classes_are_refused_by_name():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy: empty batch: predictions "
                                         r"of shape \(3, 0\) have no entries"):
        SoftmaxCrossEntropy()(np.zeros((3, 0)), np.array([0, 0, 0]))


def test_a_failed_forward_of_any_loss_forgets_the_last_gradient():
    cases = [(BCEWithLogits(), (np.zeros(2), np.ones(2)), (np.zeros(2), np.full(2, 2.0))),
             (SoftmaxCrossEntropy(), (np.zeros((2, 3)), [0, 1]), (np.zeros((2, 3)), [0, 3]))]
    for loss_fn, good, bad in cases:
        loss_fn(*good)
        with pytest.raises(ValueError):
            loss_fn(*bad)
        with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
            loss_fn.backward()
