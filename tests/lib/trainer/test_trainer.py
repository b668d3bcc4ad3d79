"""The Trainer: its events and their order, cancelling, History, metrics, fit semantics and
non-finite losses."""
import math

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import LambdaCallback
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss, SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam
from mlpbook.trainer import (Callback, CancelBatchException, CancelEpochException,
                             CancelFitException, History, Trainer)


def _model(seed=0):
    return Sequential(Dense(2, 16, rng=seed), ReLU(), Dense(16, 3, rng=seed + 1))


def _trainer(model=None, callbacks=(), lr=1e-2, metrics=("accuracy",)):
    model = model or _model()
    return Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=lr), callbacks=callbacks, metrics=metrics)


class Recorder(Callback):
    def __init__(self):
        self.events, self.modes = [], []
    def _rec(self, t, e):
        self.events.append((e, t.epoch, getattr(t, "batch_index", None) if "batch" in e or "backward" in e else None))
        self.modes.append((e, t.model.training))
    def before_fit(self, t): self._rec(t, "before_fit")
    def before_epoch(self, t): self._rec(t, "before_epoch")
    def before_batch(self, t): self._rec(t, "before_batch")
    def after_backward(self, t): self._rec(t, "after_backward")
    def after_batch(self, t): self._rec(t, "after_batch")
    def after_validate(self, t): self._rec(t, "after_validate")
    def after_epoch(self, t): self._rec(t, "after_epoch")
    def after_fit(self, t): self._rec(t, "after_fit")


def test_event_order_and_modes(spirals):
    train, val = spirals
    rec = Recorder()
    trainer = _trainer(callbacks=[rec])
    trainer.fit(DataLoader(train, batch_size=100), epochs=2, val_loader=DataLoader(val, batch_size=100))
    batch = ["before_batch", "after_backward", "after_batch"]
    per_epoch = ["before_epoch"] + batch * 3 + ["after_validate", "after_epoch"]       # 240 examples / 100 = 3 batches
    assert [e for e, _, _ in rec.events] == ["before_fit"] + per_epoch * 2 + ["after_fit"]
    assert all(mode for e, mode in rec.modes if e in ("before_epoch", "before_batch", "after_batch"))
    assert all(not mode for e, mode in rec.modes if e in ("after_validate",))           # validated in eval mode
    assert [b for e, _, b in rec.events if e == "after_batch"] == [0, 1, 2, 0, 1, 2]


def test_callbacks_run_in_order(spirals):
    seen = []
    cbs = [LambdaCallback(order=5, after_epoch=lambda t: seen.append("b")),
           LambdaCallback(order=-1, after_epoch=lambda t: seen.append("a")),
           LambdaCallback(order=9, after_epoch=lambda t: seen.append("c"))]
    _trainer(callbacks=cbs).fit(DataLoader(spirals[0], batch_size=64), epochs=1)
    assert seen == ["a", "b", "c"]


def test_cancel_batch_epoch_fit(spirals):
    train, _ = spirals
    model = _model()
    W0 = model[0].W.data.copy()
    class SkipAll(Callback):
        def before_batch(self, t):
            raise CancelBatchException()
    h = _trainer(model, callbacks=[SkipAll()]).fit(DataLoader(train, batch_size=32), epochs=2)
    np.testing.assert_array_equal(model[0].W.data, W0)         # no update happened
    assert len(h) == 2 and math.isnan(h["loss"][0])

    class OneBatchPerEpoch(Callback):
        def after_batch(self, t):
            self.count = getattr(self, "count", 0) + 1
            raise CancelEpochException()
    cb = OneBatchPerEpoch()
    _trainer(callbacks=[cb]).fit(DataLoader(train, batch_size=32), epochs=3)
    assert cb.count == 3

    rec = Recorder()
    stop = LambdaCallback(order=-5, after_epoch=lambda t: (_ for _ in ()).throw(CancelFitException()))
    h = _trainer(callbacks=[stop, rec]).fit(DataLoader(train, batch_size=64), epochs=5)
    assert len(h) == 1
    names = [e for e, _, _ in rec.events]
    assert names[-2:] == ["after_epoch", "after_fit"]           # later callbacks still saw the epoch; after_fit ran


def test_history_and_metrics(spirals):
    train, val = spirals
    h = _trainer(metrics=["accuracy", "f1_macro"]).fit(DataLoader(train, batch_size=32, shuffle=True, rng=0), 4,
                                                       DataLoader(val, batch_size=40))
    assert h.keys() == ["loss", "accuracy", "f1_macro", "val_loss", "val_accuracy", "val_f1_macro"]
    assert len(h["val_loss"]) == 4 and h["loss"][-1] < h["loss"][0]


def test_epoch_loss_weighted_by_batch_size():
    X = np.zeros((5, 1), np.float32)
    y = np.array([[0.0], [0.0], [0.0], [0.0], [10.0]], np.float32)
    model = Sequential(Dense(1, 1, init="zeros"))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.0))
    assert trainer.evaluate(DataLoader(ArrayDataset(X, y), batch_size=4))["loss"] == pytest.approx(100 / 5)


def test_predict_and_evaluate_in_eval_mode(spirals):
    train, val = spirals
    trainer = _trainer()
    trainer.model.train()
    x_val = val[np.arange(len(val))][0]
    out = trainer.predict(x_val, batch_size=7)
    assert out.shape == (len(val), 3)
    trainer.model.eval()
    assert np.array_equal(out, trainer.model(x_val)), "predict runs in eval mode"
    trainer.model.train()
    trainer.predict(x_val)
    assert trainer.model.training, "predict restores the mode it found"
    with pytest.raises(ValueError, match="no batches"):
        trainer.evaluate(DataLoader(ArrayDataset(np.zeros((0, 2)), np.zeros(0, int)), batch_size=4))


def test_trainer_rejects_non_module():
    with pytest.raises(TypeError, match="Module"):
        Trainer(lambda x: x, MSELoss(), None)


# --- fit semantics, empty loaders, History, non-finite losses ------------------------
def test_fit_runs_n_more_epochs(spirals):
    train, val = spirals
    rec = Recorder()
    trainer = _trainer(callbacks=[rec])
    loader = DataLoader(train, batch_size=80)
    trainer.fit(loader, 2, DataLoader(val, batch_size=80))
    h = trainer.fit(loader, 3, DataLoader(val, batch_size=80))
    assert len(h) == 5 and trainer.epoch == 4 and h is trainer.history
    epochs = [epoch for e, epoch, _ in rec.events if e == "after_epoch"]
    assert epochs == [0, 1, 2, 3, 4]
    assert trainer.fit(loader, 0) is trainer.history and len(trainer.history) == 5


@pytest.mark.parametrize("epochs, error, match", [
    (-1, ValueError, r"epochs must be an integer in \[0, inf\), got -1"),
    (2.5, TypeError, r"epochs must be an integer, got float 2\.5"),
    (3.0, TypeError, r"epochs must be an integer"),
    ("3", TypeError, r"epochs must be an integer, got str '3'"),
    (True, TypeError, r"epochs must be an integer, got bool True"),
    (None, TypeError, r"epochs must be an integer"),
])
def test_fit_rejects_bad_epochs(spirals, epochs, error, match):
    model = _model()
    W = model[0].W.data.copy()
    with pytest.raises(error, match=match):
        _trainer(model).fit(DataLoader(spirals[0], batch_size=64), epochs)
    np.testing.assert_array_equal(model[0].W.data, W)


def test_fit_accepts_numpy_integer_epochs(spirals):
    assert len(_trainer().fit(DataLoader(spirals[0], batch_size=64), np.int64(2))) == 2


def test_fit_refuses_loaders_without_batches():
    empty = ArrayDataset(np.zeros((0, 2), np.float32), np.zeros(0, int))
    with pytest.raises(ValueError, match=r"train_loader yields no batches \(its dataset has 0"):
        _trainer().fit(DataLoader(empty, batch_size=4), 1)
    small = ArrayDataset(np.zeros((5, 2), np.float32), np.zeros(5, int))
    with pytest.raises(ValueError, match=r"no batches.*5 examples, batch_size=8, drop_last=True"):
        _trainer().fit(DataLoader(small, batch_size=8, drop_last=True), 1)
    with pytest.raises(ValueError, match=r"val_loader yields no batches"):
        _trainer().fit(DataLoader(small, batch_size=2), 1, DataLoader(empty, batch_size=2))
    batches = (b for b in DataLoader(small, batch_size=2))      # a generator: one pass only
    with pytest.raises(ValueError, match=r"yielded no batches in epoch 2"):
        _trainer().fit(batches, 2)


def test_history_indexing_membership_iteration(spirals):
    h = _trainer().fit(DataLoader(spirals[0], batch_size=64), 3)
    with pytest.raises(KeyError, match=r"'acuracy' is not in the history.*'loss', 'accuracy'"
                                       r".*did you mean 'accuracy'"):
        h["acuracy"]
    assert h[0] == h.epochs[0] and h[-1] == h.epochs[2] and h[-3] == h[0]
    h[0]["loss"] = 123.0                                    # a copy: the history is unchanged
    assert h.epochs[0]["loss"] != 123.0
    with pytest.raises(IndexError, match="out of range: the history has 3 epochs"):
        h[3]
    with pytest.raises(TypeError, match="metric names"):
        h[1.5]
    assert "loss" in h and "val_loss" not in h and 0 not in h
    assert list(h) == h.epochs and len(list(iter(h))) == 3
    assert len(h[1:]) == 2 and h[1:]["loss"] == h["loss"][1:]
    with pytest.raises(KeyError, match="its keys are \\[\\]"):
        History()["loss"]
    assert repr(History()) == "History(0 epochs)"


def test_history_missing_epochs_are_nan():
    h = History([{"loss": 1.0}, {"loss": 0.5, "lr": 0.1}])
    assert h["lr"][1] == 0.1 and math.isnan(h["lr"][0])


def test_non_finite_input_stops_before_update(spirals):
    X = np.ones((64, 2), np.float32)
    X[10, 1] = np.nan
    y = np.zeros(64, int)
    model, seen = _model(), []
    before = model.state_dict()
    spy = LambdaCallback(after_backward=lambda t: seen.append(t.loss),
                         after_fit=lambda t: seen.append("after_fit"))
    trainer = _trainer(model, callbacks=[spy])
    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 1, batch 1 "
                                                 r"\(the input batch xb holds 1 NaN/inf value\)"):
        trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=32), 3)
    assert math.isnan(seen[0]) and seen[-1] == "after_fit"      # callbacks saw it; after_fit ran
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_non_finite_target_and_divergence_messages():
    X = np.ones((8, 1), np.float32)
    y = np.ones((8, 1), np.float32)
    y[3] = np.inf
    model = Sequential(Dense(1, 1, rng=0))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(FloatingPointError, match=r"target batch yb holds 1 NaN/inf"):
        trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=8), 1)
    y = np.full((64, 1), 1e3, np.float32)
    model = Sequential(Dense(1, 8, rng=0), ReLU(), Dense(8, 1, rng=1))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=10.0))
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError,
                                                  match=r"batch is finite: training diverged"):
        trainer.fit(DataLoader(ArrayDataset(np.ones((64, 1), np.float32), y), batch_size=8), 50)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_non_finite_check_can_be_switched_off_or_handled_by_a_callback():
    X = np.ones((64, 2), np.float32)
    X[0, 0] = np.nan                                      # only in the first batch
    y = np.zeros(64, int)
    model = _model()
    skip = LambdaCallback(after_backward=lambda t: None if math.isfinite(t.loss) else
                          (_ for _ in ()).throw(CancelBatchException()))
    trainer = _trainer(model, callbacks=[skip])
    trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=32), 2)   # the NaN batch is skipped
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    model = _model()
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2),
                      terminate_on_nan=False)
    with np.errstate(all="ignore"):
        h = trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=32), 1)
    assert math.isnan(h["loss"][0]) and not np.isfinite(model[0].W.data).all()
