"""Property-based tests (hypothesis): Dense and Sequential networks pass gradcheck in
float64 on random shapes; load_state_dict is all or nothing."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential

FAST = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
ACTIVATIONS = {"ReLU": ReLU, "LeakyReLU": lambda: LeakyReLU(0.2), "Sigmoid": Sigmoid,
               "Tanh": Tanh, "GELU": GELU, "Softmax": Softmax}
KINKED = {"ReLU", "LeakyReLU"}

batch = st.integers(1, 4)
width = st.integers(1, 5)
seed = st.integers(0, 2**32 - 1)
scale = st.floats(0.1, 3.0)
dtype = st.sampled_from([np.float32, np.float64])


@FAST
@given(n=batch, d_in=width, d_out=width, bias=st.booleans(), s=seed, w=scale, dt=dtype)
def test_dense_passes_gradcheck(n, d_in, d_out, bias, s, w, dt):
    rng = np.random.default_rng(s)
    layer = Dense(d_in, d_out, bias=bias, rng=rng, dtype=dt)
    layer.W.data *= w
    if bias:
        layer.b.data[:] = rng.standard_normal(d_out) * w
    assert gradcheck(layer, rng.standard_normal((n, d_in)) * w)


@FAST
@given(names=st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=1, max_size=3),
       n=batch, widths=st.lists(width, min_size=4, max_size=4), s=seed, dt=dtype)
def test_sequential_of_dense_and_activations_passes_gradcheck(names, n, widths, s, dt):
    rng = np.random.default_rng(s)
    layers = []
    for i, name in enumerate(names):
        layers += [Dense(widths[i], widths[i + 1], rng=rng, dtype=dt), ACTIVATIONS[name]()]
    net = Sequential(*layers, Dense(widths[len(names)], 2, rng=rng, dtype=dt))
    x = rng.standard_normal((n, widths[0]))
    if KINKED & set(names):
        # keep every pre-activation of a kinked unit away from 0 by rejecting draws
        # that land within 1e-4 of a kink (a central difference would straddle it)
        h = x
        for layer in net.layers[:-1]:
            h = layer(h)
            if isinstance(layer, Dense) and np.min(np.abs(h)) < 1e-4:
                return
    assert gradcheck(net, x)


@FAST
@given(s=seed, key=st.integers(0, 3),
       bad=st.sampled_from(["str", "object", "none", "nan", "inf", "shape", "huge"]))
def test_load_state_dict_all_or_nothing(s, key, bad):
    rng = np.random.default_rng(s)
    net = Sequential(Dense(3, 4, rng=rng), Tanh(), Dense(4, 2, rng=rng))
    before = net.state_dict()
    state = {k: rng.standard_normal(v.shape) for k, v in before.items()}
    name = sorted(state)[key]
    shape = state[name].shape
    state[name] = {"str": np.full(shape, "1.0"), "object": np.full(shape, None, object),
                   "none": None, "nan": np.full(shape, np.nan), "inf": np.full(shape, -np.inf),
                   "shape": np.zeros(shape + (1,)), "huge": np.full(shape, 1e39)}[bad]
    with pytest.raises((TypeError, ValueError), match=repr(name)):
        net.load_state_dict(state)
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)
