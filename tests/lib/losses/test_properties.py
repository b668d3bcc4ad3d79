"""Property-based tests (hypothesis): the losses stay finite on extreme logits."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.losses import BCEWithLogits, CategoricalCrossEntropy, MSELoss, SoftmaxCrossEntropy
from mlpbook.activations import softmax

FAST = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

batch = st.integers(1, 4)

seed = st.integers(0, 2**32 - 1)

dtype = st.sampled_from([np.float32, np.float64])

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
