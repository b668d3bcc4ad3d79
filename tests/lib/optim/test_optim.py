"""The optimizers follow torch.optim's trajectories, keep their dtype, allocate nothing per
step and resume exactly from their state dicts."""
import math
import tracemalloc

import numpy as np
import pytest

from mlpbook.layers import Dense, Parameter, Sequential
from mlpbook.optim import SGD, Adagrad, Adam, AdamW, RMSProp, RMSprop, clip_grad_norm_

SHAPES = ((3, 4), (5,), (1,))


def _grad(x, k):
    "A deterministic gradient that depends on the parameters (so trajectories must agree to stay aligned)."
    scale = np.linspace(0.1, 10, x.size).reshape(x.shape)
    return scale * x + np.sin(3 * x + k)


OPTIMIZERS = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.01, momentum=0.9, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.005, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("RMSProp", dict()),
    ("RMSProp", dict(lr=0.003, alpha=0.9)),
    ("RMSProp", dict(lr=0.003, momentum=0.9)),
    ("RMSProp", dict(lr=0.003, centered=True)),
    ("RMSProp", dict(lr=0.003, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, eps=1e-6)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.5)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.5, 0.9))),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05, initial_accumulator_value=0.2, eps=1e-8)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    # the optimizer configurations of torch.testing._internal.common_optimizers (optim_inputs_func_*),
    # those that apply to NumPy (no capturable/foreach/fused/Tensor lr)
    ("SGD", dict(lr=0.01, weight_decay=0.5)),
    ("SGD", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("RMSProp", dict(lr=1e-3, weight_decay=0.1)),
    ("RMSProp", dict(lr=1e-3, weight_decay=0.1, maximize=True)),
    ("RMSProp", dict(lr=1e-3, weight_decay=0.1, centered=True)),
    ("RMSProp", dict(lr=1e-3, weight_decay=0.1, centered=True, momentum=0.1)),
    ("RMSProp", dict(lr=1e-3, weight_decay=0.1, centered=True, momentum=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(weight_decay=0.1)),
    ("Adagrad", dict(weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.5, weight_decay=0.1)),
]
OURS = {"SGD": SGD, "RMSProp": RMSProp, "Adam": Adam, "AdamW": AdamW, "Adagrad": Adagrad}
TORCH_NAME = {"SGD": "SGD", "RMSProp": "RMSprop", "Adam": "Adam", "AdamW": "AdamW", "Adagrad": "Adagrad"}


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in cases]


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=_ids(OPTIMIZERS))
def test_same_trajectory_as_torch(torch, name, kw):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in SHAPES]
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    # two parameter groups, the second with its own learning rate, as torch allows
    lr2 = kw.get("lr", 0.01) * 0.5
    opt = OURS[name]([{"params": ours[:2]}, {"params": ours[2:], "lr": lr2}], **kw)
    topt = getattr(torch.optim, TORCH_NAME[name])([{"params": theirs[:2]}, {"params": theirs[2:], "lr": lr2}], **kw)
    for k in range(200):
        for p, t in zip(ours, theirs):
            p.grad[...] = _grad(p.data, k)
            t.grad = torch.tensor(_grad(t.detach().numpy(), k))
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=f"step {k}")


@pytest.mark.parametrize("name,kw", OPTIMIZERS[::3], ids=_ids(OPTIMIZERS[::3]))
def test_state_dict_resume_is_identical(name, kw):
    def run(resume_at=None):
        p = Parameter(np.linspace(-1, 1, 6).reshape(2, 3))
        opt = OURS[name]([p], **kw)
        for k in range(60):
            if k == resume_at:
                saved = opt.state_dict()
                p = Parameter(p.data.copy())
                opt = OURS[name]([p], lr=123.0)         # wrong lr on purpose: the state dict restores it
                opt.load_state_dict(saved)
            p.grad[...] = _grad(p.data, k)
            opt.step()
        return p.data
    np.testing.assert_array_equal(run(), run(resume_at=25))


def test_state_dict_is_a_copy_and_layout_checked():
    p = Parameter(np.ones(3))
    opt = Adam([p], lr=0.1)
    p.grad[...] = 1
    opt.step()
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and sd["state"][0]["step"] == 1
    sd["state"][0]["exp_avg"][:] = 99
    assert not np.any(opt.state[p]["exp_avg"] == 99)
    with pytest.raises(ValueError, match="parameter groups"):
        Adam([{"params": [Parameter(np.ones(3))]}, {"params": [Parameter(np.ones(3))]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        Adam([Parameter(np.ones(3)), Parameter(np.ones(3))]).load_state_dict(sd)
    with pytest.raises(ValueError, match="shape"):
        Adam([Parameter(np.ones(4))]).load_state_dict(sd)


@pytest.mark.parametrize("cls,extra", [(SGD, {"momentum": 0.9}), (SGD, {"momentum": 0.9, "nesterov": True}),
                                       (RMSProp, {"momentum": 0.9, "centered": True}), (Adam, {"amsgrad": True}),
                                       (AdamW, {"maximize": True}), (Adagrad, {"lr_decay": 0.1}),
                                       (SGD, {"maximize": True})])
def test_float32_preserved_and_no_allocation_per_step(cls, extra):
    model = Sequential(Dense(256, 128, rng=0), Dense(128, 10, rng=1))
    opt = cls(model.parameters(), lr=1e-3, weight_decay=1e-2, **extra)
    data_ids = [id(p.data) for p in model.parameters()]
    for p in model.parameters():
        p.grad[...] = 0.01
    opt.step()                                          # first step allocates state and scratch
    tracemalloc.start()
    for _ in range(5):
        opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024, f"{cls.__name__}.step allocated {peak} bytes (the weights are {256*128*4} bytes)"
    for p in model.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
        for v in opt.state[p].values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32
    assert data_ids == [id(p.data) for p in model.parameters()]     # updated in place


def test_zero_grad_and_param_group_errors():
    p = Parameter(np.ones(2))
    p.grad += 3
    opt = SGD([p], lr=0.1)
    opt.zero_grad()
    assert not p.grad.any()
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Parameters"):
        SGD([np.ones(2)], lr=0.1)


@pytest.mark.parametrize("make,message", [
    (lambda ps: SGD(ps, lr=-0.1), r"SGD: lr must be a finite number in \[0, inf\), got -0.1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "SGD: momentum must be a finite number"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "SGD: weight_decay must be a finite number"),
    (lambda ps: Adam(ps, lr=-1), "Adam: lr must be a finite number"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"Adam: betas\[0\] must be a finite number in \[0, 1\), got 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"Adam: betas\[1\] must be"),
    (lambda ps: AdamW(ps, betas=(0.9, 1.5)), r"AdamW: betas\[1\] must be"),
    (lambda ps: Adam(ps, eps=-1e-8), "Adam: eps must be a finite number"),
    (lambda ps: RMSProp(ps, alpha=-0.9), "RMSProp: alpha must be a finite number"),
    (lambda ps: RMSProp(ps, lr=-0.01), "RMSProp: lr must be a finite number"),
])
def test_bad_arguments_raise_like_torch(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


def test_defaults_match_torch(torch):
    t = [torch.zeros(1, requires_grad=True)]
    p = [Parameter(np.zeros(1))]
    for ours, theirs in [(SGD(p), torch.optim.SGD(t)), (RMSProp(p), torch.optim.RMSprop(t)),
                         (Adam(p), torch.optim.Adam(t)), (AdamW(p), torch.optim.AdamW(t)),
                         (Adagrad(p), torch.optim.Adagrad(t))]:
        for key, value in ours.defaults.items():
            assert theirs.defaults[key] == value, (type(ours).__name__, key)


# --- clip_grad_norm_ ------------------------------------------------------------
@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.3, math.inf)])
def test_clip_grad_norm_matches_torch(torch, max_norm, norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in SHAPES]
    ours = [Parameter(np.zeros(s)) for s in SHAPES]
    theirs = [torch.zeros(s, requires_grad=True) for s in SHAPES]
    for p, t, g in zip(ours, theirs, grads):
        p.grad[...] = g
        t.grad = torch.tensor(g)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(t_total.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_nonfinite():
    p = Parameter(np.zeros(2))
    p.grad[...] = [np.inf, 1.0]
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


# --- Adagrad, torch's names, closures, maximize ------------------------------------
def test_rmsprop_torch_spelling_is_the_same_class():
    assert RMSprop is RMSProp


@pytest.mark.parametrize("ours,theirs", [("SGD", "SGD"), ("RMSprop", "RMSprop"), ("Adam", "Adam"),
                                         ("AdamW", "AdamW"), ("Adagrad", "Adagrad")])
def test_keyword_names_and_defaults_are_torchs(torch, ours, theirs):
    import inspect

    import mlpbook.optim as optim
    skip = {"self", "foreach", "capturable", "differentiable", "fused"}
    mine = inspect.signature(getattr(optim, ours).__init__).parameters
    torch_params = inspect.signature(getattr(torch.optim, theirs).__init__).parameters
    for name, param in torch_params.items():
        if name in skip:
            continue
        assert name in mine, f"{ours} lacks torch's argument {name!r}"
        if param.default is not inspect.Parameter.empty:
            assert mine[name].default == param.default, (ours, name)
    assert set(mine) - set(torch_params) == set(), f"{ours} has arguments torch lacks"


def test_adagrad_two_groups_200_steps_float32(torch):
    rng = np.random.default_rng(3)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    kw = dict(lr=0.05, lr_decay=1e-3, weight_decay=1e-2, initial_accumulator_value=0.1, eps=1e-10)
    opt = Adagrad([{"params": ours[:2]}, {"params": ours[2:], "lr": 0.02}], **kw)
    topt = torch.optim.Adagrad([{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.02}], **kw)
    for k in range(200):
        for p, t in zip(ours, theirs):
            p.grad[...] = _grad(p.data, k)
            t.grad = torch.tensor(_grad(t.detach().numpy(), k).astype(np.float32))
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("RMSProp", dict(lr=0.01)),
                                     ("Adam", dict(lr=0.01)), ("Adagrad", dict(lr=0.1))])
def test_maximize_equals_minimizing_the_negative(name, kw):
    a, b = Parameter(np.linspace(-1, 1, 5)), Parameter(np.linspace(-1, 1, 5))
    up, down = OURS[name]([a], maximize=True, **kw), OURS[name]([b], **kw)
    for k in range(30):
        a.grad[...] = _grad(a.data, k)
        b.grad[...] = -_grad(b.data, k)
        up.step()
        down.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_step_closure_returns_the_loss_and_sees_fresh_gradients(torch):
    w = Parameter(np.array([3.0, -2.0]))
    t = torch.tensor([3.0, -2.0], requires_grad=True)
    opt, topt = SGD([w], lr=0.1, momentum=0.5), torch.optim.SGD([t], lr=0.1, momentum=0.5)

    def closure():
        w.grad[...] = 2 * w.data
        return float(np.sum(w.data ** 2))

    def tclosure():
        topt.zero_grad()
        loss = (t ** 2).sum()
        loss.backward()
        return loss

    for _ in range(10):
        assert opt.step(closure) == pytest.approx(topt.step(tclosure).item(), rel=1e-12)
    np.testing.assert_allclose(w.data, t.detach().numpy(), rtol=1e-12)
    assert opt.step() is None


def test_float16_parameters_train_with_a_representable_eps():
    p = Parameter(np.ones(3, dtype=np.float16))
    opt = Adam([p], lr=1e-2, eps=1e-4)
    for _ in range(5):
        p.grad[...] = 0
        opt.step()
    assert p.data.dtype == np.float16 and np.all(np.isfinite(p.data))


# --- the update functions work on any arrays: one flat arena gives the same bits ------
@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1)),
                                     ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.2, maximize=True)),
                                     ("RMSProp", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
                                     ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
                                     ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True)),
                                     ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1))])
def test_one_flat_arena_gives_the_same_bits_as_per_parameter_updates(name, kw):
    """Chapter 8 runs each update once on all parameters packed into one array: the
    optimizer classes and an arena made of views of one buffer must agree exactly."""
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    sizes = [a.size for a in init]
    arena = np.concatenate([a.ravel() for a in init])
    views = np.split(arena, np.cumsum(sizes)[:-1])
    separate = [Parameter(a.copy()) for a in init]
    packed = [Parameter(v.reshape(a.shape)) for v, a in zip(views, init)]
    flat = Parameter(arena)
    opt, flat_opt = OURS[name](separate, **kw), OURS[name]([flat], **kw)
    for k in range(25):
        grads = [rng.standard_normal(a.shape).astype(np.float32) for a in init]
        for p, g in zip(separate, grads):
            p.grad[...] = g
        flat.grad[...] = np.concatenate([g.ravel() for g in grads])
        opt.step()
        flat_opt.step()
    for p, q in zip(separate, packed):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSProp", "Adagrad"])
def test_optimizers_pickle_and_deepcopy_with_their_state(name):
    """torch's optimizers pickle; so do ours (the per-parameter scratch buffers, which
    hold no state, are left out and made again on the next step)."""
    import copy
    import pickle

    import mlpbook.optim as optim
    p = Parameter(np.linspace(-1, 1, 6).reshape(2, 3))
    opt = getattr(optim, name)([p], lr=0.1)
    for _ in range(3):
        p.grad[...] = p.data
        opt.step()
    pickled, copied = pickle.loads(pickle.dumps((p, opt))), copy.deepcopy((p, opt))
    for q, opt2 in (pickled, copied, (p, opt)):
        for _ in range(2):
            q.grad[...] = q.data
            opt2.step()
    np.testing.assert_array_equal(pickled[0].data, p.data)
    np.testing.assert_array_equal(copied[0].data, p.data)
