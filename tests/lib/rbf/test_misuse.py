"""Misuse of mlpbook.rbf (RBF layer, k-means, ridge): every case raises the exact
exception type with a message naming the problem, and nothing is half-changed.
Each case gave a silent wrong answer or a raw NumPy error before."""
import warnings

import numpy as np
import pytest

from mlpbook.layers import Dense
from mlpbook.rbf import RBF, fit_two_stage, kmeans, kmeans_plusplus, ridge

X = np.random.default_rng(0).standard_normal((20, 2))


@pytest.mark.parametrize("size", [2.7, True, "3"])
def test_sizes_must_be_integers(size):
    # before: int(2.7) = 2 and True = 1 were used silently
    with pytest.raises(TypeError, match="RBF: in_features must be an integer, got"):
        RBF(size, 3)
    with pytest.raises(ValueError, match=r"RBF: out_features must be an integer in \[1, inf\), got 0"):
        RBF(2, 0)


@pytest.mark.parametrize("width", [0.0, -1.0, np.inf, np.nan])
def test_width_must_be_finite_positive(width):
    # before: width=inf gave log_sigma = inf, a layer whose output is constant 1
    with pytest.raises(ValueError, match=r"RBF: width must be a finite number in \(0, inf\)"):
        RBF(2, 3, width=width)


def test_one_backward_per_forward():
    # before: a second backward added the same gradient again (C.grad doubled)
    layer = RBF(2, 3, rng=0)
    layer(X)
    layer.backward(np.ones((20, 3)))
    with pytest.raises(RuntimeError, match="backward\\(\\) called twice"):
        layer.backward(np.ones((20, 3)))


def test_bad_grad_out_keeps_cache():
    layer = RBF(2, 3, rng=0)
    layer(X)
    with pytest.raises(ValueError, match=r"backward: grad_out has shape \(20, 4\), but the forward output had shape \(20, 3\)"):
        layer.backward(np.ones((20, 4)))
    layer.backward(np.ones((20, 3)))           # the corrected call still works


@pytest.mark.parametrize("x", [np.ones((2, 2), bool), np.ones((2, 2)) * 1j,
                               np.array([["a", "b"]])])
def test_input_must_be_real_numbers(x):
    # before: booleans were used as 0/1, complex values lost their imaginary part
    with pytest.raises(TypeError, match="input must hold real numbers"):
        RBF(2, 3)(x)


def test_init_from_data_more_centres_than_points():
    for method in ("kmeans", "kmeans++", "random"):
        with pytest.raises(ValueError, match="30 centres need at least 30 points"):
            RBF(2, 30).init_from_data(X, method=method)


@pytest.mark.parametrize("scale", [0, -1.0, np.nan])
def test_init_from_data_width_scale(scale):
    # before: log(0) = -inf / log(-1) = NaN widths, silently
    layer = RBF(2, 3, rng=0)
    before = layer.state_dict()
    with pytest.raises(ValueError, match=r"width_scale must be a finite number in \(0, inf\)"):
        layer.init_from_data(X, width_scale=scale)
    assert all(np.array_equal(v, layer.state_dict()[k]) for k, v in before.items())


def test_nan_in_data_is_refused():
    # before: a NaN point became a NaN centre
    Xn = X.copy()
    Xn[3, 0] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite value"):
        RBF(2, 3).init_from_data(Xn)
    with pytest.raises(ValueError, match="kmeans: X contains 1 NaN or infinite value"):
        kmeans(Xn, 3)
    with pytest.raises(ValueError, match="kmeans: init contains 4 NaN or infinite values"):
        kmeans(X, 2, init=np.full((2, 2), np.nan))


def test_kmeans_arguments():
    with pytest.raises(ValueError, match=r"kmeans: n_iter must be an integer in \[1, inf\), got 0"):
        kmeans(X, 3, n_iter=0)                  # before: IndexError
    with pytest.raises(TypeError, match="kmeans: k must be an integer, got float 3.0"):
        kmeans(X, 3.0)
    with pytest.raises(ValueError, match=r"shape \(N, d\).*reshape\(-1, 1\)"):
        kmeans(X[:, 0], 3)                      # before: a raw matmul error
    with pytest.raises(ValueError, match=r"kmeans_plusplus: k must be an integer in \[1, 20\], got 21"):
        kmeans_plusplus(X, 21)


def test_fewer_distinct_points_than_k_warns():
    with pytest.warns(UserWarning, match="fewer than k=3 distinct points"):
        kmeans(np.zeros((10, 2)), 3, rng=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kmeans(X, 3, rng=0)                     # distinct data: no warning


@pytest.mark.parametrize("alpha", [-1.0, np.nan, np.inf])
def test_ridge_alpha(alpha):
    # before: a negative or NaN alpha silently fell back to plain least squares
    with pytest.raises(ValueError, match=r"ridge: alpha must be a finite number in \[0, inf\)"):
        ridge(X, X[:, 0], alpha=alpha)


def test_ridge_shapes_and_nan():
    with pytest.raises(ValueError, match=r"Y must have shape \(20,\)"):
        ridge(X, X[:5, 0])
    Y = X[:, 0].copy()
    Y[2] = np.nan
    with pytest.raises(ValueError, match="ridge: Y contains 1 NaN or infinite value"):
        ridge(X, Y)                             # before: NaN weights


@pytest.mark.parametrize("head", [Dense(4, 3), Dense(4, 1, bias=False)])
def test_fit_two_stage_checks_the_head_before_writing(head):
    # before: (4, 1) weights broadcast into a Dense(4, 3), or W was written and
    # then `head.b.data` raised (a half-changed head)
    W0 = head.W.data.copy()
    with pytest.raises(ValueError, match=r"head must be a Dense\(4, 1\) with a bias"):
        fit_two_stage(RBF(2, 4, rng=0), head, X, X[:, 0])
    assert np.array_equal(W0, head.W.data)
