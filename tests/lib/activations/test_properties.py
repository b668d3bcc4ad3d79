"""Property-based tests (hypothesis): every activation passes gradcheck in float64 on
random shapes and scales."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from mlpbook.gradcheck import gradcheck

FAST = settings(max_examples=30, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
ACTIVATIONS = {"ReLU": ReLU, "LeakyReLU": lambda: LeakyReLU(0.2), "Sigmoid": Sigmoid,
               "Tanh": Tanh, "GELU": GELU, "Softmax": Softmax}
KINKED = {"ReLU", "LeakyReLU"}

batch = st.integers(1, 4)
width = st.integers(1, 5)
seed = st.integers(0, 2**32 - 1)
scale = st.floats(0.1, 3.0)


def away_from_kinks(x, margin=1e-3):
    "Move entries within `margin` of 0 away from it (a kink straddled by +-eps fails)."
    return np.where(np.abs(x) < margin, np.copysign(0.5, x), x)


@FAST
@given(name=st.sampled_from(sorted(ACTIVATIONS)), n=batch, d=width, s=seed, w=scale)
def test_activation_passes_gradcheck(name, n, d, s, w):
    x = np.random.default_rng(s).standard_normal((n, d)) * w
    if name in KINKED:
        x = away_from_kinks(x)
    assert gradcheck(ACTIVATIONS[name](), x)
