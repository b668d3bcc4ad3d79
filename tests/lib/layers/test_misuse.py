"""Misuse of Parameter, Module, Dense and Sequential: every case raises the exact exception
type with a message that names the problem."""
import numpy as np
import pytest

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from mlpbook.layers import Dense, Module, Parameter, Sequential, SharedModuleError

ACTIVATIONS = [ReLU, lambda: LeakyReLU(0.1), Sigmoid, Tanh, GELU, Softmax]


# --- load_state_dict is all or nothing --------------------------------------------
def _net():
    return Sequential(Dense(3, 4, rng=0), Tanh(), Dense(4, 2, rng=1))


@pytest.mark.parametrize("bad, error, message", [
    (np.full((4, 2), "x"), TypeError, r"'2\.W' has dtype <U1"),
    (np.full((4, 2), None, dtype=object), TypeError, r"'2\.W' has dtype object"),
    (None, TypeError, r"'2\.W' is None"),
    (np.full((4, 2), True), TypeError, r"'2\.W' has dtype bool"),
    (np.full((4, 2), np.nan), ValueError, r"'2\.W' contains NaN or inf"),
    (np.full((4, 2), 1e300), ValueError, r"too large for float32"),
    (np.ones((2, 4)), ValueError, r"'2\.W' has shape \(2, 4\) in the state dict but "
                                  r"\(4, 2\) in the model"),
    ([[1, 2], [3]], TypeError, r"'2\.W' cannot be read as an array"),
])
def test_load_state_dict_validates_everything_before_writing(bad, error, message):
    net = _net()
    before = net.state_dict()
    state = {k: v + 1 for k, v in before.items()}    # valid new values everywhere ...
    state["2.W"] = bad                                 # ... except the last weight
    with pytest.raises(error, match=message):
        net.load_state_dict(state)
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before), "model was changed"


def test_load_state_dict_casts_integers_and_checks_keys():
    net = _net()
    state = {k: np.zeros(v.shape, dtype=np.int64) for k, v in net.state_dict().items()}
    net.load_state_dict(state)
    assert net[0].W.dtype == np.float32 and not net[0].W.data.any()
    with pytest.raises(KeyError, match=r"missing keys \['0\.W'\]"):
        net.load_state_dict({k: v for k, v in state.items() if k != "0.W"})
    with pytest.raises(TypeError, match="needs a dict"):
        net.load_state_dict([1, 2])


# --- weight tying by reusing a module instance is refused -------------------------
def test_sequential_refuses_a_module_used_twice():
    d = Dense(3, 3, rng=0)
    with pytest.raises(SharedModuleError, match=r"Dense is used twice .*'0' and as '2'"):
        Sequential(d, Tanh(), d)
    assert issubclass(SharedModuleError, ValueError)
    with pytest.raises(SharedModuleError, match="second.W = first.W"):
        Sequential(Sequential(d), d)
    net = Sequential(d, Tanh())
    with pytest.raises(SharedModuleError):
        net.append(d)
    assert len(net) == 2, "a refused append must leave the Sequential unchanged"


def test_attribute_walk_refuses_a_module_used_twice():
    class Tied(Module):
        def __init__(self):
            self.a = Dense(2, 2, rng=0)
            self.b = self.a
    with pytest.raises(SharedModuleError, match=r"'a' and as 'b'"):
        Tied()

    class Holder(Module):
        pass
    h = Holder()
    h.a = Dense(2, 2, rng=0)
    h.blocks = [Dense(2, 2, rng=1)]
    old = h.blocks
    with pytest.raises(SharedModuleError):
        h.blocks = [h.a]
    assert h.blocks is old, "a refused assignment must restore the old value"


def test_sharing_smuggled_in_later_is_caught_on_use():
    d = Dense(2, 2, rng=0)
    net = Sequential(d)
    net.layers.append(d)                     # bypasses the constructor's check
    with pytest.raises(SharedModuleError):
        net.parameters()
    with pytest.raises(SharedModuleError):
        net.state_dict()


def test_a_module_cannot_contain_itself():
    net = Sequential(Dense(2, 2, rng=0))
    with pytest.raises(SharedModuleError, match="the model itself"):
        net.append(net)


# --- clear errors naming the argument -----------------------------------------------
@pytest.mark.parametrize("args, error, message", [
    ((2.7, 3), TypeError, r"Dense: in_features must be an integer, got float 2\.7"),
    ((3, "4"), TypeError, r"Dense: out_features must be an integer, got str '4'"),
    ((True, 3), TypeError, r"Dense: in_features must be an integer, got bool True"),
    ((0, 3), ValueError, r"in_features must be an integer in \[1, inf\), got 0"),
    ((3, -1), ValueError, r"out_features must be an integer in \[1, inf\), got -1"),
])
def test_dense_sizes(args, error, message):
    with pytest.raises(error, match=message):
        Dense(*args)


def test_dense_arguments_after_bias_are_keyword_only():
    with pytest.raises(TypeError):
        Dense(2, 3, True, "zeros")           # torch's 4th positional is `device`


@pytest.mark.parametrize("make", ACTIVATIONS + [lambda: Dense(3, 3, rng=0)])
def test_backward_twice_after_one_forward(make):
    layer = make()
    y = layer(np.random.default_rng(0).standard_normal((2, 3)))
    layer.backward(np.ones_like(y))
    with pytest.raises(RuntimeError, match=r"called twice after one forward\(\)"):
        layer.backward(np.ones_like(y))
    y = layer(np.random.default_rng(1).standard_normal((2, 3)))   # a new forward: fine
    layer.backward(np.ones_like(y))


def test_dense_backward_before_forward_and_sequential_twice():
    with pytest.raises(RuntimeError, match=r"Dense\(in_features=2.*before forward"):
        Dense(2, 2, rng=0).backward(np.ones((1, 2)))
    net = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    net.backward(np.ones_like(net(np.ones((4, 2)))))
    with pytest.raises(RuntimeError, match="twice"):
        net.backward(np.ones((4, 1)))


def test_dense_wrong_grad_out_keeps_the_cache():
    layer = Dense(3, 2, rng=0)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(4, 3\), but the forward "
                                         r"output had shape \(4, 2\)"):
        layer.backward(np.ones((4, 3)))
    layer.backward(np.ones((4, 2)))          # the corrected call still works


def test_empty_sequential_backward():
    with pytest.raises(RuntimeError, match="has no layers"):
        Sequential().backward(np.ones((2, 2)))


def test_sequential_shape_error_names_the_layer():
    net = Sequential(Dense(4, 8, rng=0), ReLU(), Dense(7, 2, rng=1))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 7\), got \(5, 8\)"
                       ) as info:
        net(np.ones((5, 4)))
    assert any("layer 2 of the Sequential" in note for note in info.value.__notes__)


def test_sequential_refuses_classes_and_non_modules():
    with pytest.raises(TypeError, match=r"item 1 is <class .*ReLU'>, not a Module "
                                        r"\(a class: call it"):
        Sequential(Dense(2, 2), ReLU)
    with pytest.raises(TypeError, match="item 0 is 3, not a Module"):
        Sequential(3)


def test_sequential_slice_is_a_sequential():
    net = Sequential(Dense(2, 3, rng=0), ReLU(), Dense(3, 1, rng=1))
    head = net[1:]
    assert isinstance(head, Sequential) and len(head) == 2 and head[1] is net[2]
    assert [n for n, _ in head.named_parameters()] == ["1.W", "1.b"]
    assert isinstance(net[0], Dense) and net[-1] is net[2]


def test_parameter_refuses_integers():
    with pytest.raises(TypeError, match="floating-point"):
        Parameter(np.arange(3))


def test_dense_input_errors_suggest_the_fix():
    layer = Dense(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"got \(3,\); for one example use x.reshape"):
        layer(np.ones(3))
    with pytest.raises(TypeError, match="input must hold real numbers, got dtype <U1"):
        layer(np.full((2, 3), "a"))
    with pytest.raises(ValueError, match=r"init returned shape \(2, 3\), expected \(3, 2\)"):
        Dense(3, 2, init=lambda shape, rng=None, dtype=None: np.zeros(shape[::-1]))


def test_train_mode_must_be_a_bool():
    with pytest.raises(ValueError, match="mode must be True or False, got 'False'"):
        Sequential(Dense(2, 2)).train("False")        # bool("False") is True
    assert Sequential(Dense(2, 2)).train(np.bool_(False)).training is False


def test_transposed_weight_gets_a_hint():
    net = Sequential(Dense(3, 2, rng=0))
    state = net.state_dict()
    state["0.W"] = state["0.W"].T
    with pytest.raises(ValueError, match="transposed\\? torch's Linear.weight"):
        net.load_state_dict(state)


def test_dense_refuses_complex_input():
    # before: a ComplexWarning, then the imaginary part was dropped silently
    with pytest.raises(TypeError, match="input must hold real numbers, got dtype complex"):
        Dense(2, 3)(np.ones((1, 2)) * 1j)


def test_backward_after_a_failed_forward_is_refused():
    # before: the layers before the failure held the bad batch, those after it the
    # previous one, and backward mixed the two into a silently wrong gradient
    net = Sequential(Dense(3, 4, dtype=np.float64), ReLU(), Dense(4, 2, dtype=np.float64))
    net(np.ones((5, 3)))
    with pytest.raises(TypeError, match="input must hold real numbers"):
        net(np.ones((7, 3)) * 1j)
    with pytest.raises(RuntimeError, match="the last forward\\(\\) raised"):
        net.backward(np.ones((5, 2)))
    net(np.ones((5, 3)))                        # a new forward clears it
    net.backward(np.ones((5, 2)))
