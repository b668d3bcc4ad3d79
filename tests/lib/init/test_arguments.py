"""Arguments of the initialisers and of as_generator that used to pass silently or give a
raw NumPy/Python error: each now gets the shared checks' message naming the function."""
import numpy as np
import pytest

from mlpbook import init


@pytest.mark.parametrize("name", ["normal", "uniform", "xavier_uniform", "xavier_normal",
                                  "kaiming_uniform", "kaiming_normal", "lecun_normal",
                                  "lecun_uniform"])
def test_negative_seed_names_the_initialiser(name):
    # before: NumPy's "expected non-negative integer"
    with pytest.raises(ValueError, match=rf"{name}: rng must be a seed >= 0, got -1"):
        init.get_initializer(name)((3, 2), rng=-1)


def test_as_generator_is_the_shared_check():
    # before: True was taken as the seed 1, and -1 gave NumPy's message
    with pytest.raises(TypeError, match="rng must be an np.random.Generator, an int seed "
                                        "or None, got bool True"):
        init.as_generator(True)
    with pytest.raises(ValueError, match="rng must be a seed >= 0, got -1"):
        init.as_generator(-1)
    g = np.random.default_rng(0)
    assert init.as_generator(g) is g
    assert init.as_generator(3).random() == np.random.default_rng(3).random()


def test_modules_that_use_as_generator_give_its_message():
    from mlpbook.data import make_spirals
    from mlpbook.data import make_sine_regression
    for make in (make_spirals, make_sine_regression):
        with pytest.raises(ValueError, match="rng must be a seed >= 0, got -5"):
            make(rng=-5)
        with pytest.raises(TypeError, match="got bool True"):
            make(rng=True)


@pytest.mark.parametrize("name", ["xavier_uniform", "kaiming_uniform", "lecun_uniform",
                                  "xavier_normal", "kaiming_normal", "lecun_normal"])
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_empty_weights(name, shape):
    # before: a fan of 0 raised ZeroDivisionError; torch leaves an empty tensor alone
    W = init.get_initializer(name)(shape, rng=0)
    assert W.shape == shape and W.dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda: init.normal((2, 2), dtype=np.int32), TypeError,
     "normal: dtype must be a floating-point dtype"),
    (lambda: init.zeros((2, 2), dtype=int), TypeError,
     "zeros: dtype must be a floating-point dtype"),
    (lambda: init.constant((2,), "a"), TypeError, "constant: value must be a real number"),
    (lambda: init.constant((2,), np.nan), ValueError, "constant: value must be a finite"),
    (lambda: init.normal((2,), std="1"), TypeError, "normal: std must be a real number"),
    (lambda: init.normal((2,), mean=np.inf), ValueError, "normal: mean must be a finite"),
    (lambda: init.uniform((2,), a=-np.inf), ValueError, "uniform: a must be a finite"),
    (lambda: init.xavier_uniform((3, 3), gain=-1.0), ValueError,
     r"xavier_uniform: gain must be a finite number in \[0, inf\)"),
    (lambda: init.kaiming_normal((3, 3), mode="fan_avg"), ValueError,
     "kaiming_normal: mode must be one of 'fan_in', 'fan_out'"),
    (lambda: init.normal((2, -1)), ValueError,
     r"normal: each entry of shape must be an integer in \[0, inf\), got -1"),
    (lambda: init.normal(2.5), TypeError, "normal: shape must be a tuple of integers"),
    (lambda: init.kaiming_uniform(5), ValueError, "at least 2 dimensions"),
])
def test_bad_arguments(call, error, message):
    # before: int dtypes truncated the draws silently, inf means and NaN constants made
    # non-finite weights, a negative gain was reported as "uniform: expects a <= b",
    # and strings, floats and negative sizes gave raw Python or NumPy errors
    with pytest.raises(error, match=message):
        call()


def test_leaky_relu_slope_may_be_a_numpy_number():
    # before: np.float32(0.2) passed but np.int64(0) was "not a valid number"
    assert init.calculate_gain("leaky_relu", np.int64(0)) == pytest.approx(np.sqrt(2))
