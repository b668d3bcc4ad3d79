"""The estimators inside scikit-learn's tools: a pipeline with a scaler,
cross_val_score, GridSearchCV, clone and pickle."""
import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from mlpbook.estimators import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def test_pipeline_with_scaler_in_cross_val_score_classifier():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=100, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=KFold(5, shuffle=True, random_state=0))
    assert scores.shape == (5,)
    assert scores.mean() > 0.85


def test_pipeline_with_scaler_in_cross_val_score_regressor():
    X, y = load_diabetes(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPRegressor(max_iter=100, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.mean() > 0.3          # scikit-learn's own MLPRegressor scores < 0 here


def test_grid_search_over_two_arguments():
    X, y = load_iris(return_X_y=True)
    grid = GridSearchCV(
        make_pipeline(StandardScaler(), MLPClassifier(learning_rate_init=1e-2,
                                                     random_state=0)),
        {"mlpclassifier__alpha": [1e-4, 1.0],
         "mlpclassifier__hidden_layer_sizes": [(5,), (20,)]}, cv=3)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert set(grid.best_params_) == {"mlpclassifier__alpha",
                                      "mlpclassifier__hidden_layer_sizes"}
    fitted = grid.best_estimator_[-1]
    assert fitted.hidden_layer_sizes == grid.best_params_[
        "mlpclassifier__hidden_layer_sizes"]
    assert grid.score(X, y) > 0.8


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier(hidden_layer_sizes=(7, 3), alpha=0.5, max_iter=5,
                        random_state=1).fit(X, y)
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert not hasattr(copy, "model_") and not hasattr(copy, "classes_")


def test_pickle_round_trip_predicts_the_same():
    X, y = load_iris(return_X_y=True)
    est = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.predict_proba(X), est.predict_proba(X))


def test_convergence_warning_when_max_iter_ends_the_fit():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier(max_iter=3, random_state=0).fit(X, y)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
