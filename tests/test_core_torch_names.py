"""The core API keeps the README's promise of PyTorch's names (issue 10): torch's class
names exist, and every argument we share with torch has torch's name, position and
default, or is keyword-only (so a torch-style positional call cannot mean something
else here). Checked against the real signatures where torch is installed."""
import inspect

import numpy as np
import pytest

from mlpbook import activations, layers, losses

# (ours, dotted name of torch's counterpart)
PAIRS = [
    (layers.Dense, "nn.Linear"),
    (layers.Sequential, "nn.Sequential"),
    (activations.ReLU, "nn.ReLU"),
    (activations.LeakyReLU, "nn.LeakyReLU"),
    (activations.Sigmoid, "nn.Sigmoid"),
    (activations.Tanh, "nn.Tanh"),
    (activations.GELU, "nn.GELU"),
    (activations.Softmax, "nn.Softmax"),
    (losses.MSELoss, "nn.MSELoss"),
    (losses.CrossEntropyLoss, "nn.CrossEntropyLoss"),
    (losses.BCEWithLogitsLoss, "nn.BCEWithLogitsLoss"),
]
METHODS = ["train", "eval", "zero_grad", "parameters", "named_parameters",
           "named_children", "children", "named_modules", "named_buffers",
           "state_dict", "load_state_dict"]

# Documented differences of default (each docstring says so).
DEFAULTS_DIFFER = {
    ("Dense", "dtype"): "float32 by default, for speed",
    ("GELU", "approximate"): "only the tanh approximation is implemented",
    ("Softmax", "dim"): "torch's None guesses the axis and warns; ours is -1",
}


def _resolve(torch, dotted):
    obj = torch
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _params(fn):
    if fn is object.__init__:            # no constructor arguments at all
        return []
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def _check(ours_name, ours_fn, theirs_fn):
    ours, theirs = _params(ours_fn), _params(theirs_fn)
    theirs_by_name = {p.name: p for p in theirs}
    positional = [p for p in theirs if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for i, p in enumerate(ours):
        if p.kind == p.VAR_POSITIONAL:
            assert any(q.kind == q.VAR_POSITIONAL for q in theirs), (ours_name, p.name)
            continue
        if p.kind == p.POSITIONAL_OR_KEYWORD:
            assert i < len(positional) and positional[i].name == p.name, (
                f"{ours_name}: positional argument {i} is {p.name!r} here but "
                f"{positional[i].name if i < len(positional) else 'absent'!r} in torch; "
                "make it keyword-only")
        elif p.kind == p.KEYWORD_ONLY and p.name not in theirs_by_name:
            continue                     # an mlpbook-only keyword (init=, rng=, axis=)
        assert p.name in theirs_by_name, f"{ours_name}: {p.name!r} is not torch's name"
        their_default = theirs_by_name[p.name].default
        if (ours_name, p.name) not in DEFAULTS_DIFFER and p.default is not p.empty:
            assert p.default == their_default, (
                f"{ours_name}({p.name}=...): default {p.default!r} here, "
                f"{their_default!r} in torch")


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[p[1] for p in PAIRS])
def test_constructor_matches_torch(torch, ours, theirs):
    _check(ours.__name__, ours.__init__, _resolve(torch, theirs).__init__)
    assert theirs.split(".")[-1] in (ours.__name__, "Linear", "CrossEntropyLoss",
                                     "BCEWithLogitsLoss")


@pytest.mark.parametrize("method", METHODS)
def test_module_methods_match_torch(torch, method):
    _check(f"Module.{method}", getattr(layers.Module, method),
           getattr(torch.nn.Module, method))


def test_documented_default_differences_are_in_the_docstrings():
    assert "float32" in layers.Dense.__doc__
    assert "tanh approximation" in activations.GELU.__doc__
    assert "torch's default, None" in activations.Softmax.__doc__


def test_torch_names_behave_like_torch(torch):
    logits = np.random.default_rng(0).standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    ours = losses.CrossEntropyLoss(label_smoothing=0.1)(logits, labels)
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(
        torch.tensor(logits), torch.tensor(labels)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
    t = (logits > 0).astype(float)
    ours = losses.BCEWithLogitsLoss()(logits, t)
    theirs = torch.nn.BCEWithLogitsLoss()(torch.tensor(logits), torch.tensor(t)).item()
    assert ours == pytest.approx(theirs, rel=1e-12)
    y = activations.Softmax(dim=0)(logits)
    np.testing.assert_allclose(y, torch.nn.Softmax(dim=0)(torch.tensor(logits)).numpy())
    net = layers.Sequential(layers.Dense(4, 3), activations.ReLU(), layers.Dense(3, 2))
    tnet = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    assert type(net[1:]) is layers.Sequential and type(tnet[1:]) is torch.nn.Sequential
