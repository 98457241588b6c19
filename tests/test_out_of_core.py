"""Training on data that is not held in memory: numpy memmaps and Dask arrays.

Memory: tracemalloc counts every numpy allocation (a memmap's pages are not
allocations), so the traced peak of a fit on a memmap is the extra memory training
needs. It must stay far below the array: per-row bookkeeping (a shuffle order, the
encoded targets: a few 8-byte values per row) plus a few minibatches, never a copy.

Dask: ``dask_ml.wrappers.Incremental`` feeds ``partial_fit`` one block at a time on a
LocalCluster (loopback only); the oracle is the same ``partial_fit`` calls on the numpy
blocks, and ``ParallelPostFit`` must predict exactly what the model predicts on the
concatenated numpy data.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skperceptron import MLPClassifier, MLPRegressor, PerceptronClassifier

N_ROWS, N_FEATURES, BATCH = 20000, 100, 200
ROW_BOOKKEEPING = 6 * 8 * N_ROWS  # bytes: 6 values of 8 bytes per row
FEW_MINIBATCHES = 8 * BATCH * N_FEATURES * 8


@pytest.fixture(scope="module")
def memmapped(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "X.npy"
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64,
                                  shape=(N_ROWS, N_FEATURES))
    rng = np.random.default_rng(0)
    for start in range(0, N_ROWS, 5000):
        X[start:start + 5000] = rng.normal(size=(5000, N_FEATURES))
    X.flush()
    del X
    X = np.load(path, mmap_mode="r")
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    return X, y


def _peak_bytes(call):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _model_bytes(est):
    return sum(a.nbytes for a in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_fit_on_a_memmap_makes_no_copy(memmapped, solver, shuffle):
    X, y = memmapped
    est = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=2,
                        batch_size=BATCH, shuffle=shuffle, random_state=0)
    peak = _peak_bytes(lambda: est.fit(X, y))
    # Optimizer state and gradients: a handful of copies of the weights.
    bound = ROW_BOOKKEEPING + FEW_MINIBATCHES + 10 * _model_bytes(est)
    assert peak < bound
    assert peak < X.nbytes / 10
    in_memory = clone(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        in_memory.fit(np.array(X), y)
    for a, b in zip(est.coefs_, in_memory.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_on_memmap_slices(memmapped):
    X, y = memmapped
    est = MLPRegressor(hidden_layer_sizes=(16,), batch_size=BATCH, random_state=0)
    chunk = 2000

    def train():
        for start in range(0, N_ROWS, chunk):
            est.partial_fit(X[start:start + chunk], y[start:start + chunk].astype(float))

    peak = _peak_bytes(train)
    assert peak < 6 * 8 * chunk + FEW_MINIBATCHES + 10 * _model_bytes(est)
    assert est.t_ == N_ROWS


def test_perceptron_partial_fit_on_memmap_slices(memmapped):
    X, y = memmapped
    est = PerceptronClassifier(random_state=0)
    chunk = 2000

    def train():
        for start in range(0, N_ROWS, chunk):
            est.partial_fit(X[start:start + chunk], y[start:start + chunk], classes=[0, 1])

    peak = _peak_bytes(train)
    # A call copies at most its own rows (the calibration sample), never the array.
    chunk_bytes = chunk * N_FEATURES * X.itemsize
    assert peak < 1.25 * chunk_bytes
    reference = PerceptronClassifier(random_state=0)
    for start in range(0, N_ROWS, chunk):
        reference.partial_fit(np.array(X[start:start + chunk]), y[start:start + chunk],
                              classes=[0, 1])
    np.testing.assert_array_equal(est.coef_, reference.coef_)


# ----------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask_ml")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.mark.parametrize(
    "estimator",
    [
        MLPClassifier(hidden_layer_sizes=(8,), random_state=0),
        PerceptronClassifier(random_state=0),
    ],
    ids=["mlp", "perceptron"],
)
def test_dask_incremental_and_parallel_post_fit(dask_client, estimator):
    import dask.array as da
    from dask_ml.wrappers import Incremental, ParallelPostFit

    rng = np.random.default_rng(1)
    X = rng.normal(size=(600, 6))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    rows = 150
    dX = da.from_array(X, chunks=(rows, 6))
    dy = da.from_array(y, chunks=rows)
    assert dX.numblocks[0] == 4

    incremental = Incremental(clone(estimator), shuffle_blocks=False)
    incremental.fit(dX, dy, classes=[0, 1])
    fitted = incremental.estimator_

    oracle = clone(estimator)
    for start in range(0, X.shape[0], rows):
        oracle.partial_fit(X[start:start + rows], y[start:start + rows], classes=[0, 1])
    np.testing.assert_array_equal(fitted.predict(X), oracle.predict(X))
    coef = fitted.coefs_[0] if hasattr(fitted, "coefs_") else fitted.coef_
    oracle_coef = oracle.coefs_[0] if hasattr(oracle, "coefs_") else oracle.coef_
    np.testing.assert_array_equal(coef, oracle_coef)
    # Block by block: one partial_fit over all rows gives another model.
    whole = clone(estimator).partial_fit(X, y, classes=[0, 1])
    whole_coef = whole.coefs_[0] if hasattr(whole, "coefs_") else whole.coef_
    assert not np.array_equal(coef, whole_coef)

    predicted = ParallelPostFit(fitted).predict(dX)
    assert isinstance(predicted, da.Array) and predicted.numblocks == (4,)
    np.testing.assert_array_equal(predicted.compute(), fitted.predict(X))
    # Probabilities: the products run per block, so the last bit may differ.
    proba = ParallelPostFit(fitted).predict_proba(dX).compute()
    np.testing.assert_allclose(proba, fitted.predict_proba(X), rtol=1e-13, atol=0)
