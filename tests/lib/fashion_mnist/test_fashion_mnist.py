import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import mlpbook.fashion_mnist as fm
from mlpbook.fashion_mnist import (RECIPE, Ensemble, ScalePixels, ensemble_logits, export_model,
                                   fashion_mnist_model, load_images, load_model, predict,
                                   save_model, train_fashion_mnist)
from mlpbook.trainer import load, save

NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot")


def _tiny_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    X = (rng.standard_normal((n, 784)) + np.eye(10)[y] @ rng.standard_normal((10, 784))).astype(np.float32)
    return {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:],
            "X_test": X[200:], "y_test": y[200:], "mean": 0.0, "std": 1.0, "class_names": NAMES}


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


@pytest.mark.parametrize("overrides, message", [
    ({"epochs": 0}, "epochs must be a positive integer"),
    ({"epochs": -1}, "epochs must be a positive integer"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
    ({"epochs": True}, "epochs must be a positive integer"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"epochs": 3, "warmup_epochs": 3}, "warmup_epochs must be an integer in"),
])
def test_recipe_rejects_bad_numbers_before_training(overrides, message):
    with pytest.raises(ValueError, match=message):
        train_fashion_mnist(_tiny_data(), progress=False, **overrides)


# --- the command line: every argument is checked before any data is loaded -------------
@pytest.fixture
def no_training(monkeypatch):
    "Fail loudly if the CLI gets as far as loading the data (i.e. would start training)."
    def refuse(*args, **kwargs):
        raise AssertionError("the CLI started loading data although an argument was bad")
    monkeypatch.setattr(fm, "load_fashion_mnist", refuse)


@pytest.mark.parametrize("args, message", [
    (["--epochs", "0"], "--epochs: must be at least 1, got 0"),
    (["--epochs", "-1"], "--epochs: must be at least 1, got -1"),
    (["--epochs", "2.5"], "--epochs: expected a positive integer, got '2.5'"),
    (["--epochs", "many"], "--epochs: expected a positive integer"),
    (["--members", "0"], "--members: must be at least 1, got 0"),
    (["--seed", "-3"], "--seed: must be 0 or more, got -3"),
])
def test_cli_rejects_bad_numbers(no_training, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        fm.main(["fashion-mnist", *args])
    assert exit_info.value.code == 2                          # argparse's usage error
    assert message in capsys.readouterr().err


def test_cli_checks_the_output_path_before_training(no_training, capsys, tmp_path):
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("not a folder")
    cases = [(tmp_path / "missing" / "model.npz", "does not exist"),
             (tmp_path, "is a folder"),
             (a_file / "model.npz", "is not a folder")]
    for out, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            fm.main(["fashion-mnist", "--quiet", "--out", str(out)])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert message in err and str(out) in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file.txt"]   # no probe left behind


def test_cli_checks_root_before_training(no_training, capsys, tmp_path):
    with pytest.raises(SystemExit):
        fm.main(["fashion-mnist", "--out", str(tmp_path / "m.npz"), "--root", str(tmp_path / "nope")])
    assert "is not a folder" in capsys.readouterr().err


def test_output_probe_reports_an_unwritable_folder(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(fm.tempfile, "mkstemp", refuse)
    problem = fm._output_problem(tmp_path / "m.npz")
    assert "cannot write in" in problem and "Permission denied" in problem


# --- the product: one file, raw images in, classes out -----------------------------------
def _trained_pair():
    "Two tiny trained members with different scaling, as (trainer, data, seconds)."
    out = []
    for k in range(2):
        data = _tiny_data(seed=k)
        data = {**data, "mean": 0.3 + 0.1 * k, "std": 0.2 + 0.05 * k}
        trainer, _, seconds = train_fashion_mnist(data, seed=k, progress=False, epochs=1, hidden=(16,))
        out.append((trainer, data, seconds))
    return out


def test_scale_pixels_matches_prepare_and_checks_shapes():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    raw = ((images, np.arange(4)), (images, np.arange(4)), NAMES)
    data = fm.prepare_fashion_mnist(raw, val_size=1, seed=0)
    scaled = ScalePixels(data["mean"], data["std"])(images)
    np.testing.assert_array_equal(scaled, data["X_test"])     # bit for bit what training saw
    assert scaled.dtype == np.float32
    with pytest.raises(ValueError, match=r"ScalePixels: expected images of shape \(N, 28, 28\)"):
        ScalePixels(0.3, 0.4)(np.zeros((2, 27, 27)))
    with pytest.raises(ValueError, match=r"ScalePixels: std must be a finite number in \(0, inf\), got 0.0"):
        ScalePixels(0.3, 0.0)


def test_ensemble_averages_logits_and_round_trips_through_trainer_save(tmp_path):
    trained = _trained_pair()
    model = export_model(trained)
    assert isinstance(model, Ensemble) and not model.training
    images = np.random.default_rng(1).integers(0, 256, (7, 28, 28)).astype(np.float32)
    expected = np.mean([t.predict(ScalePixels(d["mean"], d["std"])(images)) for t, d, _ in trained], axis=0)
    np.testing.assert_allclose(model(images), expected, rtol=1e-5, atol=1e-6)
    save(model, tmp_path / "plain.npz")                       # mlpbook.trainer.save / load work as is
    again = load(tmp_path / "plain.npz")
    np.testing.assert_array_equal(again.eval()(images), model(images))
    single = export_model(trained[:1])
    assert type(single).__name__ == "Sequential" and isinstance(single[0], ScalePixels)


def test_predict_from_file(tmp_path):
    trained = _trained_pair()
    model = export_model(trained)
    save_model(model, tmp_path / "m.npz", NAMES)
    images = np.random.default_rng(2).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    result = predict(tmp_path / "m.npz", images)
    assert result.labels.shape == (5,) and result.probabilities.shape == (5, 10)
    np.testing.assert_allclose(result.probabilities.sum(1), 1, rtol=1e-9)
    np.testing.assert_array_equal(result.labels, model(images).argmax(1))
    assert result.names == [NAMES[c] for c in result.labels]
    one = predict(tmp_path / "m.npz", images[0])              # a single (28, 28) image
    assert one.labels.shape == (1,) and one.labels[0] == result.labels[0]
    flat = predict(tmp_path / "m.npz", images.reshape(5, 784))
    np.testing.assert_array_equal(flat.labels, result.labels)
    loaded, names = load_model(tmp_path / "m.npz")
    assert names == list(NAMES) and not loaded.training
    with pytest.raises(ValueError, match=r"predict: expected images of shape"):
        predict(tmp_path / "m.npz", np.zeros((3, 10, 10)))


def test_load_images_npy_png_and_invert(tmp_path):
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.save(tmp_path / "three.npy", images)
    np.save(tmp_path / "one.npy", images[0])
    plt.imsave(tmp_path / "gray.png", images[1], cmap="gray", vmin=0, vmax=255)
    out, names = load_images([tmp_path / "three.npy", tmp_path / "one.npy", tmp_path / "gray.png"])
    assert out.shape == (5, 28, 28) and len(names) == 5
    np.testing.assert_array_equal(out[:3], images)
    np.testing.assert_allclose(out[4], images[1], atol=1.01)  # 8-bit PNG via a colormap
    inverted, _ = load_images([tmp_path / "one.npy"], invert=True)
    np.testing.assert_array_equal(inverted[0], 255 - images[0].astype(np.float32))
    np.save(tmp_path / "bad.npy", np.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match=r"bad.npy: expected 28x28 images, got an array of shape \(2, 32, 32\)"):
        load_images([tmp_path / "bad.npy"])
    with pytest.raises(ValueError, match="expected a .npy or .png file"):
        load_images([tmp_path / "x.jpg"])


def test_predict_cli_argument_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        fm.predict_main([str(tmp_path / "missing.npz"), str(tmp_path / "x.png")])
    assert exit_info.value.code == 2 and "no such file" in capsys.readouterr().err
    trained = _trained_pair()
    save_model(export_model(trained), tmp_path / "m.npz", NAMES)
    np.save(tmp_path / "bad.npy", np.zeros((28, 27)))
    with pytest.raises(SystemExit):
        fm.predict_main([str(tmp_path / "m.npz"), str(tmp_path / "bad.npy")])
    assert "expected 28x28 images" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        fm.predict_main([str(tmp_path / "m.npz"), str(tmp_path / "bad.npy"), "--top", "0"])


@pytest.mark.slow
def test_end_to_end_train_cli_then_predict(tmp_path):
    """Train a 2-member ensemble for one epoch with the CLI (separate process), then classify
    the raw test images from the saved file: the accuracy equals the one the CLI printed and
    the one of the same training done in this process."""
    from mlpbook.datasets import load_fashion_mnist
    from mlpbook.metrics import accuracy
    run = "import sys; from mlpbook.fashion_mnist import {0}; sys.exit({0}())"
    env = {**os.environ, "PYTHONPATH": str(Path(fm.__file__).parents[1])}
    model_file = tmp_path / "fashion.npz"
    done = subprocess.run([sys.executable, "-c", run.format("main"), "fashion-mnist", "--epochs", "1",
                           "--members", "2", "--quiet", "--out", str(model_file)],
                          capture_output=True, text=True, timeout=1800, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    printed = float(re.search(r"test accuracy (\d\.\d+)", done.stdout).group(1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fashion.npz"]   # nothing else written

    raw = load_fashion_mnist()
    (_, _), (X_test, y_test), names = raw
    result = predict(model_file, X_test)                      # raw uint8 images in, classes out
    file_accuracy = float(np.mean(result.labels == y_test))
    assert abs(file_accuracy - printed) < 1e-4
    assert file_accuracy > 0.8, f"one epoch should already reach 80%, got {file_accuracy:.4f}"

    members = fm.train_ensemble(raw, members=2, seed=0, epochs=1)       # the same, in process
    in_process = accuracy(y_test, ensemble_logits(members))
    assert abs(in_process - file_accuracy) < 0.003, (in_process, file_accuracy)

    import matplotlib.pyplot as plt
    np.save(tmp_path / "five.npy", X_test[:5])
    pngs = [tmp_path / f"img{i}.png" for i in range(2)]
    for i, png in enumerate(pngs):
        plt.imsave(png, X_test[i], cmap="gray", vmin=0, vmax=255)
    shown = subprocess.run([sys.executable, "-c", run.format("predict_main"), str(model_file),
                            str(tmp_path / "five.npy"), *map(str, pngs), "--top", "2"],
                           capture_output=True, text=True, timeout=600, env=env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.strip().splitlines()
    assert len(lines) == 7
    for line, label in zip(lines, list(result.labels[:5]) + list(result.labels[:2])):
        assert line.split(": ", 1)[1].startswith(names[label] + " "), line
