"""DataLoader and random_split against PyTorch's real signatures and semantics. Skipped
where torch is absent (the `torch` fixture)."""
import numpy as np
import pytest

from mlpbook.data import DataLoader, random_split

from torch_signatures import check_positions


def test_dataloader_signature(torch):
    names = check_positions(DataLoader.__init__, torch.utils.data.DataLoader.__init__)
    assert {"dataset", "batch_size", "shuffle", "drop_last", "generator",
            "collate_fn"} <= names


def test_random_split_signature(torch):
    names = check_positions(random_split, torch.utils.data.random_split,
                             aliases={"rng": "generator"})
    assert {"dataset", "lengths", "generator"} <= names


def test_dataloader_batch_size_errors_match_torch(torch):
    ds = torch.utils.data.TensorDataset(torch.zeros(4, 2))
    for bad in (2.7, "8", True):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(ds, batch_size=bad)
        with pytest.raises(ValueError) as ours:
            from mlpbook.data import ArrayDataset
            DataLoader(ArrayDataset(np.zeros((4, 2))), batch_size=bad)
        # torch's message word for word, then the type torch's hides ("8" reads as 8)
        assert str(ours.value).startswith(str(theirs.value) + " (type "), \
            (str(ours.value), str(theirs.value))
