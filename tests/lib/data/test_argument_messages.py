"""DataLoader's batch_size message shows what was passed, type included: a string "2"
must not read as the number 2."""
import numpy as np
import pytest

from mlpbook.data import ArrayDataset, DataLoader


def _ds(n=10):
    return ArrayDataset(np.zeros((n, 2), np.float32), np.arange(n))


@pytest.mark.parametrize("bad, shown", [("2", "str: '2'"), (2.0, "float: 2.0"),
                                        (True, "bool: True"), (np.float64(4), "float64")])
def test_batch_size_message_shows_the_type(bad, shown):
    with pytest.raises(ValueError) as err:
        DataLoader(_ds(), batch_size=bad)
    message = str(err.value)
    assert message.startswith("batch_size should be a positive integer value, but got "
                              f"batch_size={bad}"), message        # torch's words first
    assert shown in message, f"the message hides the type of {bad!r}: {message}"


def test_batch_size_message_for_a_bad_int_names_it():
    with pytest.raises(ValueError, match=r"batch_size=0 \(type int: 0\)"):
        DataLoader(_ds(), batch_size=0)
