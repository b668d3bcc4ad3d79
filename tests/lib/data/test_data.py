import numpy as np
import pytest

from mlpbook.data import (ArrayDataset, DataLoader, Dataset, Standardize, Subset, make_sine_regression,
                          make_spirals, random_split)


def _dataset(n=23):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    return ArrayDataset(X, np.arange(n))


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (5, False), (5, True), (23, False), (50, False), (50, True)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_item_exactly_once_per_epoch(batch_size, drop_last, shuffle):
    ds = _dataset()
    loader = DataLoader(ds, batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, rng=0)
    expected_len = 23 // batch_size if drop_last else -(-23 // batch_size)
    assert len(loader) == expected_len
    for _ in range(3):
        batches = list(loader)
        assert len(batches) == expected_len
        seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
        if drop_last:
            assert len(seen) == expected_len * batch_size and len(set(seen)) == len(seen)
            assert all(len(yb) == batch_size for _, yb in batches)
        else:
            assert sorted(seen) == list(range(23))
        for xb, yb in batches:
            np.testing.assert_array_equal(xb, ds.arrays[0][yb])     # features stay with their labels


def test_shuffle_new_order_each_epoch_and_reproducible():
    loader = DataLoader(_dataset(), batch_size=4, shuffle=True, rng=7)
    e1 = np.concatenate([yb for _, yb in loader])
    e2 = np.concatenate([yb for _, yb in loader])
    assert not np.array_equal(e1, e2)
    again = DataLoader(_dataset(), batch_size=4, shuffle=True, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in again]), e1)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in again]), e2)


def test_unshuffled_batches_are_views():
    ds = _dataset()
    xb, _ = next(iter(DataLoader(ds, batch_size=5)))
    assert np.shares_memory(xb, ds.arrays[0])


def test_batched_dataset_indexed_once_per_batch():
    class Counting(ArrayDataset):
        calls = 0
        def __getitem__(self, index):
            Counting.calls += 1
            return super().__getitem__(index)
    ds = Counting(np.zeros((100, 2)), np.zeros(100))
    list(DataLoader(ds, batch_size=10, shuffle=True, rng=0))
    assert Counting.calls == 10


def test_generic_dataset_is_collated():
    class Squares(Dataset):
        def __len__(self):
            return 7
        def __getitem__(self, i):
            return np.array([i, i * i], dtype=np.float32), i
    batches = list(DataLoader(Squares(), batch_size=3))
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)]
    np.testing.assert_array_equal(batches[2][1], [6])


def test_loader_errors():
    with pytest.raises(ValueError, match="positive integer"):
        DataLoader(_dataset(), batch_size=0)
    with pytest.raises(ValueError, match="array 0 has 4 examples but array 1 has 3"):
        ArrayDataset(np.zeros((4, 2)), np.zeros(3))


def test_random_split_lengths_and_fractions():
    ds = _dataset(10)
    a, b = random_split(ds, [7, 3], rng=0)
    assert len(a) == 7 and len(b) == 3
    assert sorted(np.concatenate([a.indices, b.indices])) == list(range(10))
    parts = random_split(_dataset(11), [0.5, 0.3, 0.2], rng=0)
    assert [len(p) for p in parts] == [6, 3, 2]                     # remainder dealt from the first
    same = random_split(ds, [7, 3], rng=0)
    np.testing.assert_array_equal(same[0].indices, a.indices)
    xb, yb = a[np.arange(3)]                                      # subsets stay batch-indexable
    assert xb.shape == (3, 3) and isinstance(a, Subset) and a.batched
    with pytest.raises(ValueError, match="summing"):
        random_split(ds, [5, 4])


def test_standardize_fitted_on_training_only():
    rng = np.random.default_rng(0)
    train = (rng.standard_normal((1000, 3)) * [1, 10, 0] + [5, -2, 7]).astype(np.float32)
    test = train + 100
    scaler = Standardize().fit(train)
    Z = scaler.transform(train)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(0), [1, 1, 0], atol=1e-4)       # constant feature: centred, not scaled
    assert Z.dtype == np.float32
    assert scaler.transform(test).mean() > 10                        # test statistics never leak in
    np.testing.assert_allclose(scaler.inverse_transform(Z), train, rtol=1e-5, atol=1e-4)
    assert scaler.transform(np.zeros((2, 3), np.uint8)).dtype == np.float32
    with pytest.raises(RuntimeError, match="fit"):
        Standardize().transform(train)
    with pytest.raises(ValueError, match="shape"):
        scaler.transform(np.zeros((2, 4)))


def test_synthetic_data():
    X, y = make_spirals(n_per_class=100, classes=4, rng=0)
    assert X.shape == (400, 2) and X.dtype == np.float32 and np.bincount(y).tolist() == [100] * 4
    np.testing.assert_array_equal(X, make_spirals(n_per_class=100, classes=4, rng=0)[0])
    Xr, yr = make_sine_regression(n=50, rng=1)
    assert Xr.shape == yr.shape == (50, 1)
