import functools
import json
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
    # a damaged deflate body raises zlib.error (not an OSError) or a CRC error inside gzip
    body = gzip.compress(idx_bytes(np.random.default_rng(0).integers(0, 256, (64, 64))))
    for offset in (10, 12, 20, 40, len(body) // 2):   # 10, 12: zlib.error
        damaged = bytearray(body)
        damaged[offset] ^= 0xFF
        (tmp_path / "damaged.gz").write_bytes(bytes(damaged))
        with pytest.raises(ValueError, match="damaged.gz: cannot decompress"):
            read_idx_gz(tmp_path / "damaged.gz")
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


# --- Auto MPG --------------------------------------------------------------------------
from mlpbook.datasets import (AUTO_MPG_FEATURES, AUTO_MPG_FILE, AUTO_MPG_SHA256,  # noqa: E402
                              DEBIAN_VEGA_CARS, auto_mpg_candidates, auto_mpg_digest, find_auto_mpg,
                              load_auto_mpg, parse_auto_mpg, parse_vega_cars)

CARS = [  # (mpg, cyl, disp, hp, weight, accel, year, origin, name): a few real rows, two with gaps
    (18.0, 8, 307.0, 130.0, 3504.0, 12.0, 70, 1, "chevrolet chevelle malibu"),
    (None, 4, 133.0, 115.0, 3090.0, 17.5, 70, 2, "citroen ds-21 pallas"),
    (24.0, 4, 113.0, 95.0, 2372.0, 15.0, 70, 3, "toyota corona mark ii"),
    (25.0, 4, 98.0, None, 2046.0, 19.0, 71, 1, "ford pinto"),
    (26.0, 4, 97.0, 46.0, 1835.0, 20.5, 70, 2, "volkswagen 1131 deluxe sedan"),
    (43.1, 4, 90.0, 48.0, 1985.0, 21.5, 78, 2, "volkswagen rabbit custom diesel"),
]


def uci_text(cars):
    "The cars with a known mpg in UCI's auto-mpg.data layout (numbers, a tab, the quoted name)."
    def num(v, width):
        return ("?" if v is None else f"{v:.1f}").ljust(width)
    return "".join(f"{num(c[0], 7)}{c[1]:<4d}{num(c[2], 11)}{num(c[3], 11)}{num(c[4], 11)}"
                   f"{num(c[5], 6)}{c[6]:<4d}{c[7]}\t\"{c[8]}\"\n" for c in cars if c[0] is not None)


def vega_json(cars):
    keys = ("Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration")
    return json.dumps([{"Name": c[8], **dict(zip(keys, c[:6])), "Year": f"19{c[6]}-01-01",
                        "Origin": ("USA", "Europe", "Japan")[c[7] - 1]} for c in cars])


@pytest.fixture
def cars_isolated(isolated, monkeypatch):
    "As `isolated`, and Debian's JSON copy replaced by a missing path unless a test writes one."
    monkeypatch.setattr(datasets, "DEBIAN_VEGA_CARS", str(isolated / "no-vega" / "cars.json"))
    return isolated


SMALL_SHA = auto_mpg_digest(parse_vega_cars(vega_json(CARS)))


def test_both_formats_parse_to_the_same_table():
    from_json, from_uci = parse_vega_cars(vega_json(CARS)), parse_auto_mpg(uci_text(CARS))
    assert len(from_json) == 6 and len(from_uci) == 5                 # the UCI file lacks unknown mpg
    assert auto_mpg_digest(from_json) == auto_mpg_digest(from_uci)
    assert np.isnan(from_uci[2][3]) and from_uci[2][8] == "ford pinto"
    with pytest.raises(ValueError, match="line 2: expected 8 numbers"):
        parse_auto_mpg('18.0 8 307.0 130.0 3504. 12.0 70 1\t"a"\n18.0 8 307.0\t"b"\n')
    with pytest.raises(ValueError, match="cars.json: record 0"):
        parse_vega_cars('[{"Name": "x"}]')


def test_auto_mpg_search_order(cars_isolated, monkeypatch):
    monkeypatch.setenv("MLPBOOK_DATA", str(cars_isolated / "env"))
    assert auto_mpg_candidates(cars_isolated / "root") == [
        cars_isolated / "root" / AUTO_MPG_FILE, cars_isolated / "env" / AUTO_MPG_FILE,
        cars_isolated / "cache" / "mlpbook" / "auto-mpg" / AUTO_MPG_FILE,
        cars_isolated / "no-vega" / "cars.json"]


@pytest.mark.parametrize("place", ["root", "env", "cache", "debian"])
def test_auto_mpg_each_place_is_used(cars_isolated, monkeypatch, place):
    rows = CARS[:3 + ["root", "env", "cache", "debian"].index(place)]
    paths = {"root": cars_isolated / "root" / AUTO_MPG_FILE, "env": cars_isolated / "env" / AUTO_MPG_FILE,
             "cache": cars_isolated / "cache" / "mlpbook" / "auto-mpg" / AUTO_MPG_FILE,
             "debian": cars_isolated / "no-vega" / "cars.json"}
    # a decoy in every later place shows that the earlier one wins
    for later in list(paths)[list(paths).index(place):]:
        paths[later].parent.mkdir(parents=True, exist_ok=True)
        content = vega_json(CARS) if later == "debian" else uci_text(CARS)
        paths[later].write_text(content if later != place else
                                (vega_json(rows) if place == "debian" else uci_text(rows)))
    monkeypatch.setenv("MLPBOOK_DATA", str(cars_isolated / "env"))
    root = cars_isolated / "root" if place == "root" else None
    assert find_auto_mpg(root) == paths[place]
    X, y, names = load_auto_mpg(root=root, sha256=None, download=False, missing="keep")
    known = [c for c in rows if c[0] is not None]
    assert len(y) == len(known) and names == AUTO_MPG_FEATURES and X.shape == (len(known), 9)


def test_auto_mpg_missing_values_and_one_hot(cars_isolated):
    (cars_isolated / "root").mkdir()
    (cars_isolated / "root" / AUTO_MPG_FILE).write_text(uci_text(CARS))
    X, y, _ = load_auto_mpg(root=cars_isolated / "root", sha256=SMALL_SHA, download=False)
    assert X.dtype == y.dtype == np.float32 and len(y) == 4              # no mpg: 1 gone; no hp: 1 gone
    np.testing.assert_array_equal(y, [18.0, 24.0, 26.0, np.float32(43.1)])
    np.testing.assert_array_equal(X[:, 6:], [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0]])
    X, y, _ = load_auto_mpg(root=cars_isolated / "root", sha256=SMALL_SHA, download=False,
                            missing="keep", dtype=np.float64)
    assert len(y) == 5 and np.isnan(X[:, 2]).sum() == 1 and np.isnan(X[2, 2]) and X.dtype == np.float64
    with pytest.raises(ValueError, match="load_auto_mpg: missing must be one of 'drop', 'keep'; got"):
        load_auto_mpg(root=cars_isolated / "root", missing="mean")


def test_auto_mpg_checksum_failure_on_disk(cars_isolated):
    (cars_isolated / "root").mkdir()
    (cars_isolated / "root" / AUTO_MPG_FILE).write_text(uci_text(CARS).replace("3504.0", "3505.0"))
    with pytest.raises(ValueError, match=f"{AUTO_MPG_FILE}: SHA-256 of the table is .* expected {SMALL_SHA}"):
        load_auto_mpg(root=cars_isolated / "root", sha256=SMALL_SHA, download=False)


def test_auto_mpg_absent_and_offline(cars_isolated):
    with pytest.raises(FileNotFoundError, match="(?s)download=False.*apt-get install python3-vega-datasets"):
        load_auto_mpg(download=False)
    with pytest.raises(FileNotFoundError, match="download from http://127.0.0.1:9/x failed"):
        load_auto_mpg(url="http://127.0.0.1:9/x", timeout=2, progress=False)


def test_auto_mpg_download_from_local_server_into_cache(cars_isolated):
    (cars_isolated / "served").mkdir()
    (cars_isolated / "served" / AUTO_MPG_FILE).write_text(uci_text(CARS))
    server = _Server(cars_isolated / "served")
    try:
        X, y, _ = load_auto_mpg(url=server.url + AUTO_MPG_FILE, sha256=SMALL_SHA, progress=False)
        cache = cars_isolated / "cache" / "mlpbook" / "auto-mpg"
        assert os.listdir(cache) == [AUTO_MPG_FILE] and len(y) == 4      # no temporary file left
        load_auto_mpg(url=server.url + AUTO_MPG_FILE, sha256=SMALL_SHA, progress=False)
        assert len(server.requests) == 1                                 # offline first: cached
    finally:
        server.close()


def test_auto_mpg_download_with_wrong_checksum_leaves_nothing(cars_isolated):
    (cars_isolated / "served").mkdir()
    (cars_isolated / "served" / AUTO_MPG_FILE).write_text(uci_text(CARS)[:-30])    # truncated
    server = _Server(cars_isolated / "served")
    try:
        with pytest.raises(ValueError, match="failed verification, nothing was saved"):
            load_auto_mpg(root=cars_isolated / "dest", url=server.url + AUTO_MPG_FILE,
                          sha256=SMALL_SHA, progress=False)
        assert os.listdir(cars_isolated / "dest") == []
    finally:
        server.close()


needs_vega = pytest.mark.skipif(not Path(DEBIAN_VEGA_CARS).is_file(),
                                reason="Debian's copy absent (apt-get install python3-vega-datasets)")


@needs_vega
def test_real_auto_mpg_table_and_its_checksum(isolated, monkeypatch):
    records = parse_vega_cars(Path(DEBIAN_VEGA_CARS).read_bytes())
    assert len(records) == 406 and auto_mpg_digest(records) == AUTO_MPG_SHA256
    X, y, _ = load_auto_mpg(download=False)
    assert X.shape == (392, 9) and 23.0 < y.mean() < 24.0            # the well-known mean, 23.45
    # the same table written in UCI's format, served on 127.0.0.1, passes the real checksum
    (isolated / "served").mkdir()
    cars = [(None if np.isnan(r[0]) else r[0], int(r[1]), r[2], None if np.isnan(r[3]) else r[3],
             r[4], r[5], r[6], r[7], r[8]) for r in records]
    (isolated / "served" / AUTO_MPG_FILE).write_text(uci_text(cars))
    monkeypatch.setattr(datasets, "DEBIAN_VEGA_CARS", str(isolated / "no-vega.json"))
    server = _Server(isolated / "served")
    try:
        X2, y2, _ = load_auto_mpg(root=isolated / "dl", url=server.url + AUTO_MPG_FILE, progress=False)
        np.testing.assert_array_equal(X2, X)
    finally:
        server.close()


def test_parse_auto_mpg_real_layout():
    "Lines exactly as UCI's auto-mpg.data writes them: '3504.', '97.00', '?', a tab, the quoted name."
    text = ('18.0   8   307.0      130.0      3504.      12.0   70  1\t"chevrolet chevelle malibu"\n'
            '25.0   4   98.00      ?          2046.      19.0   71  1\t"ford pinto"\n'
            '27.0   4   97.00      88.00      2130.      14.5   71  3\t"datsun pl510"\n')
    records = parse_auto_mpg(text)
    assert records[0] == (18.0, 8.0, 307.0, 130.0, 3504.0, 12.0, 70, 1, "chevrolet chevelle malibu")
    assert np.isnan(records[1][3]) and records[1][8] == "ford pinto"
    assert records[2][6:] == (71, 3, "datsun pl510")
    if Path(DEBIAN_VEGA_CARS).is_file():            # the same three cars in Debian's copy
        known = [r for r in parse_vega_cars(Path(DEBIAN_VEGA_CARS).read_bytes()) if not np.isnan(r[0])]
        assert auto_mpg_digest([known[0], known[32], known[29]]) == auto_mpg_digest(records)
