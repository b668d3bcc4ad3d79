import numpy as np
import pytest

from mlpbook.layers import Dense, Module, Parameter, Sequential


# --- Parameter ---------------------------------------------------------------
def test_parameter_grad_matches_data():
    p = Parameter(np.ones((3, 2), dtype=np.float32))
    assert p.grad.shape == (3, 2) and p.grad.dtype == np.float32 and not p.grad.any()
    p.grad += 1
    p.zero_grad()
    assert not p.grad.any()


def test_parameter_rejects_integers():
    with pytest.raises(TypeError, match="floating"):
        Parameter(np.arange(3))


# --- Module registry ------------------------------------------------------------
class Block(Module):
    def __init__(self):
        self.scale = Parameter(np.ones(2))
        self.layers = [Dense(2, 3, rng=0), Dense(3, 2, rng=1)]
        self.head = Dense(2, 1, rng=2)
        self.not_a_param = np.zeros(4)


def test_parameters_found_by_walking_attributes():
    names = [n for n, _ in Block().named_parameters()]
    assert names == ["scale", "layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b", "head.W", "head.b"]


def test_shared_parameter_listed_once():
    a, b = Dense(2, 2, rng=0), Dense(2, 2, rng=1)
    b.W = a.W                                      # weight tying: share the Parameter
    net = Sequential(a, b)
    assert len(net.parameters()) == 3
    assert [n for n, _ in net.named_parameters()] == ["0.W", "0.b", "1.b"]


def test_train_eval_propagates():
    net = Sequential(Dense(2, 2), Sequential(Dense(2, 2)))
    net.eval()
    assert all(not m.training for m in (net, net[0], net[1], net[1][0]))
    net.train()
    assert all(m.training for m in (net, net[0], net[1], net[1][0]))


def test_zero_grad_clears_everything(rng):
    net = Sequential(Dense(3, 4, rng=rng), Dense(4, 2, rng=rng))
    y = net(rng.standard_normal((5, 3)))
    net.backward(np.ones_like(y))
    assert any(p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert not any(p.grad.any() for p in net.parameters())


def test_base_module_forward_not_implemented():
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(np.zeros(1))


# --- Dense ----------------------------------------------------------------------
@pytest.mark.parametrize("n,d_in,d_out", [(1, 1, 1), (1, 7, 3), (16, 5, 9), (4, 1, 2)])
def test_dense_shapes_and_formulas(rng, n, d_in, d_out):
    layer = Dense(d_in, d_out, rng=rng, dtype=np.float64)
    x = rng.standard_normal((n, d_in))
    G = rng.standard_normal((n, d_out))
    y = layer(x)
    np.testing.assert_allclose(y, x @ layer.W.data + layer.b.data)
    dx = layer.backward(G)
    np.testing.assert_allclose(dx, G @ layer.W.data.T)
    np.testing.assert_allclose(layer.W.grad, x.T @ G)
    np.testing.assert_allclose(layer.b.grad, G.sum(0))


def test_dense_gradients_accumulate(rng):
    layer = Dense(3, 2, rng=rng, dtype=np.float64)
    x, G = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    layer(x); layer.backward(G)
    once = layer.W.grad.copy()
    layer(x); layer.backward(G)
    np.testing.assert_allclose(layer.W.grad, 2 * once)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_dtype_preserved(rng, dtype):
    layer = Dense(6, 4, rng=rng, dtype=dtype)
    assert layer.W.dtype == layer.b.dtype == dtype
    for x_dtype in (np.float32, np.float64, np.uint8):
        y = layer(rng.integers(0, 5, (3, 6)).astype(x_dtype))
        assert y.dtype == dtype
        dx = layer.backward(np.ones((3, 4), dtype=np.float64))
        assert dx.dtype == dtype and layer.W.grad.dtype == dtype and layer.b.grad.dtype == dtype


def test_dense_without_bias(rng):
    layer = Dense(3, 2, bias=False, rng=rng)
    assert layer.b is None and [n for n, _ in layer.named_parameters()] == ["W"]
    x = rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(x), x @ layer.W.data, rtol=1e-6)
    layer.backward(np.ones((2, 2)))


def test_dense_shape_error_names_layer_and_shapes():
    layer = Dense(784, 256)
    with pytest.raises(ValueError) as err:
        layer(np.zeros((32, 100), np.float32))
    msg = str(err.value)
    assert "Dense(in_features=784, out_features=256" in msg and "(N, 784)" in msg and "(32, 100)" in msg
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        layer(np.zeros(784, np.float32))      # a single unbatched example


def test_dense_backward_errors(rng):
    layer = Dense(3, 2, rng=rng)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2)))
    layer(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"grad_out has shape \(4, 3\), but the forward "
                                         r"output had shape \(4, 2\)"):
        layer.backward(np.ones((4, 3)))


def test_dense_constructor_errors():
    with pytest.raises(ValueError, match=r"in \[1, inf\)"):
        Dense(0, 3)
    with pytest.raises(TypeError, match="floating"):
        Dense(2, 3, dtype=np.int32)
    with pytest.raises(ValueError, match="unknown initialiser"):
        Dense(2, 3, init="nope")


def test_dense_reproducible_from_seed():
    a, b = Dense(5, 4, rng=np.random.default_rng(3)), Dense(5, 4, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.W.data, b.W.data)
    assert not np.array_equal(a.W.data, Dense(5, 4, rng=4).W.data)


def test_dense_custom_init_callable():
    layer = Dense(2, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype))
    assert np.all(layer.W.data == 0.5) and layer.W.dtype == np.float32


def test_dense_matches_torch_linear(torch, rng):
    F = torch.nn.functional
    for n, d_in, d_out in [(1, 3, 2), (8, 5, 7)]:
        layer = Dense(d_in, d_out, rng=rng, dtype=np.float64)
        layer.b.data[:] = rng.standard_normal(d_out)
        x = rng.standard_normal((n, d_in))
        G = rng.standard_normal((n, d_out))
        xt = torch.tensor(x, requires_grad=True)
        Wt = torch.tensor(layer.W.data.T.copy(), requires_grad=True)   # torch stores (out, in)
        bt = torch.tensor(layer.b.data, requires_grad=True)
        yt = F.linear(xt, Wt, bt)
        yt.backward(torch.tensor(G))
        y = layer(x)
        dx = layer.backward(G)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
        np.testing.assert_allclose(layer.W.grad, Wt.grad.numpy().T, rtol=1e-12)
        np.testing.assert_allclose(layer.b.grad, bt.grad.numpy(), rtol=1e-12)


# --- Sequential -----------------------------------------------------------------
def test_sequential_is_composition(rng):
    a, b = Dense(3, 4, rng=rng, dtype=np.float64), Dense(4, 2, rng=rng, dtype=np.float64)
    net = Sequential(a, b)
    x = rng.standard_normal((5, 3))
    np.testing.assert_allclose(net(x), b(a(x)))
    assert len(net) == 2 and net[1] is b and list(net) == [a, b]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="item 1"):
        Sequential(Dense(2, 2), lambda x: x)


def test_sequential_repr_nests():
    text = repr(Sequential(Dense(2, 3), Sequential(Dense(3, 1))))
    assert "(0): Dense(in_features=2" in text and "(1): Sequential(" in text


# --- state_dict -----------------------------------------------------------------
def test_state_dict_round_trip(rng):
    net = Sequential(Dense(3, 4, rng=1), Dense(4, 2, rng=2))
    other = Sequential(Dense(3, 4, rng=3), Dense(4, 2, rng=4))
    state = net.state_dict()
    assert list(state) == ["0.W", "0.b", "1.W", "1.b"]
    result = other.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(net(x), other(x))
    state["0.W"][:] = 0                    # the state dict holds copies
    assert net[0].W.data.any()


def test_load_state_dict_keeps_dtype_and_identity():
    net = Sequential(Dense(2, 2, rng=0))
    W = net[0].W.data
    net.load_state_dict({"0.W": np.ones((2, 2), np.float64), "0.b": np.zeros(2)})
    assert net[0].W.data is W and W.dtype == np.float32 and np.all(W == 1)


def test_load_state_dict_errors():
    net = Sequential(Dense(2, 3, rng=0))
    good = net.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['0.b'\]"):
        net.load_state_dict({"0.W": good["0.W"]})
    with pytest.raises(KeyError, match=r"unexpected keys \['extra'\]"):
        net.load_state_dict({**good, "extra": np.zeros(1)})
    before = net[0].W.data.copy()
    with pytest.raises(ValueError, match=r"'0.b' has shape \(4,\).*\(3,\)"):
        net.load_state_dict({"0.W": np.zeros((2, 3)), "0.b": np.zeros(4)})
    np.testing.assert_array_equal(net[0].W.data, before)   # nothing half-loaded
    result = net.load_state_dict({"0.W": np.zeros((2, 3))}, strict=False)
    assert result.missing_keys == ["0.b"] and not net[0].W.data.any()
