"""Trainer overhead: one epoch with mlpbook's Trainer versus a bare NumPy loop doing the same math.

Model 784-256-128-10 (ReLU), batch 128, Adam (lr 1e-3), float32, 60,000 random samples.
The Trainer run uses a shuffling DataLoader, metrics=["accuracy"] and callbacks
(TerminateOnNaN, CSVLogger, a LambdaCallback). The bare loop is a hand-written NumPy
implementation of the same forward pass, softmax cross-entropy, backward pass and Adam
update, with the same shuffling. The two alternate, epoch by epoch, in one process;
the script prints the median epoch time of each and their ratio.

Run:  .venv/bin/python benchmarks/trainer_overhead.py [--epochs 7]
"""
import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mlpbook.activations import ReLU
from mlpbook.callbacks import CSVLogger, LambdaCallback, TerminateOnNaN
from mlpbook.data import ArrayDataset, DataLoader
from mlpbook.layers import Dense, Sequential
from mlpbook.losses import SoftmaxCrossEntropy
from mlpbook.optim import Adam
from mlpbook.trainer import Trainer

SIZES = (784, 256, 128, 10)


def make_data(n=60_000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[-1], n)


def initial_weights(seed=1):
    model = Sequential(Dense(784, 256, rng=seed), ReLU(), Dense(256, 128, rng=seed + 1), ReLU(), Dense(128, 10, rng=seed + 2))
    return model


class BareLoop:
    "The same network and Adam, written directly in NumPy with preallocated state."

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = [layer.W.data.copy() for layer in model.layers[::2]] + [layer.b.data.copy() for layer in model.layers[::2]]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]
        self.lr, (self.b1, self.b2), self.eps, self.t = lr, betas, eps, 0

    def step_batch(self, x, y):
        W1, W2, W3, b1, b2, b3 = self.params
        z1 = x @ W1; z1 += b1; h1 = np.maximum(z1, 0)
        z2 = h1 @ W2; z2 += b2; h2 = np.maximum(z2, 0)
        z3 = h2 @ W3; z3 += b3
        z3 -= z3.max(axis=1, keepdims=True)
        e = np.exp(z3)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) - z3[np.arange(len(y)), y]))
        g3 = e / s
        g3[np.arange(len(y)), y] -= 1
        g3 /= len(y)
        grads = [None] * 6
        grads[2], grads[5] = h2.T @ g3, g3.sum(0)
        g2 = g3 @ W3.T; g2 *= z2 > 0
        grads[1], grads[4] = h1.T @ g2, g2.sum(0)
        g1 = g2 @ W2.T; g1 *= z1 > 0
        grads[0], grads[3] = x.T @ g1, g1.sum(0)
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, math.sqrt(1 - self.b2 ** self.t)
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.tmp):
            m *= self.b1; np.multiply(g, 1 - self.b1, out=tmp); m += tmp
            v *= self.b2; np.multiply(g, g, out=tmp); tmp *= 1 - self.b2; v += tmp
            np.sqrt(v, out=tmp); tmp /= c2; tmp += self.eps
            np.divide(m, tmp, out=tmp); tmp *= self.lr / c1
            p -= tmp
        return loss, z3

    def epoch(self, X, y, rng, batch=128):
        order = rng.permutation(len(X))
        correct = 0
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            xb, yb = X[idx], y[idx]
            loss, logits = self.step_batch(xb, yb)
            correct += int((logits.argmax(1) == yb).sum())
        return correct / len(X)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7)
    args = parser.parse_args()
    X, y = make_data()
    bare = BareLoop(initial_weights())
    bare_rng = np.random.default_rng(2)

    model = initial_weights()
    loader = DataLoader(ArrayDataset(X, y), batch_size=128, shuffle=True, rng=2)
    folder = Path(tempfile.mkdtemp())
    seen = []
    trainer = Trainer(model, SoftmaxCrossEntropy(), Adam(model.parameters(), lr=1e-3), metrics=["accuracy"],
                      callbacks=[TerminateOnNaN(), CSVLogger(folder / "log.csv"),
                                 LambdaCallback(after_batch=lambda t: seen.append(None))])
    t_bare, t_trainer = [], []
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        bare.epoch(X, y, bare_rng)
        t_bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        trainer.fit(loader, epochs=1)
        t_trainer.append(time.perf_counter() - t0)
        print(f"epoch {epoch + 1}: bare {t_bare[-1]:.3f} s, Trainer {t_trainer[-1]:.3f} s", flush=True)
    # the first epoch of each includes warm-up (allocation of state); report the median of the rest
    mb, mt = statistics.median(t_bare[1:]), statistics.median(t_trainer[1:])
    print(f"median epoch time: bare loop {mb:.3f} s, Trainer {mt:.3f} s, ratio Trainer/bare = {mt / mb:.3f}")


if __name__ == "__main__":
    main()
