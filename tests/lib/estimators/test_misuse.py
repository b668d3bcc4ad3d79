"""Bad input gets scikit-learn's conventional errors, and a bad argument an error
naming it; a fit that fails leaves no half-fitted estimator behind."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402

from mlpbook.estimators import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
ESTIMATORS = [MLPClassifier, MLPRegressor]


@pytest.fixture
def data():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_nan_or_inf_in_X_is_a_value_error(Est, data, bad, word):
    X, y = data
    X = X.copy()
    X[4, 2] = bad
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        Est(max_iter=2).fit(X, y)
    fitted = Est(max_iter=2, random_state=0).fit(data[0], y)
    with pytest.raises(ValueError, match=f"Input X contains {word}"):
        fitted.predict(X)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_nan_in_y_is_a_value_error(Est, data):
    X, y = data
    y = y.astype(float)
    y[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        Est(max_iter=2).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_number_of_features_at_predict(Est, data):
    X, y = data
    fitted = Est(max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        fitted.predict(X[:, :3])
    with pytest.raises(ValueError, match="X has 3 features"):
        fitted.partial_fit(X[:, :3], y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_classifier_before_fit_is_not_fitted(method, data):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(MLPClassifier(), method)(data[0])


def test_regressor_before_fit_is_not_fitted(data):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MLPRegressor().predict(data[0])


def test_a_single_class_is_a_value_error(data):
    X, _ = data
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 7"):
        MLPClassifier().fit(X, np.full(len(X), 7))
    with pytest.raises(ValueError, match="only one class"):
        MLPClassifier().partial_fit(X, np.full(len(X), 7), classes=[7])


def test_a_failed_fit_leaves_the_estimator_unfitted(data):
    X, y = data
    est = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        est.fit(X, np.zeros(len(y)))
    with pytest.raises(NotFittedError):     # not three outputs read with one class
        est.predict(X)


def test_continuous_labels_are_refused_by_the_classifier(data):
    X, _ = data
    with pytest.raises(ValueError, match="Unknown label type"):
        MLPClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_partial_fit_needs_classes_first_and_known_labels_after(data):
    X, y = data
    with pytest.raises(ValueError, match="classes must be given on the first call"):
        MLPClassifier().partial_fit(X, y)
    est = MLPClassifier(random_state=0).partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"classes \[2\] that are not in classes_"):
        est.partial_fit(X, y)


def test_partial_fit_refuses_early_stopping(data):
    X, y = data
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, y)


def test_regressor_refuses_another_number_of_outputs_when_continuing(data):
    X, _ = data
    est = MLPRegressor(max_iter=2, random_state=0).fit(X, X[:, :2])
    with pytest.raises(ValueError, match="y has 3 outputs, but the model was fitted "
                                         "with 2"):
        est.partial_fit(X, X[:, :3])


def test_regressor_refuses_a_target_too_large_to_standardise(data):
    X, _ = data
    with pytest.raises(ValueError, match="too large to standardise"):
        MLPRegressor().fit(X, np.linspace(-1e300, 1e300, len(X)))


def test_tiny_validation_set_for_early_stopping(data):
    X, y = data
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPRegressor(early_stopping=True, validation_fraction=0.01).fit(X[:20], y[:20])


@pytest.mark.parametrize("param, value, error, match", [
    ("hidden_layer_sizes", (10, 0), ValueError,
     r"hidden_layer_sizes\[1\] must be an integer >= 1, got 0"),
    ("hidden_layer_sizes", (10.5,), TypeError,
     r"hidden_layer_sizes\[0\] must be an integer, got float 10.5"),
    ("hidden_layer_sizes", "100", TypeError, "hidden_layer_sizes must be a tuple"),
    ("activation", "softplus", ValueError, "activation must be one of"),
    ("solver", "lbfgs", ValueError, "solver must be one of"),
    ("alpha", -1.0, ValueError, r"alpha must be in \[0.0, inf\]"),
    ("batch_size", 0, ValueError, "batch_size must be an integer >= 1"),
    ("learning_rate_init", 0.0, ValueError, "learning_rate_init must be in"),
    ("max_iter", 2.5, TypeError, "max_iter must be an integer"),
    ("tol", "1e-4", TypeError, "tol must be a real number"),
    ("n_iter_no_change", 0, ValueError, "n_iter_no_change must be an integer >= 1"),
    ("shuffle", "yes", TypeError, "shuffle must be True or False"),
    ("validation_fraction", 1.0, ValueError, "validation_fraction must be in"),
    ("beta_2", 1.0, ValueError, "beta_2 must be in"),
    ("epsilon", 0.0, ValueError, "epsilon must be in"),
    ("dtype", np.float16, ValueError, "dtype must be np.float32 or np.float64"),
    ("dtype", "not a dtype", ValueError, "dtype must be"),
    ("random_state", -3, ValueError, "random_state must be None, an int >= 0"),
])
def test_bad_argument_is_named_at_fit_not_at_init(data, param, value, error, match):
    X, y = data
    est = MLPClassifier().set_params(**{param: value})     # never fails here
    with pytest.raises(error, match=f"MLPClassifier: {match}"):
        est.fit(X, y)
