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


# Property-based tests: derandomized by default, so `make test` and CI see the same
# examples on every run (a failure is reproducible, never a one-off). Set
# HYPOTHESIS_PROFILE=explore to draw fresh random examples while developing.
try:
    import os

    from hypothesis import settings

    settings.register_profile("repeatable", derandomize=True, deadline=None, database=None)
    settings.register_profile("explore", deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
except ImportError:   # hypothesis is a dev extra; the property tests skip without it
    pass
