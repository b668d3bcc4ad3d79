"""Misuse of the data loaders: arguments are checked before any file is read or
downloaded, and no dtype may silently turn a missing value into a number."""
import numpy as np
import pytest

from mlpbook.datasets import load_auto_mpg, load_fashion_mnist


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, "int16"])
def test_auto_mpg_refuses_an_integer_dtype(dtype, tmp_path, monkeypatch):
    # before: with missing="keep" the six NaN horsepowers became -2147483648 (and mpg
    # lost its decimals)
    monkeypatch.setenv("MLPBOOK_DATA", str(tmp_path))
    with pytest.raises(TypeError, match="load_auto_mpg: dtype must be a floating-point "
                                        "dtype such as np.float32"):
        load_auto_mpg(missing="keep", dtype=dtype, download=False)


@pytest.mark.parametrize("loader", [load_fashion_mnist, load_auto_mpg])
def test_loader_arguments_are_checked_first(loader, tmp_path):
    name = loader.__name__
    with pytest.raises(TypeError, match=f"{name}: download must be True or False, got "
                                        "str 'False'"):
        loader(root=tmp_path, download="False")            # a string is always true
    with pytest.raises(ValueError, match=rf"{name}: timeout must be a finite number in "
                                         r"\(0, inf\), got -1"):
        loader(root=tmp_path, timeout=-1)
    with pytest.raises(TypeError, match=f"{name}: root must be a folder path"):
        loader(root=123)
    with pytest.raises(TypeError, match=f"{name}: progress must be True or False"):
        loader(root=tmp_path, progress=None)


def test_fashion_mnist_checksums_must_be_a_dict(tmp_path):
    with pytest.raises(TypeError, match="load_fashion_mnist: checksums must be a dict"):
        load_fashion_mnist(root=tmp_path, checksums="abc")
