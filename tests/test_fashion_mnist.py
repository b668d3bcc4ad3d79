import os
import tempfile

import numpy as np
import pytest

from mlpbook.fashion_mnist import RECIPE, ensemble_logits, fashion_mnist_model, train_fashion_mnist


def _tiny_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    X = (rng.standard_normal((n, 784)) + np.eye(10)[y] @ rng.standard_normal((10, 784))).astype(np.float32)
    return {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:],
            "X_test": X[200:], "y_test": y[200:], "mean": 0.0, "std": 1.0, "class_names": tuple("0123456789")}


def test_recipe_trains_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    data = _tiny_data()
    trainer, history, seconds = train_fashion_mnist(data, progress=False, epochs=2, hidden=(32,))
    assert len(history) == 2 and seconds > 0
    assert os.listdir(tmp_path) == []                         # the best-epoch checkpoint folder is removed
    logits = ensemble_logits([(trainer, data, seconds), (trainer, data, seconds)])
    np.testing.assert_allclose(logits, trainer.predict(data["X_test"]), rtol=1e-6)


def test_model_shape_and_unknown_setting():
    model = fashion_mnist_model(hidden=(16, 8), dropout=0.1, batchnorm=True, seed=0)
    assert model(np.zeros((3, 784), np.float32)).shape == (3, 10)
    assert [type(m).__name__ for m in model] == ["Dense", "BatchNorm1d", "ReLU", "Dropout",
                                                  "Dense", "BatchNorm1d", "ReLU", "Dropout", "Dense"]
    with pytest.raises(ValueError, match="unknown recipe settings"):
        train_fashion_mnist(_tiny_data(), progress=False, epoch=3)
    assert RECIPE["epochs"] == 30
