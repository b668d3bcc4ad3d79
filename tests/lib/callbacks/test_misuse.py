"""Misuse of the callbacks: each is refused with a message that names the problem, before
any training where it can be."""
import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import EarlyStopping, LRScheduler, ModelCheckpoint, ProgressBar
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam
from mlpbook.trainer import Trainer

X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
Y = np.arange(20) % 3


def _model():
    return Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 3, rng=1))


def _trainer(**kw):
    model = _model()
    return Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters()), **kw)


def _loader(**kw):
    return DataLoader(ArrayDataset(X, Y), batch_size=kw.pop("batch_size", 8), **kw)


def test_callback_misuse(tmp_path):
    with pytest.raises(ValueError, match=r"EarlyStopping: patience must be an integer >= 0, "
                                         r"got -1"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match=r"patience must be an integer >= 0, got 2\.5"):
        EarlyStopping(patience=2.5)
    model = _model()
    opt = Adam(model.parameters())
    with pytest.raises(TypeError, match=r"LRScheduler needs a learning-rate scheduler such as "
                                        r"StepLR\(optimizer, \.\.\.\), got Adam"):
        LRScheduler(opt)
    ckpt = ModelCheckpoint(tmp_path / "m-{val_los:.3f}.npz")
    trainer = Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=[ckpt])
    with pytest.raises(ValueError, match=r"ModelCheckpoint: cannot fill in the path .*"
                                         r"m-\{val_los:\.3f\}\.npz.*KeyError: 'val_los'.*"
                                         r"'val_loss'"):
        trainer.fit(_loader(), 1, _loader())


def test_model_checkpoint_unwritable_path_refused_before_training(tmp_path):
    from mlpbook.callbacks import ModelCheckpoint
    tr = _trainer(callbacks=[ModelCheckpoint(tmp_path / "missing" / "m.npz")])
    before = [p.data.copy() for p in tr.model.parameters()]
    with pytest.raises(FileNotFoundError, match="missing.*does not exist"):
        tr.fit(_loader(), epochs=1)             # was: raised after a trained epoch
    assert all(np.array_equal(a, p.data) for a, p in zip(before, tr.model.parameters()))
    with pytest.raises(IsADirectoryError, match="is a folder"):
        _trainer(callbacks=[ModelCheckpoint(tmp_path)]).fit(_loader(), epochs=1)


def test_csv_logger_append_and_refit(tmp_path):
    from mlpbook.callbacks import CSVLogger
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    tr = _trainer(callbacks=[logger])
    tr.fit(_loader(), epochs=1)
    tr.fit(_loader(), epochs=1)                 # was: the second fit truncated the file
    assert [r.split(",")[0] for r in path.read_text().splitlines()] == ["epoch", "1", "2"]
    other = _trainer(callbacks=[CSVLogger(path, append=True)], metrics=["accuracy"])
    with pytest.raises(ValueError, match="appending would misalign"):
        other.fit(_loader(), epochs=1)          # was: rows under the wrong header
    assert len(path.read_text().splitlines()) == 3


@pytest.mark.parametrize("kw", [{"refresh_every": 0}, {"width": True}, {"width": 5.0}])
def test_progress_bar_arguments(kw):
    with pytest.raises(ValueError, match="ProgressBar: .* must be an int"):
        ProgressBar(**kw)


def test_early_stopping_carries_on_across_fits():
    stopper = EarlyStopping(monitor="loss", patience=100)
    tr = _trainer(callbacks=[stopper])
    tr.fit(_loader(), epochs=3)
    best, best_epoch = stopper.best, stopper.best_epoch
    for p in tr.model.parameters():            # make every later epoch worse
        p.data += 50.0
    tr.fit(_loader(), epochs=1)
    # was: the second fit reset `best`, took its worse epoch as the best one and
    # restored it, throwing away the first fit's best weights
    assert stopper.best == best and stopper.best_epoch == best_epoch
    assert tr.evaluate(_loader())["loss"] < 10, "the first fit's best weights are back"


def test_callbacks_needing_validation_or_another_optimizer_refused_before_training(
        tmp_path):
    from mlpbook.optim import StepLR
    cases = [
        (lambda tr: EarlyStopping(), KeyError, "EarlyStopping monitors 'val_loss'"),
        (lambda tr: ModelCheckpoint(tmp_path / "m-{val_loss:.3f}.npz"), KeyError,
         "ModelCheckpoint's path uses 'val_loss'"),
        (lambda tr: ModelCheckpoint(tmp_path / "m.npz", save_best_only=True),
         KeyError, "ModelCheckpoint monitors 'val_loss'"),
        (lambda tr: LRScheduler(StepLR(SGD(_model().parameters(), lr=0.1), 1)),
         ValueError, "built on another optimizer"),     # was: silently no schedule
    ]
    for make, error, match in cases:
        tr = _trainer()
        tr.callbacks = [make(tr)]
        before = [p.data.copy() for p in tr.model.parameters()]
        with pytest.raises(error, match=match):
            tr.fit(_loader(), epochs=1)        # was: raised after a trained epoch
        assert all(np.array_equal(a, p.data)
                   for a, p in zip(before, tr.model.parameters()))
