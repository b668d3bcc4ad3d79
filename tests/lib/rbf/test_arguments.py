"""Arguments of mlpbook.rbf checked before anything is computed or changed: k-means
with more clusters than points, arguments of the wrong type (a string alpha, a
float seed), and the layer's state untouched by a refused call."""
import warnings

import numpy as np
import pytest

from mlpbook.rbf import RBF, kmeans, kmeans_plusplus, ridge, widths_from_centers

X = np.random.default_rng(0).standard_normal((20, 2))


def test_kmeans_more_clusters_than_points_with_init():
    # before: NaN centres and NaN inertia, with only a RuntimeWarning
    three = X[:3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"kmeans: k=5 clusters need at least 5 "
                                             r"points, X has 3; use k <= 3"):
            kmeans(three, 5, init=np.random.default_rng(1).standard_normal((5, 2)))
        with pytest.raises(ValueError, match="k=5 clusters need at least 5 points"):
            kmeans(three, 5)


@pytest.mark.parametrize("alpha", ["1", None, [1.0]])
def test_ridge_alpha_of_the_wrong_type(alpha):
    # before: a raw comparison error between str and int
    with pytest.raises(TypeError, match="ridge: alpha must be a real number"):
        ridge(X, X[:, 0], alpha=alpha)


def test_ridge_targets_must_be_numbers():
    # before: a raw NumPy conversion error
    with pytest.raises(TypeError, match="ridge: Y must hold real numbers"):
        ridge(X, np.array(["a"] * 20))


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_bad_seeds_name_the_function(seed):
    with pytest.raises((TypeError, ValueError), match="kmeans: rng must be"):
        kmeans(X, 3, rng=seed)
    with pytest.raises((TypeError, ValueError), match="kmeans_plusplus: rng must be"):
        kmeans_plusplus(X, 3, rng=seed)
    with pytest.raises((TypeError, ValueError), match="RBF: rng must be"):
        RBF(2, 3, rng=seed)


def test_init_from_data_refuses_before_changing_the_layer():
    layer = RBF(2, 3, rng=0)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    for kwargs, error in [({"n_iter": 0}, ValueError), ({"n_iter": 2.5}, TypeError),
                          ({"rng": -1}, ValueError), ({"method": "grid"}, ValueError)]:
        with pytest.raises(error, match="RBF.init_from_data"):
            layer.init_from_data(X, **kwargs)
    assert all(np.array_equal(v, layer.state_dict()[k]) for k, v in before.items())


def test_widths_from_centers_arguments():
    with pytest.raises(ValueError, match="widths_from_centers: min_width must be"):
        widths_from_centers(X[:3], min_width=-1.0)
    with pytest.raises(ValueError, match="widths_from_centers: X contains"):
        widths_from_centers(np.array([[0.0, np.nan], [1.0, 1.0]]))


def test_rbf_dtype_and_basis_checked():
    with pytest.raises(TypeError, match="RBF: dtype must be a floating-point dtype"):
        RBF(2, 3, dtype="int32")
    with pytest.raises(ValueError, match="RBF: basis must be one of"):
        RBF(2, 3, basis=None)
