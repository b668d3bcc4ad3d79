"""The bodies of forward and backward hold the mathematics: input checks are calls to named
helpers (mlpbook.checks or a method of the layer), one line each, never a `raise` written
into the body itself; the same for the gradient check's central difference."""
import ast
import inspect
import textwrap

import pytest

from mlpbook.gradcheck import numerical_grad
from mlpbook.layers import Dense, Sequential


def raises_in(function):
    "Line numbers of `raise` statements written directly in the function's body."
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Raise)]


@pytest.mark.parametrize("function", [Dense.forward, Dense.backward, Sequential.forward,
                                      Sequential.backward, numerical_grad],
                         ids=lambda f: f.__qualname__)
def test_no_raise_in_the_algorithm(function):
    assert not raises_in(function), (
        f"{function.__qualname__} raises at lines {raises_in(function)} of its body: "
        "move the check into a named helper and call it in one line")


def test_dense_forward_is_short():
    body = inspect.getsource(Dense.forward).split('"""')[-1].strip().splitlines()
    assert len(body) <= 6, f"Dense.forward has {len(body)} lines of code:\n" + "\n".join(body)
