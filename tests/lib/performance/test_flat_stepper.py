"""The flat step through the Optimizer's seam (`group_stepper`), in the cases the plain
trajectories of test_performance.py do not reach: more chunks than two, state that an
update creates mid-run (AMSGrad or momentum switched on), several groups when one of
them cannot step, and parameters flattened a second time."""
import numpy as np
import pytest

import mlpbook.performance as perf
from mlpbook.activations import ReLU
from mlpbook.layers import Dense, Sequential
from mlpbook.optim import SGD, Adam, AdamW, RMSProp
from mlpbook.performance import flatten_parameters, use_flat_step

CASES = [
    (SGD, dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (RMSProp, dict(lr=0.003, centered=True, momentum=0.5, weight_decay=0.1, eps=1e-6)),
    (Adam, dict(lr=0.01, amsgrad=True, weight_decay=0.05)),
    (AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True, betas=(0.5, 0.9))),
]


def mlp(seed=1):
    return Sequential(Dense(20, 16, rng=seed), ReLU(), Dense(16, 8, rng=seed + 1), ReLU(),
                      Dense(8, 3, rng=seed + 2))


def grads(model, k):
    for p in model.parameters():
        p.grad[...] = (np.sin(3 * p.data + k) + 0.1 * p.data).astype(p.dtype)


def steps(model, opt, ks):
    for k in ks:
        opt.zero_grad()
        grads(model, k)
        opt.step()


def pair(cls, kw, threads=1, groups=False):
    "The same model and optimizer twice: per parameter, and flat with `threads`."
    out = []
    for flat in (False, True):
        model = mlp()
        if flat:
            flatten_parameters(model)
        ps = model.parameters()
        params = [{"params": ps[:2]}, {"params": ps[2:], "lr": kw["lr"] / 2}] if groups else ps
        opt = cls(params, **kw)
        if flat:
            use_flat_step(opt, threads)
        out.append((model, opt))
    return out


def assert_same(ref, got):
    (m1, o1), (m2, o2) = ref, got
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    s1, s2 = o1.state_dict()["state"], o2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    for i in s1:
        assert s1[i].keys() == s2[i].keys(), (i, sorted(s1[i]), sorted(s2[i]))
        for k in s1[i]:
            np.testing.assert_array_equal(np.asarray(s1[i][k]), np.asarray(s2[i][k]),
                                          err_msg=f"state '{k}' of parameter {i}")


@pytest.mark.parametrize("cls,kw", CASES, ids=[c.__name__ for c, _ in CASES])
def test_three_chunks_on_three_threads_are_bit_identical(cls, kw, monkeypatch):
    monkeypatch.setattr(perf.os, "cpu_count", lambda: 4)      # so that 3 is not capped
    ref, got = pair(cls, kw, threads=3)
    assert got[1].group_stepper.threads == 3
    for m, o in (ref, got):
        steps(m, o, range(6))
    assert_same(ref, got)
    (plan,) = got[1].group_stepper.plans.values()
    assert len(plan.chunks) == 3


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("cls,key,kw", [
    (Adam, "amsgrad", dict(lr=0.01)),
    (AdamW, "amsgrad", dict(lr=0.01)),
    (SGD, "momentum", dict(lr=0.01)),
])
def test_state_made_mid_run_is_flat_and_saved(cls, key, kw, threads):
    "Switching AMSGrad or momentum on after some steps: the new state reaches state_dict."
    ref, got = pair(cls, kw, threads=threads)
    for m, o in (ref, got):
        steps(m, o, range(3))
        o.param_groups[0][key] = True if key == "amsgrad" else 0.9
        steps(m, o, range(3, 7))
    assert_same(ref, got)


def test_a_group_that_cannot_step_stops_the_step_before_any_group_changes():
    "Each group in an arena of its own: the second one's bad array stops the first too."
    model = mlp()
    ps = model.parameters()
    flatten_parameters(ps[:2])
    flatten_parameters(ps[2:])
    opt = use_flat_step(Adam([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.01))
    steps(model, opt, range(2))
    assert len({id(plan.arena) for plan in opt.group_stepper.plans.values()}) == 2
    before = [p.data.copy() for p in model.parameters()]
    state = opt.state_dict()["state"]
    w = model.layers[-1].W                      # in the second group: a new dtype,
    w.data = w.data.astype(np.float64)          # which the Optimizer's checks let pass
    with pytest.raises(ValueError, match="call flatten_parameters again"):
        opt.step()
    for p, b in zip(model.parameters()[:2], before):
        np.testing.assert_array_equal(p.data, b)   # the first group did not move
    after = opt.state_dict()["state"]
    for i in (0, 1):
        assert after[i]["step"] == state[i]["step"]
        np.testing.assert_array_equal(after[i]["exp_avg"], state[i]["exp_avg"])


def test_flattening_again_moves_the_flat_path_to_the_new_arena():
    ref, got = pair(Adam, dict(lr=0.01))
    for m, o in (ref, got):
        steps(m, o, range(2))
    model, opt = got
    (new_arena,) = flatten_parameters(model)
    opt.zero_grad()
    assert all(np.shares_memory(p.data, new_arena.data) for p in model.parameters()), \
        "zero_grad moved the parameters back into their old arena"
    assert not new_arena.grad.any()
    for m, o in (ref, got):
        steps(m, o, range(2, 5))
    assert_same(ref, got)
    (plan,) = opt.group_stepper.plans.values()
    assert plan.arena is new_arena
    assert all(np.shares_memory(p.data, new_arena.data) for p in model.parameters())
