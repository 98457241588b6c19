"""The minibatch source: every row once per epoch, orders from (seed, epoch) alone."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from skperceptron._batches import Minibatches, batch_size


def _data(n=103, sparse=False):
    X = np.arange(n * 3, dtype=float).reshape(n, 3)
    Y = np.arange(n, dtype=float).reshape(n, 1) * 10
    sw = np.linspace(0.5, 2.0, n)
    return (sp.csr_matrix(X) if sparse else X), Y, sw


@pytest.mark.parametrize("sparse", [False, True])
def test_each_epoch_visits_every_row_once_with_its_targets_and_weights(sparse):
    X, Y, sw = _data(sparse=sparse)
    batches = Minibatches(X, Y, sw, 10, shuffle=True, seed=7)
    assert len(batches) == 11
    rows = []
    for X_b, Y_b, sw_b in batches.epoch(3):
        X_b = X_b.toarray() if sparse else X_b
        index = (X_b[:, 0] / 3).astype(int)  # row i holds 3i, 3i+1, 3i+2
        np.testing.assert_array_equal(X_b, np.asarray(X[index].todense() if sparse else X[index]))
        np.testing.assert_array_equal(Y_b[:, 0], 10 * index)
        np.testing.assert_array_equal(sw_b, sw[index])
        rows.extend(index)
    assert sorted(rows) == list(range(103))


def test_orders_depend_on_seed_and_epoch_only():
    X, Y, _ = _data()

    def order(seed, epoch, source=None):
        source = source or Minibatches(X, Y, None, 16, shuffle=True, seed=seed)
        return np.concatenate([Y_b[:, 0].copy() for _, Y_b, _ in source.epoch(epoch)])

    shared = Minibatches(X, Y, None, 16, shuffle=True, seed=1)
    order(1, 0, shared)  # an epoch drawn before changes nothing
    np.testing.assert_array_equal(order(1, 5, shared), order(1, 5))
    np.testing.assert_array_equal(
        order(1, 5), 10 * np.random.default_rng([1, 5]).permutation(103)
    )
    assert not np.array_equal(order(1, 5), order(1, 6))
    assert not np.array_equal(order(1, 5), order(2, 5))


def test_without_shuffle_batches_are_consecutive_views():
    X, Y, sw = _data()
    batches = list(Minibatches(X, Y, sw, 50, shuffle=False, seed=0).epoch(0))
    assert [len(Y_b) for _, Y_b, _ in batches] == [50, 50, 3]
    assert all(np.shares_memory(X_b, X) for X_b, _, _ in batches)


def test_batch_size_rule():
    assert batch_size("auto", 1000) == 200 and batch_size("auto", 50) == 50
    assert batch_size(32, 1000) == 32
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        assert batch_size(500, 100) == 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert batch_size(500, 100, warn=False) == 100
