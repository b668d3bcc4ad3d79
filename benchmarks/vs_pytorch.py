"""mlpbook versus PyTorch on the CPU: the same MLP, the same data, the same threads.

Trains 784-256-128-10 (ReLU), batch 128, Adam (lr 1e-3), float32, on 60,000 random
samples, for a few epochs with mlpbook's Trainer and with two PyTorch loops: the standard
one (DataLoader over a TensorDataset, shuffle, nn.Sequential, CrossEntropyLoss,
torch.optim.Adam) and the same with batches cut by tensor indexing instead of the
DataLoader, alternating all three epoch by epoch in one process. Prints the median epoch times and
their ratio, the achieved GFLOP/s of each against the machine's float32 GEMM throughput
measured in the same run, and the peak resident memory.

Run:  .venv/bin/python benchmarks/vs_pytorch.py [--epochs 5] [--threads N]
(needs torch:  .venv/bin/pip install torch==2.13.0)
"""
import argparse
import os
import resource
import statistics
import time

import numpy as np

SIZES = (784, 256, 128, 10)
N = 60_000
BATCH = 128


def training_flops(n=N):
    "Multiply-adds x2 of forward (3 GEMMs), weight gradients (3) and input gradients (2, none for layer 1)."
    pairs = list(zip(SIZES[:-1], SIZES[1:]))
    forward = sum(2 * a * b for a, b in pairs)
    weight_grads = forward
    input_grads = sum(2 * a * b for a, b in pairs[1:])
    return n * (forward + weight_grads + input_grads)


def gemm_gflops(threads_note, size=1024, repeats=20):
    "Float32 GEMM throughput of this machine's NumPy BLAS (median of repeats)."
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    a @ b
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * size ** 3 / statistics.median(times) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from mlpbook.activations import ReLU
    from mlpbook.data import ArrayDataset, DataLoader
    from mlpbook.layers import Dense, Sequential
    from mlpbook.losses import SoftmaxCrossEntropy
    from mlpbook.optim import Adam
    from mlpbook.trainer import Trainer

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], N)

    with threadpool_limits(limits=args.threads, user_api="blas"):
        peak_gemm = gemm_gflops(args.threads)

        model = Sequential(Dense(784, 256, rng=1), ReLU(), Dense(256, 128, rng=2), ReLU(), Dense(128, 10, rng=3))
        trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-3))
        loader = DataLoader(ArrayDataset(X, y), batch_size=BATCH, shuffle=True, rng=4)

        torch.manual_seed(0)
        tmodel = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                     torch.nn.ReLU(), torch.nn.Linear(128, 10))
        topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
        tloss = torch.nn.CrossEntropyLoss()
        tloader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(X), torch.from_numpy(y)),
                                              batch_size=BATCH, shuffle=True)

        def torch_epoch():
            tmodel.train()
            for xb, yb in tloader:
                topt.zero_grad()
                loss = tloss(tmodel(xb), yb)
                loss.backward()
                topt.step()

        # The same PyTorch loop but batching by tensor indexing instead of DataLoader's
        # per-item fetch and collate: PyTorch at its fastest for in-memory data.
        tX, ty = torch.from_numpy(X), torch.from_numpy(y)

        def torch_epoch_indexed():
            tmodel.train()
            order = torch.randperm(N)
            for start in range(0, N, BATCH):
                idx = order[start:start + BATCH]
                topt.zero_grad()
                loss = tloss(tmodel(tX[idx]), ty[idx])
                loss.backward()
                topt.step()

        t_ours, t_torch, t_indexed = [], [], []
        for epoch in range(args.epochs):
            t0 = time.perf_counter()
            trainer.fit(loader, epochs=1)
            t_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            torch_epoch()
            t_torch.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            torch_epoch_indexed()
            t_indexed.append(time.perf_counter() - t0)
            print(f"epoch {epoch + 1}: mlpbook {t_ours[-1]:.3f} s, PyTorch (DataLoader) {t_torch[-1]:.3f} s, "
                  f"PyTorch (tensor indexing) {t_indexed[-1]:.3f} s", flush=True)

        import tracemalloc
        tracemalloc.start()
        trainer.fit(loader, epochs=1)
        ours_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    ours, theirs, indexed = (statistics.median(t[1:]) for t in (t_ours, t_torch, t_indexed))
    flops = training_flops()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"threads: {args.threads}; torch {torch.__version__}; numpy {np.__version__}")
    print(f"median epoch time (epochs 2..{args.epochs}): mlpbook {ours:.3f} s, PyTorch with DataLoader "
          f"{theirs:.3f} s, PyTorch with tensor indexing {indexed:.3f} s")
    print(f"ratio mlpbook/PyTorch: {ours / theirs:.3f} (DataLoader), {ours / indexed:.3f} (tensor indexing)")
    print(f"throughput: mlpbook {flops / ours / 1e9:.1f} GFLOP/s, PyTorch {flops / theirs / 1e9:.1f} / "
          f"{flops / indexed / 1e9:.1f} GFLOP/s, float32 GEMM peak (1024^3, NumPy BLAS) {peak_gemm:.1f} GFLOP/s")
    print(f"peak memory: mlpbook's own NumPy allocations during one epoch {ours_peak_mb:.0f} MB (tracemalloc); "
          f"whole process, both frameworks and the data, {peak_rss_mb:.0f} MB (max RSS)")


if __name__ == "__main__":
    main()
