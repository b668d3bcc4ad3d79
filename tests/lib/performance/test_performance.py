"""mlpbook.performance: the parameter arena and the flat (multi-tensor) optimizer step.

The flat step must give the per-parameter step's numbers bit for bit (the updates are
element-wise), stay equal to torch.optim, survive state_dict / load_state_dict / save /
load_checkpoint and any rebinding of a parameter's array, and allocate nothing per step.
"""
import copy
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Parameter, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import SGD, Adam, AdamW, RMSProp, StepLR
from mlpbook.performance import (Arena, FlatStepper, flatten_parameters, gemm_flops, mlp_gemm_shapes,
                                 mlp_gemm_operands, paired_ratio, paired_timings,
                                 retain_freed_memory, time_gemms, use_flat_step)
from mlpbook.trainer import Trainer, load_checkpoint, save

CASES = [
    (SGD, dict(lr=0.01)),
    (SGD, dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (SGD, dict(lr=0.01, momentum=0.8, nesterov=True)),
    (RMSProp, dict(lr=0.003)),
    (RMSProp, dict(lr=0.003, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    (Adam, dict(lr=0.01)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    (AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.5, 0.9))),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, kw in CASES]


def mlp(dtype=np.float32, seed=1, sizes=(20, 16, 8, 3)):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [Dense(a, b, rng=seed + i, dtype=dtype), ReLU()]
    return Sequential(*layers[:-1])


def grads(model, k):
    "Deterministic gradients that depend on the weights, so trajectories must agree to stay aligned."
    for p in model.parameters():
        p.grad[...] = (np.sin(3 * p.data + k) + 0.1 * p.data).astype(p.dtype)


def run_steps(model, opt, steps):
    "`steps` optimizer steps on the deterministic gradients of `grads`."
    for k in range(steps):
        opt.zero_grad()
        grads(model, k)
        opt.step()


def trajectory(cls, kw, flat, threads=1, steps=6, dtype=np.float32, groups=False):
    model = mlp(dtype)
    if flat:
        flatten_parameters(model)
    ps = model.parameters()
    opt = cls([{"params": ps[:3]}, {"params": ps[3:], "lr": kw["lr"] / 2}] if groups else ps, **kw)
    if flat:
        use_flat_step(opt, threads)
    run_steps(model, opt, steps)
    return model, opt


def assert_same(a, b, msg=""):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert p.data.dtype == q.data.dtype, f"{name}: dtype {p.data.dtype} vs {q.data.dtype} {msg}"
        assert np.array_equal(p.data, q.data), f"{name} differs {msg}"


def test_flatten_keeps_values_and_points_at_views():
    model = mlp()
    before = [p.data.copy() for p in model.parameters()]
    (arena,) = flatten_parameters(model)
    assert isinstance(arena, Arena) and arena.size == sum(p.size for p in model.parameters())
    for p, v, a, b in zip(model.parameters(), before, arena.offsets, arena.offsets[1:]):
        assert np.array_equal(p.data, v) and p.data.shape == v.shape and p.data.dtype == v.dtype
        assert np.shares_memory(p.data, arena.data) and np.shares_memory(p.grad, arena.grad)
        p.data += 1                                     # in-place writes land in the arena
        assert np.array_equal(arena.data[a:b], p.data.ravel())


def test_one_arena_per_dtype():
    ps = [Parameter(np.ones(3, np.float32)), Parameter(np.ones(2)), Parameter(np.zeros(4, np.float32))]
    arenas = flatten_parameters(ps)
    assert sorted(a.dtype.name for a in arenas) == ["float32", "float64"]
    assert [p.data.dtype for p in ps] == [np.float32, np.float64, np.float32]
    with pytest.raises(TypeError, match="Parameters"):
        flatten_parameters([np.ones(3)])


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_flat_step_is_bit_identical(cls, kw, threads):
    ref, _ = trajectory(cls, kw, flat=False)
    got, opt = trajectory(cls, kw, flat=True, threads=threads)
    assert_same(ref, got, f"({cls.__name__}, threads={threads})")
    assert opt.group_stepper.plans, "the flat path was not taken"


@pytest.mark.parametrize("cls,kw", CASES[1::3], ids=IDS[1::3])
def test_flat_step_float64_and_param_groups(cls, kw):
    ref, _ = trajectory(cls, kw, flat=False, dtype=np.float64, groups=True)
    got, opt = trajectory(cls, kw, flat=True, dtype=np.float64, groups=True)
    assert_same(ref, got)
    assert len(opt.group_stepper.plans) == 2


def test_group_not_contiguous_in_the_arena_falls_back():
    def run(flat):
        model = mlp()
        if flat:
            flatten_parameters(model)
        ps = model.parameters()
        opt = Adam([{"params": ps[0::2]}, {"params": ps[1::2], "lr": 0.1}], lr=0.01)
        if flat:
            use_flat_step(opt)
        run_steps(model, opt, 4)
        return model, opt
    ref, _ = run(False)
    got, opt = run(True)
    assert_same(ref, got)
    assert not opt.group_stepper.plans, "a non-contiguous group must take the per-parameter path"


@pytest.mark.parametrize("cls,kw", CASES, ids=IDS)
def test_flat_step_matches_torch(torch, cls, kw):
    name = {SGD: "SGD", RMSProp: "RMSprop", Adam: "Adam", AdamW: "AdamW"}[cls]
    model = mlp(np.float64)
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]
    flatten_parameters(model)
    opt = use_flat_step(cls(model.parameters(), **kw), threads=2)
    topt = getattr(torch.optim, name)(theirs, **kw)
    for k in range(30):
        opt.zero_grad()
        grads(model, k)
        for p, t in zip(model.parameters(), theirs):
            t.grad = torch.tensor(p.grad.copy())
        opt.step()
        topt.step()
        for p, t in zip(model.parameters(), theirs):
            np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-6, atol=1e-12,
                                       err_msg=f"{name} step {k}")


def test_scheduler_changes_reach_the_flat_step():
    def run(flat):
        model = mlp()
        if flat:
            flatten_parameters(model)
        opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        if flat:
            use_flat_step(opt)
        sched = StepLR(opt, step_size=2, gamma=0.5)
        for k in range(6):
            opt.zero_grad()
            grads(model, k)
            opt.step()
            sched.step()
        return model
    assert_same(run(False), run(True))


@pytest.mark.parametrize("cls,kw", CASES[1::2], ids=IDS[1::2])
def test_state_dict_round_trip_and_load_into_a_running_optimizer(cls, kw):
    ref, ref_opt = trajectory(cls, kw, flat=False, steps=3)
    model, opt = trajectory(cls, kw, flat=True, steps=3)
    sd_model, sd_opt = model.state_dict(), opt.state_dict()
    for k, entries in ref_opt.state_dict()["state"].items():   # per-parameter form, same values
        for key, v in entries.items():
            assert np.array_equal(np.asarray(v), np.asarray(sd_opt["state"][k][key])), (k, key)
    # a fresh flattened model and optimizer resume from the state dicts
    model2 = mlp(seed=9)
    (arena2,) = flatten_parameters(model2)
    opt2 = use_flat_step(cls(model2.parameters(), **kw))
    model2.load_state_dict(sd_model)
    opt2.load_state_dict(sd_opt)
    assert all(np.shares_memory(p.data, arena2.data) for p in model2.parameters()), \
        "load_state_dict must copy into the arena, not rebind p.data"
    # and the running optimizer is reloaded with its own (earlier) state mid-way
    saved = opt.state_dict()
    for k in range(3, 5):
        for m, o in ((ref, ref_opt), (model, opt), (model2, opt2)):
            o.zero_grad()
            grads(m, k)
            o.step()
    assert_same(ref, model)
    assert_same(ref, model2)
    opt.load_state_dict(saved)          # replaces every state array: the flat path must re-adopt
    ref_opt.load_state_dict(saved)
    ref.load_state_dict(model.state_dict())
    for k in range(5, 8):
        for m, o in ((ref, ref_opt), (model, opt)):
            o.zero_grad()
            grads(m, k)
            o.step()
    assert_same(ref, model)


def test_rebound_arrays_are_readopted():
    ref, ref_opt = trajectory(Adam, dict(lr=0.01), flat=False, steps=2)
    model, opt = trajectory(Adam, dict(lr=0.01), flat=True, steps=2)
    (arena,) = {plan.arena for plan in opt.group_stepper.plans.values()}
    for m in (ref, model):
        w = m.layers[0].W
        w.data = w.data * 0.5                      # rebinding, as careless code might do
        w.grad = np.ones_like(w.grad)
    for m, o in ((ref, ref_opt), (model, opt)):
        o.step()
    assert_same(ref, model)
    assert np.shares_memory(model.layers[0].W.data, arena.data)
    model.layers[0].W.data = model.layers[0].W.data.astype(np.float64)
    with pytest.raises(ValueError, match="flatten_parameters again"):
        opt.step()


def test_deepcopy_of_a_flattened_model_is_independent():
    model, opt = trajectory(Adam, dict(lr=0.01), flat=True, steps=2)
    twin = copy.deepcopy(model)          # plain arrays: an arena belongs to one model
    twin_arenas = flatten_parameters(twin)
    twin_opt = use_flat_step(Adam(twin.parameters(), lr=0.01))
    before = [p.data.copy() for p in model.parameters()]
    run_steps(twin, twin_opt, 3)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before))
    (twin_arena,) = {plan.arena for plan in twin_opt.group_stepper.plans.values()}
    assert twin_arenas == [twin_arena]
    assert all(np.shares_memory(p.data, twin_arena.data) for p in twin.parameters())


def test_trainer_checkpoint_round_trip_with_arena(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((96, 20)).astype(np.float32), rng.integers(0, 3, 96)

    arenas = {}

    def trainer(flat):
        model = mlp()
        if flat:
            (arenas[id(model)],) = flatten_parameters(model)
        opt = Adam(model.parameters(), lr=0.01)
        if flat:
            use_flat_step(opt)
        return Trainer(model, SoftmaxCrossEntropy(), opt)

    loader = lambda: DataLoader(ArrayDataset(X, y), batch_size=32, shuffle=True, rng=1)
    ref = trainer(False)
    ref_loader = loader()
    ref.fit(ref_loader, epochs=2)
    a = trainer(True)
    a_loader = loader()
    a.fit(a_loader, epochs=1)
    path = tmp_path / "ckpt.npz"
    a.save_checkpoint(path)
    b = trainer(True)
    b_loader = loader()
    b.load_checkpoint(path, train_loader=b_loader)
    arena = arenas[id(b.model)]
    assert all(np.shares_memory(p.data, arena.data) for p in b.model.parameters())
    b.fit(b_loader, epochs=1)           # one more epoch
    if len(b.history) < 2:              # (fit's older meaning: a total)
        b.fit(b_loader, epochs=2)
    assert len(b.history) == 2
    assert_same(ref.model, b.model, "(resumed from a checkpoint)")
    model, _ = load_checkpoint(path)
    flatten_parameters(model)
    assert_same(a.model, model)


def test_no_allocation_per_step_after_the_first():
    model = mlp(sizes=(256, 128, 10))
    flatten_parameters(model)
    opt = use_flat_step(Adam(model.parameters(), lr=1e-3, weight_decay=1e-2))
    grads(model, 0)
    opt.step()
    opt.step()
    tracemalloc.start()
    for k in range(5):
        opt.zero_grad()
        opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 16 * 1024, f"the flat Adam step allocated {peak} bytes per 5 steps"


def test_cost_model_helpers():
    shapes = mlp_gemm_shapes((784, 256, 128, 10), 128)
    assert len(shapes) == 8 and len(mlp_gemm_shapes((784, 256, 128, 10), 128, input_grad=True)) == 9
    assert gemm_flops(shapes) == 2 * 128 * (2 * (784 * 256 + 256 * 128 + 128 * 10) + 256 * 128 + 128 * 10)
    assert time_gemms((8, 4, 2), 4, repeats=3) > 0
    ops = mlp_gemm_operands((8, 4, 2), 4)
    assert [a.shape + b.shape[1:] for a, b, _ in ops] == [(4, 8, 4), (8, 4, 4), (4, 4, 2), (4, 4, 2), (4, 2, 4)]
    assert ops[1][0].flags.f_contiguous and ops[4][1].flags.f_contiguous
    t = paired_timings({"a": lambda: None, "b": lambda: sum(range(100))}, repeats=5)
    assert set(t) == {"a", "b"} and all(len(v) == 5 for v in t.values())
    assert paired_ratio({"a": [2.0, 4.0, 6.0], "b": [1.0, 1.0, 2.0]}, "a", "b") == 3.0


def test_hook_makes_the_flat_path_transparent():
    from mlpbook.optim import Adagrad
    ref, _ = trajectory(Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1), flat=False)
    model = mlp()
    flatten_parameters(model)
    opt = use_flat_step(Adagrad(model.parameters(), lr=0.1, lr_decay=0.01, weight_decay=0.1))
    for k in range(6):
        opt.zero_grad()
        grads(model, k)
        assert opt.step(closure=lambda: 1.5) == 1.5
    assert opt.group_stepper.plans, "an optimizer over an arena should take the flat path"
    assert_same(ref, model)


def test_flattening_alone_keeps_the_per_parameter_path():
    """Only `use_flat_step` changes how an optimizer steps (its `group_stepper`, the one
    seam of chapter 4's Optimizer); flattening moves the arrays and nothing else."""
    ref, _ = trajectory(Adam, dict(lr=0.01), flat=False)
    model = mlp()
    flatten_parameters(model)
    opt = Adam(model.parameters(), lr=0.01)
    run_steps(model, opt, 6)
    assert opt.group_stepper is None
    assert_same(ref, model)
    use_flat_step(opt)
    assert isinstance(opt.group_stepper, FlatStepper)
    opt.group_stepper = None                       # undo: the per-parameter loop again
    run_steps(model, opt, 1)


def test_deepcopy_of_model_and_flat_optimizer_moves_only_the_copy():
    model = mlp()
    flatten_parameters(model)
    opt = use_flat_step(SGD(model.parameters(), lr=0.1, momentum=0.9))
    run_steps(model, opt, 2)
    model2, opt2 = copy.deepcopy((model, opt))
    flatten_parameters(model2)          # a copy holds plain arrays until flattened again
    before = [p.data.copy() for p in model.parameters()]
    run_steps(model2, opt2, 3)
    assert all(np.array_equal(p.data, b) for p, b in zip(model.parameters(), before)), \
        "stepping the copied optimizer moved the original model"
    assert opt2.group_stepper.plans and opt2.group_stepper is not opt.group_stepper
    run_steps(model, opt, 3)
    assert_same(model, model2, "(the copy and the original took the same steps)")


def test_optimizer_with_its_own_update_keeps_the_per_parameter_path():
    class NormalisedSGD(SGD):
        "Not element-wise: each parameter's step is divided by its own gradient norm."
        def update(self, p, group, state):
            p.data -= group["lr"] * p.grad / (np.linalg.norm(p.grad) + 1e-12)

    def run(flat):
        model = mlp()
        if flat:
            flatten_parameters(model)
        opt = NormalisedSGD(model.parameters(), lr=0.1)
        if flat:
            use_flat_step(opt)
        run_steps(model, opt, 3)
        return model, opt
    ref, _ = run(False)
    got, opt = run(True)
    assert_same(ref, got)
    assert not opt.group_stepper.plans


def test_paired_timings_pause_is_not_timed():
    start = time.perf_counter()
    t = paired_timings({"a": lambda: None, "b": lambda: None}, repeats=3, pause=0.05)
    wall = time.perf_counter() - start
    assert set(t) == {"a", "b"} and all(len(v) == 3 for v in t.values())
    assert wall >= 6 * 0.05                         # slept before each of the six runs
    assert max(v.max() for v in t.values()) < 0.04  # ...but the sleep was not timed


RETAIN_CHILD = """
import resource, sys
import numpy as np
from mlpbook.performance import retain_freed_memory
if sys.argv[1] == "1":
    assert retain_freed_memory()
a = np.ones(2**20, np.float32)        # 4 MB, then freed
del a
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
a = np.ones(2**20, np.float32)        # the same size again
del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_retain_freed_memory_reuses_freed_blocks():
    """glibc by default serves a 4 MB array with fresh pages (an mmap, then a heap that
    grows): hundreds of page faults for the second allocation too. With the setting the
    freed block stays in the heap and the second allocation reuses it."""
    counts = {}
    for retain in ("0", "1"):
        out = subprocess.run([sys.executable, "-c", RETAIN_CHILD, retain],
                             capture_output=True, text=True, check=True)
        counts[retain] = int(out.stdout)
    assert counts["1"] < 50 and counts["0"] > 200, counts


def test_retain_freed_memory_without_glibc_changes_nothing(monkeypatch):
    import ctypes

    def no_library(*args, **kwargs):
        raise OSError("no C library here")
    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert retain_freed_memory() is False
