"""Property-based tests of the core modules (issue 10): every Module passes gradcheck in
float64 over random shapes (batch 1 included), dtypes and parameter values; every loss
is finite on extreme logits; load_state_dict is all-or-nothing under random corruption."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import (BCEWithLogits, CategoricalCrossEntropy, MSELoss,
                            SoftmaxCrossEntropy)
from mlpbook.activations import softmax

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


def away_from_kinks(x, margin=1e-3):
    "Move entries within `margin` of 0 away from it (a kink straddled by +-eps fails)."
    return np.where(np.abs(x) < margin, np.copysign(0.5, x), x)


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
@given(name=st.sampled_from(sorted(ACTIVATIONS)), n=batch, d=width, s=seed, w=scale)
def test_activation_passes_gradcheck(name, n, d, s, w):
    x = np.random.default_rng(s).standard_normal((n, d)) * w
    if name in KINKED:
        x = away_from_kinks(x)
    assert gradcheck(ACTIVATIONS[name](), x)


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


EXTREME = st.sampled_from([1e4, -1e4, 1e3, -1e3, 88.0, -88.0, 0.0, 1e-30])


@FAST
@given(n=batch, c=st.integers(2, 6), s=seed, dt=dtype, ls=st.sampled_from([0.0, 0.1, 1.0]),
       data=st.data())
def test_softmax_cross_entropy_finite_on_extreme_logits(n, c, s, dt, ls, data):
    z = np.array(data.draw(st.lists(EXTREME, min_size=n * c, max_size=n * c)),
                 dtype=dt).reshape(n, c)
    labels = np.random.default_rng(s).integers(0, c, n)
    loss_fn = SoftmaxCrossEntropy(label_smoothing=ls)
    with np.errstate(all="raise"):
        loss = loss_fn(z, labels)
        grad = loss_fn.backward()
    assert np.isfinite(loss) and loss >= 0
    assert np.isfinite(grad).all() and grad.dtype == dt
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


@FAST
@given(n=batch, c=st.integers(1, 4), s=seed, dt=dtype, data=st.data())
def test_bce_and_mse_finite_on_extreme_logits(n, c, s, dt, data):
    z = np.array(data.draw(st.lists(EXTREME, min_size=n * c, max_size=n * c)),
                 dtype=dt).reshape(n, c)
    t = np.random.default_rng(s).random((n, c)).astype(dt)
    for loss_fn in (BCEWithLogits(), MSELoss()):
        with np.errstate(all="raise"):
            loss = loss_fn(z, t)
            grad = loss_fn.backward()
        assert np.isfinite(loss) and loss >= 0, loss_fn
        assert np.isfinite(grad).all() and grad.dtype == dt, loss_fn


@FAST
@given(n=batch, c=st.integers(2, 6), s=seed, w=st.floats(0.1, 20.0))
def test_categorical_cross_entropy_finite_while_probabilities_are_positive(n, c, s, w):
    # CategoricalCrossEntropy takes probabilities; it is finite as long as the true
    # class's probability has not underflowed (the chapter shows when it does)
    rng = np.random.default_rng(s)
    p = softmax(rng.standard_normal((n, c)) * w)
    labels = rng.integers(0, c, n)
    loss_fn = CategoricalCrossEntropy()
    loss = loss_fn(p, labels)
    assert np.isfinite(loss) and np.isfinite(loss_fn.backward()).all()


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
