"""Property-based tests (hypothesis): Dropout passes gradcheck with a fixed mask."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential
from mlpbook.regularization import Dropout

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


class FixedMaskDropout(Dropout):
    "Dropout whose generator is re-seeded before every forward: the same mask each call."

    def __init__(self, p, seed):
        super().__init__(p, rng=seed)
        self.seed = seed

    def forward(self, x):
        self.rng = np.random.default_rng(self.seed)
        return super().forward(x)


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([0.0, 0.2, 0.5, 0.9]),
       st.integers(0, 2**32 - 1))
def test_dropout_gradcheck_fixed_mask(n, d, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    assert gradcheck(FixedMaskDropout(p, seed), x)
    model = Sequential(Dense(d, 3, rng=seed % 1000), FixedMaskDropout(p, seed),
                       Dense(3, 2, rng=seed % 1000 + 1))
    assert gradcheck(model, x)
    assert gradcheck(Dropout(p, rng=seed).eval(), x)
