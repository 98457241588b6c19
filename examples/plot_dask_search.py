"""
=======================================
Hyperparameter search on a Dask cluster
=======================================

The same :class:`~sklearn.model_selection.GridSearchCV` runs once on one core
(``n_jobs=1``, one BLAS thread) and once on a local Dask cluster of two single-threaded
worker processes, through joblib's ``dask`` backend. The fits land on the workers, and
the cross-validated scores are identical: each fit depends only on its parameters, its
split, its ``random_state`` and its BLAS thread count (one on both sides here).

This needs the optional extra: ``pip install "skperceptron[distributed]"``. On a real
cluster, replace the :class:`~distributed.LocalCluster` by the scheduler's address and
install the same skperceptron version on every worker (see the "Scaling out with Dask"
page of the documentation).
"""

import time
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skperceptron import MLPClassifier


def make_search():
    return GridSearchCV(
        make_pipeline(
            StandardScaler(), MLPClassifier(solver="lbfgs", max_iter=50, random_state=0)
        ),
        {
            "mlpclassifier__hidden_layer_sizes": [(8,), (16,), (32,)],
            "mlpclassifier__alpha": [1e-4, 1.0],
        },
        cv=3,
        n_jobs=1,
    )


def main():
    X, y = load_digits(return_X_y=True)
    X, y = X[:900], y[:900]
    warnings.simplefilter("ignore", ConvergenceWarning)

    start = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas"):  # as on each worker
        local = make_search().fit(X, y)
    local_seconds = time.perf_counter() - start

    # Two worker processes with one thread each, everything on the loopback interface.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, Client(cluster) as client:
        start = time.perf_counter()
        with joblib.parallel_config(backend="dask"):
            on_dask = make_search().fit(X, y)
        dask_seconds = time.perf_counter() - start
        workers = len(client.scheduler_info()["workers"])

    same = np.array_equal(
        local.cv_results_["mean_test_score"], on_dask.cv_results_["mean_test_score"]
    )
    print(f"n_jobs=1: {local_seconds:.1f} s; dask, {workers} workers: {dask_seconds:.1f} s")
    print(f"identical mean_test_score: {same}")

    labels = [
        f"{p['mlpclassifier__hidden_layer_sizes'][0]} units\nalpha={p['mlpclassifier__alpha']:g}"
        for p in local.cv_results_["params"]
    ]
    positions = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(positions - 0.2, local.cv_results_["mean_test_score"], 0.4, label="n_jobs=1")
    ax.bar(positions + 0.2, on_dask.cv_results_["mean_test_score"], 0.4,
           label=f"Dask, {workers} worker processes")
    ax.set_xticks(positions, labels, fontsize=8)
    ax.set_ylim(0.8, 1.0)  # accuracies here are 0.82 to 0.91
    ax.set_ylabel("mean 3-fold accuracy")
    ax.set_title(f"Same search, same scores (identical: {same})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    plt.show()


# Dask's worker processes re-import the main module: keep the work behind this guard.
if __name__ == "__main__":
    main()
