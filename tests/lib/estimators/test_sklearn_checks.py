"""scikit-learn's own estimator checks, run in full on both estimators.

No check is declared as an expected failure. `max_iter=100` (what scikit-learn's
own test suite gives its MLPs) keeps the suite quick; the checks that need a model
that learns (check_classifiers_train, check_regressors_train) still pass with it.
SCIPY_ARRAY_API=1 lets check_array_api_input run (scikit-learn reads it when the
check runs); pandas, a dev extra, lets the DataFrame checks run.
"""
import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mlpbook.estimators import MLPClassifier, MLPRegressor  # noqa: E402

# Fits that max_iter ends warn, as scikit-learn's own MLPs do in these checks.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_scikit_learn_estimator_check(estimator, check, monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
