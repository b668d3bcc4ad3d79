"""Property: Trainer.load_checkpoint changes everything or nothing. A failure is
injected at a random point of the restore (the model, the optimizer, the schedule, a
generator, a callback), after that object may already have changed, as an error or as
KeyboardInterrupt; afterwards the trainer's whole state (weights, buffers, optimizer,
schedule, generators, callbacks, history) is exactly as before, or, with no failure,
exactly the saved run's."""
import copy

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import mlpbook.saving as saving  # noqa: E402
from mlpbook.activations import ReLU  # noqa: E402
from mlpbook.callbacks import EarlyStopping, LRScheduler, ModelCheckpoint  # noqa: E402
from mlpbook.data import ArrayDataset, DataLoader, make_spirals  # noqa: E402
from mlpbook.layers import Dense, Sequential  # noqa: E402
from mlpbook.losses import SoftmaxCrossEntropy  # noqa: E402
from mlpbook.normalization import BatchNorm1d  # noqa: E402
from mlpbook.optim import Adam, StepLR  # noqa: E402
from mlpbook.regularization import Dropout, RandomHorizontalFlip  # noqa: E402
from mlpbook.trainer import Trainer  # noqa: E402

X, Y = make_spirals(n_per_class=20, rng=0)


def _trainer(seed, folder):
    model = Sequential(Dense(2, 8, rng=seed), BatchNorm1d(8), ReLU(),
                       Dropout(0.2, rng=seed + 1), Dense(8, 3, rng=seed + 2))
    opt = Adam(model.parameters(), lr=1e-2)
    callbacks = [LRScheduler(StepLR(opt, 1, 0.5)), EarlyStopping(monitor="loss"),
                 ModelCheckpoint(folder / f"m{seed}-{{epoch}}.npz"),
                 RandomHorizontalFlip(0.5, image_shape=(1, 2), rng=seed + 3)]
    loader = DataLoader(ArrayDataset(X, Y), batch_size=16, shuffle=True, rng=seed + 4)
    return Trainer(model, SoftmaxCrossEntropy(), opt, callbacks=callbacks), loader


def _scheduler(trainer):
    return next(cb.scheduler for cb in trainer.callbacks if isinstance(cb, LRScheduler))


def _state(trainer, loader):
    "Everything load_checkpoint may change, as plain comparable data."
    def plain(value):
        if isinstance(value, np.ndarray):
            return ("array", value.dtype.str, value.shape, value.tobytes())
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value
    callbacks = [cb.state_dict() if hasattr(cb, "state_dict") else None
                 for cb in trainer.callbacks]
    return plain({"model": trainer.model.state_dict(),
                  "optimizer": trainer.optimizer.state_dict(),
                  "scheduler": _scheduler(trainer).state_dict(),
                  "rngs": {k: g.bit_generator.state
                           for k, g in saving.run_generators(trainer, loader).items()},
                  "callbacks": callbacks, "history": trainer.history.epochs,
                  "epoch": trainer.epoch})


class Injected(Exception):
    "The failure put into the restore."


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    source, loader = _trainer(0, folder)
    source.fit(loader, 2)
    source.save_checkpoint(folder / "c.npz")
    return folder, _state(source, loader)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fail_at=st.integers(1, 14), kind=st.sampled_from([Injected, KeyboardInterrupt]),
       after_change=st.booleans())
def test_load_checkpoint_changes_all_or_nothing(checkpoint, fail_at, kind,
                                                after_change, monkeypatch):
    folder, saved = checkpoint
    target, loader = _trainer(7, folder)
    target.fit(loader, 1)
    before = _state(target, loader)
    calls, injected = [], []

    def failing(load):
        "Wrap a class's load_state_dict: the fail_at-th load (only) fails."
        def wrapped(self, state):
            calls.append(1)
            if len(calls) == fail_at and not injected:
                injected.append(1)
                if after_change:
                    load(self, state)            # the object changes, then it fails
                raise kind("injected")
            return load(self, state)
        return wrapped

    stateful = [cb for cb in target.callbacks if hasattr(cb, "state_dict")]
    for obj in [target.model, target.optimizer, _scheduler(target), *stateful]:
        cls = type(obj)
        monkeypatch.setattr(cls, "load_state_dict", failing(cls.load_state_dict))
    monkeypatch.setattr(saving._Stateful, "load_state_dict",
                        failing(saving._Stateful.load_state_dict))
    try:
        target.load_checkpoint(folder / "c.npz", train_loader=loader)
    except (ValueError, KeyboardInterrupt) as err:
        assert injected, f"a restore without an injected failure raised {err!r}"
        if kind is KeyboardInterrupt:
            assert isinstance(err, KeyboardInterrupt), "an interrupt must stay one"
        else:
            assert "nothing was changed" in str(err), str(err)
        monkeypatch.undo()
        assert _state(target, loader) == before, "a failed restore changed the trainer"
    else:
        assert not injected, "the injected failure was swallowed"
        monkeypatch.undo()
        after = _state(target, loader)
        for key in saved:
            if key != "callbacks":
                assert after[key] == saved[key], f"{key} differs from the saved run"
        assert [c for c in after["callbacks"] if c] == \
            [c for c in saved["callbacks"] if c]
