"""The losses keep PyTorch's names: torch's class names exist, and every argument
we share with torch has torch's name, position and default, or is keyword-only (so a
torch-style positional call cannot mean something else here). Checked against the real
signatures where torch is installed."""
import numpy as np
import pytest

from mlpbook import activations, layers, losses
from torch_signatures import check_signature, resolve

# (ours, dotted name of torch's counterpart)
PAIRS = [
    (losses.MSELoss, "nn.MSELoss"),
    (losses.CrossEntropyLoss, "nn.CrossEntropyLoss"),
    (losses.BCEWithLogitsLoss, "nn.BCEWithLogitsLoss"),
]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[p[1] for p in PAIRS])
def test_constructor_matches_torch(torch, ours, theirs):
    check_signature(ours.__name__, ours.__init__, resolve(torch, theirs).__init__)
    assert theirs.split(".")[-1] in (ours.__name__, "Linear", "CrossEntropyLoss",
                                     "BCEWithLogitsLoss")


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
