"""alpha means what scikit-learn's alpha means (the same objective, per batch of its own
size), and coefs_ / intercepts_ are the model's weights: editing them changes predict."""
import warnings

import numpy as np
import pytest

sk_nn = pytest.importorskip("sklearn.neural_network")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from mlpbook.estimators import MLPClassifier, MLPRegressor  # noqa: E402


def _sgd_gap(book, theirs, X, y, book_lr, batch_size, alpha, epochs=2):
    "Largest weight difference after `epochs` of plain SGD from the same start."
    same = dict(solver="sgd", momentum=0.0, batch_size=batch_size, shuffle=False,
                max_iter=epochs, warm_start=True, random_state=0, alpha=alpha)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        book.set_params(**same, learning_rate_init=book_lr, dtype=np.float64).fit(X, y)
        theirs.set_params(**same, learning_rate_init=0.1).fit(X, y)
        for mine, its in zip(book.coefs_ + book.intercepts_,
                             theirs.coefs_ + theirs.intercepts_):
            its[...] = mine
        start = [W.copy() for W in book.coefs_]
        book.fit(X, y)
        theirs.fit(X, y)
    moved = max(np.abs(W - W0).max() for W, W0 in zip(book.coefs_, start))
    assert moved > 1e-3, "the weights must move for the comparison to mean anything"
    return max(np.abs(mine - its).max() for mine, its in
               zip(book.coefs_ + book.intercepts_, theirs.coefs_ + theirs.intercepts_))


@pytest.mark.parametrize("alpha", [0.0, 1.0, 10.0])
@pytest.mark.parametrize("classes", [2, 3])
def test_classifier_alpha_is_scikit_learns_per_batch_of_its_own_size(classes, alpha):
    X = np.random.default_rng(0).standard_normal((10, 3))   # batches of 4, 4 and 2
    y = np.arange(10) % classes
    gap = _sgd_gap(MLPClassifier(hidden_layer_sizes=(5,)),
                   sk_nn.MLPClassifier(hidden_layer_sizes=(5,)), X, y, 0.1, 4, alpha)
    assert gap < 1e-10


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize("outputs", [1, 2, 3])
@pytest.mark.parametrize("n", [12, 10])
def test_regressor_alpha_is_scikit_learns_objective_up_to_mse_loss_factor(outputs, alpha, n):
    g = np.random.default_rng(outputs)
    X = g.standard_normal((n, 3))
    Y = g.standard_normal((n, outputs))
    Y = ((Y - Y.mean(0)) / Y.std(0)).squeeze()      # standardised: mlpbook's is a no-op
    # MSELoss's gradient is 2 / outputs times scikit-learn's: a learning rate
    # outputs / 2 times theirs follows the same path, penalty included
    gap = _sgd_gap(MLPRegressor(hidden_layer_sizes=(5,)),
                   sk_nn.MLPRegressor(hidden_layer_sizes=(5,)), X, Y,
                   0.1 * outputs / 2, 4, alpha)
    assert gap < 1e-10


def test_the_optimizer_keeps_the_last_batchs_decay():
    X = np.random.default_rng(0).standard_normal((10, 3))
    est = MLPRegressor(alpha=2.0, batch_size=4, max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, X[:, 0])
    decays = [g["weight_decay"] for g in est._optimizer_state["param_groups"]]
    assert decays == [2.0 * 2 / 2, 0.0]        # alpha * (2 / 1 output) / last batch of 2


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_editing_coefs_changes_the_predictions_as_in_scikit_learn(Est):
    g = np.random.default_rng(0)
    X, y = g.standard_normal((40, 3)), np.arange(40) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = Est(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, y)
    out = est.predict_proba if Est is MLPClassifier else est.predict
    before = out(X)
    est.coefs_[-1][...] = 0.0
    est.intercepts_[-1][...] = 0.0
    after = out(X)
    assert not np.allclose(before, after)
    if Est is MLPRegressor:                       # a zero output is the mean of y
        np.testing.assert_allclose(after, est.y_mean_[0], rtol=1e-12)
    else:                                         # a zero logit is probability 1/2
        np.testing.assert_allclose(after, 0.5, rtol=1e-12)
