"""Misuse of mlpbook.performance: each bad argument raises the exact exception type with
a message that names the function, the argument and what was expected, before anything
is changed; requests that cannot help (more threads than cores) are capped, as
documented."""
import copy
import gc
import pickle
import threading

import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.layers import Dense, Parameter, Sequential
from mlpbook.optim import SGD, Adam
from mlpbook.performance import (Arena, FlatStepper, flatten_parameters, gemm_flops,
                                 mlp_gemm_operands, mlp_gemm_shapes, paired_ratio,
                                 paired_timings, retain_freed_memory, time_gemms,
                                 use_flat_step)


def mlp():
    return Sequential(Dense(20, 16, rng=1), ReLU(), Dense(16, 3, rng=2))


def noop():
    return None


@pytest.mark.parametrize("call,exc,match", [
    (lambda: paired_timings([noop]), TypeError, "paired_timings: funcs must be a dict"),
    (lambda: paired_timings({}), ValueError, "paired_timings: funcs is empty"),
    (lambda: paired_timings({"a": 3}), TypeError, r"paired_timings: funcs\['a'\] must be a callable"),
    (lambda: paired_timings({"a": noop}, repeats=0), ValueError, "paired_timings: repeats must be an integer in"),
    (lambda: paired_timings({"a": noop}, repeats=2.5), TypeError, "paired_timings: repeats must be an integer"),
    (lambda: paired_timings({"a": noop}, warmup=-1), ValueError, "paired_timings: warmup must be an integer in"),
    (lambda: paired_timings({"a": noop}, pause=-1), ValueError, "paired_timings: pause must be a finite number"),
    (lambda: paired_timings({"a": noop}, pause=float("nan")), ValueError, "paired_timings: pause must be a finite number"),
    (lambda: paired_timings({"a": noop}, pause="0.1"), TypeError, "paired_timings: pause must be a real number"),
])
def test_paired_timings_refuses_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_paired_timings_calls_nothing_before_its_arguments_are_checked():
    calls = []
    with pytest.raises(ValueError):
        paired_timings({"a": lambda: calls.append(1)}, repeats=0)
    assert calls == []


@pytest.mark.parametrize("times,a,b,exc,match", [
    ({"a": [1.0]}, "a", "b", KeyError, "paired_ratio: no timings named 'b'"),
    ({"a": [1.0, 2.0], "b": [1.0]}, "a", "b", ValueError, "must hold the same rounds"),
    ({"a": [], "b": []}, "a", "b", ValueError, "must hold the same rounds"),
    ({"a": [1.0], "b": [0.0]}, "a", "b", ValueError, "positive and finite"),
    ({"a": ["x"], "b": [1.0]}, "a", "b", TypeError, r"paired_ratio: times\['a'\] must hold real numbers"),
])
def test_paired_ratio_refuses_timings_that_do_not_pair(times, a, b, exc, match):
    with pytest.raises(exc, match=match):
        paired_ratio(times, a, b)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: mlp_gemm_shapes((8, 4, 2), 2.5), TypeError, "mlp_gemm_shapes: batch must be an integer"),
    (lambda: mlp_gemm_shapes((8, 4, 2), 0), ValueError, "mlp_gemm_shapes: batch must be an integer in"),
    (lambda: mlp_gemm_shapes((8,), 4), ValueError, "mlp_gemm_shapes: sizes needs at least two widths"),
    (lambda: mlp_gemm_shapes((8, 0), 4), ValueError, r"mlp_gemm_shapes: sizes\[1\] must be an integer in"),
    (lambda: mlp_gemm_shapes("842", 4), TypeError, "mlp_gemm_shapes: sizes must be a sequence of layer widths"),
    (lambda: mlp_gemm_shapes((8, 4.0), 4), TypeError, r"sizes\[1\] must be an integer"),
    (lambda: gemm_flops([(1, 2)]), ValueError, r"gemm_flops: shapes\[0\] must be \(m, k, n\)"),
    (lambda: gemm_flops([(1, 2, -3)]), ValueError, r"gemm_flops: shapes\[0\] must be an integer in"),
    (lambda: time_gemms((8, 4, 2), 0, repeats=3), ValueError, "mlp_gemm_operands: batch must be an integer in"),
    (lambda: time_gemms((8, 4, 2), -3, repeats=3), ValueError, "mlp_gemm_operands: batch"),
    (lambda: time_gemms((8,), 4, repeats=3), ValueError, "sizes needs at least two widths"),
    (lambda: time_gemms("842", 4, repeats=3), TypeError, "sizes must be a sequence"),
    (lambda: time_gemms((8, 4, 2), 4, dtype=np.int32), TypeError, "mlp_gemm_operands: dtype must be a floating-point dtype"),
    (lambda: time_gemms((8, 4, 2), 4, repeats=0), ValueError, "paired_timings: repeats"),
    (lambda: time_gemms((8, 4, 2), 4, rng=-1), ValueError, "mlp_gemm_operands: rng must be a seed >= 0"),
    (lambda: mlp_gemm_operands((8, 4, 2), 4, rng="0"), TypeError, "mlp_gemm_operands: rng must be"),
])
def test_cost_model_helpers_refuse_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("make,exc,match", [
    (lambda: Parameter(np.ones(3, np.float32)), TypeError,
     "expected a Module or an iterable of Parameters, got Parameter; for one Parameter p pass \\[p\\]"),
    (lambda: 3, TypeError, "expected a Module or an iterable of Parameters, got int"),
    (lambda: np.ones(3), TypeError, "expected a Module or an iterable of Parameters, got ndarray"),
    (lambda: [Parameter(np.ones(2)), np.ones(3)], TypeError, "expected Parameters, got ndarray at position 1"),
])
def test_flatten_parameters_refuses_what_is_not_parameters(make, exc, match):
    with pytest.raises(exc, match=f"flatten_parameters: {match}"):
        flatten_parameters(make())


def test_flatten_parameters_refuses_a_parameter_listed_twice_and_changes_nothing():
    p = Parameter(np.arange(3, dtype=np.float32))
    data = p.data
    with pytest.raises(ValueError, match="flatten_parameters: a Parameter appears more than once"):
        flatten_parameters([p, p])
    assert p.data is data, "the parameter was moved before the error"


def test_flatten_parameters_refuses_a_grad_unlike_its_data_before_moving_any():
    good, bad = Parameter(np.ones(3, np.float32)), Parameter(np.ones(3, np.float32))
    bad.grad = np.ones(4, np.float32)
    data = good.data
    with pytest.raises(ValueError, match=r"flatten_parameters: parameter 1 has data \(3,\) float32 but grad \(4,\)"):
        flatten_parameters([good, bad])
    assert good.data is data, "an earlier parameter was moved before the error"


def test_arena_refuses_nothing_and_mixed_dtypes():
    with pytest.raises(ValueError, match="Arena: parameters of one dtype needed, got \\[\\]"):
        Arena([])
    with pytest.raises(TypeError, match="Arena: expected Parameters, got ndarray"):
        Arena([np.ones(3)])
    with pytest.raises(ValueError, match="Arena: parameters of one dtype needed"):
        Arena([Parameter(np.ones(2)), Parameter(np.ones(2, np.float32))])


def test_flatten_parameters_of_a_module_without_parameters_is_empty():
    assert flatten_parameters(Sequential(ReLU())) == []


@pytest.mark.parametrize("threads,exc,match", [
    (0, ValueError, "threads must be an integer in"),
    (-2, ValueError, "threads must be an integer in"),
    (2.7, TypeError, "threads must be an integer, got float"),
    ("2", TypeError, "threads must be an integer, got str"),
    (True, TypeError, "threads must be an integer, got bool"),
])
def test_use_flat_step_refuses_bad_thread_counts(threads, exc, match):
    opt = SGD(mlp().parameters(), lr=0.1)
    with pytest.raises(exc, match=f"FlatStepper: {match}"):
        use_flat_step(opt, threads=threads)
    assert opt.group_stepper is None, "the optimizer was changed before the error"


def test_use_flat_step_refuses_what_is_not_an_mlpbook_optimizer():
    with pytest.raises(TypeError, match="use_flat_step: expected an mlpbook optimizer .* got object"):
        use_flat_step(object())


def test_more_threads_than_cores_are_capped_and_end_with_the_optimizer(monkeypatch):
    import mlpbook.performance as perf
    monkeypatch.setattr(perf.os, "cpu_count", lambda: 2)
    before = set(threading.enumerate())
    model = mlp()
    flatten_parameters(model)
    opt = use_flat_step(Adam(model.parameters()), threads=1000)
    assert opt.group_stepper.threads == 2
    assert use_flat_step(Adam(model.parameters()), threads=None).group_stepper.threads == 2
    for _ in range(3):
        for p in model.parameters():
            p.grad[...] = 1
        opt.step()
    workers = [t for t in threading.enumerate()
               if t not in before and t.name.startswith("mlpbook-flat")]
    assert len(workers) == 1, f"{len(workers)} worker threads for 2 threads in all"
    del opt
    gc.collect()
    for worker in workers:                     # woken by the collection, it ends
        worker.join(timeout=5)
    assert not any(w.is_alive() for w in workers), "the stepper's worker outlived it"


def test_the_deep_copy_of_the_issue_moves_the_copy_only():
    "copy.deepcopy((model, use_flat_step(opt))), then step the copy: the copy moves."
    m = mlp()
    flatten_parameters(m)
    m2, o2 = copy.deepcopy((m, use_flat_step(SGD(m.parameters(), lr=0.1))))
    before = [p.data.copy() for p in m.parameters()]
    for p in m2.parameters():
        p.grad[...] = 1
    o2.step()
    assert all(np.array_equal(p.data, b) for p, b in zip(m.parameters(), before))
    assert all(np.array_equal(p.data, b - 0.1) for p, b in zip(m2.parameters(), before))


def test_a_pickled_stepper_starts_afresh_with_its_thread_count():
    m = mlp()
    flatten_parameters(m)
    opt = use_flat_step(Adam(m.parameters()), threads=2)
    for p in m.parameters():
        p.grad[...] = 1
    opt.step()
    stepper = pickle.loads(pickle.dumps(opt.group_stepper))
    assert isinstance(stepper, FlatStepper) and not stepper.plans
    assert stepper.threads == opt.group_stepper.threads


@pytest.mark.parametrize("threshold,exc,match", [
    (-1, ValueError, "must be an integer in"),
    (0, ValueError, "must be an integer in"),
    (2**40, ValueError, "must be an integer in"),
    (32 * 2**20 + 1, ValueError, "must be an integer in"),
    ("1", TypeError, "must be an integer, got str"),
    (1e6, TypeError, "must be an integer, got float"),
])
def test_retain_freed_memory_refuses_thresholds_glibc_would_misuse(threshold, exc, match, monkeypatch):
    import ctypes

    def must_not_be_called(*args, **kwargs):
        raise AssertionError("mallopt was reached with a bad threshold")
    monkeypatch.setattr(ctypes, "CDLL", must_not_be_called)
    with pytest.raises(exc, match=f"retain_freed_memory: threshold {match}"):
        retain_freed_memory(threshold)
