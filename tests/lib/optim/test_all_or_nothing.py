"""Property tests: an optimizer step or load_state_dict that meets a random fault either
changes everything it should or nothing at all."""
import copy
import json
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mlpbook.layers import Parameter  # noqa: E402
from mlpbook.optim import SGD, Adagrad, Adam, AdamW, RMSProp  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None)
MAKERS = {
    "SGD": lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.01),
    "Adagrad": lambda ps: Adagrad(ps, lr=0.1),
    "RMSProp": lambda ps: RMSProp(ps, lr=0.01, momentum=0.5, centered=True),
    "Adam": lambda ps: Adam(ps, lr=0.01, amsgrad=True),
    "AdamW": lambda ps: AdamW(ps, lr=0.01),
}


def build(name, shapes, seed, steps):
    rng = np.random.default_rng(seed)
    ps = [Parameter(rng.standard_normal(s)) for s in shapes]
    half = max(1, len(ps) // 2)
    opt = MAKERS[name]([{"params": ps[:half]}, {"params": ps[half:], "lr": 0.02}]
                       if len(ps) > 1 else ps)
    for _ in range(steps):
        for p in ps:
            p.grad[...] = rng.standard_normal(p.shape)
        opt.step()
    for p in ps:
        p.grad[...] = rng.standard_normal(p.shape)
    return ps, opt


def snapshot(ps, opt):
    return ([(p.data, p.data.copy(), p.grad, p.grad.copy()) for p in ps],
            [{k: (v if k == "params" else copy.deepcopy(v)) for k, v in g.items()}
             for g in opt.param_groups],
            {id(p): copy.deepcopy(opt.state.get(p)) for p in ps})


def unchanged(ps, opt, snap):
    arrays, groups, state = snap
    for p, (data, d, grad, g) in zip(ps, arrays):
        if p.data is data:
            np.testing.assert_array_equal(p.data, d)
        if p.grad is grad:
            np.testing.assert_array_equal(p.grad, g)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == \
        [{k: v for k, v in g.items() if k != "params"} for g in groups]
    for p in ps:
        before, now = state[id(p)], opt.state.get(p)
        assert (before is None) == (now is None) or not before and not now
        for k in before or {}:
            np.testing.assert_array_equal(before[k], now[k])


FAULTS = {   # name -> function(ps, opt, rng) that breaks one thing a step touches
    "rebind to a new shape": lambda ps, opt, i: (setattr(ps[i], "data", np.ones(7)),
                                                 setattr(ps[i], "grad", np.ones(7))),
    "grad of another shape": lambda ps, opt, i: setattr(ps[i], "grad", np.ones(7)),
    "read-only data": lambda ps, opt, i: ps[i].data.setflags(write=False),
    "integer data": lambda ps, opt, i: setattr(ps[i], "data",
                                               np.zeros(ps[i].shape, dtype=np.int64)),
    "complex grad": lambda ps, opt, i: setattr(ps[i], "grad",
                                               np.zeros(ps[i].shape, dtype=complex)),
    "grad as a list": lambda ps, opt, i: setattr(ps[i], "grad", ps[i].grad.tolist()),
    "nan lr": lambda ps, opt, i: opt.param_groups[-1].update(lr=math.nan),
    "negative lr": lambda ps, opt, i: opt.param_groups[-1].update(lr=-0.1),
    "lr as a string": lambda ps, opt, i: opt.param_groups[0].update(lr="0.1"),
    "flag as a string": lambda ps, opt, i: opt.param_groups[-1].update(maximize="no"),
}


@SETTINGS
@given(name=st.sampled_from(sorted(MAKERS)),
       shapes=st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple),
                       min_size=1, max_size=4),
       seed=st.integers(0, 2**31), steps=st.integers(0, 3),
       fault=st.one_of(st.none(), st.sampled_from(sorted(FAULTS))), data=st.data())
def test_a_step_changes_everything_or_nothing(name, shapes, seed, steps, fault, data):
    ps, opt = build(name, shapes, seed, steps)
    if fault is not None:
        i = data.draw(st.integers(0, len(ps) - 1))
        if fault == "rebind to a new shape" and not opt.state.get(ps[i]):
            fault = None          # no state yet: a parameter may change shape freely
        FAULTS[fault or "rebind to a new shape"](ps, opt, i)
    twin_ps, twin = copy.deepcopy((ps, opt))
    snap = snapshot(ps, opt)
    try:
        opt.step()
    except (TypeError, ValueError) as err:
        assert fault is not None, f"a step without a fault failed: {err}"
        assert str(err).startswith(f"{type(opt).__name__}.step"), err
        unchanged(ps, opt, snap)
        return
    assert fault is None, f"{fault}: the step went through"
    twin.step()                                  # and it did everything a step does
    for p, q in zip(ps, twin_ps):
        np.testing.assert_array_equal(p.data, q.data)


STATE_FAULTS = {
    "array of another shape": lambda sd: _first_state(sd).update(
        {k: np.ones(7) for k, v in _first_state(sd).items() if isinstance(v, np.ndarray)}),
    "nan in an array": lambda sd: [v.fill(np.nan) for v in _first_state(sd).values()
                                   if isinstance(v, np.ndarray)],
    "step as a string": lambda sd: _first_state(sd).update(step="2"),
    "index out of range": lambda sd: sd["state"].update({99: {}}),
    "index not a number": lambda sd: sd["state"].update({"two": {}}),
    "bad hyper-parameter": lambda sd: sd["param_groups"][-1].update(lr=-1.0),
    "unknown hyper-parameter": lambda sd: sd["param_groups"][0].update(nonsense=1),
    "a group too few": lambda sd: sd["param_groups"].pop(),
    "state not a dict": lambda sd: sd.update(state=[1, 2]),
}


def _first_state(sd):
    "The state of the first parameter that has some (with an array), or an empty dict."
    for entry in sd["state"].values():
        if any(isinstance(v, np.ndarray) for v in entry.values()):
            return entry
    return {}


@SETTINGS
@given(name=st.sampled_from(sorted(MAKERS)),
       shapes=st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple),
                       min_size=2, max_size=4),
       seed=st.integers(0, 2**31), steps=st.integers(1, 3),
       fault=st.one_of(st.none(), st.sampled_from(sorted(STATE_FAULTS))),
       through_json=st.booleans())
def test_load_state_dict_loads_everything_or_nothing(name, shapes, seed, steps, fault,
                                                     through_json):
    source_ps, source = build(name, shapes, seed, steps)
    sd = source.state_dict()
    if fault is not None:
        STATE_FAULTS[fault](sd)
    if through_json and fault not in ("nan in an array",):
        sd = json.loads(json.dumps(sd, default=lambda a: a.tolist()))
    ps, opt = build(name, shapes, seed + 1, 1)
    snap = snapshot(ps, opt)
    try:
        opt.load_state_dict(sd)
    except (TypeError, ValueError, KeyError) as err:
        assert fault is not None, f"a good state dict was refused: {err}"
        unchanged(ps, opt, snap)
        return
    harmless = fault in (None,) or (fault in ("array of another shape", "nan in an array",
                                              "step as a string")
                                    and not _first_state(source.state_dict()))
    assert harmless, f"{fault}: the state dict was loaded"
    for p, q in zip(ps, source_ps):
        for k, v in source.state[q].items():
            np.testing.assert_array_equal(opt.state[p][k], v)
