"""What scikit-learn's ``ProgressBar`` costs a fit, and what no callback costs.

Three contenders on the same data, interleaved in a rotating order within one process:
``MLPClassifier`` without callbacks, with ``sklearn.callback.ProgressBar()``, and with a
callback that does nothing (the cost of the per-epoch tasks alone). Each row reports the
medians of wall and process-CPU seconds per fit and the medians of the per-repeat
ratios to the fit without callbacks, at 1 and 2 BLAS threads (threadpoolctl).

Usage::

    python benchmarks/callbacks_overhead.py [--rows 15000] [--epochs 3] [--repeats 8]

Needs scikit-learn >= 1.9 and rich (``pip install ".[progress]"``).
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from skperceptron import MLPClassifier


class NoOp:
    """A callback that receives every task and does nothing."""

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False

    def teardown(self, estimator, context):
        pass


def contenders():
    from sklearn.callback import ProgressBar

    return {"none": lambda: (), "ProgressBar": lambda: (ProgressBar(),),
            "no-op callback": lambda: (NoOp(),)}


def time_fit(X, y, params, callbacks):
    est = MLPClassifier(**params)
    if callbacks:
        est.set_callbacks(*callbacks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wall, cpu = time.perf_counter(), time.process_time()
        est.fit(X, y)
        return time.perf_counter() - wall, time.process_time() - cpu


def measure(X, y, params, repeats):
    makers = contenders()
    names = list(makers)
    times = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            times[name].append(time_fit(X, y, params, makers[name]()))
    return times


def report(threads, times):
    base = times["none"]
    for name, runs in times.items():
        cells = []
        for i in (0, 1):  # wall, cpu
            median = statistics.median(t[i] for t in runs)
            ratio = statistics.median(t[i] / b[i] for t, b in zip(runs, base, strict=True))
            cells += [f"{median:.3f}", f"{ratio:.4f}"]
        print(f"| {threads} | {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    X, y = make_classification(args.rows, 784, n_informative=50, n_classes=10,
                               random_state=0)
    X = X.astype(np.float32)
    params = dict(hidden_layer_sizes=(256, 128), solver="adam", batch_size=256, tol=0.0,
                  n_iter_no_change=np.inf, random_state=0, max_iter=args.epochs)
    print(f"MLPClassifier Adam {args.rows}x784 (256, 128) float32, {args.epochs} epochs, "
          f"{args.repeats} repeats; medians, ratios to 'none' per repeat\n")
    print("| BLAS threads | callbacks | wall s | wall ratio | CPU s | CPU ratio |")
    print("|---|---|---|---|---|---|")
    for threads in (1, 2):
        with threadpool_limits(threads, user_api="blas"):
            report(threads, measure(X, y, params, args.repeats))


if __name__ == "__main__":
    main()
