"""Misuse of datasets, loaders, splits, Standardize and the synthetic problems that gave a
silent wrong result or a raw NumPy error: each is now refused with a message naming the
function, the argument and what it expected, or gives the right result."""
import numpy as np
import pytest

from mlpbook.data import (ArrayDataset, DataLoader, Standardize, Subset, make_sine_regression,
                          make_spirals, random_split)


def _ds(n=10):
    return ArrayDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))


# --- Subset: positions, not masks or floats --------------------------------------------
def test_subset_refuses_a_boolean_mask():
    y = np.arange(10)
    with pytest.raises(TypeError, match=r"Subset: indices is a boolean mask; .*"
                                        r"np\.flatnonzero\(mask\)"):
        Subset(_ds(), y >= 7)          # was: 10 items, copies of examples 0 and 1
    assert Subset(_ds(), np.flatnonzero(y >= 7))[np.arange(3)][1].tolist() == [7, 8, 9]


@pytest.mark.parametrize("indices", [[0.9, 2.5], [1.0, 2.0], np.array([0.5])])
def test_subset_refuses_floats(indices):
    with pytest.raises(TypeError, match=r"Subset: indices must be a 1-D sequence of "
                                        r"integer positions \(a float would be truncated\)"):
        Subset(_ds(), indices)         # was: silently [0, 2]


@pytest.mark.parametrize("indices, bad", [([0, 10], 10), ([-1], -1), ([3, 99, 100], 99)])
def test_subset_refuses_positions_outside_the_dataset(indices, bad):
    with pytest.raises(ValueError, match=rf"Subset: index {bad} is outside the dataset's "
                                         r"10 examples \(positions 0..9\)"):
        Subset(_ds(), indices)         # was: an IndexError at use, or -1 read as the last


def test_subset_refuses_two_dimensional_indices_and_non_datasets():
    with pytest.raises(TypeError, match=r"1-D sequence .*shape \(1, 2\)"):
        Subset(_ds(), [[0, 1]])
    with pytest.raises(TypeError, match=r"Subset: dataset must have __len__"):
        Subset(42, [0])
    assert len(Subset(_ds(), [])) == 0


# --- random_split and DataLoader arguments ------------------------------------------------
@pytest.mark.parametrize("lengths, exc, match", [
    (5, TypeError, r"random_split: lengths must be a list of lengths or fractions"),
    ([0.5, "0.5"], TypeError, r"random_split: lengths must be numbers"),
    ([True, 9], TypeError, r"random_split: lengths must be numbers"),
    ([], TypeError, r"random_split: lengths must be numbers"),
    ([float("nan"), 1], ValueError, r"random_split: lengths .* must be non-negative integers"),
    ([12, -2], ValueError, r"must be non-negative integers summing to the dataset's length 10"),
    ([2.5, 7.5], ValueError, r"must be non-negative integers"),
])
def test_random_split_bad_lengths_are_named(lengths, exc, match):
    with pytest.raises(exc, match=match):
        random_split(_ds(), lengths, rng=0)


def test_random_split_checks_its_generator_and_dataset():
    with pytest.raises(ValueError, match=r"random_split: rng must be a seed >= 0, got -3"):
        random_split(_ds(), [5, 5], rng=-3)           # was: NumPy's own message
    with pytest.raises(TypeError, match=r"random_split: dataset must have __len__"):
        random_split(42, [1])                          # was: "object of type 'int' has no len()"
    with pytest.raises(TypeError, match=r"random_split: dataset is a tuple"):
        random_split((np.zeros(3), np.zeros(3)), [2, 1])


def test_dataloader_checks_its_generator_and_collate_fn():
    with pytest.raises(ValueError, match=r"DataLoader: rng must be a seed >= 0, got -1"):
        DataLoader(_ds(), 4, shuffle=True, rng=-1)
    with pytest.raises(ValueError, match=r"DataLoader: generator must be a seed >= 0"):
        DataLoader(_ds(), 4, shuffle=True, generator=-1)
    with pytest.raises(TypeError, match=r"DataLoader: collate_fn must be a function"):
        DataLoader(_ds(), 4, collate_fn=5)              # was: an error at the first batch


def test_array_dataset_names_an_array_numpy_cannot_hold():
    with pytest.raises(ValueError, match=r"ArrayDataset: array 1 cannot be made an array"):
        ArrayDataset(np.zeros((2, 3)), [[1, 2], [3]])   # was: NumPy's inhomogeneous-shape error


# --- Standardize ------------------------------------------------------------------------------
def test_standardize_eps_zero_gives_no_nan():
    X = np.c_[np.full(5, 3.0), np.arange(5.0)]
    Z = Standardize(eps=0).fit_transform(X)            # was: NaN in the constant column
    assert np.isfinite(Z).all() and np.array_equal(Z[:, 0], np.zeros(5))


@pytest.mark.parametrize("eps, exc", [(-1e-8, ValueError), (np.nan, ValueError),
                                      ("1e-8", TypeError), (None, TypeError)])
def test_standardize_refuses_bad_eps(eps, exc):
    with pytest.raises(exc, match=r"Standardize: eps must be"):
        Standardize(eps=eps)


def test_standardize_failed_fit_keeps_the_previous_statistics():
    scaler = Standardize().fit(np.arange(10.0)[:, None])
    mean, std = scaler.mean.copy(), scaler.std.copy()
    with pytest.raises(ValueError, match=r"NaN or inf"):
        scaler.fit(np.array([[1.0], [np.nan]]))
    np.testing.assert_array_equal(scaler.mean, mean)
    np.testing.assert_array_equal(scaler.std, std)


def test_standardize_load_state_dict_checks_what_it_loads():
    scaler = Standardize()
    with pytest.raises(KeyError, match=r"Standardize.load_state_dict: needs a dict with "
                                       r"'mean' and 'std'"):
        scaler.load_state_dict({"mean": np.zeros(2)})      # was: a bare KeyError 'std'
    with pytest.raises(ValueError, match=r"mean \(2,\) and std \(3,\) differ in shape"):
        scaler.load_state_dict({"mean": np.zeros(2), "std": np.ones(3)})
    with pytest.raises(ValueError, match=r"std must be finite and > 0"):
        scaler.load_state_dict({"mean": np.zeros(2), "std": np.array([1.0, 0.0])})
    with pytest.raises(TypeError, match=r"Standardize.load_state_dict: mean must hold real"):
        scaler.load_state_dict({"mean": np.array(["a", "b"]), "std": np.ones(2)})
    assert scaler.mean is None                          # nothing half-loaded
    scaler.load_state_dict(Standardize().fit(np.eye(3)).state_dict())
    assert scaler.transform(np.eye(3)).shape == (3, 3)


def test_standardize_transform_names_bad_input():
    scaler = Standardize().fit(np.eye(3))
    with pytest.raises(TypeError, match=r"Standardize: X must hold real numbers"):
        scaler.transform(np.array([["a", "b", "c"]]))  # was: NumPy's ufunc error


# --- synthetic problems ---------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n_per_class": -1}, ValueError, r"make_spirals: n_per_class must be an integer in \[1, inf\)"),
    ({"n_per_class": 2.5}, TypeError, r"make_spirals: n_per_class must be an integer"),
    ({"classes": 0}, ValueError, r"make_spirals: classes must be an integer in \[1, inf\)"),
    ({"noise": -0.1}, ValueError, r"make_spirals: noise must be a finite number in \[0, inf\)"),
    ({"rng": -5}, ValueError, r"make_spirals: rng must be a seed >= 0"),
    ({"dtype": np.int32}, TypeError, r"make_spirals: dtype must be a floating-point dtype"),
])
def test_make_spirals_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_spirals(**kwargs)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n": 0}, ValueError, r"make_sine_regression: n must be an integer in \[1, inf\)"),
    ({"low": 3.0, "high": -3.0}, ValueError, r"make_sine_regression: high must be a finite "
                                             r"number in \[3, inf\)"),
    ({"noise": -1}, ValueError, r"make_sine_regression: noise must be"),
    ({"noise": float("nan")}, ValueError, r"make_sine_regression: noise must be"),
])
def test_make_sine_regression_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_sine_regression(**kwargs)


def test_synthetic_problems_unchanged():
    "The checks changed no number: the data of the book's runs are what they were."
    X, y = make_spirals(n_per_class=3, classes=2, noise=0.1, turns=1.5, rng=0)
    rng = np.random.default_rng(0)
    r = np.tile(np.linspace(0.05, 1.0, 3), 2)
    angle = 2 * np.pi * 1.5 * r + 2 * np.pi * np.repeat([0, 1], 3) / 2 + rng.normal(0, 0.1, 6)
    np.testing.assert_array_equal(X, np.stack([r * np.sin(angle), r * np.cos(angle)], 1)
                                  .astype(np.float32))


def test_standardize_fit_and_transform_agree_on_booleans():
    "A boolean array is refused by fit as by transform (it is almost always a mask)."
    with pytest.raises(TypeError, match=r"Standardize.fit needs a numeric array of "
                                        r"integers or floats, got dtype bool"):
        Standardize().fit(np.array([[True], [False]]))
    with pytest.raises(TypeError, match=r"Standardize: X must hold real numbers"):
        Standardize().fit(np.eye(2)).transform(np.eye(2, dtype=bool))
