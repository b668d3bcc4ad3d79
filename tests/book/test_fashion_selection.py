"""Chapter 6's table of the recipe's selection runs is the JSON the benchmark wrote."""
from pathlib import Path


def test_chapter_renders_the_selection_json_it_claims():
    """Chapter 6's "What we tried" table is rendered from a copy of the JSON that
    benchmarks/fashion_selection.py wrote; the copy must equal the committed file, and no
    test accuracy may appear in it (the test set is touched once, in the chapter)."""
    import json
    root = Path(__file__).parents[2]
    nb = json.loads((root / "nbs" / "06_fashion_mnist.ipynb").read_text())
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    embedded = [s for s in sources if s.startswith('SELECTION = json.loads(r"""')]
    assert len(embedded) == 1
    copy = json.loads(embedded[0].split('r"""', 1)[1].rsplit('"""', 1)[0])
    on_disk = json.loads((root / "benchmarks" / "fashion_selection.json").read_text())
    assert copy == on_disk, "re-copy benchmarks/fashion_selection.json into the chapter"
    assert "test" not in json.dumps(on_disk).lower().replace("fashion_selection", "")
    complete = {row["row"] for row in on_disk["rows"] if len(row["seeds"]) >= 3}
    assert {"recipe", "no batch norm", "lr 1e-3", "no batch norm, lr 1e-3"} <= complete, \
        "the batch-norm x learning-rate design needs 3 seeds per row"
