"""Misuse of the Trainer and its History: each gets the exact exception type and a message
that names the problem and, where there is one, the fix."""
import io

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import EarlyStopping, ProgressBar
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss, SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam
from mlpbook.trainer import History, Trainer

X = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
Y = np.arange(20) % 3


def _model():
    return Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 3, rng=1))


def _trainer(**kw):
    model = _model()
    return Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters()), **kw)


def _loader(**kw):
    return DataLoader(ArrayDataset(X, Y), batch_size=kw.pop("batch_size", 8), **kw)


@pytest.mark.parametrize("make, error, match", [
    (lambda m: Trainer(m, SoftmaxCrossEntropy, Adam(m.parameters())), TypeError,
     r"loss_fn is the class SoftmaxCrossEntropy, not an instance; write SoftmaxCrossEntropy\(\)"),
    (lambda m: Trainer(m, "mse", Adam(m.parameters())), TypeError,
     r"loss_fn must be a loss object .* got str"),
    (lambda m: Trainer(m, MSELoss(), None), TypeError,
     r"optimizer is None; pass an optimizer built on the model's parameters"),
    (lambda m: Trainer(m, MSELoss(), Adam), TypeError, r"optimizer is the class Adam"),
    (lambda m: Trainer(m, MSELoss(), Adam(_model().parameters())), ValueError,
     r"none of the optimizer's parameters belongs to the model"),
    (lambda m: Trainer(Sequential, MSELoss(), Adam(m.parameters())), TypeError,
     r"needs an mlpbook Module as model, got the class Sequential"),
    (lambda m: Trainer(m, MSELoss(), Adam(m.parameters()), metrics="accuracy"), TypeError,
     r"metrics must be a list, got str 'accuracy'; write metrics=\['accuracy', \.\.\.\]"),
    (lambda m: Trainer(m, MSELoss(), Adam(m.parameters()), callbacks=EarlyStopping()),
     TypeError, r"callbacks must be a list, got EarlyStopping"),
    (lambda m: Trainer(m, MSELoss(), Adam(m.parameters()), callbacks=[EarlyStopping]),
     TypeError, r"callbacks\[0\] is the class EarlyStopping, not an instance"),
    (lambda m: Trainer(m, MSELoss(), Adam(m.parameters()), callbacks=[object()]),
     TypeError, r"callbacks\[0\] \(object\) defines none of the events"),
    (lambda m: Trainer(m, MSELoss(), Adam(m.parameters()), metrics=["acuracy"]),
     ValueError, r"unknown metric 'acuracy'"),
])
def test_trainer_construction_misuse(make, error, match):
    with pytest.raises(error, match=match):
        make(_model())


@pytest.mark.parametrize("loader, error, match", [
    (ArrayDataset(X, Y), TypeError,
     r"train_loader is the dataset ArrayDataset, not a loader of batches; wrap it: "
     r"DataLoader\(dataset"),
    (X, TypeError, r"train_loader must yield \(x, y\) batches, got arrays"),
    ((X, Y), TypeError, r"got arrays; use DataLoader\(ArrayDataset\(X, y\)"),
    (42, TypeError, r"train_loader must be an iterable of \(x, y\) batches such as a "
                    r"DataLoader, got int"),
    (DataLoader(ArrayDataset(X[:0], Y[:0]), batch_size=4), ValueError,
     r"train_loader yields no batches \(its dataset has 0 examples"),
    (DataLoader(ArrayDataset(X, Y), batch_size=32, drop_last=True), ValueError,
     r"yields no batches \(its dataset has 20 examples, batch_size=32, drop_last=True\)"),
])
def test_fit_loader_misuse(loader, error, match):
    trainer = _trainer()
    W = trainer.model[0].W.data.copy()
    with pytest.raises(error, match=match):
        trainer.fit(loader, 1)
    np.testing.assert_array_equal(trainer.model[0].W.data, W)
    assert len(trainer.history) == 0


@pytest.mark.parametrize("epochs, error, match", [
    (-3, ValueError, r"fit: epochs must be an integer in \[0, inf\), got -3"),
    (1.5, TypeError, r"fit: epochs must be an integer, got float 1\.5"),
    (False, TypeError, r"fit: epochs must be an integer, got bool False"),
    ("10", TypeError, r"fit: epochs must be an integer, got str '10'"),
])
def test_fit_epochs_misuse(epochs, error, match):
    with pytest.raises(error, match=match):
        _trainer().fit(_loader(), epochs)


@pytest.mark.parametrize("batch_size, error, match", [
    (0, ValueError, r"predict: batch_size must be an integer in \[1, inf\), got 0"),
    (-5, ValueError, r"predict: batch_size must be an integer in \[1, inf\), got -5"),
    (2.5, TypeError, r"predict: batch_size must be an integer, got float 2\.5"),
    (True, TypeError, r"predict: batch_size must be an integer, got bool True"),
])
def test_predict_batch_size_misuse(batch_size, error, match):
    with pytest.raises(error, match=match):
        _trainer().predict(X, batch_size=batch_size)


def test_predict_edge_cases():
    trainer = _trainer()
    assert trainer.predict(X[:0]).shape == (0, 3)
    with pytest.raises(TypeError, match="predict: x must be a numeric array"):
        trainer.predict([_loader()])
    with pytest.raises(TypeError, match=r"evaluate: loader is the dataset ArrayDataset"):
        trainer.evaluate(ArrayDataset(X, Y))


def test_history_misuse():
    h = History([{"loss": 1.0, "accuracy": 0.5}])
    with pytest.raises(KeyError, match=r"'val_loss' is not in the history; its keys are "
                                       r"\['loss', 'accuracy'\]"):
        h["val_loss"]
    with pytest.raises(KeyError, match=r"did you mean 'accuracy'"):
        h["acuracy"]
    with pytest.raises(IndexError, match=r"epoch index -2 is out of range: the history has 1"):
        h[-2]
    with pytest.raises(TypeError, match=r"metric names \(str\) or epoch numbers \(int\), "
                                        r"not NoneType"):
        h[None]


def test_non_finite_loss_misuse():
    bad = X.copy()
    bad[3, 0] = np.inf
    trainer = _trainer(callbacks=[ProgressBar(file=io.StringIO())])
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=r"loss became (nan|inf) at epoch 1, batch 1 "
                                                 r"\(the input batch xb holds 1 NaN/inf value\)"
                                                 r"; training stopped before the update"):
        trainer.fit(DataLoader(ArrayDataset(bad, Y), batch_size=8), 2)


def test_evaluate_and_predict_restore_each_module_mode():
    from mlpbook.normalization import BatchNorm1d
    from mlpbook.regularization import Dropout
    model = Sequential(Dense(2, 4, rng=0), BatchNorm1d(4), Dropout(0.5, rng=0),
                       Dense(4, 3, rng=1))
    tr = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters()))
    model.train()
    model[1].eval()                             # a frozen BatchNorm stays frozen
    tr.evaluate(_loader())                      # was: left everything in eval mode
    tr.predict(X)
    assert [m.training for m in model] == [True, False, True, True]


@pytest.mark.parametrize("batches, match", [
    ([np.zeros((2, 2), np.float32)], r"an array of shape \(2, 2\)"),   # x only
    ([(np.zeros((2, 2), np.float32), np.zeros(2, int), 1)], "a tuple of 3 items"),
])
def test_loader_batches_must_be_pairs(batches, match):
    tr = _trainer()
    # a (2, d) array of inputs used to unpack silently into x = row 0, y = row 1
    with pytest.raises(TypeError, match="train_loader must yield \\(x, y\\) pairs, got " + match):
        tr.fit(batches, epochs=1)
    with pytest.raises(TypeError, match="evaluate: loader must yield"):
        tr.evaluate(batches)


def test_accuracy_metric_reads_bce_outputs_as_logits():
    from mlpbook.losses import BCEWithLogits
    x = np.linspace(-1, 1, 40, dtype=np.float32)[:, None]
    y = (x > 0).astype(np.float32)
    model = Sequential(Dense(1, 1, rng=0))
    model[0].W.data[:], model[0].b.data[:] = 0.2, 0.5    # logits in [0.3, 0.7]
    tr = Trainer(model, BCEWithLogits(), SGD(model.parameters(), lr=0.1),
                 metrics=["accuracy", "f1_macro"])
    logs = tr.evaluate(DataLoader(ArrayDataset(x, y), batch_size=40))
    # every logit is > 0: the model predicts class 1 everywhere (accuracy 0.5); the
    # metric used to read the logits as probabilities (> 0.5) and report 1.0
    assert logs["accuracy"] == 0.5 and abs(logs["f1_macro"] - 1 / 3) < 1e-12
