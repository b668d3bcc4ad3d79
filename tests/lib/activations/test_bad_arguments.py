"""Bad arguments to the activations get a message that names the function or layer, the
argument and what would be accepted; a wrong grad_out leaves the layer usable."""
import numpy as np
import pytest

from mlpbook.activations import (GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, log_softmax,
                                 sigmoid, softmax)

ACTIVATIONS = [ReLU, lambda: LeakyReLU(0.1), Sigmoid, Tanh, GELU, Softmax]


def test_softmax_dim_out_of_range_names_dim_and_the_range():
    with pytest.raises(ValueError, match=r"Softmax\(dim=5\): dim must be an integer in "
                                         r"\[-2, 1\], got 5"):
        Softmax(dim=5)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dim must be an integer in \[-1, 0\], got -2"):
        Softmax(dim=-2)(np.ones(3))


@pytest.mark.parametrize("fn", [softmax, log_softmax])
def test_softmax_functions_check_their_axis(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__}: axis must be an integer in "
                                         r"\[-2, 1\], got 2"):
        fn(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: axis must be an integer, got "
                                        r"float 1\.5"):
        fn(np.ones((2, 3)), axis=1.5)


def test_softmax_of_nothing_says_so():
    with pytest.raises(ValueError, match=r"no entries along dim=-1 \(shape \(3, 0\)\)"):
        Softmax()(np.zeros((3, 0)))
    with pytest.raises(ValueError, match="at least one dimension, got a scalar"):
        softmax(np.float64(2.0))
    assert Softmax()(np.zeros((0, 4))).shape == (0, 4)    # an empty batch is fine


@pytest.mark.parametrize("fn", [sigmoid, softmax, log_softmax])
def test_functions_refuse_non_real_input(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__}: x must hold real numbers, "
                                        r"got dtype <U1"):
        fn(np.array([["a", "b"]]))


@pytest.mark.parametrize("slope", [float("nan"), float("inf"), "0.1", None, True])
def test_leaky_relu_slope_is_a_finite_number(slope):
    error = ValueError if isinstance(slope, float) else TypeError
    with pytest.raises(error, match="LeakyReLU: negative_slope must be a"):
        LeakyReLU(slope)


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_a_wrong_grad_out_keeps_the_cache_for_a_corrected_call(make):
    act = make()
    h = act(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\.backward: grad_out has shape \(3, 2\)"):
        act.backward(np.ones((3, 2)))
    assert act.backward(np.ones_like(h)).shape == (2, 3)
    with pytest.raises(RuntimeError, match="twice after one forward"):
        act.backward(np.ones_like(h))


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_grad_out_must_hold_numbers(make):
    act = make()
    act(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"\): grad_out must hold real numbers, got "
                                        r"dtype <U1"):
        act.backward(np.full((2, 3), "x"))
