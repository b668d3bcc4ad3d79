"""SequentialLR and ChainedScheduler nest (PyTorch's test_sequentiallr4/5, ported), run a
composition inside another as it would alone, check everything before they change a rate,
and save and load their state through JSON; MultiStepLR comes back from JSON on time."""
import copy
import json
import math

import numpy as np
import pytest

from mlpbook.layers import Parameter
from mlpbook.lr_scheduler import (ChainedScheduler, ConstantLR, CosineAnnealingLR,
                                  ExponentialLR, LinearLR, MultiStepLR, ReduceLROnPlateau,
                                  SequentialLR, StepLR)
from mlpbook.optim import SGD


def torch_test_optimizer():
    "The optimizer of torch's TestLRScheduler.setUp: two groups, lr 0.05 and 0.5."
    return SGD([{"params": [Parameter(np.zeros((1, 1)))]},
                {"params": [Parameter(np.zeros((1, 1)))], "lr": 0.5}], lr=0.05)


def run(opt, scheduler, epochs):
    "Each group's lr at epochs 0 .. epochs-1 (torch's _test: read, then step)."
    lrs = []
    for _ in range(epochs):
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        scheduler.step()
    return np.array(lrs)


def test_torch_sequentiallr4_multiple_schedulers_do_not_change_the_initial_lr():
    opt = SGD([Parameter(np.array(0.5))], lr=0.1)
    SequentialLR(opt, [ConstantLR(opt, factor=1), ConstantLR(opt, factor=0.1)],
                 milestones=[10])
    assert opt.param_groups[0]["lr"] == 0.1


def test_torch_sequentiallr5_a_chained_scheduler_inside_sequentiallr():
    # before: AttributeError ('ChainedScheduler' object has no attribute 'last_epoch')
    # after the learning rates had been reset and the schedulers' epochs rewound
    opt = torch_test_optimizer()
    const_sched = ConstantLR(optimizer=opt, factor=0.1, total_iters=5)
    lin_sched = LinearLR(optimizer=opt, start_factor=0.1, total_iters=5)
    chained = ChainedScheduler([lin_sched, const_sched])
    const_sched2 = ConstantLR(optimizer=opt, factor=0.5, total_iters=5)
    scheduler = SequentialLR(opt, schedulers=[chained, const_sched2], milestones=[5])
    targets = [0.0005, 0.0014, 0.0023, 0.0032, 0.0041] + [0.025] * 5
    np.testing.assert_allclose(run(opt, scheduler, 10)[:, 0], targets, atol=1e-5, rtol=0)


def test_torch_multi_step_lr_state_dict():
    # torch's test_multi_step_lr_state_dict (_check_scheduler_state_dict), and the same
    # through JSON, which turns the milestones' epochs into strings
    for through_json in (False, True):
        opt = torch_test_optimizer()
        scheduler = MultiStepLR(opt, gamma=0.1, milestones=[2, 5, 9])
        for _ in range(10):
            opt.step()
            scheduler.step()
        copy_ = MultiStepLR(opt, gamma=0.01, milestones=[1, 4, 6])
        state = scheduler.state_dict()
        if through_json:
            state = json.loads(json.dumps(state))
            assert set(state["milestones"]) == {"2", "5", "9"}
        copy_.load_state_dict(state)
        for key in scheduler.__dict__:
            if key != "optimizer":
                assert scheduler.__dict__[key] == copy_.__dict__[key], key
        assert copy_.get_lr() == scheduler.get_lr()


def test_a_multistep_schedule_resumed_from_json_still_drops():
    # before: the milestones came back as {'2': 1, '4': 1} and the lr never dropped again
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    opt.step()
    sched.step()
    state = json.loads(json.dumps(sched.state_dict()))
    opt2 = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched2 = MultiStepLR(opt2, milestones=[9], gamma=0.5)
    opt2.load_state_dict(json.loads(json.dumps(opt.state_dict())))
    sched2.load_state_dict(state)
    lrs = []
    for _ in range(4):
        opt2.step()
        sched2.step()
        lrs.append(opt2.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01])


def test_a_multistep_schedule_in_a_checkpoint_file_still_drops(tmp_path):
    from mlpbook import Dense, load_checkpoint, save
    model = Dense(2, 1, rng=0)
    opt = SGD(model.parameters(), lr=1.0)
    sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    opt.step()
    sched.step()
    save(model, tmp_path / "run.npz", optimizer=opt, scheduler=sched)
    opt2 = SGD(model.parameters(), lr=1.0)
    sched2 = MultiStepLR(opt2, milestones=[2, 4], gamma=0.1)
    load_checkpoint(tmp_path / "run.npz", model=model, optimizer=opt2, scheduler=sched2)
    opt2.step()
    sched2.step()
    assert opt2.param_groups[0]["lr"] == pytest.approx(0.1)


def alone(make, epochs, lr=1.0):
    "The rates of a scheduler on its own optimizer."
    opt = SGD([Parameter(np.zeros(1))], lr=lr)
    return run(opt, make(opt), epochs)[:, 0]


@pytest.mark.parametrize("inner", [
    lambda o: ChainedScheduler([ExponentialLR(o, 0.9), ConstantLR(o, 0.5, total_iters=3)]),
    lambda o: ChainedScheduler([CosineAnnealingLR(o, 4), ConstantLR(o, 0.5, total_iters=3)]),
    lambda o: SequentialLR(o, [ConstantLR(o, 0.5, total_iters=2), ExponentialLR(o, 0.9)], [2]),
], ids=["chain(exp, constant)", "chain(cosine, constant)", "sequential(constant, exp)"])
def test_a_composition_inside_sequentiallr_runs_as_it_would_alone(inner):
    # first: its epochs 0..4; after a milestone: restarted at its epoch 0
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    seq = SequentialLR(opt, [inner(opt), StepLR(opt, 2)], milestones=[5])
    np.testing.assert_allclose(run(opt, seq, 5)[:, 0], alone(inner, 5), rtol=1e-12)
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    seq = SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=2), inner(opt)], milestones=[2])
    lrs = run(opt, seq, 9)[:, 0]
    np.testing.assert_allclose(lrs[:2], [0.1, 0.55], rtol=1e-12)
    np.testing.assert_allclose(lrs[2:], alone(inner, 7), rtol=1e-12)


def test_the_issue_composition_steps_without_error_and_as_alone():
    # before: AttributeError after the lr was reset from 0.05 to 1.0 and the warm-up's
    # last_epoch rewound
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    warmup = LinearLR(opt, 0.1, total_iters=2)
    chain = ChainedScheduler([ExponentialLR(opt, 0.9), ConstantLR(opt, 0.5, total_iters=3)])
    seq = SequentialLR(opt, [warmup, chain], milestones=[2])
    lrs = run(opt, seq, 6)[:, 0]
    np.testing.assert_allclose(lrs, [0.1, 0.55, 0.5, 0.45, 0.405, 0.729], rtol=1e-12)


def snapshot(opt, *schedulers):
    "The optimizer's groups and every scheduler's attributes, deep-copied."
    objs = []
    def walk(s):
        objs.append(s)
        for child in getattr(s, "_schedulers", []):
            walk(child)
    for s in schedulers:
        walk(s)
    return (copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                           for g in opt.param_groups]),
            [copy.deepcopy({k: v for k, v in o.__dict__.items()
                            if k not in ("optimizer", "_schedulers")}) for o in objs])


@pytest.mark.parametrize("make_bad,exc,match", [
    (lambda o, s: StepLR(SGD([Parameter(np.zeros(1))], lr=0.1), 2), ValueError,
     "same optimizer"),
    (lambda o, s: s.__setattr__("T_max", 0) or s, ValueError, "T_max must be an integer"),
    (lambda o, s: object(), TypeError, "should have `optimizer`"),
    (lambda o, s: ReduceLROnPlateau(o), ValueError, "does not support `ReduceLROnPlateau`"),
])
def test_a_refused_composition_changes_nothing(make_bad, exc, match):
    # before: SequentialLR reset the lrs and rewound its schedulers, then failed
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    warm = LinearLR(opt, 0.1, total_iters=3)
    cosine = CosineAnnealingLR(opt, 10)
    for _ in range(2):
        opt.step()
        warm.step()
        cosine.step()
    bad = make_bad(opt, cosine)
    before = snapshot(opt, warm, cosine)
    with pytest.raises(exc, match=match):
        SequentialLR(opt, [warm, ChainedScheduler([cosine, bad]) if bad is not cosine
                           else cosine], milestones=[3])
    assert snapshot(opt, warm, cosine) == before


def test_a_step_that_fails_inside_a_chain_changes_nothing():
    # the chainable cosine applied to a rate cut below eta_min would set a negative lr:
    # refused, and the schedulers that stepped before it in the chain are put back
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    step = StepLR(opt, 3, gamma=0.5)
    cosine = CosineAnnealingLR(opt, 4, eta_min=0.5)
    chain = ChainedScheduler([step, cosine])
    for _ in range(5):
        opt.step()
        chain.step()
    opt.param_groups[0]["lr"] = 0.01                   # a cut far below eta_min
    before = snapshot(opt, chain)
    with pytest.raises(ValueError, match="CosineAnnealingLR.step: the schedule would set"):
        for _ in range(4):
            opt.step()
            before = snapshot(opt, chain)
            chain.step()
    assert snapshot(opt, chain) == before


def test_a_parameter_group_added_after_the_scheduler_is_refused_at_its_step():
    # before: the new group was silently left out of the schedule (zip stopped short)
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    sched = StepLR(opt, 1, gamma=0.5)
    opt.add_param_group({"params": [Parameter(np.zeros(1))], "lr": 0.2})
    opt.step()
    with pytest.raises(ValueError, match="the optimizer has 2 parameter groups, but the "
                                         "scheduler was built for 1"):
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.2]


@pytest.mark.parametrize("change,exc,match", [
    (lambda sd: sd.update(last_epoch="3"), TypeError, "last_epoch must be an integer"),
    (lambda sd: sd["_schedulers"][1].update(T_max=0), ValueError, "T_max must be an integer"),
    (lambda sd: sd["_schedulers"][0].update(base_lrs=[0.1, 0.2]), ValueError,
     "base_lrs must be a list of 1 learning rates"),
    (lambda sd: sd.update(_milestones=[0]), ValueError, r"milestones\[0\] must be"),
    (lambda sd: sd["_schedulers"].pop(), ValueError, "holds 1 schedulers, this one has 2"),
    (lambda sd: sd["_schedulers"][0].update(start_factor=float("nan")), ValueError,
     "start_factor must be a finite number"),
])
def test_a_bad_composition_state_dict_changes_nothing(change, exc, match):
    def build():
        opt = SGD([Parameter(np.zeros(1))], lr=0.1)
        return opt, SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=3),
                                       CosineAnnealingLR(opt, 10)], milestones=[3])
    opt, seq = build()
    for _ in range(5):
        opt.step()
        seq.step()
    sd = json.loads(json.dumps(seq.state_dict()))
    change(sd)
    opt2, seq2 = build()
    before = snapshot(opt2, seq2)
    with pytest.raises(exc, match=match):
        seq2.load_state_dict(sd)
    assert snapshot(opt2, seq2) == before


@pytest.mark.parametrize("metrics,exc,match", [
    ("0.5", TypeError, "metrics must be a number"), (None, TypeError, "metrics must be a number"),
    ([0.5, 0.4], TypeError, "metrics must be a number"),
])
def test_plateau_needs_a_number(metrics, exc, match):
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    plateau = ReduceLROnPlateau(opt, patience=5)
    before = copy.deepcopy({k: v for k, v in plateau.__dict__.items() if k != "optimizer"})
    with pytest.raises(exc, match=match):
        plateau.step(metrics)
    assert {k: v for k, v in plateau.__dict__.items() if k != "optimizer"} == before
    plateau.step(np.float32(0.5))
    plateau.step(np.array(0.7))                 # a 0-d array holds one number
    assert plateau.num_bad_epochs == 1


def test_plateau_refusing_a_cut_changes_nothing():
    # before: last_epoch and num_bad_epochs had moved when the RuntimeError came
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    plateau = ReduceLROnPlateau(opt, patience=0, min_lr=[0.01])
    opt.add_param_group({"params": [Parameter(np.zeros(1))], "lr": 0.2})
    plateau.step(1.0)
    before = copy.deepcopy({k: v for k, v in plateau.__dict__.items() if k != "optimizer"})
    with pytest.raises(RuntimeError, match="differs from when ReduceLROnPlateau"):
        plateau.step(2.0)
    assert {k: v for k, v in plateau.__dict__.items() if k != "optimizer"} == before


def test_plateau_state_through_json():
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    plateau = ReduceLROnPlateau(opt, patience=1)
    plateau.step(1.0)
    state = json.loads(json.dumps(plateau.state_dict()))
    plateau2 = ReduceLROnPlateau(SGD([Parameter(np.zeros(1))], lr=0.1), patience=5)
    plateau2.load_state_dict(state)
    assert plateau2.patience == 1 and plateau2.best == 1.0
    state["best"] = "low"
    with pytest.raises(TypeError, match="best must be a number"):
        plateau2.load_state_dict(state)
    assert plateau2.best == 1.0 and math.isfinite(plateau2.best)
