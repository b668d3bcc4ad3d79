import numpy as np
import pytest

from mlpbook.activations import Softmax, softmax
from mlpbook.gradcheck import compare_gradients, numerical_grad
from mlpbook.losses import BCEWithLogits, CategoricalCrossEntropy, MSELoss, SoftmaxCrossEntropy

CASES = [(1, 2), (1, 10), (7, 3), (32, 10)]


def _grad_check(loss_fn, pred, target):
    pred = np.array(pred, dtype=np.float64)
    loss_fn(pred, target)
    compare_gradients("pred", loss_fn.backward(), numerical_grad(lambda: loss_fn(pred, target), pred))


def _torch_loss_and_grad(torch, fn, pred, *args):
    pt = torch.tensor(pred, requires_grad=True)
    out = fn(pt, *args)
    out.backward()
    return out.item(), pt.grad.numpy()


# --- PyTorch parity -------------------------------------------------------------
@pytest.mark.parametrize("N,C", CASES)
@pytest.mark.parametrize("scale", [1.0, 50.0, 1e4])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.7])
def test_softmax_cross_entropy_matches_torch(torch, N, C, scale, smoothing):
    rng = np.random.default_rng(N * C)
    z, y = rng.standard_normal((N, C)) * scale, rng.integers(0, C, N)
    ours = SoftmaxCrossEntropy(label_smoothing=smoothing)
    loss, grad = ours(z, y), ours.backward()
    F = torch.nn.functional
    t_loss, t_grad = _torch_loss_and_grad(torch, lambda p: F.cross_entropy(p, torch.tensor(y), label_smoothing=smoothing), z)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-7)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-7, atol=1e-15)


@pytest.mark.parametrize("N,C", CASES)
def test_softmax_cross_entropy_probability_targets_match_torch(torch, N, C):
    rng = np.random.default_rng(1)
    z, q = rng.standard_normal((N, C)) * 3, softmax(rng.standard_normal((N, C)))
    for smoothing in (0.0, 0.2):
        ours = SoftmaxCrossEntropy(label_smoothing=smoothing)
        loss, grad = ours(z, q), ours.backward()
        F = torch.nn.functional
        t_loss, t_grad = _torch_loss_and_grad(
            torch, lambda p: F.cross_entropy(p, torch.tensor(q), label_smoothing=smoothing), z)
        np.testing.assert_allclose(loss, t_loss, rtol=1e-7)
        np.testing.assert_allclose(grad, t_grad, rtol=1e-7, atol=1e-15)


def test_fused_exact_at_extreme_logits(torch):
    z, y = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), np.array([2, 1])
    ours = SoftmaxCrossEntropy()
    loss, grad = ours(z, y), ours.backward()
    t_loss, t_grad = _torch_loss_and_grad(torch, lambda p: torch.nn.functional.cross_entropy(p, torch.tensor(y)), z)
    assert loss == t_loss == 1e4
    np.testing.assert_allclose(grad, t_grad, rtol=1e-7)


@pytest.mark.parametrize("N,C", CASES)
def test_categorical_cross_entropy_matches_nll_of_log(torch, N, C):
    rng = np.random.default_rng(2)
    p, y = softmax(rng.standard_normal((N, C)) * 2), rng.integers(0, C, N)
    ours = CategoricalCrossEntropy()
    loss, grad = ours(p, y), ours.backward()
    t_loss, t_grad = _torch_loss_and_grad(
        torch, lambda pt: torch.nn.functional.nll_loss(torch.log(pt), torch.tensor(y)), p)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-7)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-7)
    ours_onehot = CategoricalCrossEntropy()
    np.testing.assert_allclose(ours_onehot(p, np.eye(C)[y]), loss, rtol=1e-12)
    np.testing.assert_allclose(ours_onehot.backward(), grad, rtol=1e-12)


@pytest.mark.parametrize("shape", [(1,), (1, 1), (7, 3), (4, 2, 5)])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_mse_matches_torch(torch, shape, scale):
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal(shape) * scale, rng.standard_normal(shape) * scale
    ours = MSELoss()
    loss, grad = ours(pred, target), ours.backward()
    t_loss, t_grad = _torch_loss_and_grad(torch, lambda p: torch.nn.functional.mse_loss(p, torch.tensor(target)), pred)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-7)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-7)


@pytest.mark.parametrize("shape", [(1,), (1, 1), (9, 4)])
@pytest.mark.parametrize("scale", [1.0, 50.0, 1e4])
def test_bce_with_logits_matches_torch(torch, shape, scale):
    rng = np.random.default_rng(4)
    z, t = rng.standard_normal(shape) * scale, rng.random(shape)
    t[..., 0] = np.round(t[..., 0])
    ours = BCEWithLogits()
    loss, grad = ours(z, t), ours.backward()
    t_loss, t_grad = _torch_loss_and_grad(
        torch, lambda p: torch.nn.functional.binary_cross_entropy_with_logits(p, torch.tensor(t)), z)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-7)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-7, atol=1e-15)


# --- gradient checks ------------------------------------------------------------
@pytest.mark.parametrize("N,C", CASES[:3])
def test_gradchecks(N, C):
    rng = np.random.default_rng(5)
    z, y = rng.standard_normal((N, C)), rng.integers(0, C, N)
    _grad_check(SoftmaxCrossEntropy(), z, y)
    _grad_check(SoftmaxCrossEntropy(label_smoothing=0.3), z, y)
    _grad_check(SoftmaxCrossEntropy(), z, softmax(rng.standard_normal((N, C))))
    _grad_check(CategoricalCrossEntropy(), softmax(z), y)
    _grad_check(MSELoss(), z, rng.standard_normal((N, C)))
    _grad_check(BCEWithLogits(), z, rng.random((N, C)))


# --- behaviour ------------------------------------------------------------------
def test_returns_python_float_and_preserves_dtype():
    z = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y = np.array([0, 1, 2, 0])
    for loss_fn, target in [(SoftmaxCrossEntropy(), y), (CategoricalCrossEntropy(), y),
                            (MSELoss(), np.zeros((4, 3), np.float32)), (BCEWithLogits(), np.ones((4, 3)))]:
        pred = softmax(z) if isinstance(loss_fn, CategoricalCrossEntropy) else z
        value = loss_fn(pred, target)
        assert type(value) is float
        assert loss_fn.backward().dtype == np.float32


def test_composition_fails_where_fused_does_not():
    z, y = np.array([[1e4, 0.0, -1e4]]), np.array([2])
    with np.errstate(all="ignore"):
        sm, cce = Softmax(), CategoricalCrossEntropy()
        assert np.isinf(cce(sm(z), y))
        assert not np.isfinite(sm.backward(cce.backward())).all()
    fused = SoftmaxCrossEntropy()
    assert fused(z, y) == 2e4 and np.isfinite(fused.backward()).all()


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        SoftmaxCrossEntropy().backward()


@pytest.mark.parametrize("loss_cls,pred", [(SoftmaxCrossEntropy, np.zeros((3, 4))),
                                          (CategoricalCrossEntropy, np.full((3, 4), 0.25))])
def test_label_errors(loss_cls, pred):
    with pytest.raises(ValueError, match="label 4 is out of range for 4 classes"):
        loss_cls()(pred, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="label -1 is out of range"):
        loss_cls()(pred, np.array([0, -1, 1]))
    with pytest.raises(TypeError, match="must be integer class labels, got dtype float64"):
        loss_cls()(pred, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"expected 3 labels of shape \(3,\), got shape \(2,\)"):
        loss_cls()(pred, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        loss_cls()(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="labels of shape"):
        loss_cls()(pred, np.zeros((3, 5)))


def test_probabilities_must_sum_to_one():
    with pytest.raises(ValueError, match="row 1 sums to 2.*did you pass logits"):
        CategoricalCrossEntropy()(np.array([[0.5, 0.5], [1.0, 1.0]]), np.array([0, 1]))
    with pytest.raises(ValueError, match="non-negative"):
        CategoricalCrossEntropy()(np.array([[1.5, -0.5]]), np.array([0]))
    with pytest.raises(ValueError, match="sum to 1"):
        SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array([[0.3, 0.3]]))


def test_shape_and_range_errors():
    with pytest.raises(ValueError, match="broadcasting is refused"):
        MSELoss()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match="differ"):
        BCEWithLogits()(np.zeros((4, 1)), np.zeros(4))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BCEWithLogits()(np.zeros(2), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        SoftmaxCrossEntropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="empty"):
        MSELoss()(np.zeros(0), np.zeros(0))
