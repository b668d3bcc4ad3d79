"""Which classes a file may rebuild (mlpbook's by module, yours from custom_objects,
never one mistaken for the other), the size check judging only integers an array
vouches for, states kept exactly (a MultiStepLR's milestones), files of format 2, and
resuming without the loader at hand."""
import json
import math
import warnings

import numpy as np
import pytest

from mlpbook.activations import GELU as BookGELU
from mlpbook.activations import ReLU
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.fashion_mnist import ScalePixels
from mlpbook.layers import Dense, Module, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam, MultiStepLR
from mlpbook.callbacks import LRScheduler
from mlpbook.regularization import Dropout
from mlpbook.saving import (architecture, layer_class, load, load_checkpoint, metadata,
                            save)
from mlpbook.trainer import Trainer


class GELU(Module):
    "The user's own exact GELU, x * Phi(x): not mlpbook's tanh approximation."
    def forward(self, x):
        return x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))) / 2


class Crop(Module):
    def __init__(self, size):
        self.size = size
    def forward(self, x):
        return x[:, :self.size]
    def get_config(self):
        return {"size": self.size}


def test_a_users_class_of_the_same_name_is_not_rebuilt_as_mlpbooks(tmp_path):
    model = Sequential(Dense(2, 4, rng=0), GELU())
    save(model, tmp_path / "m.npz")
    # was: rebuilt silently as mlpbook's tanh-approximation GELU
    with pytest.raises(ValueError, match=r"cannot rebuild layer class "
                                         r"'[\w.]*test_classes_and_resume.GELU': it is not one "
                                         r"of mlpbook's; pass it as custom_objects="
                                         r"\{'GELU': GELU\}"):
        load(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz", custom_objects={"GELU": GELU})
    assert type(loaded[1]) is GELU
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(loaded(x), model(x))


def test_mlpbooks_class_is_not_replaced_by_a_custom_one_of_the_same_name(tmp_path):
    save(Sequential(Dense(2, 4, rng=0), BookGELU()), tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz", custom_objects={"GELU": GELU})
    assert type(loaded[1]) is BookGELU


def test_layers_without_arrays_may_hold_large_integers(tmp_path):
    model = Sequential(ScalePixels(0.5, 0.25, shape=(100, 100)), Dense(10000, 3, rng=0))
    save(model, tmp_path / "pixels.npz")
    loaded = load(tmp_path / "pixels.npz")          # was: refused as "corrupt"
    x = np.random.default_rng(0).integers(0, 256, (2, 100, 100)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x), model(x))
    cropped = Sequential(Dense(2, 200, rng=1), Crop(size=100), Dense(100, 3, rng=2))
    save(cropped, tmp_path / "crop.npz")
    loaded = load(tmp_path / "crop.npz", custom_objects={"Crop": Crop})   # was refused
    assert loaded[1].size == 100


def test_a_size_no_array_vouches_for_is_refused_with_what_and_why(tmp_path):
    save(Sequential(Dense(2, 3, rng=0)), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as f:
        arrays = dict(f)
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["architecture"]["layers"][0]["config"]["out_features"] = 10**9
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=r"layer 0 \(Dense\) claims out_features="
                                         r"1000000000, but the file stores \{'0.W': "
                                         r"\(2, 3\), '0.b': \(3,\)\} for it, too small for "
                                         r"those sizes; refusing to build it"):
        load(tmp_path / "bad.npz")


def test_layer_class_looks_only_in_mlpbook_and_custom_objects():
    assert layer_class("mlpbook.layers.Dense") is Dense
    assert layer_class("Dense") is Dense                   # a format 2 file's bare name
    assert layer_class("Crop", {"Crop": Crop}) is Crop
    for name in ["os.system", "builtins.eval", "mlpbook.saving.save",
                 "mlpbook.nothing.Here"]:
        with pytest.raises(ValueError, match="cannot rebuild layer class"):
            layer_class(name)
    assert architecture(Sequential(Dense(1, 1)))["class"] == "mlpbook.layers.Sequential"


def test_multistep_milestones_come_back_as_integers_and_the_lr_still_drops(tmp_path):
    model = Sequential(Dense(2, 3, rng=0))
    opt = SGD(model.parameters(), lr=1.0)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    opt.step()
    sched.step()
    save(model, tmp_path / "m.npz", optimizer=opt, scheduler=sched)
    opt2 = SGD(model.parameters(), lr=1.0)
    sched2 = MultiStepLR(opt2, milestones=[2, 4], gamma=0.1)
    load_checkpoint(tmp_path / "m.npz", model=model, optimizer=opt2, scheduler=sched2)
    # was: {'2': 1, '4': 1}, and the lr never dropped again
    assert dict(sched2.milestones) == {2: 1, 4: 1}
    lrs = []
    for _ in range(3):
        sched2.step()
        lrs.append(opt2.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.1, 0.1, 0.01])


def test_tuples_and_arrays_in_extra_come_back_as_they_were(tmp_path):
    extra = {"betas": (0.9, 0.999), "ids": {3: "three"}, "table": np.arange(6).reshape(2, 3)}
    save(Sequential(Dense(2, 3)), tmp_path / "m.npz", extra=extra)
    _, back = load_checkpoint(tmp_path / "m.npz")
    assert back["betas"] == (0.9, 0.999) and back["ids"] == {3: "three"}
    np.testing.assert_array_equal(back["table"], extra["table"])
    assert back["table"].dtype == extra["table"].dtype


X, Y = make_spirals(n_per_class=40, rng=0)


def _run():
    model = Sequential(Dense(2, 16, rng=0), ReLU(), Dropout(0.3, rng=1),
                       Dense(16, 3, rng=2))
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2))
    return trainer, DataLoader(ArrayDataset(X, Y), batch_size=16, shuffle=True, rng=3)


def _weights(trainer):
    return trainer.model.state_dict()


def test_resuming_without_the_loader_restores_it_at_the_next_fit(tmp_path):
    straight, loader = _run()
    straight.fit(loader, 4)
    first, loader = _run()
    first.fit(loader, 2)
    first.save_checkpoint(tmp_path / "c.npz")
    resumed, loader = _run()
    resumed.load_checkpoint(tmp_path / "c.npz")             # no loader at hand
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed.fit(loader, 2)
    # was: the loader's shuffling was not restored: silently not the same run
    for name, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[name], name)


def test_a_loader_that_cannot_take_the_saved_state_is_warned_about(tmp_path):
    first, loader = _run()
    first.fit(loader, 1)
    first.save_checkpoint(tmp_path / "c.npz")
    resumed, _ = _run()
    resumed.load_checkpoint(tmp_path / "c.npz")
    unshuffled = DataLoader(ArrayDataset(X, Y), batch_size=16)
    with pytest.warns(RuntimeWarning, match=r"holds the loader generators "
                                            r"\['train_loader.rng'\], this loader has "
                                            r"\[\]: not restored"):
        resumed.fit(unshuffled, 1)


def test_fitting_another_loader_than_the_restored_one_is_warned_about(tmp_path):
    first, loader = _run()
    first.fit(loader, 1)
    first.save_checkpoint(tmp_path / "c.npz")
    resumed, loader = _run()
    resumed.load_checkpoint(tmp_path / "c.npz", train_loader=loader)
    with pytest.warns(RuntimeWarning, match="restored the generators of another loader"):
        resumed.fit(_run()[1], 1)


def test_a_format_2_checkpoint_still_resumes_exactly(tmp_path):
    straight, loader = _run()
    straight.fit(loader, 3)
    first, loader = _run()
    first.fit(loader, 1)
    first.save_checkpoint(tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz") as f:
        arrays = dict(f)
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["version"] = 2                                # bare names, layers.N generators
    for layer in meta["architecture"]["layers"]:
        layer["class"] = layer["class"].rpartition(".")[2]
    meta["architecture"]["class"] = "Sequential"
    meta["rngs"] = {k.replace("model.", "model.layers."): v
                    for k, v in meta["rngs"].items()}
    meta.pop("states", None)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "v2.npz", **arrays)
    assert "model.layers.2.rng" in json.loads(arrays["__meta__"].tobytes())["rngs"]
    resumed, loader = _run()
    resumed.load_checkpoint(tmp_path / "v2.npz", train_loader=loader)
    resumed.fit(loader, 2)
    for name, value in _weights(straight).items():
        np.testing.assert_array_equal(value, _weights(resumed)[name], name)


def test_metadata_reads_the_description_without_the_arrays(tmp_path):
    save(Sequential(Dense(2, 3, rng=0), ReLU()), tmp_path / "m.npz")
    meta = metadata(tmp_path / "m.npz")
    assert meta["version"] == 3
    assert [d["class"] for d in meta["architecture"]["layers"]] == [
        "mlpbook.layers.Dense", "mlpbook.activations.ReLU"]


@pytest.mark.parametrize("call, error, match", [
    (lambda p: save(Sequential(Dense(2, 3)), None), TypeError,
     r"save: path must be a file path \(str or pathlib.Path\), got NoneType"),
    (lambda p: load(None), TypeError, r"load: path must be a file path"),
    (lambda p: save(Sequential(Dense(2, 3)), p, rngs=[np.random.default_rng()]),
     TypeError, r"save: rngs must be a dict from name to np.random.Generator, got list"),
    (lambda p: save(Sequential(Dense(2, 3)), p, optimizer=Sequential()), TypeError,
     r"save: optimizer must be an optimizer \(with param_groups and state_dict\), got "
     r"Sequential"),
    (lambda p: save(Sequential(Dense(2, 3)), p, scheduler="cosine"), TypeError,
     r"save: scheduler must be a learning-rate scheduler .* got str"),
    (lambda p: save(Sequential(Dense(2, 3)), p, states={"a": 3}), TypeError,
     r"save: states\['a'\] must have state_dict\(\) and load_state_dict\(\), got int"),
    (lambda p: load(p, custom_objects=[Crop]), TypeError,
     r"custom_objects must be a dict from class name to class, got list"),
    (lambda p: load_checkpoint(p, model="net"), TypeError,
     r"load_checkpoint: model must be an mlpbook Module or None, got str"),
])
def test_bad_arguments_are_named(tmp_path, call, error, match):
    save(Sequential(Dense(2, 3, rng=0)), tmp_path / "ok.npz")
    path = tmp_path / "ok.npz" if "load" in match or "custom" in match else \
        tmp_path / "new.npz"
    with pytest.raises(error, match=match):
        call(path)


def test_a_loader_without_the_saved_generators_is_warned_about_at_load(tmp_path):
    first, loader = _run()
    first.fit(loader, 1)
    first.save_checkpoint(tmp_path / "c.npz")
    resumed, _ = _run()
    unshuffled = DataLoader(ArrayDataset(X, Y), batch_size=16)
    with pytest.warns(RuntimeWarning, match=r"holds the loader generators "
                                            r"\['train_loader.rng'\], which this loader "
                                            r"does not have"):
        resumed.load_checkpoint(tmp_path / "c.npz", train_loader=unshuffled)
