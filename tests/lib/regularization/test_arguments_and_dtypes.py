"""Dropout and the augmentations: dtypes kept, arguments that gave a raw NumPy error or a
silent oddity refused by name, rules of the backward kept."""
import numpy as np
import pytest

from mlpbook.regularization import (Dropout, RandomHorizontalFlip, RandomShift,
                                    random_horizontal_flip, random_shift)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dropout_keeps_the_floating_dtype(dtype):
    x = np.ones((50, 40), dtype)
    d = Dropout(0.5, rng=0)
    y = d(x)
    assert y.dtype == dtype                      # float16 was turned into float64
    assert d.backward(np.ones_like(x)).dtype == dtype
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_of_integers_is_float64_and_of_strings_refused():
    assert Dropout(0.5, rng=0)(np.ones((3, 4), np.int64)).dtype == np.float64
    with pytest.raises(TypeError, match=r"Dropout\(p=0.5\): input must hold real numbers"):
        Dropout(0.5, rng=0)(np.array([["a"]]))   # was: NumPy's ufunc error


def test_dropout_generator_checked():
    with pytest.raises(ValueError, match=r"Dropout: rng must be a seed >= 0, got -1"):
        Dropout(0.5, rng=-1)                     # was: NumPy's own message
    with pytest.raises(TypeError, match=r"Dropout: p must be a real number"):
        Dropout("0.5")


def test_dropout_backward_returns_a_new_array_in_evaluation_mode():
    d = Dropout(0.5, rng=0).eval()
    x, g = np.ones((3, 4)), np.arange(12.0).reshape(3, 4)
    assert d(x) is x
    out = d.backward(g)
    assert out is not g and np.array_equal(out, g)   # was: grad_out itself


@pytest.mark.parametrize("call, exc, match", [
    (lambda: random_shift(np.ones((2, 784)), 784), ValueError,
     r"random_shift: image_shape must be \(H, W\), two positive ints, got 784"),
    (lambda: random_shift(np.ones((2, 784)), (28, 28), fill="white"), TypeError,
     r"random_shift: fill must be a real number"),
    (lambda: random_shift(np.ones((2, 784)), (28, 28), max_shift=2.0), ValueError,
     r"random_shift: max_shift must be an int >= 0, got 2.0"),
    (lambda: random_shift(np.ones((2, 784)), (28, 28), max_shift=-1), ValueError,
     r"random_shift: max_shift must be an int >= 0, got -1"),
    (lambda: random_shift(np.ones((2, 784)), (28, 28), rng=-2), ValueError,
     r"random_shift: rng must be a seed >= 0"),
    (lambda: random_horizontal_flip(np.ones((2, 784)), (28, 28), p=2), ValueError,
     r"random_horizontal_flip: p must be a probability in \[0, 1\], got 2"),
    (lambda: random_horizontal_flip(np.ones((2, 784)), (28, 28), p="x"), ValueError,
     r"random_horizontal_flip: p must be a probability"),
    (lambda: random_horizontal_flip(np.array([["a"] * 4]), (2, 2)), TypeError,
     r"random_horizontal_flip: x must hold real numbers"),
])
def test_augmentation_functions_name_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_augmentation_callbacks_check_everything_when_built():
    with pytest.raises(ValueError, match=r"RandomShift: max_shift=28 would move whole "
                                         r"images out of the 28x28 frame"):
        RandomShift(28)                          # was: raised at the first batch
    with pytest.raises(TypeError, match=r"RandomShift: fill must be a real number"):
        RandomShift(2, fill=None)
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: p must be a probability"):
        RandomHorizontalFlip(np.nan)
    with pytest.raises(ValueError, match=r"image_shape must be \(H, W\)"):
        RandomShift(2, image_shape=(28, True))


def test_augmentations_unchanged_on_good_input():
    "The checks moved no random draw: the same generator gives the same images."
    x = np.random.default_rng(0).random((5, 36)).astype(np.float32)
    flipped = random_horizontal_flip(x, (6, 6), 0.5, np.random.default_rng(3))
    flip = np.random.default_rng(3).random(5) < 0.5
    want = x.reshape(5, 6, 6).copy()
    want[flip] = want[flip, :, ::-1]
    np.testing.assert_array_equal(flipped, want.reshape(5, 36))
    shifted = random_shift(x, (6, 6), 0, rng=1)
    np.testing.assert_array_equal(shifted, x)
