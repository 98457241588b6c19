"""Hidden-layer activations, keyed by the public option string.

Each entry holds the activation applied in place to the pre-activation ``Z`` and its
derivative. Where ``f'`` can be written from the layer *output* ``A = f(Z)`` (identity,
logistic, tanh, relu, leaky_relu, elu, softplus), backprop needs nothing but ``A``: no
forward value is recomputed and no pre-activation is kept. GELU and SiLU are not
invertible from their output, so their entries set ``needs_input`` and receive the
pre-activation, which the network then keeps for those layers only.

Each entry also has a functional body for arrays of any Array API namespace
(``array_forward(ops, Z) -> A``, ``array_backward(ops, A_or_Z, delta) -> delta``, with
``ops`` a :class:`~skperceptron._backend.ArrayBackend`): same formulas, new arrays
instead of in-place updates. The numpy path never calls them.

Adding an activation is one entry here; the estimators' ``_parameter_constraints`` are
built from this table's keys.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.special import erf, expit

LEAKY_RELU_SLOPE = 0.01
_SQRT_2 = np.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class Activation(NamedTuple):
    forward: Callable[[np.ndarray], None]
    """``forward(Z)`` overwrites ``Z`` with ``f(Z)``."""
    backward: Callable[[np.ndarray, np.ndarray], None]
    """``backward(A_or_Z, delta)`` multiplies ``delta`` in place by ``f'(Z)``; it gets
    the output ``A = f(Z)``, or ``Z`` itself when ``needs_input`` is set."""
    needs_input: bool = False
    array_forward: Callable | None = None
    """``array_forward(ops, Z)`` returns ``f(Z)`` (any Array API namespace)."""
    array_backward: Callable | None = None
    """``array_backward(ops, A_or_Z, delta)`` returns ``delta * f'(Z)``."""


def _identity(Z):
    pass


def _identity_backward(A, delta):
    pass


def _logistic(Z):
    expit(Z, out=Z)


def _logistic_backward(A, delta):
    # f' = A (1 - A)
    delta *= A
    delta -= delta * A


def _tanh(Z):
    np.tanh(Z, out=Z)


def _tanh_backward(A, delta):
    # f' = 1 - A^2
    delta -= delta * A * A


def _relu(Z):
    np.maximum(Z, Z.dtype.type(0), out=Z)  # a typed zero skips a casting loop


def _relu_backward(A, delta):
    # f' = 1 where the unit is active; A > 0 exactly there.
    np.multiply(delta, A > 0, out=delta)


def _leaky_relu(Z):
    np.multiply(Z, np.where(Z > 0, 1.0, LEAKY_RELU_SLOPE).astype(Z.dtype), out=Z)


def _leaky_relu_backward(A, delta):
    # The sign of A is the sign of Z.
    delta *= np.where(A > 0, 1.0, LEAKY_RELU_SLOPE).astype(delta.dtype)


def _elu(Z):
    # alpha = 1: z for z > 0, exp(z) - 1 otherwise.
    negative = Z <= 0
    Z[negative] = np.expm1(Z[negative])


def _elu_backward(A, delta):
    # f' = 1 for A > 0, exp(z) = A + 1 otherwise.
    delta *= np.where(A > 0, 1.0, A + 1.0).astype(delta.dtype)


def _softplus(Z):
    np.logaddexp(0, Z, out=Z)


def _softplus_backward(A, delta):
    # f' = sigmoid(z) = 1 - exp(-A).
    delta *= -np.expm1(-A)


def _gelu(Z):
    # Exact GELU: z * Phi(z).
    Z *= 0.5 * (1.0 + erf(Z / _SQRT_2))


def _gelu_backward(Z, delta):
    # f' = Phi(z) + z phi(z)
    delta *= 0.5 * (1.0 + erf(Z / _SQRT_2)) + Z * _INV_SQRT_2PI * np.exp(-0.5 * Z * Z)


def _silu(Z):
    Z *= expit(Z)


def _silu_backward(Z, delta):
    # f' = s (1 + z (1 - s)) with s = sigmoid(z)
    s = expit(Z)
    delta *= s * (1.0 + Z * (1.0 - s))


# ------------------------------------------- Array API bodies (functional)
def _expit_array(xp, Z):
    # 1 / (1 + e^-z): exp overflows to inf for very negative z, which gives 0 exactly.
    return 1.0 / (1.0 + xp.exp(-Z))


def _identity_array(ops, Z):
    return Z


def _identity_backward_array(ops, A, delta):
    return delta


def _logistic_array(ops, Z):
    return _expit_array(ops.xp, Z)


def _logistic_backward_array(ops, A, delta):
    return delta * A - delta * A * A


def _tanh_array(ops, Z):
    return ops.xp.tanh(Z)


def _tanh_backward_array(ops, A, delta):
    return delta - delta * A * A


def _relu_array(ops, Z):
    # NaN propagates, as in np.maximum (NaN <= 0 is false).
    return ops.xp.where(Z <= 0, ops.xp.zeros_like(Z), Z)


def _relu_backward_array(ops, A, delta):
    # A product, as numpy's, so that a NaN or inf delta stays visible.
    return delta * ops.xp.astype(A > 0, delta.dtype)


def _leaky_relu_array(ops, Z):
    return ops.xp.where(Z > 0, Z, Z * LEAKY_RELU_SLOPE)


def _leaky_relu_backward_array(ops, A, delta):
    return ops.xp.where(A > 0, delta, delta * LEAKY_RELU_SLOPE)


def _elu_array(ops, Z):
    return ops.xp.where(Z > 0, Z, ops.xp.expm1(ops.xp.where(Z > 0, ops.xp.zeros_like(Z), Z)))


def _elu_backward_array(ops, A, delta):
    return ops.xp.where(A > 0, delta, delta * (A + 1.0))


def _softplus_array(ops, Z):
    return ops.xp.logaddexp(ops.xp.zeros_like(Z), Z)


def _softplus_backward_array(ops, A, delta):
    return delta * -ops.xp.expm1(-A)


def _gelu_array(ops, Z):
    return Z * (0.5 * (1.0 + ops.erf(Z / float(_SQRT_2))))


def _gelu_backward_array(ops, Z, delta):
    cdf = 0.5 * (1.0 + ops.erf(Z / float(_SQRT_2)))
    return delta * (cdf + Z * float(_INV_SQRT_2PI) * ops.xp.exp(-0.5 * Z * Z))


def _silu_array(ops, Z):
    return Z * _expit_array(ops.xp, Z)


def _silu_backward_array(ops, Z, delta):
    s = _expit_array(ops.xp, Z)
    return delta * (s * (1.0 + Z * (1.0 - s)))


def _entry(name, needs_input=False):
    """The table entry of ``name`` from the functions named after it."""
    g = globals()
    return Activation(
        g[f"_{name}"], g[f"_{name}_backward"], needs_input,
        g[f"_{name}_array"], g[f"_{name}_backward_array"],
    )


ACTIVATIONS = {
    name: _entry(name, needs_input=name in ("gelu", "silu"))
    for name in (
        "identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu",
        "silu",
    )
}
