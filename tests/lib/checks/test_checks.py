"""mlpbook.checks: each check returns the value converted, raises TypeError for the wrong
kind of value and ValueError for a value out of range, and names owner and argument."""
import math

import numpy as np
import pytest

from mlpbook import checks


@pytest.mark.parametrize("value", [2.5, 2.0, "3", None, True, np.bool_(True), [3]])
def test_integer_refuses_what_is_not_an_integer(value):
    with pytest.raises(TypeError, match=r"^Dense: out_features must be an integer, got "):
        checks.integer(value, "out_features", "Dense", low=1)


def test_integer_bounds_and_conversion():
    assert checks.integer(np.int16(7), "n", "f", low=1, high=7) == 7
    assert type(checks.integer(np.int64(3), "n", "f")) is int
    with pytest.raises(ValueError, match=r"f: n must be an integer in \[1, inf\), got 0"):
        checks.integer(0, "n", "f", low=1)
    with pytest.raises(ValueError, match=r"in \[0, 5\], got 6"):
        checks.integer(6, "n", "f", low=0, high=5)
    with pytest.raises(ValueError, match=r"in \(-inf, 5\], got 6"):
        checks.integer(6, "n", "f", high=5)


@pytest.mark.parametrize("value", ["0.1", None, True, np.array([0.1]), 1j])
def test_number_refuses_what_is_not_a_real_number(value):
    with pytest.raises(TypeError, match=r"^SGD: lr must be a real number, got "):
        checks.number(value, "lr", "SGD", low=0)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1e-9])
def test_number_refuses_non_finite_and_out_of_range(value):
    with pytest.raises(ValueError, match=r"^SGD: lr must be a finite number in \[0, inf\)"):
        checks.number(value, "lr", "SGD", low=0)


def test_number_open_and_closed_ends():
    assert checks.number(0, "p", "Dropout", low=0, high=1, high_open=True) == 0.0
    assert type(checks.number(np.float32(0.5), "p", "D", low=0, high=1)) is float
    with pytest.raises(ValueError, match=r"in \[0, 1\), got 1.0"):
        checks.number(1, "p", "Dropout", low=0, high=1, high_open=True)
    with pytest.raises(ValueError, match=r"in \(0, inf\), got 0.0"):
        checks.number(0.0, "eps", "Adam", low=0, low_open=True)


def test_flag_and_one_of():
    assert checks.flag(np.bool_(False), "nesterov", "SGD") is False
    with pytest.raises(TypeError, match="SGD: nesterov must be True or False, got str 'False'"):
        checks.flag("False", "nesterov", "SGD")
    with pytest.raises(TypeError):
        checks.flag(1, "nesterov", "SGD")
    assert checks.one_of("mean", "reduction", "MSELoss", ["mean"]) == "mean"
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of 'mean'; got 'sum'"):
        checks.one_of("sum", "reduction", "MSELoss", ["mean"])
    # 1 == True in Python, but a bool is not the option 1
    with pytest.raises(ValueError):
        checks.one_of(True, "dim", "Softmax", [1, -1])


def test_float_dtype():
    assert checks.float_dtype("float32", "Dense") == np.float32
    for bad in (np.int32, "int64", bool, "not a dtype"):
        with pytest.raises(TypeError, match="Dense: dtype must be a floating-point dtype"):
            checks.float_dtype(bad, "Dense")


@pytest.mark.parametrize("bad", [np.array([True]), np.array([1j]), np.array(["a"]),
                                 np.array([None, 1], dtype=object)])
def test_real_array_refuses_non_real(bad):
    with pytest.raises(TypeError, match=r"ReLU\(\): input must hold real numbers, got dtype"):
        checks.real_array(bad, "input", "ReLU()")


def test_real_array_ndim_and_floats():
    with pytest.raises(ValueError, match="must have 2 dimensions, got shape \\(3,\\)"):
        checks.real_array(np.ones(3), "X", "kmeans", ndim=2)
    i8 = np.arange(3, dtype=np.int8)
    assert checks.floats(i8, "x", "f").dtype == np.float64
    f16 = np.ones(2, dtype=np.float16)
    assert checks.floats(f16, "x", "f") is f16
    assert checks.floats(i8, "x", "f", dtype=np.float32).dtype == np.float32


def test_shape_pattern():
    x = np.ones((5, 4))
    assert checks.shape(x, (None, 4), "input", "Dense") is x
    with pytest.raises(ValueError, match=r"Dense: expected input of shape \(N, 3\), got \(5, 4\); hint"):
        checks.shape(x, (None, 3), "input", "Dense", hint="; hint")
    with pytest.raises(ValueError, match=r"expected y of shape \(5,\), got \(5, 4\)"):
        checks.shape(x, (5,), "y", "f")


def test_grad_out_shape_and_dtype():
    g = checks.grad_out(np.ones((2, 3)), (2, 3), "Dense", dtype=np.float32)
    assert g.dtype == np.float32
    with pytest.raises(ValueError, match=r"Dense.backward: grad_out has shape \(3, 2\), but the "
                                         r"forward output had shape \(2, 3\)"):
        checks.grad_out(np.ones((3, 2)), (2, 3), "Dense")
    with pytest.raises(TypeError, match="grad_out must hold real numbers"):
        checks.grad_out(np.ones((2, 3), dtype=bool), (2, 3), "Dense")


def test_finite_counts():
    a = np.array([1.0, 2.0])
    assert checks.finite(a, "x", "f") is a
    with pytest.raises(ValueError, match="f: x contains 1 NaN or infinite value$"):
        checks.finite(np.array([np.nan, 1.0]), "x", "f")
    with pytest.raises(ValueError, match="contains 2 NaN or infinite values; drop them"):
        checks.finite(np.array([np.inf, -np.inf]), "x", "f", hint="; drop them")


def test_class_labels():
    y = np.array([0, 2, 1])
    assert checks.class_labels(y, 3, 3, "CE") is y
    with pytest.raises(TypeError, match="CE: labels must be integer class labels, got dtype float64"):
        checks.class_labels(np.array([0.0, 1.0]), 2, 2, "CE")
    with pytest.raises(TypeError):
        checks.class_labels(np.array([True, False]), 2, 2, "CE")
    with pytest.raises(ValueError, match=r"expected 3 labels of shape \(3,\), got shape \(2,\)"):
        checks.class_labels(np.array([0, 1]), 3, 2, "CE")
    with pytest.raises(ValueError, match=r"label -1 is out of range for 2 classes \(expected 0..1\)"):
        checks.class_labels(np.array([0, -1]), 2, 2, "CE")


def test_generator():
    g = np.random.default_rng(0)
    assert checks.generator(g, "f") is g
    a = checks.generator(3, "f").random()
    assert a == np.random.default_rng(3).random()
    assert isinstance(checks.generator(None, "f"), np.random.Generator)
    with pytest.raises(ValueError, match="DataLoader: rng must be a seed >= 0, got -1"):
        checks.generator(-1, "DataLoader")
    for bad in (1.5, "0", True):
        with pytest.raises(TypeError, match="DataLoader: rng must be an np.random.Generator"):
            checks.generator(bad, "DataLoader")
