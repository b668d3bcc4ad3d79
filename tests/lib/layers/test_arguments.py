"""Arguments of Dense, Sequential and Module that used to be taken silently (or gave a raw
NumPy error): each is now refused with a message naming the function and the argument,
or (a list of parameters) handled."""
import copy
import pickle

import numpy as np
import pytest

from mlpbook.layers import Dense, Module, Parameter, Sequential


@pytest.mark.parametrize("bias", ["False", 0.0, None])
def test_dense_bias_must_be_a_bool(bias):
    # before: any truthy value made a bias, "False" included
    with pytest.raises(TypeError, match="Dense: bias must be True or False"):
        Dense(3, 2, bias=bias)


def test_backward_input_grad_must_be_a_bool():
    # before: input_grad="False" is truthy, so dL/dX was computed and returned
    layer = Dense(3, 2, rng=0)
    layer(np.ones((4, 3)))
    with pytest.raises(TypeError, match="Dense.backward: input_grad must be True or False"):
        layer.backward(np.ones((4, 2)), input_grad="False")
    assert layer.backward(np.ones((4, 2)), input_grad=False) is None   # cache kept
    net = Sequential(Dense(3, 2, rng=0))
    net(np.ones((4, 3)))
    with pytest.raises(TypeError, match="Sequential.backward: input_grad must be True"):
        net.backward(np.ones((4, 2)), input_grad="no")


@pytest.mark.parametrize("rng, error, message", [
    (-1, ValueError, r"Dense: rng must be a seed >= 0, got -1"),
    (True, TypeError, r"Dense: rng must be an np\.random\.Generator, an int seed or "
                      r"None, got bool True"),
    (np.random.RandomState(0), TypeError, r"Dense: rng must be an np\.random\.Generator"),
])
def test_dense_rng(rng, error, message):
    # before: -1 gave NumPy's "expected non-negative integer"; True was seed 1
    with pytest.raises(error, match=message):
        Dense(3, 2, rng=rng)


def test_dense_dtype_that_is_not_a_dtype():
    # before: NumPy's "data type 'float17' not understood"
    with pytest.raises(TypeError, match="Dense: dtype must be a floating-point dtype"):
        Dense(3, 2, dtype="float17")


def test_dense_refuses_non_finite_initial_weights():
    # before: a custom init returning NaN made a layer whose every output is NaN
    with pytest.raises(ValueError, match="Dense: the initial W that init drew contains 6 NaN"):
        Dense(3, 2, init=lambda shape, rng=None, dtype=None: np.full(shape, np.nan))


def test_a_list_of_parameters_is_found():
    # before: parameters() skipped Parameters held in a list: they never trained
    class Mixture(Module):
        def __init__(self):
            self.weights = [Parameter(np.ones(2)), Parameter(np.zeros(3))]
    m = Mixture()
    assert [name for name, _ in m.named_parameters()] == ["weights.0", "weights.1"]
    assert list(m.state_dict()) == ["weights.0", "weights.1"]


def test_a_dict_of_layers_is_refused():
    # before: a dict of layers was invisible to parameters(): the layers never trained
    class Blocks(Module):
        def __init__(self):
            self.blocks = {"a": Dense(2, 2, rng=0)}
    with pytest.raises(TypeError, match="Blocks.blocks is a dict holding modules"):
        Blocks().parameters()


def test_sequential_given_a_list_says_how():
    with pytest.raises(TypeError, match=r"pass the layers one by one: Sequential\(\*layers\)"):
        Sequential([Dense(2, 2), Dense(2, 1)])
    with pytest.raises(TypeError, match=r"Sequential.append: item 1 is 3, not a Module"):
        Sequential(Dense(2, 2)).append(3)


def test_load_state_dict_strict_must_be_a_bool():
    # before: strict="False" is truthy, so a partial load raised instead of loading
    net = Sequential(Dense(2, 2, rng=0))
    with pytest.raises(TypeError, match="load_state_dict: strict must be True or False"):
        net.load_state_dict({}, strict="False")


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))])
def test_one_backward_per_forward_survives_copy_and_pickle(clone):
    layer = Dense(3, 2, rng=0)
    layer(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))
    twin = clone(layer)
    with pytest.raises(RuntimeError, match=r"called twice after one forward\(\)"):
        twin.backward(np.ones((4, 2)))
    twin(np.ones((4, 3)))
    twin.backward(np.ones((4, 2)))
