"""The set-up cell installs the wheel that lies beside the notebook first, and switches to
the reader's own package (`my_mlpbook/`) and back (tools/setup_cell.py).

The cell is executed here with a fake `mlpbook` in sys.modules and a fake `pip` (no
package is installed); the real modules and sys.path are put back after each test.
"""
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import setup_cell  # noqa: E402


@pytest.fixture
def run_cell(monkeypatch, tmp_path):
    "Run the set-up cell in tmp_path/reader (a folder of the bundle); returns (pip calls, namespace)."
    folder = tmp_path / "bundle" / "workbook"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    saved = {k: v for k, v in sys.modules.items() if k.split(".")[0] == "mlpbook"}
    saved_path = list(sys.path)
    calls = []

    def run(installed=None, pip_ok=(), namespace=None):
        for k in [k for k in sys.modules if k.split(".")[0] == "mlpbook"]:
            del sys.modules[k]
        if installed is not None:
            fake = types.ModuleType("mlpbook")
            fake.__version__ = installed
            sys.modules["mlpbook"] = fake
        else:
            sys.modules["mlpbook"] = None          # `import mlpbook` raises ImportError
        monkeypatch.setattr("subprocess.run", lambda cmd, **kw: calls.append(cmd) or types.SimpleNamespace(
            returncode=0 if len(calls) in pip_ok else 1))
        namespace = {} if namespace is None else namespace
        exec(setup_cell.setup_source("1.2.3"), namespace)
        return calls, namespace

    yield run
    for k in [k for k in sys.modules if k.split(".")[0] == "mlpbook"]:
        del sys.modules[k]
    sys.modules.update(saved)
    sys.path[:] = saved_path


def test_the_wheel_beside_the_notebooks_comes_first_without_an_index(run_cell, tmp_path):
    wheel = tmp_path / "bundle" / "mlpbook-1.2.3-py3-none-any.whl"
    wheel.write_bytes(b"")
    calls, _ = run_cell(installed=None, pip_ok=(1,))
    assert len(calls) == 1 and calls[0][-2:] == ["--no-index", str(Path("..") / wheel.name)]


def test_then_the_wheel_with_the_index_then_the_index(run_cell, tmp_path):
    (tmp_path / "bundle" / "mlpbook-1.2.3-py3-none-any.whl").write_bytes(b"")
    calls, _ = run_cell(installed="1.0.0", pip_ok=(3,))
    assert [c[-1] for c in calls] == ["../mlpbook-1.2.3-py3-none-any.whl"] * 2 + ["mlpbook==1.2.3"]
    assert "--no-index" in calls[0] and "--no-index" not in calls[1]


def test_one_message_naming_the_kernels_python_when_nothing_works(run_cell):
    with pytest.raises(RuntimeError) as err:
        run_cell(installed=None, pip_ok=())
    message = str(err.value)
    assert sys.executable in message and "mlpbook 1.2.3" in message and "restart the kernel" in message


def test_a_wheel_of_another_version_is_not_used(run_cell, tmp_path):
    (tmp_path / "bundle" / "mlpbook-1.0.0-py3-none-any.whl").write_bytes(b"")
    calls, _ = run_cell(installed=None, pip_ok=(1,))
    assert calls == [[sys.executable, "-m", "pip", "install", "-q", "mlpbook==1.2.3"]]


def _my_package(folder):
    package = folder / "my_mlpbook" / "mlpbook"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "1.2.3"\n')
    return package.parent.resolve()


def test_use_my_code_puts_the_readers_package_first_and_false_takes_it_off(run_cell, capsys):
    mine = str(_my_package(Path.cwd()))
    calls, ns = run_cell(installed="1.2.3", namespace={"USE_MY_CODE": True})
    assert sys.path[0] == mine and calls == []
    assert "your own code" in capsys.readouterr().out
    assert "mlpbook" not in sys.modules or sys.modules["mlpbook"].__file__.startswith(mine)
    ns["USE_MY_CODE"] = False          # the book's package comes back (here: a fake install)
    run_cell(installed="1.2.3", namespace=ns, pip_ok=range(1, 10))
    assert mine not in sys.path


def test_without_the_switch_the_readers_package_is_ignored(run_cell):
    mine = str(_my_package(Path.cwd()))
    calls, _ = run_cell(installed="1.2.3")
    assert mine not in sys.path and calls == []
