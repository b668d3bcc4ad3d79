"""What the schedules section says about PyTorch's schedulers, held against torch 2.13:
which of torch's schedulers are chainable (scale the current rate, so a cut or a second
scheduler survives) and which set the rate from the base rate; where nested compositions
and ReduceLROnPlateau differ from torch's. If torch changes, these say which sentence of
the text to revise."""
import inspect

import numpy as np
import pytest

from mlpbook import lr_scheduler as ours
from mlpbook.layers import Parameter
from mlpbook.optim import SGD

SEVEN = {   # the schedules of the section, one setting each
    "StepLR": dict(step_size=3, gamma=0.5),
    "MultiStepLR": dict(milestones=[3, 5, 5], gamma=0.5),
    "ExponentialLR": dict(gamma=0.9),
    "CosineAnnealingLR": dict(T_max=10),
    "LinearLR": dict(start_factor=0.25, total_iters=4),
    "ConstantLR": dict(factor=0.5, total_iters=4),
    "PolynomialLR": dict(total_iters=10, power=2.0),
}
FROM_THE_BASE = {   # torch's schedulers that set the rate from the base rate
    "LambdaLR": dict(lr_lambda=lambda e: 0.9 ** e),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "OneCycleLR": dict(max_lr=0.1, total_steps=20),
    "CosineAnnealingWarmRestarts": dict(T_0=10),
}


def _torch_optimizer(torch):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)


def _rates(opt, scheduler, epochs=8, cut_after=None):
    "The rate after each of `epochs` steps; halved after step `cut_after`, if given."
    lrs = []
    for epoch in range(1, epochs + 1):
        opt.step()
        scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
        if epoch == cut_after:
            opt.param_groups[0]["lr"] /= 2
    return np.array(lrs)


def _keeps_a_cut(make_opt, make_scheduler, cut_after=2):
    "Whether every rate after a halving is half the uncut run's (the chainable rule)."
    opt = make_opt()
    whole = _rates(opt, make_scheduler(opt))
    opt = make_opt()
    halved = _rates(opt, make_scheduler(opt), cut_after=cut_after)
    return np.allclose(halved[cut_after:], whole[cut_after:] / 2, rtol=1e-12)


@pytest.mark.parametrize("name", list(SEVEN) + ["MultiplicativeLR"])
def test_torch_steps_the_seven_schedules_and_multiplicative_lr_chainably(torch, name):
    kw = SEVEN.get(name, dict(lr_lambda=lambda e: 0.9))
    L = torch.optim.lr_scheduler
    assert _keeps_a_cut(lambda: _torch_optimizer(torch), lambda o: getattr(L, name)(o, **kw))


@pytest.mark.parametrize("name", list(SEVEN))
def test_the_libraries_seven_schedules_are_chainable(name):
    assert _keeps_a_cut(lambda: SGD([Parameter(np.zeros(1))], lr=0.1),
                        lambda o: getattr(ours, name)(o, **SEVEN[name]))


@pytest.mark.parametrize("name", list(FROM_THE_BASE))
def test_four_torch_schedulers_set_the_rate_from_the_base_rate(torch, name):
    L = torch.optim.lr_scheduler
    make = lambda o: getattr(L, name)(o, **FROM_THE_BASE[name])   # noqa: E731
    assert not _keeps_a_cut(lambda: _torch_optimizer(torch), make)


def test_torch_lambda_lr_overwrites_a_second_schedulers_change(torch):
    L = torch.optim.lr_scheduler
    opt = _torch_optimizer(torch)
    expo, constant = L.ExponentialLR(opt, gamma=0.5), L.LambdaLR(opt, lambda e: 1.0)
    lrs = [opt.param_groups[0]["lr"]]
    for _ in range(3):
        opt.step()
        expo.step()
        constant.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.1], rel=1e-15)


def _nested_first(lib, opt):
    chain = lib.ChainedScheduler([lib.ExponentialLR(opt, gamma=0.9)])
    return lib.SequentialLR(opt, [chain, lib.ExponentialLR(opt, gamma=0.5)],
                            milestones=[5])


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_a_chained_scheduler_placed_first_runs_a_step_ahead_in_torch_not_here(torch):
    opt = _torch_optimizer(torch)
    _nested_first(torch.optim.lr_scheduler, opt)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.09, rel=1e-12)
    mine = SGD([Parameter(np.zeros(1))], lr=0.1)
    scheduler = _nested_first(ours, mine)
    assert mine.param_groups[0]["lr"] == 0.1
    assert list(_rates(mine, scheduler, epochs=2)) == pytest.approx([0.09, 0.081],
                                                                    rel=1e-12)


def test_torch_refuses_a_chained_scheduler_after_a_milestone_this_library_runs_it(torch):
    def build(lib, opt):
        warmup = lib.LinearLR(opt, start_factor=0.5, total_iters=2)
        chain = lib.ChainedScheduler([lib.ExponentialLR(opt, gamma=0.9)])
        return lib.SequentialLR(opt, [warmup, chain], milestones=[2])
    opt = _torch_optimizer(torch)
    scheduler = build(torch.optim.lr_scheduler, opt)
    with pytest.raises(NotImplementedError):
        _rates(opt, scheduler, epochs=3)
    mine = SGD([Parameter(np.zeros(1))], lr=0.1)
    assert list(_rates(mine, build(ours, mine), epochs=4)) == pytest.approx(
        [0.075, 0.1, 0.09, 0.081], rel=1e-12)


def test_reduce_lr_on_plateau_differs_from_torchs_as_its_docstring_says(torch):
    theirs = torch.optim.lr_scheduler
    assert issubclass(theirs.ReduceLROnPlateau, theirs.LRScheduler)
    assert "epoch" in inspect.signature(theirs.ReduceLROnPlateau.step).parameters
    assert not issubclass(ours.ReduceLROnPlateau, ours.LRScheduler)
    assert list(inspect.signature(ours.ReduceLROnPlateau.step).parameters) == [
        "self", "metrics"]
    doc = ours.ReduceLROnPlateau.__doc__
    assert "not a subclass of `LRScheduler`" in doc and "no `epoch` argument" in doc
