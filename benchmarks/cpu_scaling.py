"""Adam training time at 1, 2, 4, ... up to all cores: skperceptron, scikit-learn, PyTorch.

For each thread count T the three libraries train the same network on the same data
(60,000 x 784 float32 by default, hidden (256, 128), batch 256, 10 classes) with BLAS
limited to T threads (threadpoolctl), OpenMP limited to T threads (threadpoolctl, which
also bounds the compiled kernels' ``prange``) and ``torch.set_num_threads(T)``. Seconds
per epoch are steady state (a fit of 1 + E epochs minus a fit of one), wall time,
medians of interleaved repeats; the table prints each ratio. PyTorch is optional: its
columns read "—" when it is not installed.

Minibatch training uses the caller's BLAS threads (``skperceptron._threads``), so
"ours" at T threads is the package as a user gets it.

A second table checks oversubscription: per minibatch the step's products (BLAS, T
threads) followed by Adam's one-pass kernel on the 235k parameters with 1 or T OpenMP
threads. If OpenMP and BLAS threads spun against each other, T OpenMP threads would be
slower than one.

    python benchmarks/cpu_scaling.py                 # under 5 minutes on 16 cores
    python benchmarks/cpu_scaling.py --rows 15000 --repeats 3 --threads 1,2
"""

import argparse  # noqa: I001 - run.py (this folder) is imported last
import os
import platform
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from threadpoolctl import threadpool_info, threadpool_limits

from skperceptron import MLPClassifier, _fused, _kernels
from skperceptron._network import n_params

# run.py's helpers; run as ``python benchmarks/cpu_scaling.py``, this folder is on sys.path.
from run import Clock, interleave, stats, steady_epoch, torch, torch_epoch_seconds

HIDDEN = (256, 128)
BATCH = 256


def thread_counts(spec):
    if spec:
        return [int(t) for t in spec.split(",")]
    cores = os.cpu_count() or 1
    counts, t = [], 1
    while t < cores:
        counts.append(t)
        t *= 2
    return counts + [cores]


def training_contenders(X, y, threads, epochs):
    clock = Clock(max(threads, 2))  # wall time throughout, comparable across rows
    params = {"hidden_layer_sizes": HIDDEN, "solver": "adam", "batch_size": BATCH, "tol": 0.0,
              "n_iter_no_change": np.inf, "random_state": 0}
    contenders = {
        "ours": steady_epoch(lambda k: MLPClassifier(max_iter=k, **params), X, y, epochs, clock),
        "sklearn": steady_epoch(
            lambda k: SkMLPClassifier(max_iter=k, **params), X, y, epochs, clock
        ),
    }
    if torch is not None:
        contenders["torch"] = lambda: torch_epoch_seconds(
            clock, X, y, HIDDEN, BATCH, epochs, True, threads
        )
    return contenders


def step_products(X_b, W, A, D, G):
    """One minibatch's products (forward, weight gradients, deltas), as run.py's floor."""
    inputs = [X_b] + A[:-1]
    for i, w in enumerate(W):
        np.matmul(inputs[i], w, out=A[i])
    for i in range(len(W) - 1, -1, -1):
        np.matmul(inputs[i].T, D[i], out=G[i])
        if i > 0:
            np.matmul(D[i], W[i].T, out=D[i - 1])


UNITS = [784, *HIDDEN, 10]
N_PARAMS = n_params(UNITS)
# The kernel gives each OpenMP thread at least this many parameters.
MIN_PER_THREAD = _kernels.ELEMENTS_PER_THREAD


def oversubscription(threads, steps, dtype):
    """Seconds for ``steps`` minibatches of products + Adam kernel, OpenMP 1 or T threads."""
    rng = np.random.default_rng(0)
    normal = lambda *s: (0.05 * rng.standard_normal(s)).astype(dtype)
    X_b = normal(BATCH, 784)
    W = [normal(i, o) for i, o in zip(UNITS[:-1], UNITS[1:], strict=True)]
    A = [normal(BATCH, o) for o in UNITS[1:]]
    D = [normal(BATCH, o) for o in UNITS[1:]]
    G = [np.empty_like(w) for w in W]
    n = N_PARAMS
    theta, grad, m, v = normal(n), normal(n), np.zeros(n, dtype), np.zeros(n, dtype)

    def loop(omp):
        def run():
            start = time.perf_counter()
            for _ in range(steps):
                step_products(X_b, W, A, D, G)
                _fused.adam_update(theta, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, n_threads=omp)
            return time.perf_counter() - start
        return run

    contenders = {"OpenMP 1": loop(1)}
    if threads > 1:
        contenders[f"OpenMP {threads}"] = loop(threads)
    contenders["products alone"] = lambda: _products_alone(steps, X_b, W, A, D, G)
    return contenders


def _products_alone(steps, X_b, W, A, D, G):
    start = time.perf_counter()
    for _ in range(steps):
        step_products(X_b, W, A, D, G)
    return time.perf_counter() - start


def med(times, key):
    return stats(times[key])[0] if key in times else None


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}"


def cell(x):
    return "—" if x is None else f"{x:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=1, help="epochs beyond the first per fit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--threads", default=None, help="e.g. 1,2,4; default 1, 2, 4, ... all cores"
    )
    args = parser.parse_args()
    counts = thread_counts(args.threads)
    X, y = make_classification(args.rows, 784, n_informative=50, n_classes=10, random_state=0)
    X = X.astype(np.float32)
    blas = ", ".join(f"{i['internal_api']} {i['version']} ({i.get('threading_layer', '')})"
                     for i in threadpool_info() if i["user_api"] == "blas")
    print(f"Machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} logical cores; "
          f"BLAS {blas}; kernels OpenMP: {_fused.OPENMP}; PyTorch: "
          f"{torch.__version__ if torch else 'not installed'}")
    print(f"\nAdam, {args.rows}x784 float32, {HIDDEN}, batch {BATCH}: s/epoch (wall), medians of "
          f"{args.repeats}\n")
    print("| threads | ours | scikit-learn | PyTorch | ours / sklearn | ours / torch "
          f"| ours T / ours {counts[0]} |")
    print("|---|---|---|---|---|---|---|")
    first = None
    for t in counts:
        with (
            threadpool_limits(limits=t, user_api="blas"),
            threadpool_limits(limits=t, user_api="openmp"),
        ):
            times = interleave(training_contenders(X, y, t, args.epochs), args.repeats)
        ours, sk, th = (med(times, k) for k in ("ours", "sklearn", "torch"))
        first = first or ours
        print(f"| {t} | {cell(ours)} | {cell(sk)} | {cell(th)} | {ratio(ours, sk)} | "
              f"{ratio(ours, th)} | {ratio(ours, first)} |", flush=True)

    steps = args.rows // BATCH
    print(f"\nOversubscription check: {steps} minibatches of products (BLAS T threads) "
          "+ Adam kernel (OpenMP 1 or T threads; at most "
          f"{N_PARAMS // MIN_PER_THREAD} for its {N_PARAMS} parameters), float32, s "
          "(wall), medians\n")
    print("| T | products alone | + Adam, OpenMP 1 | + Adam, OpenMP T | OpenMP T / OpenMP 1 |")
    print("|---|---|---|---|---|")
    for t in counts:
        # The openmp limit too: the kernel never runs more than omp_get_max_threads(),
        # which OMP_NUM_THREADS=1 would otherwise hold at one.
        with (
            threadpool_limits(limits=t, user_api="blas"),
            threadpool_limits(limits=t, user_api="openmp"),
        ):
            times = interleave(oversubscription(t, steps, np.float32), args.repeats)
        one, many = med(times, "OpenMP 1"), med(times, f"OpenMP {t}")
        print(f"| {t} | {cell(med(times, 'products alone'))} | {cell(one)} | "
              f"{cell(many) if t > 1 else '—'} | {ratio(many, one) if t > 1 else '—'} |",
              flush=True)


if __name__ == "__main__":
    main()
