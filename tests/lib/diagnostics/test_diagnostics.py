"""Tests of mlpbook.diagnostics: the statistics callback against direct computation."""
import numpy as np
import pytest

from mlpbook.activations import ReLU, Tanh
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.diagnostics import (ActivationStats, activation_stats, register_forward_hook,
                                 update_ratio)
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam
from mlpbook.trainer import Trainer


def _net(seed=0):
    return Sequential(Dense(6, 5, rng=seed), ReLU(), Dense(5, 4, rng=seed + 1), Tanh(),
                      Dense(4, 3, rng=seed + 2))


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, n)


def test_activation_stats_and_update_ratio():
    a = np.array([[0.0, 1.0, 0.0], [0.0, -2.0, 3.0]])
    mean, std, dead = activation_stats(a)
    assert mean == pytest.approx(a.mean()) and std == pytest.approx(a.std())
    assert dead == pytest.approx(1 / 3)
    W = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    assert update_ratio(W, W * 1.1) == pytest.approx(0.1, rel=1e-6)
    assert update_ratio(np.zeros(3), np.ones(3)) == float("inf")


def test_hook_sees_output_and_is_removed():
    layer = ReLU()
    seen = []
    handle = register_forward_hook(layer, lambda m, x, out: seen.append((m, x, out)))
    x = np.array([[-1.0, 2.0]])
    out = layer(x)
    assert seen[0][0] is layer and seen[0][1] is x and np.array_equal(seen[0][2], out)
    handle.remove()
    layer(x)
    assert len(seen) == 1 and "forward" not in vars(layer)


def test_callback_numbers_equal_direct_computation_for_every_batch():
    X, y = _data()
    net, twin = _net(), _net()
    rec = ActivationStats()
    lr = 0.05
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=lr), callbacks=[rec]).fit(
        DataLoader(ArrayDataset(X, y), batch_size=8), 1)
    opt = SGD(twin.parameters(), lr=lr)
    loss_fn = SoftmaxCrossEntropy()
    for b in range(5):
        xb, yb = X[8 * b: 8 * b + 8], y[8 * b: 8 * b + 8]
        h1 = twin[1](twin[0](xb))
        h2 = twin[3](twin[2](h1))
        loss_fn(twin[4](h2), yb)
        opt.zero_grad()
        twin.backward(loss_fn.backward())
        for name, h in (("1", h1), ("3", h2)):
            got = [rec.series(name, k)[b] for k in ("mean", "std", "dead")]
            assert np.allclose(got, activation_stats(h), rtol=1e-5, atol=1e-7)
            hist = np.histogram(np.minimum(np.abs(h), 10.0), np.linspace(0, 10, 41))[0]
            assert np.array_equal(rec.series(name, "hist")[b], hist)
        for name, p in twin.named_parameters():
            if p.data.ndim == 2:
                g = np.linalg.norm(p.grad)
                assert rec.series(name, "grad_norm")[b] == pytest.approx(g, rel=1e-5)
                expected = lr * g / np.linalg.norm(p.data)       # plain SGD: eta |g| / |W|
                assert rec.series(name, "update_ratio")[b] == pytest.approx(expected, rel=1e-3)
        opt.step()
    assert rec.steps == [0, 1, 2, 3, 4]
    assert set(rec.weights) == {"0.W", "2.W", "4.W"}
    assert all("forward" not in vars(m) for m in net)


def test_every_and_no_validation_records():
    X, y = _data(64)
    net = _net()
    rec = ActivationStats(every=3)
    trainer = Trainer(net, SoftmaxCrossEntropy(), Adam(net.parameters(), lr=1e-2), callbacks=[rec])
    trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=8), 2,
                val_loader=DataLoader(ArrayDataset(X, y), batch_size=8))
    assert rec.steps == list(range(0, 16, 3))
    assert all(len(rec.series(n, "mean")) == len(rec.steps) for n in rec.stats)
    assert all(len(rec.series(w, "update_ratio")) == len(rec.steps) for w in rec.weights)


def test_dead_units_counted():
    net = Sequential(Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1))
    net[0].b.data[:2] = -100.0                          # two units off for every input
    X = np.random.default_rng(0).uniform(-1, 1, (16, 3)).astype(np.float32)
    rec = ActivationStats(modules=["1"])
    Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters(), lr=0.0), callbacks=[rec]).fit(
        DataLoader(ArrayDataset(X, np.zeros(16, dtype=np.int64)), batch_size=16), 1)
    assert rec.series("1", "dead")[0] >= 0.5


def test_no_activation_layer_is_an_error():
    net = Sequential(Dense(2, 2, rng=0))
    with pytest.raises(ValueError, match="no layer to watch"):
        Trainer(net, SoftmaxCrossEntropy(), SGD(net.parameters()), callbacks=[ActivationStats()]).fit(
            DataLoader(ArrayDataset(np.zeros((2, 2), np.float32), np.zeros(2, np.int64))), 1)
