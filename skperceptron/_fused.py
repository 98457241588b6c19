"""Fused training-step operations: the compiled kernel when it applies, numpy otherwise.

Each function here does what its numpy formula (in its docstring) does, in place. When
the arrays are float32 or float64 of one dtype, of the shapes the formula has without
broadcasting, with rows contiguous in memory, the work goes to the one-pass kernel of
``_kernels.pyx``; otherwise (other dtypes, strided vectors, broadcasting shapes, a build
without the extension) the numpy formula runs. Scalars enter both as Python floats. Both
paths round identically, so which one ran never changes a result (tested in
``tests/test_kernels.py``).

``n_threads`` is the number of OpenMP threads a kernel may use; kernels never reduce
across elements, so results do not depend on it either.
"""

import numpy as np

from ._activations import ACTIVATIONS

try:
    from . import _kernels
except ImportError:  # pragma: no cover - a source tree that was never built
    _kernels = None

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_FORWARD_CODES = {} if _kernels is None else {"identity": _kernels.IDENTITY, "relu": _kernels.RELU}
_BACKWARD_CODES = {} if _kernels is None else {
    "identity": _kernels.IDENTITY,
    "relu": _kernels.RELU,
    "logistic": _kernels.LOGISTIC,
    "tanh": _kernels.TANH,
}

OPENMP = bool(_kernels is not None and _kernels.OPENMP)
"""Whether the compiled kernels can use more than one thread."""


def _vectors(*arrays):
    """True when all arrays are 1-D, C-contiguous, of one shape and of one float dtype
    the kernels are compiled for. (Plain loops: these checks run several times per
    minibatch, and a generator inside ``all`` cost more than the check.)"""
    if _kernels is None:
        return False
    first = arrays[0]
    dtype, shape = first.dtype, first.shape
    if dtype not in _FLOATS:
        return False
    for a in arrays:
        if a.dtype != dtype or a.ndim != 1 or a.shape != shape or not a.flags.c_contiguous:
            return False
    return True


def _matrices(*arrays):
    """True when all arrays are 2-D numpy arrays of one float dtype the kernels are
    compiled for (any strides: the kernels take those)."""
    if _kernels is None:
        return False
    dtype = arrays[0].dtype
    if dtype not in _FLOATS:
        return False
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != 2:
            return False
    return True


def _with_l2(grad, theta, l2, n_l2):
    """``grad`` plus an L2 term left to the step, ``l2 * theta[:n_l2]``, as a new array:
    the objective's own :func:`axpy`, which the kernels apply inside their pass."""
    if not l2:
        return grad
    grad = grad.copy()
    axpy(l2, theta[:n_l2], grad[:n_l2])
    return grad


# Adam's four arrays and its scalars, as the compiled kernel takes them.
def adam_update(theta, grad, m, v, lr, beta_1, beta_2, epsilon, n_decay=0, decay=1.0,
                n_threads=1, l2=0.0, n_l2=0):
    """One Adam(W) step in place (``grad`` is left as it is)::

        g = grad + [l2 * theta[:n_l2], 0...]   # an L2 term left to the step, if any
        theta[:n_decay] *= decay
        m *= beta_1;  m += (1 - beta_1) * g
        v *= beta_2;  v += (1 - beta_2) * (g * g)
        theta += -lr * (m / (sqrt(v) + epsilon))
    """
    # Python floats: a numpy float64 scalar would make numpy's formula compute a
    # float32 step in float64 (NEP 50), where the kernel rounds the scalar first.
    lr, beta_1, beta_2, epsilon, decay, l2 = map(float, (lr, beta_1, beta_2, epsilon, decay, l2))
    if _vectors(theta, grad, m, v):
        _kernels.adam_update(theta, grad, m, v, lr, beta_1, beta_2, epsilon,
                             n_decay, decay, n_threads, l2, n_l2)
        return
    grad = _with_l2(grad, theta, l2, n_l2)
    if decay != 1.0:
        theta[:n_decay] *= decay
    m *= beta_1
    m += (1.0 - beta_1) * grad
    v *= beta_2
    v += (1.0 - beta_2) * (grad * grad)
    theta += -lr * (m / (np.sqrt(v) + epsilon))


# SGD's three arrays and its scalars, as the compiled kernel takes them.
def sgd_update(theta, grad, velocity, lr, momentum, nesterov, n_decay=0, decay=1.0,
               n_threads=1, l2=0.0, n_l2=0):
    """One SGD step with (Nesterov) momentum in place (``grad`` is left as it is)::

        g = grad + [l2 * theta[:n_l2], 0...]   # an L2 term left to the step, if any
        theta[:n_decay] *= decay
        velocity *= momentum;  velocity += -lr * g
        nesterov:  theta += -lr * g;  theta += momentum * velocity
        otherwise: theta += velocity
    """
    lr, momentum, decay, l2 = map(float, (lr, momentum, decay, l2))  # as adam_update
    if _vectors(theta, grad, velocity):
        _kernels.sgd_update(theta, grad, velocity, lr, momentum, bool(nesterov),
                            n_decay, decay, n_threads, l2, n_l2)
        return
    grad = _with_l2(grad, theta, l2, n_l2)
    if decay != 1.0:
        theta[:n_decay] *= decay
    velocity *= momentum
    velocity += -lr * grad
    if nesterov:
        theta += -lr * grad
        theta += momentum * velocity
    else:
        theta += velocity


def axpy(a, x, y):
    """``y += a * x`` in place (``x``, ``y`` 1-D of one length), in one pass.

    The gradient's L2 term. It replaced scipy's BLAS ``axpy``: that call goes to
    SciPy's own OpenBLAS, a second thread pool beside numpy's, and with two BLAS threads
    the two pools spun against each other (an objective evaluation 6x slower on two
    cores, ``notes/mlp.md``)."""
    a = float(a)  # as adam_update
    if _vectors(y, x):
        _kernels.axpy(a, x, y)
        return
    y += a * x


def bias_activation(Z, b, activation):
    """``Z += b`` then the hidden activation named ``activation`` applied in place."""
    code = _FORWARD_CODES.get(activation)
    if code is not None and _matrices(Z) and b.dtype == Z.dtype \
            and b.shape == (Z.shape[1],) and b.flags.c_contiguous:
        _kernels.bias_activation(Z, b, code)
        return
    Z += b
    ACTIVATIONS[activation].forward(Z)


def activation_backward(A, delta, activation):
    """``delta *= f'(Z)`` in place, from the output ``A = f(Z)`` (or ``Z`` for the
    activations that need it), as ``ACTIVATIONS[activation].backward``."""
    code = _BACKWARD_CODES.get(activation)
    if code is not None and _matrices(A, delta) and A.shape == delta.shape:
        _kernels.activation_backward(A, delta, code)
        return
    ACTIVATIONS[activation].backward(A, delta)


def outer_backward(d, w, A, out, activation):
    """``out[...] = d[:, None] * w`` then ``out *= f'(Z)`` from ``A``, as
    :func:`activation_backward`.

    The delta below a one-unit layer: ``delta @ W.T`` with an inner dimension of one is
    this outer product (bitwise ``np.multiply``'s; equal to the ``matmul`` in value,
    whose sum from +0 can turn a -0 product into +0), and numpy's ``matmul`` runs it in
    a loop without BLAS, several times slower than one elementwise pass.
    """
    code = _BACKWARD_CODES.get(activation)
    if (code is not None and _vectors(d) and _vectors(w) and _matrices(A, out)
            and d.dtype == w.dtype == out.dtype
            and A.shape == out.shape == (d.shape[0], w.shape[0])):
        _kernels.outer_backward(d, w, A, out, code)
        return
    np.multiply(d[:, None], w, out=out)
    activation_backward(A, out, activation)


def take_rows(X, rows, out):
    """``np.take(X, rows, axis=0, out=out[:len(rows)], mode="clip")``, returned.

    The minibatch gather; the kernel prefetches the rows ahead of the one it copies."""
    out = out[: len(rows)]
    if (_matrices(X, out) and X.flags.c_contiguous and out.flags.c_contiguous
            and rows.dtype == np.int64 and rows.ndim == 1 and rows.flags.c_contiguous):
        _kernels.take_rows(X, rows, out)
        return out
    # mode="clip" (the rows are valid by construction): with the default "raise",
    # numpy gathers into a temporary and copies it into ``out``.
    return np.take(X, rows, axis=0, out=out, mode="clip")


def subtract_row_max(Z, out):
    """``z_max = Z.max(axis=1, keepdims=True)``, ``out[...] = Z - z_max``; returns z_max.

    The shift of a softmax; the kernel does both in one pass, bitwise numpy's ``out``
    except where a row's maximum is a zero: the kernel's may carry the other sign than
    ``np.max``'s, and ``-0.0`` entries of such a row then come out ``+0.0`` (their
    exponential is 1 either way; see ``_kernels.subtract_row_max``)."""
    if _matrices(Z, out) and Z.shape == out.shape and Z.shape[1] > 0:
        z_max = np.empty((Z.shape[0], 1), Z.dtype)
        _kernels.subtract_row_max(Z, out, z_max[:, 0])
        return z_max
    z_max = Z.max(axis=1, keepdims=True)
    np.subtract(Z, z_max, out=out)
    return z_max
