"""mlpbook.autograd: every operation's value and gradient, and the backward pass.

Gradients are checked with the book's own `gradcheck` (through `TensorModule`) on random
shapes that broadcast in every way; the engine is checked for its contract: a topological
order without recursion, each backward rule applied once, gradients summed at fan-out,
`.grad` accumulated over passes, saved arrays freed unless retain_graph=True."""
import gc
import weakref

import numpy as np
import pytest

from mlpbook import autograd
from mlpbook.autograd import (Function, Mul, Tensor, TensorModule, cross_entropy,
                              is_grad_enabled, no_grad, topological_order, unbroadcast)
from mlpbook.gradcheck import GradcheckError, gradcheck


def shape_pair(rng):
    "Two random shapes that broadcast together (up to 3 axes of sizes 1 to 4)."
    full = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    other = full[rng.integers(0, len(full) + 1):]
    other = tuple(1 if rng.random() < 0.4 else n for n in other)
    return (full, other) if rng.random() < 0.5 else (other, full)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


BINARY = {
    "add": (lambda x, y: x + y, np.add, False),
    "sub": (lambda x, y: x - y, np.subtract, False),
    "mul": (lambda x, y: x * y, np.multiply, False),
    "div": (lambda x, y: x / y, np.divide, True),          # y > 0
    "rdiv": (lambda x, y: y / x, lambda x, y: y / x, True),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("seed", range(8))
def test_binary_ops_broadcast_values_and_gradients(name, seed):
    f, reference, needs_positive = BINARY[name]
    rng = np.random.default_rng(seed)
    sx, sy = shape_pair(rng)
    x = positive(rng, sx) if name == "rdiv" else rng.standard_normal(sx)
    y = positive(rng, sy) if name == "div" else rng.standard_normal(sy)
    out = f(Tensor(x), Tensor(y))
    np.testing.assert_allclose(out.data, reference(x, y), rtol=1e-15)
    assert gradcheck(TensorModule(f, y=y), x)


UNARY = {
    "neg": (lambda x: -x, lambda x: -x, "any"),
    "exp": (Tensor.exp, np.exp, "any"),
    "log": (Tensor.log, np.log, "positive"),
    "relu": (Tensor.relu, lambda x: np.maximum(x, 0), "off-zero"),
    "tanh": (Tensor.tanh, np.tanh, "any"),
    "sigmoid": (Tensor.sigmoid, lambda x: 1 / (1 + np.exp(-x)), "any"),
    "pow3": (lambda x: x ** 3, lambda x: x ** 3, "any"),
    "pow-half": (lambda x: x ** 0.5, np.sqrt, "positive"),
    "pow-minus1": (lambda x: x ** -1, lambda x: 1 / x, "positive"),
    "transpose": (lambda x: x.T, lambda x: x.T, "any"),
    "reshape": (lambda x: x.reshape(-1), lambda x: x.reshape(-1), "any"),
    "sum": (Tensor.sum, np.sum, "any"),
    "mean": (Tensor.mean, np.mean, "any"),
    "log_softmax": (lambda x: x.log_softmax(axis=-1),
                    lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)), "any"),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("seed", range(4))
def test_unary_ops_values_and_gradients(name, seed):
    f, reference, domain = UNARY[name]
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rng.integers(1, 4)))
    x = rng.standard_normal(shape)
    if domain == "positive":
        x = positive(rng, shape)
    elif domain == "off-zero":
        x = np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)
    np.testing.assert_allclose(f(Tensor(x)).data, reference(x), rtol=1e-13, atol=1e-15)
    assert gradcheck(TensorModule(f), x)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)),
                                   ((4,), (4,)), ((2, 3, 4), (4, 5)), ((4,), (2, 4, 5)),
                                   ((2, 1, 3, 4), (5, 4, 2))])
def test_matmul_of_matrices_vectors_and_stacks(sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-14)
    assert gradcheck(TensorModule(lambda x, w: x @ w, w=b), a)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (None, True), (0, False),
                                           (1, True), (-1, False), ((0, 2), False),
                                           ((0, -1), True)])
def test_sum_and_mean_over_axes(axis, keepdims):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    for method, reference in (("sum", np.sum), ("mean", np.mean)):
        def f(t):
            return getattr(t, method)(axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(f(Tensor(x)).data,
                                   reference(x, axis=axis, keepdims=keepdims), rtol=1e-14)
        assert gradcheck(TensorModule(f), x)


@pytest.mark.parametrize("index", [1, -1, slice(1, None), (slice(None), 2),
                                   (np.array([0, 2, 0, 0]), slice(None)),
                                   (Ellipsis, np.array([1, 1])), np.array([True, False, True])])
def test_indexing_scatters_back_and_adds_repeats(index):
    x = np.random.default_rng(2).standard_normal((3, 4))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])
    assert gradcheck(TensorModule(lambda t: t[index]), x)


def test_repeated_index_adds_every_use():
    x = Tensor(np.arange(5.0), requires_grad=True)
    x[np.array([0, 0, 3, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [3, 0, 0, 1, 0])


def test_an_index_given_as_a_tensor_is_used_as_its_array():
    x = Tensor(np.arange(4.0), requires_grad=True)
    x[Tensor(np.array([1, 1]))].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 2, 0, 0])


def test_cross_entropy_is_the_mean_negative_log_probability_of_the_labels():
    rng = np.random.default_rng(3)
    z, y = rng.standard_normal((5, 4)) * 3, np.array([0, 3, 3, 1, 2])
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    assert np.isclose(cross_entropy(Tensor(z), y).item(), -np.log(p[range(5), y]).mean())
    assert gradcheck(TensorModule(lambda t: cross_entropy(t, y)), z)


def test_fused_log_softmax_is_finite_where_the_composition_is_not():
    z = Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32), requires_grad=True)
    loss = cross_entropy(z, np.array([2]))
    loss.backward()
    assert loss.item() == 2e4
    np.testing.assert_array_equal(z.grad, [[1, 0, -1]])


def test_unbroadcast_is_the_adjoint_of_broadcasting():
    rng = np.random.default_rng(4)
    G = rng.standard_normal((2, 3, 4))
    for shape in [(2, 3, 4), (3, 4), (4,), (3, 1), (1, 4), (2, 1, 4), (1, 3, 1), (1,), ()]:
        B = rng.standard_normal(shape)
        U = unbroadcast(G, shape)
        assert U.shape == shape
        assert np.isclose(np.sum(G * np.broadcast_to(B, G.shape)), np.sum(U * B))


# --- the backward pass -------------------------------------------------------------------

def example(a=2.0, b=-0.5):
    a, b = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    c = a * b
    d = c + b
    t = d.tanh()
    return a, b, c, d, t, t * c


def test_example_gradients_by_hand():
    a, b, c, d, t, L = example()
    L.backward()
    cv, tv = -1.0, np.tanh(-1.5)
    d_bar = cv * (1 - tv ** 2)
    c_bar = tv + d_bar
    assert np.isclose(a.grad, c_bar * -0.5, rtol=1e-14)
    assert np.isclose(b.grad, c_bar * 2.0 + d_bar, rtol=1e-14)


def random_graph(seed, n_ops=80):
    rng = np.random.default_rng(seed)
    values = [Tensor(rng.standard_normal(3), requires_grad=True) for _ in range(3)]
    ops = [lambda x, y: (x + y) * 0.5, lambda x, y: (x * y).tanh(), lambda x, y: x - y]
    for _ in range(n_ops):
        i, j = rng.integers(len(values), size=2)
        values.append(ops[rng.integers(len(ops))](values[i], values[j]))
    return values[:3], values[-1].sum()


@pytest.mark.parametrize("seed", range(5))
def test_topological_order_contract(seed):
    _, root = random_graph(seed)
    order = topological_order(root)
    place = {id(t): i for i, t in enumerate(order)}
    assert len(place) == len(order) and order[0] is root
    for t in order:
        assert t.requires_grad
        for p in autograd._parents(t):
            assert place[id(p)] > place[id(t)]


def test_each_backward_rule_runs_once_per_node(monkeypatch):
    calls = []
    original = Mul.backward

    def counting(ctx, grad):
        calls.append(id(ctx))
        return original(ctx, grad)
    monkeypatch.setattr(Mul, "backward", staticmethod(counting))
    x = Tensor(2.0, requires_grad=True)
    y = x * x                               # one node, x used twice
    z = y * y + y * 3.0                     # y fans out three times
    z.backward()
    assert len(calls) == len(set(calls)) == 3      # three products, each once
    assert np.isclose(x.grad, (4 * x.data ** 3 + 3 * 2 * x.data))


@pytest.mark.parametrize("n", [5_000, 100_000])
def test_a_long_chain_needs_no_recursion(n):
    x = Tensor(0.3, requires_grad=True)
    h = x
    for _ in range(n):
        h = h * 1.0
    h.backward()
    assert x.grad == 1.0
    del h
    gc.collect()


def test_grad_accumulates_over_backward_calls_until_reset():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    assert x.grad is first                  # added in place, as torch does
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_grads_never_share_memory():
    x, y = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    g = np.array(5.0)
    (x + y).backward(g)                      # Add hands the same array to both
    x.grad += 1
    assert y.grad == 5.0 and g == 5.0


def test_only_leaves_keep_grad_unless_retained():
    a, b, c, d, t, L = example()
    d.retain_grad()
    L.backward()
    assert a.is_leaf and b.is_leaf and not c.is_leaf
    assert c.grad is None and t.grad is None and d.grad is not None
    assert L.grad_fn is not None and a.grad_fn is None


def test_saved_arrays_are_freed_after_backward_as_in_torch():
    x = Tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    assert y.grad_fn._saved is None
    with pytest.raises(RuntimeError, match=r"Mul\.backward: its saved arrays were freed"):
        y.backward()
    assert x.grad == 4.0                     # the failed pass added nothing
    z = x + x                                # nothing saved: a second pass works
    z.backward()
    z.backward()
    assert x.grad == 8.0
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == 16.0


def test_the_graph_is_released_with_its_output():
    x = Tensor(np.ones(3), requires_grad=True)
    h = (x * 2.0).exp()
    probe = weakref.ref(h.grad_fn.inputs[0])     # the intermediate x * 2
    loss = h.sum()
    loss.backward()
    del h, loss
    gc.collect()
    assert probe() is None


def test_no_grad_records_nothing_and_restores_the_mode():
    x = Tensor(np.ones(2), requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2.0
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError("inside")
    assert is_grad_enabled()

    @no_grad()
    def evaluate(t):
        return t * 3.0
    assert not evaluate(x).requires_grad and is_grad_enabled()


def test_detach_and_item():
    x = Tensor(np.array([1.5]), requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.is_leaf and y.item() == 3.0
    assert isinstance(y.item(), float)
    with pytest.raises(ValueError):
        Tensor(np.ones(2)).item()


def test_numbers_and_arrays_mix_in_as_constants_keeping_the_dtype():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    for out in (w * 2.0, 2.0 - w, 3 / w, w ** 2, w.mean(), np.ones(3, np.float32) + w,
                np.ones((2, 3), np.float32) @ w, (w - 1).exp().log_softmax()):
        assert out.dtype == np.float32, out
    loss = (np.arange(3.0, dtype=np.float32) * w).sum()
    loss.backward()
    assert w.grad.dtype == np.float32
    np.testing.assert_array_equal(w.grad, [0, 1, 2])


def test_backward_with_an_explicit_upstream_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    (x * x).backward(np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_a_custom_function_follows_torch_autograd_function():
    class Cube(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return 3 * a ** 2 * grad

    x = np.random.default_rng(5).standard_normal((2, 3))
    assert gradcheck(TensorModule(lambda t: Cube.apply(t)), x)


def test_tensormodule_lets_gradcheck_catch_a_wrong_rule():
    class WrongExp(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(np.exp(a))
            return np.exp(a)

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out * 1.01

    with pytest.raises(GradcheckError):
        gradcheck(TensorModule(lambda t: WrongExp.apply(t)), np.ones((2, 2)))
