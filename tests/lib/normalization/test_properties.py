"""Property-based tests (hypothesis): BatchNorm1d passes gradcheck on random shapes."""
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Dense, Sequential
from mlpbook.normalization import BatchNorm1d

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(2, 8), st.integers(1, 5), st.integers(0, 2**32 - 1),
       st.sampled_from([0.1, None]))
def test_batchnorm_gradcheck_random_shapes(n, d, seed, momentum):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)) * rng.uniform(0.5, 3) + rng.uniform(-2, 2)
    bn = BatchNorm1d(d, momentum=momentum, dtype=np.float64)
    bn.gamma.data[:] = rng.standard_normal(d)
    bn.beta.data[:] = rng.standard_normal(d)
    assert gradcheck(bn, x)
    assert gradcheck(Sequential(Dense(d, 4, rng=1), BatchNorm1d(4), Dense(4, 2, rng=2)), x)
    bn.running_mean.data[:] = rng.standard_normal(d)
    bn.running_var.data[:] = rng.uniform(0.5, 2, d)
    assert gradcheck(bn.eval(), x[:1])                 # evaluation mode: batch 1 is fine
