"""The library's shape rules (CONTRIBUTING.md, "Guards out of the algorithm" and "Each
module holds what its chapter derives"): the bodies of forward, backward and the update
functions hold the mathematics and validate through `mlpbook.checks`; the trainer holds
no file format; `optim` holds no schedule and knows nothing of Chapter 8."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "mlpbook"

# (module, class or None, function names): bodies that must hold no `raise`
MATH = [
    ("layers", "Dense", ("forward", "backward")),
    ("layers", "Sequential", ("forward", "backward")),
    ("activations", "ReLU", ("forward", "backward")),
    ("activations", "Sigmoid", ("forward", "backward")),
    ("activations", "Tanh", ("forward", "backward")),
    ("activations", "Softmax", ("forward", "backward")),
    ("losses", "MSELoss", ("forward", "backward")),
    ("losses", "SoftmaxCrossEntropy", ("forward", "backward")),
    ("optim", None, ("sgd_update", "adam_update")),
]


def _tree(module):
    return ast.parse((PKG / f"{module}.py").read_text(encoding="utf-8"))


def _functions(module, cls):
    tree = _tree(module)
    if cls is None:
        return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    owner = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
    assert owner, f"mlpbook.{module} has no class {cls}"
    return {n.name: n for n in owner[0].body if isinstance(n, ast.FunctionDef)}


def _raises(fn):
    "The `raise` statements of fn's own body (not of functions defined inside it)."
    found, todo = [], list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Raise):
            found.append(node.lineno)
        todo.extend(ast.iter_child_nodes(node))
    return sorted(found)


@pytest.mark.parametrize("module,cls,names", MATH, ids=lambda v: str(v))
def test_the_mathematics_holds_no_raise(module, cls, names):
    functions = _functions(module, cls)
    assert any(name in functions for name in names), f"{cls or module} defines none of {names}"
    for name in names:
        if name not in functions:   # inherited: the base class's body is checked itself
            continue
        lines = _raises(functions[name])
        where = f"mlpbook/{module}.py {cls + '.' if cls else ''}{name}"
        assert not lines, (f"{where} raises at lines {lines}: move the check into a "
                           "helper of mlpbook.checks (or the class's own validation helper)")


def test_the_raise_finder_sees_a_raise():
    fn = ast.parse("def f(x):\n    if x:\n        raise ValueError\n"
                   "    def g():\n        raise TypeError\n").body[0]
    assert _raises(fn) == [3]


def test_trainer_is_short_and_holds_no_file_format():
    text = (PKG / "trainer.py").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 500, "trainer.py grew past 500 lines"
    for word in ("np.savez", "np.load(", "zipfile", "json.dumps"):
        assert word not in text, f"trainer.py holds file-format code ({word}): it is saving.py's"


def test_optim_holds_no_schedule_and_no_fast_path():
    tree = _tree("optim")
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    schedules = [c for c in classes if "LR" in c or c.endswith("Scheduler")]
    assert not schedules, f"optim.py defines schedules {schedules}: they live in lr_scheduler.py"
    text = (PKG / "optim.py").read_text(encoding="utf-8")
    for word in ("_arena", "performance", "FlatStepper"):
        assert word not in text, f"optim.py knows Chapter 8's fast path ({word})"


def test_later_chapters_do_not_reach_into_the_optimizer():
    text = (PKG / "performance.py").read_text(encoding="utf-8")
    for private in ("._update", "._scratch", "._flat_plans", "._opt_called", ".step =",
                    ".zero_grad ="):
        assert private not in text, f"performance.py uses the Optimizer's {private!r}"
