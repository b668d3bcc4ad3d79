"""The callbacks: early stopping, the learning-rate scheduler callback, TerminateOnNaN, the
CSV logger, the progress bar and model checkpoints, run by the Trainer."""
import csv
import os

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LRScheduler,
                               ModelCheckpoint, ProgressBar, TerminateOnNaN)
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss, SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam, ReduceLROnPlateau, StepLR
from mlpbook.trainer import Trainer


def _model(seed=0):
    return Sequential(Dense(2, 16, rng=seed), ReLU(), Dense(16, 3, rng=seed + 1))


def _trainer(model=None, callbacks=(), lr=1e-2, metrics=("accuracy",)):
    model = model or _model()
    return Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=lr), callbacks=callbacks, metrics=metrics)


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
