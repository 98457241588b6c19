"""The minibatch source of the stochastic solvers: shuffle, gather, buffers.

Each epoch's order is drawn from ``(seed, epoch)`` alone, never from a generator that
carries state between epochs. That is what makes ``k`` one-epoch calls replay exactly
the epochs of one ``k``-epoch call: the estimator stores the seed and the epoch count,
nothing else.

Minibatches are gathered row by row into buffers of one batch: the copy is the same as
gathering the whole epoch, but it lands in cache right before the products read it
(measured 5x cheaper than an epoch-sized gather, see ``notes/mlp.md``).

Arrays of another Array API namespace (``ops``, an
:class:`~skperceptron._backend.ArrayBackend`) are gathered on their device: each epoch's
order is drawn on the host as above and moved once per epoch.
"""

import warnings

import numpy as np
import scipy.sparse as sp

from ._fused import take_rows


def batch_size(option, n_samples, warn=True):
    """Rows per minibatch for the ``batch_size`` option (``'auto'``: at most 200),
    clipped to ``n_samples`` with scikit-learn's warning."""
    if option == "auto":
        return min(200, n_samples)
    if warn and option > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going "
            "to be clipped"
        )
    return int(np.clip(option, 1, n_samples))


def gather(X, rows, out):
    """``X[rows]``, written into the first ``len(rows)`` rows of ``out`` when dense."""
    if sp.issparse(X):
        return X[rows]
    return take_rows(X, rows, out)


class Minibatches:
    """The minibatches of one data set, epoch by epoch.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
        Rows per minibatch (the last one of an epoch may be shorter).
    shuffle : bool
        Whether each epoch visits the rows in a fresh random order.
    seed : int
        Seeds each epoch's order as ``(seed, epoch)``.
    ops : ArrayBackend, default=None
        The namespace and device of ``X``, ``Y`` and ``sample_weight`` when they are not
        numpy arrays.
    """

    def __init__(self, X, Y, sample_weight, batch_size, *, shuffle, seed, ops=None):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n_samples = X.shape[0]
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.ops = ops
        dense = ops is None and not sp.issparse(X)
        self._X_buf = np.empty((self.batch_size, X.shape[1]), X.dtype) if dense else None
        host = ops is None
        self._Y_buf = np.empty((self.batch_size, Y.shape[1]), Y.dtype) if host else None

    def __len__(self):
        """Minibatches per epoch."""
        return -(-self.n_samples // self.batch_size)

    def epoch(self, epoch):
        """Yield ``(X_b, Y_b, sw_b)`` for epoch number ``epoch`` (counted since the model
        was first fitted). Dense batches are views into buffers reused by the next batch."""
        n, sw = self.n_samples, self.sample_weight
        order = np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else None
        if self.ops is not None:
            yield from self._device_epoch(order)
            return
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None:
                yield self.X[start:stop], self.Y[start:stop], None if sw is None else sw[start:stop]
            else:
                rows = order[start:stop]
                yield (
                    gather(self.X, rows, self._X_buf),
                    gather(self.Y, rows, self._Y_buf),
                    None if sw is None else sw[rows],
                )

    def _device_epoch(self, order):
        """The minibatches of one epoch, gathered on the arrays' device."""
        ops, n, sw = self.ops, self.n_samples, self.sample_weight
        order = None if order is None else ops.asarray(order)
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None:
                rows = slice(start, stop)
                yield self.X[rows, ...], self.Y[rows, ...], None if sw is None else sw[rows]
            else:
                rows = order[start:stop]
                yield (
                    ops.take_rows(self.X, rows),
                    ops.take_rows(self.Y, rows),
                    None if sw is None else ops.take_rows(sw, rows),
                )
