"""mlpbook.autograd and the rest of the book: the modules of Chapters 1-3 give the same
gradients, the optimizers of Chapter 4 step tensors through `as_parameters`."""
import copy

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.autograd import Tensor, TensorParameter, as_parameters, cross_entropy
from mlpbook.layers import Dense, Parameter, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam


def tensors_of(model):
    return [(Tensor(layer.W.data.copy(), requires_grad=True),
             Tensor(layer.b.data.copy(), requires_grad=True))
            for layer in model if isinstance(layer, Dense)]


def mlp(params, X):
    h = X
    for i, (W, b) in enumerate(params):
        h = h @ W + b
        if i < len(params) - 1:
            h = h.relu()
    return h


def net(sizes, seed, dtype):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(a, b, rng=rng, dtype=dtype)] + ([ReLU()] if i < len(sizes) - 2 else [])
    return Sequential(*layers)


@pytest.mark.parametrize("seed", range(5))
def test_chapter3_network_gradients_equal_the_modules(seed):
    rng = np.random.default_rng(seed)
    model = net((784, 128, 10), seed, np.float64)
    for layer in model[::2]:
        layer.b.data[...] = rng.standard_normal(layer.b.shape) * 0.1
    X, y = rng.standard_normal((64, 784)), rng.integers(0, 10, 64)
    params = tensors_of(model)
    loss_fn = SoftmaxCrossEntropy()
    expected = loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    loss = cross_entropy(mlp(params, X), y)
    loss.backward()
    assert abs(loss.item() - expected) <= 1e-12 * expected
    for (W, b), layer in zip(params, model[::2]):
        for ours, theirs in ((W, layer.W), (b, layer.b)):
            scale = np.max(np.abs(theirs.grad))
            assert np.max(np.abs(ours.grad - theirs.grad)) <= 1e-12 * scale


@pytest.mark.parametrize("make_opt", [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    lambda ps: SGD(ps, lr=0.05, weight_decay=1e-3),
    lambda ps: Adam(ps, lr=1e-3),
    lambda ps: Adam(ps, lr=1e-3, amsgrad=True, weight_decay=1e-2, decoupled_weight_decay=True),
], ids=["sgd-nesterov", "sgd-decay", "adam", "adamw-amsgrad"])
def test_optimizers_step_tensors_along_the_module_trajectory(make_opt):
    rng = np.random.default_rng(0)
    model = net((20, 16, 16, 4), 1, np.float64)
    params = tensors_of(model)
    opt_m = make_opt(model.parameters())
    opt_t = make_opt(as_parameters([t for pair in params for t in pair]))
    loss_fn = SoftmaxCrossEntropy()
    for _ in range(30):
        X, y = rng.standard_normal((10, 20)), rng.integers(0, 4, 10)
        opt_m.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward(), input_grad=False)
        opt_m.step()
        opt_t.zero_grad()
        cross_entropy(mlp(params, X), y).backward()
        opt_t.step()
    for (W, b), layer in zip(params, model[::2]):
        np.testing.assert_allclose(W.data, layer.W.data, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(b.data, layer.b.data, rtol=1e-10, atol=1e-12)


def test_float32_batch_128_updates_are_bit_identical():
    "The chapter's claim: with N = 2^7 both loss gradients scale exactly."
    rng = np.random.default_rng(2)
    model = net((784, 64, 10), 3, np.float32)
    params = tensors_of(model)
    opt_m = Adam(model.parameters(), lr=1e-3)
    opt_t = Adam(as_parameters([t for pair in params for t in pair]), lr=1e-3)
    loss_fn = SoftmaxCrossEntropy()
    for _ in range(20):
        X = rng.standard_normal((128, 784)).astype(np.float32)
        y = rng.integers(0, 10, 128)
        opt_m.zero_grad()
        loss_fn(model(X), y)
        model.backward(loss_fn.backward(), input_grad=False)
        opt_m.step()
        opt_t.zero_grad()
        cross_entropy(mlp(params, X), y).backward()
        opt_t.step()
    for (W, b), layer in zip(params, model[::2]):
        assert W.dtype == np.float32 and W.grad.dtype == np.float32
        np.testing.assert_array_equal(W.data, layer.W.data)
        np.testing.assert_array_equal(b.data, layer.b.data)


def test_tensor_parameter_is_a_parameter_view_of_the_tensor():
    t = Tensor(np.ones(3), requires_grad=True)
    p = TensorParameter(t)
    assert isinstance(p, Parameter) and p.shape == (3,) and p.dtype == np.float64
    assert t.grad is None
    np.testing.assert_array_equal(p.grad, np.zeros(3))     # zeros while None
    (t * 2.0).sum().backward()
    np.testing.assert_array_equal(p.grad, [2, 2, 2])
    p.zero_grad()
    np.testing.assert_array_equal(t.grad, np.zeros(3))
    SGD([p], lr=0.5).step()
    (t * 2.0).sum().backward()
    SGD([p], lr=0.5).step()
    np.testing.assert_array_equal(t.data, [0.0, 0.0, 0.0])
    assert p.data is t.data
    copy.deepcopy(p)                                        # optimizers may copy state
