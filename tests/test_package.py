"""The package as users get it: the public API, metadata, and a wheel installed in a fresh venv."""
import importlib
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

import mlpbook

ROOT = Path(__file__).resolve().parents[1]

PUBLIC = {
    "mlpbook.layers": ["Parameter", "Buffer", "Module", "Dense", "Sequential"],
    "mlpbook.gradcheck": ["gradcheck", "GradcheckError"],
    "mlpbook.activations": ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax"],
    "mlpbook.losses": ["MSELoss", "CategoricalCrossEntropy", "SoftmaxCrossEntropy", "BCEWithLogits"],
    "mlpbook.optim": ["SGD", "RMSProp", "Adam", "AdamW", "clip_grad_norm_", "StepLR", "MultiStepLR", "ExponentialLR",
                      "CosineAnnealingLR", "LinearLR", "SequentialLR", "ReduceLROnPlateau"],
    "mlpbook.data": ["Dataset", "ArrayDataset", "Subset", "DataLoader", "random_split", "Standardize"],
    "mlpbook.trainer": ["Trainer", "Callback", "History", "save", "load"],
    "mlpbook.callbacks": ["EarlyStopping", "ProgressBar", "CSVLogger", "ModelCheckpoint", "TerminateOnNaN",
                          "LambdaCallback"],
    "mlpbook.regularization": ["Dropout", "RandomHorizontalFlip", "RandomShift"],
    "mlpbook.normalization": ["BatchNorm1d"],
    "mlpbook.datasets": ["load_fashion_mnist"],
}


def test_top_level_reexports_exactly_the_public_api():
    expected = {name for names in PUBLIC.values() for name in names} | {"LRSchedulerCallback", "__version__"}
    assert set(mlpbook.__all__) == expected
    assert len(mlpbook.__all__) == len(set(mlpbook.__all__))
    for module, names in PUBLIC.items():
        mod = importlib.import_module(module)
        for name in names:
            assert getattr(mlpbook, name) is getattr(mod, name), name
    from mlpbook.callbacks import LRScheduler
    assert mlpbook.LRSchedulerCallback is LRScheduler


def test_public_objects_have_docstrings():
    for name in mlpbook.__all__:
        if name == "__version__":
            continue
        obj = getattr(mlpbook, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20, f"{name} needs a docstring"


def test_version_in_one_place():
    assert re.fullmatch(r"\d+\.\d+\.\d+", mlpbook.__version__)
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "mlpbook.__version__"}


def test_metadata_complete():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "mlpbook" and project["license"] == "MIT" and project["readme"] == "README.md"
    assert project["requires-python"].startswith(">=3.10")
    assert sorted(re.split(r"[<>=!~ ]", d)[0] for d in project["dependencies"]) == ["matplotlib", "numpy"]
    assert project["classifiers"] and project["urls"] and project["scripts"]["mlpbook-train"]


ALLOWED = {"mlpbook", "numpy", "matplotlib", "contourpy", "cycler", "fonttools", "kiwisolver", "packaging",
           "pillow", "pyparsing", "python-dateutil", "six", "pip", "setuptools", "wheel"}

EXAMPLE = """
import numpy as np
from mlpbook import Adam, ArrayDataset, DataLoader, Dense, ReLU, Sequential, SoftmaxCrossEntropy, Trainer
from mlpbook.data import make_spirals
X, y = make_spirals(rng=0)
model = Sequential(Dense(2, 64, rng=1), ReLU(), Dense(64, 3, rng=2))
trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-2), metrics=["accuracy"])
history = trainer.fit(DataLoader(ArrayDataset(X, y), batch_size=64, shuffle=True, rng=3), epochs=20)
print("accuracy", history["accuracy"][-1])
assert history["accuracy"][-1] > 0.9
"""


@pytest.mark.slow
def test_wheel_installs_in_fresh_venv_with_only_numpy_and_matplotlib(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("mlpbook-*.whl"))
    assert wheel.name.startswith(f"mlpbook-{mlpbook.__version__}-")
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True)
    names = {line.split("==")[0].lower() for line in listed.stdout.split()}
    assert names <= ALLOWED, f"unexpected packages pulled in: {sorted(names - ALLOWED)}"
    run = subprocess.run([str(python), "-c", EXAMPLE], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "accuracy" in run.stdout
    cli = subprocess.run([str(env / "bin" / "mlpbook-train"), "--help"], capture_output=True, text=True)
    assert cli.returncode == 0 and "fashion-mnist" in cli.stdout
