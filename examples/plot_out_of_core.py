"""
==================================
Training data larger than memory
==================================

Two ways to train on rows that are never all in memory at once.

* A numpy :func:`~numpy.memmap` (here a ``.npy`` file opened with
  ``np.load(..., mmap_mode="r")``): ``fit`` and ``partial_fit`` read it as they go.
  The minibatch loop gathers one minibatch at a time, so the memory training adds is
  per-row bookkeeping (the epoch's shuffle order, the encoded targets) and a few
  minibatches, never a copy of the array. :mod:`tracemalloc` measures it below.
* A Dask array whose blocks are read from the file by the workers:
  ``dask_ml.wrappers.Incremental`` calls ``partial_fit`` on one block after another,
  and ``dask_ml.wrappers.ParallelPostFit`` predicts the blocks in parallel.

The Dask part needs ``pip install "skperceptron[distributed]"`` (``dask-ml``).
"""

import shutil
import tempfile
import tracemalloc
import warnings
from pathlib import Path

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental, ParallelPostFit
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier

N_ROWS, N_FEATURES, BLOCK = 100_000, 50, 20_000


def write_data(path):
    """Write the features block by block, as data too large for memory would be."""
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                  shape=(N_ROWS, N_FEATURES))
    rng = np.random.default_rng(0)
    w = rng.normal(size=N_FEATURES)
    y = np.empty(N_ROWS, dtype=np.int64)
    for start in range(0, N_ROWS, BLOCK):
        block = rng.normal(size=(BLOCK, N_FEATURES))
        X[start:start + BLOCK] = block
        y[start:start + BLOCK] = block @ w + rng.normal(size=BLOCK) > 0
    X.flush()
    return y


def peak_mib(call):
    """Peak memory (MiB) that numpy allocates during ``call()``."""
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def load_block(path, start, stop):
    return np.load(path, mmap_mode="r")[start:stop]


def main():
    directory = Path(tempfile.mkdtemp())
    try:
        run(directory / "X.npy")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def run(path):
    y = write_data(path)
    X = np.load(path, mmap_mode="r")
    size = X.nbytes / 2**20

    # %%
    # fit and partial_fit on the memmap
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=3, random_state=0)
    fit_peak = peak_mib(lambda: clf.fit(X, y))
    incremental = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    partial_peak = peak_mib(lambda: [
        incremental.partial_fit(X[s:s + BLOCK], y[s:s + BLOCK], classes=[0, 1])
        for s in range(0, N_ROWS, BLOCK)
    ])
    print(f"array {size:.1f} MiB; peak added by fit {fit_peak:.2f} MiB, "
          f"by partial_fit per {BLOCK}-row block {partial_peak:.2f} MiB")

    # %%
    # The same file as a Dask array, each block read by the worker that needs it
    blocks = [
        da.from_delayed(dask.delayed(load_block)(path, s, s + BLOCK),
                        shape=(BLOCK, N_FEATURES), dtype=np.float64)
        for s in range(0, N_ROWS, BLOCK)
    ]
    dX = da.concatenate(blocks)
    dy = da.from_array(y, chunks=BLOCK)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster):
        model = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
        fitted = Incremental(model, shuffle_blocks=False).fit(dX, dy, classes=[0, 1])
        predicted = ParallelPostFit(fitted.estimator_).predict(dX).compute()
    same = np.array_equal(predicted, incremental.predict(X))
    print(f"Dask: {dX.numblocks[0]} blocks, accuracy {np.mean(predicted == y):.3f}, "
          f"predictions equal to partial_fit on the numpy blocks: {same}")

    fig, ax = plt.subplots(figsize=(6, 3.5))
    bars = ax.bar(["the array", "fit", f"partial_fit\n({BLOCK} rows)"],
                  [size, fit_peak, partial_peak], color=["C7", "C0", "C1"])
    ax.bar_label(bars, fmt="%.2f MiB")
    ax.set_ylabel("MiB")
    ax.set_title("Memory that training adds to a memmapped array")
    fig.tight_layout()
    plt.show()


# Dask's worker processes re-import the main module: keep the work behind this guard.
if __name__ == "__main__":
    main()
