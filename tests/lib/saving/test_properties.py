"""Property-based tests of model files: a save -> load round trip is exact for
random architectures and dtypes; random corruptions of a file (truncation, byte flips,
edited metadata) are refused with an error naming the file, and never change a model."""
import json
import os
import tempfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from mlpbook.activations import GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh  # noqa: E402
from mlpbook.layers import Dense, Sequential  # noqa: E402
from mlpbook.normalization import BatchNorm1d  # noqa: E402
from mlpbook.optim import Adam  # noqa: E402
from mlpbook.regularization import Dropout  # noqa: E402
from mlpbook.saving import architecture, load, load_checkpoint, save  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
ACTIVATIONS = [lambda: ReLU(), lambda: Tanh(), lambda: Sigmoid(), lambda: GELU(),
               lambda: LeakyReLU(0.2)]


@st.composite
def models(draw):
    "A random Sequential of Dense, activations, BatchNorm1d and Dropout, random dtype."
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    width = draw(st.integers(1, 6))
    first, layers = width, []
    for _ in range(draw(st.integers(1, 4))):
        out = draw(st.integers(1, 6))
        layers.append(Dense(width, out, bias=draw(st.booleans()), dtype=dtype,
                            rng=draw(st.integers(0, 1000))))
        width = out
        for kind in draw(st.lists(st.sampled_from(["act", "bn", "drop"]), max_size=2)):
            if kind == "act":
                layers.append(draw(st.sampled_from(ACTIVATIONS))())
            elif kind == "bn":
                layers.append(BatchNorm1d(width, momentum=draw(st.floats(0.01, 0.9)),
                                          dtype=dtype))
            else:
                layers.append(Dropout(draw(st.floats(0.0, 0.9)), rng=0))
    if draw(st.booleans()):
        layers.append(Softmax())
    model = Sequential(*layers)
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    for name, p in model.named_parameters():
        p.data[...] = rng.standard_normal(p.data.shape)
    for name, b in model.named_buffers():
        b.data[...] = rng.uniform(0.5, 2.0, b.data.shape)
    return model, first


def _equal_models(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k].dtype == sb[k].dtype, k
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert architecture(a) == architecture(b)


@SETTINGS
@given(models(), st.integers(1, 5))
def test_round_trip_is_exact(spec, batch):
    model, width = spec
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.npz")
        save(model, path)
        loaded = load(path)
    _equal_models(model, loaded)
    assert not loaded.training
    model.eval()
    x = np.random.default_rng(0).standard_normal((batch, width))
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(loaded(x), model(x))


def _saved(model, folder, with_optimizer=False):
    path = os.path.join(folder, "m.npz")
    save(model, path, optimizer=Adam(model.parameters()) if with_optimizer else None)
    return path


def _assert_refused_or_identical(path, original, target):
    """load(path) either raises a clear error naming the file, or gives the original
    model; loading into `target` either raises and leaves it unchanged, or makes it equal
    to the original."""
    before = target.state_dict()
    try:
        loaded = load(path)
    except (ValueError, KeyError) as err:
        assert str(path) in str(err), f"the error does not name the file: {err}"
    else:
        _equal_models(original, loaded)
    try:
        load_checkpoint(path, model=target)
    except (ValueError, KeyError) as err:
        assert str(path) in str(err)
        for k, v in target.state_dict().items():
            np.testing.assert_array_equal(v, before[k], err_msg=f"{k} changed by a refused load")
    else:
        _equal_models(original, target)


@SETTINGS
@given(models(), st.data())
def test_truncated_files_are_refused(spec, data):
    model, _ = spec
    with tempfile.TemporaryDirectory() as folder:
        path = _saved(model, folder)
        raw = open(path, "rb").read()
        cut = data.draw(st.integers(0, len(raw) - 1))
        with open(path, "wb") as f:
            f.write(raw[:cut])
        with pytest.raises(ValueError, match="not a readable mlpbook model file"):
            load(path)
        _assert_refused_or_identical(path, model, _twin(model))


def _twin(model):
    "A model of the same architecture with other weights."
    twin = Sequential(*[type(layer)(**layer.get_config()) for layer in model])
    for p in twin.parameters():
        p.data[...] = 0.5
    return twin


@SETTINGS
@given(models(), st.data())
def test_byte_flips_are_refused_or_harmless(spec, data):
    model, _ = spec
    with tempfile.TemporaryDirectory() as folder:
        path = _saved(model, folder)
        raw = bytearray(open(path, "rb").read())
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(raw) - 1))
            raw[at] ^= data.draw(st.integers(1, 255))
        with open(path, "wb") as f:
            f.write(bytes(raw))
        _assert_refused_or_identical(path, model, _twin(model))


def _leaves(obj, path=()):
    "Every (path, value) inside a JSON object."
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _leaves(v, path + (i,))


def _set(obj, path, value):
    for key in path[:-1]:
        obj = obj[key]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


_DELETE = object()
STRUCTURAL = {"format", "version", "architecture", "class", "layers", "config",
              "in_features", "out_features", "num_features", "optimizer", "param_groups",
              "params", "scalars"}


def _wrong_value(value, draw):
    "A JSON value of another type than `value` (or, for sizes, another size)."
    choices = [None, "x", [1], {"a": 1}, 1.5, True]
    if isinstance(value, int) and not isinstance(value, bool):
        return draw(st.sampled_from([value + 1, value + 1000, 10**7, -1, "3", None]))
    return draw(st.sampled_from([c for c in choices if type(c) is not type(value)]))


@SETTINGS
@given(models(), st.data())
def test_edited_metadata_is_refused(spec, data):
    "Deleting a structural key, or giving it a wrong value, is refused, whatever the key."
    model, _ = spec
    with tempfile.TemporaryDirectory() as folder:
        path = _saved(model, folder, with_optimizer=data.draw(st.booleans()))
        arrays = dict(np.load(path))
        meta = json.loads(arrays["__meta__"].tobytes())
        targets = [(p, v) for p, v in _leaves(meta) if p and p[-1] in STRUCTURAL]
        where, value = data.draw(st.sampled_from(targets))
        if isinstance(where[-1], str) and data.draw(st.booleans()):
            _set(meta, where, _DELETE)
        else:
            _set(meta, where, _wrong_value(value, data.draw))
        arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        np.savez(path, **arrays)
        twin = _twin(model)
        before = twin.state_dict()
        with pytest.raises((ValueError, KeyError)) as info:
            load(path)
            if "optimizer" in json.loads(arrays["__meta__"].tobytes()):
                load_checkpoint(path, model=twin, optimizer=Adam(twin.parameters()))
            else:
                raise ValueError(f"{path}: optimizer section deleted, nothing to check")
        assert str(path) in str(info.value), str(info.value)
        for k, v in twin.state_dict().items():
            np.testing.assert_array_equal(v, before[k])
