import numpy as np
import pytest

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, log_softmax, sigmoid, softmax
from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential

ALL = [ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax]
SHAPES = [(1, 1), (1, 7), (5, 3), (17, 10)]


def _torch_pair(torch, name):
    F = torch.nn.functional
    return {
        "ReLU": (ReLU(), torch.relu),
        "LeakyReLU": (LeakyReLU(0.01), lambda t: F.leaky_relu(t, 0.01)),
        "LeakyReLU(0.2)": (LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2)),
        "Sigmoid": (Sigmoid(), torch.sigmoid),
        "Tanh": (Tanh(), torch.tanh),
        "GELU": (GELU(), lambda t: F.gelu(t, approximate="tanh")),
        "Softmax": (Softmax(), lambda t: torch.softmax(t, dim=-1)),
    }[name]


NAMES = ["ReLU", "LeakyReLU", "LeakyReLU(0.2)", "Sigmoid", "Tanh", "GELU", "Softmax"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_matches_torch_values_and_gradients(torch, name, shape, scale):
    ours, theirs = _torch_pair(torch, name)
    rng = np.random.default_rng(hash((name, shape, scale)) % 2**32)
    x = rng.standard_normal(shape) * scale
    G = rng.standard_normal(shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(G))
    y = ours(x)
    dx = ours.backward(G)
    # atol: torch's GELU computes 1 + tanh(s), which cancels for x < -5 (values ~1e-12 carry
    # relative errors ~1e-4 there); ours does not. Elsewhere rtol 1e-7 governs.
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-7, atol=1e-13)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch_at_special_points(torch, name):
    ours, theirs = _torch_pair(torch, name)
    x = np.array([[-1e4, -800.0, -50.0, -1e-8, 0.0, 1e-8, 50.0, 800.0, 1e4]])
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.ones_like(yt))
    np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-7, atol=1e-13)
    np.testing.assert_allclose(ours.backward(np.ones_like(x)), xt.grad.numpy(), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_at_extremes_with_all_errors_raised(cls, dtype):
    x = np.array([[-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4]], dtype=dtype)
    act = cls()
    with np.errstate(all="raise"):
        y = act(x)
        g = act.backward(np.ones_like(y))
    assert y.dtype == dtype and g.dtype == dtype
    assert np.isfinite(y).all() and np.isfinite(g).all()


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("shape", SHAPES)
def test_gradcheck(cls, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    x = np.where(np.abs(x) < 0.05, 0.5, x)          # away from ReLU's kink
    assert gradcheck(cls(), x)


@pytest.mark.parametrize("cls", ALL)
def test_gradcheck_between_dense_layers(cls):
    net = Sequential(Dense(4, 6, rng=0), cls(), Dense(6, 3, rng=1))
    assert gradcheck(net, np.random.default_rng(2).standard_normal((5, 4)))


@pytest.mark.parametrize("cls", ALL)
def test_dtype_and_shape_preserved_for_any_shape(cls):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    act = cls()
    y = act(x)
    g = act.backward(np.ones_like(y))
    assert y.shape == g.shape == x.shape and y.dtype == g.dtype == np.float32


def test_relu_derivative_at_zero_is_zero():
    act = ReLU()
    act(np.array([0.0, -0.0]))
    assert not act.backward(np.ones(2)).any()


def test_softmax_rows_sum_to_one_and_axis():
    x = np.random.default_rng(0).standard_normal((3, 4)) * 100
    np.testing.assert_allclose(softmax(x).sum(-1), 1)
    np.testing.assert_allclose(Softmax(axis=0)(x).sum(0), 1)
    np.testing.assert_allclose(np.exp(log_softmax(x)), softmax(x), rtol=1e-12)


def test_softmax_backward_is_jacobian_vector_product():
    rng = np.random.default_rng(0)
    Z, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    sm = Softmax()
    Y = sm(Z)
    expected = np.stack([g @ (np.diag(y) - np.outer(y, y)) for g, y in zip(G, Y)])
    dZ = sm.backward(G)
    np.testing.assert_allclose(dZ, expected, rtol=1e-12)
    np.testing.assert_allclose(dZ.sum(-1), 0, atol=1e-12)


def test_sigmoid_function_symmetry():
    x = np.linspace(-40, 40, 81)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1, rtol=1e-15)


def test_gelu_rejects_exact_mode():
    with pytest.raises(ValueError, match="approximate='tanh'"):
        GELU(approximate="none")


def test_reprs():
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(Softmax()) == "Softmax(dim=-1)"
    assert Softmax(axis=0).dim == 0 and Softmax(dim=0).axis == 0
