import numpy as np
import pytest

from mlpbook.gradcheck import GradcheckError, compare_gradients, gradcheck, numerical_grad
from mlpbook.layers import Dense, Module, Parameter, Sequential


@pytest.mark.parametrize("n,d_in,d_out", [(1, 1, 1), (1, 6, 3), (5, 4, 7), (3, 1, 2), (2, 3, 1)])
@pytest.mark.parametrize("bias", [True, False])
def test_dense_passes(n, d_in, d_out, bias):
    layer = Dense(d_in, d_out, bias=bias, rng=np.random.default_rng(n + d_in))
    assert gradcheck(layer, np.random.default_rng(0).standard_normal((n, d_in)))


@pytest.mark.parametrize("batch", [1, 4])
def test_sequential_passes(batch):
    net = Sequential(Dense(4, 6, rng=1), Dense(6, 5, init="xavier_normal", rng=2), Dense(5, 3, rng=3))
    assert gradcheck(net, np.random.default_rng(batch).standard_normal((batch, 4)))


def test_float32_module_checked_in_float64_and_untouched():
    layer = Dense(3, 2, rng=0)                       # float32
    W_before = layer.W.data.copy()
    assert gradcheck(layer, np.ones((2, 3), np.float32))
    assert layer.W.dtype == np.float32 and np.array_equal(layer.W.data, W_before)
    assert not layer.W.grad.any()


class PlantedError(Dense):
    "Correct Dense except that the gradient of one parameter is 1% too large."
    def __init__(self, *args, target="W", **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target

    def backward(self, grad_out):
        grad_in = super().backward(grad_out)
        if self.target == "input":
            return grad_in * 1.01
        getattr(self, self.target).grad *= 1.01
        return grad_in


@pytest.mark.parametrize("target,name", [("W", "W"), ("b", "b"), ("input", "input")])
def test_rejects_planted_one_percent_error(target, name):
    layer = PlantedError(3, 2, target=target, rng=0)
    with pytest.raises(GradcheckError) as err:
        gradcheck(layer, np.random.default_rng(1).standard_normal((4, 3)))
    msg = str(err.value)
    assert f"gradcheck failed for {name}[" in msg and "analytic" in msg and "numerical" in msg


def test_rejects_error_deep_in_a_network():
    net = Sequential(Dense(3, 4, rng=0), PlantedError(4, 4, target="b", rng=1), Dense(4, 2, rng=2))
    with pytest.raises(GradcheckError, match=r"failed for 1\.b\["):
        gradcheck(net, np.random.default_rng(0).standard_normal((2, 3)))


def test_rejects_nan_gradient():
    class NaNGrad(Dense):
        def backward(self, grad_out):
            out = super().backward(grad_out)
            self.W.grad[0, 0] = np.nan
            return out
    with pytest.raises(GradcheckError, match=r"W\[0, 0\]"):
        gradcheck(NaNGrad(2, 2, rng=0), np.ones((1, 2)))


def test_rejects_missing_accumulation():
    class Overwrites(Dense):
        "Sets W.grad instead of adding: wrong when a parameter is used twice."
        def backward(self, grad_out):
            self.W.grad[...] = 0
            return super().backward(grad_out)
    first, second = Overwrites(3, 3, rng=0), Overwrites(3, 3, rng=1)
    second.W = first.W                           # one Parameter used by two layers
    with pytest.raises(GradcheckError):
        gradcheck(Sequential(first, second), np.random.default_rng(0).standard_normal((2, 3)))


def test_numerical_grad_of_known_function():
    x = np.array([0.3, -1.2, 2.0])
    g = numerical_grad(lambda: float(np.sum(np.sin(x) * x)), x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), atol=1e-9)
    np.testing.assert_array_equal(x, [0.3, -1.2, 2.0])     # restored


def test_compare_gradients_shape_and_tolerance():
    n = np.array([1.0, 2.0])
    assert compare_gradients("p", n + 1e-9, n) < 1
    with pytest.raises(GradcheckError, match="shape"):
        compare_gradients("p", np.zeros(3), n)
    with pytest.raises(GradcheckError, match=r"p\[1\].*1 of 2 entries"):
        compare_gradients("p", np.array([1.0, 2.1]), n)


def test_custom_module_with_parameter():
    class Scale(Module):
        def __init__(self):
            self.s = Parameter(np.array([0.5, -2.0, 3.0]))
        def forward(self, x):
            self._x = x
            return x * self.s.data
        def backward(self, grad_out):
            self.s.grad += (grad_out * self._x).sum(0)
            return grad_out * self.s.data
    assert gradcheck(Scale(), np.random.default_rng(0).standard_normal((4, 3)))
