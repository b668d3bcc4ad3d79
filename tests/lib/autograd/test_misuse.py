"""Misuse of mlpbook.autograd: each case raises the exception PyTorch would (or the
nearest one) with a message that names the function and what was expected."""
import numpy as np
import pytest

from mlpbook.autograd import Function, Tensor, backward, cross_entropy


def test_requires_grad_needs_a_floating_tensor_and_a_bool():
    with pytest.raises(TypeError, match=r"Tensor: only floating-point tensors can require"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match=r"Tensor: requires_grad must be True or False"):
        Tensor(np.ones(2), requires_grad="yes")
    with pytest.raises(TypeError, match=r"Tensor: data must hold real numbers"):
        Tensor(np.array(["a"]))
    with pytest.raises(TypeError, match=r"Tensor: data is already a Tensor; use t\.detach"):
        Tensor(Tensor(1.0))


def test_backward_needs_a_graph_and_a_gradient_of_the_right_shape():
    with pytest.raises(RuntimeError, match=r"backward: this tensor does not require grad"):
        Tensor(1.0).backward()
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient can be left out only for a tensor "
                                           r"holding one number.*\(3,\)"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match=r"backward: gradient must be an array of numbers "
                                         r"of the tensor's shape \(3,\), got float64 \(2,\)"):
        (x * 2.0).backward(np.ones(2))
    with pytest.raises(RuntimeError):
        backward(np.ones(3))


def test_a_rule_returning_the_wrong_shape_is_named():
    class Forgets(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad                       # b's gradient not summed back

    x, b = Tensor(np.ones((3, 4)), requires_grad=True), Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(ValueError, match=r"Forgets\.backward returned a gradient of shape "
                                         r"\(3, 4\) for input 1 of shape \(4,\).*unbroadcast"):
        Forgets.apply(x, b).sum().backward()


def test_a_rule_returning_too_few_or_none_is_named():
    class Few(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    class Nothing(Function):
        @staticmethod
        def forward(ctx, a):
            return 2 * a

        @staticmethod
        def backward(ctx, grad):
            return None

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"Few\.backward returned 1 gradients for 2 inputs"):
        Few.apply(x, x).sum().backward()
    with pytest.raises(ValueError, match=r"Nothing\.backward returned None for input 0"):
        Nothing.apply(x).sum().backward()


def test_pow_takes_a_number():
    x = Tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"Tensor\.__pow__: the exponent must be a number, "
                                        r"got Tensor"):
        x ** x
    with pytest.raises(TypeError, match=r"exponent must be a number, got bool"):
        x ** True


def test_cross_entropy_checks_its_labels():
    z = Tensor(np.zeros((3, 4)), requires_grad=True)
    with pytest.raises(TypeError, match=r"cross_entropy: labels must be integers, got dtype "
                                        r"float64"):
        cross_entropy(z, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected 3 labels of shape \(3,\)"):
        cross_entropy(z, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: label 4 is out of range for 4 "
                                         r"classes \(expected 0\.\.3\)"):
        cross_entropy(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected logits of shape \(N, C\)"):
        cross_entropy(Tensor(np.zeros(3)), np.array([0, 1, 2]))


def test_numpy_operations_on_a_tensor_are_refused_not_silently_cut_from_the_graph():
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError):
        np.exp(x)
