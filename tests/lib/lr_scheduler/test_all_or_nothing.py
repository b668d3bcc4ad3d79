"""Property tests: scheduler compositions (built, stepped, loaded) that meet a random
fault either change everything they should or nothing at all."""
import copy
import json
import math

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import mlpbook.lr_scheduler as L  # noqa: E402
from mlpbook.layers import Parameter  # noqa: E402
from mlpbook.optim import SGD  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None)
LEAVES = {
    "step": lambda o: L.StepLR(o, 2, 0.5),
    "multistep": lambda o: L.MultiStepLR(o, [1, 3, 3], 0.5),
    "exp": lambda o: L.ExponentialLR(o, 0.9),
    "cosine": lambda o: L.CosineAnnealingLR(o, 4, 0.0),
    "linear": lambda o: L.LinearLR(o, 0.2, total_iters=3),
    "constant": lambda o: L.ConstantLR(o, 0.5, 3),
    "poly": lambda o: L.PolynomialLR(o, 5, 1.5),
}
# a composition: a leaf name, ("chain", [parts]) or ("seq", [parts])
tree = st.recursive(st.sampled_from(sorted(LEAVES)),
                    lambda kids: st.tuples(st.sampled_from(["chain", "seq"]),
                                           st.lists(kids, min_size=1, max_size=3)),
                    max_leaves=4)


def build(spec, opt):
    if isinstance(spec, str):
        return LEAVES[spec](opt)
    kind, parts = spec
    children = [build(p, opt) for p in parts]
    if kind == "chain":
        return L.ChainedScheduler(children, opt)
    return L.SequentialLR(opt, children, milestones=[2 * (i + 1) for i in range(len(parts) - 1)])


def everything(scheduler):
    "The scheduler and every scheduler inside it."
    yield scheduler
    for child in getattr(scheduler, "_schedulers", []):
        yield from everything(child)


def snapshot(opt, scheduler):
    return (copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                           for g in opt.param_groups]),
            [copy.deepcopy({k: v for k, v in s.__dict__.items()
                            if k not in ("optimizer", "_schedulers")})
             for s in everything(scheduler)])


def fresh(spec, epochs):
    opt = SGD([{"params": [Parameter(np.zeros(1))]},
               {"params": [Parameter(np.zeros(2))], "lr": 0.05}], lr=0.1)
    sched = build(spec, opt)
    for _ in range(epochs):
        opt.step()
        sched.step()
    return opt, sched


FAULTS = {  # break one thing the next step reads
    "nan lr": lambda opt, leaves, i: opt.param_groups[1].update(lr=math.nan),
    "string lr": lambda opt, leaves, i: opt.param_groups[0].update(lr="0.1"),
    "group added": lambda opt, leaves, i: opt.add_param_group(
        {"params": [Parameter(np.zeros(1))], "lr": 0.3}),
    "bad hyper-parameter": lambda opt, leaves, i: _break_hyper(leaves[i]),
    "rate below a cosine's floor": lambda opt, leaves, i: _below_floor(opt, leaves[i]),
}


def _break_hyper(s):
    for name, bad in [("step_size", 0), ("gamma", -1.0), ("T_max", 0), ("total_iters", 0),
                      ("start_factor", 2.0), ("factor", 0.0)]:
        if name in s.__dict__:
            setattr(s, name, bad)
            return
    s.milestones = {"3": 1}


def _below_floor(opt, s):
    if isinstance(s, L.CosineAnnealingLR):
        s.eta_min = 0.5
        for g in opt.param_groups:
            g["lr"] = 1e-3


@SETTINGS
@given(spec=tree, epochs=st.integers(0, 7), fault=st.one_of(st.none(), st.sampled_from(sorted(FAULTS))),
       steps=st.integers(1, 8), data=st.data())
def test_a_composition_steps_everything_or_nothing(spec, epochs, fault, steps, data):
    opt, sched = fresh(spec, epochs)
    if fault is not None:
        leaves = [s for s in everything(sched) if not hasattr(s, "_schedulers")]
        FAULTS[fault](opt, leaves, data.draw(st.integers(0, len(leaves) - 1)))
    for _ in range(steps):                   # the fault may bite only at a later epoch
        before = snapshot(opt, sched)
        try:
            opt.step()
        except (TypeError, ValueError):      # the optimizer refuses the rate: fine
            assert fault is not None
            return
        before = snapshot(opt, sched)
        try:
            sched.step()
        except (TypeError, ValueError) as err:
            assert fault is not None, f"a composition without a fault failed: {err}"
            assert snapshot(opt, sched) == before, f"{fault}: half-changed"
            return
        for g in opt.param_groups:
            assert isinstance(g["lr"], float) and math.isfinite(g["lr"]) and g["lr"] >= 0


STATE_FAULTS = {
    "drop a key": lambda sd: sd.pop(sorted(k for k in sd if k != "_schedulers")[0]),
    "negative epoch": lambda sd: sd.update(last_epoch=-5),
    "epoch as a string": lambda sd: sd.update(last_epoch="2"),
    "lrs of another optimizer": lambda sd: sd.update(_last_lr=[0.1]),
    "nan lr": lambda sd: sd.update(_last_lr=[math.nan, 0.1]),
    "bad hyper-parameter in the last scheduler": lambda sd: _break_saved_hyper(sd),
}


def _break_saved_hyper(sd):
    inner = sd
    while "_schedulers" in inner:
        inner = inner["_schedulers"][-1]
    for name, bad in [("step_size", 0), ("gamma", 0.0), ("T_max", -1), ("total_iters", 0),
                      ("start_factor", 0.0), ("factor", 5.0), ("milestones", {"x": 1})]:
        if name in inner:
            inner[name] = bad
            return


@SETTINGS
@given(spec=tree, epochs=st.integers(0, 7), fault=st.one_of(st.none(), st.sampled_from(sorted(STATE_FAULTS))),
       through_json=st.booleans())
def test_a_composition_loads_everything_or_nothing(spec, epochs, fault, through_json):
    _, source = fresh(spec, epochs)
    sd = source.state_dict()
    if through_json:
        sd = json.loads(json.dumps(sd))
    if fault is not None:
        STATE_FAULTS[fault](sd)
    opt, sched = fresh(spec, 0)
    before = snapshot(opt, sched)
    try:
        sched.load_state_dict(sd)
    except (TypeError, ValueError) as err:
        assert fault is not None, f"a good state dict was refused: {err}"
        assert snapshot(opt, sched) == before, f"{fault}: half-loaded"
        return
    assert fault is None, f"{fault}: loaded"
    _, theirs = snapshot(opt, source)
    _, ours = snapshot(opt, sched)
    assert ours == theirs
