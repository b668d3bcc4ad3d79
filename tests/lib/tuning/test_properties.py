"""Property: the learning-rate finder leaves the model, the optimizer and the loader exactly
as it found them, whatever ends the test (its last rate, a divergence, an error in the loader,
the loss or a layer, an interrupt)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from mlpbook.activations import ReLU
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Module, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.normalization import BatchNorm1d
from mlpbook.optim import SGD, Adam, AdamW, RMSProp
from mlpbook.regularization import Dropout
from mlpbook.tuning import lr_find

X, Y = make_spirals(n_per_class=100, rng=0)


class Planted(Exception):
    "The failure a test plants."


class _Trip(Module):
    "Identity that raises `error` at forward call `at` (0 = never)."

    def __init__(self, at, error):
        super().__init__()
        self.at, self.error, self.calls = at, error, 0

    def forward(self, x):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return x

    def backward(self, grad_out, input_grad=True):
        return grad_out


class _TripLoss(SoftmaxCrossEntropy):
    def __init__(self, at, error):
        super().__init__()
        self.at, self.error, self.calls = at, error, 0

    def forward(self, pred, target):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return super().forward(pred, target)


class _TripLoader(DataLoader):
    def __init__(self, *args, at=0, error=None, **kw):
        super().__init__(*args, **kw)
        self.at, self.error, self.batches = at, error, 0

    def __iter__(self):
        for batch in super().__iter__():
            self.batches += 1
            if self.batches == self.at:
                raise self.error
            yield batch


OPTIMIZERS = {
    "sgd": lambda ps: SGD(ps, lr=0.05),
    "momentum": lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
    "rmsprop": lambda ps: RMSProp(ps, lr=1e-3, momentum=0.5),
    "adam": lambda ps: Adam(ps, lr=1e-3, amsgrad=True),
    "adamw": lambda ps: AdamW(ps, lr=1e-3),
}


def snapshot(model, optimizer, loader):
    params = [(p.data, p.data.copy(), p.grad, p.grad.copy()) for p in model.parameters()]
    buffers = {k: v.copy() for k, v in model.state_dict().items()}
    modes = [m.training for _, m in model.named_modules()]
    gens = [g.bit_generator.state for g in (loader.rng, model[3].rng)]
    opt = optimizer.state_dict()
    return params, buffers, modes, gens, opt


def assert_same(model, optimizer, loader, before):
    params, buffers, modes, gens, opt = before
    for p, (data, values, grad, grads) in zip(model.parameters(), params):
        assert p.data is data and np.array_equal(p.data, values), "weights changed"
        assert p.grad is grad and np.array_equal(p.grad, grads), "gradients changed"
    now = model.state_dict()
    assert all(np.array_equal(now[k], v) for k, v in buffers.items()), "buffers changed"
    assert [m.training for _, m in model.named_modules()] == modes, "modes changed"
    assert [g.bit_generator.state for g in (loader.rng, model[3].rng)] == gens, \
        "a random generator moved"
    state = optimizer.state_dict()
    assert state["param_groups"] == opt["param_groups"], "hyper-parameters changed"
    assert state["state"].keys() == opt["state"].keys(), "optimizer state changed"
    for i, entry in opt["state"].items():
        for k, v in entry.items():
            assert np.array_equal(state["state"][i][k], v), f"optimizer state {k} changed"


@settings(max_examples=40, deadline=None)
@given(failure=st.sampled_from(["none", "diverge", "loader", "loss", "layer", "interrupt"]),
       at=st.integers(1, 12), opt=st.sampled_from(sorted(OPTIMIZERS)),
       warm=st.booleans(), training=st.booleans(), seed=st.integers(0, 3))
def test_finder_leaves_everything_as_it_found_it(failure, at, opt, warm, training, seed):
    error = KeyboardInterrupt() if failure == "interrupt" else Planted("planted")
    trip = _Trip(0, error)
    model = Sequential(Dense(2, 16, rng=seed), BatchNorm1d(16), ReLU(),
                       Dropout(0.2, rng=seed + 1), trip, Dense(16, 3, rng=seed + 2))
    optimizer = OPTIMIZERS[opt](model.parameters())
    if warm:                       # an optimizer with state, gradients left in .grad
        warm_loss = SoftmaxCrossEntropy()
        warm_loss(model(X[:32]), Y[:32])
        model.backward(warm_loss.backward())
        optimizer.step()
    trip.at, trip.calls = (at if failure in ("layer", "interrupt") else 0), 0
    loss_fn = _TripLoss(at if failure == "loss" else 0, error)
    loader = _TripLoader(ArrayDataset(X, Y), 32, shuffle=True, rng=seed,
                         at=at if failure == "loader" else 0, error=error)
    model.train(training)
    before = snapshot(model, optimizer, loader)
    end_lr = 1e6 if failure == "diverge" else 1.0
    raised = None
    try:
        finder = lr_find(model, loss_fn, optimizer, loader, start_lr=1e-4, end_lr=end_lr,
                         num_iter=20)
    except (Planted, KeyboardInterrupt) as err:
        raised = err
    assert_same(model, optimizer, loader, before)
    if failure in ("none", "diverge"):
        assert raised is None and len(finder.lrs) >= 1
    else:
        assert raised is error


def test_the_property_sees_a_change():
    "The comparison itself notices a moved weight, generator or learning rate."
    model = Sequential(Dense(2, 16, rng=0), BatchNorm1d(16), ReLU(), Dropout(0.2, rng=1),
                       _Trip(0, None), Dense(16, 3, rng=2))
    optimizer = SGD(model.parameters(), lr=0.1)
    loader = _TripLoader(ArrayDataset(X, Y), 32, shuffle=True, rng=0)
    before = snapshot(model, optimizer, loader)
    optimizer.param_groups[0]["lr"] = 0.2
    with pytest.raises(AssertionError, match="hyper-parameters"):
        assert_same(model, optimizer, loader, before)
    optimizer.param_groups[0]["lr"] = 0.1
    next(iter(loader))
    with pytest.raises(AssertionError, match="generator"):
        assert_same(model, optimizer, loader, before)
