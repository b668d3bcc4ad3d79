"""Misuse of save, load and load_checkpoint: every case raises the exact exception type
with a message that names the problem."""
import numpy as np
import pytest

from mlpbook.activations import ReLU
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import MSELoss
from mlpbook.optim import SGD
from mlpbook.saving import load, save
from mlpbook.trainer import Trainer


def _model():
    return Sequential(Dense(2, 4, rng=0), ReLU(), Dense(4, 3, rng=1))


def test_model_file_misuse(tmp_path):
    with pytest.raises(TypeError, match=r"save: model must be an mlpbook Module, got dict"):
        save({"W": np.zeros(2)}, tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError, match="nothing-here.npz"):
        load(tmp_path / "nothing-here.npz")
    np.save(tmp_path / "array.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"array.npy: not a readable mlpbook model file"):
        load(tmp_path / "array.npy")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.npz: not a readable mlpbook model file"):
        load(tmp_path / "empty.npz")


@pytest.mark.parametrize("name", ["notes.txt", "objects.npy"])
def test_a_file_numpy_would_unpickle_is_refused_without_advising_to_unpickle_it(tmp_path, name):
    "NumPy's own message suggests allow_pickle=True, which could run code from the file."
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("not a model\n")
    else:
        np.save(path, np.array([{"W": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=rf"{name}: not a readable mlpbook model file "
                                         r"\(not an .npz archive: NumPy would try to unpickle it") as err:
        load(path)
    assert "allow_pickle" not in str(err.value)


def test_model_file_misuse_continued(tmp_path):
    with pytest.raises(TypeError, match=r"rngs\['a'\] is a int, not an np.random.Generator"):
        save(_model(), tmp_path / "m.npz", rngs={"a": 3})
    model = _model()
    save(model, tmp_path / "m.npz")
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"m.npz holds no optimizer state"):
        Trainer(model, MSELoss(), opt).load_checkpoint(tmp_path / "m.npz")
