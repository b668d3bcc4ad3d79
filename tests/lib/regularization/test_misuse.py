"""Misuse of Dropout and the augmentations: every case raises the exact exception type with
a message that names the problem."""
import numpy as np
import pytest

from mlpbook.normalization import BatchNorm1d
from mlpbook.regularization import Dropout, RandomHorizontalFlip, RandomShift


def test_dropout_positions_like_torch():
    with pytest.raises(TypeError, match=r"inplace must be True or False.*rng="):
        Dropout(0.5, 3)                                  # a seed where torch has inplace
    with pytest.raises(TypeError, match="positional"):
        Dropout(0.5, False, 3)
    with pytest.raises(ValueError, match=r"Dropout: p must be a finite number in \[0, 1\], got 1.5"):
        Dropout(1.5)
    with pytest.raises(TypeError, match=r"Dropout: p must be a real number"):
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


# --- backward protocol, image shapes ---------------------------------------------
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
