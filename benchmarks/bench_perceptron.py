"""PerceptronClassifier vs scikit-learn's Perceptron: fit time and accuracy.

Same data (100,000 x 100, binary and 10-class), 20 epochs, tol=None, in one process;
the two fits alternate within each repeat so that machine noise hits both alike. Prints
the median fit time of each, their ratio (ours / scikit-learn's, < 1 is faster) and the
held-out accuracy of each, at 1 and 2 BLAS threads, with shuffle=True (the default: each
one-vs-rest class in its own pass, in scikit-learn's row order) and shuffle=False (all
classes in one pass over each row).

    python benchmarks/bench_perceptron.py            # 5 repeats
    python benchmarks/bench_perceptron.py --quick    # 2 repeats, 30,000 rows
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.linear_model import Perceptron
from threadpoolctl import threadpool_limits

from skperceptron import PerceptronClassifier


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, fewer repeats")
    args = parser.parse_args()
    n_samples, repeats = (30_000, 2) if args.quick else (100_000, 5)
    n_test = 20_000
    print(f"{'classes':>7} {'shuffle':>7} {'threads':>7} {'ours s':>8} {'sklearn s':>9} "
          f"{'ratio':>6} {'acc ours':>8} {'acc skl':>8}")
    for n_classes in (2, 10):
        X, y = make_classification(
            n_samples + n_test, 100, n_informative=30, n_classes=n_classes,
            n_clusters_per_class=1, random_state=0,
        )
        X_train, X_test = X[:n_samples], X[n_samples:]
        y_train, y_test = y[:n_samples], y[n_samples:]
        for shuffle, threads in [(s, t) for s in (True, False) for t in (1, 2)]:
            params = dict(max_iter=20, tol=None, random_state=0, shuffle=shuffle)
            with threadpool_limits(limits=threads, user_api="blas"):
                ours, theirs = [], []
                for _ in range(repeats):
                    mine = PerceptronClassifier(**params)
                    ref = Perceptron(**params)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ours.append(timed_fit(mine, X_train, y_train))
                        theirs.append(timed_fit(ref, X_train, y_train))
                t_ours, t_ref = np.median(ours), np.median(theirs)
                print(f"{n_classes:>7} {shuffle!s:>7} {threads:>7} {t_ours:8.3f} {t_ref:9.3f} "
                      f"{t_ours / t_ref:6.2f} {mine.score(X_test, y_test):8.4f} "
                      f"{ref.score(X_test, y_test):8.4f}", flush=True)


if __name__ == "__main__":
    main()
