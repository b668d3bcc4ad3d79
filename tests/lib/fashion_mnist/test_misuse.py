"""Misuse of mlpbook.fashion_mnist: the data helpers, `predict` and both command-line
tools refuse what would give a silent wrong answer, and the tools end with one line
naming the problem and a non-zero exit status instead of a traceback."""
import gzip
import warnings

import numpy as np
import pytest

import mlpbook.fashion_mnist as fm
from mlpbook.datasets import FASHION_MNIST_FILES
from mlpbook.fashion_mnist import (ScalePixels, load_images, predict, prepare_fashion_mnist,
                                   save_model)
from mlpbook.layers import Dense, Sequential

NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot")


def _raw(n=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, n).astype(np.uint8)
    return (X, y), (X[:5], y[:5]), NAMES


def _model_file(tmp_path):
    model = Sequential(ScalePixels(0.3, 0.4), Dense(784, 10, rng=0)).eval()
    path = tmp_path / "model.npz"
    save_model(model, path, NAMES)
    return model, path


@pytest.mark.parametrize("val_size", [-5, 0, 20, 25])
def test_prepare_refuses_a_validation_size_out_of_range(val_size):
    # before: -5 gave 5 training and 15 validation images; 20 (= n) an empty training
    # split and all-NaN arrays
    with pytest.raises(ValueError, match=r"prepare_fashion_mnist: val_size must be an "
                                         r"integer in \[1, 19\], got " + str(val_size)):
        prepare_fashion_mnist(_raw(), val_size=val_size)


@pytest.mark.parametrize("val_size, error", [(2.5, TypeError), ("5", TypeError),
                                             (True, TypeError)])
def test_prepare_refuses_a_validation_size_that_is_not_an_integer(val_size, error):
    with pytest.raises(error, match="prepare_fashion_mnist: val_size must be an integer"):
        prepare_fashion_mnist(_raw(), val_size=val_size)


def test_prepare_checks_the_seed_and_the_data():
    with pytest.raises(ValueError, match=r"prepare_fashion_mnist: seed must be an integer "
                                         r"in \[0, inf\), got -1"):
        prepare_fashion_mnist(_raw(), val_size=5, seed=-1)
    with pytest.raises(TypeError, match=r"data must be \(\(X, y\), \(X_test, y_test\), "
                                        r"class_names\)"):
        prepare_fashion_mnist(np.zeros((3, 28, 28)), val_size=1)
    (X, y), test, names = _raw()
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 28, 28\), got \(20, 28, 27\)"):
        prepare_fashion_mnist(((X[:, :, :27], y), test, names), val_size=5)
    with pytest.raises(ValueError, match="label 12 is out of range for 10 classes"):
        prepare_fashion_mnist(((X, np.full(20, 12)), test, names), val_size=5)
    Xf = X.astype(np.float32)
    Xf[3, 4, 5] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN or infinite value"):
        prepare_fashion_mnist(((Xf, y), test, names), val_size=5)


def test_predict_refuses_nan_and_out_of_range_pixels(tmp_path):
    # before: 'T-shirt/top' with NaN probabilities
    model, path = _model_file(tmp_path)
    images = np.random.default_rng(1).integers(0, 256, (3, 28, 28)).astype(np.float32)
    images[1, 10, 10] = np.nan
    for source in (path, model):
        with pytest.raises(ValueError, match="predict: images contains 1 NaN or infinite "
                                             "value; every pixel must be a number in 0..255"):
            predict(source, images)
    with pytest.raises(ValueError, match="pixel values must lie in 0..255.*from -1 to 255"):
        predict(model, np.r_[np.full((1, 28, 28), -1.0), np.full((1, 28, 28), 255.0)])
    with pytest.warns(UserWarning, match="every pixel value is at most 1"):
        predict(model, np.random.default_rng(2).random((2, 28, 28)))
    with pytest.raises(ValueError, match="predict: batch_size must be an integer"):
        predict(model, np.zeros((2, 28, 28)), batch_size=0)


def test_predict_takes_a_model_as_well_as_a_file(tmp_path):
    model, path = _model_file(tmp_path)
    images = np.random.default_rng(3).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    from_file, from_model = predict(path, images), predict(model, images)
    np.testing.assert_array_equal(from_file.labels, from_model.labels)
    assert from_model.names == [NAMES[c] for c in from_model.labels]


def _rgba_png(path, image, rgb):
    "A PNG whose garment is only in the alpha channel, on a uniform colour `rgb`."
    import matplotlib.pyplot as plt
    rgba = np.zeros((28, 28, 4))
    rgba[..., :3] = rgb
    rgba[..., 3] = image / 255
    plt.imsave(path, rgba)


def test_a_garment_drawn_in_the_alpha_channel(tmp_path, capsys):
    # before: a uniform 255 image, and mlpbook-predict printed 'Bag 98.4%' with exit 0
    image = np.zeros((28, 28))
    image[4:24, 8:20] = np.linspace(40, 250, 12)
    _rgba_png(tmp_path / "white.png", image, 1.0)
    _rgba_png(tmp_path / "black.png", image, 0.0)
    white, _ = load_images([tmp_path / "white.png"])          # composed over black
    np.testing.assert_allclose(white[0], image, atol=1.01)
    with pytest.raises(ValueError, match="black.png: image 0 has one value, 0, in every "
                                         "pixel: there is no garment to classify"):
        load_images([tmp_path / "black.png"])
    _, model_file = _model_file(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        fm.predict_main([str(model_file), str(tmp_path / "black.png")])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "no garment to classify" in err and "Traceback" not in err


def test_predict_cli_refuses_nan_pixels(tmp_path, capsys):
    # before: exit 0 and 'T-shirt/top nan%'
    _, model_file = _model_file(tmp_path)
    nan = np.full((28, 28), 100.0)
    nan[3, 3] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    with pytest.raises(SystemExit) as exit_info:
        fm.predict_main([str(model_file), str(tmp_path / "nan.npy")])
    assert exit_info.value.code != 0
    out = capsys.readouterr()
    assert "nan.npy: images contains 1 NaN or infinite value" in out.err and out.out == ""


def test_predict_cli_unreadable_files_are_one_line_errors(tmp_path, capsys):
    import matplotlib.pyplot as plt
    _, model_file = _model_file(tmp_path)
    plt.imsave(tmp_path / "good.png", np.random.default_rng(0).integers(0, 255, (28, 28)),
               cmap="gray", vmin=0, vmax=255)
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[:len(data) // 2])
    (tmp_path / "junk.png").write_bytes(b"not a png at all")
    (tmp_path / "junk.npy").write_bytes(b"not an npy file")
    (tmp_path / "notmodel.npz").write_bytes(b"hello")
    cases = [([model_file, tmp_path / "truncated.png"], "truncated.png: cannot read it"),
             ([model_file, tmp_path / "junk.png"], "junk.png: cannot read it as a png"),
             ([model_file, tmp_path / "junk.npy"], "junk.npy: cannot read it as a npy"),
             ([tmp_path / "notmodel.npz", tmp_path / "good.png"], "notmodel.npz")]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            fm.predict_main([str(a) for a in args])
        assert exit_info.value.code not in (0, None)
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
        assert err.strip().count("\n") <= 1 or err.startswith("usage:"), err


def test_train_cli_with_a_truncated_file_under_root(tmp_path, capsys):
    # before: a traceback from read_idx_gz
    for name in FASHION_MNIST_FILES.values():
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01")      # header says 5 bytes
    with pytest.raises(SystemExit) as exit_info:
        fm.main(["fashion-mnist", "--quiet", "--root", str(tmp_path),
                 "--out", str(tmp_path / "m.npz")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("mlpbook-train: error: ") and "Traceback" not in err
    assert err.strip().count("\n") == 0, err
    assert not (tmp_path / "m.npz").exists()


def test_train_ensemble_and_export_arguments():
    with pytest.raises(ValueError, match=r"train_ensemble: members must be an integer in "
                                         r"\[1, inf\), got 0"):
        fm.train_ensemble(_raw(), members=0)
    with pytest.raises(ValueError, match="export_model: trained must be a non-empty list"):
        fm.export_model([])
    with pytest.raises(ValueError, match="train_fashion_mnist: seed must be an integer"):
        fm.train_fashion_mnist(prepare_fashion_mnist(_raw(), val_size=5), seed=-2,
                               progress=False)
    with pytest.raises(TypeError, match="train_fashion_mnist: data must be the dict"):
        fm.train_fashion_mnist({"X_train": np.zeros((2, 784))}, progress=False)
    with pytest.raises(ValueError, match="ensemble_logits: split must be one of"):
        fm.ensemble_logits([], split="test")


def test_scale_pixels_shape_must_be_integers():
    with pytest.raises(TypeError, match="ScalePixels: shape must be an integer"):
        ScalePixels(0.3, 0.4, shape=(28.0, 28))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ScalePixels(np.float32(0.3), np.float64(0.4)).mean == pytest.approx(0.3)
