import csv
import math
import os

import numpy as np
import pytest

from mlpbook.activations import ReLU, Softmax, Tanh
from mlpbook.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LRScheduler, ModelCheckpoint, ProgressBar,
                               TerminateOnNaN)
from mlpbook.data import ArrayDataset, DataLoader, make_spirals, random_split
from mlpbook.layers import Dense, Module, Parameter, Sequential
from mlpbook.losses import MSELoss, SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam, AdamW, ReduceLROnPlateau, StepLR
from mlpbook.trainer import (EVENTS, Callback, CancelBatchException, CancelEpochException, CancelFitException,
                             History, Trainer, _atomic_write, build, load, load_checkpoint, save)


@pytest.fixture
def spirals():
    X, y = make_spirals(n_per_class=100, rng=0)
    train, val = random_split(ArrayDataset(X, y), [0.8, 0.2], rng=1)
    return train, val


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


# --- callbacks ---------------------------------------------------------------
def test_early_stopping_restores_best_not_last(spirals):
    train, val = spirals
    val_loader = DataLoader(val, batch_size=100)
    snapshots = []
    stopper = EarlyStopping(monitor="val_loss", patience=3)
    spy = LambdaCallback(order=5, after_epoch=lambda t: snapshots.append((t.logs["val_loss"], t.model.state_dict())))
    # a learning rate high enough that validation loss goes up and down
    trainer = _trainer(callbacks=[stopper, spy], lr=0.3)
    h = trainer.fit(DataLoader(train, batch_size=16, shuffle=True, rng=0), 40, val_loader)
    assert stopper.stopped_epoch is not None and len(h) < 40
    best = int(np.argmin(h["val_loss"]))
    assert best == stopper.best_epoch and best != len(h) - 1
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[best][1][name])
    assert trainer.evaluate(val_loader)["loss"] == pytest.approx(min(h["val_loss"]))


def test_early_stopping_modes_and_missing_key(spirals):
    assert EarlyStopping("val_accuracy").mode == "max" and EarlyStopping("val_loss").mode == "min"
    with pytest.raises(KeyError, match="monitors 'val_loss'.*pass a val_loader"):
        _trainer(callbacks=[EarlyStopping()]).fit(DataLoader(spirals[0], batch_size=64), 1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_lr_scheduler_epoch_batch_and_plateau(spirals):
    train, val = spirals
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    cb = LRScheduler(StepLR(opt, step_size=1, gamma=0.5))
    Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=[cb]).fit(DataLoader(train, batch_size=80), 3)
    assert cb.lrs == [0.1, 0.05, 0.025] and opt.param_groups[0]["lr"] == 0.0125

    opt = SGD(model.parameters(), lr=0.1)
    cb = LRScheduler(StepLR(opt, step_size=1, gamma=0.5), interval="batch")
    Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=[cb]).fit(DataLoader(train, batch_size=80), 2)
    assert cb.lrs == [0.1 * 0.5 ** k for k in range(6)]      # 3 batches x 2 epochs

    opt = SGD(model.parameters(), lr=0.1)
    plateau = ReduceLROnPlateau(opt, factor=0.5, patience=0)
    fed = []
    original = plateau.step
    plateau.step = lambda metric: (fed.append(metric), original(metric))
    trainer = Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=[LRScheduler(plateau, monitor="val_loss")])
    h = trainer.fit(DataLoader(train, batch_size=80), 3, DataLoader(val, batch_size=40))
    assert fed == h["val_loss"]
    with pytest.raises(ValueError, match="per epoch"):
        LRScheduler(plateau, interval="batch")


def test_terminate_on_nan_names_epoch_and_batch():
    X = np.ones((64, 1), np.float32)
    y = np.full((64, 1), 1e3, np.float32)
    model = Sequential(Dense(1, 8, rng=0), ReLU(), Dense(8, 1, rng=1))
    trainer = Trainer(model, MSELoss(), SGD(model.parameters(), lr=10.0), callbacks=[TerminateOnNaN()])
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=r"loss became (nan|inf) at epoch \d+, batch \d+"):
        trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=8), 50)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_csv_logger_and_progress_bar(spirals, tmp_path, capsys):
    train, val = spirals
    path = tmp_path / "log.csv"
    _trainer(callbacks=[CSVLogger(path), ProgressBar()]).fit(DataLoader(train, batch_size=64), 3,
                                                                DataLoader(val, batch_size=64))
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and "val_accuracy" in rows[0]
    err = capsys.readouterr().err
    assert "epoch 3" in err and "val_loss=" in err


def test_model_checkpoint_best_only(spirals, tmp_path):
    train, val = spirals
    ckpt = ModelCheckpoint(tmp_path / "m-{epoch}.npz", monitor="val_accuracy", save_best_only=True)
    h = _trainer(callbacks=[ckpt]).fit(DataLoader(train, batch_size=32), 5, DataLoader(val, batch_size=64))
    assert ckpt.saved and all(os.path.exists(p) for p in ckpt.saved)
    best_epoch = int(np.argmax(h["val_accuracy"])) + 1
    assert ckpt.saved[-1].endswith(f"m-{best_epoch}.npz")


# --- saving and loading -----------------------------------------------------------
def test_save_load_identical_predictions(tmp_path):
    model = Sequential(Dense(4, 8, rng=0), Tanh(), Dense(8, 8, rng=1, dtype=np.float64), ReLU(), Dense(8, 3, bias=False, rng=2), Softmax())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    np.testing.assert_array_equal(loaded(x), model(x))
    assert repr(loaded) == repr(model) and loaded[2].W.dtype == np.float64
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:      # readable without pickle
        assert "model/0.W" in f.files


def test_interrupted_save_leaves_previous_file(tmp_path):
    target = tmp_path / "model.npz"
    model = _model()
    save(model, target)
    before = target.read_bytes()
    class Boom(Exception):
        pass
    def half_then_fail(f):
        f.write(b"PK\x03\x04partial")
        raise Boom()
    with pytest.raises(Boom):
        _atomic_write(target, half_then_fail)
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]
    # and an interruption inside np.savez itself (a value that cannot be written)
    import mlpbook.trainer as T
    original = T.np.savez
    T.np.savez = lambda f, **arrays: (f.write(b"junk"), (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with pytest.raises(KeyboardInterrupt):
            save(_model(seed=5), target)
    finally:
        T.np.savez = original
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_load_errors(tmp_path):
    model = _model()
    save(model, tmp_path / "m.npz")
    meta_and_arrays = dict(np.load(tmp_path / "m.npz"))
    missing = {k: v for k, v in meta_and_arrays.items() if k != "model/2.b"}
    np.savez(tmp_path / "missing.npz", **missing)
    with pytest.raises(KeyError, match=r"missing.npz.*missing keys \['2.b'\]"):
        load(tmp_path / "missing.npz")
    wrong = dict(meta_and_arrays)
    wrong["model/0.W"] = np.zeros((3, 16), np.float32)
    np.savez(tmp_path / "wrong.npz", **wrong)
    with pytest.raises(ValueError, match=r"wrong.npz.*'0.W' has shape \(3, 16\).*\(2, 16\)"):
        load(tmp_path / "wrong.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="not an mlpbook model file"):
        load(tmp_path / "plain.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="not a readable"):
        load(tmp_path / "text.npz")


def test_custom_module_needs_custom_objects(tmp_path):
    class Scale(Module):
        def __init__(self, size):
            self.size = size
            self.s = Parameter(np.ones(size))
        def get_config(self):
            return {"size": self.size}
        def forward(self, x):
            return x * self.s.data
    Scale.__module__ = "user_code"
    model = Sequential(Dense(2, 3, rng=0), Scale(3))
    model[1].s.data[:] = [1, 2, 3]
    save(model, tmp_path / "c.npz")
    with pytest.raises(ValueError, match="custom_objects"):
        load(tmp_path / "c.npz")
    loaded = load(tmp_path / "c.npz", custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(loaded[1].s.data, [1, 2, 3])


def _resumable_run(tmp_path, stop_after=None, epochs=6):
    "Train on spirals; optionally checkpoint after `stop_after` epochs and continue in fresh objects."
    X, y = make_spirals(n_per_class=60, rng=0)
    def fresh():
        model = _model(seed=10)
        opt = AdamW(model.parameters(), lr=1e-2)
        loader = DataLoader(ArrayDataset(X, y), batch_size=16, shuffle=True, rng=123)
        trainer = Trainer(model, SoftmaxCrossEntropy(), opt, metrics=["accuracy"],
                          callbacks=[LRScheduler(StepLR(opt, 2, 0.5))])
        return trainer, loader
    trainer, loader = fresh()
    if stop_after is None:
        trainer.fit(loader, epochs)
        return trainer
    trainer.fit(loader, stop_after)
    trainer.save_checkpoint(tmp_path / "ckpt.npz")
    trainer, loader = fresh()                          # a new process: new objects, same code
    trainer.load_checkpoint(tmp_path / "ckpt.npz", train_loader=loader)
    trainer.fit(loader, epochs - stop_after)           # fit runs that many *more* epochs
    return trainer


def test_resume_reproduces_uninterrupted_run(tmp_path):
    straight = _resumable_run(tmp_path)
    resumed = _resumable_run(tmp_path, stop_after=3)
    for (name, a), (_, b) in zip(straight.model.named_parameters(), resumed.model.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert straight.history.epochs == resumed.history.epochs
    assert straight.optimizer.param_groups[0]["lr"] == resumed.optimizer.param_groups[0]["lr"]


# --- issue 10: fit semantics, empty loaders, History, non-finite losses, progress --------
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
    (-1, ValueError, r"epochs must be >= 0, got -1"),
    (2.5, TypeError, r"epochs must be an integer, got 2\.5"),
    (3.0, TypeError, r"epochs must be an integer"),
    ("3", TypeError, r"epochs must be an integer, got '3'"),
    (True, TypeError, r"epochs must be an integer, got True"),
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


def test_progress_bar_shows_every_metric_within_88_columns(spirals, capsys):
    train, val = spirals
    def a_metric_with_a_rather_long_name(y_true, y_pred):
        return 0.5
    _trainer(callbacks=[ProgressBar()], metrics=["accuracy", "f1_macro", a_metric_with_a_rather_long_name]).fit(
        DataLoader(train, batch_size=64), 2, DataLoader(val, batch_size=64))
    err = capsys.readouterr().err
    for key in ["loss", "accuracy", "f1_macro", "a_metric_with_a_rather_long_name"]:
        assert f"val_{key}=" in err, f"val_{key} missing from the progress output"
        assert f" {key}=" in err, f"{key} missing from the progress output"
    lines = [line for chunk in err.split("\r") for line in chunk.splitlines()]
    assert max(len(line) for line in lines) <= 88, max(lines, key=len)
