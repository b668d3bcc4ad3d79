"""Compare an mlpbook signature with PyTorch's: the tests of the API promise (torch's
names, positions and defaults) in tests/lib/*/test_torch_api.py share these checks."""
import inspect

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def check_positions(ours, theirs, renamed=(), aliases=None):
    """Every argument we accept by position has torch's name at the same position, and
    every name we share with torch has its default; arguments torch has and we lack are
    listed by the caller as `renamed`/absent on purpose."""
    mine = [p for p in inspect.signature(ours).parameters.values() if p.name != "self"]
    torch_params = [p for p in inspect.signature(theirs).parameters.values()
                    if p.name != "self"]
    torch_positional = [p.name for p in torch_params if p.kind in POSITIONAL]
    my_positional = [(aliases or {}).get(p.name, p.name) for p in mine if p.kind in POSITIONAL]
    assert my_positional == torch_positional[:len(my_positional)], (
        f"{ours.__qualname__}: positional arguments {my_positional} are not a prefix of "
        f"torch's {torch_positional}")
    torch_by_name = {p.name: p for p in torch_params}
    for p in mine:
        if p.name in torch_by_name and p.name not in renamed:
            assert p.default == torch_by_name[p.name].default or p.name in (
                "shuffle", "generator"), (   # None: a fresh np.random.Generator
                f"{ours.__qualname__}({p.name}=...) default {p.default!r} differs from "
                f"torch's {torch_by_name[p.name].default!r}")
    return {p.name for p in mine}


# Documented differences of default (each docstring says so).
DEFAULTS_DIFFER = {
    ("Dense", "dtype"): "float32 by default, for speed",
    ("GELU", "approximate"): "only the tanh approximation is implemented",
    ("Softmax", "dim"): "torch's None guesses the axis and warns; ours is -1",
}


def resolve(torch, dotted):
    obj = torch
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _params(fn):
    if fn is object.__init__:            # no constructor arguments at all
        return []
    return [p for p in inspect.signature(fn).parameters.values() if p.name != "self"]


def check_signature(ours_name, ours_fn, theirs_fn):
    ours, theirs = _params(ours_fn), _params(theirs_fn)
    theirs_by_name = {p.name: p for p in theirs}
    positional = [p for p in theirs if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for i, p in enumerate(ours):
        if p.kind == p.VAR_POSITIONAL:
            assert any(q.kind == q.VAR_POSITIONAL for q in theirs), (ours_name, p.name)
            continue
        if p.kind == p.POSITIONAL_OR_KEYWORD:
            assert i < len(positional) and positional[i].name == p.name, (
                f"{ours_name}: positional argument {i} is {p.name!r} here but "
                f"{positional[i].name if i < len(positional) else 'absent'!r} in torch; "
                "make it keyword-only")
        elif p.kind == p.KEYWORD_ONLY and p.name not in theirs_by_name:
            continue                     # an mlpbook-only keyword (init=, rng=, axis=)
        assert p.name in theirs_by_name, f"{ours_name}: {p.name!r} is not torch's name"
        their_default = theirs_by_name[p.name].default
        if (ours_name, p.name) not in DEFAULTS_DIFFER and p.default is not p.empty:
            assert p.default == their_default, (
                f"{ours_name}({p.name}=...): default {p.default!r} here, "
                f"{their_default!r} in torch")
