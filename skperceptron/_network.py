"""The network on one flat parameter vector: geometry, forward pass, loss and backprop.

Layout of ``theta``: every layer's weight matrix (row-major, layer by layer), then every
layer's intercept. All weights therefore form one contiguous prefix, so the L2 penalty is
a single dot product and a single in-place update, and L-BFGS works on ``theta``
directly. Per-layer ``coefs``/``intercepts`` are views into it.

This module knows nothing of estimators or solvers.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS
from ._losses import INVERSE_LINKS, LOSSES


def n_params(layer_units):
    """Number of entries of theta for the given layer sizes."""
    fan = list(zip(layer_units[:-1], layer_units[1:]))
    return sum(i * o for i, o in fan) + sum(o for _, o in fan)


def n_coef_params(layer_units):
    """Number of weight entries (the L2-penalised prefix of theta)."""
    return sum(i * o for i, o in zip(layer_units[:-1], layer_units[1:]))


def unpack(theta, layer_units):
    """Per-layer ``(coefs, intercepts)`` as views into ``theta``."""
    coefs, intercepts = [], []
    start = 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        end = start + fan_in * fan_out
        coefs.append(theta[start:end].reshape(fan_in, fan_out))
        start = end
    for fan_out in layer_units[1:]:
        intercepts.append(theta[start : start + fan_out])
        start += fan_out
    return coefs, intercepts


def pack(coefs, intercepts, dtype=None):
    """A new flat theta from per-layer arrays (the inverse of :func:`unpack`)."""
    return np.concatenate(
        [np.ravel(c) for c in coefs] + [np.ravel(b) for b in intercepts]
    ).astype(dtype or coefs[0].dtype, copy=False)


def glorot_uniform(layer_units, activation, random_state, dtype):
    """Glorot-uniform initial theta, drawing in scikit-learn's order.

    scikit-learn draws, layer by layer, the weight matrix then the intercept from
    ``U(-b, b)`` with ``b = sqrt(factor / (fan_in + fan_out))`` (factor 2 for logistic,
    6 otherwise). Drawing in the same order from the same ``RandomState`` gives the same
    initial network as ``sklearn.neural_network`` for the same ``random_state``.
    """
    factor = 2.0 if activation == "logistic" else 6.0
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:]):
        bound = np.sqrt(factor / (fan_in + fan_out))
        coefs.append(random_state.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(random_state.uniform(-bound, bound, fan_out))
    return pack(coefs, intercepts, dtype)


def _dot_into(A, W, out):
    """``out[...] = A @ W`` without a temporary when ``A`` is dense."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


def _forward(coefs, intercepts, hidden_forward, X, buffers):
    """Fill ``buffers[i]`` with layer ``i + 1``'s output; the last one stays raw."""
    A = X
    last = len(coefs) - 1
    for i, (W, b, Z) in enumerate(zip(coefs, intercepts, buffers)):
        _dot_into(A, W, Z)
        Z += b
        if i != last:
            hidden_forward(Z)
        A = Z
    return A


class Objective:
    """Loss and gradient of one network as a function of the flat vector theta.

    Buffers for every layer's activations and deltas are allocated once for at most
    ``max_rows`` rows; each call works on their first ``n_samples`` rows, so a
    minibatch loop allocates nothing but a few per-sample loss scalars.

    Parameters
    ----------
    layer_units : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activation : str
        Key of :data:`~skperceptron._activations.ACTIVATIONS` for hidden layers.
    loss : str
        Key of :data:`~skperceptron._losses.LOSSES`.
    alpha : float
        L2 strength; the penalty ``alpha / 2 * ||W||^2`` is divided by the sum of
        sample weights, as in scikit-learn.
    dtype : numpy dtype
        float32 or float64; theta, X and Y must share it.
    max_rows : int
        The largest number of rows a call will see.
    """

    def __init__(self, layer_units, activation, loss, alpha, dtype, max_rows):
        self.layer_units = list(layer_units)
        self.hidden = ACTIVATIONS[activation]
        self.loss = LOSSES[loss]
        self.alpha = float(alpha)
        self.dtype = np.dtype(dtype)
        self._n_coef = n_coef_params(self.layer_units)
        widths = self.layer_units[1:]
        self._acts = [np.empty((max_rows, w), dtype=self.dtype) for w in widths]
        self._deltas = [np.empty((max_rows, w), dtype=self.dtype) for w in widths]
        self._grad = np.empty(n_params(self.layer_units), dtype=self.dtype)
        self._grad_coefs, self._grad_intercepts = unpack(self._grad, self.layer_units)
        self._scratch = np.empty(self._n_coef, dtype=self.dtype)

    def value_and_grad(self, theta, X, Y, sample_weight=None):
        """Mean loss plus L2 penalty at ``theta``, and its gradient.

        Returns
        -------
        value : float
        grad : ndarray of shape (n_params,)
            A buffer owned by this object, overwritten by the next call.
        """
        n = X.shape[0]
        sw_sum = float(n) if sample_weight is None else float(sample_weight.sum())
        coefs, intercepts = unpack(theta, self.layer_units)
        acts = [a[:n] for a in self._acts]
        out = _forward(coefs, intercepts, self.hidden.forward, X, acts)

        delta = self._deltas[-1][:n]
        value = self.loss.value_and_delta(Y, out, sample_weight, sw_sum, delta)

        inputs = [X] + acts[:-1]
        for i in range(len(coefs) - 1, -1, -1):
            A_in = inputs[i]
            if sp.issparse(A_in):
                self._grad_coefs[i][...] = A_in.T @ delta
            else:
                np.matmul(A_in.T, delta, out=self._grad_coefs[i])
            np.sum(delta, axis=0, out=self._grad_intercepts[i])
            if i > 0:
                prev = self._deltas[i - 1][:n]
                np.matmul(delta, coefs[i].T, out=prev)
                self.hidden.backward(A_in, prev)
                delta = prev

        if self.alpha:
            w = theta[: self._n_coef]
            value += 0.5 * self.alpha * float(np.dot(w, w)) / sw_sum
            np.multiply(w, self.alpha / sw_sum, out=self._scratch)
            self._grad[: self._n_coef] += self._scratch
        return value, self._grad


def chunk_rows(layer_units, itemsize, budget_bytes):
    """Rows per chunk so that all layer buffers of one chunk fit ``budget_bytes``."""
    per_row = itemsize * max(1, sum(layer_units[1:]))
    return max(1, int(budget_bytes // per_row))


def predict_output(coefs, intercepts, activation, out_activation, X, rows_per_chunk):
    """Network output (after the output link) computed in row chunks.

    Only one chunk's activations are alive at a time, so the extra memory is bounded by
    the chunk size, not by ``n_samples``.
    """
    n = X.shape[0]
    dtype = np.result_type(X.dtype, coefs[0].dtype)
    rows = min(n, rows_per_chunk) or 1
    buffers = [np.empty((rows, W.shape[1]), dtype=dtype) for W in coefs]
    out = np.empty((n, coefs[-1].shape[1]), dtype=dtype)
    hidden_forward = ACTIVATIONS[activation].forward
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        bufs = [b[: stop - start] for b in buffers]
        out[start:stop] = _forward(coefs, intercepts, hidden_forward, X[start:stop], bufs)
    INVERSE_LINKS[out_activation](out)
    return out
