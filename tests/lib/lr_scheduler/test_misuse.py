"""Misuse of the learning-rate schedulers: each case raises the exact exception type (or
warns) with a message that names the problem."""
import math
import warnings

import numpy as np
import pytest

from mlpbook.layers import Parameter
from mlpbook.lr_scheduler import (ChainedScheduler, ConstantLR, CosineAnnealingLR, ExponentialLR,
                                  LinearLR, MultiStepLR, PolynomialLR, ReduceLROnPlateau,
                                  SequentialLR, StepLR)
from mlpbook.optim import SGD


def ps():
    return [Parameter(np.ones(2))]


def opt():
    return SGD(ps(), lr=0.1)


@pytest.mark.parametrize("make,exc,message", [
    (lambda o: StepLR(o, step_size=-1), ValueError, r"StepLR: step_size must be an integer in \[1, inf\), got -1"),
    (lambda o: StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be an integer in \[1, inf\), got 0"),
    (lambda o: StepLR(o, step_size=2.5), TypeError, "StepLR: step_size must be an integer, got float"),
    (lambda o: StepLR(o, 3, gamma=-0.5), ValueError, r"StepLR: gamma must be a finite number in \(0, inf\), got -0.5"),
    (lambda o: ExponentialLR(o, gamma=-1), ValueError, r"ExponentialLR: gamma must be a finite number in \(0, inf\), got -1"),
    (lambda o: ExponentialLR(o, gamma=0), ValueError, r"ExponentialLR: gamma must be a finite number in \(0, inf\), got 0"),
    (lambda o: ExponentialLR(o, gamma=math.nan), ValueError, r"ExponentialLR: gamma must be a finite number in \(0, inf\), got nan"),
    (lambda o: MultiStepLR(o, [3, -1]), ValueError, r"MultiStepLR: milestones\[1\] must be an integer in \[0, inf\), got -1"),
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: T_max must be an integer in \[1, inf\), got 0"),
    (lambda o: CosineAnnealingLR(o, T_max=10, eta_min=-1), ValueError, r"CosineAnnealingLR: eta_min must be a finite number in \[0, inf\), got -1"),
    (lambda o: LinearLR(o, total_iters=0), ValueError, r"LinearLR: total_iters must be an integer in \[1, inf\), got 0"),
    (lambda o: LinearLR(o, start_factor=0), ValueError, r"LinearLR: start_factor must be a finite number in \(0, 1\], got 0"),
    (lambda o: LinearLR(o, end_factor=1.5), ValueError, r"LinearLR: end_factor must be a finite number in \[0, 1\], got 1.5"),
    (lambda o: ConstantLR(o, total_iters=0), ValueError, r"ConstantLR: total_iters must be an integer in \[1, inf\), got 0"),
    (lambda o: ConstantLR(o, factor=0), ValueError, r"ConstantLR: factor must be a finite number in \(0, 1\], got 0"),
    (lambda o: ConstantLR(o, factor=2), ValueError, r"ConstantLR: factor must be a finite number in \(0, 1\], got 2"),
    (lambda o: PolynomialLR(o, total_iters=0), ValueError, r"PolynomialLR: total_iters must be an integer in \[1, inf\), got 0"),
    (lambda o: PolynomialLR(o, power=-1), ValueError, r"PolynomialLR: power must be a finite number in \[0, inf\), got -1"),
    (lambda o: StepLR(o, 3, last_epoch=-2), ValueError, r"StepLR: last_epoch must be an integer in \[-1, inf\), got -2"),
    (lambda o: ReduceLROnPlateau(o, factor=1.5), ValueError, r"ReduceLROnPlateau: factor must be a finite number in \(0, 1\), got 1.5"),
    (lambda o: ReduceLROnPlateau(o, factor=0), ValueError, r"ReduceLROnPlateau: factor must be a finite number in \(0, 1\), got 0"),
    (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, r"ReduceLROnPlateau: patience must be an integer in \[0, inf\), got -1"),
    (lambda o: ReduceLROnPlateau(o, cooldown=1.5), TypeError, "ReduceLROnPlateau: cooldown must be an integer"),
    (lambda o: ReduceLROnPlateau(o, mode="sideways"), ValueError, "ReduceLROnPlateau: mode must be one of 'min', 'max'; got 'sideways'"),
    (lambda o: ReduceLROnPlateau(o, threshold_mode="ratio"), ValueError, "ReduceLROnPlateau: threshold_mode must be one of 'rel', 'abs'; got 'ratio'"),
    (lambda o: ReduceLROnPlateau(o, min_lr=[0.1, 0.2]), ValueError, "ReduceLROnPlateau: expected 1 min_lrs, got 2"),
    (lambda o: ReduceLROnPlateau(o, min_lr=-1), ValueError, r"ReduceLROnPlateau: min_lr must be a finite number in \[0, inf\), got -1"),
    (lambda o: StepLR(object(), 3), TypeError, "StepLR: object is not an Optimizer"),
    (lambda o: SequentialLR(o, [], []), ValueError, "expects at least one scheduler"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], []), ValueError, "one more than the number"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], [0]), ValueError, r"SequentialLR: milestones\[0\] must be an integer in \[1, inf\), got 0"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3), StepLR(o, 4)], [5, 2]), ValueError,
     "milestones must increase"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), ReduceLROnPlateau(o)], [2]), ValueError,
     "does not support `ReduceLROnPlateau`.*index 1"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(opt(), 2)], [2]), ValueError, "same optimizer.*scheduler 1"),
    (lambda o: ChainedScheduler([]), ValueError, "at least one scheduler"),
    (lambda o: ChainedScheduler([StepLR(o, 2), object()]), TypeError, "index 1.*should have `optimizer`"),
])
def test_bad_scheduler_arguments(make, exc, message):
    with pytest.raises(exc, match=message):
        make(opt())


@pytest.mark.parametrize("make", [lambda o: StepLR(o, 3, last_epoch=4), lambda o: CosineAnnealingLR(o, 10, last_epoch=0),
                                  lambda o: LinearLR(o, last_epoch=2)])
def test_resuming_without_initial_lr_is_a_key_error(make):
    o = SGD([{"params": ps()}, {"params": ps(), "lr": 0.5}], lr=0.1)
    with pytest.raises(KeyError, match=r"initial_lr.*param_groups\[0\].*last_epoch"):
        make(o)
    assert [g["lr"] for g in o.param_groups] == [0.1, 0.5], "the refused scheduler changed the lrs"


def test_stepping_the_scheduler_before_the_optimizer_warns():
    o = opt()
    sched = StepLR(o, 2)
    with pytest.warns(UserWarning, match=r"`lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    o2 = opt()
    sched2 = StepLR(o2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o2.step()
        sched2.step()
        sched2.step()


def test_plateau_with_a_list_min_lr_and_a_group_added_later_is_a_runtime_error():
    o = opt()
    sched = ReduceLROnPlateau(o, patience=0, min_lr=[0.01])
    o.add_param_group({"params": ps(), "lr": 0.2})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match=r"param groups in the optimizer \(2\) differs.*\(1\)"):
        sched.step(2.0)


def test_sequential_state_dict_of_another_layout_is_refused():
    o = opt()
    s = SequentialLR(o, [StepLR(o, 2), StepLR(o, 3)], [4])
    sd = s.state_dict()
    o2 = opt()
    s2 = SequentialLR(o2, [StepLR(o2, 2), StepLR(o2, 3), StepLR(o2, 3)], [4, 8])
    with pytest.raises(ValueError, match="holds 2 schedulers, this one has 3"):
        s2.load_state_dict(sd)


def _param(shape=(3,)):
    p = Parameter(np.ones(shape))
    p.grad[...] = 1.0
    return p


def test_scheduler_state_of_another_class_is_refused():
    # before: StepLR's gamma/step_size were merged into a cosine schedule
    opt = SGD([_param()], lr=1.0)
    step = StepLR(opt, 2)
    cosine = CosineAnnealingLR(opt, 10)
    with pytest.raises(ValueError, match="missing keys \\['T_max', 'eta_min'\\]"):
        cosine.load_state_dict(step.state_dict())
    assert not hasattr(cosine, "gamma")
    plateau = ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="another scheduler class"):
        plateau.load_state_dict(step.state_dict())
