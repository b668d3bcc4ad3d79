"""Property tests: for random hyper-parameters, shapes and gradients, an mlpbook optimizer
takes the same steps as torch.optim, and random compositions of schedulers give torch's lrs."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import mlpbook.optim as optim  # noqa: E402
from mlpbook.layers import Parameter  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
unit = st.floats(0.0, 0.99)
lr = st.floats(1e-4, 0.5)
wd = st.one_of(st.just(0.0), st.floats(0.0, 0.5))


@st.composite
def configs(draw):
    name = draw(st.sampled_from(["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"]))
    kw = dict(lr=draw(lr), weight_decay=draw(wd), maximize=draw(st.booleans()))
    if name == "SGD":
        kw["momentum"] = draw(st.one_of(st.just(0.0), unit))
        kw["nesterov"] = kw["momentum"] > 0 and draw(st.booleans())
        kw["dampening"] = 0.0 if kw["nesterov"] else draw(st.one_of(st.just(0.0), unit))
    elif name == "RMSprop":
        # alpha near 0 with centered=True computes sqrt(g^2 - g^2): cancellation, where the rounding of
        # either library decides the sign (torch gets NaN); not a meaningful difference
        kw.update(alpha=draw(st.floats(0.1, 0.99)), eps=draw(st.floats(1e-8, 1e-3)), momentum=draw(st.one_of(st.just(0.0), unit)),
                  centered=draw(st.booleans()))
    elif name in ("Adam", "AdamW"):
        kw.update(betas=(draw(unit), draw(st.floats(0.5, 0.9999))), eps=draw(st.floats(1e-8, 1e-3)),
                  amsgrad=draw(st.booleans()))
    else:
        kw.update(lr_decay=draw(st.floats(0.0, 0.5)), initial_accumulator_value=draw(st.floats(0.0, 1.0)),
                  eps=draw(st.floats(1e-10, 1e-3)))
    return name, kw


@SETTINGS
@given(cfg=configs(), shape=st.lists(st.integers(1, 4), min_size=0, max_size=3), seed=st.integers(0, 2**32 - 1))
def test_random_hyper_parameters_step_like_torch(torch, cfg, shape, seed):
    name, kw = cfg
    rng = np.random.default_rng(seed)
    x0 = rng.standard_normal(shape)
    p, t = Parameter(x0.copy()), torch.tensor(x0.copy(), requires_grad=True)
    ours, theirs = getattr(optim, name)([p], **kw), getattr(torch.optim, name)([t], **kw)
    for _ in range(15):
        g = rng.standard_normal(shape)
        p.grad[...] = g
        t.grad = torch.tensor(g)
        ours.step()
        theirs.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-7, atol=1e-10)


floats, ints = st.floats, st.integers
SCHEDULERS = {   # name: strategy for the positional arguments after the optimizer
    "StepLR": st.tuples(ints(1, 5), floats(0.1, 1.0)),
    "MultiStepLR": st.tuples(st.lists(ints(0, 20), max_size=4), floats(0.1, 1.0)),
    "ExponentialLR": st.tuples(floats(0.8, 1.0)),
    "CosineAnnealingLR": st.tuples(ints(1, 15), floats(0.0, 1e-3)),
    "LinearLR": st.tuples(floats(0.05, 1.0), floats(0.0, 1.0), ints(1, 10)),
    "ConstantLR": st.tuples(floats(0.05, 1.0), ints(1, 10)),
    "PolynomialLR": st.tuples(ints(1, 15), floats(0.0, 3.0)),
}


@SETTINGS
@given(names=st.lists(st.sampled_from(sorted(SCHEDULERS)), min_size=1, max_size=3), data=st.data())
def test_random_scheduler_stacks_give_torchs_lrs(torch, names, data):
    ours_opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1)
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours, theirs = [], []
    for name in names:
        args = data.draw(SCHEDULERS[name])
        ours.append(getattr(optim, name)(ours_opt, *args))
        theirs.append(getattr(torch.optim.lr_scheduler, name)(theirs_opt, *args))
    for k in range(25):
        ours_opt.step()
        theirs_opt.step()
        for s in ours:
            s.step()
        for s in theirs:
            s.step()
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(theirs_opt.param_groups[0]["lr"], rel=1e-9,
                                                               abs=1e-15), f"epoch {k + 1}"
