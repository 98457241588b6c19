"""The network on one flat parameter vector: geometry, forward pass, loss and backprop.

Layout of ``theta``: every layer's weight matrix (row-major, layer by layer), then every
layer's intercept. All weights therefore form one contiguous prefix, so the L2 penalty
and decoupled weight decay are single whole-array operations, and L-BFGS works on
``theta`` directly. Per-layer ``coefs``/``intercepts`` are views into it.

Initial weights are drawn in ``_initialization``. This module knows nothing of
estimators or solvers.
"""

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from . import _fused
from ._activations import ACTIVATIONS
from ._losses import INVERSE_LINKS, LOSSES


def n_params(layer_units):
    """Number of entries of theta for the given layer sizes."""
    fan = list(zip(layer_units[:-1], layer_units[1:], strict=True))
    return sum(i * o for i, o in fan) + sum(o for _, o in fan)


def n_coef_params(layer_units):
    """Number of weight entries (the penalised prefix of theta)."""
    return sum(i * o for i, o in zip(layer_units[:-1], layer_units[1:], strict=True))


def unpack(theta, layer_units):
    """Per-layer ``(coefs, intercepts)`` as views into ``theta``."""
    coefs, intercepts = [], []
    start = 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
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


# ------------------------------------------------------------------- forward
# Budget of one block's activation buffers in the objective (see Objective.block_rows).
BLOCK_BYTES = 2 * 2**20


def objective_block_rows(layer_units, dtype):
    """Rows per block of the objective: BLOCK_BYTES of activations, at least 256."""
    return rows_within_budget(layer_units, np.dtype(dtype).itemsize, BLOCK_BYTES, minimum=256)


def _dot_into(A, W, out):
    """``out[...] = A @ W`` without a temporary when ``A`` is dense."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)


class L2Term(NamedTuple):
    """The L2 term a gradient still lacks: ``grad[:n] += coef * theta[:n]``."""

    coef: float
    n: int


class Objective:
    """Loss and gradient of one network as a function of the flat vector theta.

    Buffers for every layer's activations and deltas are allocated once for at most
    ``max_rows`` rows; each call works on their first ``n_samples`` rows, so a
    minibatch loop allocates nothing but a few per-sample loss scalars.

    Parameters
    ----------
    layer_units : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activations : list of str
        Keys of :data:`~skperceptron._activations.ACTIVATIONS`, one per hidden layer.
    loss : str
        Key of :data:`~skperceptron._losses.LOSSES`.
    alpha : float
        L2 strength; the penalty ``alpha / 2 * ||W||^2`` is divided by the sum of
        sample weights, as in scikit-learn.
    dtype : numpy dtype
        float32 or float64; theta, X and Y must share it.
    max_rows : int
        The largest number of rows a call will see.
    dropout : list of float, default=None
        Inverted-dropout rate of each hidden layer's output during training. The
        masks are drawn from ``rng``.
    rng : numpy.random.Generator, default=None
        Source of the dropout masks.
    loss_params : dict, default=None
        The loss's own hyperparameters.
    block_rows : int, default=None
        Rows per block when a call has more rows than that; by default as many as fit
        ``BLOCK_BYTES`` of activations (at least 256).
    """

    # Ten parameters: six define the function (network, loss, penalty, dtype, buffer
    # size); the four keyword-only ones are optional training extras.
    def __init__(
        self,
        layer_units,
        activations,
        loss,
        alpha,
        dtype,
        max_rows,
        *,
        dropout=None,
        rng=None,
        loss_params=None,
        block_rows=None,
    ):
        self.layer_units = list(layer_units)
        # Names select the compiled kernels of ``_fused``; the table entries serve the
        # activations without one (and the pre-activation rule, ``needs_input``).
        self.activation_names = list(activations)
        self.activations = [ACTIVATIONS[a] for a in activations]
        self.loss = LOSSES[loss]
        self.loss_params = dict(loss_params or {})
        self.alpha = float(alpha)
        self.dtype = np.dtype(dtype)
        self.max_rows = max_rows
        # Rows per block: all layer buffers of a block within BLOCK_BYTES (a few MiB),
        # never fewer than a typical minibatch.
        if block_rows is None:
            block_rows = objective_block_rows(self.layer_units, self.dtype)
        self.block_rows = min(max_rows, block_rows)
        max_rows = self.block_rows
        self.dropout = list(dropout) if dropout is not None else [0.0] * len(activations)
        self.rng = rng
        self._n_coef = n_coef_params(self.layer_units)

        widths = self.layer_units[1:]
        empty = lambda w: np.empty((max_rows, w), dtype=self.dtype)  # noqa: E731
        self._acts = [empty(w) for w in widths]
        self._deltas = [empty(w) for w in widths]
        # One entry per hidden layer (widths[-1] is the output layer's). Pre-activations
        # are kept only for activations that need them (GELU, SiLU); dropped-out copies
        # only for layers with dropout.
        hidden = list(zip(widths[:-1], self.activations, self.dropout, strict=True))
        self._pre = [empty(w) if a.needs_input else None for w, a, _ in hidden]
        self._dropped = [empty(w) if p > 0 else None for w, _, p in hidden]
        self._masks = [np.empty((max_rows, w), dtype=bool) if p > 0 else None for w, _, p in hidden]
        # Intercept gradients as ones @ delta: a GEMV, faster than a column sum.
        self._ones = np.ones(max_rows, dtype=self.dtype)
        self._grad = np.empty(n_params(self.layer_units), dtype=self.dtype)
        self._block_grad = np.empty_like(self._grad) if self.block_rows < self.max_rows else None
        # Per-layer views are built once per array, not per call: a minibatch loop
        # passes the same theta every step and the gradients live in these buffers.
        self._grad_views = unpack(self._grad, self.layer_units)
        self._block_grad_views = (
            None if self._block_grad is None else unpack(self._block_grad, self.layer_units)
        )
        self._theta_views = (None, None)

    @staticmethod
    def is_finite(theta):
        """Whether every entry of ``theta`` is finite."""
        return bool(np.isfinite(theta).all())

    def _layers(self, theta):
        """``unpack(theta)``, remembered for the last theta seen."""
        if self._theta_views[0] is not theta:
            self._theta_views = (theta, unpack(theta, self.layer_units))
        return self._theta_views[1]

    def _forward(self, theta, X, n, train):
        """Run the layers; returns the inputs each layer saw and the raw output."""
        coefs, intercepts = self._layers(theta)
        hidden = self._hidden_train if train else self._hidden_eval
        out, inputs = forward(coefs, intercepts, X, self._acts, hidden)
        return coefs, inputs, out

    def _hidden_eval(self, i, Z, b):
        if self._pre[i] is None:
            # Bias and activation in one pass (the kernel rounds as the two numpy steps).
            _fused.bias_activation(Z, b, self.activation_names[i])
            return Z
        # GELU/SiLU keep the pre-activation, copied between the two steps.
        Z += b
        np.copyto(self._pre[i][: Z.shape[0]], Z)
        self.activations[i].forward(Z)
        return Z

    def _hidden_train(self, i, Z, b):
        A = self._hidden_eval(i, Z, b)
        return self._drop(i, A, Z.shape[0]) if self.dropout[i] > 0 else A

    def _drop(self, i, A, n):
        # Inverted dropout: zero a random fraction p of units, scale the rest by
        # 1 / (1 - p) so that expected activations match prediction time.
        p = self.dropout[i]
        mask = self._masks[i][:n]
        np.greater_equal(self.rng.random(A.shape, dtype=self.dtype), p, out=mask)
        out = self._dropped[i][:n]
        np.multiply(A, mask, out=out)
        out *= 1.0 / (1.0 - p)
        return out

    def value_and_grad(self, theta, X, Y, sample_weight=None):
        """Mean loss plus L2 penalty at ``theta``, and its gradient.

        More rows than the buffers hold (full-batch L-BFGS) are processed in blocks of
        ``block_rows`` whose gradients are summed: each block's activations then stay
        in cache between the products and the elementwise passes.

        Returns
        -------
        value : float
        grad : ndarray of shape (n_params,)
            A buffer owned by this object, overwritten by the next call.
        """
        value, grad, l2 = self.value_and_data_grad(theta, X, Y, sample_weight)
        if l2 is not None:
            _fused.axpy(l2.coef, theta[: l2.n], grad[: l2.n])
        return value, grad

    def value_and_data_grad(self, theta, X, Y, sample_weight=None):
        """:meth:`value_and_grad` with the penalty's gradient left out.

        The value includes the penalty. The gradient lacks the term ``l2`` describes
        (None without one), for an optimizer step that adds it in its own pass over
        theta (``_optimizers``, ``step(..., l2=l2)``): bitwise the same update, one
        pass over the parameters fewer.

        Returns
        -------
        value : float
        grad : ndarray of shape (n_params,)
            A buffer owned by this object, overwritten by the next call.
        l2 : L2Term or None
        """
        n = X.shape[0]
        sw_sum = float(n) if sample_weight is None else float(sample_weight.sum())
        if sw_sum == 0:
            # A minibatch whose samples all weigh zero carries no information.
            self._grad[:] = 0
            return 0.0, self._grad, None
        value = 0.0
        for start in range(0, n, self.block_rows):
            stop = min(start + self.block_rows, n)
            sw = None if sample_weight is None else sample_weight[start:stop]
            first = start == 0
            views = self._grad_views if first else self._block_grad_views
            value += self._block(theta, X[start:stop], Y[start:stop], sw, sw_sum, views)
            if not first:
                self._grad += self._block_grad
        if not self.alpha:
            return value, self._grad, None
        w = theta[: self._n_coef]
        value += 0.5 * self.alpha * float(np.dot(w, w)) / sw_sum
        return value, self._grad, L2Term(self.alpha / sw_sum, self._n_coef)

    def _block(self, theta, X, Y, sample_weight, sw_sum, grad_views):
        """Backprop over one block of rows: its share of the mean loss, and its share of
        the gradient written into ``grad_views`` (per-layer views of a gradient buffer;
        no penalty)."""
        n = X.shape[0]
        grad_coefs, grad_intercepts = grad_views
        coefs, inputs, out = self._forward(theta, X, n, train=True)

        delta = self._deltas[-1][:n]
        value = self.loss.value_and_delta(
            Y, out, sample_weight, sw_sum, delta, **self.loss_params
        )

        for i in range(len(coefs) - 1, -1, -1):
            A_in = inputs[i]
            if i == 0 and sp.issparse(A_in):  # only X can be sparse
                grad_coefs[i][...] = A_in.T @ delta
            else:
                np.matmul(A_in.T, delta, out=grad_coefs[i])
            np.matmul(self._ones[:n], delta, out=grad_intercepts[i])
            if i > 0:
                delta = self._delta_below(i, delta, coefs[i])
        return value

    def _delta_below(self, i, delta, W):
        """Hidden layer ``i - 1``'s delta: ``delta @ W.T``, its dropout mask, ``f'(Z)``."""
        n, j = delta.shape[0], i - 1
        prev = self._deltas[j][:n]
        one_unit = delta.shape[1] == 1
        if one_unit and self.dropout[j] == 0:
            # One unit (a binary or single-output head): the product is an outer
            # product, fused with f'(Z) (numpy's matmul has no BLAS path for it).
            _fused.outer_backward(delta[:, 0], W[:, 0], self._kept(j, n), prev,
                                  self.activation_names[j])
            return prev
        # A one-unit layer with dropout: the same outer product as a broadcast multiply.
        (np.multiply if one_unit else np.matmul)(delta, W.T, out=prev)
        if self.dropout[j] > 0:
            prev *= self._masks[j][:n]
            prev *= 1.0 / (1.0 - self.dropout[j])
        self._activation_backward(j, prev)
        return prev

    def _activation_backward(self, i, delta):
        """``delta *= f'(Z)`` for hidden layer ``i``, from what its activation kept."""
        _fused.activation_backward(self._kept(i, delta.shape[0]), delta, self.activation_names[i])

    def _kept(self, i, n):
        """What hidden layer ``i``'s derivative is computed from: its output, or ``Z``."""
        return self._acts[i][:n] if self._pre[i] is None else self._pre[i][:n]

    def value(self, theta, X, Y, sample_weight=None):
        """Mean data loss (no penalty, no dropout) over any number of rows, in blocks."""
        n = X.shape[0]
        sw_sum = float(n) if sample_weight is None else float(sample_weight.sum())
        if sw_sum == 0:
            return 0.0
        total = 0.0
        for start in range(0, n, self.block_rows):
            stop = min(start + self.block_rows, n)
            _, _, out = self._forward(theta, X[start:stop], stop - start, train=False)
            sw = None if sample_weight is None else sample_weight[start:stop]
            total += self.loss.value_and_delta(
                Y[start:stop], out, sw, sw_sum, self._deltas[-1][: stop - start],
                **self.loss_params,
            )
        return total


def rows_within_budget(layer_units, itemsize, budget_bytes, minimum=1):
    """Rows whose activation buffers (all layers of one row, ``itemsize`` bytes per
    entry) fit ``budget_bytes``; at least ``minimum``. The one rule for sizing the
    objective's blocks and prediction's chunks."""
    per_row = itemsize * max(1, sum(layer_units[1:]))
    return max(minimum, int(budget_bytes // per_row))


def forward(coefs, intercepts, X, buffers, hidden):
    """The layer loop, for training and prediction alike.

    Layer ``i`` writes ``A @ W_i`` into ``Z = buffers[i][:n]``; a hidden layer's output
    is ``hidden(i, Z, b_i)``, which adds the intercept and applies the activation in
    place (and in training dropout); the last layer adds its intercept. Returns the raw
    output of the last layer (no output link) and the list of the inputs each layer saw.
    """
    A, inputs = X, [X]
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
        Z = buffers[i][: X.shape[0]]
        if i == 0:
            _dot_into(A, W, Z)  # X: dense or sparse
        else:
            np.matmul(A, W, out=Z)
        if i == last:
            Z += b
            return Z, inputs
        A = hidden(i, Z, b)
        inputs.append(A)


def forward_in_chunks(coefs, intercepts, activations, final, X, rows_per_chunk):
    """Output of the layers in ``coefs`` computed in row chunks (no dropout).

    Hidden layers apply ``activations``; the last layer applies ``final`` in place:
    an output link from :data:`~skperceptron._losses.INVERSE_LINKS` given by name, or
    any in-place callable. Only one chunk's activations are alive at a time, so the
    extra memory is bounded by the chunk size, not by ``n_samples``.
    """
    n = X.shape[0]
    dtype = np.result_type(X.dtype, coefs[0].dtype)
    rows = min(n, rows_per_chunk) or 1
    buffers = [np.empty((rows, W.shape[1]), dtype=dtype) for W in coefs]
    out = np.empty((n, coefs[-1].shape[1]), dtype=dtype)
    names = list(activations[: len(coefs) - 1])

    def hidden(i, Z, b):
        _fused.bias_activation(Z, b, names[i])  # bias and activation in one pass
        return Z

    for start in range(0, n, rows):
        stop = min(start + rows, n)
        out[start:stop], _ = forward(coefs, intercepts, X[start:stop], buffers, hidden)
    (INVERSE_LINKS[final] if isinstance(final, str) else final)(out)
    return out
