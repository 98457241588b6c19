"""Hidden-layer activations, keyed by the public option string.

Each entry holds the activation applied in place to the pre-activation ``Z`` and its
derivative written from the layer *output* ``A = f(Z)``: backprop multiplies the
incoming delta by ``f'(Z)`` expressed through ``A``, so no forward value is recomputed
and no pre-activation is kept. Adding an activation is one entry here; the estimators'
``_parameter_constraints`` are built from this table's keys.
"""

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit


class Activation(NamedTuple):
    forward: Callable[[np.ndarray], None]
    """``forward(Z)`` overwrites ``Z`` with ``f(Z)``."""
    backward: Callable[[np.ndarray, np.ndarray], None]
    """``backward(A, delta)`` multiplies ``delta`` in place by ``f'(Z)`` given ``A = f(Z)``."""


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
    np.maximum(Z, 0, out=Z)


def _relu_backward(A, delta):
    # f' = 1 where the unit is active; A > 0 exactly there.
    np.multiply(delta, A > 0, out=delta)


ACTIVATIONS = {
    "identity": Activation(_identity, _identity_backward),
    "logistic": Activation(_logistic, _logistic_backward),
    "tanh": Activation(_tanh, _tanh_backward),
    "relu": Activation(_relu, _relu_backward),
}
