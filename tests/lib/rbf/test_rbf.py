"""Tests of mlpbook.rbf: gradients (central differences and PyTorch autograd), dtype and shape
contracts, save/load, squared distances, k-means properties, ridge."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss
from mlpbook.optim import Adam
from mlpbook.rbf import (BASES, RBF, fit_two_stage, kmeans, kmeans_plusplus, ridge, sq_dists,
                         sq_dists_direct, widths_from_centers)
from mlpbook.trainer import load, save


def layer64(d=3, m=4, basis="gaussian", seed=1, widths=None):
    layer = RBF(d, m, basis=basis, rng=seed, dtype=np.float64)
    if widths is not None:
        layer.log_sigma.data[:] = np.log(widths)
    return layer


# --- gradients ------------------------------------------------------------------------
@pytest.mark.parametrize("basis", sorted(BASES))
def test_gradcheck_near_centres(basis, rng):
    layer = layer64(basis=basis, widths=[0.5, 1.0, 2.0, 4.0])
    x = layer.C.data[[0, 1, 2, 3, 0, 2]] + 0.7 * rng.standard_normal((6, 3))
    assert gradcheck(layer, x)
    assert gradcheck(Sequential(layer, Dense(4, 2, rng=0, dtype=np.float64)), x)


@pytest.mark.parametrize("basis", sorted(BASES))
def test_gradcheck_far_from_every_centre(basis, rng):
    layer = layer64(basis=basis)
    layer.C.data += 1000.0
    x = rng.standard_normal((5, 3))
    phi = layer(x)
    if basis == "gaussian":
        assert (phi == 0).all()                            # underflow: exactly zero
    grad_x = layer.backward(np.ones_like(phi))
    assert np.isfinite(grad_x).all() and np.isfinite(layer.C.grad).all()
    assert np.isfinite(layer.log_sigma.grad).all()
    assert gradcheck(layer, x)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 6), d=st.integers(1, 5), m=st.integers(1, 5),
       basis=st.sampled_from(sorted(BASES)), seed=st.integers(0, 10_000),
       log_width=st.floats(-0.5, 1.0))
def test_gradcheck_random_shapes(n, d, m, basis, seed, log_width):
    g = np.random.default_rng(seed)
    layer = RBF(d, m, basis=basis, rng=seed, dtype=np.float64)
    layer.log_sigma.data[:] = log_width + 0.3 * g.standard_normal(m)
    assert gradcheck(layer, g.standard_normal((n, d)), seed=seed)


@pytest.mark.parametrize("basis", sorted(BASES))
def test_matches_torch_autograd(basis, torch, rng):
    layer = layer64(d=5, m=7, basis=basis, widths=rng.uniform(0.5, 3.0, 7))
    x = rng.standard_normal((9, 5)) * 1.5
    G = rng.standard_normal((9, 7))
    phi = layer(x)
    grad_x = layer.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    Ct = torch.tensor(layer.C.data, requires_grad=True)
    st_ = torch.tensor(layer.log_sigma.data, requires_grad=True)
    u = ((xt[:, None, :] - Ct[None, :, :]) ** 2).sum(-1) / torch.exp(2 * st_)
    phit = torch.exp(-u / 2) if basis == "gaussian" else 1 / torch.sqrt(1 + u)
    (phit * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(phi, phit.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad_x, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.C.grad, Ct.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.log_sigma.grad, st_.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_backward_accumulates_and_can_skip_input(rng):
    layer = layer64()
    x, G = rng.standard_normal((4, 3)), rng.standard_normal((4, 4))
    layer(x)
    layer.backward(G)
    once = layer.C.grad.copy()
    layer(x)                        # one backward per forward (as Dense, and torch)
    assert layer.backward(G, input_grad=False) is None
    np.testing.assert_allclose(layer.C.grad, 2 * once)


# --- contracts ---------------------------------------------------------------------------
def test_float32_survives_forward_backward_and_step(rng):
    model = Sequential(RBF(4, 6, rng=0), Dense(6, 1, rng=1))
    opt = Adam(model.parameters(), lr=1e-2)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))   # float64 inputs
    loss = MSELoss()
    out = model(x)
    assert out.dtype == np.float32
    loss(out, y)
    model.backward(loss.backward())
    opt.step()
    for p in model.parameters():
        assert p.data.dtype == p.grad.dtype == np.float32
    assert RBF(2, 3, dtype=np.float64)(np.zeros((1, 2), np.float32)).dtype == np.float64


def test_errors_name_the_layer():
    layer = RBF(3, 2)
    with pytest.raises(RuntimeError, match=r"RBF\(in_features=3.*before forward"):
        layer.backward(np.zeros((1, 2)))
    with pytest.raises(ValueError, match=r"RBF\(in_features=3, out_features=2.*\(N, 3\), got \(5, 4\)"):
        layer(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"RBF\(in_features=3.*\(5,\)"):
        layer(np.zeros(5))
    layer(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"RBF\(in_features=3.*backward: grad_out has shape \(5, 3\), but the forward output had shape \(5, 2\)"):
        layer.backward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="RBF: basis must be one of 'gaussian', 'inverse_multiquadric'; got 'cauchy'"):
        RBF(3, 2, basis="cauchy")
    with pytest.raises(ValueError, match=r"RBF: width must be a finite number in \(0, inf\), got 0"):
        RBF(3, 2, width=0)
    with pytest.raises(ValueError, match=r"RBF: in_features must be an integer in \[1, inf\), got 0"):
        RBF(0, 2)
    with pytest.raises(TypeError, match="floating"):
        RBF(3, 2, dtype=np.int32)


@pytest.mark.parametrize("basis", sorted(BASES))
def test_save_and_load_rebuild_by_class_name(basis, tmp_path, rng):
    model = Sequential(RBF(3, 5, basis=basis, rng=0).init_from_data(rng.standard_normal((40, 3)), rng=1),
                       Dense(5, 2, rng=2))
    save(model, tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")                      # no custom_objects: mlpbook's own class
    x = rng.standard_normal((6, 3))
    assert isinstance(again[0], RBF) and again[0].basis == basis
    assert again[0].get_config() == model[0].get_config()
    np.testing.assert_array_equal(again(x), model(x))


# --- squared distances -----------------------------------------------------------------------
finite = st.floats(-100, 100, allow_nan=False, width=64)


@settings(max_examples=50, deadline=None)
@given(X=arrays(np.float64, st.tuples(st.integers(1, 8), st.just(3)), elements=finite),
       C=arrays(np.float64, st.tuples(st.integers(1, 6), st.just(3)), elements=finite))
def test_sq_dists_matches_direct(X, C):
    D = sq_dists(X, C)
    assert D.shape == (len(X), len(C)) and (D >= 0).all()
    scale = 1 + (X ** 2).sum(1)[:, None] + (C ** 2).sum(1)[None, :]
    assert (np.abs(D - sq_dists_direct(X, C)) <= 1e-12 * scale).all()


def test_sq_dists_clamps_cancellation_at_zero():
    c = np.full((1, 16), 1e4 / 4, dtype=np.float32)
    x = c + np.float32(1e-3)
    D = sq_dists(x, c)
    assert D.dtype == np.float32 and D[0, 0] >= 0
    assert sq_dists_direct(x, c)[0, 0] > 0


# --- k-means -------------------------------------------------------------------------------------
def blobs(seed, n=300, k=4, d=2):
    g = np.random.default_rng(seed)
    centres = g.uniform(-10, 10, (k, d))
    return centres[g.integers(k, size=n)] + g.standard_normal((n, d))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 12), d=st.integers(1, 4))
def test_kmeans_properties(seed, k, d):
    X = blobs(seed, n=60, d=d)
    res = kmeans(X, k, rng=seed)
    assert res.centers.shape == (k, d) and res.labels.shape == (60,)
    assert np.all(np.diff(res.history) <= 1e-9 * (1 + res.history[0]))     # never increases
    assert np.array_equal(res.labels, sq_dists(X, res.centers).argmin(axis=1)) or res.n_iter == 100
    assert np.bincount(res.labels, minlength=k).min() >= 1                   # no empty cluster
    for j in range(k):
        np.testing.assert_allclose(res.centers[j], X[res.labels == j].mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(res.inertia, sq_dists(X, res.centers).min(axis=1).sum(), rtol=1e-9)
    again = kmeans(X, k, rng=seed)
    assert np.array_equal(again.centers, res.centers)                         # seeded


def test_kmeans_plusplus_seeds():
    X = blobs(0)
    seeds = kmeans_plusplus(X, 10, rng=0)
    assert len(np.unique(seeds, axis=0)) == 10
    assert all((X == s).all(axis=1).any() for s in seeds)
    # two far-apart groups: the second seed lands in the other group with probability ~1
    two = np.r_[np.zeros((50, 2)), np.full((50, 2), 100.0)] + np.random.default_rng(1).random((100, 2))
    hits = [np.ptp(kmeans_plusplus(two, 2, rng=s)[:, 0]) > 50 for s in range(50)]
    assert all(hits)
    # all points identical: no division by zero, k seeds returned
    with pytest.warns(UserWarning, match="fewer than k=3 distinct points"):
        assert kmeans_plusplus(np.ones((5, 2)), 3, rng=0).shape == (3, 2)
    with pytest.raises(ValueError, match=r"kmeans_plusplus: k must be an integer in \[1, 3\], got 4"):
        kmeans_plusplus(X[:3], 4)


def test_kmeans_empty_cluster_rule():
    X = np.random.default_rng(5).random((100, 2))
    res = kmeans(X, 3, init=[[0.2, 0.2], [0.8, 0.8], [100.0, 100.0]])
    assert np.bincount(res.labels, minlength=3).min() > 0 and np.isfinite(res.centers).all()
    # k = N: every point its own cluster, inertia 0
    assert kmeans(X[:7], 7, rng=0).inertia == pytest.approx(0, abs=1e-20)
    with pytest.raises(ValueError, match=r"kmeans: expected init of shape \(3, 2\), got \(2, 2\)"):
        kmeans(X, 3, init=np.zeros((2, 2)))


def test_kmeans_close_to_sklearn():
    sk = pytest.importorskip("sklearn.cluster")
    X = blobs(3, n=500, k=6)
    ours = min(kmeans(X, 6, rng=s).inertia for s in range(5))
    theirs = sk.KMeans(6, n_init=5, random_state=0).fit(X).inertia_
    assert ours <= 1.01 * theirs


def test_widths_from_centers():
    C = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 5.0], [3.0, 5.0]])
    np.testing.assert_allclose(widths_from_centers(C), [5.0, 1.0, 1e-3, 1e-3])
    np.testing.assert_array_equal(widths_from_centers(C[:1]), [1.0])


def test_init_from_data(rng):
    X = blobs(2, n=200, d=3)
    layer = RBF(3, 8, dtype=np.float64).init_from_data(X, rng=0)
    np.testing.assert_allclose(np.exp(layer.log_sigma.data), widths_from_centers(layer.C.data))
    rand = RBF(3, 8).init_from_data(X, rng=0, method="random", width_scale=2.0)
    assert all((np.abs(X - c).max(axis=1) < 1e-5).any() for c in rand.C.data)
    with pytest.raises(ValueError, match="method must be one of 'kmeans', 'kmeans\\+\\+', 'random'; got 'grid'"):
        RBF(3, 8).init_from_data(X, method="grid")
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 3\)"):
        RBF(3, 8).init_from_data(X[:, :2])


# --- ridge and two-stage -------------------------------------------------------------------
def test_ridge_matches_sklearn_and_recovers_exact(rng):
    P, W = rng.standard_normal((50, 6)), rng.standard_normal((6, 2))
    Y = P @ W + [1.5, -2.0]
    W0, b0 = ridge(P, Y)
    np.testing.assert_allclose(W0, W, atol=1e-10)
    np.testing.assert_allclose(b0, [1.5, -2.0], atol=1e-10)
    lm = pytest.importorskip("sklearn.linear_model")
    Yn = Y + rng.standard_normal(Y.shape)
    W1, b1 = ridge(P, Yn, alpha=3.0)
    ref = lm.Ridge(alpha=3.0).fit(P, Yn)
    np.testing.assert_allclose(W1, ref.coef_.T, atol=1e-10)
    np.testing.assert_allclose(b1, ref.intercept_, atol=1e-10)
    Wv, bv = ridge(P, Yn[:, 0], alpha=3.0)                # 1-D targets
    assert Wv.shape == (6, 1) and bv.shape == (1,)


def test_fit_two_stage_sets_the_head(rng):
    X = rng.standard_normal((60, 2))
    y = np.sin(X[:, :1] * 2)
    layer = RBF(2, 12, dtype=np.float64).init_from_data(X, rng=0)
    head = Dense(12, 1, dtype=np.float64)
    W, b = fit_two_stage(layer, head, X, y, alpha=1e-6)
    np.testing.assert_array_equal(head.W.data, W)
    pred = Sequential(layer, head)(X)
    assert np.mean((pred - y) ** 2) < np.var(y) / 5
