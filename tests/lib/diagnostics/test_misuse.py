"""Misuse of mlpbook.diagnostics: hooks never stay on a model, a recorded batch is whole, and
bad arguments are refused with a message naming the function and the argument."""
import numpy as np
import pytest

from mlpbook.activations import ReLU, Tanh
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.diagnostics import (ActivationStats, activation_stats, plot_colorful_dimension,
                                 register_forward_hook, update_ratio)
from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD
from mlpbook.trainer import Callback, CancelBatchException, Trainer


def _net(seed=0):
    return Sequential(Dense(6, 5, rng=seed), ReLU(), Dense(5, 4, rng=seed + 1), Tanh(),
                      Dense(4, 3, rng=seed + 2))


def _loader(n=40, seed=0, batch=8):
    rng = np.random.default_rng(seed)
    X, y = rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, n)
    return DataLoader(ArrayDataset(X, y), batch_size=batch)


def _no_hooks(model):
    return all("forward" not in vars(m) for _, m in model.named_modules())


def test_two_activation_stats_on_one_model_leave_no_hook_and_record_alike():
    # the second hook stayed on the model, and gradcheck then failed on a correct model
    net = _net()
    a, b = ActivationStats(), ActivationStats(every=2)
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
            callbacks=[a, b]).fit(_loader(), 1)
    assert _no_hooks(net)
    assert gradcheck(net, np.random.default_rng(0).standard_normal((2, 6)))
    assert a.steps == [0, 1, 2, 3, 4] and b.steps == [0, 2, 4]
    for name in a.stats:
        assert np.array_equal(a.series(name, "mean")[::2], b.series(name, "mean"))


class _Boom(Callback):
    def __init__(self, at):
        self.at, self.seen = at, 0

    def after_batch(self, trainer):
        self.seen += 1
        if self.seen == self.at:
            raise OSError("disk gone")


def test_a_fit_that_raises_leaves_no_hook_and_predict_adds_nothing():
    net = _net()
    rec = ActivationStats()
    trainer = Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
                      callbacks=[rec, _Boom(3)])
    with pytest.raises(OSError, match="disk gone"):
        trainer.fit(_loader(), 2)
    assert _no_hooks(net)
    recorded = len(rec.steps)
    trainer.predict(np.ones((4, 6), np.float32))
    net(np.ones((4, 6), np.float32))
    assert len(rec.steps) == recorded == 3
    assert all(len(rec.series(n, "mean")) == recorded for n in rec.stats)


def test_hooks_record_only_training_passes():
    net = _net()
    rec = ActivationStats()
    trainer = Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
                      callbacks=[rec])

    class Peek(Callback):                      # evaluates in the middle of a recorded batch
        order = -10

        def after_backward(self, tr):
            tr.evaluate(_loader(16, seed=5))

    trainer.callbacks.insert(0, Peek())
    trainer.fit(_loader(), 1)
    twin = _net()
    h1 = twin[1](twin[0](next(iter(_loader()))[0]))
    assert np.isclose(rec.series("1", "mean")[0], h1.mean())


class _CancelAfterBackward(Callback):
    order = -10                                # runs before ActivationStats' after_backward

    def __init__(self, which):
        self.which, self.seen = which, -1

    def before_batch(self, trainer):
        self.seen += 1

    def after_backward(self, trainer):
        if self.seen in self.which:
            raise CancelBatchException()


def test_a_cancelled_batch_is_not_recorded_in_part():
    net = _net()
    rec = ActivationStats()
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
            callbacks=[rec, _CancelAfterBackward({1, 3})]).fit(_loader(), 1)
    assert rec.steps == [0, 2, 4]
    for n in rec.stats:
        assert len(rec.series(n, "mean")) == 3
    for w in rec.weights:
        assert len(rec.series(w, "grad_norm")) == len(rec.series(w, "update_ratio")) == 3


def test_hooks_come_off_in_any_order_and_may_replace_the_output():
    layer = ReLU()
    calls = []
    first = register_forward_hook(layer, lambda m, x, out: calls.append("first"))
    second = register_forward_hook(layer, lambda m, x, out: out * 2)
    x = np.array([[1.0, -1.0]])
    assert np.array_equal(layer(x), [[2.0, 0.0]]) and calls == ["first"]
    first.remove()
    assert np.array_equal(layer(x), [[2.0, 0.0]]) and calls == ["first"]
    first.remove()                             # a second remove does nothing
    second.remove()
    assert "forward" not in vars(layer) and np.array_equal(layer(x), [[1.0, 0.0]])


def test_modules_given_as_one_name_or_unknown_names():
    net = _net()
    rec = ActivationStats(modules="3")         # one name, not the characters of a string
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
            callbacks=[rec]).fit(_loader(), 1)
    assert list(rec.stats) == ["3"]
    bad = ActivationStats(modules="13")        # before: watched "1" and "3", both in "13"
    trainer = Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
                      callbacks=[bad])
    with pytest.raises(ValueError, match=r"ActivationStats: modules \['13'\] are not in "
                                         r"the model; its modules are \['0', '1'"):
        trainer.fit(_loader(), 1)
    assert _no_hooks(net)
    with pytest.raises(TypeError, match=r"ActivationStats: modules must be None or a list"):
        ActivationStats(modules=[1, 3])


def test_callback_arguments_are_checked():
    with pytest.raises(ValueError, match=r"ActivationStats: every must be an integer in \[1"):
        ActivationStats(every=0)                # before: ZeroDivisionError in the first batch
    with pytest.raises(TypeError, match=r"ActivationStats: every must be an integer, got float"):
        ActivationStats(every=1.5)
    with pytest.raises(ValueError, match=r"ActivationStats: bins must be an integer in \[1"):
        ActivationStats(bins=0)
    with pytest.raises(ValueError, match=r"ActivationStats: hist_max must be a finite number"):
        ActivationStats(hist_max=-1.0)          # before: a histogram with decreasing edges


def test_series_names_what_exists():
    rec = ActivationStats()
    with pytest.raises(KeyError, match=r"'1' is not a watched layer recorded; .*before a fit"):
        rec.series("1", "mean")                 # before: AttributeError 'stats'
    net = _net()
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
            callbacks=[rec]).fit(_loader(), 1)
    with pytest.raises(KeyError, match=r"'5' is not a watched layer recorded; those are "
                                       r"\['1', '3'\]"):
        rec.series("5", "mean")
    with pytest.raises(ValueError, match=r"ActivationStats.series: key must be one of"):
        rec.series("1")                          # before: KeyError None
    with pytest.raises(KeyError, match=r"'1.W' is not a weight matrix recorded; those are "
                                       r"\['0.W', '2.W', '4.W'\]"):
        rec.series("1.W", "grad_norm")


def test_statistics_functions_check_their_input():
    with pytest.raises(ValueError, match=r"activation_stats: a must have 2 dimensions"):
        activation_stats(np.zeros(5))            # before: a whole vector counted as one unit
    with pytest.raises(ValueError, match=r"activation_stats: a holds no example"):
        activation_stats(np.zeros((0, 4)))       # before: NaN with a RuntimeWarning
    with pytest.raises(TypeError, match=r"activation_stats: a must hold real numbers"):
        activation_stats(np.array([["a", "b"]]))
    W = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"update_ratio: expected after of shape \(3, 4\), "
                                         r"got \(4,\)"):
        update_ratio(W, np.ones(4))              # before: broadcast silently
    with pytest.raises(TypeError, match=r"update_ratio: before must hold real numbers"):
        update_ratio(np.array([True, False]), np.array([1.0, 0.0]))


def test_hook_and_plot_arguments_are_checked():
    with pytest.raises(TypeError, match=r"register_forward_hook: module must be an mlpbook "
                                        r"Module"):
        register_forward_hook(lambda x: x, print)
    with pytest.raises(TypeError, match=r"register_forward_hook: hook must be a function"):
        register_forward_hook(ReLU(), "print")
    rec = ActivationStats()
    with pytest.raises(ValueError, match=r"plot_colorful_dimension: stats has recorded no "
                                         r"training step yet"):
        plot_colorful_dimension(rec)            # before: IndexError
    net = _net()
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.1),
            callbacks=[rec]).fit(_loader(), 1)
    with pytest.raises(KeyError, match=r"layers \['7'\] were not recorded"):
        plot_colorful_dimension(rec, layers=["7"])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    _, axes = plt.subplots(1, 1, squeeze=False)
    with pytest.raises(ValueError, match=r"2 layers need 2 axes, got 1"):
        plot_colorful_dimension(rec, axes=axes[:, 0])   # before: one layer dropped silently
    plt.close("all")
