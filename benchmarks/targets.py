"""mlpbook's training speed against PyTorch's fastest CPU loop and against the GEMM floor.

Model 784-256-128-10 (ReLU), Adam (lr 1e-3), float32, 60,000 random samples, for batch sizes
32, 128 and 512. In lock-step rounds (the order alternating each round, after one warm-up
round), it times one epoch of each of:
  - mlpbook's Trainer with the parameter arena and the flat optimizer step
    (`flatten_parameters` + `use_flat_step`, mlpbook.performance);
  - mlpbook's Trainer as the earlier chapters use it (per-parameter optimizer step);
  - PyTorch's fastest in-memory loop: batches cut by tensor indexing, nn.Sequential,
    CrossEntropyLoss, torch.optim.Adam(fused=True) (its fastest Adam on a CPU);
  - the same loop with PyTorch's default Adam (on a CPU: a loop over the tensors);
  - the GEMM floor: the same epoch's matrix products alone (same shapes, same operand
    layouts, same threads), nothing else.
Every timed run starts after a 0.25 s pause (untimed), so that OpenBLAS's worker threads,
which spin for about 0.1 s after a matrix product, are idle and do not slow the next
candidate. The process calls mlpbook.performance.retain_freed_memory() first (unless
--no-retain): glibc then keeps freed memory for reuse, for mlpbook and PyTorch alike
(Chapter 8, "The allocator"). It prints the median of each and the medians of the per-round
ratios, then peak memory (tracemalloc) and the allocations of the optimizer step, and last
the two target ratios: mlpbook epoch / PyTorch (fused Adam) epoch (<= 0.70 at batch 128,
<= 1.0 at 32 and 512) and mlpbook epoch / GEMM floor (<= 1.35 at batch 128). The GEMM floor
is a reference time measured beside the others, not a bound. The machine load is printed
with the ratios: on a shared machine they move; run it when the machine is quiet.

Run:  .venv/bin/python benchmarks/targets.py [--rounds 5] [--threads 2] [--batches 32 128 512]
                                             [--no-retain]
(needs torch for the PyTorch column; without it that column is skipped)
"""
import argparse
import os
import statistics
import tracemalloc

import numpy as np

SIZES = (784, 256, 128, 10)
N = 60_000


def gemm_epoch(sizes, batch, n):
    "A callable running the GEMMs of one epoch (every step, the last one partial) and nothing else."
    from mlpbook.performance import mlp_gemm_operands
    batches = [batch] * (n // batch) + ([n % batch] if n % batch else [])
    ops = {b: mlp_gemm_operands(sizes, b) for b in set(batches)}
    order = [ops[b] for b in batches]

    def run():
        for step in order:
            for a, w, out in step:
                np.matmul(a, w, out=out)
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (after one warm-up)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--no-retain", action="store_true",
                        help="leave glibc's malloc thresholds as they are")
    parser.add_argument("--pause", type=float, default=0.25,
                        help="untimed seconds before each timed epoch")
    args = parser.parse_args()
    from mlpbook.performance import retain_freed_memory
    retained = False if args.no_retain else retain_freed_memory()

    from threadpoolctl import threadpool_info, threadpool_limits

    from mlpbook.activations import ReLU
    from mlpbook.data import ArrayDataset, DataLoader
    from mlpbook.layers import Dense, Sequential
    from mlpbook.losses import SoftmaxCrossEntropy
    from mlpbook.optim import Adam
    from mlpbook.performance import flatten_parameters, paired_ratio, paired_timings, use_flat_step
    from mlpbook.trainer import Trainer
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None

    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], N)
    load_before = os.getloadavg()

    def mlp():
        return Sequential(Dense(784, 256, rng=1), ReLU(), Dense(256, 128, rng=2), ReLU(),
                          Dense(128, 10, rng=3))

    results = {}
    with threadpool_limits(limits=args.threads, user_api="blas"):
        info = next(i for i in threadpool_info()              # NumPy's BLAS
                    if i["user_api"] == "blas" and "numpy" in i["filepath"])
        for batch in args.batches:
            model = mlp()
            flatten_parameters(model)
            arena_trainer = Trainer(model, SoftmaxCrossEntropy(),
                                    use_flat_step(Adam(model.parameters(), lr=1e-3)))
            arena_loader = DataLoader(ArrayDataset(X, y), batch_size=batch, shuffle=True, rng=4)
            plain_model = mlp()
            plain_trainer = Trainer(plain_model, SoftmaxCrossEntropy(),
                                    Adam(plain_model.parameters(), lr=1e-3))
            plain_loader = DataLoader(ArrayDataset(X, y), batch_size=batch, shuffle=True, rng=4)
            epochs = {
                "mlpbook": lambda: arena_trainer.fit(arena_loader, epochs=1),
                "mlpbook per-param": lambda: plain_trainer.fit(plain_loader, epochs=1),
                "GEMM floor": gemm_epoch(SIZES, batch, N),
            }
            if torch is not None:
                tX, ty = torch.from_numpy(X), torch.from_numpy(y)

                def torch_runner(fused, batch=batch):
                    torch.manual_seed(0)
                    tmodel = torch.nn.Sequential(
                        torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                        torch.nn.ReLU(), torch.nn.Linear(128, 10))
                    topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3,
                                            **({"fused": True} if fused else {}))
                    tloss = torch.nn.CrossEntropyLoss()

                    def torch_epoch():
                        tmodel.train()
                        order = torch.randperm(N)
                        for start in range(0, N, batch):
                            idx = order[start:start + batch]
                            topt.zero_grad()
                            tloss(tmodel(tX[idx]), ty[idx]).backward()
                            topt.step()
                    return torch_epoch
                epochs["PyTorch"] = torch_runner(fused=True)
                epochs["PyTorch default Adam"] = torch_runner(fused=False)
            times = paired_timings(epochs, repeats=args.rounds, warmup=1, pause=args.pause)
            print(f"B={batch}: " + ", ".join(f"{k} {np.round(v, 3)} s" for k, v in times.items()),
                  flush=True)
            results[batch] = times
            if batch == 128:
                tracemalloc.start()
                arena_trainer.fit(arena_loader, epochs=1)
                epoch_peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                opt = arena_trainer.optimizer
                tracemalloc.start()
                for _ in range(10):
                    opt.step()
                step_peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
    load_after = os.getloadavg()

    print()
    print(f"threads {args.threads}; OpenBLAS {info['version']} kernel {info['architecture']} "
          f"(OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}); numpy "
          f"{np.__version__}" + (f"; torch {torch.__version__}" if torch else "; torch absent")
          + f"; retain_freed_memory {'on' if retained else 'off'}; pause {args.pause} s")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.1f} {load_before[1]:.1f} "
          f"{load_before[2]:.1f}, after {load_after[0]:.1f} {load_after[1]:.1f} {load_after[2]:.1f} "
          f"on {os.cpu_count()} cores")
    for batch, times in results.items():
        med = ", ".join(f"{k} {statistics.median(v):.3f} s" for k, v in times.items())
        print(f"B={batch}: median epoch {med}; per-param/arena "
              f"{paired_ratio(times, 'mlpbook per-param', 'mlpbook'):.3f}")
    if 128 in results:
        print(f"peak memory during one B=128 epoch, mlpbook's own allocations (tracemalloc; the "
              f"{X.nbytes / 2**20:.0f} MB data set excluded): {epoch_peak / 2**20:.1f} MB")
        print(f"optimizer step after the first: {step_peak} bytes allocated at peak over 10 steps")
    print()
    print("TARGET ratios (median of per-round ratios):")
    for batch, times in results.items():
        goal = 0.70 if batch == 128 else 1.0
        if "PyTorch" in times:
            r = paired_ratio(times, "mlpbook", "PyTorch")
            r_default = paired_ratio(times, "mlpbook", "PyTorch default Adam")
            print(f"  mlpbook epoch / PyTorch (fused Adam) epoch, B={batch}: {r:.3f} "
                  f"(target <= {goal:.2f}) {'met' if r <= goal else 'NOT met'}; "
                  f"/ PyTorch default Adam: {r_default:.3f}")
    for batch, times in results.items():
        r = paired_ratio(times, "mlpbook", "GEMM floor")
        note = f"(target <= 1.35) {'met' if r <= 1.35 else 'NOT met'}" if batch == 128 else ""
        print(f"  mlpbook epoch / GEMM floor, B={batch}: {r:.3f} {note}")


if __name__ == "__main__":
    main()
