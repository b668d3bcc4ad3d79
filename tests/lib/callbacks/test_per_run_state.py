"""State a callback keeps across fits belongs to one run: a second fit of the same
trainer carries on, another trainer starts afresh, and a checkpoint carries the state
into a resumed run exactly (early stopping's count, the checkpoint's best value, the
CSV log's file)."""
import csv

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import CSVLogger, EarlyStopping, LRScheduler, ModelCheckpoint
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import Adam, CosineAnnealingLR, ReduceLROnPlateau
from mlpbook.regularization import Dropout
from mlpbook.saving import load
from mlpbook.trainer import Trainer

X, Y = make_spirals(n_per_class=60, rng=0)
XV, YV = make_spirals(n_per_class=30, rng=1)


def _loader(seed=3):
    return DataLoader(ArrayDataset(X, Y), batch_size=32, shuffle=True, rng=seed)


VAL = DataLoader(ArrayDataset(XV, YV), batch_size=90)
_MODEL = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
_OPT = Adam(_MODEL.parameters(), lr=1e-2)


def _trainer(seed, callbacks, lr=1e-2):
    model = Sequential(Dense(2, 16, rng=seed), ReLU(), Dense(16, 3, rng=seed + 1))
    return Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=lr),
                   callbacks=callbacks)


def test_one_early_stopping_for_two_models_gives_each_its_own_best_weights():
    stopper = EarlyStopping(monitor="loss", patience=100)
    first = _trainer(0, [stopper])
    first.fit(_loader(), 4)
    second = _trainer(10, [stopper], lr=1e-3)
    second.fit(_loader(), 2)
    # was: the second fit compared with the first model's best loss, never improved
    # on it, and restored the first model's weights into the second model
    assert stopper.best == min(second.history["loss"])
    assert stopper.best_epoch == int(np.argmin(second.history["loss"]))
    for name, value in second.model.state_dict().items():
        np.testing.assert_array_equal(value, stopper.best_weights[name])
        assert not np.array_equal(value, first.model.state_dict()[name])


def test_a_later_fit_of_the_same_trainer_carries_on():
    stopper = EarlyStopping(monitor="loss", patience=100)
    trainer = _trainer(0, [stopper])
    trainer.fit(_loader(), 3)
    best, best_epoch = stopper.best, stopper.best_epoch
    stopper.wait = 7
    trainer.fit(_loader(), 1)
    assert stopper.best <= best and stopper.best_epoch >= best_epoch
    assert stopper.wait in (0, 1), "the patience count restarts with a new fit"


def test_model_checkpoint_after_a_resume_with_new_objects_keeps_the_best_file(tmp_path):
    best = tmp_path / "best.npz"
    keeper = ModelCheckpoint(best, save_best_only=True)
    run = _trainer(0, [keeper])
    run.fit(_loader(), 5, val_loader=VAL)
    run.save_checkpoint(tmp_path / "ckpt.npz")
    best_loss = keeper.best
    # a restart: new objects; the resumed run then gets worse (a learning rate of 5)
    fresh = ModelCheckpoint(best, save_best_only=True)
    resumed, loader = _trainer(0, [fresh], lr=5.0), _loader()
    resumed.load_checkpoint(tmp_path / "ckpt.npz", train_loader=loader)
    assert fresh.best == best_loss
    for group in resumed.optimizer.param_groups:
        group["lr"] = 5.0
    with np.errstate(all="ignore"):
        resumed.fit(loader, 1, val_loader=VAL)
    assert resumed.history["val_loss"][-1] > best_loss
    # was: the first resumed epoch beat the fresh callback's inf and overwrote the file
    kept = load(best)
    assert abs(SoftmaxCrossEntropy()(kept(XV), YV) - best_loss) < 1e-6


def test_csv_logger_of_a_resumed_run_appends_to_its_file(tmp_path):
    log = tmp_path / "log.csv"
    run = _trainer(0, [CSVLogger(log)])
    run.fit(_loader(), 2)
    run.save_checkpoint(tmp_path / "ckpt.npz")
    resumed, loader = _trainer(0, [CSVLogger(log)]), _loader()
    resumed.load_checkpoint(tmp_path / "ckpt.npz", train_loader=loader)
    resumed.fit(loader, 1)
    rows = list(csv.DictReader(open(log)))
    # was: the new logger truncated the file, losing epochs 1 and 2
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]


def test_csv_logger_fit_by_another_trainer_starts_a_new_file(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    _trainer(0, [logger]).fit(_loader(), 2)
    _trainer(5, [logger]).fit(_loader(), 1)
    assert [r["epoch"] for r in csv.DictReader(open(tmp_path / "log.csv"))] == ["1"]


def _run(folder, seed=0):
    model = Sequential(Dense(2, 32, rng=seed), ReLU(), Dropout(0.2, rng=seed + 1),
                       Dense(32, 3, rng=seed + 2))
    opt = Adam(model.parameters(), lr=3e-2)
    stopper = EarlyStopping(patience=2)
    callbacks = [LRScheduler(CosineAnnealingLR(opt, T_max=10)), stopper,
                 ModelCheckpoint(folder / "ckpt-{epoch}.npz")]
    return Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=callbacks), stopper


@pytest.mark.parametrize("resume_at", [2, 4, 6])
def test_resume_from_a_checkpoint_written_during_the_fit_is_exact(tmp_path, resume_at):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight, stopper = _run(tmp_path / "a")
    straight.fit(_loader(), 10, val_loader=VAL)
    if resume_at > len(straight.history):
        pytest.skip("the straight run stopped before this epoch")
    (resumed, resumed_stopper), loader = _run(tmp_path / "b"), _loader()
    resumed.load_checkpoint(tmp_path / "a" / f"ckpt-{resume_at}.npz",
                            train_loader=loader)
    resumed.fit(loader, 10 - resume_at, val_loader=VAL)
    # was: the checkpoint was written before the schedule stepped (the lr lagged one
    # epoch) and without early stopping's state (best value, weights, patience count)
    assert straight.history.epochs == resumed.history.epochs
    for name, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(value, resumed.model.state_dict()[name], name)
    assert (stopper.best, stopper.best_epoch, stopper.stopped_epoch, stopper.wait) == \
        (resumed_stopper.best, resumed_stopper.best_epoch,
         resumed_stopper.stopped_epoch, resumed_stopper.wait)


@pytest.mark.parametrize("make, state, match", [
    (lambda: EarlyStopping(), {"best": 1.0}, r"EarlyStopping.load_state_dict: expected "
                                             r"the keys"),
    (lambda: EarlyStopping(), {"best": "x", "best_epoch": 1, "wait": 0,
                               "best_weights": None}, r"best must be"),
    (lambda: EarlyStopping(), {"best": 1.0, "best_epoch": 1, "wait": 0,
                               "best_weights": {"0.W": [1, 2]}}, r"best_weights must map"),
    (lambda: ModelCheckpoint("m.npz"), {"best": 1.0, "saved": "x"}, r"saved must be"),
    (lambda: CSVLogger("log.csv"), {"begun": 1}, r"begun must be"),
])
def test_a_bad_state_is_refused_and_changes_nothing(make, state, match):
    callback = make()
    before = callback.state_dict()
    with pytest.raises(ValueError, match=match):
        callback.load_state_dict(state)
    assert callback.state_dict() == before


def test_state_dict_round_trip():
    stopper = EarlyStopping(monitor="loss", patience=4)
    trainer = _trainer(0, [stopper])
    trainer.fit(_loader(), 3)
    other = EarlyStopping(monitor="loss", patience=4)
    other.load_state_dict(stopper.state_dict())
    assert other.best == stopper.best and other.best_epoch == stopper.best_epoch
    assert other.wait == stopper.wait


@pytest.mark.parametrize("make, error, match", [
    (lambda tmp: EarlyStopping(monitor="val_acuracy"), KeyError,
     r"EarlyStopping monitors 'val_acuracy', which this fit does not log; did you mean "
     r"'val_accuracy'\?"),
    (lambda tmp: LRScheduler(ReduceLROnPlateau(_OPT), monitor="val_los"), KeyError,
     r"LRScheduler monitors 'val_los'.*did you mean 'val_loss'\?"),
    (lambda tmp: ModelCheckpoint(tmp / "m.npz", monitor="acuracy", save_best_only=True),
     KeyError, r"ModelCheckpoint monitors 'acuracy'.*did you mean 'accuracy'\?"),
    (lambda tmp: ModelCheckpoint(tmp / "m-{val_acuracy:.3f}.npz"), ValueError,
     r"ModelCheckpoint: cannot fill in the path .*did you mean 'val_accuracy'\?"),
])
def test_a_misspelt_log_key_is_refused_before_training(tmp_path, make, error, match):
    trainer = Trainer(_MODEL, SoftmaxCrossEntropy(), _OPT, metrics=["accuracy"],
                      callbacks=[make(tmp_path)])
    before = _MODEL.state_dict()
    with pytest.raises(error, match=match):
        trainer.fit(_loader(), 1, val_loader=VAL)      # was: raised after epoch 1
    for name, value in _MODEL.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_key_a_callback_adds_is_not_refused():
    from mlpbook.callbacks import LambdaCallback
    timer = LambdaCallback(after_epoch=lambda t: t.logs.update(seconds=1.0))
    stopper = EarlyStopping(monitor="seconds", patience=0)
    h = Trainer(_MODEL, SoftmaxCrossEntropy(), _OPT, callbacks=[timer, stopper]).fit(
        _loader(), 3)
    assert len(h) == 2 and stopper.stopped_epoch == 1
