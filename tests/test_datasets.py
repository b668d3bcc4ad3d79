import functools
import gzip
import hashlib
import http.server
import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from mlpbook import datasets
from mlpbook.datasets import (DEBIAN_FASHION_MNIST, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, candidate_dirs,
                              download_file, load_fashion_mnist, parse_idx, read_idx_gz)


def idx_bytes(array):
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_fake_set(folder, n_train=12, n_test=5, seed=0):
    "Four small, valid Fashion-MNIST-shaped files; returns their content checksums."
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    contents = {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_train) % 10),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(np.arange(n_test) % 10),
    }
    for name, data in contents.items():
        (folder / name).write_bytes(gzip.compress(data))
    return {name: hashlib.sha256(data).hexdigest() for name, data in contents.items()}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    "No MLPBOOK_DATA, an empty user cache, and no Debian folder: only what the test provides."
    monkeypatch.delenv("MLPBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "DEBIAN_FASHION_MNIST", str(tmp_path / "no-debian"))
    return tmp_path


# --- IDX parsing ------------------------------------------------------------------
def test_parse_small_idx_made_here():
    images = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(images)), images)
    np.testing.assert_array_equal(parse_idx(idx_bytes([7, 8, 9])), [7, 8, 9])
    assert parse_idx(idx_bytes(images)).dtype == np.uint8


@pytest.mark.parametrize("data,message", [
    (b"\x00\x00", "too short"),
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "not an IDX file"),
    (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00", "type code 0x0d"),
    (b"\x00\x00\x08\x03" + struct.pack(">I", 5), "ends before their sizes"),
    (idx_bytes(np.zeros((3, 4)))[:-1], r"shape \(3, 4\).*truncated"),
    (idx_bytes(np.zeros((3, 4))) + b"\x00", "has 25 bytes"),
])
def test_parse_errors(data, message):
    with pytest.raises(ValueError, match=message):
        parse_idx(data, "test.idx")


def test_corrupted_gzip_and_wrong_checksum(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((2, 2))))
    (tmp_path / "truncated.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="truncated.gz: cannot decompress"):
        read_idx_gz(tmp_path / "truncated.gz")
    (tmp_path / "ok.gz").write_bytes(good)
    with pytest.raises(ValueError, match="SHA-256 of the content is .* expected 00"):
        read_idx_gz(tmp_path / "ok.gz", sha256="00" * 32)


# --- finding and loading -----------------------------------------------------------
def test_search_order(isolated, monkeypatch):
    monkeypatch.setenv("MLPBOOK_DATA", str(isolated / "env"))
    dirs = candidate_dirs(isolated / "root")
    assert dirs == [isolated / "root", isolated / "env", isolated / "cache" / "mlpbook" / "fashion-mnist",
                    isolated / "no-debian"]


def test_loads_from_root_then_env(isolated, monkeypatch):
    sums_env = write_fake_set(isolated / "env", n_train=7, seed=1)
    monkeypatch.setenv("MLPBOOK_DATA", str(isolated / "env"))
    (Xtr, ytr), (Xte, yte), names = load_fashion_mnist(checksums=sums_env, download=False)
    assert Xtr.shape == (7, 28, 28) and Xtr.dtype == np.uint8 and names == FASHION_MNIST_CLASSES
    sums_root = write_fake_set(isolated / "root", n_train=9, seed=2)
    (Xtr, _), _, _ = load_fashion_mnist(root=isolated / "root", checksums=sums_root, download=False)
    assert len(Xtr) == 9                                        # root wins over the environment


def test_absent_and_offline_gives_one_clear_error(isolated):
    with pytest.raises(FileNotFoundError) as err:
        load_fashion_mnist(download=False)
    msg = str(err.value)
    for hint in ("root=", "MLPBOOK_DATA", "cache", "apt-get install dataset-fashion-mnist"):
        assert hint in msg
    with pytest.raises(FileNotFoundError, match="download from http://127.0.0.1:9/ failed"):
        load_fashion_mnist(base_url="http://127.0.0.1:9/", timeout=2, progress=False)


def test_corrupted_file_in_folder_is_a_clear_error(isolated):
    sums = write_fake_set(isolated / "root")
    path = isolated / "root" / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(12) % 10)[:-3]))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: SHA-256"):
        load_fashion_mnist(root=isolated / "root", checksums=sums, download=False)
    with pytest.raises(ValueError, match="truncated or corrupted"):
        load_fashion_mnist(root=isolated / "root", checksums=None, download=False)


class _Server:
    "A static file server for `folder` on 127.0.0.1, counting requests."

    def __init__(self, folder):
        requests = self.requests = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                requests.append(self.path)
                super().do_GET()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_download_from_local_server_into_cache(isolated):
    sums = write_fake_set(isolated / "served")
    server = _Server(isolated / "served")
    try:
        (Xtr, ytr), (Xte, yte), _ = load_fashion_mnist(base_url=server.url, checksums=sums, progress=False)
        cache = isolated / "cache" / "mlpbook" / "fashion-mnist"
        assert sorted(os.listdir(cache)) == sorted(FASHION_MNIST_FILES.values())    # no temporary files left
        assert len(server.requests) == 4 and Xtr.shape == (12, 28, 28)
        load_fashion_mnist(base_url=server.url, checksums=sums, progress=False)
        assert len(server.requests) == 4                                             # offline first: cached
    finally:
        server.close()


def test_download_with_wrong_checksum_leaves_nothing(isolated):
    sums = write_fake_set(isolated / "served")
    bad = dict(sums, **{"t10k-images-idx3-ubyte.gz": "ab" * 32})
    server = _Server(isolated / "served")
    try:
        with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz failed verification, nothing was saved"):
            load_fashion_mnist(root=isolated / "dest", base_url=server.url, checksums=bad, progress=False)
        assert "t10k-images-idx3-ubyte.gz" not in os.listdir(isolated / "dest")
        assert not [n for n in os.listdir(isolated / "dest") if n.startswith(".")]  # no partial file
    finally:
        server.close()


def test_download_file_interrupted_leaves_nothing(isolated):
    (isolated / "served").mkdir()
    (isolated / "served" / "x.gz").write_bytes(b"not gzip at all")
    server = _Server(isolated / "served")
    try:
        with pytest.raises(ValueError, match="cannot decompress"):
            download_file(server.url + "x.gz", isolated / "dest" / "x.gz", sha256="00" * 32, progress=False)
        assert os.listdir(isolated / "dest") == []
    finally:
        server.close()


REAL = Path(DEBIAN_FASHION_MNIST)
needs_real = pytest.mark.skipif(not all((REAL / n).is_file() for n in FASHION_MNIST_FILES.values()),
                                reason="real Fashion-MNIST absent (apt-get install dataset-fashion-mnist)")


@needs_real
def test_real_files_shapes_and_balance():
    (Xtr, ytr), (Xte, yte), names = load_fashion_mnist(root=REAL, download=False)
    assert Xtr.shape == (60000, 28, 28) and Xte.shape == (10000, 28, 28)
    assert Xtr.dtype == ytr.dtype == np.uint8
    assert np.bincount(ytr).tolist() == [6000] * 10 and np.bincount(yte).tolist() == [1000] * 10
    assert len(names) == 10 and names[9] == "Ankle boot"
    assert 70 < Xtr.mean() < 80                       # the well-known pixel mean, about 72.9


@needs_real
def test_real_files_downloaded_from_local_mirror_with_real_checksums(isolated):
    "The official-download path end to end: serve the real files on 127.0.0.1 and verify the real SHA-256."
    server = _Server(REAL)
    try:
        (Xtr, ytr), _, _ = load_fashion_mnist(root=isolated / "dl", base_url=server.url, progress=False)
        assert Xtr.shape == (60000, 28, 28) and len(server.requests) == 4
    finally:
        server.close()
