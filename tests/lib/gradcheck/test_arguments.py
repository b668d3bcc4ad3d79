"""Arguments of numerical_grad, compare_gradients and gradcheck that used to pass
silently, leave state changed, or give a raw error: each is now refused by name."""
import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.diagnostics import register_forward_hook
from mlpbook.gradcheck import GradcheckError, compare_gradients, gradcheck, numerical_grad
from mlpbook.layers import Dense, Sequential


def test_numerical_grad_restores_x_when_f_raises():
    # before: the entry being nudged was left at x + eps
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f():
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("a failure inside f")
        return float(np.sum(x ** 2))
    with pytest.raises(RuntimeError, match="inside f"):
        numerical_grad(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_grad_needs_a_scalar_loss():
    # before: NumPy's "setting an array element with a sequence"
    x = np.ones(3)
    with pytest.raises(TypeError, match=r"f\(\) must return one real number .* shape \(3,\)"):
        numerical_grad(lambda: x * 2, x)


def test_numerical_grad_refuses_read_only_x():
    # before: NumPy's "assignment destination is read-only"
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="numerical_grad: x is read-only"):
        numerical_grad(lambda: float(x.sum()), x)


@pytest.mark.parametrize("eps", [True, "1e-6"])
def test_numerical_grad_eps_must_be_a_number(eps):
    # before: eps=True was a step of 1, and "1e-6" a confusing message
    x = np.ones(2)
    with pytest.raises(TypeError, match="numerical_grad: eps must be a real number"):
        numerical_grad(lambda: float(x.sum()), x, eps=eps)


def test_compare_gradients_refuses_a_negative_tolerance():
    # before: atol=-1 made every denominator negative, so a wrong gradient passed
    with pytest.raises(ValueError, match=r"compare_gradients: atol must be a finite number "
                                         r"in \[0, inf\)"):
        compare_gradients("p", np.array([5.0]), np.array([1.0]), atol=-1.0)


def test_gradcheck_needs_a_module():
    # before: AttributeError: 'function' object has no attribute 'parameters'
    with pytest.raises(TypeError, match="gradcheck: module must be a Module"):
        gradcheck(lambda x: x, np.ones((2, 2)))


@pytest.mark.parametrize("kw, error, message", [
    ({"seed": -1}, ValueError, "gradcheck: seed must be a seed >= 0, got -1"),
    ({"check_input": "no"}, TypeError, "gradcheck: check_input must be True or False"),
])
def test_gradcheck_arguments(kw, error, message):
    # before: NumPy's "expected non-negative integer"; "no" was taken as True
    with pytest.raises(error, match=message):
        gradcheck(Dense(2, 3, rng=0), np.ones((2, 2)), **kw)


def test_gradcheck_refuses_strings():
    # before: NumPy's "could not convert string to float"
    with pytest.raises(TypeError, match="gradcheck: x must hold real numbers"):
        gradcheck(Dense(2, 3, rng=0), np.full((2, 2), "a"))


def test_gradcheck_refuses_a_hooked_forward():
    # before: the copy's forward was the hook, which ran the original float32 module,
    # so a correct model failed with a GradcheckError
    net = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1))
    handle = register_forward_hook(net[0], lambda module, x, y: None)
    with pytest.raises(ValueError, match="the forward of 0 is replaced on the instance"):
        gradcheck(net, np.random.default_rng(0).standard_normal((3, 3)))
    handle.remove()
    assert gradcheck(net, np.random.default_rng(0).standard_normal((3, 3)))


def test_failures_name_the_backward():
    class Wrong(Dense):
        def backward(self, grad_out):
            return 2 * super().backward(grad_out)
    with pytest.raises(GradcheckError, match=r"^Wrong\.backward: gradcheck failed for input"):
        gradcheck(Wrong(2, 2, rng=0), np.ones((1, 2)))


def test_gradcheck_refuses_a_random_module():
    # before: a dropout layer in training mode failed as a wrong backward (GradcheckError)
    from mlpbook.regularization import Dropout
    net = Sequential(Dense(3, 4, rng=0), Dropout(0.5, rng=1), Dense(4, 2, rng=2))
    x = np.random.default_rng(0).standard_normal((3, 3))
    with pytest.raises(ValueError, match="two calls with the same input gave different"):
        gradcheck(net, x)
    assert gradcheck(net.eval(), x)
