import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the oracle for parity tests; those tests skip where it is absent."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests skipped "
                                "(pip install torch==2.13.0 to run them)")
    torch.set_default_dtype(torch.float64)
    return torch
