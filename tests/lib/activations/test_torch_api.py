"""The activations keep PyTorch's names: torch's class names exist, and every argument
we share with torch has torch's name, position and default, or is keyword-only (so a
torch-style positional call cannot mean something else here). Checked against the real
signatures where torch is installed."""
import pytest

from mlpbook import activations
from torch_signatures import check_signature, resolve

# (ours, dotted name of torch's counterpart)
PAIRS = [
    (activations.ReLU, "nn.ReLU"),
    (activations.LeakyReLU, "nn.LeakyReLU"),
    (activations.Sigmoid, "nn.Sigmoid"),
    (activations.Tanh, "nn.Tanh"),
    (activations.GELU, "nn.GELU"),
    (activations.Softmax, "nn.Softmax"),
]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[p[1] for p in PAIRS])
def test_constructor_matches_torch(torch, ours, theirs):
    check_signature(ours.__name__, ours.__init__, resolve(torch, theirs).__init__)
    assert theirs.split(".")[-1] in (ours.__name__, "Linear", "CrossEntropyLoss",
                                     "BCEWithLogitsLoss")
