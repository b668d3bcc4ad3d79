"""mlpbook.autograd against torch.autograd, in float64: the same gradients on graphs with
broadcasting, fan-out, shared intermediates and a chain of thousands of operations, and
the same behaviour when a graph is gone through twice. Skipped where PyTorch is absent."""
import numpy as np
import pytest

from mlpbook.autograd import Tensor, cross_entropy


def assert_same_grads(ours, theirs, rtol=1e-12):
    for o, t in zip(ours, theirs):
        assert o.grad is not None and t.grad is not None
        scale = max(np.max(np.abs(t.grad.numpy())), 1e-300)
        assert np.max(np.abs(o.grad - t.grad.numpy())) <= rtol * scale


def pair(torch, *arrays):
    return ([Tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def broadcast_graph(x, y, z):
    "Every binary operation with broadcasting, and each input used several times."
    u = (x * y + y) / (y * y + 1.0) - x ** 2
    v = (u.tanh() * z - z.exp() / (1.0 + z * z)).sigmoid()
    return (u.sum(axis=0, keepdims=True) * v).mean() + (v * v).sum()


@pytest.mark.parametrize("seed", range(10))
def test_broadcasting_and_fan_out(torch, seed):
    rng = np.random.default_rng(seed)
    full = tuple(int(n) for n in rng.integers(2, 5, size=3))
    shapes = [full, full[1:], (full[0], 1, full[2])]
    rng.shuffle(shapes)
    ours, theirs = pair(torch, *[rng.standard_normal(s) for s in shapes])
    lo, lt = broadcast_graph(*ours), broadcast_graph(*theirs)
    lo.backward()
    lt.backward()
    assert np.isclose(lo.item(), lt.item(), rtol=1e-13)
    assert_same_grads(ours, theirs)


def test_shared_intermediates_matmul_and_indexing(torch):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in [(6, 4), (4, 5), (5,)]]
    ours, theirs = pair(torch, *arrays)
    idx = np.array([0, 2, 2, 5, 0])

    def graph(X, W, b, index):
        H = (X @ W + b).relu()                    # H shared by three uses
        G = H.T @ H - H.sum(axis=0)
        picked = H[index] * G[:, 1]                # repeated rows of H
        return (picked.log_softmax(axis=1) * H[:5]).sum() + G.mean()
    graph(*ours, idx).backward()
    graph(*theirs, torch.tensor(idx)).backward()
    assert_same_grads(ours, theirs)


@pytest.mark.parametrize("n", [5_000, 20_000])
def test_a_chain_of_thousands_of_operations(torch, n):
    rng = np.random.default_rng(2)
    w = rng.uniform(0.5, 1.5, 8)
    ours, theirs = pair(torch, rng.standard_normal(8), w)
    for x, wt in (ours, theirs):
        h = x
        for i in range(n // 2):
            h = (h * wt).tanh() if i % 2 else h + wt * 0.01
        h.sum().backward()
    assert_same_grads(ours, theirs)


def test_matmul_vectors_and_stacks(torch):
    rng = np.random.default_rng(3)
    for sa, sb in [((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 5)),
                   ((4,), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]:
        ours, theirs = pair(torch, rng.standard_normal(sa), rng.standard_normal(sb))
        g = rng.standard_normal(np.shape(np.ones(sa) @ np.ones(sb)))
        (ours[0] @ ours[1]).backward(g)
        (theirs[0] @ theirs[1]).backward(torch.tensor(g))
        assert_same_grads(ours, theirs)


def test_cross_entropy_equals_torch(torch):
    rng = np.random.default_rng(4)
    z, y = rng.standard_normal((7, 5)) * 4, rng.integers(0, 5, 7)
    ours, theirs = pair(torch, z)
    lo = cross_entropy(ours[0], y)
    lt = torch.nn.functional.cross_entropy(theirs[0], torch.tensor(y))
    lo.backward()
    lt.backward()
    assert np.isclose(lo.item(), lt.item(), rtol=1e-14)
    assert_same_grads(ours, theirs)


def test_the_chapter3_network(torch):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((32, 784)), rng.integers(0, 10, 32)
    arrays = [rng.standard_normal((784, 128)) * 0.05, rng.standard_normal(128) * 0.1,
              rng.standard_normal((128, 10)) * 0.1, rng.standard_normal(10) * 0.1]
    ours, theirs = pair(torch, *arrays)
    W1, b1, W2, b2 = ours
    cross_entropy((X @ W1 + b1).relu() @ W2 + b2, y).backward()
    t1, c1, t2, c2 = theirs
    logits = (torch.tensor(X) @ t1 + c1).relu() @ t2 + c2
    torch.nn.functional.cross_entropy(logits, torch.tensor(y)).backward()
    assert_same_grads(ours, theirs)


def test_second_backward_fails_and_succeeds_where_torch_does(torch):
    for make in (lambda x: x * x, lambda x: x.exp(), lambda x: (x + 1.0) * 3.0):
        ours, theirs = pair(torch, np.array(2.0))
        for x, error in ((ours[0], RuntimeError), (theirs[0], RuntimeError)):
            y = make(x)
            y.backward()
            with pytest.raises(error):
                y.backward()
    for make in (lambda x: x + x, lambda x: x.sum(), lambda x: -x):
        ours, theirs = pair(torch, np.array(2.0))
        for x in (ours[0], theirs[0]):
            y = make(x)
            y.backward()
            y.backward()
        assert_same_grads(ours, theirs)


def test_retain_graph_and_accumulation(torch):
    ours, theirs = pair(torch, np.array([0.5, -1.0]))
    for x in (ours[0], theirs[0]):
        y = (x * x).tanh().sum()
        y.backward(retain_graph=True)
        y.backward()
    assert_same_grads(ours, theirs)
