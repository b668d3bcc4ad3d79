"""The layers (Dense, Sequential, Module's methods) keep PyTorch's names: torch's class names exist, and every argument
we share with torch has torch's name, position and default, or is keyword-only (so a
torch-style positional call cannot mean something else here). Checked against the real
signatures where torch is installed."""
import pytest

from mlpbook import activations, layers
from torch_signatures import check_signature, resolve

# (ours, dotted name of torch's counterpart)
PAIRS = [
    (layers.Dense, "nn.Linear"),
    (layers.Sequential, "nn.Sequential"),
]
METHODS = ["train", "eval", "zero_grad", "parameters", "named_parameters",
           "named_children", "children", "named_modules", "named_buffers",
           "state_dict", "load_state_dict"]


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=[p[1] for p in PAIRS])
def test_constructor_matches_torch(torch, ours, theirs):
    check_signature(ours.__name__, ours.__init__, resolve(torch, theirs).__init__)
    assert theirs.split(".")[-1] in (ours.__name__, "Linear", "CrossEntropyLoss",
                                     "BCEWithLogitsLoss")


@pytest.mark.parametrize("method", METHODS)
def test_module_methods_match_torch(torch, method):
    check_signature(f"Module.{method}", getattr(layers.Module, method),
                    getattr(torch.nn.Module, method))


def test_documented_default_differences_are_in_the_docstrings():
    assert "float32" in layers.Dense.__doc__
    assert "tanh approximation" in activations.GELU.__doc__
    assert "torch's default, None" in activations.Softmax.__doc__
