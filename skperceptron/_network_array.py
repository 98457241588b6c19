"""The network on one flat parameter vector, for arrays of any Array API namespace.

The same objective as :class:`~skperceptron._network.Objective` (same layout of theta,
same loss, penalty and inverted dropout), written with the standard's functions only and
no preallocated buffers: each call builds its arrays, which on a GPU is what the
library's allocator is made for. The numpy path keeps its buffer-reusing objective; the
estimator picks one of the two once per call.

Values are returned as 0-d arrays of the namespace, so a minibatch loop queues work on
the device without waiting for it; callers convert to ``float`` once per epoch.
"""

from ._activations import ACTIVATIONS
from ._losses import ARRAY_INVERSE_LINKS, LOSSES
from ._network import n_coef_params, rows_within_budget


def unpack(xp, theta, layer_units):
    """Per-layer ``(coefs, intercepts)`` of a flat ``theta`` of namespace ``xp``."""
    coefs, intercepts = [], []
    start = 0
    for fan_in, fan_out in zip(layer_units[:-1], layer_units[1:], strict=True):
        end = start + fan_in * fan_out
        coefs.append(xp.reshape(theta[start:end], (fan_in, fan_out)))
        start = end
    for fan_out in layer_units[1:]:
        intercepts.append(theta[start : start + fan_out])
        start += fan_out
    return coefs, intercepts


def pack(xp, coefs, intercepts):
    """A new flat theta from per-layer arrays (the inverse of :func:`unpack`)."""
    return xp.concat([xp.reshape(a, (-1,)) for a in [*coefs, *intercepts]])


class ArrayObjective:
    """Loss and gradient of one network as a function of the flat vector theta.

    Parameters
    ----------
    layer_units, activations, loss, alpha
        As for :class:`~skperceptron._network.Objective`.
    ops : ArrayBackend
        The namespace and device of theta, X and Y.
    dropout : list of float, default=None
        Inverted-dropout rate of each hidden layer's output during training.
    rng : numpy.random.Generator, default=None
        Source of the dropout masks, drawn on the host as the numpy path draws them
        (same generator, shapes and order) and moved to the device. One exception: a
        minibatch whose weights all are zero draws masks here and none on numpy (which
        skips it without a pass), so the two paths part from there.
    loss_params : dict, default=None
        The loss's own hyperparameters.
    block_rows : int, default=None
        Rows per block of a call with more rows (full-batch L-BFGS, validation). The
        estimator passes the numpy objective's blocks, so that dropout masks are drawn
        in the same order; by default 16 MiB of float32 activations, at least 256.
    """

    # Nine parameters: the five of the function plus the four optional training extras.
    def __init__(
        self, layer_units, activations, loss, alpha, ops, *,
        dropout=None, rng=None, loss_params=None, block_rows=None,
    ):
        self.layer_units = list(layer_units)
        self.activations = [ACTIVATIONS[a] for a in activations]
        self.loss = LOSSES[loss]
        self.loss_params = dict(loss_params or {})
        self.alpha = float(alpha)
        self.ops = ops
        self.dropout = list(dropout) if dropout is not None else [0.0] * len(activations)
        self.rng = rng
        self.block_rows = block_rows or rows_within_budget(self.layer_units, 4, 16 * 2**20, 256)
        self._n_coef = n_coef_params(self.layer_units)

    def is_finite(self, theta):
        return self.ops.all_finite(theta)

    def _sw_sum(self, n, sample_weight):
        """The weights' sum as a 0-d array; ``inf`` when all weights are zero, which
        makes the value and the gradient of such a minibatch zero without a host check."""
        if sample_weight is None:
            return float(n)
        xp = self.ops.xp
        total = xp.sum(sample_weight)
        return xp.where(total > 0, total, xp.full_like(total, float("inf")))

    def _mask(self, i, A):
        """Layer ``i``'s inverted-dropout factors (0 or ``1 / (1 - p)``), or None."""
        p = self.dropout[i]
        if p == 0:
            return None
        host = self.rng.random(tuple(A.shape), dtype=self.ops.numpy_dtype(A.dtype)) >= p
        return self.ops.xp.astype(self.ops.asarray(host), A.dtype) * (1.0 / (1.0 - p))

    def _forward(self, coefs, intercepts, X, train):
        """Inputs of each layer, pre-activations (or outputs), masks, and the raw output."""
        A, inputs, sources, masks = X, [X], [], []
        for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            Z = A @ W + b
            if i == len(coefs) - 1:
                return inputs, sources, masks, Z
            A = self.activations[i].array_forward(self.ops, Z)
            sources.append(Z if self.activations[i].needs_input else A)
            mask = self._mask(i, A) if train else None
            masks.append(mask)
            if mask is not None:
                A = A * mask
            inputs.append(A)

    def _block(self, coefs, intercepts, X, Y, sample_weight, sw_sum):
        """One block's share of the mean loss and of the gradient (per-layer lists)."""
        xp = self.ops.xp
        inputs, sources, masks, out = self._forward(coefs, intercepts, X, train=True)
        value, delta = self.loss.array_value_and_delta(
            self.ops, Y, out, sample_weight, sw_sum, **self.loss_params
        )
        grad_coefs, grad_intercepts = [None] * len(coefs), [None] * len(coefs)
        for i in range(len(coefs) - 1, -1, -1):
            grad_coefs[i] = xp.matrix_transpose(inputs[i]) @ delta
            grad_intercepts[i] = xp.sum(delta, axis=0)
            if i > 0:
                prev = delta @ xp.matrix_transpose(coefs[i])
                if masks[i - 1] is not None:
                    prev = prev * masks[i - 1]
                delta = self.activations[i - 1].array_backward(self.ops, sources[i - 1], prev)
        return value, grad_coefs, grad_intercepts

    def value_and_grad(self, theta, X, Y, sample_weight=None):
        """Mean loss plus L2 penalty at ``theta`` (a 0-d array), and its gradient (a new
        flat array)."""
        xp = self.ops.xp
        coefs, intercepts = unpack(xp, theta, self.layer_units)
        n = X.shape[0]
        sw_sum = self._sw_sum(n, sample_weight)
        value, grad_coefs, grad_intercepts = 0.0, None, None
        for start in range(0, n, self.block_rows):
            rows = slice(start, min(start + self.block_rows, n))
            sw = None if sample_weight is None else sample_weight[rows]
            v, gc, gi = self._block(coefs, intercepts, X[rows, ...], Y[rows, ...], sw, sw_sum)
            value = value + v
            if grad_coefs is None:
                grad_coefs, grad_intercepts = gc, gi
            else:
                grad_coefs = [a + b for a, b in zip(grad_coefs, gc, strict=True)]
                grad_intercepts = [a + b for a, b in zip(grad_intercepts, gi, strict=True)]
        if self.alpha:
            w = theta[: self._n_coef]
            value = value + 0.5 * self.alpha * xp.vecdot(w, w) / sw_sum
            grad_coefs = [g + (self.alpha / sw_sum) * W for g, W in zip(grad_coefs, coefs,
                                                                        strict=True)]
        return value, pack(xp, grad_coefs, grad_intercepts)

    def value(self, theta, X, Y, sample_weight=None):
        """Mean data loss (no penalty, no dropout), a 0-d array."""
        coefs, intercepts = unpack(self.ops.xp, theta, self.layer_units)
        n = X.shape[0]
        sw_sum = self._sw_sum(n, sample_weight)
        total = 0.0
        for start in range(0, n, self.block_rows):
            rows = slice(start, min(start + self.block_rows, n))
            sw = None if sample_weight is None else sample_weight[rows]
            _, _, _, out = self._forward(coefs, intercepts, X[rows, ...], train=False)
            v, _ = self.loss.array_value_and_delta(
                self.ops, Y[rows, ...], out, sw, sw_sum, **self.loss_params
            )
            total = total + v
        return total


def forward_in_chunks(ops, coefs, intercepts, activations, final, X, rows_per_chunk):
    """The network's output on ``X`` (no dropout), in row chunks of ``rows_per_chunk``.

    ``final`` is an output-activation name of ``_losses.ARRAY_INVERSE_LINKS`` or a
    callable ``final(ops, Z)``. The chunks' outputs are joined into one array.
    """
    xp = ops.xp
    link = ARRAY_INVERSE_LINKS[final] if isinstance(final, str) else final
    names = activations[: len(coefs) - 1]
    n = X.shape[0]
    rows = max(1, min(n, rows_per_chunk))
    outputs = []
    for start in range(0, max(n, 1), rows):
        A = X[start : start + rows, ...]
        for i, (W, b) in enumerate(zip(coefs, intercepts, strict=True)):
            A = A @ W + b
            if i < len(coefs) - 1:
                A = ACTIVATIONS[names[i]].array_forward(ops, A)
        outputs.append(link(ops, A))
    return outputs[0] if len(outputs) == 1 else xp.concat(outputs, axis=0)



def on_host(objective):
    """``objective.value_and_grad`` for a solver that keeps theta on the host (scipy's
    L-BFGS): theta goes to the device for each evaluation, the value (a float) and the
    gradient (a numpy array) come back."""
    ops = objective.ops

    def value_and_grad(theta, X, Y, sample_weight=None):
        value, grad = objective.value_and_grad(ops.asarray(theta), X, Y, sample_weight)
        return float(value), ops.to_host(grad)

    return value_and_grad
