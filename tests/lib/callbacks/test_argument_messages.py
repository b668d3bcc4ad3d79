"""CSVLogger refuses a file in a folder that does not exist when it is made, with a
message naming CSVLogger, the path and the fix, not a raw FileNotFoundError at fit."""
import os

import pytest

from mlpbook.callbacks import CSVLogger


def test_csvlogger_refuses_a_missing_folder(tmp_path):
    path = tmp_path / "no_such_folder" / "log.csv"
    with pytest.raises(FileNotFoundError) as err:
        CSVLogger(path)
    message = str(err.value)
    assert "CSVLogger" in message and repr(os.fspath(path)) in message, message
    assert "os.makedirs" in message, f"the message should say how to fix it: {message}"
    assert not path.parent.exists(), "CSVLogger must not create the folder itself"


def test_csvlogger_refuses_a_folder_as_the_file(tmp_path):
    with pytest.raises(IsADirectoryError, match=r"CSVLogger: .* is a folder"):
        CSVLogger(tmp_path)


def test_csvlogger_accepts_a_file_in_an_existing_folder(tmp_path, monkeypatch):
    assert CSVLogger(tmp_path / "log.csv").path == os.fspath(tmp_path / "log.csv")
    monkeypatch.chdir(tmp_path)
    assert CSVLogger("log.csv").path == "log.csv"        # no folder: the current one
