import math
import tracemalloc

import numpy as np
import pytest

from mlpbook.layers import Dense, Parameter, Sequential
from mlpbook.optim import (SGD, Adam, AdamW, CosineAnnealingLR, ExponentialLR, LinearLR, MultiStepLR,
                           ReduceLROnPlateau, RMSProp, SequentialLR, StepLR, clip_grad_norm_)

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
]
OURS = {"SGD": SGD, "RMSProp": RMSProp, "Adam": Adam, "AdamW": AdamW}
TORCH_NAME = {"SGD": "SGD", "RMSProp": "RMSprop", "Adam": "Adam", "AdamW": "AdamW"}


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


@pytest.mark.parametrize("cls", [SGD, RMSProp, Adam, AdamW])
def test_float32_preserved_and_no_allocation_per_step(cls):
    model = Sequential(Dense(256, 128, rng=0), Dense(128, 10, rng=1))
    opt = cls(model.parameters(), lr=1e-3, weight_decay=1e-2, **({"momentum": 0.9} if cls in (SGD, RMSProp) else {}))
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
    (lambda ps: SGD(ps, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "Invalid momentum value"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "Invalid weight_decay value"),
    (lambda ps: Adam(ps, lr=-1), "Invalid learning rate"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    (lambda ps: AdamW(ps, betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
    (lambda ps: Adam(ps, eps=-1e-8), "Invalid epsilon value"),
    (lambda ps: RMSProp(ps, alpha=-0.9), "Invalid alpha value"),
    (lambda ps: RMSProp(ps, lr=-0.01), "Invalid learning rate"),
])
def test_bad_arguments_raise_like_torch(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(np.ones(2))])


def test_defaults_match_torch(torch):
    t = [torch.zeros(1, requires_grad=True)]
    p = [Parameter(np.zeros(1))]
    for ours, theirs in [(SGD(p), torch.optim.SGD(t)), (RMSProp(p), torch.optim.RMSprop(t)),
                         (Adam(p), torch.optim.Adam(t)), (AdamW(p), torch.optim.AdamW(t))]:
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


# --- schedules -----------------------------------------------------------------
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
]
OUR_SCHED = {"StepLR": StepLR, "MultiStepLR": MultiStepLR, "ExponentialLR": ExponentialLR,
             "CosineAnnealingLR": CosineAnnealingLR, "LinearLR": LinearLR}


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
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode sideways is unknown"):
        ReduceLROnPlateau(opt, mode="sideways")
    with pytest.raises(ValueError, match="threshold mode"):
        ReduceLROnPlateau(opt, threshold_mode="ratio")
    with pytest.raises(ValueError, match="expected 1 min_lrs"):
        ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
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
