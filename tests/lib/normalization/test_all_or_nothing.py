"""Batch norm's running statistics change all together or not at all (hypothesis): a
training batch that fails (NaN or inf in it, values whose variance overflows, one example,
the wrong number of features, no numbers) leaves running_mean, running_var and
num_batches_tracked exactly as they were; a batch that passes updates every one of them
by the formula of torch.nn.BatchNorm1d."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mlpbook.normalization import BatchNorm1d

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
D = 3


def _state(bn):
    names = ["running_mean", "running_var"] + (["num_batches_tracked"]
                                               if bn.momentum is None else [])
    return {n: getattr(bn, n).data.copy() for n in names}


@st.composite
def batch(draw):
    "(kind, x): a good (N, D) batch or one of the ways a training batch fails."
    kind = draw(st.sampled_from(["good", "good", "good", "nan", "inf", "overflow",
                                 "one", "features", "strings", "flat"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(2, 9))
    x = (rng.standard_normal((n, D)) * rng.uniform(0.1, 10) + rng.uniform(-5, 5))
    if kind in ("nan", "inf"):
        x[rng.integers(n), rng.integers(D)] = np.nan if kind == "nan" else -np.inf
    elif kind == "overflow":
        x[:, rng.integers(D)] = np.where(np.arange(n) % 2, 3e38, -3e38)  # var > float32 max
    elif kind == "one":
        x = x[:1]
    elif kind == "features":
        x = x[:, :D - 1]
    elif kind == "strings":
        x = x.astype(str)
    elif kind == "flat":
        x = x[:, 0]
    return kind, x


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # NumPy's, on the failing batches
@SETTINGS
@given(st.lists(batch(), min_size=1, max_size=8), st.sampled_from([0.1, 0.5, None]))
def test_running_statistics_fully_updated_or_untouched(batches, momentum):
    bn = BatchNorm1d(D, momentum=momentum)                 # float32, as in training
    for kind, x in batches:
        before = _state(bn)
        try:
            bn(x)
        except (ValueError, TypeError, FloatingPointError) as err:
            assert kind != "good", f"a good batch was refused: {err}"
            after = _state(bn)
            for name in before:
                np.testing.assert_array_equal(after[name], before[name], err_msg=(
                    f"a failed {kind!r} batch changed {name}"))
            continue
        assert kind == "good", f"a {kind!r} batch was taken"
        x64 = x.astype(np.float32).astype(np.float64)
        n = len(x64)
        m = momentum if momentum is not None else 1 / (int(before["num_batches_tracked"]) + 1)
        after = _state(bn)
        np.testing.assert_allclose(after["running_mean"],
                                   (1 - m) * before["running_mean"] + m * x64.mean(0),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(after["running_var"],
                                   (1 - m) * before["running_var"]
                                   + m * n / (n - 1) * x64.var(0), rtol=1e-4, atol=1e-5)
        if momentum is None:
            assert int(after["num_batches_tracked"]) == int(before["num_batches_tracked"]) + 1
    assert all(np.isfinite(v).all() for v in _state(bn).values())


def test_nan_batch_error_and_a_model_that_still_saves(tmp_path):
    "One NaN batch: FloatingPointError, statistics untouched, the model saves and loads."
    from mlpbook.layers import Dense, Sequential
    from mlpbook.saving import load, save
    model = Sequential(Dense(2, 3, rng=0), BatchNorm1d(3))
    x = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    model(x)
    before = model[1].running_mean.data.copy()
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(FloatingPointError, match=r"BatchNorm1d\(3.*running_mean and "
                                                 r"running_var are left unchanged"):
        model(bad)                      # was: running_mean NaN, and no error at all
    np.testing.assert_array_equal(model[1].running_mean.data, before)
    save(model, tmp_path / "bn.npz")    # was: a file that load() refused (NaN buffers)
    loaded = load(tmp_path / "bn.npz")
    assert np.isfinite(loaded(x)).all()
    np.testing.assert_array_equal(loaded(x), model.eval()(x))


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"momentum": True}, ValueError, r"momentum must be a number in \[0, 1\] or None"),
    ({"eps": True}, TypeError, r"BatchNorm1d: eps must be a real number"),
    ({"eps": "1e-5"}, TypeError, r"BatchNorm1d: eps must be a real number"),
    ({"dtype": np.int32}, TypeError, r"BatchNorm1d: dtype must be a floating-point dtype"),
])
def test_arguments_that_were_taken_or_blamed_on_another_class(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        BatchNorm1d(3, **kwargs)        # True was momentum 1 / eps 1; int32: "Parameter needs"


def test_input_that_is_not_numbers_is_named():
    with pytest.raises(TypeError, match=r"BatchNorm1d\(3.*input must hold real numbers"):
        BatchNorm1d(3)(np.array([["a", "b", "c"]] * 2))   # was: "could not convert string"
