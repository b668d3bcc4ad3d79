"""ProgressBar: a tqdm bar only where it can redraw itself; elsewhere one whole line per
epoch, written at once, so that a page or a log file shows no half lines or blank ones."""
import io
import time

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.callbacks import Callback, ProgressBar
from mlpbook.data import ArrayDataset, DataLoader, make_spirals
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import Adam
from mlpbook.trainer import Trainer


class Recording(io.StringIO):
    "A text file that records each write."
    def __init__(self, tty=False):
        super().__init__()
        self.writes, self.tty = [], tty

    def write(self, text):
        self.writes.append(text)
        return super().write(text)

    def isatty(self):
        return self.tty


class SlowBatches(Callback):
    "Makes each batch last `seconds`, so that tqdm's delay (0.5 s) passes and it draws."
    def __init__(self, seconds):
        self.seconds = seconds

    def after_batch(self, trainer):
        time.sleep(self.seconds)


def _fit(file, epochs=3, seconds_per_batch=0.0):
    X, y = make_spirals(n_per_class=50, rng=0)
    model = Sequential(Dense(2, 8, rng=0), ReLU(), Dense(8, 3, rng=1))
    callbacks = [ProgressBar(file=file)]
    if seconds_per_batch:
        callbacks.append(SlowBatches(seconds_per_batch))
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters()),
                      callbacks=callbacks, metrics=["accuracy"])
    loader = DataLoader(ArrayDataset(X, y), batch_size=16)
    trainer.fit(loader, epochs, val_loader=loader)


def test_a_file_gets_one_whole_line_per_epoch_in_one_write():
    out = Recording()
    _fit(out)
    text = out.getvalue()
    assert "\r" not in text, "ProgressBar: carriage returns in a file that cannot redraw"
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3"], text
    assert all("val_accuracy=" in line and len(line) <= 88 for line in lines), text
    assert all(w.endswith("\n") for w in out.writes if w), \
        f"ProgressBar: an epoch's output came in pieces: {out.writes}"


def test_a_terminal_gets_tqdm_bars():
    pytest.importorskip("tqdm")
    out = Recording(tty=True)
    _fit(out, epochs=2, seconds_per_batch=0.1)   # 10 batches: about 1 s an epoch
    text = out.getvalue()
    assert "epoch 1" in text and "batch" in text and "val_loss=" in text, text
    assert np.all([len(line) <= 88 for chunk in text.split("\r")
                   for line in chunk.splitlines()]), text


def test_importing_ipykernel_does_not_make_a_terminal_a_notebook():
    pytest.importorskip("tqdm")
    pytest.importorskip("ipykernel")    # imported, but no kernel is running here
    from mlpbook.callbacks import _in_jupyter
    assert not _in_jupyter(), "ProgressBar: a terminal that imported ipykernel is no kernel"
