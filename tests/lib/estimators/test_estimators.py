"""MLPClassifier and MLPRegressor: labels, outputs, units, dtypes, the fitted
attributes, warm_start and partial_fit, the stopping rule, and the package
without scikit-learn."""
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_digits, load_iris  # noqa: E402
from sklearn.exceptions import DataConversionWarning  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from mlpbook.activations import ReLU, Sigmoid, Tanh  # noqa: E402
from mlpbook.callbacks import LambdaCallback  # noqa: E402
from mlpbook.data import ArrayDataset, DataLoader  # noqa: E402
from mlpbook.estimators import (MLPClassifier, MLPRegressor,  # noqa: E402
                                NoImprovementStopping, mlp_network)
from mlpbook.layers import Dense, Sequential  # noqa: E402
from mlpbook.losses import MSELoss  # noqa: E402
from mlpbook.optim import SGD  # noqa: E402
from mlpbook.trainer import Trainer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# --- classification -----------------------------------------------------------
def test_string_labels_multiclass(iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    est = MLPClassifier(learning_rate_init=1e-2, random_state=0).fit(X, names)
    np.testing.assert_array_equal(est.classes_, ["setosa", "versicolor", "virginica"])
    proba = est.predict_proba(X)
    assert proba.shape == (150, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))
    assert est.score(X, names) > 0.9
    assert est.n_outputs_ == 3 and est.model_[-1].out_features == 3


def test_binary_labels_use_one_output_for_the_second_class(cancer):
    X, y = cancer
    labels = np.where(y == 1, "benign", "malignant")
    est = MLPClassifier(max_iter=50, random_state=0).fit(X, labels)
    assert est.n_outputs_ == 1 and est.model_[-1].out_features == 1
    logit = est.model_(X)[:, 0]
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logit.astype(float))),
                               rtol=1e-5)
    np.testing.assert_array_equal(est.predict(X) == "malignant", logit > 0)
    assert est.score(X, labels) > 0.95


def test_partial_fit_sees_a_subset_of_the_classes_first(iris):
    X, y = iris
    est = MLPClassifier(random_state=0)
    est.partial_fit(X[y == 0], y[y == 0], classes=[0, 1, 2])
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    for _ in range(3):
        est.partial_fit(X, y)
    assert est.n_iter_ == 1 and len(est.loss_curve_) == 4
    assert est.t_ == 50 + 3 * 150


# --- regression ---------------------------------------------------------------
def test_regressor_predicts_in_the_units_of_y(iris):
    X, _ = iris
    y = 1000 + 50 * X[:, 0] - 20 * X[:, 1] ** 2
    est = MLPRegressor(learning_rate_init=1e-2, random_state=0).fit(X, y)
    np.testing.assert_allclose(est.y_mean_, [y.mean()])
    np.testing.assert_allclose(est.y_scale_, [y.std()])
    assert est.score(X, y) > 0.95
    assert abs(est.predict(X).mean() - y.mean()) < 0.05 * y.std()


def test_regressor_several_outputs(iris):
    X, _ = iris
    Y = np.c_[X[:, 0] * 10 + 3, -X[:, 1] + 100]
    est = MLPRegressor(learning_rate_init=1e-2, random_state=0).fit(X, Y)
    pred = est.predict(X)
    assert pred.shape == (150, 2) and pred.dtype == np.float64
    assert est.n_outputs_ == 2 and est.model_[-1].out_features == 2
    assert est.score(X, Y) > 0.95


def test_regressor_column_target_warns_and_gives_1d_predictions(iris):
    X, y = iris
    with pytest.warns(DataConversionWarning):
        est = MLPRegressor(max_iter=5, random_state=0).fit(X, y[:, None].astype(float))
    assert est.predict(X).shape == (150,)


def test_regressor_constant_target_trains_and_predicts_it(iris):
    X, _ = iris
    est = MLPRegressor(random_state=0).fit(X, np.full(150, 4.25))
    np.testing.assert_allclose(est.y_scale_, [1.0])
    pred = est.predict(X)                 # the stopping rule ends it at loss ~1e-2
    assert np.isfinite(pred).all() and abs(pred.mean() - 4.25) < 0.1


# --- fitted attributes, dtypes, randomness -------------------------------------
def test_float32_inside_float64_predictions(iris):
    X, y = iris
    est = MLPClassifier(max_iter=5, random_state=0).fit(X, y)
    assert all(p.dtype == np.float32 for p in est.model_.parameters())
    assert all(W.dtype == np.float32 for W in est.coefs_)
    assert est.predict_proba(X).dtype == np.float64
    est64 = MLPClassifier(max_iter=5, random_state=0, dtype=np.float64).fit(X, y)
    assert all(p.dtype == np.float64 for p in est64.model_.parameters())


def test_predictions_do_not_depend_on_the_batch(iris):
    X, _ = iris
    X = np.tile(X, (10, 1))                      # 1500 rows: beyond one chunk of 1024
    y = X[:, 0] + X[:, 1] ** 2
    est = MLPRegressor(max_iter=5, random_state=0).fit(X, y)
    whole = est.predict(X)
    rows = np.concatenate([est.predict(X[i:i + 1]) for i in range(0, 1500, 7)])
    np.testing.assert_allclose(rows, whole[::7], rtol=1e-12, atol=1e-12)
    order = np.random.default_rng(0).permutation(1500)
    np.testing.assert_allclose(est.predict(X[order]), whole[order], rtol=1e-12)


def test_coefs_and_intercepts_have_scikit_learns_shapes(iris):
    X, y = iris
    est = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=2, random_state=0).fit(X, y)
    assert [W.shape for W in est.coefs_] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in est.intercepts_] == [(7,), (5,), (3,)]


def test_same_random_state_same_model_and_other_kinds_of_random_state(iris):
    X, y = iris
    a = MLPClassifier(max_iter=20, random_state=3).fit(X, y).predict_proba(X)
    b = MLPClassifier(max_iter=20, random_state=3).fit(X, y).predict_proba(X)
    c = MLPClassifier(max_iter=20, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    for state in (np.random.RandomState(0), np.random.default_rng(0), None):
        MLPClassifier(max_iter=2, random_state=state).fit(X, y)


def test_loss_curve_and_n_iter_come_from_the_training_history(iris):
    X, y = iris
    est = MLPClassifier(max_iter=30, random_state=0).fit(X, y)
    assert est.n_iter_ == 30 == len(est.loss_curve_)
    assert est.loss_ == est.loss_curve_[-1] and est.best_loss_ == min(est.loss_curve_)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    assert est.t_ == 30 * 150 and est.validation_scores_ is None


def test_warm_start_continues_from_the_current_weights(iris):
    X, y = iris
    est = MLPClassifier(max_iter=20, random_state=0, warm_start=True).fit(X, y)
    before = [W.copy() for W in est.coefs_]
    first_loss = est.loss_curve_[-1]
    est.fit(X, y)
    assert est.n_iter_ == 20 and len(est.loss_curve_) == 40
    assert est.loss_curve_[20] < est.loss_curve_[0]          # not a fresh start
    assert abs(est.loss_curve_[20] - first_loss) < 0.1 * first_loss
    cold = MLPClassifier(max_iter=20, random_state=0).fit(X, y)
    assert not all(np.array_equal(W, V) for W, V in zip(cold.coefs_, est.coefs_))
    assert any(not np.array_equal(W, V) for W, V in zip(before, est.coefs_))


def test_alpha_penalises_the_weights_not_the_biases(iris):
    X, y = iris
    est = MLPClassifier(alpha=3.0, batch_size=50, max_iter=1, random_state=0)
    est.fit(X, y)
    saved = est._optimizer_state["param_groups"]
    assert [g["weight_decay"] for g in saved] == [3.0 / 50, 0.0]
    weights, biases = (g["params"] for g in est._optimizer(50).param_groups)
    assert [p.data.ndim for p in weights] == [2, 2]
    assert [p.data.ndim for p in biases] == [1, 1]


def test_partial_fit_goes_on_with_the_optimizers_state_also_after_pickling(iris):
    X, y = iris
    a = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    b = pickle.loads(pickle.dumps(a))
    for est in (a, b):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a._optimizer_state["state"][0]["step"] == 2          # Adam's step count
    fresh = MLPClassifier(random_state=0).partial_fit(X, y, classes=[0, 1, 2])
    fresh._optimizer_state = None
    del fresh._optimizer_state                                   # as if Adam restarted
    fresh.partial_fit(X, y)
    assert not np.allclose(fresh.predict_proba(X), a.predict_proba(X))


@pytest.mark.parametrize("activation, layer", [("relu", ReLU), ("tanh", Tanh),
                                               ("logistic", Sigmoid),
                                               ("identity", None)])
def test_activations_and_solvers(iris, activation, layer):
    X, y = iris
    net = mlp_network([4, 6, 5, 3], activation, rng=0)
    kinds = [type(m) for m in net]
    expected = [Dense, Dense, Dense] if layer is None else \
        [Dense, layer, Dense, layer, Dense]
    assert kinds == expected
    for solver in ("adam", "sgd"):
        est = MLPClassifier(activation=activation, solver=solver, max_iter=300,
                            learning_rate_init=0.05, random_state=0).fit(X, y)
        assert est.score(X, y) > 0.85, (activation, solver)


def test_feature_names_in_for_a_dataframe(iris):
    pd = pytest.importorskip("pandas")
    X, y = iris
    frame = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    est = MLPClassifier(max_iter=2, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, ["sl", "sw", "pl", "pw"])
    assert est.n_features_in_ == 4
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(frame.rename(columns={"sl": "x"}))


def test_verbose_prints_each_epoch(iris, capsys):
    X, y = iris
    MLPClassifier(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ") and len(lines) == 3


# --- the stopping rule ----------------------------------------------------------
def epochs_run(callback, losses):
    "Epochs a Trainer runs with `callback` when its epochs' losses are `losses`."
    model = Sequential(Dense(1, 1, rng=0))
    zeros = np.zeros((1, 1), np.float32)
    script = LambdaCallback(order=0, after_epoch=lambda t: t.logs.update(
        loss=float(losses[t.epoch])))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.0),
                      [script, callback])
    return len(trainer.fit(DataLoader(ArrayDataset(zeros, zeros)), len(losses)))


def test_stopping_rule_counts_as_scikit_learn_does():
    tol = 1e-4
    assert epochs_run(NoImprovementStopping(tol, 10), 1 - tol / 2 * np.arange(50)) == 12
    assert epochs_run(NoImprovementStopping(tol, 3), [5, 4, 3, 3, 3, 3, 3, 3]) == 7
    # progress larger than tol resets the count
    assert epochs_run(NoImprovementStopping(tol, 2),
                      [5, 5, 5, 4, 4, 4, 4, 4]) == 7


def test_stopping_rule_stops_where_scikit_learn_stopped():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)[:900]
    for seed in (0, 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = SkMLPClassifier(random_state=seed, max_iter=300).fit(X, y[:900])
        assert sk.n_iter_ < 300
        curve = sk.loss_curve_ + [sk.loss_curve_[-1]] * 20
        assert epochs_run(NoImprovementStopping(1e-4, 10), curve) == sk.n_iter_


def test_stopping_on_a_score_restores_the_best_epoch():
    model = Sequential(Dense(1, 1, rng=0))
    x = np.ones((4, 1), np.float32)
    scores = iter([0.1, 0.5, 0.3, 0.2, 0.2, 0.2])
    snapshots = []
    keep = LambdaCallback(order=20, after_epoch=lambda t: snapshots.append(
        t.model.state_dict()))
    stop = NoImprovementStopping(tol=0.0, n_iter_no_change=2,
                                 score=lambda model: next(scores))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1), [stop, keep])
    history = trainer.fit(DataLoader(ArrayDataset(x, 3 * x)), 6)
    # epochs 3, 4 and 5 are no improvement on 0.5: more than 2 in a row, so it stops
    assert len(history) == 5 and stop.stopped
    assert stop.scores == [0.1, 0.5, 0.3, 0.2, 0.2]
    np.testing.assert_array_equal(model.state_dict()["0.W"], snapshots[1]["0.W"])


def test_early_stopping_attributes(iris):
    X, y = iris
    est = MLPClassifier(early_stopping=True, random_state=0).fit(X, y)
    assert len(est.validation_scores_) == est.n_iter_ < 200
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.best_loss_ is None


# --- the package without scikit-learn -------------------------------------------
def test_mlpbook_imports_without_scikit_learn_and_estimators_says_what_to_install():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import mlpbook\n"
            "try:\n"
            "    import mlpbook.estimators\n"
            "except ImportError as err:\n"
            "    print(err)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "mlpbook.estimators needs scikit-learn" in out
    assert "pip install 'mlpbook[sklearn]'" in out


def test_scikit_learn_is_an_optional_extra_and_pinned_for_the_book_and_tests():
    tomllib = pytest.importorskip("tomllib")
    from pathlib import Path
    root = Path(__file__).resolve().parents[3]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("scikit-learn") for d in project["dependencies"])
    extras = project["optional-dependencies"]
    assert any(d.startswith("scikit-learn>=") for d in extras["sklearn"])
    assert "scikit-learn==1.9.1" in extras["dev"] and "scikit-learn==1.9.1" in extras["book"]
