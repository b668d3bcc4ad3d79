"""Misuse of the losses: every case raises the exact exception type with a message that
names the problem."""
import numpy as np
import pytest

from mlpbook.losses import (BCEWithLogits, BCEWithLogitsLoss, CategoricalCrossEntropy,
                            CrossEntropyLoss, MSELoss, SoftmaxCrossEntropy)


def test_torch_loss_names_are_aliases():
    assert CrossEntropyLoss is SoftmaxCrossEntropy
    assert BCEWithLogitsLoss is BCEWithLogits


@pytest.mark.parametrize("loss", [MSELoss, SoftmaxCrossEntropy, BCEWithLogits])
def test_losses_refuse_other_reductions(loss):
    with pytest.raises(ValueError, match=r"reduction='sum' is not implemented"):
        loss(reduction="sum")
    loss(reduction="mean")


def test_label_smoothing_is_keyword_only():
    with pytest.raises(TypeError):
        SoftmaxCrossEntropy(0.1)             # torch's first positional is `weight`
    assert SoftmaxCrossEntropy(label_smoothing=0.1).label_smoothing == 0.1


@pytest.mark.parametrize("loss", [MSELoss(), SoftmaxCrossEntropy(), BCEWithLogits(),
                                  CategoricalCrossEntropy()])
def test_loss_backward_before_forward(loss):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        loss.backward()


def test_loss_refuses_string_predictions():
    with pytest.raises(TypeError, match="predictions must hold real numbers"):
        MSELoss()(np.array(["a", "b"]), np.zeros(2))


def test_float_labels_suggest_astype():
    with pytest.raises(TypeError, match=r"must be integer class labels, got dtype float64 \(use labels"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_failed_loss_forward_leaves_no_stale_gradient():
    # before: backward() returned the gradient of the previous, successful call
    loss = MSELoss()
    loss(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="differ"):
        loss(np.ones(4), np.zeros(3))
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward"):
        loss.backward()


@pytest.mark.parametrize("loss_fn", [MSELoss(), BCEWithLogits()])
@pytest.mark.parametrize("target", [np.array([None, 1, 0], dtype=object),
                                    np.array(["1", "0", "1"])])
def test_targets_must_be_numbers(loss_fn, target):
    # before: an object array with None gave loss nan; strings a raw NumPy error
    with pytest.raises(TypeError, match="targets must hold real numbers"):
        loss_fn(np.zeros(3), target)


@pytest.mark.parametrize("loss_fn", [CategoricalCrossEntropy(), SoftmaxCrossEntropy()])
@pytest.mark.parametrize("bad", [[[2.0, 0.0], [0.0, 1.0]], [[np.nan, 0.0], [0.0, 1.0]]])
def test_distribution_targets_sum_to_one(loss_fn, bad):
    # before: CategoricalCrossEntropy took rows summing to 2 (or NaN) silently
    with pytest.raises(ValueError, match="row 0 sums to"):
        loss_fn(np.full((2, 2), 0.5), np.array(bad))


def test_label_smoothing_is_not_a_bool():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        SoftmaxCrossEntropy(label_smoothing=True)
