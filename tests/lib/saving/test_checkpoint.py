"""Checkpoints and model files: resuming exactly with every random generator,
all-or-nothing restores, refused mismatches, file modes, symlinks, corrupt metadata."""
import json
import os
import stat
import time

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import LRScheduler
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.normalization import BatchNorm1d
from mlpbook.optim import SGD, Adam, CosineAnnealingLR, StepLR
from mlpbook.regularization import Dropout, RandomHorizontalFlip
from mlpbook.saving import load, load_checkpoint, save
from mlpbook.trainer import Callback, Trainer

X, Y = make_spirals(n_per_class=40, rng=0)


class NoisyDataset:
    "A batched dataset whose transform (input noise) draws from its own generator."
    batched = True

    def __init__(self, X, y, rng):
        self.X, self.y, self.rng = X, y, np.random.default_rng(rng)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        x = self.X[index]
        return x + self.rng.normal(0, 0.05, x.shape).astype(x.dtype), self.y[index]


def _run(seed=0, opt="adam", sched="step"):
    model = Sequential(Dense(2, 16, rng=seed), ReLU(), Dropout(0.3, rng=seed + 1),
                       Dense(16, 4, rng=seed + 2), Dropout(0.1, rng=seed + 3),
                       Dense(4, 3, rng=seed + 4))
    optimizer = Adam(model.parameters(), lr=1e-2) if opt == "adam" else \
        SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = StepLR(optimizer, 2, 0.5) if sched == "step" else \
        CosineAnnealingLR(optimizer, T_max=5)
    flip = RandomHorizontalFlip(image_shape=(1, 2), rng=seed + 5)     # an augmentation
    trainer = Trainer(model, SoftmaxCrossEntropy(), optimizer, metrics=["accuracy"],
                      callbacks=[LRScheduler(scheduler), flip])
    loader = DataLoader(NoisyDataset(X, Y, rng=seed + 6), batch_size=16, shuffle=True,
                        rng=seed + 7)
    return trainer, loader


def _schedulers(trainer):
    "The schedulers of the trainer's LRScheduler callbacks."
    return [cb.scheduler for cb in trainer.callbacks if hasattr(cb, "scheduler")]


def _state(trainer):
    return ({k: v.copy() for k, v in trainer.model.state_dict().items()},
            json.loads(json.dumps(trainer.optimizer.state_dict(), default=lambda a: a.tolist())),
            [json.loads(json.dumps(s.state_dict(), default=str)) for s in _schedulers(trainer)])


def _same(a, b):
    assert a[0].keys() == b[0].keys()
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k], err_msg=k)
    assert a[1:] == b[1:]


def test_resume_with_dropout_augmentation_and_transform_is_bit_identical(tmp_path):
    straight, loader = _run()
    straight.fit(loader, 6)
    first, loader = _run()
    first.fit(loader, 2)
    first.save_checkpoint(tmp_path / "c.npz")
    first.fit(loader, 1)                               # the file is a snapshot: go on a bit
    resumed, loader = _run()                           # a restart: new objects, same code
    resumed.load_checkpoint(tmp_path / "c.npz", train_loader=loader)
    assert len(resumed.history) == 2 and resumed.epoch == 1
    resumed.fit(loader, 4)
    _same(_state(straight), _state(resumed))
    assert straight.history.epochs == resumed.history.epochs


def test_checkpoint_names_every_generator(tmp_path):
    trainer, loader = _run()
    trainer.fit(loader, 1)
    trainer.save_checkpoint(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as f:
        meta = json.loads(f["__meta__"].tobytes())
    assert sorted(meta["rngs"]) == ["callbacks.0.rng", "model.2.rng",
                                    "model.4.rng", "train_loader.dataset.rng",
                                    "train_loader.rng"]


def test_resume_without_generators_is_not_exact():
    "The control: without restoring the generators the runs differ (the test has teeth)."
    straight, loader = _run()
    straight.fit(loader, 4)
    other, loader = _run()
    other.fit(loader, 2)
    model_state = other.model.state_dict()
    opt_state = other.optimizer.state_dict()
    fresh, loader2 = _run()
    fresh.model.load_state_dict(model_state)
    fresh.optimizer.load_state_dict(opt_state)
    _schedulers(fresh)[0].load_state_dict(_schedulers(other)[0].state_dict())
    fresh.history = other.history
    fresh.fit(loader2, 2)
    assert any(not np.array_equal(a, b) for a, b in
               zip(straight.model.state_dict().values(), fresh.model.state_dict().values()))


def test_sgd_steplr_checkpoint_refused_by_adam_cosine_and_nothing_changes(tmp_path):
    sgd, loader = _run(opt="sgd", sched="step")
    sgd.fit(loader, 1)
    sgd.save_checkpoint(tmp_path / "sgd.npz")
    adam, loader = _run(seed=3, opt="adam", sched="cosine")
    adam.fit(loader, 1)
    before, rng_before = _state(adam), loader.rng.bit_generator.state
    with pytest.raises(ValueError, match=r"sgd.npz: the optimizer state is SGD's, but this "
                                         r"optimizer is Adam"):
        adam.load_checkpoint(tmp_path / "sgd.npz", train_loader=loader)
    _same(before, _state(adam))
    assert loader.rng.bit_generator.state == rng_before and len(adam.history) == 1
    sgd_cos, loader = _run(seed=3, opt="sgd", sched="cosine")
    before = _state(sgd_cos)
    with pytest.raises(ValueError, match=r"scheduler states \['StepLR'\], but this run has "
                                         r"\['CosineAnnealingLR'\]"):
        sgd_cos.load_checkpoint(tmp_path / "sgd.npz", train_loader=loader)
    _same(before, _state(sgd_cos))


def test_file_without_optimizer_state_is_refused_before_touching_the_model(tmp_path):
    trainer, loader = _run()
    save(trainer.model, tmp_path / "weights.npz")
    other, _ = _run(seed=9)
    before = _state(other)
    with pytest.raises(ValueError, match="weights.npz holds no optimizer state"):
        other.load_checkpoint(tmp_path / "weights.npz")
    _same(before, _state(other))
    model = Sequential(Dense(2, 3, rng=0))
    W = model[0].W.data.copy()
    save(Sequential(Dense(2, 3, rng=1)), tmp_path / "m.npz")
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "m.npz", model=model, optimizer=SGD(model.parameters()))
    np.testing.assert_array_equal(model[0].W.data, W)


def test_missing_generator_state_is_refused(tmp_path):
    plain = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1))
    opt = Adam(plain.parameters())
    Trainer(plain, SoftmaxCrossEntropy(), opt).save_checkpoint(tmp_path / "c.npz")
    model = Sequential(Dense(2, 16, rng=0), ReLU(), Dense(16, 3, rng=1), Dropout(0.5, rng=2))
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters()))
    W = model[0].W.data.copy()
    with pytest.raises(ValueError, match=r"no state for the random generator "
                                         r"'model.3.rng'.*not be exact"):
        trainer.load_checkpoint(tmp_path / "c.npz")
    np.testing.assert_array_equal(model[0].W.data, W)


def test_a_failing_restore_is_rolled_back(tmp_path, monkeypatch):
    trainer, loader = _run()
    trainer.fit(loader, 1)
    trainer.save_checkpoint(tmp_path / "c.npz")
    other, loader = _run(seed=4)
    other.fit(loader, 1)
    before, rng = _state(other), loader.rng.bit_generator.state
    scheduler = _schedulers(other)[0]
    calls = []
    def broken(self, state):                     # fails once, half-way; the undo works
        self.__dict__.update(state)
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk on fire")
    monkeypatch.setattr(type(scheduler), "load_state_dict", broken)
    with pytest.raises(ValueError, match=r"c.npz: cannot restore the checkpoint \(RuntimeError"
                                         r": disk on fire\); nothing was changed"):
        other.load_checkpoint(tmp_path / "c.npz", train_loader=loader)
    monkeypatch.undo()
    _same(before, _state(other))
    assert loader.rng.bit_generator.state == rng


# --- save: modes, symlinks, error paths ---------------------------------------------
@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_save_honours_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        save(Sequential(Dense(2, 2, rng=0)), tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "m.npz").st_mode) == mode


def test_save_keeps_an_existing_files_mode(tmp_path):
    path = tmp_path / "m.npz"
    save(Sequential(Dense(2, 2, rng=0)), path)
    os.chmod(path, 0o640)
    save(Sequential(Dense(2, 2, rng=1)), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_save_writes_through_a_symlink(tmp_path):
    (tmp_path / "models").mkdir()
    real = tmp_path / "models" / "v1.npz"
    save(Sequential(Dense(2, 2, rng=0)), real)
    link = tmp_path / "latest.npz"
    link.symlink_to(real)
    model = Sequential(Dense(2, 2, rng=5))
    save(model, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    np.testing.assert_array_equal(load(real)[0].W.data, model[0].W.data)
    assert sorted(os.listdir(tmp_path / "models")) == ["v1.npz"]       # no temporary left
    dangling = tmp_path / "dangling.npz"
    dangling.symlink_to(tmp_path / "models" / "v2.npz")
    save(model, dangling)
    assert dangling.is_symlink() and (tmp_path / "models" / "v2.npz").is_file()


def test_save_errors_name_the_users_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        save(Sequential(Dense(2, 2)), tmp_path / "no-such-folder" / "m.npz")
    assert str(tmp_path / "no-such-folder" / "m.npz") in str(info.value)
    assert ".tmp" not in str(info.value)
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        save(Sequential(Dense(2, 2)), tmp_path)
    if os.geteuid() != 0:                     # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        os.chmod(ro, 0o500)
        with pytest.raises(PermissionError) as info:
            save(Sequential(Dense(2, 2)), ro / "m.npz")
        assert str(ro / "m.npz") in str(info.value) and ".tmp" not in str(info.value)


# --- load: corrupt metadata, versions, sizes, eval mode ------------------------------
def _with_meta(tmp_path, edit, name="edited.npz", source=None):
    "Save a model (or take `source`), apply edit(meta) (it may return new bytes or a new\n    object), and write the result back as a valid .npz."
    if source is None:
        source = tmp_path / "m.npz"
        save(Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1)), source)
    arrays = dict(np.load(source))
    meta = json.loads(arrays["__meta__"].tobytes())
    new = edit(meta)
    raw = new if isinstance(new, bytes) else json.dumps(meta if new is None else new).encode()
    arrays["__meta__"] = np.frombuffer(raw, np.uint8)
    np.savez(tmp_path / name, **arrays)
    return tmp_path / name


@pytest.mark.parametrize("edit, match", [
    (lambda m: b'{"format": "mlpbook", "version": 2, "archi', r"not valid JSON"),
    (lambda m: b"\xff\xfe\x00garbage", r"not UTF-8 text"),
    (lambda m: m.pop("architecture") and None, r"metadata \['architecture'\] should be a dict"),
    (lambda m: m["architecture"]["layers"][0].pop("class") and None,
     r"\['architecture'\]\['layers'\]\[0\]\['class'\] should be a str"),
    (lambda m: m["architecture"].update(layers="Dense") or None,
     r"\['architecture'\]\['layers'\] should be a list"),
    (lambda m: m.update(version=99) or None, r"format version 99 is not one this mlpbook reads"),
    (lambda m: m.update(version="2") or None, r"format version '2' is not one"),
    (lambda m: m.pop("version") and None, r"format version None"),
    (lambda m: m.update(format="keras") or None, r"unknown format 'keras'"),
    (lambda m: [1, 2, 3], r"metadata \(the whole\) should be a dict"),
    (lambda m: m["architecture"]["layers"][0].update({"class": "Dance"}) or None,
     r"cannot build the model it describes: cannot rebuild layer class 'Dance'"),
    (lambda m: m["architecture"]["layers"][0]["config"].update(units=3) or None,
     r"cannot build the model it describes: .*units"),
    (lambda m: m["architecture"]["layers"][0]["config"].update(in_features=3) or None,
     r"'0.W' has shape \(2, 8\) in the file but \(3, 8\) in the model"),
    (lambda m: m.update(rngs=[1]) or None, r"\['rngs'\] should be a dict"),
])
def test_corrupt_metadata_names_the_file_and_the_problem(tmp_path, edit, match):
    path = _with_meta(tmp_path, edit)
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    assert not isinstance(info.value, (json.JSONDecodeError, UnicodeDecodeError))


def test_huge_claimed_layer_is_refused_before_allocating(tmp_path):
    def huge(meta):
        meta["architecture"]["layers"][0]["config"].update(in_features=10**6,
                                                           out_features=10**6)
    path = _with_meta(tmp_path, huge)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"layer 0 \(Dense\) claims in_features=1000000, "
                                         r"out_features=1000000, but the file stores"):
        load(path)
    assert time.perf_counter() - start < 1.0
    def tall(meta):                          # one dimension vouched for, the product not
        meta["architecture"]["layers"][0]["config"].update(out_features=10**6)
    save(Sequential(Dense(2000, 2, rng=0)), tmp_path / "tall.npz")
    with pytest.raises(ValueError, match=r"claims in_features=2000, out_features=1000000"):
        load(_with_meta(tmp_path, tall, source=tmp_path / "tall.npz"))


def test_load_returns_eval_mode_and_load_checkpoint_keeps_given_mode(tmp_path):
    model = Sequential(Dense(2, 4, rng=0), Dropout(0.5, rng=1), BatchNorm1d(4), Dense(4, 2))
    model.train()
    save(model, tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert not loaded.training and all(not layer.training for layer in loaded)
    x = np.ones((3, 2), np.float32)
    np.testing.assert_array_equal(loaded(x), loaded(x))           # deterministic: eval mode
    target = Sequential(Dense(2, 4), Dropout(0.5), BatchNorm1d(4), Dense(4, 2))
    load_checkpoint(tmp_path / "m.npz", model=target)
    assert target.training


def test_version_1_checkpoint_still_loads(tmp_path):
    trainer, loader = _run()
    trainer.fit(loader, 1)
    path = tmp_path / "v2.npz"
    trainer.save_checkpoint(path)
    def as_v1(meta):
        meta["version"] = 1
        meta["scheduler"] = meta.pop("schedulers")[0]
        meta["rngs"] = {"train_loader": meta["rngs"]["train_loader.rng"]}
    v1 = _with_meta(tmp_path, as_v1, source=path)
    # a version-1 file holds no dropout generator states: refused for a dropout model ...
    with pytest.raises(ValueError, match="no state for the random generator"):
        _run()[0].load_checkpoint(v1)
    # ... and fine for the model alone
    np.testing.assert_array_equal(load(v1)[0].W.data, trainer.model[0].W.data)


def test_checkpoint_history_must_be_there(tmp_path):
    model = Sequential(Dense(2, 3, rng=0))
    opt = Adam(model.parameters())
    save(model, tmp_path / "m.npz", optimizer=opt)
    with pytest.raises(ValueError, match="holds no training history"):
        Trainer(model, SoftmaxCrossEntropy(), opt).load_checkpoint(tmp_path / "m.npz")
