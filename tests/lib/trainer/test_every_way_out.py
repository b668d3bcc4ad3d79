"""However a fit ends (normally, cancelled, an error at any event, in the loader, the
model, the loss or the optimizer, or KeyboardInterrupt), every callback whose
before_fit ran gets its after_fit, files are closed, nothing is left registered, and
the error reaches the caller unchanged."""
import io

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import CSVLogger, EarlyStopping, LambdaCallback, ProgressBar
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD
from mlpbook.trainer import EVENTS, Callback, CancelFitException, Trainer

X = np.random.default_rng(0).standard_normal((24, 2)).astype(np.float32)
Y = np.arange(24) % 3


def _loader(batch_size=8):
    return DataLoader(ArrayDataset(X, Y), batch_size=batch_size)


class Boom(Exception):
    "The injected error."


class Holder(Callback):
    "Takes a resource in before_fit, gives it back in after_fit; counts after_fit."
    def __init__(self, registry, name):
        self.registry, self.name, self.after_fits, self.ended_by = registry, name, 0, []
    def before_fit(self, trainer):
        self.registry.add(self.name)
    def after_fit(self, trainer):
        self.registry.discard(self.name)
        self.after_fits += 1
        self.ended_by.append(trainer.fit_error)


class RaiseAt(Callback):
    "Raises `error` at the `count`-th time `event` is called."
    def __init__(self, event, error, count=2):
        self.event, self.error, self.count, self.seen = event, error, count, 0
        setattr(self, event, self._hook)
    def _hook(self, trainer):
        self.seen += 1
        if self.seen == self.count:
            raise self.error


def _run(error_source, error, tmp_path):
    "A fit with holders, a CSV log and a progress bar, failing at `error_source`."
    registry = set()
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    optimizer = SGD(model.parameters(), lr=0.1)
    loss_fn = SoftmaxCrossEntropy()
    loader, val_loader = _loader(), _loader(12)
    callbacks = [Holder(registry, "first"), CSVLogger(tmp_path / "log.csv"),
                 ProgressBar(file=io.StringIO()), EarlyStopping(monitor="loss"),
                 Holder(registry, "last")]
    if error_source in EVENTS:
        callbacks.append(RaiseAt(error_source, error, count=1 if "fit" in error_source
                                 else 2))
    elif error_source == "loader":
        batches = list(loader)

        class Failing:
            def __len__(self):
                return len(batches)
            def __iter__(self):
                yield batches[0]
                raise error
        loader = Failing()
    elif error_source == "model":
        forward = model.forward
        calls = []
        def failing_forward(x):
            calls.append(1)
            if len(calls) == 3:
                raise error
            return forward(x)
        model.forward = failing_forward
    elif error_source == "loss":
        class FailingLoss(SoftmaxCrossEntropy):
            calls = 0
            def __call__(self, pred, target):
                FailingLoss.calls += 1
                if FailingLoss.calls == 2:
                    raise error
                return super().__call__(pred, target)
        loss_fn = FailingLoss()
    elif error_source == "step":
        step = optimizer.step
        calls = []
        def failing_step():
            calls.append(1)
            if len(calls) == 2:
                raise error
            step()
        optimizer.step = failing_step
    trainer = Trainer(model, loss_fn, optimizer, callbacks=callbacks)
    return trainer, loader, val_loader, registry, callbacks


SOURCES = list(EVENTS) + ["loader", "model", "loss", "step"]


@pytest.mark.parametrize("error_type", [Boom, OSError, KeyboardInterrupt])
@pytest.mark.parametrize("source", SOURCES)
def test_an_error_anywhere_leaves_nothing_behind(source, error_type, tmp_path):
    error = error_type(f"injected at {source}")
    trainer, loader, val_loader, registry, callbacks = _run(source, error, tmp_path)
    holders = [cb for cb in callbacks if isinstance(cb, Holder)]
    logger = next(cb for cb in callbacks if isinstance(cb, CSVLogger))
    bar = next(cb for cb in callbacks if isinstance(cb, ProgressBar))
    with pytest.raises(error_type) as info:
        trainer.fit(loader, 3, val_loader=val_loader)
    assert info.value is error, "the injected error must reach the caller unchanged"
    # an error in after_fit itself comes after a fit that ended well
    ended_by = None if source == "after_fit" else error
    assert trainer.fit_error is ended_by
    assert registry == set(), f"after_fit did not release {registry}"
    assert all(h.after_fits == 1 and h.ended_by == [ended_by] for h in holders)
    if hasattr(logger, "file"):
        assert logger.file.closed, "CSVLogger left its file open"
    if getattr(bar, "bar", None) is not None:
        assert bar.bar.disable, "ProgressBar left its bar open"
    assert not Trainer._in_use, "the callbacks are still marked as in use"
    # the same callbacks serve a new fit of another trainer at once
    model = Sequential(Dense(2, 3, rng=5))
    again = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                    callbacks=[cb for cb in callbacks if not isinstance(cb, RaiseAt)])
    again.fit(_loader(), 1)
    assert registry == set() and again.fit_error is None


def test_a_failing_before_fit_ends_only_the_callbacks_that_started(tmp_path):
    registry = set()
    first, last = Holder(registry, "first"), Holder(registry, "last")

    class Refuses(Callback):
        order = 5
        def before_fit(self, trainer):
            raise Boom("cannot start")
    first.order, last.order = 0, 10
    model = Sequential(Dense(2, 3, rng=0))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                      callbacks=[last, Refuses(), first])
    with pytest.raises(Boom):
        trainer.fit(_loader(), 2)
    assert first.after_fits == 1 and last.after_fits == 0
    assert registry == set()
    assert len(trainer.history) == 0


def test_after_fit_errors_do_not_hide_the_fits_own_error():
    ran = []

    def broken_after_fit(trainer):
        ran.append("broken")
        raise RuntimeError("after_fit bug")
    callbacks = [LambdaCallback(order=0, after_fit=broken_after_fit),
                 LambdaCallback(order=1, after_fit=lambda t: ran.append("next")),
                 LambdaCallback(order=2, after_epoch=lambda t: (_ for _ in ()).throw(
                     Boom("the fit's own error")))]
    model = Sequential(Dense(2, 3, rng=0))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                      callbacks=callbacks)
    with pytest.raises(Boom) as info:
        trainer.fit(_loader(), 2)
    assert ran == ["broken", "next"], "every after_fit runs, even after one failed"
    notes = getattr(info.value, "__notes__", [])
    assert any("LambdaCallback.after_fit failed too: RuntimeError: after_fit bug" in n
               for n in notes), notes


def test_an_after_fit_error_of_a_clean_fit_is_raised_after_every_after_fit():
    ran = []

    def broken(trainer):
        ran.append("broken")
        raise RuntimeError("after_fit bug")
    model = Sequential(Dense(2, 3, rng=0))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                      callbacks=[LambdaCallback(order=0, after_fit=broken),
                                 LambdaCallback(order=1,
                                                after_fit=lambda t: ran.append("next"))])
    with pytest.raises(RuntimeError, match="after_fit bug"):
        trainer.fit(_loader(), 1)
    assert ran == ["broken", "next"] and not Trainer._in_use


def test_cancel_still_runs_after_fit_and_raises_nothing():
    seen = []
    stop = LambdaCallback(
        after_epoch=lambda t: (_ for _ in ()).throw(CancelFitException()),
        after_fit=lambda t: seen.append(t.fit_error))
    model = Sequential(Dense(2, 3, rng=0))
    h = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                callbacks=[stop]).fit(_loader(), 5)
    assert len(h) == 1 and seen == [None]


def test_early_stopping_restores_its_best_weights_and_says_so_on_an_error():
    model = Sequential(Dense(2, 3, rng=0))
    stopper = EarlyStopping(monitor="loss", patience=100)
    failing = RaiseAt("after_epoch", Boom("late failure"), count=3)
    failing.order = 20
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                      callbacks=[stopper, failing])
    with pytest.raises(Boom) as info:
        trainer.fit(_loader(), 5)
    assert any("EarlyStopping restored the weights of epoch" in n
               for n in getattr(info.value, "__notes__", []))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, stopper.best_weights[name])


# --- one running fit per callback -------------------------------------------------
def test_a_callback_in_another_trainers_running_fit_is_refused():
    shared = LambdaCallback(after_epoch=lambda t: None)
    model = Sequential(Dense(2, 3, rng=0))
    inner = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                    callbacks=[shared])
    errors = []

    def nested(trainer):
        try:
            inner.fit(_loader(), 1)
        except RuntimeError as err:
            errors.append(str(err))
    outer_model = Sequential(Dense(2, 3, rng=1))
    outer = Trainer(outer_model, SoftmaxCrossEntropy(),
                    SGD(outer_model.parameters(), lr=0.1),
                    callbacks=[shared, LambdaCallback(order=1, after_epoch=nested)])
    outer.fit(_loader(), 1)
    assert errors and "callbacks[0] (LambdaCallback) is in use by another Trainer's fit" \
        in errors[0]
    assert len(inner.history) == 0, "the refused fit must not train"
    inner.fit(_loader(), 1)                       # free again once the outer fit ended
    assert len(inner.history) == 1


def test_a_trainer_fitting_inside_its_own_fit_is_refused():
    errors = []
    model = Sequential(Dense(2, 3, rng=0))
    trainer = Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1))

    def again(t):
        try:
            t.fit(_loader(), 1)
        except RuntimeError as err:
            errors.append(str(err))
    trainer.callbacks = [LambdaCallback(after_epoch=again)]
    trainer.fit(_loader(), 1)
    assert errors == ["Trainer.fit: this trainer is already fitting"]
    assert len(trainer.history) == 1


def test_the_same_callback_twice_in_one_list_is_refused():
    stopper = EarlyStopping()
    model = Sequential(Dense(2, 3, rng=0))
    with pytest.raises(ValueError, match=r"callbacks\[1\] \(EarlyStopping\) is in the "
                                         r"list twice"):
        Trainer(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1),
                callbacks=[stopper, stopper])
