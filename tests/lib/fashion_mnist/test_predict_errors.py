"""mlpbook-predict ends an image it cannot classify the way it ends a model file it
cannot read: one line, `mlpbook-predict: error: ...`, and exit status 1 (the
chapter's text says so); a path that does not exist stays an argparse error."""
import numpy as np
import pytest

import mlpbook.fashion_mnist as fm
from mlpbook.fashion_mnist import ScalePixels, save_model
from mlpbook.layers import Dense, Sequential

NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot")


def _model_file(tmp_path):
    path = tmp_path / "model.npz"
    save_model(Sequential(ScalePixels(0.3, 0.4), Dense(784, 10, rng=0)).eval(), path, NAMES)
    return path


@pytest.mark.parametrize("name, image, message", [
    ("blank.npy", np.zeros((28, 28)), "blank.npy: image 0 has one value"),
    ("small.npy", np.ones((20, 20)), "small.npy: expected 28x28 images"),
    ("big.npy", np.full((28, 28), 300.0), "big.npy"),
])
def test_image_errors_are_one_line_and_exit_status_1(tmp_path, capsys, name, image,
                                                     message):
    model_file = _model_file(tmp_path)
    np.save(tmp_path / name, image)
    with pytest.raises(SystemExit) as exit_info:
        fm.predict_main([str(model_file), str(tmp_path / name)])
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("mlpbook-predict: error: "), out.err
    assert message in out.err and out.err.strip().count("\n") == 0, out.err


def test_a_model_file_error_looks_the_same(tmp_path, capsys):
    np.save(tmp_path / "ok.npy", np.arange(784.0).reshape(28, 28) % 256)
    (tmp_path / "notmodel.npz").write_bytes(b"hello")
    with pytest.raises(SystemExit) as exit_info:
        fm.predict_main([str(tmp_path / "notmodel.npz"), str(tmp_path / "ok.npy")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("mlpbook-predict: error: ") and err.strip().count("\n") == 0
