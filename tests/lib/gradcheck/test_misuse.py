"""Misuse of gradcheck and numerical_grad: every case raises the exact exception type with
a message that names the problem (a wrong gradient never passes)."""
import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.gradcheck import GradcheckError, compare_gradients, gradcheck, numerical_grad
from mlpbook.layers import Dense, Module


# --- gradcheck: non-finite gradients are failures ------------------------------
def test_nan_in_numerical_gradient_fails():
    # before the fix, the NaN ratio won argmax and `nan > 1` is False: it passed
    with pytest.raises(GradcheckError, match=r"x\[1\].*numerical gradient is nan"):
        compare_gradients("x", np.ones(3), np.array([1.0, np.nan, 1.0]))


def test_inf_in_either_gradient_fails():
    with pytest.raises(GradcheckError, match=r"analytic gradient is inf"):
        compare_gradients("x", np.array([1.0, np.inf]), np.ones(2))
    with pytest.raises(GradcheckError, match=r"numerical gradient is -inf"):
        compare_gradients("x", np.ones(2), np.array([1.0, -np.inf]))


class Sqrt(Module):
    "sqrt(x) with a grossly wrong backward; at x = 0 the central difference is NaN."
    def forward(self, x):
        self._x = x
        with np.errstate(invalid="ignore"):
            return np.sqrt(x)

    def backward(self, grad_out):
        return grad_out * 1000.0


def test_gradcheck_refuses_a_wrong_backward_hidden_by_nan():
    with pytest.raises(GradcheckError, match=r"input\[0, 0\].*NaN or inf"):
        gradcheck(Sqrt(), np.array([[0.0, 1.0, 4.0]]))


def test_gradcheck_names_a_missing_input_gradient():
    class NoInputGrad(Dense):
        def backward(self, grad_out):
            super().backward(grad_out, input_grad=False)
    with pytest.raises(GradcheckError, match="returned None"):
        gradcheck(NoInputGrad(2, 2, rng=0), np.ones((1, 2)))
    assert gradcheck(NoInputGrad(2, 2, rng=0), np.ones((1, 2)), check_input=False)


def test_gradcheck_refuses_to_check_nothing():
    # before: both returned True although no gradient had been compared
    with pytest.raises(ValueError, match="no parameters and check_input=False"):
        gradcheck(ReLU(), np.ones((2, 3)), check_input=False)
    with pytest.raises(ValueError, match=r"x has shape \(0, 2\), no entries"):
        gradcheck(Dense(2, 3, dtype=np.float64), np.zeros((0, 2)))


@pytest.mark.parametrize("kw, match", [({"eps": 0}, r"eps must be a finite number in \(0, inf\)"),
                                       ({"eps": -1e-6}, "eps must be a finite number"),
                                       ({"atol": np.nan}, "atol must be a finite"),
                                       ({"rtol": -1.0}, "rtol must be a finite")])
def test_gradcheck_tolerances(kw, match):
    # before: eps=0 gave ZeroDivisionError, atol=nan passed any gradient
    with pytest.raises(ValueError, match=match):
        gradcheck(Dense(2, 3), np.ones((2, 2)), **kw)


def test_numerical_grad_refuses_integer_x():
    # before: x + eps was rounded back into the int array: gradient 0 or 5e5
    x = np.arange(3)
    with pytest.raises(TypeError, match="floating-point NumPy array"):
        numerical_grad(lambda: float((x ** 2).sum()), x)


def test_numerical_grad_warns_below_float64():
    x = np.ones(3, np.float32)
    with pytest.warns(UserWarning, match="float32.*check gradients in float64"):
        numerical_grad(lambda: float((x.astype(np.float64) ** 2).sum()), x)
