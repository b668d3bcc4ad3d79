"""Misuse of mlpbook.tuning: each bad call fails with a message naming the function and the
argument, or does the one sensible thing; nothing is silently wrong."""
import math

import numpy as np
import pytest

from mlpbook.activations import ReLU, Softmax
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Module, Sequential
from mlpbook.losses import CategoricalCrossEntropy, SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam
from mlpbook.trainer import Trainer
from mlpbook.tuning import (LRFinder, SearchResult, cross_val_score, exponential_lrs,
                            grid_points, grid_search, kfold_indices, loguniform, lr_find,
                            random_search, sample_points, smooth_losses, suggest_lr, uniform)


def _spirals():
    X, y = make_spirals(rng=0)
    return ArrayDataset(X, y)


def _state(model, optimizer, loader):
    return ({k: v.copy() for k, v in model.state_dict().items()},
            optimizer.state_dict(), loader.rng.bit_generator.state)


def _same(a, b):
    (wa, oa, ga), (wb, ob, gb) = a, b
    assert wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert oa["param_groups"] == ob["param_groups"]
    assert oa["state"].keys() == ob["state"].keys()
    for i in oa["state"]:
        for k, v in oa["state"][i].items():
            assert np.array_equal(v, ob["state"][i][k])
    assert ga == gb


# --- the learning-rate finder -------------------------------------------------------------
def test_finder_with_softmax_and_categorical_cross_entropy_returns_the_curve():
    # the loss became inf (FloatingPointError in a Trainer), the curve was lost
    ds = _spirals()
    for seed in range(4):
        net = Sequential(Dense(2, 32, rng=seed), ReLU(), Dense(32, 3, rng=seed + 1), Softmax())
        opt = SGD(net.parameters(), lr=0.01)
        loader = DataLoader(ds, 64, shuffle=True, rng=seed)
        before = _state(net, opt, loader)
        finder = lr_find(net, CategoricalCrossEntropy(), opt, loader, end_lr=100)
        assert finder.diverged and len(finder.lrs) == len(finder.losses) > 3
        assert np.isfinite(finder.suggestion())
        _same(before, _state(net, opt, loader))


def test_finder_with_adam_diverging_to_nan_weights_restores_everything():
    # the loss refused NaN probabilities (ValueError): weights were left NaN, lr at 15.26
    ds, diverged = _spirals(), 0
    for seed in range(4):
        net = Sequential(Dense(2, 32, rng=seed), ReLU(), Dense(32, 3, rng=seed + 1), Softmax())
        opt = Adam(net.parameters(), lr=0.01)
        loader = DataLoader(ds, 64, shuffle=True, rng=seed)
        before = _state(net, opt, loader)
        finder = lr_find(net, CategoricalCrossEntropy(), opt, loader, end_lr=100, num_iter=50)
        diverged += finder.diverged
        assert len(finder.lrs) == len(finder.losses) > 3
        _same(before, _state(net, opt, loader))
        assert opt.param_groups[0]["lr"] == 0.01
    assert diverged >= 3


class _BlowUp(Module):
    "Passes its input on, except at forward call `at`, where the output turns NaN."

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, x):
        self.calls += 1
        return x * np.nan if self.calls == self.at else x

    def backward(self, grad_out, input_grad=True):
        return grad_out


def test_a_divergence_that_makes_the_loss_raise_returns_the_curve():
    # finite weights, a NaN output: CategoricalCrossEntropy refuses it with a ValueError
    ds = _spirals()
    net = Sequential(Dense(2, 3, rng=0), _BlowUp(at=6), Softmax())
    opt = SGD(net.parameters(), lr=0.01)
    loader = DataLoader(ds, 64, shuffle=True, rng=0)
    before = _state(net, opt, loader)
    finder = lr_find(net, CategoricalCrossEntropy(), opt, loader, num_iter=40)
    assert finder.diverged and isinstance(finder.error, ValueError)
    assert len(finder.lrs) == 5
    _same(before, _state(net, opt, loader))


class _FailingLoader:
    "Yields (x, y) batches and raises `error` at batch `at` (counted over all epochs)."

    def __init__(self, X, y, at, error=OSError("disk gone"), batch=32):
        self.X, self.y, self.at, self.error, self.batch, self.seen = X, y, at, error, batch, 0

    def __len__(self):
        return len(self.X) // self.batch

    def __iter__(self):
        for i in range(len(self)):
            if self.seen == self.at:
                raise self.error
            self.seen += 1
            yield self.X[i * self.batch:(i + 1) * self.batch], self.y[i * self.batch:(i + 1) * self.batch]


def test_finder_loader_error_is_raised_after_everything_is_put_back():
    X, y = make_spirals(rng=0)
    net = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1))
    opt = Adam(net.parameters(), lr=0.01)
    weights = {k: v.copy() for k, v in net.state_dict().items()}
    with pytest.raises(OSError, match="disk gone"):
        lr_find(net, SoftmaxCrossEntropy(), opt, _FailingLoader(X.astype(np.float32), y, 7),
                num_iter=50)
    assert all(np.array_equal(weights[k], v) for k, v in net.state_dict().items())
    assert opt.param_groups[0]["lr"] == 0.01 and opt.state_dict()["state"] == {}


def test_finder_leaves_the_loader_generator_as_it_found_it():
    ds = _spirals()
    net = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1))
    loader = DataLoader(ds, 64, shuffle=True, rng=3)
    state = loader.rng.bit_generator.state
    lr_find(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), loader, num_iter=40)
    assert loader.rng.bit_generator.state == state
    first = next(iter(loader))[1]
    assert np.array_equal(first, next(iter(DataLoader(ds, 64, shuffle=True, rng=3)))[1])


def test_finder_puts_back_modes_and_gradients():
    ds = _spirals()
    net = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1))
    net.eval()
    for p in net.parameters():
        p.grad += 1.5
    grads = [p.grad for p in net.parameters()]
    lr_find(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1), DataLoader(ds, 64),
            num_iter=20)
    assert not any(m.training for _, m in net.named_modules())
    assert all(p.grad is g and np.all(g == 1.5) for p, g in zip(net.parameters(), grads))


def test_finder_in_a_users_trainer_keeps_its_curve_when_the_trainer_stops_on_nan():
    ds = _spirals()
    net = Sequential(Dense(2, 32, rng=1), ReLU(), Dense(32, 3, rng=2), Softmax())
    opt = SGD(net.parameters(), lr=0.01)
    finder = LRFinder(end_lr=1e4, num_iter=200, diverge=1e9)   # only a NaN or inf stops it
    trainer = Trainer(net, CategoricalCrossEntropy(), opt, callbacks=[finder])
    with np.errstate(all="ignore"), pytest.raises((FloatingPointError, ValueError)):
        trainer.fit(DataLoader(ds, 64, shuffle=True, rng=0), 20)
    assert finder.diverged and finder.error is not None and len(finder.lrs) > 3
    assert opt.param_groups[0]["lr"] == 0.01


def test_finder_arguments_are_checked():
    with pytest.raises(ValueError, match=r"LRFinder: needs 0 < start_lr < end_lr"):
        LRFinder(start_lr=1.0, end_lr=0.1)
    with pytest.raises(ValueError, match=r"LRFinder: start_lr must be a finite number"):
        LRFinder(start_lr=-1.0)
    with pytest.raises(TypeError, match=r"LRFinder: num_iter must be an integer, got float"):
        LRFinder(num_iter=50.5)
    with pytest.raises(ValueError, match=r"LRFinder: num_iter must be an integer in \[2"):
        LRFinder(num_iter=1)
    with pytest.raises(ValueError, match=r"LRFinder: beta must be a finite number in \[0, 1\)"):
        LRFinder(beta=1.0)
    with pytest.raises(ValueError, match=r"LRFinder: diverge must be a finite number in \(1"):
        LRFinder(diverge=0.5)
    with pytest.raises(TypeError, match=r"LRFinder: end_lr must be a real number, got str"):
        LRFinder(end_lr="10")


def test_lr_find_needs_a_loader_with_batches():
    net = Sequential(Dense(2, 3, rng=0))
    opt = SGD(net.parameters(), lr=0.1)
    batches = ((np.zeros((4, 2), np.float32), np.zeros(4, np.int64)) for _ in range(3))
    with pytest.raises(TypeError, match=r"lr_find: train_loader must be a loader with a length"):
        lr_find(net, SoftmaxCrossEntropy(), opt, batches)
    with pytest.raises(ValueError, match=r"lr_find: train_loader yields no batches"):
        lr_find(net, SoftmaxCrossEntropy(), opt, [])


def test_suggestion_before_any_test_says_so():
    with pytest.raises(RuntimeError, match=r"LRFinder.suggestion: no range test has run yet"):
        LRFinder().suggestion()


def test_finder_pieces_check_their_arguments():
    with pytest.raises(ValueError, match=r"exponential_lrs: num_iter must be an integer in \[2"):
        exponential_lrs(1e-3, 1.0, 1)          # was a single rate, not the end_lr asked for
    with pytest.raises(ValueError, match=r"exponential_lrs: needs 0 < start_lr < end_lr"):
        exponential_lrs(1.0, 1e-3, 10)
    with pytest.raises(ValueError, match=r"smooth_losses: beta must be a finite number in \[0, 1\)"):
        smooth_losses([1.0, 2.0], beta=1.0)    # was 0/0 = NaN everywhere
    with pytest.raises(ValueError, match=r"smooth_losses: losses must have 1 dimension"):
        smooth_losses([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"smooth_losses: losses must hold real numbers"):
        smooth_losses(["1", "2"])
    lrs = exponential_lrs(1e-3, 1.0, 10)
    with pytest.raises(ValueError, match=r"suggest_lr: rule must be one of 'minimum', 'steepest'"):
        suggest_lr(lrs, np.ones(10), "best")
    with pytest.raises(ValueError, match=r"suggest_lr: lrs and losses must be two sequences of one length"):
        suggest_lr(lrs, np.ones(9))            # was: zipped silently or a raw IndexError
    with pytest.raises(ValueError, match=r"suggest_lr: every learning rate must be a finite number > 0"):
        suggest_lr(-lrs, np.arange(10.0))
    with pytest.raises(ValueError, match=r"suggest_lr: needs at least 3 finite losses, got 2 of 10"):
        suggest_lr(lrs, [1.0, 2.0] + [np.nan] * 8)


# --- search ------------------------------------------------------------------------------
def test_a_string_in_a_grid_is_one_value():
    r = grid_search(lambda p, s: 0.0, {"act": "relu", "lr": [0.1, 0.01]})
    assert [t["params"] for t in r.trials] == [{"act": "relu", "lr": 0.1},
                                               {"act": "relu", "lr": 0.01}]
    assert grid_points({"act": "relu"}) == [{"act": "relu"}]
    assert grid_points({"width": 64}) == [{"width": 64}]


def test_a_string_or_a_class_in_a_space_is_a_constant_and_arrays_are_choices():
    pts = sample_points({"act": "relu", "layer": ReLU, "w": np.array([16, 32])}, 50, 0)
    assert all(p["act"] == "relu" and p["layer"] is ReLU for p in pts)
    assert {int(p["w"]) for p in pts} == {16, 32}
    assert {p["w"] for p in sample_points({"w": range(3)}, 60, 0)} == {0, 1, 2}


def test_grid_and_space_must_be_dicts_of_ordered_values():
    with pytest.raises(TypeError, match=r"grid_points: grid must be a dict"):
        grid_points([("lr", [0.1])])
    with pytest.raises(TypeError, match=r"grid_points: grid\['lr'\] is a set; give its values as a list"):
        grid_points({"lr": {0.1, 0.01}})
    with pytest.raises(ValueError, match=r"grid_search: grid\['lr'\] holds no values"):
        grid_search(lambda p, s: 0.0, {"lr": []})
    with pytest.raises(TypeError, match=r"sample_points: space must be a dict"):
        sample_points(None, 3, 0)
    with pytest.raises(ValueError, match=r"sample_points: space\['act'\] holds no values"):
        sample_points({"act": []}, 3, 0)


def test_search_arguments_are_checked():
    with pytest.raises(TypeError, match=r"random_search: n_trials must be an integer, got float"):
        random_search(lambda p, s: 0.0, {"x": uniform(0, 1)}, 2.5)
    with pytest.raises(ValueError, match=r"random_search: n_trials must be an integer in \[1"):
        random_search(lambda p, s: 0.0, {"x": uniform(0, 1)}, 0)
    with pytest.raises(ValueError, match=r"grid_search: seed must be an integer in \[0"):
        grid_search(lambda p, s: 0.0, {"x": [1]}, seed=-1)
    with pytest.raises(ValueError, match=r"random_search: mode must be one of 'min', 'max'"):
        random_search(lambda p, s: 0.0, {"x": [1]}, 3, mode="minimum")
    with pytest.raises(TypeError, match=r"grid_search: objective must be a function"):
        grid_search({"x": [1]}, lambda p, s: 0.0)
    with pytest.raises(TypeError, match=r"sample_points: rng must be an np.random.Generator"):
        sample_points({"x": [1]}, 3, rng="0")


def test_an_objective_that_returns_no_number_is_named():
    with pytest.raises(TypeError, match=r"grid_search: the score for params \{'x': 1\} is dict"):
        grid_search(lambda p, s: {"loss": 1.0}, {"x": [1]})
    with pytest.raises(TypeError, match=r"random_search: the score for params .* is NoneType"):
        random_search(lambda p, s: None, {"x": [1]}, 2)
    assert grid_search(lambda p, s: np.float32(2.5), {"x": [1]}).best["score"] == 2.5
    assert grid_search(lambda p, s: np.array([1.5]), {"x": [1]}).best["score"] == 1.5


def test_a_search_whose_every_score_is_nan_has_no_best():
    r = grid_search(lambda p, s: math.nan, {"x": [1, 2]})    # was: the first trial, NaN
    with pytest.raises(ValueError, match=r"SearchResult: none of the 2 trials has a score"):
        r.best
    assert "best=None" in repr(r)


def test_samplers_check_their_interval():
    with pytest.raises(ValueError, match=r"uniform: needs low < high, got low=1.0, high=0.0"):
        uniform(1, 0)                          # was: values drawn from (0, 1] anyway
    with pytest.raises(ValueError, match=r"loguniform: low must be a finite number in \(0"):
        loguniform(0, 1)
    with pytest.raises(TypeError, match=r"loguniform: high must be a real number, got str"):
        loguniform(1e-4, "1")
    with pytest.raises(ValueError, match=r"SearchResult: mode must be one of"):
        SearchResult([], mode="best")


# --- k-fold ------------------------------------------------------------------------------
def test_kfold_arguments_name_the_mistake():
    with pytest.raises(TypeError, match=r"kfold_indices: k must be an integer, got float 2.5"):
        kfold_indices(10, 2.5)                 # was a raw NumPy TypeError
    with pytest.raises(TypeError, match=r"kfold_indices: k must be an integer, got str"):
        kfold_indices(10, "3")
    with pytest.raises(TypeError, match=r"kfold_indices: n must be an integer, got float 10.0"):
        kfold_indices(10.0, 2)                 # was a raw AxisError
    with pytest.raises(ValueError, match=r"kfold_indices: n must be an integer in \[2"):
        kfold_indices(1, 2)
    with pytest.raises(TypeError, match=r"kfold_indices: shuffle must be True or False"):
        kfold_indices(10, 2, shuffle="no")     # was: shuffled, since "no" is true
    with pytest.raises(ValueError, match=r"kfold_indices: rng must be a seed >= 0"):
        kfold_indices(10, 2, rng=-1)


def test_cross_val_score_arguments_are_named():
    ds = ArrayDataset(np.zeros((10, 2), np.float32), np.zeros(10, np.int64))
    with pytest.raises(TypeError, match=r"cross_val_score: fit_and_score must be a function"):
        cross_val_score(ds, lambda tr, va: 1.0)
    with pytest.raises(TypeError, match=r"cross_val_score: dataset must be a dataset"):
        cross_val_score(lambda tr, va: 1.0, 10)
    with pytest.raises(TypeError, match=r"cross_val_score: the score for fold 0 is str"):
        cross_val_score(lambda tr, va: "high", ds, k=2, rng=0)
