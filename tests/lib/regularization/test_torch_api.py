"""Dropout against PyTorch's real signature and semantics. Skipped where torch is absent
(the `torch` fixture)."""
import numpy as np

from mlpbook.regularization import Dropout

from torch_signatures import check_positions


def test_dropout_signature(torch):
    names = check_positions(Dropout.__init__, torch.nn.Dropout.__init__)
    assert {"p", "inplace"} <= names


def test_dropout_statistics_like_torch(torch):
    "Same contract as torch.nn.Dropout: drop rate p, survivors scaled by 1/(1-p), p=1 zeros."
    x = np.ones((400, 500))
    for p in (0.0, 0.3, 0.8, 1.0):
        ours = Dropout(p, rng=0)(x)
        theirs = torch.nn.Dropout(p)(torch.ones(400, 500)).numpy()
        for y in (ours, theirs):
            assert abs(np.mean(y == 0) - p) < 0.01
            kept = y[y != 0]
            if kept.size:
                np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
