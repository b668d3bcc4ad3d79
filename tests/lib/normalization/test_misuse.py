"""Misuse of BatchNorm1d: every case raises the exact exception type with a message that
names the problem."""
import numpy as np
import pytest

from mlpbook.normalization import BatchNorm1d


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "4", None])
def test_batchnorm_num_features(bad):
    with pytest.raises(ValueError, match=rf"num_features must be a positive int.*got {bad!r}"):
        BatchNorm1d(bad)


def test_batchnorm_other_arguments():
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\] or None"):
        BatchNorm1d(3, 1e-5, 1.5)
    with pytest.raises(ValueError, match=r"BatchNorm1d: eps must be a finite number in \(0, inf\), got 0.0"):
        BatchNorm1d(3, eps=0)
    with pytest.raises(TypeError, match="positional"):
        BatchNorm1d(3, 1e-5, 0.1, np.float64)             # torch's 4th positional is affine


def test_batchnorm_batch_of_one_suggests_drop_last():
    from mlpbook.normalization import BatchNorm1d
    with pytest.raises(ValueError, match="drop_last=True"):
        BatchNorm1d(2)(np.ones((1, 2)))
