"""Tests of mlpbook.tuning: the learning-rate finder, the search helpers, k-fold splits."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.optim import SGD, Adam
from mlpbook.tuning import (LRFinder, cross_val_score, exponential_lrs, grid_points, grid_search,
                            kfold_indices, loguniform, lr_find, random_search, sample_points,
                            smooth_losses, suggest_lr, uniform)


# --- the finder's pieces ---------------------------------------------------------------
def test_exponential_lrs_ends_and_ratio():
    lrs = exponential_lrs(1e-6, 10.0, 100)
    assert lrs.shape == (100,)
    assert math.isclose(lrs[0], 1e-6) and math.isclose(lrs[-1], 10.0)
    assert np.allclose(lrs[1:] / lrs[:-1], 10 ** (7 / 99))


def test_smooth_losses_is_bias_corrected_ema():
    losses = [3.0, 1.0, 2.0]
    beta = 0.9
    s, expected = 0.0, []
    for t, loss in enumerate(losses, 1):
        s = beta * s + (1 - beta) * loss
        expected.append(s / (1 - beta ** t))
    assert np.allclose(smooth_losses(losses, beta), expected)
    assert smooth_losses([5.0], beta)[0] == pytest.approx(5.0)


def test_suggest_lr_rules():
    lrs = exponential_lrs(1e-4, 1e2, 61)
    losses = np.log10(lrs / 0.5) ** 2          # minimum at 0.5
    assert suggest_lr(lrs, losses) == pytest.approx(lrs[np.argmin(losses)] / 10)
    assert 0.04 < suggest_lr(lrs, losses) < 0.06
    losses_nan = losses.copy()
    losses_nan[-5:] = np.nan
    assert suggest_lr(lrs, losses_nan) == pytest.approx(suggest_lr(lrs, losses))
    # steepest: a tanh step centred at lr = 1e-2 falls fastest there
    curve = -np.tanh(np.log10(lrs / 1e-2) * 3)
    assert 5e-3 < suggest_lr(lrs, curve, "steepest") < 2e-2
    with pytest.raises(ValueError, match="rule"):
        suggest_lr(lrs, losses, "best")


def _quadratic_problem(n=512, d=8, seed=0):
    """Linear regression with MSE: the loss is a quadratic in the weights whose Hessian
    2/N X^T X has largest eigenvalue lam_max, so full-batch gradient descent is stable for
    lr < 2/lam_max: a problem with a known good range of learning rates."""
    rng = np.random.default_rng(seed)
    scales = np.linspace(0.5, 2.0, d)
    X = (rng.standard_normal((n, d)) * scales).astype(np.float32)
    w = rng.standard_normal((d, 1)).astype(np.float32)
    y = (X @ w).astype(np.float32)
    lam_max = float(np.linalg.eigvalsh(2 * X.T.astype(np.float64) @ X / n).max())
    return X, y, lam_max


def test_finder_suggestion_on_a_quadratic_with_known_stable_range():
    X, y, lam_max = _quadratic_problem()
    edge = 2 / lam_max
    suggestions = []
    for seed in range(5):
        model = Dense(8, 1, rng=seed)
        loader = DataLoader(ArrayDataset(X, y), batch_size=len(X))   # full batch: exact GD
        finder = lr_find(model, MSELoss(), SGD(model.parameters(), lr=0.1), loader,
                         start_lr=1e-4, end_lr=10.0, num_iter=120)
        suggestions.append(finder.suggestion())
        # the loss blew up (the finder stopped) at a rate above the edge of stability
        assert finder.lrs[-1] > edge
    suggestions = np.array(suggestions)
    # suggestion: below the edge of stability, and within a decade and a half of it
    assert np.all(suggestions < edge), (suggestions, edge)
    assert np.all(suggestions > edge / 30), (suggestions, edge)
    # full-batch training at the suggested rate converges
    model = Dense(8, 1, rng=0)
    opt = SGD(model.parameters(), lr=float(suggestions.mean()))
    loss_fn = MSELoss()
    first = None
    for _ in range(200):
        loss = loss_fn(model(X), y)
        first = loss if first is None else first
        opt.zero_grad()
        model.backward(loss_fn.backward())
        opt.step()
    assert loss < 1e-3 * first


def test_finder_restores_model_and_optimizer_and_stops_on_divergence():
    X, y, _ = _quadratic_problem(seed=1)
    model = Sequential(Dense(8, 16, rng=0), Dense(16, 1, rng=1))
    opt = Adam(model.parameters(), lr=3e-4)
    before = model.state_dict()
    finder = lr_find(model, MSELoss(), opt, DataLoader(ArrayDataset(X, y), 64, shuffle=True, rng=0),
                     start_lr=1e-5, end_lr=1e4, num_iter=300)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())
    assert opt.state_dict()["state"] == {}
    assert opt.param_groups[0]["lr"] == 3e-4
    assert len(finder.lrs) < 300                       # stopped when the loss diverged
    assert finder.lrs == list(exponential_lrs(1e-5, 1e4, 300)[:len(finder.lrs)])
    assert len(finder.losses) == len(finder.lrs) == len(finder.smoothed)


def test_finder_rejects_bad_range():
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        LRFinder(start_lr=1.0, end_lr=0.1)


# --- search ------------------------------------------------------------------------------
def _objective(params, seed):
    rng = np.random.default_rng(seed)
    return (math.log10(params["lr"]) + 2) ** 2 + 0.01 * rng.standard_normal()


SPACE = {"lr": loguniform(1e-5, 1.0), "wd": uniform(0, 0.1), "act": ["relu", "tanh"], "k": 3}


def test_random_search_is_reproducible():
    a = random_search(_objective, SPACE, 20, seed=3)
    b = random_search(_objective, SPACE, 20, seed=3)
    c = random_search(_objective, SPACE, 20, seed=4)
    assert a.trials == b.trials
    assert [t["params"] for t in a.trials] != [t["params"] for t in c.trials]
    assert len({t["seed"] for t in a.trials}) == 20
    assert a.best == min(a.trials, key=lambda t: t["score"])


def test_grid_search_covers_the_grid_and_is_reproducible():
    grid = {"lr": [1e-3, 1e-2, 1e-1], "wd": [0.0, 0.1]}
    a = grid_search(_objective, grid, seed=0)
    assert [t["params"] for t in a.trials] == grid_points(grid)
    assert len(a) == 6 and a.trials == grid_search(_objective, grid, seed=0).trials
    assert a.best["params"]["lr"] == 1e-2
    mx = grid_search(_objective, grid, seed=0, mode="max")
    assert mx.best["score"] == max(mx.scores)


def test_search_result_ignores_nan():
    r = grid_search(lambda p, s: np.nan if p["x"] == 0 else p["x"], {"x": [0, 2, 1]})
    assert r.best["params"] == {"x": 1}


def test_sample_points_specs():
    pts = sample_points(SPACE, 500, rng=0)
    lr = np.log10([p["lr"] for p in pts])
    assert lr.min() >= -5 and lr.max() <= 0 and abs(lr.mean() + 2.5) < 0.2
    assert {p["act"] for p in pts} == {"relu", "tanh"}
    assert all(p["k"] == 3 and 0 <= p["wd"] <= 0.1 for p in pts)
    with pytest.raises(ValueError):
        loguniform(0, 1)


# --- k-fold ------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 300), data=st.data(), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_kfold_partitions(n, data, shuffle, seed):
    k = data.draw(st.integers(2, min(n, 20)))
    folds = kfold_indices(n, k, shuffle=shuffle, rng=seed)
    assert len(folds) == k
    vals = np.concatenate([va for _, va in folds])
    assert np.array_equal(np.sort(vals), np.arange(n))            # each example validated once
    sizes = [len(va) for _, va in folds]
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    for tr, va in folds:
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == n
        assert np.all(np.diff(tr) > 0)
    again = kfold_indices(n, k, shuffle=shuffle, rng=seed)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))


def test_kfold_matches_sklearn_without_shuffle():
    sklearn = pytest.importorskip("sklearn.model_selection")
    for n, k in [(10, 3), (103, 5), (7, 7)]:
        ours = kfold_indices(n, k, shuffle=False)
        theirs = list(sklearn.KFold(n_splits=k).split(np.zeros(n)))
        for (tr, va), (str_, sva) in zip(ours, theirs):
            assert np.array_equal(tr, str_) and np.array_equal(va, sva)


def test_kfold_rejects_bad_k():
    with pytest.raises(ValueError, match=r"kfold_indices: k must be an integer in \[2, 5\], got 6"):
        kfold_indices(5, 6)
    with pytest.raises(ValueError):
        kfold_indices(5, 1)


def test_cross_val_score_calls_each_fold():
    ds = ArrayDataset(np.arange(20, dtype=np.float32)[:, None], np.arange(20))
    seen = []

    def fit_and_score(tr, va):
        seen.append(set(va[np.arange(len(va))][1].tolist()))
        assert len(tr) + len(va) == 20
        return len(va)

    scores = cross_val_score(fit_and_score, ds, k=4, rng=0)
    assert scores.tolist() == [5, 5, 5, 5]
    assert set().union(*seen) == set(range(20))
