"""The package as users get it: the public API, metadata, and a wheel installed in a fresh venv."""
import importlib
import json
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

import mlpbook

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = {
    "mlpbook.layers": ["Parameter", "Buffer", "Module", "Dense", "Sequential", "SharedModuleError"],
    "mlpbook.gradcheck": ["gradcheck", "GradcheckError"],
    "mlpbook.activations": ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax"],
    "mlpbook.losses": ["MSELoss", "CategoricalCrossEntropy", "SoftmaxCrossEntropy", "CrossEntropyLoss",
                       "BCEWithLogits", "BCEWithLogitsLoss"],
    "mlpbook.optim": ["SGD", "Adagrad", "RMSProp", "RMSprop", "Adam", "AdamW", "clip_grad_norm_"],
    "mlpbook.lr_scheduler": ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                             "ConstantLR", "PolynomialLR", "SequentialLR", "ChainedScheduler",
                             "ReduceLROnPlateau"],
    "mlpbook.data": ["Dataset", "ArrayDataset", "Subset", "DataLoader", "random_split", "Standardize"],
    "mlpbook.trainer": ["Trainer", "Callback", "History", "save", "load", "load_checkpoint"],
    "mlpbook.saving": ["save", "load", "load_checkpoint"],      # also importable from trainer
    "mlpbook.callbacks": ["EarlyStopping", "ProgressBar", "CSVLogger", "ModelCheckpoint", "TerminateOnNaN",
                          "LambdaCallback"],
    "mlpbook.regularization": ["Dropout", "RandomHorizontalFlip", "RandomShift"],
    "mlpbook.normalization": ["BatchNorm1d"],
    "mlpbook.datasets": ["load_fashion_mnist", "load_auto_mpg"],
    "mlpbook.rbf": ["RBF"],
    "mlpbook.fashion_mnist": ["Ensemble", "ScalePixels"],
    "mlpbook.tuning": ["LRFinder", "lr_find", "grid_search", "random_search", "kfold_indices", "cross_val_score"],
    "mlpbook.diagnostics": ["ActivationStats"],
    "mlpbook.performance": ["flatten_parameters", "use_flat_step"],
    "mlpbook.autograd": ["Tensor", "Function", "no_grad", "is_grad_enabled", "cross_entropy",
                         "as_parameters", "TensorParameter"],
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
    assert project["classifiers"] and project["scripts"]["mlpbook-train"]   # urls: tests/book/test_launch.py


def test_console_scripts_are_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'mlpbook-train = "mlpbook.fashion_mnist:main"' in text
    assert 'mlpbook-predict = "mlpbook.fashion_mnist:predict_main"' in text


# Run inside the fresh venv: mlpbook's direct requirements, what they need in turn, and what is installed.
DEPENDENCY_REPORT = """
import importlib.metadata as md, json, re
from packaging.requirements import Requirement
def norm(name): return re.sub(r"[-_.]+", "-", name).lower()
def direct(name):
    reqs = [Requirement(r) for r in md.requires(name) or []]
    return sorted(norm(r.name) for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""}))
closure, todo = set(), direct("mlpbook")
while todo:
    name = todo.pop()
    if name not in closure:
        closure.add(name)
        todo += direct(name)
installed = sorted({norm(d.metadata["Name"]) for d in md.distributions()})
print(json.dumps({"direct": direct("mlpbook"), "closure": sorted(closure), "installed": installed}))
"""

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
    report = subprocess.run([str(python), "-c", DEPENDENCY_REPORT], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr[-3000:]
    deps = json.loads(report.stdout)
    assert deps["direct"] == ["matplotlib", "numpy"]
    extra = set(deps["installed"]) - set(deps["closure"]) - {"mlpbook", "pip", "setuptools", "wheel"}
    assert not extra, f"installed beyond numpy, matplotlib and their own requirements: {sorted(extra)}"
    run = subprocess.run([str(python), "-c", EXAMPLE], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "accuracy" in run.stdout
    cli = subprocess.run([str(env / "bin" / "mlpbook-train"), "--help"], capture_output=True, text=True)
    assert cli.returncode == 0 and "fashion-mnist" in cli.stdout
