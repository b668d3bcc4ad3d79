"""Chapter 6's "what we tried": the recipe and its ablations, ranked on VALIDATION accuracy.

Every row changes one setting of mlpbook.fashion_mnist.RECIPE (the first row is the recipe
itself) and is trained with several seeds on the same train/validation split
(prepare_fashion_mnist(raw, seed=0): 55,000 training and 5,000 validation images), so that
rows differ only by the setting and the seed. The test set is never loaded into a model
here: the chapter measures test accuracy once, for the final recipe and ensemble only.

For each run the script records the best validation accuracy over the epochs (the epoch the
chapter's checkpoint keeps), the last epoch's validation accuracy and the training time.
From the recipe's seeds it also forms every ensemble of three (mean of logits) and records
their validation accuracy: the evidence, on validation data, that averaging three networks
helps.

Results go to a JSON file, rewritten after every finished run; a second invocation skips
the runs already in it (so the script can be stopped and resumed). The chapter renders a
copy of this JSON; tests/book/test_fashion_selection.py checks that copy equals the file.

Run (from the repository root, in the background at low priority; two single-threaded
workers use both cores):

    nice -n 10 python benchmarks/fashion_selection.py --jobs 2 --first 4 \
        --out benchmarks/fashion_selection.json

(--first 4 runs the 2x2 batch-norm/learning-rate design with all seeds first.)

Timings depend on the machine and on what else runs on it; they are recorded, not compared.
"""
import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

# (name, overrides of RECIPE): each row changes one thing from the recipe, except the second
# "no batch norm, lr 1e-3" row, which changes one thing from the "lr 1e-3" row
ROWS = [
    ("recipe", {}),
    ("no batch norm", {"batchnorm": False}),
    ("lr 1e-3", {"lr": 1e-3}),
    ("no batch norm, lr 1e-3", {"batchnorm": False, "lr": 1e-3}),
    ("no dropout", {"dropout": 0.0}),
    ("weight decay 0.1", {"weight_decay": 0.1}),
    ("label smoothing 0.1", {"label_smoothing": 0.1}),
    ("horizontal flip", {"flip": True}),
]
# Further rows, run only with --all.
MORE_ROWS = [
    ("dropout 0.3", {"dropout": 0.3}),
    ("shift ±1 pixel", {"max_shift": 1}),
    ("40 epochs", {"epochs": 40}),
    ("hidden 1024, 512", {"hidden": (1024, 512)}),
]
SEEDS = (0, 1, 2)
EXTRA_RECIPE_SEEDS = (3, 4)       # more seeds for the recipe: its noise and its ensembles


def plan(first=len(ROWS), everything=False):
    """All (row, seed) runs in the order they are run: seed-major over the `first` rows
    (the first four are a 2x2 design: batch norm on/off at learning rates 2e-3 and 1e-3);
    then the recipe's extra seeds; then seed-major over the other rows, so an interrupted
    run leaves every row of a group with some seeds; then (if `everything`) MORE_ROWS."""
    runs = [(name, seed) for seed in SEEDS for name, _ in ROWS[:first]]
    runs += [("recipe", seed) for seed in EXTRA_RECIPE_SEEDS]
    runs += [(name, seed) for seed in SEEDS for name, _ in ROWS[first:]]
    if everything:
        runs += [(name, seed) for seed in SEEDS for name, _ in MORE_ROWS]
    return runs


def run_one(name, seed, scratch):
    "Train one (row, seed); return its record. Saves the validation logits to `scratch`."
    import numpy as np

    from mlpbook.datasets import load_fashion_mnist
    from mlpbook.fashion_mnist import prepare_fashion_mnist, train_fashion_mnist
    overrides = dict(ROWS + MORE_ROWS)[name]
    raw = load_fashion_mnist()
    data = prepare_fashion_mnist(raw, seed=0)
    data = {k: v for k, v in data.items() if k not in ("X_test", "y_test")}  # never used here
    trainer, history, seconds = train_fashion_mnist(data, seed=seed, progress=False, **overrides)
    val_logits = trainer.predict(data["X_val"], batch_size=2048)
    np.save(Path(scratch) / f"{name}-{seed}.npy", val_logits)
    val = history["val_accuracy"]
    return {"row": name, "seed": seed, "overrides": overrides,
            "best_val_accuracy": float(max(val)), "best_epoch": int(np.argmax(val)) + 1,
            "last_val_accuracy": float(val[-1]), "epochs": len(val),
            "seconds": round(seconds, 1)}


def summarise(runs, scratch):
    "Per-row mean and sd of the best validation accuracy, and the recipe's 3-member ensembles."
    import numpy as np

    from mlpbook.datasets import load_fashion_mnist
    from mlpbook.fashion_mnist import prepare_fashion_mnist
    rows = []
    for name, overrides in ROWS + MORE_ROWS:
        mine = [r for r in runs if r["row"] == name]
        if not mine:
            continue
        acc = np.array([r["best_val_accuracy"] for r in mine])
        rows.append({"row": name, "overrides": overrides, "seeds": [r["seed"] for r in mine],
                     "mean": float(acc.mean()), "sd": float(acc.std(ddof=1)) if len(acc) > 1 else None,
                     "mean_seconds": float(np.mean([r["seconds"] for r in mine]))})
    y_val = prepare_fashion_mnist(load_fashion_mnist(), seed=0)["y_val"]
    seeds = sorted(r["seed"] for r in runs if r["row"] == "recipe")
    ensembles = []
    for combo in itertools.combinations(seeds, 3):
        logits = np.mean([np.load(Path(scratch) / f"recipe-{s}.npy") for s in combo], axis=0)
        ensembles.append({"seeds": list(combo), "val_accuracy": float(np.mean(logits.argmax(1) == y_val))})
    return rows, ensembles


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="benchmarks/fashion_selection.json")
    parser.add_argument("--scratch", default="/tmp/fashion_selection_logits",
                        help="folder for the validation logits (needed for the ensembles)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (one BLAS thread each if > 1)")
    parser.add_argument("--all", action="store_true", help="also run MORE_ROWS")
    parser.add_argument("--first", type=int, default=len(ROWS),
                        help="run all seeds of the first FIRST rows before the others")
    args = parser.parse_args(argv)
    Path(args.scratch).mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    done = json.loads(out.read_text())["runs"] if out.exists() else []
    todo = [r for r in plan(args.first, args.all) if not any((d["row"], d["seed"]) == r for d in done)
            or not (Path(args.scratch) / f"{r[0]}-{r[1]}.npy").exists()]
    done = [d for d in done if (d["row"], d["seed"]) not in todo]

    def write():
        rows, ensembles = summarise(done, args.scratch)
        result = {"script": "benchmarks/fashion_selection.py", "split_seed": 0,
                  "validation_images": 5000, "measure": "best validation accuracy over the epochs",
                  "date": time.strftime("%Y-%m-%d"), "jobs": args.jobs,
                  "rows": rows, "recipe_ensembles_of_3": ensembles, "runs": done}
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        tmp.replace(out)

    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = "1"                 # inherited by the spawned workers
        import multiprocessing
        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(run_one, name, seed, args.scratch): (name, seed) for name, seed in todo}
            for future in as_completed(futures):
                done.append(future.result())
                print(json.dumps(done[-1]), flush=True)
                write()
    else:
        for name, seed in todo:
            done.append(run_one(name, seed, args.scratch))
            print(json.dumps(done[-1]), flush=True)
            write()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
