"""Model files and checkpoints: save -> load gives the same predictions, an interrupted
save leaves the previous file, and a resumed run equals an uninterrupted one."""
import os

import numpy as np
import pytest

from mlpbook.activations import ReLU, Softmax, Tanh
from mlpbook.callbacks import LRScheduler
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Module, Parameter, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import AdamW, StepLR
from mlpbook.saving import _atomic_write, load, save
from mlpbook.trainer import Trainer


def _model(seed=0):
    return Sequential(Dense(2, 16, rng=seed), ReLU(), Dense(16, 3, rng=seed + 1))


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
    import mlpbook.saving as T
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
