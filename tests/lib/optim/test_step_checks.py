"""An optimizer step checks everything it will touch before it changes anything; the
state dict survives JSON; clip_grad_norm_ takes torch's arguments; the module holds the
optimizers only (schedulers live in mlpbook.lr_scheduler, reachable from the old path)."""
import ast
import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import mlpbook.optim as optim
from mlpbook.layers import Parameter
from mlpbook.optim import SGD, Adagrad, Adam, AdamW, RMSProp, clip_grad_norm_

ROOT = Path(__file__).resolve().parents[3]


def _params(n=3, seed=0):
    rng = np.random.default_rng(seed)
    ps = [Parameter(rng.standard_normal(s)) for s in [(3, 2), (2,), (4,)][:n]]
    for p in ps:
        p.grad[...] = rng.standard_normal(p.shape)
    return ps


def _snapshot(opt):
    "Everything a step may change: data, grads, state and hyper-parameters."
    params = [p for g in opt.param_groups for p in g["params"]]
    return ([(p.data.copy(), p.grad.copy()) for p in params],
            copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                           for g in opt.param_groups]),
            [copy.deepcopy(opt.state.get(p)) for p in params])


def _assert_same(before, after):
    for (d0, g0), (d1, g1) in zip(before[0], after[0]):
        np.testing.assert_array_equal(d0, d1)
        np.testing.assert_array_equal(g0, g1)
    assert before[1] == after[1]
    for s0, s1 in zip(before[2], after[2]):
        assert (s0 is None) == (s1 is None)
        for k in s0 or {}:
            np.testing.assert_array_equal(s0[k], s1[k])


@pytest.mark.parametrize("cls,kw", [(Adam, {}), (SGD, dict(lr=0.1, momentum=0.9)),
                                    (RMSProp, dict(centered=True, momentum=0.5)),
                                    (Adagrad, {}), (AdamW, dict(amsgrad=True))])
def test_rebinding_a_parameter_to_a_new_shape_changes_nothing(cls, kw):
    # before: parameters 0 and 1 and their state were updated, then a raw broadcast
    # error on parameter 2, whose .data and .grad had been rebound to a new shape
    ps = _params()
    opt = cls(ps, **kw)
    opt.step()
    ps[2].data, ps[2].grad = np.ones(5), np.ones(5)
    before = _snapshot(opt)
    with pytest.raises(ValueError, match=r"\.step: the state '\w+' of parameter 2 has "
                                         r"shape \(4,\), but the parameter now has shape "
                                         r"\(5,\).*nothing was updated"):
        opt.step()
    _assert_same(before, _snapshot(opt))


@pytest.mark.parametrize("break_it,exc,match", [
    (lambda ps, opt: ps[1].data.setflags(write=False), ValueError,
     "parameter 1's data is read-only"),
    (lambda ps, opt: setattr(ps[2], "data", np.ones(4, dtype=int)), TypeError,
     "parameter 2's data must be a floating-point array"),
    (lambda ps, opt: setattr(ps[2], "grad", [1.0, 2.0, 3.0, 4.0]), TypeError,
     "parameter 2's grad must be a NumPy array"),
    (lambda ps, opt: setattr(ps[1], "grad", np.ones(2, dtype=complex)), TypeError,
     "parameter 1's grad must hold real numbers"),
    (lambda ps, opt: opt.param_groups[0].update(lr=math.nan), ValueError,
     "lr must be a finite number"),
    (lambda ps, opt: opt.param_groups[0].update(lr="0.1"), TypeError,
     "lr must be a real number"),
    (lambda ps, opt: opt.param_groups[0].update(betas=(0.9, 1.0)), ValueError,
     r"betas\[1\] must be a finite number"),
    (lambda ps, opt: opt.param_groups[0]["params"].append(np.ones(2)), TypeError,
     "parameter 3 is a ndarray, not a Parameter"),
], ids=["read-only data", "int data", "list grad", "complex grad", "nan lr", "str lr",
        "beta2 of 1", "not a Parameter"])
def test_a_step_that_would_fail_midway_changes_nothing(break_it, exc, match):
    ps = _params()
    opt = Adam(ps, lr=0.1)
    opt.step()
    arrays = [p.data for p in ps]
    data = [a.copy() for a in arrays]
    state = copy.deepcopy([opt.state[p] for p in ps])
    break_it(ps, opt)
    with pytest.raises(exc, match=match):
        opt.step()
    for p, a, d, s in zip(ps, arrays, data, state):
        if p.data is a:                       # the arrays the step could have written
            np.testing.assert_array_equal(a, d)
        assert opt.state[p]["step"] == s["step"] == 1
        for k in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(opt.state[p][k], s[k])


def test_the_update_functions_hold_no_raise():
    tree = ast.parse((ROOT / "mlpbook" / "optim.py").read_text())
    bodies = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
              and (n.name.endswith("_update") or n.name == "update")]
    assert len(bodies) >= 9, [n.name for n in bodies]
    for fn in bodies:
        raises = [n for n in ast.walk(fn) if isinstance(n, ast.Raise)]
        assert not raises or fn.name == "update" and fn.body[-1] is raises[0], \
            f"{fn.name} holds a raise: checks belong before the update"


def test_optim_holds_no_scheduler_and_no_other_chapters_knowledge():
    source = (ROOT / "mlpbook" / "optim.py").read_text()
    tree = ast.parse(source)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert not [c for c in classes if c.endswith("LR") or "Scheduler" in c
                or c == "ReduceLROnPlateau"], classes
    for word in ("Chapter 8", "arena", "flat", "use_flat_step", "performance"):
        assert word not in source, f"optim.py mentions {word!r}"


def test_schedulers_are_reachable_from_their_old_import_path():
    import mlpbook.lr_scheduler as lr_scheduler
    from mlpbook.optim import ReduceLROnPlateau, StepLR
    assert StepLR is lr_scheduler.StepLR
    assert ReduceLROnPlateau is lr_scheduler.ReduceLROnPlateau
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchLR'"):
        optim.NoSuchLR


@pytest.mark.parametrize("cls,kw", [(Adam, dict(amsgrad=True)), (SGD, dict(momentum=0.9)),
                                    (RMSProp, dict(centered=True, momentum=0.5)), (Adagrad, {})])
def test_state_dict_through_json_resumes_identically(cls, kw):
    def run(resume_at=None):
        ps = _params(seed=1)
        opt = cls(ps, lr=0.05, **kw)
        for k in range(12):
            if k == resume_at:
                sd = opt.state_dict()
                text = json.dumps(sd, default=lambda a: a.tolist())
                ps = [Parameter(p.data.copy()) for p in ps]
                opt = cls(ps, lr=1.0)
                opt.load_state_dict(json.loads(text))   # string indices, lists
            for p in ps:
                p.grad[...] = np.sin(p.data + k)
            opt.step()
        return [p.data for p in ps]
    for a, b in zip(run(), run(resume_at=5)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("state_dict,exc,match", [
    (None, TypeError, "expected the dict"),
    ({"state": {}}, TypeError, "expected the dict"),
    ({"state": [], "param_groups": []}, TypeError, "'param_groups' must be a list and 'state' a dict"),
    ({"state": {}, "param_groups": [[0]]}, TypeError, "must be a dict with the key 'params'"),
    ({"state": {"x": {}}, "param_groups": None}, TypeError, "'param_groups' must be a list"),
])
def test_load_state_dict_of_the_wrong_form_is_refused(state_dict, exc, match):
    opt = Adam(_params(1))
    opt.step()
    before = _snapshot(opt)
    with pytest.raises(exc, match=match):
        opt.load_state_dict(state_dict)
    _assert_same(before, _snapshot(opt))


def test_load_state_dict_with_a_bad_index_or_array_changes_nothing():
    opt = Adam(_params(2))
    opt.step()
    good = opt.state_dict()
    for change, match in [(lambda sd: sd["state"].update({"x": sd["state"][0]}),
                           "state for parameter 'x'"),
                          (lambda sd: sd["state"][1].update(exp_avg=[1.0, 2.0, 3.0]),
                           "state 'exp_avg' of parameter 1 has shape"),
                          (lambda sd: sd["param_groups"][0].update(eps=-1.0),
                           r"Adam\.load_state_dict \(param_groups\[0\]\): eps must be")]:
        sd = copy.deepcopy(good)
        change(sd)
        before = _snapshot(opt)
        with pytest.raises((ValueError, TypeError), match=match):
            opt.load_state_dict(sd)
        _assert_same(before, _snapshot(opt))


@pytest.mark.parametrize("norm_type", ["inf", "2", "1.5", math.inf])
def test_clip_grad_norm_takes_torchs_norm_types(torch, norm_type):
    # before: norm_type="inf" was refused; torch takes float(norm_type)
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,)]]
    ours = [Parameter(np.zeros(g.shape)) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad[...] = g
        t.grad = torch.tensor(g)
    total = clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    assert total == pytest.approx(t_total.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kw,exc,match", [
    (dict(norm_type="two"), ValueError, "norm_type must be a number > 0, math.inf or 'inf'"),
    (dict(norm_type=True), TypeError, "norm_type must be a number > 0"),
    (dict(norm_type=None), TypeError, "norm_type must be a number > 0"),
    (dict(error_if_nonfinite="yes"), TypeError, "error_if_nonfinite must be True or False"),
    (dict(max_norm="1.0"), TypeError, "max_norm must be a real number"),
    (dict(max_norm=-1.0), ValueError, "max_norm must be a finite number"),
])
def test_clip_grad_norm_arguments(kw, exc, match):
    ps = _params(2)
    grads = [p.grad.copy() for p in ps]
    args = dict(max_norm=1.0) | kw
    with pytest.raises(exc, match=match):
        clip_grad_norm_(ps, **args)
    for p, g in zip(ps, grads):
        np.testing.assert_array_equal(p.grad, g)


def test_clip_grad_norm_checks_every_gradient_before_scaling_any():
    ps = _params(3)
    ps[2].grad.setflags(write=False)
    grads = [p.grad.copy() for p in ps]
    with pytest.raises(TypeError, match="parameter 2's grad must be a writable"):
        clip_grad_norm_(ps, 0.1)
    for p, g in zip(ps, grads):
        np.testing.assert_array_equal(p.grad, g)
    with pytest.raises(TypeError, match="parameters must be Parameters, got ndarray at index 1"):
        clip_grad_norm_([ps[0], np.ones(3)], 0.1)
