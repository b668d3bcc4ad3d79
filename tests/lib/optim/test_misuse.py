"""Misuse of the optimizers and clip_grad_norm_: each case raises the exact exception type
(or warns) with a message that names the problem. Ported in part from the optimizer
error inputs of torch.testing._internal.common_optimizers."""
import math
import warnings

import numpy as np
import pytest

from mlpbook.layers import Parameter
from mlpbook.optim import SGD, Adagrad, Adam, AdamW, RMSprop, clip_grad_norm_


def ps():
    return [Parameter(np.ones(2))]


NONFINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("value", NONFINITE)
@pytest.mark.parametrize("make,label", [
    (lambda v: SGD(ps(), lr=v), "SGD: lr"),
    (lambda v: SGD(ps(), lr=0.1, momentum=v), "SGD: momentum"),
    (lambda v: SGD(ps(), lr=0.1, weight_decay=v), "SGD: weight_decay"),
    (lambda v: Adam(ps(), lr=v), "Adam: lr"),
    (lambda v: Adam(ps(), eps=v), "Adam: eps"),
    (lambda v: Adam(ps(), betas=(v, 0.999)), r"Adam: betas\[0\]"),
    (lambda v: Adam(ps(), betas=(0.9, v)), r"Adam: betas\[1\]"),
    (lambda v: AdamW(ps(), weight_decay=v), "AdamW: weight_decay"),
    (lambda v: RMSprop(ps(), alpha=v), "RMSProp: alpha"),
    (lambda v: RMSprop(ps(), eps=v), "RMSProp: eps"),
    (lambda v: Adagrad(ps(), lr_decay=v), "Adagrad: lr_decay"),
    (lambda v: Adagrad(ps(), initial_accumulator_value=v), "Adagrad: initial_accumulator_value"),
])
def test_nonfinite_hyper_parameters_are_refused_at_construction(make, label, value):
    with pytest.raises(ValueError, match=f"{label} must be a finite number in .*, got {value}"):
        make(value)


def test_a_nonfinite_lr_in_a_param_group_is_refused():
    with pytest.raises(ValueError, match="Adam: lr must be a finite number .*, got nan"):
        Adam([{"params": ps()}, {"params": ps(), "lr": math.nan}])
    opt = SGD(ps(), lr=0.1)
    with pytest.raises(ValueError, match="SGD: lr must be a finite number .*, got inf"):
        opt.add_param_group({"params": ps(), "lr": math.inf})
    assert len(opt.param_groups) == 1, "a refused group must not be half-added"


@pytest.mark.parametrize("make,exc,message", [
    (lambda: SGD(ps(), lr=-1e-2), ValueError, r"SGD: lr must be a finite number in \[0, inf\), got -0.01"),
    (lambda: SGD(ps(), lr=0.1, momentum=-1.0), ValueError, r"SGD: momentum must be a finite number in \[0, inf\), got -1.0"),
    (lambda: SGD(ps(), lr=0.1, weight_decay=-1), ValueError, r"SGD: weight_decay must be a finite number in \[0, inf\), got -1.0"),
    (lambda: SGD(ps(), lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
    (lambda: SGD(ps(), lr="0.1"), TypeError, "SGD: lr must be a real number, got str"),
    (lambda: SGD(ps(), lr=True), TypeError, "SGD: lr must be a real number, got bool"),
    (lambda: Adam(ps(), betas=(1.0, 0.0)), ValueError, r"Adam: betas\[0\] must be a finite number in \[0, 1\), got 1.0"),
    (lambda: Adam(ps(), betas=(0.0, 1.0)), ValueError, r"Adam: betas\[1\] must be a finite number in \[0, 1\), got 1.0"),
    (lambda: Adam(ps(), betas=0.9), ValueError, r"Adam: betas must be a pair \(beta1, beta2\), got 0.9"),
    (lambda: Adam(ps(), weight_decay=-1), ValueError, r"Adam: weight_decay must be a finite number in \[0, inf\), got -1.0"),
    (lambda: Adam(ps(), eps=-1), ValueError, r"Adam: eps must be a finite number in \[0, inf\), got -1.0"),
    (lambda: RMSprop(ps(), lr=1e-2, momentum=-1.0), ValueError, r"RMSProp: momentum must be a finite number in \[0, inf\), got -1.0"),
    (lambda: RMSprop(ps(), alpha=1.5), ValueError, r"RMSProp: alpha must be a finite number in \[0, 1\], got 1.5"),
    (lambda: Adagrad(ps(), lr=1e-2, lr_decay=-0.5), ValueError, r"Adagrad: lr_decay must be a finite number in \[0, inf\), got -0.5"),
    (lambda: Adagrad(ps(), initial_accumulator_value=-1), ValueError, r"Adagrad: initial_accumulator_value must be a finite number in \[0, inf\), got -1.0"),
    (lambda: Adagrad(ps(), eps=-1), ValueError, r"Adagrad: eps must be a finite number in \[0, inf\), got -1.0"),
])
def test_bad_hyper_parameters(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop, Adagrad])
def test_a_single_parameter_instead_of_an_iterable_is_a_type_error(cls):
    with pytest.raises(TypeError, match="iterable of Parameters.*got Parameter.*\\[p\\]"):
        cls(Parameter(np.ones(2)), lr=0.1)


@pytest.mark.parametrize("params,exc,message", [
    (np.ones(3), TypeError, "iterable of Parameters or of dicts, but got ndarray"),
    ({"params": ps()}, TypeError, "but got dict"),
    (3, TypeError, "but got int"),
    ([np.ones(3)], TypeError, "can only optimize Parameters, got ndarray"),
    ([], ValueError, "empty parameter list"),
    ([{"params": ps()}, ps()], TypeError, "a parameter group must be a dict, got list"),
])
def test_bad_params(params, exc, message):
    with pytest.raises(exc, match=message):
        SGD(params, lr=0.1)


def test_the_same_parameter_twice():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


@pytest.mark.parametrize("cls,kw", [(Adam, {}), (AdamW, {}), (RMSprop, {}), (Adagrad, {})])
def test_float16_with_an_eps_that_underflows_warns(cls, kw):
    with pytest.warns(UserWarning, match="eps=1e-.* underflows to 0 in float16"):
        cls([Parameter(np.ones(2, dtype=np.float16))], **kw)


def test_float16_with_a_representable_eps_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Adam([Parameter(np.ones(2, dtype=np.float16))], eps=1e-4)
        Adam([Parameter(np.ones(2, dtype=np.float32))])


def test_load_state_dict_with_a_nonfinite_lr_is_refused_and_changes_nothing():
    opt = SGD(ps(), lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["lr"] = math.nan
    with pytest.raises(ValueError, match=r"SGD\.load_state_dict \(param_groups\[0\]\): lr must "
                                         r"be a finite number .*, got nan"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1


def test_clip_grad_norm_rejects_a_nonfinite_max_norm():
    with pytest.raises(ValueError, match=r"clip_grad_norm_: max_norm must be a finite number in \[0, inf\), got nan"):
        clip_grad_norm_(ps(), math.nan)


# --- the same class of fault in the optimizer plumbing ---------------------------
def _param(shape=(3,)):
    p = Parameter(np.ones(shape))
    p.grad[...] = 1.0
    return p


def test_state_dict_of_another_optimizer_class_is_refused():
    # before: SGD's momentum/dampening/nesterov were merged into Adam's groups and
    # the next step() raised KeyError: 'step'
    p = _param()
    sgd = SGD([p], lr=0.1, momentum=0.9)
    sgd.step()
    adam = Adam([p], lr=0.1)
    with pytest.raises(ValueError, match="saved from another optimizer class"):
        adam.load_state_dict(sgd.state_dict())
    assert "momentum" not in adam.param_groups[0] and not adam.state


def test_bad_optimizer_state_values_are_refused_before_any_change():
    p = _param()
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    good = opt.state_dict()
    for value, exc, match in [(np.array(["a", "b", "c"]), TypeError, "not real numbers"),
                              (np.full(3, np.nan), ValueError, "contains NaN or inf")]:
        sd = opt.state_dict()
        sd["state"][0]["momentum_buffer"] = value
        with pytest.raises(exc, match=match):   # before: raw error / NaN loaded
            opt.load_state_dict(sd)
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"],
                                  good["state"][0]["momentum_buffer"])
    sd = Adam([p]).state_dict()
    adam = Adam([p])
    adam.step()
    sd = adam.state_dict()
    sd["state"][0]["step"] = "3"
    with pytest.raises(TypeError, match="'step' of parameter 0 must be an integer"):
        adam.load_state_dict(sd)
    sd["state"] = {5: sd["state"][0]}
    with pytest.raises(ValueError, match="state for parameter 5"):
        adam.load_state_dict(sd)                # before: IndexError


def test_amsgrad_switched_on_by_a_state_dict():
    # before: TypeError inside adam_update (max_exp_avg_sq was None)
    p = _param()
    adam = Adam([p])
    adam.step()
    sd = adam.state_dict()
    sd["param_groups"][0]["amsgrad"] = True
    adam.load_state_dict(sd)
    adam.step()
    assert np.isfinite(p.data).all() and "max_exp_avg_sq" in adam.state[p]


def test_step_checks_every_grad_shape_before_updating():
    # before: the first parameter was updated, then a broadcast error on the second
    p, q = _param(), _param()
    q.grad = np.ones(4)
    opt = Adam([p, q])
    with pytest.raises(ValueError, match=r"Adam\.step: expected parameter 1\'s grad of shape \(3,\), got \(4,\); nothing was updated"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))
    assert not opt.state


def test_param_group_without_params():
    with pytest.raises(KeyError, match="needs the key 'params'"):
        SGD([{"lr": 0.1}], lr=0.1)


@pytest.mark.parametrize("norm_type", [0, -1.0, float("nan")])
def test_clip_grad_norm_type(norm_type):
    # before: 0 gave ZeroDivisionError, NaN returned nan and scaled nothing
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        clip_grad_norm_([_param()], 1.0, norm_type=norm_type)


def test_clip_grad_norm_with_infinite_max_norm_only_measures():
    # torch's idiom clip_grad_norm_(params, inf) returns the norm and clips nothing;
    # before: "Invalid max_norm: inf"
    p = _param()
    assert clip_grad_norm_([p], math.inf) == pytest.approx(math.sqrt(3))
    np.testing.assert_array_equal(p.grad, np.ones(3))


@pytest.mark.parametrize("make", [lambda ps: Adam(ps, amsgrad="False"),
                                  lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=1),
                                  lambda ps: RMSprop(ps, centered="yes"),
                                  lambda ps: AdamW(ps, maximize=None)])
def test_switches_must_be_bools(make):
    # before: amsgrad="False" (a string from a config file) silently turned AMSGrad on
    with pytest.raises(TypeError, match="must be True or False"):
        make(ps())


def test_switch_in_a_param_group_or_state_dict_must_be_bool():
    opt = Adam(ps())
    with pytest.raises(TypeError, match="amsgrad must be True or False"):
        opt.add_param_group({"params": ps(), "amsgrad": "no"})
    sd = opt.state_dict()
    sd["param_groups"][0]["maximize"] = "False"
    with pytest.raises(TypeError, match="maximize must be True or False"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["maximize"] is False
