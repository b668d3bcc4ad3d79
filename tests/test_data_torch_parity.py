"""The data, regularisation and normalisation APIs against PyTorch's real signatures and
semantics (issue 10). Skipped where torch is absent (the `torch` fixture)."""
import inspect

import numpy as np
import pytest

from mlpbook.data import DataLoader, random_split
from mlpbook.normalization import BatchNorm1d
from mlpbook.regularization import Dropout

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _check_positions(ours, theirs, renamed=(), aliases=None):
    """Every argument we accept by position has torch's name at the same position, and
    every name we share with torch has its default; arguments torch has and we lack are
    listed by the caller as `renamed`/absent on purpose."""
    mine = [p for p in inspect.signature(ours).parameters.values() if p.name != "self"]
    torch_params = [p for p in inspect.signature(theirs).parameters.values()
                    if p.name != "self"]
    torch_positional = [p.name for p in torch_params if p.kind in POSITIONAL]
    my_positional = [(aliases or {}).get(p.name, p.name) for p in mine if p.kind in POSITIONAL]
    assert my_positional == torch_positional[:len(my_positional)], (
        f"{ours.__qualname__}: positional arguments {my_positional} are not a prefix of "
        f"torch's {torch_positional}")
    torch_by_name = {p.name: p for p in torch_params}
    for p in mine:
        if p.name in torch_by_name and p.name not in renamed:
            assert p.default == torch_by_name[p.name].default or p.name in (
                "shuffle", "generator"), (   # None: a fresh np.random.Generator
                f"{ours.__qualname__}({p.name}=...) default {p.default!r} differs from "
                f"torch's {torch_by_name[p.name].default!r}")
    return {p.name for p in mine}


def test_dataloader_signature(torch):
    names = _check_positions(DataLoader.__init__, torch.utils.data.DataLoader.__init__)
    assert {"dataset", "batch_size", "shuffle", "drop_last", "generator",
            "collate_fn"} <= names


def test_random_split_signature(torch):
    names = _check_positions(random_split, torch.utils.data.random_split,
                             aliases={"rng": "generator"})
    assert {"dataset", "lengths", "generator"} <= names


def test_dropout_signature(torch):
    names = _check_positions(Dropout.__init__, torch.nn.Dropout.__init__)
    assert {"p", "inplace"} <= names


def test_batchnorm_signature(torch):
    names = _check_positions(BatchNorm1d.__init__, torch.nn.BatchNorm1d.__init__,
                             renamed={"dtype"})
    assert {"num_features", "eps", "momentum", "dtype"} <= names
    bn = BatchNorm1d(3)
    assert bn.weight is bn.gamma and bn.bias is bn.beta


def test_dataloader_batch_size_errors_match_torch(torch):
    ds = torch.utils.data.TensorDataset(torch.zeros(4, 2))
    for bad in (2.7, "8", True):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.DataLoader(ds, batch_size=bad)
        with pytest.raises(ValueError) as ours:
            from mlpbook.data import ArrayDataset
            DataLoader(ArrayDataset(np.zeros((4, 2))), batch_size=bad)
        assert str(ours.value) == str(theirs.value)


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


def test_dropout_statistics_like_torch(torch):
    "Same contract as torch.nn.Dropout: drop rate p, survivors scaled by 1/(1-p), p=1 zeros."
    x = np.ones((400, 500))
    for p in (0.0, 0.3, 0.8, 1.0):
        ours = Dropout(p, rng=0)(x)
        theirs = torch.nn.Dropout(p)(torch.ones(400, 500)).numpy()
        for y in (ours, theirs):
            assert abs(np.mean(y == 0) - p) < 0.01
            kept = y[y != 0]
            if kept.size:
                np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
