import math

import numpy as np
import pytest

from mlpbook import init

FAN_IN, FAN_OUT = 1000, 600
THEORY_STD = {
    "lecun_normal": math.sqrt(1 / FAN_IN),
    "lecun_uniform": math.sqrt(1 / FAN_IN),
    "xavier_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "xavier_uniform": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "glorot_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "glorot_uniform": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "kaiming_normal": math.sqrt(2 / FAN_IN),
    "kaiming_uniform": math.sqrt(2 / FAN_IN),
    "he_normal": math.sqrt(2 / FAN_IN),
    "he_uniform": math.sqrt(2 / FAN_IN),
    "normal": 1.0,
    "uniform": math.sqrt(1 / 12),
}


@pytest.mark.parametrize("name,std", THEORY_STD.items())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empirical_std_within_2_percent(name, std, dtype):
    W = init.get_initializer(name)((FAN_IN, FAN_OUT), rng=np.random.default_rng(0), dtype=dtype)
    assert W.shape == (FAN_IN, FAN_OUT) and W.dtype == dtype
    assert abs(W.std() / std - 1) < 0.02
    mean = 0.5 if name == "uniform" else 0.0
    assert abs(W.mean() - mean) < 0.01 * std


@pytest.mark.parametrize("name", ["xavier_uniform", "kaiming_uniform", "lecun_uniform"])
def test_uniform_bounds(name):
    W = init.get_initializer(name)((FAN_IN, FAN_OUT), rng=1, dtype=np.float64)
    bound = math.sqrt(3) * THEORY_STD[name]
    assert W.max() <= bound and W.min() >= -bound and W.max() > 0.99 * bound


def test_kaiming_modes_and_gain():
    W = init.kaiming_normal((FAN_IN, FAN_OUT), mode="fan_out", nonlinearity="relu", rng=2)
    assert abs(W.std() / math.sqrt(2 / FAN_OUT) - 1) < 0.02
    W = init.kaiming_normal((FAN_IN, FAN_OUT), nonlinearity="linear", rng=2)
    assert abs(W.std() / math.sqrt(1 / FAN_IN) - 1) < 0.02
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal((3, 3), mode="fan_avg")


def test_calculate_gain_matches_torch_values():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(ValueError, match="unsupported"):
        init.calculate_gain("swishy")


def test_calculate_gain_against_torch(torch):
    for nl, param in [("relu", None), ("tanh", None), ("leaky_relu", None), ("leaky_relu", 0.3),
                      ("selu", None), ("linear", None), ("sigmoid", None)]:
        assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param))


def test_torch_fans_are_transposed(torch):
    # Our (in, out) weight has the fans of torch's (out, in) weight.
    w = torch.empty(FAN_OUT, FAN_IN)
    assert init.calculate_fan_in_and_fan_out((FAN_IN, FAN_OUT)) == torch.nn.init._calculate_fan_in_and_fan_out(w)


def test_constant_and_zeros():
    assert not init.zeros((2, 3)).any() and init.zeros((2, 3)).dtype == np.float32
    assert np.all(init.constant((2, 2), 0.25, dtype=np.float64) == 0.25)


def test_same_seed_same_numbers_no_global_state():
    np.random.seed(0)
    a = init.xavier_normal((20, 30), rng=np.random.default_rng(5))
    np.random.seed(1)
    b = init.xavier_normal((20, 30), rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(init.normal((4,), rng=9), init.normal((4,), rng=9))


def test_float16_supported():
    W = init.kaiming_uniform((10, 10), rng=0, dtype=np.float16)
    assert W.dtype == np.float16


def test_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform((5,))
    with pytest.raises(TypeError, match="Generator"):
        init.normal((2,), rng="seed")
    with pytest.raises(ValueError, match="unknown initialiser"):
        init.get_initializer("glorot")


def test_initialisers_refuse_impossible_distributions():
    # before: std=-1 drew N(0, 1) flipped, a > b drew from [b, a), True was slope 1
    from mlpbook.init import calculate_gain, normal, uniform
    with pytest.raises(ValueError, match=r"normal: std must be a finite number in \[0, inf\)"):
        normal((2, 2), std=-1.0)
    with pytest.raises(ValueError, match=r"normal: std must be a finite number in \[0, inf\)"):
        normal((2, 2), std=np.nan)
    with pytest.raises(ValueError, match="a <= b"):
        uniform((2, 2), a=1.0, b=0.0)
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        calculate_gain("leaky_relu", True)
