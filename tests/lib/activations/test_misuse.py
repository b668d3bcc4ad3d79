"""Misuse of the activations: every case raises the exact exception type with a message
that names the problem."""
import numpy as np
import pytest

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

ACTIVATIONS = [ReLU, lambda: LeakyReLU(0.1), Sigmoid, Tanh, GELU, Softmax]


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_backward_before_forward(make):
    act = make()
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        act.backward(np.ones((2, 3)))


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_backward_with_wrong_shape_names_the_layer(make):
    act = make()
    act(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\.backward: grad_out has shape \(3, 2\), but "
                                         r"the forward output had shape \(2, 3\)"):
        act.backward(np.ones((3, 2)))


def test_softmax_dim_and_axis():
    assert Softmax(1).dim == 1 and Softmax(dim=0).axis == 0 and Softmax(axis=0).dim == 0
    with pytest.raises(ValueError, match="give one of them"):
        Softmax(dim=0, axis=1)
    with pytest.raises(TypeError, match=r"dim must be an integer, got float 1\.5"):
        Softmax(dim=1.5)
    assert Softmax(**Softmax(0).get_config()).dim == 0
    assert Softmax(**{"axis": 0}).dim == 0           # configs saved before `dim` load


@pytest.mark.parametrize("make", ACTIVATIONS)
@pytest.mark.parametrize("x", [np.array([[1j, 2.0]]), np.array([["a", "b"]]),
                               np.array([[True, False]]),
                               np.array([[1, None]], dtype=object)])
def test_activations_refuse_non_real_input(make, x):
    # before: ReLU compared complex numbers, Tanh/Sigmoid returned complex values,
    # strings and objects gave raw NumPy errors
    with pytest.raises(TypeError, match="input must hold real numbers"):
        make()(x)


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activations_integer_input_gives_float64(make):
    # before: np.tanh(int8) is float16 (and int8 GELU overflowed nothing but lost bits)
    assert make()(np.array([[1, -2]], dtype=np.int8)).dtype == np.float64
