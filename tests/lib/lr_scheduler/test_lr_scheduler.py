"""The learning-rate schedulers give torch.optim.lr_scheduler's learning rates, alone and
composed, and resume exactly from their state dicts."""
import numpy as np
import pytest

from mlpbook.layers import Parameter
from mlpbook.lr_scheduler import (ChainedScheduler, ConstantLR, CosineAnnealingLR, ExponentialLR,
                                  LinearLR, MultiStepLR, PolynomialLR, ReduceLROnPlateau,
                                  SequentialLR, StepLR)
from mlpbook.optim import SGD


def _ids(cases):
    return [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in cases]


SCHEDULES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=10, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[10, 30, 30, 80], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.95)),
    ("CosineAnnealingLR", dict(T_max=100)),
    ("CosineAnnealingLR", dict(T_max=30, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=25)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.5, total_iters=20)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=10)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=40, power=2.0)),
    ("PolynomialLR", dict(total_iters=30, power=0.9)),
]
OUR_SCHED = {"StepLR": StepLR, "MultiStepLR": MultiStepLR, "ExponentialLR": ExponentialLR,
             "CosineAnnealingLR": CosineAnnealingLR, "LinearLR": LinearLR, "ConstantLR": ConstantLR,
             "PolynomialLR": PolynomialLR}


def _pair(torch, lrs=(0.1, 0.03)):
    ours = SGD([{"params": [Parameter(np.zeros(1))], "lr": lr} for lr in lrs])
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs])
    return ours, theirs


def _compare_sequences(ours_sched, ours_opt, theirs_sched, theirs_opt, steps=100):
    np.testing.assert_allclose(ours_sched.get_last_lr(), theirs_sched.get_last_lr(), rtol=1e-6, atol=1e-15)
    for k in range(steps):
        ours_opt.step()
        theirs_opt.step()
        ours_sched.step()
        theirs_sched.step()
        np.testing.assert_allclose(ours_sched.get_last_lr(), theirs_sched.get_last_lr(), rtol=1e-6, atol=1e-15,
                                   err_msg=f"epoch {k + 1}")
        assert [g["lr"] for g in ours_opt.param_groups] == ours_sched.get_last_lr()


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=_ids(SCHEDULES))
def test_schedule_matches_torch(torch, name, kw):
    ours_opt, theirs_opt = _pair(torch)
    ours = OUR_SCHED[name](ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kw)
    _compare_sequences(ours, ours_opt, theirs, theirs_opt)


def test_warmup_then_cosine_matches_torch(torch):
    ours_opt, theirs_opt = _pair(torch)
    ours = SequentialLR(ours_opt, [LinearLR(ours_opt, start_factor=0.01, total_iters=10),
                                   CosineAnnealingLR(ours_opt, T_max=90)], milestones=[10])
    L = torch.optim.lr_scheduler
    theirs = L.SequentialLR(theirs_opt, [L.LinearLR(theirs_opt, start_factor=0.01, total_iters=10),
                                         L.CosineAnnealingLR(theirs_opt, T_max=90)], milestones=[10])
    _compare_sequences(ours, ours_opt, theirs, theirs_opt)


def test_three_stage_sequential_matches_torch(torch):
    ours_opt, theirs_opt = _pair(torch)
    ours = SequentialLR(ours_opt, [LinearLR(ours_opt, 0.2, total_iters=5), ExponentialLR(ours_opt, 0.9),
                                   StepLR(ours_opt, 10, 0.5)], milestones=[5, 40])
    L = torch.optim.lr_scheduler
    theirs = L.SequentialLR(theirs_opt, [L.LinearLR(theirs_opt, 0.2, total_iters=5), L.ExponentialLR(theirs_opt, 0.9),
                                         L.StepLR(theirs_opt, 10, 0.5)], milestones=[5, 40])
    _compare_sequences(ours, ours_opt, theirs, theirs_opt)


def _plateau_metrics():
    # falls, plateaus (patience runs out), tiny improvements below threshold, recovers, oscillates
    seq = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.79999, 0.79999, 0.8, 0.7, 0.7, 0.71, 0.72, 0.69, 0.69,
           0.69, 0.69, 0.69, 0.69, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6, 0.5, 0.6]
    return seq + [0.4] * 20 + list(np.linspace(0.4, 0.3, 20)) + [0.3] * 30


PLATEAU = [
    dict(),
    dict(patience=2),
    dict(patience=0, factor=0.5),
    dict(patience=2, cooldown=3),
    dict(patience=1, threshold=0.05, threshold_mode="abs"),
    dict(patience=1, threshold=0.05, threshold_mode="rel", cooldown=1),
    dict(mode="max", patience=2),
    dict(mode="max", patience=1, threshold_mode="abs", threshold=0.01, cooldown=2),
    dict(patience=1, factor=0.5, min_lr=0.02),
    dict(patience=1, factor=0.5, min_lr=[0.02, 0.001]),
    dict(patience=0, factor=0.5, eps=0.01),      # eps stops cuts smaller than 0.01
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(torch, kw):
    ours_opt, theirs_opt = _pair(torch)
    ours = ReduceLROnPlateau(ours_opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kw)
    metrics = _plateau_metrics()
    if kw.get("mode") == "max":
        metrics = [2 - m for m in metrics]      # rising accuracy-like values, positive
    changes = 0
    for k, m in enumerate(metrics):
        before = ours.get_last_lr()
        ours.step(m)
        theirs.step(m)
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=f"epoch {k}")
        changes += ours.get_last_lr() != before
    assert changes > 0


def test_reduce_lr_on_plateau_hand_computed():
    opt = SGD([Parameter(np.zeros(1))], lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    lrs = []
    for m in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]:
        sched.step(m)
        lrs.append(sched.get_last_lr()[0])
    # bad epochs 1,2,3 -> cut at epoch index 4; cooldown 1 epoch; then 3 more bad -> cut; then floor at 0.2
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]


def test_scheduler_errors():
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be a finite number in \(0, 1\), got 1.5"):
        ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="ReduceLROnPlateau: mode must be one of 'min', 'max'; got 'sideways'"):
        ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="ReduceLROnPlateau: threshold_mode must be one of"):
        ReduceLROnPlateau(opt, threshold_mode="ratio")
    with pytest.raises(ValueError, match="expected 1 min_lrs"):
        ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be a finite number in \(0, 1\], got 0"):
        LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        SequentialLR(opt, [StepLR(opt, 2), StepLR(opt, 3)], milestones=[])
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR(object(), 3)


def test_scheduler_state_dict_resume():
    def run(resume_at=None):
        opt = SGD([Parameter(np.zeros(1))], lr=0.1)
        sched = SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 20)], [5])
        lrs = []
        for k in range(30):
            if k == resume_at:
                sd, opt_sd = sched.state_dict(), opt.state_dict()
                opt = SGD([Parameter(np.zeros(1))], lr=0.1)
                sched = SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 20)], [5])
                opt.load_state_dict(opt_sd)
                sched.load_state_dict(sd)
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        return lrs
    assert run() == run(resume_at=12)


@pytest.mark.parametrize("sched", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                                   "ConstantLR", "PolynomialLR", "SequentialLR", "ChainedScheduler",
                                   "ReduceLROnPlateau"])
def test_scheduler_signatures_are_torchs(torch, sched):
    import inspect

    import mlpbook.lr_scheduler as lr_scheduler
    mine = inspect.signature(getattr(lr_scheduler, sched).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim.lr_scheduler, sched).__init__).parameters
    assert list(mine) == list(theirs)
    for name, p in theirs.items():
        assert mine[name].default == p.default, (sched, name)


# --- schedulers compose as torch's chainable ones -----------------------------------
def _both(torch, spec, lrs=(0.1, 0.03)):
    """Build the same schedulers on an mlpbook and a torch optimizer. `spec(lib, opt)` returns
    a list of schedulers; lib is the module holding the scheduler classes."""
    import mlpbook.lr_scheduler as lr_scheduler
    ours_opt, theirs_opt = _pair(torch, lrs)
    return ours_opt, spec(lr_scheduler, ours_opt), theirs_opt, spec(torch.optim.lr_scheduler, theirs_opt)


COMPOUND = {
    # the compound cases of PyTorch's test/optim/test_lrscheduler.py, run side by side with torch
    "step+multistep": lambda L, o: [L.StepLR(o, 3, 0.1), L.MultiStepLR(o, [2, 5, 9], 0.1)],
    "step+exp": lambda L, o: [L.StepLR(o, 2, 0.1), L.ExponentialLR(o, 0.9)],
    "exp+step": lambda L, o: [L.ExponentialLR(o, 0.9), L.StepLR(o, 2, 0.1)],
    "exp+linear": lambda L, o: [L.ExponentialLR(o, 0.9), L.LinearLR(o, 0.2, total_iters=4)],
    "linear+multistep": lambda L, o: [L.LinearLR(o, 0.5, total_iters=4), L.MultiStepLR(o, [3, 6], 0.5)],
    "step+constant": lambda L, o: [L.StepLR(o, 4, 0.5), L.ConstantLR(o, 0.1, total_iters=6)],
    "cosine+step": lambda L, o: [L.CosineAnnealingLR(o, 10, 0.001), L.StepLR(o, 3, 0.5)],
    "cosine+multistep": lambda L, o: [L.CosineAnnealingLR(o, 10, 0.001), L.MultiStepLR(o, [2, 7], 0.5)],
    "cosine+linear": lambda L, o: [L.CosineAnnealingLR(o, 10, 0.001), L.LinearLR(o, 0.3, total_iters=5)],
    "cosine+exp": lambda L, o: [L.CosineAnnealingLR(o, 10, 0.001), L.ExponentialLR(o, 0.95)],
    "poly+exp": lambda L, o: [L.PolynomialLR(o, 8, 2.0), L.ExponentialLR(o, 0.9)],
    "constant+linear+exp": lambda L, o: [L.ConstantLR(o, 0.5, 3), L.LinearLR(o, 0.1, 1.0, 6),
                                         L.ExponentialLR(o, 0.97)],
}


@pytest.mark.parametrize("case", list(COMPOUND))
def test_two_schedulers_on_one_optimizer_compose_as_torch(torch, case):
    ours_opt, ours, theirs_opt, theirs = _both(torch, COMPOUND[case])
    for k in range(30):
        ours_opt.step()
        theirs_opt.step()
        for s in ours:
            s.step()
        for s in theirs:
            s.step()
        np.testing.assert_allclose([g["lr"] for g in ours_opt.param_groups],
                                   [g["lr"] for g in theirs_opt.param_groups], rtol=1e-10, atol=1e-15,
                                   err_msg=f"{case}, epoch {k + 1}")


@pytest.mark.parametrize("case", ["step+exp", "cosine+linear", "constant+linear+exp"])
def test_chained_scheduler_matches_torch(torch, case):
    ours_opt, ours, theirs_opt, theirs = _both(torch, COMPOUND[case])
    ours = ChainedScheduler(ours, ours_opt)
    theirs = torch.optim.lr_scheduler.ChainedScheduler(theirs, theirs_opt)
    _compare_sequences(ours, ours_opt, theirs, theirs_opt, steps=30)


@pytest.mark.parametrize("kw", [dict(patience=1, factor=0.5), dict(patience=0, factor=0.3, cooldown=2)])
@pytest.mark.parametrize("other", ["cosine", "exp", "step"])
def test_plateau_with_another_scheduler_matches_torch(torch, kw, other):
    """The same rates as torch, epoch by epoch. Where torch's chainable cosine, applied to
    a rate that the plateau cut below eta_min, sets a negative learning rate, ours refuses
    it in that very step with an error naming eta_min, and changes nothing."""
    make = {"cosine": lambda L, o: L.CosineAnnealingLR(o, 20, 0.001), "exp": lambda L, o: L.ExponentialLR(o, 0.95),
            "step": lambda L, o: L.StepLR(o, 4, 0.5)}[other]
    ours_opt, (ours,), theirs_opt, (theirs,) = _both(torch, lambda L, o: [make(L, o)])
    ours_p = ReduceLROnPlateau(ours_opt, **kw)
    theirs_p = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kw)
    for k, m in enumerate(_plateau_metrics()[:40]):
        ours_opt.step()
        theirs_opt.step()
        theirs.step()
        if min(g["lr"] for g in theirs_opt.param_groups) < 0:
            before = [g["lr"] for g in ours_opt.param_groups]
            with pytest.raises(ValueError, match="would set param_groups.*eta_min"):
                ours.step()
            assert [g["lr"] for g in ours_opt.param_groups] == before
            assert other == "cosine", "only the cosine can leave its range here"
            return
        ours.step()
        ours_p.step(m)
        theirs_p.step(m)
        np.testing.assert_allclose([g["lr"] for g in ours_opt.param_groups],
                                   [g["lr"] for g in theirs_opt.param_groups], rtol=1e-10, atol=1e-15,
                                   err_msg=f"epoch {k}")


@pytest.mark.parametrize("change", ["T_max", "eta_min", "both"])
def test_cosine_follows_a_change_of_T_max_or_eta_min_mid_run(torch, change):
    ours_opt, (ours,), theirs_opt, (theirs,) = _both(torch, lambda L, o: [L.CosineAnnealingLR(o, 20, 0.0)])
    lrs = []
    for k in range(40):
        if k == 8:
            for s in (ours, theirs):
                if change in ("T_max", "both"):
                    s.T_max = 30
                if change in ("eta_min", "both"):
                    s.eta_min = 0.005
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-10, err_msg=f"epoch {k}")
        lrs.append(ours.get_last_lr()[0])
    jumps = np.abs(np.diff(lrs))
    assert jumps[7] < 3 * jumps[6] + 1e-12, "the lr jumped when the schedule changed"


SEQUENTIAL = {
    # test_sequentiallr* of PyTorch's test_lrscheduler.py
    "constant then exp": lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.ExponentialLR(o, 0.9)], [3]),
    "exp, step, exp": lambda L, o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.StepLR(o, 2, 0.5),
                                                      L.ExponentialLR(o, 0.8)], [4, 10]),
    "linear then cosine": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.01, total_iters=10),
                                                          L.CosineAnnealingLR(o, 20)], [10]),
    "linear then poly": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, total_iters=3),
                                                        L.PolynomialLR(o, 12, 1.5)], [3]),
    "constant then multistep": lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 5),
                                                               L.MultiStepLR(o, [3, 8], 0.1)], [5]),
}


@pytest.mark.parametrize("case", list(SEQUENTIAL))
def test_sequential_matches_torch(torch, case):
    ours_opt, ours, theirs_opt, theirs = _both(torch, lambda L, o: [SEQUENTIAL[case](L, o)])
    _compare_sequences(ours[0], ours_opt, theirs[0], theirs_opt, steps=40)


def test_sequential_warmup_then_cosine_with_plateau_matches_torch(torch):
    ours_opt, (ours,), theirs_opt, (theirs,) = _both(torch, lambda L, o: [SEQUENTIAL["linear then cosine"](L, o)])
    ours_p = ReduceLROnPlateau(ours_opt, patience=2, factor=0.5)
    theirs_p = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, patience=2, factor=0.5)
    for k, m in enumerate(_plateau_metrics()[:35]):
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
        ours_p.step(m)
        theirs_p.step(m)
        np.testing.assert_allclose([g["lr"] for g in ours_opt.param_groups],
                                   [g["lr"] for g in theirs_opt.param_groups], rtol=1e-10, err_msg=f"epoch {k}")


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=_ids(SCHEDULES))
def test_chainable_form_equals_closed_form_alone(name, kw):
    opt = SGD([Parameter(np.zeros(1))], lr=0.1)
    sched = OUR_SCHED[name](opt, **kw)
    for _ in range(60):
        opt.step()
        sched.step()
        assert sched.get_last_lr()[0] == pytest.approx(sched._get_closed_form_lr()[0], rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("name,kw", SCHEDULES[::2], ids=_ids(SCHEDULES[::2]))
def test_resume_with_last_epoch_matches_torch(torch, name, kw):
    ours_opt, theirs_opt = _pair(torch)
    for o in (ours_opt, theirs_opt):
        for g in o.param_groups:
            g["initial_lr"] = g["lr"]
    ours = OUR_SCHED[name](ours_opt, last_epoch=6, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, last_epoch=6, **kw)
    _compare_sequences(ours, ours_opt, theirs, theirs_opt, steps=30)


def test_plateau_reduces_a_group_added_later(torch):
    ours_opt, theirs_opt = _pair(torch)
    ours = ReduceLROnPlateau(ours_opt, patience=0, factor=0.5, min_lr=0.01)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, patience=0, factor=0.5, min_lr=0.01)
    ours_opt.add_param_group({"params": [Parameter(np.zeros(2))], "lr": 0.2})
    theirs_opt.add_param_group({"params": [torch.zeros(2, requires_grad=True)], "lr": 0.2})
    for m in [1.0, 2.0, 3.0, 4.0, 5.0]:
        ours.step(m)
        theirs.step(m)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())
    assert len(ours.get_last_lr()) == 3 and ours.get_last_lr()[2] < 0.2


@pytest.mark.parametrize("make", [
    lambda o: StepLR(o, 3, 0.5), lambda o: MultiStepLR(o, [2, 5, 5, 9], 0.5), lambda o: ExponentialLR(o, 0.9),
    lambda o: CosineAnnealingLR(o, 7, 0.001), lambda o: LinearLR(o, 0.2, 0.9, 6), lambda o: ConstantLR(o, 0.3, 4),
    lambda o: PolynomialLR(o, 8, 1.5),
    lambda o: ChainedScheduler([ExponentialLR(o, 0.9), ConstantLR(o, 0.5, 3)]),
    lambda o: SequentialLR(o, [LinearLR(o, 0.1, total_iters=3), CosineAnnealingLR(o, 8)], [3]),
], ids=["step", "multistep", "exp", "cosine", "linear", "constant", "poly", "chained", "sequential"])
def test_every_scheduler_resumes_exactly_from_its_state_dict(make):
    def run(resume_at=None):
        opt = SGD([Parameter(np.zeros(1))], lr=0.1)
        sched, lrs = make(opt), []
        for k in range(20):
            if k == resume_at:
                sd, opt_sd = sched.state_dict(), opt.state_dict()
                opt = SGD([Parameter(np.zeros(1))], lr=0.1)
                sched = make(opt)
                opt.load_state_dict(opt_sd)
                sched.load_state_dict(sd)
            opt.step()
            sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs
    assert run() == run(resume_at=7)
