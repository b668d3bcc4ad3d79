"""Property-based tests (hypothesis): the metrics equal scikit-learn's on random labels,
scores and regression targets."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.metrics import (accuracy, confusion_matrix, f1_macro, mae, precision_recall_f1,
                             r2_score, rmse, top_k_accuracy)

skm = pytest.importorskip("sklearn.metrics")

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def classification(draw, min_classes=2):
    "(labels (N,), scores (N, C), C, rng) with N >= 1 and C >= min_classes."
    n = draw(st.integers(1, 40))
    C = draw(st.integers(min_classes, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.integers(0, C, n), rng.standard_normal((n, C)), C, rng


def _true_forms(t, C):
    "Every accepted form of the same targets: (N,), (N, 1) int and float, one-hot (N, C)."
    return [t, t[:, None], t[:, None].astype(np.float32), t.astype(np.float64), np.eye(C)[t]]


@SETTINGS
@given(classification())
def test_accuracy_and_confusion_equal_sklearn_for_scores_and_labels(case):
    t, scores, C, _ = case
    p = scores.argmax(axis=1)
    labels = list(range(C))
    for form in _true_forms(t, C):
        for pred in (scores, p, p.astype(np.float32)):
            assert accuracy(form, pred) == pytest.approx(skm.accuracy_score(t, p))
            np.testing.assert_array_equal(confusion_matrix(form, pred, num_classes=C),
                                          skm.confusion_matrix(t, p, labels=labels))
    P, R, F, _ = skm.precision_recall_fscore_support(t, p, labels=labels, zero_division=0)
    ours = precision_recall_f1(t, scores, num_classes=C, average=None)
    for a, b in zip(ours, (P, R, F)):
        np.testing.assert_allclose(a, b, atol=1e-12)
    macro = skm.precision_recall_fscore_support(t, p, labels=labels, average="macro",
                                                zero_division=0)[:3]
    np.testing.assert_allclose(precision_recall_f1(np.eye(C)[t], scores), macro, atol=1e-12)
    assert f1_macro(np.eye(C)[t], scores) == pytest.approx(macro[2], abs=1e-12)


@SETTINGS
@given(st.integers(1, 40), st.integers(0, 2**32 - 1), st.sampled_from(["prob", "logit"]))
def test_binary_outputs_equal_sklearn(n, seed, kind):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, n)
    logits = rng.standard_normal(n) * 3
    out = 1 / (1 + np.exp(-logits)) if kind == "prob" else logits
    threshold = 0.5 if kind == "prob" else 0.0
    p = (out > threshold).astype(int)
    for form in (t, t[:, None].astype(np.float32), np.eye(2)[t]):
        for scores in (out[:, None], out):
            got = accuracy(form, scores, threshold=threshold)
            assert got == pytest.approx(skm.accuracy_score(t, p))
            np.testing.assert_array_equal(confusion_matrix(form, scores, threshold=threshold),
                                          skm.confusion_matrix(t, p, labels=[0, 1]))
    if kind == "prob" or np.any(out < 0) or np.any(out > 1):   # the default threshold applies
        assert accuracy(t, out[:, None]) == pytest.approx(skm.accuracy_score(t, p))


@pytest.mark.filterwarnings("ignore:'k' .* greater than or equal")
@SETTINGS
@given(classification(min_classes=3), st.integers(1, 6))
def test_top_k_equals_sklearn_without_ties(case, k):
    t, scores, C, _ = case
    k = min(k, C)
    expected = skm.top_k_accuracy_score(t, scores, k=k, labels=list(range(C)))
    for form in (t, t[:, None], np.eye(C)[t]):
        assert top_k_accuracy(form, scores, k=k) == pytest.approx(expected)


def test_top_k_tie_rule_documented():
    "On ties ours counts the true class in; scikit-learn ranks the highest index first."
    scores = np.ones((4, 3))
    y = np.array([0, 1, 2, 0])
    assert top_k_accuracy(y, scores, k=1) == 1.0
    assert skm.top_k_accuracy_score(y, scores, k=1, labels=[0, 1, 2]) == 0.25


@st.composite
def regression(draw):
    n = draw(st.integers(2, 40))
    shape = draw(st.sampled_from([(n,), (n, 1), (n, 3)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    t = rng.standard_normal(shape) * scale
    if draw(st.booleans()):
        t[...] = t.flat[0]                            # a constant target
    noise = draw(st.sampled_from([0.0, 0.1, 10.0]))
    return t, t + noise * scale * rng.standard_normal(shape)


@SETTINGS
@given(regression())
def test_regression_metrics_equal_sklearn(case):
    t, p = case
    assert mae(t, p) == pytest.approx(skm.mean_absolute_error(t, p), rel=1e-9, abs=1e-12)
    assert rmse(t, p) == pytest.approx(np.sqrt(skm.mean_squared_error(t, p)), rel=1e-9,
                                       abs=1e-12)
    assert r2_score(t, p) == pytest.approx(skm.r2_score(t, p), rel=1e-9, abs=1e-9)
