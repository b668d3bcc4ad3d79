"""Every stub of the workbook edition says what to write in whole sentences.

The message of a stub's NotImplementedError is made from the function's docstring by
tools/make_workbook.py: its first paragraph and, when that names no shape, the first
later sentence that does. A message cut mid-sentence ("... Pass it to the") tells the
learner less than nothing, so every message must end as a sentence ends, with its
brackets and backquotes closed.
"""
import ast
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import make_workbook as mw  # noqa: E402

NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb"))


def _messages(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for name in mw.tags_of(cell):
            yield name, mw.summary(mw.find_function(mw.source(cell), name), name)


def _closed(text):
    "Brackets balanced and backquotes paired."
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0 and text.count("`") % 2 == 0


def _fn(doc):
    return ast.parse(f"def f(x):\n    {doc!r}\n    return x\n").body[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_stub_message_is_whole_sentences(path):
    for name, message in _messages(path):
        assert message.startswith(f"Implement {name}"), message
        assert mw.is_whole(message), f"{path.name}: the message of {name} is cut: {message!r}"
        assert _closed(message), f"{path.name}: the message of {name} leaves a bracket open: {message!r}"


def test_a_shape_is_taken_as_a_whole_sentence_not_a_line():
    doc = ("Backpropagate through the layers in reverse order.\n\n"
           "grad_out: dL/d(output), shaped like the last layer's output. Pass it to the\n"
           "last layer's backward, its result to the layer before, and so on.")
    message = mw.summary(_fn(doc), "Sequential.backward")
    assert message.endswith("shaped like the last layer's output."), message
    assert "Pass it to the" not in message


def test_a_sentence_running_over_lines_is_kept_whole():
    doc = ("Central-difference gradient of `f()` with respect to `x`.\n\n"
           "`x` is perturbed in place and restored; `f` must read\n"
           "it. Returns a float64 array of `x`'s shape whose entry i is\n"
           "(f(x + eps e_i) - f(x - eps e_i)) / (2 eps).")
    message = mw.summary(_fn(doc), "numerical_grad")
    assert "it. Returns" not in message and message.endswith("/ (2 eps).") and _closed(message)


def test_a_paragraph_leading_into_a_list_ends_as_a_sentence():
    doc = "One update on the batch `self.xb` (N inputs):\n\n1. forward;\n2. backward."
    message = mw.summary(_fn(doc), "Trainer.train_step")
    assert mw.is_whole(message) and "(N inputs)" in message


def test_abbreviations_do_not_end_a_sentence():
    assert mw.sentences("A list, e.g. `[1, 2]`, of values. Then more.") == [
        "A list, e.g. `[1, 2]`, of values.", "Then more."]
