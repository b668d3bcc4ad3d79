"""Property tests: random compositions of schedulers give torch's learning rates."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

import mlpbook.lr_scheduler as lr_scheduler  # noqa: E402
import mlpbook.optim as optim  # noqa: E402
from mlpbook.layers import Parameter  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

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
        ours.append(getattr(lr_scheduler, name)(ours_opt, *args))
        theirs.append(getattr(torch.optim.lr_scheduler, name)(theirs_opt, *args))
    for k in range(25):
        ours_opt.step()
        theirs_opt.step()
        torch_lrs = []
        for s in theirs:
            s.step()
            torch_lrs.append(theirs_opt.param_groups[0]["lr"])
        if min(torch_lrs) < -1e-13:
            # torch sets a negative learning rate (a cosine applied to a rate that another
            # scheduler moved below its eta_min); ours refuses it, naming the scheduler
            with pytest.raises(ValueError, match="would set param_groups"):
                for s in ours:
                    s.step()
            return
        for s in ours:
            s.step()
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(theirs_opt.param_groups[0]["lr"], rel=1e-9,
                                                               abs=1e-15), f"epoch {k + 1}"
