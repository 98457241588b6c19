"""The measurements behind the BLAS thread policy (``skperceptron/_threads.py``).

For minibatch training (Adam, a few shapes from large to tiny) and full-batch L-BFGS,
the package at 1 BLAS thread and at T threads, scikit-learn at 1 and T, side by side in
one process, interleaved, wall time, medians. For L-BFGS also "ours, T, no cap": T
threads with the policy's one-thread rule for small full-batch products lifted, which
is what the rule is judged by. A minibatch epoch is one ``partial_fit`` over the data
after a warm-up call; an L-BFGS time is a fit of 15 iterations.

    python benchmarks/thread_policy.py                # 2 threads against 1
    python benchmarks/thread_policy.py --threads 8 --repeats 5
"""

import argparse
import time
import warnings
from functools import partial

import numpy as np
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from threadpoolctl import threadpool_limits

from skperceptron import MLPClassifier, MLPRegressor, _threads


def _standardised(X):
    return (X - X.mean(0)) / (X.std(0) + 1e-12)


def minibatch_cases(quick):
    n = 6000 if quick else 60000
    Xc, yc = make_classification(n, 784, n_informative=100, n_classes=10, random_state=0)
    Xr, yr = make_regression(n * 5 // 6, 50, random_state=0)
    Xd, yd = load_digits(return_X_y=True)
    big = {"hidden_layer_sizes": (256, 128), "batch_size": 256}
    return {
        f"Adam {n}x784 float32 (256, 128), batch 256":
            (_standardised(Xc).astype(np.float32), yc, True, big),
        f"Adam {n}x784 float64 (256, 128), batch 256": (_standardised(Xc), yc, True, big),
        f"Adam {n * 5 // 6}x50 regressor (256, 128), batch 200":
            (_standardised(Xr), yr / yr.std(), False, {"hidden_layer_sizes": (256, 128)}),
        "Adam digits 1797x64 (100,), batch 200":
            (Xd / 16, yd, True, {"hidden_layer_sizes": (100,)}),
    }


def _epoch(Estimator, X, y, classifier, params):
    model = Estimator(random_state=0, **params)
    warm = {"classes": np.unique(y)} if classifier else {}
    model.partial_fit(X[:500], y[:500], **warm)
    start = time.perf_counter()
    model.partial_fit(X, y)
    return time.perf_counter() - start


def _lbfgs(Estimator, X, y, hidden):
    start = time.perf_counter()
    Estimator(hidden_layer_sizes=hidden, solver="lbfgs", max_iter=15, random_state=0).fit(X, y)
    return time.perf_counter() - start


def _timed(threads, run, cap=None):
    saved = _threads.SMALL_GEMM_MULTIPLY_ADDS
    if cap is not None:
        _threads.SMALL_GEMM_MULTIPLY_ADDS = cap
    try:
        with threadpool_limits(threads, user_api="blas"):
            return run()
    finally:
        _threads.SMALL_GEMM_MULTIPLY_ADDS = saved


def measure(variants, repeats):
    """Medians of interleaved repeats of ``{name: (threads, run, cap)}``."""
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, (threads, run, cap) in variants.items():
            times[name].append(_timed(threads, run, cap))
    return {name: float(np.median(v)) for name, v in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    T = args.threads
    print(f"| case | ours 1 | ours {T} | sklearn 1 | sklearn {T} | ours {T} / ours 1 "
          f"| ours {T} / sklearn {T} | ours {T}, no cap |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (X, y, classifier, params) in minibatch_cases(args.quick).items():
        ours, sk = (MLPClassifier, SkClassifier) if classifier else (MLPRegressor, SkRegressor)
        data = (X, y, classifier, params)
        mine, theirs = (partial(_epoch, E, *data) for E in (ours, sk))
        m = measure({"o1": (1, mine, None), "oT": (T, mine, None),
                     "s1": (1, theirs, None), "sT": (T, theirs, None)}, args.repeats)
        print(f"| {name} | {m['o1']:.4f} | {m['oT']:.4f} | {m['s1']:.4f} | {m['sT']:.4f} | "
              f"{m['oT'] / m['o1']:.2f} | {m['oT'] / m['sT']:.2f} | (no cap) |", flush=True)
    rows = 2000 if args.quick else 10000
    X, y = make_classification(rows, 100, n_informative=20, random_state=0)
    mine, theirs = (partial(_lbfgs, E, X, y, (100,)) for E in (MLPClassifier, SkClassifier))
    m = measure({"o1": (1, mine, None), "oT": (T, mine, None), "oTnocap": (T, mine, 0),
                 "s1": (1, theirs, None), "sT": (T, theirs, None)}, args.repeats)
    print(f"| L-BFGS {rows}x100 (100,), 15 iterations | {m['o1']:.4f} | {m['oT']:.4f} | "
          f"{m['s1']:.4f} | {m['sT']:.4f} | {m['oT'] / m['o1']:.2f} | {m['oT'] / m['sT']:.2f} "
          f"| {m['oTnocap']:.4f} |")


if __name__ == "__main__":
    main()
