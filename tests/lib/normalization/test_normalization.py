import numpy as np
import pytest

from mlpbook.gradcheck import gradcheck
from mlpbook.layers import Buffer, Dense, Sequential
from mlpbook.normalization import BatchNorm1d
from mlpbook.trainer import load, save


@pytest.mark.parametrize("N,d", [(2, 1), (8, 5), (64, 16)])
def test_matches_torch_train_and_eval(torch, N, d):
    rng = np.random.default_rng(N + d)
    ours = BatchNorm1d(d, dtype=np.float64, momentum=0.2)
    theirs = torch.nn.BatchNorm1d(d, momentum=0.2).double()
    gamma, beta = rng.standard_normal(d), rng.standard_normal(d)
    ours.gamma.data[:], ours.beta.data[:] = gamma, beta
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))
    for step in range(3):                                 # running statistics over several batches
        x = rng.standard_normal((N, d)) * 3 + step
        G = rng.standard_normal((N, d))
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(G))
        ours.zero_grad()
        y = ours(x)
        dx = ours.backward(G)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), rtol=1e-7, atol=1e-12)
        theirs.weight.grad = None
        theirs.bias.grad = None
        np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(), rtol=1e-7)
        np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-7)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((N, d))
    np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-7, atol=1e-10)


def test_gradcheck_train_and_eval():
    x = np.random.default_rng(0).standard_normal((5, 3)) * 2
    bn = BatchNorm1d(3, dtype=np.float64)
    bn.gamma.data[:] = [0.5, -1.0, 2.0]
    assert gradcheck(bn, x)
    assert gradcheck(Sequential(Dense(3, 4, rng=0), BatchNorm1d(4), Dense(4, 2, rng=1)), x)
    bn.running_mean.data[:] = [0.1, -0.2, 0.3]
    assert gradcheck(bn.eval(), x)


def test_buffers_in_state_dict_not_in_parameters(tmp_path):
    model = Sequential(Dense(3, 4, rng=0), BatchNorm1d(4))
    model(np.random.default_rng(0).standard_normal((10, 3)))
    assert [n for n, _ in model.named_parameters()] == ["0.W", "0.b", "1.gamma", "1.beta"]
    assert [n for n, _ in model.named_buffers()] == ["1.running_mean", "1.running_var"]
    assert isinstance(model[1].running_mean, Buffer)
    assert set(model.state_dict()) == {"0.W", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var"}
    save(model, tmp_path / "bn.npz")
    loaded = load(tmp_path / "bn.npz").eval()
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x), model.eval()(x))


def test_errors_and_dtype():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        bn(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="more than 1 example"):
        bn(np.zeros((1, 3)))
    y = bn(np.random.default_rng(0).standard_normal((4, 3)))       # float64 input, float32 layer
    assert y.dtype == np.float32 and bn.backward(np.ones((4, 3))).dtype == np.float32
