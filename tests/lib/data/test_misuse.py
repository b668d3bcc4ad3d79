"""Misuse of the datasets, DataLoader, random_split and Standardize: every case raises the
exact exception type with a message that names the problem."""
import numpy as np
import pytest

from mlpbook.data import ArrayDataset, DataLoader, Standardize, random_split


def _ds(n=10):
    return ArrayDataset(np.zeros((n, 2), np.float32), np.arange(n))


@pytest.mark.parametrize("bad", [2.7, "8", True, 0, -1, None, 3.0])
def test_dataloader_batch_size_like_torch(bad):
    with pytest.raises(ValueError, match=rf"positive integer value, but got batch_size={bad}"):
        DataLoader(_ds(), batch_size=bad)


def test_dataloader_keyword_only_after_shuffle():
    with pytest.raises(TypeError, match="positional"):
        DataLoader(_ds(), 4, True, True)                  # torch's 4th positional is sampler
    with pytest.raises(ValueError, match=r"drop_last should be a boolean value"):
        DataLoader(_ds(), 4, drop_last="yes")
    with pytest.raises(ValueError, match=r"shuffle should be a boolean value"):
        DataLoader(_ds(), 4, shuffle=1)


def test_dataloader_generator_keyword_and_conflicts():
    a = [yb.tolist() for _, yb in DataLoader(_ds(), 3, True, generator=5)]
    b = [yb.tolist() for _, yb in DataLoader(_ds(), 3, True, rng=5)]
    assert a == b
    with pytest.raises(TypeError, match=r"either rng= or generator="):
        DataLoader(_ds(), 3, True, rng=1, generator=1)
    with pytest.raises(TypeError, match=r"generator must be an np.random.Generator"):
        DataLoader(_ds(), 3, True, generator="seed")


def test_dataloader_rejects_tuple_and_empty_shuffle():
    X, y = np.zeros((4, 2)), np.zeros(4)
    with pytest.raises(TypeError, match=r"wrap arrays .*ArrayDataset\(X, y\)"):
        DataLoader((X, y), batch_size=2)
    with pytest.raises(TypeError, match=r"__len__ and __getitem__"):
        DataLoader(42, batch_size=2)
    with pytest.raises(ValueError, match=r"cannot shuffle an empty dataset"):
        DataLoader(ArrayDataset(np.zeros((0, 2)), np.zeros(0)), batch_size=2, shuffle=True)


def test_array_dataset_errors():
    with pytest.raises(ValueError, match=r"array 0 has 4 examples but array 1 has 3"):
        ArrayDataset(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"array 1 is a scalar"):
        ArrayDataset(np.zeros((4, 2)), 3.0)
    with pytest.raises(ValueError, match=r"at least one array"):
        ArrayDataset()


def test_random_split_generator_and_conflict():
    a = random_split(_ds(), [6, 4], generator=3)[0].indices
    np.testing.assert_array_equal(a, random_split(_ds(), [6, 4], rng=3)[0].indices)
    with pytest.raises(TypeError, match=r"either rng= or generator="):
        random_split(_ds(), [6, 4], rng=1, generator=1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_standardize_fit_refuses_non_finite(bad):
    X = np.ones((5, 3), np.float32)
    X[3, 1] = bad
    with pytest.raises(ValueError, match=r"1 NaN or inf entries \(the first at index \(3, 1\)\)"):
        Standardize().fit(X)
    with pytest.raises(TypeError, match=r"numeric"):
        Standardize().fit(np.array([["a"], ["b"]]))
