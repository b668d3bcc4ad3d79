"""BatchNorm1d against PyTorch's real signature and semantics (with momentum=None, torch's
cumulative average). Skipped where torch is absent (the `torch` fixture)."""
import numpy as np
import pytest

from mlpbook.normalization import BatchNorm1d

from torch_signatures import check_positions


def test_batchnorm_signature(torch):
    names = check_positions(BatchNorm1d.__init__, torch.nn.BatchNorm1d.__init__,
                             renamed={"dtype"})
    assert {"num_features", "eps", "momentum", "dtype"} <= names
    bn = BatchNorm1d(3)
    assert bn.weight is bn.gamma and bn.bias is bn.beta


@pytest.mark.parametrize("N,d", [(2, 1), (5, 3), (32, 8)])
def test_batchnorm_cumulative_average_matches_torch(torch, N, d):
    "momentum=None: torch's cumulative moving average of the batch statistics."
    rng = np.random.default_rng(N * d)
    ours = BatchNorm1d(d, momentum=None, dtype=np.float64)
    theirs = torch.nn.BatchNorm1d(d, momentum=None).double()
    for step in range(6):
        x = rng.standard_normal((N, d)) * (1 + step) + step
        G = rng.standard_normal((N, d))
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(G))
        ours.zero_grad()
        np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.backward(G), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(),
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(),
                                   rtol=1e-9, atol=1e-12)
        assert int(ours.num_batches_tracked.data) == int(theirs.num_batches_tracked)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((N, d))
    np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-9)


def test_batchnorm_cumulative_average_survives_save_load(tmp_path):
    from mlpbook.layers import Sequential
    from mlpbook.trainer import load, save
    model = Sequential(BatchNorm1d(3, momentum=None))
    rng = np.random.default_rng(0)
    for _ in range(3):
        model(rng.standard_normal((4, 3)).astype(np.float32))
    save(model, tmp_path / "bn.npz")
    loaded = load(tmp_path / "bn.npz")
    assert loaded[0].momentum is None and int(loaded[0].num_batches_tracked.data) == 3
    np.testing.assert_array_equal(loaded[0].running_mean.data, model[0].running_mean.data)
