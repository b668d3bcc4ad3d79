"""Misuse of the core modules (layers, activations, losses, gradcheck): every case raises
the exact exception type with a message that names the problem (issue 10)."""
import numpy as np
import pytest

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from mlpbook.gradcheck import GradcheckError, compare_gradients, gradcheck
from mlpbook.layers import Dense, Module, Parameter, Sequential, SharedModuleError
from mlpbook.losses import (BCEWithLogits, BCEWithLogitsLoss, CategoricalCrossEntropy,
                            CrossEntropyLoss, MSELoss, SoftmaxCrossEntropy)

ACTIVATIONS = [ReLU, lambda: LeakyReLU(0.1), Sigmoid, Tanh, GELU, Softmax]


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
    ((2.7, 3), TypeError, r"in_features must be a positive integer, got 2\.7 \(float\)"),
    ((3, "4"), TypeError, r"out_features must be a positive integer, got '4'"),
    ((True, 3), TypeError, r"in_features must be a positive integer, got True"),
    ((0, 3), ValueError, r"in_features must be a positive integer, got 0"),
    ((3, -1), ValueError, r"out_features must be a positive integer, got -1"),
])
def test_dense_sizes(args, error, message):
    with pytest.raises(error, match=message):
        Dense(*args)


def test_dense_arguments_after_bias_are_keyword_only():
    with pytest.raises(TypeError):
        Dense(2, 3, True, "zeros")           # torch's 4th positional is `device`


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_backward_before_forward(make):
    act = make()
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        act.backward(np.ones((2, 3)))


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


@pytest.mark.parametrize("make", ACTIVATIONS)
def test_activation_backward_with_wrong_shape_names_the_layer(make):
    act = make()
    act(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\.backward: grad_out has shape \(3, 2\), but "
                                         r"the forward output had shape \(2, 3\)"):
        act.backward(np.ones((3, 2)))


def test_dense_wrong_grad_out_keeps_the_cache():
    layer = Dense(3, 2, rng=0)
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"expected grad_out of shape \(4, 2\)"):
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


def test_softmax_dim_and_axis():
    assert Softmax(1).dim == 1 and Softmax(dim=0).axis == 0 and Softmax(axis=0).dim == 0
    with pytest.raises(ValueError, match="give one of them"):
        Softmax(dim=0, axis=1)
    with pytest.raises(TypeError, match=r"dim must be an integer axis, got 1\.5"):
        Softmax(dim=1.5)
    assert Softmax(**Softmax(0).get_config()).dim == 0
    assert Softmax(**{"axis": 0}).dim == 0           # configs saved before `dim` load


# --- losses ------------------------------------------------------------------------
def test_torch_loss_names_are_aliases():
    assert CrossEntropyLoss is SoftmaxCrossEntropy
    assert BCEWithLogitsLoss is BCEWithLogits


@pytest.mark.parametrize("loss", [MSELoss, SoftmaxCrossEntropy, BCEWithLogits])
def test_losses_refuse_other_reductions(loss):
    with pytest.raises(ValueError, match=r"reduction='sum' is not implemented"):
        loss(reduction="sum")
    loss(reduction="mean")


def test_label_smoothing_is_keyword_only():
    with pytest.raises(TypeError):
        SoftmaxCrossEntropy(0.1)             # torch's first positional is `weight`
    assert SoftmaxCrossEntropy(label_smoothing=0.1).label_smoothing == 0.1


@pytest.mark.parametrize("loss", [MSELoss(), SoftmaxCrossEntropy(), BCEWithLogits(),
                                  CategoricalCrossEntropy()])
def test_loss_backward_before_forward(loss):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        loss.backward()


def test_loss_refuses_string_predictions():
    with pytest.raises(TypeError, match="predictions must be real numbers"):
        MSELoss()(np.array(["a", "b"]), np.zeros(2))


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


def test_float_labels_suggest_astype():
    with pytest.raises(TypeError, match=r"must be integers, got dtype float64 \(use labels"):
        SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_gradcheck_names_a_missing_input_gradient():
    class NoInputGrad(Dense):
        def backward(self, grad_out):
            super().backward(grad_out, input_grad=False)
    with pytest.raises(GradcheckError, match="returned None"):
        gradcheck(NoInputGrad(2, 2, rng=0), np.ones((1, 2)))
    assert gradcheck(NoInputGrad(2, 2, rng=0), np.ones((1, 2)), check_input=False)


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


# --- review pass (issue 10, "the same class of fault everywhere") --------------
from mlpbook.gradcheck import numerical_grad  # noqa: E402


def test_gradcheck_refuses_to_check_nothing():
    # before: both returned True although no gradient had been compared
    with pytest.raises(ValueError, match="no parameters and check_input=False"):
        gradcheck(ReLU(), np.ones((2, 3)), check_input=False)
    with pytest.raises(ValueError, match=r"x has shape \(0, 2\), no entries"):
        gradcheck(Dense(2, 3, dtype=np.float64), np.zeros((0, 2)))


@pytest.mark.parametrize("kw, match", [({"eps": 0}, "eps must be a finite number > 0"),
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


def test_dense_refuses_complex_input():
    # before: a ComplexWarning, then the imaginary part was dropped silently
    with pytest.raises(TypeError, match="input must hold real numbers, got dtype complex"):
        Dense(2, 3)(np.ones((1, 2)) * 1j)


def test_failed_loss_forward_leaves_no_stale_gradient():
    # before: backward() returned the gradient of the previous, successful call
    loss = MSELoss()
    loss(np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="differ"):
        loss(np.ones(4), np.zeros(3))
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward"):
        loss.backward()


@pytest.mark.parametrize("loss_fn", [MSELoss(), BCEWithLogits()])
@pytest.mark.parametrize("target", [np.array([None, 1, 0], dtype=object),
                                    np.array(["1", "0", "1"])])
def test_targets_must_be_numbers(loss_fn, target):
    # before: an object array with None gave loss nan; strings a raw NumPy error
    with pytest.raises(TypeError, match="targets must be real numbers"):
        loss_fn(np.zeros(3), target)


@pytest.mark.parametrize("loss_fn", [CategoricalCrossEntropy(), SoftmaxCrossEntropy()])
@pytest.mark.parametrize("bad", [[[2.0, 0.0], [0.0, 1.0]], [[np.nan, 0.0], [0.0, 1.0]]])
def test_distribution_targets_sum_to_one(loss_fn, bad):
    # before: CategoricalCrossEntropy took rows summing to 2 (or NaN) silently
    with pytest.raises(ValueError, match="row 0 sums to"):
        loss_fn(np.full((2, 2), 0.5), np.array(bad))


def test_label_smoothing_is_not_a_bool():
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        SoftmaxCrossEntropy(label_smoothing=True)


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


def test_initialisers_refuse_impossible_distributions():
    # before: std=-1 drew N(0, 1) flipped, a > b drew from [b, a), True was slope 1
    from mlpbook.init import calculate_gain, normal, uniform
    with pytest.raises(ValueError, match="std must be >= 0"):
        normal((2, 2), std=-1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        normal((2, 2), std=np.nan)
    with pytest.raises(ValueError, match="a <= b"):
        uniform((2, 2), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        calculate_gain("leaky_relu", True)


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
