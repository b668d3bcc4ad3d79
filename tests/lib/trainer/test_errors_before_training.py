"""Mistakes that would surface only after an epoch of training are reported before the
first update, and bad arguments get a message naming the argument, not a raw error."""
import io

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import (CSVLogger, EarlyStopping, LambdaCallback, LRScheduler,
                               ModelCheckpoint, ProgressBar)
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, StepLR
from mlpbook.trainer import Trainer

X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
Y = np.arange(20) % 3


def _trainer(metrics=(), **kw):
    model = Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 3, rng=1))
    return Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                   metrics=metrics, **kw)


def _loader():
    return DataLoader(ArrayDataset(X, Y), batch_size=8)


@pytest.mark.parametrize("metric, match", [
    ("top5_accuracy", r"the metric 'top5_accuracy' cannot be computed from outputs of "
                      r"shape \(8, 3\) and targets of shape \(8,\) \(tried on the first "
                      r"batch, before any update\): ValueError: top5_accuracy: needs scores "
                      r"for at least k = 5 classes"),
    ("r2", r"the metric 'r2' cannot be computed from outputs of shape \(8, 3\)"),
])
def test_a_metric_the_outputs_cannot_feed_fails_before_any_update(metric, match):
    trainer = _trainer(metrics=["accuracy", metric])
    before = trainer.model.state_dict()
    with pytest.raises(ValueError, match=match):
        trainer.fit(_loader(), 2)
    # was: raised at the end of the first epoch, after it had trained
    for name, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert len(trainer.history) == 0


def test_metrics_that_fit_are_tried_once_and_change_nothing():
    calls = []

    def counting(y_true, y_pred):
        calls.append(len(y_true))
        return 0.0
    h = _trainer(metrics=[counting]).fit(_loader(), 2)
    assert calls == [8, 20, 20] and h["counting"] == [0.0, 0.0]


class ItemDataset:
    "A user's dataset: __len__ and __getitem__, no __iter__, not an mlpbook Dataset."
    def __len__(self):
        return len(X)
    def __getitem__(self, i):
        return X[i], Y[i]


def test_a_users_dataset_given_as_loader_is_named():
    with pytest.raises(TypeError, match=r"fit: train_loader is the dataset ItemDataset, "
                                        r"not a loader of batches; wrap it: DataLoader"):
        _trainer().fit(ItemDataset(), 1)


@pytest.mark.parametrize("make, error, match", [
    (lambda: _trainer(terminate_on_nan="False"), TypeError,
     r"Trainer: terminate_on_nan must be True or False, got str 'False'"),
    (lambda: _trainer(callbacks=[type("Odd", (), {"order": "first",
                                                  "after_epoch": print})()]),
     TypeError, r"callbacks\[0\]\.order must be a number, got 'first'"),
    (lambda: EarlyStopping(monitor=3), TypeError,
     r"EarlyStopping: monitor must be a log key \(a str such as 'val_loss'\), got int 3"),
    (lambda: EarlyStopping(mode="up"), ValueError,
     r"EarlyStopping: mode must be one of 'min', 'max', 'auto'; got 'up'"),
    (lambda: EarlyStopping(restore_best_weights="no"), TypeError,
     r"EarlyStopping: restore_best_weights must be True or False"),
    (lambda: ModelCheckpoint(None), TypeError,
     r"ModelCheckpoint: path must be a file path \(str or pathlib.Path\), got NoneType"),
    (lambda: CSVLogger(None), TypeError, r"CSVLogger: path must be a file path"),
    (lambda: ProgressBar(file="log.txt"), TypeError,
     r"ProgressBar: file must be an open text file \(with write\(\)\)"),
    (lambda: LambdaCallback(order="x"), TypeError,
     r"LambdaCallback: order must be a real number"),
    (lambda: LambdaCallback(after_epch=print), ValueError,
     r"LambdaCallback: unknown event 'after_epch'"),
    (lambda: LambdaCallback(after_epoch=3), TypeError,
     r"LambdaCallback: after_epoch must be a function of the trainer, got int"),
    (lambda: LRScheduler(StepLR(SGD(Sequential(Dense(2, 3)).parameters()), 1),
                         interval="step"), ValueError,
     r"LRScheduler: interval must be one of 'epoch', 'batch'; got 'step'"),
])
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_progress_bar_writes_to_the_file_it_is_given():
    out = io.StringIO()
    _trainer(callbacks=[ProgressBar(file=out)]).fit(_loader(), 1)
    assert "loss=" in out.getvalue()
